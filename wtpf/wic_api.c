/* The WIC-facing HTTP server: page, login, WebSocket upgrade (see wic_api.h). */
#include "wtpf/wic_api.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <microhttpd.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "runtime/httpd.h"
#include "runtime/log.h"
#include "ws/handshake.h"

#define LOGIN_BODY_MAX 4096
#define PASSWORD_MAX 1024

typedef struct {
    char *data;
    gsize len;
    const char *ctype;
} static_file;

typedef enum { REQ_OTHER, REQ_LOGIN } req_kind;
typedef enum { LOGIN_READING, LOGIN_VERIFYING, LOGIN_DONE } login_state;

typedef struct req {
    wic_api *api;
    req_kind kind;
    struct MHD_Connection *conn;
    GString *body;
    bool too_big;
    login_state state;
    /* login */
    char *user_name;
    char *password;
    char *hash; /* the user's, or the dummy one for unknown users */
    bool known;
    bool verified; /* set by the worker */
    char src[64];
    /* upgrade */
    wtpf_user *ws_user;
} req;

struct wic_api {
    wic_api_cfg cfg;
    char *address, *identity_domain, *www_dir;
    char *tls_cert_pem, *tls_key_pem;
    const wtpf_dir *dir;
    wic_sessions *sessions;
    ws_hub *hub;
    rt_metrics_t *metrics;
    rt_httpd_t *httpd;
    GHashTable *files; /* "/name" -> static_file */
    auth_throttle *throttle;
    char *dummy_hash; /* spends the same time on unknown users */
    GThreadPool *kdf;
    GAsyncQueue *done; /* req* verified by a worker, to resume on the loop */
    guint done_id;
    GMutex done_lock;
    unsigned pending; /* logins queued or verifying */
};

/* ---- responses ---- */

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             const char *body, size_t len, const char *cache)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache ? cache : "no-store");
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* {"error": reason} plus optional extra members already formatted (",\"x\":1"). */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *reason,
                                   const char *extra_header, const char *extra_value)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, reason);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *text = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    g_free(text);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    common_headers(r);
    if (extra_header) MHD_add_response_header(r, extra_header, extra_value);
    if (status == MHD_HTTP_UPGRADE_REQUIRED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
        MHD_add_response_header(r, "Sec-WebSocket-Version", WS_VERSION);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void count(wic_api *a, const char *metric, const char *label, const char *value)
{
    if (!a->metrics) return;
    char labels[64];
    g_snprintf(labels, sizeof labels, "%s=\"%s\"", label, value);
    rt_metrics_add(a->metrics, metric, labels, 1);
}

static void peer_name(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    g_strlcpy(out, "?", len);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    socklen_t sl =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    getnameinfo(sa, sl, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
}

/* ---- static files ---- */

static const char *ctype_of(const char *name)
{
    if (g_str_has_suffix(name, ".html")) return "text/html; charset=utf-8";
    if (g_str_has_suffix(name, ".js")) return "text/javascript; charset=utf-8";
    if (g_str_has_suffix(name, ".css")) return "text/css; charset=utf-8";
    if (g_str_has_suffix(name, ".svg")) return "image/svg+xml";
    if (g_str_has_suffix(name, ".ico")) return "image/x-icon";
    if (g_str_has_suffix(name, ".png")) return "image/png";
    return NULL;
}

static void file_free(gpointer p)
{
    static_file *f = p;
    g_free(f->data);
    g_free(f);
}

static char *find_www(const char *configured)
{
    if (configured && *configured) return g_strdup(configured);
    /* Compiled-in search: the source tree above the binary (build/bin/wtpf, build/x/bin/wtpf),
     * an installed share directory, then the working directory. */
    GPtrArray *cands = g_ptr_array_new_with_free_func(g_free);
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        char *dir = g_path_get_dirname(exe);
        for (int up = 1; up <= 4; up++) {
            GString *p = g_string_new(dir);
            for (int i = 0; i < up; i++)
                g_string_append(p, "/..");
            g_string_append(p, "/wtpf/www");
            g_ptr_array_add(cands, g_string_free(p, FALSE));
        }
        g_ptr_array_add(cands, g_strconcat(dir, "/../share/wtpf-suite/www", NULL));
        g_free(dir);
        g_free(exe);
    }
    g_ptr_array_add(cands, g_strdup("wtpf/www"));
    char *found = NULL;
    for (guint i = 0; i < cands->len && !found; i++) {
        char *idx = g_build_filename(g_ptr_array_index(cands, i), "index.html", NULL);
        if (g_file_test(idx, G_FILE_TEST_IS_REGULAR))
            found = g_canonicalize_filename(g_ptr_array_index(cands, i), NULL);
        g_free(idx);
    }
    g_ptr_array_unref(cands);
    return found;
}

static bool load_files(wic_api *a, GError **err)
{
    a->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, file_free);
    a->www_dir = find_www(a->cfg.www_dir);
    if (!a->www_dir) {
        LOGW(RT_SUB_HTTP, NULL, "no WIC page found (set http.www_dir): / answers 404");
        return true;
    }
    GDir *d = g_dir_open(a->www_dir, 0, err);
    if (!d) return false;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        const char *ct = ctype_of(name);
        if (!ct || name[0] == '.') continue;
        char *path = g_build_filename(a->www_dir, name, NULL);
        static_file *f = g_new0(static_file, 1);
        f->ctype = ct;
        if (!g_file_get_contents(path, &f->data, &f->len, err)) {
            g_free(path);
            file_free(f);
            g_dir_close(d);
            return false;
        }
        g_free(path);
        g_hash_table_insert(a->files, g_strconcat("/", name, NULL), f);
    }
    g_dir_close(d);
    return true;
}

