/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The pcscf's MGC endpoint on Iq (TS 29.334 over H.248.1 text/UDP): AGW registration by
 * ServiceChange (SPECS.md §4.2), least-loaded choice, keep-alive AuditValue on ROOT (29.334
 * Table 5.12.3), down detection (restart, Forced, silence) and Notify dispatch to anchors. */
#include "pcscf/iq_mgc.h"

#include <string.h>

#include "runtime/log.h"

/* ---- configuration ------------------------------------------------------------------------- */

const rt_cfg_key_t pcscf_iq_keys[] = {
    {"address", RT_CFG_STRING, "\"127.0.10.2\"", 1, 64, "local IPv4 address of the Iq endpoint",
     NULL, 0, NULL},
    {"port", RT_CFG_INT, "2944", 0, 65535, "Iq UDP port (H.248 text)", NULL, 0, NULL},
    {"mid", RT_CFG_STRING, "\"\"", 0, 128, "our H.248 mId (empty: \"[address]:port\")", NULL, 0,
     NULL},
    {"profile", RT_CFG_STRING, "\"threegiq/1\"", 3, 70,
     "Iq profile name/version sent in ServiceChange replies (provisional, SPECS.md 4.1)", NULL, 0,
     NULL},
    {"request_timeout", RT_CFG_INT, "4000", 200, 60000,
     "ms before an Iq request without reply fails (the call gets 503)", NULL, 0, NULL},
    {"retry_first", RT_CFG_INT, "250", 10, 10000,
     "ms before the first retransmission (doubles up to 4 s)", NULL, 0, NULL},
    {"audit_interval", RT_CFG_INT, "10000", 0, 3600000,
     "ms between keep-alive AuditValue requests on ROOT per AGW (0: none)", NULL, 0, NULL},
    {"max_timeouts", RT_CFG_INT, "2", 1, 100,
     "consecutive unanswered requests after which an AGW is marked down", NULL, 0, NULL},
    {"cid_property", RT_CFG_STRING, "\"wtpf/cid\"", 0, 64,
     "TerminationState property carrying the call's correlation id (empty: not sent)", NULL, 0,
     NULL},
    {"access_realm", RT_CFG_STRING, "\"access\"", 1, 64, "ipdc/realm of the W3 termination", NULL,
     0, NULL},
    {"core_realm", RT_CFG_STRING, "\"core\"", 1, 64, "ipdc/realm of the RTP termination", NULL, 0,
     NULL},
    {"events", RT_CFG_STRLIST, "[]", 0, 0,
     "events armed on each W3 termination (e.g. [\"hangterm/thb\"]); the AGW must support them",
     NULL, 0, NULL},
    {"answer_setup", RT_CFG_STRING, "\"active\"", 0, 0,
     "DTLS role when answering a browser's actpass offer (RFC 5763: active)", NULL, 0,
     "active|passive"},
    {"allow_opus", RT_CFG_BOOL, "false", 0, 0,
     "offer opus across the AGW (only with a transcoding AGW)", NULL, 0, NULL},
    {"retry_after", RT_CFG_INT, "5", 0, 3600, "Retry-After (s) of a 503 when no AGW can serve",
     NULL, 0, NULL},
    {NULL}};

static const char *member(const config_t *cfg, const char *group, const char *key, char *buf,
                          size_t n)
{
    g_snprintf(buf, n, "%s.%s", group, key);
    return buf;
}

