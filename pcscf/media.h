/* The SIP core's side of media anchoring (DESIGN.md, SPECS.md §3.3): which calls get an AGW
 * context (a leg toward a W8 peer with webrtc = true: one W3 and one RTP termination when only
 * one side is such a peer, two W3 terminations WIC to WIC), and the
 * offer/answer steps on the SDP bodies that cross the pcscf. pcscf/anchor.h does the Iq part;
 * the proxy decides when to run a step and forwards the rewritten body. */
#ifndef PCSCF_MEDIA_H
#define PCSCF_MEDIA_H

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <stdbool.h>

#include "pcscf/dialogs.h"
#include "pcscf/pcscf.h"

/* The SDP body of a message (Content-Type application/sdp), or NULL. */
char *pcscf_sdp_body(const sip_t *sip);
/* Replaces the body with `sdp` (Content-Type, Content-Length updated). */
void pcscf_set_sdp_body(msg_t *msg, sip_t *sip, const char *sdp);
/* Removes the body. */
void pcscf_drop_body(msg_t *msg, sip_t *sip);

/* Gives the call an anchor on the MGC endpoint; false when anchoring is off (no "iq").
 * both_webrtc: caller and callee are WebRTC W8 peers (WIC to WIC): the context gets two W3
 * terminations, the caller's side is the anchor's "WIC" side and the callee's its far side. */
bool pcscf_media_anchor_call(pcscf_t *p, pcscf_call_t *c, bool wic_is_caller, bool both_webrtc);

/* Result of a step: status 200 with the SDP to forward, or the SIP status for the failure
 * (503 with retry_after, 488, 491, 500) and a detail for logs. */
typedef void (*pcscf_media_cb)(void *ud, int status, unsigned retry_after, const char *sdp,
                               const char *detail);

typedef enum { PCSCF_MEDIA_OFFER, PCSCF_MEDIA_ANSWER } pcscf_media_kind;

/* Runs an offer or answer step for SDP coming from the WIC side (from_wic) or the IMS side.
 * true: cb will be called once, later. false: nothing started, status, retry_after and detail say
 * why. */
bool pcscf_media_step(pcscf_call_t *c, pcscf_media_kind kind, bool from_wic, const char *sdp,
                      pcscf_media_cb cb, void *ud, int *status, unsigned *retry_after,
                      const char **detail);
/* The party waiting for the step is gone: its callback will not run. */
void pcscf_media_detach(pcscf_call_t *c);
/* The pending offer was rejected (non-2xx final to a re-INVITE). */
void pcscf_media_offer_rejected(pcscf_call_t *c);
/* The call is going away (called by dialogs.c before it frees the anchor). */
void pcscf_media_call_gone(pcscf_call_t *c);

#endif
