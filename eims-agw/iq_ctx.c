/* The context and termination table of the MG (see iq_ctx.h). Contexts and terminations are
 * allocated here and freed here only; gauges on /metrics follow the table. */
#include "iq_ctx.h"

#include <stdio.h>
#include <string.h>

#include "runtime/log.h"

/* H.248.1 Annex A/B: 0 is the null context, 0xFFFFFFFE choose ($), 0xFFFFFFFF all (*). */
#define IQ_CTX_ID_MAX 0xFFFFFFFDu
#define IQ_TERM_NUM_MAX 0x7FFFFFFFu

struct iq_table {
    iq_media media;
    unsigned max_contexts;
    GHashTable *contexts; /* id -> iq_context* (owned) */
    GHashTable *terms;    /* name -> iq_term* (owned through their context) */
    uint32_t next_ctx;
    uint32_t next_term;
    unsigned n_kind[2];
    rt_metrics_t *metrics;
    iq_term_event_fn event_fn;
    void *event_ud;
};

void iq_stats_unknown(iq_stats *s)
{
    memset(s, 0, sizeof *s);
    s->lost_received = s->lost_sent = -1;
    s->jitter_received_ms = s->jitter_sent_ms = -1;
}

const char *iq_media_event_name(iq_media_event ev)
{
    switch (ev) {
    case IQ_EV_CONSENT_LOST:
        return "consent-lost";
    case IQ_EV_NO_MEDIA:
        return "no-media";
    case IQ_EV_DTLS_FAILED:
        return "dtls-failed";
    }
    return "?";
}

const char *iq_term_kind_name(iq_term_kind k)
{
    return k == IQ_TERM_W3 ? "w3" : "rtp";
}

static void update_gauges(iq_table *tb)
{
    if (!tb->metrics) return;
    rt_metrics_set(tb->metrics, "iq_contexts", NULL, g_hash_table_size(tb->contexts));
    rt_metrics_set(tb->metrics, "iq_terminations", "kind=\"w3\"", tb->n_kind[IQ_TERM_W3]);
    rt_metrics_set(tb->metrics, "iq_terminations", "kind=\"rtp\"", tb->n_kind[IQ_TERM_RTP]);
}

iq_table *iq_table_new(const iq_media *media, unsigned max_contexts, rt_metrics_t *metrics)
{
    iq_table *tb = g_new0(iq_table, 1);
    tb->media = *media;
    tb->max_contexts = max_contexts ? max_contexts : 1;
    tb->contexts = g_hash_table_new(g_direct_hash, g_direct_equal);
    tb->terms = g_hash_table_new(g_str_hash, g_str_equal);
    tb->next_ctx = 1;
    tb->next_term = 1;
    tb->metrics = metrics;
    if (metrics) {
        rt_metrics_define(metrics, "iq_contexts", "gauge", "H.248 contexts in use");
        rt_metrics_define(metrics, "iq_terminations", "gauge", "terminations in use by kind");
        update_gauges(tb);
    }
    return tb;
}

void iq_table_set_event_cb(iq_table *tb, iq_term_event_fn fn, void *ud)
{
    tb->event_fn = fn;
    tb->event_ud = ud;
}

const iq_media *iq_table_media(const iq_table *tb)
{
    return &tb->media;
}

void iq_table_media_event(void *term_ud, iq_media_event ev, const char *detail, void *ud)
{
    iq_term *t = term_ud;
    if (t && t->table->event_fn) t->table->event_fn(t, ev, false, detail, t->table->event_ud);
}

/* ---- contexts ---- */

iq_context *iq_ctx_new(iq_table *tb, const char *cid)
{
    if (g_hash_table_size(tb->contexts) >= tb->max_contexts) return NULL;
    /* Numbers are reused only after a wrap, and never while in use. */
    uint32_t id = 0;
    for (unsigned tries = 0; tries < tb->max_contexts + 1; tries++) {
        uint32_t cand = tb->next_ctx;
        tb->next_ctx = cand >= IQ_CTX_ID_MAX ? 1 : cand + 1;
        if (!g_hash_table_contains(tb->contexts, GUINT_TO_POINTER(cand))) {
            id = cand;
            break;
        }
    }
    if (!id) return NULL;
    iq_context *c = g_new0(iq_context, 1);
    c->id = id;
    c->table = tb;
    if (cid && *cid)
        g_strlcpy(c->cid, cid, sizeof c->cid);
    else
        rt_cid_new(c->cid, sizeof c->cid);
    if (tb->media.ops && tb->media.ops->ctx_new)
        c->media = tb->media.ops->ctx_new(tb->media.be, id, c->cid);
    g_hash_table_insert(tb->contexts, GUINT_TO_POINTER(id), c);
    update_gauges(tb);
    return c;
}