void pcscf_iq_cfg_read(pcscf_iq_cfg_t *out, const config_t *cfg, const char *group)
{
    char k[128];
    memset(out, 0, sizeof *out);
    out->address = rt_cfg_str(cfg, member(cfg, group, "address", k, sizeof k));
    out->port = (unsigned)rt_cfg_int(cfg, member(cfg, group, "port", k, sizeof k));
    const char *mid = rt_cfg_str(cfg, member(cfg, group, "mid", k, sizeof k));
    out->mid = *mid ? mid : NULL;
    out->profile = rt_cfg_str(cfg, member(cfg, group, "profile", k, sizeof k));
    out->version = 3;
    out->request_timeout_ms =
        (unsigned)rt_cfg_int(cfg, member(cfg, group, "request_timeout", k, sizeof k));
    out->retry_first_ms = (unsigned)rt_cfg_int(cfg, member(cfg, group, "retry_first", k, sizeof k));
    out->audit_interval_ms =
        (unsigned)rt_cfg_int(cfg, member(cfg, group, "audit_interval", k, sizeof k));
    out->max_timeouts = (unsigned)rt_cfg_int(cfg, member(cfg, group, "max_timeouts", k, sizeof k));
    out->cid_property = rt_cfg_str(cfg, member(cfg, group, "cid_property", k, sizeof k));
    out->access_realm = rt_cfg_str(cfg, member(cfg, group, "access_realm", k, sizeof k));
    out->core_realm = rt_cfg_str(cfg, member(cfg, group, "core_realm", k, sizeof k));
    out->answer_passive =
        strcmp(rt_cfg_str(cfg, member(cfg, group, "answer_setup", k, sizeof k)), "passive") == 0;
    out->allow_opus = rt_cfg_bool(cfg, member(cfg, group, "allow_opus", k, sizeof k));
    out->retry_after_s = (unsigned)rt_cfg_int(cfg, member(cfg, group, "retry_after", k, sizeof k));
    /* events: pointers to libconfig's strings, in the struct's own storage */
    out->events = NULL;
    const config_setting_t *ev = config_lookup(cfg, member(cfg, group, "events", k, sizeof k));
    if (ev && config_setting_length(ev) > 0) {
        int n = MIN(config_setting_length(ev), 16);
        for (int i = 0; i < n; i++)
            out->events_store[i] = config_setting_get_string_elem(ev, i);
        out->events_store[n] = NULL;
        out->events = out->events_store;
    }
}

void pcscf_iq_check_config(const config_t *cfg, const char *group, GString *errors)
{
    char k[128];
    const char *addr = rt_cfg_str(cfg, member(cfg, group, "address", k, sizeof k));
    if (!g_hostname_is_ip_address(addr))
        rt_cfg_error(errors, config_lookup(cfg, k), "%s must be an IP address, not '%s'", k, addr);
    const char *prof = rt_cfg_str(cfg, member(cfg, group, "profile", k, sizeof k));
    const char *slash = strchr(prof, '/');
    if (!slash || slash == prof || !slash[1] || strlen(slash + 1) > 2 ||
        strspn(slash + 1, "0123456789") != strlen(slash + 1) || !g_ascii_isalpha(prof[0]))
        rt_cfg_error(errors, config_lookup(cfg, k), "%s must be NAME/1..99 (H.248.1 B.2), not '%s'",
                     k, prof);
    const char *cp = rt_cfg_str(cfg, member(cfg, group, "cid_property", k, sizeof k));
    if (*cp && (!strchr(cp, '/') || !g_ascii_isalpha(cp[0])))
        rt_cfg_error(errors, config_lookup(cfg, k), "%s must be a package/property name", k);
    const config_setting_t *ev = config_lookup(cfg, member(cfg, group, "events", k, sizeof k));
    if (ev && config_setting_length(ev) > 16) rt_cfg_error(errors, ev, "%s: at most 16 events", k);
}

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *state_name(pcscf_agw_state s)
{
    switch (s) {
    case PCSCF_AGW_IN_SERVICE:
        return "in_service";
    case PCSCF_AGW_DRAINING:
        return "draining";
    case PCSCF_AGW_DOWN:
        return "down";
    }
    return "?";
}

void iq_count(pcscf_iq_t *iq, const char *name, const char *labels)
{
    if (iq->metrics) rt_metrics_add(iq->metrics, name, labels, 1);
}

void iq_update_gauges(pcscf_iq_t *iq)
{
    if (!iq->metrics) return;
    unsigned n[3] = {0, 0, 0}, ctx = 0;
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_t *g = iq->agws->pdata[i];
        n[g->state]++;
        ctx += g_hash_table_size(g->by_ctx);
    }
    for (int s = 0; s < 3; s++) {
        char l[48];
        g_snprintf(l, sizeof l, "state=\"%s\"", state_name((pcscf_agw_state)s));
        rt_metrics_set(iq->metrics, "iq_agws", l, n[s]);
    }
    rt_metrics_set(iq->metrics, "anchor_contexts", NULL, ctx);
}

static void agw_info(const pcscf_agw_t *g, pcscf_agw_info_t *info)
{
    info->mid = g->mid;
    info->address = g->address;
    info->port = g->port;
    info->state = g->state;
    info->load = g_hash_table_size(g->anchors);
}

static void agw_changed(pcscf_iq_t *iq, pcscf_agw_t *g)
{
    iq_update_gauges(iq);
    if (iq->agw_cb) {
        pcscf_agw_info_t info;
        agw_info(g, &info);
        iq->agw_cb(iq, &info, iq->agw_ud);
    }
}

