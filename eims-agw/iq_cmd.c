/* Iq command semantics on the MG (see iq_cmd.h). A request command's descriptors are read first
 * (iq_desc.c, with the profile's checks), then applied to the table; a failing command leaves
 * what it touched as it was and answers its error code. */
#include "iq_cmd.h"

#include <stdio.h>
#include <string.h>

#include "iq_desc.h"
#include "iq_sdp.h"
#include "runtime/log.h"

const char *const iq_cmd_packages[] = {"g-1",    "root-2", "nt-1",       "rtp-1",
                                       "ipdc-1", "adid-1", "hangterm-1", "it-1",
                                       "ice-1",  "dtls-1", "wtpf-1",     NULL};

struct iq_cmd {
    iq_table *tb;
    char *access_realm, *core_realm, *cid_property;
    unsigned no_media_ms, heartbeat_s;
    bool notify_unarmed;
    iq_cmd_hooks hooks;
    void *ud;
    rt_metrics_t *metrics;
};

iq_cmd *iq_cmd_new(iq_table *tb, const iq_cmd_cfg *cfg, const iq_cmd_hooks *hooks, void *ud,
                   rt_metrics_t *metrics)
{
    iq_cmd *c = g_new0(iq_cmd, 1);
    c->tb = tb;
    c->access_realm = g_strdup(cfg->access_realm ? cfg->access_realm : "access");
    c->core_realm = g_strdup(cfg->core_realm ? cfg->core_realm : "core");
    c->cid_property = cfg->cid_property && *cfg->cid_property ? g_strdup(cfg->cid_property) : NULL;
    c->no_media_ms = cfg->no_media_ms;
    c->heartbeat_s = cfg->heartbeat_s;
    c->notify_unarmed = cfg->notify_unarmed;
    if (hooks) c->hooks = *hooks;
    c->ud = ud;
    c->metrics = metrics;
    if (metrics)
        rt_metrics_define(metrics, "iq_commands_total", "counter",
                          "H.248 commands executed, by command and result (ok or error code)");
    return c;
}

void iq_cmd_free(iq_cmd *c)
{
    if (!c) return;
    g_free(c->access_realm);
    g_free(c->core_realm);
    g_free(c->cid_property);
    g_free(c);
}

/* ---- applying descriptors to a termination ---- */

static bool fp_cb(void *ud, const char *alg, char *out, size_t cap)
{
    const iq_media *m = ud;
    return m->ops && m->ops->fingerprint && m->ops->fingerprint(m->be, alg, out, cap);
}

static void random_tls_id(char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = set[g_random_int_range(0, sizeof set - 1)];
    out[n - 1] = '\0';
}

/* The no-media detection time the media plane should use for `events`. */
static unsigned no_media_ms(const iq_cmd *c, const GPtrArray *events)
{
    for (guint i = 0; events && i < events->len; i++) {
        const iq_armed_event *a = events->pdata[i];
        if (strcmp(a->name, "adid/ipstop") == 0)
            return a->detect_ms ? a->detect_ms : c->no_media_ms;
    }
    return c->notify_unarmed ? c->no_media_ms : 0;
}

static bool has_event(const GPtrArray *events, const char *name)
{
    for (guint i = 0; events && i < events->len; i++)
        if (strcmp(((const iq_armed_event *)events->pdata[i])->name, name) == 0) return true;
    return false;
}

/* Applies Local/Remote/Mode/Events of `d` to `t` (just reserved by Add with d's Remote, or
 * existing): all or nothing. On success *reply_local is the Local to answer (borrowed from t)
 * when d had a Local. `remote_pre`: d's Remote already parsed and checked by the caller
 * (ownership taken whatever the outcome), or NULL to parse d->remote here. */
