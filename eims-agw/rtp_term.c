/* RTP termination (Mb side) on its worker thread: a plain RTP/RTCP port pair with symmetric-RTP
 * latching. A valid RTP (RTCP) packet latches the RTP (RTCP) source; with media.strict_source
 * only the SDP's host may latch. Until latched we send to the SDP address. */
#include <string.h>

#include "term.h"

void agw_rtp_apply_remote(agw_worker_t *w, agw_term_t *t, const agw_rtp_remote_int_t *r)
{
    agw_rtp_t *s = &t->u.rtp;
    bool moved = r->addr.len != s->remote.len ||
                 (r->addr.len && !agw_addr_equal(&s->remote, &r->addr.u.sa, r->addr.len));
    s->remote = r->addr;
    s->remote_rtcp = r->rtcp;
    if (moved) { /* a new remote address re-opens latching (Modify after re-INVITE) */
        agw_latch_reset(&s->latch);
        agw_latch_reset(&s->rtcp_latch);
    }
    t->codecs = r->codecs;
    agw_term_rebuild_maps(t);
}

const agw_addr_t *agw_rtp_dest(const agw_term_t *t, bool rtcp)
{
    const agw_rtp_t *s = &t->u.rtp;
    const agw_latch_t *l = rtcp ? &s->rtcp_latch : &s->latch;
    if (l->latched) return &l->addr;
    const agw_addr_t *r = rtcp ? &s->remote_rtcp : &s->remote;
    return r->len ? r : NULL;
}

static bool latch(const agw_term_t *t, agw_rtp_t *s, const agw_addr_t *src, bool rtcp)
{
    agw_latch_t *l = rtcp ? &s->rtcp_latch : &s->latch;
    if (!l->latched && s->remote.len && !agw_media_cfg(t->ctx->m)->latch_any_source &&
        !agw_addr_same_ip(&s->remote, &src->u.sa, src->len))
        return false;
    return agw_latch_accept(l, &src->u.sa, src->len);
}

void agw_rtp_rx(agw_worker_t *w, agw_term_t *t, uint8_t *buf, size_t len, const agw_addr_t *src,
                bool rtcp)
{
    agw_rtp_t *s = &t->u.rtp;
    /* RTCP on the RTP port (a peer doing rtcp-mux, RFC 5761): handled as RTCP */
    if (!rtcp && agw_demux(buf, len) == AGW_PKT_RTCP) rtcp = true;
    if (rtcp) {
        if (!agw_rtcp_check(buf, len)) {
            agw_worker_drop(w, t, AGW_DROP_MALFORMED);
            return;
        }
        if (!latch(t, s, src, true)) {
            agw_worker_drop(w, t, AGW_DROP_SOURCE);
            return;
        }
        t->stats.rx.rtcp_packets++;
        t->last_media = agw_worker_now(w);
        t->no_media_reported = false;
        agw_worker_relay(w, t, buf, len, true);
        return;
    }
    agw_rtp_hdr_t h;
    if (agw_demux(buf, len) != AGW_PKT_RTP || !agw_rtp_parse(buf, len, &h)) {
        agw_worker_drop(w, t, AGW_DROP_MALFORMED);
        return;
    }
    if (!latch(t, s, src, false)) {
        agw_worker_drop(w, t, AGW_DROP_SOURCE);
        return;
    }
    agw_term_rx_rtp(w, t, &h, len);
    if (t->mode == AGW_MODE_SENDONLY || t->mode == AGW_MODE_INACTIVE) {
        agw_worker_drop(w, t, AGW_DROP_MODE);
        return;
    }
    agw_worker_relay(w, t, buf, len, false);
}
