/* Subscriber store of the hss-stub (see subscribers.h). */
#include "subscribers.h"

#include <string.h>
#include <strings.h>

struct hss_store {
    GPtrArray *subs;       /* hss_sub_t*, owns them */
    GHashTable *by_impi;   /* impi -> sub */
    GHashTable *by_impu;   /* lower-cased distinct impu -> sub */
    GPtrArray *wildcards;  /* hss_impu_t* (borrowed) */
    GPtrArray *wild_owner; /* hss_sub_t*, parallel to wildcards */
};

static void impu_free(gpointer p)
{
    hss_impu_t *u = p;
    if (u->wildcard) regfree(&u->re);
    g_free(u->uri);
    g_free(u->display_name);
    g_free(u);
}

static void sub_free(gpointer p)
{
    hss_sub_t *s = p;
    g_free(s->impi);
    g_free(s->realm);
    g_ptr_array_free(s->impus, TRUE);
    g_free(s->server_name);
    g_free(s);
}

void hss_digest_ha1(const char *impi, const char *realm, const char *password, char out[33])
{
    gchar *a1 = g_strdup_printf("%s:%s:%s", impi, realm, password);
    gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_MD5, a1, -1);
    g_strlcpy(out, hex, 33);
    g_free(hex);
    g_free(a1);
}

bool hss_wildcard_compile(const char *uri, regex_t *re, GString *why)
{
    GString *ere = g_string_new("^");
    bool in_re = false;
    for (const char *p = uri; *p; p++) {
        if (*p == '!') {
            in_re = !in_re;
            continue;
        }
        if (!in_re && strchr(".[]()*+?{}|^$\\", *p)) g_string_append_c(ere, '\\');
        g_string_append_c(ere, *p);
    }
    g_string_append_c(ere, '$');
    bool ok = !in_re;
    if (!ok) {
        g_string_append(why, "unbalanced '!' in wildcarded IMPU");
    } else {
        int rc = regcomp(re, ere->str, REG_EXTENDED | REG_NOSUB | REG_ICASE);
        if (rc != 0) {
            char buf[128];
            regerror(rc, re, buf, sizeof buf);
            g_string_append_printf(why, "bad regular expression: %s", buf);
            ok = false;
        }
    }
    g_string_free(ere, TRUE);
    return ok;
}

static bool is_hex32(const char *s)
{
    if (strlen(s) != 32) return false;
    for (; *s; s++)
        if (!g_ascii_isxdigit(*s)) return false;
    return true;
}

static hss_impu_t *load_impu(hss_store_t *st, hss_sub_t *sub, config_setting_t *e,
                             GString *errors, const char *file)
{
    const char *uri = NULL;
    config_setting_lookup_string(e, "uri", &uri);
    if (!uri || !(g_str_has_prefix(uri, "sip:") || g_str_has_prefix(uri, "tel:") ||
                  g_str_has_prefix(uri, "sips:"))) {
        g_string_append_printf(errors, "%s:%u: impus: uri must be a sip:, sips: or tel: URI\n",
                               file, config_setting_source_line(e));
        return NULL;
    }
    hss_impu_t *u = g_new0(hss_impu_t, 1);
    u->uri = g_strdup(uri);
    const char *dn = NULL;
    if (config_setting_lookup_string(e, "display_name", &dn)) u->display_name = g_strdup(dn);
    int b = 0;
    config_setting_lookup_bool(e, "barred", &b);
    u->barred = b;
    u->wildcard = strchr(uri, '!') != NULL;
    if (u->wildcard) {
        GString *why = g_string_new(NULL);
        if (!hss_wildcard_compile(uri, &u->re, why)) {
            g_string_append_printf(errors, "%s:%u: impus: %s: %s\n", file,
                                   config_setting_source_line(e), uri, why->str);
            u->wildcard = false;
            g_string_free(why, TRUE);
            impu_free(u);
            return NULL;
        }
        g_string_free(why, TRUE);
        g_ptr_array_add(st->wildcards, u);
        g_ptr_array_add(st->wild_owner, sub);
    } else {
        gchar *key = g_ascii_strdown(uri, -1);
        if (g_hash_table_contains(st->by_impu, key)) {
            g_string_append_printf(errors, "%s:%u: impus: %s provisioned twice\n", file,
                                   config_setting_source_line(e), uri);
            g_free(key);
            impu_free(u);
            return NULL;
        }
        g_hash_table_insert(st->by_impu, key, sub);
    }
    return u;
}