static bool apply(iq_cmd *c, iq_term *t, iq_desc *d, bool is_add, sdpx_info *remote_pre,
                  const char **reply_local, iq_err *e)
{
    const iq_media *m = iq_table_media(c->tb);
    char reason[IQ_REASON_MAX] = "";
    unsigned code;
    *reply_local = NULL;

    sdpx_info remote = {.audio = -1};
    bool new_remote = false;
    if (remote_pre) {
        remote = *remote_pre; /* d->remote, already checked (ownership taken) */
        new_remote = true;
    } else if (d->remote) {
        if ((code = iq_sdp_check_remote(d->remote, t->kind, &remote, reason, sizeof reason)))
            return iq_err_set(e, code, "%s", reason);
        new_remote = true;
    }
    const sdpx_info *rem = new_remote ? &remote : (t->has_remote ? &t->remote : NULL);

    char *filled = NULL;
    sdpx_info local = {.audio = -1};
    if (d->local) {
        char tls_id[33];
        random_tls_id(tls_id, sizeof tls_id);
        iq_sdp_fill f = {.tp = &t->tp,
                         .fingerprint = t->kind == IQ_TERM_W3 ? fp_cb : NULL,
                         .fp_ud = (void *)m,
                         .setup = iq_sdp_choose_setup(rem),
                         .tls_id = tls_id,
                         .sess_id = (uint64_t)(g_get_real_time() / G_USEC_PER_SEC),
                         .candidates = t->kind == IQ_TERM_W3,
                         /* Add (iq_sdp_add_prepare) and Modify (iq_sdp_term_kind) parsed it */
                         .checked = true};
        code = iq_sdp_fill_local(d->local, t->kind, &f, &filled, reason, sizeof reason);
        if (!code && sdpx_classify(filled, strlen(filled), SDPX_F_LENIENT, &local) != SDPX_OK)
            code = 500, g_strlcpy(reason, "filled Local does not parse", sizeof reason);
        if (code) {
            g_free(filled);
            sdpx_info_clear(&remote);
            return iq_err_set(e, code, "%s", reason);
        }
    }
    const sdpx_info *loc = filled ? &local : &t->local;
    GPtrArray *events = d->has_events ? d->events : t->events;

    iq_term_conf conf = {
        .kind = t->kind,
        .mode = d->mode ? d->mode : t->mode,
        .local_sdp = filled ? filled : t->local_sdp,
        .local = loc,
        .remote_sdp = new_remote ? d->remote : t->remote_sdp,
        .remote = rem,
        .remote_changed = new_remote && !is_add,
        .local_changed = filled != NULL && !is_add,
        .dtls_role = t->kind == IQ_TERM_W3
                         ? iq_sdp_dtls_role(loc->setup, rem ? rem->setup : SDPX_SETUP_NONE)
                         : IQ_DTLS_UNDECIDED,
        .no_media_ms = no_media_ms(c, events),
        .cid = t->ctx->cid,
    };
    const char *r = NULL;
    code =
        m->ops && m->ops->term_configure ? m->ops->term_configure(m->be, t->media, &conf, &r) : 0;
    if (code) {
        g_free(filled);
        sdpx_info_clear(&local);
        sdpx_info_clear(&remote);
        return iq_err_set(e, code, "%s", r ? r : "media configuration failed");
    }

    /* Commit. */
    t->mode = conf.mode;
    t->dtls_role = conf.dtls_role;
    if (filled) {
        g_free(t->local_sdp);
        t->local_sdp = filled;
        sdpx_info_clear(&t->local);
        t->local = local;
        *reply_local = t->local_sdp;
    }
    if (new_remote) {
        g_free(t->remote_sdp);
        t->remote_sdp = g_strdup(d->remote);
        sdpx_info_clear(&t->remote);
        t->remote = remote;
        t->has_remote = true;
    }
    if (d->has_stream && is_add) t->stream_id = d->stream_id;
    if (d->realm) {
        g_free(t->realm);
        t->realm = g_strdup(d->realm);
    }
    if (d->has_events) {
        iq_term_set_events(t, d->rid, d->events);
        d->events = NULL;
    }
    if (has_event(t->events, "hangterm/thb")) {
        unsigned s = d->timerx >= 0   ? (unsigned)d->timerx
                     : t->heartbeat_s ? t->heartbeat_s
                                      : c->heartbeat_s;
        if (s != t->heartbeat_s || !t->heartbeat_timer) iq_term_set_heartbeat(t, s);
    } else if (t->heartbeat_s) {
        iq_term_set_heartbeat(t, 0);
    }
    if (d->cid && *d->cid) g_strlcpy(t->ctx->cid, d->cid, sizeof t->ctx->cid);
    return true;
}

