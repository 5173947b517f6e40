/* The REGISTER procedure of the pcscf's I-/S-CSCF roles (TS 24.229 §5.4.1, SPECS.md §5.5):
 * UAR, MAR and a 401 Digest challenge with a fresh nonce, local response check, SAR with the
 * User-Data, bindings stored in the registrar, 200 OK with Contact, P-Associated-URI,
 * Service-Route and Path. RFC 6140 GIN registrations (bnc contact, Require: gin) follow the
 * same path. One state machine per REGISTER transaction; an unreachable HSS gives 503/504 with
 * Retry-After. */
#ifndef PCSCF_REGISTER_H
#define PCSCF_REGISTER_H

#include "pcscf/pcscf.h"
#include "pcscf/sipmsg.h"

pcscf_regproc_t *pcscf_regproc_new(pcscf_t *p);
/* Pending REGISTER transactions are answered 503 and dropped. */
void pcscf_regproc_free(pcscf_regproc_t *rp);

/* Takes over a REGISTER server transaction for one of our domains. `msg` is a reference the
 * procedure releases. */
void pcscf_regproc_handle(pcscf_regproc_t *rp, nta_incoming_t *irq, msg_t *msg,
                          const pcscf_src_t *src, const char *cid);

/* A registration expired: SAR TIMEOUT_DEREGISTRATION (answer ignored). */
void pcscf_regproc_expired(pcscf_regproc_t *rp, const char *impi, const char *impu);
/* Graceful stop: SAR USER_DEREGISTRATION for every registration, then `done` once all are
 * answered or timed out (immediately when there is none). */
void pcscf_regproc_deregister_all(pcscf_regproc_t *rp, void (*done)(void *ud), void *ud);
unsigned pcscf_regproc_pending(const pcscf_regproc_t *rp);
/* Static-mode peers: fetch each PBX subscription's implicit set with SAR UNREGISTERED_USER
 * (23.228 §S.2: its unregistered profile); unknown to the HSS: the configured ranges stay. */
void pcscf_regproc_load_static_profiles(pcscf_regproc_t *rp);

/* Our own Route header values: Path (terminating side) and Service-Route (originating). */
char *pcscf_own_path(const pcscf_t *p, const char *proto);
char *pcscf_own_service_route(const pcscf_t *p, const char *proto);

#endif
