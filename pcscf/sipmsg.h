/* Small helpers over sofia-sip messages used by the proxy and the registrar: where a request
 * came from, extension headers sofia-sip keeps as unknown (P-Asserted-Identity, P-Charging-
 * Vector, P-Associated-URI, ...), and URLs as strings. */
#ifndef PCSCF_SIPMSG_H
#define PCSCF_SIPMSG_H

#include <glib.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/url.h>
#include <stdbool.h>

/* Source of a received message: address, port and transport ("udp", "tcp", "tls"). */
typedef struct {
    char ip[64];
    unsigned port;
    char proto[8];
} pcscf_src_t;

void pcscf_msg_source(nta_agent_t *agent, nta_incoming_t *irq, msg_t *msg, pcscf_src_t *out);

/* Every value (comma-separated elements included) of the extension header `name`
 * (case-insensitive); NULL-terminated, NULL when absent. Free with g_strfreev. */
char **pcscf_hdr_values(const sip_t *sip, const char *name);
/* The URIs of those values (name-addr form). NULL when absent. */
char **pcscf_hdr_uris(const sip_t *sip, const char *name);
/* Removes every extension header `name`; returns how many were removed. */
unsigned pcscf_hdr_remove(msg_t *msg, sip_t *sip, const char *name);
/* Appends "name: value". */
bool pcscf_hdr_add(msg_t *msg, sip_t *sip, const char *name, const char *value);

/* url_t as a newly allocated GLib string. */
char *pcscf_url_str(const url_t *u);
/* Whether an option tag is in a Require/Proxy-Require/Supported list. */
bool pcscf_has_tag(const msg_list_t *list, const char *tag);
/* Option tags of `list` that are not in `supported` (NULL-terminated), comma-joined; NULL
 * when all are supported. */
char *pcscf_unsupported_tags(const msg_list_t *list, const char *const *supported);

#endif
