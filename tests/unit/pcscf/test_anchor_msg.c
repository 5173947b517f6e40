/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The pure parts of anchoring (pcscf/anchor_msg.c): Iq command building, reading the AGW's
 * replies (errors at each level, statistics), stream modes from SDP directions, the SDP built for
 * each side from the AGW's Local descriptors. */
#include "pcscf/anchor_msg.h"
#include "test_anchor_mg.h"
#include "unit.h"

static const char *W3_LOCAL = "v=0\r\n"
                              "o=- 0 0 IN IP4 10.0.0.1\r\n"
                              "s=-\r\n"
                              "t=0 0\r\n"
                              "a=ice-lite\r\n"
                              "m=audio 40000 UDP/TLS/RTP/SAVPF 8 0 101\r\n"
                              "c=IN IP4 10.0.0.1\r\n"
                              "a=rtcp-mux\r\n"
                              "a=ice-ufrag:aG7k\r\n"
                              "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k\r\n"
                              "a=fingerprint:sha-256 " MG_FP "\r\n"
                              "a=setup:active\r\n"
                              "a=candidate:1 1 udp 2130706431 10.0.0.1 40000 typ host\r\n"
                              "a=rtpmap:8 PCMA/8000\r\n"
                              "a=rtpmap:0 PCMU/8000\r\n"
                              "a=rtpmap:101 telephone-event/8000";

static const char *CORE_LOCAL = "v=0\r\n"
                                "c=IN IP4 10.0.0.2\r\n"
                                "m=audio 50000 RTP/AVP 0 8 126\r\n"
                                "a=rtpmap:126 telephone-event/8000";

static const char *IMS_OFFER = "v=0\r\n"
                               "o=phone 2000 1 IN IP4 127.0.4.1\r\n"
                               "s=-\r\n"
                               "c=IN IP4 127.0.4.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 30002 RTP/AVP 8 0 101\r\n"
                               "a=rtpmap:8 PCMA/8000\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n";

TEST(modes_follow_directions)
{
    h248_mode w3, rtp;
    anchor_modes(SDPX_DIR_SENDRECV, SDPX_DIR_SENDRECV, &w3, &rtp);
    CHECK_INT(w3, H248_MODE_SENDRECV);
    CHECK_INT(rtp, H248_MODE_SENDRECV);
    /* WIC holds (sendonly), IMS answers recvonly: media WIC -> IMS only */
    anchor_modes(SDPX_DIR_SENDONLY, SDPX_DIR_RECVONLY, &w3, &rtp);
    CHECK_INT(w3, H248_MODE_RECVONLY);
    CHECK_INT(rtp, H248_MODE_SENDONLY);
    /* IMS holds */
    anchor_modes(SDPX_DIR_RECVONLY, SDPX_DIR_SENDONLY, &w3, &rtp);
    CHECK_INT(w3, H248_MODE_SENDONLY);
    CHECK_INT(rtp, H248_MODE_RECVONLY);
    /* an answer narrower than the offer still decides */
    anchor_modes(SDPX_DIR_SENDRECV, SDPX_DIR_RECVONLY, &w3, &rtp);
    CHECK_INT(w3, H248_MODE_RECVONLY);
    CHECK_INT(rtp, H248_MODE_SENDONLY);
    anchor_modes(SDPX_DIR_INACTIVE, SDPX_DIR_SENDRECV, &w3, &rtp);
    CHECK_INT(w3, H248_MODE_INACTIVE);
    CHECK_INT(rtp, H248_MODE_INACTIVE);
    CHECK_STR(anchor_mode_name(H248_MODE_RECVONLY), "ReceiveOnly");
    CHECK_INT(anchor_sdp_dir("v=0\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\n"), SDPX_DIR_SENDONLY);
    CHECK_INT(anchor_sdp_dir("not sdp"), SDPX_DIR_SENDRECV);
}

TEST(set_attr)
{
    char *s = anchor_sdp_set_attr(W3_LOCAL, "setup", "actpass");
    CHECK(strstr(s, "a=setup:actpass\r\n"));
    CHECK(!strstr(s, "a=setup:active"));
    CHECK(strstr(s, "a=ice-ufrag:aG7k\r\n"));
    CHECK(g_str_has_suffix(s, "a=rtpmap:101 telephone-event/8000")); /* last line untouched */
    g_free(s);
    s = anchor_sdp_set_attr("a=ice-ufrag:x\na=ice-ufragx:y\n", "ice-ufrag", "$");
    CHECK_STR(s, "a=ice-ufrag:$\r\na=ice-ufragx:y\n");
    g_free(s);
    char *u = anchor_sdp_ufrag(W3_LOCAL);
    CHECK_STR(u, "aG7k");
    g_free(u);
}