iq_context *iq_ctx_find(const iq_table *tb, uint32_t id)
{
    return g_hash_table_lookup(tb->contexts, GUINT_TO_POINTER(id));
}

void iq_ctx_free(iq_table *tb, iq_context *c)
{
    while (c->n_terms)
        iq_term_free(tb, c->terms[c->n_terms - 1], NULL);
    if (tb->media.ops && tb->media.ops->ctx_free && c->media)
        tb->media.ops->ctx_free(tb->media.be, c->media);
    g_hash_table_remove(tb->contexts, GUINT_TO_POINTER(c->id));
    g_free(c);
    update_gauges(tb);
}

static gint cmp_ctx(gconstpointer a, gconstpointer b)
{
    const iq_context *x = *(iq_context *const *)a, *y = *(iq_context *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static GPtrArray *sorted_contexts(const iq_table *tb)
{
    GPtrArray *v = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, val;
    g_hash_table_iter_init(&it, tb->contexts);
    while (g_hash_table_iter_next(&it, &k, &val))
        g_ptr_array_add(v, val);
    g_ptr_array_sort(v, cmp_ctx);
    return v;
}

void iq_ctx_foreach(const iq_table *tb, void (*fn)(iq_context *c, void *ud), void *ud)
{
    /* On a snapshot: fn may free the context it is given. */
    GPtrArray *v = sorted_contexts(tb);
    for (guint i = 0; i < v->len; i++)
        fn(v->pdata[i], ud);
    g_ptr_array_unref(v);
}

unsigned iq_ctx_count(const iq_table *tb)
{
    return g_hash_table_size(tb->contexts);
}

static void free_one(iq_context *c, void *ud)
{
    iq_ctx_free(ud, c);
}

void iq_ctx_free_all(iq_table *tb)
{
    iq_ctx_foreach(tb, free_one, tb);
}

void iq_table_free(iq_table *tb)
{
    if (!tb) return;
    iq_ctx_free_all(tb);
    g_hash_table_destroy(tb->contexts);
    g_hash_table_destroy(tb->terms);
    g_free(tb);
}

/* ---- terminations ---- */

iq_term *iq_term_new(iq_table *tb, iq_context *c, iq_term_kind kind, const iq_term_init *init,
                     unsigned *code, const char **reason)
{
    if (c->n_terms >= IQ_MAX_TERMS_PER_CTX) {
        *code = 434;
        *reason = "Max number of Terminations in a Context exceeded";
        return NULL;
    }
    iq_term *t = g_new0(iq_term, 1);
    for (unsigned tries = 0;; tries++) {
        uint32_t n = tb->next_term;
        tb->next_term = n >= IQ_TERM_NUM_MAX ? 1 : n + 1;
        snprintf(t->name, sizeof t->name, "ip/%s/%u", iq_term_kind_name(kind), n);
        if (!g_hash_table_contains(tb->terms, t->name)) break;
        if (tries > g_hash_table_size(tb->terms)) {
            g_free(t);
            *code = 432;
            *reason = "Out of TerminationIDs";
            return NULL;
        }
    }
    t->kind = kind;
    t->ctx = c;
    t->table = tb;
    t->stream_id = 1;
    t->mode = H248_MODE_SENDRECV;
    t->local.audio = t->remote.audio = -1;
    t->created_us = g_get_monotonic_time();
    *code = 0;
    *reason = NULL;
    if (tb->media.ops && tb->media.ops->term_new) {
        iq_term_init none = {.mode = H248_MODE_SENDRECV, .cid = c->cid};
        t->media = tb->media.ops->term_new(tb->media.be, c->media, kind, init ? init : &none, t,
                                           &t->tp, code, reason);
        if (!t->media) {
            if (!*code) *code = 500;
            if (!*reason) *reason = "media reservation failed";
            g_free(t);
            return NULL;
        }
    }
    c->terms[c->n_terms++] = t;
    g_hash_table_insert(tb->terms, t->name, t);
    tb->n_kind[kind]++;
    update_gauges(tb);
    return t;
}

iq_term *iq_term_find(const iq_table *tb, const char *name)
{
    return name ? g_hash_table_lookup(tb->terms, name) : NULL;
}

unsigned iq_term_count(const iq_table *tb, iq_term_kind kind)
{
    return tb->n_kind[kind];
}

void iq_armed_event_free(gpointer p)
{
    iq_armed_event *e = p;
    g_free(e->name);
    g_free(e);
}

static void term_forget(iq_table *tb, iq_term *t)
{
    iq_context *c = t->ctx;
    for (unsigned i = 0; i < c->n_terms; i++) {
        if (c->terms[i] != t) continue;
        memmove(&c->terms[i], &c->terms[i + 1], (c->n_terms - i - 1) * sizeof c->terms[0]);
        c->n_terms--;
        break;
    }
    g_hash_table_remove(tb->terms, t->name);
    tb->n_kind[t->kind]--;
    g_free(t->local_sdp);
    g_free(t->remote_sdp);
    sdpx_info_clear(&t->local);
    sdpx_info_clear(&t->remote);
    g_free(t->realm);
    if (t->events) g_ptr_array_unref(t->events);
    g_free(t);
}

static bool in_set(iq_term *const *ts, unsigned n, const iq_term *t)
{
    for (unsigned i = 0; i < n; i++)
        if (ts[i] == t) return true;
    return false;
}

void iq_terms_free(iq_table *tb, iq_term *const *ts, unsigned n, iq_stats *final)
{
    const iq_media_ops *ops = tb->media.ops;
    void **media = g_new0(void *, n ? n : 1);
    unsigned nm = 0;
    for (unsigned i = 0; i < n; i++) {
        iq_term *t = ts[i];
        iq_context *c = t->ctx;
        if (final) iq_stats_unknown(&final[i]);
        iq_term_set_heartbeat(t, 0);
        if (!ops || !t->media) continue;
        media[nm++] = t->media;
        /* Unjoin first so the media plane never relays toward a released termination. */
        for (unsigned k = 0; k < c->n_terms && ops->join; k++)
            if (!in_set(ts, n, c->terms[k]) && c->terms[k]->media) {
                const char *r;
                ops->join(tb->media.be, c->media, c->terms[k]->media, NULL, &r);
            }
    }
    if (ops && nm) {
        iq_stats *st = g_new0(iq_stats, nm);
        if (ops->terms_free)
            ops->terms_free(tb->media.be, (void *const *)media, nm, st);
        else
            for (unsigned i = 0; i < nm; i++)
                ops->term_free(tb->media.be, media[i], &st[i]);
        for (unsigned i = 0, k = 0; final && i < n; i++)
            if (ts[i]->media) final[i] = st[k++];
        g_free(st);
    }
    g_free(media);
    for (unsigned i = 0; i < n; i++)
        term_forget(tb, ts[i]);
    update_gauges(tb);
}

void iq_term_free(iq_table *tb, iq_term *t, iq_stats *final)
{
    iq_terms_free(tb, &t, 1, final);
}

void iq_term_set_events(iq_term *t, uint32_t rid, GPtrArray *events)
{
    if (t->events) g_ptr_array_unref(t->events);
    t->events = events;
    t->events_rid = rid;
    t->events_set = events != NULL;
}

const iq_armed_event *iq_term_armed(const iq_term *t, const char *name)
{
    for (guint i = 0; t->events && i < t->events->len; i++) {
        const iq_armed_event *e = t->events->pdata[i];
        if (g_ascii_strcasecmp(e->name, name) == 0) return e;
    }
    return NULL;
}

static gboolean on_heartbeat(gpointer ud)
{
    iq_term *t = ud;
    /* H.248.36: the termination reports it is still alive every timer period. */
    if (t->table->event_fn) t->table->event_fn(t, 0, true, NULL, t->table->event_ud);
    return G_SOURCE_CONTINUE;
}

void iq_term_set_heartbeat(iq_term *t, unsigned seconds)
{
    if (t->heartbeat_timer) g_source_remove(t->heartbeat_timer);
    t->heartbeat_timer = 0;
    t->heartbeat_s = seconds;
    if (seconds) t->heartbeat_timer = g_timeout_add_seconds(seconds, on_heartbeat, t);
}
