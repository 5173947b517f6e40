/* Iq SDP on the MG: which termination a descriptor asks for, the Local template of SPECS.md
 * §4.5 (3) filled into the reply of §4.5 (4), and the checks on Remote descriptors. */
#include <glib.h>

#include "eims-agw/iq_sdp.h"
#include "unit.h"

#define W3_TMPL                                                                                    \
    "v=0\n"                                                                                        \
    "o=- 0 0 IN IP4 $\n"                                                                           \
    "s=-\n"                                                                                        \
    "t=0 0\n"                                                                                      \
    "a=ice-lite\n"                                                                                 \
    "m=audio $ UDP/TLS/RTP/SAVPF 0 126\n"                                                          \
    "c=IN IP4 $\n"                                                                                 \
    "a=rtcp-mux\n"                                                                                 \
    "a=ice-ufrag:$\n"                                                                              \
    "a=ice-pwd:$\n"                                                                                \
    "a=fingerprint:sha-256 $\n"                                                                    \
    "a=setup:active\n"                                                                             \
    "a=rtpmap:0 PCMU/8000\n"                                                                       \
    "a=rtpmap:126 telephone-event/8000"

#define W3_REMOTE                                                                                  \
    "v=0\r\n"                                                                                      \
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"                                               \
    "s=-\r\n"                                                                                      \
    "t=0 0\r\n"                                                                                    \
    "m=audio 51234 UDP/TLS/RTP/SAVPF 111 0 8 126\r\n"                                              \
    "c=IN IP4 127.0.1.5\r\n"                                                                       \
    "a=rtcp-mux\r\n"                                                                               \
    "a=ice-ufrag:Bs+R\r\n"                                                                         \
    "a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8\r\n"                                                       \
    "a=fingerprint:sha-256 "                                                                       \
    "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:"   \
    "53:B1\r\n"                                                                                    \
    "a=setup:actpass\r\n"                                                                          \
    "a=candidate:1 1 udp 2122260223 127.0.1.5 51234 typ host\r\n"                                  \
    "a=rtpmap:111 opus/48000/2\r\n"                                                                \
    "a=rtpmap:0 PCMU/8000\r\n"                                                                     \
    "a=rtpmap:8 PCMA/8000\r\n"                                                                     \
    "a=rtpmap:126 telephone-event/8000\r\n"

#define RTP_TMPL "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000"
#define RTP_REMOTE                                                                                 \
    "v=0\nc=IN IP4 127.0.4.1\nm=audio 30000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000"

#define FP                                                                                         \
    "4A:1F:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"   \
    "CC:9C"

static bool fake_fp(void *ud, const char *alg, char *out, size_t cap)
{
    if (g_ascii_strcasecmp(alg, "sha-256") != 0) return false;
    g_strlcpy(out, FP, cap);
    return true;
}

static const iq_transport w3_tp = {.addr = "127.0.2.1",
                                   .port = 40000,
                                   .rtcp_port = 40000,
                                   .ice_ufrag = "aG7k",
                                   .ice_pwd = "q8Lw2n0YvB1sT6cE4hJ9rU3k"};
static const iq_transport rtp_tp = {.addr = "127.0.2.2", .port = 50000, .rtcp_port = 50001};

static iq_sdp_fill w3_fill(void)
{
    iq_sdp_fill f = {.tp = &w3_tp,
                     .fingerprint = fake_fp,
                     .setup = "active",
                     .tls_id = "abcdefghijklmnopqrstuvwxyz",
                     .sess_id = 1732443200,
                     .candidates = true};
    return f;
}

