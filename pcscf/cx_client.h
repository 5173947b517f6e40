/* The pcscf's Cx client (TS 29.228/29.229, SPECS.md §5.5): UAR, MAR, SAR and LIR toward the
 * HSS over common/diameter/peer.h, each with the configured timeout, so that a missing or
 * silent HSS turns into a prompt status the SIP side maps to 503/504 with Retry-After (never a
 * hang). Also answers the HSS's RTR (network-initiated de-registration) and PPR. */
#ifndef PCSCF_CX_CLIENT_H
#define PCSCF_CX_CLIENT_H

#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "diameter/peer.h"
#include "runtime/config.h"
#include "runtime/metrics.h"

typedef enum {
    PCSCF_CX_ANSWERED = 0, /* an answer arrived: see result */
    PCSCF_CX_NO_PEER,      /* no open connection to the HSS: 503 */
    PCSCF_CX_TIMEOUT,      /* no answer within the timeout or the connection dropped: 504 */
} pcscf_cx_status;

typedef struct {
    pcscf_cx_status status;
    dia_result result;  /* Result-Code or Experimental-Result (status ANSWERED) */
    const dia_msg *ans; /* borrowed for the callback; NULL unless ANSWERED */
} pcscf_cx_answer;

typedef void (*pcscf_cx_cb)(const pcscf_cx_answer *a, void *ud);
typedef struct pcscf_cx pcscf_cx_t;
typedef struct pcscf_cx_op pcscf_cx_op_t;

/* RTR from the HSS: de-register these identities (IMPI and/or IMPUs); returns how many
 * registrations were dropped. */
typedef unsigned (*pcscf_cx_rtr_cb)(const char *impi, char **impus, void *ud);

extern const rt_cfg_key_t pcscf_hss_keys[];

/* Connects to the HSS of the "hss" group with the identity of the "diameter" group. */
pcscf_cx_t *pcscf_cx_new(const config_t *cfg, rt_metrics_t *metrics);
void pcscf_cx_set_rtr_handler(pcscf_cx_t *cx, pcscf_cx_rtr_cb cb, void *ud);
/* Called each time the connection to the HSS opens. */
void pcscf_cx_set_up_handler(pcscf_cx_t *cx, void (*cb)(void *ud), void *ud);
/* DPR to the HSS, then done (see dia_stack_shutdown). */
void pcscf_cx_shutdown(pcscf_cx_t *cx, void (*done)(void *ud), void *ud);
/* Fails pending operations (their callbacks run with TIMEOUT) and frees. */
void pcscf_cx_free(pcscf_cx_t *cx);
bool pcscf_cx_is_up(const pcscf_cx_t *cx);
const char *pcscf_cx_server_name(const pcscf_cx_t *cx);
/* Seconds a client should wait before retrying when the HSS is unavailable (Retry-After). */
unsigned pcscf_cx_retry_after(const pcscf_cx_t *cx);

/* Requests. The callback always runs exactly once, later (never from inside these calls),
 * unless the operation is cancelled first. The returned handle stays valid until the callback
 * returns or pcscf_cx_cancel() is called. */
pcscf_cx_op_t *pcscf_cx_uar(pcscf_cx_t *cx, const char *impi, const char *impu, uint32_t type,
                            const char *cid, pcscf_cx_cb cb, void *ud);
pcscf_cx_op_t *pcscf_cx_mar(pcscf_cx_t *cx, const char *impi, const char *impu, const char *cid,
                            pcscf_cx_cb cb, void *ud);
/* impi may be NULL (SAR by IMPU, e.g. UNREGISTERED_USER for a static PBX). */
pcscf_cx_op_t *pcscf_cx_sar(pcscf_cx_t *cx, const char *impi, const char *impu, uint32_t sat,
                            const char *cid, pcscf_cx_cb cb, void *ud);
pcscf_cx_op_t *pcscf_cx_lir(pcscf_cx_t *cx, const char *impu, const char *cid, pcscf_cx_cb cb,
                            void *ud);
/* The callback will not run; the request's answer, when it comes, is dropped. */
void pcscf_cx_cancel(pcscf_cx_op_t *op);

/* Outstanding operations (for /health and tests). */
unsigned pcscf_cx_pending(const pcscf_cx_t *cx);

#endif
