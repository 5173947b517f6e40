/* The registrar's location service (S-CSCF role): registrations keyed by the registered IMPU,
 * each with the implicit registration set the HSS returned (wildcards included, for a GIN-
 * registered PBX) and its bindings with expiry (RFC 3261 §10.3, RFC 6140). Owns every
 * registration and binding; an expiry tick removes what timed out and reports registrations
 * that became empty (the caller sends SAR TIMEOUT_DEREGISTRATION). */
#ifndef PCSCF_REGISTRAR_H
#define PCSCF_REGISTRAR_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcscf/identity.h"
#include "runtime/metrics.h"

typedef struct {
    char *uri;      /* Contact URI as registered */
    char *params;   /* Contact header parameters echoed in 200 OK (";+sip.instance=..."), or "" */
    gint64 expires; /* absolute, seconds of the monotonic clock */
    char *proto, *src_ip; /* where the REGISTER came from: requests go back there */
    unsigned src_port;
    char **path; /* Path URIs received in the REGISTER (other proxies), in order; may be NULL */
    bool bnc;    /* RFC 6140 bulk number contact */
    char *call_id;
    uint32_t cseq;
} pcscf_binding_t;

typedef struct {
    char *impi;
    char *impu;          /* the registered IMPU (To), canonical */
    pcscf_idset_t *ids;  /* implicit registration set */
    GPtrArray *bindings; /* pcscf_binding_t*, owned */
    char *peer;          /* name of the W8 peer it came from, or NULL */
    bool gin;            /* registered with a bnc contact (RFC 6140) */
} pcscf_registration_t;

typedef struct pcscf_registrar pcscf_registrar_t;
/* A registration lost its last binding by expiry; it is freed after the callback. */
typedef void (*pcscf_reg_expired_cb)(const pcscf_registration_t *r, void *ud);

pcscf_registrar_t *pcscf_registrar_new(rt_metrics_t *metrics, pcscf_reg_expired_cb cb, void *ud);
void pcscf_registrar_free(pcscf_registrar_t *reg);

gint64 pcscf_now_s(void);

/* The registration of a registered IMPU (canonical comparison), or NULL. */
pcscf_registration_t *pcscf_registrar_find(pcscf_registrar_t *reg, const char *impu);
/* The registration whose implicit set contains `uri` and that has bindings: distinct
 * identities first, then wildcard ranges. *wildcard tells which kind matched. */
pcscf_registration_t *pcscf_registrar_lookup(pcscf_registrar_t *reg, const char *uri,
                                             bool *wildcard);
/* A registration with a binding registered from ip:port; when several, the one whose set
 * contains `from_uri` (may be NULL). ip-only match (port 0) when no exact one. */
pcscf_registration_t *pcscf_registrar_by_source(pcscf_registrar_t *reg, const char *ip,
                                                unsigned port, const char *from_uri);
/* The registration of a W8 peer (by peer name), or NULL. */
pcscf_registration_t *pcscf_registrar_by_peer(pcscf_registrar_t *reg, const char *peer);

/* Builds a new binding (not yet stored). */
pcscf_binding_t *pcscf_binding_new(const char *uri, const char *params, gint64 expires,
                                   const char *proto, const char *src_ip, unsigned src_port,
                                   char **path, bool bnc, const char *call_id, uint32_t cseq);
pcscf_binding_t *pcscf_binding_copy(const pcscf_binding_t *b);
void pcscf_binding_free(pcscf_binding_t *b);

/* Replaces the registration of (impi, impu) with `bindings` (taken; empty = removed) and
 * `ids` (taken; NULL keeps the previous set). Returns the registration or NULL when removed. */
pcscf_registration_t *pcscf_registrar_store(pcscf_registrar_t *reg, const char *impi,
                                            const char *impu, pcscf_idset_t *ids,
                                            GPtrArray *bindings, const char *peer);
/* Removes a registration (RTR, administrative); returns whether one was found. */
bool pcscf_registrar_remove(pcscf_registrar_t *reg, const char *impu);
/* Removes every registration of `impi` and of the listed IMPUs; returns how many. */
unsigned pcscf_registrar_remove_matching(pcscf_registrar_t *reg, const char *impi, char **impus);

guint pcscf_registrar_count(const pcscf_registrar_t *reg);
guint pcscf_registrar_binding_count(const pcscf_registrar_t *reg);
/* Every registration (borrowed), for shutdown de-registration. */
GPtrArray *pcscf_registrar_all(pcscf_registrar_t *reg);
/* Runs the expiry now (the 1 s tick calls it). */
void pcscf_registrar_expire(pcscf_registrar_t *reg, gint64 now_s);

#endif
