/* WebRTC -> IMS rewrite (SPECS.md §3.3; TS 23.228 Annex U, 23.334 §6.2.10.5 step 4): the SDP
 * the pcscf sends into IMS is plain RTP/AVP on the AGW's core termination, built from an allow
 * list of lines so that no ICE/DTLS/BUNDLE attribute can leak through. */
#include "sdp_rewrite_int.h"

#include <stdlib.h>
#include <string.h>

const char *sdpx_strerror(sdpx_status st)
{
    switch (st) {
    case SDPX_OK:
        return "ok";
    case SDPX_E_INVAL:
        return "invalid argument";
    case SDPX_E_TOO_LARGE:
        return "SDP too large";
    case SDPX_E_SYNTAX:
        return "SDP syntax error";
    case SDPX_E_LIMIT:
        return "too many m= lines";
    case SDPX_E_NO_AUDIO:
        return "no active audio m= line";
    case SDPX_E_PROTO:
        return "unsupported audio transport";
    case SDPX_E_NO_CODEC:
        return "no common audio codec";
    case SDPX_E_ICE:
        return "missing or malformed ICE credentials";
    case SDPX_E_DTLS:
        return "missing or malformed DTLS fingerprint/setup";
    case SDPX_E_RTCP_MUX:
        return "rtcp-mux not offered";
    case SDPX_E_MISMATCH:
        return "answer does not match offer";
    case SDPX_E_INCOMPLETE:
        return "descriptor lacks a required value";
    case SDPX_E_NOMEM:
        return "out of memory";
    case SDPX_E_PRINT:
        return "SDP printer failed";
    }
    return "unknown error";
}

static sdpx_status check_params(const sdpx_ims_params *p, char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!p || !sdpx_addr_ok(p->addr) || p->port == 0 || p->port > 65535) return SDPX_E_INVAL;
    return SDPX_OK;
}

/* The accepted audio line toward IMS: m=audio <port> RTP/AVP, b=AS, codecs, ptime, direction. */
static void ims_audio(sdpx_bld *b, const sdpx_ims_params *p, const sdpx_picks *picks,
                      const sdpx_info *src)
{
    sdpx_bld_media(b, "audio", p->port, "RTP/AVP");
    sdpx_bld_pick_fmts(b, picks);
    /* TS 24.229 §6.1: b=AS for the media the UE offers. */
    if (p->b_as >= 0) sdpx_bld_bw_as(b, p->b_as ? (unsigned)p->b_as : SDPX_DEFAULT_B_AS);
    sdpx_bld_pick_attrs(b, picks);
    sdpx_bld_ptime(b, src);
    sdpx_bld_mattr(b, sdpx_dir_name(src->dir), NULL);
}

static sdpx_status audio_source_ok(const sdpx_info *src)
{
    if (src->audio < 0) return SDPX_E_NO_AUDIO;
    if (src->kind != SDPX_KIND_WEBRTC && src->kind != SDPX_KIND_RTP) return SDPX_E_PROTO;
    return SDPX_OK;
}

sdpx_status sdpx_to_ims_offer_info(const sdpx_info *in, const sdpx_ims_params *p, char **out)
{
    sdpx_status st = check_params(p, out);
    if (st != SDPX_OK) return st;
    if (!in) return SDPX_E_INVAL;
    sdpx_picks picks;
    if ((st = audio_source_ok(in)) != SDPX_OK) return st;
    sdpx_pick_filtered(in, &p->filter, &picks);
    if ((st = sdpx_picks_finish(&picks)) != SDPX_OK) return st;
    sdpx_bld b;
    if (!sdpx_bld_init(&b, in->o_user, in->o_id, in->o_version + p->o_version_add, p->addr))
        return SDPX_E_NOMEM;
    sdpx_bld_sconn(&b, p->addr);
    /* RFC 3264 §5: an offer carries only the streams we want; BUNDLE, the data channel and
     * video stay on the WebRTC side (23.228 §U.1.1). */
    ims_audio(&b, p, &picks, in);
    return sdpx_bld_finish(&b, out);
}

sdpx_status sdpx_to_ims_offer(const char *webrtc_offer, size_t len, const sdpx_ims_params *p,
                              char **out)
{
    sdpx_status st = check_params(p, out);
    if (st != SDPX_OK) return st;
    sdpx_info in;
    if ((st = sdpx_classify(webrtc_offer, len, 0, &in)) != SDPX_OK) return st;
    st = sdpx_to_ims_offer_info(&in, p, out);
    sdpx_info_clear(&in);
    return st;
}

sdpx_status sdpx_to_ims_answer_info(const sdpx_info *ans, const sdpx_info *off,
                                    const sdpx_ims_params *p, char **out)
{
    sdpx_status st = check_params(p, out);
    if (st != SDPX_OK) return st;
    if (!ans || !off) return SDPX_E_INVAL;
    sdpx_picks picks;
    if ((st = audio_source_ok(ans)) != SDPX_OK || (st = audio_source_ok(off)) != SDPX_OK)
        return st;
    /* Our offer to the WIC had one m= line (sdpx_to_wic_offer); RFC 3264 §6. */
    if (ans->n_mlines != 1) return SDPX_E_MISMATCH;
    sdpx_pick_mapped(ans, off, &p->filter, &picks);
    if ((st = sdpx_picks_finish(&picks)) != SDPX_OK) return st;
    sdpx_bld b;
    if (!sdpx_bld_init(&b, ans->o_user, ans->o_id, ans->o_version + p->o_version_add, p->addr))
        return SDPX_E_NOMEM;
    sdpx_bld_sconn(&b, p->addr);
    /* RFC 3264 §6: one m= line per offered line, in order; the ones we do not take are
     * rejected with port 0 and keep the offer's format list. */
    for (size_t i = 0; i < off->n_mlines; i++) {
        const sdpx_mline *ml = &off->mlines[i];
        if ((int)i == off->audio) {
            ims_audio(&b, p, &picks, ans);
        } else {
            sdpx_bld_media(&b, ml->media, 0, ml->proto);
            sdpx_bld_fmt_list(&b, ml->fmts);
        }
    }
    return sdpx_bld_finish(&b, out);
}

sdpx_status sdpx_to_ims_answer(const char *webrtc_answer, size_t len, const char *ims_offer,
                               size_t ims_len, const sdpx_ims_params *p, char **out)
{
    sdpx_status st = check_params(p, out);
    if (st != SDPX_OK) return st;
    sdpx_info ans, off;
    if ((st = sdpx_classify2(webrtc_answer, len, 0, &ans, ims_offer, ims_len, 0, &off)) != SDPX_OK)
        return st;
    st = sdpx_to_ims_answer_info(&ans, &off, p, out);
    sdpx_info_clear(&ans);
    sdpx_info_clear(&off);
    return st;
}
