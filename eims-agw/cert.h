/* The AGW's DTLS identity: an ECDSA P-256 self-signed certificate generated at start (or loaded
 * from PEM files), its GnuTLS credentials, and certificate fingerprints as SDP carries them
 * (RFC 8122 §5: "sha-256 AB:CD:..."). */
#ifndef AGW_CERT_H
#define AGW_CERT_H
#include <glib.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    gnutls_digest_algorithm_t alg; /* GNUTLS_DIG_UNKNOWN = unset */
    size_t len;
    uint8_t md[64];
} agw_fingerprint_t;

/* `alg` is the SDP hash function name ("sha-1", "sha-224", "sha-256", "sha-384", "sha-512",
 * case-insensitive), `hex` the colon-separated uppercase or lowercase bytes. False if malformed
 * or the length does not fit the algorithm. */
bool agw_fingerprint_parse(const char *alg, const char *hex, agw_fingerprint_t *fp);
/* Parses the attribute value "sha-256 AB:CD:..." (what follows "a=fingerprint:"). */
bool agw_fingerprint_parse_attr(const char *value, agw_fingerprint_t *fp);
/* "AB:CD:..." (uppercase, RFC 8122 §5) into out (>= 3 * 64 bytes); returns out. */
const char *agw_fingerprint_hex(const agw_fingerprint_t *fp, char *out, size_t cap);
const char *agw_fingerprint_alg_name(gnutls_digest_algorithm_t alg);
bool agw_fingerprint_of_der(gnutls_digest_algorithm_t alg, const gnutls_datum_t *der,
                            agw_fingerprint_t *out);
/* Same algorithm and bytes; compares without early exit. */
bool agw_fingerprint_equal(const agw_fingerprint_t *a, const agw_fingerprint_t *b);

typedef struct agw_cert agw_cert_t;

/* ECDSA P-256 key and a self-signed X.509 v3 certificate (CN = `cn`), valid from a day ago for
 * `days` days, signed with SHA-256 (what browsers generate for themselves, RFC 8827 §6.5). */
agw_cert_t *agw_cert_generate(const char *cn, unsigned days, GError **err);
/* PEM certificate and private key files (any key type GnuTLS accepts). */
agw_cert_t *agw_cert_load(const char *cert_file, const char *key_file, GError **err);
void agw_cert_free(agw_cert_t *c);

gnutls_certificate_credentials_t agw_cert_credentials(const agw_cert_t *c);
/* SHA-256 fingerprint of the certificate, "AB:CD:..." */
const char *agw_cert_fingerprint(const agw_cert_t *c);
const agw_fingerprint_t *agw_cert_fingerprint_raw(const agw_cert_t *c);
/* Fingerprint with another hash (when the peer's SDP uses sha-1 or sha-512). */
bool agw_cert_fingerprint_alg(const agw_cert_t *c, gnutls_digest_algorithm_t alg,
                              agw_fingerprint_t *out);

#endif
