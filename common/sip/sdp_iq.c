/* SDP for the Iq (H.248) Local/Remote descriptors the pcscf sends to the eIMS-AGW (SPECS.md
 * §4.3, §4.5). Local templates hold "$" where the AGW chooses; sofia-sip can neither parse nor
 * print "$" as an m= port, so they are written as text. Remote descriptors carry real values
 * and go through sofia-sip's printer. */
#include "sdp_rewrite_int.h"

#include <string.h>

static const char *ip(const sdpx_iq_params *p)
{
    return p->ipv6 ? "IP6" : "IP4";
}

static void text_codecs(sdpx_text *t, const sdpx_picks *picks, const sdpx_info *src)
{
    for (size_t i = 0; i < picks->n; i++) {
        const sdpx_codec *c = picks->v[i].c;
        if (c->name && c->name[0] && c->rate) {
            if (c->channels > 1)
                sdpx_text_add(t, "a=rtpmap:%u %s/%u/%u\r\n", picks->v[i].pt, c->name, c->rate,
                              c->channels);
            else
                sdpx_text_add(t, "a=rtpmap:%u %s/%u\r\n", picks->v[i].pt, c->name, c->rate);
        }
        if (c->fmtp && c->fmtp[0]) sdpx_text_add(t, "a=fmtp:%u %s\r\n", picks->v[i].pt, c->fmtp);
    }
    if (src->ptime) sdpx_text_add(t, "a=ptime:%u\r\n", src->ptime);
    if (src->maxptime) sdpx_text_add(t, "a=maxptime:%u\r\n", src->maxptime);
}

static void text_fmts(sdpx_text *t, const sdpx_picks *picks)
{
    for (size_t i = 0; i < picks->n; i++)
        sdpx_text_add(t, " %u", picks->v[i].pt);
    sdpx_text_add(t, "\r\n");
}

/* Picks the source's allowed codecs; `webrtc_pts` renumbers for rtcp-mux when the source is
 * RTP/AVP, exactly as sdpx_to_wic_offer() will. */
static sdpx_status source_codecs(const sdpx_info *info, const sdpx_codec_filter *f,
                                 bool webrtc_pts, sdpx_picks *picks)
{
    if (info->audio < 0) return SDPX_E_NO_AUDIO;
    if (info->kind != SDPX_KIND_RTP && info->kind != SDPX_KIND_WEBRTC) return SDPX_E_PROTO;
    sdpx_pick_filtered(info, f, picks);
    sdpx_status st = sdpx_picks_finish(picks);
    if (st == SDPX_OK && webrtc_pts && info->kind == SDPX_KIND_RTP) sdpx_picks_mux_safe(picks);
    return st;
}

/* The text entry points: parse (strict), then the _info function. */
typedef sdpx_status (*iq_fn)(const sdpx_info *, const void *, char **);

static sdpx_status via_info(const char *src, size_t len, const void *p, bool need_p, iq_fn fn,
                            char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (need_p && !p) return SDPX_E_INVAL;
    sdpx_info in;
    sdpx_status st = sdpx_classify(src, len, 0, &in);
    if (st != SDPX_OK) return st;
    st = fn(&in, p, out);
    sdpx_info_clear(&in);
    return st;
}

sdpx_status sdpx_iq_w3_local_info(const sdpx_info *in, const sdpx_iq_params *p, char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!p || !in) return SDPX_E_INVAL;
    sdpx_picks picks;
    sdpx_status st = source_codecs(in, &p->filter, true, &picks);
    if (st != SDPX_OK) return st;
    /* 23.334 §6.2.10.5 step 1: answering a WIC offer, the role follows its a=setup; offering
     * toward a WIC (IMS-originated), actpass. */
    sdpx_setup role = p->setup;
    if (role == SDPX_SETUP_NONE)
        role = in->kind == SDPX_KIND_WEBRTC ? sdpx_answer_setup(in->setup) : SDPX_SETUP_ACTPASS;
    if (!sdpx_setup_name(role)) role = SDPX_SETUP_ACTPASS;

    sdpx_text t = {0};
    sdpx_text_add(&t, "v=0\r\no=- 0 0 IN %s $\r\ns=-\r\nt=0 0\r\n", ip(p));
    if (!p->full_ice) sdpx_text_add(&t, "a=ice-lite\r\n");
    sdpx_text_add(&t, "m=audio $ UDP/TLS/RTP/SAVPF");
    text_fmts(&t, &picks);
    sdpx_text_add(&t, "c=IN %s $\r\n", ip(p));
    sdpx_text_add(&t, "a=rtcp-mux\r\na=ice-ufrag:$\r\na=ice-pwd:$\r\n");
    sdpx_text_add(&t, "a=fingerprint:sha-256 $\r\na=setup:%s\r\n", sdpx_setup_name(role));
    text_codecs(&t, &picks, in);
    return sdpx_text_finish(&t, out);
}

static sdpx_status w3_local_fn(const sdpx_info *in, const void *p, char **out)
{
    return sdpx_iq_w3_local_info(in, p, out);
}

sdpx_status sdpx_iq_w3_local(const char *src, size_t len, const sdpx_iq_params *p, char **out)
{
    return via_info(src, len, p, true, w3_local_fn, out);
}

