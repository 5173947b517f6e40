/* MG side of the Iq control association (see iq_mg.h). One state machine, mg_fsm(), applies
 * every registration event; timers belong to the states that arm them. */
#include "iq_mg.h"

#include <stdio.h>
#include <string.h>

#include "runtime/log.h"

typedef enum {
    EV_START,
    EV_SC_ACCEPTED,
    EV_SC_REFUSED,
    EV_SC_TIMEOUT,
    EV_RETRY_TIMER,
    EV_MGC_RESTARTED, /* ServiceChange Restart/Forced from the MGC, or a 402/505 answer: the
                         MGC has no state for us */
    EV_MGC_HANDOFF,   /* ServiceChange with MgcIdToTry: register there */
    EV_MGC_LOST,      /* no answer to our request (contact lost, state kept) */
    EV_STOP,
    EV_STOP_DONE,
} mg_event;

struct iq_mg {
    iq_mg_cfg cfg;
    char *mgc_address;
    unsigned mgc_port;
    char *mgc_text;
    char *profile;
    h248_tp_t *tp;
    iq_cmd *cmd;
    iq_table *tb;
    rt_metrics_t *metrics;
    iq_mg_state state;
    /* the ServiceChange to send next */
    h248_sc_method sc_method;
    const char *sc_reason;
    uint32_t sc_tid; /* outstanding registration request, 0: none */
    unsigned backoff_ms;
    guint retry_timer;
    /* deferred until the reply to the MGC's request is sent */
    bool pending_restart, pending_handoff;
    /* H.248.14 inactivity keep-alive */
    unsigned ito_ms;
    uint32_t ito_rid;
    bool ito_armed_by_mgc;
    guint ito_timer;
    bool probing;
    /* Notify and probe requests in flight (their callback data) */
    GHashTable *inflight;
    /* shutdown */
    void (*stop_done)(void *ud);
    void *stop_ud;
    guint stop_timer;
};

typedef struct {
    iq_mg *mg;
    uint32_t ctx_id; /* 0: ROOT */
    char event[32];
    bool probe;
} req_info;

static void mg_fsm(iq_mg *mg, mg_event ev);

const char *iq_mg_state_name(iq_mg_state s)
{
    static const char *const n[] = {"idle",       "registering", "backoff",
                                    "registered", "stopping",    "stopped"};
    return (unsigned)s < G_N_ELEMENTS(n) ? n[s] : "?";
}

static void count(iq_mg *mg, const char *name, const char *labels)
{
    if (mg->metrics) rt_metrics_add(mg->metrics, name, labels, 1);
}

static void set_state(iq_mg *mg, iq_mg_state s)
{
    if (mg->state != s)
        LOGI(RT_SUB_IQ, NULL, "association with MGC %s: %s -> %s", mg->mgc_text,
             iq_mg_state_name(mg->state), iq_mg_state_name(s));
    mg->state = s;
    if (mg->metrics) rt_metrics_set(mg->metrics, "iq_registered", NULL, s == IQ_MG_REGISTERED);
}

static void set_mgc(iq_mg *mg, const char *address, unsigned port)
{
    char *a = g_strdup(address);
    g_free(mg->mgc_address);
    mg->mgc_address = a;
    mg->mgc_port = port;
    g_free(mg->mgc_text);
    mg->mgc_text = g_strdup_printf("%s:%u", address, port);
}

/* mId "[a.b.c.d]:port" (or "[a.b.c.d]"); false for domain names, which the lab does not use. */
static bool parse_mid(const char *mid, char *addr, size_t cap, unsigned *port)
{
    if (!mid || mid[0] != '[') return false;
    const char *close = strchr(mid, ']');
    if (!close || (size_t)(close - mid - 1) >= cap) return false;
    memcpy(addr, mid + 1, (size_t)(close - mid - 1));
    addr[close - mid - 1] = '\0';
    GInetAddress *ia = g_inet_address_new_from_string(addr);
    if (!ia) return false;
    g_object_unref(ia);
    *port = 2944;
    if (close[1] == ':') {
        char *end = NULL;
        unsigned long p = strtoul(close + 2, &end, 10);
        if (end == close + 2 || *end || p == 0 || p > 65535) return false;
        *port = (unsigned)p;
    }
    return true;
}