static uint64_t age_ms(const iq_term *t)
{
    return (uint64_t)((g_get_monotonic_time() - t->created_us) / 1000);
}

/* ---- termination resolution ---- */

/* The terminations `id` names in `ctx` (NULL: the null context): one, or those matching a
 * wildcard. */
static bool resolve(iq_cmd *c, iq_context *ctx, const char *id, GPtrArray *out, iq_err *e)
{
    if (strcmp(id, "$") == 0) return iq_err_set(e, 410, "$ names a termination only in Add");
    if (strchr(id, '*')) {
        GPatternSpec *ps = g_pattern_spec_new(id);
        for (unsigned i = 0; ctx && i < ctx->n_terms; i++)
            if (g_pattern_spec_match_string(ps, ctx->terms[i]->name))
                g_ptr_array_add(out, ctx->terms[i]);
        g_pattern_spec_free(ps);
        if (out->len == 0) return iq_err_set(e, 431, "No TerminationID matched a wildcard");
        return true;
    }
    iq_term *t = iq_term_find(c->tb, id);
    if (!t) return iq_err_set(e, 430, "Unknown TerminationID %s", id);
    if (t->ctx != ctx) return iq_err_set(e, 435, "Termination ID is not in specified Context");
    g_ptr_array_add(out, t);
    return true;
}

/* ---- commands ---- */

typedef struct {
    iq_cmd *c;
    h248_ctx_kind kind;
    uint32_t ctx_id; /* 0: none (yet) */
    h248_action *ra;
} act_t;

static iq_context *act_ctx(const act_t *a)
{
    return a->ctx_id ? iq_ctx_find(a->c->tb, a->ctx_id) : NULL;
}

static void drop_if_empty(act_t *a)
{
    iq_context *ctx = act_ctx(a);
    if (ctx && ctx->n_terms == 0) {
        LOGI(RT_SUB_IQ, ctx->cid, "context %u deleted", ctx->id);
        iq_ctx_free(a->c->tb, ctx);
    }
}

static bool join_pair(iq_cmd *c, iq_context *ctx, iq_err *e)
{
    const iq_media *m = iq_table_media(c->tb);
    if (ctx->n_terms != 2 || !m->ops || !m->ops->join) return true;
    const char *r = NULL;
    unsigned code = m->ops->join(m->be, ctx->media, ctx->terms[0]->media, ctx->terms[1]->media, &r);
    if (code) return iq_err_set(e, code, "%s", r ? r : "cannot connect the terminations");
    return true;
}