sdpx_status sdpx_iq_rtp_local_info(const sdpx_info *in, const sdpx_iq_params *p, char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!p || !in) return SDPX_E_INVAL;
    sdpx_picks picks;
    sdpx_status st = source_codecs(in, &p->filter, false, &picks);
    if (st != SDPX_OK) return st;
    sdpx_text t = {0};
    /* SPECS.md §4.5 (3): the core Local needs no o=/s=/t=. */
    sdpx_text_add(&t, "v=0\r\nc=IN %s $\r\nm=audio $ RTP/AVP", ip(p));
    text_fmts(&t, &picks);
    text_codecs(&t, &picks, in);
    return sdpx_text_finish(&t, out);
}

static sdpx_status rtp_local_fn(const sdpx_info *in, const void *p, char **out)
{
    return sdpx_iq_rtp_local_info(in, p, out);
}

sdpx_status sdpx_iq_rtp_local(const char *src, size_t len, const sdpx_iq_params *p, char **out)
{
    return via_info(src, len, p, true, rtp_local_fn, out);
}

/* v=/o=/s=/t= of a Remote: the peer's own origin. */
static bool remote_init(sdpx_bld *b, const sdpx_info *in)
{
    return sdpx_bld_init(b, in->o_user, in->o_id, in->o_version,
                         in->o_addr && sdpx_addr_ok(in->o_addr) ? in->o_addr : in->addr);
}

sdpx_status sdpx_iq_w3_remote_info(const sdpx_info *in, const sdpx_codec_filter *filter,
                                   char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!in) return SDPX_E_INVAL;
    sdpx_picks picks;
    sdpx_status st = sdpx_check_webrtc(in);
    if (st == SDPX_OK && !sdpx_addr_ok(in->addr)) st = SDPX_E_SYNTAX;
    if (st != SDPX_OK) return st;
    sdpx_pick_filtered(in, filter, &picks);
    if ((st = sdpx_picks_finish(&picks)) != SDPX_OK) return st;
    sdpx_bld b;
    if (!remote_init(&b, in)) return SDPX_E_NOMEM;
    if (in->ice_lite) sdpx_bld_sattr(&b, "ice-lite", NULL);
    sdpx_bld_media(&b, "audio", in->port, in->proto);
    sdpx_bld_pick_fmts(&b, &picks);
    sdpx_bld_mconn(&b, in->addr);
    sdpx_bld_mattr(&b, sdpx_dir_name(in->dir), NULL);
    sdpx_bld_mattr(&b, "rtcp-mux", NULL);
    sdpx_bld_mattr(&b, "ice-ufrag", "%s", in->ice_ufrag);
    sdpx_bld_mattr(&b, "ice-pwd", "%s", in->ice_pwd);
    sdpx_bld_mattr(&b, "fingerprint", "%s %s", in->fp_hash, in->fp_value);
    sdpx_bld_mattr(&b, "setup", "%s", sdpx_setup_name(in->setup));
    if (in->tls_id && sdpx_text_ok(in->tls_id, 256)) sdpx_bld_mattr(&b, "tls-id", "%s", in->tls_id);
    for (size_t i = 0; i < in->n_cands; i++)
        if (sdpx_text_ok(in->cands[i], 512)) sdpx_bld_mattr(&b, "candidate", "%s", in->cands[i]);
    if (in->end_of_candidates) sdpx_bld_mattr(&b, "end-of-candidates", NULL);
    sdpx_bld_pick_attrs(&b, &picks);
    sdpx_bld_ptime(&b, in);
    return sdpx_bld_finish(&b, out);
}

static sdpx_status w3_remote_fn(const sdpx_info *in, const void *f, char **out)
{
    return sdpx_iq_w3_remote_info(in, f, out);
}

sdpx_status sdpx_iq_w3_remote(const char *webrtc, size_t len, const sdpx_codec_filter *filter,
                              char **out)
{
    return via_info(webrtc, len, filter, false, w3_remote_fn, out);
}

sdpx_status sdpx_iq_rtp_remote_info(const sdpx_info *in, const sdpx_codec_filter *filter,
                                    char **out)
{
    if (!out) return SDPX_E_INVAL;
    *out = NULL;
    if (!in) return SDPX_E_INVAL;
    sdpx_picks picks;
    if (in->audio < 0) return SDPX_E_NO_AUDIO;
    if (in->kind != SDPX_KIND_RTP) return SDPX_E_PROTO;
    if (!sdpx_addr_ok(in->addr)) return SDPX_E_SYNTAX;
    sdpx_pick_filtered(in, filter, &picks);
    sdpx_status st = sdpx_picks_finish(&picks);
    if (st != SDPX_OK) return st;
    sdpx_bld b;
    if (!remote_init(&b, in)) return SDPX_E_NOMEM;
    sdpx_bld_media(&b, "audio", in->port, in->proto);
    sdpx_bld_pick_fmts(&b, &picks);
    sdpx_bld_mconn(&b, in->addr);
    if (in->rtcp_port) sdpx_bld_mattr(&b, "rtcp", "%u", in->rtcp_port); /* RFC 3605 */
    sdpx_bld_pick_attrs(&b, &picks);
    sdpx_bld_ptime(&b, in);
    sdpx_bld_mattr(&b, sdpx_dir_name(in->dir), NULL);
    return sdpx_bld_finish(&b, out);
}

static sdpx_status rtp_remote_fn(const sdpx_info *in, const void *f, char **out)
{
    return sdpx_iq_rtp_remote_info(in, f, out);
}

sdpx_status sdpx_iq_rtp_remote(const char *rtp, size_t len, const sdpx_codec_filter *filter,
                               char **out)
{
    return via_info(rtp, len, filter, false, rtp_remote_fn, out);
}
