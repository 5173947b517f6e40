/* W3 termination on its worker thread: one UDP port demultiplexed per RFC 7983 into ICE-lite
 * checks (answered, pairs validated and nominated), DTLS (handshake in the role negotiated by
 * a=setup, early ClientHello held until the fingerprint is known) and SRTP/SRTCP (rtcp-mux),
 * plus RFC 7675 consent tracking. Toward a peer that is itself lite (a=ice-lite in its SDP, e.g.
 * another AGW termination when a call leaves and re-enters IMS) nobody would check, so we run
 * the checks: controlling role, USE-CANDIDATE, retransmissions, consent checks every 4-6 s. */
#include <gnutls/crypto.h>
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

/* The worker's 10 ms timer list holds the termination while a DTLS flight or one of our STUN
 * transactions may need a retransmission. */
static void timers_update(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    bool dtls = s->dtls && agw_dtls_state(s->dtls) == AGW_DTLS_HANDSHAKING &&
                agw_dtls_deadline(s->dtls) >= 0;
    if (dtls || s->ck_pending)
        agw_worker_hs_arm(w, t);
    else
        agw_worker_hs_disarm(w, t);
}

static void dtls_reset(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    if (s->dtls) agw_dtls_free(s->dtls);
    s->dtls = NULL;
    if (s->srtp_ready) agw_srtp_clear(&s->srtp);
    s->srtp_ready = false;
    s->dtls_done = false;
    s->dtls_restarts = 0;
    timers_update(w, t);
}

static void dtls_failed(agw_worker_t *w, agw_term_t *t, const char *reason)
{
    agw_w3_t *s = &t->u.w3;
    s->dtls_done = true;
    AGW_CNT_ADD(agw_worker_cnt(w)->dtls_failed, 1);
    LOGW(RT_SUB_DTLS, t->cid, "W3 termination %u: DTLS failed: %s", t->id, reason);
    agw_worker_event(w, t, AGW_EV_DTLS_FAILED, reason, NULL, &s->dtls_peer, 0);
}

static void dtls_setup(agw_worker_t *w, agw_term_t *t);

/* The DTLS client toward an ICE-lite peer whose handshake timed out with no answer at all while
 * the peer answers our consent checks (RFC 7675): the peer is alive but not ready. In the hairpin
 * of a diverted call it is our own offering termination, which holds the ClientHello until its
 * SDP answer arrives, i.e. until the called phone answers (RFC 5763 §5). Browsers (we are lite
 * toward them, role LITE) and peers that answered the handshake or lost consent still fail. */
static bool dtls_peer_not_ready(const agw_w3_t *s)
{
    return s->dtls_client && s->role != AGW_ICE_ROLE_LITE && s->ck_ok && !s->consent_lost &&
           agw_dtls_unanswered(s->dtls);
}

/* A new association and a new ClientHello (new random); the peer keeps the latest one. */
static void dtls_restart(agw_worker_t *w, agw_term_t *t)
{
    agw_w3_t *s = &t->u.w3;
    agw_dtls_free(s->dtls);
    s->dtls = NULL;
    s->dtls_restarts++;
    LOGI(RT_SUB_DTLS, t->cid,
         "W3 termination %u: DTLS handshake restarted (%u): the ICE-lite peer "
         "answers consent checks but not the handshake yet",
         t->id, s->dtls_restarts);
    dtls_setup(w, t);
}