static bool cmd_add(act_t *a, const h248_command *cmd, iq_err *e)
{
    iq_cmd *c = a->c;
    if (a->kind != H248_CTX_CHOOSE && a->kind != H248_CTX_NUM)
        return iq_err_set(e, 421, "Add needs Context = $ or an existing context");
    if (h248_term_is_root(cmd->term_id)) return iq_err_set(e, 410, "ROOT cannot be added");
    if (strcmp(cmd->term_id, "$") != 0) {
        if (iq_term_find(c->tb, cmd->term_id))
            return iq_err_set(e, 433, "TerminationID is already in a Context");
        return iq_err_set(e, 430, "Unknown TerminationID %s (Add = $ creates one)", cmd->term_id);
    }
    iq_desc d;
    if (!iq_desc_read(cmd, false, c->cid_property, &d, e)) return false;
    if (!d.local) {
        iq_desc_clear(&d);
        return iq_err_set(e, 441, "Missing Local descriptor: Add needs a Local template");
    }
    iq_term_kind kind;
    char reason[IQ_REASON_MAX];
    /* What the media plane needs to reserve: the peer's SDP (then we answer) and our codecs;
     * each SDP parsed once (the Remote is handed on to apply()). */
    sdpx_info remote, tmpl;
    bool have_remote;
    unsigned code = iq_sdp_add_prepare(d.local, d.remote, d.realm, c->access_realm, c->core_realm,
                                       &kind, &tmpl, &remote, &have_remote, reason, sizeof reason);
    if (code) {
        iq_desc_clear(&d);
        return iq_err_set(e, code, "%s", reason);
    }
    iq_context *ctx = act_ctx(a);
    if (!ctx) {
        ctx = iq_ctx_new(c->tb, d.cid);
        if (!ctx) {
            sdpx_info_clear(&remote);
            sdpx_info_clear(&tmpl);
            iq_desc_clear(&d);
            return iq_err_set(e, 412, "No ContextIDs available");
        }
        a->ctx_id = ctx->id;
        LOGI(RT_SUB_IQ, ctx->cid, "context %u created", ctx->id);
    }
    const char *r = NULL;
    iq_term_init init = {.remote = d.remote ? &remote : NULL,
                         .template = &tmpl,
                         .mode = d.mode ? d.mode : H248_MODE_SENDRECV,
                         .cid = d.cid && *d.cid ? d.cid : ctx->cid};
    iq_term *t = iq_term_new(c->tb, ctx, kind, &init, &code, &r);
    sdpx_info_clear(&tmpl);
    if (!t) {
        sdpx_info_clear(&remote);
        iq_desc_clear(&d);
        drop_if_empty(a);
        if (!act_ctx(a)) a->ctx_id = 0;
        return iq_err_set(e, code, "%s", r);
    }
    const char *local = NULL;
    bool ok =
        apply(c, t, &d, true, have_remote ? &remote : NULL, &local, e) && join_pair(c, ctx, e);
    iq_desc_clear(&d);
    if (!ok) {
        iq_term_free(c->tb, t, NULL);
        drop_if_empty(a);
        if (!act_ctx(a)) a->ctx_id = 0;
        return false;
    }
    LOGI(RT_SUB_IQ, ctx->cid, "context %u: added %s at %s:%u", ctx->id, t->name, t->tp.addr,
         t->tp.port);
    h248_build_command_reply(a->ra, H248_CMD_ADD, t->name, t->stream_id, local);
    return true;
}

static bool root_modify(act_t *a, const h248_command *cmd, iq_err *e)
{
    iq_desc d;
    if (!iq_desc_read(cmd, true, a->c->cid_property, &d, e)) return false;
    if (d.has_events && a->c->hooks.inactivity) {
        bool armed = d.events && d.events->len > 0;
        unsigned ms = armed ? ((const iq_armed_event *)d.events->pdata[0])->detect_ms : 0;
        a->c->hooks.inactivity(a->c->ud, armed, d.rid, ms);
    }
    iq_desc_clear(&d);
    h248_action_add_command(a->ra, H248_CMD_MODIFY, "ROOT");
    return true;
}

