/* io_uring I/O of one media worker (see uring.h). Completion user_data: a receive carries the
 * address of its endpoint record (8-byte aligned, tag 0); a send carries the buffer id (tag 1);
 * the eventfd poll tag 2; cancellations tag 3. A buffer returns to the provided-buffer ring
 * right after dispatch, or, when the packet was relayed from it, when its send completes. */
#define _GNU_SOURCE
#include "uring.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define UR_BGID 0
/* recvmsg out header (16) + name (sockaddr_in6, 28) precede the payload: 64 bytes of room */
#define UR_BUFSZ (AGW_BUFSZ + 64)
#define UR_TAG_RECV 0u
#define UR_TAG_SEND 1u
#define UR_TAG_EVFD 2u
#define UR_TAG_CANCEL 3u

typedef struct uep {
    agw_ep_t *ep; /* NULL once unwatched: completions still in flight are drained */
    int fd;
    bool armed;    /* a multishot receive is in the kernel */
    bool in_rearm; /* listed in u->rearm */
} uep_t;

typedef struct {
    struct msghdr mh;
    struct iovec iov;
    agw_addr_t to;
} ur_tx_t;

struct agw_uring {
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    size_t br_size;
    uint8_t *bufs;
    unsigned nbufs, mask, returned;
    ur_tx_t *tx;   /* per buffer: the send queued from it */
    bool *sending; /* per buffer: waiting for its send completion */
    struct msghdr rx_tmpl;
    GHashTable *eps; /* agw_ep_t* -> uep_t*, watched endpoints */
    GHashTable *all; /* every uep_t not freed yet, unwatched ones waiting for their last CQE too */
    GPtrArray *rearm;
    int evfd;
    bool evfd_armed;
    int cur_bid; /* buffer being dispatched, -1 outside dispatch */
};

static inline uint64_t ud_of(unsigned tag, uint64_t v)
{
    return v | tag;
}

static struct io_uring_sqe *get_sqe(agw_uring_t *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) { /* submission queue full: hand it to the kernel and take a fresh entry */
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

static void buf_return(agw_uring_t *u, unsigned bid)
{
    u->sending[bid] = false;
    io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * UR_BUFSZ, UR_BUFSZ, (unsigned short)bid,
                          (int)u->mask, (int)u->returned++);
}

static void bufs_publish(agw_uring_t *u)
{
    if (u->returned) io_uring_buf_ring_advance(u->br, (int)u->returned);
    u->returned = 0;
}

static void uep_free(agw_uring_t *u, uep_t *e)
{
    g_hash_table_remove(u->all, e); /* the table frees it */
}

static bool arm_recv(agw_uring_t *u, uep_t *e)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (!sqe) return false;
    io_uring_prep_recvmsg_multishot(sqe, e->fd, &u->rx_tmpl, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = UR_BGID;
    io_uring_sqe_set_data64(sqe, ud_of(UR_TAG_RECV, (uint64_t)(uintptr_t)e));
    e->armed = true;
    return true;
}

static void arm_evfd(agw_uring_t *u)
{
    struct io_uring_sqe *sqe = get_sqe(u);
    if (!sqe) return;
    io_uring_prep_poll_multishot(sqe, u->evfd, POLLIN);
    io_uring_sqe_set_data64(sqe, ud_of(UR_TAG_EVFD, 0));
    u->evfd_armed = true;
}

