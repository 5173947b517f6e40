/* libFuzzer target for the SDP rewrite helpers (common/sip/sdp_rewrite.h): arbitrary text as
 * each SDP input of classify, to-IMS, to-WIC and the Iq builders, with realistic SDP in the other
 * positions. Oracle: no crash, hang or leak, and every output is SDP our own parser accepts and
 * that keeps the promises of the header (RTP/AVP toward IMS, a complete WebRTC SDP toward the
 * WIC, answer payload types a subset of the offer's). */
#include "sip/sdp_rewrite.h"
#include "../unit/sip/sdp_fixtures.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEN(s) (s), strlen(s)

static void must(int cond)
{
    if (!cond) __builtin_trap();
}

static void check_ims(sdpx_status st, char *out)
{
    if (st == SDPX_OK) {
        sdpx_info in;
        must(sdpx_classify(LEN(out), 0, &in) == SDPX_OK);
        must(in.kind == SDPX_KIND_RTP && in.audio >= 0 && in.n_codecs > 0);
        must(!in.ice_ufrag && !in.fp_hash && !in.rtcp_mux && !in.bundle && in.n_cands == 0);
        sdpx_info_clear(&in);
    } else {
        must(out == NULL);
    }
    free(out);
}

/* offer NULL: `out` is our offer (mid "0"); else `out` answers `offer` and mirrors its mid. */
static void check_wic(sdpx_status st, char *out, const char *offer, size_t offer_len)
{
    if (st == SDPX_OK) {
        sdpx_info in;
        must(sdpx_classify(LEN(out), 0, &in) == SDPX_OK);
        must(sdpx_check_webrtc(&in) == SDPX_OK);
        must(in.n_cands > 0 && in.end_of_candidates);
        must(offer || (in.mid && !strcmp(in.mid, "0") && in.setup == SDPX_SETUP_ACTPASS));
        must(in.setup == SDPX_SETUP_ACTIVE || in.setup == SDPX_SETUP_PASSIVE ||
             in.setup == SDPX_SETUP_ACTPASS);
        if (offer) { /* RFC 3264 §6.1: the answer's payload types are offered ones */
            sdpx_info off;
            must(sdpx_classify(offer, offer_len, 0, &off) == SDPX_OK);
            must(in.n_mlines == off.n_mlines && in.audio == off.audio);
            must((!in.mid && !off.mid) || (in.mid && off.mid && !strcmp(in.mid, off.mid)));
            must(in.setup == SDPX_SETUP_ACTIVE || in.setup == SDPX_SETUP_PASSIVE);
            must(in.setup != off.setup);
            for (size_t i = 0; i < in.n_codecs; i++) {
                int found = 0;
                for (size_t j = 0; j < off.n_codecs; j++)
                    found |= off.codecs[j].pt == in.codecs[i].pt;
                must(found);
            }
            sdpx_info_clear(&off);
        }
        sdpx_info_clear(&in);
    } else {
        must(out == NULL);
    }
    free(out);
}

static void check_tmpl(sdpx_status st, char *out)
{
    if (st == SDPX_OK) {
        sdpx_info in;
        must(sdpx_classify(LEN(out), SDPX_F_TEMPLATE, &in) == SDPX_OK);
        must(in.audio == 0 && in.port_choose);
        sdpx_info_clear(&in);
    }
    free(out);
}

static void check_remote(sdpx_status st, char *out)
{
    if (st == SDPX_OK) {
        sdpx_info in;
        must(sdpx_classify(LEN(out), 0, &in) == SDPX_OK);
        must(in.audio == 0 && in.n_mlines == 1);
        sdpx_info_clear(&in);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char *out;

    sdpx_codec_filter f = {.allow_opus = sel & 1};
    sdpx_ims_params ip = {.addr = "127.0.10.3",
                          .port = 20002,
                          .filter = f,
                          .o_version_add = sel & 2,
                          .b_as = (sel & 4) ? -1 : 0};
    sdpx_wic_params wp = {.filter = f, .msid = (sel & 8) ? "s t" : NULL};
    sdpx_iq_params qp = {.filter = f, .full_ice = sel & 16, .ipv6 = sel & 32};

    sdpx_info in;
    unsigned flags = (sel >> 6) & 3;
    if (sdpx_classify(s, n, flags, &in) == SDPX_OK) {
        (void)sdpx_check_webrtc(&in);
        sdpx_info_clear(&in);
    }

    /* the input as the browser's SDP */
    out = NULL;
    check_ims(sdpx_to_ims_offer(s, n, &ip, &out), out);
    out = NULL;
    check_wic(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), LEN(FX_AGW_LOCAL_ANSWER), s, n, &wp, &out),
              out, s, n);
    out = NULL;
    check_ims(sdpx_to_ims_answer(s, n, LEN(FX_PHONE_OFFER_PT77), &ip, &out), out);
    /* the input as the IMS side's SDP */
    out = NULL;
    check_wic(sdpx_to_wic_answer(s, n, LEN(FX_AGW_LOCAL_ANSWER), LEN(FX_CHROMIUM_OFFER), &wp, &out),
              out, FX_CHROMIUM_OFFER, strlen(FX_CHROMIUM_OFFER));
    out = NULL;
    check_wic(sdpx_to_wic_offer(s, n, LEN(FX_AGW_LOCAL_OFFER), &wp, &out), out, NULL, 0);
    out = NULL;
    check_ims(sdpx_to_ims_answer(LEN(FX_CHROME_ANSWER), s, n, &ip, &out), out);
    /* the input as the AGW's W3 Local */
    out = NULL;
    check_wic(sdpx_to_wic_answer(LEN(FX_PHONE_ANSWER), s, n, LEN(FX_CHROME_AV_OFFER), &wp, &out),
              out, FX_CHROME_AV_OFFER, strlen(FX_CHROME_AV_OFFER));
    out = NULL;
    check_wic(sdpx_to_wic_offer(LEN(FX_PHONE_OFFER), s, n, &wp, &out), out, NULL, 0);
    /* Iq descriptors */
    out = NULL;
    check_tmpl(sdpx_iq_w3_local(s, n, &qp, &out), out);
    out = NULL;
    check_tmpl(sdpx_iq_rtp_local(s, n, &qp, &out), out);
    out = NULL;
    check_remote(sdpx_iq_w3_remote(s, n, (sel & 1) ? NULL : &f, &out), out);
    out = NULL;
    check_remote(sdpx_iq_rtp_remote(s, n, (sel & 1) ? NULL : &f, &out), out);
    return 0;
}
