/* IMS -> WebRTC rewrite (SPECS.md §3.2 step 5, §6.2, §6.3): the SDP the WIC receives, built from
 * the IMS side's codecs and direction, the AGW's W3 Local descriptor (address, port, ICE-lite
 * credentials, candidates, DTLS fingerprint and role) and, for an answer, the WIC's own offer. */
#include "sdp_rewrite_int.h"

#include <string.h>

static bool is_dollar(const char *s)
{
    return s && s[0] == '$' && s[1] == '\0';
}

/* The AGW's W3 Local as returned in the Iq reply: every "$" must have been filled in. */
static sdpx_status agw_local_ok(const sdpx_info *agw)
{
    if (agw->audio < 0) return SDPX_E_NO_AUDIO;
    if (agw->port_choose || is_dollar(agw->addr) || is_dollar(agw->ice_ufrag) ||
        is_dollar(agw->ice_pwd) || is_dollar(agw->fp_value) || !agw->addr)
        return SDPX_E_INCOMPLETE;
    if (!sdpx_addr_ok(agw->addr)) return SDPX_E_INCOMPLETE;
    if (agw->kind != SDPX_KIND_WEBRTC) return SDPX_E_PROTO;
    if (!sdpx_ice_ok(agw->ice_ufrag, agw->ice_pwd)) return SDPX_E_ICE;
    if (!sdpx_fingerprint_ok(agw->fp_hash, agw->fp_value)) return SDPX_E_DTLS;
    return SDPX_OK;
}

static sdpx_status params_ok(const sdpx_wic_params *p, char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!p) return SDPX_E_INVAL;
    if (p->msid && !sdpx_text_ok(p->msid, 256)) return SDPX_E_INVAL;
    return SDPX_OK;
}

/* The accepted audio m= section toward the WIC, in the order of SPECS.md §6.3. */
static void wic_audio(sdpx_bld *b, const char *proto, const sdpx_info *agw, const sdpx_picks *picks,
                      const sdpx_info *ims, const char *mid, sdpx_setup setup, const char *msid)
{
    sdpx_bld_media(b, "audio", agw->port, proto);
    sdpx_bld_pick_fmts(b, picks);
    sdpx_bld_mconn(b, agw->addr);
    if (mid) sdpx_bld_mattr(b, "mid", "%s", mid);
    sdpx_bld_mattr(b, sdpx_dir_name(ims->dir), NULL);
    /* RFC 8858 / §6.2: Chrome's rtcpMuxPolicy "require"; the W3 port is single (§3.6). */
    sdpx_bld_mattr(b, "rtcp-mux", NULL);
    sdpx_bld_mattr(b, "ice-ufrag", "%s", agw->ice_ufrag);
    sdpx_bld_mattr(b, "ice-pwd", "%s", agw->ice_pwd);
    sdpx_bld_mattr(b, "fingerprint", "%s %s", agw->fp_hash, agw->fp_value);
    sdpx_bld_mattr(b, "setup", "%s", sdpx_setup_name(setup));
    if (agw->tls_id && sdpx_text_ok(agw->tls_id, 256))
        sdpx_bld_mattr(b, "tls-id", "%s", agw->tls_id); /* RFC 8842, 23.334 §6.2.10.5 */
    size_t nc = 0;
    for (size_t i = 0; i < agw->n_cands; i++) {
        if (!sdpx_text_ok(agw->cands[i], 512)) continue;
        sdpx_bld_mattr(b, "candidate", "%s", agw->cands[i]);
        nc++;
    }
    if (nc == 0) {
        /* Chrome needs a candidate (§6.2). RFC 8445 §5.1.2.1 host priority: type preference
         * 126, local preference 65535, component 1. */
        sdpx_bld_mattr(b, "candidate", "1 1 udp 2130706431 %s %u typ host", agw->addr, agw->port);
    }
    /* Non-trickle: the AGW's list is complete (RFC 8838 §9, SPECS.md §3.6). */
    sdpx_bld_mattr(b, "end-of-candidates", NULL);
    sdpx_bld_pick_attrs(b, picks);
    sdpx_bld_ptime(b, ims);
    if (msid) sdpx_bld_mattr(b, "msid", "%s", msid);
}

