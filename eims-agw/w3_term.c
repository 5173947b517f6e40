/* W3 termination on its worker thread: one UDP port demultiplexed per RFC 7983 into ICE-lite
 * checks (answered, pairs validated and nominated), DTLS (handshake in the role negotiated by
 * a=setup, early ClientHello held until the fingerprint is known) and SRTP/SRTCP (rtcp-mux),
 * plus RFC 7675 consent tracking. */
#include <string.h>

#include "runtime/log.h"
#include "term.h"

static uint64_t hash_ufrag(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

void agw_w3_init(agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    s->selected = -1;
    s->ice = true;
    s->profiles = agw_media_cfg(t->ctx->m)->srtp_profiles;
}

const agw_addr_t *agw_w3_dest(const agw_term_t *t)
{
    const agw_w3_t *s = &t->u.w3;
    if (s->selected < 0 || s->consent_lost) return NULL;
    return &s->pairs[s->selected].addr;
}

static int pair_find(const agw_w3_t *s, const agw_addr_t *a)
{
    for (unsigned i = 0; i < s->npairs; i++)
        if (agw_addr_equal(&s->pairs[i].addr, &a->u.sa, a->len)) return (int)i;
    return -1;
}

static int pair_add(agw_w3_t *s, const agw_addr_t *a, uint64_t h, int64_t now)
{
    unsigned i = s->npairs;
    if (i == AGW_ICE_MAX_PAIRS) { /* replace the stalest pair that is not selected */
        i = s->selected == 0 ? 1 : 0;
        for (unsigned k = 0; k < s->npairs; k++)
            if ((int)k != s->selected && s->pairs[k].last_check < s->pairs[i].last_check) i = k;
    } else {
        s->npairs++;
    }
    s->pairs[i].addr = *a;
    s->pairs[i].ufrag_hash = h;
    s->pairs[i].last_check = now;
    return (int)i;
}

static bool from_valid(const agw_w3_t *s, const agw_addr_t *src)
{
    return pair_find(s, src) >= 0;
}

/* ---- DTLS ---------------------------------------------------------------------------------- */

static void dtls_send(void *ud, const uint8_t *buf, size_t len)
{
    agw_term_t *t = ud;
    agw_worker_sendto(t->worker, t->ep[0].fd, buf, len, &t->u.w3.dtls_peer);
}

static void dtls_reset(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    agw_worker_hs_disarm(w, t);
    if (s->dtls) agw_dtls_free(s->dtls);
    s->dtls = NULL;
    if (s->srtp_ready) agw_srtp_clear(&s->srtp);
    s->srtp_ready = false;
    s->dtls_done = false;
}

static void dtls_failed(agw_worker_t *w, agw_term_t *t, const char *reason)
{
    agw_w3_t *s = &t->u.w3;
    s->dtls_done = true;
    AGW_CNT_ADD(agw_worker_cnt(w)->dtls_failed, 1);
    LOGW(RT_SUB_DTLS, t->cid, "W3 termination %u: DTLS failed: %s", t->id, reason);
    agw_worker_event(w, t, AGW_EV_DTLS_FAILED, reason, NULL, &s->dtls_peer, 0);
}

static void after_dtls(agw_worker_t *w, agw_term_t *t, agw_dtls_state_t st)
{
    agw_w3_t *s = &t->u.w3;
    if (st == AGW_DTLS_HANDSHAKING && agw_dtls_deadline(s->dtls) >= 0)
        agw_worker_hs_arm(w, t);
    else
        agw_worker_hs_disarm(w, t);
    if (s->dtls_done && st != AGW_DTLS_CLOSED) return;
    if (st == AGW_DTLS_CONNECTED) {
        agw_srtp_keys_t keys;
        const char *err = "SRTP key export failed";
        /* agw_dtls_srtp_keys() only answers once the fingerprint matched (RFC 5763 §5) */
        if (!agw_dtls_srtp_keys(s->dtls, &keys) || !agw_srtp_init(&s->srtp, &keys, &err)) {
            memset(&keys, 0, sizeof keys);
            dtls_failed(w, t, err);
            return;
        }
        memset(&keys, 0, sizeof keys);
        s->srtp_ready = true;
        s->dtls_done = true;
        const char *prof = agw_srtp_profile_info(s->srtp.profile)->name;
        AGW_CNT_ADD(agw_worker_cnt(w)->dtls_ok, 1);
        LOGI(RT_SUB_DTLS, t->cid, "W3 termination %u: DTLS %s connected, %s", t->id,
             s->dtls_client ? "client" : "server", prof);
        agw_worker_event(w, t, AGW_EV_DTLS_CONNECTED, NULL, prof, &s->dtls_peer, 0);
    } else if (st == AGW_DTLS_FAILED) {
        dtls_failed(w, t, agw_dtls_reason(s->dtls));
    } else if (st == AGW_DTLS_CLOSED && s->srtp_ready) {
        agw_srtp_clear(&s->srtp);
        s->srtp_ready = false;
        LOGI(RT_SUB_DTLS, t->cid, "W3 termination %u: DTLS closed by the peer", t->id);
        agw_worker_event(w, t, AGW_EV_DTLS_CLOSED, agw_dtls_reason(s->dtls), NULL, &s->dtls_peer,
                         0);
    }
}

/* The client speaks first, once it knows where the peer is (ICE pair or fixed address). */
static void dtls_try_start(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    if (!s->dtls || !s->dtls_client || s->dtls_done) return;
    if (agw_dtls_deadline(s->dtls) >= 0 || agw_dtls_state(s->dtls) != AGW_DTLS_HANDSHAKING) return;
    const agw_addr_t *dst = agw_w3_dest(t);
    if (!dst) return;
    s->dtls_peer = *dst;
    after_dtls(w, t, agw_dtls_start(s->dtls, agw_worker_now(w)));
}

static void dtls_feed(agw_worker_t *w, agw_term_t *t, const uint8_t *buf, size_t len,
                      const agw_addr_t *src)
{
    agw_w3_t *s = &t->u.w3;
    s->dtls_peer = *src;
    after_dtls(w, t, agw_dtls_input(s->dtls, buf, len, agw_worker_now(w)));
}

/* Creates the DTLS association once the role and the peer's fingerprint are both known. */
static void dtls_setup(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    if (s->dtls || s->dtls_done || s->remote_fp.len == 0) return;
    if (s->local_setup == AGW_SETUP_ACTPASS) {
        if (s->remote_setup == AGW_SETUP_PASSIVE)
            s->dtls_client = true;
        else if (s->remote_setup == AGW_SETUP_ACTIVE || s->remote_setup == AGW_SETUP_UNSET)
            s->dtls_client = false;
        else
            return; /* the answer has not decided yet */
    } else {
        s->dtls_client = s->local_setup == AGW_SETUP_ACTIVE;
    }
    const agw_media_t *m = t->ctx->m;
    const agw_media_config_t *cfg = agw_media_cfg(m);
    agw_dtls_params_t p = {.cred = agw_media_cred(m),
                           .client = s->dtls_client,
                           .profiles = s->profiles,
                           .remote_fp = s->remote_fp,
                           .mtu = cfg->dtls_mtu,
                           .timeout_ms = cfg->dtls_timeout_ms,
                           .send = dtls_send,
                           .ud = t};
    const char *err = NULL;
    s->dtls = agw_dtls_new(&p, &err);
    if (!s->dtls) {
        dtls_failed(w, t, err);
        return;
    }
    if (s->dtls_client) {
        dtls_try_start(w, t);
    } else if (s->held_len) {
        /* RFC 5763 §5: the ClientHello that came before the answer */
        if (from_valid(s, &s->held_src)) dtls_feed(w, t, s->held, s->held_len, &s->held_src);
        s->held_len = 0;
    }
}

void agw_w3_dtls_timer(agw_worker_t *w, agw_term_t *t, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    if (!s->dtls) {
        agw_worker_hs_disarm(w, t);
        return;
    }
    int64_t dl = agw_dtls_deadline(s->dtls);
    if (dl < 0 || now < dl) return;
    after_dtls(w, t, agw_dtls_timer(s->dtls, now));
}

/* ---- remote parameters (Add/Modify) -------------------------------------------------------- */

void agw_w3_apply_remote(agw_worker_t *w, agw_term_t *t, const agw_w3_remote_int_t *r)
{
    agw_w3_t *s = &t->u.w3;
    int64_t now = agw_worker_now(w);
    s->remote_known = true;
    s->ice = r->ice;
    if (r->ice) {
        size_t ul = strlen(r->ufrag);
        uint64_t h = hash_ufrag(r->ufrag, ul);
        if (!s->remote_ufrag_set || strcmp(s->remote_ufrag, r->ufrag) != 0) {
            memcpy(s->remote_ufrag, r->ufrag, ul + 1);
            s->remote_ufrag_set = true;
            s->remote_ufrag_hash = h;
            /* Pairs validated by another ufrag (another fork of the offer) are forgotten. */
            unsigned k = 0;
            int sel = -1;
            for (unsigned i = 0; i < s->npairs; i++) {
                if (s->pairs[i].ufrag_hash != h) continue;
                if ((int)i == s->selected) sel = (int)k;
                s->pairs[k++] = s->pairs[i];
            }
            s->npairs = k;
            if (sel < 0 && s->selected >= 0) s->nominated = false;
            s->selected = sel;
            if (s->held_len && !from_valid(s, &s->held_src)) s->held_len = 0;
        }
    } else {
        s->remote_ufrag_set = false;
        s->npairs = 1;
        s->pairs[0].addr = r->addr;
        s->pairs[0].ufrag_hash = 0;
        s->pairs[0].last_check = now;
        s->selected = 0;
        s->nominated = true;
        s->last_consent = now;
        s->consent_lost = false;
    }
    t->codecs = r->codecs;
    agw_term_rebuild_maps(t);
    bool fp_changed = r->fp.len && !agw_fingerprint_equal(&s->remote_fp, &r->fp);
    bool setup_changed = r->setup != s->remote_setup;
    if ((s->dtls || s->dtls_done) && (fp_changed || setup_changed)) dtls_reset(w, t);
    if (r->fp.len) s->remote_fp = r->fp;
    s->remote_setup = r->setup;
    if (r->profiles) s->profiles = r->profiles;
    dtls_setup(w, t);
    dtls_try_start(w, t);
}

void agw_w3_clear(agw_worker_t *w, agw_term_t *t)
{
    dtls_reset(w, t);
    g_free(t->u.w3.held);
    t->u.w3.held = NULL;
}

/* ---- packets ------------------------------------------------------------------------------- */

static void on_stun(agw_worker_t *w, agw_term_t *t, const uint8_t *buf, size_t len,
                    const agw_addr_t *src)
{
    agw_w3_t *s = &t->u.w3;
    agw_ice_creds_t cr = {s->ufrag, s->pwd, s->remote_ufrag_set ? s->remote_ufrag : NULL};
    uint8_t reply[AGW_STUN_REPLY_MAX];
    size_t rl = 0;
    agw_stun_check_t chk;
    agw_stun_result_t res = agw_stun_answer(&cr, buf, len, &src->u.sa, src->len, reply, &rl, &chk);
    if (rl) agw_worker_sendto(w, t->ep[0].fd, reply, rl, src);
    if (res != AGW_STUN_SUCCESS) {
        t->stats.stun_rejected++;
        AGW_CNT_ADD(agw_worker_cnt(w)->stun_rejected, 1);
        if (res == AGW_STUN_REJECT && chk.error == 401) {
            char a[64];
            LOGD(RT_SUB_ICE, t->cid, "W3 termination %u: check from %s refused (ufrag \"%s\")",
                 t->id, agw_addr_str(src, a, sizeof a), chk.remote_ufrag);
        }
        return;
    }
    t->stats.stun_ok++;
    AGW_CNT_ADD(agw_worker_cnt(w)->stun_ok, 1);
    if (!s->ice) return; /* answered, but a peer without ICE has a fixed address */
    int64_t now = agw_worker_now(w);
    uint64_t h = hash_ufrag(chk.remote_ufrag, chk.remote_ufrag_len);
    int i = pair_find(s, src);
    if (i < 0)
        i = pair_add(s, src, h, now);
    else
        s->pairs[i].ufrag_hash = h, s->pairs[i].last_check = now;
    /* RFC 8445 §7.3.1.5 (lite, regular nomination): USE-CANDIDATE selects the pair; before any
     * nomination the first validated pair carries media so a browser doing aggressive or late
     * nomination still works. */
    bool changed = false;
    if (s->selected < 0 || (chk.use_candidate && s->selected != i)) {
        s->selected = i;
        changed = true;
    }
    if (chk.use_candidate) s->nominated = true;
    if (i == s->selected) {
        s->last_consent = now;
        if (s->consent_lost) {
            s->consent_lost = false;
            LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: consent regained", t->id);
        }
    }
    if (changed) {
        char a[64];
        LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: ICE pair %s selected%s", t->id,
             agw_addr_str(src, a, sizeof a), chk.use_candidate ? " (nominated)" : "");
        agw_worker_event(w, t, AGW_EV_ICE_SELECTED, NULL, NULL, src, 0);
    }
    dtls_try_start(w, t);
}

