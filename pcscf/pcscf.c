/* The pcscf's configuration table (one key = one line of etc/pcscf.conf.sample), its semantic
 * checks, and the settings read from it. */
#include "pcscf/pcscf.h"

#include <string.h>
#include <sys/random.h>

#include "diameter/peer.h"

static const rt_cfg_key_t sip_keys[] = {
    {"address", RT_CFG_STRING, "\"127.0.10.2\"", 1, 64,
     "SIP listen address (UDP and TCP); also the host in Via, Record-Route, Path, Service-Route",
     NULL, 0, NULL},
    {"port", RT_CFG_INT, "5060", 1, 65535, "SIP port (UDP and TCP)", NULL, 0, NULL},
    {"tls_port", RT_CFG_INT, "0", 0, 65535, "SIP over TLS port (0: no TLS)", NULL, 0, NULL},
    {"tls_certificate_dir", RT_CFG_STRING, "\"\"", 0, 1024,
     "directory with agent.pem (key + certificate) and cafile.pem, as sofia-sip expects", NULL, 0,
     NULL},
    {"domain", RT_CFG_STRING, "\"ims.lab\"", 1, 255, "home domain (registrar, routing)", NULL, 0,
     NULL},
    {"aliases", RT_CFG_STRLIST, NULL, 0, 0, "other host names that mean this node or domain", NULL,
     0, NULL},
    {"max_forwards", RT_CFG_INT, "70", 1, 255, "Max-Forwards added when a request has none", NULL,
     0, NULL},
    {"invite_timeout", RT_CFG_INT, "180", 2, 3600,
     "seconds an INVITE branch may ring before it is cancelled (RFC 3261 Timer C)", NULL, 0, NULL},
    {"reject_foreign_pai", RT_CFG_BOOL, "false", 0, 0,
     "403 when a trusted, non-privileged peer asserts an identity outside its ranges "
     "(default: replaced by its default identity)",
     NULL, 0, NULL},
    {NULL}};

static const rt_cfg_key_t registrar_keys[] = {
    {"digest_realm", RT_CFG_STRING, "\"ims.lab\"", 1, 255, "SIP Digest realm of challenges", NULL,
     0, NULL},
    {"min_expires", RT_CFG_INT, "60", 1, 86400, "shortest registration accepted (423 below)", NULL,
     0, NULL},
    {"max_expires", RT_CFG_INT, "7200", 1, 604800, "longest registration granted", NULL, 0, NULL},
    {"default_expires", RT_CFG_INT, "3600", 1, 604800, "when the REGISTER gives none", NULL, 0,
     NULL},
    {"nonce_lifetime", RT_CFG_INT, "3600", 10, 86400,
     "seconds a nonce stays usable for re-registrations (stale=TRUE after)", NULL, 0, NULL},
    {NULL}};

const rt_cfg_key_t pcscf_keys[] = {
    {"sip", RT_CFG_GROUP, NULL, 0, 0, "SIP transport and proxy", sip_keys, 0, NULL},
    {"registrar", RT_CFG_GROUP, NULL, 0, 0, "registrar (S-CSCF role)", registrar_keys, 0, NULL},
    {"diameter", RT_CFG_GROUP, NULL, 0, 0, "our Diameter identity (Cx client)", dia_cfg_keys,
     RT_CFG_REQUIRED, NULL},
    {"hss", RT_CFG_GROUP, NULL, 0, 0, "the HSS (Cx server)", pcscf_hss_keys, 0, NULL},
    {"peers", RT_CFG_LIST, NULL, 0, 0, "W8 peers (WTPFs / PBXs on business trunks)",
     pcscf_peer_keys, 0, NULL},
    {"media_anchoring", RT_CFG_BOOL, "true", 0, 0,
     "anchor calls with a WebRTC leg in an eIMS-AGW over Iq (off: SDP passes unchanged)", NULL, 0,
     NULL},
    {"iq", RT_CFG_GROUP, NULL, 0, 0, "Iq (H.248 MGC) toward the eIMS-AGWs", pcscf_iq_keys, 0, NULL},
    {NULL}};

