/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Inside of an anchor, shared by pcscf/anchor.c (offers, answers, their Iq replies) and
 * pcscf/anchor_end.c (release, free, AGW loss, Notify). Not for the SIP core. */
#ifndef PCSCF_ANCHOR_INT_H
#define PCSCF_ANCHOR_INT_H

#include "pcscf/anchor.h"
#include "pcscf/anchor_msg.h"
#include "pcscf/anchor_sdp.h"
#include "pcscf/iq_mgc.h"

typedef enum {
    A_IDLE,      /* no context */
    A_ADDING,    /* Add in flight */
    A_READY,     /* context up, nothing in flight */
    A_MODIFYING, /* Modify in flight */
    A_RELEASING, /* Subtract in flight */
    A_RELEASED,  /* context subtracted */
    A_LOST,      /* the AGW went away with the context */
} a_state;

typedef enum {
    STEP_NONE,
    STEP_OFFER_WIC,
    STEP_ANSWER_IMS,
    STEP_OFFER_IMS,
    STEP_ANSWER_WIC,
    STEP_RELEASE,
} a_step;

typedef enum { OFFERER_NONE, OFFERER_WIC, OFFERER_IMS } a_offerer;

struct anchor {
    pcscf_iq_t *iq; /* NULL once the endpoint is gone */
    int refs;
    bool freed;
    char *cid;
    anchor_event_cb ev_cb;
    void *ev_ud;

    /* WIC to WIC: the far ("IMS") side is a WebRTC peer too, so its termination (rtp_tid,
     * rtp_local, rtp_remote below) is a second W3 termination and its SDP is WebRTC. */
    bool core_w3;

    pcscf_agw_t *agw;
    uint32_t ctx;
    char *w3_tid, *rtp_tid;
    a_state state;
    bool release_after_add;

    /* the step in flight */
    a_step step;
    uint32_t step_tid; /* its Iq request (0: none, or delivered from idle) */
    anchor_sdp_cb cb;
    void *cb_ud;
    anchor_stats_cb scb;
    void *scb_ud;
    guint idle_src;
    anchor_status idle_st;
    char *idle_sdp, *idle_detail;

    /* offer/answer */
    a_offerer offerer;
    bool answered;
    char *wic_offer, *ims_offer; /* the offer in progress (or the last one), as received */

    /* what the AGW holds */
    char *w3_local, *rtp_local;   /* its Local descriptors */
    char *w3_remote, *rtp_remote; /* the Remote we installed */
    h248_mode w3_mode, rtp_mode;

    /* the SDPs of the exchange in progress, each classified once (pcscf/anchor_sdp.h); freed
     * when the exchange completes. NULL when none. */
    anchor_sdps *sdps;

    /* RFC 3264 §8: the last SDP handed out for each side, to keep its o= version increasing */
    char *sent_wic, *sent_ims;
};

/* A request in flight for an anchor. */
typedef struct {
    anchor_t *a;
    a_step step;
    uint32_t tid;
    bool add;
    bool ims_first; /* Add order: RTP first (terminating) */
    /* an answer step: what it installs, and the answer it builds the result from */
    char *w3_remote, *rtp_remote, *w3_local_req, *rtp_local_req;
    h248_mode w3_mode, rtp_mode;
    char *answer;
} a_req_t;

void a_req_free(gpointer p);
const char *step_name(a_step s);
void clear_strings(anchor_t *a);
void count_step(anchor_t *a, a_step step, anchor_status st);
/* Ends the current offer/answer step: its callback, unless the owner is gone. */
void step_finish(anchor_t *a, anchor_status st, const char *sdp, const char *detail);
/* The same from the main loop (the API never calls back before returning); takes sdp_owned. */
void finish_later(anchor_t *a, anchor_status st, char *sdp_owned, const char *detail);
/* Sends a request of this anchor (reference held until its reply); 0: not sent, r freed. */
uint32_t send_req(anchor_t *a, h248_message *m, a_req_t *r);
/* Ends a release: the statistics callback, unless the owner is gone. */
void release_done(anchor_t *a, anchor_status st, const anchor_stats_t *stats);
void subtract_reply(anchor_t *a, pcscf_agw_t *agw, a_req_t *r, const h248_transaction *t);

#endif
