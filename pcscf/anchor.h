/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Media anchoring in the eIMS-AGW, the pcscf side of Iq (H.248 MGC, TS 29.334): the MGC endpoint
 * with its table of registered AGWs (pcscf_iq_t) and one anchor per dialog with a WebRTC leg
 * (anchor_t). The SIP core calls this small asynchronous API; see docs/IQ-MGC.md. */
#ifndef PCSCF_ANCHOR_H
#define PCSCF_ANCHOR_H

#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/config.h"
#include "runtime/metrics.h"

typedef struct pcscf_iq pcscf_iq_t;
typedef struct anchor anchor_t;

/* ---- The MGC endpoint ------------------------------------------------------------------------ */

typedef struct {
    const char *address;          /* local IPv4 address for Iq (the pcscf's, e.g. 127.0.10.2) */
    unsigned port;                /* 2944 (0: any, tests) */
    const char *mid;              /* our mId; NULL: "[address]:port" */
    const char *profile;          /* Iq profile "name/version" (SPECS.md §4.1; provisional) */
    unsigned version;             /* H.248 version we speak (3) */
    unsigned request_timeout_ms;  /* give up on an Iq request (transport, default 4000) */
    unsigned retry_first_ms;      /* first retransmission (default 250) */
    unsigned audit_interval_ms;   /* keep-alive AuditValue on ROOT per AGW (0: none) */
    unsigned max_timeouts;        /* consecutive timeouts that mark an AGW down (default 2) */
    const char *cid_property;     /* TerminationState property carrying the correlation id
                                     ("wtpf/cid"; NULL or "": not sent) */
    const char *access_realm;     /* ipdc/realm of the W3 termination ("access") */
    const char *core_realm;       /* ipdc/realm of the RTP termination ("core") */
    const char *const *events;    /* NULL-terminated event names armed on each W3 termination
                                     with Events = id { ... } (NULL: none armed) */
    bool answer_passive;          /* answer a browser's actpass offer with passive, not active */
    bool allow_opus;              /* let opus cross the AGW (needs a transcoding AGW) */
    unsigned retry_after_s;       /* Retry-After the SIP core puts on 503s (default 5) */
    rt_metrics_t *metrics;        /* may be NULL */
    const char *events_store[17]; /* pcscf_iq_cfg_read() keeps `events` here */
} pcscf_iq_cfg_t;

/* Configuration keys of the "iq" group (for the pcscf's key table: {"iq", RT_CFG_GROUP, ...,
 * pcscf_iq_keys}), and the settings read from a loaded configuration. The strings stay owned
 * by `cfg`; pcscf_iq_new() copies what it keeps, so `cfg` may go once it returned. Pass the
 * filled struct itself (not a copy) to pcscf_iq_new(): `events` points into it. */
extern const rt_cfg_key_t pcscf_iq_keys[];
void pcscf_iq_cfg_read(pcscf_iq_cfg_t *out, const config_t *cfg, const char *group);
void pcscf_iq_check_config(const config_t *cfg, const char *group, GString *errors);

/* State of one AGW as the MGC sees it. */
typedef enum {
    PCSCF_AGW_IN_SERVICE = 0, /* registered, answers: new calls go here */
    PCSCF_AGW_DRAINING,       /* ServiceChange Graceful: keeps its calls, gets no new ones */
    PCSCF_AGW_DOWN,           /* restarted, Forced out of service, or stopped answering */
} pcscf_agw_state;

typedef struct {
    const char *mid;     /* the AGW's mId */
    const char *address; /* where commands go */
    unsigned port;
    pcscf_agw_state state;
    unsigned load; /* contexts in use (and Adds in flight) */
} pcscf_agw_info_t;

/* Called when an AGW changes state (registered, restarted, down, back): for logs and metrics. */
typedef void (*pcscf_iq_agw_cb)(pcscf_iq_t *iq, const pcscf_agw_info_t *agw, void *ud);

