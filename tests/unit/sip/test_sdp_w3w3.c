/* WIC to WIC through the AGW (both legs anchored, two W3 terminations): the SDP toward the far
 * WIC is built from the caller's WebRTC offer and the second W3 termination's Local, the answer
 * toward the caller from the far WIC's WebRTC answer; and the Remote descriptors keep what the
 * offerer said about ICE-lite and the DTLS role (an AGW's own offer coming back through the
 * wtpf on a diverted call). Byte for byte: these are the SDP the browsers and the AGW get. */
#include "unit.h"
#include "sip/sdp_rewrite.h"
#include "sdp_fixtures.h"
#include "sdp_testutil.h"

#define LEN(s) (s), strlen(s)

/* The far WIC (Chromium) answering the offer of to_far_wic_offer(): PCMU and telephone-event. */
#define FX_FAR_WIC_ANSWER                                                                          \
    "v=0\r\n"                                                                                      \
    "o=- 7115389720045312284 2 IN IP4 127.0.0.1\r\n"                                               \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=group:BUNDLE 0\r\n"                                                                         \
    "a=msid-semantic: WMS 4f1c2d3e-5a6b-4c7d-8e9f-a0b1c2d3e4f5\r\n"                                \
    "m=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\n"                                                        \
    "c=IN IP4 0.0.0.0\r\n"                                                                         \
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"                                                                  \
    "a=ice-ufrag:Tq7w\r\n"                                                                         \
    "a=ice-pwd:Xy4Lm9Qr2Vs8Kd1Pa6Hn3Bc0\r\n"                                                       \
    "a=ice-options:trickle\r\n"                                                                    \
    "a=fingerprint:sha-256 "                                                                       \
    "5C:92:1E:A8:37:F4:06:DB:61:2A:C9:83:E0:7B:14:5F:A6:D2:38:C1:9E:04:7A:B5:63:F8:2D:91:0E:C7:"   \
    "4B:E6\r\n"                                                                                    \
    "a=setup:active\r\n"                                                                           \
    "a=mid:0\r\n"                                                                                  \
    "a=sendrecv\r\n"                                                                               \
    "a=msid:4f1c2d3e-5a6b-4c7d-8e9f-a0b1c2d3e4f5 9e8d7c6b-5a49-4382-a716-f5e4d3c2b1a0\r\n"         \
    "a=rtcp-mux\r\n"                                                                               \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:126 telephone-event/8000\r\n"                                                        \
    "a=ssrc:1405736192 cname:ZmFyd2ljY25hbWUx\r\n"

/* The second W3 termination's Local as the AGW returns it (template of w3_local_far_side()). */
#define FX_AGW_LOCAL_FAR                                                                           \
    "v=0\r\n"                                                                                      \
    "o=- 0 0 IN IP4 127.0.10.3\r\n"                                                                \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=ice-lite\r\n"                                                                               \
    "m=audio 20006 UDP/TLS/RTP/SAVPF 0 8 126\r\n"                                                  \
    "c=IN IP4 127.0.10.3\r\n"                                                                      \
    "a=rtcp-mux\r\n"                                                                               \
    "a=ice-ufrag:Pw2e\r\n"                                                                         \
    "a=ice-pwd:Gh5Jk8Lz1Xc4Vb7Nm0Qw3Er6\r\n"                                                       \
    "a=fingerprint:sha-256 "                                                                       \
    "4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:"   \
    "B6:9C\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=tls-id:0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n"                                                \
    "a=candidate:1 1 udp 2130706431 127.0.10.3 20006 typ host\r\n"                                 \
    "a=end-of-candidates\r\n"                                                                      \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:126 telephone-event/8000\r\n"

#define FX_OFFER_TO_FAR_WIC                                                                        \
    "v=0\r\n"                                                                                      \
    "o=- 3933184505356581751 2 IN IP4 127.0.10.3\r\n"                                              \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "a=ice-lite\r\n"                                                                               \
    "a=group:BUNDLE 0\r\n"                                                                         \
    "m=audio 20006 UDP/TLS/RTP/SAVPF 0 8 126\r\n"                                                  \
    "c=IN IP4 127.0.10.3\r\n"                                                                      \
    "a=mid:0\r\n"                                                                                  \
    "a=sendrecv\r\n"                                                                               \
    "a=rtcp-mux\r\n"                                                                               \
    "a=ice-ufrag:Pw2e\r\n"                                                                         \
    "a=ice-pwd:Gh5Jk8Lz1Xc4Vb7Nm0Qw3Er6\r\n"                                                       \
    "a=fingerprint:sha-256 "                                                                       \
    "4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:"   \
    "B6:9C\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=tls-id:0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n"                                                \
    "a=candidate:1 1 udp 2130706431 127.0.10.3 20006 typ host\r\n"                                 \
    "a=end-of-candidates\r\n"                                                                      \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:126 telephone-event/8000\r\n"

TEST(w3_local_far_side)
{
    /* The far W3's template: the caller's codecs, payload types unchanged, and actpass (we
     * offer toward the far WIC) although the source is a WebRTC offer. */
    sdpx_iq_params p = {.setup = SDPX_SETUP_ACTPASS};
    char *out = NULL;
    CHECK_INT(sdpx_iq_w3_local(LEN(FX_CHROMIUM_OFFER), &p, &out), SDPX_OK);
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
                   "a=setup:actpass\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n");
    free(out);
}