static enum MHD_Result serve_file(wic_api *a, struct MHD_Connection *c, const char *url)
{
    static_file *f = g_hash_table_lookup(a->files, strcmp(url, "/") == 0 ? "/index.html" : url);
    if (!f) return reply_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL, NULL);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    common_headers(r);
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; connect-src 'self' ws: wss:; "
                            "img-src 'self' data:; object-src 'none'; base-uri 'none'");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- login ---- */

static void kdf_work(gpointer data, gpointer ud)
{
    req *r = data;
    wic_api *a = ud;
    r->verified = auth_verify_password(r->password, r->hash);
    g_async_queue_push(a->done, r);
}

static gboolean resume_done(gpointer ud)
{
    wic_api *a = ud;
    req *r;
    while ((r = g_async_queue_try_pop(a->done))) {
        r->state = LOGIN_DONE;
        a->pending--;
        MHD_resume_connection(r->conn);
    }
    rt_httpd_kick(a->httpd);
    if (a->pending) return G_SOURCE_CONTINUE;
    a->done_id = 0;
    return G_SOURCE_REMOVE;
}

/* Parses {"user": ..., "password": ...}; an error text on failure. */
static const char *parse_login(req *r)
{
    JsonParser *p = json_parser_new();
    const char *bad = NULL;
    if (!g_utf8_validate(r->body->str, (gssize)r->body->len, NULL) ||
        !json_parser_load_from_data(p, r->body->str, (gssize)r->body->len, NULL)) {
        bad = "body is not JSON";
    } else {
        JsonNode *root = json_parser_get_root(p);
        JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
        JsonNode *u = o ? json_object_get_member(o, "user") : NULL;
        JsonNode *pw = o ? json_object_get_member(o, "password") : NULL;
        if (!o)
            bad = "body is not a JSON object";
        else if (!u || !pw)
            bad = "user and password are required";
        else if (json_node_get_value_type(u) != G_TYPE_STRING ||
                 json_node_get_value_type(pw) != G_TYPE_STRING)
            bad = "user and password must be strings";
        else {
            const char *us = json_node_get_string(u), *ps = json_node_get_string(pw);
            if (!*us || strlen(us) > 64)
                bad = "user must be 1 to 64 characters";
            else if (strlen(ps) > PASSWORD_MAX)
                bad = "password too long";
            else {
                r->user_name = g_strdup(us);
                r->password = g_strdup(ps);
            }
        }
    }
    g_object_unref(p);
    return bad;
}

