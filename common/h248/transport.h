/* H.248 transaction layer over UDP (H.248.1 §8.2.3, Annex D.1): transaction ids, request
 * retransmission with exponential back-off, TransactionPending (sent for slow requests, honoured
 * for our own), a reply cache that answers duplicates, TransactionResponseAck both ways, and
 * error replies for messages that fail to parse. Used by the MG (eims-agw) and the MGC (pcscf);
 * it owns the UDP socket and every transaction record. Runs on the GLib main loop. */
#ifndef H248_TRANSPORT_H
#define H248_TRANSPORT_H
#include <gio/gio.h>
#include <stdbool.h>

#include "h248/codec.h"
#include "runtime/metrics.h"

typedef struct h248_tp h248_tp_t;
typedef struct h248_tp_req h248_tp_req_t;

typedef struct {
    const char *address;     /* local IPv4 address to bind */
    unsigned port;           /* local port (2944 for text; 0: any) */
    const char *mid;         /* our mId, e.g. "[127.0.10.3]:2944" */
    unsigned version;        /* protocol version we speak (3) */
    unsigned retry_first_ms; /* first retransmission after (default 250) */
    unsigned retry_max_ms;   /* back-off ceiling (default 4000) */
    unsigned request_timeout_ms; /* give up on a request after (default 10000; Pending extends) */
    unsigned pending_after_ms;   /* send Pending for a request still unanswered after (200) */
    unsigned reply_cache_ms;     /* LONG-TIMER: keep replies for duplicates (default 30000) */
    bool short_tokens;           /* print with short tokens */
    rt_metrics_t *metrics;       /* may be NULL */
} h248_tp_cfg_t;

/* A request transaction from a peer. The callback borrows `t` and `msg` and must answer once
 * with h248_tp_reply() (now or later); until then duplicates get Pending. */
typedef void (*h248_tp_request_cb)(h248_tp_t *tp, h248_tp_req_t *req, const h248_message *msg,
                                   const h248_transaction *t, void *ud);
/* The reply to one of our requests (borrowed), or NULL when the request timed out. */
typedef void (*h248_tp_reply_cb)(const h248_message *msg, const h248_transaction *reply,
                                 void *ud);

h248_tp_t *h248_tp_new(const h248_tp_cfg_t *cfg, h248_tp_request_cb on_request, void *ud,
                       GError **err);
void h248_tp_free(h248_tp_t *tp);
unsigned h248_tp_port(const h248_tp_t *tp);
const char *h248_tp_mid(const h248_tp_t *tp);
unsigned h248_tp_version(const h248_tp_t *tp);

/* Sends `msg` (ownership taken; exactly one request transaction, its id is assigned here) to
 * address:port and calls cb with the reply or NULL on timeout. Returns the transaction id. */
uint32_t h248_tp_request(h248_tp_t *tp, const char *address, unsigned port, h248_message *msg,
                         h248_tp_reply_cb cb, void *ud);
/* Forgets the callback of a request still under way (its owner is going away). */
void h248_tp_cancel(h248_tp_t *tp, uint32_t tid);

/* Answers a request (ownership of `reply` taken: one Reply transaction with the request's id,
 * e.g. from h248_build_reply()/h248_build_error_reply()). `req` is freed by the layer later. */
void h248_tp_reply(h248_tp_t *tp, h248_tp_req_t *req, h248_message *reply);
/* The sender of a request: "ip:port" text, and parts. */
const char *h248_tp_req_peer(const h248_tp_req_t *req);
const char *h248_tp_req_address(const h248_tp_req_t *req);
unsigned h248_tp_req_port(const h248_tp_req_t *req);

/* Sends one message as is (no reliability): for TransactionResponseAck and tests. */
void h248_tp_send_raw(h248_tp_t *tp, const char *address, unsigned port, const char *text,
                      size_t len);

#endif
