/* wtpf: the WebRTC Third Party Function. Wires configuration -> directory of users and groups ->
 * WIC sessions (HTTP/WebSocket, wic_api + ws_conn) and calls (with services) -> W8 (SIP to the
 * pcscf), inside the common daemon runtime. `wtpf --hash-password` makes password hashes. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/daemon.h"
#include "runtime/log.h"
#include "wtpf/auth.h"
#include "wtpf/calls.h"
#include "wtpf/directory.h"
#include "wtpf/w8.h"
#include "wtpf/wic_api.h"
#include "wtpf/wic_msg.h"
#include "wtpf/wic_session.h"
#include "wtpf/ws_conn.h"

static const rt_cfg_key_t http_keys[] = {
    {"address", RT_CFG_STRING, "\"127.0.10.1\"", 1, 64, "WIC HTTP listen address (IPv4)", NULL, 0,
     NULL},
    {"port", RT_CFG_INT, "8080", 0, 65535, "WIC HTTP port (0: any)", NULL, 0, NULL},
    {"tls_certificate", RT_CFG_STRING, "\"\"", 0, 4096,
     "PEM certificate file; with tls_key the WIC API is HTTPS/WSS only", NULL, 0, NULL},
    {"tls_key", RT_CFG_STRING, "\"\"", 0, 4096, "PEM private key file", NULL, 0, NULL},
    {"www_dir", RT_CFG_STRING, "\"\"", 0, 4096,
     "directory of the WIC page; empty: wtpf/www of the source tree the binary was built in, "
     "then <prefix>/share/wtpf-suite/www, then ./wtpf/www",
     NULL, 0, NULL},
    {"max_connections", RT_CFG_INT, "20000", 16, 1000000,
     "HTTP connections at once, WebSockets included", NULL, 0, NULL},
    {"per_ip_connections", RT_CFG_INT, "0", 0, 1000000,
     "connections per client address (0: "
     "no limit)",
     NULL, 0, NULL},
    {"request_timeout", RT_CFG_INT, "30", 1, 3600, "seconds an idle HTTP request may take", NULL, 0,
     NULL},
    {"connection_memory", RT_CFG_INT, "8192", 4096, 1048576,
     "bytes of request buffer per HTTP connection, kept while its WebSocket lives (request "
     "headers must fit)",
     NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t auth_keys[] = {
    {"token_key", RT_CFG_STRING, "\"\"", 0, 64,
     "64 hex digits signing the login tokens; empty: a random key per start (tokens do not "
     "survive a restart)",
     NULL, 0, NULL},
    {"token_lifetime", RT_CFG_INT, "3600", 1, 2592000, "seconds a token may open WebSockets", NULL,
     0, NULL},
    {"max_failures", RT_CFG_INT, "5", 1, 1000,
     "failed logins of one user or from one address within failure_window before a lockout", NULL,
     0, NULL},
    {"failure_window", RT_CFG_INT, "300", 1, 86400, "seconds", NULL, 0, NULL},
    {"lockout", RT_CFG_INT, "30", 1, 86400, "first lockout in seconds; doubles each time", NULL, 0,
     NULL},
    {"lockout_max", RT_CFG_INT, "900", 1, 86400, "longest lockout in seconds", NULL, 0, NULL},
    {"kdf_threads", RT_CFG_INT, "2", 1, 64, "threads checking passwords", NULL, 0, NULL},
    {"kdf_queue_max", RT_CFG_INT, "64", 1, 100000, "logins waiting for a password check before 503",
     NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t ws_keys[] = {
    {"max_message", RT_CFG_INT, "98304", 1024, 1048576,
     "largest WebSocket message in bytes (RFC 6455 §10.4); larger ones close with 1009", NULL, 0,
     NULL},
    {"ping_interval", RT_CFG_INT, "30", 0, 3600,
     "seconds of client silence before a Ping (0: "
     "never)",
     NULL, 0, NULL},
    {"idle_timeout", RT_CFG_INT, "75", 0, 86400,
     "seconds of client silence before the WebSocket is dropped (0: never)", NULL, 0, NULL},
    {"send_buffer_max", RT_CFG_INT, "1048576", 65536, 67108864,
     "bytes queued toward a slow client before it is dropped", NULL, 0, NULL},
    {"max_per_user", RT_CFG_INT, "8", 0, 1000, "WebSockets per user (0: no limit)", NULL, 0, NULL},
    {"max_errors", RT_CFG_INT, "50", 0, 1000000,
     "invalid messages before a client is closed with 1008 (0: no limit)", NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t w8_keys[] = {
    {"mode", RT_CFG_STRING, "\"registration\"", 0, 0,
     "registration: RFC 6140 GIN REGISTER as the PBX subscriber; static: no registration", NULL, 0,
     "registration|static"},
    {"listen", RT_CFG_STRING, "\"sip:127.0.10.1:5060\"", 5, 256,
     "our SIP URI (UDP and TCP are bound)", NULL, 0, NULL},
    {"pcscf", RT_CFG_STRING, "\"sip:127.0.10.2:5060\"", 5, 256,
     "the pcscf: every request goes there; INVITEs from elsewhere get 403", NULL, 0, NULL},
    {"domain", RT_CFG_STRING, "\"ims.lab\"", 1, 256, "IMS home domain", NULL, 0, NULL},
    {"impi", RT_CFG_STRING, "\"pbx@ims.lab\"", 0, 256, "PBX private identity", NULL, 0, NULL},
    {"password", RT_CFG_STRING, "\"\"", 0, 256, "PBX Digest password", NULL, 0, NULL},
    {"impu", RT_CFG_STRING, "\"sip:+33140000000@ims.lab\"", 5, 256,
     "PBX public identity (site identifier)", NULL, 0, NULL},
    {"realm", RT_CFG_STRING, "\"\"", 0, 256, "Digest realm (empty: the challenge's)", NULL, 0,
     NULL},
    {"number_prefix", RT_CFG_STRING, "\"+3314000\"", 0, 32,
     "the PBX range: every user and group number starts with it", NULL, 0, NULL},
    {"expires", RT_CFG_INT, "3600", 30, 86400, "registration lifetime asked for, seconds", NULL, 0,
     NULL},
    {"keepalive", RT_CFG_INT, "30", 0, 3600,
     "seconds between OPTIONS to the pcscf; an answer after silence redoes the registration "
     "(0: none)",
     NULL, 0, NULL},
    {"retry_min", RT_CFG_INT, "2", 1, 3600, "first delay after a failed registration", NULL, 0,
     NULL},
    {"retry_max", RT_CFG_INT, "60", 1, 86400, "longest delay between registration attempts", NULL,
     0, NULL},
    {"user_agent", RT_CFG_STRING, "\"wtpf/" SUITE_VERSION "\"", 0, 128, "User-Agent", NULL, 0,
     NULL},
    {"correlation_header", RT_CFG_STRING, "\"X-Correlation-ID\"", 0, 64,
     "SIP header carrying the correlation id (empty: none)", NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t calls_keys[] = {
    {"ring_timeout", RT_CFG_INT, "120", 0, 3600,
     "seconds an incoming call rings without no-answer diversion before 480 (0: forever)", NULL, 0,
     NULL},
    {"max_calls", RT_CFG_INT, "10000", 0, 1000000, "calls at once (0: no limit)", NULL, 0, NULL},
    {"divert_assert_caller", RT_CFG_BOOL, "false", 0, 0,
     "diverted INVITEs assert the original caller (needs a privileged-sender pcscf) instead "
     "of the diverting number",
     NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t services_keys[] = {
    {"transform", RT_CFG_LIST, NULL, 0, 0,
     "called-number rules for everyone, after the user's and groups' own", wtpf_dir_rule_keys, 0,
     NULL},
    {NULL}};

static const rt_cfg_key_t wtpf_keys[] = {
    {"http", RT_CFG_GROUP, NULL, 0, 0, "WIC-facing HTTP server", http_keys, 0, NULL},
    {"auth", RT_CFG_GROUP, NULL, 0, 0, "login, tokens, throttling", auth_keys, 0, NULL},
    {"websocket", RT_CFG_GROUP, NULL, 0, 0, "WebSocket limits", ws_keys, 0, NULL},
    {"w8", RT_CFG_GROUP, NULL, 0, 0, "SIP toward the pcscf", w8_keys, 0, NULL},
    {"calls", RT_CFG_GROUP, NULL, 0, 0, "call handling", calls_keys, 0, NULL},
    {"services", RT_CFG_GROUP, NULL, 0, 0, "services for everyone", services_keys, 0, NULL},
    {"users", RT_CFG_LIST, NULL, 0, 0, "WIC users", wtpf_dir_user_keys, 0, NULL},
    {"groups", RT_CFG_LIST, NULL, 0, 0, "groups (simultaneous ringing)", wtpf_dir_group_keys, 0,
     NULL},
    {NULL}};

typedef struct {
    rt_daemon_t *d;
    wtpf_dir *dir;
    ws_hub *hub;
    wic_sessions *sessions;
    calls_t *calls;
    w8_t *w8;
    wic_api *api;
} wtpf_t;

static void check(const config_t *cfg, GString *errors)
{
    wtpf_dir_free(wtpf_dir_load(cfg, rt_cfg_str(cfg, "w8.number_prefix"), errors));
    const char *cert = rt_cfg_str(cfg, "http.tls_certificate"),
               *key = rt_cfg_str(cfg, "http.tls_key");
    if ((*cert != 0) != (*key != 0))
        rt_cfg_error(errors, config_lookup(cfg, "http"),
                     "http: tls_certificate and tls_key go together");
    const char *tk = rt_cfg_str(cfg, "auth.token_key");
    auth_key k;
    if (*tk && !auth_key_from_hex(&k, tk))
        rt_cfg_error(errors, config_lookup(cfg, "auth.token_key"),
                     "auth.token_key: 64 hex digits expected");
    if (!g_str_has_prefix(rt_cfg_str(cfg, "w8.listen"), "sip:"))
        rt_cfg_error(errors, config_lookup(cfg, "w8.listen"), "w8.listen: a sip: URI expected");
    if (!g_str_has_prefix(rt_cfg_str(cfg, "w8.pcscf"), "sip:"))
        rt_cfg_error(errors, config_lookup(cfg, "w8.pcscf"), "w8.pcscf: a sip: URI expected");
    if (strcmp(rt_cfg_str(cfg, "w8.mode"), "registration") == 0 &&
        (!*rt_cfg_str(cfg, "w8.impi") || !*rt_cfg_str(cfg, "w8.password")))
        rt_cfg_error(errors, config_lookup(cfg, "w8"),
                     "w8: registration mode needs impi and password");
    if (rt_cfg_int(cfg, "auth.lockout") > rt_cfg_int(cfg, "auth.lockout_max"))
        rt_cfg_error(errors, config_lookup(cfg, "auth.lockout"),
                     "auth.lockout: longer than lockout_max");
}

static gboolean health(GString *detail, void *ud)
{
    wtpf_t *n = ud;
    g_string_append_printf(detail,
                           "\"registration\":\"%s\",\"wic_sessions\":%u,\"logged_in_users\":%u,"
                           "\"calls\":%u",
                           w8_reg_name(w8_reg(n->w8)), wic_sessions_count(n->sessions),
                           wic_sessions_users(n->sessions), calls_count(n->calls));
    return TRUE;
}

/* 10,000 WebSockets need 10,000 descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void node_free(void *node);

static void *start(rt_daemon_t *d, const config_t *cfg, GError **err)
{
    wtpf_t *n = g_new0(wtpf_t, 1);
    n->d = d;
    rt_metrics_t *m = rt_daemon_metrics(d);
    GString *errors = g_string_new(NULL);
    n->dir = wtpf_dir_load(cfg, rt_cfg_str(cfg, "w8.number_prefix"), errors);
    g_string_free(errors, TRUE); /* already reported by check() */
    raise_fd_limit();

    ws_hub_cfg hc = {.max_message = (size_t)rt_cfg_int(cfg, "websocket.max_message"),
                     .ping_interval = (unsigned)rt_cfg_int(cfg, "websocket.ping_interval"),
                     .idle_timeout = (unsigned)rt_cfg_int(cfg, "websocket.idle_timeout"),
                     .send_buffer_max = (size_t)rt_cfg_int(cfg, "websocket.send_buffer_max"),
                     .close_timeout = 2};
    n->hub = ws_hub_new(&hc, m);
    n->sessions = wic_sessions_new(n->hub, m, (unsigned)rt_cfg_int(cfg, "websocket.max_per_user"),
                                   (unsigned)rt_cfg_int(cfg, "websocket.max_errors"));
    calls_cfg cc = {.ring_timeout = (unsigned)rt_cfg_int(cfg, "calls.ring_timeout"),
                    .max_calls = (unsigned)rt_cfg_int(cfg, "calls.max_calls"),
                    .divert_assert_caller = rt_cfg_bool(cfg, "calls.divert_assert_caller")};
    n->calls = calls_new(&cc, n->dir, n->sessions, m);
    wic_sessions_set_cbs(n->sessions, &calls_session_cbs, n->calls);

    w8_cfg wc = {.mode = strcmp(rt_cfg_str(cfg, "w8.mode"), "static") == 0 ? W8_MODE_STATIC
                                                                           : W8_MODE_REGISTRATION,
                 .listen = rt_cfg_str(cfg, "w8.listen"),
                 .pcscf = rt_cfg_str(cfg, "w8.pcscf"),
                 .domain = rt_cfg_str(cfg, "w8.domain"),
                 .impi = rt_cfg_str(cfg, "w8.impi"),
                 .password = rt_cfg_str(cfg, "w8.password"),
                 .impu = rt_cfg_str(cfg, "w8.impu"),
                 .realm = rt_cfg_str(cfg, "w8.realm"),
                 .expires = (unsigned)rt_cfg_int(cfg, "w8.expires"),
                 .keepalive = (unsigned)rt_cfg_int(cfg, "w8.keepalive"),
                 .retry_min = (unsigned)rt_cfg_int(cfg, "w8.retry_min"),
                 .retry_max = (unsigned)rt_cfg_int(cfg, "w8.retry_max"),
                 .user_agent = rt_cfg_str(cfg, "w8.user_agent"),
                 .correlation_header = rt_cfg_str(cfg, "w8.correlation_header")};
    n->w8 = w8_new(&wc, &calls_w8_events, n->calls, m, err);
    if (!n->w8) goto fail;
    calls_set_w8(n->calls, n->w8);

    wic_api_cfg ac = {
        .address = rt_cfg_str(cfg, "http.address"),
        .port = (unsigned)rt_cfg_int(cfg, "http.port"),
        .tls_cert = rt_cfg_str(cfg, "http.tls_certificate"),
        .tls_key = rt_cfg_str(cfg, "http.tls_key"),
        .www_dir = rt_cfg_str(cfg, "http.www_dir"),
        .max_connections = (unsigned)rt_cfg_int(cfg, "http.max_connections"),
        .per_ip_connections = (unsigned)rt_cfg_int(cfg, "http.per_ip_connections"),
        .request_timeout = (unsigned)rt_cfg_int(cfg, "http.request_timeout"),
        .connection_memory = (unsigned)rt_cfg_int(cfg, "http.connection_memory"),
        .token_lifetime = (unsigned)rt_cfg_int(cfg, "auth.token_lifetime"),
        .throttle = {.max_failures = (unsigned)rt_cfg_int(cfg, "auth.max_failures"),
                     .window = (unsigned)rt_cfg_int(cfg, "auth.failure_window"),
                     .lockout = (unsigned)rt_cfg_int(cfg, "auth.lockout"),
                     .lockout_max = (unsigned)rt_cfg_int(cfg, "auth.lockout_max")},
        .kdf_threads = (unsigned)rt_cfg_int(cfg, "auth.kdf_threads"),
        .kdf_queue_max = (unsigned)rt_cfg_int(cfg, "auth.kdf_queue_max"),
        .identity_domain = rt_cfg_str(cfg, "w8.domain"),
    };
    if (!auth_key_from_hex(&ac.key, rt_cfg_str(cfg, "auth.token_key"))) auth_key_random(&ac.key);
    n->api = wic_api_start(&ac, n->dir, n->sessions, n->hub, m, err);
    if (!n->api) goto fail;
    if (rt_daemon_admin(d)) rt_admin_set_health(rt_daemon_admin(d), health, n);
    LOGN(RT_SUB_MAIN, NULL, "%u users, %u groups", n->dir->users->len, n->dir->groups->len);
    return n;