static void agw_free(gpointer p)
{
    pcscf_agw_t *g = p;
    g_free(g->mid);
    g_free(g->address);
    g_free(g->profile);
    g_hash_table_destroy(g->anchors);
    g_hash_table_destroy(g->by_ctx);
    g_array_free(g->stale, TRUE);
    g_free(g);
}

static pcscf_agw_t *agw_by_mid(pcscf_iq_t *iq, const char *mid)
{
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_t *g = iq->agws->pdata[i];
        if (g_ascii_strcasecmp(g->mid, mid) == 0) return g;
    }
    return NULL;
}

void iq_agw_attach(pcscf_agw_t *agw, anchor_t *a)
{
    g_hash_table_add(agw->anchors, a);
}

void iq_agw_detach(pcscf_agw_t *agw, anchor_t *a)
{
    g_hash_table_remove(agw->anchors, a);
}

void iq_agw_bind_ctx(pcscf_agw_t *agw, uint32_t ctx, anchor_t *a)
{
    g_hash_table_insert(agw->by_ctx, GUINT_TO_POINTER(ctx), a);
}

void iq_agw_unbind_ctx(pcscf_agw_t *agw, uint32_t ctx)
{
    g_hash_table_remove(agw->by_ctx, GUINT_TO_POINTER(ctx));
}

pcscf_agw_t *iq_pick_agw(pcscf_iq_t *iq)
{
    pcscf_agw_t *best = NULL;
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_t *g = iq->agws->pdata[i];
        if (g->state != PCSCF_AGW_IN_SERVICE) continue;
        if (!best) {
            best = g;
            continue;
        }
        guint lg = g_hash_table_size(g->anchors), lb = g_hash_table_size(best->anchors);
        if (lg < lb || (lg == lb && g->picked < best->picked)) best = g;
    }
    if (best) best->picked = ++iq->pick_seq;
    return best;
}

/* ---- requests ------------------------------------------------------------------------------ */

typedef struct {
    pcscf_iq_t *iq;
    pcscf_agw_t *agw;
    unsigned epoch; /* the AGW's registration it was sent under */
    iq_reply_fn fn;
    void *ud;
    GDestroyNotify ud_free;
    uint32_t tid;
    char *cid;
} iq_req_t;

static void req_free(gpointer p)
{
    iq_req_t *r = p;
    if (r->ud_free && r->ud) r->ud_free(r->ud);
    g_free(r->cid);
    g_free(r);
}

static void agw_down(pcscf_iq_t *iq, pcscf_agw_t *g, const char *reason, bool keep_stale);

static void on_tp_reply(const h248_message *msg, const h248_transaction *t, void *ud)
{
    iq_req_t *r = ud;
    pcscf_iq_t *iq = r->iq;
    pcscf_agw_t *g = r->agw;
    g_hash_table_steal(iq->reqs, GUINT_TO_POINTER(r->tid));
    if (r->epoch == g->epoch) {
        if (t) {
            g->timeouts = 0;
        } else if (++g->timeouts >= iq->cfg.max_timeouts && g->state != PCSCF_AGW_DOWN) {
            char why[96];
            g_snprintf(why, sizeof why, "%u requests without reply", g->timeouts);
            /* the request's owner first (its step fails), then every call on the AGW */
            if (r->fn) r->fn(iq, g, NULL, r->ud);
            r->fn = NULL;
            r->ud_free = NULL;
            if (g->state != PCSCF_AGW_DOWN) agw_down(iq, g, why, true);
        }
    }
    if (!t && !r->fn) LOGI(RT_SUB_IQ, r->cid, "<- %s tid %u: no reply", g->mid, r->tid);
    r->ud_free = NULL; /* fn owns ud */
    if (r->fn) r->fn(iq, g, t, r->ud);
    req_free(r);
    iq_check_drained(iq);
}

h248_message *iq_request_new(pcscf_iq_t *iq, h248_ctx_id ctx, h248_action **action)
{
    h248_message *m = h248_message_new(iq->cfg.version, h248_tp_mid(iq->tp));
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, 0);
    *action = h248_transaction_add_action(t, ctx);
    return m;
}

uint32_t iq_send(pcscf_iq_t *iq, pcscf_agw_t *agw, h248_message *msg, const char *cid,
                 iq_reply_fn fn, void *ud, GDestroyNotify ud_free)
{
    msg->version = MIN(iq->cfg.version, MAX(1u, agw->version));
    iq_req_t *r = g_new0(iq_req_t, 1);
    r->iq = iq;
    r->agw = agw;
    r->epoch = agw->epoch;
    r->fn = fn;
    r->ud = ud;
    r->cid = g_strdup(cid);
    uint32_t tid = h248_tp_request(iq->tp, agw->address, agw->port, msg, on_tp_reply, r);
    if (!tid) {
        g_free(r->cid);
        g_free(r);
        return 0;
    }
    r->tid = tid;
    r->ud_free = ud_free;
    g_hash_table_insert(iq->reqs, GUINT_TO_POINTER(tid), r);
    return tid;
}

