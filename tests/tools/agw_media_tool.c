/* Test driver of the eIMS-AGW media engine without H.248: JSON commands on stdin (one object per
 * line), JSON replies and engine events on stdout (one object per line). Python component tests
 * use it to create W3/RTP terminations, feed them the peer's SDP parameters and read statistics.
 *
 * Commands ("seq" is echoed back when present):
 *   {"cmd":"add_w3","ctx":"c1","id":"w","remote":{...}}   remote optional (absent: we offer)
 *   {"cmd":"add_rtp","ctx":"c1","id":"r","remote":{"address":"127.0.21.1","port":4000,
 *                                                   "codecs":[{"pt":0,"name":"PCMU","rate":8000}]}}
 *   {"cmd":"modify","id":"w","remote":{...}}
 *   {"cmd":"mode","id":"w","mode":"sendrecv|sendonly|recvonly|inactive"}
 *   {"cmd":"stats","id":"w"}   {"cmd":"subtract","id":"w"}   {"cmd":"free_ctx","ctx":"c1"}
 *   {"cmd":"metrics"}          {"cmd":"quit"}
 * W3 remote: {"ufrag","pwd","fingerprint":"sha-256 AB:..","setup":"actpass|active|passive",
 *             "address","port" (no ICE),"codecs":[...],"profiles":["SRTP_AES128_CM_HMAC_SHA1_32"]}
 * Replies: {"ev":"added"|"modified"|"stats"|"subtracted"|"metrics"|"ok"|"error", ...}
 * Events:  {"ev":"event","type":"dtls_connected","id":"w","ctx":"c1","profile":..,"reason":..} */
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "eims-agw/media.h"
#include "runtime/log.h"
#include "runtime/metrics.h"

typedef struct {
    agw_media_t *m;
    rt_metrics_t *metrics;
    GMainLoop *loop;
    GHashTable *ctxs;  /* name -> agw_ctx_t* */
    GHashTable *terms; /* name -> agw_term_t* */
    GIOChannel *in;
} tool_t;

static agw_media_t *engine; /* for emit() */

/* Every reply means "applied": Add and Modify reach the media worker without a wait (media.h),
 * so wait for it before answering, as the Iq layer does before its H.248 reply. */
static void emit(JsonBuilder *b)
{
    if (engine) agw_media_sync(engine);
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    gchar *s = json_generator_to_data(g, NULL);
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    g_free(s);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
}

static JsonBuilder *reply(const char *ev, JsonObject *req)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ev");
    json_builder_add_string_value(b, ev);
    if (req && json_object_has_member(req, "seq")) {
        json_builder_set_member_name(b, "seq");
        json_builder_add_int_value(b, json_object_get_int_member(req, "seq"));
    }
    return b;
}

static void add_str(JsonBuilder *b, const char *k, const char *v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_string_value(b, v ? v : "");
}
static void add_int(JsonBuilder *b, const char *k, gint64 v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_int_value(b, v);
}

static void error_reply(JsonObject *req, const char *msg)
{
    JsonBuilder *b = reply("error", req);
    add_str(b, "message", msg);
    json_builder_end_object(b);
    emit(b);
}

static const char *str_member(JsonObject *o, const char *k)
{
    return o && json_object_has_member(o, k) ? json_object_get_string_member(o, k) : NULL;
}
static gint64 int_member(JsonObject *o, const char *k, gint64 d)
{
    return o && json_object_has_member(o, k) ? json_object_get_int_member(o, k) : d;
}

static void parse_codecs(JsonObject *o, agw_codecs_t *cs)
{
    memset(cs, 0, sizeof *cs);
    if (!o || !json_object_has_member(o, "codecs")) return;
    JsonArray *a = json_object_get_array_member(o, "codecs");
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        agw_codecs_add(cs, (uint8_t)int_member(c, "pt", 0), str_member(c, "name"),
                       (uint32_t)int_member(c, "rate", 8000),
                       (uint8_t)int_member(c, "channels", 1));
    }
}

static void parse_w3_remote(JsonObject *o, agw_w3_remote_t *r)
{
    memset(r, 0, sizeof *r);
    r->ice_ufrag = str_member(o, "ufrag");
    r->ice_pwd = str_member(o, "pwd");
    r->fingerprint = str_member(o, "fingerprint");
    r->setup = agw_setup_parse(str_member(o, "setup"));
    r->address = str_member(o, "address");
    r->port = (uint16_t)int_member(o, "port", 0);
    parse_codecs(o, &r->codecs);
    if (o && json_object_has_member(o, "profiles")) {
        JsonArray *a = json_object_get_array_member(o, "profiles");
        for (guint i = 0; a && i < json_array_get_length(a); i++) {
            const agw_srtp_profile_info_t *pi =
                agw_srtp_profile_by_name(json_array_get_string_element(a, i));
            if (pi) r->srtp_profiles |= AGW_SRTP_MASK(pi->id);
        }
    }
}