agw_uring_t *agw_uring_new(unsigned nbufs, int evfd, const char **why)
{
    agw_uring_t *u = g_new0(agw_uring_t, 1);
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    /* SINGLE_ISSUER + DEFER_TASKRUN (Linux >= 6.1): receive completions are produced only when
     * the worker asks for events, in one batch, on its own CPU. */
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4 * nbufs; /* a datagram and its send per buffer, + re-arms; overflow is kept */
    int r = io_uring_queue_init_params(1024, &u->ring, &p);
    if (r < 0) {
        *why = r == -EINVAL ? "io_uring without SINGLE_ISSUER/DEFER_TASKRUN (Linux < 6.1)"
                            : "io_uring_setup failed (disabled or not permitted)";
        g_free(u);
        return NULL;
    }
    if (!(p.features & IORING_FEAT_EXT_ARG)) {
        *why = "io_uring without IORING_FEAT_EXT_ARG";
        io_uring_queue_exit(&u->ring);
        g_free(u);
        return NULL;
    }
    u->nbufs = nbufs;
    u->mask = (unsigned)io_uring_buf_ring_mask(nbufs);
    u->br_size = (size_t)nbufs * sizeof(struct io_uring_buf);
    void *br = mmap(NULL, u->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) {
        *why = "mmap of the buffer ring failed";
        io_uring_queue_exit(&u->ring);
        g_free(u);
        return NULL;
    }
    u->br = br;
    io_uring_buf_ring_init(u->br);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uint64_t)(uintptr_t)br, .ring_entries = nbufs, .bgid = UR_BGID};
    if (io_uring_register_buf_ring(&u->ring, &reg, 0) < 0) {
        *why = "io_uring provided-buffer rings not supported (Linux < 5.19)";
        munmap(br, u->br_size);
        io_uring_queue_exit(&u->ring);
        g_free(u);
        return NULL;
    }
    u->bufs = g_malloc((size_t)nbufs * UR_BUFSZ);
    /* touched now: the kernel cycles through every buffer as media flows, so the whole area is
     * resident within seconds anyway; faulting it in at start keeps RSS per call meaningful */
    memset(u->bufs, 0, (size_t)nbufs * UR_BUFSZ);
    u->tx = g_new0(ur_tx_t, nbufs);
    u->sending = g_new0(bool, nbufs);
    for (unsigned i = 0; i < nbufs; i++)
        buf_return(u, i);
    bufs_publish(u);
    u->rx_tmpl.msg_namelen = sizeof(struct sockaddr_in6);
    u->eps = g_hash_table_new(g_direct_hash, g_direct_equal);
    u->all = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
    u->rearm = g_ptr_array_new();
    u->evfd = evfd;
    u->cur_bid = -1;
    arm_evfd(u);
    io_uring_submit(&u->ring);
    return u;
}

void agw_uring_free(agw_uring_t *u)
{
    if (!u) return;
    io_uring_queue_exit(&u->ring); /* cancels every receive still armed */
    munmap(u->br, u->br_size);
    g_hash_table_destroy(u->eps);
    g_hash_table_destroy(u->all); /* frees every endpoint record */
    g_ptr_array_free(u->rearm, TRUE);
    g_free(u->bufs);
    g_free(u->tx);
    g_free(u->sending);
    g_free(u);
}

bool agw_uring_watch(agw_uring_t *u, agw_ep_t *ep)
{
    uep_t *e = g_new0(uep_t, 1);
    e->ep = ep;
    e->fd = ep->fd;
    if (!arm_recv(u, e)) {
        g_free(e);
        return false;
    }
    g_hash_table_insert(u->eps, ep, e);
    g_hash_table_add(u->all, e);
    return true;
}

void agw_uring_unwatch(agw_uring_t *u, agw_ep_t *ep)
{
    uep_t *e = g_hash_table_lookup(u->eps, ep);
    if (!e) return;
    g_hash_table_remove(u->eps, ep);
    e->ep = NULL;
    if (e->armed) {
        struct io_uring_sqe *sqe = get_sqe(u);
        if (sqe) {
            io_uring_prep_cancel64(sqe, ud_of(UR_TAG_RECV, (uint64_t)(uintptr_t)e), 0);
            io_uring_sqe_set_data64(sqe, ud_of(UR_TAG_CANCEL, 0));
        }
        /* Run the cancellation now, so the request drops its reference to the socket before
         * the caller closes it and the port can be bound again. The final completion frees e. */
        io_uring_submit_and_get_events(&u->ring);
    } else if (!e->in_rearm) {
        uep_free(u, e);
    } /* else freed when the re-arm list is walked */
}

bool agw_uring_send(agw_uring_t *u, int fd, uint8_t *buf, size_t len, const agw_addr_t *to)
{
    int bid = u->cur_bid;
    if (bid < 0 || u->sending[bid]) return false;
    uint8_t *base = u->bufs + (size_t)bid * UR_BUFSZ;
    if (buf < base || buf + len > base + UR_BUFSZ) return false;
    struct io_uring_sqe *sqe = get_sqe(u);
    if (!sqe) return false;
    ur_tx_t *t = &u->tx[bid];
    t->to = *to; /* the destination may change or go away before the send is submitted */
    t->iov.iov_base = buf;
    t->iov.iov_len = len;
    memset(&t->mh, 0, sizeof t->mh);
    t->mh.msg_name = &t->to.u;
    t->mh.msg_namelen = to->len;
    t->mh.msg_iov = &t->iov;
    t->mh.msg_iovlen = 1;
    /* MSG_DONTWAIT: a full socket buffer fails the send at once (counted as a drop, as the
     * epoll path does) instead of parking the request and its buffer on a poll */
    io_uring_prep_sendmsg(sqe, fd, &t->mh, MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, ud_of(UR_TAG_SEND, (uint64_t)bid << 2));
    u->sending[bid] = true;
    return true;
}