/* Binds the Iq socket on the default GLib main context. NULL + err on failure. */
pcscf_iq_t *pcscf_iq_new(const pcscf_iq_cfg_t *cfg, GError **err);
/* Frees every anchor still known (their callbacks are not called) and the endpoint. */
void pcscf_iq_free(pcscf_iq_t *iq);
void pcscf_iq_set_agw_cb(pcscf_iq_t *iq, pcscf_iq_agw_cb cb, void *ud);
unsigned pcscf_iq_port(const pcscf_iq_t *iq);
/* AGWs in service (for /health and tests). */
unsigned pcscf_iq_agws_in_service(const pcscf_iq_t *iq);
/* Calls fn for each known AGW. */
void pcscf_iq_foreach_agw(const pcscf_iq_t *iq, pcscf_iq_agw_cb fn, void *ud);
/* Graceful stop: `done` is called (from the main loop, once) when no Iq request of ours is in
 * flight any more (the Subtracts of freed anchors answered or timed out), at most after
 * timeout_ms. Free the endpoint after that. */
void pcscf_iq_drain(pcscf_iq_t *iq, unsigned timeout_ms, void (*done)(void *ud), void *ud);

/* ---- One anchored dialog ------------------------------------------------------------------- */

typedef enum {
    ANCHOR_OK = 0,
    ANCHOR_E_NO_AGW,    /* no AGW in service                       -> 503 + Retry-After */
    ANCHOR_E_TIMEOUT,   /* the AGW did not answer                  -> 503 + Retry-After */
    ANCHOR_E_BUSY,      /* AGW out of resources (510/412/432/502)  -> 503 + Retry-After */
    ANCHOR_E_AGW_ERROR, /* any other H.248 error from the AGW       -> 500 */
    ANCHOR_E_AGW_LOST,  /* the AGW went down while waiting          -> 503 + Retry-After */
    ANCHOR_E_SDP,       /* SDP cannot be anchored (not WebRTC, no common codec, ...) -> 488 */
    ANCHOR_E_STATE,     /* call out of order (offer while one is pending, ...)  -> 491/500 */
    ANCHOR_E_INTERNAL,  /* bug or AGW reply that makes no sense     -> 500 */
} anchor_status;

const char *anchor_strerror(anchor_status st);
/* The SIP final response for a failed step: 503 (then *retry_after_s is set from the config),
 * 488, 491 or 500. retry_after_s may be NULL. */
int anchor_sip_status(const pcscf_iq_t *iq, anchor_status st, unsigned *retry_after_s);

/* Result of one offer/answer step. On ANCHOR_OK `sdp` is the body to forward (borrowed for the
 * duration of the call: copy it); otherwise sdp is NULL and `detail` says why (for logs and a
 * Warning/Reason header). Never called after anchor_free(). The callback may call anchor_free(). */
typedef void (*anchor_sdp_cb)(anchor_t *a, anchor_status st, const char *sdp, const char *detail,
                              void *ud);

typedef enum {
    /* The AGW holding this call restarted, was taken out of service (Forced), or stopped
     * answering: the media is gone. End the call (BYE both ways). */
    ANCHOR_EV_AGW_LOST = 1,
    /* The AGW reported a media event on one termination (Notify ObservedEvents): ICE consent
     * lost, no media, DTLS failure, hanging termination... `event` is the H.248 event name as
     * sent ("hangterm/thb", ...). Usually: end the call. */
    ANCHOR_EV_MEDIA = 2,
} anchor_event_type;

typedef struct {
    anchor_event_type type;
    const char *agw_mid;
    const char *event;  /* MEDIA: package/event name; AGW_LOST: NULL */
    const char *side;   /* MEDIA: "access" (W3) or "core" (RTP) or the termination id */
    const char *detail; /* parameters of the observed event as text, or the reason */
} anchor_event_t;

/* Called on events about the anchor's call; may call anchor_free(). */
typedef void (*anchor_event_cb)(anchor_t *a, const anchor_event_t *ev, void *ud);

/* A new anchor for one dialog; `cid` is the call's correlation id (copied; logged on every Iq
 * line and put on the wire, see docs/IQ-MGC.md). No Iq traffic yet. */