static void parse_rtp_remote(JsonObject *o, agw_rtp_remote_t *r)
{
    memset(r, 0, sizeof *r);
    r->address = str_member(o, "address");
    r->port = (uint16_t)int_member(o, "port", 0);
    r->rtcp_port = (uint16_t)int_member(o, "rtcp_port", 0);
    parse_codecs(o, &r->codecs);
}

static void add_dir(JsonBuilder *b, const char *k, const agw_dir_stats_t *d, bool rx)
{
    json_builder_set_member_name(b, k);
    json_builder_begin_object(b);
    add_int(b, "packets", (gint64)d->packets);
    add_int(b, "octets", (gint64)d->octets);
    add_int(b, "rtcp_packets", (gint64)d->rtcp_packets);
    if (rx) {
        add_int(b, "lost", d->lost);
        add_int(b, "jitter_us", (gint64)d->jitter_us);
    }
    json_builder_end_object(b);
}

static void add_stats(JsonBuilder *b, const agw_term_stats_t *s)
{
    json_builder_set_member_name(b, "stats");
    json_builder_begin_object(b);
    add_dir(b, "rx", &s->rx, true);
    add_dir(b, "tx", &s->tx, false);
    add_int(b, "dropped", (gint64)s->dropped);
    add_int(b, "srtp_failures", (gint64)s->srtp_failures);
    add_int(b, "stun_ok", (gint64)s->stun_ok);
    add_int(b, "stun_rejected", (gint64)s->stun_rejected);
    json_builder_end_object(b);
}

static agw_ctx_t *ctx_get(tool_t *t, const char *name)
{
    agw_ctx_t *c = g_hash_table_lookup(t->ctxs, name);
    if (!c) {
        c = agw_ctx_new(t->m, name, g_strdup(name));
        g_hash_table_insert(t->ctxs, g_strdup(name), c);
    }
    return c;
}

static const char *term_name(tool_t *t, agw_term_t *term)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->terms);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (v == term) return k;
    return "";
}

static void forget_ctx_terms(tool_t *t, agw_ctx_t *c)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->terms);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (agw_term_ctx(v) == c) g_hash_table_iter_remove(&it);
}

static void free_ctx(tool_t *t, const char *name)
{
    agw_ctx_t *c = g_hash_table_lookup(t->ctxs, name);
    if (!c) return;
    forget_ctx_terms(t, c);
    g_free(agw_ctx_user_data(c));
    agw_ctx_free(c);
    g_hash_table_remove(t->ctxs, name);
}

