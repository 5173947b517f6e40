/* The media engine's control side (main thread): configuration, DTLS identity, worker threads,
 * port pools, the context table, the Add/Modify/Subtract API, events back to the main loop and
 * the /metrics collector. Packet handling lives in worker.c, w3_term.c and rtp_term.c. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cert.h"
#include "ice_cand.h"
#include "ports.h"
#include "runtime/log.h"
#include "term.h"

#define AGW_ERROR agw_media_error_quark()
GQuark agw_media_error_quark(void)
{
    return g_quark_from_static_string("agw-media-error-quark");
}

struct agw_media {
    agw_media_config_t cfg; /* strings below are our copies */
    char *w3_address, *rtp_address;
    agw_addr_t w3_local, rtp_local;
    agw_cert_t *cert;
    char fingerprint[8 + 3 * 64];
    unsigned nworkers, next_worker;
    agw_worker_t **workers;
    agw_ports_t *ports_w3, *ports_rtp; /* the same pool when both sides share an address */
    GHashTable *ctxs;                  /* id -> agw_ctx_t */
    uint32_t next_ctx_id, next_term_id;
    unsigned nterms[2];
    /* events from workers */
    GMutex ev_lock;
    GQueue ev_queue;
    int ev_fd;
    GSource *ev_source;
};

/* ---- small helpers -------------------------------------------------------------------------- */

const char *agw_setup_name(agw_setup_t s)
{
    switch (s) {
    case AGW_SETUP_ACTPASS:
        return "actpass";
    case AGW_SETUP_ACTIVE:
        return "active";
    case AGW_SETUP_PASSIVE:
        return "passive";
    default:
        return "";
    }
}

agw_setup_t agw_setup_parse(const char *s)
{
    if (!s) return AGW_SETUP_UNSET;
    if (g_ascii_strcasecmp(s, "actpass") == 0) return AGW_SETUP_ACTPASS;
    if (g_ascii_strcasecmp(s, "active") == 0) return AGW_SETUP_ACTIVE;
    if (g_ascii_strcasecmp(s, "passive") == 0) return AGW_SETUP_PASSIVE;
    return AGW_SETUP_UNSET;
}

const char *agw_event_name(agw_event_type_t t)
{
    switch (t) {
    case AGW_EV_ICE_SELECTED:
        return "ice_selected";
    case AGW_EV_DTLS_CONNECTED:
        return "dtls_connected";
    case AGW_EV_DTLS_FAILED:
        return "dtls_failed";
    case AGW_EV_DTLS_CLOSED:
        return "dtls_closed";
    case AGW_EV_CONSENT_LOST:
        return "consent_lost";
    case AGW_EV_NO_MEDIA:
        return "no_media";
    case AGW_EV_IO_FAILED:
        return "io_failed";
    }
    return "?";
}