hss_store_t *hss_store_load(const config_t *cfg, GString *errors)
{
    hss_store_t *st = g_new0(hss_store_t, 1);
    st->subs = g_ptr_array_new_with_free_func(sub_free);
    st->by_impi = g_hash_table_new(g_str_hash, g_str_equal);
    st->by_impu = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    st->wildcards = g_ptr_array_new();
    st->wild_owner = g_ptr_array_new();
    config_setting_t *list = config_lookup(cfg, "subscribers");
    const char *default_realm = NULL;
    config_lookup_string(cfg, "digest_realm", &default_realm);
    for (int i = 0; list && i < config_setting_length(list); i++) {
        config_setting_t *s = config_setting_get_elem(list, i);
        const char *file = config_setting_source_file(s) ? config_setting_source_file(s) : "config";
        unsigned line = config_setting_source_line(s);
        const char *impi = NULL, *pw = NULL, *ha1 = NULL, *realm = NULL;
        config_setting_lookup_string(s, "impi", &impi);
        config_setting_lookup_string(s, "password", &pw);
        config_setting_lookup_string(s, "ha1", &ha1);
        config_setting_lookup_string(s, "realm", &realm);
        if (!realm) realm = default_realm ? default_realm : "";
        if (!impi || !*impi) {
            g_string_append_printf(errors, "%s:%u: subscriber without impi\n", file, line);
            continue;
        }
        if (g_hash_table_contains(st->by_impi, impi)) {
            g_string_append_printf(errors, "%s:%u: impi %s provisioned twice\n", file, line, impi);
            continue;
        }
        if ((pw != NULL) == (ha1 != NULL)) {
            g_string_append_printf(errors, "%s:%u: %s: give exactly one of password or ha1\n",
                                   file, line, impi);
            continue;
        }
        if (ha1 && !is_hex32(ha1)) {
            g_string_append_printf(errors, "%s:%u: %s: ha1 must be 32 hex digits\n", file, line,
                                   impi);
            continue;
        }
        hss_sub_t *sub = g_new0(hss_sub_t, 1);
        sub->impi = g_strdup(impi);
        sub->realm = g_strdup(realm);
        sub->impus = g_ptr_array_new_with_free_func(impu_free);
        int unreg = 0;
        config_setting_lookup_bool(s, "unregistered_services", &unreg);
        sub->unregistered_services = unreg;
        if (pw)
            hss_digest_ha1(impi, realm, pw, sub->ha1);
        else
            for (int k = 0; k < 33; k++) sub->ha1[k] = g_ascii_tolower(ha1[k]);
        g_ptr_array_add(st->subs, sub);
        g_hash_table_insert(st->by_impi, sub->impi, sub);
        config_setting_t *impus = config_setting_get_member(s, "impus");
        for (int j = 0; impus && j < config_setting_length(impus); j++) {
            hss_impu_t *u = load_impu(st, sub, config_setting_get_elem(impus, j), errors, file);
            if (u) g_ptr_array_add(sub->impus, u);
        }
        if (sub->impus->len == 0)
            g_string_append_printf(errors, "%s:%u: %s: at least one IMPU is needed\n", file, line,
                                   impi);
        else if (((hss_impu_t *)sub->impus->pdata[0])->wildcard)
            g_string_append_printf(errors,
                                   "%s:%u: %s: the first (default) IMPU cannot be a wildcard\n",
                                   file, line, impi);
    }
    return st;
}

void hss_store_free(hss_store_t *st)
{
    if (!st) return;
    g_hash_table_destroy(st->by_impi);
    g_hash_table_destroy(st->by_impu);
    g_ptr_array_free(st->wildcards, TRUE);
    g_ptr_array_free(st->wild_owner, TRUE);
    g_ptr_array_free(st->subs, TRUE);
    g_free(st);
}

guint hss_store_count(const hss_store_t *st)
{
    return st->subs->len;
}

hss_sub_t *hss_store_by_impi(const hss_store_t *st, const char *impi)
{
    return impi ? g_hash_table_lookup(st->by_impi, impi) : NULL;
}

static const hss_impu_t *find_in_sub(const hss_sub_t *sub, const char *uri)
{
    for (guint i = 0; i < sub->impus->len; i++) {
        const hss_impu_t *u = sub->impus->pdata[i];
        if (!u->wildcard && g_ascii_strcasecmp(u->uri, uri) == 0) return u;
    }
    return NULL;
}

static hss_sub_t *lookup_one(const hss_store_t *st, const char *impu, const hss_impu_t **impu_out,
                             const hss_impu_t **wildcard)
{
    gchar *key = g_ascii_strdown(impu, -1);
    hss_sub_t *sub = g_hash_table_lookup(st->by_impu, key);
    g_free(key);
    if (sub) {
        if (impu_out) *impu_out = find_in_sub(sub, impu);
        return sub;
    }
    for (guint i = 0; i < st->wildcards->len; i++) {
        const hss_impu_t *w = st->wildcards->pdata[i];
        if (regexec(&w->re, impu, 0, NULL, 0) == 0) {
            if (wildcard) *wildcard = w;
            if (impu_out) *impu_out = w;
            return st->wild_owner->pdata[i];
        }
    }
    return NULL;
}

/* "sip:+3314...@host;user=phone" -> "tel:+3314..."; NULL when the URI is not of that form. */
static gchar *sip_phone_to_tel(const char *uri)
{
    if (g_ascii_strncasecmp(uri, "sip:+", 5) != 0) return NULL;
    const char *at = strchr(uri, '@');
    if (!at) return NULL;
    for (const char *p = uri + 5; p < at; p++)
        if (!g_ascii_isdigit(*p)) return NULL;
    return g_strdup_printf("tel:%.*s", (int)(at - uri - 4), uri + 4);
}

hss_sub_t *hss_store_by_impu(const hss_store_t *st, const char *impu, const hss_impu_t **impu_out,
                             const hss_impu_t **wildcard)
{
    if (impu_out) *impu_out = NULL;
    if (wildcard) *wildcard = NULL;
    if (!impu) return NULL;
    hss_sub_t *sub = lookup_one(st, impu, impu_out, wildcard);
    if (!sub && strstr(impu, "user=phone")) {
        gchar *tel = sip_phone_to_tel(impu);
        if (tel) sub = lookup_one(st, tel, impu_out, wildcard);
        g_free(tel);
    }
    return sub;
}

bool hss_sub_has_impu(const hss_sub_t *sub, const hss_impu_t *impu)
{
    for (guint i = 0; i < sub->impus->len; i++)
        if (sub->impus->pdata[i] == impu) return true;
    return false;
}
