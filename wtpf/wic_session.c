/* Logged-in WIC sessions over WebSockets (see wic_session.h). */
#include "wtpf/wic_session.h"

#include <string.h>

#include "runtime/log.h"
#include "ws/frame.h"

struct wic_sessions {
    ws_hub *hub;
    rt_metrics_t *metrics;
    unsigned max_per_user, max_errors;
    wic_session_cbs cbs;
    void *ud;
    GHashTable *by_user; /* wtpf_user* -> GPtrArray of open wic_session* */
    GPtrArray *all;      /* every session not yet freed (owns them) */
    GPtrArray *gone;     /* closed sessions waiting for on_gone + free */
    guint gone_id;
    unsigned serial, open;
};

static void session_free(gpointer p)
{
    wic_session *s = p;
    g_hash_table_unref(s->calls);
    g_free(s);
}

static void collect(rt_metrics_t *m, void *ud)
{
    wic_sessions *t = ud;
    rt_metrics_set(m, "logged_in_users", NULL, wic_sessions_users(t));
    rt_metrics_set(m, "wic_sessions", NULL, t->open);
}

wic_sessions *wic_sessions_new(ws_hub *hub, rt_metrics_t *metrics, unsigned max_per_user,
                               unsigned max_errors)
{
    wic_sessions *t = g_new0(wic_sessions, 1);
    t->hub = hub;
    t->metrics = metrics;
    t->max_per_user = max_per_user;
    t->max_errors = max_errors;
    t->by_user = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify)g_ptr_array_unref);
    t->all = g_ptr_array_new_with_free_func(session_free);
    t->gone = g_ptr_array_new();
    if (metrics) {
        rt_metrics_define(metrics, "logged_in_users", "gauge",
                          "users with at least one open WIC session");
        rt_metrics_define(metrics, "wic_sessions", "gauge", "open WIC sessions (WebSockets)");
        rt_metrics_define(metrics, "wic_messages_total", "counter",
                          "WIC messages received, by type (\"invalid\" when refused)");
        rt_metrics_define(metrics, "wic_errors_total", "counter",
                          "error answers to WIC messages, by code");
        rt_metrics_add_collector(metrics, collect, t);
    }
    return t;
}

void wic_sessions_set_cbs(wic_sessions *t, const wic_session_cbs *cbs, void *ud)
{
    t->cbs = *cbs;
    t->ud = ud;
}

void wic_sessions_free(wic_sessions *t)
{
    if (!t) return;
    if (t->gone_id) g_source_remove(t->gone_id);
    g_ptr_array_unref(t->gone);
    g_hash_table_unref(t->by_user);
    g_ptr_array_unref(t->all);
    g_free(t);
}

bool wic_sessions_may_open(wic_sessions *t, const wtpf_user *u)
{
    GPtrArray *a = g_hash_table_lookup(t->by_user, u);
    return !t->max_per_user || !a || a->len < t->max_per_user;
}

GPtrArray *wic_sessions_of(wic_sessions *t, const wtpf_user *u)
{
    return g_hash_table_lookup(t->by_user, u);
}

unsigned wic_sessions_count(const wic_sessions *t)
{
    return t->open;
}

unsigned wic_sessions_users(const wic_sessions *t)
{
    return g_hash_table_size(t->by_user);
}

bool wic_session_send(wic_session *s, char *json)
{
    bool ok = false;
    if (json && s->ws && !s->closed) ok = ws_conn_send_text(s->ws, json, strlen(json));
    g_free(json);
    return ok;
}

void wic_session_close(wic_session *s, unsigned code, const char *reason)
{
    if (s->ws && !s->closed) ws_conn_close(s->ws, code, reason);
}

static void count(wic_sessions *t, const char *name, const char *label, const char *v)
{
    if (!t->metrics) return;
    char labels[64];
    g_snprintf(labels, sizeof labels, "%s=\"%s\"", label, v);
    rt_metrics_add(t->metrics, name, labels, 1);
}

