/* Diameter peer connections over TCP (RFC 6733 §5): capabilities exchange (CER/CEA), watchdog
 * (DWR/DWA, RFC 3539), disconnection (DPR/DPA), request/answer matching by Hop-by-Hop id with
 * timeouts, and reconnection with back-off for peers we connect to. All peers of a node live in
 * one dia_stack_t, which owns them; the application sees decoded requests and answers only. */
#ifndef DIA_PEER_H
#define DIA_PEER_H
#include <glib.h>
#include <stdbool.h>

#include "diameter/codec.h"
#include "diameter/cx.h"
#include "runtime/config.h"
#include "runtime/metrics.h"

typedef struct dia_stack dia_stack_t;
typedef struct dia_peer dia_peer_t;

typedef struct dia_local {
    dia_node node;          /* Origin-Host / Origin-Realm */
    const char *product;    /* Product-Name */
    const char *address;    /* Host-IP-Address (IPv4 text) and listen/bind address */
    unsigned watchdog_ms;   /* Tw (RFC 3539 §3.4.1: default 30 s, at least 6 s) */
    unsigned timeout_ms;    /* default request timeout */
    unsigned max_msg;       /* largest message accepted */
} dia_local_t;

/* A request addressed to this node (not a base-protocol one). The callback borrows `req` and
 * answers with dia_peer_send() (now or later, while the peer lives). */
typedef void (*dia_request_cb)(dia_stack_t *st, dia_peer_t *peer, const dia_msg *req, void *ud);
/* Answer to dia_peer_request(): `ans` is NULL on timeout or when the connection went down. The
 * callback borrows `ans`. */
typedef void (*dia_answer_cb)(const dia_msg *ans, void *ud);
/* A peer reached OPEN (open = true) or left it. */
typedef void (*dia_state_cb)(dia_stack_t *st, dia_peer_t *peer, bool open, void *ud);

/* The "diameter" configuration group shared by the nodes (listen side and identity). */
extern const rt_cfg_key_t dia_cfg_keys[];
/* Fills `local` from the validated "diameter" group (strings stay owned by cfg). */
void dia_local_from_config(const config_t *cfg, dia_local_t *local);

dia_stack_t *dia_stack_new(const dia_local_t *local, rt_metrics_t *metrics, dia_request_cb on_req,
                           dia_state_cb on_state, void *ud);
/* Serves incoming connections (the HSS side). */
bool dia_stack_listen(dia_stack_t *st, const char *address, unsigned port, GError **err);
/* Keeps a connection to a server open, reconnecting with back-off (the client side). */
dia_peer_t *dia_stack_connect(dia_stack_t *st, const char *address, unsigned port);
/* Sends DPR to every open peer, closes every connection once answered (or after 2 s), then
 * calls done. No reconnection afterwards. */
void dia_stack_shutdown(dia_stack_t *st, void (*done)(void *ud), void *ud);
void dia_stack_free(dia_stack_t *st);

unsigned dia_stack_open_peers(const dia_stack_t *st);
/* An open peer, preferring `host` when given; NULL when none is open. */
dia_peer_t *dia_stack_pick(dia_stack_t *st, const char *host);
const dia_local_t *dia_stack_local(const dia_stack_t *st);
/* A fresh Session-Id for this node (RFC 6733 §8.8). */
char *dia_stack_session_id(dia_stack_t *st);

/* Sends a request (ownership taken): fills Hop-by-Hop and End-to-End ids, arms the timeout. */
bool dia_peer_request(dia_peer_t *p, dia_msg *req, unsigned timeout_ms, dia_answer_cb cb,
                      void *ud);
/* Sends an answer or any message (ownership taken). */
void dia_peer_send(dia_peer_t *p, dia_msg *m);
/* The peer's Origin-Host once known, else its address. */
const char *dia_peer_name(const dia_peer_t *p);
bool dia_peer_is_open(const dia_peer_t *p);

#endif
