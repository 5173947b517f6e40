/* Routing decisions of the pcscf, pure: which identity a terminating lookup asks the HSS about,
 * what an LIA result means for the request, the Request-URI toward a GIN-registered PBX
 * (RFC 6140 §7.2 / SPECS.md §2.2) or a static trunk, and whether a host is one of ours. The
 * proxy does the I/O. */
#ifndef PCSCF_ROUTING_H
#define PCSCF_ROUTING_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The Public-Identity a terminating LIR asks about: tel:+number when the Request-URI stands for
 * a global number (tel: URI, or a sip: URI whose user part is one), else sip:user@host.
 * NULL when the URI is not a sip:, sips: or tel: URI. */
char *pcscf_lookup_identity(const char *request_uri);

/* Whether `host` names this node or its home domain(s): the configured domains and addresses
 * (case-insensitive). */
bool pcscf_host_is_local(const char *host, const char *const *local_names);

/* What the pcscf does after the LIA (TS 29.228 §6.1.4, SPECS.md §5.5). */
typedef enum {
    PCSCF_TERM_REGISTRAR,    /* registered here: use the bindings (and GIN ranges) */
    PCSCF_TERM_UNREGISTERED, /* exists but not registered: static route, else 480 */
    PCSCF_TERM_UNKNOWN,      /* no such user: static route, else 404 */
    PCSCF_TERM_HSS_ERROR,    /* any other answer: 500 (the HSS answered, but badly) */
} pcscf_term_action;

/* `experimental`: the code came in Experimental-Result (vendor 10415); else Result-Code. */
pcscf_term_action pcscf_lia_action(bool experimental, uint32_t code);

/* RFC 6140 §7.2: the target toward a SIP-PBX registered with a bnc Contact: the Contact URI
 * with `bnc` removed, the user part set to the called number, user=phone added. `target` is the
 * Request-URI that reached us (tel:+N or sip:+N@domain). NULL when target is not a global
 * number or contact is not a sip:/sips: URI. */
char *pcscf_gin_request_uri(const char *bnc_contact, const char *target);

/* A static trunk's Request-URI: sip:<number>@host:port;user=phone[;transport=tcp|tls],
 * sips: for tls. NULL when target is not a global number. For a non-numeric target the user
 * part of target is kept. */
char *pcscf_static_request_uri(const char *target, const char *host, unsigned port,
                               const char *transport);

/* Removes one URI parameter (";name" or ";name=value", case-insensitive) from a URI; a new
 * string. */
char *pcscf_uri_remove_param(const char *uri, const char *name);
/* Whether a URI carries the parameter `name` (case-insensitive). */
bool pcscf_uri_has_param(const char *uri, const char *name);

#endif
