/* SIP Digest for the registrar role (RFC 2617 / RFC 3261 §22.4, TS 24.229 §5.4.1.2 with SIP
 * Digest, TS 33.203 Annex N): response computation, Authorization parameters, and the nonce
 * store. A nonce is fresh random data bound to the IMPI and to the HA1 the HSS returned in the
 * MAA, so a challenge costs one MAR and the response is verified locally. Time is passed in,
 * so everything here is testable without a clock. */
#ifndef PCSCF_AUTH_H
#define PCSCF_AUTH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* MD5 of `s` in lowercase hex (33 bytes with the NUL). */
void pcscf_md5_hex(const char *s, char out[33]);
/* HA1 = MD5(username ":" realm ":" password) */
void pcscf_digest_ha1(const char *user, const char *realm, const char *password, char out[33]);
/* RFC 2617 §3.2.2.1: with qop "auth": MD5(HA1:nonce:nc:cnonce:qop:HA2), without qop (RFC 2069
 * compatibility): MD5(HA1:nonce:HA2); HA2 = MD5(method:uri). false for an unsupported qop. */
bool pcscf_digest_response(const char *ha1, const char *nonce, const char *nc, const char *cnonce,
                           const char *qop, const char *method, const char *uri, char out[33]);

/* The Digest parameters of an Authorization header (values unquoted). */
typedef struct {
    char *username, *realm, *nonce, *uri, *response, *algorithm, *cnonce, *opaque, *qop, *nc;
} pcscf_digest_creds;
/* Parses "name=value" parameter strings (sofia-sip's au_params). false when username, realm,
 * nonce, uri or response is missing. */
bool pcscf_digest_parse(const char *const *params, pcscf_digest_creds *out);
void pcscf_digest_creds_clear(pcscf_digest_creds *c);

/* ---- nonce store ---- */
typedef struct pcscf_nonces pcscf_nonces_t;

typedef enum {
    PCSCF_AUTH_OK = 0,
    PCSCF_AUTH_UNKNOWN_NONCE, /* not issued by us, or expired: challenge again (stale=true) */
    PCSCF_AUTH_BAD_USER,      /* username or realm differs from the challenged ones */
    PCSCF_AUTH_REPLAY,        /* nonce count not increasing */
    PCSCF_AUTH_BAD_RESPONSE,  /* wrong password */
    PCSCF_AUTH_BAD_PARAMS,    /* unsupported algorithm or qop, missing cnonce/nc */
} pcscf_auth_result;

const char *pcscf_auth_result_name(pcscf_auth_result r);

pcscf_nonces_t *pcscf_nonces_new(unsigned lifetime_s);
void pcscf_nonces_free(pcscf_nonces_t *n);
/* Stores a new nonce for `impi` with the HSS's HA1 and returns it (owned by the store).
 * random16: 16 random bytes from the caller. */
const char *pcscf_nonce_issue(pcscf_nonces_t *n, const char *impi, const char *realm,
                              const char *ha1, const unsigned char random16[16], int64_t now_s);
/* Verifies a response for `method`. On OK the nonce stays valid for re-registrations with a
 * higher nonce count until it expires; on BAD_RESPONSE it is withdrawn. */
pcscf_auth_result pcscf_nonce_verify(pcscf_nonces_t *n, const pcscf_digest_creds *c,
                                     const char *method, int64_t now_s);
/* Drops expired nonces; returns how many are left. */
unsigned pcscf_nonces_expire(pcscf_nonces_t *n, int64_t now_s);

#endif