static void on_dtls(agw_worker_t *w, agw_term_t *t, const uint8_t *buf, size_t len,
                    const agw_addr_t *src)
{
    agw_w3_t *s = &t->u.w3;
    /* RFC 8445 §12: media only on validated pairs. Before the answer we cannot tell an ICE peer
     * from one without ICE, so a ClientHello is held from anywhere and checked at Modify. */
    bool early = !s->remote_known && agw_dtls_is_client_hello(buf, len);
    if (!early && !from_valid(s, src)) {
        agw_worker_drop(w, t, AGW_DROP_SOURCE);
        return;
    }
    if (!s->dtls) {
        if (!s->dtls_done && agw_dtls_is_client_hello(buf, len) && len <= 2048) {
            /* RFC 5763 §5: the offerer (actpass) may see the ClientHello before the answer;
             * keep the latest one until the peer's fingerprint arrives. Setup-time allocation. */
            if (!s->held) {
                char a[64];
                s->held = g_malloc(2048);
                LOGI(RT_SUB_DTLS, t->cid,
                     "W3 termination %u: ClientHello from %s held until the answer", t->id,
                     agw_addr_str(src, a, sizeof a));
            }
            memcpy(s->held, buf, len);
            s->held_len = len;
            s->held_src = *src;
            return;
        }
        agw_worker_drop(w, t, AGW_DROP_NOT_READY);
        return;
    }
    dtls_feed(w, t, buf, len, src);
}