const agw_media_config_t *agw_media_cfg(const agw_media_t *m)
{
    return &m->cfg;
}
gnutls_certificate_credentials_t agw_media_cred(const agw_media_t *m)
{
    return agw_cert_credentials(m->cert);
}
unsigned agw_media_worker_count(const agw_media_t *m)
{
    return m->nworkers;
}
const char *agw_media_io_name(const agw_media_t *m)
{
    return m->nworkers && agw_worker_uses_uring(m->workers[0]) ? "io_uring" : "epoll";
}
bool agw_media_io_parse(const char *s, agw_io_t *out)
{
    static const char *const names[] = {"auto", "io_uring", "epoll"};
    for (unsigned i = 0; s && i < G_N_ELEMENTS(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (agw_io_t)i;
            return true;
        }
    return false;
}
const char *agw_media_fingerprint(const agw_media_t *m)
{
    return m->fingerprint;
}
unsigned agw_media_context_count(const agw_media_t *m)
{
    return g_hash_table_size(m->ctxs);
}

/* ---- configuration table -------------------------------------------------------------------- */

static const rt_cfg_key_t media_keys[] = {
    {"w3_address", RT_CFG_STRING, "\"127.0.10.3\"", 1, 64,
     "numeric local address of the W3 (WebRTC) side; also the ICE host candidate", NULL, 0, NULL},
    {"rtp_address", RT_CFG_STRING, "\"127.0.10.3\"", 1, 64,
     "numeric local address of the IMS (Mb) side", NULL, 0, NULL},
    {"port_min", RT_CFG_INT, "20000", 1024, 65534, "first UDP port of the media range", NULL, 0,
     NULL},
    {"port_max", RT_CFG_INT, "29999", 1025, 65535,
     "last UDP port of the range (a session takes 1 W3 port and an RTP/RTCP pair)", NULL, 0, NULL},
    {"workers", RT_CFG_INT, "0", 0, 256, "media worker threads; 0 = one per CPU", NULL, 0, NULL},
    {"io", RT_CFG_STRING, "\"auto\"", 0, 0,
     "packet I/O of the workers: io_uring (batched, Linux >= 6.1), epoll (recvmmsg/sendmmsg per "
     "socket), or auto = io_uring when the kernel allows it, else epoll",
     NULL, 0, "auto|io_uring|epoll"},
    {"certificate", RT_CFG_STRING, "\"\"", 0, 4096,
     "PEM certificate for DTLS; empty = ECDSA P-256 self-signed generated at start", NULL, 0, NULL},
    {"private_key", RT_CFG_STRING, "\"\"", 0, 4096, "PEM private key of `certificate`", NULL, 0,
     NULL},
    {"srtp_profiles", RT_CFG_STRLIST, NULL, 0, 0,
     "DTLS-SRTP profiles offered, in order (default SRTP_AES128_CM_HMAC_SHA1_80, "
     "SRTP_AES128_CM_HMAC_SHA1_32)",
     NULL, 0, NULL},
    {"answer_setup", RT_CFG_STRING, "\"active\"", 0, 0,
     "our a=setup when answering an actpass offer (RFC 5763 recommends active)", NULL, 0,
     "active|passive"},
    {"dtls_timeout", RT_CFG_INT, "20", 1, 300, "seconds a DTLS handshake may take", NULL, 0, NULL},
    {"dtls_mtu", RT_CFG_INT, "1200", 576, 1500, "largest DTLS datagram", NULL, 0, NULL},
    {"consent_timeout", RT_CFG_INT, "30", 1, 3600,
     "seconds without an authenticated ICE check before consent is lost (RFC 7675)", NULL, 0, NULL},
    {"no_media_timeout", RT_CFG_INT, "60", 0, 86400,
     "seconds without RTP/RTCP on a termination before Notify; 0 = never", NULL, 0, NULL},
    {"strict_source", RT_CFG_BOOL, "true", 0, 0,
     "IMS side: latch only on packets from the SDP's host (false: the first valid packet from "
     "anywhere, as symmetric-RTP latching does for phones behind NAT or multi-homed hosts)",
     NULL, 0, NULL},
    {NULL}};
const rt_cfg_key_t agw_media_cfg_keys[] = {
    {"media", RT_CFG_GROUP, NULL, 0, 0, "media engine (W3 and Mb legs)", media_keys, 0, NULL},
    {NULL}};

static const config_setting_t *group_of(const config_t *cfg, const char *group)
{
    return group && *group ? config_lookup(cfg, group) : config_root_setting(cfg);
}

static unsigned profiles_of(const config_setting_t *list, GString *errors)
{
    if (!list) return 0;
    unsigned mask = 0;
    for (int i = 0; i < config_setting_length(list); i++) {
        config_setting_t *e = config_setting_get_elem(list, i);
        const char *name = config_setting_get_string(e);
        const agw_srtp_profile_info_t *pi = agw_srtp_profile_by_name(name);
        if (!pi || !pi->dtls_negotiable) {
            if (errors)
                rt_cfg_error(errors, e, "%s: %s", name ? name : "?",
                             pi ? "not negotiable with this GnuTLS (see SPECS §3.5)"
                                : "unknown SRTP protection profile");
            continue;
        }
        mask |= AGW_SRTP_MASK(pi->id);
    }
    return mask;
}

void agw_media_cfg_check(const config_t *cfg, const char *group, GString *errors)
{
    const config_setting_t *g = group_of(cfg, group);
    if (!g) return;
    long long lo = rt_cfg_member_int(g, "port_min", 20000),
              hi = rt_cfg_member_int(g, "port_max", 29999);
    if (lo > hi)
        rt_cfg_error(errors, config_setting_get_member(g, "port_max"), "port_max < port_min");
    agw_addr_t a;
    const char *names[] = {"w3_address", "rtp_address"};
    for (unsigned i = 0; i < 2; i++) {
        const char *v = rt_cfg_member_str(g, names[i]);
        if (v && !agw_addr_parse(&a, v, 0))
            rt_cfg_error(errors, config_setting_get_member(g, names[i]),
                         "%s: not a numeric IPv4/IPv6 address", v);
    }
    const char *c = rt_cfg_member_str(g, "certificate"), *k = rt_cfg_member_str(g, "private_key");
    if ((c && *c) != (k && *k))
        rt_cfg_error(errors,
                     config_setting_get_member(g, (c && *c) ? "certificate" : "private_key"),
                     "certificate and private_key go together");
    const config_setting_t *pl = config_setting_get_member(g, "srtp_profiles");
    if (pl && profiles_of(pl, errors) == 0 && config_setting_length(pl) > 0)
        rt_cfg_error(errors, pl, "no usable SRTP profile");
}

void agw_media_config_from_cfg(const config_t *cfg, const char *group, agw_media_config_t *o)
{
    memset(o, 0, sizeof *o);
    const config_setting_t *g = group_of(cfg, group);
    const char *v;
    o->w3_address = (v = g ? rt_cfg_member_str(g, "w3_address") : NULL) ? v : "127.0.10.3";
    o->rtp_address = (v = g ? rt_cfg_member_str(g, "rtp_address") : NULL) ? v : o->w3_address;
    o->port_min = (unsigned)(g ? rt_cfg_member_int(g, "port_min", 20000) : 20000);
    o->port_max = (unsigned)(g ? rt_cfg_member_int(g, "port_max", 29999) : 29999);
    o->workers = (unsigned)(g ? rt_cfg_member_int(g, "workers", 0) : 0);
    v = g ? rt_cfg_member_str(g, "io") : NULL;
    if (!v || !agw_media_io_parse(v, &o->io)) o->io = AGW_IO_AUTO;
    o->cert_file = g ? rt_cfg_member_str(g, "certificate") : NULL;
    o->key_file = g ? rt_cfg_member_str(g, "private_key") : NULL;
    o->srtp_profiles = g ? profiles_of(config_setting_get_member(g, "srtp_profiles"), NULL) : 0;
    v = g ? rt_cfg_member_str(g, "answer_setup") : NULL;
    o->answer_setup =
        v && g_ascii_strcasecmp(v, "passive") == 0 ? AGW_SETUP_PASSIVE : AGW_SETUP_ACTIVE;
    o->dtls_timeout_ms = 1000u * (unsigned)(g ? rt_cfg_member_int(g, "dtls_timeout", 20) : 20);
    o->dtls_mtu = (unsigned)(g ? rt_cfg_member_int(g, "dtls_mtu", 1200) : 1200);
    o->consent_timeout_ms =
        1000u * (unsigned)(g ? rt_cfg_member_int(g, "consent_timeout", 30) : 30);
    o->no_media_timeout_ms =
        1000u * (unsigned)(g ? rt_cfg_member_int(g, "no_media_timeout", 60) : 60);
    o->latch_any_source = g ? !rt_cfg_member_bool(g, "strict_source", true) : false;
}

/* ---- events --------------------------------------------------------------------------------- */

void agw_media_post_event(agw_media_t *m, const agw_event_msg_t *ev)
{
    agw_event_msg_t *copy = g_memdup2(ev, sizeof *ev);
    g_mutex_lock(&m->ev_lock);
    g_queue_push_tail(&m->ev_queue, copy);
    g_mutex_unlock(&m->ev_lock);
    uint64_t one = 1;
    while (write(m->ev_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

static agw_term_t *ctx_term(agw_ctx_t *c, uint32_t id)
{
    for (unsigned i = 0; i < 2; i++)
        if (c->terms[i] && c->terms[i]->id == id) return c->terms[i];
    return NULL;
}

static gboolean on_events(gint fd, GIOCondition cond, gpointer ud)
{
    agw_media_t *m = ud;
    uint64_t v;
    while (read(fd, &v, sizeof v) < 0 && errno == EINTR) {
    }
    for (;;) {
        g_mutex_lock(&m->ev_lock);
        agw_event_msg_t *msg = g_queue_pop_head(&m->ev_queue);
        g_mutex_unlock(&m->ev_lock);
        if (!msg) break;
        agw_ctx_t *c = g_hash_table_lookup(m->ctxs, GUINT_TO_POINTER(msg->ctx_id));
        agw_term_t *t = c ? ctx_term(c, msg->term_id) : NULL;
        if (t && m->cfg.on_event) {
            agw_event_t ev = {.type = msg->type,
                              .ctx = c,
                              .term = t,
                              .ctx_user_data = c->user_data,
                              .reason = msg->reason,
                              .profile = msg->profile,
                              .peer = msg->peer,
                              .idle_ms = msg->idle_ms};
            m->cfg.on_event(m, &ev, m->cfg.event_ud);
        }
        g_free(msg);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- metrics -------------------------------------------------------------------------------- */

static void metrics_define(rt_metrics_t *mt)
{
    rt_metrics_define(mt, "contexts", "gauge", "media contexts in use");
    rt_metrics_define(mt, "terminations", "gauge", "terminations in use by kind");
    rt_metrics_define(mt, "packets_total", "counter",
                      "RTP packets relayed by direction (received leg _to_ sending leg)");
    rt_metrics_define(mt, "octets_total", "counter", "RTP octets relayed (unencrypted size)");
    rt_metrics_define(mt, "rtcp_packets_total", "counter", "RTCP packets relayed");
    rt_metrics_define(mt, "packets_lost_total", "counter",
                      "RTP packets lost before reaching the AGW (RFC 3550 sequence gaps)");
    rt_metrics_define(mt, "srtp_failures_total", "counter",
                      "SRTP/SRTCP unprotect (w3_to_*) and protect (*_to_w3) failures");
    rt_metrics_define(mt, "packets_dropped_total", "counter", "received packets not relayed");
    rt_metrics_define(mt, "stun_checks_total", "counter", "ICE checks answered by result");
    rt_metrics_define(mt, "dtls_handshakes_total", "counter", "DTLS handshakes by result");
}

static void collect(rt_metrics_t *mt, void *ud)
{
    agw_media_t *m = ud;
    agw_counters_t sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned i = 0; i < m->nworkers; i++) {
        const agw_counters_t *c = agw_worker_counters(m->workers[i]);
        for (unsigned d = 0; d < AGW_DIRS; d++) {
            sum.packets[d] += AGW_CNT_GET(c->packets[d]);
            sum.octets[d] += AGW_CNT_GET(c->octets[d]);
            sum.rtcp[d] += AGW_CNT_GET(c->rtcp[d]);
            sum.lost[d] += AGW_CNT_GET(c->lost[d]);
            sum.srtp_fail[d] += AGW_CNT_GET(c->srtp_fail[d]);
        }
        for (unsigned r = 0; r < AGW_DROP_COUNT; r++)
            sum.dropped[r] += AGW_CNT_GET(c->dropped[r]);
        sum.stun_ok += AGW_CNT_GET(c->stun_ok);
        sum.stun_rejected += AGW_CNT_GET(c->stun_rejected);
        sum.dtls_ok += AGW_CNT_GET(c->dtls_ok);
        sum.dtls_failed += AGW_CNT_GET(c->dtls_failed);
    }
    rt_metrics_set(mt, "contexts", NULL, g_hash_table_size(m->ctxs));
    rt_metrics_set(mt, "terminations", "kind=\"w3\"", m->nterms[AGW_TERM_W3]);
    rt_metrics_set(mt, "terminations", "kind=\"rtp\"", m->nterms[AGW_TERM_RTP]);
    char l[64];
    for (unsigned d = 0; d < AGW_DIRS; d++) {
        bool main_dir =
            d == AGW_DIR(AGW_TERM_W3, AGW_TERM_RTP) || d == AGW_DIR(AGW_TERM_RTP, AGW_TERM_W3);
        if (!main_dir && !sum.packets[d] && !sum.rtcp[d] && !sum.srtp_fail[d]) continue;
        snprintf(l, sizeof l, "direction=\"%s\"", agw_dir_names[d]);
        rt_metrics_set(mt, "packets_total", l, (double)sum.packets[d]);
        rt_metrics_set(mt, "octets_total", l, (double)sum.octets[d]);
        rt_metrics_set(mt, "rtcp_packets_total", l, (double)sum.rtcp[d]);
        rt_metrics_set(mt, "packets_lost_total", l, (double)sum.lost[d]);
        rt_metrics_set(mt, "srtp_failures_total", l, (double)sum.srtp_fail[d]);
    }
    for (unsigned r = 0; r < AGW_DROP_COUNT; r++) {
        snprintf(l, sizeof l, "reason=\"%s\"", agw_drop_names[r]);
        rt_metrics_set(mt, "packets_dropped_total", l, (double)sum.dropped[r]);
    }
    rt_metrics_set(mt, "stun_checks_total", "result=\"ok\"", (double)sum.stun_ok);
    rt_metrics_set(mt, "stun_checks_total", "result=\"rejected\"", (double)sum.stun_rejected);
    rt_metrics_set(mt, "dtls_handshakes_total", "result=\"ok\"", (double)sum.dtls_ok);
    rt_metrics_set(mt, "dtls_handshakes_total", "result=\"failed\"", (double)sum.dtls_failed);
}

/* ---- engine --------------------------------------------------------------------------------- */

/* Descriptor slots made ready at start (see raise_fd_limit) */
#define AGW_FD_TABLE 32768

static void raise_fd_limit(void)
{
    /* Three sockets per session: 5,000 sessions need more than the usual 1,024. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    /* Grow the descriptor table once, now: the kernel doubles it when a new descriptor does not
     * fit, and in a process with threads each growth waits for an RCU grace period (11-16 ms
     * measured, at 64, 128, 256 descriptors) in the socket() of an Add. The table never
     * shrinks, so a descriptor duplicated high and closed again leaves it at full size (about
     * 8 bytes + 2 bits per slot). */
    rlim_t top = rl.rlim_cur < AGW_FD_TABLE ? rl.rlim_cur : AGW_FD_TABLE;
    int base = top > 1 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    if (base >= 0) {
        int fd = fcntl(base, F_DUPFD_CLOEXEC, (int)(top - 1)); /* the lowest free from there */
        if (fd >= 0) close(fd);
        close(base);
    }
}

agw_media_t *agw_media_new(const agw_media_config_t *cfg, GError **err)
{
    agw_media_t *m = g_new0(agw_media_t, 1);
    m->cfg = *cfg;
    m->w3_address = g_strdup(cfg->w3_address ? cfg->w3_address : "127.0.0.1");
    m->rtp_address = g_strdup(cfg->rtp_address ? cfg->rtp_address : m->w3_address);
    m->cfg.w3_address = m->w3_address;
    m->cfg.rtp_address = m->rtp_address;
    m->cfg.cert_file = m->cfg.key_file = NULL;
    if (!m->cfg.srtp_profiles)
        m->cfg.srtp_profiles =
            AGW_SRTP_MASK(AGW_SRTP_AES128_CM_SHA1_80) | AGW_SRTP_MASK(AGW_SRTP_AES128_CM_SHA1_32);
    if (m->cfg.answer_setup != AGW_SETUP_PASSIVE) m->cfg.answer_setup = AGW_SETUP_ACTIVE;
    if (!m->cfg.dtls_timeout_ms) m->cfg.dtls_timeout_ms = 20000;
    if (!m->cfg.dtls_mtu) m->cfg.dtls_mtu = 1200;
    if (!m->cfg.consent_timeout_ms) m->cfg.consent_timeout_ms = 30000;
    g_mutex_init(&m->ev_lock);
    g_queue_init(&m->ev_queue);
    m->ev_fd = -1;
    m->ctxs = g_hash_table_new(g_direct_hash, g_direct_equal);
    m->next_ctx_id = 1;
    m->next_term_id = 1;

    if (!agw_addr_parse(&m->w3_local, m->w3_address, 0) ||
        !agw_addr_parse(&m->rtp_local, m->rtp_address, 0)) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "media addresses must be numeric (%s, %s)",
                    m->w3_address, m->rtp_address);
        goto fail;
    }
    if (cfg->port_min < 1 || cfg->port_max > 65535 || cfg->port_min + 3 > cfg->port_max) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "bad media port range %u-%u", cfg->port_min,
                    cfg->port_max);
        goto fail;
    }
    if (!agw_srtp_global_init()) {
        g_set_error(err, AGW_ERROR, AGW_ERR_SYSTEM, "libsrtp2 initialisation failed");
        goto fail;
    }
    m->cert = cfg->cert_file && *cfg->cert_file ? agw_cert_load(cfg->cert_file, cfg->key_file, err)
                                                : agw_cert_generate("eims-agw", 365, err);
    if (!m->cert) goto fail;
    agw_dtls_setup_credentials(agw_cert_credentials(m->cert));
    snprintf(m->fingerprint, sizeof m->fingerprint, "sha-256 %s", agw_cert_fingerprint(m->cert));

    m->ports_w3 = agw_ports_new(&m->w3_local, (uint16_t)cfg->port_min, (uint16_t)cfg->port_max);
    m->ports_rtp =
        strcmp(m->w3_address, m->rtp_address) == 0
            ? m->ports_w3
            : agw_ports_new(&m->rtp_local, (uint16_t)cfg->port_min, (uint16_t)cfg->port_max);
    raise_fd_limit();

    m->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->ev_fd < 0) {
        g_set_error(err, AGW_ERROR, AGW_ERR_SYSTEM, "eventfd: %s", g_strerror(errno));
        goto fail;
    }
    m->ev_source = g_unix_fd_source_new(m->ev_fd, G_IO_IN);
    g_source_set_callback(m->ev_source, (GSourceFunc)(void (*)(void))on_events, m, NULL);
    g_source_attach(m->ev_source, cfg->main_context);

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m->nworkers = cfg->workers ? cfg->workers : (unsigned)(cpus > 0 ? cpus : 1);
    m->workers = g_new0(agw_worker_t *, m->nworkers);
    for (unsigned i = 0; i < m->nworkers; i++) {
        m->workers[i] = agw_worker_new(m, i, cfg->io, err);
        if (!m->workers[i]) goto fail;
    }
    if (cfg->metrics) {
        metrics_define(cfg->metrics);
        rt_metrics_add_collector(cfg->metrics, collect, m);
    }
    LOGN(RT_SUB_MAIN, NULL,
         "media engine: W3 %s, Mb %s, ports %u-%u, %u workers (%s), DTLS fingerprint %s",
         m->w3_address, m->rtp_address, cfg->port_min, cfg->port_max, m->nworkers,
         agw_media_io_name(m), m->fingerprint);
    return m;
fail:
    agw_media_free(m);
    return NULL;
}

