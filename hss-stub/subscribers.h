/* The HSS subscriber store: IMPIs with SIP Digest credentials, their implicit registration set of
 * IMPUs (distinct or wildcarded per TS 23.003 `!regex!` syntax), barring, and per-subscription
 * Cx state (assigned S-CSCF name, registration state). Loaded from the hss-stub configuration. */
#ifndef HSS_SUBSCRIBERS_H
#define HSS_SUBSCRIBERS_H
#include <glib.h>
#include <libconfig.h>
#include <regex.h>
#include <stdbool.h>

typedef enum { HSS_NOT_REGISTERED = 0, HSS_REGISTERED, HSS_UNREGISTERED } hss_reg_state_t;

typedef struct {
    char *uri;          /* as provisioned, e.g. "tel:+3314000!.*!" */
    char *display_name; /* may be NULL */
    bool barred;
    bool wildcard;
    regex_t re; /* wildcard only: anchored POSIX ERE built from the URI */
} hss_impu_t;

typedef struct {
    char *impi;
    char *realm;         /* SIP Digest realm */
    char ha1[33];        /* MD5(impi:realm:password), lower-case hex */
    GPtrArray *impus;    /* hss_impu_t*, the implicit registration set; [0] is the default */
    char *server_name;   /* assigned S-CSCF (SAR), NULL when none */
    hss_reg_state_t state;
    bool unregistered_services; /* LIR for an unregistered user: UNREGISTERED_SERVICE, not 5003 */
} hss_sub_t;

typedef struct hss_store hss_store_t;

/* Builds the store from the validated `subscribers` list; semantic errors (duplicate IMPI or
 * IMPU, bad wildcard, neither password nor ha1) go to `errors` as file:line lines. */
hss_store_t *hss_store_load(const config_t *cfg, GString *errors);
void hss_store_free(hss_store_t *st);
guint hss_store_count(const hss_store_t *st);

hss_sub_t *hss_store_by_impi(const hss_store_t *st, const char *impi);
/* Finds the subscription owning `impu`: a distinct IMPU first, then wildcards in provisioning
 * order. `*wildcard` is set to the matching wildcarded IMPU (or NULL for a distinct match). A
 * sip:+digits@host URI with user=phone also matches its tel: form (TS 24.229 §5.4.3.2 style). */
hss_sub_t *hss_store_by_impu(const hss_store_t *st, const char *impu, const hss_impu_t **impu_out,
                             const hss_impu_t **wildcard);
bool hss_sub_has_impu(const hss_sub_t *sub, const hss_impu_t *impu);

/* TS 23.003 §13.5: a wildcarded IMPU carries its regular expression between '!' delimiters. */
bool hss_wildcard_compile(const char *uri, regex_t *re, GString *why);

/* Lower-case hex MD5(impi ":" realm ":" password), the Digest HA1 of RFC 2617. */
void hss_digest_ha1(const char *impi, const char *realm, const char *password, char out[33]);

#endif
