/* SIP core side of media anchoring (see media.h). One step object at a time per call, owned by
 * the call until the anchor reports (or the call goes). */
#include "pcscf/media.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <string.h>

#include "runtime/log.h"

typedef struct {
    pcscf_call_t *c;
    pcscf_media_cb cb;
    void *ud;
    pcscf_media_kind kind;
} step_t;

char *pcscf_sdp_body(const sip_t *sip)
{
    if (!sip->sip_payload || !sip->sip_payload->pl_len || !sip->sip_content_type) return NULL;
    const char *t = sip->sip_content_type->c_type;
    if (!t || g_ascii_strcasecmp(t, "application/sdp") != 0) return NULL;
    return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

void pcscf_drop_body(msg_t *msg, sip_t *sip)
{
    if (sip->sip_payload)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_payload);
    if (sip->sip_content_type)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_type);
    if (sip->sip_content_length)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_length);
    sip_add_tl(msg, sip, SIPTAG_CONTENT_LENGTH_STR("0"), TAG_END());
}

void pcscf_set_sdp_body(msg_t *msg, sip_t *sip, const char *sdp)
{
    if (sip->sip_payload)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_payload);
    if (sip->sip_content_type)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_type);
    if (sip->sip_content_length)
        msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_length);
    char len[24];
    g_snprintf(len, sizeof len, "%zu", strlen(sdp));
    sip_add_tl(msg, sip, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_CONTENT_LENGTH_STR(len),
               SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

static void on_anchor_event(anchor_t *a, const anchor_event_t *ev, void *ud)
{
    pcscf_call_t *c = ud;
    char reason[160];
    if (ev->type == ANCHOR_EV_AGW_LOST)
        g_snprintf(reason, sizeof reason, "AGW %s lost: %s", ev->agw_mid ? ev->agw_mid : "?",
                   ev->detail ? ev->detail : "");
    else
        g_snprintf(reason, sizeof reason, "media event %s on %s", ev->event ? ev->event : "?",
                   ev->side ? ev->side : "?");
    LOGN(RT_SUB_SIP, c->cid, "ending the call: %s", reason);
    pcscf_dialogs_end_call(c, reason);
}

bool pcscf_media_anchor_call(pcscf_t *p, pcscf_call_t *c, bool wic_is_caller, bool both_webrtc)
{
    if (!p->iq) return false;
    if (!c->anchor) c->anchor = anchor_new(p->iq, c->cid, on_anchor_event, c);
    if (!c->anchor) return false;
    /* WIC to WIC: two W3 terminations; the anchor's WIC side is the caller's. */
    c->wic_is_caller = wic_is_caller || both_webrtc;
    if (both_webrtc != anchor_far_webrtc(c->anchor) &&
        !anchor_set_far_webrtc(c->anchor, both_webrtc)) {
        LOGW(RT_SUB_SIP, c->cid, "media anchor already in use: cannot change its far side");
        return false;
    }
    return true;
}

static pcscf_iq_t *iq_of(const pcscf_call_t *c)
{
    return pcscf_dialogs_node(c->owner)->iq;
}

static void on_step(anchor_t *a, anchor_status st, const char *sdp, const char *detail, void *ud)
{
    step_t *s = ud;
    pcscf_call_t *c = s->c;
    (void)a;
    if (c->step == s) c->step = NULL;
    pcscf_media_cb cb = s->cb;
    void *cud = s->ud;
    g_free(s);
    unsigned ra = 0;
    int status = anchor_sip_status(iq_of(c), st, &ra);
    if (st != ANCHOR_OK)
        LOGW(RT_SUB_SIP, c->cid, "media step failed: %s (%s)", anchor_strerror(st),
             detail ? detail : "");
    if (cb) cb(cud, status, ra, st == ANCHOR_OK ? sdp : NULL, detail);
}

bool pcscf_media_step(pcscf_call_t *c, pcscf_media_kind kind, bool from_wic, const char *sdp,
                      pcscf_media_cb cb, void *ud, int *status, unsigned *retry_after,
                      const char **detail)
{
    *status = 500;
    *retry_after = 0;
    *detail = "not anchored";
    if (!c->anchor) return false;
    if (c->step) {
        *status = 491;
        *detail = "a media step is already running";
        return false;
    }
    step_t *s = g_new0(step_t, 1);
    s->c = c;
    s->cb = cb;
    s->ud = ud;
    s->kind = kind;
    anchor_status st;
    if (kind == PCSCF_MEDIA_OFFER)
        st = from_wic ? anchor_offer_from_wic(c->anchor, sdp, on_step, s)
                      : anchor_offer_from_ims(c->anchor, sdp, on_step, s);
    else
        st = from_wic ? anchor_answer_from_wic(c->anchor, sdp, on_step, s)
                      : anchor_answer_from_ims(c->anchor, sdp, on_step, s);
    if (st != ANCHOR_OK) {
        g_free(s);
        *status = anchor_sip_status(iq_of(c), st, retry_after);
        *detail = anchor_strerror(st);
        return false;
    }
    c->step = s;
    return true;
}

void pcscf_media_detach(pcscf_call_t *c)
{
    if (c->step) ((step_t *)c->step)->cb = NULL;
}

void pcscf_media_offer_rejected(pcscf_call_t *c)
{
    if (c->anchor) anchor_offer_rejected(c->anchor);
}

void pcscf_media_call_gone(pcscf_call_t *c)
{
    /* anchor_free() follows: the anchor will not call back, so the step is ours to free. */
    g_free(c->step);
    c->step = NULL;
}