void agw_uring_submit(agw_uring_t *u)
{
    bufs_publish(u);
    if (io_uring_sq_ready(&u->ring)) io_uring_submit(&u->ring);
}

static void on_recv(agw_uring_t *u, uep_t *e, const struct io_uring_cqe *cqe, agw_uring_rx_fn rx,
                    void *ud)
{
    if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        uint8_t *b = u->bufs + (size_t)bid * UR_BUFSZ;
        struct io_uring_recvmsg_out *o =
            cqe->res > 0 ? io_uring_recvmsg_validate(b, cqe->res, &u->rx_tmpl) : NULL;
        if (o && e->ep) {
            agw_addr_t src;
            memset(&src, 0, sizeof src);
            socklen_t nl =
                o->namelen < sizeof(struct sockaddr_in6) ? o->namelen : sizeof(struct sockaddr_in6);
            memcpy(&src.u, io_uring_recvmsg_name(o), nl);
            src.len = nl;
            uint8_t *pl = io_uring_recvmsg_payload(o, &u->rx_tmpl);
            size_t len = io_uring_recvmsg_payload_length(o, cqe->res, &u->rx_tmpl);
            bool trunc = (o->flags & MSG_TRUNC) || len > AGW_RX_MAX;
            u->cur_bid = (int)bid;
            rx(ud, e->ep, pl, len, &src, trunc);
            u->cur_bid = -1;
        }
        if (!u->sending[bid]) buf_return(u, bid);
    }
    if (cqe->flags & IORING_CQE_F_MORE) return;
    /* The multishot receive ended: out of buffers (-ENOBUFS), cancelled, or an error. */
    e->armed = false;
    if (!e->ep) {
        if (!e->in_rearm) uep_free(u, e);
        return;
    }
    if (!e->in_rearm) {
        e->in_rearm = true;
        g_ptr_array_add(u->rearm, e);
    }
}

static void rearm_all(agw_uring_t *u)
{
    for (unsigned i = 0; i < u->rearm->len; i++) {
        uep_t *e = g_ptr_array_index(u->rearm, i);
        e->in_rearm = false;
        if (!e->ep)
            uep_free(u, e);
        else if (!e->armed)
            arm_recv(u, e);
    }
    g_ptr_array_set_size(u->rearm, 0);
}

unsigned agw_uring_run(agw_uring_t *u, unsigned wait_nr, int timeout_ms, agw_uring_rx_fn rx,
                       void (*evfd)(void *ud), void *ud, unsigned *send_failed)
{
    unsigned received = 0;
    *send_failed = 0;
    bufs_publish(u);
    rearm_all(u);
    if (!u->evfd_armed) arm_evfd(u);
    struct io_uring_cqe *cqe = NULL;
    struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
                                   .tv_nsec = (long long)(timeout_ms % 1000) * 1000000};
    io_uring_submit_and_wait_timeout(&u->ring, &cqe, wait_nr ? wait_nr : 1,
                                     timeout_ms >= 0 ? &ts : NULL, NULL);
    unsigned head, n = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe)
    {
        n++;
        uint64_t v = io_uring_cqe_get_data64(cqe);
        switch ((unsigned)(v & 3u)) {
        case UR_TAG_RECV:
            received += (cqe->flags & IORING_CQE_F_BUFFER) != 0;
            on_recv(u, (uep_t *)(uintptr_t)v, cqe, rx, ud);
            break;
        case UR_TAG_SEND: {
            unsigned bid = (unsigned)(v >> 2);
            if (cqe->res < 0) (*send_failed)++;
            buf_return(u, bid);
            break;
        }
        case UR_TAG_EVFD:
            if (!(cqe->flags & IORING_CQE_F_MORE)) u->evfd_armed = false;
            /* A command may unwatch a socket: its later completions in this loop find e->ep
             * NULL (on_recv); the cancellation's completions are appended and seen here too. */
            evfd(ud);
            break;
        default:
            break;
        }
    }
    io_uring_cq_advance(&u->ring, n);
    bufs_publish(u);
    return received;
}
