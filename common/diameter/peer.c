/* Diameter peer state machine and TCP transport (see peer.h). Each dia_peer_t is created and
 * freed here only; server-side peers die with their connection, client-side peers reconnect. */
#include "diameter/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <time.h>

#include "runtime/log.h"

#define DPR_WAIT_MS 2000
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

typedef enum {
    PEER_CLOSED,     /* client: waiting to reconnect */
    PEER_CONNECTING, /* client: TCP connect under way */
    PEER_WAIT_CEA,   /* client: CER sent */
    PEER_WAIT_CER,   /* server: accepted, waiting for CER */
    PEER_OPEN,
    PEER_CLOSING, /* DPR sent, waiting for DPA */
} peer_state_t;

static const char *const state_names[] = {"CLOSED", "CONNECTING", "WAIT_CEA",
                                          "WAIT_CER", "OPEN", "CLOSING"};

typedef struct {
    dia_answer_cb cb;
    void *ud;
    guint timer;
    uint32_t hbh;
    uint32_t cmd;
    dia_peer_t *peer;
} pending_t;

struct dia_peer {
    dia_stack_t *st;
    peer_state_t state;
    bool client;
    gchar *address; /* remote "ip:port" */
    gchar *connect_host;
    unsigned connect_port;
    gchar *origin_host; /* from CER/CEA */
    GSocketConnection *conn;
    GSocket *sock;
    GSource *in_src, *out_src;
    GByteArray *inbuf, *outbuf;
    GHashTable *pending; /* hbh -> pending_t* */
    guint watchdog, reconnect, close_timer;
    bool dwr_pending;
    unsigned backoff_ms;
    GCancellable *connecting;
};

struct dia_stack {
    dia_local_t local;
    gchar *host, *realm, *product, *address;
    rt_metrics_t *metrics;
    dia_request_cb on_req;
    dia_state_cb on_state;
    void *ud;
    GPtrArray *peers; /* owns dia_peer_t */
    GSocketService *service;
    uint32_t hbh_next, e2e_next, origin_state_id;
    uint32_t session_hi, session_lo;
    bool shutting_down;
    void (*shutdown_done)(void *);
    void *shutdown_ud;
    guint shutdown_timer, shutdown_idle;
};

const rt_cfg_key_t dia_cfg_keys[] = {
    {"origin_host", RT_CFG_STRING, NULL, 1, 255, "Origin-Host (DiameterIdentity)", NULL,
     RT_CFG_REQUIRED, NULL},
    {"origin_realm", RT_CFG_STRING, NULL, 1, 255, "Origin-Realm", NULL, RT_CFG_REQUIRED, NULL},
    {"listen_address", RT_CFG_STRING, "\"127.0.0.1\"", 1, 64,
     "local IPv4 address (listen or bind; also Host-IP-Address)", NULL, 0, NULL},
    {"port", RT_CFG_INT, "3868", 0, 65535, "listen port (server side; 0: any)", NULL, 0, NULL},
    {"watchdog_interval", RT_CFG_INT, "30", 6, 3600, "Tw in seconds (RFC 3539)", NULL, 0, NULL},
    {"request_timeout", RT_CFG_INT, "3000", 100, 60000, "request timeout in ms", NULL, 0, NULL},
    {"max_message_size", RT_CFG_INT, "65536", 1024, 16777215, "largest message accepted", NULL,
     0, NULL},
    {"product_name", RT_CFG_STRING, "\"wtpf-suite\"", 1, 64, "Product-Name", NULL, 0, NULL},
    {NULL}};

void dia_local_from_config(const config_t *cfg, dia_local_t *l)
{
    memset(l, 0, sizeof *l);
    l->node.host = rt_cfg_str(cfg, "diameter.origin_host");
    l->node.realm = rt_cfg_str(cfg, "diameter.origin_realm");
    l->address = rt_cfg_str(cfg, "diameter.listen_address");
    l->product = rt_cfg_str(cfg, "diameter.product_name");
    l->watchdog_ms = (unsigned)rt_cfg_int(cfg, "diameter.watchdog_interval") * 1000;
    l->timeout_ms = (unsigned)rt_cfg_int(cfg, "diameter.request_timeout");
    l->max_msg = (unsigned)rt_cfg_int(cfg, "diameter.max_message_size");
}

static void peer_close(dia_peer_t *p, const char *why);
static void peer_send_bytes(dia_peer_t *p, const guint8 *data, gsize len);
static void maybe_finish_shutdown(dia_stack_t *st);

