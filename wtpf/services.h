/* Third-party services of the wtpf (DESIGN.md "Third-party services"): called-number
 * transformation, call diversion and the History-Info it adds, simultaneous-ringing target
 * selection. Pure decisions on plain data: no I/O, no timers, no logging. */
#ifndef WTPF_SERVICES_H
#define WTPF_SERVICES_H

#include <glib.h>
#include <stdbool.h>

/* ---- Number transformation: ordered rules, the first that matches applies ---- */

typedef enum {
    SVC_MATCH_PREFIX, /* number starts with `pattern`: that prefix is replaced by `replace` */
    SVC_MATCH_REGEX,  /* `pattern` (PCRE, anchored on the whole number) -> `replace` (\1 ...) */
} svc_match;

typedef struct {
    svc_match match;
    char *pattern;
    char *replace;
    GRegex *re; /* SVC_MATCH_REGEX, compiled anchored */
} svc_rule;

/* Compiles one rule; NULL with *err set when the regular expression is refused. */
svc_rule *svc_rule_new(svc_match match, const char *pattern, const char *replace, GError **err);
void svc_rule_free(svc_rule *r);

/* Applies the first matching rule of each list in turn (lists may be NULL); only the first
 * match over all lists applies. Returns a new string (the number unchanged when no rule matches);
 * *applied (optional) tells which rule, NULL when none. */
char *svc_transform(GPtrArray *const lists[], unsigned nlists, const char *number,
                    const svc_rule **applied);

/* A called-party string a WIC may dial after transformation: a number ("+" optional, then
 * digits, '*' and '#', 1..32 characters), or a sip:/sips:/tel: URI. */
bool svc_number_valid(const char *number);

/* ---- Call diversion ---- */

typedef enum {
    SVC_DIV_UNCONDITIONAL, /* before ringing */
    SVC_DIV_BUSY,          /* every target rejected, or the user is at its call limit */
    SVC_DIV_NO_ANSWER,     /* nobody answered within no_answer_timeout */
    SVC_DIV_OFFLINE,       /* nobody of the target is logged in */
    SVC_DIV_COUNT
} svc_div_cond;

typedef struct {
    char *target[SVC_DIV_COUNT]; /* user name, group name or number; NULL: not configured */
    unsigned no_answer_timeout;  /* seconds */
} svc_diversion;

/* The configured target for a condition, or NULL. */
const char *svc_divert_target(const svc_diversion *d, svc_div_cond cond);
const char *svc_div_cond_name(svc_div_cond c);
/* RFC 4458 "cause" value put on the diverted-to History-Info entry (also the Reason cause on the
 * entry diverted from): 302 unconditional, 486 busy, 408 no answer, 503 not reachable. */
int svc_div_cause(svc_div_cond c);

/* Diversion chains stop after this many hops (loops between users are refused too). */
#define SVC_DIV_MAX_HOPS 5

/* ---- History-Info (RFC 7044) ---- */

typedef struct {
    char *uri;    /* targeted-to URI */
    char *index;  /* "1", "1.1", ... */
    int reason;   /* SIP cause for leaving this target (0: none yet) */
    int cause;    /* RFC 4458 cause of arriving at this target (0: original target) */
    char *parent; /* index of the entry this one was mapped from, or NULL */
} svc_hi_entry;

typedef struct {
    GPtrArray *entries; /* of svc_hi_entry */
} svc_history;

void svc_history_init(svc_history *h);
void svc_history_clear(svc_history *h);
/* Copies entries received in an incoming request's History-Info (the header text); entries the
 * parser cannot read are skipped. Returns the number kept. */
unsigned svc_history_parse(svc_history *h, const char *header);
/* The first target of a call: index 1 (or the next top-level index after parsed entries). */
void svc_history_start(svc_history *h, const char *uri);
/* The call leaves the last target for `uri` because of cond: the last entry gets the Reason,
 * the new one index <last>.1, cause and mp=<last> (RFC 7044 §9.2, RFC 4458). */
void svc_history_divert(svc_history *h, const char *uri, svc_div_cond cond);
/* The History-Info header value, entries comma-separated; NULL when there are none. */
char *svc_history_format(const svc_history *h);
unsigned svc_history_len(const svc_history *h);
/* True when uri is already a target in the history (a diversion loop). */
bool svc_history_has(const svc_history *h, const char *uri);

/* ---- Simultaneous ringing ---- */

typedef struct {
    const char *name;   /* user name */
    unsigned sessions;  /* WebSocket sessions logged in */
    unsigned calls;     /* calls in progress */
    unsigned max_calls; /* 0: unlimited */
} svc_member;

typedef enum {
    SVC_RING_OK,      /* at least one member to ring: see *out */
    SVC_RING_OFFLINE, /* nobody logged in */
    SVC_RING_BUSY,    /* logged-in members exist but all are at their call limit */
} svc_ring_result;

/* Picks the members to ring (indexes into members[], in order) among n: those logged in and
 * below their call limit. */
svc_ring_result svc_ring_select(const svc_member *members, unsigned n, GArray *out);

#endif
