/* WebSocket connections over libmicrohttpd's upgraded sockets, driven by the GLib loop. */
#include "wtpf/ws_conn.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/log.h"
#include "ws/frame.h"

#define SCRATCH_SIZE 16384

typedef enum {
    WS_ST_OPEN,
    WS_ST_CLOSING, /* our Close is sent; waiting for the peer's (RFC 6455 §7.1.2) */
    WS_ST_CLOSED,  /* the closing handshake is over (or failed): flush, then drop the link */
} ws_state;

struct ws_conn {
    ws_hub *hub;
    struct MHD_UpgradeResponseHandle *urh;
    int fd;
    char peer[64];
    ws_state state;
    bool dead;     /* the link is released; freed by the reaper */
    bool notified; /* on_closed was called */
    ws_conn_cbs cbs;
    void *ud;
    ws_reader reader;
    GByteArray *rbuf; /* bytes of an incomplete frame */
    GByteArray *wbuf; /* queued output, wbuf_off bytes of it already sent */
    gsize wbuf_off;
    bool watched;                             /* registered in the hub's epoll set */
    bool want_out;                            /* EPOLLOUT asked for: output is waiting */
    gint64 last_rx, last_ping, closing_since; /* monotonic seconds */
    GList link;                               /* in hub->conns */
};

struct ws_hub {
    ws_hub_cfg cfg;
    rt_metrics_t *metrics;
    rt_httpd_t *httpd;
    GQueue conns; /* live connections (ws_conn.link) */
    /* One epoll set for every connection, one GLib watch on it: GLib's own loop costs O(sources)
     * per iteration, which 10,000 sockets would make the main cost. */
    int epfd;
    guint ep_id;
    GSList *dead; /* released, freed by the reaper */
    guint reap_id, sweep_id;
    uint8_t scratch[SCRATCH_SIZE];
};