static bool cmd_modify(act_t *a, const h248_command *cmd, iq_err *e)
{
    iq_cmd *c = a->c;
    if (h248_term_is_root(cmd->term_id)) {
        if (a->kind != H248_CTX_NULL) return iq_err_set(e, 410, "ROOT is only in the null context");
        return root_modify(a, cmd, e);
    }
    GPtrArray *terms = g_ptr_array_new();
    iq_desc d = {0};
    bool ok = resolve(c, act_ctx(a), cmd->term_id, terms, e) &&
              iq_desc_read(cmd, false, c->cid_property, &d, e);
    for (guint i = 0; ok && i < terms->len; i++) {
        iq_term *t = terms->pdata[i];
        if (d.local || d.remote) {
            iq_term_kind k;
            char reason[IQ_REASON_MAX];
            unsigned code =
                iq_sdp_term_kind(d.local, d.remote, NULL, NULL, NULL, &k, reason, sizeof reason);
            if (code && code != 441) {
                ok = iq_err_set(e, code, "%s", reason);
                break;
            }
            if (!code && k != t->kind) {
                ok = iq_err_set(e, 449, "%s is a %s termination", t->name,
                                t->kind == IQ_TERM_W3 ? "W3" : "RTP");
                break;
            }
        }
        /* With a wildcard every termination gets its own copy of the events. */
        iq_desc di = d;
        if (d.events && i + 1 < terms->len) {
            di.events = g_ptr_array_new_with_free_func(iq_armed_event_free);
            for (guint k = 0; k < d.events->len; k++) {
                const iq_armed_event *s = d.events->pdata[k];
                iq_armed_event *n = g_new0(iq_armed_event, 1);
                n->name = g_strdup(s->name);
                n->detect_ms = s->detect_ms;
                g_ptr_array_add(di.events, n);
            }
        } else {
            d.events = NULL; /* moves to di */
        }
        const char *local = NULL;
        ok = apply(c, t, &di, false, NULL, &local, e);
        iq_desc_clear(&di);
        if (!ok) {
            /* name the failing termination in the command reply */
            h248_command *rc = h248_action_add_command(a->ra, H248_CMD_MODIFY, t->name);
            h248_command_set_error(rc, e->code, e->text);
            e->replied = true;
            break;
        }
        LOGI(RT_SUB_IQ, t->ctx->cid, "context %u: modified %s%s%s", t->ctx->id, t->name,
             di.remote ? " (Remote)" : "", local ? " (Local)" : "");
        h248_build_command_reply(a->ra, H248_CMD_MODIFY, t->name, t->stream_id, local);
    }
    iq_desc_clear(&d);
    g_ptr_array_unref(terms);
    return ok;
}

static bool cmd_subtract(act_t *a, const h248_command *cmd, iq_err *e)
{
    iq_cmd *c = a->c;
    if (h248_term_is_root(cmd->term_id)) return iq_err_set(e, 410, "ROOT cannot be subtracted");
    GPtrArray *terms = g_ptr_array_new();
    bool ok = resolve(c, act_ctx(a), cmd->term_id, terms, e);
    /* H.248.1 §7.2.3: statistics are returned unless the Audit descriptor is empty. */
    bool stats = !(cmd->has_audit && cmd->audit == 0);
    unsigned n = ok ? terms->len : 0;
    h248_command **rs = g_new(h248_command *, n ? n : 1);
    uint64_t *durs = g_new(uint64_t, n ? n : 1);
    iq_stats *st = g_new(iq_stats, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        iq_term *t = terms->pdata[i];
        rs[i] = h248_action_add_command(a->ra, H248_CMD_SUBTRACT, t->name);
        durs[i] = age_ms(t);
        LOGI(RT_SUB_IQ, t->ctx->cid, "context %u: subtracted %s", t->ctx->id, t->name);
    }
    /* all at once: one wait for the media worker per Subtract, not one per termination */
    if (n) iq_terms_free(c->tb, (iq_term *const *)terms->pdata, n, st);
    for (unsigned i = 0; stats && i < n; i++)
        iq_desc_add_stats(rs[i], &st[i], durs[i]);
    g_free(rs);
    g_free(durs);
    g_free(st);
    g_ptr_array_unref(terms);
    if (ok) drop_if_empty(a);
    return ok;
}

static void audit_root(const h248_command *cmd, h248_action *ra)
{
    h248_command *r = h248_action_add_command(ra, cmd->type, "ROOT");
    if (cmd->has_audit && (cmd->audit & H248_AUDIT_PACKAGES)) {
        r->packages = g_ptr_array_new_with_free_func(g_free);
        for (const char *const *p = iq_cmd_packages; *p; p++)
            g_ptr_array_add(r->packages, g_strdup(*p));
    }
}

