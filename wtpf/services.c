/* Third-party services: the pure decisions behind number transformation, call diversion,
 * History-Info and simultaneous ringing (see services.h). */
#include "wtpf/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Number transformation ---- */

svc_rule *svc_rule_new(svc_match match, const char *pattern, const char *replace, GError **err)
{
    svc_rule *r = g_new0(svc_rule, 1);
    r->match = match;
    r->pattern = g_strdup(pattern);
    r->replace = g_strdup(replace);
    if (match == SVC_MATCH_REGEX) {
        /* The rule matches the whole number, as dial plans expect. */
        char *anchored = g_strdup_printf("^(?:%s)$", pattern);
        r->re = g_regex_new(anchored, G_REGEX_OPTIMIZE, 0, err);
        g_free(anchored);
        if (!r->re) {
            svc_rule_free(r);
            return NULL;
        }
        /* Check the replacement's references now, not on the first call. */
        gboolean refs = FALSE;
        if (!g_regex_check_replacement(replace, &refs, err)) {
            svc_rule_free(r);
            return NULL;
        }
    }
    return r;
}

void svc_rule_free(svc_rule *r)
{
    if (!r) return;
    if (r->re) g_regex_unref(r->re);
    g_free(r->pattern);
    g_free(r->replace);
    g_free(r);
}

static char *apply_rule(const svc_rule *r, const char *number)
{
    if (r->match == SVC_MATCH_PREFIX) {
        size_t n = strlen(r->pattern);
        if (strncmp(number, r->pattern, n) != 0) return NULL;
        return g_strconcat(r->replace, number + n, NULL);
    }
    if (!g_regex_match(r->re, number, 0, NULL)) return NULL;
    return g_regex_replace(r->re, number, -1, 0, r->replace, 0, NULL);
}

char *svc_transform(GPtrArray *const lists[], unsigned nlists, const char *number,
                    const svc_rule **applied)
{
    if (applied) *applied = NULL;
    for (unsigned l = 0; l < nlists; l++) {
        GPtrArray *rules = lists[l];
        for (guint i = 0; rules && i < rules->len; i++) {
            const svc_rule *r = g_ptr_array_index(rules, i);
            char *out = apply_rule(r, number);
            if (out) {
                if (applied) *applied = r;
                return out;
            }
        }
    }
    return g_strdup(number);
}

bool svc_number_valid(const char *s)
{
    if (!s || !*s) return false;
    if (g_str_has_prefix(s, "sip:") || g_str_has_prefix(s, "sips:") ||
        g_str_has_prefix(s, "tel:")) {
        size_t n = strlen(s);
        if (n > 256 || strchr(s, ':')[1] == '\0') return false;
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == 0x7f)
                return false;
        return true;
    }
    size_t n = strlen(s);
    if (n > 32) return false;
    const char *p = s;
    if (*p == '+') p++;
    if (!*p) return false;
    for (; *p; p++)
        if (!g_ascii_isdigit(*p) && *p != '*' && *p != '#') return false;
    return true;
}

/* ---- Call diversion ---- */

const char *svc_divert_target(const svc_diversion *d, svc_div_cond cond)
{
    if (!d || cond >= SVC_DIV_COUNT) return NULL;
    const char *t = d->target[cond];
    return t && *t ? t : NULL;
}

const char *svc_div_cond_name(svc_div_cond c)
{
    static const char *const names[] = {"unconditional", "busy", "no_answer", "offline"};
    return c < SVC_DIV_COUNT ? names[c] : "?";
}

int svc_div_cause(svc_div_cond c)
{
    /* RFC 4458 §3: cause values of the diversion's target URI. */
    switch (c) {
    case SVC_DIV_UNCONDITIONAL:
        return 302;
    case SVC_DIV_BUSY:
        return 486;
    case SVC_DIV_NO_ANSWER:
        return 408;
    case SVC_DIV_OFFLINE:
        return 503;
    default:
        return 404;
    }
}

/* ---- History-Info ---- */

static void hi_free(gpointer p)
{
    svc_hi_entry *e = p;
    g_free(e->uri);
    g_free(e->index);
    g_free(e->parent);
    g_free(e);
}

void svc_history_init(svc_history *h)
{
    h->entries = g_ptr_array_new_with_free_func(hi_free);
}

void svc_history_clear(svc_history *h)
{
    if (h->entries) g_ptr_array_unref(h->entries);
    h->entries = NULL;
}

unsigned svc_history_len(const svc_history *h)
{
    return h->entries ? h->entries->len : 0;
}

static svc_hi_entry *hi_add(svc_history *h, const char *uri, const char *index, int cause,
                            const char *parent)
{
    svc_hi_entry *e = g_new0(svc_hi_entry, 1);
    e->uri = g_strdup(uri);
    e->index = g_strdup(index);
    e->cause = cause;
    e->parent = g_strdup(parent);
    g_ptr_array_add(h->entries, e);
    return e;
}

