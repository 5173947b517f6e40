/* libsrtp2 sessions for W3 terminations and the protection profile table (see srtp_ctx.h). */
#include "srtp_ctx.h"

#include <dlfcn.h>
#include <glib.h>
#include <string.h>

static void gcm128(srtp_crypto_policy_t *p)
{
    srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
}

static const agw_srtp_profile_info_t profiles[AGW_SRTP_PROFILE_COUNT] = {
    [AGW_SRTP_AES128_CM_SHA1_80] = {AGW_SRTP_AES128_CM_SHA1_80, 0x0001,
                                    "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, true,
                                    srtp_crypto_policy_set_rtp_default,
                                    srtp_crypto_policy_set_rtcp_default},
    /* RFC 5764 §4.1.2: with the _32 profile SRTCP still carries an 80-bit tag. */
    [AGW_SRTP_AES128_CM_SHA1_32] = {AGW_SRTP_AES128_CM_SHA1_32, 0x0002,
                                    "SRTP_AES128_CM_HMAC_SHA1_32", 16, 14, true,
                                    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
                                    srtp_crypto_policy_set_rtcp_default},
    /* RFC 7714 §14.2: 12-octet salt, 16-octet tag for RTP and RTCP. */
    [AGW_SRTP_AEAD_AES_128_GCM] = {AGW_SRTP_AEAD_AES_128_GCM, 0x0007, "SRTP_AEAD_AES_128_GCM", 16,
                                   12, false, gcm128, gcm128},
};

const agw_srtp_profile_info_t *agw_srtp_profile_info(agw_srtp_profile_t p)
{
    return (unsigned)p < AGW_SRTP_PROFILE_COUNT ? &profiles[p] : NULL;
}

const agw_srtp_profile_info_t *agw_srtp_profile_by_iana(uint16_t iana)
{
    for (unsigned i = 0; i < AGW_SRTP_PROFILE_COUNT; i++)
        if (profiles[i].iana == iana) return &profiles[i];
    return NULL;
}

const agw_srtp_profile_info_t *agw_srtp_profile_by_name(const char *name)
{
    for (unsigned i = 0; name && i < AGW_SRTP_PROFILE_COUNT; i++)
        if (g_ascii_strcasecmp(profiles[i].name, name) == 0) return &profiles[i];
    /* SDES-style names (RFC 4568) and RFC 7714's SDP-less name */
    if (name && g_ascii_strcasecmp(name, "AES_CM_128_HMAC_SHA1_80") == 0) return &profiles[0];
    if (name && g_ascii_strcasecmp(name, "AES_CM_128_HMAC_SHA1_32") == 0) return &profiles[1];
    if (name && g_ascii_strcasecmp(name, "AEAD_AES_128_GCM") == 0) return &profiles[2];
    return NULL;
}

static gsize init_once;
static bool init_ok;

/* Debian's libsrtp2 uses NSS for AES and HMAC and keeps several NSS sessions per SRTP stream.
 * When libsrtp2 initialises NSS itself (NSS_NoDB_Init) the softoken gets its space-optimised
 * session hash of 32 buckets, and every protect/unprotect walks chains that grow with the number
 * of live streams: measured 47 us per protect at 4,000 sessions instead of 2.6 us at one. NSS
 * initialised first without NSS_INIT_OPTIMIZESPACE uses 1,024 buckets (11 us at 4,000). NSS is
 * looked up at run time so that neither the build nor a non-NSS libsrtp2 depends on it. */
static void nss_init_for_many_sessions(void)
{
    typedef int (*is_init_fn)(void);
    typedef int (*init_fn)(const char *, const char *, const char *, const char *, unsigned);
    is_init_fn is_init = (is_init_fn)dlsym(RTLD_DEFAULT, "NSS_IsInitialized");
    init_fn init = (init_fn)dlsym(RTLD_DEFAULT, "NSS_Initialize");
    if (!is_init || !init || is_init()) return;
    /* NSS_INIT_READONLY | NOCERTDB | NOMODDB | FORCEOPEN | NOROOTINIT, not OPTIMIZESPACE */
    init("", "", "", "", 0x1 | 0x2 | 0x4 | 0x8 | 0x10);
}

bool agw_srtp_global_init(void)
{
    /* srtp_init() is never undone: libsrtp2 keeps process-wide crypto kernel state, and
     * srtp_shutdown() while another engine in the process still has sessions would break it. */
    if (g_once_init_enter(&init_once)) {
        nss_init_for_many_sessions();
        init_ok = srtp_init() == srtp_err_status_ok;
        g_once_init_leave(&init_once, 1);
    }
    return init_ok;
}

static bool create(srtp_t *out, const agw_srtp_profile_info_t *pi, const uint8_t *key,
                   srtp_ssrc_type_t type)
{
    srtp_policy_t pol;
    memset(&pol, 0, sizeof pol);
    pi->rtp_policy(&pol.rtp);
    pi->rtcp_policy(&pol.rtcp);
    pol.ssrc.type = type;
    pol.key = (unsigned char *)key;
    pol.window_size = 128;
    /* The plain leg may legitimately repeat a sequence number (retransmitting relays). */
    pol.allow_repeat_tx = type == ssrc_any_outbound;
    return srtp_create(out, &pol) == srtp_err_status_ok;
}

bool agw_srtp_init(agw_srtp_t *s, const agw_srtp_keys_t *k, const char **err)
{
    memset(s, 0, sizeof *s);
    const agw_srtp_profile_info_t *pi = agw_srtp_profile_info(k->profile);
    if (!pi) {
        *err = "unknown SRTP profile";
        return false;
    }
    if (!agw_srtp_global_init()) {
        *err = "srtp_init failed";
        return false;
    }
    if (!create(&s->tx, pi, k->tx_key, ssrc_any_outbound)) {
        *err = "srtp_create (outbound) failed";
        return false;
    }
    if (!create(&s->rx, pi, k->rx_key, ssrc_any_inbound)) {
        srtp_dealloc(s->tx);
        s->tx = NULL;
        *err = "srtp_create (inbound) failed";
        return false;
    }
    s->profile = k->profile;
    return true;
}

void agw_srtp_clear(agw_srtp_t *s)
{
    if (s->tx) srtp_dealloc(s->tx);
    if (s->rx) srtp_dealloc(s->rx);
    s->tx = s->rx = NULL;
}
