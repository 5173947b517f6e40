/* SIP Digest computations and the nonce store (see auth.h). */
#include "pcscf/auth.h"

#include <stdlib.h>
#include <string.h>

void pcscf_md5_hex(const char *s, char out[33])
{
    gchar *h = g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
    g_strlcpy(out, h, 33);
    g_free(h);
}

void pcscf_digest_ha1(const char *user, const char *realm, const char *password, char out[33])
{
    gchar *a1 = g_strdup_printf("%s:%s:%s", user, realm, password);
    pcscf_md5_hex(a1, out);
    g_free(a1);
}

bool pcscf_digest_response(const char *ha1, const char *nonce, const char *nc, const char *cnonce,
                           const char *qop, const char *method, const char *uri, char out[33])
{
    char ha2[33];
    gchar *a2 = g_strdup_printf("%s:%s", method, uri);
    pcscf_md5_hex(a2, ha2);
    g_free(a2);
    gchar *kd;
    if (!qop || !*qop) {
        kd = g_strdup_printf("%s:%s:%s", ha1, nonce, ha2);
    } else if (g_ascii_strcasecmp(qop, "auth") == 0) {
        if (!nc || !cnonce) return false;
        kd = g_strdup_printf("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
    } else {
        return false; /* auth-int needs the body hash: not offered by us */
    }
    pcscf_md5_hex(kd, out);
    g_free(kd);
    return true;
}

static char *unquote(const char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        GString *o = g_string_sized_new(n);
        for (size_t i = 1; i + 1 < n; i++) {
            if (v[i] == '\\' && i + 2 < n) i++;
            g_string_append_c(o, v[i]);
        }
        return g_string_free(o, FALSE);
    }
    return g_strdup(v);
}

bool pcscf_digest_parse(const char *const *params, pcscf_digest_creds *out)
{
    memset(out, 0, sizeof *out);
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
        {"username", offsetof(pcscf_digest_creds, username)},
        {"realm", offsetof(pcscf_digest_creds, realm)},
        {"nonce", offsetof(pcscf_digest_creds, nonce)},
        {"uri", offsetof(pcscf_digest_creds, uri)},
        {"response", offsetof(pcscf_digest_creds, response)},
        {"algorithm", offsetof(pcscf_digest_creds, algorithm)},
        {"cnonce", offsetof(pcscf_digest_creds, cnonce)},
        {"opaque", offsetof(pcscf_digest_creds, opaque)},
        {"qop", offsetof(pcscf_digest_creds, qop)},
        {"nc", offsetof(pcscf_digest_creds, nc)},
    };
    for (size_t i = 0; params && params[i]; i++) {
        const char *eq = strchr(params[i], '=');
        if (!eq) continue;
        gchar *name = g_strstrip(g_strndup(params[i], (gsize)(eq - params[i])));
        for (size_t f = 0; f < G_N_ELEMENTS(fields); f++) {
            char **slot = (char **)((char *)out + fields[f].off);
            if (g_ascii_strcasecmp(name, fields[f].name) == 0 && !*slot) {
                gchar *v = g_strstrip(g_strdup(eq + 1));
                *slot = unquote(v);
                g_free(v);
            }
        }
        g_free(name);
    }
    return out->username && out->realm && out->nonce && out->uri && out->response;
}

void pcscf_digest_creds_clear(pcscf_digest_creds *c)
{
    g_free(c->username);
    g_free(c->realm);
    g_free(c->nonce);
    g_free(c->uri);
    g_free(c->response);
    g_free(c->algorithm);
    g_free(c->cnonce);
    g_free(c->opaque);
    g_free(c->qop);
    g_free(c->nc);
    memset(c, 0, sizeof *c);
}

const char *pcscf_auth_result_name(pcscf_auth_result r)
{
    static const char *const n[] = {"ok",     "unknown-nonce", "bad-user",
                                    "replay", "bad-response",  "bad-params"};
    return (unsigned)r < G_N_ELEMENTS(n) ? n[r] : "?";
}

