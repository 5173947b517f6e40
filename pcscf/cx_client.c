/* Cx client of the pcscf (see cx_client.h). Each operation is one pcscf_cx_op_t, owned by the
 * client's pending table from creation until its answer, timeout or the client's end. */
#include "pcscf/cx_client.h"

#include <stdio.h>
#include <string.h>

#include "runtime/log.h"

const rt_cfg_key_t pcscf_hss_keys[] = {
    {"address", RT_CFG_STRING, "\"127.0.10.4\"", 1, 64, "HSS Diameter address", NULL, 0, NULL},
    {"port", RT_CFG_INT, "3868", 1, 65535, "HSS Diameter port", NULL, 0, NULL},
    {"realm", RT_CFG_STRING, "\"ims.lab\"", 1, 255, "Destination-Realm of Cx requests", NULL, 0,
     NULL},
    {"host", RT_CFG_STRING, "\"\"", 0, 255, "Destination-Host of Cx requests (empty: omitted)",
     NULL, 0, NULL},
    {"server_name", RT_CFG_STRING, "\"sip:pcscf.ims.lab:5060\"", 1, 255,
     "our S-CSCF name in MAR/SAR (Server-Name)", NULL, 0, NULL},
    {"visited_network", RT_CFG_STRING, "\"ims.lab\"", 1, 255, "Visited-Network-Identifier in UAR",
     NULL, 0, NULL},
    {"retry_after", RT_CFG_INT, "30", 1, 3600,
     "Retry-After (s) in 503/504 answers when the HSS cannot be reached", NULL, 0, NULL},
    {NULL}};

struct pcscf_cx_op {
    pcscf_cx_t *cx;
    pcscf_cx_cb cb;
    void *ud;
    const char *cmd_name;
    gint64 started_us;
    guint idle; /* NO_PEER reported from an idle source */
    char cid[24];
};

struct pcscf_cx {
    dia_stack_t *dia;
    dia_peer_t *hss;
    rt_metrics_t *metrics;
    char *realm, *host, *server_name, *visited;
    unsigned retry_after, timeout_ms;
    GHashTable *ops; /* pcscf_cx_op_t* set (owned) */
    pcscf_cx_rtr_cb on_rtr;
    void *rtr_ud;
    void (*on_up)(void *ud);
    void *up_ud;
};

static void op_finish(pcscf_cx_op_t *op, const pcscf_cx_answer *a)
{
    pcscf_cx_t *cx = op->cx;
    char res[32], labels[96];
    if (a->status == PCSCF_CX_NO_PEER)
        g_strlcpy(res, "no-peer", sizeof res);
    else if (a->status == PCSCF_CX_TIMEOUT)
        g_strlcpy(res, "timeout", sizeof res);
    else if (!a->result.present)
        g_strlcpy(res, "no-result", sizeof res);
    else
        snprintf(res, sizeof res, "%s%u", a->result.experimental ? "exp-" : "", a->result.code);
    snprintf(labels, sizeof labels, "command=\"%s\",result=\"%s\"", op->cmd_name, res);
    rt_metrics_add(cx->metrics, "cx_requests_total", labels, 1);
    double secs = (double)(g_get_monotonic_time() - op->started_us) / 1e6;
    snprintf(labels, sizeof labels, "command=\"%s\"", op->cmd_name);
    rt_metrics_add(cx->metrics, "cx_request_duration_seconds_sum", labels, secs);
    rt_metrics_add(cx->metrics, "cx_request_duration_seconds_count", labels, 1);
    LOGD(RT_SUB_CX, op->cid, "%s -> %s in %.3f s", op->cmd_name, res, secs);
    pcscf_cx_cb cb = op->cb;
    void *ud = op->ud;
    g_hash_table_remove(cx->ops, op); /* frees op */
    if (cb) cb(a, ud);
}

static void on_answer(const dia_msg *ans, void *ud)
{
    pcscf_cx_op_t *op = ud;
    pcscf_cx_answer a = {.status = ans ? PCSCF_CX_ANSWERED : PCSCF_CX_TIMEOUT, .ans = ans};
    if (ans) dia_get_result(ans, &a.result);
    op_finish(op, &a);
}

static gboolean on_no_peer(gpointer ud)
{
    pcscf_cx_op_t *op = ud;
    op->idle = 0;
    pcscf_cx_answer a = {.status = PCSCF_CX_NO_PEER};
    op_finish(op, &a);
    return G_SOURCE_REMOVE;
}

static void op_free(gpointer p)
{
    pcscf_cx_op_t *op = p;
    if (op->idle) g_source_remove(op->idle);
    g_free(op);
}

