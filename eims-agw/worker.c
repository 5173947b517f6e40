/* Media worker threads: each owns the sockets of its contexts, relays packets between the two
 * terminations of a context, runs the DTLS retransmission and consent/no-media timers, and
 * executes control commands posted by the main thread between batches. Two I/O paths (media.io):
 * io_uring (uring.c: multishot receives on every socket, batched sends, one system call per loop
 * turn) and epoll with recvmmsg/sendmmsg per socket (the fallback). No lock and no allocation on
 * the packet path. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/log.h"
#include "term.h"
#include "uring.h"

#define AGW_BATCH 32
/* io_uring provided buffers per worker (power of two): 17 MB. With 2,048 a worker holding 5,000
 * sessions under overload ran out on every turn (one ENOBUFS and re-arm per 4 datagrams) */
#define AGW_URING_BUFS 8192
/* io_uring, while media flows: sleep until this many completions are ready or AGW_URING_WAIT_MS
 * passed (a wake-up per batch instead of one per datagram; adds at most that delay per hop) */
#define AGW_URING_WAIT_NR 32
#define AGW_URING_WAIT_MS 1
#define AGW_HS_TICK_MS 10
#define AGW_HK_TICK_MS 250

const char *const agw_drop_names[AGW_DROP_COUNT] = {"demux", "source", "malformed", "not_ready",
                                                    "srtp",  "pt",     "mode",      "send"};
const char *const agw_dir_names[AGW_DIRS] = {"w3_to_w3", "w3_to_rtp", "rtp_to_w3", "rtp_to_rtp"};

typedef struct {
    agw_worker_fn fn;
    void *arg;
    uint32_t done; /* futex word: 1 once run (agw_worker_call() sleeps on it) */
    bool posted;   /* agw_worker_post(): nobody waits; the worker frees the command and its copy */
    max_align_t copy[];
} agw_cmd_t;

typedef struct {
    int fd;
    unsigned n;
    struct mmsghdr m[AGW_BATCH];
    struct iovec iov[AGW_BATCH];
} agw_txq_t;

struct agw_worker {
    agw_media_t *m;
    unsigned index;
    GThread *thread;
    int epfd;
    int evfd;
    GMutex lock;
    GCond cond;
    GQueue cmds;
    bool stop;
    int64_t now; /* ms, monotonic, refreshed per wake-up */
    int64_t now_us;
    int64_t next_hs, next_hk;
    agw_link_t terms;
    agw_link_t hs;
    agw_counters_t cnt;
    struct mmsghdr rx[AGW_BATCH];
    struct iovec rx_iov[AGW_BATCH];
    agw_addr_t rx_addr[AGW_BATCH];
    uint8_t *rx_buf;
    agw_txq_t tx[2];
    agw_uring_t *ur; /* NULL: epoll path */
    agw_io_t io_wanted;
    bool busy; /* the last loop turn received datagrams */
    bool started;
    char io_error[96];
    unsigned long calls; /* synchronous commands from another thread (main thread only) */
    unsigned long posts; /* asynchronous ones */
    bool deferring;      /* main thread: posts do not wake the worker until agw_worker_flush() */
    bool wake_pending;   /* main thread: commands queued by posts, the worker not woken yet */
    bool unsynced;       /* main thread: posts since the last command that waited */
    GPtrArray *gone;     /* worker, epoll: endpoints unwatched during this loop turn */
};

static void refresh_clock(agw_worker_t *w)
{
    w->now_us = g_get_monotonic_time();
    w->now = w->now_us / 1000;
}

int64_t agw_worker_now(const agw_worker_t *w)
{
    return w->now;
}
agw_counters_t *agw_worker_cnt(agw_worker_t *w)
{
    return &w->cnt;
}
const agw_counters_t *agw_worker_counters(const agw_worker_t *w)
{
    return &w->cnt;
}

/* ---- transmit queues ----------------------------------------------------------------------- */

static void txq_flush(agw_worker_t *w, agw_txq_t *q)
{
    unsigned off = 0;
    while (off < q->n) {
        int r = sendmmsg(q->fd, q->m + off, q->n - off, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) continue;
            /* EAGAIN (socket buffer full) or a routing error: these packets are lost */
            AGW_CNT_ADD(w->cnt.dropped[AGW_DROP_SEND], q->n - off);
            break;
        }
        off += (unsigned)r;
    }
    q->n = 0;
    q->fd = -1;
}