static void audit_term(iq_cmd *c, const iq_term *t, unsigned audit, h248_action *ra)
{
    h248_command *r = h248_action_add_command(ra, H248_CMD_AUDIT_VALUE, t->name);
    if (audit & H248_AUDIT_MEDIA) {
        h248_media *m = h248_command_media(r);
        h248_term_state *ts = h248_media_term_state(m);
        ts->service_state = H248_SS_IN_SERVICE;
        if (t->realm) h248_props_add(&ts->props, "ipdc/realm", t->realm, true);
        if (c->cid_property) h248_props_add(&ts->props, c->cid_property, t->ctx->cid, true);
        h248_stream *s = h248_media_stream(m, t->stream_id);
        h248_stream_local_control(s)->mode = t->mode;
        if (t->local_sdp) h248_stream_set_local(s, t->local_sdp);
        if (t->remote_sdp) h248_stream_set_remote(s, t->remote_sdp);
    }
    if ((audit & H248_AUDIT_EVENTS) && t->events_set) {
        h248_event_list *l = h248_command_events(r, t->events_rid);
        for (guint i = 0; t->events && i < t->events->len; i++)
            h248_event_list_add(l, ((const iq_armed_event *)t->events->pdata[i])->name);
    }
    if (audit & H248_AUDIT_STATISTICS) {
        const iq_media *m = iq_table_media(c->tb);
        iq_stats st;
        iq_stats_unknown(&st);
        if (m->ops && m->ops->term_stats) m->ops->term_stats(m->be, t->media, &st);
        iq_desc_add_stats(r, &st, age_ms(t));
    }
}

static bool cmd_audit(act_t *a, const h248_command *cmd, iq_err *e)
{
    if (h248_term_is_root(cmd->term_id)) {
        if (a->kind != H248_CTX_NULL) return iq_err_set(e, 410, "ROOT is only in the null context");
        audit_root(cmd, a->ra);
        return true;
    }
    if (cmd->type == H248_CMD_AUDIT_CAP)
        return iq_err_set(e, 501, "AuditCapabilities only on ROOT");
    GPtrArray *terms = g_ptr_array_new();
    bool ok = resolve(a->c, act_ctx(a), cmd->term_id, terms, e);
    for (guint i = 0; ok && i < terms->len; i++)
        audit_term(a->c, terms->pdata[i], cmd->has_audit ? cmd->audit : 0, a->ra);
    g_ptr_array_unref(terms);
    return ok;
}

static bool cmd_service_change(act_t *a, const h248_command *cmd, iq_err *e)
{
    if (!h248_term_is_root(cmd->term_id) || a->kind != H248_CTX_NULL)
        return iq_err_set(e, 501, "ServiceChange from the MGC only on ROOT in the null context");
    if (a->c->hooks.service_change && cmd->services)
        a->c->hooks.service_change(a->c->ud, cmd->services);
    h248_action_add_command(a->ra, H248_CMD_SERVICE_CHANGE, "ROOT");
    return true;
}

static bool exec_command(act_t *a, const h248_command *cmd, iq_err *e)
{
    if (a->kind == H248_CTX_NUM && !act_ctx(a))
        return iq_err_set(e, 411, "The transaction refers to an unknown ContextId");
    if (a->kind == H248_CTX_CHOOSE && !a->ctx_id && cmd->type != H248_CMD_ADD)
        return iq_err_set(e, 421, "Context = $ must start with Add");
    switch (cmd->type) {
    case H248_CMD_ADD:
        return cmd_add(a, cmd, e);
    case H248_CMD_MODIFY:
        return cmd_modify(a, cmd, e);
    case H248_CMD_SUBTRACT:
        return cmd_subtract(a, cmd, e);
    case H248_CMD_MOVE:
        return iq_err_set(e, 501, "Move not implemented");
    case H248_CMD_AUDIT_VALUE:
    case H248_CMD_AUDIT_CAP:
        return cmd_audit(a, cmd, e);
    case H248_CMD_SERVICE_CHANGE:
        return cmd_service_change(a, cmd, e);
    case H248_CMD_NOTIFY:
        return iq_err_set(e, 443, "Notify is sent by the MG, not to it");
    }
    return iq_err_set(e, 443, "Unsupported or Unknown Command");
}

static void count(iq_cmd *c, const h248_command *cmd, unsigned code)
{
    if (!c->metrics) return;
    char labels[96];
    char res[16];
    if (code)
        snprintf(res, sizeof res, "%u", code);
    else
        g_strlcpy(res, "ok", sizeof res);
    snprintf(labels, sizeof labels, "command=\"%s\",result=\"%s\"", h248_cmd_name(cmd->type), res);
    rt_metrics_add(c->metrics, "iq_commands_total", labels, 1);
}