/* ---- timers ---- */

static void stop_timer(guint *t)
{
    if (*t) g_source_remove(*t);
    *t = 0;
}

static gboolean on_retry(gpointer ud)
{
    iq_mg *mg = ud;
    mg->retry_timer = 0;
    mg_fsm(mg, EV_RETRY_TIMER);
    return G_SOURCE_REMOVE;
}

static void send_probe(iq_mg *mg);

static gboolean on_inactivity(gpointer ud)
{
    iq_mg *mg = ud;
    mg->ito_timer = 0;
    send_probe(mg);
    return G_SOURCE_REMOVE;
}

/* Anything from the MGC shows it is alive: the inactivity timer starts again. */
static void heard_from_mgc(iq_mg *mg)
{
    stop_timer(&mg->ito_timer);
    if (mg->state == IQ_MG_REGISTERED && mg->ito_ms && !mg->probing)
        mg->ito_timer = g_timeout_add(mg->ito_ms, on_inactivity, mg);
}

/* ---- registration ---- */

static void on_sc_reply(const h248_message *m, const h248_transaction *t, void *ud)
{
    iq_mg *mg = ud;
    mg->sc_tid = 0;
    if (mg->state == IQ_MG_STOPPING) {
        mg_fsm(mg, EV_STOP_DONE);
        return;
    }
    if (!t) {
        LOGW(RT_SUB_IQ, NULL, "ServiceChange to %s: no answer", mg->mgc_text);
        count(mg, "iq_registrations_total", "result=\"timeout\"");
        mg_fsm(mg, EV_SC_TIMEOUT);
        return;
    }
    const h248_error *e = t->error;
    const h248_command *c = NULL;
    if (!e && t->actions->len > 0) {
        const h248_action *a = t->actions->pdata[0];
        e = a->error;
        if (!e && a->commands->len > 0) {
            c = a->commands->pdata[0];
            e = c->error;
        }
    }
    if (e) {
        LOGW(RT_SUB_IQ, NULL, "ServiceChange refused by %s: %u %s", mg->mgc_text, e->code,
             e->text ? e->text : "");
        count(mg, "iq_registrations_total", "result=\"refused\"");
        mg_fsm(mg, EV_SC_REFUSED);
        return;
    }
    const h248_service_change *sc = c ? c->services : NULL;
    if (sc && sc->mgc_id) {
        /* H.248.1 §7.2.8: the MGC redirects us to another MGC. */
        char addr[64];
        unsigned port;
        if (parse_mid(sc->mgc_id, addr, sizeof addr, &port)) {
            LOGN(RT_SUB_IQ, NULL, "MGC %s redirects us to %s", mg->mgc_text, sc->mgc_id);
            set_mgc(mg, addr, port);
            mg->sc_method = H248_SCM_HANDOFF;
            mg->sc_reason = "903 MGC Directed Change";
            count(mg, "iq_registrations_total", "result=\"redirected\"");
            mg_fsm(mg, EV_SC_REFUSED);
            return;
        }
        LOGW(RT_SUB_IQ, NULL, "MgcIdToTry %s not usable (numeric mId expected)", sc->mgc_id);
    }
    if (sc && sc->address) {
        /* ServiceChangeAddress: further messages go to this address or port. */
        char addr[64];
        unsigned port;
        char *end = NULL;
        unsigned long p = strtoul(sc->address, &end, 10);
        if (parse_mid(sc->address, addr, sizeof addr, &port))
            set_mgc(mg, addr, port);
        else if (end != sc->address && !*end && p > 0 && p < 65536)
            set_mgc(mg, mg->mgc_address, (unsigned)p);
    }
    if (sc && sc->version && (unsigned)sc->version < h248_tp_version(mg->tp))
        LOGW(RT_SUB_IQ, NULL, "MGC %s speaks version %d; we keep sending version %u", mg->mgc_text,
             sc->version, h248_tp_version(mg->tp));
    if (sc && sc->profile && g_ascii_strcasecmp(sc->profile, mg->profile) != 0)
        LOGW(RT_SUB_IQ, NULL, "MGC %s answers with profile %s (we sent %s)", mg->mgc_text,
             sc->profile, mg->profile);
    count(mg, "iq_registrations_total", "result=\"accepted\"");
    LOGN(RT_SUB_IQ, NULL, "registered with MGC %s (%s, %s)", mg->mgc_text,
         h248_cmd_name(H248_CMD_SERVICE_CHANGE), mg->sc_reason);
    mg_fsm(mg, EV_SC_ACCEPTED);
}