/* ---- AGW state changes --------------------------------------------------------------------- */

/* Every anchor on `g` loses its media. Anchors are referenced during the walk: a callback may
 * free its own anchor or others. */
static void agw_lose_anchors(pcscf_iq_t *iq, pcscf_agw_t *g, const char *reason, bool keep_stale)
{
    if (keep_stale) {
        GHashTableIter it;
        gpointer k;
        gpointer v;
        g_hash_table_iter_init(&it, g->by_ctx);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            iq_stale_t st = {.ctx = GPOINTER_TO_UINT(k)};
            g_strlcpy(st.cid, anchor_cid(v), sizeof st.cid);
            g_array_append_val(g->stale, st);
        }
    }
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, g->anchors);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(list, k);
    for (guint i = 0; i < list->len; i++)
        anchor_ref(list->pdata[i]);
    for (guint i = 0; i < list->len; i++) {
        anchor_on_agw_lost(list->pdata[i], reason);
        anchor_unref(list->pdata[i]);
    }
    g_ptr_array_free(list, TRUE);
    g_hash_table_remove_all(g->by_ctx);
    g_hash_table_remove_all(g->anchors);
}

static void agw_down(pcscf_iq_t *iq, pcscf_agw_t *g, const char *reason, bool keep_stale)
{
    unsigned n = g_hash_table_size(g->anchors);
    LOGW(RT_SUB_IQ, NULL, "AGW %s (%s:%u) down: %s; %u call(s) lose their media", g->mid,
         g->address, g->port, reason, n);
    g->state = PCSCF_AGW_DOWN;
    g->silent = keep_stale;
    iq_count(iq, "iq_agw_events_total", "event=\"down\"");
    agw_lose_anchors(iq, g, reason, keep_stale);
    agw_changed(iq, g);
}

/* Contexts we gave up while the AGW was unreachable: release them now that it answers. */
static void subtract_stale(pcscf_iq_t *iq, pcscf_agw_t *g)
{
    for (guint i = 0; i < g->stale->len; i++) {
        const iq_stale_t *st = &g_array_index(g->stale, iq_stale_t, i);
        h248_action *a;
        h248_message *m = iq_request_new(iq, h248_ctx_num(st->ctx), &a);
        h248_action_add_command(a, H248_CMD_SUBTRACT, "*");
        uint32_t tid = iq_send(iq, g, m, st->cid, NULL, NULL, NULL);
        LOGN(RT_SUB_IQ, st->cid, "-> %s tid %u: Context = %u { Subtract = * } (left while down)",
             g->mid, tid, st->ctx);
    }
    g_array_set_size(g->stale, 0);
}

/* ---- keep-alive ---------------------------------------------------------------------------- */

static void on_audit_reply(pcscf_iq_t *iq, pcscf_agw_t *g, const h248_transaction *t, void *ud)
{
    g->audit_tid = 0;
    if (!t) {
        /* Annex D.1: the transport retransmitted for request_timeout already. */
        if (g->state != PCSCF_AGW_DOWN) agw_down(iq, g, "keep-alive audit unanswered", true);
        return;
    }
    /* An error reply (e.g. it restarted and waits for its ServiceChange reply) is a sign of
     * life, not of service: its own ServiceChange will bring it back. */
    if (g->state == PCSCF_AGW_DOWN && g->silent && !t->error) {
        LOGN(RT_SUB_IQ, NULL, "AGW %s answers again: back in service", g->mid);
        g->state = PCSCF_AGW_IN_SERVICE;
        g->silent = false;
        g->timeouts = 0;
        iq_count(iq, "iq_agw_events_total", "event=\"back\"");
        subtract_stale(iq, g);
        agw_changed(iq, g);
    }
}

