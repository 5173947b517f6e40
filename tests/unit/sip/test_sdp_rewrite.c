/* Tests of the WebRTC <-> IMS SDP rewrites the pcscf applies when it anchors media in the AGW:
 * exact lines toward IMS (plain RTP/AVP, nothing WebRTC-only) and toward the WIC (what Chrome
 * requires, SPECS.md §6.2), re-parsed by sofia-sip, and error codes for unusable input. */
#include "unit.h"
#include "sip/sdp_rewrite.h"
#include "sdp_fixtures.h"
#include "sdp_testutil.h"

#define LEN(s) (s), strlen(s)

static const sdpx_ims_params ims_p = {.addr = "127.0.10.3", .port = 20002};
static const sdpx_wic_params wic_p = {0};

/* Lines that must never reach IMS (SPECS.md §3.3). */
static const char *const webrtc_only[] = {
    "a=ice-",
    "a=candidate",
    "a=end-of-candidates",
    "a=fingerprint",
    "a=setup",
    "a=tls-id",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtcp:",
    "a=rtcp-fb",
    "a=extmap",
    "a=mid",
    "a=msid",
    "a=ssrc",
    "a=group",
    "a=rtcp-xr",
    "a=extmap-allow-mixed",
    "a=msid-semantic",
    "a=sctp",
    "a=max-message-size",
};

static void check_no_webrtc_lines(const char *sdp)
{
    for (size_t i = 0; i < sizeof webrtc_only / sizeof webrtc_only[0]; i++) {
        if (has_prefix(sdp, webrtc_only[i])) fprintf(stderr, "  leaked: %s\n", webrtc_only[i]);
        CHECK(!has_prefix(sdp, webrtc_only[i]));
    }
    CHECK(!strstr(sdp, "SAVP"));
    CHECK(!strstr(sdp, "DTLS"));
}

TEST(to_ims_offer_chromium)
{
    char *out = NULL;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &ims_p, &out), SDPX_OK);
    /* The whole text: a regression here is a change on the wire toward IMS. */
    CHECK_STR(out, "v=0\r\n"
                   "o=- 3933184505356581751 2 IN IP4 127.0.10.3\r\n"
                   "s=-\r\n"
                   "c=IN IP4 127.0.10.3\r\n"
                   "t=0 0\r\n"
                   "m=audio 20002 RTP/AVP 0 8 126\r\n"
                   "b=AS:80\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n"
                   "a=sendrecv\r\n");
    check_no_webrtc_lines(out);
    CHECK(all_crlf(out));
    CHECK(sofia_parses(out, true));
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_RTP);
    sdpx_info_clear(&in);
    free(out);
}

TEST(to_ims_offer_opus_and_custom_lists)
{
    char *out = NULL;
    sdpx_ims_params p = ims_p;
    p.filter.allow_opus = true;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 111 0 8 110 126"));
    CHECK(has_line(out, "a=rtpmap:111 opus/48000/2"));
    CHECK(has_line(out, "a=fmtp:111 minptime=10;useinbandfec=1"));
    CHECK(has_line(out, "a=rtpmap:110 telephone-event/48000"));
    CHECK(!has_prefix(out, "a=rtpmap:63")); /* red: not on the list */
    CHECK(!has_prefix(out, "a=rtcp-fb"));
    check_no_webrtc_lines(out);
    CHECK(sofia_parses(out, true));
    free(out);

    static const char *const g722[] = {"G722/8000", "telephone-event/8000", NULL};
    p = ims_p;
    p.filter.allow = g722;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 9 126"));
    CHECK(has_line(out, "a=rtpmap:9 G722/8000"));
    free(out);

    /* telephone-event/48000 without opus: no codec at its rate, dropped (RFC 4733) */
    static const char *const te48[] = {"PCMU/8000", "telephone-event/48000", NULL};
    p.filter.allow = te48;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 0"));
    free(out);

    /* Firefox: other payload numbers, kept as offered */
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_FIREFOX_OFFER), &ims_p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 0 8 101"));
    CHECK(has_line(out, "a=rtpmap:101 telephone-event/8000"));
    CHECK(has_line(out, "a=fmtp:101 0-15"));
    CHECK(
        has_line(out, "o=mozilla...THIS_IS_SDPARTA-128.0 5381812418367036425 0 IN IP4 127.0.10.3"));
    check_no_webrtc_lines(out);
    free(out);
}