static void tx_flush_all(agw_worker_t *w)
{
    for (unsigned i = 0; i < 2; i++)
        if (w->tx[i].n) txq_flush(w, &w->tx[i]);
}

static void tx_queue(agw_worker_t *w, int fd, uint8_t *buf, size_t len, const agw_addr_t *to)
{
    if (w->ur) {
        if (!agw_uring_send(w->ur, fd, buf, len, to)) agw_worker_sendto(w, fd, buf, len, to);
        return;
    }
    agw_txq_t *q = NULL;
    for (unsigned i = 0; i < 2 && !q; i++)
        if (w->tx[i].n && w->tx[i].fd == fd) q = &w->tx[i];
    for (unsigned i = 0; i < 2 && !q; i++)
        if (w->tx[i].n == 0) q = &w->tx[i];
    if (!q) {
        tx_flush_all(w);
        q = &w->tx[0];
    }
    q->fd = fd;
    struct iovec *iov = &q->iov[q->n];
    struct mmsghdr *mh = &q->m[q->n];
    iov->iov_base = buf;
    iov->iov_len = len;
    memset(mh, 0, sizeof *mh);
    mh->msg_hdr.msg_name = (void *)&to->u;
    mh->msg_hdr.msg_namelen = to->len;
    mh->msg_hdr.msg_iov = iov;
    mh->msg_hdr.msg_iovlen = 1;
    if (++q->n == AGW_BATCH) txq_flush(w, q);
}

unsigned long agw_worker_calls(const agw_worker_t *w)
{
    return w->calls + w->posts;
}

unsigned long agw_worker_waits(const agw_worker_t *w)
{
    return w->calls;
}

bool agw_worker_uses_uring(const agw_worker_t *w)
{
    return w->ur != NULL;
}

void agw_worker_sendto(agw_worker_t *w, int fd, const uint8_t *buf, size_t len,
                       const agw_addr_t *to)
{
    if (!to || !to->len) return;
    if (sendto(fd, buf, len, MSG_DONTWAIT, &to->u.sa, to->len) < 0)
        AGW_CNT_ADD(w->cnt.dropped[AGW_DROP_SEND], 1);
}

/* ---- per-packet bookkeeping and relay ------------------------------------------------------ */

void agw_worker_drop(agw_worker_t *w, agw_term_t *t, agw_drop_t why)
{
    t->stats.dropped++;
    AGW_CNT_ADD(w->cnt.dropped[why], 1);
}

static unsigned dir_of(const agw_term_t *from)
{
    return AGW_DIR(from->kind, from->peer ? from->peer->kind : !from->kind);
}

void agw_term_rx_rtp(agw_worker_t *w, agw_term_t *t, const agw_rtp_hdr_t *h, size_t len)
{
    uint32_t rate = t->map.rate[h->pt];
    uint32_t arrival = (uint32_t)((uint64_t)w->now_us * rate / 1000000u);
    int64_t before = agw_rx_lost(&t->rxs);
    agw_rx_update(&t->rxs, h, arrival, rate);
    int64_t after = agw_rx_lost(&t->rxs);
    if (after > before) AGW_CNT_ADD(w->cnt.lost[dir_of(t)], (uint64_t)(after - before));
    t->stats.rx.packets++;
    t->stats.rx.octets += len;
    t->last_media = w->now;
    t->no_media_reported = false;
}