static void handle(tool_t *t, JsonObject *req)
{
    const char *cmd = str_member(req, "cmd");
    const char *id = str_member(req, "id");
    GError *err = NULL;
    if (!cmd) {
        error_reply(req, "no cmd");
        return;
    }
    if (strcmp(cmd, "add_w3") == 0 || strcmp(cmd, "add_rtp") == 0) {
        const char *cn = str_member(req, "ctx");
        if (!cn || !id) {
            error_reply(req, "ctx and id required");
            return;
        }
        agw_ctx_t *c = ctx_get(t, cn);
        JsonObject *ro = json_object_has_member(req, "remote")
                             ? json_object_get_object_member(req, "remote")
                             : NULL;
        JsonBuilder *b;
        agw_term_t *term;
        if (cmd[4] == 'w') {
            agw_w3_remote_t r;
            agw_w3_local_t l;
            parse_w3_remote(ro, &r);
            term = agw_w3_add(c, ro ? &r : NULL, &l, &err);
            if (!term) goto fail;
            b = reply("added", req);
            json_builder_set_member_name(b, "local");
            json_builder_begin_object(b);
            add_str(b, "ufrag", l.ice_ufrag);
            add_str(b, "pwd", l.ice_pwd);
            add_str(b, "address", l.address);
            add_int(b, "port", l.port);
            add_str(b, "fingerprint", l.fingerprint);
            add_str(b, "setup", agw_setup_name(l.setup));
            add_str(b, "candidate", l.candidate);
            json_builder_end_object(b);
        } else {
            agw_rtp_remote_t r;
            agw_rtp_local_t l;
            parse_rtp_remote(ro, &r);
            term = agw_rtp_add(c, ro ? &r : NULL, &l, &err);
            if (!term) goto fail;
            b = reply("added", req);
            json_builder_set_member_name(b, "local");
            json_builder_begin_object(b);
            add_str(b, "address", l.address);
            add_int(b, "port", l.port);
            add_int(b, "rtcp_port", l.rtcp_port);
            json_builder_end_object(b);
        }
        g_hash_table_insert(t->terms, g_strdup(id), term);
        add_str(b, "id", id);
        add_int(b, "ctx_id", agw_ctx_id(c));
        json_builder_end_object(b);
        emit(b);
        return;
    }
    if (strcmp(cmd, "metrics") == 0) {
        GString *s = rt_metrics_render(t->metrics);
        JsonBuilder *b = reply("metrics", req);
        add_str(b, "text", s->str);
        json_builder_end_object(b);
        emit(b);
        g_string_free(s, TRUE);
        return;
    }
    if (strcmp(cmd, "quit") == 0) {
        g_main_loop_quit(t->loop);
        return;
    }
    if (strcmp(cmd, "free_ctx") == 0) {
        free_ctx(t, str_member(req, "ctx") ? str_member(req, "ctx") : "");
        JsonBuilder *b = reply("ok", req);
        json_builder_end_object(b);
        emit(b);
        return;
    }
    agw_term_t *term = id ? g_hash_table_lookup(t->terms, id) : NULL;
    if (!term) {
        error_reply(req, "unknown termination id");
        return;
    }
    if (strcmp(cmd, "modify") == 0) {
        JsonObject *ro = json_object_has_member(req, "remote")
                             ? json_object_get_object_member(req, "remote")
                             : NULL;
        bool ok;
        if (agw_term_kind(term) == AGW_TERM_W3) {
            agw_w3_remote_t r;
            parse_w3_remote(ro, &r);
            ok = agw_w3_modify(term, &r, &err);
        } else {
            agw_rtp_remote_t r;
            parse_rtp_remote(ro, &r);
            ok = agw_rtp_modify(term, &r, &err);
        }
        if (!ok) goto fail;
        JsonBuilder *b = reply("modified", req);
        add_str(b, "id", id);
        json_builder_end_object(b);
        emit(b);
    } else if (strcmp(cmd, "mode") == 0) {
        const char *mode = str_member(req, "mode");
        agw_mode_t md = AGW_MODE_SENDRECV;
        if (mode && strcmp(mode, "sendonly") == 0) md = AGW_MODE_SENDONLY;
        if (mode && strcmp(mode, "recvonly") == 0) md = AGW_MODE_RECVONLY;
        if (mode && strcmp(mode, "inactive") == 0) md = AGW_MODE_INACTIVE;
        agw_term_set_mode(term, md);
        JsonBuilder *b = reply("ok", req);
        json_builder_end_object(b);
        emit(b);
    } else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "subtract") == 0) {
        agw_term_stats_t st;
        bool sub = cmd[1] == 'u';
        if (sub) {
            agw_term_subtract(term, &st);
            g_hash_table_remove(t->terms, id);
        } else {
            agw_term_stats(term, &st);
        }
        JsonBuilder *b = reply(sub ? "subtracted" : "stats", req);
        add_str(b, "id", id);
        add_stats(b, &st);
        json_builder_end_object(b);
        emit(b);
    } else {
        error_reply(req, "unknown cmd");
    }
    return;
fail:
    error_reply(req, err ? err->message : "failed");
    g_clear_error(&err);
}

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer ud)
{
    tool_t *t = ud;
    gchar *line = NULL;
    gsize len = 0;
    GIOStatus st = g_io_channel_read_line(ch, &line, &len, NULL, NULL);
    if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
        g_main_loop_quit(t->loop);
        return G_SOURCE_REMOVE;
    }
    if (line && len > 0) {
        JsonParser *p = json_parser_new();
        if (json_parser_load_from_data(p, line, -1, NULL) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
            handle(t, json_node_get_object(json_parser_get_root(p)));
        else if (g_strstrip(line)[0])
            error_reply(NULL, "not a JSON object");
        g_object_unref(p);
    }
    g_free(line);
    return G_SOURCE_CONTINUE;
}

static void on_event(agw_media_t *m, const agw_event_t *ev, void *ud)
{
    tool_t *t = ud;
    JsonBuilder *b = reply("event", NULL);
    add_str(b, "type", agw_event_name(ev->type));
    add_str(b, "id", term_name(t, ev->term));
    add_str(b, "ctx", ev->ctx_user_data);
    add_str(b, "reason", ev->reason);
    add_str(b, "profile", ev->profile);
    add_str(b, "peer", ev->peer);
    add_int(b, "idle_ms", ev->idle_ms);
    json_builder_end_object(b);
    emit(b);
}