TEST(kind_from_proto_and_realm)
{
    iq_term_kind k = IQ_TERM_RTP;
    char r[IQ_REASON_MAX];
    CHECK_INT(iq_sdp_term_kind(W3_TMPL, W3_REMOTE, "core", "access", "core", &k, r, sizeof r), 0);
    CHECK_INT(k, IQ_TERM_W3); /* the proto wins over a realm */
    CHECK_INT(iq_sdp_term_kind(RTP_TMPL, NULL, NULL, "access", "core", &k, r, sizeof r), 0);
    CHECK_INT(k, IQ_TERM_RTP);
    CHECK_INT(iq_sdp_term_kind(NULL, W3_REMOTE, NULL, "access", "core", &k, r, sizeof r), 0);
    CHECK_INT(k, IQ_TERM_W3);
    /* no m= line: the realm decides */
    CHECK_INT(
        iq_sdp_term_kind("v=0\nc=IN IP4 $", NULL, "access", "access", "core", &k, r, sizeof r), 0);
    CHECK_INT(k, IQ_TERM_W3);
    CHECK_INT(iq_sdp_term_kind(NULL, NULL, "CORE", "access", "core", &k, r, sizeof r), 0);
    CHECK_INT(k, IQ_TERM_RTP);
    CHECK_INT(iq_sdp_term_kind(NULL, NULL, "elsewhere", "access", "core", &k, r, sizeof r), 449);
    CHECK_INT(iq_sdp_term_kind(NULL, NULL, NULL, "access", "core", &k, r, sizeof r), 441);
    CHECK_INT(iq_sdp_term_kind(W3_TMPL, RTP_REMOTE, NULL, "access", "core", &k, r, sizeof r), 449);
    CHECK_INT(iq_sdp_term_kind("garbage", NULL, NULL, "access", "core", &k, r, sizeof r), 442);
    CHECK_INT(iq_sdp_term_kind("v=0\nm=audio $ RTP/SAVP 0\nc=IN IP4 $", NULL, NULL, "access",
                               "core", &k, r, sizeof r),
              449);
}

TEST(w3_template_of_specs_example)
{
    iq_sdp_fill f = w3_fill();
    char *out = NULL, r[IQ_REASON_MAX] = "";
    CHECK_INT(iq_sdp_fill_local(W3_TMPL, IQ_TERM_W3, &f, &out, r, sizeof r), 0);
    /* SPECS.md §4.5 (4): every $ filled, the candidate after a=setup, then end-of-candidates */
    CHECK_STR(out, "v=0\n"
                   "o=- 0 0 IN IP4 127.0.2.1\n"
                   "s=-\n"
                   "t=0 0\n"
                   "a=ice-lite\n"
                   "m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\n"
                   "c=IN IP4 127.0.2.1\n"
                   "a=rtcp-mux\n"
                   "a=ice-ufrag:aG7k\n"
                   "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k\n"
                   "a=fingerprint:sha-256 " FP "\n"
                   "a=setup:active\n"
                   "a=candidate:1 1 udp 2130706431 127.0.2.1 40000 typ host\n"
                   "a=end-of-candidates\n"
                   "a=rtpmap:0 PCMU/8000\n"
                   "a=rtpmap:126 telephone-event/8000\n");
    CHECK(strchr(out, '$') == NULL);
    /* The pcscf can take it as the AGW's W3 Local */
    sdpx_info in;
    CHECK_INT(sdpx_classify(out, strlen(out), SDPX_F_LENIENT, &in), SDPX_OK);
    CHECK_INT(in.kind, SDPX_KIND_WEBRTC);
    CHECK_INT(in.port, 40000);
    CHECK_INT(in.n_cands, 1);
    CHECK(in.end_of_candidates);
    sdpx_info_clear(&in);
    /* Filling our own answer again (a Modify repeating it) is idempotent. */
    char *again = NULL;
    CHECK_INT(iq_sdp_fill_local(out, IQ_TERM_W3, &f, &again, r, sizeof r), 0);
    CHECK_STR(again, out);
    g_free(again);
    g_free(out);
}

TEST(rtp_template_crlf_and_rtcp)
{
    iq_sdp_fill f = {.tp = &rtp_tp, .sess_id = 7};
    char *out = NULL, r[IQ_REASON_MAX] = "";
    CHECK_INT(iq_sdp_fill_local("v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0 101\r\na=rtcp:$\r\n"
                                "a=rtpmap:101 telephone-event/8000",
                                IQ_TERM_RTP, &f, &out, r, sizeof r),
              0);
    CHECK_STR(out, "v=0\r\nc=IN IP4 127.0.2.2\r\nm=audio 50000 RTP/AVP 0 101\r\na=rtcp:50001\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n");
    g_free(out);
    /* the specs' core template: no candidate lines on an RTP termination */
    CHECK_INT(iq_sdp_fill_local(RTP_TMPL, IQ_TERM_RTP, &f, &out, r, sizeof r), 0);
    CHECK_STR(out, "v=0\nc=IN IP4 127.0.2.2\nm=audio 50000 RTP/AVP 0 101\n"
                   "a=rtpmap:101 telephone-event/8000\n");
    g_free(out);
}