void agw_worker_relay(agw_worker_t *w, agw_term_t *from, uint8_t *buf, size_t len, bool rtcp)
{
    agw_term_t *to = from->peer;
    if (!to) {
        agw_worker_drop(w, from, AGW_DROP_NOT_READY);
        return;
    }
    unsigned dir = AGW_DIR(from->kind, to->kind);
    if (!rtcp) {
        if (to->mode == AGW_MODE_RECVONLY || to->mode == AGW_MODE_INACTIVE) {
            agw_worker_drop(w, from, AGW_DROP_MODE);
            return;
        }
        uint8_t pt = buf[1] & 0x7f, out = from->map.out[pt];
        if (out == AGW_PT_DROP) {
            agw_worker_drop(w, from, AGW_DROP_PT);
            return;
        }
        if (out != pt) agw_rtp_set_pt(buf, out);
    }
    size_t plain = len;
    const agw_addr_t *dst;
    int fd;
    if (to->kind == AGW_TERM_W3) {
        if (!to->u.w3.srtp_ready) {
            agw_worker_drop(w, from, AGW_DROP_NOT_READY);
            return;
        }
        dst = agw_w3_dest(to);
        if (!dst) {
            agw_worker_drop(w, from, AGW_DROP_MODE); /* no selected pair or consent lost */
            return;
        }
        /* Browsers expect RFC 3550 compound packets; room: AGW_BUFSZ - AGW_RX_MAX bytes. */
        if (rtcp) len = agw_rtcp_make_compound(buf, len, AGW_BUFSZ - SRTP_MAX_TRAILER_LEN);
        int l = (int)len;
        if (agw_srtp_protect(&to->u.w3.srtp, buf, &l, rtcp) != 0) {
            AGW_CNT_ADD(w->cnt.srtp_fail[dir], 1);
            agw_worker_drop(w, from, AGW_DROP_SRTP);
            return;
        }
        len = (size_t)l;
        fd = to->ep[0].fd;
    } else {
        dst = agw_rtp_dest(to, rtcp);
        if (!dst) {
            agw_worker_drop(w, from, AGW_DROP_NOT_READY);
            return;
        }
        fd = to->ep[rtcp ? 1 : 0].fd;
    }
    tx_queue(w, fd, buf, len, dst);
    if (rtcp) {
        to->stats.tx.rtcp_packets++;
        AGW_CNT_ADD(w->cnt.rtcp[dir], 1);
    } else {
        to->stats.tx.packets++;
        to->stats.tx.octets += plain;
        AGW_CNT_ADD(w->cnt.packets[dir], 1);
        AGW_CNT_ADD(w->cnt.octets[dir], plain);
    }
}

void agw_term_rebuild_maps(agw_term_t *t)
{
    agw_pt_map_build(&t->map, &t->codecs, t->peer ? &t->peer->codecs : NULL);
    if (t->peer) agw_pt_map_build(&t->peer->map, &t->peer->codecs, &t->codecs);
}

void agw_worker_event(agw_worker_t *w, agw_term_t *t, agw_event_type_t type, const char *reason,
                      const char *profile, const agw_addr_t *peer, unsigned idle_ms)
{
    agw_event_msg_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.ctx_id = t->ctx ? agw_ctx_id(t->ctx) : 0;
    ev.term_id = t->id;
    ev.idle_ms = idle_ms;
    if (reason) g_strlcpy(ev.reason, reason, sizeof ev.reason);
    if (profile) g_strlcpy(ev.profile, profile, sizeof ev.profile);
    if (peer && peer->len) agw_addr_str(peer, ev.peer, sizeof ev.peer);
    agw_media_post_event(w->m, &ev);
}

/* ---- reading ------------------------------------------------------------------------------- */

static void rx_one(void *ud, agw_ep_t *ep, uint8_t *buf, size_t len, const agw_addr_t *src,
                   bool trunc)
{
    agw_worker_t *w = ud;
    if (trunc) {
        agw_worker_drop(w, ep->term, AGW_DROP_MALFORMED);
        return;
    }
    switch (ep->kind) {
    case AGW_EP_W3:
        agw_w3_rx(w, ep->term, buf, len, src);
        break;
    case AGW_EP_RTP:
        agw_rtp_rx(w, ep->term, buf, len, src, false);
        break;
    default:
        agw_rtp_rx(w, ep->term, buf, len, src, true);
        break;
    }
}