static gboolean on_audit_timer(gpointer ud)
{
    pcscf_iq_t *iq = ud;
    if (iq->drain_done) return G_SOURCE_CONTINUE;
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_t *g = iq->agws->pdata[i];
        /* Down by silence (stale contexts kept): keep probing; Forced/restarted: wait for its
         * ServiceChange. */
        if (g->audit_tid || (g->state == PCSCF_AGW_DOWN && !g->silent)) continue;
        h248_action *a;
        h248_message *m = iq_request_new(iq, h248_ctx_special(H248_CTX_NULL), &a);
        h248_command *c = h248_action_add_command(a, H248_CMD_AUDIT_VALUE, "ROOT");
        c->has_audit = true; /* empty Audit { }: 29.334 Table 5.12.3 */
        g->audit_tid = iq_send(iq, g, m, NULL, on_audit_reply, NULL, NULL);
        LOGD(RT_SUB_IQ, NULL, "-> %s AuditValue ROOT (keep-alive) tid %u", g->mid, g->audit_tid);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- requests from AGWs -------------------------------------------------------------------- */

static unsigned reason_code(const char *reason)
{
    return reason ? (unsigned)strtoul(reason, NULL, 10) : 0;
}

/* ServiceChange on ROOT (SPECS.md §4.2): registration, restart, out of service. Returns the
 * reply command to add (the AGW may be created). */
static pcscf_agw_t *service_change_root(pcscf_iq_t *iq, h248_tp_req_t *req, const h248_message *msg,
                                        const h248_command *cmd, h248_action *ra)
{
    const h248_service_change *sc = cmd->services;
    const char *mid = msg->mid;
    pcscf_agw_t *g = agw_by_mid(iq, mid);
    const char *peer = h248_tp_req_peer(req);
    unsigned code = reason_code(sc->reason);
    h248_command *rc = h248_action_add_command(ra, H248_CMD_SERVICE_CHANGE, "ROOT");

    switch (sc->method) {
    case H248_SCM_FORCED:
        /* H.248.1 §7.2.8: Forced = abruptly out of service, its contexts are gone. */
        if (g && g->state != PCSCF_AGW_DOWN) agw_down(iq, g, "ServiceChange Forced", false);
        LOGN(RT_SUB_IQ, NULL, "<- %s ServiceChange Forced (%s) from %s", mid,
             sc->reason ? sc->reason : "", peer);
        return NULL;
    case H248_SCM_GRACEFUL:
        /* Graceful: existing calls stay, no new ones. */
        if (g && g->state == PCSCF_AGW_IN_SERVICE) {
            g->state = PCSCF_AGW_DRAINING;
            iq_count(iq, "iq_agw_events_total", "event=\"graceful\"");
            agw_changed(iq, g);
        }
        LOGN(RT_SUB_IQ, NULL, "<- %s ServiceChange Graceful (%s): no new calls", mid,
             sc->reason ? sc->reason : "");
        return NULL;
    default:
        break;
    }

    /* Restart, Disconnected, Failover, HandOff, extensions: (re)registration. */
    bool known = g != NULL;
    if (!g) {
        g = g_new0(pcscf_agw_t, 1);
        g->mid = g_strdup(mid);
        g->anchors = g_hash_table_new(g_direct_hash, g_direct_equal);
        g->by_ctx = g_hash_table_new(g_direct_hash, g_direct_equal);
        g->stale = g_array_new(FALSE, FALSE, sizeof(iq_stale_t));
        g_ptr_array_add(iq->agws, g);
    }
    bool cold = sc->method == H248_SCM_RESTART && (code == 901 || code == 902);
    if (known && cold) {
        /* A restarted AGW has lost every context (901 Cold Boot / 902 Warm Boot). */
        if (g_hash_table_size(g->anchors))
            agw_lose_anchors(
                iq, g, code == 901 ? "AGW restarted (cold boot)" : "AGW restarted (warm boot)",
                false);
        g_array_set_size(g->stale, 0);
    }
    /* New registration epoch: requests sent before it no longer count against the AGW. */
    g->epoch++;
    unsigned v = sc->version > 0 ? (unsigned)sc->version : msg->version;
    v = MIN(v, iq->cfg.version);
    g->version = v;
    g_free(g->address);
    g->address = g_strdup(h248_tp_req_address(req));
    g->port = h248_tp_req_port(req);
    /* ServiceChangeAddress: a port, or an mId "[ip]:port", where the MG wants commands. */
    if (sc->address) {
        const char *a = sc->address;
        if (a[0] == '[') {
            const char *e = strchr(a, ']');
            if (e && e[1] == ':') {
                g_free(g->address);
                g->address = g_strndup(a + 1, (gsize)(e - a - 1));
                g->port = (unsigned)strtoul(e + 2, NULL, 10);
            }
        } else if (g_ascii_isdigit(a[0])) {
            g->port = (unsigned)strtoul(a, NULL, 10);
        }
    }
    g_free(g->profile);
    g->profile = g_strdup(sc->profile);
    if (sc->profile && iq->cfg.profile && g_ascii_strcasecmp(sc->profile, iq->cfg.profile) != 0)
        LOGW(RT_SUB_IQ, NULL, "AGW %s announces profile %s, ours is %s: accepted", mid, sc->profile,
             iq->cfg.profile);
    pcscf_agw_state was = g->state;
    g->state = PCSCF_AGW_IN_SERVICE;
    g->silent = false;
    g->timeouts = 0;
    if (!cold && g->stale->len) subtract_stale(iq, g);
    LOGN(RT_SUB_IQ, NULL, "<- %s ServiceChange %s (%s) from %s: %s, version %u", mid,
         sc->method == H248_SCM_RESTART        ? "Restart"
         : sc->method == H248_SCM_DISCONNECTED ? "Disconnected"
                                               : "registration",
         sc->reason ? sc->reason : "", peer,
         !known                  ? "registered"
         : cold                  ? "restarted"
         : was == PCSCF_AGW_DOWN ? "back in service"
                                 : "re-registered",
         v);
    iq_count(iq, "iq_agw_events_total",
             !known ? "event=\"registered\""
             : cold ? "event=\"restart\""
                    : "event=\"reregistered\"");
    /* H.248.1 §7.2.8: the reply carries the version we accept and our profile. */
    h248_service_change *rsc = h248_command_services(rc);
    rsc->version = (int)v;
    rsc->profile = g_strdup(iq->cfg.profile);
    /* in service once the reply is out: H.248.1 §11.3, the MG takes no command before it */
    return g;
}

static void notify(pcscf_iq_t *iq, pcscf_agw_t *g, const h248_action *act, const h248_command *cmd,
                   h248_action *ra)
{
    h248_command *rc = h248_action_add_command(ra, H248_CMD_NOTIFY, cmd->term_id);
    anchor_t *a = NULL;
    if (act->ctx.kind == H248_CTX_NUM)
        a = g_hash_table_lookup(g->by_ctx, GUINT_TO_POINTER(act->ctx.num));
    if (!a && act->ctx.kind != H248_CTX_NUM) {
        /* ROOT: e.g. H.248.14 it/ito, the AGW checking on us; the reply is the answer */
        LOGD(RT_SUB_IQ, NULL, "<- %s Notify %s (no context)", g->mid, cmd->term_id);
        return;
    }
    if (!a) {
        LOGN(RT_SUB_IQ, NULL, "<- %s Notify %s in context %u: no call there", g->mid, cmd->term_id,
             act->ctx.num);
        h248_command_set_error(rc, 411, "The transaction refers to an unknown ContextId");
        return;
    }
    iq_count(iq, "iq_agw_events_total", "event=\"notify\"");
    const h248_event_list *oe = cmd->observed_events;
    anchor_ref(a);
    for (guint i = 0; oe && oe->items && i < oe->items->len; i++)
        anchor_on_notify(a, cmd->term_id, oe->items->pdata[i]);
    anchor_unref(a);
}

static void on_request(h248_tp_t *tp, h248_tp_req_t *req, const h248_message *msg,
                       const h248_transaction *t, void *ud)
{
    pcscf_iq_t *iq = ud;
    pcscf_agw_t *g = agw_by_mid(iq, msg->mid);
    /* Only a ServiceChange may come from an AGW we do not know (or that is down). */
    bool has_sc = false;
    for (guint i = 0; i < t->actions->len; i++) {
        const h248_action *act = t->actions->pdata[i];
        for (guint j = 0; j < act->commands->len; j++) {
            const h248_command *c = act->commands->pdata[j];
            if (c->type == H248_CMD_SERVICE_CHANGE) has_sc = true;
        }
    }
    if (!has_sc && (!g || g->state == PCSCF_AGW_DOWN)) {
        LOGW(RT_SUB_IQ, NULL, "<- %s (%s) transaction %u from an unregistered AGW: 402", msg->mid,
             h248_tp_req_peer(req), t->id);
        h248_tp_reply(tp, req,
                      h248_build_error_reply(iq->cfg.version, h248_tp_mid(tp), t->id, 402,
                                             "Unauthorized: no ServiceChange registration"));
        return;
    }
    h248_message *reply = NULL;
    pcscf_agw_t *registered = NULL;
    for (guint i = 0; i < t->actions->len; i++) {
        const h248_action *act = t->actions->pdata[i];
        /* one Reply transaction, one reply action per request action */
        h248_action *ra =
            reply ? h248_transaction_add_action(reply->transactions->pdata[0], act->ctx)
                  : h248_build_reply(&reply, msg->version, h248_tp_mid(tp), t->id, act->ctx);
        for (guint j = 0; j < act->commands->len; j++) {
            const h248_command *c = act->commands->pdata[j];
            if (c->type == H248_CMD_SERVICE_CHANGE && h248_term_is_root(c->term_id) &&
                act->ctx.kind == H248_CTX_NULL) {
                registered = service_change_root(iq, req, msg, c, ra);
                g = agw_by_mid(iq, msg->mid);
            } else if (c->type == H248_CMD_SERVICE_CHANGE) {
                /* a single termination changes state: nothing of ours to track */
                LOGI(RT_SUB_IQ, NULL, "<- %s ServiceChange %s (%s)", msg->mid, c->term_id,
                     c->services && c->services->reason ? c->services->reason : "");
                h248_action_add_command(ra, H248_CMD_SERVICE_CHANGE, c->term_id);
            } else if (c->type == H248_CMD_NOTIFY && g) {
                notify(iq, g, act, c, ra);
            } else {
                h248_command *rc = h248_action_add_command(ra, c->type, c->term_id);
                h248_command_set_error(rc, 443, "Unsupported or Unknown Command at the MGC");
            }
        }
    }
    if (!reply)
        reply = h248_build_error_reply(msg->version, h248_tp_mid(tp), t->id, 403,
                                       "Syntax error in transaction request");
    h248_tp_reply(tp, req, reply);
    if (registered) agw_changed(iq, registered);
}

/* ---- endpoint ------------------------------------------------------------------------------ */

pcscf_iq_t *pcscf_iq_new(const pcscf_iq_cfg_t *cfg, GError **err)
{
    pcscf_iq_t *iq = g_new0(pcscf_iq_t, 1);
    iq->cfg = *cfg;
    iq->cfg.address = g_strdup(cfg->address ? cfg->address : "127.0.0.1");
    iq->cfg.mid = g_strdup(cfg->mid);
    iq->cfg.profile = g_strdup(cfg->profile && *cfg->profile ? cfg->profile : "threegiq/1");
    iq->cfg.cid_property = g_strdup(cfg->cid_property);
    iq->cfg.access_realm = g_strdup(cfg->access_realm ? cfg->access_realm : "access");
    iq->cfg.core_realm = g_strdup(cfg->core_realm ? cfg->core_realm : "core");
    if (!iq->cfg.version || iq->cfg.version > 3) iq->cfg.version = 3;
    if (!iq->cfg.max_timeouts) iq->cfg.max_timeouts = 2;
    if (!iq->cfg.request_timeout_ms) iq->cfg.request_timeout_ms = 4000;
    if (!iq->cfg.retry_first_ms) iq->cfg.retry_first_ms = 250;
    if (cfg->events) {
        guint n = 0;
        while (cfg->events[n])
            n++;
        iq->events = g_new0(char *, n + 1);
        for (guint i = 0; i < n; i++)
            iq->events[i] = g_strdup(cfg->events[i]);
    }
    iq->cfg.events = (const char *const *)iq->events;
    iq->metrics = cfg->metrics;
    iq->agws = g_ptr_array_new_with_free_func(agw_free);
    iq->reqs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, req_free);
    iq->anchors = g_hash_table_new(g_direct_hash, g_direct_equal);
    iq->next_reqid = 1;
    if (iq->metrics) {
        rt_metrics_define(iq->metrics, "iq_agws", "gauge", "AGWs known to the MGC by state");
        rt_metrics_define(iq->metrics, "anchor_contexts", "gauge",
                          "AGW contexts held by anchored calls");
        rt_metrics_define(iq->metrics, "iq_agw_events_total", "counter",
                          "AGW registrations, restarts, down detections, Notify");
        rt_metrics_define(iq->metrics, "anchor_steps_total", "counter",
                          "anchoring steps by step and result");
    }
    h248_tp_cfg_t tc = {
        .address = iq->cfg.address,
        .port = cfg->port,
        .mid = iq->cfg.mid,
        .version = iq->cfg.version,
        .retry_first_ms = iq->cfg.retry_first_ms,
        .retry_max_ms = 4000,
        .request_timeout_ms = iq->cfg.request_timeout_ms,
        .metrics = cfg->metrics,
    };
    iq->tp = h248_tp_new(&tc, on_request, iq, err);
    if (!iq->tp) {
        pcscf_iq_free(iq);
        return NULL;
    }
    if (iq->cfg.audit_interval_ms)
        iq->audit_timer = g_timeout_add(iq->cfg.audit_interval_ms, on_audit_timer, iq);
    iq_update_gauges(iq);
    LOGN(RT_SUB_IQ, NULL, "Iq MGC %s listening on %s:%u (profile %s)", h248_tp_mid(iq->tp),
         iq->cfg.address, h248_tp_port(iq->tp), iq->cfg.profile);
    return iq;
}

