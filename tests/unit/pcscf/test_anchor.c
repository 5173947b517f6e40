/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The anchor state machine against a fake AGW on loopback (real H.248 transport both sides):
 * originating and terminating calls (the Iq bytes and both rewritten SDPs), re-INVITE hold,
 * ICE restart, release statistics, and the failures the SIP core maps to 503/500/488. */
#include "pcscf/anchor.h"
#include "pcscf/iq_mgc.h"
#include "test_anchor_mg.h"
#include "test_anchor_res.h"
#include "unit.h"

static const char *IMS_ANSWER = "v=0\r\n"
                                "o=phone 1000 1 IN IP4 127.0.4.1\r\n"
                                "s=-\r\n"
                                "c=IN IP4 127.0.4.1\r\n"
                                "t=0 0\r\n"
                                "m=audio 30000 RTP/AVP 0 126\r\n"
                                "a=rtpmap:0 PCMU/8000\r\n"
                                "a=rtpmap:126 telephone-event/8000\r\n"
                                "a=fmtp:126 0-15\r\n"
                                "a=sendrecv\r\n";

static const char *IMS_OFFER = "v=0\r\n"
                               "o=phone 2000 1 IN IP4 127.0.4.1\r\n"
                               "s=-\r\n"
                               "c=IN IP4 127.0.4.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 30002 RTP/AVP 8 0 101\r\n"
                               "a=rtpmap:8 PCMA/8000\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=ptime:20\r\n";

static const char *WIC_ANSWER = "v=0\r\n"
                                "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                                "s=-\r\n"
                                "t=0 0\r\n"
                                "a=group:BUNDLE 0\r\n"
                                "m=audio 51234 UDP/TLS/RTP/SAVPF 8 101\r\n"
                                "c=IN IP4 127.0.1.5\r\n"
                                "a=candidate:1 1 udp 2122260223 127.0.1.5 51234 typ host\r\n"
                                "a=ice-ufrag:WxYz\r\n"
                                "a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8\r\n"
                                "a=fingerprint:sha-256 "
                                "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:"
                                "FE:10:4E:51:24:87:DA:E4:53:B1\r\n"
                                "a=setup:active\r\n"
                                "a=mid:0\r\n"
                                "a=sendrecv\r\n"
                                "a=rtcp-mux\r\n"
                                "a=rtpmap:8 PCMA/8000\r\n"
                                "a=rtpmap:101 telephone-event/8000\r\n";

typedef struct {
    int lost, media;
    char event[64], side[16];
} ev_res_t;

static void on_event(anchor_t *a, const anchor_event_t *ev, void *ud)
{
    ev_res_t *r = ud;
    if (ev->type == ANCHOR_EV_AGW_LOST) r->lost++;
    if (ev->type == ANCHOR_EV_MEDIA) {
        r->media++;
        g_strlcpy(r->event, ev->event, sizeof r->event);
        g_strlcpy(r->side, ev->side, sizeof r->side);
    }
}

static pcscf_iq_t *mgc_new(unsigned timeout_ms)
{
    pcscf_iq_cfg_t c = {.address = "127.0.0.1",
                        .port = 0,
                        .profile = "lab_iq/1",
                        .request_timeout_ms = timeout_ms,
                        .retry_first_ms = 50,
                        .max_timeouts = 2,
                        .cid_property = "wtpf/cid",
                        .retry_after_s = 7};
    return pcscf_iq_new(&c, NULL);
}

static char *chromium_offer(void)
{
    char *o = read_testdata("chromium-156-audio-offer.sdp");
    if (!o) fprintf(stderr, "  chromium-156-audio-offer.sdp not found\n");
    return o;
}

TEST(status_mapping)
{
    pcscf_iq_t *iq = mgc_new(1000);
    unsigned ra = 0;
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_NO_AGW, &ra), 503);
    CHECK_INT(ra, 7);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_TIMEOUT, &ra), 503);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_BUSY, &ra), 503);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_AGW_ERROR, &ra), 500);
    CHECK_INT(ra, 0);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_SDP, NULL), 488);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_STATE, NULL), 491);
    CHECK_INT(anchor_sip_status(iq, ANCHOR_E_INTERNAL, NULL), 500);
    CHECK(strlen(anchor_strerror(ANCHOR_E_TIMEOUT)) > 0);
    pcscf_iq_free(iq);
}

TEST(no_agw_is_immediate)
{
    pcscf_iq_t *iq = mgc_new(1000);
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "cid-noagw", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_E_NO_AGW);
    mg_wait_ms(20);
    CHECK_INT(r.calls, 0);
    CHECK(anchor_agw_mid(a) == NULL);
    anchor_free(a);
    g_free(offer);
    pcscf_iq_free(iq);
}