TEST(to_far_wic_offer)
{
    char *out = NULL;
    sdpx_wic_params p = {0};
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_CHROMIUM_OFFER), LEN(FX_AGW_LOCAL_FAR), &p, &out), SDPX_OK);
    /* The AGW's address, ICE-lite credentials, fingerprint and actpass; the caller's codecs
     * with its numbers; nothing of the caller's own transport (ufrag kNbi, fingerprint 7E:8F,
     * its candidates, msid, ssrc). */
    CHECK_STR(out, FX_OFFER_TO_FAR_WIC);
    CHECK(!strstr(out, "kNbi") && !strstr(out, "7E:8F") && !strstr(out, "127.0.0.1"));
    CHECK(sofia_parses(out, true));
    sdpx_info in;
    CHECK_INT(sdpx_classify(LEN(out), 0, &in), SDPX_OK);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_OK);
    CHECK_INT(in.setup, SDPX_SETUP_ACTPASS);
    sdpx_info_clear(&in);
    free(out);
    /* A W3 Local that says another role than actpass cannot make an offer (RFC 5763 §5). */
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_CHROMIUM_OFFER), LEN(FX_AGW_LOCAL_ANSWER), &p, &out),
              SDPX_E_DTLS);
    /* Firefox as the caller: opus is filtered out, G.711 and telephone-event/8000 kept. */
    CHECK_INT(sdpx_to_wic_offer(LEN(FX_FIREFOX_OFFER), LEN(FX_AGW_LOCAL_FAR), &p, &out), SDPX_OK);
    CHECK(has_line(out, "m=audio 20006 UDP/TLS/RTP/SAVPF 0 8 101"));
    CHECK(has_line(out, "a=rtpmap:101 telephone-event/8000"));
    CHECK(has_line(out, "a=fmtp:101 0-15"));
    free(out);
}

TEST(answer_to_caller_from_far_wic)
{
    char *out = NULL;
    sdpx_wic_params p = {0};
    CHECK_INT(sdpx_to_wic_answer(LEN(FX_FAR_WIC_ANSWER), LEN(FX_AGW_LOCAL_ANSWER),
                                 LEN(FX_CHROMIUM_OFFER), &p, &out),
              SDPX_OK);
    /* The caller's W3 (a=setup:active, its ufrag aG7k), the far WIC's codec choice and o=. */
    CHECK_STR(out, "v=0\r\n"
                   "o=- 7115389720045312284 2 IN IP4 127.0.10.3\r\n"
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
                   "a=rtpmap:126 telephone-event/8000\r\n");
    CHECK(!strstr(out, "Tq7w") && !strstr(out, "5C:92") && !strstr(out, "msid"));
    CHECK(sofia_parses(out, true));
    free(out);
    /* The far WIC answered on hold: the direction goes through. */
    char b[4096];
    snprintf(b, sizeof b, "%s", FX_FAR_WIC_ANSWER);
    char *d = strstr(b, "a=sendrecv");
    memcpy(d, "a=recvonly", 10);
    CHECK_INT(
        sdpx_to_wic_answer(LEN(b), LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &p, &out),
        SDPX_OK);
    CHECK(has_line(out, "a=recvonly"));
    free(out);
}

TEST(remote_keeps_lite_and_role)
{
    /* An AGW's own offer coming back through the wtpf (a diverted call): the Remote given to
     * the next W3 termination says ice-lite and actpass, as the offer did. */
    char *out = NULL;
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_OFFER_TO_FAR_WIC), NULL, &out), SDPX_OK);
    CHECK_STR(out, "v=0\r\n"
                   "o=- 3933184505356581751 2 IN IP4 127.0.10.3\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "a=ice-lite\r\n"
                   "m=audio 20006 UDP/TLS/RTP/SAVPF 0 8 126\r\n"
                   "c=IN IP4 127.0.10.3\r\n"
                   "a=sendrecv\r\n"
                   "a=rtcp-mux\r\n"
                   "a=ice-ufrag:Pw2e\r\n"
                   "a=ice-pwd:Gh5Jk8Lz1Xc4Vb7Nm0Qw3Er6\r\n"
                   "a=fingerprint:sha-256 4A:1F:0B:77:C2:9E:51:D8:3A:6F:E0:12:8B:44:F9:2C:D5:70:"
                   "1E:A3:66:BD:08:C4:93:5E:7A:21:FF:0D:B6:9C\r\n"
                   "a=setup:actpass\r\n"
                   "a=tls-id:0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n"
                   "a=candidate:1 1 udp 2130706431 127.0.10.3 20006 typ host\r\n"
                   "a=end-of-candidates\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:126 telephone-event/8000\r\n");
    free(out);
    /* ... and a browser's answer says neither: no a=ice-lite, its own role. */
    CHECK_INT(sdpx_iq_w3_remote(LEN(FX_FAR_WIC_ANSWER), NULL, &out), SDPX_OK);
    CHECK(!has_line(out, "a=ice-lite"));
    CHECK(has_line(out, "a=setup:active"));
    CHECK(has_line(out, "a=ice-ufrag:Tq7w"));
    free(out);
}

int main(void)
{
    RUN(w3_local_far_side);
    RUN(to_far_wic_offer);
    RUN(answer_to_caller_from_far_wic);
    RUN(remote_keeps_lite_and_role);
    UNIT_END("test_sdp_w3w3");
}