static void send_sc(iq_mg *mg, h248_sc_method method, const char *reason)
{
    h248_message *m =
        h248_build_service_change(h248_tp_version(mg->tp), h248_tp_mid(mg->tp), 0, "ROOT", method,
                                  reason, h248_tp_version(mg->tp), mg->profile);
    mg->sc_tid = h248_tp_request(mg->tp, mg->mgc_address, mg->mgc_port, m, on_sc_reply, mg);
    LOGI(RT_SUB_IQ, NULL, "ServiceChange (%s) to MGC %s, transaction %u", reason, mg->mgc_text,
         mg->sc_tid);
}

static void cancel_sc(iq_mg *mg)
{
    if (mg->sc_tid) h248_tp_cancel(mg->tp, mg->sc_tid);
    mg->sc_tid = 0;
}

static void finish_stop(iq_mg *mg)
{
    stop_timer(&mg->stop_timer);
    set_state(mg, IQ_MG_STOPPED);
    void (*done)(void *) = mg->stop_done;
    mg->stop_done = NULL;
    if (done) done(mg->stop_ud);
}

static void mg_fsm(iq_mg *mg, mg_event ev)
{
    switch (ev) {
    case EV_START:
        if (mg->state != IQ_MG_IDLE) return;
        mg->sc_method = H248_SCM_RESTART;
        mg->sc_reason = "901 Cold Boot";
        set_state(mg, IQ_MG_REGISTERING);
        send_sc(mg, mg->sc_method, mg->sc_reason);
        return;
    case EV_SC_ACCEPTED:
        if (mg->state != IQ_MG_REGISTERING) return;
        mg->backoff_ms = mg->cfg.retry_ms;
        set_state(mg, IQ_MG_REGISTERED);
        mg->probing = false;
        heard_from_mgc(mg);
        return;
    case EV_SC_REFUSED:
    case EV_SC_TIMEOUT:
        if (mg->state != IQ_MG_REGISTERING) return;
        set_state(mg, IQ_MG_BACKOFF);
        /* Annex D / §11.3: try again later, further apart each time */
        LOGI(RT_SUB_IQ, NULL, "registering again in %u ms", mg->backoff_ms);
        mg->retry_timer = g_timeout_add(mg->backoff_ms, on_retry, mg);
        mg->backoff_ms = MIN(mg->backoff_ms * 2, mg->cfg.retry_max_ms);
        return;
    case EV_RETRY_TIMER:
        if (mg->state != IQ_MG_BACKOFF) return;
        set_state(mg, IQ_MG_REGISTERING);
        send_sc(mg, mg->sc_method, mg->sc_reason);
        return;
    case EV_MGC_RESTARTED:
    case EV_MGC_HANDOFF:
    case EV_MGC_LOST:
        if (mg->state != IQ_MG_REGISTERED && mg->state != IQ_MG_BACKOFF &&
            mg->state != IQ_MG_REGISTERING)
            return;
        if (ev == EV_MGC_RESTARTED) {
            /* The MGC lost its state: the calls it knew are gone (H.248.1 §11.5). */
            unsigned n = iq_ctx_count(mg->tb);
            if (n) LOGN(RT_SUB_IQ, NULL, "MGC lost its state: releasing %u context(s)", n);
            iq_ctx_free_all(mg->tb);
            mg->sc_method = H248_SCM_RESTART;
            mg->sc_reason = "900 Service Restored";
        } else if (ev == EV_MGC_HANDOFF) {
            mg->sc_method = H248_SCM_HANDOFF;
            mg->sc_reason = "903 MGC Directed Change";
        } else {
            /* H.248.1 §11.5: contact lost and found again, our contexts are kept. */
            mg->sc_method = H248_SCM_DISCONNECTED;
            mg->sc_reason = "900 Service Restored";
        }
        stop_timer(&mg->ito_timer);
        stop_timer(&mg->retry_timer);
        cancel_sc(mg);
        mg->probing = false;
        mg->backoff_ms = mg->cfg.retry_ms;
        set_state(mg, IQ_MG_REGISTERING);
        send_sc(mg, mg->sc_method, mg->sc_reason);
        return;
    case EV_STOP:
        stop_timer(&mg->retry_timer);
        stop_timer(&mg->ito_timer);
        if (mg->state == IQ_MG_REGISTERED) {
            set_state(mg, IQ_MG_STOPPING);
            mg->sc_method = H248_SCM_FORCED;
            mg->sc_reason = "905 Termination taken out of service";
            send_sc(mg, mg->sc_method, mg->sc_reason);
            return;
        }
        cancel_sc(mg);
        finish_stop(mg);
        return;
    case EV_STOP_DONE:
        if (mg->state == IQ_MG_STOPPING) finish_stop(mg);
        return;
    }
}