/* "CE", "UA", ...: the command's abbreviation without its R/A letter. */
static const char *cmd_name(uint32_t cmd)
{
    static __thread char buf[8];
    const char *n = dia_dict_cmd_abbr(cmd, TRUE);
    if (!n) return "unknown";
    g_strlcpy(buf, n, sizeof buf);
    size_t l = strlen(buf);
    if (l > 1 && buf[l - 1] == 'R') buf[l - 1] = 0;
    return buf;
}

static void count_msg(dia_stack_t *st, const char *dir, const dia_msg *m)
{
    char labels[128];
    snprintf(labels, sizeof labels, "direction=\"%s\",command=\"%s\",kind=\"%s\"", dir,
             cmd_name(m->cmd), dia_msg_is_request(m) ? "request" : "answer");
    rt_metrics_add(st->metrics, "diameter_messages_total", labels, 1);
}

const char *dia_peer_name(const dia_peer_t *p)
{
    return p->origin_host ? p->origin_host : p->address;
}

bool dia_peer_is_open(const dia_peer_t *p)
{
    return p->state == PEER_OPEN;
}

static void set_state(dia_peer_t *p, peer_state_t s)
{
    if (p->state == s) return;
    peer_state_t old = p->state;
    p->state = s;
    LOGI(RT_SUB_CX, NULL, "peer %s: %s -> %s", dia_peer_name(p), state_names[old],
         state_names[s]);
    if (s == PEER_OPEN && p->st->on_state) p->st->on_state(p->st, p, true, p->st->ud);
    if (old == PEER_OPEN && p->st->on_state) p->st->on_state(p->st, p, false, p->st->ud);
}

/* ---- sending ---- */

static gboolean on_writable(GSocket *s, GIOCondition c, gpointer ud)
{
    dia_peer_t *p = ud;
    while (p->outbuf->len) {
        GError *err = NULL;
        gssize n = g_socket_send(p->sock, (const gchar *)p->outbuf->data, p->outbuf->len, NULL,
                                 &err);
        if (n < 0) {
            bool again = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            if (!again) {
                gchar *why = g_strdup_printf("send failed: %s", err->message);
                g_error_free(err);
                p->out_src = NULL;
                peer_close(p, why);
                g_free(why);
                return G_SOURCE_REMOVE;
            }
            g_error_free(err);
            return G_SOURCE_CONTINUE;
        }
        g_byte_array_remove_range(p->outbuf, 0, (guint)n);
    }
    if (p->out_src) g_source_unref(p->out_src);
    p->out_src = NULL;
    return G_SOURCE_REMOVE;
}

static void peer_send_bytes(dia_peer_t *p, const guint8 *data, gsize len)
{
    if (!p->sock) return;
    g_byte_array_append(p->outbuf, data, (guint)len);
    if (p->out_src) return;
    on_writable(p->sock, G_IO_OUT, p);
    if (p->sock && p->outbuf->len && !p->out_src) {
        p->out_src = g_socket_create_source(p->sock, G_IO_OUT, NULL);
        g_source_set_callback(p->out_src, (GSourceFunc)(void (*)(void))on_writable, p, NULL);
        g_source_attach(p->out_src, NULL);
    }
}

void dia_peer_send(dia_peer_t *p, dia_msg *m)
{
    GByteArray *b = dia_msg_encode(m);
    if (!b) {
        LOGE(RT_SUB_CX, NULL, "peer %s: cannot encode %s", dia_peer_name(p), cmd_name(m->cmd));
    } else {
        count_msg(p->st, "out", m);
        LOGD(RT_SUB_CX, NULL, "peer %s: send %s%s hbh=%08x", dia_peer_name(p), cmd_name(m->cmd),
             dia_msg_is_request(m) ? "R" : "A", m->hbh);
        peer_send_bytes(p, b->data, b->len);
        g_byte_array_free(b, TRUE);
    }
    dia_msg_free(m);
}

static gboolean on_request_timeout(gpointer ud)
{
    pending_t *pd = ud;
    dia_peer_t *p = pd->peer;
    pd->timer = 0;
    LOGW(RT_SUB_CX, NULL, "peer %s: %s request hbh=%08x timed out", dia_peer_name(p),
         cmd_name(pd->cmd), pd->hbh);
    g_hash_table_steal(p->pending, GUINT_TO_POINTER(pd->hbh));
    pd->cb(NULL, pd->ud);
    g_free(pd);
    return G_SOURCE_REMOVE;
}

