/* DTLS certificate generation/loading and fingerprint handling (see cert.h). */
#include "cert.h"

#include <ctype.h>
#include <gio/gio.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
    const char *name;
    gnutls_digest_algorithm_t alg;
    size_t len;
} algs[] = {
    {"sha-1", GNUTLS_DIG_SHA1, 20},     {"sha-224", GNUTLS_DIG_SHA224, 28},
    {"sha-256", GNUTLS_DIG_SHA256, 32}, {"sha-384", GNUTLS_DIG_SHA384, 48},
    {"sha-512", GNUTLS_DIG_SHA512, 64},
};

const char *agw_fingerprint_alg_name(gnutls_digest_algorithm_t alg)
{
    for (size_t i = 0; i < G_N_ELEMENTS(algs); i++)
        if (algs[i].alg == alg) return algs[i].name;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool agw_fingerprint_parse(const char *alg, const char *hex, agw_fingerprint_t *fp)
{
    memset(fp, 0, sizeof *fp);
    if (!alg || !hex) return false;
    size_t want = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(algs); i++)
        if (strcasecmp(alg, algs[i].name) == 0) {
            fp->alg = algs[i].alg;
            want = algs[i].len;
        }
    if (!want) return false;
    const char *p = hex;
    size_t n = 0;
    while (*p) {
        int h = hexval((unsigned char)p[0]), l = p[0] ? hexval((unsigned char)p[1]) : -1;
        if (h < 0 || l < 0 || n >= sizeof fp->md) return false;
        fp->md[n++] = (uint8_t)(h << 4 | l);
        p += 2;
        if (*p == ':') {
            p++;
            if (!*p) return false;
        } else if (*p) {
            return false;
        }
    }
    if (n != want) return false;
    fp->len = n;
    return true;
}

bool agw_fingerprint_parse_attr(const char *value, agw_fingerprint_t *fp)
{
    if (!value) return false;
    while (*value == ' ')
        value++;
    const char *sp = strchr(value, ' ');
    if (!sp || sp - value > 15) return false;
    char alg[16];
    memcpy(alg, value, (size_t)(sp - value));
    alg[sp - value] = '\0';
    while (*sp == ' ')
        sp++;
    char hex[3 * 64 + 1];
    size_t hl = strcspn(sp, " \r\n");
    if (hl >= sizeof hex) return false;
    memcpy(hex, sp, hl);
    hex[hl] = '\0';
    return agw_fingerprint_parse(alg, hex, fp);
}

const char *agw_fingerprint_hex(const agw_fingerprint_t *fp, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < fp->len && o + 3 < cap; i++) {
        if (i) out[o++] = ':';
        out[o++] = digits[fp->md[i] >> 4];
        out[o++] = digits[fp->md[i] & 15];
    }
    out[o] = '\0';
    return out;
}

bool agw_fingerprint_of_der(gnutls_digest_algorithm_t alg, const gnutls_datum_t *der,
                            agw_fingerprint_t *out)
{
    memset(out, 0, sizeof *out);
    size_t len = sizeof out->md;
    if (gnutls_fingerprint(alg, der, out->md, &len) < 0) return false;
    out->alg = alg;
    out->len = len;
    return true;
}

bool agw_fingerprint_equal(const agw_fingerprint_t *a, const agw_fingerprint_t *b)
{
    if (a->alg != b->alg || a->len != b->len || a->len == 0) return false;
    uint8_t diff = 0;
    for (size_t i = 0; i < a->len; i++)
        diff |= a->md[i] ^ b->md[i];
    return diff == 0;
}

/* ---- the certificate ------------------------------------------------------------------------ */

struct agw_cert {
    gnutls_certificate_credentials_t cred;
    gnutls_datum_t der;
    agw_fingerprint_t fp;
    char fp_hex[3 * 64 + 1];
};

static agw_cert_t *finish(agw_cert_t *c, gnutls_x509_crt_t crt, GError **err)
{
    int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &c->der);
    if (rc < 0 || !agw_fingerprint_of_der(GNUTLS_DIG_SHA256, &c->der, &c->fp)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "certificate export: %s",
                    gnutls_strerror(rc));
        agw_cert_free(c);
        return NULL;
    }
    agw_fingerprint_hex(&c->fp, c->fp_hex, sizeof c->fp_hex);
    return c;
}

agw_cert_t *agw_cert_generate(const char *cn, unsigned days, GError **err)
{
    agw_cert_t *c = g_new0(agw_cert_t, 1);
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    const char *what = "key generation";
    int rc = gnutls_x509_privkey_init(&key);
    if (rc >= 0)
        rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0) {
        what = "certificate";
        rc = gnutls_x509_crt_init(&crt);
    }
    uint8_t serial[16];
    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f; /* positive INTEGER */
    time_t now = time(NULL);
    if (rc >= 0) rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0) rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (rc >= 0) rc = gnutls_x509_crt_set_activation_time(crt, now - 24 * 3600);
    if (rc >= 0) rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 24 * 3600);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                           (unsigned)strlen(cn));
    if (rc >= 0)
        rc = gnutls_x509_crt_set_issuer_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                                  (unsigned)strlen(cn));
    if (rc >= 0) rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0) rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    if (rc >= 0) rc = gnutls_certificate_allocate_credentials(&c->cred);
    if (rc >= 0) rc = gnutls_certificate_set_x509_key(c->cred, &crt, 1, key);
    if (rc < 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror(rc));
        if (crt) gnutls_x509_crt_deinit(crt);
        if (key) gnutls_x509_privkey_deinit(key);
        agw_cert_free(c);
        return NULL;
    }
    c = finish(c, crt, err);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return c;
}

agw_cert_t *agw_cert_load(const char *cert_file, const char *key_file, GError **err)
{
    agw_cert_t *c = g_new0(agw_cert_t, 1);
    gnutls_datum_t pem = {0};
    gnutls_x509_crt_t crt = NULL;
    int rc = gnutls_certificate_allocate_credentials(&c->cred);
    if (rc >= 0)
        rc =
            gnutls_certificate_set_x509_key_file(c->cred, cert_file, key_file, GNUTLS_X509_FMT_PEM);
    if (rc >= 0) rc = gnutls_load_file(cert_file, &pem);
    if (rc >= 0) rc = gnutls_x509_crt_init(&crt);
    if (rc >= 0) rc = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM);
    gnutls_free(pem.data);
    if (rc < 0) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "%s / %s: %s", cert_file, key_file,
                    gnutls_strerror(rc));
        if (crt) gnutls_x509_crt_deinit(crt);
        agw_cert_free(c);
        return NULL;
    }
    c = finish(c, crt, err);
    gnutls_x509_crt_deinit(crt);
    return c;
}

void agw_cert_free(agw_cert_t *c)
{
    if (!c) return;
    if (c->cred) gnutls_certificate_free_credentials(c->cred);
    gnutls_free(c->der.data);
    g_free(c);
}

gnutls_certificate_credentials_t agw_cert_credentials(const agw_cert_t *c)
{
    return c->cred;
}
const char *agw_cert_fingerprint(const agw_cert_t *c)
{
    return c->fp_hex;
}
const agw_fingerprint_t *agw_cert_fingerprint_raw(const agw_cert_t *c)
{
    return &c->fp;
}

bool agw_cert_fingerprint_alg(const agw_cert_t *c, gnutls_digest_algorithm_t alg,
                              agw_fingerprint_t *out)
{
    return agw_fingerprint_of_der(alg, &c->der, out);
}