void agw_media_free(agw_media_t *m)
{
    if (!m) return;
    if (m->ctxs) {
        GList *all = g_hash_table_get_values(m->ctxs);
        for (GList *l = all; l; l = l->next)
            agw_ctx_free(l->data);
        g_list_free(all);
    }
    for (unsigned i = 0; m->workers && i < m->nworkers; i++)
        agw_worker_free(m->workers[i]);
    g_free(m->workers);
    if (m->ev_source) {
        g_source_destroy(m->ev_source);
        g_source_unref(m->ev_source);
    }
    if (m->ev_fd >= 0) close(m->ev_fd);
    agw_event_msg_t *msg;
    while ((msg = g_queue_pop_head(&m->ev_queue)))
        g_free(msg);
    g_mutex_clear(&m->ev_lock);
    if (m->ports_rtp != m->ports_w3) agw_ports_free(m->ports_rtp);
    agw_ports_free(m->ports_w3);
    agw_cert_free(m->cert);
    if (m->ctxs) g_hash_table_destroy(m->ctxs);
    g_free(m->w3_address);
    g_free(m->rtp_address);
    g_free(m);
}

/* ---- contexts ------------------------------------------------------------------------------- */

agw_ctx_t *agw_ctx_new(agw_media_t *m, const char *cid, void *user_data)
{
    agw_ctx_t *c = g_new0(agw_ctx_t, 1);
    c->m = m;
    c->user_data = user_data;
    if (cid) g_strlcpy(c->cid, cid, sizeof c->cid);
    do {
        c->id = m->next_ctx_id++;
        if (m->next_ctx_id == 0 || m->next_ctx_id >= 0xfffffffeu) m->next_ctx_id = 1;
    } while (g_hash_table_contains(m->ctxs, GUINT_TO_POINTER(c->id)));
    /* H.248 context ids 0, 0xFFFFFFFE ($) and 0xFFFFFFFF (*) are reserved: never used. */
    c->worker = m->workers[m->next_worker++ % m->nworkers];
    g_hash_table_insert(m->ctxs, GUINT_TO_POINTER(c->id), c);
    return c;
}