TEST(to_ims_offer_version_bandwidth_ipv6)
{
    char *out = NULL;
    sdpx_ims_params p = ims_p;
    p.o_version_add = 1;
    p.b_as = -1;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "o=- 3933184505356581751 3 IN IP4 127.0.10.3"));
    CHECK(!has_prefix(out, "b="));
    free(out);

    p = ims_p;
    p.b_as = 64;
    p.addr = "2001:db8::3";
    p.port = 30000;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "b=AS:64"));
    CHECK(has_line(out, "c=IN IP6 2001:db8::3"));
    CHECK(has_line(out, "o=- 3933184505356581751 2 IN IP6 2001:db8::3"));
    CHECK(has_line(out, "m=audio 30000 RTP/AVP 0 8 126"));
    CHECK(sofia_parses(out, true));
    free(out);
}

TEST(to_ims_offer_keeps_direction_and_ptime)
{
    /* Hold from the browser: a=sendonly. c=0.0.0.0 / port 9 are JSEP placeholders, not hold. */
    char buf[8192];
    const char *p = strstr(FX_CHROMIUM_OFFER, "a=sendrecv\r\n");
    snprintf(buf, sizeof buf, "%.*sa=sendonly\r\na=ptime:20\r\na=maxptime:60\r\n%s",
             (int)(p - FX_CHROMIUM_OFFER), FX_CHROMIUM_OFFER, p + strlen("a=sendrecv\r\n"));
    char *out = NULL;
    CHECK_INT(sdpx_to_ims_offer(LEN(buf), &ims_p, &out), SDPX_OK);
    CHECK(has_line(out, "a=sendonly"));
    CHECK(!has_line(out, "a=sendrecv"));
    CHECK(has_line(out, "a=ptime:20"));
    CHECK(has_line(out, "a=maxptime:60"));
    free(out);

    CHECK_INT(sdpx_to_ims_offer(LEN(FX_FIREFOX_OFFER), &ims_p, &out), SDPX_OK);
    CHECK(has_line(out, "a=sendrecv"));
    free(out);
}

TEST(to_ims_offer_drops_other_mlines)
{
    char *out = NULL;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROME_AV_OFFER), &ims_p, &out), SDPX_OK);
    CHECK_INT(count_prefix(out, "m="), 1); /* RFC 3264 §5: an offer may leave streams out */
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 0 8 126"));
    CHECK(!has_prefix(out, "m=video"));
    CHECK(!has_prefix(out, "m=application"));
    check_no_webrtc_lines(out);
    free(out);
}

TEST(to_ims_offer_errors)
{
    char *out = (char *)1;
    /* no audio */
    const char *video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                        "a=rtpmap:96 VP8/90000\r\n";
    CHECK_INT(sdpx_to_ims_offer(LEN(video), &ims_p, &out), SDPX_E_NO_AUDIO);
    CHECK(out == NULL);
    /* only opus (+ its telephone-event) offered, opus not allowed */
    const char *opus = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\n"
                       "a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n";
    CHECK_INT(sdpx_to_ims_offer(LEN(opus), &ims_p, &out), SDPX_E_NO_CODEC);
    /* SDES-SRTP is not ours */
    const char *sdes = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                       "m=audio 4000 RTP/SAVP 0\r\nc=IN IP4 10.0.0.1\r\n";
    CHECK_INT(sdpx_to_ims_offer(LEN(sdes), &ims_p, &out), SDPX_E_PROTO);
    /* garbage */
    CHECK_INT(sdpx_to_ims_offer(LEN("INVITE sip:bob@ims.lab SIP/2.0\r\n"), &ims_p, &out),
              SDPX_E_SYNTAX);
    CHECK(out == NULL);
    /* caller mistakes */
    sdpx_ims_params p = ims_p;
    p.port = 0;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_E_INVAL);
    p = ims_p;
    p.port = 70000;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_E_INVAL);
    p = ims_p;
    p.addr = NULL;
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_E_INVAL);
    p.addr = "127.0.10.3\r\na=evil";
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_E_INVAL);
    p.addr = "$";
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_E_INVAL);
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), NULL, &out), SDPX_E_INVAL);
    CHECK_INT(sdpx_to_ims_offer(LEN(FX_CHROMIUM_OFFER), &ims_p, NULL), SDPX_E_INVAL);
    CHECK(out == NULL);
}

