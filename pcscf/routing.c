/* Routing decisions (see routing.h). */
#include "pcscf/routing.h"

#include <string.h>

#include "pcscf/uri.h"

char *pcscf_lookup_identity(const char *request_uri)
{
    char *num = pcscf_uri_number(request_uri);
    if (num) {
        char *tel = g_strconcat("tel:", num, NULL);
        g_free(num);
        return tel;
    }
    return pcscf_uri_canon(request_uri);
}

bool pcscf_host_is_local(const char *host, const char *const *local_names)
{
    if (!host) return false;
    size_t hl = strlen(host);
    /* A bracketed IPv6 reference compares without its brackets. */
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host++;
        hl -= 2;
    }
    for (size_t i = 0; local_names && local_names[i]; i++)
        if (strlen(local_names[i]) == hl && g_ascii_strncasecmp(host, local_names[i], hl) == 0)
            return true;
    return false;
}

pcscf_term_action pcscf_lia_action(bool experimental, uint32_t code)
{
    if (!experimental) return code == 2001 ? PCSCF_TERM_REGISTRAR : PCSCF_TERM_HSS_ERROR;
    switch (code) {
    case 2003: /* DIAMETER_UNREGISTERED_SERVICE */
    case 5003: /* DIAMETER_ERROR_IDENTITY_NOT_REGISTERED */
        return PCSCF_TERM_UNREGISTERED;
    case 5001: /* DIAMETER_ERROR_USER_UNKNOWN */
        return PCSCF_TERM_UNKNOWN;
    default:
        return PCSCF_TERM_HSS_ERROR;
    }
}

/* Splits "scheme:[user@]hostport;params?headers" into its pieces (user may be NULL). */
static bool split_uri(const char *uri, char **scheme, char **user, char **hostport, char **params)
{
    const char *colon = strchr(uri, ':');
    if (!colon) return false;
    *scheme = g_ascii_strdown(uri, colon - uri);
    if (strcmp(*scheme, "sip") != 0 && strcmp(*scheme, "sips") != 0) {
        g_free(*scheme);
        return false;
    }
    const char *rest = colon + 1;
    size_t end = strcspn(rest, ";?");
    const char *at = memchr(rest, '@', end);
    *user = at ? g_strndup(rest, (gsize)(at - rest)) : NULL;
    const char *hp = at ? at + 1 : rest;
    *hostport = g_strndup(hp, (gsize)(rest + end - hp));
    /* URI headers ('?...') are not kept in a Request-URI. */
    const char *p = rest + end;
    size_t pl = strcspn(p, "?");
    *params = g_strndup(p, pl);
    return **hostport != '\0';
}

char *pcscf_uri_remove_param(const char *uri, const char *name)
{
    const char *semi = strchr(uri, ';');
    if (!semi) return g_strdup(uri);
    const char *q = strchr(semi, '?');
    GString *o = g_string_new_len(uri, semi - uri);
    gchar *params = q ? g_strndup(semi + 1, (gsize)(q - semi - 1)) : g_strdup(semi + 1);
    gchar **parts = g_strsplit(params, ";", -1);
    size_t nl = strlen(name);
    for (gchar **p = parts; *p; p++) {
        if (!**p) continue;
        if (g_ascii_strncasecmp(*p, name, nl) == 0 && ((*p)[nl] == '\0' || (*p)[nl] == '='))
            continue;
        g_string_append_printf(o, ";%s", *p);
    }
    if (q) g_string_append(o, q);
    g_strfreev(parts);
    g_free(params);
    return g_string_free(o, FALSE);
}

bool pcscf_uri_has_param(const char *uri, const char *name)
{
    const char *semi = strchr(uri, ';');
    if (!semi) return false;
    size_t end = strcspn(semi, "?");
    gchar *params = g_strndup(semi + 1, end ? end - 1 : 0);
    gchar **parts = g_strsplit(params, ";", -1);
    size_t nl = strlen(name);
    bool found = false;
    for (gchar **p = parts; *p && !found; p++)
        found = g_ascii_strncasecmp(*p, name, nl) == 0 && ((*p)[nl] == '\0' || (*p)[nl] == '=');
    g_strfreev(parts);
    g_free(params);
    return found;
}

char *pcscf_gin_request_uri(const char *bnc_contact, const char *target)
{
    char *num = pcscf_uri_number(target);
    if (!num) return NULL;
    char *scheme, *user, *hostport, *params;
    if (!split_uri(bnc_contact, &scheme, &user, &hostport, &params)) {
        g_free(num);
        return NULL;
    }
    char *tmp = g_strconcat("x:", params, NULL);
    char *nobnc = pcscf_uri_remove_param(tmp, "bnc");
    char *nouser = pcscf_uri_remove_param(nobnc, "user");
    /* RFC 6140 §7.2: user part = the called number, 'bnc' removed; user=phone as the number is
     * a telephone-subscriber (RFC 3261 §19.1.1). */
    char *out = g_strdup_printf("%s:%s@%s%s;user=phone", scheme, num, hostport, nouser + 2);
    g_free(tmp);
    g_free(nobnc);
    g_free(nouser);
    g_free(scheme);
    g_free(user);
    g_free(hostport);
    g_free(params);
    g_free(num);
    return out;
}

char *pcscf_static_request_uri(const char *target, const char *host, unsigned port,
                               const char *transport)
{
    bool tls = transport && g_ascii_strcasecmp(transport, "tls") == 0;
    bool tcp = transport && g_ascii_strcasecmp(transport, "tcp") == 0;
    char *num = pcscf_uri_number(target);
    bool v6 = strchr(host, ':') != NULL;
    GString *o = g_string_new(tls ? "sips:" : "sip:");
    if (num) {
        g_string_append_printf(o, "%s@", num);
    } else {
        char *canon = pcscf_uri_canon(target);
        const char *c = canon ? strchr(canon, ':') : NULL;
        const char *at = c ? strchr(c, '@') : NULL;
        if (!at) {
            g_free(canon);
            g_string_free(o, TRUE);
            return NULL;
        }
        g_string_append_len(o, c + 1, at - c);
        g_free(canon);
    }
    g_string_append_printf(o, v6 ? "[%s]:%u" : "%s:%u", host, port);
    if (num) g_string_append(o, ";user=phone");
    if (tcp) g_string_append(o, ";transport=tcp");
    g_free(num);
    return g_string_free(o, FALSE);
}