/* SPECS.md §4.5 and §6.3: one WIC-originated call end to end. */
TEST(originating_call)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "0123456789abcdef", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    CHECK_INT(r.calls, 0); /* never before returning */
    CHECK(anchor_busy(a));
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK_INT(anchor_context_id(a), 17);

    /* the Add transaction */
    const char *add = mg_last(mg);
    CHECK(add && strstr(add, "Context = $"));
    CHECK(add && strstr(add, "ipdc/realm = \"access\""));
    CHECK(add && strstr(add, "ipdc/realm = \"core\""));
    CHECK(add && strstr(add, "wtpf/cid = \"0123456789abcdef\""));
    CHECK(add && strstr(add, "a=ice-lite"));
    CHECK(add && strstr(add, "a=ice-ufrag:$"));
    CHECK(add && strstr(add, "a=fingerprint:sha-256 $"));
    CHECK(add && strstr(add, "a=setup:active"));
    CHECK(add && strstr(add, "a=ice-ufrag:kNbi"));  /* browser's, in Remote */
    CHECK(add && strstr(add, "7E:8F:16:C1:28:CD")); /* its fingerprint */
    CHECK(add && strstr(add, "m=audio $ RTP/AVP")); /* core Local template */
    CHECK(add && strstr(add, "Mode = ReceiveOnly"));
    CHECK(add && strstr(add, "Mode = SendReceive"));
    CHECK(add && !strstr(add, "Events")); /* none configured */

    /* toward IMS: plain RTP/AVP on the AGW's core address, nothing WebRTC */
    const char *ims = r.sdp;
    CHECK(ims && strstr(ims, "m=audio 50004 RTP/AVP 0 8 126"));
    CHECK(ims && strstr(ims, "c=IN IP4 " MG_CORE_ADDR));
    CHECK(ims && !strstr(ims, "a=ice"));
    CHECK(ims && !strstr(ims, "a=candidate"));
    CHECK(ims && !strstr(ims, "a=fingerprint"));
    CHECK(ims && !strstr(ims, "a=setup"));
    CHECK(ims && !strstr(ims, "a=mid"));
    CHECK(ims && !strstr(ims, "BUNDLE"));
    CHECK(ims && !strstr(ims, "rtcp-mux"));
    CHECK(ims && !strstr(ims, "opus"));

    /* the IMS answer: Modify core with Remote and SendReceive */
    res_clear(&r);
    CHECK_INT(anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *mod = mg_last(mg);
    CHECK(mod && strstr(mod, "Context = 17"));
    CHECK(mod && strstr(mod, "Modify = ip/core/17"));
    CHECK(mod && strstr(mod, "Mode = SendReceive"));
    CHECK(mod && strstr(mod, "m=audio 30000 RTP/AVP 0 126"));
    CHECK(mod && !strstr(mod, "ip/access/17")); /* W3 unchanged: not modified */

    /* toward the WIC (§6.3) */
    const char *wic = r.sdp;
    CHECK(wic && strstr(wic, "a=ice-lite"));
    CHECK(wic && strstr(wic, "m=audio 40002 UDP/TLS/RTP/SAVPF 0 126"));
    CHECK(wic && strstr(wic, "a=mid:0"));
    CHECK(wic && strstr(wic, "a=setup:active"));
    CHECK(wic && strstr(wic, "a=ice-ufrag:ag00"));
    CHECK(wic && strstr(wic, "a=fingerprint:sha-256 " MG_FP));
    CHECK(wic && strstr(wic, "a=candidate:1 1 udp 2130706431 " MG_ACCESS_ADDR " 40002 typ host"));
    CHECK(wic && strstr(wic, "a=end-of-candidates"));
    CHECK(wic && strstr(wic, "a=rtcp-mux"));

    /* a repeated answer (183 then 200 with the same SDP) needs no Iq */
    guint n = mg->reqs->len;
    res_clear(&r);
    CHECK_INT(anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r), ANCHOR_OK);
    CHECK_INT(r.calls, 0);
    WAIT_FOR(r.calls, 1000);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK_INT(mg->reqs->len, n);
    CHECK(r.sdp && strstr(r.sdp, "o=phone 1000 1 ")); /* unchanged SDP, unchanged version */

    /* release with statistics */
    stats_res_t s = {0};
    CHECK_INT(anchor_release(a, on_stats, &s), ANCHOR_OK);
    WAIT_FOR(s.calls, 2000);
    CHECK_INT(s.st, ANCHOR_OK);
    CHECK(strstr(mg_last(mg), "Context = 17") && strstr(mg_last(mg), "Subtract = *"));
    CHECK_INT(s.s.access_sent, 1500);
    CHECK_INT(s.s.access_received, 1498);
    CHECK_INT(s.s.core_sent, 1497);
    CHECK_INT(s.s.core_received, 1501);
    CHECK_INT(anchor_context_id(a), 0);
    anchor_free(a);
    mg_wait_ms(20);
    CHECK_INT(mg_count(mg, "Subtract"), 1); /* free after release sends nothing more */
    res_clear(&r);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* IMS -> WIC: Add RTP (Remote = phone offer) + Add W3 (actpass), then Modify on the answer. */
