/* Inside of the proxy (pcscf/proxy.c, proxy_route.c, proxy_media.c): the server transaction
 * (ptx_t), its client-transaction branches (branch_t) and the functions the three files share.
 * Not for other modules: they use pcscf/proxy.h. */
#ifndef PCSCF_PROXY_INT_H
#define PCSCF_PROXY_INT_H

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

#include "pcscf/dialogs.h"
#include "pcscf/identity.h"
#include "pcscf/proxy.h"
#include "pcscf/sipmsg.h"
#include "runtime/timerq.h"

#define HDR_PAI "P-Asserted-Identity"
#define HDR_PPI "P-Preferred-Identity"
#define HDR_PCV "P-Charging-Vector"
#define HDR_PCFA "P-Charging-Function-Addresses"
#define HDR_CID "X-Correlation-ID"

typedef struct ptx ptx_t;

typedef enum { PX_TQ_TIMER_C, PX_TQ_DEADLINE_INVITE, PX_TQ_DEADLINE_OTHER, PX_TQ_COUNT } px_tq_t;

typedef struct {
    ptx_t *tx;
    nta_outgoing_t *orq;
    int status;             /* highest status seen (0: none yet) */
    char *target;           /* Request-URI sent */
    char *hop;              /* next hop URL (flow or route), or NULL (by Request-URI / Route) */
    char **route;           /* Route set to prepend (Path of the binding), may be NULL */
    bool dest_trusted;      /* destination inside the trust domain */
    pcscf_peer_t *peer;     /* destination W8 peer, if any */
    bool cancel_wanted;     /* CANCEL as soon as a provisional response arrives */
    nta_outgoing_t *cancel; /* our CANCEL client transaction */
} branch_t;

struct ptx {
    pcscf_proxy_t *px;
    nta_incoming_t *irq;
    msg_t *msg; /* the request as received (then with our Routes popped) */
    sip_t *sip;
    pcscf_src_t src;
    char cid[24];
    sip_method_t method;
    char *method_name;
    bool initial;          /* outside a dialog (no To tag) */
    bool orig_marker;      /* arrived on our Service-Route ("orig") */
    pcscf_peer_t *peer_in; /* source W8 peer */
    bool src_trusted;
    GPtrArray *branches; /* branch_t*, owned */
    int best_status;
    msg_t *best; /* best final response so far (reference) */
    branch_t *best_branch;
    bool final_sent;
    bool cancelled;
    pcscf_cx_op_t *op;
    char loop_hash[17];
    /* Timers (proxy_timers.c): one FIFO per fixed delay, one GLib timer for all of them. */
    rt_timer_t timer_c;  /* RFC 3261 §16.6 item 11: INVITE branches ring at most this long */
    rt_timer_t deadline; /* last resort: the transaction ends even if a branch never does */
    /* media anchoring (proxy_media.c) */
    char *call_key;      /* the call this INVITE/in-dialog request belongs to, or NULL */
    bool media;          /* its SDP goes through the anchor */
    bool media_from_wic; /* the request came from the WebRTC side */
    bool media_busy;     /* a media step for this transaction is running */
    GQueue *resp_queue;  /* responses waiting for their media step, in order (resp_item_t*) */
    bool got_2xx;
};

struct pcscf_proxy {
    pcscf_t *p;
    GHashTable *txs; /* ptx_t* set, owned */
    guint64 seq;
    pcscf_dialogs_t *dialogs;
    rt_timerq_t *tq; /* the transactions' timers, one queue per px_tq_t (proxy_timers.c) */
};

/* proxy.c */
void px_done(ptx_t *t);
void px_reply(ptx_t *t, int status, const char *phrase, const char *headers);
void px_reply_and_done(ptx_t *t, int status, const char *phrase, const char *headers);
/* A 503 with Retry-After (or another status without). */
void px_reply_retry(ptx_t *t, int status, const char *phrase, unsigned retry_after);
bool px_url_is_us(const pcscf_t *p, const url_t *u);
branch_t *px_branch_add(ptx_t *t, const char *target, const char *hop, char **route, bool trusted,
                        pcscf_peer_t *peer);
/* Sends the branches added. */
void px_send_branches(ptx_t *t);
/* The targets are known: the media step when the call is anchored, then px_send_branches. */
void px_dispatch(ptx_t *t);
void px_forward_response(ptx_t *t, branch_t *b, msg_t *resp);
void px_cancel_pending(ptx_t *t);
/* Ends the transaction when every branch is final and nothing waits for media. */
void px_maybe_finish(ptx_t *t);

/* proxy_timers.c: the queues (one per px_tq_t, each of one fixed delay, see proxy_timers.c);
 * px_timer_start() starts `tm` in queue `q` unless it runs already. */
void px_timers_init(pcscf_proxy_t *px);
void px_timers_free(pcscf_proxy_t *px);
void px_timer_start(ptx_t *t, rt_timer_t *tm, px_tq_t q);
/* Called for expired timers (proxy.c). */
void px_on_timer_c(ptx_t *t);
void px_on_deadline(ptx_t *t);

/* proxy_route.c: originating identity/charging and terminating routing */
void px_classify(ptx_t *t, pcscf_origin_t *o);
bool px_apply_identity(ptx_t *t, const pcscf_origin_t *o);
void px_route_terminating(ptx_t *t);

/* proxy_media.c */
/* Before the branches go out: runs the offer step when the call is anchored (then sends the
 * branches itself, or answers the error). Returns true when it took over. */
bool px_media_request(ptx_t *t);
/* A response on its way upstream: true when the media part took it (queued or stepping). */
bool px_media_response(ptx_t *t, branch_t *b, msg_t *resp);
/* The transaction is being freed: detach from the call (failed setups end the call). */
void px_media_tx_gone(ptx_t *t);
/* The call table's end function: BYE toward both sides of a confirmed call. */
void px_media_end_call(pcscf_call_t *c, const char *reason, void *ud);

#endif