static gboolean on_stop_timeout(gpointer ud)
{
    iq_mg *mg = ud;
    mg->stop_timer = 0;
    LOGW(RT_SUB_IQ, NULL, "MGC %s did not answer our shutdown ServiceChange", mg->mgc_text);
    cancel_sc(mg);
    mg_fsm(mg, EV_STOP_DONE);
    return G_SOURCE_REMOVE;
}

/* ---- requests toward the MGC: Notify and the inactivity probe ---- */

static void on_request_reply(const h248_message *m, const h248_transaction *t, void *ud)
{
    req_info *ri = ud;
    iq_mg *mg = ri->mg;
    g_hash_table_remove(mg->inflight, ri);
    char labels[96];
    if (ri->probe) mg->probing = false;
    if (!t) {
        LOGW(RT_SUB_IQ, NULL, "Notify %s to MGC %s: no answer", ri->event, mg->mgc_text);
        snprintf(labels, sizeof labels, "event=\"%s\",result=\"timeout\"", ri->event);
        count(mg, "iq_notifies_total", labels);
        g_free(ri);
        /* H.248.14 / Annex D: an MGC that does not answer has failed. */
        mg_fsm(mg, EV_MGC_LOST);
        return;
    }
    const h248_error *e = t->error;
    if (!e && t->actions->len > 0) {
        const h248_action *a = t->actions->pdata[0];
        e = a->error;
        for (guint i = 0; !e && i < a->commands->len; i++)
            e = ((const h248_command *)a->commands->pdata[i])->error;
    }
    snprintf(labels, sizeof labels, "event=\"%s\",result=\"%s\"", ri->event, e ? "error" : "ok");
    count(mg, "iq_notifies_total", labels);
    heard_from_mgc(mg);
    if (e) {
        LOGN(RT_SUB_IQ, NULL, "Notify %s refused by MGC %s: %u %s", ri->event, mg->mgc_text,
             e->code, e->text ? e->text : "");
        if (e->code == 505 || e->code == 402) {
            /* The MGC does not know us (any more): it restarted or gave us up, and the calls
             * it had with us are gone on its side. Register again from a clean state. */
            g_free(ri);
            mg_fsm(mg, EV_MGC_RESTARTED);
            return;
        }
        if (e->code == 406) {
            g_free(ri);
            mg_fsm(mg, EV_MGC_LOST);
            return;
        }
        iq_context *c = ri->ctx_id ? iq_ctx_find(mg->tb, ri->ctx_id) : NULL;
        if (c && (e->code == 411 || e->code == 430 || e->code == 435)) {
            /* The MGC has forgotten this call: nobody will ever subtract it. */
            LOGN(RT_SUB_IQ, c->cid, "context %u unknown to the MGC: released", c->id);
            iq_ctx_free(mg->tb, c);
        }
    }
    g_free(ri);
}