TEST(to_wic_answer_chromium)
{
    char *out = NULL;
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
              SDPX_OK);
    /* SPECS.md §6.3, with the phone's telephone-event 101 mapped back to Chrome's 126. */
    CHECK_STR(out, "v=0\r\n"
                   "o=- 2890844526 2890844527 IN IP4 127.0.10.3\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "a=ice-lite\r\n"
                   "a=group:BUNDLE 0\r\n"
                   "m=audio 20000 UDP/TLS/RTP/SAVPF 0 126\r\n"
                   "c=IN IP4 127.0.10.3\r\n"
                   "a=mid:0\r\n"
                   "a=sendrecv\r\n"
                   "a=rtcp-mux\r\n"
                   "a=ice-ufrag:aG7k\r\n"
                   "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k\r\n"
                   "a=fingerprint:sha-256 4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:"
                   "1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:B6:9C\r\n"
                   "a=setup:active\r\n"
                   "a=candidate:1 1 udp 2130706431 127.0.10.3 20000 typ host\r\n"
                   "a=end-of-candidates\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n"
                   "a=fmtp:126 0-15\r\n"
                   "a=ptime:20\r\n");
    /* What Chrome requires of an answer (SPECS.md §6.2) */
    char pts[256];
    CHECK(mline_pts(out, "m=audio ", pts, sizeof pts));
    CHECK(pts_subset(pts, "111 63 9 0 8 13 110 126"));
    CHECK(!has_prefix(out, "a=ssrc"));
    CHECK(!has_prefix(out, "a=extmap"));
    CHECK(!has_prefix(out, "a=ice-options")); /* no trickle from the AGW */
    CHECK(!has_prefix(out, "a=msid"));
    CHECK(all_crlf(out));
    CHECK(sofia_parses(out, true));
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), 0, &in), SDPX_OK);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_OK);
    CHECK_STR(in.mid, "0");
    sdpx_info_clear(&in);
    free(out);
}

TEST(to_wic_answer_firefox_and_options)
{
    char *out = NULL;
    sdpx_wic_params p = {.o_version_add = 2, .msid = "agw-17 agw-17-audio"};
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_FIREFOX_OFFER), &p, &out),
              SDPX_OK);
    CHECK(has_line(out, "m=audio 20000 UDP/TLS/RTP/SAVPF 0 101"));
    CHECK(has_line(out, "a=rtpmap:101 telephone-event/8000"));
    CHECK(has_line(out, "a=group:BUNDLE 0"));
    CHECK(has_line(out, "a=msid:agw-17 agw-17-audio"));
    CHECK(has_line(out, "o=- 2890844526 2890844529 IN IP4 127.0.10.3"));
    CHECK(sofia_parses(out, true));
    free(out);

    p.msid = "bad\r\nmsid";
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_FIREFOX_OFFER), &p, &out),
              SDPX_E_INVAL);
}