static pcscf_cx_op_t *op_new(pcscf_cx_t *cx, const char *name, const char *cid, pcscf_cx_cb cb,
                             void *ud)
{
    pcscf_cx_op_t *op = g_new0(pcscf_cx_op_t, 1);
    op->cx = cx;
    op->cb = cb;
    op->ud = ud;
    op->cmd_name = name;
    op->started_us = g_get_monotonic_time();
    g_strlcpy(op->cid, cid ? cid : "", sizeof op->cid);
    g_hash_table_add(cx->ops, op);
    return op;
}

static dia_msg *request_new(pcscf_cx_t *cx, uint32_t cmd)
{
    char *sid = dia_stack_session_id(cx->dia);
    const dia_local_t *l = dia_stack_local(cx->dia);
    dia_msg *m =
        dia_cx_request_new(cmd, sid, &l->node, cx->realm, *cx->host ? cx->host : NULL, 0, 0);
    g_free(sid);
    return m;
}

/* Sends, or reports NO_PEER from an idle callback so the caller never re-enters itself. */
static pcscf_cx_op_t *send(pcscf_cx_t *cx, dia_msg *req, const char *name, const char *cid,
                           pcscf_cx_cb cb, void *ud)
{
    pcscf_cx_op_t *op = op_new(cx, name, cid, cb, ud);
    dia_peer_t *peer = dia_stack_pick(cx->dia, NULL);
    if (!peer) {
        dia_msg_free(req);
        LOGW(RT_SUB_CX, op->cid, "%s: no open connection to the HSS", name);
        op->idle = g_idle_add(on_no_peer, op);
        return op;
    }
    if (!dia_peer_request(peer, req, cx->timeout_ms, on_answer, op))
        op->idle = g_idle_add(on_no_peer, op);
    return op;
}

pcscf_cx_op_t *pcscf_cx_uar(pcscf_cx_t *cx, const char *impi, const char *impu, uint32_t type,
                            const char *cid, pcscf_cx_cb cb, void *ud)
{
    dia_msg *m = request_new(cx, DIA_CMD_UA);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, impi);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, impu);
    dia_add_octets(m->avps, DIA_AVP_VISITED_NETWORK_IDENTIFIER, DIA_VENDOR_3GPP, cx->visited,
                   strlen(cx->visited));
    dia_add_u32(m->avps, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP, type);
    return send(cx, m, "UAR", cid, cb, ud);
}

pcscf_cx_op_t *pcscf_cx_mar(pcscf_cx_t *cx, const char *impi, const char *impu, const char *cid,
                            pcscf_cx_cb cb, void *ud)
{
    dia_msg *m = request_new(cx, DIA_CMD_MA);
    dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, impi);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, impu);
    dia_add_u32(m->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_cx_auth_item it = {.scheme = "SIP Digest"};
    dia_cx_add_auth_item(m->avps, &it);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, cx->server_name);
    return send(cx, m, "MAR", cid, cb, ud);
}

pcscf_cx_op_t *pcscf_cx_sar(pcscf_cx_t *cx, const char *impi, const char *impu, uint32_t sat,
                            const char *cid, pcscf_cx_cb cb, void *ud)
{
    dia_msg *m = request_new(cx, DIA_CMD_SA);
    if (impi) dia_add_str(m->avps, DIA_AVP_USER_NAME, 0, impi);
    if (impu) dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, impu);
    dia_add_str(m->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, cx->server_name);
    dia_add_u32(m->avps, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP, sat);
    dia_add_u32(m->avps, DIA_AVP_USER_DATA_ALREADY_AVAILABLE, DIA_VENDOR_3GPP,
                DIA_UDAA_NOT_AVAILABLE);
    return send(cx, m, "SAR", cid, cb, ud);
}

pcscf_cx_op_t *pcscf_cx_lir(pcscf_cx_t *cx, const char *impu, const char *cid, pcscf_cx_cb cb,
                            void *ud)
{
    dia_msg *m = request_new(cx, DIA_CMD_LI);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, impu);
    return send(cx, m, "LIR", cid, cb, ud);
}

void pcscf_cx_cancel(pcscf_cx_op_t *op)
{
    if (!op) return;
    op->cb = NULL;
    if (op->idle) { /* nothing on the wire: drop it now */
        g_hash_table_remove(op->cx->ops, op);
    }
}

/* ---- requests from the HSS ---- */