/* Runs one action; false when the transaction must stop. An error before anything was answered
 * in this transaction becomes a transaction-level Error (SPECS.md §4.5 (7)); otherwise the
 * failing command's reply carries it. */
static bool exec_action(iq_cmd *c, const h248_action *req, h248_transaction *rt)
{
    act_t a = {.c = c, .kind = req->ctx.kind};
    if (req->ctx.kind == H248_CTX_NUM) {
        iq_context *ctx = iq_ctx_find(c->tb, req->ctx.num);
        if (!ctx) {
            iq_err e;
            iq_err_set(&e, 411, "The transaction refers to an unknown ContextId");
            LOGN(RT_SUB_IQ, NULL, "context %u: unknown (411)", req->ctx.num);
            for (guint i = 0; i < req->commands->len; i++)
                count(c, req->commands->pdata[i], 411);
            if (rt->actions->len == 0) {
                rt->error = h248_error_new(e.code, e.text);
            } else {
                h248_action *ra = h248_transaction_add_action(rt, req->ctx);
                ra->error = h248_error_new(e.code, e.text);
            }
            return false;
        }
        a.ctx_id = ctx->id;
    }
    a.ra = h248_transaction_add_action(rt, req->ctx);
    bool go_on = true;
    for (guint i = 0; i < req->commands->len && go_on; i++) {
        const h248_command *cmd = req->commands->pdata[i];
        iq_err e = {0};
        bool ok = exec_command(&a, cmd, &e);
        count(c, cmd, ok ? 0 : e.code);
        if (ok) continue;
        if (!e.replied) {
            /* The failing command's reply; Modify names its failing termination itself. */
            h248_command *rc = h248_action_add_command(a.ra, cmd->type, cmd->term_id);
            h248_command_set_error(rc, e.code, e.text);
        }
        iq_context *ctx = act_ctx(&a);
        LOGN(RT_SUB_IQ, ctx ? ctx->cid : NULL, "%s %s: error %u %s", h248_cmd_name(cmd->type),
             cmd->term_id, e.code, e.text);
        /* H.248.1 §8.2.2: an optional command's failure does not end the transaction. */
        if (!cmd->optional) go_on = false;
    }
    if (req->ctx.kind == H248_CTX_CHOOSE)
        a.ra->ctx = a.ctx_id ? h248_ctx_num(a.ctx_id) : h248_ctx_special(H248_CTX_NULL);
    return go_on;
}

/* Context = *: AuditValue and Subtract across every context, one reply action per context. */
typedef struct {
    iq_cmd *c;
    const h248_command *cmd;
    h248_transaction *rt;
    unsigned matched;
} all_t;

static void all_one(iq_context *ctx, void *ud)
{
    all_t *w = ud;
    GPtrArray *terms = g_ptr_array_new();
    iq_err e;
    if (resolve(w->c, ctx, w->cmd->term_id, terms, &e) && terms->len) {
        act_t a = {.c = w->c, .kind = H248_CTX_NUM, .ctx_id = ctx->id};
        a.ra = h248_transaction_add_action(w->rt, h248_ctx_num(ctx->id));
        w->matched += terms->len;
        if (w->cmd->type == H248_CMD_SUBTRACT)
            cmd_subtract(&a, w->cmd, &e);
        else
            cmd_audit(&a, w->cmd, &e);
    }
    g_ptr_array_unref(terms);
}

