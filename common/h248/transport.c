/* H.248 over UDP: reliability per H.248.1 Annex D.1 (see transport.h). Outgoing transactions
 * and incoming ones (with their cached replies) live in two tables owned here; each record is
 * freed by out_free()/in_free() only, which also stop its timers.
 *
 * Timers: the shared timer queues (runtime/timerq.h), one queue per kind; the request deadline
 * and the Pending period have fixed delays (FIFOs), retransmissions are ordered by due time
 * (back-off only when datagrams get lost). Addresses are kept native (sockaddr_in) and datagrams go
 * through sendto()/recvmmsg(): no GLib timer, GSocketAddress or address string per transaction on
 * the normal path. */
#define _GNU_SOURCE /* recvmmsg */
#include "h248/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/log.h"
#include "runtime/timerq.h"

/* The timer queues, expired in this order at each tick. */
enum { Q_RETRY, Q_PENDING, Q_DEADLINE, Q_COUNT };

typedef struct {
    h248_tp_t *tp;
    uint32_t tid;
    GString *text;
    struct sockaddr_in peer;
    h248_tp_reply_cb cb;
    void *ud;
    rt_timer_t retry, deadline;
    unsigned interval_ms;
} out_t;

typedef enum { IN_PROGRESS, IN_REPLIED } in_state_t;

struct h248_tp_req {
    h248_tp_t *tp;
    gchar *key; /* "ip:port/tid" */
    gchar *peer_text, *addr_text;
    unsigned port;
    struct sockaddr_in peer;
    uint32_t tid;
    in_state_t state;
    GString *reply; /* cached reply text */
    rt_timer_t pending;
    gint64 expires_us; /* IN_REPLIED: when the cached reply is dropped */
};

struct h248_tp {
    h248_tp_cfg_t cfg;
    gchar *mid, *address;
    GSocket *sock;
    GSource *src;
    h248_tp_request_cb on_request;
    void *ud;
    GHashTable *out; /* tid -> out_t */
    GHashTable *in;  /* key -> h248_tp_req_t */
    GQueue *expiry;  /* keys of replied requests, oldest first */
    guint sweep_timer;
    rt_timerq_t *timers; /* every record's timers, Q_* queues */
    uint32_t next_tid;
    rt_metrics_t *metrics;
    struct rx_batch *rx; /* receive buffers, see on_readable() */
};

static void count(h248_tp_t *tp, const char *name, const char *labels)
{
    if (tp->metrics) rt_metrics_add(tp->metrics, name, labels, 1);
}

/* IPv4 literal -> sockaddr_in (the socket is IPv4 only). */
static bool native_addr(const char *address, unsigned port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    return port <= 65535 && inet_pton(AF_INET, address, &out->sin_addr) == 1;
}

static void send_text(h248_tp_t *tp, const struct sockaddr_in *to, const char *text, size_t len)
{
    if (sendto(g_socket_get_fd(tp->sock), text, len, 0, (const struct sockaddr *)to, sizeof *to) <
        0) {
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &to->sin_addr, ip, sizeof ip);
        LOGW(RT_SUB_IQ, NULL, "send to %s:%u failed: %s", ip, ntohs(to->sin_port),
             g_strerror(errno));
    }
}

/* ---- timers ---- */

static void ms_timer(h248_tp_t *tp, rt_timer_t *tm, int q, void *record, unsigned ms)
{
    rt_timer_start(tp->timers, tm, (unsigned)q, record, (gint64)ms * 1000);
}