static void on_readable(agw_worker_t *w, agw_ep_t *ep)
{
    for (int round = 0; round < 8; round++) {
        for (unsigned i = 0; i < AGW_BATCH; i++)
            w->rx[i].msg_hdr.msg_namelen = sizeof w->rx_addr[i].u;
        int n = recvmmsg(ep->fd, w->rx, AGW_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) break;
        for (int i = 0; i < n; i++) {
            agw_addr_t *src = &w->rx_addr[i];
            src->len = w->rx[i].msg_hdr.msg_namelen;
            rx_one(w, ep, w->rx_buf + (size_t)i * AGW_BUFSZ, w->rx[i].msg_len, src,
                   (w->rx[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
        }
        tx_flush_all(w);
        if (n < AGW_BATCH) break;
    }
}

/* ---- timers -------------------------------------------------------------------------------- */

void agw_worker_hs_arm(agw_worker_t *w, agw_term_t *t)
{
    if (!agw_list_linked(&t->u.w3.hs_link)) agw_list_add(&w->hs, &t->u.w3.hs_link);
}

void agw_worker_hs_disarm(agw_worker_t *w, agw_term_t *t)
{
    if (agw_list_linked(&t->u.w3.hs_link)) agw_list_del(&t->u.w3.hs_link);
}

static void hs_tick(agw_worker_t *w)
{
    agw_link_t *l = w->hs.next;
    while (l != &w->hs) {
        agw_link_t *next = l->next; /* the timer may disarm this one */
        agw_term_t *t = agw_container_of(l, agw_term_t, u.w3.hs_link);
        agw_w3_dtls_timer(w, t, w->now);
        l = next;
    }
}

static bool receives(agw_mode_t m)
{
    return m == AGW_MODE_SENDRECV || m == AGW_MODE_RECVONLY;
}

static void housekeeping(agw_worker_t *w)
{
    unsigned no_media = agw_media_cfg(w->m)->no_media_timeout_ms;
    for (agw_link_t *l = w->terms.next; l != &w->terms; l = l->next) {
        agw_term_t *t = agw_container_of(l, agw_term_t, link);
        if (t->kind == AGW_TERM_W3) agw_w3_housekeeping(w, t, w->now);
        if (no_media && !t->no_media_reported && receives(t->mode) &&
            w->now - t->last_media >= (int64_t)no_media) {
            t->no_media_reported = true;
            agw_worker_event(w, t, AGW_EV_NO_MEDIA, NULL, NULL, NULL,
                             (unsigned)(w->now - t->last_media));
        }
    }
}

/* ---- commands from the main thread --------------------------------------------------------- */

static void wake(agw_worker_t *w)
{
    w->wake_pending = false;
    uint64_t one = 1;
    while (write(w->evfd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

/* Queues a command and wakes the worker if needed. The eventfd is written only when the queue
 * was empty: the worker reads the eventfd first and then pops until the queue is empty, so a
 * command pushed behind others is taken in the same turn. A post while deferring leaves the
 * wake-up to agw_worker_flush(); a command that waits wakes the worker for what is pending. */
static void push(agw_worker_t *w, agw_cmd_t *cmd, bool waits)
{
    g_mutex_lock(&w->lock);
    bool was_empty = g_queue_is_empty(&w->cmds);
    g_queue_push_tail(&w->cmds, cmd);
    g_mutex_unlock(&w->lock);
    if (waits) {
        if (was_empty || w->wake_pending) wake(w);
    } else if (was_empty) {
        if (w->deferring)
            w->wake_pending = true;
        else
            wake(w);
    }
}

void agw_worker_defer(agw_worker_t *w)
{
    w->deferring = true;
}

static void do_nothing(agw_worker_t *w, void *arg)
{
}

void agw_worker_flush(agw_worker_t *w, bool wait)
{
    w->deferring = false;
    if (wait && w->unsynced)
        agw_worker_call(w, do_nothing, NULL); /* wakes it if needed; FIFO: all posts done */
    else if (w->wake_pending)
        wake(w);
}

void agw_worker_call(agw_worker_t *w, agw_worker_fn fn, void *arg)
{
    if (g_thread_self() == w->thread) {
        fn(w, arg);
        return;
    }
    agw_cmd_t cmd = {fn, arg, 0, false};
    w->calls++;
    w->unsynced = false; /* commands run in order: every earlier post is done when this is */
    push(w, &cmd, true);
    /* a futex on the command itself: one wait and one wake, no mutex to take back after it */
    while (!__atomic_load_n(&cmd.done, __ATOMIC_ACQUIRE))
        syscall(SYS_futex, &cmd.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

void agw_worker_post(agw_worker_t *w, agw_worker_fn fn, const void *arg, size_t len)
{
    agw_cmd_t *cmd = g_malloc(sizeof *cmd + len);
    memcpy(cmd->copy, arg, len);
    if (g_thread_self() == w->thread) {
        fn(w, cmd->copy);
        g_free(cmd);
        return;
    }
    cmd->fn = fn;
    cmd->arg = cmd->copy;
    cmd->done = 0;
    cmd->posted = true;
    w->posts++;
    w->unsynced = true;
    push(w, cmd, false);
}

static void run_commands(agw_worker_t *w)
{
    uint64_t v;
    while (read(w->evfd, &v, sizeof v) < 0 && errno == EINTR) {
    }
    for (;;) {
        g_mutex_lock(&w->lock);
        agw_cmd_t *cmd = g_queue_pop_head(&w->cmds);
        g_mutex_unlock(&w->lock);
        if (!cmd) break;
        refresh_clock(w);
        cmd->fn(w, cmd->arg);
        if (cmd->posted) {
            g_free(cmd);
            continue;
        }
        uint32_t *done = &cmd->done; /* cmd lives on the waiter's stack: last touch */
        __atomic_store_n(done, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

bool agw_worker_watch(agw_worker_t *w, agw_term_t *t)
{
    for (unsigned i = 0; w->ur && i < t->nep; i++) {
        if (!agw_uring_watch(w->ur, &t->ep[i])) {
            while (i-- > 0)
                agw_uring_unwatch(w->ur, &t->ep[i]);
            return false;
        }
    }
    for (unsigned i = 0; !w->ur && i < t->nep; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->ep[i]};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, t->ep[i].fd, &ev) < 0) {
            while (i-- > 0)
                epoll_ctl(w->epfd, EPOLL_CTL_DEL, t->ep[i].fd, NULL);
            return false;
        }
    }
    t->created = t->last_media = w->now;
    t->watched = true;
    agw_list_add(&w->terms, &t->link);
    return true;
}

void agw_worker_unwatch(agw_worker_t *w, agw_term_t *t)
{
    if (!t->watched) return;
    t->watched = false;
    for (unsigned i = 0; !w->ur && i < t->nep; i++) /* epoll: events of this turn to skip */
        g_ptr_array_add(w->gone, &t->ep[i]);
    for (unsigned i = 0; i < t->nep; i++) {
        if (w->ur)
            agw_uring_unwatch(w->ur, &t->ep[i]);
        else
            epoll_ctl(w->epfd, EPOLL_CTL_DEL, t->ep[i].fd, NULL);
    }
    agw_list_del(&t->link);
    if (t->kind == AGW_TERM_W3) agw_worker_hs_disarm(w, t);
}

static void do_stop(agw_worker_t *w, void *arg)
{
    w->stop = true;
}

/* ---- the thread ---------------------------------------------------------------------------- */

/* The io_uring ring is created on the worker's own thread (IORING_SETUP_SINGLE_ISSUER). */
static void start_io(agw_worker_t *w)
{
    const char *why = NULL;
    if (w->io_wanted != AGW_IO_EPOLL) w->ur = agw_uring_new(AGW_URING_BUFS, w->evfd, &why);
    if (!w->ur && w->io_wanted == AGW_IO_URING)
        g_strlcpy(w->io_error, why ? why : "io_uring not available", sizeof w->io_error);
    else if (!w->ur && w->io_wanted == AGW_IO_AUTO && w->index == 0)
        LOGN(RT_SUB_RTP, NULL, "media I/O: %s, using epoll", why);
    g_mutex_lock(&w->lock);
    w->started = true;
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
}

static void timers(agw_worker_t *w)
{
    if (agw_list_linked(&w->hs) && w->now >= w->next_hs) {
        hs_tick(w);
        w->next_hs = w->now + AGW_HS_TICK_MS;
    }
    if (w->now >= w->next_hk) {
        housekeeping(w);
        w->next_hk = w->now + AGW_HK_TICK_MS;
    }
}

/* Commands when the eventfd fired, before the datagrams that came after it. */
static void commands_now(void *ud)
{
    agw_worker_t *w = ud;
    if (w->ur) agw_uring_submit(w->ur); /* queued sends go before a socket may close */
    run_commands(w);
}

static bool was_unwatched(const agw_worker_t *w, const void *ep)
{
    for (unsigned i = 0; i < w->gone->len; i++)
        if (w->gone->pdata[i] == ep) return true;
    return false;
}

static gpointer run(gpointer p)
{
    agw_worker_t *w = p;
    struct epoll_event evs[128];
    start_io(w);
    if (w->io_error[0]) return NULL;
    refresh_clock(w);
    w->next_hk = w->now + AGW_HK_TICK_MS;
    while (!w->stop) {
        int64_t timeout = w->next_hk - w->now;
        if (agw_list_linked(&w->hs) && w->next_hs - w->now < timeout) timeout = w->next_hs - w->now;
        if (timeout < 0) timeout = 0;
        if (w->ur) {
            unsigned failed = 0, nr = 1;
            if (w->busy) {
                nr = AGW_URING_WAIT_NR;
                if (timeout > AGW_URING_WAIT_MS) timeout = AGW_URING_WAIT_MS;
            }
            w->busy = agw_uring_run(w->ur, nr, (int)timeout, rx_one, commands_now, w, &failed) > 0;
            if (failed) AGW_CNT_ADD(w->cnt.dropped[AGW_DROP_SEND], failed);
            refresh_clock(w);
        } else {
            int n = epoll_wait(w->epfd, evs, G_N_ELEMENTS(evs), (int)timeout);
            refresh_clock(w);
            g_ptr_array_set_size(w->gone, 0);
            /* in the order they became ready: the commands where the eventfd is, and then no
             * event of a socket a command unwatched (its termination may be freed already) */
            for (int i = 0; i < n; i++) {
                if (evs[i].data.ptr == NULL)
                    commands_now(w);
                else if (!was_unwatched(w, evs[i].data.ptr))
                    on_readable(w, evs[i].data.ptr);
            }
        }
        timers(w);
    }
    agw_uring_free(w->ur);
    w->ur = NULL;
    return NULL;
}

/* After the thread has ended (or never started its loop). */
static void release(agw_worker_t *w)
{
    g_thread_join(w->thread);
    close(w->epfd);
    close(w->evfd);
    g_mutex_clear(&w->lock);
    g_cond_clear(&w->cond);
    g_ptr_array_unref(w->gone);
    g_free(w->rx_buf);
    g_free(w);
}

agw_worker_t *agw_worker_new(agw_media_t *m, unsigned index, agw_io_t io, GError **err)
{
    agw_worker_t *w = g_new0(agw_worker_t, 1);
    w->m = m;
    w->index = index;
    w->io_wanted = io;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->epfd < 0 || w->evfd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "epoll/eventfd: %s",
                    g_strerror(errno));
        if (w->epfd >= 0) close(w->epfd);
        if (w->evfd >= 0) close(w->evfd);
        g_free(w);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
    g_mutex_init(&w->lock);
    g_cond_init(&w->cond);
    g_queue_init(&w->cmds);
    w->gone = g_ptr_array_new();
    agw_list_init(&w->terms);
    agw_list_init(&w->hs);
    w->rx_buf = g_malloc((size_t)AGW_BATCH * AGW_BUFSZ);
    for (unsigned i = 0; i < AGW_BATCH; i++) {
        w->rx_iov[i].iov_base = w->rx_buf + (size_t)i * AGW_BUFSZ;
        w->rx_iov[i].iov_len = AGW_RX_MAX;
        w->rx[i].msg_hdr.msg_iov = &w->rx_iov[i];
        w->rx[i].msg_hdr.msg_iovlen = 1;
        w->rx[i].msg_hdr.msg_name = &w->rx_addr[i].u;
    }
    w->tx[0].fd = w->tx[1].fd = -1;
    char name[16];
    snprintf(name, sizeof name, "agw-media-%u", index);
    w->thread = g_thread_new(name, run, w);
    g_mutex_lock(&w->lock);
    while (!w->started)
        g_cond_wait(&w->cond, &w->lock);
    g_mutex_unlock(&w->lock);
    if (w->io_error[0]) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "media.io = io_uring: %s", w->io_error);
        release(w);
        return NULL;
    }
    return w;
}

void agw_worker_free(agw_worker_t *w)
{
    if (!w) return;
    agw_worker_call(w, do_stop, NULL);
    release(w);
}