TEST(to_wic_answer_mirrors_offer_mlines)
{
    char *out = NULL;
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_CHROME_AV_OFFER), &wic_p, &out),
              SDPX_OK);
    /* RFC 3264 §6: the offer's three m= lines, in order; video and data channel rejected */
    CHECK_INT(count_prefix(out, "m="), 3);
    CHECK(has_line(out, "m=audio 20000 UDP/TLS/RTP/SAVPF 0 126"));
    CHECK(has_line(out, "m=video 0 UDP/TLS/RTP/SAVPF 96 97"));
    CHECK(has_line(out, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"));
    CHECK(has_line(out, "a=mid:0") && has_line(out, "a=mid:1") && has_line(out, "a=mid:2"));
    const char *v = strstr(out, "m=video"), *a = strstr(out, "m=application");
    const char *au = strstr(out, "m=audio");
    CHECK(au && v && a && au < v && v < a);
    /* RFC 9143: rejected lines are not in the answerer's BUNDLE group */
    CHECK(has_line(out, "a=group:BUNDLE 0"));
    CHECK_INT(count_prefix(out, "a=candidate"), 1);
    CHECK(sofia_parses(out, true));
    free(out);
}

TEST(to_wic_answer_bundle_declined_when_audio_not_tagged)
{
    char buf[8192];
    const char *g = strstr(FX_CHROME_AV_OFFER, "a=group:BUNDLE 0 1 2");
    snprintf(buf, sizeof buf, "%.*sa=group:BUNDLE 1 0 2%s", (int)(g - FX_CHROME_AV_OFFER),
             FX_CHROME_AV_OFFER, g + strlen("a=group:BUNDLE 0 1 2"));
    char *out = NULL;
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN(buf), &wic_p, &out),
        SDPX_OK);
    CHECK(!has_prefix(out, "a=group"));
    CHECK(has_line(out, "a=mid:0"));
    free(out);

    /* an offer without BUNDLE gets an answer without BUNDLE */
    g = strstr(FX_CHROMIUM_OFFER, "a=group:BUNDLE 0\r\n");
    snprintf(buf, sizeof buf, "%.*s%s", (int)(g - FX_CHROMIUM_OFFER), FX_CHROMIUM_OFFER,
             g + strlen("a=group:BUNDLE 0\r\n"));
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN(buf), &wic_p, &out),
        SDPX_OK);
    CHECK(!has_prefix(out, "a=group"));
    free(out);
}

/* FX_CHROMIUM_OFFER with its a=setup replaced, and FX_AGW_LOCAL_ANSWER with its own. */
static sdpx_status answer_with_setups(const char *offer_setup, const char *agw_setup, char **out)
{
    char off[8192], agw[4096];
    const char *p = strstr(FX_CHROMIUM_OFFER, "a=setup:actpass\r\n");
    snprintf(off, sizeof off, "%.*s%s%s", (int)(p - FX_CHROMIUM_OFFER), FX_CHROMIUM_OFFER,
             offer_setup, p + strlen("a=setup:actpass\r\n"));
    p = strstr(FX_AGW_LOCAL_ANSWER, "a=setup:active\r\n");
    snprintf(agw, sizeof agw, "%.*s%s%s", (int)(p - FX_AGW_LOCAL_ANSWER), FX_AGW_LOCAL_ANSWER,
             agw_setup, p + strlen("a=setup:active\r\n"));
    return sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(agw), LEN(off), &wic_p, out);
}