static GString *print_msg(h248_tp_t *tp, const h248_message *m)
{
    h248_print_opts o = {.short_tokens = tp->cfg.short_tokens, .compact = false};
    GString *s = g_string_new(NULL);
    if (!h248_print(m, &o, s)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return s;
}

/* ---- outgoing requests ---- */

static void out_free(gpointer p)
{
    out_t *o = p;
    rt_timer_stop(o->tp->timers, &o->retry);
    rt_timer_stop(o->tp->timers, &o->deadline);
    g_string_free(o->text, TRUE);
    g_free(o);
}

static void on_retry(void *record)
{
    out_t *o = record;
    /* Annex D.1.2: retransmit with exponential back-off until a reply or Pending comes. */
    send_text(o->tp, &o->peer, o->text->str, o->text->len);
    count(o->tp, "iq_retransmissions_total", NULL);
    LOGD(RT_SUB_IQ, NULL, "retransmit transaction %u", o->tid);
    o->interval_ms = MIN(o->interval_ms * 2, o->tp->cfg.retry_max_ms);
    ms_timer(o->tp, &o->retry, Q_RETRY, o, o->interval_ms);
}

static void on_deadline(void *record)
{
    out_t *o = record;
    h248_tp_t *tp = o->tp;
    LOGW(RT_SUB_IQ, NULL, "transaction %u: no reply in time", o->tid);
    count(tp, "iq_timeouts_total", NULL);
    h248_tp_reply_cb cb = o->cb;
    void *cud = o->ud;
    g_hash_table_remove(tp->out, GUINT_TO_POINTER(o->tid));
    if (cb) cb(NULL, NULL, cud);
}

uint32_t h248_tp_request(h248_tp_t *tp, const char *address, unsigned port, h248_message *msg,
                         h248_tp_reply_cb cb, void *ud)
{
    uint32_t tid = tp->next_tid++;
    if (tp->next_tid == 0 || tp->next_tid > 0xfffffff0u) tp->next_tid = 1;
    if (msg->transactions->len > 0) ((h248_transaction *)msg->transactions->pdata[0])->id = tid;
    GString *text = print_msg(tp, msg);
    h248_message_free(msg);
    struct sockaddr_in peer;
    bool addr_ok = address && native_addr(address, port, &peer);
    if (!text || !addr_ok) {
        LOGE(RT_SUB_IQ, NULL, "cannot send request to %s:%u (%s)", address ? address : "?", port,
             text ? "bad address" : "unprintable message");
        if (text) g_string_free(text, TRUE);
        return 0;
    }
    out_t *o = g_new0(out_t, 1);
    o->tp = tp;
    o->tid = tid;
    o->text = text;
    o->peer = peer;
    o->cb = cb;
    o->ud = ud;
    o->interval_ms = tp->cfg.retry_first_ms;
    g_hash_table_insert(tp->out, GUINT_TO_POINTER(tid), o);
    send_text(tp, &o->peer, text->str, text->len);
    count(tp, "iq_messages_total", "direction=\"out\",kind=\"request\"");
    ms_timer(tp, &o->retry, Q_RETRY, o, o->interval_ms);
    ms_timer(tp, &o->deadline, Q_DEADLINE, o, tp->cfg.request_timeout_ms);
    return tid;
}

void h248_tp_cancel(h248_tp_t *tp, uint32_t tid)
{
    out_t *o = g_hash_table_lookup(tp->out, GUINT_TO_POINTER(tid));
    if (o) o->cb = NULL;
}

static void on_reply(h248_tp_t *tp, const struct sockaddr_in *from, const h248_message *m,
                     const h248_transaction *t)
{
    count(tp, "iq_messages_total", "direction=\"in\",kind=\"reply\"");
    if (t->imm_ack_required) {
        /* H.248.1 §7.2.10 / Annex D.1.4: acknowledge at once when asked to. */
        h248_message *ack = h248_message_new(tp->cfg.version, tp->mid);
        h248_message_add_response_ack(ack, t->id, t->id);
        GString *s = print_msg(tp, ack);
        if (s) send_text(tp, from, s->str, s->len);
        if (s) g_string_free(s, TRUE);
        h248_message_free(ack);
    }
    out_t *o = g_hash_table_lookup(tp->out, GUINT_TO_POINTER(t->id));
    if (!o) {
        LOGD(RT_SUB_IQ, NULL, "reply %u matches no pending request (duplicate?)", t->id);
        return;
    }
    h248_tp_reply_cb cb = o->cb;
    void *ud = o->ud;
    g_hash_table_steal(tp->out, GUINT_TO_POINTER(t->id));
    out_free(o);
    if (cb) cb(m, t, ud);
}

static void on_pending(h248_tp_t *tp, const h248_transaction *t)
{
    count(tp, "iq_messages_total", "direction=\"in\",kind=\"pending\"");
    out_t *o = g_hash_table_lookup(tp->out, GUINT_TO_POINTER(t->id));
    if (!o) return;
    /* Annex D.1.2: Pending stops retransmission; the wait starts again. */
    rt_timer_stop(tp->timers, &o->retry);
    ms_timer(tp, &o->deadline, Q_DEADLINE, o, tp->cfg.request_timeout_ms);
}

/* ---- incoming requests ---- */

static void in_free(gpointer p)
{
    h248_tp_req_t *r = p;
    rt_timer_stop(r->tp->timers, &r->pending);
    if (r->reply) g_string_free(r->reply, TRUE);
    g_free(r->key);
    g_free(r->peer_text);
    g_free(r->addr_text);
    g_free(r);
}

static void send_pending(h248_tp_req_t *r)
{
    h248_tp_t *tp = r->tp;
    h248_message *pm = h248_build_pending(tp->cfg.version, tp->mid, r->tid);
    GString *s = print_msg(tp, pm);
    if (s) {
        send_text(tp, &r->peer, s->str, s->len);
        g_string_free(s, TRUE);
    }
    h248_message_free(pm);
    count(tp, "iq_messages_total", "direction=\"out\",kind=\"pending\"");
}

static void on_pending_timer(void *record)
{
    h248_tp_req_t *r = record;
    /* H.248.1 §8.2.3: tell the sender the request is being processed, again every period. */
    send_pending(r);
    ms_timer(r->tp, &r->pending, Q_PENDING, r, r->tp->cfg.pending_after_ms);
}

/* Every cached reply lives for the same reply_cache_ms, so expiries come in reply order: one
 * FIFO of keys swept by one periodic timer, instead of a GLib timer per transaction (tens of
 * thousands of live timers at a few hundred calls/s made the main loop itself the hot spot). */
static gboolean on_sweep(gpointer ud)
{
    h248_tp_t *tp = ud;
    gint64 now = g_get_monotonic_time();
    gchar *key;
    while ((key = g_queue_peek_head(tp->expiry))) {
        h248_tp_req_t *r = g_hash_table_lookup(tp->in, key);
        if (r && r->state == IN_REPLIED && r->expires_us > now) break;
        g_queue_pop_head(tp->expiry);
        /* Gone already (ResponseAck) or reused by a newer request: only drop what expired. */
        if (r && r->state == IN_REPLIED) g_hash_table_remove(tp->in, key); /* in_free */
        g_free(key);
    }
    return G_SOURCE_CONTINUE;
}

void h248_tp_reply(h248_tp_t *tp, h248_tp_req_t *r, h248_message *reply)
{
    GString *s = print_msg(tp, reply);
    h248_message_free(reply);
    if (!s) {
        LOGE(RT_SUB_IQ, NULL, "reply to %u not printable; answering 500", r->tid);
        h248_message *e = h248_build_error_reply(tp->cfg.version, tp->mid, r->tid, 500,
                                                 "Internal software failure");
        s = print_msg(tp, e);
        h248_message_free(e);
    }
    rt_timer_stop(tp->timers, &r->pending);
    r->state = IN_REPLIED;
    r->reply = s;
    send_text(tp, &r->peer, s->str, s->len);
    count(tp, "iq_messages_total", "direction=\"out\",kind=\"reply\"");
    /* Annex D.1.3: keep the reply for LONG-TIMER to answer retransmitted requests. */
    r->expires_us = g_get_monotonic_time() + (gint64)tp->cfg.reply_cache_ms * 1000;
    g_queue_push_tail(tp->expiry, g_strdup(r->key));
}

const char *h248_tp_req_peer(const h248_tp_req_t *r)
{
    return r->peer_text;
}

const char *h248_tp_req_address(const h248_tp_req_t *r)
{
    return r->addr_text;
}

unsigned h248_tp_req_port(const h248_tp_req_t *r)
{
    return r->port;
}

static void on_request_tr(h248_tp_t *tp, const struct sockaddr_in *from, const char *from_ip,
                          const char *from_text, const h248_message *m, const h248_transaction *t)
{
    count(tp, "iq_messages_total", "direction=\"in\",kind=\"request\"");
    gchar *key = g_strdup_printf("%s/%u", from_text, t->id);
    h248_tp_req_t *r = g_hash_table_lookup(tp->in, key);
    if (r) {
        /* Annex D.1.3: a duplicate gets the cached reply, or Pending while in progress. */
        count(tp, "iq_duplicates_total", NULL);
        if (r->state == IN_REPLIED)
            send_text(tp, &r->peer, r->reply->str, r->reply->len);
        else
            send_pending(r);
        g_free(key);
        return;
    }
    r = g_new0(h248_tp_req_t, 1);
    r->tp = tp;
    r->key = key;
    r->peer = *from;
    r->addr_text = g_strdup(from_ip);
    r->port = ntohs(from->sin_port);
    r->peer_text = g_strdup(from_text);
    r->tid = t->id;
    r->state = IN_PROGRESS;
    g_hash_table_insert(tp->in, r->key, r);
    ms_timer(tp, &r->pending, Q_PENDING, r, tp->cfg.pending_after_ms);
    tp->on_request(tp, r, m, t, tp->ud);
}

static void on_response_ack(h248_tp_t *tp, const char *from_text, const h248_transaction *t)
{
    count(tp, "iq_messages_total", "direction=\"in\",kind=\"response_ack\"");
    for (guint i = 0; t->acks && i < t->acks->len; i++) {
        h248_ack_range *a = &g_array_index(t->acks, h248_ack_range, i);
        for (uint64_t id = a->first; id <= a->last && id - a->first < 4096; id++) {
            gchar *key = g_strdup_printf("%s/%u", from_text, (uint32_t)id);
            h248_tp_req_t *r = g_hash_table_lookup(tp->in, key);
            if (r && r->state == IN_REPLIED) g_hash_table_remove(tp->in, key);
            g_free(key);
        }
    }
}

static void on_parse_error(h248_tp_t *tp, const struct sockaddr_in *from, const char *from_text,
                           const h248_parse_error *pe)
{
    count(tp, "iq_parse_errors_total", NULL);
    LOGW(RT_SUB_IQ, NULL, "malformed message from %s at line %u col %u: %s (error %u)", from_text,
         pe->line, pe->column, pe->text, pe->code);
    h248_message *e;
    unsigned version = pe->version >= 1 && pe->version <= 3 ? pe->version : tp->cfg.version;
    if (pe->has_tid && pe->trans_kind == H248_TR_REQUEST)
        e = h248_build_error_reply(version, tp->mid, pe->tid, pe->code, pe->text);
    else if (pe->has_tid)
        return; /* a broken reply or pending: nothing to answer (answers are never answered) */
    else
        e = h248_build_message_error(version, tp->mid, pe->code, pe->text);
    GString *s = print_msg(tp, e);
    if (s) {
        send_text(tp, from, s->str, s->len);
        g_string_free(s, TRUE);
    }
    h248_message_free(e);
}

/* Datagrams taken per recvmmsg(): the loop stops as soon as a call returns fewer, so the
 * usual wake-up (one datagram) costs one syscall, not a recvfrom() plus one that fails with
 * EAGAIN. */
#define RX_BATCH 4
#define RX_MAX 65536

struct rx_batch {
    struct mmsghdr h[RX_BATCH];
    struct iovec iov[RX_BATCH];
    struct sockaddr_storage from[RX_BATCH];
    char buf[RX_BATCH][RX_MAX];
};

static void on_datagram(h248_tp_t *tp, char *buf, size_t len, const struct sockaddr_storage *ss,
                        socklen_t sl);

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer ud)
{
    h248_tp_t *tp = ud;
    int fd = g_socket_get_fd(sock);
    struct rx_batch *rx = tp->rx;
    for (int rounds = 0; rounds < 64 / RX_BATCH; rounds++) {
        for (int i = 0; i < RX_BATCH; i++) {
            rx->iov[i] = (struct iovec){.iov_base = rx->buf[i], .iov_len = RX_MAX};
            rx->h[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &rx->from[i],
                                                    .msg_namelen = sizeof rx->from[i],
                                                    .msg_iov = &rx->iov[i],
                                                    .msg_iovlen = 1}};
        }
        int n = recvmmsg(fd, rx->h, RX_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            break; /* EAGAIN: drained */
        }
        for (int i = 0; i < n; i++)
            on_datagram(tp, rx->buf[i], rx->h[i].msg_len, &rx->from[i],
                        rx->h[i].msg_hdr.msg_namelen);
        if (n < RX_BATCH) break;
    }
    (void)cond;
    return G_SOURCE_CONTINUE;
}

