/* Tests of the SDP the pcscf puts into Iq (H.248) Local/Remote descriptors (SPECS.md §4.3, §4.5):
 * "$" templates the AGW fills in, and the peers' SDP reduced to their audio line. */
#include "unit.h"
#include "sip/sdp_rewrite.h"
#include "sdp_fixtures.h"
#include "sdp_testutil.h"

#define LEN(s) (s), strlen(s)

static const sdpx_iq_params iq_p = {0};

TEST(w3_local_for_chromium_offer)
{
    char *out = NULL;
    CHECK_INT(sdpx_iq_w3_local(LEN(FX_CHROMIUM_OFFER), &iq_p, &out), SDPX_OK);
    CHECK_STR(out, "v=0\r\n"
                   "o=- 0 0 IN IP4 $\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "a=ice-lite\r\n"
                   "m=audio $ UDP/TLS/RTP/SAVPF 0 8 126\r\n"
                   "c=IN IP4 $\r\n"
                   "a=rtcp-mux\r\n"
                   "a=ice-ufrag:$\r\n"
                   "a=ice-pwd:$\r\n"
                   "a=fingerprint:sha-256 $\r\n"
                   "a=setup:active\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n");
    /* The AGW can read it back. */
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), SDPX_F_TEMPLATE, &in), SDPX_OK);
    CHECK(in.port_choose);
    CHECK_STR(in.addr, "$");
    CHECK_STR(in.ice_ufrag, "$");
    CHECK_STR(in.fp_value, "$");
    CHECK_INT(in.setup, SDPX_SETUP_ACTIVE);
    CHECK(in.ice_lite && in.rtcp_mux);
    CHECK_INT(in.n_codecs, 3);
    sdpx_info_clear(&in);
    free(out);
}

TEST(w3_local_roles_and_options)
{
    char b[8192], *out = NULL;
    /* the browser wants to be the DTLS client: we are passive (RFC 5763 §5) */
    const char *p = strstr(FX_CHROMIUM_OFFER, "a=setup:actpass");
    snprintf(b, sizeof b, "%.*sa=setup:active%s", (int)(p - FX_CHROMIUM_OFFER), FX_CHROMIUM_OFFER,
             p + strlen("a=setup:actpass"));
    CHECK_INT(sdpx_iq_w3_local(LEN(b), &iq_p, &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:passive"));
    free(out);

    /* configured role, full ICE, IPv6, opus */
    sdpx_iq_params q = {.setup = SDPX_SETUP_PASSIVE, .full_ice = true, .ipv6 = true};
    q.filter.allow_opus = true;
    CHECK_INT(sdpx_iq_w3_local(LEN(FX_CHROMIUM_OFFER), &q, &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:passive"));
    CHECK(!has_line(out, "a=ice-lite"));
    CHECK(has_line(out, "c=IN IP6 $"));
    CHECK(has_line(out, "o=- 0 0 IN IP6 $"));
    CHECK(has_line(out, "m=audio $ UDP/TLS/RTP/SAVPF 111 0 8 110 126"));
    CHECK(has_line(out, "a=fmtp:111 minptime=10;useinbandfec=1"));
    free(out);

    /* IMS-originated: the AGW will offer, actpass; payload types as toward the WIC */
    CHECK_INT(sdpx_iq_w3_local(LEN(FX_PHONE_OFFER_PT77), &iq_p, &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:actpass"));
    CHECK(has_line(out, "m=audio $ UDP/TLS/RTP/SAVPF 8 96"));
    CHECK(has_line(out, "a=rtpmap:96 telephone-event/8000"));
    free(out);
}

TEST(rtp_local_templates)
{
    char *out = NULL;
    CHECK_INT(sdpx_iq_rtp_local(LEN(FX_CHROMIUM_OFFER), &iq_p, &out), SDPX_OK);
    /* SPECS.md §4.5 (3): the same codecs and numbers sdpx_to_ims_offer() will offer */
    CHECK_STR(out, "v=0\r\n"
                   "c=IN IP4 $\r\n"
                   "m=audio $ RTP/AVP 0 8 126\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n");
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), SDPX_F_TEMPLATE, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_RTP);
    CHECK(in.port_choose);
    sdpx_info_clear(&in);
    free(out);

    /* IMS-originated: the phone's numbers, no renumbering on the RTP side */
    CHECK_INT(sdpx_iq_rtp_local(LEN(FX_PHONE_OFFER_PT77), &iq_p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio $ RTP/AVP 8 77"));
    CHECK(has_line(out, "a=fmtp:77 0-16"));
    free(out);

    CHECK_INT(sdpx_iq_rtp_local(LEN(FX_PHONE_OFFER), &iq_p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio $ RTP/AVP 0 8 101"));
    CHECK(has_line(out, "a=ptime:20"));
    free(out);
}

TEST(w3_remote_from_browser)
{
    char *out = NULL;
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_CHROMIUM_OFFER), NULL, &out), SDPX_OK);
    CHECK(has_line(out, "o=- 3933184505356581751 2 IN IP4 127.0.0.1"));
    CHECK(has_line(out, "m=audio 59562 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126"));
    CHECK(has_line(out, "c=IN IP4 127.0.0.1"));
    CHECK(has_line(out, "a=rtcp-mux"));
    CHECK(has_line(out, "a=ice-ufrag:kNbi"));
    CHECK(has_line(out, "a=ice-pwd:8Ina7z7wltuI6NY0R4d8AjUj"));
    CHECK(has_line(out, "a=fingerprint:sha-256 7E:8F:16:C1:28:CD:F5:D1:C6:2F:09:99:51:D0:2D:9C:"
                        "9B:DE:42:47:1E:38:AA:AE:BE:36:58:45:40:3F:FD:9C"));
    CHECK(has_line(out, "a=setup:actpass"));
    CHECK_INT(count_prefix(out, "a=candidate:"), 2);
    CHECK(has_line(out, "a=rtpmap:111 opus/48000/2"));
    CHECK(has_line(out, "a=sendrecv"));
    CHECK_INT(count_prefix(out, "m="), 1);
    CHECK(!has_prefix(out, "a=ssrc") && !has_prefix(out, "a=extmap") && !has_prefix(out, "a=msid"));
    CHECK(!has_prefix(out, "a=group") && !has_prefix(out, "a=mid"));
    CHECK(sofia_parses(out, true));
    free(out);

    /* filtered, from the audio+video+data offer, with session-level values folded in */
    sdpx_codec_filter f = {0};
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_CHROME_AV_OFFER), &f, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 126"));
    CHECK_INT(count_prefix(out, "m="), 1);
    free(out);
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_FIREFOX_OFFER), &f, &out), SDPX_OK);
    CHECK(has_prefix(out, "a=fingerprint:sha-256 3B:91:6D"));
    CHECK(has_line(out, "a=fmtp:101 0-15"));
    free(out);

    /* Chrome's answer (terminating case) */
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_CHROME_ANSWER), NULL, &out), SDPX_OK);
    CHECK(has_line(out, "a=setup:active"));
    CHECK(has_line(out, "m=audio 9 UDP/TLS/RTP/SAVPF 8 96"));
    free(out);
}