TEST(conn_of_core_local)
{
    char *addr = NULL;
    unsigned port = 0;
    CHECK(anchor_sdp_conn(CORE_LOCAL, &addr, &port));
    CHECK_STR(addr, "10.0.0.2");
    CHECK_INT(port, 50000);
    g_free(addr);
    addr = NULL;
    CHECK(!anchor_sdp_conn("v=0\r\nc=IN IP4 $\r\nm=audio 5000 RTP/AVP 0\r\n", &addr, &port));
    CHECK(!anchor_sdp_conn(NULL, &addr, &port));
    CHECK(addr == NULL);
}

static h248_message *parse(const char *txt)
{
    h248_parse_error pe;
    h248_message *m = h248_parse(txt, strlen(txt), NULL, &pe);
    if (!m) fprintf(stderr, "  parse: %s\n", pe.text);
    return m;
}

TEST(reply_levels)
{
    anchor_reply_t ri;
    h248_message *m = parse("MEGACO/3 [10.0.0.1]:2944\nReply = 7 { Error = 411 { \"The "
                            "transaction refers to an unknown ContextId\" } }");
    anchor_reply_read(m->transactions->pdata[0], &ri);
    CHECK_INT(ri.code, 411);
    CHECK(!ri.has_ctx);
    CHECK_INT(anchor_status_of_code(ri.code), ANCHOR_E_AGW_ERROR);
    h248_message_free(m);

    m = parse("MEGACO/3 [10.0.0.1]:2944\nReply = 8 { Context = 17 { Add = ip/access/1, "
              "Add = $ { Error = 510 { \"Insufficient resources\" } } } }");
    anchor_reply_read(m->transactions->pdata[0], &ri);
    CHECK_INT(ri.code, 510);
    CHECK(ri.has_ctx);
    CHECK_INT(ri.ctx, 17);
    CHECK_INT(anchor_status_of_code(ri.code), ANCHOR_E_BUSY);
    h248_message_free(m);

    m = parse("MEGACO/3 [10.0.0.1]:2944\nReply = 9 { Context = 17 { Subtract = ip/access/1 { "
              "Statistics { rtp/ps = 1500, rtp/pr = 1498, rtp/pl = 0.13, wtpf/lr = 2 } }, Subtract = ip/core/2 { "
              "Statistics { rtp/ps = 1497, rtp/pr = 1501 } } } }");
    anchor_reply_read(m->transactions->pdata[0], &ri);
    CHECK_INT(ri.code, 0);
    CHECK_INT(ri.ctx, 17);
    anchor_stats_t st;
    anchor_stats_init(&st);
    const h248_command *c1 = ri.act->commands->pdata[0], *c2 = ri.act->commands->pdata[1];
    anchor_stats_parse(&st, true, c1->statistics);
    anchor_stats_parse(&st, false, c2->statistics);
    CHECK_INT(st.access_sent, 1500);
    CHECK_INT(st.access_received, 1498);
    CHECK_INT(st.access_lost, 2);
    CHECK_INT(st.core_sent, 1497);
    CHECK_INT(st.core_received, 1501);
    CHECK_INT(st.core_lost, -1);
    h248_message_free(m);

    CHECK_INT(anchor_status_of_code(0), ANCHOR_OK);
    CHECK_INT(anchor_status_of_code(412), ANCHOR_E_BUSY);
    CHECK_INT(anchor_status_of_code(505), ANCHOR_E_BUSY);
    CHECK_INT(anchor_status_of_code(515), ANCHOR_E_SDP);
    CHECK_INT(anchor_status_of_code(449), ANCHOR_E_AGW_ERROR);
}

/* SPECS.md §4.5 (3) and (5): what the commands look like on the wire. */
TEST(termination_commands)
{
    h248_message *m = h248_message_new(3, "[127.0.10.2]:2944");
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, 1001);
    h248_action *a = h248_transaction_add_action(t, h248_ctx_special(H248_CTX_CHOOSE));
    anchor_msg_termination(a, H248_CMD_ADD, "$", "access", "wtpf/cid", "0123abcd",
                           H248_MODE_SENDRECV, "v=0\r\nm=audio $ UDP/TLS/RTP/SAVPF 0\r\n",
                           "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n");
    anchor_msg_termination(a, H248_CMD_ADD, "$", "core", NULL, "0123abcd", H248_MODE_RECVONLY,
                           "v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n", NULL);
    h248_transaction *t2 = h248_message_add_transaction(m, H248_TR_REQUEST, 1002);
    h248_action *a2 = h248_transaction_add_action(t2, h248_ctx_num(17));
    anchor_msg_termination(a2, H248_CMD_MODIFY, "ip/core/2", NULL, "wtpf/cid", "0123abcd",
                           H248_MODE_SENDRECV, NULL, "v=0\r\nm=audio 30000 RTP/AVP 0\r\n");
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "Context = $"));
    CHECK(txt && strstr(txt, "ipdc/realm = \"access\""));
    CHECK(txt && strstr(txt, "wtpf/cid = \"0123abcd\""));
    CHECK(txt && strstr(txt, "TerminationState { ipdc/realm = \"core\" }")); /* no cid property */
    CHECK(txt && strstr(txt, "Stream = 1"));
    CHECK(txt && strstr(txt, "LocalControl { Mode = ReceiveOnly }"));
    CHECK(txt && strstr(txt, "Modify = ip/core/2"));
    /* Modify: no TerminationState (realm only at Add), Remote only */
    const char *mod = txt ? strstr(txt, "Modify") : NULL;
    CHECK(mod && !strstr(mod, "TerminationState") && !strstr(mod, "Local {"));
    /* it parses back to the same model */
    h248_message *back = txt ? parse(txt) : NULL;
    CHECK(back && h248_message_equal(m, back));
    h248_message_free(back);
    g_free(txt);
    h248_message_free(m);
}