static void on_text(ws_conn *c, const char *text, size_t len, void *ud)
{
    wic_session *s = ud;
    wic_sessions *t = s->table;
    wic_msg m;
    wic_error e;
    if (wic_msg_parse(text, len, WIC_FROM_CLIENT, &m, &e) != WIC_OK) {
        int code = wic_err_status(e.err);
        LOGI(RT_SUB_WS, NULL, "session %u (%s, %s): refused message: %s", s->serial, s->user->name,
             s->peer, e.reason);
        count(t, "wic_messages_total", "type", "invalid");
        char code_s[8];
        g_snprintf(code_s, sizeof code_s, "%d", code);
        count(t, "wic_errors_total", "code", code_s);
        wic_session_send(s, wic_build_parse_error(&e));
        /* A client that keeps sending garbage is not a WIC: stop listening to it. */
        if (t->max_errors && ++s->errors >= t->max_errors)
            wic_session_close(s, WS_CLOSE_POLICY, "too many invalid messages");
        return;
    }
    count(t, "wic_messages_total", "type", wic_msg_type_name(m.type));
    if (t->cbs.on_message) t->cbs.on_message(t->ud, s, &m);
    wic_msg_clear(&m);
}

static gboolean process_gone(gpointer ud)
{
    wic_sessions *t = ud;
    t->gone_id = 0;
    while (t->gone->len) {
        wic_session *s = g_ptr_array_steal_index(t->gone, 0);
        if (t->cbs.on_gone) t->cbs.on_gone(t->ud, s);
        g_ptr_array_remove_fast(t->all, s); /* frees it */
    }
    return G_SOURCE_REMOVE;
}

/* The WebSocket is over: the session leaves the user's list now (nobody rings it any more) and
 * is handed to the owner from an idle callback, outside whatever send triggered the close. */
static void on_closed(ws_conn *c, unsigned code, const char *reason, void *ud)
{
    wic_session *s = ud;
    wic_sessions *t = s->table;
    if (s->closed) return;
    s->closed = true;
    s->ws = NULL;
    t->open--;
    GPtrArray *a = g_hash_table_lookup(t->by_user, s->user);
    if (a) {
        g_ptr_array_remove(a, s);
        if (!a->len) g_hash_table_remove(t->by_user, s->user);
    }
    LOGN(RT_SUB_WS, NULL, "session %u (%s, %s) closed: %u %s", s->serial, s->user->name, s->peer,
         code, reason ? reason : "");
    g_ptr_array_add(t->gone, s);
    if (!t->gone_id) t->gone_id = g_idle_add(process_gone, t);
}

wic_session *wic_sessions_open(wic_sessions *t, wtpf_user *u, const char *identity,
                               struct MHD_UpgradeResponseHandle *urh, int fd, const char *extra,
                               size_t extra_len, const char *peer)
{
    wic_session *s = g_new0(wic_session, 1);
    s->table = t;
    s->serial = ++t->serial;
    s->user = u;
    s->calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_strlcpy(s->peer, peer ? peer : "?", sizeof s->peer);
    g_ptr_array_add(t->all, s);
    GPtrArray *a = g_hash_table_lookup(t->by_user, u);
    if (!a) {
        a = g_ptr_array_new();
        g_hash_table_insert(t->by_user, u, a);
    }
    g_ptr_array_add(a, s);
    t->open++;
    LOGN(RT_SUB_WS, NULL, "session %u: %s logged in from %s", s->serial, u->name, s->peer);
    static const ws_conn_cbs cbs = {.on_text = on_text, .on_closed = on_closed};
    /* ready goes out before anything the client's first frames could trigger */
    s->ws = ws_hub_adopt(t->hub, urh, fd, NULL, 0, s->peer, &cbs, s);
    wic_session_send(s, wic_build_ready(u->name, identity));
    if (extra_len && s->ws) {
        /* bytes MHD read past the request: only possible from a client that did not wait for
         * the 101; replay them through the connection as if just received */
        ws_conn_feed(s->ws, extra, extra_len);
    }
    return s;
}
