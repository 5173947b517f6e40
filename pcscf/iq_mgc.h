/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Inside of the MGC endpoint (pcscf/iq_mgc.c): the AGW registry (ServiceChange, keep-alive
 * audits, down detection), Notify dispatch and the request wrapper anchor.c sends through. Not
 * for the SIP core: it uses pcscf/anchor.h only. */
#ifndef PCSCF_IQ_MGC_H
#define PCSCF_IQ_MGC_H

#include "h248/codec.h"
#include "h248/transport.h"
#include "pcscf/anchor.h"

typedef struct {
    uint32_t ctx;
    char cid[40]; /* the call it belonged to, for the log of its late Subtract */
} iq_stale_t;

typedef struct pcscf_agw {
    char *mid;
    char *address;
    unsigned port;
    pcscf_agw_state state;
    char *profile;       /* as the AGW announced it */
    unsigned version;    /* negotiated */
    unsigned timeouts;   /* consecutive requests without reply */
    unsigned epoch;      /* registration count: older requests do not count against it */
    bool silent;         /* down because it stopped answering: keep probing it */
    uint32_t audit_tid;  /* keep-alive in flight (0: none) */
    uint64_t picked;     /* pick counter (ties go to the least recently picked) */
    GHashTable *anchors; /* anchor_t* -> anchor_t*: anchors on this AGW (load) */
    GHashTable *by_ctx;  /* context id -> anchor_t* */
    GArray *stale;       /* iq_stale_t: contexts abandoned while the AGW was unreachable */
} pcscf_agw_t;

struct pcscf_iq {
    pcscf_iq_cfg_t cfg; /* strings owned (g_strdup) */
    char **events;
    h248_tp_t *tp;
    GPtrArray *agws;     /* pcscf_agw_t*, kept until the endpoint is freed */
    GHashTable *reqs;    /* tid -> iq_req_t: our requests in flight */
    GHashTable *anchors; /* every live anchor_t (set) */
    guint audit_timer;
    uint64_t pick_seq;
    uint32_t next_reqid; /* Events request ids */
    pcscf_iq_agw_cb agw_cb;
    void *agw_ud;
    rt_metrics_t *metrics;
    /* drain */
    void (*drain_done)(void *ud);
    void *drain_ud;
    guint drain_timer, drain_idle;
};

/* Reply to one of our requests: `t` NULL on timeout (or when the AGW was dropped). */
typedef void (*iq_reply_fn)(pcscf_iq_t *iq, pcscf_agw_t *agw, const h248_transaction *t, void *ud);

/* Sends a one-transaction request to `agw` (msg ownership taken); returns the tid, 0 when it
 * could not be sent (fn not called, ud not freed). Tracks timeouts of the AGW. fn owns `ud`
 * once called; `ud_free` releases it when fn never will be (the endpoint is freed). */
uint32_t iq_send(pcscf_iq_t *iq, pcscf_agw_t *agw, h248_message *msg, const char *cid,
                 iq_reply_fn fn, void *ud, GDestroyNotify ud_free);
/* A request message with one transaction and one action on ctx, ready for commands. */
h248_message *iq_request_new(pcscf_iq_t *iq, h248_ctx_id ctx, h248_action **action);

/* The in-service AGW with the fewest contexts, or NULL. */
pcscf_agw_t *iq_pick_agw(pcscf_iq_t *iq);
void iq_agw_attach(pcscf_agw_t *agw, anchor_t *a);
void iq_agw_detach(pcscf_agw_t *agw, anchor_t *a);
void iq_agw_bind_ctx(pcscf_agw_t *agw, uint32_t ctx, anchor_t *a);
void iq_agw_unbind_ctx(pcscf_agw_t *agw, uint32_t ctx);
void iq_update_gauges(pcscf_iq_t *iq);
void iq_count(pcscf_iq_t *iq, const char *name, const char *labels);
/* Called by anchor.c whenever its requests in flight may have reached zero. */
void iq_check_drained(pcscf_iq_t *iq);

/* Implemented by anchor.c, called by the registry. */
void anchor_ref(anchor_t *a);
void anchor_unref(anchor_t *a);
void anchor_on_agw_lost(anchor_t *a, const char *reason);
void anchor_on_notify(anchor_t *a, const char *term_id, const h248_event *ev);
void anchor_destroy_all(pcscf_iq_t *iq); /* endpoint going away: no callbacks */

#endif