/* TS 29.228 §6.5.1 (RTR) and §6.5.2 (PPR). */
static void on_request(dia_stack_t *st, dia_peer_t *peer, const dia_msg *req, void *ud)
{
    pcscf_cx_t *cx = ud;
    const dia_local_t *l = dia_stack_local(st);
    dia_msg *ans = req->app_id == DIA_APP_CX ? dia_cx_answer_new(req, &l->node)
                                             : dia_answer_new(req, &l->node);
    if (req->app_id != DIA_APP_CX) {
        dia_set_result_code(ans, 3007); /* DIAMETER_APPLICATION_UNSUPPORTED */
    } else if (req->cmd == DIA_CMD_RT) {
        char *impi = dia_msg_get_str(req, DIA_AVP_USER_NAME, 0);
        GPtrArray *impus = g_ptr_array_new_with_free_func(g_free);
        guint cur = 0;
        const dia_avp *a;
        while ((a = dia_find(req->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, &cur)))
            g_ptr_array_add(impus, dia_avp_get_str(a));
        g_ptr_array_add(impus, NULL);
        unsigned n = cx->on_rtr ? cx->on_rtr(impi, (char **)impus->pdata, cx->rtr_ud) : 0;
        LOGN(RT_SUB_CX, NULL, "RTR from %s for %s: %u registrations dropped", dia_peer_name(peer),
             impi ? impi : "-", n);
        dia_set_result_code(ans, 2001);
        g_ptr_array_free(impus, TRUE);
        g_free(impi);
    } else if (req->cmd == DIA_CMD_PP) {
        /* Profile pushes are accepted; the new User-Data applies at the next registration. */
        dia_set_result_code(ans, 2001);
    } else {
        dia_set_result_code(ans, 3001); /* DIAMETER_COMMAND_UNSUPPORTED */
    }
    dia_peer_send(peer, ans);
}

static void on_state(dia_stack_t *st, dia_peer_t *peer, bool open, void *ud)
{
    pcscf_cx_t *cx = ud;
    (void)st;
    (void)peer;
    if (open && cx->on_up) cx->on_up(cx->up_ud);
}

void pcscf_cx_set_up_handler(pcscf_cx_t *cx, void (*cb)(void *ud), void *ud)
{
    cx->on_up = cb;
    cx->up_ud = ud;
}

pcscf_cx_t *pcscf_cx_new(const config_t *cfg, rt_metrics_t *metrics)
{
    pcscf_cx_t *cx = g_new0(pcscf_cx_t, 1);
    cx->metrics = metrics;
    cx->realm = g_strdup(rt_cfg_str(cfg, "hss.realm"));
    cx->host = g_strdup(rt_cfg_str(cfg, "hss.host"));
    cx->server_name = g_strdup(rt_cfg_str(cfg, "hss.server_name"));
    cx->visited = g_strdup(rt_cfg_str(cfg, "hss.visited_network"));
    cx->retry_after = (unsigned)rt_cfg_int(cfg, "hss.retry_after");
    cx->ops = g_hash_table_new_full(g_direct_hash, g_direct_equal, op_free, NULL);
    rt_metrics_define(metrics, "cx_requests_total", "counter",
                      "Cx requests sent, by command and result (exp-N: Experimental-Result)");
    rt_metrics_define(metrics, "cx_request_duration_seconds_sum", "counter",
                      "total time waited for Cx answers, by command");
    rt_metrics_define(metrics, "cx_request_duration_seconds_count", "counter",
                      "Cx requests whose wait is in the _sum, by command");
    dia_local_t local;
    dia_local_from_config(cfg, &local);
    cx->timeout_ms = local.timeout_ms;
    cx->dia = dia_stack_new(&local, metrics, on_request, on_state, cx);
    cx->hss = dia_stack_connect(cx->dia, rt_cfg_str(cfg, "hss.address"),
                                (unsigned)rt_cfg_int(cfg, "hss.port"));
    return cx;
}

void pcscf_cx_set_rtr_handler(pcscf_cx_t *cx, pcscf_cx_rtr_cb cb, void *ud)
{
    cx->on_rtr = cb;
    cx->rtr_ud = ud;
}

void pcscf_cx_shutdown(pcscf_cx_t *cx, void (*done)(void *ud), void *ud)
{
    dia_stack_shutdown(cx->dia, done, ud);
}

void pcscf_cx_free(pcscf_cx_t *cx)
{
    if (!cx) return;
    /* Their owners are going away too: pending answers are failed silently inside
     * dia_stack_free, the remaining (idle) ones are dropped with the table. */
    GList *left = g_hash_table_get_keys(cx->ops);
    for (GList *l = left; l; l = l->next)
        ((pcscf_cx_op_t *)l->data)->cb = NULL;
    g_list_free(left);
    dia_stack_free(cx->dia);
    g_hash_table_destroy(cx->ops);
    g_free(cx->realm);
    g_free(cx->host);
    g_free(cx->server_name);
    g_free(cx->visited);
    g_free(cx);
}

bool pcscf_cx_is_up(const pcscf_cx_t *cx)
{
    return dia_stack_open_peers(cx->dia) > 0;
}

const char *pcscf_cx_server_name(const pcscf_cx_t *cx)
{
    return cx->server_name;
}

unsigned pcscf_cx_retry_after(const pcscf_cx_t *cx)
{
    return cx->retry_after;
}

unsigned pcscf_cx_pending(const pcscf_cx_t *cx)
{
    return g_hash_table_size(cx->ops);
}