/* ---- nonce store ---- */

typedef struct {
    char *nonce, *impi, *realm;
    char ha1[33];
    int64_t issued;
    unsigned long last_nc; /* highest nonce count accepted so far */
} nonce_t;

struct pcscf_nonces {
    unsigned lifetime_s;
    GHashTable *by_nonce; /* nonce -> nonce_t* (owned) */
};

static void nonce_free(gpointer p)
{
    nonce_t *n = p;
    g_free(n->nonce);
    g_free(n->impi);
    g_free(n->realm);
    g_free(n);
}

pcscf_nonces_t *pcscf_nonces_new(unsigned lifetime_s)
{
    pcscf_nonces_t *s = g_new0(pcscf_nonces_t, 1);
    s->lifetime_s = lifetime_s;
    s->by_nonce = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, nonce_free);
    return s;
}

void pcscf_nonces_free(pcscf_nonces_t *s)
{
    if (!s) return;
    g_hash_table_destroy(s->by_nonce);
    g_free(s);
}

const char *pcscf_nonce_issue(pcscf_nonces_t *s, const char *impi, const char *realm,
                              const char *ha1, const unsigned char random16[16], int64_t now_s)
{
    nonce_t *n = g_new0(nonce_t, 1);
    /* 16 random bytes in base64: unguessable and fresh for every challenge. */
    n->nonce = g_base64_encode(random16, 16);
    n->impi = g_strdup(impi);
    n->realm = g_strdup(realm);
    g_strlcpy(n->ha1, ha1, sizeof n->ha1);
    for (char *p = n->ha1; *p; p++)
        *p = g_ascii_tolower(*p);
    n->issued = now_s;
    g_hash_table_replace(s->by_nonce, n->nonce, n);
    return n->nonce;
}

pcscf_auth_result pcscf_nonce_verify(pcscf_nonces_t *s, const pcscf_digest_creds *c,
                                     const char *method, int64_t now_s)
{
    nonce_t *n = g_hash_table_lookup(s->by_nonce, c->nonce);
    if (!n || now_s - n->issued > (int64_t)s->lifetime_s) return PCSCF_AUTH_UNKNOWN_NONCE;
    if (strcmp(n->impi, c->username) != 0 || strcmp(n->realm, c->realm) != 0)
        return PCSCF_AUTH_BAD_USER;
    if (c->algorithm && g_ascii_strcasecmp(c->algorithm, "MD5") != 0) return PCSCF_AUTH_BAD_PARAMS;
    unsigned long nc = 0;
    if (c->qop) {
        if (!c->nc || !c->cnonce || strlen(c->nc) != 8) return PCSCF_AUTH_BAD_PARAMS;
        char *end;
        nc = strtoul(c->nc, &end, 16);
        if (*end) return PCSCF_AUTH_BAD_PARAMS;
        /* RFC 2617 §3.2.2: the nonce count lets the server detect replays. */
        if (nc <= n->last_nc) return PCSCF_AUTH_REPLAY;
    } else if (n->last_nc == G_MAXULONG) {
        return PCSCF_AUTH_REPLAY;
    }
    char expect[33];
    if (!pcscf_digest_response(n->ha1, c->nonce, c->nc, c->cnonce, c->qop, method, c->uri, expect))
        return PCSCF_AUTH_BAD_PARAMS;
    if (g_ascii_strcasecmp(expect, c->response) != 0) {
        g_hash_table_remove(s->by_nonce, c->nonce);
        return PCSCF_AUTH_BAD_RESPONSE;
    }
    if (c->qop)
        n->last_nc = nc;
    else
        n->last_nc = G_MAXULONG; /* without qop a nonce serves once */
    return PCSCF_AUTH_OK;
}

unsigned pcscf_nonces_expire(pcscf_nonces_t *s, int64_t now_s)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->by_nonce);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        nonce_t *n = v;
        if (now_s - n->issued > (int64_t)s->lifetime_s) g_hash_table_iter_remove(&it);
    }
    return g_hash_table_size(s->by_nonce);
}