/* JSEP §5.3.1: a rejected m= section keeps its mid so that the browser can match it. */
static void wic_rejected(sdpx_bld *b, const sdpx_mline *ml)
{
    sdpx_bld_media(b, ml->media, 0, ml->proto);
    sdpx_bld_fmt_list(b, ml->fmts);
    sdpx_bld_mconn(b, "0.0.0.0");
    if (ml->mid) sdpx_bld_mattr(b, "mid", "%s", ml->mid);
}

/* RFC 4145 §4 / RFC 5763 §5: the answerer's role must complement the offerer's. */
static sdpx_status answer_role(sdpx_setup offer, sdpx_setup agw, sdpx_setup *role)
{
    if (offer == SDPX_SETUP_HOLDCONN || offer == SDPX_SETUP_NONE) return SDPX_E_DTLS;
    if (agw == SDPX_SETUP_ACTIVE || agw == SDPX_SETUP_PASSIVE) {
        if (offer == agw) return SDPX_E_DTLS;
        *role = agw;
    } else {
        *role = sdpx_answer_setup(offer);
    }
    return SDPX_OK;
}

/* First token of the BUNDLE group, compared with the audio mid. */
static bool bundle_tagged(const char *group, const char *mid)
{
    if (!group || !mid) return false;
    size_t n = strcspn(group, " ");
    return n == strlen(mid) && strncmp(group, mid, n) == 0;
}

sdpx_status sdpx_to_wic_answer_info(const sdpx_info *ims, const sdpx_info *agw,
                                    const sdpx_info *off, const sdpx_wic_params *p, char **out)
{
    sdpx_status st = params_ok(p, out);
    if (st != SDPX_OK) return st;
    if (!ims || !agw || !off) return SDPX_E_INVAL;
    sdpx_setup role = SDPX_SETUP_ACTIVE;
    sdpx_picks picks;
    if ((st = sdpx_check_webrtc(off)) != SDPX_OK) return st;
    if (ims->audio < 0) return SDPX_E_NO_AUDIO;
    /* The far side's answer: RTP/AVP from IMS, or WebRTC from a second WIC (WIC to WIC,
     * both legs anchored: its answer to our sdpx_to_wic_offer()). */
    if (ims->kind != SDPX_KIND_RTP && ims->kind != SDPX_KIND_WEBRTC) return SDPX_E_PROTO;
    /* Our offer to the far side had one m= line (sdpx_to_ims_offer, sdpx_to_wic_offer);
     * RFC 3264 §6. */
    if (ims->n_mlines != 1) return SDPX_E_MISMATCH;
    if ((st = agw_local_ok(agw)) != SDPX_OK) return st;
    if ((st = answer_role(off->setup, agw->setup, &role)) != SDPX_OK) return st;
    sdpx_pick_mapped(ims, off, &p->filter, &picks);
    if ((st = sdpx_picks_finish(&picks)) != SDPX_OK) return st;

    sdpx_bld b;
    if (!sdpx_bld_init(&b, ims->o_user, ims->o_id, ims->o_version + p->o_version_add, agw->addr))
        return SDPX_E_NOMEM;
    /* RFC 8445 §6.1.1: a lite agent says so at session level; the browser then controls. */
    if (agw->ice_lite) sdpx_bld_sattr(&b, "ice-lite", NULL);
    /* RFC 9143 §7.3.1: keep BUNDLE only around the offerer-tagged m= line we accept;
     * otherwise decline it by omission (one accepted m= line needs no bundling). */
    if (bundle_tagged(off->bundle, off->mid)) sdpx_bld_sattr(&b, "group", "BUNDLE %s", off->mid);
    for (size_t i = 0; i < off->n_mlines; i++) {
        if ((int)i == off->audio)
            wic_audio(&b, off->proto, agw, &picks, ims, off->mid, role, p->msid);
        else
            wic_rejected(&b, &off->mlines[i]);
    }
    return sdpx_bld_finish(&b, out);
}