bool dia_peer_request(dia_peer_t *p, dia_msg *req, unsigned timeout_ms, dia_answer_cb cb,
                      void *ud)
{
    dia_stack_t *st = p->st;
    req->hbh = st->hbh_next++;
    if (!req->e2e) req->e2e = st->e2e_next++;
    if (!p->sock) {
        dia_msg_free(req);
        return false;
    }
    if (cb) {
        pending_t *pd = g_new0(pending_t, 1);
        pd->cb = cb;
        pd->ud = ud;
        pd->hbh = req->hbh;
        pd->cmd = req->cmd;
        pd->peer = p;
        pd->timer = g_timeout_add(timeout_ms ? timeout_ms : st->local.timeout_ms,
                                  on_request_timeout, pd);
        g_hash_table_insert(p->pending, GUINT_TO_POINTER(pd->hbh), pd);
    }
    dia_peer_send(p, req);
    return true;
}

static void fail_pending(dia_peer_t *p)
{
    GList *vals = g_hash_table_get_values(p->pending);
    g_hash_table_steal_all(p->pending);
    for (GList *l = vals; l; l = l->next) {
        pending_t *pd = l->data;
        if (pd->timer) g_source_remove(pd->timer);
        pd->cb(NULL, pd->ud);
        g_free(pd);
    }
    g_list_free(vals);
}

/* ---- watchdog (RFC 3539 §3.4) ---- */

static guint tw_with_jitter(dia_stack_t *st)
{
    /* Tw +/- up to 2 s of jitter, never under 6 s (RFC 3539 §3.4.1). */
    gint j = g_random_int_range(-2000, 2001);
    gint v = (gint)st->local.watchdog_ms + j;
    return (guint)(v < 6000 ? 6000 : v);
}

static gboolean on_watchdog(gpointer ud);

static void watchdog_restart(dia_peer_t *p)
{
    if (p->watchdog) g_source_remove(p->watchdog);
    p->watchdog = g_timeout_add(tw_with_jitter(p->st), on_watchdog, p);
}

static gboolean on_watchdog(gpointer ud)
{
    dia_peer_t *p = ud;
    p->watchdog = 0;
    if (p->state != PEER_OPEN) {
        peer_close(p, "capabilities exchange or disconnection did not complete in time");
        return G_SOURCE_REMOVE;
    }
    if (p->dwr_pending) {
        peer_close(p, "no DWA within Tw: connection considered down");
        return G_SOURCE_REMOVE;
    }
    dia_stack_t *st = p->st;
    dia_msg *dwr = dia_dwr_new(&st->local.node, st->origin_state_id, st->hbh_next++,
                               st->e2e_next++);
    p->dwr_pending = true;
    dia_peer_send(p, dwr);
    watchdog_restart(p);
    return G_SOURCE_REMOVE;
}

static gboolean on_close_timer(gpointer ud)
{
    dia_peer_t *p = ud;
    p->close_timer = 0;
    peer_close(p, "peer did not close after DPR/DPA");
    return G_SOURCE_REMOVE;
}

/* ---- capabilities exchange ---- */

static void fill_cer_info(dia_stack_t *st, dia_cer_info *info, struct in_addr *ip)
{
    memset(info, 0, sizeof *info);
    if (inet_pton(AF_INET, st->local.address, ip) != 1) ip->s_addr = htonl(INADDR_LOOPBACK);
    info->family = AF_INET;
    info->host_ip = ip;
    info->product = st->local.product;
    info->origin_state_id = st->origin_state_id;
}

/* Does the peer's CER/CEA advertise Cx (or Relay)? RFC 6733 §5.3.1. */
static bool has_common_app(const dia_msg *m)
{
    guint c = 0;
    dia_avp *a;
    uint32_t v;
    while ((a = dia_find(m->avps, DIA_AVP_AUTH_APPLICATION_ID, 0, &c)))
        if (dia_avp_get_u32(a, &v) && (v == DIA_APP_CX || v == DIA_APP_RELAY)) return true;
    c = 0;
    while ((a = dia_find(m->avps, DIA_AVP_ACCT_APPLICATION_ID, 0, &c)))
        if (dia_avp_get_u32(a, &v) && v == DIA_APP_RELAY) return true;
    c = 0;
    while ((a = dia_find(m->avps, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0, &c))) {
        dia_avp *app = dia_avp_find(a, DIA_AVP_AUTH_APPLICATION_ID, 0);
        if (app && dia_avp_get_u32(app, &v) && v == DIA_APP_CX) return true;
    }
    return false;
}

