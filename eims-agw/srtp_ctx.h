/* SRTP/SRTCP for one W3 termination with libsrtp2, and the table of DTLS-SRTP protection
 * profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). A profile is one row: IANA id, key and salt
 * lengths, libsrtp2 policy setters, and whether our DTLS stack can negotiate it. */
#ifndef AGW_SRTP_CTX_H
#define AGW_SRTP_CTX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

typedef enum {
    AGW_SRTP_AES128_CM_SHA1_80 = 0,
    AGW_SRTP_AES128_CM_SHA1_32,
    AGW_SRTP_AEAD_AES_128_GCM,
    AGW_SRTP_PROFILE_COUNT
} agw_srtp_profile_t;

#define AGW_SRTP_MASK(p) (1u << (p))
#define AGW_SRTP_MASK_ALL ((1u << AGW_SRTP_PROFILE_COUNT) - 1)

typedef struct {
    agw_srtp_profile_t id;
    uint16_t iana;     /* DTLS-SRTP protection profile id */
    const char *name;  /* IANA name, also GnuTLS's profile name */
    unsigned key_len;  /* master key octets */
    unsigned salt_len; /* master salt octets */
    /* GnuTLS 3.7.9 (Debian 12) negotiates only the AES-CM profiles in use_srtp: SPECS §3.5. */
    bool dtls_negotiable;
    void (*rtp_policy)(srtp_crypto_policy_t *p);
    void (*rtcp_policy)(srtp_crypto_policy_t *p);
} agw_srtp_profile_info_t;

const agw_srtp_profile_info_t *agw_srtp_profile_info(agw_srtp_profile_t p);
const agw_srtp_profile_info_t *agw_srtp_profile_by_iana(uint16_t iana);
const agw_srtp_profile_info_t *agw_srtp_profile_by_name(const char *name);

#define AGW_SRTP_MAX_KEY 32
#define AGW_SRTP_MAX_SALT 14

/* Keying material for one direction pair, from DTLS key export (RFC 5764 §4.2). */
typedef struct {
    agw_srtp_profile_t profile;
    uint8_t tx_key[AGW_SRTP_MAX_KEY + AGW_SRTP_MAX_SALT]; /* key || salt */
    uint8_t rx_key[AGW_SRTP_MAX_KEY + AGW_SRTP_MAX_SALT];
} agw_srtp_keys_t;

/* Growth of a packet on protect: auth tag plus SRTCP index (MKI unused). */
#define AGW_SRTP_OVERHEAD (SRTP_MAX_TAG_LEN + 4)

typedef struct {
    srtp_t tx;
    srtp_t rx;
    agw_srtp_profile_t profile;
} agw_srtp_t;

/* Once per process (idempotent, thread-safe). */
bool agw_srtp_global_init(void);
/* Both directions, any SSRC (ssrc_any_inbound / ssrc_any_outbound). False + *err (static). */
bool agw_srtp_init(agw_srtp_t *s, const agw_srtp_keys_t *k, const char **err);
void agw_srtp_clear(agw_srtp_t *s);

/* In place; the buffer must have AGW_SRTP_OVERHEAD spare bytes after *len. 0 = ok, else the
 * srtp_err_status_t. */
static inline int agw_srtp_protect(agw_srtp_t *s, uint8_t *buf, int *len, bool rtcp)
{
    return rtcp ? (int)srtp_protect_rtcp(s->tx, buf, len) : (int)srtp_protect(s->tx, buf, len);
}
static inline int agw_srtp_unprotect(agw_srtp_t *s, uint8_t *buf, int *len, bool rtcp)
{
    return rtcp ? (int)srtp_unprotect_rtcp(s->rx, buf, len) : (int)srtp_unprotect(s->rx, buf, len);
}

#endif