static void send_request(iq_mg *mg, h248_message *m, uint32_t ctx_id, const char *event, bool probe)
{
    req_info *ri = g_new0(req_info, 1);
    ri->mg = mg;
    ri->ctx_id = ctx_id;
    ri->probe = probe;
    g_strlcpy(ri->event, event, sizeof ri->event);
    g_hash_table_add(mg->inflight, ri);
    if (!h248_tp_request(mg->tp, mg->mgc_address, mg->mgc_port, m, on_request_reply, ri)) {
        g_hash_table_remove(mg->inflight, ri);
        g_free(ri);
    }
}

static void send_probe(iq_mg *mg)
{
    if (mg->state != IQ_MG_REGISTERED || mg->probing) return;
    /* H.248.14: Notify ROOT it/ito after mit without a message from the MGC. */
    LOGI(RT_SUB_IQ, NULL, "nothing from MGC %s for %u ms: it/ito", mg->mgc_text, mg->ito_ms);
    h248_message *m = NULL;
    GDateTime *now = g_date_time_new_now_utc();
    gchar *ts = g_date_time_format(now, "%Y%m%dT%H%M%S00");
    g_date_time_unref(now);
    h248_build_notify(&m, h248_tp_version(mg->tp), h248_tp_mid(mg->tp), 0,
                      h248_ctx_special(H248_CTX_NULL), "ROOT", mg->ito_rid, ts, "it/ito");
    g_free(ts);
    mg->probing = true;
    send_request(mg, m, 0, "it/ito", true);
}

static void on_term_event(iq_term *t, iq_media_event ev, bool heartbeat, const char *detail,
                          void *ud)
{
    iq_mg *mg = ud;
    const char *name = iq_cmd_event_name(ev, heartbeat);
    if (!heartbeat)
        LOGN(RT_SUB_IQ, t->ctx->cid, "context %u: %s on %s%s%s", t->ctx->id,
             iq_media_event_name(ev), t->name, detail && *detail ? ": " : "", detail ? detail : "");
    if (mg->state != IQ_MG_REGISTERED) {
        char labels[96];
        snprintf(labels, sizeof labels, "event=\"%s\",result=\"dropped\"", name);
        count(mg, "iq_notifies_total", labels);
        LOGW(RT_SUB_IQ, t->ctx->cid, "not registered: %s on %s not reported", name, t->name);
        return;
    }
    h248_message *m =
        iq_cmd_notify(mg->cmd, t, ev, heartbeat, h248_tp_version(mg->tp), h248_tp_mid(mg->tp));
    if (!m) {
        LOGD(RT_SUB_IQ, t->ctx->cid, "%s on %s not armed by the MGC", name, t->name);
        return;
    }
    send_request(mg, m, t->ctx->id, name, false);
}

/* ---- requests from the MGC ---- */