static void after_dtls(agw_worker_t *w, agw_term_t *t, agw_dtls_state_t st)
{
    agw_w3_t *s = &t->u.w3;
    timers_update(w, t);
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
        if (dtls_peer_not_ready(s))
            dtls_restart(w, t);
        else
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
                           .limit_from_answer = s->dtls_client && s->role != AGW_ICE_ROLE_LITE,
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

/* ---- our checks toward a lite peer (RFC 8445 §7.2, RFC 7675) -------------------------------- */

#define CK_RTO_MS 500      /* RFC 8445 §14.3: RTO >= 500 ms for one pair */
#define CK_RTO_MAX_MS 2000 /* back-off cap while no answer comes */
/* RFC 8445 §5.1.2.1: a peer-reflexive candidate of ours (type preference 110), component 1 */
#define CK_PRIORITY ((110u << 24) | (65535u << 8) | (256u - 1u))

static void ck_transmit(agw_worker_t *w, agw_term_t *t, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    agw_stun_request_t rq = {.local_ufrag = s->ufrag,
                             .remote_ufrag = s->remote_ufrag,
                             .remote_pwd = s->remote_pwd,
                             .priority = CK_PRIORITY,
                             .controlling = s->role == AGW_ICE_ROLE_CONTROLLING,
                             .tie_breaker = s->tie_breaker,
                             .use_candidate = s->ck_nominate};
    uint8_t buf[AGW_STUN_REQUEST_MAX];
    size_t n = agw_stun_build_request(&rq, s->ck_tid, buf, sizeof buf);
    if (!n) {
        s->ck_pending = false;
        return;
    }
    agw_worker_sendto(w, t->ep[0].fd, buf, n, &s->cand);
    unsigned rto = CK_RTO_MS << (s->ck_sent < 3 ? s->ck_sent : 3);
    s->ck_sent++;
    s->ck_next = now + (rto > CK_RTO_MAX_MS ? CK_RTO_MAX_MS : rto);
}

/* A new transaction (new transaction id, RFC 7675 §5.1) sent at once. Connectivity checks of the
 * controlling side nominate (USE-CANDIDATE); consent checks do not need to. */
static void ck_start(agw_worker_t *w, agw_term_t *t, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    if (!s->cand.len || !s->remote_ufrag_set || !s->remote_pwd[0]) return;
    gnutls_rnd(GNUTLS_RND_NONCE, s->ck_tid, sizeof s->ck_tid); /* unguessable (RFC 7675 §5.1) */
    s->ck_pending = true;
    s->ck_nominate = s->role == AGW_ICE_ROLE_CONTROLLING && !(s->ck_ok && s->nominated);
    s->ck_sent = 0;
    ck_transmit(w, t, now);
    timers_update(w, t);
}

static void ck_next_consent(agw_term_t *t, int64_t now)
{
    /* RFC 7675 §5.1: every 5 s randomised over 4-6 s, for the 30 s consent timeout; a shorter
     * configured timeout scales the interval with it (2/15 to 1/5 of it) */
    int64_t limit = agw_media_cfg(t->ctx->m)->consent_timeout_ms;
    int64_t lo = limit * 4 / 30, hi = limit * 6 / 30;
    if (lo > 4000) lo = 4000, hi = 6000;
    if (lo < 100) lo = 100, hi = 150;
    t->u.w3.ck_consent = now + lo + (int64_t)g_random_int_range(0, (gint32)(hi - lo + 1));
}

static const char *role_name(agw_ice_role_t r)
{
    return r == AGW_ICE_ROLE_CONTROLLING ? "controlling" : "controlled";
}

static void select_pair(agw_worker_t *w, agw_term_t *t, int i, bool nominated, const char *why)
{
    agw_w3_t *s = &t->u.w3;
    bool changed = s->selected != i;
    s->selected = i;
    if (nominated) s->nominated = true;
    if (changed) {
        char a[64];
        LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: ICE pair %s selected%s%s", t->id,
             agw_addr_str(&s->pairs[i].addr, a, sizeof a), nominated ? " (nominated)" : "", why);
        agw_worker_event(w, t, AGW_EV_ICE_SELECTED, NULL, NULL, &s->pairs[i].addr, 0);
    }
}

static void dtls_try_start(agw_worker_t *w, agw_term_t *t);

/* A response from the address we checked (RFC 8445 §7.2.5.2.1: source and destination must be
 * symmetric, otherwise the check fails; we simply wait for a proper one). */