static enum MHD_Result login_finish(wic_api *a, req *r)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    char ukey[96], skey[96];
    g_snprintf(ukey, sizeof ukey, "user:%s", r->user_name);
    g_snprintf(skey, sizeof skey, "src:%s", r->src);
    wtpf_user *u = wtpf_dir_user(a->dir, r->user_name);
    if (!r->verified || !u) {
        /* Per user only for users that exist: unknown names must not fill the table. */
        unsigned l1 = u ? auth_throttle_fail(a->throttle, ukey, now) : 0;
        unsigned l2 = auth_throttle_fail(a->throttle, skey, now);
        LOGN(RT_SUB_HTTP, NULL, "login refused for \"%s\" from %s%s", r->user_name, r->src,
             l1 || l2 ? " (now throttled)" : "");
        count(a, "logins_total", "result", "bad_credentials");
        return reply_error(r->conn, MHD_HTTP_UNAUTHORIZED, "invalid user or password",
                           "WWW-Authenticate", "Token");
    }
    auth_throttle_ok(a->throttle, ukey);
    gint64 expires = now + a->cfg.token_lifetime;
    char *token = auth_token_issue(&a->cfg.key, u->name, expires);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "token");
    json_builder_add_string_value(b, token);
    json_builder_set_member_name(b, "expires");
    json_builder_add_int_value(b, expires);
    json_builder_set_member_name(b, "user");
    json_builder_add_string_value(b, u->name);
    char *uri = g_strconcat("tel:", u->number, NULL);
    json_builder_set_member_name(b, "uri");
    json_builder_add_string_value(b, uri);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *text = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    LOGN(RT_SUB_HTTP, NULL, "login: %s from %s", u->name, r->src);
    count(a, "logins_total", "result", "ok");
    enum MHD_Result ret = reply(r->conn, MHD_HTTP_OK, "application/json", text, strlen(text), NULL);
    g_free(text);
    g_free(uri);
    g_free(token);
    return ret;
}

static enum MHD_Result login(wic_api *a, req *r)
{
    if (r->too_big) {
        count(a, "logins_total", "result", "bad_request");
        return reply_error(r->conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large", NULL,
                           NULL);
    }
    const char *bad = parse_login(r);
    if (bad) {
        count(a, "logins_total", "result", "bad_request");
        return reply_error(r->conn, MHD_HTTP_BAD_REQUEST, bad, NULL, NULL);
    }
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    char ukey[96], skey[96];
    g_snprintf(ukey, sizeof ukey, "user:%s", r->user_name);
    g_snprintf(skey, sizeof skey, "src:%s", r->src);
    unsigned wait = MAX(auth_throttle_check(a->throttle, ukey, now),
                        auth_throttle_check(a->throttle, skey, now));
    if (wait) {
        char ra[16];
        g_snprintf(ra, sizeof ra, "%u", wait);
        LOGI(RT_SUB_HTTP, NULL, "login for \"%s\" from %s throttled (%u s)", r->user_name, r->src,
             wait);
        count(a, "logins_total", "result", "throttled");
        return reply_error(r->conn, MHD_HTTP_TOO_MANY_REQUESTS,
                           "too many failed logins; retry later", MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (a->pending >= a->cfg.kdf_queue_max) {
        count(a, "logins_total", "result", "busy");
        return reply_error(r->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy; retry later",
                           MHD_HTTP_HEADER_RETRY_AFTER, "1");
    }
    wtpf_user *u = wtpf_dir_user(a->dir, r->user_name);
    r->known = u != NULL;
    r->hash = g_strdup(u ? u->password_hash : a->dummy_hash);
    r->state = LOGIN_VERIFYING;
    a->pending++;
    MHD_suspend_connection(r->conn);
    g_thread_pool_push(a->kdf, r, NULL);
    /* the loop collects finished checks every few ms while some are pending */
    if (!a->done_id) a->done_id = g_timeout_add(5, resume_done, a);
    return MHD_YES;
}

/* ---- WebSocket upgrade ---- */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    GArray *arr = cls;
    if (arr->len >= 100) return MHD_NO;
    ws_http_header h = {key, value ? value : ""};
    g_array_append_val(arr, h);
    return MHD_YES;
}

static void on_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra,
                        size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    wic_api *a = cls;
    req *r = req_cls;
    char *uri = g_strconcat("tel:", r->ws_user->number, NULL);
    wic_sessions_open(a->sessions, r->ws_user, uri, urh, sock, extra, extra_len, r->src);
    g_free(uri);
}