static gboolean on_signal(gpointer ud)
{
    g_main_loop_quit(((tool_t *)ud)->loop);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    gchar *w3 = NULL, *rtp = NULL, *ports = NULL, *setup = NULL, *cert = NULL, *key = NULL,
          *level = NULL, *io = NULL;
    gint workers = 1, consent = 30000, nomedia = 0, dtls_to = 20000;
    GOptionEntry opts[] = {
        {"w3-address", 0, 0, G_OPTION_ARG_STRING, &w3, "W3 bind address", "IP"},
        {"rtp-address", 0, 0, G_OPTION_ARG_STRING, &rtp, "Mb bind address", "IP"},
        {"ports", 0, 0, G_OPTION_ARG_STRING, &ports, "port range", "MIN-MAX"},
        {"workers", 0, 0, G_OPTION_ARG_INT, &workers, "worker threads (0 = CPUs)", "N"},
        {"io", 0, 0, G_OPTION_ARG_STRING, &io, "packet I/O: auto|io_uring|epoll", "PATH"},
        {"consent-timeout", 0, 0, G_OPTION_ARG_INT, &consent, "consent timeout", "MS"},
        {"no-media-timeout", 0, 0, G_OPTION_ARG_INT, &nomedia, "no-media timeout (0 = off)", "MS"},
        {"dtls-timeout", 0, 0, G_OPTION_ARG_INT, &dtls_to, "DTLS handshake timeout", "MS"},
        {"answer-setup", 0, 0, G_OPTION_ARG_STRING, &setup, "active|passive", "ROLE"},
        {"cert", 0, 0, G_OPTION_ARG_STRING, &cert, "PEM certificate", "FILE"},
        {"key", 0, 0, G_OPTION_ARG_STRING, &key, "PEM key", "FILE"},
        {"log-level", 0, 0, G_OPTION_ARG_STRING, &level, "syslog level name", "LEVEL"},
        {NULL}};
    GOptionContext *oc = g_option_context_new("- eIMS-AGW media engine test driver");
    g_option_context_add_main_entries(oc, opts, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "%s\n", err->message);
        return 2;
    }
    g_option_context_free(oc);
    rt_log_open("agw_media_tool", true, NULL);
    rt_log_set_all_levels(level ? rt_log_level_from_name(level) : LOG_WARNING);

    tool_t t = {0};
    t.metrics = rt_metrics_new("agw_");
    t.loop = g_main_loop_new(NULL, FALSE);
    t.ctxs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t.terms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    unsigned pmin = 30000, pmax = 30999;
    if (ports) sscanf(ports, "%u-%u", &pmin, &pmax);
    agw_media_config_t cfg = {
        .w3_address = w3 ? w3 : "127.0.20.1",
        .rtp_address = rtp ? rtp : "127.0.20.2",
        .port_min = pmin,
        .port_max = pmax,
        .workers = (unsigned)workers,
        .io = AGW_IO_AUTO,
        .cert_file = cert,
        .key_file = key,
        .answer_setup =
            setup && strcmp(setup, "passive") == 0 ? AGW_SETUP_PASSIVE : AGW_SETUP_ACTIVE,
        .dtls_timeout_ms = (unsigned)dtls_to,
        .consent_timeout_ms = (unsigned)consent,
        .no_media_timeout_ms = (unsigned)nomedia,
        .metrics = t.metrics,
        .on_event = on_event,
        .event_ud = &t,
    };
    if (io && !agw_media_io_parse(io, &cfg.io)) {
        fprintf(stderr, "--io: auto, io_uring or epoll\n");
        return 2;
    }
    t.m = agw_media_new(&cfg, &err);
    engine = t.m;
    int rc = 0;
    if (!t.m) {
        fprintf(stderr, "agw_media_new: %s\n", err->message);
        g_clear_error(&err);
        rc = 1;
    } else {
        JsonBuilder *b = reply("ready", NULL);
        add_str(b, "fingerprint", agw_media_fingerprint(t.m));
        add_int(b, "workers", agw_media_worker_count(t.m));
        add_str(b, "io", agw_media_io_name(t.m));
        json_builder_end_object(b);
        emit(b);
        t.in = g_io_channel_unix_new(0);
        guint wid = g_io_add_watch(t.in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &t);
        guint s1 = g_unix_signal_add(SIGTERM, on_signal, &t);
        guint s2 = g_unix_signal_add(SIGINT, on_signal, &t);
        g_main_loop_run(t.loop);
        g_source_remove(s1);
        g_source_remove(s2);
        g_source_remove_by_user_data(&t);
        (void)wid;
        g_io_channel_unref(t.in);
        GList *names = g_hash_table_get_keys(t.ctxs);
        for (GList *l = names; l; l = l->next) {
            gchar *n = g_strdup(l->data);
            free_ctx(&t, n);
            g_free(n);
        }
        g_list_free(names);
        engine = NULL;
        agw_media_free(t.m);
    }
    g_hash_table_destroy(t.ctxs);
    g_hash_table_destroy(t.terms);
    g_main_loop_unref(t.loop);
    rt_metrics_free(t.metrics);
    rt_log_close();
    g_free(w3);
    g_free(rtp);
    g_free(ports);
    g_free(setup);
    g_free(cert);
    g_free(key);
    g_free(level);
    g_free(io);
    return rc;
}