uint32_t agw_ctx_id(const agw_ctx_t *c)
{
    return c->id;
}
void *agw_ctx_user_data(const agw_ctx_t *c)
{
    return c->user_data;
}
const char *agw_ctx_cid(const agw_ctx_t *c)
{
    return c->cid;
}
agw_ctx_t *agw_ctx_lookup(agw_media_t *m, uint32_t id)
{
    return g_hash_table_lookup(m->ctxs, GUINT_TO_POINTER(id));
}

void agw_ctx_free(agw_ctx_t *c)
{
    if (!c) return;
    for (unsigned i = 0; i < 2; i++)
        if (c->terms[i]) agw_term_subtract(c->terms[i], NULL);
    g_hash_table_remove(c->m->ctxs, GUINT_TO_POINTER(c->id));
    g_free(c);
}

/* ---- terminations: worker-side commands ----------------------------------------------------- */

typedef struct {
    agw_term_t *t;
    agw_term_stats_t *stats;
} cmd_arg;

/* What Add and Modify hand to the worker (agw_worker_post(): copied, nobody waits). */
typedef struct {
    agw_term_t *t;
    agw_term_t *other; /* Add: the context's other termination, as the main thread saw it */
    bool has_w3, has_rtp, set_mode;
    agw_mode_t mode;
    agw_w3_remote_int_t w3;
    agw_rtp_remote_int_t rtp;
} post_arg;