static void hook_service_change(void *ud, const h248_service_change *sc)
{
    iq_mg *mg = ud;
    LOGN(RT_SUB_IQ, NULL, "ServiceChange from MGC %s: method %d reason %s", mg->mgc_text,
         (int)sc->method, sc->reason ? sc->reason : "-");
    char addr[64];
    unsigned port;
    if ((sc->method == H248_SCM_HANDOFF || sc->method == H248_SCM_FAILOVER) && sc->mgc_id &&
        parse_mid(sc->mgc_id, addr, sizeof addr, &port)) {
        set_mgc(mg, addr, port);
        mg->pending_handoff = true;
    } else if (sc->method == H248_SCM_RESTART || sc->method == H248_SCM_FORCED) {
        mg->pending_restart = true;
    }
}

static void hook_inactivity(void *ud, bool armed, uint32_t rid, unsigned ms)
{
    iq_mg *mg = ud;
    mg->ito_armed_by_mgc = armed;
    mg->ito_rid = armed ? rid : 0;
    mg->ito_ms = armed ? (ms                      ? ms
                          : mg->cfg.inactivity_ms ? mg->cfg.inactivity_ms
                                                  : 30000)
                       : mg->cfg.inactivity_ms;
    LOGI(RT_SUB_IQ, NULL, "inactivity timer %s: %u ms", armed ? "armed by the MGC" : "provisioned",
         mg->ito_ms);
}

static bool from_mgc(const iq_mg *mg, const h248_tp_req_t *req)
{
    return strcmp(h248_tp_req_address(req), mg->mgc_address) == 0;
}

/* Before registration only the MGC's ServiceChange and its ROOT audit are served. */
static bool allowed_unregistered(const h248_transaction *t)
{
    for (guint i = 0; i < t->actions->len; i++) {
        const h248_action *a = t->actions->pdata[i];
        for (guint k = 0; k < a->commands->len; k++) {
            const h248_command *c = a->commands->pdata[k];
            bool ok = h248_term_is_root(c->term_id) &&
                      (c->type == H248_CMD_SERVICE_CHANGE || c->type == H248_CMD_AUDIT_VALUE ||
                       c->type == H248_CMD_AUDIT_CAP);
            if (!ok) return false;
        }
    }
    return true;
}

static void on_request(h248_tp_t *tp, h248_tp_req_t *req, const h248_message *msg,
                       const h248_transaction *t, void *ud)
{
    iq_mg *mg = ud;
    unsigned v = h248_tp_version(tp);
    const char *mid = h248_tp_mid(tp);
    if (!from_mgc(mg, req)) {
        LOGW(RT_SUB_IQ, NULL, "request %u from %s, not our MGC %s: refused", t->id,
             h248_tp_req_peer(req), mg->mgc_text);
        h248_tp_reply(tp, req, h248_build_error_reply(v, mid, t->id, 402, "Unauthorized"));
        return;
    }
    heard_from_mgc(mg);
    if (mg->state != IQ_MG_REGISTERED && !allowed_unregistered(t)) {
        /* H.248.8: 505 Transaction Request Received before a ServiceChange Reply has been
         * received. */
        LOGN(RT_SUB_IQ, NULL, "request %u from %s before registration (%s): 505", t->id,
             h248_tp_req_peer(req), iq_mg_state_name(mg->state));
        h248_tp_reply(tp, req,
                      h248_build_error_reply(v, mid, t->id, 505,
                                             "Transaction Request Received before a "
                                             "ServiceChange Reply has been received"));
        return;
    }
    h248_message *reply = iq_cmd_execute(mg->cmd, t, v, mid);
    h248_tp_reply(tp, req, reply);
    if (mg->pending_handoff) {
        mg->pending_handoff = mg->pending_restart = false;
        mg_fsm(mg, EV_MGC_HANDOFF);
    } else if (mg->pending_restart) {
        mg->pending_restart = false;
        mg_fsm(mg, EV_MGC_RESTARTED);
    }
    if (mg->state == IQ_MG_REGISTERED) heard_from_mgc(mg); /* new timer value if re-armed */
}

/* ---- life ---- */