static void on_stun_response(agw_worker_t *w, agw_term_t *t, const uint8_t *buf, size_t len,
                             const agw_addr_t *src)
{
    agw_w3_t *s = &t->u.w3;
    if (!s->ck_pending || !agw_addr_equal(&s->cand, &src->u.sa, src->len)) return;
    agw_stun_resp_t r;
    agw_stun_resp_result_t res = agw_stun_check_response(buf, len, s->ck_tid, s->remote_pwd, &r);
    int64_t now = agw_worker_now(w);
    char a[64];
    if (res == AGW_STUN_RESP_IGNORE) {
        if (r.error)
            LOGD(RT_SUB_ICE, t->cid, "W3 termination %u: unauthenticated STUN error %d from %s",
                 t->id, r.error, agw_addr_str(src, a, sizeof a));
        return;
    }
    if (res == AGW_STUN_RESP_ERROR) {
        if (r.error == 487) { /* RFC 8445 §7.2.5.1: switch role, check again */
            s->role = s->role == AGW_ICE_ROLE_CONTROLLING ? AGW_ICE_ROLE_CONTROLLED
                                                          : AGW_ICE_ROLE_CONTROLLING;
            LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: role conflict, now %s", t->id,
                 role_name(s->role));
            ck_start(w, t, now);
        } else {
            LOGW(RT_SUB_ICE, t->cid, "W3 termination %u: check to %s refused with %d", t->id,
                 agw_addr_str(src, a, sizeof a), r.error);
        }
        return;
    }
    /* success: the pair is valid, and nominated when the check carried USE-CANDIDATE */
    bool nominated = s->ck_nominate;
    s->ck_pending = false;
    timers_update(w, t);
    if (!s->ck_ok) {
        char m[64];
        agw_addr_t mapped;
        memset(&mapped, 0, sizeof mapped);
        agw_addr_set(&mapped, (const struct sockaddr *)&r.mapped, r.mapped_len);
        LOGI(RT_SUB_ICE, t->cid,
             "W3 termination %u: check to %s succeeded after %u sent (%s, "
             "mapped %s)",
             t->id, agw_addr_str(src, a, sizeof a), s->ck_sent, role_name(s->role),
             agw_addr_str(&mapped, m, sizeof m));
    }
    s->ck_ok = true;
    s->last_consent = now;
    if (s->consent_lost) {
        s->consent_lost = false;
        LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: consent regained", t->id);
    }
    ck_next_consent(t, now);
    int i = pair_find(s, src);
    if (i < 0) i = pair_add(s, src, s->remote_ufrag_hash, now);
    s->pairs[i].last_check = now;
    select_pair(w, t, i, nominated, " by our check");
    dtls_try_start(w, t);
}

/* Starts or stops our checks after the remote SDP changed. */
static void ck_apply(agw_worker_t *w, agw_term_t *t, const agw_w3_remote_int_t *r, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    bool run = r->ice && r->lite && r->pwd[0];
    bool same = run && s->role != AGW_ICE_ROLE_LITE && strcmp(s->remote_pwd, r->pwd) == 0 &&
                (!r->cand.len || agw_addr_equal(&s->cand, &r->cand.u.sa, r->cand.len));
    if (same) return;
    s->ck_pending = false;
    s->ck_ok = false;
    if (!run) {
        s->role = AGW_ICE_ROLE_LITE;
        timers_update(w, t);
        return;
    }
    if (s->role == AGW_ICE_ROLE_LITE) {
        /* RFC 8445 §6.1.1: facing a lite agent, the side that checks controls */
        s->role = AGW_ICE_ROLE_CONTROLLING;
        gnutls_rnd(GNUTLS_RND_NONCE, &s->tie_breaker, sizeof s->tie_breaker);
    }
    g_strlcpy(s->remote_pwd, r->pwd, sizeof s->remote_pwd);
    if (r->cand.len) s->cand = r->cand;
    s->last_consent = now; /* the consent window starts with the first check */
    char a[64];
    if (!s->cand.len) {
        LOGW(RT_SUB_ICE, t->cid,
             "W3 termination %u: lite peer without a usable candidate; "
             "waiting for its checks",
             t->id);
        return;
    }
    LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: the peer is ICE-lite, checking %s (%s)", t->id,
         agw_addr_str(&s->cand, a, sizeof a), role_name(s->role));
    ck_start(w, t, now);
}

void agw_w3_dtls_timer(agw_worker_t *w, agw_term_t *t, int64_t now)
{
    agw_w3_t *s = &t->u.w3;
    if (s->ck_pending && now >= s->ck_next) ck_transmit(w, t, now);
    if (s->dtls) {
        int64_t dl = agw_dtls_deadline(s->dtls);
        if (dl >= 0 && now >= dl) {
            after_dtls(w, t, agw_dtls_timer(s->dtls, now));
            return;
        }
    }
    timers_update(w, t);
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
    ck_apply(w, t, r, now);
    dtls_setup(w, t);
    dtls_try_start(w, t);
}

void agw_w3_clear(agw_worker_t *w, agw_term_t *t)
{
    t->u.w3.ck_pending = false; /* else dtls_reset() re-arms the timer of a dying termination */
    dtls_reset(w, t);
    agw_worker_hs_disarm(w, t);
    g_free(t->u.w3.held);
    t->u.w3.held = NULL;
}

/* ---- packets ------------------------------------------------------------------------------- */