static void handle_cer(dia_peer_t *p, const dia_msg *cer)
{
    dia_stack_t *st = p->st;
    dia_cer_info info;
    struct in_addr ip;
    fill_cer_info(st, &info, &ip);
    char *host = dia_msg_get_str(cer, DIA_AVP_ORIGIN_HOST, 0);
    char *realm = dia_msg_get_str(cer, DIA_AVP_ORIGIN_REALM, 0);
    uint32_t rc = 2001; /* DIAMETER_SUCCESS */
    dia_avp *failed = NULL;
    if (!host) {
        rc = 5005; /* DIAMETER_MISSING_AVP */
        failed = dia_failed_avp_missing_new(DIA_AVP_ORIGIN_HOST, 0);
    } else if (!realm) {
        rc = 5005;
        failed = dia_failed_avp_missing_new(DIA_AVP_ORIGIN_REALM, 0);
    } else if (!has_common_app(cer)) {
        rc = 5010; /* DIAMETER_NO_COMMON_APPLICATION */
    }
    if (host) {
        g_free(p->origin_host);
        p->origin_host = g_strdup(host);
    }
    dia_msg *cea = dia_cea_new(cer, &st->local.node, &info, rc);
    if (failed) dia_add(cea->avps, failed);
    LOGN(RT_SUB_CX, NULL, "peer %s (%s, realm %s): CER -> CEA %u", p->address,
         host ? host : "?", realm ? realm : "?", rc);
    dia_peer_send(p, cea);
    g_free(host);
    g_free(realm);
    if (rc == 2001) {
        set_state(p, PEER_OPEN);
        watchdog_restart(p);
    } else {
        /* RFC 6733 §5.3: after an unsuccessful CEA the connection is closed. */
        peer_close(p, "capabilities exchange refused");
    }
}

static void handle_cea(dia_peer_t *p, const dia_msg *cea)
{
    dia_result r;
    char *host = dia_msg_get_str(cea, DIA_AVP_ORIGIN_HOST, 0);
    if (host) {
        g_free(p->origin_host);
        p->origin_host = host;
    }
    if (!dia_get_result(cea, &r) || r.code != 2001 || r.experimental) {
        LOGE(RT_SUB_CX, NULL, "peer %s: CEA result %u: capabilities exchange refused",
             dia_peer_name(p), r.present ? r.code : 0);
        peer_close(p, "CEA not successful");
        return;
    }
    p->backoff_ms = BACKOFF_MIN_MS;
    set_state(p, PEER_OPEN);
    watchdog_restart(p);
}

/* ---- receiving ---- */

static void dispatch_answer(dia_peer_t *p, dia_msg *m)
{
    if (m->cmd == DIA_CMD_CE && p->state == PEER_WAIT_CEA) {
        handle_cea(p, m);
        return;
    }
    if (m->cmd == DIA_CMD_DW) {
        p->dwr_pending = false;
        return;
    }
    if (m->cmd == DIA_CMD_DP) {
        peer_close(p, "DPA received");
        return;
    }
    pending_t *pd = g_hash_table_lookup(p->pending, GUINT_TO_POINTER(m->hbh));
    if (!pd) {
        LOGW(RT_SUB_CX, NULL, "peer %s: answer %s hbh=%08x matches no request; dropped",
             dia_peer_name(p), cmd_name(m->cmd), m->hbh);
        return;
    }
    g_hash_table_steal(p->pending, GUINT_TO_POINTER(m->hbh));
    if (pd->timer) g_source_remove(pd->timer);
    pd->cb(m, pd->ud);
    g_free(pd);
}

static void dispatch_request(dia_peer_t *p, dia_msg *m)
{
    dia_stack_t *st = p->st;
    switch (m->cmd) {
    case DIA_CMD_CE:
        if (p->state == PEER_WAIT_CER) handle_cer(p, m);
        else {
            /* RFC 6733 §5.3: a CER on an open connection is an election issue we do not run;
             * answer UNABLE_TO_COMPLY and keep the connection. */
            dia_msg *a = dia_answer_new(m, &st->local.node);
            dia_set_result_code(a, 5012);
            dia_peer_send(p, a);
        }
        return;
    case DIA_CMD_DW: {
        p->dwr_pending = false;
        dia_peer_send(p, dia_dwa_new(m, &st->local.node, st->origin_state_id));
        return;
    }
    case DIA_CMD_DP: {
        uint32_t cause = 0;
        dia_msg_get_u32(m, DIA_AVP_DISCONNECT_CAUSE, 0, &cause);
        LOGN(RT_SUB_CX, NULL, "peer %s: DPR (cause %u)", dia_peer_name(p), cause);
        dia_peer_send(p, dia_dpa_new(m, &st->local.node));
        /* RFC 6733 §5.4: the DPR sender closes; we close once the DPA is flushed. */
        if (p->client) p->backoff_ms = cause == 0 ? BACKOFF_MIN_MS : BACKOFF_MAX_MS;
        set_state(p, PEER_CLOSING);
        if (!p->close_timer) p->close_timer = g_timeout_add(DPR_WAIT_MS, on_close_timer, p);
        return;
    }
    default:
        if (p->state != PEER_OPEN) {
            LOGW(RT_SUB_CX, NULL, "peer %s: %s before capabilities exchange; closing",
                 dia_peer_name(p), cmd_name(m->cmd));
            peer_close(p, "request before CER/CEA");
            return;
        }
        if (st->on_req) st->on_req(st, p, m, st->ud);
    }
}

