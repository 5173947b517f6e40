/* Tests of sdpx_classify(): what the pcscf and the AGW learn from real browser and phone SDP,
 * and that malformed input gets an error code instead of a crash or a hang. */
#include "unit.h"
#include "sip/sdp_rewrite.h"
#include "sdp_fixtures.h"
#include "sdp_testutil.h"

#define CLASSIFY(text, flags, info) sdpx_classify((text), strlen(text), (flags), (info))

TEST(chromium_fixture_matches_testdata_file)
{
    FILE *f = fopen(FX_CHROMIUM_OFFER_PATH, "rb");
    if (!f) {
        printf("     (%s absent: embedded copy only)\n", FX_CHROMIUM_OFFER_PATH);
        return;
    }
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK_INT(n, strlen(FX_CHROMIUM_OFFER));
    CHECK(n == strlen(FX_CHROMIUM_OFFER) && memcmp(buf, FX_CHROMIUM_OFFER, n) == 0);
}

TEST(classify_chromium_offer)
{
    sdpx_info in;
    CHECK_INT(CLASSIFY(FX_CHROMIUM_OFFER, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_WEBRTC);
    CHECK_INT(in.n_mlines, 1);
    CHECK_INT(in.audio, 0);
    CHECK_STR(in.proto, "UDP/TLS/RTP/SAVPF");
    CHECK_STR(in.addr, "127.0.0.1");
    CHECK_INT(in.port, 59562);
    CHECK_STR(in.o_user, "-");
    CHECK(in.o_id == 3933184505356581751ULL);
    CHECK_INT(in.o_version, 2);
    CHECK_INT(in.dir, SDPX_DIR_SENDRECV);
    static const unsigned pts[] = {111, 63, 9, 0, 8, 13, 110, 126};
    static const char *names[] = {
        "opus", "red", "G722", "PCMU", "PCMA", "CN", "telephone-event", "telephone-event"};
    static const unsigned rates[] = {48000, 48000, 8000, 8000, 8000, 8000, 48000, 8000};
    CHECK_INT(in.n_codecs, 8);
    for (size_t i = 0; i < 8 && i < in.n_codecs; i++) {
        CHECK_INT(in.codecs[i].pt, pts[i]);
        CHECK_STR(in.codecs[i].name, names[i]);
        CHECK_INT(in.codecs[i].rate, rates[i]);
    }
    CHECK_INT(in.codecs[0].channels, 2);
    CHECK_STR(in.codecs[0].fmtp, "minptime=10;useinbandfec=1");
    CHECK_INT(in.codecs[3].channels, 1);
    CHECK(in.codecs[3].fmtp == NULL);
    CHECK_STR(in.ice_ufrag, "kNbi");
    CHECK_STR(in.ice_pwd, "8Ina7z7wltuI6NY0R4d8AjUj");
    CHECK_STR(in.ice_options, "trickle");
    CHECK(!in.ice_lite);
    CHECK_INT(in.n_cands, 2);
    CHECK_STR(in.cands[0], "927872897 1 udp 2122260223 127.0.0.1 59562 typ host generation 0 "
                           "network-id 1 network-cost 50");
    CHECK(!in.end_of_candidates);
    CHECK_STR(in.fp_hash, "sha-256");
    CHECK_STR(in.fp_value, "7E:8F:16:C1:28:CD:F5:D1:C6:2F:09:99:51:D0:2D:9C:9B:DE:42:47:1E:38:"
                           "AA:AE:BE:36:58:45:40:3F:FD:9C");
    CHECK_INT(in.setup, SDPX_SETUP_ACTPASS);
    CHECK(in.rtcp_mux);
    CHECK(in.rtcp_rsize);
    CHECK(!in.rtcp_mux_only);
    CHECK_STR(in.mid, "0");
    CHECK_STR(in.bundle, "0");
    CHECK_INT(in.rtcp_port, 9);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_OK);
    sdpx_info_clear(&in);
    CHECK(in.ice_ufrag == NULL && in.n_codecs == 0 && in.audio == -1);
}

