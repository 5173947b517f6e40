/* The eims-agw key table (see iq_config.h). The "media" group is the engine's table, appended at
 * run time because its entries live in media.c. */
#include "iq_config.h"

#include <gio/gio.h>
#include <string.h>

#include "media.h"

const rt_cfg_key_t iq_cfg_keys[] = {
    {"address", RT_CFG_STRING, "\"127.0.10.3\"", 1, 64,
     "local IPv4 address of the Iq socket (H.248 text over UDP)", NULL, 0, NULL},
    {"port", RT_CFG_INT, "2944", 0, 65535, "local UDP port (2944: IANA megaco text; 0: any)", NULL,
     0, NULL},
    {"mid", RT_CFG_STRING, "\"\"", 0, 128, "our H.248 mId; empty: \"[address]:port\"", NULL, 0,
     NULL},
    {"profile", RT_CFG_STRING, "\"threegiq/1\"", 3, 66,
     "Iq profile name/version sent in ServiceChange (provisional: TS 29.334 Table 5.1.1 unread, "
     "SPECS.md 4.1)",
     NULL, 0, NULL},
    {"mgc_address", RT_CFG_STRING, "\"127.0.10.2\"", 1, 64,
     "numeric address of the MGC (the pcscf's Iq socket)", NULL, 0, NULL},
    {"mgc_port", RT_CFG_INT, "2944", 1, 65535, "UDP port of the MGC", NULL, 0, NULL},
    {"short_tokens", RT_CFG_BOOL, "false", 0, 0, "send short tokens (T, C, A, ...)", NULL, 0, NULL},
    {"retry_first_ms", RT_CFG_INT, "250", 10, 60000,
     "first retransmission of an unanswered request (H.248.1 Annex D.1)", NULL, 0, NULL},
    {"retry_max_ms", RT_CFG_INT, "4000", 10, 600000, "retransmission back-off ceiling", NULL, 0,
     NULL},
    {"request_timeout_ms", RT_CFG_INT, "10000", 100, 600000,
     "give up on a request after this long without reply or Pending", NULL, 0, NULL},
    {"pending_after_ms", RT_CFG_INT, "200", 10, 60000,
     "send Pending for a request still in progress after this long", NULL, 0, NULL},
    {"reply_cache_ms", RT_CFG_INT, "30000", 100, 3600000,
     "keep replies for retransmitted requests (LONG-TIMER)", NULL, 0, NULL},
    {"register_retry_ms", RT_CFG_INT, "1000", 10, 3600000,
     "wait before trying ServiceChange again after a refusal or no answer (doubles)", NULL, 0,
     NULL},
    {"register_retry_max_ms", RT_CFG_INT, "30000", 10, 3600000,
     "ceiling of the registration back-off", NULL, 0, NULL},
    {"inactivity_ms", RT_CFG_INT, "0", 0, 86400000,
     "provisioned it/ito (H.248.14): Notify ROOT after this long without a message from the "
     "MGC, register again if unanswered; 0 = only when the MGC arms it/ito",
     NULL, 0, NULL},
    {"stop_timeout_ms", RT_CFG_INT, "1500", 10, 4000,
     "at shutdown, wait this long for the MGC to answer ServiceChange Forced", NULL, 0, NULL},
    {"access_realm", RT_CFG_STRING, "\"access\"", 1, 64,
     "ipdc/realm naming the W3 (browser) side when no SDP says it", NULL, 0, NULL},
    {"core_realm", RT_CFG_STRING, "\"core\"", 1, 64,
     "ipdc/realm naming the RTP (IMS) side when no SDP says it", NULL, 0, NULL},
    {"cid_property", RT_CFG_STRING, "\"wtpf/cid\"", 0, 64,
     "TerminationState property carrying the call's correlation id (provisional); empty: none",
     NULL, 0, NULL},
    {"notify_unarmed", RT_CFG_BOOL, "true", 0, 0,
     "Notify consent loss, no media and DTLS failure with RequestID 0 when the MGC armed no "
     "event (provisional)",
     NULL, 0, NULL},
    {"heartbeat", RT_CFG_INT, "0", 0, 86400,
     "hangterm/thb period in seconds when the MGC arms it without hangterm/timerx; 0 = none", NULL,
     0, NULL},
    {"max_contexts", RT_CFG_INT, "10000", 1, 1000000, "contexts in use at most (412 beyond)", NULL,
     0, NULL},
    {NULL}};

static rt_cfg_key_t daemon_keys[3];

