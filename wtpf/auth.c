/* Passwords (crypt(3)), signed tokens (HMAC-SHA256 via GnuTLS) and the failed-login throttle. */
#include "wtpf/auth.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Passwords ---- */

char *auth_hash_password(const char *password, GError **err)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    /* yescrypt at libxcrypt's default cost; sha512-crypt where yescrypt is not built in. */
    const char *prefixes[] = {"$y$", "$6$"};
    for (unsigned i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (!crypt_gensalt_rn(prefixes[i], 0, NULL, 0, salt, sizeof salt)) continue;
        struct crypt_data *cd = g_new0(struct crypt_data, 1);
        char *h = crypt_rn(password, salt, cd, sizeof *cd);
        char *out = h && h[0] == '$' ? g_strdup(h) : NULL;
        explicit_bzero(cd, sizeof *cd);
        g_free(cd);
        if (out) return out;
    }
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "crypt: %s", g_strerror(errno));
    return NULL;
}

static bool consttime_eq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

bool auth_verify_password(const char *password, const char *hash)
{
    if (!password || !hash || hash[0] != '$') return false;
    struct crypt_data *cd = g_new0(struct crypt_data, 1);
    char *h = crypt_rn(password, hash, cd, sizeof *cd);
    bool ok = h && h[0] == '$' && strlen(h) == strlen(hash) && consttime_eq(h, hash, strlen(h));
    explicit_bzero(cd, sizeof *cd);
    g_free(cd);
    return ok;
}

/* ---- Tokens ---- */

bool auth_key_from_hex(auth_key *k, const char *hex)
{
    if (!hex || strlen(hex) != 2 * AUTH_KEY_LEN) return false;
    for (int i = 0; i < AUTH_KEY_LEN; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        k->key[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void auth_key_random(auth_key *k)
{
    gnutls_rnd(GNUTLS_RND_KEY, k->key, sizeof k->key);
}

static char *b64url(const void *data, size_t len)
{
    char *s = g_base64_encode(data, len);
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        s[--n] = '\0';
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return s;
}

/* Decodes base64url without padding; NULL for anything else. */
static uint8_t *b64url_decode(const char *s, size_t len, size_t *out_len)
{
    if (len == 0 || len > AUTH_TOKEN_MAX || len % 4 == 1) return NULL;
    char *t = g_malloc(len + 4);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!g_ascii_isalnum(c)) {
            g_free(t);
            return NULL;
        }
        t[i] = c;
    }
    size_t n = len;
    while (n % 4)
        t[n++] = '=';
    t[n] = '\0';
    gsize ol = 0;
    uint8_t *out = g_base64_decode(t, &ol);
    g_free(t);
    *out_len = ol;
    return out;
}

static void sign(const auth_key *k, const char *data, size_t len, uint8_t mac[32])
{
    gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->key, sizeof k->key, data, len, mac);
}

char *auth_token_issue(const auth_key *k, const char *user, int64_t expires)
{
    uint8_t nonce[9];
    gnutls_rnd(GNUTLS_RND_NONCE, nonce, sizeof nonce);
    char *n64 = b64url(nonce, sizeof nonce);
    char *claims = g_strdup_printf("v1:%s:%" G_GINT64_FORMAT ":%s", user, expires, n64);
    char *c64 = b64url(claims, strlen(claims));
    uint8_t mac[32];
    sign(k, c64, strlen(c64), mac);
    char *m64 = b64url(mac, sizeof mac);
    char *tok = g_strconcat(c64, ".", m64, NULL);
    g_free(n64);
    g_free(claims);
    g_free(c64);
    g_free(m64);
    return tok;
}

auth_token_status auth_token_check(const auth_key *k, const char *token, int64_t now, char **user,
                                   int64_t *expires)
{
    *user = NULL;
    if (!token || strlen(token) > AUTH_TOKEN_MAX) return AUTH_TOKEN_MALFORMED;
    const char *dot = strchr(token, '.');
    if (!dot || dot == token) return AUTH_TOKEN_MALFORMED;
    size_t mac_len = 0;
    uint8_t *mac = b64url_decode(dot + 1, strlen(dot + 1), &mac_len);
    if (!mac || mac_len != 32) {
        g_free(mac);
        return AUTH_TOKEN_MALFORMED;
    }
    /* only the canonical encoding: no second spelling of the same signature */
    char *canon = b64url(mac, mac_len);
    bool canonical = strcmp(canon, dot + 1) == 0;
    g_free(canon);
    if (!canonical) {
        g_free(mac);
        return AUTH_TOKEN_MALFORMED;
    }
    uint8_t want[32];
    sign(k, token, (size_t)(dot - token), want);
    bool sig_ok = consttime_eq(mac, want, 32);
    g_free(mac);
    if (!sig_ok) return AUTH_TOKEN_BAD_SIG;
    /* Signed by us: the claims are ours, but parse them defensively all the same. */
    size_t clen = 0;
    uint8_t *claims = b64url_decode(token, (size_t)(dot - token), &clen);
    if (!claims) return AUTH_TOKEN_MALFORMED;
    char *c = g_strndup((const char *)claims, clen);
    g_free(claims);
    gchar **f = g_strsplit(c, ":", 5);
    g_free(c);
    auth_token_status st = AUTH_TOKEN_MALFORMED;
    if (g_strv_length(f) == 4 && strcmp(f[0], "v1") == 0 && f[1][0]) {
        char *end = NULL;
        gint64 exp = g_ascii_strtoll(f[2], &end, 10);
        if (end && !*end && end != f[2]) {
            if (now >= exp) {
                st = AUTH_TOKEN_EXPIRED;
            } else {
                st = AUTH_TOKEN_OK;
                *user = g_strdup(f[1]);
                if (expires) *expires = exp;
            }
        }
    }
    g_strfreev(f);
    return st;
}