TEST(to_wic_answer_dtls_roles)
{
    char *out = NULL;
    /* RFC 4145 §4 / RFC 5763 §5 */
    CHECK_INT(answer_with_setups("a=setup:active\r\n", "", &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:passive"));
    free(out);
    CHECK_INT(answer_with_setups("a=setup:passive\r\n", "", &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:active"));
    free(out);
    CHECK_INT(answer_with_setups("a=setup:actpass\r\n", "a=setup:passive\r\n", &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:passive"));
    free(out);
    CHECK_INT(answer_with_setups("a=setup:actpass\r\n", "a=setup:actpass\r\n", &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:active"));
    free(out);
    CHECK_INT(answer_with_setups("a=setup:active\r\n", "a=setup:active\r\n", &out), SDPX_E_DTLS);
    CHECK(out == NULL);
    CHECK_INT(answer_with_setups("a=setup:passive\r\n", "a=setup:passive\r\n", &out), SDPX_E_DTLS);
    CHECK_INT(answer_with_setups("a=setup:holdconn\r\n", "", &out), SDPX_E_DTLS);
}

TEST(to_wic_answer_synthesises_candidate)
{
    char agw[4096];
    const char *c = strstr(FX_AGW_LOCAL_ANSWER, "a=candidate:");
    const char *e = strstr(FX_AGW_LOCAL_ANSWER, "a=rtpmap:0");
    snprintf(agw, sizeof agw, "%.*s%s", (int)(c - FX_AGW_LOCAL_ANSWER), FX_AGW_LOCAL_ANSWER, e);
    char *out = NULL;
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(agw), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_OK);
    CHECK(has_line(out, "a=candidate:1 1 udp 2130706431 127.0.10.3 20000 typ host"));
    CHECK(has_line(out, "a=end-of-candidates"));
    free(out);
}

/* Replaces the first `from` of `src` by `to`. */
static const char *subst(char *buf, size_t cap, const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    if (!p) return "no-such-text";
    snprintf(buf, cap, "%.*s%s%s", (int)(p - src), src, to, p + strlen(from));
    return buf;
}

TEST(to_wic_answer_mirrors_offer_proto)
{
    char b[8192], *out = NULL;
    const char *s = subst(b, sizeof b, FX_CHROMIUM_OFFER, "UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN(s), &wic_p, &out),
        SDPX_OK);
    CHECK(has_line(out, "m=audio 20000 UDP/TLS/RTP/SAVP 0 126"));
    free(out);
}

TEST(to_wic_answer_errors)
{
    char b[8192], *out = (char *)1;
    const char *s;
    /* the phone rejected the audio */
    s = subst(b, sizeof b, FX_PHONE_ANSWER, "m=audio 10002", "m=audio 0");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(s), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_NO_AUDIO);
    CHECK(out == NULL);
    /* the phone answered a codec the browser never offered */
    s = subst(b, sizeof b, FX_PHONE_ANSWER, "RTP/AVP 0 101", "RTP/AVP 18");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(s), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_NO_CODEC);
    /* more m= lines than we offered */
    snprintf(b, sizeof b, "%sm=video 0 RTP/AVP 96\r\n", FX_PHONE_ANSWER);
    CHECK_INT(
        sdpx_to_wic_answer(LEN(b), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_MISMATCH);
    /* an AGW Local still holding "$" */
    s = subst(b, sizeof b, FX_AGW_LOCAL_ANSWER, "m=audio 20000", "m=audio $");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(s), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_INCOMPLETE);
    s = subst(b, sizeof b, FX_AGW_LOCAL_ANSWER, "a=ice-ufrag:aG7k", "a=ice-ufrag:$");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(s), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_INCOMPLETE);
    s = subst(b, sizeof b, FX_AGW_LOCAL_ANSWER, "c=IN IP4 127.0.10.3", "c=IN IP4 $");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(s), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_INCOMPLETE);
    /* AGW without a fingerprint */
    s = subst(b, sizeof b, FX_AGW_LOCAL_ANSWER, "a=fingerprint:", "a=x-fingerprint:");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(s), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_DTLS);
    /* browser offer without rtcp-mux / ICE password */
    s = subst(b, sizeof b, FX_CHROMIUM_OFFER, "a=rtcp-mux\r\n", "");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN(s), &wic_p, &out),
        SDPX_E_RTCP_MUX);
    s = subst(b, sizeof b, FX_CHROMIUM_OFFER, "a=ice-pwd:", "a=x-ice-pwd:");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN(s), &wic_p, &out),
        SDPX_E_ICE);
    /* the far side answered with SDES-SRTP (neither RTP/AVP nor WebRTC; a WebRTC answer is
     * the WIC-to-WIC case, test_sdp_w3w3.c) */
    s = subst(b, sizeof b, FX_PHONE_ANSWER, "RTP/AVP", "RTP/SAVP");
    CHECK_INT(
        sdpx_to_wic_answer(LEN(s), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &wic_p, &out),
        SDPX_E_PROTO);
    /* garbage in each position */
    CHECK_INT(sdpx_to_wic_answer(LEN("garbage"), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER),
                                 &wic_p, &out),
              SDPX_E_SYNTAX);
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN("v=0\r\nm=\r\n"), LEN(FX_CHROMIUM_OFFER),
                                 &wic_p, &out),
              SDPX_E_SYNTAX);
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), LEN("v=0\r\n"),
                                 &wic_p, &out),
              SDPX_E_SYNTAX);
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_CHROMIUM_OFFER), NULL, &out),
              SDPX_E_INVAL);
    CHECK(out == NULL);
}