static enum MHD_Result upgrade(wic_api *a, req *r)
{
    struct MHD_Connection *c = r->conn;
    GArray *hdrs = g_array_new(FALSE, FALSE, sizeof(ws_http_header));
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, hdrs);
    ws_handshake hs;
    int st = ws_handshake_check((ws_http_header *)(void *)hdrs->data, hdrs->len, &hs);
    g_array_unref(hdrs);
    if (st != 101) {
        count(a, "ws_upgrades_total", "result", "bad_handshake");
        return reply_error(c, (unsigned)st, hs.reason, NULL, NULL);
    }
    const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    char *user = NULL;
    auth_token_status ts =
        auth_token_check(&a->cfg.key, token, g_get_real_time() / G_USEC_PER_SEC, &user, NULL);
    wtpf_user *u = ts == AUTH_TOKEN_OK ? wtpf_dir_user(a->dir, user) : NULL;
    g_free(user);
    if (!u) {
        const char *why = !token                ? "token missing"
                          : ts == AUTH_TOKEN_OK ? "unknown user"
                                                : auth_token_status_name(ts);
        LOGI(RT_SUB_HTTP, NULL, "WebSocket from %s refused: %s", r->src, why);
        count(a, "ws_upgrades_total", "result", "unauthorized");
        return reply_error(c, MHD_HTTP_UNAUTHORIZED, why, "WWW-Authenticate", "Token");
    }
    if (!wic_sessions_may_open(a->sessions, u)) {
        count(a, "ws_upgrades_total", "result", "too_many");
        return reply_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many sessions for this user", NULL,
                           NULL);
    }
    r->ws_user = u;
    struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, a);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", hs.accept);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    count(a, "ws_upgrades_total", "result", "ok");
    return ret;
}

