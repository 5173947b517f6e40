/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The end of an anchored call: release (Subtract = * with statistics, SPECS.md §4.5 (6)), the
 * owner's anchor_free(), the loss of its AGW and media events (Notify) reported to the SIP core,
 * and the endpoint going away with anchors left. */
#include <string.h>

#include "pcscf/anchor_int.h"
#include "runtime/log.h"

/* ---- release ------------------------------------------------------------------------------- */

void release_done(anchor_t *a, anchor_status st, const anchor_stats_t *stats)
{
    anchor_stats_cb cb = a->scb;
    void *ud = a->scb_ud;
    a->scb = NULL;
    if (a->step == STEP_RELEASE) {
        a->step = STEP_NONE;
        a->step_tid = 0;
    }
    count_step(a, STEP_RELEASE, st);
    if (a->freed || !cb) return;
    anchor_stats_t none;
    anchor_stats_init(&none);
    anchor_ref(a);
    cb(a, st, stats ? stats : &none, ud);
    anchor_unref(a);
}

void subtract_reply(anchor_t *a, pcscf_agw_t *agw, a_req_t *r, const h248_transaction *t)
{
    if (a->state != A_RELEASING) return; /* the AGW was lost meanwhile */
    iq_agw_unbind_ctx(agw, a->ctx);
    iq_agw_detach(agw, a);
    uint32_t ctx = a->ctx;
    a->agw = NULL;
    a->ctx = 0;
    a->state = A_RELEASED;
    iq_update_gauges(a->iq);
    if (!t) {
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: no reply to Subtract of context %u", agw->mid,
             r->tid, ctx);
        release_done(a, ANCHOR_E_TIMEOUT, NULL);
        return;
    }
    anchor_reply_t ri;
    anchor_reply_read(t, &ri);
    anchor_stats_t stats;
    anchor_stats_init(&stats);
    for (guint i = 0; ri.act && i < ri.act->commands->len; i++) {
        const h248_command *c = ri.act->commands->pdata[i];
        if (c->type != H248_CMD_SUBTRACT || !c->term_id) continue;
        bool access = g_strcmp0(c->term_id, a->w3_tid) == 0;
        anchor_stats_parse(&stats, access, c->statistics);
        for (guint j = 0; c->media && c->media->streams && j < c->media->streams->len; j++) {
            const h248_stream *s = c->media->streams->pdata[j];
            anchor_stats_parse(&stats, access, s->statistics);
        }
    }
    if (ri.code) {
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: Subtract of context %u: error %u %s", agw->mid,
             r->tid, ctx, ri.code, ri.text ? ri.text : "");
        release_done(a, anchor_status_of_code(ri.code), &stats);
        return;
    }
    LOGI(RT_SUB_IQ, a->cid,
         "<- %s tid %u: Context = %u subtracted; packets W3 sent %" G_GINT64_FORMAT
         " received %" G_GINT64_FORMAT ", %s sent %" G_GINT64_FORMAT " received %" G_GINT64_FORMAT,
         agw->mid, r->tid, ctx, stats.access_sent, stats.access_received,
         a->core_w3 ? "far W3" : "RTP", stats.core_sent, stats.core_received);
    release_done(a, ANCHOR_OK, &stats);
}

static gboolean on_idle_stats(gpointer ud)
{
    anchor_t *a = ud;
    a->idle_src = 0;
    release_done(a, a->idle_st, NULL);
    return G_SOURCE_REMOVE;
}

anchor_status anchor_release(anchor_t *a, anchor_stats_cb cb, void *ud)
{
    if (!a || !a->iq) return ANCHOR_E_STATE;
    if (a->state == A_RELEASING || a->step == STEP_RELEASE) return ANCHOR_E_STATE;
    /* A step in flight is cancelled: its callback is not called. */
    if (a->idle_src) {
        g_source_remove(a->idle_src);
        a->idle_src = 0;
        g_free(a->idle_sdp);
        g_free(a->idle_detail);
        a->idle_sdp = a->idle_detail = NULL;
    }
    a->cb = NULL;
    a->scb = cb;
    a->scb_ud = ud;
    a->step = STEP_RELEASE;
    switch (a->state) {
    case A_ADDING:
        /* The context id comes with the Add reply: Subtract then. */
        a->release_after_add = true;
        LOGI(RT_SUB_IQ, a->cid, "release requested while the Add is in flight");
        return ANCHOR_OK;
    case A_READY:
    case A_MODIFYING: {
        h248_action *act;
        h248_message *m = iq_request_new(a->iq, h248_ctx_num(a->ctx), &act);
        h248_action_add_command(act, H248_CMD_SUBTRACT, "*");
        a_req_t *r = g_new0(a_req_t, 1);
        r->step = STEP_RELEASE;
        uint32_t tid = send_req(a, m, r);
        if (!tid) {
            a->step = STEP_NONE;
            a->scb = NULL;
            return ANCHOR_E_INTERNAL;
        }
        a->state = A_RELEASING;
        a->step_tid = tid;
        LOGI(RT_SUB_IQ, a->cid, "-> %s tid %u: Context = %u { Subtract = * }", a->agw->mid, tid,
             a->ctx);
        return ANCHOR_OK;
    }
    default:
        /* Nothing on an AGW (never added, already released, or lost with its AGW). */
        a->idle_st = a->state == A_LOST ? ANCHOR_E_AGW_LOST : ANCHOR_OK;
        a->state = a->state == A_LOST ? A_LOST : A_RELEASED;
        a->idle_src = g_idle_add(on_idle_stats, a);
        return ANCHOR_OK;
    }
}