void pcscf_iq_free(pcscf_iq_t *iq)
{
    if (!iq) return;
    if (iq->audit_timer) g_source_remove(iq->audit_timer);
    if (iq->drain_timer) g_source_remove(iq->drain_timer);
    if (iq->drain_idle) g_source_remove(iq->drain_idle);
    anchor_destroy_all(iq);
    if (iq->tp) h248_tp_free(iq->tp); /* drops its requests without callbacks */
    g_hash_table_destroy(iq->reqs);
    g_hash_table_destroy(iq->anchors);
    g_ptr_array_free(iq->agws, TRUE);
    g_strfreev(iq->events);
    g_free((char *)iq->cfg.address);
    g_free((char *)iq->cfg.mid);
    g_free((char *)iq->cfg.profile);
    g_free((char *)iq->cfg.cid_property);
    g_free((char *)iq->cfg.access_realm);
    g_free((char *)iq->cfg.core_realm);
    g_free(iq);
}

void pcscf_iq_set_agw_cb(pcscf_iq_t *iq, pcscf_iq_agw_cb cb, void *ud)
{
    iq->agw_cb = cb;
    iq->agw_ud = ud;
}

unsigned pcscf_iq_port(const pcscf_iq_t *iq)
{
    return h248_tp_port(iq->tp);
}

