/* The INVITE calls the pcscf record-routes, from the initial INVITE to the BYE that ends them
 * (or a maximum age when no BYE passes). One entry per Call-ID and caller tag; it counts the
 * dialogs for /metrics, owns the call's media anchor (pcscf/anchor.h) when one leg is WebRTC,
 * and remembers what the pcscf needs to end the call itself (BYE both ways) when the AGW loses
 * its media. */
#ifndef PCSCF_DIALOGS_H
#define PCSCF_DIALOGS_H

#include <sofia-sip/sip.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcscf/anchor.h"
#include "pcscf/pcscf.h"

typedef struct pcscf_dialogs pcscf_dialogs_t;

typedef struct pcscf_call {
    pcscf_dialogs_t *owner;
    char *key;
    char *call_id, *caller_tag, *callee_tag;
    char cid[24];
    bool confirmed;
    gint64 started;
    /* media anchoring */
    anchor_t *anchor;   /* NULL: not anchored */
    bool wic_is_caller; /* the WebRTC leg is the caller's (originating from a W8 peer) */
    void *step;         /* the media step in flight (pcscf/media.c), or NULL */
    void *setup_tx;     /* proxy transaction of the initial INVITE while it runs */
    /* to end the call ourselves (RFC 3261 §12.2.1.1 from each side's point of view) */
    char *caller_from, *caller_contact, *callee_to, *callee_contact;
    char **route_to_caller, **route_to_callee; /* Record-Route entries beyond ours */
    uint32_t caller_cseq, callee_cseq;         /* highest CSeq seen from each side */
} pcscf_call_t;

/* The proxy ends a call the media lost (BYE toward both sides). */
typedef void (*pcscf_call_end_fn)(pcscf_call_t *c, const char *reason, void *ud);

pcscf_dialogs_t *pcscf_dialogs_new(pcscf_t *p);
/* Frees every call (anchors released without callbacks). */
void pcscf_dialogs_free(pcscf_dialogs_t *d);
void pcscf_dialogs_set_end_fn(pcscf_dialogs_t *d, pcscf_call_end_fn fn, void *ud);

/* A call for an initial INVITE (existing one returned for a retransmitted or spiralled one). */
pcscf_call_t *pcscf_call_start(pcscf_dialogs_t *d, const sip_t *invite, const char *cid);
/* The call of a key (pcscf_call_t.key), or NULL. */
pcscf_call_t *pcscf_call_by_key(pcscf_dialogs_t *d, const char *key);
/* The call an in-dialog request or a response belongs to (either side's tags), or NULL. */
pcscf_call_t *pcscf_call_find(pcscf_dialogs_t *d, const sip_t *sip);
/* A 2xx to the initial INVITE passed: the dialog is confirmed. The Record-Route entries beyond
 * ours, split by side by the proxy (copied): toward the caller in the order of the list below
 * ours, toward the callee in reverse order of the entries above ours. */
void pcscf_call_confirmed(pcscf_call_t *c, const sip_t *invite, const sip_t *resp,
                          char **route_to_caller, char **route_to_callee);
/* An in-dialog request passed: remember its CSeq for our own BYEs later. */
void pcscf_call_seen_request(pcscf_call_t *c, const sip_t *req);
/* Ends the call: releases its anchor (Subtract) and frees it. */
void pcscf_call_end(pcscf_call_t *c, const char *why);
/* Releases every anchor (graceful stop: the Subtracts go out now); calls stay. */
void pcscf_dialogs_release_media(pcscf_dialogs_t *d);

unsigned pcscf_dialogs_count(const pcscf_dialogs_t *d); /* confirmed */
unsigned pcscf_dialogs_calls(const pcscf_dialogs_t *d); /* all, confirmed or not */
/* For anchor events: the proxy's end function. */
void pcscf_dialogs_end_call(pcscf_call_t *c, const char *reason);
pcscf_t *pcscf_dialogs_node(const pcscf_dialogs_t *d);

#endif