static void handle_message(dia_peer_t *p, const guint8 *buf, gsize len)
{
    dia_stack_t *st = p->st;
    dia_error err = DIA_ERROR_INIT;
    dia_decode_opts opts = {0};
    dia_msg *m = dia_msg_decode(buf, len, &opts, &err);
    if (!m) {
        rt_metrics_add(st->metrics, "diameter_decode_errors_total", NULL, 1);
        LOGW(RT_SUB_CX, NULL, "peer %s: malformed message at offset %zu: %s",
             dia_peer_name(p), err.offset, dia_status_str(err.status));
        /* RFC 6733 §7: answer a faulty request with the error and Failed-AVP; keep going. */
        dia_msg *ans = (p->state == PEER_OPEN || p->state == PEER_WAIT_CER)
                           ? dia_error_answer_new(&err, &st->local.node)
                           : NULL;
        if (ans) dia_peer_send(p, ans);
        dia_error_clear(&err);
        return;
    }
    dia_error_clear(&err);
    count_msg(st, "in", m);
    LOGD(RT_SUB_CX, NULL, "peer %s: recv %s%s hbh=%08x", dia_peer_name(p), cmd_name(m->cmd),
         dia_msg_is_request(m) ? "R" : "A", m->hbh);
    if (p->state == PEER_OPEN) watchdog_restart(p); /* any traffic resets Tw */
    if (dia_msg_is_request(m))
        dispatch_request(p, m);
    else
        dispatch_answer(p, m);
    dia_msg_free(m);
}

static gboolean on_readable(GSocket *s, GIOCondition cond, gpointer ud)
{
    dia_peer_t *p = ud;
    guint8 buf[16384];
    GError *err = NULL;
    gssize n = g_socket_receive(s, (gchar *)buf, sizeof buf, NULL, &err);
    if (n < 0) {
        if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
            g_error_free(err);
            return G_SOURCE_CONTINUE;
        }
        gchar *why = g_strdup_printf("receive failed: %s", err->message);
        g_error_free(err);
        peer_close(p, why);
        g_free(why);
        return G_SOURCE_REMOVE;
    }
    if (n == 0) {
        peer_close(p, "connection closed by peer");
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(p->inbuf, buf, (guint)n);
    GSocket *sock = p->sock;
    while (p->sock == sock && p->inbuf->len >= 4) {
        size_t need = 0;
        dia_status fs = dia_frame_length(p->inbuf->data, p->inbuf->len, p->st->local.max_msg,
                                         &need);
        if (fs != DIA_OK) {
            /* The stream cannot be resynchronised (RFC 6733 §3: length is the only framing). */
            LOGW(RT_SUB_CX, NULL, "peer %s: %s in the byte stream; closing",
                 dia_peer_name(p), dia_status_str(fs));
            peer_close(p, "unframeable input");
            return G_SOURCE_REMOVE;
        }
        if (p->inbuf->len < need) break;
        handle_message(p, p->inbuf->data, need);
        if (p->sock == sock) g_byte_array_remove_range(p->inbuf, 0, (guint)need);
    }
    return p->sock == sock ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- connection life ---- */

static void peer_attach(dia_peer_t *p, GSocketConnection *conn)
{
    p->conn = g_object_ref(conn);
    p->sock = g_socket_connection_get_socket(conn);
    g_socket_set_blocking(p->sock, FALSE);
    /* GSocketClient's connect timeout stays on the socket it creates: an idle connection would
     * then report G_IO_ERROR_TIMED_OUT. Idle time is the watchdog's business (RFC 3539). */
    g_socket_set_timeout(p->sock, 0);
    GSocketAddress *ra = g_socket_get_remote_address(p->sock, NULL);
    if (ra) {
        gchar *ip = g_inet_address_to_string(
            g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(ra)));
        g_free(p->address);
        p->address = g_strdup_printf("%s:%u", ip,
                                     g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(ra)));
        g_free(ip);
        g_object_unref(ra);
    }
    g_byte_array_set_size(p->inbuf, 0);
    g_byte_array_set_size(p->outbuf, 0);
    p->dwr_pending = false;
    p->in_src = g_socket_create_source(p->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(p->in_src, (GSourceFunc)(void (*)(void))on_readable, p, NULL);
    g_source_attach(p->in_src, NULL);
}