static bool exec_all(iq_cmd *c, const h248_action *req, h248_transaction *rt)
{
    for (guint i = 0; i < req->commands->len; i++) {
        const h248_command *cmd = req->commands->pdata[i];
        iq_err e = {0};
        bool ok = true;
        if (h248_term_is_root(cmd->term_id) &&
            (cmd->type == H248_CMD_AUDIT_VALUE || cmd->type == H248_CMD_AUDIT_CAP)) {
            audit_root(cmd, h248_transaction_add_action(rt, h248_ctx_special(H248_CTX_NULL)));
        } else if (cmd->type == H248_CMD_AUDIT_VALUE || cmd->type == H248_CMD_SUBTRACT) {
            iq_term *t = strchr(cmd->term_id, '*') ? NULL : iq_term_find(c->tb, cmd->term_id);
            if (!strchr(cmd->term_id, '*') && !t) {
                ok = iq_err_set(&e, 430, "Unknown TerminationID %s", cmd->term_id);
            } else {
                all_t w = {c, cmd, rt, 0};
                if (t)
                    all_one(t->ctx, &w);
                else
                    iq_ctx_foreach(c->tb, all_one, &w);
                if (!w.matched) ok = iq_err_set(&e, 431, "No TerminationID matched a wildcard");
            }
        } else {
            ok = iq_err_set(&e, 421, "%s not allowed with Context = *", h248_cmd_name(cmd->type));
        }
        count(c, cmd, ok ? 0 : e.code);
        if (!ok) {
            LOGN(RT_SUB_IQ, NULL, "%s %s in Context = *: error %u %s", h248_cmd_name(cmd->type),
                 cmd->term_id, e.code, e.text);
            if (rt->actions->len == 0) {
                rt->error = h248_error_new(e.code, e.text);
            } else {
                h248_action *ra = h248_transaction_add_action(rt, req->ctx);
                h248_command_set_error(h248_action_add_command(ra, cmd->type, cmd->term_id), e.code,
                                       e.text);
            }
            return false;
        }
    }
    return true;
}

h248_message *iq_cmd_execute(iq_cmd *c, const h248_transaction *t, unsigned version,
                             const char *mid)
{
    h248_message *m = h248_message_new(version, mid);
    h248_transaction *rt = h248_message_add_transaction(m, H248_TR_REPLY, t->id);
    const iq_media *md = iq_table_media(c->tb);
    if (md->ops && md->ops->begin) md->ops->begin(md->be);
    for (guint i = 0; i < t->actions->len; i++) {
        const h248_action *a = t->actions->pdata[i];
        bool go_on = a->ctx.kind == H248_CTX_ALL ? exec_all(c, a, rt) : exec_action(c, a, rt);
        if (!go_on) break;
    }
    if (md->ops && md->ops->end) md->ops->end(md->be);
    if (!rt->error && rt->actions->len == 0)
        rt->error = h248_error_new(403, "Syntax error in transaction request: no action");
    return m;
}

/* ---- Notify ---- */

const char *iq_cmd_event_name(iq_media_event ev, bool heartbeat)
{
    if (heartbeat) return "hangterm/thb";
    switch (ev) {
    case IQ_EV_CONSENT_LOST:
        return "ice/cfail";
    case IQ_EV_NO_MEDIA:
        return "adid/ipstop";
    case IQ_EV_DTLS_FAILED:
        return "dtls/fail";
    }
    return "adid/ipstop";
}

h248_message *iq_cmd_notify(iq_cmd *c, const iq_term *t, iq_media_event ev, bool heartbeat,
                            unsigned version, const char *mid)
{
    const char *name = iq_cmd_event_name(ev, heartbeat);
    uint32_t rid;
    if (iq_term_armed(t, name))
        rid = t->events_rid;
    else if (!heartbeat && c->notify_unarmed)
        rid = 0;
    else
        return NULL;
    /* H.248.1 Annex B: TimeStamp = Date "T" Time, Time = hhmmssss (hundredths), UTC here. */
    GDateTime *now = g_date_time_new_now_utc();
    gchar *hms = g_date_time_format(now, "%Y%m%dT%H%M%S");
    char ts[32];
    snprintf(ts, sizeof ts, "%s%02d", hms, g_date_time_get_microsecond(now) / 10000);
    g_free(hms);
    g_date_time_unref(now);
    h248_message *m = NULL;
    h248_build_notify(&m, version, mid, 0, h248_ctx_num(t->ctx->id), t->name, rid, ts, name);
    return m;
}