static void fill_stats(const agw_term_t *t, agw_term_stats_t *out)
{
    *out = t->stats;
    out->kind = t->kind;
    out->rx.lost = agw_rx_lost(&t->rxs);
    out->rx.jitter_us = agw_rx_jitter_us(&t->rxs);
}

static void do_add(agw_worker_t *w, void *arg)
{
    post_arg *a = arg;
    agw_term_t *t = a->t;
    if (!agw_worker_watch(w, t)) {
        /* the socket cannot be watched (epoll or io_uring out of resources): the termination
         * stays without media, and the MGC hears it at once rather than after no_media */
        char why[96];
        snprintf(why, sizeof why, "cannot receive on port %u: %s", t->port, g_strerror(errno));
        agw_worker_event(w, t, AGW_EV_IO_FAILED, why, NULL, NULL, 0);
        return;
    }
    if (a->other) {
        t->peer = a->other;
        a->other->peer = t;
    }
    agw_term_rebuild_maps(t);
    if (a->has_w3) agw_w3_apply_remote(w, t, &a->w3);
    if (a->has_rtp) agw_rtp_apply_remote(w, t, &a->rtp);
}

static void do_modify(agw_worker_t *w, void *arg)
{
    post_arg *a = arg;
    if (a->has_w3) agw_w3_apply_remote(w, a->t, &a->w3);
    if (a->has_rtp) agw_rtp_apply_remote(w, a->t, &a->rtp);
    if (a->set_mode) a->t->mode = a->mode;
}