static void peer_free(dia_peer_t *p)
{
    fail_pending(p);
    g_hash_table_destroy(p->pending);
    if (p->watchdog) g_source_remove(p->watchdog);
    if (p->reconnect) g_source_remove(p->reconnect);
    if (p->close_timer) g_source_remove(p->close_timer);
    if (p->connecting) {
        g_cancellable_cancel(p->connecting);
        g_object_unref(p->connecting);
    }
    g_byte_array_free(p->inbuf, TRUE);
    g_byte_array_free(p->outbuf, TRUE);
    g_free(p->address);
    g_free(p->connect_host);
    g_free(p->origin_host);
    g_free(p);
}

static dia_peer_t *peer_new(dia_stack_t *st, bool client)
{
    dia_peer_t *p = g_new0(dia_peer_t, 1);
    p->st = st;
    p->client = client;
    p->state = client ? PEER_CLOSED : PEER_WAIT_CER;
    p->inbuf = g_byte_array_new();
    p->outbuf = g_byte_array_new();
    p->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    p->backoff_ms = BACKOFF_MIN_MS;
    g_ptr_array_add(st->peers, p);
    return p;
}

static void start_connect(dia_peer_t *p);

static gboolean on_reconnect(gpointer ud)
{
    dia_peer_t *p = ud;
    p->reconnect = 0;
    start_connect(p);
    return G_SOURCE_REMOVE;
}

static gboolean on_free_peer(gpointer ud)
{
    dia_peer_t *p = ud;
    dia_stack_t *st = p->st;
    g_ptr_array_remove_fast(st->peers, p);
    peer_free(p);
    maybe_finish_shutdown(st);
    return G_SOURCE_REMOVE;
}

/* Closes the transport, fails pending requests; server peers are then freed (from an idle
 * callback, never under our own stack frame), client peers reconnect after a back-off. */
static void peer_close(dia_peer_t *p, const char *why)
{
    if (!p->sock && p->state == PEER_CLOSED) return;
    LOGN(RT_SUB_CX, NULL, "peer %s: closing: %s", dia_peer_name(p), why);
    if (p->in_src) {
        g_source_destroy(p->in_src);
        g_source_unref(p->in_src);
        p->in_src = NULL;
    }
    if (p->out_src) {
        g_source_destroy(p->out_src);
        g_source_unref(p->out_src);
        p->out_src = NULL;
    }
    if (p->conn) {
        g_io_stream_close(G_IO_STREAM(p->conn), NULL, NULL);
        g_clear_object(&p->conn);
    }
    p->sock = NULL;
    if (p->watchdog) g_source_remove(p->watchdog);
    p->watchdog = 0;
    if (p->close_timer) g_source_remove(p->close_timer);
    p->close_timer = 0;
    set_state(p, PEER_CLOSED);
    fail_pending(p);
    if (p->client && !p->st->shutting_down) {
        LOGI(RT_SUB_CX, NULL, "peer %s: reconnecting in %u ms", dia_peer_name(p), p->backoff_ms);
        p->reconnect = g_timeout_add(p->backoff_ms, on_reconnect, p);
        p->backoff_ms = MIN(p->backoff_ms * 2, BACKOFF_MAX_MS);
    } else if (!p->client) {
        g_idle_add(on_free_peer, p);
    } else {
        maybe_finish_shutdown(p->st);
    }
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer ud)
{
    GError *err = NULL;
    GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(err);
        return; /* the peer is being freed */
    }
    dia_peer_t *p = ud;
    g_clear_object(&p->connecting);
    if (!conn) {
        LOGW(RT_SUB_CX, NULL, "peer %s:%u: connect failed: %s", p->connect_host,
             p->connect_port, err->message);
        g_error_free(err);
        set_state(p, PEER_CLOSED);
        if (!p->st->shutting_down) {
            p->reconnect = g_timeout_add(p->backoff_ms, on_reconnect, p);
            p->backoff_ms = MIN(p->backoff_ms * 2, BACKOFF_MAX_MS);
        }
        return;
    }
    peer_attach(p, conn);
    g_object_unref(conn);
    dia_stack_t *st = p->st;
    dia_cer_info info;
    struct in_addr ip;
    fill_cer_info(st, &info, &ip);
    set_state(p, PEER_WAIT_CEA);
    dia_msg *cer = dia_cer_new(&st->local.node, &info, st->hbh_next++, st->e2e_next++);
    dia_peer_send(p, cer);
    /* Tw also bounds the wait for the CEA. */
    watchdog_restart(p);
}