TEST(to_wic_offer_from_phone)
{
    char *out = NULL;
    sdpx_wic_params p = {.o_version_add = 1};
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER), LEN(FX_AGW_LOCAL_OFFER), &p, &out), SDPX_OK);
    CHECK_STR(out, "v=0\r\n"
                   "o=- 1214338581 3614237428 IN IP4 127.0.10.3\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "a=ice-lite\r\n"
                   "a=group:BUNDLE 0\r\n"
                   "m=audio 20004 UDP/TLS/RTP/SAVPF 0 8 101\r\n"
                   "c=IN IP4 127.0.10.3\r\n"
                   "a=mid:0\r\n"
                   "a=sendrecv\r\n"
                   "a=rtcp-mux\r\n"
                   "a=ice-ufrag:Vd3x\r\n"
                   "a=ice-pwd:Zr9Qm2Kp7Ls4Wb1Nc6Yt8Hf\r\n"
                   "a=fingerprint:sha-256 4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:"
                   "1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:B6:9C\r\n"
                   "a=setup:actpass\r\n"
                   "a=candidate:1 1 udp 2130706431 127.0.10.3 20004 typ host\r\n"
                   "a=end-of-candidates\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:101 0-15\r\n"
                   "a=ptime:20\r\n");
    CHECK(!has_prefix(out, "m=video"));
    CHECK(sofia_parses(out, true));
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), 0, &in), SDPX_OK);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_OK);
    sdpx_info_clear(&in);
    free(out);

    p.filter.allow_opus = true;
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER), LEN(FX_AGW_LOCAL_OFFER), &p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20004 UDP/TLS/RTP/SAVPF 96 0 8 101"));
    CHECK(has_line(out, "a=rtpmap:96 opus/48000/2"));
    CHECK(has_line(out, "a=fmtp:96 stereo=1;sprop-stereo=1"));
    free(out);
}

TEST(to_wic_offer_renumbers_rtcp_clash)
{
    char *out = NULL;
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER_PT77), LEN(FX_AGW_LOCAL_OFFER), &wic_p, &out),
              SDPX_OK);
    /* RFC 5761 §4: 64..95 would be read as RTCP under rtcp-mux */
    CHECK(has_line(out, "m=audio 20004 UDP/TLS/RTP/SAVPF 8 96"));
    CHECK(has_line(out, "a=rtpmap:96 telephone-event/8000"));
    CHECK(has_line(out, "a=fmtp:96 0-16"));
    CHECK(!has_prefix(out, "a=rtpmap:77"));
    free(out);
}

TEST(to_wic_offer_errors)
{
    char b[8192], *out = (char *)1;
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER), LEN(FX_AGW_LOCAL_ANSWER), &wic_p, &out),
              SDPX_E_DTLS); /* RFC 5763 §5: an offer says actpass */
    CHECK(out == NULL);
    /* SDES-SRTP is neither side's (a WebRTC offer is WIC to WIC, test_sdp_w3w3.c) */
    const char *s =
        subst(b, sizeof b, FX_PHONE_OFFER, "m=audio 11036 RTP/AVP", "m=audio 11036 RTP/SAVP");
    CHECK_INT(sdpx_to_wic_offer(LEN(s), LEN(FX_AGW_LOCAL_OFFER), &wic_p, &out), SDPX_E_PROTO);
    s = subst(b, sizeof b, FX_PHONE_OFFER, "RTP/AVP 96 9 0 8 101", "RTP/AVP 96 9");
    CHECK_INT(sdpx_to_wic_offer(LEN(s), LEN(FX_AGW_LOCAL_OFFER), &wic_p, &out), SDPX_E_NO_CODEC);
    s = subst(b, sizeof b, FX_PHONE_OFFER, "m=audio 11036", "m=audio 0");
    CHECK_INT(sdpx_to_wic_offer(LEN(s), LEN(FX_AGW_LOCAL_OFFER), &wic_p, &out), SDPX_E_NO_AUDIO);
    s = subst(b, sizeof b, FX_AGW_LOCAL_OFFER, "a=ice-pwd:Zr9Qm2Kp7Ls4Wb1Nc6Yt8Hf",
              "a=ice-pwd:tooshort");
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER), LEN(s), &wic_p, &out), SDPX_E_ICE);
    CHECK(out == NULL);
}