iq_mg *iq_mg_new(const iq_mg_cfg *cfg, const h248_tp_cfg_t *tp_cfg, const iq_cmd_cfg *cmd_cfg,
                 iq_table *tb, rt_metrics_t *metrics, GError **err)
{
    GInetAddress *ia = g_inet_address_new_from_string(cfg->mgc_address ? cfg->mgc_address : "");
    if (!ia) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "iq: MGC address %s is not a numeric address",
                    cfg->mgc_address ? cfg->mgc_address : "(none)");
        return NULL;
    }
    g_object_unref(ia);
    iq_mg *mg = g_new0(iq_mg, 1);
    mg->cfg = *cfg;
    mg->cfg.mgc_address = NULL;
    mg->cfg.profile = NULL;
    if (!mg->cfg.retry_ms) mg->cfg.retry_ms = 1000;
    if (mg->cfg.retry_max_ms < mg->cfg.retry_ms) mg->cfg.retry_max_ms = mg->cfg.retry_ms;
    if (!mg->cfg.stop_timeout_ms) mg->cfg.stop_timeout_ms = 1500;
    mg->backoff_ms = mg->cfg.retry_ms;
    mg->profile = g_strdup(cfg->profile);
    set_mgc(mg, cfg->mgc_address, cfg->mgc_port ? cfg->mgc_port : 2944);
    mg->tb = tb;
    mg->metrics = metrics;
    mg->ito_ms = cfg->inactivity_ms;
    mg->inflight = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (metrics) {
        rt_metrics_define(metrics, "iq_registered", "gauge",
                          "1 when the MGC accepted our ServiceChange");
        rt_metrics_define(metrics, "iq_registrations_total", "counter",
                          "ServiceChange registrations by result");
        rt_metrics_define(metrics, "iq_notifies_total", "counter",
                          "Notify sent to the MGC by event and result");
        rt_metrics_set(metrics, "iq_registered", NULL, 0);
    }
    mg->tp = h248_tp_new(tp_cfg, on_request, mg, err);
    if (!mg->tp) {
        iq_mg_free(mg);
        return NULL;
    }
    iq_cmd_hooks hooks = {hook_service_change, hook_inactivity};
    mg->cmd = iq_cmd_new(tb, cmd_cfg, &hooks, mg, metrics);
    iq_table_set_event_cb(tb, on_term_event, mg);
    return mg;
}

void iq_mg_start(iq_mg *mg)
{
    mg_fsm(mg, EV_START);
}

void iq_mg_stop(iq_mg *mg, void (*done)(void *ud), void *ud)
{
    mg->stop_done = done;
    mg->stop_ud = ud;
    if (mg->state == IQ_MG_REGISTERED)
        mg->stop_timer = g_timeout_add(mg->cfg.stop_timeout_ms, on_stop_timeout, mg);
    mg_fsm(mg, EV_STOP);
}

void iq_mg_free(iq_mg *mg)
{
    if (!mg) return;
    stop_timer(&mg->retry_timer);
    stop_timer(&mg->ito_timer);
    stop_timer(&mg->stop_timer);
    if (mg->tb) iq_table_set_event_cb(mg->tb, NULL, NULL);
    h248_tp_free(mg->tp); /* outstanding requests go without their callbacks */
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, mg->inflight);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_free(k);
    g_hash_table_destroy(mg->inflight);
    iq_cmd_free(mg->cmd);
    g_free(mg->mgc_address);
    g_free(mg->mgc_text);
    g_free(mg->profile);
    g_free(mg);
}

iq_mg_state iq_mg_get_state(const iq_mg *mg)
{
    return mg->state;
}

unsigned iq_mg_port(const iq_mg *mg)
{
    return h248_tp_port(mg->tp);
}

const char *iq_mg_mgc(const iq_mg *mg)
{
    return mg->mgc_text;
}

iq_cmd *iq_mg_cmd(iq_mg *mg)
{
    return mg->cmd;
}
