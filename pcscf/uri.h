/* Identity strings as the pcscf compares them: the URI inside a name-addr, header lists split
 * on commas, canonical IMPU forms (sip:user@host, tel:+number), the telephone number behind a
 * URI, and TS 23.003 wildcarded IMPUs compiled to POSIX extended regular expressions.
 * Pure: strings in, strings out. */
#ifndef PCSCF_URI_H
#define PCSCF_URI_H

#include <glib.h>
#include <regex.h>
#include <stdbool.h>

/* The URI of a name-addr or addr-spec header value: what is inside <...>, else the text up to
 * the first ';' (RFC 3261 §20: header parameters follow an addr-spec without brackets).
 * NULL when nothing is left. */
char *pcscf_uri_from_nameaddr(const char *value);

/* Splits a header value on the commas that separate list elements (not those inside quoted
 * strings or <...>). Elements are trimmed; empty ones are dropped. Free with g_strfreev. */
char **pcscf_split_list(const char *value);

/* Canonical form used to compare identities: "tel:+33140000101" (visual separators and
 * parameters removed) or "sip:user@host" / "sips:user@host" (lowercase scheme and host, no
 * port, parameters or headers). NULL when the URI has neither form. */
char *pcscf_uri_canon(const char *uri);

/* The global number a URI stands for ("+33140000101"): a tel: URI's global number, or the user
 * part of a sip:/sips: URI when it is a global number (RFC 3261 §19.1.6 user=phone, also
 * accepted without the parameter). NULL otherwise. */
char *pcscf_uri_number(const char *uri);

/* The host part of a sip:/sips: URI, lowercase (NULL for other schemes). */
char *pcscf_uri_host(const char *uri);

/* TS 23.003 §13.4: a wildcarded IMPU carries its regular expression between '!' markers. */
bool pcscf_impu_is_wildcard(const char *impu);
/* Compiles "tel:+3314000!.*!" to ^tel:\+3314000.*$ (POSIX ERE, case-insensitive, the static
 * parts escaped). false on unbalanced markers or a bad expression. */
bool pcscf_wildcard_compile(const char *impu, regex_t *re);

#endif