TEST(sdp_toward_ims_from_chromium)
{
    char *offer = read_testdata("chromium-156-audio-offer.sdp");
    CHECK(offer != NULL);
    if (!offer) return;
    char *out = NULL, detail[128] = "";
    CHECK_INT(anchor_sdp_toward_ims(CORE_LOCAL, offer, NULL, NULL, 0, &out, detail, sizeof detail),
              ANCHOR_OK);
    CHECK(out && strstr(out, "m=audio 50000 RTP/AVP 0 8 126"));
    CHECK(out && strstr(out, "c=IN IP4 10.0.0.2"));
    CHECK(out && !strstr(out, "a=ice") && !strstr(out, "a=fingerprint") && !strstr(out, "a=mid"));
    g_free(out);
    /* a core Local still holding "$": the AGW did not do its job */
    CHECK_INT(anchor_sdp_toward_ims("v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n", offer, NULL,
                                    NULL, 0, &out, detail, sizeof detail),
              ANCHOR_E_INTERNAL);
    CHECK(out == NULL);
    CHECK(strstr(detail, "core Local"));
    g_free(offer);
}

TEST(origin_and_change)
{
    char *who = NULL;
    uint64_t v = 0;
    CHECK(anchor_sdp_origin(IMS_OFFER, &who, &v));
    CHECK_STR(who, "phone 2000");
    CHECK_INT(v, 1);
    g_free(who);
    CHECK(!anchor_sdp_origin(CORE_LOCAL, &who, &v));
    char *other = g_strdup(IMS_OFFER);
    other[strlen("v=0\r\no=phone 2000 ")] = '7'; /* version only */
    CHECK(!anchor_sdp_changed(IMS_OFFER, other));
    CHECK(anchor_sdp_changed(IMS_OFFER, W3_LOCAL));
    g_free(other);
    /* o_add raises the version of what is built */
    char *out = NULL, detail[64];
    CHECK_INT(
        anchor_sdp_toward_wic(W3_LOCAL, IMS_OFFER, NULL, NULL, 5, &out, detail, sizeof detail),
        ANCHOR_OK);
    CHECK(out && strstr(out, "o=phone 2000 6 "));
    g_free(out);
}

TEST(sdp_toward_wic_offer_is_actpass)
{
    char *out = NULL, detail[128] = "";
    /* the W3 Local of an originating call said active: a later offer must say actpass */
    CHECK_INT(
        anchor_sdp_toward_wic(W3_LOCAL, IMS_OFFER, NULL, NULL, 0, &out, detail, sizeof detail),
        ANCHOR_OK);
    CHECK(out && strstr(out, "a=setup:actpass"));
    CHECK(out && strstr(out, "m=audio 40000 UDP/TLS/RTP/SAVPF 8 0 101"));
    CHECK(out && strstr(out, "a=ice-lite"));
    CHECK(out && strstr(out, "a=mid:0"));
    CHECK(out && strstr(out, "a=end-of-candidates"));
    g_free(out);
    CHECK_INT(anchor_sdp_toward_wic(NULL, IMS_OFFER, NULL, NULL, 0, &out, detail, sizeof detail),
              ANCHOR_E_INTERNAL);
    CHECK_INT(anchor_sdp_toward_wic(W3_LOCAL, "v=0\r\nm=video 5 RTP/AVP 31\r\n", NULL, NULL, 0,
                                    &out, detail, sizeof detail),
              ANCHOR_E_SDP);
    CHECK(strstr(detail, "toward the WIC"));
}

int main(void)
{
    RUN(modes_follow_directions);
    RUN(set_attr);
    RUN(conn_of_core_local);
    RUN(reply_levels);
    RUN(termination_commands);
    RUN(sdp_toward_ims_from_chromium);
    RUN(origin_and_change);
    RUN(sdp_toward_wic_offer_is_actpass);
    UNIT_END("pcscf/anchor_msg");
}