unsigned pcscf_iq_agws_in_service(const pcscf_iq_t *iq)
{
    unsigned n = 0;
    for (guint i = 0; i < iq->agws->len; i++)
        if (((pcscf_agw_t *)iq->agws->pdata[i])->state == PCSCF_AGW_IN_SERVICE) n++;
    return n;
}

void pcscf_iq_foreach_agw(const pcscf_iq_t *iq, pcscf_iq_agw_cb fn, void *ud)
{
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_info_t info;
        agw_info(iq->agws->pdata[i], &info);
        fn((pcscf_iq_t *)iq, &info, ud);
    }
}

/* ---- drain --------------------------------------------------------------------------------- */

static void drain_finish(pcscf_iq_t *iq)
{
    void (*done)(void *) = iq->drain_done;
    void *ud = iq->drain_ud;
    iq->drain_done = NULL;
    if (iq->drain_timer) g_source_remove(iq->drain_timer);
    iq->drain_timer = 0;
    if (done) done(ud);
}

static gboolean on_drain_timeout(gpointer ud)
{
    pcscf_iq_t *iq = ud;
    iq->drain_timer = 0;
    LOGW(RT_SUB_IQ, NULL, "Iq drain: %u request(s) still unanswered, giving up",
         g_hash_table_size(iq->reqs));
    drain_finish(iq);
    return G_SOURCE_REMOVE;
}

