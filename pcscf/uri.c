/* Identity string helpers (see uri.h). */
#include "pcscf/uri.h"

#include <string.h>

char *pcscf_uri_from_nameaddr(const char *value)
{
    if (!value) return NULL;
    const char *lt = NULL;
    bool quoted = false;
    for (const char *p = value; *p; p++) {
        if (*p == '\\' && quoted && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '<' && !quoted) {
            lt = p;
            break;
        }
    }
    char *out;
    if (lt) {
        const char *gt = strchr(lt + 1, '>');
        if (!gt) return NULL;
        out = g_strndup(lt + 1, (gsize)(gt - lt - 1));
    } else {
        const char *semi = strchr(value, ';');
        out = semi ? g_strndup(value, (gsize)(semi - value)) : g_strdup(value);
    }
    g_strstrip(out);
    if (!*out) {
        g_free(out);
        return NULL;
    }
    return out;
}

char **pcscf_split_list(const char *value)
{
    GPtrArray *parts = g_ptr_array_new();
    if (value) {
        bool quoted = false;
        int angle = 0;
        const char *start = value;
        for (const char *p = value;; p++) {
            if (*p == '\\' && quoted && p[1]) {
                p++;
                continue;
            }
            if (*p == '"')
                quoted = !quoted;
            else if (!quoted && *p == '<')
                angle++;
            else if (!quoted && *p == '>' && angle > 0)
                angle--;
            if (*p == '\0' || (*p == ',' && !quoted && angle == 0)) {
                char *e = g_strstrip(g_strndup(start, (gsize)(p - start)));
                if (*e)
                    g_ptr_array_add(parts, e);
                else
                    g_free(e);
                if (*p == '\0') break;
                start = p + 1;
            }
        }
    }
    g_ptr_array_add(parts, NULL);
    return (char **)g_ptr_array_free(parts, FALSE);
}

/* RFC 3966 §5.1.1: visual separators carry no meaning. */
static char *strip_visual(const char *s, size_t n)
{
    GString *o = g_string_sized_new(n);
    for (size_t i = 0; i < n; i++)
        if (!strchr("-.()", s[i])) g_string_append_c(o, s[i]);
    return g_string_free(o, FALSE);
}

static bool is_global_number(const char *s)
{
    if (s[0] != '+' || !s[1]) return false;
    for (const char *p = s + 1; *p; p++)
        if (!g_ascii_isdigit(*p)) return false;
    return true;
}

static const char *after_scheme(const char *uri, const char **scheme_out)
{
    static const char *const schemes[] = {"sips:", "sip:", "tel:"};
    for (size_t i = 0; i < G_N_ELEMENTS(schemes); i++) {
        size_t l = strlen(schemes[i]);
        if (g_ascii_strncasecmp(uri, schemes[i], l) == 0) {
            *scheme_out = schemes[i];
            return uri + l;
        }
    }
    return NULL;
}

/* user and host of a sip URI (user NULL when absent); false when malformed. */
static bool split_sip(const char *rest, char **user, char **host)
{
    size_t end = strcspn(rest, ";?");
    const char *at = memchr(rest, '@', end);
    const char *h = at ? at + 1 : rest;
    *user = at ? g_strndup(rest, (gsize)(at - rest)) : NULL;
    if (*user) {
        char *colon = strchr(*user, ':'); /* RFC 3261 §19.1.1 user:password */
        if (colon) *colon = '\0';
    }
    size_t hl = (size_t)(rest + end - h);
    if (hl && h[0] == '[') {
        const char *rb = memchr(h, ']', hl);
        if (!rb) goto bad;
        hl = (size_t)(rb - h + 1);
    } else {
        const char *colon = memchr(h, ':', hl);
        if (colon) hl = (size_t)(colon - h);
    }
    if (!hl) goto bad;
    *host = g_ascii_strdown(h, (gssize)hl);
    return true;
bad:
    g_free(*user);
    *user = NULL;
    return false;
}

char *pcscf_uri_canon(const char *uri)
{
    const char *scheme;
    const char *rest = uri ? after_scheme(uri, &scheme) : NULL;
    if (!rest) return NULL;
    if (scheme[0] == 't') {
        size_t n = strcspn(rest, ";?");
        if (!n) return NULL;
        char *num = strip_visual(rest, n);
        char *out = g_strconcat("tel:", num, NULL);
        g_free(num);
        return out;
    }
    char *user, *host;
    if (!split_sip(rest, &user, &host)) return NULL;
    char *out = user ? g_strdup_printf("%s%s@%s", scheme, user, host)
                     : g_strdup_printf("%s%s", scheme, host);
    g_free(user);
    g_free(host);
    return out;
}

char *pcscf_uri_number(const char *uri)
{
    const char *scheme;
    const char *rest = uri ? after_scheme(uri, &scheme) : NULL;
    if (!rest) return NULL;
    char *num;
    if (scheme[0] == 't') {
        num = strip_visual(rest, strcspn(rest, ";?"));
    } else {
        char *user, *host;
        if (!split_sip(rest, &user, &host)) return NULL;
        g_free(host);
        if (!user) return NULL;
        num = strip_visual(user, strlen(user));
        g_free(user);
    }
    if (!is_global_number(num)) {
        g_free(num);
        return NULL;
    }
    return num;
}

char *pcscf_uri_host(const char *uri)
{
    const char *scheme;
    const char *rest = uri ? after_scheme(uri, &scheme) : NULL;
    if (!rest || scheme[0] == 't') return NULL;
    char *user, *host;
    if (!split_sip(rest, &user, &host)) return NULL;
    g_free(user);
    return host;
}

bool pcscf_impu_is_wildcard(const char *impu)
{
    return impu && strchr(impu, '!') != NULL;
}

bool pcscf_wildcard_compile(const char *impu, regex_t *re)
{
    GString *ere = g_string_new("^");
    bool in_re = false;
    for (const char *p = impu; *p; p++) {
        if (*p == '!') {
            in_re = !in_re;
            continue;
        }
        if (!in_re && strchr(".[]()*+?{}|^$\\", *p)) g_string_append_c(ere, '\\');
        g_string_append_c(ere, *p);
    }
    g_string_append_c(ere, '$');
    bool ok = !in_re && regcomp(re, ere->str, REG_EXTENDED | REG_NOSUB | REG_ICASE) == 0;
    g_string_free(ere, TRUE);
    return ok;
}
