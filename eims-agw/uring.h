/* io_uring I/O of one media worker (see docs/AGW-MEDIA.md, "I/O paths"): one multishot
 * recvmsg per socket drawing from a ring of provided buffers, relayed packets sent with
 * IORING_OP_SENDMSG straight from the buffer they arrived in, and one io_uring_enter per loop
 * turn for every send queued and every datagram received since the last one. Used by worker.c
 * only, always on the worker's own thread (the ring is IORING_SETUP_SINGLE_ISSUER). */
#ifndef AGW_URING_H
#define AGW_URING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "term.h"

/* Packet buffers of both I/O paths: a datagram of up to AGW_RX_MAX bytes, then room for
 * libsrtp2's trailer on protect (SRTP_MAX_TRAILER_LEN) and an RTCP RR put in front of it. */
#define AGW_BUFSZ 2048
#define AGW_RX_MAX (AGW_BUFSZ - SRTP_MAX_TRAILER_LEN - 16)

typedef struct agw_uring agw_uring_t;

/* Called for every datagram received on a watched endpoint. `buf` has room for SRTP growth
 * up to AGW_BUFSZ bytes from its start; `trunc`: the datagram did not fit. */
typedef void (*agw_uring_rx_fn)(void *ud, agw_ep_t *ep, uint8_t *buf, size_t len,
                                const agw_addr_t *src, bool trunc);

/* NULL with *why set when io_uring (or a feature we need: buffer rings, single issuer with
 * deferred task work, i.e. Linux >= 6.1) is not available. `evfd`: polled, wakes the loop. */
agw_uring_t *agw_uring_new(unsigned nbufs, int evfd, const char **why);
void agw_uring_free(agw_uring_t *u);

bool agw_uring_watch(agw_uring_t *u, agw_ep_t *ep);
/* Cancels the endpoint's receive; its pending completions are dropped, never dispatched. */
void agw_uring_unwatch(agw_uring_t *u, agw_ep_t *ep);

/* Queues the datagram `buf` (inside the buffer being dispatched right now) for `fd`; false
 * when `buf` is not such a buffer (then the caller sends it another way). */
bool agw_uring_send(agw_uring_t *u, int fd, uint8_t *buf, size_t len, const agw_addr_t *to);

/* Submits what is queued and waits until `wait_nr` completions are ready or timeout_ms passed
 * (-1: forever), then dispatches every completion in the order they completed: rx() per
 * datagram, evfd() when the eventfd became readable (so commands posted before a datagram was
 * sent are run before it is handled). Returns the number of datagrams dispatched;
 * *send_failed: failed sends. */
unsigned agw_uring_run(agw_uring_t *u, unsigned wait_nr, int timeout_ms, agw_uring_rx_fn rx,
                       void (*evfd)(void *ud), void *ud, unsigned *send_failed);
/* Submits what is queued (before a command may close a socket a queued send uses). */
void agw_uring_submit(agw_uring_t *u);

#endif