void anchor_free(anchor_t *a)
{
    if (!a) return;
    a->ev_cb = NULL;
    a->cb = NULL;
    a->scb = NULL;
    if (a->iq && !a->freed) {
        a->freed = true;
        if (a->state != A_RELEASING && a->step != STEP_RELEASE)
            (void)anchor_release(a, NULL, NULL);
        else if (a->state == A_ADDING)
            a->release_after_add = true;
    }
    a->freed = true;
    if (a->idle_src) {
        g_source_remove(a->idle_src);
        a->idle_src = 0;
    }
    anchor_unref(a);
}

/* ---- events from the registry -------------------------------------------------------------- */

void anchor_on_agw_lost(anchor_t *a, const char *reason)
{
    a_state was = a->state;
    pcscf_agw_t *agw = a->agw;
    if (agw) {
        if (a->ctx) iq_agw_unbind_ctx(agw, a->ctx);
        iq_agw_detach(agw, a);
    }
    LOGW(RT_SUB_IQ, a->cid, "AGW %s lost (%s): context %u gone", agw ? agw->mid : "?", reason,
         a->ctx);
    a->agw = NULL;
    a->ctx = 0;
    a->state = A_LOST;
    a->release_after_add = false;
    if (a->idle_src && a->step != STEP_RELEASE) {
        g_source_remove(a->idle_src);
        a->idle_src = 0;
        g_free(a->idle_sdp);
        g_free(a->idle_detail);
        a->idle_sdp = a->idle_detail = NULL;
    }
    if (a->step == STEP_RELEASE) {
        if (!a->idle_src) release_done(a, ANCHOR_E_AGW_LOST, NULL);
        return;
    }
    if (a->step != STEP_NONE) {
        step_finish(a, ANCHOR_E_AGW_LOST, NULL, reason);
        return;
    }
    if (a->freed || !a->ev_cb || was == A_IDLE || was == A_RELEASED) return;
    anchor_event_t ev = {
        .type = ANCHOR_EV_AGW_LOST, .agw_mid = agw ? agw->mid : NULL, .detail = reason};
    anchor_ref(a);
    a->ev_cb(a, &ev, a->ev_ud);
    anchor_unref(a);
}

void anchor_on_notify(anchor_t *a, const char *term_id, const h248_event *e)
{
    /* WIC to WIC: the far W3 termination is "access2" (both face the access side). */
    const char *side = g_strcmp0(term_id, a->w3_tid) == 0    ? "access"
                       : g_strcmp0(term_id, a->rtp_tid) == 0 ? (a->core_w3 ? "access2" : "core")
                                                             : term_id;
    GString *d = g_string_new(NULL);
    for (guint i = 0; e->params && i < e->params->len; i++) {
        const h248_prop *p = e->params->pdata[i];
        const char *v = h248_prop_value(p);
        g_string_append_printf(d, "%s%s%s%s", i ? "," : "", p->name, v ? "=" : "", v ? v : "");
    }
    LOGN(RT_SUB_IQ, a->cid, "<- %s Notify %s (%s) in context %u: %s%s%s",
         a->agw ? a->agw->mid : "?", term_id, side, a->ctx, e->name ? e->name : "?",
         d->len ? " " : "", d->str);
    if (!a->freed && a->ev_cb && e->name && (a->state == A_READY || a->state == A_MODIFYING)) {
        anchor_event_t ev = {.type = ANCHOR_EV_MEDIA,
                             .agw_mid = a->agw ? a->agw->mid : NULL,
                             .event = e->name,
                             .side = side,
                             .detail = d->str};
        a->ev_cb(a, &ev, a->ev_ud);
    }
    g_string_free(d, TRUE);
}

void anchor_destroy_all(pcscf_iq_t *iq)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, iq->anchors);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(list, k);
    g_hash_table_remove_all(iq->anchors);
    for (guint i = 0; i < list->len; i++) {
        anchor_t *a = list->pdata[i];
        if (a->idle_src) g_source_remove(a->idle_src);
        a->idle_src = 0;
        a->iq = NULL;
        a->agw = NULL;
        a->state = A_LOST;
        a->step = STEP_NONE;
        if (a->freed) {
            /* only our requests kept it: they die with the transport */
            clear_strings(a);
            g_free(a->cid);
            g_free(a);
        } else {
            a->refs = 1; /* the owner's; anchor_free() releases it */
        }
    }
    g_ptr_array_free(list, TRUE);
}
