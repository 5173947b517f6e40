/* The proxy's side of media anchoring (see proxy_int.h, media.h): an INVITE whose caller or
 * callee (or both: WIC to WIC) is a WebRTC W8 peer gets an AGW context; its offer is rewritten
 * before the
 * branches go out, the answers in 18x/2xx before they go upstream (in arrival order), re-INVITE
 * and UPDATE offers of the call likewise; and when the AGW loses the media of a confirmed call
 * the pcscf ends it with a BYE toward each side. */
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <string.h>

#include "pcscf/media.h"
#include "pcscf/proxy_int.h"
#include "runtime/log.h"

typedef struct {
    branch_t *b;
    msg_t *resp;
} resp_item_t;

static pcscf_call_t *call_of(ptx_t *t)
{
    return t->call_key ? pcscf_call_by_key(t->px->dialogs, t->call_key) : NULL;
}

static const char *phrase_of(int status)
{
    switch (status) {
    case 488:
        return "Not Acceptable Here (media cannot be anchored)";
    case 491:
        return "Request Pending";
    case 503:
        return "Service Unavailable (media gateway)";
    default:
        return "Server Internal Error (media gateway)";
    }
}

/* ---- offers (requests) ---- */

static void on_offer_done(void *ud, int status, unsigned retry_after, const char *sdp,
                          const char *detail)
{
    ptx_t *t = ud;
    t->media_busy = false;
    if (status != 200) {
        LOGN(RT_SUB_SIP, t->cid, "%s: media offer failed: %s", t->method_name,
             detail ? detail : "");
        return px_reply_retry(t, status, phrase_of(status), retry_after);
    }
    if (t->cancelled) return px_reply_and_done(t, 487, "Request Terminated", NULL);
    pcscf_set_sdp_body(t->msg, t->sip, sdp);
    px_send_branches(t);
}

static bool all_to_wic(const ptx_t *t)
{
    if (t->branches->len == 0) return false;
    for (guint i = 0; i < t->branches->len; i++) {
        const branch_t *b = t->branches->pdata[i];
        if (!b->peer || !b->peer->webrtc) return false;
    }
    return true;
}

/* In a WIC-to-WIC call both sides come from WebRTC peers: the side is told by the From tag. */
static bool from_caller(const ptx_t *t, const pcscf_call_t *c)
{
    const char *tag = t->sip->sip_from ? t->sip->sip_from->a_tag : NULL;
    return tag && c->caller_tag && strcmp(tag, c->caller_tag) == 0;
}

bool px_media_request(ptx_t *t)
{
    pcscf_t *p = t->px->p;
    if (!p->iq || (t->method != sip_method_invite && t->method != sip_method_update)) return false;
    pcscf_call_t *c = call_of(t);
    if (!c) return false;
    bool from_wic = t->peer_in && t->peer_in->webrtc, both = false;
    if (t->initial) {
        bool to_wic = all_to_wic(t);
        /* DESIGN.md: every session with a WebRTC leg is anchored (TS 23.228 Annex U), WIC to
         * WIC included (both legs: two W3 terminations, the caller's side is the "WIC" one). */
        if (!from_wic && !to_wic) return false;
        both = from_wic && to_wic;
    } else if (!c->anchor) {
        return false;
    } else if (anchor_far_webrtc(c->anchor)) {
        from_wic = from_caller(t, c);
    }
    char *sdp = pcscf_sdp_body(t->sip);
    if (!sdp) {
        if (t->initial)
            LOGW(RT_SUB_SIP, t->cid, "INVITE without SDP offer toward/from WebRTC: not anchored");
        return false;
    }
    if (t->initial && !pcscf_media_anchor_call(p, c, from_wic, both)) {
        g_free(sdp);
        return false;
    }
    t->media = true;
    t->media_from_wic = from_wic;
    int st;
    unsigned ra;
    const char *detail;
    bool started =
        pcscf_media_step(c, PCSCF_MEDIA_OFFER, from_wic, sdp, on_offer_done, t, &st, &ra, &detail);
    g_free(sdp);
    if (!started) {
        LOGN(RT_SUB_SIP, t->cid, "%s: media offer refused: %s", t->method_name, detail);
        px_reply_retry(t, st, phrase_of(st), ra);
        return true;
    }
    t->media_busy = true;
    LOGI(RT_SUB_SIP, t->cid, "%s: anchoring the %s offer", t->method_name,
         anchor_far_webrtc(c->anchor) ? (from_wic ? "caller's WebRTC" : "callee's WebRTC")
         : from_wic                   ? "WebRTC"
                                      : "IMS");
    return true;
}

/* ---- answers (responses) ---- */

static void drain(ptx_t *t);

static void item_forward(ptx_t *t, resp_item_t *it)
{
    px_forward_response(t, it->b, it->resp);
    g_free(it);
}

static void on_answer_done(void *ud, int status, unsigned retry_after, const char *sdp,
                           const char *detail)
{
    ptx_t *t = ud;
    t->media_busy = false;
    resp_item_t *it = g_queue_pop_head(t->resp_queue);
    if (it) {
        sip_t *rs = sip_object(it->resp);
        int code = rs->sip_status->st_status;
        if (status == 200) {
            pcscf_set_sdp_body(it->resp, rs, sdp);
            item_forward(t, it);
        } else if (code < 200) {
            /* The early media cannot be set up; the call itself may still be answered. */
            pcscf_drop_body(it->resp, rs);
            item_forward(t, it);
        } else {
            /* The callee answered but its media cannot be anchored: the caller gets an error;
             * the callee's 2xx stays unacknowledged, so it ends its side itself (RFC 3261
             * §13.3.1.4). */
            LOGW(RT_SUB_SIP, t->cid, "%s answered but the media answer failed: %s", t->method_name,
                 detail ? detail : "");
            msg_destroy(it->resp);
            g_free(it);
            px_reply(t, status, phrase_of(status), NULL);
            (void)retry_after;
        }
    }
    drain(t);
    px_maybe_finish(t);
}

