/* pcscf: the evolved P-CSCF of the lab with its I-/S-CSCF registrar role. Wires configuration
 * -> peers, Cx client, registrar, proxy -> sofia-sip's nta agent on the GLib loop, inside the
 * common daemon runtime. */
#include <gio/gio.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport_tag.h>
#include <stdio.h>
#include <string.h>

#include "pcscf/pcscf.h"
#include "pcscf/proxy.h"
#include "pcscf/register.h"
#include "sip/su_loop.h"
#include "runtime/log.h"

static void check(const config_t *cfg, GString *errors)
{
    pcscf_check_config(cfg, errors);
}

static gboolean health(GString *detail, void *ud)
{
    pcscf_t *p = ud;
    bool hss = pcscf_cx_is_up(p->cx);
    g_string_append_printf(detail,
                           "\"hss\":%s,\"registrations\":%u,\"bindings\":%u,\"transactions\":%u,"
                           "\"dialogs\":%u",
                           hss ? "true" : "false", pcscf_registrar_count(p->reg),
                           pcscf_registrar_binding_count(p->reg), pcscf_proxy_pending(p->proxy),
                           pcscf_proxy_dialogs(p->proxy));
    if (p->iq) g_string_append_printf(detail, ",\"agws\":%u", pcscf_iq_agws_in_service(p->iq));
    return TRUE;
}

static void on_reg_expired(const pcscf_registration_t *r, void *ud)
{
    pcscf_t *p = ud;
    pcscf_regproc_expired(p->regproc, r->impi, r->impu);
}

static unsigned on_rtr(const char *impi, char **impus, void *ud)
{
    pcscf_t *p = ud;
    return pcscf_registrar_remove_matching(p->reg, impi, impus);
}

/* sofia-sip's own diagnostics go to our log (subsystem sip, debug unless they are errors). */
static void sofia_logger(void *ud, const char *fmt, va_list ap)
{
    (void)ud;
    gchar *line = g_strdup_vprintf(fmt, ap);
    g_strchomp(line);
    if (*line) LOGD(RT_SUB_SIP, NULL, "sofia: %s", line);
    g_free(line);
}

static void on_agw(pcscf_iq_t *iq, const pcscf_agw_info_t *agw, void *ud)
{
    static const char *const names[] = {"in service", "draining", "down"};
    (void)iq;
    (void)ud;
    LOGN(RT_SUB_IQ, NULL, "AGW %s (%s:%u) %s, %u context(s)", agw->mid, agw->address, agw->port,
         (unsigned)agw->state < 3 ? names[agw->state] : "?", agw->load);
}

static void on_hss_up(void *ud)
{
    pcscf_t *p = ud;
    pcscf_regproc_load_static_profiles(p->regproc);
}

static char *listen_url(const char *scheme, const char *addr, unsigned port)
{
    bool v6 = strchr(addr, ':') != NULL;
    return g_strdup_printf(v6 ? "%s:[%s]:%u" : "%s:%s:%u", scheme, addr, port);
}

static void node_free(void *node);

