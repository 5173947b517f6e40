/* iq_media on the media engine (see iq_engine.h). The engine fixes our ICE credentials, port,
 * fingerprint and DTLS role when a termination is added (with the peer's SDP when we answer);
 * later Remote descriptors become agw_w3_modify()/agw_rtp_modify(). */
#include "iq_engine.h"

#include <stdio.h>
#include <string.h>

#include "runtime/log.h"

struct iq_engine {
    agw_media_t *m;
    GHashTable *terms; /* agw_term_t* -> eng_term* */
    iq_media_event_fn fn;
    void *ud;
    char reason[256];
};

typedef struct {
    agw_term_t *t;
    iq_term_kind kind;
    void *ud;
    agw_codecs_t codecs; /* this leg's payload types (our Local) */
} eng_term;

/* The engine's GError codes (media.h) as H.248 errors: bad value 449, resources 510, else 500. */
static unsigned code_of(iq_engine *e, GError *err)
{
    unsigned code = 500;
    if (err && err->domain == agw_media_error_quark()) {
        if (err->code == AGW_ERR_INVAL) code = 449;
        if (err->code == AGW_ERR_RESOURCES) code = 510;
    }
    g_strlcpy(e->reason, err ? err->message : "media engine failure", sizeof e->reason);
    g_clear_error(&err);
    return code;
}

static void codecs_of(const sdpx_info *in, agw_codecs_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; in && i < in->n_codecs; i++) {
        const sdpx_codec *c = &in->codecs[i];
        agw_codecs_add(out, (uint8_t)c->pt, c->name ? c->name : "", c->rate,
                       (uint8_t)(c->channels ? c->channels : 1));
    }
}

static agw_setup_t setup_of(sdpx_setup s)
{
    switch (s) {
    case SDPX_SETUP_ACTPASS:
        return AGW_SETUP_ACTPASS;
    case SDPX_SETUP_ACTIVE:
        return AGW_SETUP_ACTIVE;
    case SDPX_SETUP_PASSIVE:
        return AGW_SETUP_PASSIVE;
    default:
        return AGW_SETUP_UNSET;
    }
}

static agw_mode_t mode_of(h248_mode m)
{
    switch (m) {
    case H248_MODE_SENDONLY:
        return AGW_MODE_SENDONLY;
    case H248_MODE_RECVONLY:
        return AGW_MODE_RECVONLY;
    case H248_MODE_INACTIVE:
        return AGW_MODE_INACTIVE;
    default:
        return AGW_MODE_SENDRECV;
    }
}

/* The agw_w3_remote_t for a peer SDP; `fp` holds "alg value". */
static void w3_remote(const sdpx_info *r, const agw_codecs_t *codecs, char *fp, size_t cap,
                      agw_w3_remote_t *out)
{
    memset(out, 0, sizeof *out);
    out->ice_ufrag = r->ice_ufrag;
    out->ice_pwd = r->ice_pwd;
    snprintf(fp, cap, "%s %s", r->fp_hash ? r->fp_hash : "", r->fp_value ? r->fp_value : "");
    out->fingerprint = r->fp_value ? fp : NULL;
    out->setup = setup_of(r->setup);
    out->address = r->addr;
    out->port = (uint16_t)r->port;
    out->ice_lite = r->ice_lite;
    out->candidates = (const char *const *)r->cands;
    out->ncandidates = r->n_cands;
    out->codecs = *codecs;
}

static void rtp_remote(const sdpx_info *r, const agw_codecs_t *codecs, agw_rtp_remote_t *out)
{
    memset(out, 0, sizeof *out);
    out->address = r->addr;
    out->port = (uint16_t)r->port;
    out->rtcp_port = (uint16_t)r->rtcp_port;
    out->codecs = *codecs;
}

/* ---- iq_media_ops ---- */

static void *e_ctx_new(void *be, uint32_t id, const char *cid)
{
    iq_engine *e = be;
    return agw_ctx_new(e->m, cid, GUINT_TO_POINTER(id));
}

static void e_ctx_free(void *be, void *ctx)
{
    agw_ctx_free(ctx); /* its terminations were subtracted one by one before */
}

