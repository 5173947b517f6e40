/* The W8 side of the wtpf: SIP toward the pcscf with sofia-sip's nua on the GLib loop. The wtpf
 * is a PBX on a business trunk (SPECS.md §2): in registration mode it registers per RFC 6140
 * (GIN: bnc Contact, Require: gin, SIP Digest as the PBX subscriber), keeps the registration
 * fresh and redoes it when the pcscf loses it; in static mode it never registers. Calls carry
 * the WIC's SDP unchanged (nua's media layer is off) and a P-Preferred-Identity (registration
 * mode) or P-Asserted-Identity (static mode) from the PBX range. One w8_call per dialog, owned
 * by the w8 table. */
#ifndef WTPF_W8_H
#define WTPF_W8_H

#include <glib.h>
#include <stdbool.h>

#include "runtime/metrics.h"

typedef struct w8 w8_t;
typedef struct w8_call w8_call;

typedef enum { W8_MODE_REGISTRATION, W8_MODE_STATIC } w8_mode;

typedef enum {
    W8_REG_STATIC,      /* static mode: nothing to register */
    W8_REG_IDLE,        /* not registered, next attempt scheduled */
    W8_REG_REGISTERING, /* REGISTER in progress (initial, refresh or redo) */
    W8_REG_REGISTERED,
    W8_REG_STOPPED, /* de-registered for shutdown */
} w8_reg_state;

typedef struct {
    w8_mode mode;
    const char *listen;            /* our SIP URI to bind, "sip:127.0.10.1:5060" (UDP and TCP) */
    const char *pcscf;             /* the pcscf's URI: every request goes there */
    const char *domain;            /* home domain: registrar URI and hosts of AORs */
    const char *impi;              /* PBX private identity (Digest username) */
    const char *password;          /* its Digest password */
    const char *impu;              /* PBX public identity (site identifier), To/From of REGISTER */
    const char *realm;             /* Digest realm ("" : take the challenge's) */
    unsigned expires;              /* requested registration lifetime, s */
    unsigned keepalive;            /* s between OPTIONS to the pcscf (0: none) */
    unsigned retry_min, retry_max; /* s between registration attempts after a failure */
    const char *user_agent;
    const char *correlation_header; /* header carrying the correlation id */
} w8_cfg;

/* An INVITE that arrived from the pcscf. */
typedef struct {
    const char *cid;          /* correlation id (received or new) */
    const char *number;       /* called number: Request-URI user part (or To's), "+..." */
    const char *from_uri;     /* caller: P-Asserted-Identity if present, else From */
    const char *from_display; /* may be NULL */
    const char *sdp;          /* the offer, NULL when the INVITE had none */
    const char *history_info; /* History-Info as received, or NULL */
} w8_incoming;

typedef struct {
    void (*incoming)(void *ud, w8_call *c, const w8_incoming *in);
    /* Outgoing call: a provisional response 101..199. */
    void (*progress)(void *ud, w8_call *c, int code);
    /* Outgoing call: answered (2xx with the SDP answer, ACK sent). */
    void (*answered)(void *ud, w8_call *c, const char *sdp);
    /* The call is over from the SIP side: failure response, CANCEL, BYE, timeout. code is the
     * SIP status (failures) or 200 (BYE) / 487 (CANCEL). The w8_call is freed right after. */
    void (*ended)(void *ud, w8_call *c, int code, const char *reason);
    void (*reg_changed)(void *ud, w8_reg_state st);
} w8_events;

w8_t *w8_new(const w8_cfg *cfg, const w8_events *ev, void *ud, rt_metrics_t *metrics, GError **err);
/* Graceful stop: de-registers, then shuts nua down; done(ud) when finished (bounded). Calls
 * must have been released first. */
void w8_shutdown(w8_t *w, void (*done)(void *ud), void *ud);
void w8_free(w8_t *w);

w8_reg_state w8_reg(const w8_t *w);
const char *w8_reg_name(w8_reg_state st);
/* Calls may be placed: registered, or static mode. */
bool w8_ready(const w8_t *w);
w8_mode w8_get_mode(const w8_t *w);
const char *w8_domain(const w8_t *w);
unsigned w8_calls(const w8_t *w);

/* A new outgoing call (INVITE). */
typedef struct {
    const char *cid;
    const char *to_uri;       /* Request-URI and To */
    const char *from_uri;     /* From */
    const char *from_display; /* may be NULL */
    const char *identity;     /* asserted/preferred identity URI (PPI or PAI by mode) */
    const char *contact_user; /* user part of our Contact (the caller's number) */
    const char *sdp;          /* the offer, passed unchanged */
    const char *history_info; /* History-Info value, or NULL */
} w8_out;
w8_call *w8_call_out(w8_t *w, const w8_out *o, void *owner);

/* Incoming call: a provisional response (180, 183) without SDP. */
void w8_call_progress(w8_call *c, int code);
/* Incoming call: 200 OK with the answer SDP. */
void w8_call_answer(w8_call *c, const char *sdp);
/* Incoming call: a final failure; the call is released (no further events). */
void w8_call_reject(w8_call *c, int code, const char *phrase);
/* Either direction: CANCEL before the answer, BYE after; released (no further events). */
void w8_call_hangup(w8_call *c);
/* Established call: DTMF digits as SIP INFO (application/dtmf-relay), one per digit. */
bool w8_call_dtmf(w8_call *c, const char *digits);

void *w8_call_owner(const w8_call *c);
void w8_call_set_owner(w8_call *c, void *owner);
const char *w8_call_cid(const w8_call *c);

/* Builds a Request-URI for a dialled number: "+E164" -> sip:+E164@domain;user=phone, other
 * digits -> sip:digits@domain, sip:/sips:/tel: URIs as given. */
char *w8_number_uri(const char *domain, const char *number);
/* The number in a SIP or tel URI's user part ("sip:+331@h;user=phone" -> "+331"), NULL if none. */
char *w8_uri_number(const char *uri);

#endif