static void *start(rt_daemon_t *d, const config_t *cfg, GError **err)
{
    pcscf_t *p = g_new0(pcscf_t, 1);
    p->d = d;
    p->metrics = rt_daemon_metrics(d);
    pcscf_settings_load(&p->set, cfg);
    su_init();
    su_log_redirect(NULL, sofia_logger, NULL);
    su_log_redirect(su_log_global, sofia_logger, NULL);
    p->root = su_glib_root_create((su_root_magic_t *)p);
    p->su_source = sip_su_loop_attach(p->root);
    p->peers = pcscf_peers_load(cfg);
    p->nonces = pcscf_nonces_new(p->set.nonce_lifetime);
    p->cx = pcscf_cx_new(cfg, p->metrics);
    pcscf_cx_set_rtr_handler(p->cx, on_rtr, p);
    p->reg = pcscf_registrar_new(p->metrics, on_reg_expired, p);
    p->regproc = pcscf_regproc_new(p);
    p->proxy = pcscf_proxy_new(p);
    pcscf_cx_set_up_handler(p->cx, on_hss_up, p);

    char *url = listen_url("sip", p->set.address, p->set.port);
    /* A proxy, not a UA (no automatic 487); rport both ways (RFC 3581). Timer C is ours (the
     * proxy's CANCEL keeps the INVITE transaction alive), nta's is only a far backstop. */
    p->agent = nta_agent_create(p->root, URL_STRING_MAKE(url), pcscf_proxy_on_message,
                                (nta_agent_magic_t *)p, NTATAG_UA(0), NTATAG_CANCEL_487(0),
                                NTATAG_SERVER_RPORT(1), NTATAG_CLIENT_RPORT(1),
                                NTATAG_TIMER_C(24u * 3600u * 1000u), TAG_END());
    if (!p->agent) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen for SIP on %s", url);
        g_free(url);
        node_free(p);
        return NULL;
    }
    g_free(url);
    if (p->set.tls_port) {
        char *tls = listen_url("sips", p->set.address, p->set.tls_port);
        if (nta_agent_add_tport(p->agent, URL_STRING_MAKE(tls), TPTAG_CERTIFICATE(p->set.tls_dir),
                                TAG_END()) < 0) {
            g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "cannot listen for SIP over TLS on %s (certificates in %s)", tls,
                        p->set.tls_dir);
            g_free(tls);
            node_free(p);
            return NULL;
        }
        g_free(tls);
    }
    if (rt_cfg_bool(cfg, "media_anchoring")) {
        pcscf_iq_cfg_read(&p->iq_cfg, cfg, "iq");
        p->iq_cfg.metrics = p->metrics;
        p->iq = pcscf_iq_new(&p->iq_cfg, err);
        if (!p->iq) {
            node_free(p);
            return NULL;
        }
        pcscf_iq_set_agw_cb(p->iq, on_agw, p);
    }
    if (rt_daemon_admin(d)) rt_admin_set_health(rt_daemon_admin(d), health, p);
    LOGN(RT_SUB_MAIN, NULL, "SIP on %s:%u (udp, tcp%s), domain %s, %u W8 peer(s)", p->set.address,
         p->set.port, p->set.tls_port ? ", tls" : "", p->set.domain, pcscf_peers_count(p->peers));
    return p;
}

static void on_cx_down(void *ud)
{
    pcscf_t *p = ud;
    rt_daemon_stopped(p->d);
}

static void on_iq_drained(void *ud)
{
    pcscf_t *p = ud;
    pcscf_cx_shutdown(p->cx, on_cx_down, p);
}

static void on_deregistered(void *ud)
{
    pcscf_t *p = ud;
    if (p->iq)
        pcscf_iq_drain(p->iq, 1500, on_iq_drained, p);
    else
        on_iq_drained(p);
}

/* SIGTERM: refuse new requests, release the AGW contexts, de-register everyone at the HSS,
 * wait for the Subtracts, DPR, stop. */
static void stop(void *node, rt_daemon_t *d)
{
    pcscf_t *p = node;
    p->stopping = true;
    pcscf_proxy_release_media(p->proxy);
    pcscf_regproc_deregister_all(p->regproc, on_deregistered, p);
}

static void node_free(void *node)
{
    pcscf_t *p = node;
    /* Transactions first (they hold Cx operations and nta objects), then Cx, then nta. */
    pcscf_proxy_free(p->proxy);
    pcscf_regproc_free(p->regproc);
    if (p->iq) pcscf_iq_free(p->iq);
    pcscf_cx_free(p->cx);
    pcscf_registrar_free(p->reg);
    pcscf_nonces_free(p->nonces);
    if (p->agent) nta_agent_destroy(p->agent);
    pcscf_peers_free(p->peers);
    if (p->su_source) g_source_destroy(p->su_source);
    if (p->root) su_root_destroy(p->root);
    su_deinit();
    pcscf_settings_clear(&p->set);
    g_free(p);
}

static const rt_node_t pcscf_node = {
    .name = "pcscf",
    .metrics_prefix = "pcscf_",
    .keys = pcscf_keys,
    .check = check,
    .start = start,
    .stop = stop,
    .free = node_free,
};

int main(int argc, char **argv)
{
    return rt_daemon_main(&pcscf_node, argc, argv);
}