static void do_stats(agw_worker_t *w, void *arg)
{
    cmd_arg *a = arg;
    fill_stats(a->t, a->stats);
}

typedef struct {
    agw_term_t *const *ts;
    unsigned n;
    agw_term_stats_t *stats;
} subtract_arg;

static void subtract_one(agw_worker_t *w, agw_term_t *t, agw_term_stats_t *stats)
{
    agw_worker_unwatch(w, t);
    if (t->peer) {
        t->peer->peer = NULL;
        agw_term_rebuild_maps(t->peer);
        t->peer = NULL;
    }
    if (t->kind == AGW_TERM_W3) agw_w3_clear(w, t);
    fill_stats(t, stats);
}

static void do_subtract(agw_worker_t *w, void *arg)
{
    subtract_arg *a = arg;
    for (unsigned i = 0; i < a->n; i++)
        subtract_one(w, a->ts[i], &a->stats[i]);
}

/* ---- terminations: main-thread API ---------------------------------------------------------- */

static agw_term_t *term_new(agw_ctx_t *c, agw_term_kind_t kind, GError **err)
{
    if (c->terms[0] && c->terms[1]) {
        g_set_error(err, AGW_ERROR, AGW_ERR_RESOURCES, "context %u already has two terminations",
                    c->id);
        return NULL;
    }
    agw_media_t *m = c->m;
    agw_term_t *t = g_new0(agw_term_t, 1);
    t->id = m->next_term_id++;
    if (m->next_term_id == 0) m->next_term_id = 1;
    t->kind = kind;
    t->ctx = c;
    t->worker = c->worker;
    g_strlcpy(t->cid, c->cid, sizeof t->cid);
    agw_pt_map_build(&t->map, NULL, NULL);
    bool ok;
    if (kind == AGW_TERM_W3) {
        int fd = agw_ports_open_single(m->ports_w3, &t->port);
        ok = fd >= 0;
        t->nep = 1;
        t->ep[0] = (agw_ep_t){fd, AGW_EP_W3, t};
        t->local = m->w3_local;
    } else {
        int fds[2];
        ok = agw_ports_open_pair(m->ports_rtp, &t->port, fds);
        t->nep = 2;
        t->ep[0] = (agw_ep_t){ok ? fds[0] : -1, AGW_EP_RTP, t};
        t->ep[1] = (agw_ep_t){ok ? fds[1] : -1, AGW_EP_RTCP, t};
        t->local = m->rtp_local;
    }
    if (!ok) {
        g_set_error(err, AGW_ERROR, AGW_ERR_RESOURCES, "no free media port in %u-%u on %s: %s",
                    m->cfg.port_min, m->cfg.port_max,
                    kind == AGW_TERM_W3 ? m->w3_address : m->rtp_address, g_strerror(errno));
        g_free(t);
        return NULL;
    }
    if (t->local.u.sa.sa_family == AF_INET)
        t->local.u.in.sin_port = htons(t->port);
    else
        t->local.u.in6.sin6_port = htons(t->port);
    return t;
}

static void term_destroy(agw_term_t *t)
{
    agw_media_t *m = t->ctx->m;
    int fds[2] = {-1, -1};
    for (unsigned i = 0; i < t->nep && i < 2; i++)
        fds[i] = t->ep[i].fd;
    agw_ports_park(t->kind == AGW_TERM_W3 ? m->ports_w3 : m->ports_rtp, t->port, fds, t->nep);
    g_free(t);
}

/* The worker starts receiving on the termination's sockets and links it to the context's other
 * termination; the main thread does not wait for it (a failure comes back as AGW_EV_IO_FAILED). */
static void term_hand_over(agw_ctx_t *c, agw_term_t *t, post_arg *a)
{
    unsigned slot = c->terms[0] ? 1 : 0;
    a->t = t;
    a->other = c->terms[slot ^ 1];
    c->terms[slot] = t;
    agw_worker_post(c->worker, do_add, a, sizeof *a);
    c->m->nterms[t->kind]++;
}

static bool ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return false;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '+' && *s != '/') return false;
    return true;
}