void pcscf_check_config(const config_t *cfg, GString *errors)
{
    const char *addr = rt_cfg_str(cfg, "sip.address");
    if (!g_hostname_is_ip_address(addr))
        rt_cfg_error(errors, config_lookup(cfg, "sip.address"),
                     "sip.address must be an IP address, not '%s'", addr);
    if (rt_cfg_int(cfg, "registrar.min_expires") > rt_cfg_int(cfg, "registrar.max_expires"))
        rt_cfg_error(errors, config_lookup(cfg, "registrar.min_expires"),
                     "registrar.min_expires is above registrar.max_expires");
    if (rt_cfg_int(cfg, "sip.tls_port") && !*rt_cfg_str(cfg, "sip.tls_certificate_dir"))
        rt_cfg_error(errors, config_lookup(cfg, "sip.tls_port"),
                     "sip.tls_port needs sip.tls_certificate_dir");
    pcscf_peers_check(cfg, errors);
    if (rt_cfg_bool(cfg, "media_anchoring")) pcscf_iq_check_config(cfg, "iq", errors);
}

void pcscf_settings_load(pcscf_settings_t *s, const config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->address = g_strdup(rt_cfg_str(cfg, "sip.address"));
    s->port = (unsigned)rt_cfg_int(cfg, "sip.port");
    s->tls_port = (unsigned)rt_cfg_int(cfg, "sip.tls_port");
    s->tls_dir = g_strdup(rt_cfg_str(cfg, "sip.tls_certificate_dir"));
    s->domain = g_strdup(rt_cfg_str(cfg, "sip.domain"));
    GPtrArray *names = g_ptr_array_new();
    g_ptr_array_add(names, g_strdup(s->domain));
    g_ptr_array_add(names, g_strdup(s->address));
    config_setting_t *al = config_lookup(cfg, "sip.aliases");
    for (int i = 0; al && i < config_setting_length(al); i++) {
        const char *a = config_setting_get_string_elem(al, i);
        if (a) g_ptr_array_add(names, g_strdup(a));
    }
    g_ptr_array_add(names, NULL);
    s->local_names = (char **)g_ptr_array_free(names, FALSE);
    s->max_forwards = (unsigned)rt_cfg_int(cfg, "sip.max_forwards");
    s->invite_timeout_s = (unsigned)rt_cfg_int(cfg, "sip.invite_timeout");
    s->reject_foreign_pai = rt_cfg_bool(cfg, "sip.reject_foreign_pai");
    s->orig_ioi = g_strdup(s->domain);
    s->digest_realm = g_strdup(rt_cfg_str(cfg, "registrar.digest_realm"));
    s->min_expires = (unsigned)rt_cfg_int(cfg, "registrar.min_expires");
    s->max_expires = (unsigned)rt_cfg_int(cfg, "registrar.max_expires");
    s->default_expires = (unsigned)rt_cfg_int(cfg, "registrar.default_expires");
    s->nonce_lifetime = (unsigned)rt_cfg_int(cfg, "registrar.nonce_lifetime");
}

void pcscf_settings_clear(pcscf_settings_t *s)
{
    g_free(s->address);
    g_free(s->tls_dir);
    g_free(s->domain);
    g_strfreev(s->local_names);
    g_free(s->orig_ioi);
    g_free(s->digest_realm);
    memset(s, 0, sizeof *s);
}

void pcscf_random16(unsigned char out[16])
{
    /* Nonces and icids must not be guessable: the kernel's generator, GLib's as a fallback.
     * One getrandom() fills a pool of 16 values (one syscall per 16 calls instead of one per
     * call); each value is wiped from the pool when handed out. Main thread only. */
    static unsigned char pool[16 * 16];
    static size_t left; /* bytes not handed out yet, at the end of pool */
    if (left < 16) {
        if (getrandom(pool, sizeof pool, GRND_NONBLOCK) == (ssize_t)sizeof pool) {
            left = sizeof pool;
        } else {
            for (int i = 0; i < 16; i += 4) {
                guint32 r = g_random_int();
                memcpy(out + i, &r, 4);
            }
            return;
        }
    }
    unsigned char *v = pool + sizeof pool - left;
    memcpy(out, v, 16);
    explicit_bzero(v, 16);
    left -= 16;
}