const char *auth_token_status_name(auth_token_status s)
{
    switch (s) {
    case AUTH_TOKEN_OK:
        return "ok";
    case AUTH_TOKEN_MALFORMED:
        return "malformed token";
    case AUTH_TOKEN_BAD_SIG:
        return "bad token signature";
    case AUTH_TOKEN_EXPIRED:
        return "token expired";
    }
    return "?";
}

/* ---- Throttle ---- */

typedef struct {
    unsigned failures; /* within the current window */
    int64_t window_start;
    int64_t locked_until;
    unsigned lockouts; /* consecutive lockouts: the next one lasts longer */
    int64_t last_seen;
} throttle_entry;

struct auth_throttle {
    auth_throttle_cfg cfg;
    GHashTable *entries; /* key -> throttle_entry */
};

auth_throttle *auth_throttle_new(const auth_throttle_cfg *cfg)
{
    auth_throttle *t = g_new0(auth_throttle, 1);
    t->cfg = *cfg;
    if (!t->cfg.max_entries) t->cfg.max_entries = 65536;
    t->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return t;
}

void auth_throttle_free(auth_throttle *t)
{
    if (!t) return;
    g_hash_table_unref(t->entries);
    g_free(t);
}

unsigned auth_throttle_size(const auth_throttle *t)
{
    return g_hash_table_size(t->entries);
}

unsigned auth_throttle_check(auth_throttle *t, const char *key, int64_t now)
{
    throttle_entry *e = g_hash_table_lookup(t->entries, key);
    if (!e || e->locked_until <= now) return 0;
    return (unsigned)(e->locked_until - now);
}

/* Keeps the table bounded: drops entries that are idle (not locked, window over), then, if
 * still full, the least recently seen one. */
static void prune(auth_throttle *t, int64_t now)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->entries);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        throttle_entry *e = v;
        if (e->locked_until <= now && now - e->window_start >= t->cfg.window &&
            now - e->last_seen >= (int64_t)t->cfg.lockout_max)
            g_hash_table_iter_remove(&it);
    }
    while (g_hash_table_size(t->entries) >= t->cfg.max_entries) {
        gpointer oldest = NULL;
        int64_t when = INT64_MAX;
        g_hash_table_iter_init(&it, t->entries);
        while (g_hash_table_iter_next(&it, &k, &v))
            if (((throttle_entry *)v)->last_seen < when) {
                when = ((throttle_entry *)v)->last_seen;
                oldest = k;
            }
        if (!oldest) break;
        g_hash_table_remove(t->entries, oldest);
    }
}

unsigned auth_throttle_fail(auth_throttle *t, const char *key, int64_t now)
{
    throttle_entry *e = g_hash_table_lookup(t->entries, key);
    if (!e) {
        if (g_hash_table_size(t->entries) >= t->cfg.max_entries) prune(t, now);
        e = g_new0(throttle_entry, 1);
        e->window_start = now;
        g_hash_table_insert(t->entries, g_strdup(key), e);
    }
    e->last_seen = now;
    /* A long quiet period forgives earlier lockouts. */
    if (e->locked_until && now - e->locked_until > (int64_t)t->cfg.lockout_max) e->lockouts = 0;
    if (now - e->window_start >= t->cfg.window) {
        e->window_start = now;
        e->failures = 0;
    }
    e->failures++;
    if (e->failures < t->cfg.max_failures) return 0;
    unsigned lock = t->cfg.lockout;
    for (unsigned i = 0; i < e->lockouts && lock < t->cfg.lockout_max; i++)
        lock *= 2;
    if (lock > t->cfg.lockout_max) lock = t->cfg.lockout_max;
    e->lockouts++;
    e->locked_until = now + lock;
    e->failures = 0;
    e->window_start = now;
    return lock;
}

void auth_throttle_ok(auth_throttle *t, const char *key)
{
    g_hash_table_remove(t->entries, key);
}