TEST(rtp_remote_from_phone)
{
    char *out = NULL;
    CHECK_INT(sdpx_iq_rtp_remote(LEN(FX_PHONE_ANSWER), NULL, &out), SDPX_OK);
    CHECK_STR(out, "v=0\r\n"
                   "o=- 2890844526 2890844527 IN IP4 127.0.10.20\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "m=audio 10002 RTP/AVP 0 101\r\n"
                   "c=IN IP4 127.0.10.20\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:101 0-15\r\n"
                   "a=ptime:20\r\n"
                   "a=sendrecv\r\n");
    CHECK(sofia_parses(out, true));
    free(out);

    const char *rtcp = "v=0\r\no=- 5 5 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\n"
                       "m=audio 30000 RTP/AVP 8\r\nc=IN IP4 10.1.1.1\r\na=rtcp:30011\r\n"
                       "a=recvonly\r\n";
    CHECK_INT(sdpx_iq_rtp_remote(LEN(rtcp), NULL, &out), SDPX_OK);
    CHECK(has_line(out, "a=rtcp:30011"));
    CHECK(has_line(out, "a=recvonly"));
    CHECK(has_line(out, "a=rtpmap:8 PCMA/8000"));
    free(out);

    /* video dropped, all audio codecs kept without a filter */
    CHECK_INT(sdpx_iq_rtp_remote(LEN(FX_PHONE_OFFER), NULL, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 11036 RTP/AVP 96 9 0 8 101"));
    CHECK_INT(count_prefix(out, "m="), 1);
    CHECK(!has_prefix(out, "a=ssrc") && !has_prefix(out, "a=label") && !has_prefix(out, "b="));
    free(out);
}

TEST(iq_errors)
{
    char *out = (char *)1;
    CHECK_INT(sdpx_iq_w3_local(LEN("nonsense"), &iq_p, &out), SDPX_E_SYNTAX);
    CHECK(out == NULL);
    CHECK_INT(sdpx_iq_w3_local(LEN(FX_CHROMIUM_OFFER), NULL, &out), SDPX_E_INVAL);
    CHECK_INT(sdpx_iq_rtp_local(LEN(FX_CHROMIUM_OFFER), NULL, &out), SDPX_E_INVAL);
    const char *opus_only = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                            "a=rtpmap:111 opus/48000/2\r\n";
    CHECK_INT(sdpx_iq_w3_local(LEN(opus_only), &iq_p, &out), SDPX_E_NO_CODEC);
    CHECK_INT(sdpx_iq_rtp_local(LEN(opus_only), &iq_p, &out), SDPX_E_NO_CODEC);
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_PHONE_ANSWER), NULL, &out), SDPX_E_PROTO);
    CHECK_INT(sdpx_iq_rtp_remote(LEN(FX_CHROMIUM_OFFER), NULL, &out), SDPX_E_PROTO);
    const char *nofp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtcp-mux\r\n"
                       "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
                       "a=setup:actpass\r\n";
    CHECK_INT(sdpx_iq_w3_remote(LEN(nofp), NULL, &out), SDPX_E_DTLS);
    const char *video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "m=video 5000 RTP/AVP 96\r\nc=IN IP4 10.0.0.1\r\n";
    CHECK_INT(sdpx_iq_rtp_remote(LEN(video), NULL, &out), SDPX_E_NO_AUDIO);
    CHECK_INT(sdpx_iq_rtp_local(LEN(video), &iq_p, &out), SDPX_E_NO_AUDIO);
    CHECK(out == NULL);
}

int main(void)
{
    RUN(w3_local_for_chromium_offer);
    RUN(w3_local_roles_and_options);
    RUN(rtp_local_templates);
    RUN(w3_remote_from_browser);
    RUN(rtp_remote_from_phone);
    RUN(iq_errors);
    UNIT_END("test_sdp_iq");
}
