/* The MG's control association with its MGC over Iq (H.248.1 §11, Annex D.1 over UDP): the
 * ServiceChange registration state machine (Restart at start; retry with back-off; registering
 * again when the MGC restarts, hands us over, or stops answering), the inactivity keep-alive
 * (H.248.14 it/ito), requests from the MGC handed to iq_cmd, and Notify for media events. It owns
 * the transport socket and the command executor; the context table stays the caller's. */
#ifndef AGW_IQ_MG_H
#define AGW_IQ_MG_H
#include <gio/gio.h>
#include <stdbool.h>

#include "h248/transport.h"
#include "iq_cmd.h"
#include "iq_ctx.h"

typedef enum {
    IQ_MG_IDLE = 0,    /* not started */
    IQ_MG_REGISTERING, /* ServiceChange sent, no reply yet */
    IQ_MG_BACKOFF,     /* refused or unanswered: waiting to try again */
    IQ_MG_REGISTERED,  /* the MGC accepted us: commands are served, Notify is sent */
    IQ_MG_STOPPING,    /* ServiceChange Forced sent at shutdown */
    IQ_MG_STOPPED,
} iq_mg_state;

const char *iq_mg_state_name(iq_mg_state s);

typedef struct {
    const char *mgc_address;  /* numeric IPv4 address of the MGC */
    unsigned mgc_port;        /* 2944 */
    const char *profile;      /* "name/version" sent in ServiceChange (SPECS.md §4.1) */
    unsigned retry_ms;        /* first wait before registering again (doubles) */
    unsigned retry_max_ms;    /* back-off ceiling */
    unsigned inactivity_ms;   /* provisioned it/ito: probe a silent MGC after this; 0: only when
                                 the MGC arms it/ito */
    unsigned stop_timeout_ms; /* wait for the MGC's answer to our shutdown ServiceChange */
} iq_mg_cfg;

typedef struct iq_mg iq_mg;

/* Binds the transport (tp_cfg) and builds the command executor on `tb` (which must outlive the
 * association). Nothing is sent before iq_mg_start(). NULL + err when the socket cannot be bound
 * or the MGC address is not numeric. */
iq_mg *iq_mg_new(const iq_mg_cfg *cfg, const h248_tp_cfg_t *tp_cfg, const iq_cmd_cfg *cmd_cfg,
                 iq_table *tb, rt_metrics_t *metrics, GError **err);
/* Registers: ServiceChange Method=Restart, Reason "901 Cold Boot". */
void iq_mg_start(iq_mg *mg);
/* Shutdown: ServiceChange Method=Forced, Reason "905 Termination taken out of service" when
 * registered, then `done` (once, from the main loop, also when the MGC does not answer). */
void iq_mg_stop(iq_mg *mg, void (*done)(void *ud), void *ud);
void iq_mg_free(iq_mg *mg);

iq_mg_state iq_mg_get_state(const iq_mg *mg);
unsigned iq_mg_port(const iq_mg *mg);
const char *iq_mg_mgc(const iq_mg *mg); /* "ip:port" of the current MGC */
iq_cmd *iq_mg_cmd(iq_mg *mg);

#endif