static void on_datagram(h248_tp_t *tp, char *buf, size_t len, const struct sockaddr_storage *ss,
                        socklen_t sl)
{
    if (ss->ss_family != AF_INET || sl < (socklen_t)sizeof(struct sockaddr_in)) return;
    const struct sockaddr_in *from = (const struct sockaddr_in *)ss;
    char ip[INET_ADDRSTRLEN], from_text[INET_ADDRSTRLEN + 8];
    inet_ntop(AF_INET, &from->sin_addr, ip, sizeof ip);
    snprintf(from_text, sizeof from_text, "%s:%u", ip, ntohs(from->sin_port));
    h248_parse_error pe;
    memset(&pe, 0, sizeof pe);
    h248_message *m = h248_parse(buf, (size_t)len, NULL, &pe);
    if (!m) {
        on_parse_error(tp, from, from_text, &pe);
    } else if (m->error) {
        LOGW(RT_SUB_IQ, NULL, "message-level error %u from %s: %s", m->error->code, from_text,
             m->error->text ? m->error->text : "");
    } else {
        for (guint i = 0; i < m->transactions->len; i++) {
            const h248_transaction *t = m->transactions->pdata[i];
            switch (t->kind) {
            case H248_TR_REQUEST:
                on_request_tr(tp, from, ip, from_text, m, t);
                break;
            case H248_TR_REPLY:
                on_reply(tp, from, m, t);
                break;
            case H248_TR_PENDING:
                on_pending(tp, t);
                break;
            case H248_TR_RESPONSE_ACK:
                on_response_ack(tp, from_text, t);
                break;
            }
        }
    }
    if (m) h248_message_free(m);
}