TEST(to_ims_answer_from_chrome)
{
    char *out = NULL;
    /* IMS offer FX_PHONE_OFFER_PT77 -> WIC offer "8 96" -> Chrome answers "8 96" */
    CHECK_INT(sdpx_to_ims_answer(LEN(FX_CHROME_ANSWER), LEN(FX_PHONE_OFFER_PT77), &ims_p, &out),
              SDPX_OK);
    CHECK_STR(out, "v=0\r\n"
                   "o=- 6283528946221034470 2 IN IP4 127.0.10.3\r\n"
                   "s=-\r\n"
                   "c=IN IP4 127.0.10.3\r\n"
                   "t=0 0\r\n"
                   "m=audio 20002 RTP/AVP 8 77\r\n"
                   "b=AS:80\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:77 telephone-event/8000\r\n"
                   "a=fmtp:77 0-15\r\n"
                   "a=sendrecv\r\n");
    check_no_webrtc_lines(out);
    CHECK(sofia_parses(out, true));
    free(out);
}

TEST(to_ims_answer_rejects_unused_offer_lines)
{
    /* The phone offered audio + video; the WIC answered audio only. */
    char chrome[8192];
    const char *s = subst(chrome, sizeof chrome, FX_CHROME_ANSWER, "SAVPF 8 96", "SAVPF 0 8 101");
    CHECK(strstr(s, "SAVPF 0 8 101") != NULL);
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", s);
    s = subst(chrome, sizeof chrome, buf, "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15",
              "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15");
    char *out = NULL;
    CHECK_INT(sdpx_to_ims_answer(LEN(s), LEN(FX_PHONE_OFFER), &ims_p, &out), SDPX_OK);
    CHECK_INT(count_prefix(out, "m="), 2); /* RFC 3264 §6 */
    CHECK(has_line(out, "m=audio 20002 RTP/AVP 0 8 101"));
    CHECK(has_line(out, "m=video 0 RTP/AVP 97"));
    CHECK(strstr(out, "m=audio") < strstr(out, "m=video"));
    CHECK(pts_subset("0 8 101", "96 9 0 8 101"));
    check_no_webrtc_lines(out);
    CHECK(sofia_parses(out, true));
    free(out);
}

TEST(to_ims_answer_errors)
{
    char b[8192], *out = (char *)1;
    const char *s = subst(b, sizeof b, FX_CHROME_ANSWER, "m=audio 9", "m=audio 0");
    CHECK_INT(sdpx_to_ims_answer(LEN(s), LEN(FX_PHONE_OFFER_PT77), &ims_p, &out), SDPX_E_NO_AUDIO);
    CHECK(out == NULL);
    /* the WIC answered with a codec the phone did not offer */
    CHECK_INT(sdpx_to_ims_answer(LEN(FX_CHROME_ANSWER), LEN(FX_PHONE_ANSWER), &ims_p, &out),
              SDPX_E_NO_CODEC);
    snprintf(b, sizeof b, "%sm=video 0 UDP/TLS/RTP/SAVPF 96\r\n", FX_CHROME_ANSWER);
    CHECK_INT(sdpx_to_ims_answer(LEN(b), LEN(FX_PHONE_OFFER_PT77), &ims_p, &out), SDPX_E_MISMATCH);
    CHECK_INT(sdpx_to_ims_answer(LEN(FX_CHROME_ANSWER), LEN("v=0\r\nx=1\r\n"), &ims_p, &out),
              SDPX_E_SYNTAX);
    CHECK(out == NULL);
}

int main(void)
{
    RUN(to_ims_offer_chromium);
    RUN(to_ims_offer_opus_and_custom_lists);
    RUN(to_ims_offer_version_bandwidth_ipv6);
    RUN(to_ims_offer_keeps_direction_and_ptime);
    RUN(to_ims_offer_drops_other_mlines);
    RUN(to_ims_offer_errors);
    RUN(to_wic_answer_chromium);
    RUN(to_wic_answer_firefox_and_options);
    RUN(to_wic_answer_mirrors_offer_mlines);
    RUN(to_wic_answer_bundle_declined_when_audio_not_tagged);
    RUN(to_wic_answer_dtls_roles);
    RUN(to_wic_answer_synthesises_candidate);
    RUN(to_wic_answer_mirrors_offer_proto);
    RUN(to_wic_answer_errors);
    RUN(to_wic_offer_from_phone);
    RUN(to_wic_offer_renumbers_rtcp_clash);
    RUN(to_wic_offer_errors);
    RUN(to_ims_answer_from_chrome);
    RUN(to_ims_answer_rejects_unused_offer_lines);
    RUN(to_ims_answer_errors);
    UNIT_END("test_sdp_rewrite");
}