static void *e_term_new(void *be, void *ctx, iq_term_kind kind, const iq_term_init *init,
                        void *term_ud, iq_transport *out, unsigned *code, const char **reason)
{
    iq_engine *e = be;
    eng_term *et = g_new0(eng_term, 1);
    et->kind = kind;
    et->ud = term_ud;
    codecs_of(init->template, &et->codecs);
    GError *err = NULL;
    memset(out, 0, sizeof *out);
    if (kind == IQ_TERM_W3) {
        agw_w3_remote_t r;
        char fp[IQ_FP_MAX + 16];
        if (init->remote) w3_remote(init->remote, &et->codecs, fp, sizeof fp, &r);
        agw_w3_local_t l;
        et->t = agw_w3_add(ctx, init->remote ? &r : NULL, &l, &err);
        if (et->t) {
            g_strlcpy(out->addr, l.address, sizeof out->addr);
            out->port = out->rtcp_port = l.port;
            g_strlcpy(out->ice_ufrag, l.ice_ufrag, sizeof out->ice_ufrag);
            g_strlcpy(out->ice_pwd, l.ice_pwd, sizeof out->ice_pwd);
            g_strlcpy(out->setup, agw_setup_name(l.setup), sizeof out->setup);
            g_strlcpy(out->candidate, l.candidate, sizeof out->candidate);
        }
    } else {
        agw_rtp_remote_t r;
        if (init->remote) rtp_remote(init->remote, &et->codecs, &r);
        agw_rtp_local_t l;
        et->t = agw_rtp_add(ctx, init->remote ? &r : NULL, &l, &err);
        if (et->t) {
            g_strlcpy(out->addr, l.address, sizeof out->addr);
            out->port = l.port;
            out->rtcp_port = l.rtcp_port;
        }
    }
    if (!et->t) {
        *code = code_of(e, err);
        *reason = e->reason;
        g_free(et);
        return NULL;
    }
    g_hash_table_insert(e->terms, et->t, et);
    return et;
}

static bool e_fingerprint(void *be, const char *alg, char *out, size_t cap)
{
    iq_engine *e = be;
    const char *fp = agw_media_fingerprint(e->m); /* "sha-256 AB:CD:..." */
    const char *sp = fp ? strchr(fp, ' ') : NULL;
    if (!sp || strlen(alg) != (size_t)(sp - fp) || g_ascii_strncasecmp(fp, alg, strlen(alg)) != 0)
        return false;
    g_strlcpy(out, sp + 1, cap);
    return true;
}

static unsigned e_configure(void *be, void *term, const iq_term_conf *c, const char **reason)
{
    iq_engine *e = be;
    eng_term *et = term;
    if (c->local) codecs_of(c->local, &et->codecs);
    GError *err = NULL;
    bool ok;
    /* one hop to the media worker for remote and mode together, none when neither changed */
    bool remote = c->remote && (c->remote_changed || c->local_changed);
    agw_mode_t mode = mode_of(c->mode);
    if (et->kind == IQ_TERM_W3) {
        agw_w3_remote_t r;
        char fp[IQ_FP_MAX + 16];
        if (remote) w3_remote(c->remote, &et->codecs, fp, sizeof fp, &r);
        ok = agw_w3_configure(et->t, remote ? &r : NULL, mode, &err);
    } else {
        agw_rtp_remote_t r;
        if (remote) rtp_remote(c->remote, &et->codecs, &r);
        ok = agw_rtp_configure(et->t, remote ? &r : NULL, mode, &err);
    }
    if (!ok) {
        unsigned code = code_of(e, err);
        *reason = e->reason;
        return code;
    }
    return 0;
}

static unsigned e_join(void *be, void *ctx, void *a, void *b, const char **reason)
{
    return 0; /* an engine context relays between its two terminations by itself */
}

static void stats_of(const agw_term_stats_t *s, iq_stats *o)
{
    iq_stats_unknown(o);
    o->packets_sent = s->tx.packets;
    o->packets_received = s->rx.packets;
    o->octets_sent = s->tx.octets;
    o->octets_received = s->rx.octets;
    o->lost_received = s->rx.lost < 0 ? 0 : s->rx.lost;
    o->jitter_received_ms = (double)s->rx.jitter_us / 1000.0;
}

static void e_stats(void *be, void *term, iq_stats *out)
{
    eng_term *et = term;
    agw_term_stats_t s;
    agw_term_stats(et->t, &s);
    stats_of(&s, out);
}

