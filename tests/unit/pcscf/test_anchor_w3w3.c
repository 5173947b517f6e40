/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * WIC to WIC through the AGW (anchor_set_far_webrtc): one context with two W3 terminations
 * against the fake AGW: the Add (two W3 Local templates, the caller's offer as Remote of the
 * first), the WebRTC offer toward the far WIC (byte for byte), its answer as Remote of the
 * second W3, the answer toward the caller, a re-offer from the far WIC with an ICE restart,
 * the far side refusing RTP/AVP, and the Subtract. */
#include "pcscf/anchor.h"
#include "pcscf/iq_mgc.h"
#include "test_anchor_mg.h"
#include "test_anchor_res.h"
#include "unit.h"

/* The far WIC (Chromium) answering our offer "0 8 126". */
static const char *FAR_ANSWER = "v=0\r\n"
                                "o=- 7115389720045312284 2 IN IP4 127.0.0.1\r\n"
                                "s=-\r\n"
                                "t=0 0\r\n"
                                "a=group:BUNDLE 0\r\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\n"
                                "c=IN IP4 0.0.0.0\r\n"
                                "a=ice-ufrag:Tq7w\r\n"
                                "a=ice-pwd:Xy4Lm9Qr2Vs8Kd1Pa6Hn3Bc0\r\n"
                                "a=fingerprint:sha-256 "
                                "5C:92:1E:A8:37:F4:06:DB:61:2A:C9:83:E0:7B:14:5F:A6:D2:38:C1:9E:"
                                "04:7A:B5:63:F8:2D:91:0E:C7:4B:E6\r\n"
                                "a=setup:active\r\n"
                                "a=mid:0\r\n"
                                "a=sendrecv\r\n"
                                "a=rtcp-mux\r\n"
                                "a=rtpmap:0 PCMU/8000\r\n"
                                "a=rtpmap:126 telephone-event/8000\r\n";

static const char *IMS_OFFER = "v=0\r\n"
                               "o=phone 2000 1 IN IP4 127.0.4.1\r\n"
                               "s=-\r\n"
                               "c=IN IP4 127.0.4.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 30002 RTP/AVP 8 0 101\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n";

static pcscf_iq_t *mgc_new(void)
{
    pcscf_iq_cfg_t c = {.address = "127.0.0.1",
                        .port = 0,
                        .profile = "lab_iq/1",
                        .request_timeout_ms = 2000,
                        .retry_first_ms = 50,
                        .max_timeouts = 2,
                        .cid_property = "wtpf/cid",
                        .access_realm = "access",
                        .core_realm = "core",
                        .retry_after_s = 7};
    return pcscf_iq_new(&c, NULL);
}

/* The offer the far WIC gets: the AGW's second W3 (port 40004, ufrag ag01, its fingerprint,
 * actpass, ICE-lite) with the caller's codecs and o= (SPECS.md §3.3). */
static const char *OFFER_TO_FAR = "v=0\r\n"
                                  "o=- 3933184505356581751 2 IN IP4 127.0.0.1\r\n"
                                  "s=-\r\n"
                                  "t=0 0\r\n"
                                  "a=ice-lite\r\n"
                                  "a=group:BUNDLE 0\r\n"
                                  "m=audio 40004 UDP/TLS/RTP/SAVPF 0 8 126\r\n"
                                  "c=IN IP4 127.0.0.1\r\n"
                                  "a=mid:0\r\n"
                                  "a=sendrecv\r\n"
                                  "a=rtcp-mux\r\n"
                                  "a=ice-ufrag:ag01\r\n"
                                  "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9r001\r\n"
                                  "a=fingerprint:sha-256 " MG_FP "\r\n"
                                  "a=setup:actpass\r\n"
                                  "a=candidate:1 1 udp 2130706431 127.0.0.1 40004 typ host\r\n"
                                  "a=end-of-candidates\r\n"
                                  "a=rtpmap:0 PCMU/8000\r\n"
                                  "a=rtpmap:8 PCMA/8000\r\n"
                                  "a=rtpmap:126 telephone-event/8000\r\n";