static bool w3_remote_parse(const agw_media_t *m, const agw_w3_remote_t *r, agw_w3_remote_int_t *o,
                            GError **err)
{
    memset(o, 0, sizeof *o);
    o->ice = r->ice_ufrag && *r->ice_ufrag;
    if (o->ice && r->ice_lite) {
        /* a lite peer: we check its candidate with its ice-pwd (w3_term.c) */
        o->lite = true;
        if (r->ice_pwd) g_strlcpy(o->pwd, r->ice_pwd, sizeof o->pwd);
        agw_ice_pick_candidate(r->candidates, r->ncandidates, r->address, r->port,
                               strchr(m->w3_address, ':') ? AF_INET6 : AF_INET, &o->cand);
    }
    if (o->ice) {
        /* RFC 8839 §5.4: ice-ufrag 4..256, ice-pwd 22..256 ice-chars */
        if (!ice_chars(r->ice_ufrag, 4, AGW_ICE_UFRAG_MAX) ||
            (r->ice_pwd && *r->ice_pwd && !ice_chars(r->ice_pwd, 22, AGW_ICE_PWD_MAX))) {
            g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "malformed ice-ufrag/ice-pwd");
            return false;
        }
        g_strlcpy(o->ufrag, r->ice_ufrag, sizeof o->ufrag);
    } else if (!r->address || !r->port || !agw_addr_parse(&o->addr, r->address, r->port)) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL,
                    "W3 remote without ICE needs a numeric address and a port");
        return false;
    }
    if (r->fingerprint && *r->fingerprint && !agw_fingerprint_parse_attr(r->fingerprint, &o->fp)) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "malformed fingerprint \"%s\"", r->fingerprint);
        return false;
    }
    if (r->setup != AGW_SETUP_UNSET && r->setup != AGW_SETUP_ACTPASS &&
        r->setup != AGW_SETUP_ACTIVE && r->setup != AGW_SETUP_PASSIVE) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "unsupported a=setup");
        return false;
    }
    if (r->srtp_profiles) {
        unsigned usable = 0;
        for (unsigned i = 0; i < AGW_SRTP_PROFILE_COUNT; i++)
            if ((r->srtp_profiles & AGW_SRTP_MASK(i)) && agw_srtp_profile_info(i)->dtls_negotiable)
                usable |= AGW_SRTP_MASK(i);
        if (!usable) {
            g_set_error(err, AGW_ERROR, AGW_ERR_INVAL,
                        "none of the requested SRTP profiles can be negotiated");
            return false;
        }
        o->profiles = usable;
    }
    o->setup = r->setup;
    o->codecs = r->codecs;
    return true;
}

agw_term_t *agw_w3_add(agw_ctx_t *c, const agw_w3_remote_t *remote, agw_w3_local_t *local,
                       GError **err)
{
    agw_w3_remote_int_t ri;
    if (remote && !w3_remote_parse(c->m, remote, &ri, err)) return NULL;
    agw_term_t *t = term_new(c, AGW_TERM_W3, err);
    if (!t) return NULL;
    agw_media_t *m = c->m;
    agw_w3_t *s = &t->u.w3;
    agw_w3_init(t);
    agw_ice_random_creds(s->ufrag, 8, s->pwd, 24);
    /* RFC 5763 §5 / SPECS §3.2: offer actpass; answer actpass with active (configurable),
     * active with passive, passive with active. */
    if (!remote)
        s->local_setup = AGW_SETUP_ACTPASS;
    else if (remote->setup == AGW_SETUP_ACTPASS)
        s->local_setup = m->cfg.answer_setup;
    else if (remote->setup == AGW_SETUP_PASSIVE)
        s->local_setup = AGW_SETUP_ACTIVE;
    else
        s->local_setup = AGW_SETUP_PASSIVE;
    post_arg a = {.has_w3 = remote != NULL};
    if (remote) a.w3 = ri;
    term_hand_over(c, t, &a);
    if (local) {
        memset(local, 0, sizeof *local);
        g_strlcpy(local->ice_ufrag, s->ufrag, sizeof local->ice_ufrag);
        g_strlcpy(local->ice_pwd, s->pwd, sizeof local->ice_pwd);
        g_strlcpy(local->address, m->w3_address, sizeof local->address);
        local->port = t->port;
        g_strlcpy(local->fingerprint, m->fingerprint, sizeof local->fingerprint);
        local->setup = s->local_setup;
        /* RFC 8445 §5.1.2.1: host type preference 126, local preference 65535, component 1 */
        snprintf(local->candidate, sizeof local->candidate, "1 1 udp %u %s %u typ host",
                 (126u << 24) | (65535u << 8) | (256u - 1u), m->w3_address, t->port);
    }
    LOGI(RT_SUB_ICE, c->cid, "context %u: W3 termination %u on %s port %u (%s)", c->id, t->id,
         m->w3_address, t->port, agw_setup_name(s->local_setup));
    return t;
}

/* One command to the worker for the remote parameters and the mode together; none when neither
 * changes (a hop is the costliest part of a command: eventfd, the worker's wake-up). */
static void term_update(agw_term_t *t, post_arg *a, agw_mode_t mode)
{
    a->t = t;
    a->mode = mode;
    a->set_mode = mode != t->main_mode;
    if (!a->has_w3 && !a->has_rtp && !a->set_mode) return;
    agw_worker_post(t->worker, do_modify, a, sizeof *a);
    t->main_mode = mode;
}

bool agw_w3_modify(agw_term_t *t, const agw_w3_remote_t *remote, GError **err)
{
    return agw_w3_configure(t, remote, t->main_mode, err);
}

bool agw_w3_configure(agw_term_t *t, const agw_w3_remote_t *remote, agw_mode_t mode, GError **err)
{
    if (t->kind != AGW_TERM_W3) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "termination %u is not W3", t->id);
        return false;
    }
    agw_w3_remote_int_t ri;
    if (remote && !w3_remote_parse(t->ctx->m, remote, &ri, err)) return false;
    if (!remote) {
        post_arg a = {.t = t};
        term_update(t, &a, mode);
        return true;
    }
    agw_setup_t mine = t->u.w3.local_setup; /* immutable after add */
    if ((mine == AGW_SETUP_ACTPASS && ri.setup == AGW_SETUP_ACTPASS) ||
        (mine == AGW_SETUP_ACTIVE && ri.setup == AGW_SETUP_ACTIVE) ||
        (mine == AGW_SETUP_PASSIVE && ri.setup == AGW_SETUP_PASSIVE)) {
        /* RFC 5763 §5: the answer to actpass is active or passive, never the same as ours */
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "a=setup:%s does not fit our a=setup:%s",
                    agw_setup_name(ri.setup), agw_setup_name(mine));
        return false;
    }
    post_arg a = {.t = t, .has_w3 = true, .w3 = ri};
    term_update(t, &a, mode);
    return true;
}