TEST(setup_tls_id_and_session_level_ice)
{
    iq_sdp_fill f = w3_fill();
    f.setup = "actpass";
    char *out = NULL, r[IQ_REASON_MAX] = "";
    const char *t = "v=0\no=- $ $ IN IP4 $\ns=-\nt=0 0\na=ice-ufrag:$\na=ice-pwd:$\n"
                    "a=fingerprint:SHA-256 $\nm=audio $ UDP/TLS/RTP/SAVPF 0\nc=IN IP4 $\n"
                    "a=setup:$\na=tls-id:$\na=rtpmap:0 PCMU/8000\n";
    CHECK_INT(iq_sdp_fill_local(t, IQ_TERM_W3, &f, &out, r, sizeof r), 0);
    if (!out) return;
    CHECK(strstr(out, "o=- 1732443200 1732443200 IN IP4 127.0.2.1\n") != NULL);
    CHECK(strstr(out, "\na=ice-ufrag:aG7k\n") != NULL);
    CHECK(strstr(out, "\na=fingerprint:SHA-256 " FP "\n") != NULL);
    CHECK(strstr(out, "\na=setup:actpass\na=tls-id:abcdefghijklmnopqrstuvwxyz\n"
                      "a=candidate:1 1 udp 2130706431 127.0.2.1 40000 typ host\n"
                      "a=end-of-candidates\n") != NULL);
    g_free(out);
}

TEST(media_plane_fixes_setup_and_candidate)
{
    iq_transport tp = w3_tp;
    g_strlcpy(tp.setup, "passive", sizeof tp.setup);
    g_strlcpy(tp.candidate, "7 1 udp 2130706431 127.0.2.1 40000 typ host", sizeof tp.candidate);
    iq_sdp_fill f = w3_fill();
    f.tp = &tp;
    char *out = NULL, r[IQ_REASON_MAX] = "";
    /* the template's active conflicts with the role the media plane took */
    CHECK_INT(iq_sdp_fill_local(W3_TMPL, IQ_TERM_W3, &f, &out, r, sizeof r), 449);
    CHECK(strstr(r, "passive") != NULL);
    gchar **parts = g_strsplit(W3_TMPL, "a=setup:active", 2);
    gchar *t = g_strjoinv("a=setup:$", parts);
    g_strfreev(parts);
    CHECK_INT(iq_sdp_fill_local(t, IQ_TERM_W3, &f, &out, r, sizeof r), 0);
    CHECK(
        out &&
        strstr(out, "a=setup:passive\na=candidate:7 1 udp 2130706431 127.0.2.1 40000 typ host\n"));
    g_free(out);
    g_free(t);
    sdpx_info in;
    CHECK_INT(iq_sdp_parse_template(W3_TMPL, &in, r, sizeof r), 0);
    CHECK_INT(in.n_codecs, 2);
    CHECK_INT(in.setup, SDPX_SETUP_ACTIVE);
    sdpx_info_clear(&in);
    CHECK_INT(iq_sdp_parse_template("x", &in, r, sizeof r), 442);
}

TEST(values_the_mg_cannot_honour)
{
    iq_sdp_fill f = w3_fill();
    char *out = NULL, r[IQ_REASON_MAX] = "";
    /* $ in a codec list */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ UDP/TLS/RTP/SAVPF $\nc=IN IP4 $", IQ_TERM_W3, &f,
                                &out, r, sizeof r),
              442);
    /* another port than ours */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio 41000 UDP/TLS/RTP/SAVPF 0\nc=IN IP4 $", IQ_TERM_W3,
                                &f, &out, r, sizeof r),
              449);
    CHECK(strstr(r, "41000") != NULL);
    /* another address */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ UDP/TLS/RTP/SAVPF 0\nc=IN IP4 10.0.0.1", IQ_TERM_W3,
                                &f, &out, r, sizeof r),
              449);
    /* IPv6 asked, IPv4 reserved */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ UDP/TLS/RTP/SAVPF 0\nc=IN IP6 $", IQ_TERM_W3, &f,
                                &out, r, sizeof r),
              449);
    /* unknown hash */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ UDP/TLS/RTP/SAVPF 0\nc=IN IP4 $\n"
                                "a=fingerprint:md5 $",
                                IQ_TERM_W3, &f, &out, r, sizeof r),
              449);
    /* ICE on an RTP termination */
    iq_sdp_fill fr = {.tp = &rtp_tp};
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ RTP/AVP 0\nc=IN IP4 $\na=ice-ufrag:$", IQ_TERM_RTP,
                                &fr, &out, r, sizeof r),
              449);
    /* $ where we choose nothing */
    CHECK_INT(iq_sdp_fill_local("v=0\nm=audio $ RTP/AVP 0\nc=IN IP4 $\na=ptime:$", IQ_TERM_RTP, &fr,
                                &out, r, sizeof r),
              449);
    /* two chosen media lines */
    CHECK_INT(iq_sdp_fill_local("v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\nm=audio $ RTP/AVP 8",
                                IQ_TERM_RTP, &fr, &out, r, sizeof r),
              449);
    /* video */
    CHECK_INT(iq_sdp_fill_local("v=0\nc=IN IP4 $\nm=video $ RTP/AVP 96", IQ_TERM_RTP, &fr, &out, r,
                                sizeof r),
              449);
    /* nothing to choose */
    CHECK_INT(iq_sdp_fill_local("v=0\nc=IN IP4 $", IQ_TERM_RTP, &fr, &out, r, sizeof r), 449);
    CHECK_INT(iq_sdp_fill_local("not sdp at all", IQ_TERM_RTP, &fr, &out, r, sizeof r), 442);
    CHECK(out == NULL);
    CHECK(strchr(r, '"') == NULL);
}