/* Forwards what can go and starts the next answer step; never frees t. */
static void drain(ptx_t *t)
{
    pcscf_call_t *c = call_of(t);
    while (!t->media_busy && t->resp_queue && !g_queue_is_empty(t->resp_queue)) {
        resp_item_t *it = g_queue_peek_head(t->resp_queue);
        sip_t *rs = sip_object(it->resp);
        int code = rs->sip_status->st_status;
        char *sdp = code < 300 ? pcscf_sdp_body(rs) : NULL;
        if (!sdp || !c || !c->anchor) {
            g_free(sdp);
            item_forward(t, g_queue_pop_head(t->resp_queue));
            continue;
        }
        int st;
        unsigned ra;
        const char *detail;
        bool started = pcscf_media_step(c, PCSCF_MEDIA_ANSWER, !t->media_from_wic, sdp,
                                        on_answer_done, t, &st, &ra, &detail);
        g_free(sdp);
        if (started) {
            t->media_busy = true;
            break;
        }
        LOGW(RT_SUB_SIP, t->cid, "media answer refused: %s", detail);
        g_queue_pop_head(t->resp_queue);
        if (code < 200) {
            pcscf_drop_body(it->resp, rs);
            item_forward(t, it);
        } else {
            msg_destroy(it->resp);
            g_free(it);
            px_reply(t, st, phrase_of(st), NULL);
        }
    }
}

bool px_media_response(ptx_t *t, branch_t *b, msg_t *resp)
{
    if (!t->media) return false;
    sip_t *rs = sip_object(resp);
    int code = rs->sip_status->st_status;
    bool waiting = t->media_busy || (t->resp_queue && !g_queue_is_empty(t->resp_queue));
    char *sdp = code < 300 ? pcscf_sdp_body(rs) : NULL;
    bool has_sdp = sdp != NULL;
    g_free(sdp);
    if (!has_sdp && !waiting) return false;
    if (!t->resp_queue) t->resp_queue = g_queue_new();
    resp_item_t *it = g_new0(resp_item_t, 1);
    it->b = b;
    it->resp = resp;
    g_queue_push_tail(t->resp_queue, it);
    drain(t);
    return true;
}

void px_media_tx_gone(ptx_t *t)
{
    if (t->resp_queue) {
        resp_item_t *it;
        while ((it = g_queue_pop_head(t->resp_queue))) {
            msg_destroy(it->resp);
            g_free(it);
        }
        g_queue_free(t->resp_queue);
        t->resp_queue = NULL;
    }
    pcscf_call_t *c = call_of(t);
    if (!c) return;
    if (t->media_busy) pcscf_media_detach(c);
    t->media_busy = false;
    if (c->setup_tx == t) {
        c->setup_tx = NULL;
        if (!c->confirmed) pcscf_call_end(c, "not answered");
    } else if (t->media && !t->initial && !t->got_2xx) {
        pcscf_media_offer_rejected(c);
    }
}

/* ---- ending a call the media lost ---- */

static void send_bye(pcscf_proxy_t *px, pcscf_call_t *c, bool to_callee)
{
    const char *ruri = to_callee ? c->callee_contact : c->caller_contact;
    const char *from = to_callee ? c->caller_from : c->callee_to;
    const char *to = to_callee ? c->callee_to : c->caller_from;
    char **route = to_callee ? c->route_to_callee : c->route_to_caller;
    uint32_t cseq = (to_callee ? c->caller_cseq : c->callee_cseq) + 1;
    if (!ruri || !from || !to) return;
    nta_agent_t *agent = px->p->agent;
    msg_t *msg = nta_msg_create(agent, 0);
    sip_t *sip = sip_object(msg);
    su_home_t *home = msg_home(msg);
    sip_add_tl(
        msg, sip,
        SIPTAG_REQUEST(sip_request_create(home, sip_method_bye, "BYE", (url_string_t *)ruri, NULL)),
        SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), SIPTAG_CALL_ID_STR(c->call_id),
        SIPTAG_CSEQ(sip_cseq_create(home, cseq, sip_method_bye, NULL)),
        SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
    for (char **r = route; r && *r; r++) {
        gchar *v = g_strdup_printf("<%s>", *r);
        sip_add_tl(msg, sip, SIPTAG_ROUTE_STR(v), TAG_END());
        g_free(v);
    }
    pcscf_hdr_add(msg, sip, "Reason", "SIP;cause=503;text=\"media lost\"");
    pcscf_hdr_add(msg, sip, HDR_CID, c->cid);
    if (!nta_outgoing_mcreate(agent, NULL, NULL, NULL, msg, TAG_END()))
        LOGW(RT_SUB_SIP, c->cid, "cannot send BYE toward the %s", to_callee ? "callee" : "caller");
    else
        LOGN(RT_SUB_SIP, c->cid, "BYE sent toward the %s (%s)", to_callee ? "callee" : "caller",
             ruri);
}

void px_media_end_call(pcscf_call_t *c, const char *reason, void *ud)
{
    pcscf_proxy_t *px = ud;
    if (c->setup_tx) {
        /* Still being set up: cancel the branches and fail the INVITE; the call ends with its
         * transaction. */
        ptx_t *t = c->setup_tx;
        px_cancel_pending(t);
        px_reply(t, 503, "Service Unavailable (media lost)", "Retry-After: 5\r\n");
        return;
    }
    if (c->confirmed) {
        send_bye(px, c, true);
        send_bye(px, c, false);
    }
    pcscf_call_end(c, reason);
}