static void on_stun(agw_worker_t *w, agw_term_t *t, const uint8_t *buf, size_t len,
                    const agw_addr_t *src)
{
    agw_w3_t *s = &t->u.w3;
    if (agw_stun_is_response(buf, len)) {
        on_stun_response(w, t, buf, len, src);
        return;
    }
    agw_ice_creds_t cr = {s->ufrag, s->pwd, s->remote_ufrag_set ? s->remote_ufrag : NULL,
                          s->ice ? s->role : AGW_ICE_ROLE_LITE, s->tie_breaker};
    uint8_t reply[AGW_STUN_REPLY_MAX];
    size_t rl = 0;
    agw_stun_check_t chk;
    agw_stun_result_t res = agw_stun_answer(&cr, buf, len, &src->u.sa, src->len, reply, &rl, &chk);
    if (rl) agw_worker_sendto(w, t->ep[0].fd, reply, rl, src);
    if (res != AGW_STUN_SUCCESS) {
        t->stats.stun_rejected++;
        AGW_CNT_ADD(agw_worker_cnt(w)->stun_rejected, 1);
        if (res == AGW_STUN_REJECT && (chk.error == 401 || chk.error == 487)) {
            char a[64];
            LOGD(RT_SUB_ICE, t->cid,
                 "W3 termination %u: check from %s refused with %d (ufrag "
                 "\"%s\")",
                 t->id, agw_addr_str(src, a, sizeof a), chk.error, chk.remote_ufrag);
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
    if (s->role != AGW_ICE_ROLE_LITE) {
        /* We check the lite peer ourselves: its checks are answered (and make DTLS/SRTP from
         * that address acceptable), the pair is selected by our own check's success and consent
         * comes from the answers to ours (RFC 7675). */
        if (chk.switch_role) {
            s->role = s->role == AGW_ICE_ROLE_CONTROLLING ? AGW_ICE_ROLE_CONTROLLED
                                                          : AGW_ICE_ROLE_CONTROLLING;
            LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: role conflict, now %s", t->id,
                 role_name(s->role));
        }
        if (chk.use_candidate && s->role == AGW_ICE_ROLE_CONTROLLED) s->nominated = true;
        bool known = s->cand.len && agw_addr_equal(&s->cand, &src->u.sa, src->len);
        if (!s->ck_ok && !known) {
            /* RFC 8445 §7.3.1.4: a peer-reflexive remote candidate; check it (triggered) */
            char a[64];
            s->cand = *src;
            LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: checking peer-reflexive %s", t->id,
                 agw_addr_str(src, a, sizeof a));
            ck_start(w, t, now);
        } else if (!s->ck_ok && !s->ck_pending) {
            /* our check was given up (consent lost): the peer is back, check it again */
            ck_start(w, t, now);
        } else if (chk.switch_role && s->ck_pending) {
            ck_start(w, t, now); /* the pending check carries the old role */
        }
        return;
    }
    /* RFC 8445 §7.3.1.5 (lite, regular nomination): USE-CANDIDATE selects the pair; before any
     * nomination the first validated pair carries media so a browser doing aggressive or late
     * nomination still works. */
    if (s->selected < 0 || (chk.use_candidate && s->selected != i))
        select_pair(w, t, i, chk.use_candidate, "");
    else if (chk.use_candidate)
        s->nominated = true;
    if (i == s->selected) {
        s->last_consent = now;
        if (s->consent_lost) {
            s->consent_lost = false;
            LOGI(RT_SUB_ICE, t->cid, "W3 termination %u: consent regained", t->id);
        }
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
    if (!s->ice) return;
    bool checking = s->role != AGW_ICE_ROLE_LITE;
    /* RFC 7675 §5.1: our consent checks, a new transaction every 4-6 s */
    if (checking && s->ck_ok && now >= s->ck_consent) {
        ck_start(w, t, now);
        ck_next_consent(t, now);
    }
    if (s->consent_lost || (!checking && s->selected < 0) || (checking && !s->cand.len)) return;
    unsigned limit = agw_media_cfg(t->ctx->m)->consent_timeout_ms;
    if (now - s->last_consent < (int64_t)limit) return;
    /* RFC 7675 §5.1: no authenticated check answered (lite) / no answer to ours for the consent
     * period */
    s->consent_lost = true;
    LOGN(RT_SUB_ICE, t->cid, "W3 termination %u: consent lost after %lld ms", t->id,
         (long long)(now - s->last_consent));
    if (checking && !s->ck_ok && s->ck_pending) {
        /* our first check was never answered: stop retransmitting it (a check from the peer
         * triggers a new one, a Modify with new credentials too) */
        s->ck_pending = false;
        timers_update(w, t);
    }
    agw_worker_event(w, t, AGW_EV_CONSENT_LOST, NULL, NULL,
                     checking ? &s->cand : &s->pairs[s->selected].addr,
                     (unsigned)(now - s->last_consent));
}