static void on_srtp(agw_worker_t *w, agw_term_t *t, uint8_t *buf, size_t len, const agw_addr_t *src,
                    bool rtcp)
{
    agw_w3_t *s = &t->u.w3;
    if (!from_valid(s, src)) {
        agw_worker_drop(w, t, AGW_DROP_SOURCE);
        return;
    }
    if (!s->srtp_ready) {
        agw_worker_drop(w, t, AGW_DROP_NOT_READY);
        return;
    }
    int l = (int)len;
    if (agw_srtp_unprotect(&s->srtp, buf, &l, rtcp) != 0) {
        t->stats.srtp_failures++;
        AGW_CNT_ADD(
            agw_worker_cnt(w)->srtp_fail[AGW_DIR(t->kind, t->peer ? t->peer->kind : AGW_TERM_RTP)],
            1);
        agw_worker_drop(w, t, AGW_DROP_SRTP);
        return;
    }
    if (rtcp) {
        t->stats.rx.rtcp_packets++;
        t->last_media = agw_worker_now(w);
        t->no_media_reported = false;
        agw_worker_relay(w, t, buf, (size_t)l, true);
        return;
    }
    agw_rtp_hdr_t h;
    if (!agw_rtp_parse(buf, (size_t)l, &h)) {
        agw_worker_drop(w, t, AGW_DROP_MALFORMED);
        return;
    }
    agw_term_rx_rtp(w, t, &h, (size_t)l);
    if (t->mode == AGW_MODE_SENDONLY || t->mode == AGW_MODE_INACTIVE) {
        agw_worker_drop(w, t, AGW_DROP_MODE);
        return;
    }
    agw_worker_relay(w, t, buf, (size_t)l, false);
}

