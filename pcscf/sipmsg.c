/* sofia-sip message helpers (see sipmsg.h). */
#include "pcscf/sipmsg.h"

#include <arpa/inet.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/tport.h>
#include <string.h>

#include "pcscf/uri.h"

void pcscf_msg_source(nta_agent_t *agent, nta_incoming_t *irq, msg_t *msg, pcscf_src_t *out)
{
    memset(out, 0, sizeof *out);
    su_sockaddr_t *a = msg ? msg_addr(msg) : NULL;
    if (a && a->su_family == AF_INET) {
        inet_ntop(AF_INET, &a->su_sin.sin_addr, out->ip, sizeof out->ip);
        out->port = ntohs(a->su_sin.sin_port);
    } else if (a && a->su_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->su_sin6.sin6_addr, out->ip, sizeof out->ip);
        out->port = ntohs(a->su_sin6.sin6_port);
    }
    tport_t *tp = nta_incoming_transport(agent, irq, msg);
    const tp_name_t *n = tp ? tport_name(tp) : NULL;
    g_strlcpy(out->proto, n && n->tpn_proto ? n->tpn_proto : "udp", sizeof out->proto);
    for (char *p = out->proto; *p; p++)
        *p = g_ascii_tolower(*p);
    if (tp) tport_unref(tp);
}

char **pcscf_hdr_values(const sip_t *sip, const char *name)
{
    GPtrArray *out = g_ptr_array_new();
    for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next) {
        if (!u->un_name || g_ascii_strcasecmp(u->un_name, name) != 0) continue;
        char **parts = pcscf_split_list(u->un_value);
        for (char **p = parts; *p; p++)
            g_ptr_array_add(out, *p);
        g_free(parts); /* the strings moved into `out` */
    }
    if (out->len == 0) {
        g_ptr_array_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

char **pcscf_hdr_uris(const sip_t *sip, const char *name)
{
    char **vals = pcscf_hdr_values(sip, name);
    if (!vals) return NULL;
    GPtrArray *out = g_ptr_array_new();
    for (char **v = vals; *v; v++) {
        char *u = pcscf_uri_from_nameaddr(*v);
        if (u) g_ptr_array_add(out, u);
    }
    g_strfreev(vals);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

unsigned pcscf_hdr_remove(msg_t *msg, sip_t *sip, const char *name)
{
    unsigned n = 0;
    for (;;) {
        sip_unknown_t *hit = NULL;
        for (sip_unknown_t *u = sip->sip_unknown; u && !hit; u = u->un_next)
            if (u->un_name && g_ascii_strcasecmp(u->un_name, name) == 0) hit = u;
        if (!hit) return n;
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)hit);
        n++;
    }
}

bool pcscf_hdr_add(msg_t *msg, sip_t *sip, const char *name, const char *value)
{
    gchar *line = g_strdup_printf("%s: %s", name, value);
    int r = msg_header_add_make(msg, (msg_pub_t *)sip, sip_unknown_class, line);
    g_free(line);
    return r == 0;
}

char *pcscf_url_str(const url_t *u)
{
    if (!u) return NULL;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char *s = url_as_string(home, u);
    char *out = s ? g_strdup(s) : NULL;
    su_home_deinit(home);
    return out;
}

bool pcscf_has_tag(const msg_list_t *list, const char *tag)
{
    for (; list; list = list->k_next)
        for (size_t i = 0; list->k_items && list->k_items[i]; i++)
            if (g_ascii_strcasecmp(list->k_items[i], tag) == 0) return true;
    return false;
}

char *pcscf_unsupported_tags(const msg_list_t *list, const char *const *supported)
{
    GString *o = g_string_new(NULL);
    for (; list; list = list->k_next) {
        for (size_t i = 0; list->k_items && list->k_items[i]; i++) {
            const char *t = list->k_items[i];
            bool ok = false;
            for (size_t s = 0; supported[s] && !ok; s++)
                ok = g_ascii_strcasecmp(t, supported[s]) == 0;
            if (!ok) g_string_append_printf(o, "%s%s", o->len ? ", " : "", t);
        }
    }
    return g_string_free(o, o->len == 0);
}