/* ---- dispatch ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    wic_api *a = cls;
    req *r = *con_cls;
    if (!r) {
        r = g_new0(req, 1);
        r->api = a;
        r->conn = c;
        peer_name(c, r->src, sizeof r->src);
        r->kind =
            strcmp(url, "/api/login") == 0 && strcmp(method, "POST") == 0 ? REQ_LOGIN : REQ_OTHER;
        if (r->kind == REQ_LOGIN) r->body = g_string_new(NULL);
        *con_cls = r;
        return MHD_YES;
    }
    if (r->kind == REQ_LOGIN) {
        if (*upload_size) {
            if (r->body->len + *upload_size > LOGIN_BODY_MAX)
                r->too_big = true;
            else
                g_string_append_len(r->body, upload, (gssize)*upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        if (r->state == LOGIN_READING) return login(a, r);
        if (r->state == LOGIN_DONE) return login_finish(a, r);
        return MHD_YES; /* still verifying */
    }
    if (*upload_size) { /* no other route takes a body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/wic") == 0) {
        if (strcmp(method, "GET") != 0)
            return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only", "Allow", "GET");
        return upgrade(a, r);
    }
    if (strcmp(url, "/api/login") == 0)
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only", "Allow", "POST");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", "Allow",
                           "GET, HEAD");
    return serve_file(a, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *r = *con_cls;
    if (!r) return;
    if (r->body) g_string_free(r->body, TRUE);
    g_free(r->user_name);
    if (r->password) {
        explicit_bzero(r->password, strlen(r->password));
        g_free(r->password);
    }
    g_free(r->hash);
    g_free(r);
    *con_cls = NULL;
}

static char *read_pem(const char *path, GError **err)
{
    char *data = NULL;
    if (!g_file_get_contents(path, &data, NULL, err)) return NULL;
    return data;
}

wic_api *wic_api_start(const wic_api_cfg *cfg, const wtpf_dir *dir, wic_sessions *sessions,
                       ws_hub *hub, rt_metrics_t *metrics, GError **err)
{
    wic_api *a = g_new0(wic_api, 1);
    a->cfg = *cfg;
    a->address = g_strdup(cfg->address);
    a->dir = dir;
    a->sessions = sessions;
    a->hub = hub;
    a->metrics = metrics;
    a->throttle = auth_throttle_new(&cfg->throttle);
    a->done = g_async_queue_new();
    if (metrics) {
        rt_metrics_define(metrics, "logins_total", "counter", "POST /api/login by result");
        rt_metrics_define(metrics, "ws_upgrades_total", "counter",
                          "GET /wic upgrade requests by result");
    }
    /* A hash of a random password, made with the same KDF as the users' (same cost). */
    char rnd[33];
    auth_key k;
    auth_key_random(&k);
    for (int i = 0; i < 16; i++)
        g_snprintf(rnd + 2 * i, 3, "%02x", k.key[i]);
    a->dummy_hash = auth_hash_password(rnd, NULL);
    if (!a->dummy_hash) a->dummy_hash = g_strdup("$6$invalid$");
    if (!load_files(a, err)) goto fail;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->address, &sa.sin_addr) != 1) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "http: bad address %s",
                    cfg->address);
        goto fail;
    }
    bool tls = cfg->tls_cert && *cfg->tls_cert && cfg->tls_key && *cfg->tls_key;
    if (tls) {
        if (!(a->tls_cert_pem = read_pem(cfg->tls_cert, err))) goto fail;
        if (!(a->tls_key_pem = read_pem(cfg->tls_key, err))) goto fail;
    }
    unsigned flags = RT_HTTPD_MHD_FLAGS | MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME;
    if (tls) flags |= MHD_USE_TLS;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->request_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, a->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        a->tls_key_pem, MHD_OPTION_END);
    if (!d) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "http: cannot listen on %s:%u%s",
                    cfg->address, cfg->port, tls ? " (or the certificate/key is refused)" : "");
        goto fail;
    }
    a->httpd = rt_httpd_attach(d);
    ws_hub_set_httpd(hub, a->httpd);
    a->kdf = g_thread_pool_new(kdf_work, a, (gint)MAX(cfg->kdf_threads, 1u), FALSE, NULL);
    LOGN(RT_SUB_HTTP, NULL, "WIC API on %s://%s:%u/ (page from %s)", tls ? "https" : "http",
         cfg->address, rt_httpd_port(a->httpd), a->www_dir ? a->www_dir : "nowhere");
    return a;
fail:
    wic_api_free(a);
    return NULL;
}

unsigned wic_api_port(const wic_api *a)
{
    return rt_httpd_port(a->httpd);
}

rt_httpd_t *wic_api_httpd(wic_api *a)
{
    return a->httpd;
}

const char *wic_api_www_dir(const wic_api *a)
{
    return a->www_dir;
}

void wic_api_free(wic_api *a)
{
    if (!a) return;
    if (a->kdf) g_thread_pool_free(a->kdf, FALSE, TRUE); /* waits for running checks */
    if (a->done_id) g_source_remove(a->done_id);
    if (a->httpd) {
        /* every suspended login must be resumed before MHD stops */
        req *r;
        while ((r = g_async_queue_try_pop(a->done))) {
            r->state = LOGIN_DONE;
            MHD_resume_connection(r->conn);
        }
        rt_httpd_free(a->httpd);
    }
    g_async_queue_unref(a->done);
    if (a->files) g_hash_table_unref(a->files);
    auth_throttle_free(a->throttle);
    g_free(a->dummy_hash);
    g_free(a->address);
    g_free(a->www_dir);
    g_free(a->tls_cert_pem);
    g_free(a->tls_key_pem);
    g_free(a);
}