TEST(remote_checks)
{
    sdpx_info in;
    char r[IQ_REASON_MAX];
    CHECK_INT(iq_sdp_check_remote(W3_REMOTE, IQ_TERM_W3, &in, r, sizeof r), 0);
    CHECK_INT(in.setup, SDPX_SETUP_ACTPASS);
    CHECK_STR(in.ice_ufrag, "Bs+R");
    sdpx_info_clear(&in);
    CHECK_INT(iq_sdp_check_remote(RTP_REMOTE, IQ_TERM_RTP, &in, r, sizeof r), 0);
    CHECK_INT(in.port, 30000);
    CHECK_STR(in.addr, "127.0.4.1");
    sdpx_info_clear(&in);
    CHECK_INT(iq_sdp_check_remote(RTP_REMOTE, IQ_TERM_W3, &in, r, sizeof r), 449);
    CHECK_INT(iq_sdp_check_remote(W3_REMOTE, IQ_TERM_RTP, &in, r, sizeof r), 449);
    CHECK_INT(iq_sdp_check_remote("v=0\nc=IN IP4 $\nm=audio 4000 RTP/AVP 0", IQ_TERM_RTP, &in, r,
                                  sizeof r),
              449);
    CHECK_INT(iq_sdp_check_remote("hello", IQ_TERM_RTP, &in, r, sizeof r), 442);
    /* a WebRTC remote without fingerprint */
    char *nofp = g_strdup(W3_REMOTE);
    char *p = strstr(nofp, "a=fingerprint");
    memcpy(p, "a=xingerprint", 13);
    CHECK_INT(iq_sdp_check_remote(nofp, IQ_TERM_W3, &in, r, sizeof r), 449);
    g_free(nofp);
}

TEST(dtls_roles)
{
    CHECK_INT(iq_sdp_dtls_role(SDPX_SETUP_ACTIVE, SDPX_SETUP_ACTPASS), IQ_DTLS_CLIENT);
    CHECK_INT(iq_sdp_dtls_role(SDPX_SETUP_PASSIVE, SDPX_SETUP_ACTIVE), IQ_DTLS_SERVER);
    CHECK_INT(iq_sdp_dtls_role(SDPX_SETUP_ACTPASS, SDPX_SETUP_NONE), IQ_DTLS_UNDECIDED);
    CHECK_INT(iq_sdp_dtls_role(SDPX_SETUP_ACTPASS, SDPX_SETUP_ACTIVE), IQ_DTLS_SERVER);
    CHECK_INT(iq_sdp_dtls_role(SDPX_SETUP_ACTPASS, SDPX_SETUP_PASSIVE), IQ_DTLS_CLIENT);
    CHECK_STR(iq_sdp_choose_setup(NULL), "actpass");
    sdpx_info in;
    char r[IQ_REASON_MAX];
    CHECK_INT(iq_sdp_check_remote(W3_REMOTE, IQ_TERM_W3, &in, r, sizeof r), 0);
    CHECK_STR(iq_sdp_choose_setup(&in), "active");
    in.setup = SDPX_SETUP_ACTIVE;
    CHECK_STR(iq_sdp_choose_setup(&in), "passive");
    sdpx_info_clear(&in);
}

int main(void)
{
    RUN(kind_from_proto_and_realm);
    RUN(w3_template_of_specs_example);
    RUN(rtp_template_crlf_and_rtcp);
    RUN(setup_tls_id_and_session_level_ice);
    RUN(media_plane_fixes_setup_and_candidate);
    RUN(values_the_mg_cannot_honour);
    RUN(remote_checks);
    RUN(dtls_roles);
    UNIT_END("test_iq_sdp");
}