const rt_cfg_key_t *iq_daemon_keys(void)
{
    if (!daemon_keys[0].name) {
        daemon_keys[0] = (rt_cfg_key_t){
            "iq", RT_CFG_GROUP, NULL, 0, 0, "Iq: H.248 control by the MGC (pcscf)", iq_cfg_keys,
            0,    NULL};
        daemon_keys[1] = agw_media_cfg_keys[0];
    }
    return daemon_keys;
}

bool iq_profile_valid(const char *p)
{
    const char *slash = strchr(p, '/');
    if (!slash || slash == p || slash - p > 64 || !g_ascii_isalpha(p[0])) return false;
    for (const char *c = p; c < slash; c++)
        if (!g_ascii_isalnum(*c) && *c != '_') return false;
    size_t nd = strlen(slash + 1);
    if (nd < 1 || nd > 2) return false;
    for (const char *c = slash + 1; *c; c++)
        if (!g_ascii_isdigit(*c)) return false;
    return true;
}

static void check_addr(const config_t *cfg, const char *path, GString *errors)
{
    const char *v = rt_cfg_str(cfg, path);
    GInetAddress *ia = g_inet_address_new_from_string(v);
    if (ia && g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV4) {
        g_object_unref(ia);
        return;
    }
    if (ia) g_object_unref(ia);
    config_setting_t *s = config_lookup(cfg, path);
    rt_cfg_error(errors, s, "%s: %s is not a numeric IPv4 address", path, v);
}

void iq_cfg_check(const config_t *cfg, GString *errors)
{
    check_addr(cfg, "iq.address", errors);
    check_addr(cfg, "iq.mgc_address", errors);
    if (!iq_profile_valid(rt_cfg_str(cfg, "iq.profile")))
        rt_cfg_error(errors, config_lookup(cfg, "iq.profile"),
                     "iq.profile: %s is not NAME/VERSION (H.248.1 Annex B)",
                     rt_cfg_str(cfg, "iq.profile"));
    if (rt_cfg_int(cfg, "iq.retry_max_ms") < rt_cfg_int(cfg, "iq.retry_first_ms"))
        rt_cfg_error(errors, config_lookup(cfg, "iq.retry_max_ms"),
                     "iq.retry_max_ms is below iq.retry_first_ms");
    agw_media_cfg_check(cfg, "media", errors);
}

void iq_cfg_read(const config_t *cfg, iq_settings *o)
{
    memset(o, 0, sizeof *o);
    const char *mid = rt_cfg_str(cfg, "iq.mid");
    o->tp = (h248_tp_cfg_t){
        .address = rt_cfg_str(cfg, "iq.address"),
        .port = (unsigned)rt_cfg_int(cfg, "iq.port"),
        .mid = *mid ? mid : NULL,
        .version = 3,
        .retry_first_ms = (unsigned)rt_cfg_int(cfg, "iq.retry_first_ms"),
        .retry_max_ms = (unsigned)rt_cfg_int(cfg, "iq.retry_max_ms"),
        .request_timeout_ms = (unsigned)rt_cfg_int(cfg, "iq.request_timeout_ms"),
        .pending_after_ms = (unsigned)rt_cfg_int(cfg, "iq.pending_after_ms"),
        .reply_cache_ms = (unsigned)rt_cfg_int(cfg, "iq.reply_cache_ms"),
        .short_tokens = rt_cfg_bool(cfg, "iq.short_tokens"),
    };
    o->mg = (iq_mg_cfg){
        .mgc_address = rt_cfg_str(cfg, "iq.mgc_address"),
        .mgc_port = (unsigned)rt_cfg_int(cfg, "iq.mgc_port"),
        .profile = rt_cfg_str(cfg, "iq.profile"),
        .retry_ms = (unsigned)rt_cfg_int(cfg, "iq.register_retry_ms"),
        .retry_max_ms = (unsigned)rt_cfg_int(cfg, "iq.register_retry_max_ms"),
        .inactivity_ms = (unsigned)rt_cfg_int(cfg, "iq.inactivity_ms"),
        .stop_timeout_ms = (unsigned)rt_cfg_int(cfg, "iq.stop_timeout_ms"),
    };
    agw_media_config_t mc;
    agw_media_config_from_cfg(cfg, "media", &mc);
    o->cmd = (iq_cmd_cfg){
        .access_realm = rt_cfg_str(cfg, "iq.access_realm"),
        .core_realm = rt_cfg_str(cfg, "iq.core_realm"),
        .cid_property = rt_cfg_str(cfg, "iq.cid_property"),
        .no_media_ms = mc.no_media_timeout_ms,
        .heartbeat_s = (unsigned)rt_cfg_int(cfg, "iq.heartbeat"),
        .notify_unarmed = rt_cfg_bool(cfg, "iq.notify_unarmed"),
    };
    o->max_contexts = (unsigned)rt_cfg_int(cfg, "iq.max_contexts");
}