sdpx_status sdpx_to_wic_answer(const char *ims_answer, size_t ims_len, const char *agw_local,
                               size_t agw_len, const char *wic_offer, size_t wic_len,
                               const sdpx_wic_params *p, char **out)
{
    sdpx_status st = params_ok(p, out);
    if (st != SDPX_OK) return st;
    sdpx_info ims, agw, off;
    if ((st = sdpx_classify2(ims_answer, ims_len, 0, &ims, agw_local, agw_len, SDPX_F_TEMPLATE,
                             &agw)) != SDPX_OK)
        return st;
    if ((st = sdpx_classify(wic_offer, wic_len, 0, &off)) == SDPX_OK) {
        st = sdpx_to_wic_answer_info(&ims, &agw, &off, p, out);
        sdpx_info_clear(&off);
    }
    sdpx_info_clear(&ims);
    sdpx_info_clear(&agw);
    return st;
}

sdpx_status sdpx_to_wic_offer_info(const sdpx_info *ims, const sdpx_info *agw,
                                   const sdpx_wic_params *p, char **out)
{
    sdpx_status st = params_ok(p, out);
    if (st != SDPX_OK) return st;
    if (!ims || !agw) return SDPX_E_INVAL;
    sdpx_picks picks;
    if (ims->audio < 0) return SDPX_E_NO_AUDIO;
    /* The far side's offer: RTP/AVP from IMS, or WebRTC from a second WIC (WIC to WIC). */
    if (ims->kind != SDPX_KIND_RTP && ims->kind != SDPX_KIND_WEBRTC) return SDPX_E_PROTO;
    if ((st = agw_local_ok(agw)) != SDPX_OK) return st;
    /* RFC 5763 §5: the offerer MUST say actpass. */
    if (agw->setup != SDPX_SETUP_NONE && agw->setup != SDPX_SETUP_ACTPASS) return SDPX_E_DTLS;
    sdpx_pick_filtered(ims, &p->filter, &picks);
    if ((st = sdpx_picks_finish(&picks)) != SDPX_OK) return st;
    /* A WebRTC source is rtcp-muxed already: its numbers stay (as in sdpx_iq_w3_local). */
    if (ims->kind == SDPX_KIND_RTP) sdpx_picks_mux_safe(&picks);

    sdpx_bld b;
    if (!sdpx_bld_init(&b, ims->o_user, ims->o_id, ims->o_version + p->o_version_add, agw->addr))
        return SDPX_E_NOMEM;
    if (agw->ice_lite) sdpx_bld_sattr(&b, "ice-lite", NULL);
    /* JSEP §5.2.1: every m= section gets a mid; one section, one BUNDLE group. */
    sdpx_bld_sattr(&b, "group", "BUNDLE 0");
    wic_audio(&b, "UDP/TLS/RTP/SAVPF", agw, &picks, ims, "0", SDPX_SETUP_ACTPASS, p->msid);
    return sdpx_bld_finish(&b, out);
}

sdpx_status sdpx_to_wic_offer(const char *ims_offer, size_t ims_len, const char *agw_local,
                              size_t agw_len, const sdpx_wic_params *p, char **out)
{
    sdpx_status st = params_ok(p, out);
    if (st != SDPX_OK) return st;
    sdpx_info ims, agw;
    if ((st = sdpx_classify2(ims_offer, ims_len, 0, &ims, agw_local, agw_len, SDPX_F_TEMPLATE,
                             &agw)) != SDPX_OK)
        return st;
    st = sdpx_to_wic_offer_info(&ims, &agw, p, out);
    sdpx_info_clear(&ims);
    sdpx_info_clear(&agw);
    return st;
}
