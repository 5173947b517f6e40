/* Who may assert which identity (RFC 3325, TS 24.229 §5.2.6.3): identity sets (a registration's
 * implicit set or a static peer's ranges, wildcards included), the P-Preferred-Identity ->
 * P-Asserted-Identity rule, the trust policy for received P-Asserted-Identity, and the
 * P-Charging-Vector policy (RFC 7315). Pure: the proxy applies the decisions to messages. */
#ifndef PCSCF_IDENTITY_H
#define PCSCF_IDENTITY_H

#include <glib.h>
#include <regex.h>
#include <stdbool.h>

/* ---- identity sets ---- */
typedef struct {
    char *uri;   /* as provisioned, e.g. "tel:+3314000!.*!" */
    char *canon; /* pcscf_uri_canon(uri); NULL for a wildcard */
    bool wildcard;
    bool barred;
    regex_t re; /* compiled when wildcard */
} pcscf_identity_t;

typedef struct {
    GPtrArray
        *ids; /* pcscf_identity_t*, in provisioning order (the first distinct one is the default) */
} pcscf_idset_t;

pcscf_idset_t *pcscf_idset_new(void);
void pcscf_idset_free(pcscf_idset_t *s);
pcscf_idset_t *pcscf_idset_copy(const pcscf_idset_t *s);
/* Adds one identity; false (nothing added) when a wildcard does not compile. */
bool pcscf_idset_add(pcscf_idset_t *s, const char *uri, bool barred);
/* The identity a URI belongs to (distinct entries first, then wildcards; a sip: URI whose user
 * part is a global number also matches as tel:+number). NULL when none. */
const pcscf_identity_t *pcscf_idset_match(const pcscf_idset_t *s, const char *uri);
/* The default public identity: the first distinct, non-barred one (TS 24.229 §5.4.1.2.2). */
const char *pcscf_idset_default(const pcscf_idset_t *s);
/* "<uri>, <uri>, ..." for P-Associated-URI: distinct non-barred identities first (the default
 * on top), then wildcards (SPECS.md §2.2: never a wildcard on top). */
char *pcscf_idset_p_associated_uri(const pcscf_idset_t *s);

/* ---- P-Asserted-Identity ---- */
typedef enum {
    PCSCF_ORIG_UNKNOWN = 0, /* no registration, not a configured peer: untrusted network */
    PCSCF_ORIG_UE,          /* a registered contact (phone) */
    PCSCF_ORIG_PEER,        /* a configured W8 peer (WTPF) */
} pcscf_orig_kind;

typedef struct {
    pcscf_orig_kind kind;
    bool trusted;             /* peer inside the trust domain (RFC 3325 Spec(T)) */
    bool privileged;          /* may assert identities outside its set (diverted calls) */
    const pcscf_idset_t *ids; /* registered implicit set or static ranges; NULL: none */
} pcscf_origin_t;

typedef enum {
    PCSCF_PAI_KEEP,   /* the received PAI values stay (trusted peer) */
    PCSCF_PAI_ASSERT, /* remove received PAI and PPI, insert `asserted` */
    PCSCF_PAI_STRIP,  /* remove received PAI and PPI, assert nothing */
    PCSCF_PAI_REJECT, /* answer 403 */
} pcscf_pai_action;

typedef struct {
    pcscf_pai_action action;
    char *asserted;  /* URI to put in P-Asserted-Identity (ASSERT) */
    const char *why; /* short reason for logs */
} pcscf_pai_decision;

/* Decides what an originating request's identity headers become. `ppi` and `pai` are the
 * URIs of the received P-Preferred-Identity / P-Asserted-Identity values (NULL-terminated,
 * may be NULL). reject_foreign: a trusted, non-privileged peer asserting an identity outside
 * its set gets 403 instead of having it replaced by its default identity. */
void pcscf_identity_decide(const pcscf_origin_t *o, char **ppi, char **pai, bool reject_foreign,
                           pcscf_pai_decision *out);
void pcscf_pai_decision_clear(pcscf_pai_decision *d);

/* ---- P-Charging-Vector (RFC 7315 §4, TS 24.229 §5.2.6.3.3 / §7.2A.5) ---- */
/* Keep a received P-Charging-Vector only from a trusted peer; otherwise a new one is made. */
bool pcscf_pcv_keep_received(const pcscf_origin_t *o);
/* P-Charging-Vector and P-Charging-Function-Addresses are removed toward destinations outside
 * the trust domain (phones, unknown and untrusted peers). */
bool pcscf_pcv_send_to(bool destination_trusted);
/* `icid-value="<icid>";icid-generated-at=<host>;orig-ioi=<ioi>` (orig-ioi omitted when NULL). */
char *pcscf_pcv_format(const char *icid, const char *generated_at, const char *orig_ioi);
/* A fresh icid-value: 32 hex digits from `random16` (16 random bytes supplied by the caller). */
char *pcscf_icid_new(const unsigned char random16[16]);

#endif