anchor_t *anchor_new(pcscf_iq_t *iq, const char *cid, anchor_event_cb ev_cb, void *ev_ud);
/* WIC to WIC (DESIGN.md: every WebRTC session is anchored): the far side is a WebRTC peer
 * too. Its termination becomes a second W3 (Local template with a=setup:actpass when we offer
 * toward it, the answer role when it offered), and every SDP on the "IMS" side of the steps
 * below is WebRTC: anchor_offer_from_wic's result is a WebRTC offer (the AGW's second W3 Local,
 * actpass), anchor_answer_from_ims takes the far WIC's WebRTC answer, and so on. Call before
 * the first offer; false (nothing changed) once a context exists. The "wic" side is then
 * whichever side the caller picks (the pcscf: the caller's). */
bool anchor_set_far_webrtc(anchor_t *a, bool webrtc);
bool anchor_far_webrtc(const anchor_t *a);

/* Ends the anchor: Subtract = * for its context (now, or when a pending Add answers); no
 * callback of this anchor is called afterwards. NULL is allowed. */
void anchor_free(anchor_t *a);

/* All step functions: ANCHOR_OK means the step started and `cb` will be called exactly once
 * (never before the function returns); any other value means nothing was sent and `cb` will not
 * be called. One step at a time per anchor (else ANCHOR_E_STATE). */

/* Originating (WIC -> IMS), and WIC re-offers (re-INVITE: hold/resume, ICE restart):
 * first time Add W3 (Remote = browser offer, Local = template, setup active) + Add RTP (Local
 * template) in Context = $; later Modify. cb's sdp: the RTP/AVP offer toward IMS. */
anchor_status anchor_offer_from_wic(anchor_t *a, const char *wic_offer, anchor_sdp_cb cb, void *ud);
/* The IMS answer to it (183 or 200; may be called again for a later answer): Modify RTP
 * (Remote, Mode). cb's sdp: the WebRTC answer toward the WIC (SPECS.md §6.3). */
anchor_status anchor_answer_from_ims(anchor_t *a, const char *ims_answer, anchor_sdp_cb cb,
                                     void *ud);
/* Terminating (IMS -> WIC), and IMS re-offers: first time Add RTP (Remote = phone's offer) +
 * Add W3 (Local template, setup actpass); later Modify. cb's sdp: the WebRTC offer toward the
 * WIC. */
anchor_status anchor_offer_from_ims(anchor_t *a, const char *ims_offer, anchor_sdp_cb cb, void *ud);
/* The WIC's answer to it: Modify W3 (Remote = browser answer, Mode). cb's sdp: the RTP/AVP
 * answer toward IMS. */
anchor_status anchor_answer_from_wic(anchor_t *a, const char *wic_answer, anchor_sdp_cb cb,
                                     void *ud);
/* The offer was rejected or withdrawn (4xx/5xx/6xx to a re-INVITE, CANCEL of an initial
 * INVITE is anchor_free()): forget the pending offer so the next step may start. */
void anchor_offer_rejected(anchor_t *a);

/* Release with statistics (optional; anchor_free() does the same without a callback). The
 * statistics come from the Subtract reply (SPECS.md §4.5 (6)); -1: not reported. */
typedef struct {
    int64_t access_sent, access_received; /* packets on the W3 termination (rtp/ps, rtp/pr) */
    int64_t core_sent, core_received;     /* packets on the RTP termination (WIC to WIC:
                                             the second W3 termination) */
    int64_t access_lost, core_lost;       /* rtp/pl */
} anchor_stats_t;
typedef void (*anchor_stats_cb)(anchor_t *a, anchor_status st, const anchor_stats_t *stats,
                                void *ud);
/* Sends Subtract now (cancelling a step in flight, whose cb is then not called); `cb` gets the
 * result; the anchor stays allocated until anchor_free(), which the callback may call. */
anchor_status anchor_release(anchor_t *a, anchor_stats_cb cb, void *ud);

/* Introspection (logs, tests). */
const char *anchor_cid(const anchor_t *a);
uint32_t anchor_context_id(const anchor_t *a); /* 0: no context */
const char *anchor_agw_mid(const anchor_t *a); /* NULL: no AGW chosen */
bool anchor_busy(const anchor_t *a);           /* a step is in flight */

#endif