TEST(wic_to_wic_call)
{
    pcscf_iq_t *iq = mgc_new();
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    char *offer = read_testdata("chromium-156-audio-offer.sdp");
    CHECK(offer != NULL);
    if (!offer) return;
    anchor_t *a = anchor_new(iq, "w3w3-1", NULL, NULL);
    CHECK(!anchor_far_webrtc(a));
    CHECK(anchor_set_far_webrtc(a, true));
    CHECK(anchor_far_webrtc(a));
    res_t r = {0};

    /* a plain RTP/AVP offer from the far side is refused: it is a WIC too */
    CHECK_INT(anchor_offer_from_ims(a, IMS_OFFER, on_sdp, &r), ANCHOR_E_SDP);

    CHECK_INT(anchor_offer_from_wic(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK_INT(anchor_context_id(a), 17);
    CHECK(!anchor_set_far_webrtc(a, false)); /* the context exists */

    /* one Add transaction, two W3 terminations in the access realm, no RTP one */
    const char *add = mg_last(mg);
    CHECK_INT(occurrences(add, "Add = $"), 2);
    CHECK_INT(occurrences(add, "UDP/TLS/RTP/SAVPF"), 3); /* two Local templates, one Remote */
    const char *w3a = add ? strstr(add, "a=setup:active") : NULL;
    const char *w3b = add ? strstr(add, "a=setup:actpass") : NULL;
    CHECK(w3a && w3b && w3a < w3b); /* the caller's W3 first (answers), the far one offers */
    CHECK(add && !strstr(add, "RTP/AVP "));
    CHECK(add && !strstr(add, "\"core\""));
    char *second = add ? strstr(add, "Add = $") : NULL;
    second = second ? strstr(second + 1, "Add = $") : NULL;
    CHECK(second && strstr(second, "ipdc/realm = \"access\""));
    CHECK(second && strstr(second, "Mode = ReceiveOnly"));
    CHECK(second && strstr(second, "m=audio $ UDP/TLS/RTP/SAVPF 0 8 126"));
    CHECK(second && !strstr(second, "Remote")); /* we offer: no Remote yet */
    CHECK(add && strstr(add, "a=ice-ufrag:kNbi") && strstr(add, "a=ice-ufrag:kNbi") < second);

    /* the WebRTC offer toward the far WIC, byte for byte */
    CHECK_STR(r.sdp, OFFER_TO_FAR);

    /* its answer: Modify of the second W3 only (Remote, SendReceive) */
    res_clear(&r);
    CHECK_INT(anchor_answer_from_ims(a, FAR_ANSWER, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *mod = mg_last(mg);
    CHECK(mod && strstr(mod, "Modify = ip/access2/17"));
    CHECK(mod && !strstr(mod, "Modify = ip/access/17"));
    CHECK(mod && strstr(mod, "Mode = SendReceive"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:Tq7w"));
    CHECK(mod && strstr(mod, "a=setup:active"));
    CHECK(mod && strstr(mod, "5C:92:1E:A8"));
    /* the answer toward the caller: the first W3, the far WIC's codecs and o= */
    CHECK(r.sdp && strstr(r.sdp, "o=- 7115389720045312284 2 IN IP4 127.0.0.1\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "m=audio 40002 UDP/TLS/RTP/SAVPF 0 126\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=ice-ufrag:ag00\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=setup:active\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=fingerprint:sha-256 " MG_FP "\r\n"));
    CHECK(r.sdp && !strstr(r.sdp, "Tq7w") && !strstr(r.sdp, "5C:92"));

    /* the far WIC re-offers: hold with an ICE restart. Toward the caller: an offer on the first
     * W3 (actpass, same credentials), no Iq yet */
    guint n = mg->reqs->len;
    char *h1 = replace(FAR_ANSWER, "a=sendrecv", "a=sendonly");
    char *h2 = replace(h1, "a=setup:active", "a=setup:actpass");
    char *h3 = replace(h2, "a=ice-ufrag:Tq7w", "a=ice-ufrag:Rs5t");
    char *reoffer = replace(h3, "7115389720045312284 2", "7115389720045312284 3");
    res_clear(&r);
    CHECK_INT(anchor_offer_from_ims(a, reoffer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 1000);
    CHECK_INT(r.st, ANCHOR_OK);
    CHECK_INT(mg->reqs->len, n);
    CHECK(r.sdp && strstr(r.sdp, "a=setup:actpass\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=ice-ufrag:ag00\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=sendonly\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "m=audio 40002 UDP/TLS/RTP/SAVPF 0 126\r\n"));
    /* the caller answers recvonly: the far W3 gets the new Remote and new credentials, modes
     * follow (far -> caller only: the far W3 receives, the caller's sends) */
    char *ans = replace(offer, "a=sendrecv", "a=recvonly");
    char *ans2 = replace(ans, "a=setup:actpass", "a=setup:passive"); /* keeps its role */
    res_clear(&r);
    CHECK_INT(anchor_answer_from_wic(a, ans2, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    mod = mg_last(mg);
    CHECK(mod && strstr(mod, "Modify = ip/access2/17"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:Rs5t"));
    CHECK(mod && strstr(mod, "a=ice-ufrag:$"));
    CHECK(mod && strstr(mod, "Modify = ip/access/17"));
    CHECK(mod && strstr(mod, "Mode = SendOnly"));
    CHECK(mod && strstr(mod, "Mode = ReceiveOnly"));
    /* the far WIC re-offered actpass; its DTLS role stays the one its first answer took
     * (active, the far W3 passive): that is the Remote the AGW gets, not actpass */
    const char *far_mod = mod ? strstr(mod, "Modify = ip/access2/17") : NULL;
    const char *caller_mod = mod ? strstr(mod, "Modify = ip/access/17") : NULL;
    const char *far_remote = far_mod ? strstr(far_mod, "Remote {") : NULL;
    const char *far_setup = far_remote ? strstr(far_remote, "a=setup:") : NULL;
    CHECK(far_setup && caller_mod && far_setup < caller_mod &&
          strncmp(far_setup, "a=setup:active", 14) == 0);
    /* toward the far WIC: the answer with the second W3's new credentials, still passive */
    CHECK(r.sdp && strstr(r.sdp, "a=ice-ufrag:ag02\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "m=audio 40004 UDP/TLS/RTP/SAVPF 0 126\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=recvonly\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "a=setup:passive\r\n"));

    stats_res_t s = {0};
    CHECK_INT(anchor_release(a, on_stats, &s), ANCHOR_OK);
    WAIT_FOR(s.calls, 2000);
    CHECK(strstr(mg_last(mg), "Context = 17") && strstr(mg_last(mg), "Subtract = *"));
    CHECK_INT(s.s.access_sent, 1500);
    CHECK_INT(anchor_context_id(a), 0);
    anchor_free(a);
    res_clear(&r);
    g_free(h1);
    g_free(h2);
    g_free(h3);
    g_free(reoffer);
    g_free(ans);
    g_free(ans2);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* The far WIC made the first offer (an offerless INVITE answered with an offer): its W3 takes
 * the answer role, the caller's W3 offers (actpass). */
TEST(far_wic_offers_first)
{
    pcscf_iq_t *iq = mgc_new();
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    anchor_t *a = anchor_new(iq, "w3w3-2", NULL, NULL);
    CHECK(anchor_set_far_webrtc(a, true));
    char *offer = replace(FAR_ANSWER, "a=setup:active", "a=setup:actpass");
    res_t r = {0};
    CHECK_INT(anchor_offer_from_ims(a, offer, on_sdp, &r), ANCHOR_OK);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.st, ANCHOR_OK);
    const char *add = mg_last(mg);
    const char *w3b = add ? strstr(add, "a=setup:active") : NULL;
    const char *w3a = add ? strstr(add, "a=setup:actpass\r\na=rtpmap") : NULL;
    CHECK(w3a && w3b && w3b < w3a); /* the far W3 first, Remote = its offer */
    CHECK(add && strstr(add, "a=ice-ufrag:Tq7w"));
    CHECK(r.sdp && strstr(r.sdp, "a=setup:actpass\r\n"));
    CHECK(r.sdp && strstr(r.sdp, "UDP/TLS/RTP/SAVPF 0 126\r\n"));
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    res_clear(&r);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

int main(void)
{
    rt_log_set_all_levels(g_getenv("ANCHOR_TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
    RUN(wic_to_wic_call);
    RUN(far_wic_offers_first);
    UNIT_END("test_anchor_w3w3");
}
