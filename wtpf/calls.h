/* Calls of the wtpf: the one owner of every call and the state machine joining WIC sessions
 * (WebSocket, JSON) with W8 dialogs (SIP), with the third-party services applied on the way:
 * number transformation on outgoing calls, diversion and simultaneous ringing on incoming ones.
 * A call is outgoing (WIC -> W8) or incoming (W8 -> WIC(s), possibly diverted to another user,
 * a group or back out to W8 as a B2BUA with History-Info). */
#ifndef WTPF_CALLS_H
#define WTPF_CALLS_H

#include <stdbool.h>

#include "runtime/metrics.h"
#include "wtpf/directory.h"
#include "wtpf/w8.h"
#include "wtpf/wic_session.h"

typedef struct calls calls_t;

typedef struct {
    unsigned ring_timeout;     /* s of ringing without no-answer diversion before 480 */
    unsigned max_calls;        /* calls in the wtpf at once (0: no limit) */
    bool divert_assert_caller; /* diverted INVITEs assert the original caller, not the
                                  diverting number (needs a privileged-sender pcscf) */
} calls_cfg;

calls_t *calls_new(const calls_cfg *cfg, const wtpf_dir *dir, wic_sessions *sessions,
                   rt_metrics_t *metrics);
void calls_set_w8(calls_t *t, w8_t *w8);
/* The W8 event handlers (ud = the calls_t). */
extern const w8_events calls_w8_events;
/* The WIC session handlers (ud = the calls_t). */
extern const wic_session_cbs calls_session_cbs;

/* Ends every call (graceful stop): WICs get `ended` 503, W8 legs CANCEL/BYE/503. */
void calls_end_all(calls_t *t);
unsigned calls_count(const calls_t *t);
void calls_free(calls_t *t);

#endif
