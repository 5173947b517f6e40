/* Iq command semantics on the MG (H.248.1 §7, TS 29.334 profile in docs/IQ-PROFILE.md): one
 * request transaction in, its reply out. Add (reserve a W3 or RTP termination, fill the Local
 * template's "$"), Modify, Subtract (with Statistics), Move (501), AuditValue (ROOT keep-alive,
 * terminations, contexts), ServiceChange from the MGC (handed to the association), and the
 * Notify the MG sends for media events. Errors are H.248 error codes in command-, action- or
 * transaction-level Error descriptors (SPECS.md §4.4, §4.5 (7)). No I/O here: the association
 * (iq_mg) moves the messages. */
#ifndef AGW_IQ_CMD_H
#define AGW_IQ_CMD_H
#include <stdbool.h>
#include <stdint.h>

#include "h248/codec.h"
#include "iq_ctx.h"
#include "runtime/metrics.h"

typedef struct {
    const char *access_realm; /* ipdc/realm value of W3 terminations ("access") */
    const char *core_realm;   /* ipdc/realm value of RTP terminations ("core") */
    const char *cid_property; /* TerminationState property with the call's correlation id
                                 ("wtpf/cid"); NULL: ignored */
    unsigned no_media_ms;     /* adid/ipstop without dt, and unarmed no-media reporting; 0 off */
    unsigned heartbeat_s;     /* hangterm/thb armed without hangterm/timerx; 0: not sent */
    bool notify_unarmed;      /* report media events the MGC did not arm (RequestID 0) */
} iq_cmd_cfg;

/* Things only the association can act on; called while the request is being executed, to be
 * acted upon after the reply is sent. May be NULL. */
typedef struct {
    /* ServiceChange on ROOT from the MGC (it restarted, hands us over, ...). */
    void (*service_change)(void *ud, const h248_service_change *sc);
    /* it/ito (H.248.14) armed on ROOT (or disarmed); `ms` is its mit parameter in ms, 0 when
     * absent (the MG's provisioned default applies). */
    void (*inactivity)(void *ud, bool armed, uint32_t request_id, unsigned ms);
} iq_cmd_hooks;

typedef struct iq_cmd iq_cmd;

/* `tb` stays owned by the caller. Strings in cfg are copied. */
iq_cmd *iq_cmd_new(iq_table *tb, const iq_cmd_cfg *cfg, const iq_cmd_hooks *hooks, void *ud,
                   rt_metrics_t *metrics);
void iq_cmd_free(iq_cmd *c);

/* Executes a request transaction (H.248.1 §8.2.2: commands in order, the first failure ends the
 * transaction, earlier successes stay) and returns the Reply message (version and mId given). */
h248_message *iq_cmd_execute(iq_cmd *c, const h248_transaction *t, unsigned version,
                             const char *mid);

/* The H.248 event name a media event is reported with ("adid/ipstop", "ice/cfail", "dtls/fail";
 * heartbeat: "hangterm/thb"). */
const char *iq_cmd_event_name(iq_media_event ev, bool heartbeat);

/* The Notify request (transaction id 0, assigned by the transport) for an event on `t`, or NULL
 * when the MGC did not arm it and unarmed reporting is off. */
h248_message *iq_cmd_notify(iq_cmd *c, const iq_term *t, iq_media_event ev, bool heartbeat,
                            unsigned version, const char *mid);

/* The packages the MG supports, "name-version" (AuditValue ROOT { Audit { Packages } }). */
extern const char *const iq_cmd_packages[];

#endif