static bool rtp_remote_parse(const agw_rtp_remote_t *r, agw_rtp_remote_int_t *o, GError **err)
{
    memset(o, 0, sizeof *o);
    if (r->address && *r->address) {
        /* port 0 is a rejected/disabled stream (RFC 3264 §5.1): no destination */
        if (!agw_addr_parse(&o->addr, r->address, r->port)) {
            g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "remote RTP address \"%s\" is not numeric",
                        r->address);
            return false;
        }
        if (r->port == 0) o->addr.len = 0;
        agw_addr_parse(&o->rtcp, r->address, r->rtcp_port ? r->rtcp_port : (uint16_t)(r->port + 1));
        if (r->port == 0) o->rtcp.len = 0;
    }
    o->codecs = r->codecs;
    return true;
}

agw_term_t *agw_rtp_add(agw_ctx_t *c, const agw_rtp_remote_t *remote, agw_rtp_local_t *local,
                        GError **err)
{
    agw_rtp_remote_int_t ri;
    if (remote && !rtp_remote_parse(remote, &ri, err)) return NULL;
    agw_term_t *t = term_new(c, AGW_TERM_RTP, err);
    if (!t) return NULL;
    post_arg a = {.has_rtp = remote != NULL};
    if (remote) a.rtp = ri;
    term_hand_over(c, t, &a);
    if (local) {
        memset(local, 0, sizeof *local);
        g_strlcpy(local->address, c->m->rtp_address, sizeof local->address);
        local->port = t->port;
        local->rtcp_port = (uint16_t)(t->port + 1);
    }
    LOGI(RT_SUB_RTP, c->cid, "context %u: RTP termination %u on %s port %u", c->id, t->id,
         c->m->rtp_address, t->port);
    return t;
}

bool agw_rtp_modify(agw_term_t *t, const agw_rtp_remote_t *remote, GError **err)
{
    return agw_rtp_configure(t, remote, t->main_mode, err);
}

bool agw_rtp_configure(agw_term_t *t, const agw_rtp_remote_t *remote, agw_mode_t mode, GError **err)
{
    if (t->kind != AGW_TERM_RTP) {
        g_set_error(err, AGW_ERROR, AGW_ERR_INVAL, "termination %u is not RTP", t->id);
        return false;
    }
    agw_rtp_remote_int_t ri;
    if (remote && !rtp_remote_parse(remote, &ri, err)) return false;
    post_arg a = {.t = t, .has_rtp = remote != NULL};
    if (remote) a.rtp = ri;
    term_update(t, &a, mode);
    return true;
}

void agw_term_set_mode(agw_term_t *t, agw_mode_t mode)
{
    post_arg a = {.t = t};
    term_update(t, &a, mode);
}

agw_term_kind_t agw_term_kind(const agw_term_t *t)
{
    return t->kind;
}
uint32_t agw_term_id(const agw_term_t *t)
{
    return t->id;
}
agw_ctx_t *agw_term_ctx(const agw_term_t *t)
{
    return t->ctx;
}

void agw_term_stats(agw_term_t *t, agw_term_stats_t *out)
{
    cmd_arg a = {.t = t, .stats = out};
    agw_worker_call(t->worker, do_stats, &a);
}

/* The terminations' last statistics, then their release; one hop per run of terminations on
 * the same worker (a context's two terminations share one). */
void agw_terms_subtract(agw_term_t *const *ts, unsigned n, agw_term_stats_t *out)
{
    agw_term_stats_t one, *st = n > 1 ? g_new0(agw_term_stats_t, n) : &one;
    for (unsigned i = 0; i < n;) {
        unsigned j = i + 1;
        while (j < n && ts[j]->worker == ts[i]->worker)
            j++;
        subtract_arg a = {ts + i, j - i, st + i};
        agw_worker_call(ts[i]->worker, do_subtract, &a);
        i = j;
    }
    for (unsigned i = 0; i < n; i++) {
        agw_term_t *t = ts[i];
        agw_ctx_t *c = t->ctx;
        if (out) out[i] = st[i];
        for (unsigned k = 0; k < 2; k++)
            if (c->terms[k] == t) c->terms[k] = NULL;
        c->m->nterms[t->kind]--;
        LOGI(t->kind == AGW_TERM_W3 ? RT_SUB_ICE : RT_SUB_RTP, c->cid,
             "context %u: termination %u subtracted: rx %llu pkts lost %lld, tx %llu pkts, "
             "dropped %llu, srtp failures %llu",
             c->id, t->id, (unsigned long long)st[i].rx.packets, (long long)st[i].rx.lost,
             (unsigned long long)st[i].tx.packets, (unsigned long long)st[i].dropped,
             (unsigned long long)st[i].srtp_failures);
        term_destroy(t);
    }
    if (st != &one) g_free(st);
}

void agw_term_subtract(agw_term_t *t, agw_term_stats_t *out)
{
    agw_terms_subtract(&t, 1, out);
}

void agw_media_defer(agw_media_t *m)
{
    for (unsigned i = 0; i < m->nworkers; i++)
        agw_worker_defer(m->workers[i]);
}

void agw_media_flush(agw_media_t *m)
{
    for (unsigned i = 0; i < m->nworkers; i++)
        agw_worker_flush(m->workers[i], false);
}

void agw_media_sync(agw_media_t *m)
{
    for (unsigned i = 0; i < m->nworkers; i++)
        agw_worker_flush(m->workers[i], true);
}