/* One hi-entry: "<uri>;index=1.1;mp=1" (RFC 7044 §4.1). Parameters other than index/mp/rc/np are
 * dropped; the URI is kept as received (with its headers, e.g. ?Reason=...). */
static bool parse_entry(svc_history *h, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '<') return false;
    const char *end = strchr(s, '>');
    if (!end || end == s + 1) return false;
    char *uri = g_strndup(s + 1, (gsize)(end - s - 1));
    char *index = NULL, *parent = NULL;
    gchar **params = g_strsplit(end + 1, ";", -1);
    for (gchar **p = params; *p; p++) {
        char *kv = g_strstrip(*p);
        if (g_str_has_prefix(kv, "index="))
            index = g_strdup(kv + 6);
        else if (g_str_has_prefix(kv, "mp=") || g_str_has_prefix(kv, "rc=") ||
                 g_str_has_prefix(kv, "np="))
            parent = g_strdup(kv + 3);
    }
    g_strfreev(params);
    bool ok = index && *index && strspn(index, "0123456789.") == strlen(index);
    if (ok) hi_add(h, uri, index, 0, parent);
    g_free(uri);
    g_free(index);
    g_free(parent);
    return ok;
}

unsigned svc_history_parse(svc_history *h, const char *header)
{
    if (!header) return 0;
    unsigned kept = 0;
    /* Commas inside <...> belong to the URI. */
    const char *start = header;
    int depth = 0;
    for (const char *p = header;; p++) {
        if (*p == '<')
            depth++;
        else if (*p == '>' && depth)
            depth--;
        if ((*p == ',' && depth == 0) || *p == '\0') {
            char *one = g_strndup(start, (gsize)(p - start));
            if (parse_entry(h, one)) kept++;
            g_free(one);
            if (!*p) break;
            start = p + 1;
        }
        if (h->entries->len >= 32) break; /* bounded like everything a peer sends */
    }
    return kept;
}

void svc_history_start(svc_history *h, const char *uri)
{
    /* Received entries come first; our target continues at the next top-level index. */
    int top = 0;
    for (guint i = 0; i < h->entries->len; i++) {
        svc_hi_entry *e = g_ptr_array_index(h->entries, i);
        int v = atoi(e->index);
        if (v > top) top = v;
    }
    char idx[16];
    snprintf(idx, sizeof idx, "%d", top + 1);
    hi_add(h, uri, idx, 0, NULL);
}

void svc_history_divert(svc_history *h, const char *uri, svc_div_cond cond)
{
    if (!h->entries->len) svc_history_start(h, uri);
    svc_hi_entry *last = g_ptr_array_index(h->entries, h->entries->len - 1);
    last->reason = svc_div_cause(cond);
    char *idx = g_strdup_printf("%s.1", last->index);
    char *parent = g_strdup(last->index);
    hi_add(h, uri, idx, svc_div_cause(cond), parent);
    g_free(idx);
    g_free(parent);
}

bool svc_history_has(const svc_history *h, const char *uri)
{
    for (guint i = 0; h->entries && i < h->entries->len; i++) {
        svc_hi_entry *e = g_ptr_array_index(h->entries, i);
        /* compare without URI headers (?Reason=...) */
        size_t n = strcspn(e->uri, "?"), m = strcspn(uri, "?");
        if (m == n && strncmp(e->uri, uri, n) == 0) return true;
    }
    return false;
}

char *svc_history_format(const svc_history *h)
{
    if (!svc_history_len(h)) return NULL;
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < h->entries->len; i++) {
        svc_hi_entry *e = g_ptr_array_index(h->entries, i);
        if (i) g_string_append(s, ", ");
        g_string_append_printf(s, "<%s", e->uri);
        /* RFC 4458: cause as a URI parameter of the diverted-to target */
        if (e->cause) g_string_append_printf(s, ";cause=%d", e->cause);
        /* RFC 7044 §9.2: the Reason for leaving this target as an escaped URI header */
        if (e->reason)
            g_string_append_printf(s, "%sReason=SIP%%3Bcause%%3D%d",
                                   strchr(e->uri, '?') ? "&" : "?", e->reason);
        g_string_append_printf(s, ">;index=%s", e->index);
        if (e->parent) g_string_append_printf(s, ";mp=%s", e->parent);
    }
    return g_string_free(s, FALSE);
}

/* ---- Simultaneous ringing ---- */

svc_ring_result svc_ring_select(const svc_member *members, unsigned n, GArray *out)
{
    unsigned online = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!members[i].sessions) continue;
        online++;
        if (members[i].max_calls && members[i].calls >= members[i].max_calls) continue;
        g_array_append_val(out, i);
    }
    if (out->len) return SVC_RING_OK;
    return online ? SVC_RING_BUSY : SVC_RING_OFFLINE;
}