static void start_connect(dia_peer_t *p)
{
    dia_stack_t *st = p->st;
    GSocketClient *cl = g_socket_client_new();
    g_socket_client_set_timeout(cl, 5);
    GInetAddress *la = g_inet_address_new_from_string(st->local.address);
    if (la) {
        GSocketAddress *lsa = g_inet_socket_address_new(la, 0);
        g_socket_client_set_local_address(cl, lsa);
        g_object_unref(lsa);
        g_object_unref(la);
    }
    GSocketConnectable *addr = g_network_address_new(p->connect_host, (guint16)p->connect_port);
    p->connecting = g_cancellable_new();
    set_state(p, PEER_CONNECTING);
    g_socket_client_connect_async(cl, addr, p->connecting, on_connected, p);
    g_object_unref(addr);
    g_object_unref(cl);
}

static gboolean on_incoming(GSocketService *svc, GSocketConnection *conn, GObject *src,
                            gpointer ud)
{
    dia_stack_t *st = ud;
    if (st->shutting_down) return TRUE; /* dropping conn closes it */
    dia_peer_t *p = peer_new(st, false);
    peer_attach(p, conn);
    LOGI(RT_SUB_CX, NULL, "peer %s: connection accepted", p->address);
    /* Tw bounds the wait for the CER. */
    watchdog_restart(p);
    return TRUE;
}

/* ---- stack ---- */

static void collect(rt_metrics_t *m, void *ud)
{
    rt_metrics_set(m, "diameter_peers_open", NULL, dia_stack_open_peers(ud));
}

dia_stack_t *dia_stack_new(const dia_local_t *local, rt_metrics_t *metrics, dia_request_cb on_req,
                           dia_state_cb on_state, void *ud)
{
    dia_stack_t *st = g_new0(dia_stack_t, 1);
    st->host = g_strdup(local->node.host);
    st->realm = g_strdup(local->node.realm);
    st->product = g_strdup(local->product ? local->product : "wtpf-suite");
    st->address = g_strdup(local->address ? local->address : "127.0.0.1");
    st->local = *local;
    st->local.node.host = st->host;
    st->local.node.realm = st->realm;
    st->local.product = st->product;
    st->local.address = st->address;
    if (!st->local.watchdog_ms) st->local.watchdog_ms = 30000;
    if (!st->local.timeout_ms) st->local.timeout_ms = 3000;
    if (!st->local.max_msg) st->local.max_msg = 65536;
    st->metrics = metrics;
    st->on_req = on_req;
    st->on_state = on_state;
    st->ud = ud;
    st->peers = g_ptr_array_new();
    st->hbh_next = g_random_int();
    st->origin_state_id = (uint32_t)time(NULL);
    st->e2e_next = dia_e2e_initial((uint32_t)time(NULL), g_random_int());
    st->session_hi = (uint32_t)time(NULL);
    if (metrics) {
        rt_metrics_define(metrics, "diameter_messages_total", "counter",
                          "Diameter messages by direction, command and kind");
        rt_metrics_define(metrics, "diameter_decode_errors_total", "counter",
                          "Diameter messages that failed to decode");
        rt_metrics_define(metrics, "diameter_peers_open", "gauge", "Diameter peers in OPEN");
        rt_metrics_add_collector(metrics, collect, st);
    }
    return st;
}

bool dia_stack_listen(dia_stack_t *st, const char *address, unsigned port, GError **err)
{
    GInetAddress *ia = g_inet_address_new_from_string(address);
    if (!ia) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "diameter: bad address %s",
                    address);
        return false;
    }
    GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)port);
    g_object_unref(ia);
    st->service = g_socket_service_new();
    bool ok = g_socket_listener_add_address(G_SOCKET_LISTENER(st->service), sa,
                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                            NULL, err);
    g_object_unref(sa);
    if (!ok) {
        g_clear_object(&st->service);
        return false;
    }
    g_signal_connect(st->service, "incoming", G_CALLBACK(on_incoming), st);
    g_socket_service_start(st->service);
    LOGN(RT_SUB_CX, NULL, "diameter: %s listening on %s:%u", st->host, address, port);
    return true;
}