void agw_w3_rx(agw_worker_t *w, agw_term_t *t, uint8_t *buf, size_t len, const agw_addr_t *src)
{
    switch (agw_demux(buf, len)) {
    case AGW_PKT_STUN:
        on_stun(w, t, buf, len, src);
        break;
    case AGW_PKT_DTLS:
        on_dtls(w, t, buf, len, src);
        break;
    case AGW_PKT_RTP:
        on_srtp(w, t, buf, len, src, false);
        break;
    case AGW_PKT_RTCP:
        on_srtp(w, t, buf, len, src, true);
        break;
    default:
        agw_worker_drop(w, t, AGW_DROP_DEMUX);
        break;
    }
}

void agw_w3_housekeeping(agw_worker_t *w, agw_term_t *t, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    if (!s->ice || s->selected < 0 || s->consent_lost) return;
    unsigned limit = agw_media_cfg(t->ctx->m)->consent_timeout_ms;
    if (now - s->last_consent < (int64_t)limit) return;
    /* RFC 7675 §5.1: no authenticated check answered for the consent period */
    s->consent_lost = true;
    LOGN(RT_SUB_ICE, t->cid, "W3 termination %u: consent lost after %lld ms", t->id,
         (long long)(now - s->last_consent));
    agw_worker_event(w, t, AGW_EV_CONSENT_LOST, NULL, NULL, &s->pairs[s->selected].addr,
                     (unsigned)(now - s->last_consent));
}