TEST(terminating_call)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    anchor_t *a = anchor_new(iq, "term-1", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_ims(a, IMS_OFFER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *add = mg_last(mg);
    const char *rtp_pos = add ? strstr(add, "RTP/AVP") : NULL;
    const char *w3_pos = add ? strstr(add, "UDP/TLS/RTP/SAVPF") : NULL;
    CHECK(rtp_pos && w3_pos && rtp_pos < w3_pos);               /* RTP termination first */
    CHECK(add && strstr(add, "m=audio 30002 RTP/AVP 8 0 101")); /* phone offer as Remote */
    CHECK(add && strstr(add, "a=setup:actpass"));
    const char *wic = r.sdp;
    CHECK(wic && strstr(wic, "UDP/TLS/RTP/SAVPF 8 0 101"));
    CHECK(wic && strstr(wic, "a=setup:actpass"));
    CHECK(wic && strstr(wic, "a=ice-lite"));
    CHECK(wic && strstr(wic, "a=mid:0"));
    CHECK(wic && strstr(wic, "a=fingerprint:sha-256 " MG_FP));
    CHECK(wic && strstr(wic, "a=rtcp-mux"));
    CHECK(wic && !strstr(wic, "trickle"));

    res_clear(&r);
    CHECK_INT(anchor_answer_from_wic(a, WIC_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *mod = mg_last(mg);
    CHECK(mod && strstr(mod, "Modify = ip/access/17"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:WxYz"));
    CHECK(mod && strstr(mod, "a=setup:active"));
    CHECK(mod && strstr(mod, "Modify = ip/core/17")); /* ReceiveOnly -> SendReceive */
    const char *ims = r.sdp;
    CHECK(ims && strstr(ims, "RTP/AVP 8 101"));
    CHECK(ims && strstr(ims, "c=IN IP4 " MG_CORE_ADDR));
    CHECK(ims && !strstr(ims, "a=ice"));
    CHECK(ims && !strstr(ims, "a=fingerprint"));
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    res_clear(&r);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* re-INVITE from the WIC: hold (sendonly) then resume; the AGW changes with the answer. */
TEST(hold_and_resume)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "hold-1", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    res_clear(&r);
    CHECK_INT(anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    res_clear(&r);

    char *hold = replace(offer, "a=sendrecv", "a=sendonly");
    char *hold2 = replace(hold, "o=- 3933184505356581751 2", "o=- 3933184505356581751 3");
    guint n = mg->reqs->len;
    CHECK_INT(anchor_offer_from_wic(a, hold2, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 1000);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK(r.sdp && strstr(r.sdp, "a=sendonly"));
    CHECK(r.sdp && strstr(r.sdp, "o=- 3933184505356581751 3"));
    CHECK_INT(mg->reqs->len, n); /* nothing sent yet */
    /* glare: a second offer before the answer */
    res_t r2 = {0};
    CHECK_INT(anchor_offer_from_ims(a, IMS_OFFER, on_sdp, &r2), ANCHOR_E_STATE);
    res_clear(&r);
    char *held = replace(IMS_ANSWER, "a=sendrecv", "a=recvonly");
    CHECK_INT(anchor_answer_from_ims(a, held, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *mod = mg_last(mg);
    /* WIC -> IMS only: W3 receives, RTP sends */
    CHECK(mod && strstr(mod, "Modify = ip/access/17"));
    CHECK(mod && strstr(mod, "Mode = ReceiveOnly"));
    CHECK(mod && strstr(mod, "Mode = SendOnly"));
    CHECK(r.sdp && strstr(r.sdp, "a=recvonly"));

    /* the IMS side re-offers to resume: WebRTC offer with actpass; Modify on the answer */
    res_clear(&r);
    CHECK_INT(anchor_offer_from_ims(a, IMS_OFFER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 1000);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK(r.sdp && strstr(r.sdp, "a=setup:actpass"));
    CHECK(r.sdp && strstr(r.sdp, "a=ice-ufrag:ag00")); /* same ICE credentials */
    /* rejected (e.g. 488): forgotten, and a new offer may start */
    anchor_offer_rejected(a);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_ims(a, IMS_OFFER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 1000);
    res_clear(&r);
    CHECK_INT(anchor_answer_from_wic(a, WIC_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    mod = mg_last(mg);
    CHECK(mod && strstr(mod, "a=ice-ufrag:WxYz"));
    CHECK(mod && strstr(mod, "m=audio 30002 RTP/AVP")); /* the new core Remote */
    CHECK(r.sdp && strstr(r.sdp, "RTP/AVP 8 101"));
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    res_clear(&r);
    g_free(hold);
    g_free(hold2);
    g_free(held);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* RFC 8839: a WIC re-offer with new ICE credentials gets new AGW credentials. */
TEST(ice_restart)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "ice-1", NULL, NULL);
    res_t r = {0};
    anchor_offer_from_wic(a, offer, on_sdp, &r);
    WAIT_FOR(r.calls, 2000);
    res_clear(&r);
    anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r);
    WAIT_FOR(r.calls, 2000);
    res_clear(&r);
    char *o1 = replace(offer, "a=ice-ufrag:kNbi", "a=ice-ufrag:NEWu");
    CHECK_INT(anchor_offer_from_wic(a, o1, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 1000);
    res_clear(&r);
    CHECK_INT(anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *mod = mg_last(mg);
    CHECK(mod && strstr(mod, "Modify = ip/access/17"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:$"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:NEWu"));
    CHECK(r.sdp && strstr(r.sdp, "a=ice-ufrag:ag01"));
    /* RFC 3264 §8: same IMS answer (version 1), changed SDP toward the WIC: version 2 */
    CHECK(r.sdp && strstr(r.sdp, "o=phone 1000 2 "));
    CHECK(r.sdp && strstr(r.sdp, "m=audio 40002 ")); /* same port */
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    res_clear(&r);
    g_free(o1);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(bad_sdp_refused)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    anchor_t *a = anchor_new(iq, "bad-1", NULL, NULL);
    res_t r = {0};
    /* a plain RTP/AVP offer is not the WIC's */
    CHECK_INT(anchor_offer_from_wic(a, IMS_OFFER, on_sdp, &r), ANCHOR_E_SDP);
    CHECK_INT(anchor_offer_from_wic(a, "garbage", on_sdp, &r), ANCHOR_E_SDP);
    CHECK_INT(anchor_offer_from_ims(a, WIC_ANSWER, on_sdp, &r), ANCHOR_E_SDP);
    CHECK_INT(anchor_answer_from_ims(a, IMS_ANSWER, on_sdp, &r), ANCHOR_E_STATE);
    /* opus only: no codec that can cross the AGW */
    char *offer = chromium_offer();
    char *opus = replace(offer, "111 63 9 0 8 13 110 126", "111");
    CHECK_INT(anchor_offer_from_wic(a, opus, on_sdp, &r), ANCHOR_E_SDP);
    mg_wait_ms(20);
    CHECK_INT(r.calls, 0);
    CHECK_INT(mg->reqs->len, 0);
    anchor_free(a);
    g_free(opus);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(agw_busy_is_503)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    mg->on_add = MG_TRANS_ERROR;
    mg->code = 510;
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "busy-1", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_BUSY);
    CHECK(r.sdp == NULL);
    CHECK(r.detail && strstr(r.detail, "510"));
    CHECK_INT(anchor_sip_status(iq, r.st, NULL), 503);
    CHECK_INT(anchor_context_id(a), 0);
    anchor_free(a);
    mg_wait_ms(30);
    CHECK_INT(mg_count(mg, "Subtract"), 0);

    /* a command-level error after the context was made: the context is released */
    mg->on_add = MG_CMD2_ERROR;
    mg->code = 432;
    a = anchor_new(iq, "busy-2", NULL, NULL);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_BUSY);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Context = 17 { Subtract = * }"), 1);
    anchor_free(a);

    /* any other AGW error: 500 */
    mg->on_add = MG_TRANS_ERROR;
    mg->code = 449;
    a = anchor_new(iq, "err-3", NULL, NULL);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_AGW_ERROR);
    CHECK_INT(anchor_sip_status(iq, r.st, NULL), 500);
    anchor_free(a);

    /* an Add reply without Local descriptors is a broken AGW: 500, context released */
    mg->on_add = MG_NO_LOCAL;
    a = anchor_new(iq, "err-4", NULL, NULL);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_INTERNAL);
    WAIT_FOR(mg_count(mg, "Subtract") == 2, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 2);
    anchor_free(a);
    res_clear(&r);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* Silence: the step fails with a timeout (503), and max_timeouts of them take the AGW down. */
TEST(agw_timeout)
{
    pcscf_iq_t *iq = mgc_new(300);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    /* one established call, to see the AGW_LOST event when the AGW is declared down */
    ev_res_t ev = {0};
    anchor_t *est = anchor_new(iq, "est-1", on_event, &ev);
    res_t r = {0};
    anchor_offer_from_wic(est, offer, on_sdp, &r);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);

    mg->on_add = MG_SILENT;
    anchor_t *a = anchor_new(iq, "to-1", NULL, NULL);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_TIMEOUT);
    CHECK_INT(anchor_sip_status(iq, r.st, NULL), 503);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    CHECK_INT(ev.lost, 0);
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_E_TIMEOUT);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    CHECK_INT(ev.lost, 1); /* the established call learns its media is gone */
    res_clear(&r);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_E_NO_AGW);
    anchor_free(a);
    anchor_free(est); /* lost: no Subtract toward a dead AGW */
    mg_wait_ms(30);
    CHECK_INT(mg_count(mg, "Subtract"), 0);
    /* the AGW comes back with a ServiceChange: in service again */
    mg->on_add = MG_OK;
    CHECK(mg_register(mg));
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    res_clear(&r);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* The owner frees the anchor while its Add is in flight: the context is released on arrival. */
TEST(free_during_add)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    anchor_t *a = anchor_new(iq, "cancel-1", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    anchor_free(a); /* CANCEL before the AGW answered */
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    CHECK_INT(r.calls, 0);

    /* release (with statistics wanted) while the Add is in flight */
    a = anchor_new(iq, "cancel-2", NULL, NULL);
    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    stats_res_t s = {0};
    CHECK_INT(anchor_release(a, on_stats, &s), ANCHOR_OK);
    WAIT_FOR(s.calls, 2000);
    CHECK_INT(s.st, ANCHOR_OK);
    CHECK_INT(s.s.access_sent, 1500);
    CHECK_INT(r.calls, 0);
    anchor_free(a);

    /* an anchor never offered: release reports at once (from the loop) */
    a = anchor_new(iq, "cancel-3", NULL, NULL);
    memset(&s, 0, sizeof s);
    CHECK_INT(anchor_release(a, on_stats, &s), ANCHOR_OK);
    CHECK_INT(s.calls, 0);
    WAIT_FOR(s.calls, 500);
    CHECK_INT(s.st, ANCHOR_OK);
    CHECK_INT(s.s.access_sent, -1);
    anchor_free(a);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* The SIP core frees its anchor from the callback (a failed call), and the endpoint goes away
 * with anchors still owned. */
static void free_in_cb(anchor_t *a, anchor_status st, const char *sdp, const char *d, void *ud)
{
    int *n = ud;
    (*n)++;
    anchor_free(a);
}

TEST(free_from_callback_and_endpoint_first)
{
    pcscf_iq_t *iq = mgc_new(2000);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = chromium_offer();
    int n = 0;
    anchor_t *a = anchor_new(iq, "cbfree-1", NULL, NULL);
    CHECK_INT(anchor_offer_from_wic(a, offer, free_in_cb, &n), ANCHOR_OK);
    WAIT_FOR(n == 1, 2000);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);

    anchor_t *b = anchor_new(iq, "left-1", NULL, NULL);
    res_t r = {0};
    anchor_offer_from_wic(b, offer, on_sdp, &r);
    anchor_t *c = anchor_new(iq, "left-2", NULL, NULL);
    anchor_offer_from_wic(c, offer, on_sdp, &r);
    WAIT_FOR(r.calls == 2, 2000);
    anchor_t *d = anchor_new(iq, "left-3", NULL, NULL);
    anchor_offer_from_wic(d, offer, on_sdp, &r); /* still in flight */
    anchor_free(c);                              /* Subtract in flight */
    pcscf_iq_free(iq);                           /* b and d survive as empty shells */
    anchor_free(b);
    anchor_free(d);
    res_clear(&r);
    g_free(offer);
    mg_free(mg);
}

int main(void)
{
    rt_log_set_all_levels(g_getenv("ANCHOR_TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
    RUN(status_mapping);
    RUN(no_agw_is_immediate);
    RUN(originating_call);
    RUN(terminating_call);
    RUN(hold_and_resume);
    RUN(ice_restart);
    RUN(bad_sdp_refused);
    RUN(agw_busy_is_503);
    RUN(agw_timeout);
    RUN(free_during_add);
    RUN(free_from_callback_and_endpoint_first);
    UNIT_END("pcscf/anchor");
}