static gint64 now_s(void)
{
    return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static void close_metric(ws_hub *h, unsigned code)
{
    if (!h->metrics) return;
    char labels[32];
    /* peers choose codes 3000-4999 freely: one series for them all */
    if (code >= 3000)
        g_snprintf(labels, sizeof labels, "code=\"other\"");
    else
        g_snprintf(labels, sizeof labels, "code=\"%u\"", code);
    rt_metrics_add(h->metrics, "ws_closes_total", labels, 1);
}

static void notify_closed(ws_conn *c, unsigned code, const char *reason)
{
    if (c->notified) return;
    c->notified = true;
    close_metric(c->hub, code);
    if (c->cbs.on_closed) c->cbs.on_closed(c, code, reason, c->ud);
}

static gboolean reap(gpointer ud)
{
    ws_hub *h = ud;
    h->reap_id = 0;
    for (GSList *l = h->dead; l; l = l->next) {
        ws_conn *c = l->data;
        ws_reader_clear(&c->reader);
        g_byte_array_unref(c->rbuf);
        g_byte_array_unref(c->wbuf);
        g_free(c);
    }
    g_slist_free(h->dead);
    h->dead = NULL;
    return G_SOURCE_REMOVE;
}

/* Releases the link: watches off, MHD closes the socket, memory freed from an idle callback so
 * that callers up the stack may still read the flags. */
static void teardown(ws_conn *c, unsigned code, const char *reason)
{
    if (c->dead) return;
    c->dead = true;
    if (c->watched) epoll_ctl(c->hub->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    c->watched = false;
    ws_hub *h = c->hub;
    g_queue_unlink(&h->conns, &c->link);
    notify_closed(c, code, reason);
    LOGD(RT_SUB_WS, NULL, "%s: connection released (%u %s)", c->peer, code, reason);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    if (h->httpd) rt_httpd_kick(h->httpd);
    h->dead = g_slist_prepend(h->dead, c);
    if (!h->reap_id) h->reap_id = g_idle_add(reap, h);
}

static void want_out(ws_conn *c, bool on)
{
    if (c->want_out == on || !c->watched) return;
    c->want_out = on;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->hub->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what the socket takes; returns false when the connection was torn down. */
static bool flush(ws_conn *c)
{
    while (c->wbuf_off < c->wbuf->len) {
        ssize_t n = send(c->fd, c->wbuf->data + c->wbuf_off, c->wbuf->len - c->wbuf_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want_out(c, true);
            return true;
        }
        if (n <= 0) {
            teardown(c, WS_CLOSE_ABNORMAL, "write failed");
            return false;
        }
        c->wbuf_off += (gsize)n;
    }
    if (c->wbuf->len > 16384) { /* do not pin a big buffer on an idle connection */
        g_byte_array_unref(c->wbuf);
        c->wbuf = g_byte_array_new();
    } else {
        g_byte_array_set_size(c->wbuf, 0);
    }
    c->wbuf_off = 0;
    want_out(c, false);
    /* RFC 6455 §7.1.1: once the handshake is over the server closes the TCP link first. */
    if (c->state == WS_ST_CLOSED) {
        teardown(c, WS_CLOSE_NORMAL, "closed");
        return false;
    }
    return true;
}

static bool queue_frame(ws_conn *c, ws_opcode op, const void *data, size_t len)
{
    if (c->wbuf->len - c->wbuf_off + len > c->hub->cfg.send_buffer_max) {
        LOGW(RT_SUB_WS, NULL, "%s: send buffer full (%u bytes); dropping the client", c->peer,
             c->wbuf->len);
        teardown(c, WS_CLOSE_POLICY, "send buffer full");
        return false;
    }
    ws_frame_append(c->wbuf, true, op, data, len, NULL);
    return true;
}

/* Sends our Close. fail: the connection is failed (§7.1.7), no wait for the peer's Close. */
static void send_close(ws_conn *c, unsigned code, const char *reason, bool fail)
{
    if (c->state != WS_ST_OPEN) return;
    GByteArray *f = g_byte_array_new();
    ws_close_append(f, code, reason, NULL);
    if (c->wbuf->len - c->wbuf_off + f->len <= c->hub->cfg.send_buffer_max + 256)
        g_byte_array_append(c->wbuf, f->data, f->len);
    g_byte_array_unref(f);
    c->state = fail ? WS_ST_CLOSED : WS_ST_CLOSING;
    c->closing_since = now_s();
    notify_closed(c, code, reason);
    flush(c);
}

bool ws_conn_send_text(ws_conn *c, const char *text, size_t len)
{
    if (c->dead || c->state != WS_ST_OPEN) return false;
    if (!queue_frame(c, WS_OP_TEXT, text, len)) return false;
    return flush(c);
}

void ws_conn_close(ws_conn *c, unsigned code, const char *reason)
{
    if (c->dead) return;
    send_close(c, code, reason, false);
}

const char *ws_conn_peer(const ws_conn *c)
{
    return c->peer;
}

void ws_conn_set_ud(ws_conn *c, void *ud)
{
    c->ud = ud;
}

/* One decoded frame or message; returns false when reading must stop. */
static bool handle(ws_conn *c, const ws_message *m)
{
    switch (m->kind) {
    case WS_MSG_NONE:
        return true;
    case WS_MSG_TEXT:
        if (c->state == WS_ST_OPEN && c->cbs.on_text)
            c->cbs.on_text(c, (const char *)m->data, m->len, c->ud);
        return !c->dead && c->state != WS_ST_CLOSED;
    case WS_MSG_BINARY:
        LOGI(RT_SUB_WS, NULL, "%s: binary message refused", c->peer);
        send_close(c, WS_CLOSE_UNSUPPORTED_DATA, "binary messages are not supported", true);
        return false;
    case WS_MSG_PING:
        /* RFC 6455 §5.5.2: a Pong with the Ping's payload */
        if (c->state == WS_ST_OPEN) {
            if (!queue_frame(c, WS_OP_PONG, m->data, m->len)) return false;
            return flush(c);
        }
        return true;
    case WS_MSG_PONG:
        return true;
    case WS_MSG_CLOSE: {
        if (c->state == WS_ST_CLOSING) { /* the answer to ours */
            c->state = WS_ST_CLOSED;
            flush(c);
            return false;
        }
        /* RFC 6455 §5.5.1: echo the status code (an empty Close when the peer sent none). */
        unsigned code = m->close_code == WS_CLOSE_NO_STATUS ? 0 : m->close_code;
        char reason[WS_MAX_CLOSE_REASON + 1];
        size_t rl = MIN(m->close_reason_len, (size_t)WS_MAX_CLOSE_REASON);
        memcpy(reason, m->close_reason ? m->close_reason : "", rl);
        reason[rl] = '\0';
        LOGD(RT_SUB_WS, NULL, "%s: peer closes (%u %s)", c->peer, m->close_code, reason);
        notify_closed(c, m->close_code, reason);
        GByteArray *f = g_byte_array_new();
        ws_close_append(f, code, NULL, NULL);
        g_byte_array_append(c->wbuf, f->data, f->len);
        g_byte_array_unref(f);
        c->state = WS_ST_CLOSED;
        flush(c);
        return false;
    }
    }
    return true;
}

/* Feeds received bytes to the reader; returns false when the connection stops reading. */
static bool process(ws_conn *c, const uint8_t *data, size_t len)
{
    const uint8_t *p = data;
    size_t n = len;
    if (c->rbuf->len) {
        g_byte_array_append(c->rbuf, data, (guint)len);
        p = c->rbuf->data;
        n = c->rbuf->len;
    }
    size_t off = 0;
    bool go = true;
    while (go && off < n) {
        size_t used = 0;
        ws_message m;
        ws_error err;
        ws_status st = ws_reader_feed(&c->reader, p + off, n - off, &used, &m, &err);
        if (st == WS_NEED_MORE) break;
        if (st == WS_ERROR) {
            LOGI(RT_SUB_WS, NULL, "%s: protocol error: %s (close %u)", c->peer, err.reason,
                 err.close_code);
            if (c->state == WS_ST_OPEN)
                send_close(c, err.close_code, err.reason, true);
            else
                teardown(c, err.close_code, err.reason);
            return false;
        }
        off += used;
        go = handle(c, &m);
    }
    if (!go || c->dead) return false;
    if (p == c->rbuf->data) {
        g_byte_array_remove_range(c->rbuf, 0, (guint)off);
        /* Keep idle connections small: a buffer that grew for one big message is given back. */
        if (c->rbuf->len == 0 && n > 4096) {
            g_byte_array_unref(c->rbuf);
            c->rbuf = g_byte_array_new();
        }
    } else if (off < n) {
        g_byte_array_append(c->rbuf, p + off, (guint)(n - off));
    }
    return true;
}

static void on_readable(ws_conn *c)
{
    ws_hub *h = c->hub;
    for (int round = 0; round < 8; round++) {
        ssize_t n = recv(c->fd, h->scratch, sizeof h->scratch, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            teardown(c, WS_CLOSE_ABNORMAL, n == 0 ? "connection closed by peer" : "read error");
            return;
        }
        c->last_rx = now_s();
        if (c->state == WS_ST_CLOSED) continue; /* draining until the link goes */
        if (!process(c, h->scratch, (size_t)n)) break;
        if ((size_t)n < sizeof h->scratch) break;
    }
}

/* The hub's epoll set is readable: serve a batch of ready connections. Torn-down connections
 * stay allocated until the reaper runs (an idle callback), so later events of the batch that
 * name them are skipped by their flag. */
static gboolean on_epoll(gint fd, GIOCondition cond, gpointer ud)
{
    ws_hub *h = ud;
    struct epoll_event evs[128];
    int n = epoll_wait(h->epfd, evs, G_N_ELEMENTS(evs), 0);
    for (int i = 0; i < n; i++) {
        ws_conn *c = evs[i].data.ptr;
        if (c->dead) continue;
        if (evs[i].events & EPOLLOUT) flush(c);
        if (!c->dead && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
    }
    return G_SOURCE_CONTINUE;
}

void ws_conn_feed(ws_conn *c, const char *data, size_t len)
{
    if (!c->dead && c->state != WS_ST_CLOSED && len) process(c, (const uint8_t *)data, len);
}

ws_conn *ws_hub_adopt(ws_hub *h, struct MHD_UpgradeResponseHandle *urh, int fd, const char *extra,
                      size_t extra_len, const char *peer, const ws_conn_cbs *cbs, void *ud)
{
    ws_conn *c = g_new0(ws_conn, 1);
    c->hub = h;
    c->urh = urh;
    c->fd = fd;
    /* WIC messages are small and interactive: without TCP_NODELAY, Nagle holds a message until
     * the browser's delayed ACK (~40 ms per call set-up, seen in e2e captures). The fd is a
     * socketpair under HTTPS, where this fails harmlessly. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g_strlcpy(c->peer, peer ? peer : "?", sizeof c->peer);
    c->cbs = *cbs;
    c->ud = ud;
    c->state = WS_ST_OPEN;
    ws_reader_init(&c->reader, WS_READ_CLIENT_FRAMES, h->cfg.max_message);
    c->rbuf = g_byte_array_new();
    c->wbuf = g_byte_array_new();
    c->last_rx = c->last_ping = now_s();
    c->link.data = c;
    g_queue_push_tail_link(&h->conns, &c->link);
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    c->watched = epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
    if (!c->watched) LOGE(RT_SUB_WS, NULL, "%s: epoll_ctl: %s", c->peer, g_strerror(errno));
    if (extra_len) process(c, (const uint8_t *)extra, extra_len);
    return c;
}

/* Once a second: ping quiet peers, drop dead ones, end stalled closing handshakes. */
static gboolean sweep(gpointer ud)
{
    ws_hub *h = ud;
    gint64 now = now_s();
    GList *next;
    for (GList *l = h->conns.head; l; l = next) {
        next = l->next;
        ws_conn *c = l->data;
        if (c->state != WS_ST_OPEN) {
            if (now - c->closing_since >= (gint64)h->cfg.close_timeout)
                teardown(c, WS_CLOSE_ABNORMAL, "closing handshake timed out");
            continue;
        }
        gint64 quiet = now - c->last_rx;
        if (h->cfg.idle_timeout && quiet >= (gint64)h->cfg.idle_timeout) {
            LOGI(RT_SUB_WS, NULL, "%s: no traffic for %" G_GINT64_FORMAT " s", c->peer, quiet);
            send_close(c, WS_CLOSE_GOING_AWAY, "idle timeout", true);
            continue;
        }
        if (h->cfg.ping_interval && quiet >= (gint64)h->cfg.ping_interval &&
            now - c->last_ping >= (gint64)h->cfg.ping_interval) {
            c->last_ping = now;
            if (queue_frame(c, WS_OP_PING, "wtpf", 4)) flush(c);
        }
    }
    return G_SOURCE_CONTINUE;
}

static void collect(rt_metrics_t *m, void *ud)
{
    rt_metrics_set(m, "ws_connections", NULL, ws_hub_count(ud));
}

ws_hub *ws_hub_new(const ws_hub_cfg *cfg, rt_metrics_t *metrics)
{
    ws_hub *h = g_new0(ws_hub, 1);
    h->cfg = *cfg;
    if (!h->cfg.close_timeout) h->cfg.close_timeout = 2;
    h->metrics = metrics;
    g_queue_init(&h->conns);
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->ep_id = g_unix_fd_add(h->epfd, G_IO_IN, on_epoll, h);
    h->sweep_id = g_timeout_add_seconds(1, sweep, h);
    if (metrics) {
        rt_metrics_define(metrics, "ws_connections", "gauge", "open WebSocket connections");
        rt_metrics_define(metrics, "ws_closes_total", "counter",
                          "WebSocket connections closed, by close code (1006: link lost)");
        rt_metrics_add_collector(metrics, collect, h);
    }
    return h;
}

void ws_hub_set_httpd(ws_hub *h, rt_httpd_t *httpd)
{
    h->httpd = httpd;
}

unsigned ws_hub_count(const ws_hub *h)
{
    return h->conns.length;
}

void ws_hub_close_all(ws_hub *h, unsigned code, const char *reason)
{
    GList *next;
    for (GList *l = h->conns.head; l; l = next) {
        next = l->next;
        ws_conn *c = l->data;
        if (c->state == WS_ST_OPEN) send_close(c, code, reason, true);
    }
}

void ws_hub_free(ws_hub *h)
{
    if (!h) return;
    while (h->conns.head) {
        ws_conn *c = h->conns.head->data;
        if (c->state == WS_ST_OPEN) send_close(c, WS_CLOSE_GOING_AWAY, "server stopping", true);
        if (!c->dead) teardown(c, WS_CLOSE_GOING_AWAY, "server stopping");
    }
    if (h->reap_id) g_source_remove(h->reap_id);
    reap(h);
    g_source_remove(h->sweep_id);
    g_source_remove(h->ep_id);
    close(h->epfd);
    g_free(h);
}