fail:
    node_free(n);
    return NULL;
}

static void on_w8_down(void *ud)
{
    wtpf_t *n = ud;
    rt_daemon_stopped(n->d);
}

/* SIGTERM: end calls (WICs get `ended`, W8 legs CANCEL/BYE), close WebSockets with 1001,
 * de-register, stop SIP. */
static void stop(void *node, rt_daemon_t *d)
{
    wtpf_t *n = node;
    calls_end_all(n->calls);
    ws_hub_close_all(n->hub, 1001, "server stopping");
    w8_shutdown(n->w8, on_w8_down, n);
}

static void node_free(void *node)
{
    wtpf_t *n = node;
    calls_free(n->calls);
    ws_hub_free(n->hub);
    wic_sessions_free(n->sessions);
    wic_api_free(n->api);
    w8_free(n->w8);
    wtpf_dir_free(n->dir);
    g_free(n);
}

static const rt_node_t wtpf_node = {
    .name = "wtpf",
    .metrics_prefix = "wtpf_",
    .keys = wtpf_keys,
    .check = check,
    .start = start,
    .stop = stop,
    .free = node_free,
};

/* `wtpf --hash-password [PASSWORD]`: prints a crypt(3) hash for users[].password_hash. Without
 * the argument the password is read from stdin (not echoed on a terminal). */
static int hash_password(int argc, char **argv)
{
    char buf[1024] = "";
    const char *pw = argc > 2 ? argv[2] : NULL;
    if (!pw) {
        struct termios old, quiet;
        bool tty = isatty(0) && tcgetattr(0, &old) == 0;
        if (tty) {
            fprintf(stderr, "password: ");
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(0, TCSANOW, &quiet);
        }
        if (!fgets(buf, sizeof buf, stdin)) buf[0] = '\0';
        if (tty) {
            tcsetattr(0, TCSANOW, &old);
            fprintf(stderr, "\n");
        }
        buf[strcspn(buf, "\r\n")] = '\0';
        pw = buf;
    }
    if (!*pw) {
        fprintf(stderr, "wtpf: empty password\n");
        return 1;
    }
    GError *err = NULL;
    char *h = auth_hash_password(pw, &err);
    if (!h) {
        fprintf(stderr, "wtpf: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    printf("%s\n", h);
    g_free(h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--hash-password") == 0) return hash_password(argc, argv);
    return rt_daemon_main(&wtpf_node, argc, argv);
}