void h248_tp_send_raw(h248_tp_t *tp, const char *address, unsigned port, const char *text,
                      size_t len)
{
    struct sockaddr_in to;
    if (!address || !native_addr(address, port, &to)) return;
    send_text(tp, &to, text, len);
}

h248_tp_t *h248_tp_new(const h248_tp_cfg_t *cfg, h248_tp_request_cb on_request, void *ud,
                       GError **err)
{
    GInetAddress *ia = g_inet_address_new_from_string(cfg->address);
    if (!ia) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "iq: bad address %s",
                    cfg->address);
        return NULL;
    }
    GSocket *sock =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, err);
    if (!sock) {
        g_object_unref(ia);
        return NULL;
    }
    GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)cfg->port);
    g_object_unref(ia);
    bool ok = g_socket_bind(sock, sa, TRUE, err);
    g_object_unref(sa);
    if (!ok) {
        g_object_unref(sock);
        return NULL;
    }
    g_socket_set_blocking(sock, FALSE);
    h248_tp_t *tp = g_new0(h248_tp_t, 1);
    static const rt_timer_fn timer_fns[Q_COUNT] = {
        [Q_RETRY] = on_retry, [Q_PENDING] = on_pending_timer, [Q_DEADLINE] = on_deadline};
    tp->timers = rt_timerq_new(Q_COUNT, timer_fns);
    tp->rx = g_new(struct rx_batch, 1);
    tp->cfg = *cfg;
    tp->address = g_strdup(cfg->address);
    tp->cfg.address = tp->address;
    if (!tp->cfg.version) tp->cfg.version = 3;
    if (!tp->cfg.retry_first_ms) tp->cfg.retry_first_ms = 250;
    if (!tp->cfg.retry_max_ms) tp->cfg.retry_max_ms = 4000;
    if (!tp->cfg.request_timeout_ms) tp->cfg.request_timeout_ms = 10000;
    if (!tp->cfg.pending_after_ms) tp->cfg.pending_after_ms = 200;
    if (!tp->cfg.reply_cache_ms) tp->cfg.reply_cache_ms = 30000;
    tp->sock = sock;
    tp->on_request = on_request;
    tp->ud = ud;
    tp->metrics = cfg->metrics;
    tp->out = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, out_free);
    tp->in = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, in_free);
    tp->expiry = g_queue_new();
    tp->sweep_timer = g_timeout_add(MIN(tp->cfg.reply_cache_ms, 1000u), on_sweep, tp);
    tp->next_tid = 1 + g_random_int_range(1, 0x0fffffff);
    if (cfg->mid)
        tp->mid = g_strdup(cfg->mid);
    else
        tp->mid = g_strdup_printf("[%s]:%u", cfg->address, h248_tp_port(tp));
    tp->cfg.mid = tp->mid;
    if (tp->metrics) {
        rt_metrics_define(tp->metrics, "iq_messages_total", "counter",
                          "H.248 transactions by direction and kind");
        rt_metrics_define(tp->metrics, "iq_retransmissions_total", "counter",
                          "H.248 requests retransmitted");
        rt_metrics_define(tp->metrics, "iq_duplicates_total", "counter",
                          "duplicate H.248 requests received");
        rt_metrics_define(tp->metrics, "iq_timeouts_total", "counter",
                          "H.248 requests that got no reply");
        rt_metrics_define(tp->metrics, "iq_parse_errors_total", "counter",
                          "H.248 messages that failed to parse");
    }
    tp->src = g_socket_create_source(sock, G_IO_IN, NULL);
    g_source_set_callback(tp->src, (GSourceFunc)(void (*)(void))on_readable, tp, NULL);
    /* Not blocked while it dispatches: GLib would take the fd out of the poll set and put it
     * back, writing the wakeup eventfd twice per datagram. No caller iterates the context from
     * inside a callback. */
    g_source_set_can_recurse(tp->src, TRUE);
    g_source_attach(tp->src, NULL);
    return tp;
}

unsigned h248_tp_port(const h248_tp_t *tp)
{
    GSocketAddress *sa = g_socket_get_local_address(tp->sock, NULL);
    unsigned port = 0;
    if (sa) {
        port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(sa));
        g_object_unref(sa);
    }
    return port;
}

const char *h248_tp_mid(const h248_tp_t *tp)
{
    return tp->mid;
}

unsigned h248_tp_version(const h248_tp_t *tp)
{
    return tp->cfg.version;
}

void h248_tp_free(h248_tp_t *tp)
{
    if (!tp) return;
    g_source_destroy(tp->src);
    g_source_unref(tp->src);
    g_source_remove(tp->sweep_timer);
    g_hash_table_destroy(tp->out);
    g_hash_table_destroy(tp->in);
    rt_timerq_free(tp->timers);
    g_queue_free_full(tp->expiry, g_free);
    g_socket_close(tp->sock, NULL);
    g_object_unref(tp->sock);
    g_free(tp->mid);
    g_free(tp->address);
    g_free(tp->rx);
    g_free(tp);
}