TEST(classify_firefox_session_level_values)
{
    sdpx_info in;
    CHECK_INT(CLASSIFY(FX_FIREFOX_OFFER, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_WEBRTC);
    CHECK_STR(in.o_user, "mozilla...THIS_IS_SDPARTA-128.0");
    /* fingerprint and ice-options only at session level: folded into the audio line */
    CHECK_STR(in.fp_hash, "sha-256");
    CHECK(in.fp_value && strncmp(in.fp_value, "3B:91:6D", 8) == 0);
    CHECK_STR(in.ice_options, "trickle");
    CHECK_STR(in.ice_ufrag, "8f3a2b1c");
    CHECK_INT(in.n_codecs, 5);
    CHECK_INT(in.codecs[0].pt, 109);
    CHECK_STR(in.codecs[0].name, "opus");
    CHECK_INT(in.codecs[0].channels, 2);
    CHECK_STR(in.codecs[0].fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1"); /* fmtp first */
    CHECK_STR(in.codecs[1].name, "G722");
    CHECK_INT(in.codecs[1].channels, 1); /* "G722/8000/1" */
    CHECK_INT(in.codecs[4].pt, 101);
    CHECK_STR(in.codecs[4].fmtp, "0-15");
    CHECK_STR(in.addr, "0.0.0.0"); /* JSEP placeholder, not hold (SPECS.md §3.3) */
    CHECK_INT(in.dir, SDPX_DIR_SENDRECV);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_OK);
    sdpx_info_clear(&in);
}

TEST(classify_chrome_audio_video_data)
{
    sdpx_info in;
    CHECK_INT(CLASSIFY(FX_CHROME_AV_OFFER, 0, &in), SDPX_OK);
    CHECK_INT(in.n_mlines, 3);
    CHECK_INT(in.audio, 0);
    CHECK_STR(in.bundle, "0 1 2");
    CHECK_STR(in.mlines[1].media, "video");
    CHECK_STR(in.mlines[1].fmts, "96 97");
    CHECK_STR(in.mlines[1].mid, "1");
    CHECK_STR(in.mlines[2].media, "application");
    CHECK_STR(in.mlines[2].proto, "UDP/DTLS/SCTP");
    CHECK_STR(in.mlines[2].fmts, "webrtc-datachannel");
    CHECK_STR(in.mlines[2].mid, "2");
    CHECK_INT(in.port, 9);
    sdpx_info_clear(&in);
}

TEST(classify_phone_offer)
{
    sdpx_info in;
    CHECK_INT(CLASSIFY(FX_PHONE_OFFER, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_RTP);
    CHECK_INT(in.n_mlines, 2);
    CHECK_INT(in.audio, 0);
    CHECK_STR(in.proto, "RTP/AVP");
    CHECK_STR(in.addr, "127.0.10.20"); /* session-level c= */
    CHECK_INT(in.port, 11036);
    CHECK_INT(in.n_codecs, 5);
    CHECK_STR(in.codecs[0].name, "opus");
    CHECK_INT(in.codecs[0].channels, 2);
    CHECK_STR(in.codecs[0].fmtp, "stereo=1;sprop-stereo=1");
    CHECK_STR(in.codecs[2].name, "PCMU");
    CHECK_INT(in.codecs[4].pt, 101);
    CHECK_STR(in.codecs[4].fmtp, "0-15");
    CHECK_INT(in.ptime, 20);
    CHECK_INT(in.dir, SDPX_DIR_SENDRECV);
    CHECK(in.ice_ufrag == NULL && in.fp_hash == NULL && in.setup == SDPX_SETUP_NONE);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_E_PROTO);
    CHECK_STR(in.mlines[1].media, "video");
    CHECK_INT(in.mlines[1].port, 11038);
    sdpx_info_clear(&in);
}

TEST(classify_static_pts_without_rtpmap_and_direction)
{
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
                      "m=audio 4000 RTP/AVP 8 0 98\r\nc=IN IP4 10.0.0.1\r\n";
    sdpx_info in;
    CHECK_INT(CLASSIFY(sdp, 0, &in), SDPX_OK);
    CHECK_INT(in.n_codecs, 3);
    CHECK_STR(in.codecs[0].name, "PCMA"); /* RFC 3551 static type */
    CHECK_INT(in.codecs[0].rate, 8000);
    CHECK_STR(in.codecs[2].name, "");     /* dynamic type without rtpmap */
    CHECK_INT(in.dir, SDPX_DIR_RECVONLY); /* session-level direction */
    sdpx_info_clear(&in);

    const char *avpf = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\na=sendonly\r\n"
                       "m=audio 4000 RTP/AVPF 8 101\r\nc=IN IP4 10.0.0.1\r\na=inactive\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n";
    CHECK_INT(CLASSIFY(avpf, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_RTP);
    CHECK_INT(in.dir, SDPX_DIR_INACTIVE); /* media level wins */
    CHECK_INT(in.n_codecs, 2);
    CHECK_STR(in.codecs[1].name, "telephone-event");
    sdpx_info_clear(&in);
}

TEST(classify_no_active_audio)
{
    sdpx_info in;
    const char *video = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "m=video 5000 RTP/AVP 96\r\nc=IN IP4 10.0.0.1\r\n"
                        "a=rtpmap:96 H264/90000\r\n";
    CHECK_INT(CLASSIFY(video, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_NONE);
    CHECK_INT(in.audio, -1);
    CHECK_INT(in.n_mlines, 1);
    sdpx_info_clear(&in);

    const char *port0 = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "m=audio 0 RTP/AVP 0\r\nm=audio 7000 RTP/AVP 8\r\nc=IN IP4 10.0.0.1\r\n";
    CHECK_INT(CLASSIFY(port0, 0, &in), SDPX_OK);
    CHECK_INT(in.audio, 1); /* the first audio line with a port */
    CHECK_INT(in.port, 7000);
    CHECK_INT(in.mlines[0].port, 0);
    sdpx_info_clear(&in);

    CHECK_INT(CLASSIFY("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n", 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_NONE);
    CHECK_INT(in.n_mlines, 0);
    sdpx_info_clear(&in);
}

TEST(classify_other_transports)
{
    sdpx_info in;
    const char *sdes =
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 10.0.0.1\r\n"
        "m=audio 4000 RTP/SAVP 0\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
    CHECK_INT(CLASSIFY(sdes, 0, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_OTHER);
    CHECK_INT(in.n_codecs, 0);
    sdpx_info_clear(&in);
}

TEST(classify_iq_template)
{
    /* The AGW parses the pcscf's Local templates: "$" = "you choose" (SPECS.md §4.3). */
    const char *tmpl = "v=0\r\no=- 0 0 IN IP4 $\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"
                       "m=audio $ UDP/TLS/RTP/SAVPF 0 126\r\nc=IN IP4 $\r\na=rtcp-mux\r\n"
                       "a=ice-ufrag:$\r\na=ice-pwd:$\r\na=fingerprint:sha-256 $\r\n"
                       "a=setup:active\r\na=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:126 telephone-event/8000\r\n";
    sdpx_info in;
    CHECK_INT(CLASSIFY(tmpl, 0, &in), SDPX_E_SYNTAX); /* not without the flag */
    CHECK_INT(CLASSIFY(tmpl, SDPX_F_TEMPLATE, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_WEBRTC);
    CHECK_INT(in.audio, 0);
    CHECK(in.port_choose);
    CHECK_INT(in.port, 0);
    CHECK_STR(in.addr, "$");
    CHECK_STR(in.o_addr, "$");
    CHECK_STR(in.ice_ufrag, "$");
    CHECK_STR(in.ice_pwd, "$");
    CHECK_STR(in.fp_hash, "sha-256");
    CHECK_STR(in.fp_value, "$");
    CHECK(in.ice_lite);
    CHECK_INT(in.setup, SDPX_SETUP_ACTIVE);
    CHECK_INT(in.n_codecs, 2);
    CHECK_INT(sdpx_check_webrtc(&in), SDPX_E_ICE);
    sdpx_info_clear(&in);

    /* The core Local has no o=/s=/t= (SPECS.md §4.5 (3)). */
    const char *core = "v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0 101\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\n";
    CHECK_INT(CLASSIFY(core, 0, &in), SDPX_E_SYNTAX);
    CHECK_INT(CLASSIFY(core, SDPX_F_TEMPLATE, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_RTP);
    CHECK(in.port_choose);
    CHECK(in.o_user == NULL);
    CHECK_INT(in.n_codecs, 2);
    sdpx_info_clear(&in);

    /* The AGW's reply to the core Local, no o=: lenient parsing. */
    const char *reply = "v=0\r\nc=IN IP4 127.0.10.3\r\nm=audio 20002 RTP/AVP 0 101\r\n"
                        "a=rtpmap:101 telephone-event/8000\r\n";
    CHECK_INT(CLASSIFY(reply, 0, &in), SDPX_E_SYNTAX);
    CHECK_INT(CLASSIFY(reply, SDPX_F_LENIENT, &in), SDPX_OK);
    CHECK_INT(in.port, 20002);
    CHECK(!in.port_choose);
    sdpx_info_clear(&in);
}

TEST(classify_rejects_garbage)
{
    sdpx_info in;
    static const char *bad[] = {
        "",
        "hello world",
        "v=0",
        "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
        "o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n",
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nx\r\n",    /* one-character line */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm\r\n",    /* idem, last line */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n   \r\n",  /* blank line stops sofia */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n a=x\r\n", /* indented line */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nA=x\r\n",
        /* a format that is no token: the Debian sofia-sip loops forever on it */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 X/Y @\r\nc=IN IP4 1.2.3.4\r\n",
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP\r\n", /* no format */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0 200\r\n"
        "c=IN IP4 1.2.3.4\r\n", /* PT > 127 */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 abc\r\n"
        "c=IN IP4 1.2.3.4\r\n", /* PT not a number */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "c=IN IP4 1.2.3.4\r\na=rtpmap:96 opus\r\n",                           /* no clock rate */
        "v=0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n", /* no o= */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n", /* no c= */
        "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nc=IN IP4\r\nm=audio 9 RTP/AVP 0\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sdpx_status st = CLASSIFY(bad[i], 0, &in);
        if (st != SDPX_E_SYNTAX) fprintf(stderr, "  bad[%zu] -> %s\n", i, sdpx_strerror(st));
        CHECK_INT(st, SDPX_E_SYNTAX);
        CHECK(in.audio == -1 && in.n_mlines == 0 && in.o_user == NULL);
    }
    /* an embedded NUL */
    const char nul[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\0\r\nt=0 0\r\n";
    CHECK_INT(sdpx_classify(nul, sizeof nul - 1, 0, &in), SDPX_E_SYNTAX);
    CHECK_INT(sdpx_classify(NULL, 10, 0, &in), SDPX_E_INVAL);
    CHECK_INT(sdpx_classify("v=0", 3, 0, NULL), SDPX_E_INVAL);
}

TEST(classify_limits)
{
    sdpx_info in;
    /* larger than SDPX_MAX_SDP */
    size_t big = SDPX_MAX_SDP + 100;
    char *b = malloc(big + 1);
    memset(b, 'a', big);
    memcpy(b, "v=0\r\ni=", 7);
    b[big] = '\0';
    CHECK_INT(sdpx_classify(b, big, 0, &in), SDPX_E_TOO_LARGE);
    free(b);

    /* 17 m= lines */
    char txt[4096];
    size_t n = (size_t)snprintf(txt, sizeof txt,
                                "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
                                "c=IN IP4 1.2.3.4\r\n");
    for (int i = 0; i < SDPX_MAX_MLINES + 1; i++)
        n += (size_t)snprintf(txt + n, sizeof txt - n, "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
    CHECK_INT(sdpx_classify(txt, n, 0, &in), SDPX_E_LIMIT);

    /* 40 codecs: the first SDPX_MAX_CODECS are kept */
    n = (size_t)snprintf(txt, sizeof txt,
                         "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
                         "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(txt + n, sizeof txt - n, " %d", 80 + i);
    n += (size_t)snprintf(txt + n, sizeof txt - n, "\r\n");
    CHECK_INT(sdpx_classify(txt, n, 0, &in), SDPX_OK);
    CHECK_INT(in.n_codecs, SDPX_MAX_CODECS);
    sdpx_info_clear(&in);
}

TEST(check_webrtc_errors)
{
    sdpx_info in;
    char buf[8192];
    struct {
        const char *from, *to;
        sdpx_status want;
    } cases[] = {
        {"a=ice-pwd:8Ina7z7wltuI6NY0R4d8AjUj\r\n", "", SDPX_E_ICE},
        {"a=ice-pwd:8Ina7z7wltuI6NY0R4d8AjUj\r\n", "a=ice-pwd:short\r\n", SDPX_E_ICE},
        {"a=ice-ufrag:kNbi\r\n", "a=ice-ufrag:k!bi\r\n", SDPX_E_ICE},
        {"a=setup:actpass\r\n", "", SDPX_E_DTLS},
        {"a=fingerprint:sha-256 7E:8F", "a=fingerprint:sha-256 7G:8F", SDPX_E_DTLS},
        {"a=rtcp-mux\r\n", "", SDPX_E_RTCP_MUX},
        {"UDP/TLS/RTP/SAVPF", "RTP/SAVPF", SDPX_E_PROTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = strstr(FX_CHROMIUM_OFFER, cases[i].from);
        CHECK(p != NULL);
        if (!p) continue;
        size_t pre = (size_t)(p - FX_CHROMIUM_OFFER);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, FX_CHROMIUM_OFFER, cases[i].to,
                 p + strlen(cases[i].from));
        CHECK_INT(CLASSIFY(buf, 0, &in), SDPX_OK);
        CHECK_INT(sdpx_check_webrtc(&in), cases[i].want);
        sdpx_info_clear(&in);
    }
}

TEST(setup_roles)
{
    /* RFC 5763 §5 */
    CHECK_INT(sdpx_answer_setup(SDPX_SETUP_ACTPASS), SDPX_SETUP_ACTIVE);
    CHECK_INT(sdpx_answer_setup(SDPX_SETUP_PASSIVE), SDPX_SETUP_ACTIVE);
    CHECK_INT(sdpx_answer_setup(SDPX_SETUP_ACTIVE), SDPX_SETUP_PASSIVE);
    CHECK_STR(sdpx_setup_name(SDPX_SETUP_ACTPASS), "actpass");
    CHECK(sdpx_setup_name(SDPX_SETUP_NONE) == NULL);
    CHECK_STR(sdpx_dir_name(SDPX_DIR_RECVONLY), "recvonly");
    CHECK_STR(sdpx_strerror(SDPX_E_NO_CODEC), "no common audio codec");
}

int main(void)
{
    RUN(chromium_fixture_matches_testdata_file);
    RUN(classify_chromium_offer);
    RUN(classify_firefox_session_level_values);
    RUN(classify_chrome_audio_video_data);
    RUN(classify_phone_offer);
    RUN(classify_static_pts_without_rtpmap_and_direction);
    RUN(classify_no_active_audio);
    RUN(classify_other_transports);
    RUN(classify_iq_template);
    RUN(classify_rejects_garbage);
    RUN(classify_limits);
    RUN(check_webrtc_errors);
    RUN(setup_roles);
    UNIT_END("test_sdp_info");
}