static gboolean on_drain_idle(gpointer ud)
{
    pcscf_iq_t *iq = ud;
    iq->drain_idle = 0;
    if (iq->drain_done && g_hash_table_size(iq->reqs) == 0) drain_finish(iq);
    return G_SOURCE_REMOVE;
}

void iq_check_drained(pcscf_iq_t *iq)
{
    if (iq->drain_done && !iq->drain_idle && g_hash_table_size(iq->reqs) == 0)
        iq->drain_idle = g_idle_add(on_drain_idle, iq);
}

void pcscf_iq_drain(pcscf_iq_t *iq, unsigned timeout_ms, void (*done)(void *ud), void *ud)
{
    iq->drain_done = done;
    iq->drain_ud = ud;
    /* Keep-alives are not worth waiting for. */
    for (guint i = 0; i < iq->agws->len; i++) {
        pcscf_agw_t *g = iq->agws->pdata[i];
        if (g->audit_tid) {
            iq_req_t *r = g_hash_table_lookup(iq->reqs, GUINT_TO_POINTER(g->audit_tid));
            h248_tp_cancel(iq->tp, g->audit_tid);
            if (r) g_hash_table_remove(iq->reqs, GUINT_TO_POINTER(g->audit_tid));
            g->audit_tid = 0;
        }
    }
    if (iq->drain_timer) g_source_remove(iq->drain_timer);
    iq->drain_timer = g_timeout_add(timeout_ms ? timeout_ms : 1, on_drain_timeout, iq);
    iq_check_drained(iq);
}