dia_peer_t *dia_stack_connect(dia_stack_t *st, const char *address, unsigned port)
{
    dia_peer_t *p = peer_new(st, true);
    p->connect_host = g_strdup(address);
    p->connect_port = port;
    p->address = g_strdup_printf("%s:%u", address, port);
    start_connect(p);
    return p;
}

unsigned dia_stack_open_peers(const dia_stack_t *st)
{
    unsigned n = 0;
    for (guint i = 0; i < st->peers->len; i++)
        if (((dia_peer_t *)st->peers->pdata[i])->state == PEER_OPEN) n++;
    return n;
}

dia_peer_t *dia_stack_pick(dia_stack_t *st, const char *host)
{
    dia_peer_t *any = NULL;
    for (guint i = 0; i < st->peers->len; i++) {
        dia_peer_t *p = st->peers->pdata[i];
        if (p->state != PEER_OPEN) continue;
        if (!host || (p->origin_host && g_ascii_strcasecmp(p->origin_host, host) == 0)) return p;
        if (!any) any = p;
    }
    return any;
}

const dia_local_t *dia_stack_local(const dia_stack_t *st)
{
    return &st->local;
}

char *dia_stack_session_id(dia_stack_t *st)
{
    return dia_session_id_new(st->host, st->session_hi, ++st->session_lo, NULL);
}

static gboolean on_shutdown_done(gpointer ud)
{
    dia_stack_t *st = ud;
    st->shutdown_idle = 0;
    if (st->shutdown_timer) g_source_remove(st->shutdown_timer);
    st->shutdown_timer = 0;
    void (*done)(void *) = st->shutdown_done;
    st->shutdown_done = NULL;
    if (done) done(st->shutdown_ud);
    return G_SOURCE_REMOVE;
}

static void maybe_finish_shutdown(dia_stack_t *st)
{
    if (!st->shutting_down || !st->shutdown_done || st->shutdown_idle) return;
    for (guint i = 0; i < st->peers->len; i++)
        if (((dia_peer_t *)st->peers->pdata[i])->sock) return;
    st->shutdown_idle = g_idle_add(on_shutdown_done, st);
}

static gboolean on_shutdown_timeout(gpointer ud)
{
    dia_stack_t *st = ud;
    st->shutdown_timer = 0;
    for (guint i = 0; i < st->peers->len; i++) {
        dia_peer_t *p = st->peers->pdata[i];
        if (p->sock) peer_close(p, "no DPA in time");
    }
    maybe_finish_shutdown(st);
    return G_SOURCE_REMOVE;
}

void dia_stack_shutdown(dia_stack_t *st, void (*done)(void *ud), void *ud)
{
    st->shutting_down = true;
    st->shutdown_done = done;
    st->shutdown_ud = ud;
    if (st->service) g_socket_service_stop(st->service);
    for (guint i = 0; i < st->peers->len; i++) {
        dia_peer_t *p = st->peers->pdata[i];
        if (p->reconnect) g_source_remove(p->reconnect);
        p->reconnect = 0;
        if (p->state == PEER_OPEN) {
            /* RFC 6733 §5.4: DPR with DO_NOT_WANT_TO_TALK_TO_YOU... REBOOTING tells the peer we
             * come back; a lab node that stops is most often restarted. */
            set_state(p, PEER_CLOSING);
            dia_peer_send(p, dia_dpr_new(&st->local.node, 0, st->hbh_next++, st->e2e_next++));
        } else if (p->sock) {
            peer_close(p, "shutting down");
        }
    }
    st->shutdown_timer = g_timeout_add(DPR_WAIT_MS, on_shutdown_timeout, st);
    maybe_finish_shutdown(st);
}

void dia_stack_free(dia_stack_t *st)
{
    if (!st) return;
    if (st->service) {
        g_socket_service_stop(st->service);
        g_socket_listener_close(G_SOCKET_LISTENER(st->service));
        g_clear_object(&st->service);
    }
    if (st->shutdown_timer) g_source_remove(st->shutdown_timer);
    if (st->shutdown_idle) g_source_remove(st->shutdown_idle);
    st->shutting_down = true;
    for (guint i = 0; i < st->peers->len; i++) {
        dia_peer_t *p = st->peers->pdata[i];
        if (p->sock) peer_close(p, "stack freed");
        g_idle_remove_by_data(p);
        peer_free(p);
    }
    g_ptr_array_free(st->peers, TRUE);
    g_free(st->host);
    g_free(st->realm);
    g_free(st->product);
    g_free(st->address);
    g_free(st);
}