static void e_terms_free(void *be, void *const *terms, unsigned n, iq_stats *final)
{
    iq_engine *e = be;
    agw_term_t **ts = g_new0(agw_term_t *, n ? n : 1);
    agw_term_stats_t *s = g_new0(agw_term_stats_t, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        ts[i] = ((eng_term *)terms[i])->t;
        g_hash_table_remove(e->terms, ts[i]);
    }
    agw_terms_subtract(ts, n, s);
    for (unsigned i = 0; i < n; i++) {
        if (final) stats_of(&s[i], &final[i]);
        g_free(terms[i]);
    }
    g_free(ts);
    g_free(s);
}

static void e_term_free(void *be, void *term, iq_stats *final)
{
    e_terms_free(be, &term, 1, final);
}

static void e_begin(void *be)
{
    agw_media_defer(((iq_engine *)be)->m);
}

static void e_end(void *be)
{
    agw_media_flush(((iq_engine *)be)->m);
}

static const iq_media_ops engine_ops = {.ctx_new = e_ctx_new,
                                        .ctx_free = e_ctx_free,
                                        .term_new = e_term_new,
                                        .fingerprint = e_fingerprint,
                                        .term_configure = e_configure,
                                        .join = e_join,
                                        .term_stats = e_stats,
                                        .term_free = e_term_free,
                                        .terms_free = e_terms_free,
                                        .begin = e_begin,
                                        .end = e_end};

/* ---- events ---- */

static void on_event(agw_media_t *m, const agw_event_t *ev, void *ud)
{
    iq_engine *e = ud;
    eng_term *et = g_hash_table_lookup(e->terms, ev->term);
    if (!et) return;
    const char *cid = agw_ctx_cid(ev->ctx);
    char detail[160];
    switch (ev->type) {
    case AGW_EV_ICE_SELECTED:
        LOGI(RT_SUB_ICE, cid, "ICE pair selected with %s", ev->peer);
        return;
    case AGW_EV_DTLS_CONNECTED:
        LOGI(RT_SUB_DTLS, cid, "DTLS connected (%s)", ev->profile);
        return;
    case AGW_EV_DTLS_FAILED:
    case AGW_EV_DTLS_CLOSED:
        snprintf(detail, sizeof detail, "%s%s",
                 ev->type == AGW_EV_DTLS_CLOSED ? "closed by the peer: " : "", ev->reason);
        if (e->fn) e->fn(et->ud, IQ_EV_DTLS_FAILED, detail, e->ud);
        return;
    case AGW_EV_CONSENT_LOST:
        snprintf(detail, sizeof detail, "no consent for %u ms", ev->idle_ms);
        if (e->fn) e->fn(et->ud, IQ_EV_CONSENT_LOST, detail, e->ud);
        return;
    case AGW_EV_NO_MEDIA:
        snprintf(detail, sizeof detail, "no media for %u ms", ev->idle_ms);
        if (e->fn) e->fn(et->ud, IQ_EV_NO_MEDIA, detail, e->ud);
        return;
    case AGW_EV_IO_FAILED:
        /* the termination will never receive media: say so now, as no media */
        LOGE(RT_SUB_RTP, cid, "%s", ev->reason);
        if (e->fn) e->fn(et->ud, IQ_EV_NO_MEDIA, ev->reason, e->ud);
        return;
    }
}

iq_engine *iq_engine_new(const agw_media_config_t *cfg, GError **err)
{
    iq_engine *e = g_new0(iq_engine, 1);
    agw_media_config_t c = *cfg;
    c.on_event = on_event;
    c.event_ud = e;
    e->terms = g_hash_table_new(g_direct_hash, g_direct_equal);
    e->m = agw_media_new(&c, err);
    if (!e->m) {
        g_hash_table_destroy(e->terms);
        g_free(e);
        return NULL;
    }
    return e;
}

void iq_engine_free(iq_engine *e)
{
    if (!e) return;
    agw_media_free(e->m);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, e->terms);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_free(v);
    g_hash_table_destroy(e->terms);
    g_free(e);
}

iq_media iq_engine_media(iq_engine *e)
{
    iq_media m = {&engine_ops, e};
    return m;
}

agw_media_t *iq_engine_agw(iq_engine *e)
{
    return e->m;
}

void iq_engine_set_event_fn(iq_engine *e, iq_media_event_fn fn, void *ud)
{
    e->fn = fn;
    e->ud = ud;
}
