/* The stateful proxy (see proxy.h). One ptx_t per server transaction, owned by the proxy's
 * table from the request's arrival until its final response has been sent and every branch
 * is done; one branch_t per client transaction, owned by its ptx_t. */
#include "pcscf/proxy_int.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_tag.h>
#include <stdio.h>
#include <string.h>

#include "pcscf/media.h"
#include "pcscf/register.h"
#include "pcscf/routing.h"
#include "pcscf/uri.h"
#include "runtime/log.h"

/* RFC 3261 §16.3 item 5 / RFC 6140 / RFC 3327: option tags this proxy understands. */
static const char *const proxy_supported[] = {"gin", "path", NULL};

static void branch_free(gpointer ptr)
{
    branch_t *b = ptr;
    if (b->cancel) nta_outgoing_destroy(b->cancel);
    if (b->orq) nta_outgoing_destroy(b->orq);
    g_free(b->target);
    g_free(b->hop);
    g_strfreev(b->route);
    g_free(b);
}

static px_tq_t deadline_queue(const ptx_t *t)
{
    return t->method == sip_method_invite ? PX_TQ_DEADLINE_INVITE : PX_TQ_DEADLINE_OTHER;
}

static void ptx_free(gpointer ptr)
{
    ptx_t *t = ptr;
    px_media_tx_gone(t);
    rt_timer_stop(t->px->tq, &t->timer_c);
    rt_timer_stop(t->px->tq, &t->deadline);
    pcscf_cx_cancel(t->op);
    if (t->branches) g_ptr_array_free(t->branches, TRUE);
    if (t->best) msg_destroy(t->best);
    if (t->irq) nta_incoming_destroy(t->irq);
    if (t->msg) msg_destroy(t->msg);
    g_free(t->method_name);
    g_free(t->call_key);
    g_free(t);
}

pcscf_proxy_t *pcscf_proxy_new(pcscf_t *p)
{
    pcscf_proxy_t *px = g_new0(pcscf_proxy_t, 1);
    px->p = p;
    px_timers_init(px);
    px->txs = g_hash_table_new_full(g_direct_hash, g_direct_equal, ptx_free, NULL);
    px->dialogs = pcscf_dialogs_new(p);
    pcscf_dialogs_set_end_fn(px->dialogs, px_media_end_call, px);
    rt_metrics_define(p->metrics, "sip_transactions_total", "counter",
                      "SIP server transactions by method and final response class");
    rt_metrics_define(p->metrics, "sip_stateless_total", "counter",
                      "messages forwarded or answered statelessly, by kind");
    return px;
}

void pcscf_count_tx(pcscf_t *p, const char *method, int status)
{
    char labels[96];
    snprintf(labels, sizeof labels, "method=\"%s\",class=\"%dxx\"", method, status / 100);
    rt_metrics_add(p->metrics, "sip_transactions_total", labels, 1);
}

static void count_stateless(pcscf_proxy_t *px, const char *kind)
{
    char labels[64];
    snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
    rt_metrics_add(px->p->metrics, "sip_stateless_total", labels, 1);
}

unsigned pcscf_proxy_pending(const pcscf_proxy_t *px)
{
    return g_hash_table_size(px->txs);
}

void pcscf_proxy_release_media(pcscf_proxy_t *px)
{
    pcscf_dialogs_release_media(px->dialogs);
}

unsigned pcscf_proxy_dialogs(const pcscf_proxy_t *px)
{
    return pcscf_dialogs_count(px->dialogs);
}

void px_done(ptx_t *t)
{
    g_hash_table_remove(t->px->txs, t);
}

/* Final response generated here; `headers`: extra header lines or NULL. */
void px_reply(ptx_t *t, int status, const char *phrase, const char *headers)
{
    if (t->final_sent || !t->irq) return;
    t->final_sent = true;
    nta_incoming_treply(t->irq, status, phrase, TAG_IF(headers, SIPTAG_HEADER_STR(headers)),
                        TAG_END());
    pcscf_count_tx(t->px->p, t->method_name, status);
    LOGI(RT_SUB_SIP, t->cid, "%s from %s:%u -> %d %s", t->method_name, t->src.ip, t->src.port,
         status, phrase ? phrase : "");
}

void px_reply_and_done(ptx_t *t, int status, const char *phrase, const char *headers)
{
    px_reply(t, status, phrase, headers);
    px_done(t);
}

void px_reply_retry(ptx_t *t, int status, const char *phrase, unsigned retry_after)
{
    char hdr[48];
    g_snprintf(hdr, sizeof hdr, "Retry-After: %u\r\n", retry_after);
    px_reply_and_done(t, status, phrase, retry_after ? hdr : NULL);
}

/* ---- addresses that mean "us" ---- */

bool px_url_is_us(const pcscf_t *p, const url_t *u)
{
    if (!u || !u->url_host || u->url_type == url_any) return false;
    if (g_ascii_strcasecmp(u->url_host, p->set.address) != 0) return false;
    unsigned port = u->url_port ? (unsigned)strtoul(u->url_port, NULL, 10)
                                : (u->url_type == url_sips ? 5061 : 5060);
    return port == p->set.port || (p->set.tls_port && port == p->set.tls_port);
}

static bool via_is_us(const pcscf_t *p, const sip_via_t *v)
{
    if (!v->v_host || g_ascii_strcasecmp(v->v_host, p->set.address) != 0) return false;
    unsigned port = v->v_port ? (unsigned)strtoul(v->v_port, NULL, 10) : 5060;
    return port == p->set.port || (p->set.tls_port && port == p->set.tls_port);
}

static bool host_is_local(const pcscf_t *p, const url_t *u)
{
    return u && u->url_host &&
           pcscf_host_is_local(u->url_host, (const char *const *)p->set.local_names);
}

/* ---- loop detection (RFC 3261 §16.3 item 4, §16.6 item 8) ---- */

/* Hash of what a spiral changes and a loop does not: the Request-URI as received, the dialog
 * identifiers, CSeq and Proxy-Require (RFC 5393 §4.2 discusses why the topmost Via is left
 * out). */
static void loop_hash(const sip_t *sip, char out[17])
{
    char *ruri = pcscf_url_str(sip->sip_request->rq_url);
    GString *s = g_string_new(ruri);
    g_string_append_printf(s, "|%s|%s|%s|%u", sip->sip_from->a_tag ? sip->sip_from->a_tag : "",
                           sip->sip_to->a_tag ? sip->sip_to->a_tag : "", sip->sip_call_id->i_id,
                           sip->sip_cseq->cs_seq);
    for (const msg_list_t *l = sip->sip_proxy_require; l; l = l->k_next)
        for (size_t i = 0; l->k_items && l->k_items[i]; i++)
            g_string_append_printf(s, "|%s", l->k_items[i]);
    gchar *h = g_compute_checksum_for_string(G_CHECKSUM_MD5, s->str, (gssize)s->len);
    g_strlcpy(out, h, 17);
    g_free(h);
    g_string_free(s, TRUE);
    g_free(ruri);
}

static bool is_loop(const pcscf_t *p, const sip_t *sip, const char *hash)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "z9hG4bK%s.", hash);
    for (const sip_via_t *v = sip->sip_via; v; v = v->v_next)
        if (via_is_us(p, v) && v->v_branch && g_str_has_prefix(v->v_branch, prefix)) return true;
    return false;
}

/* ---- Route processing (RFC 3261 §16.4) ---- */

/* Removes the Route entries naming us at the top; a strict-routing predecessor (Request-URI is
 * us without a user part) gets the last Route moved into the Request-URI. Returns whether an
 * "orig" Service-Route entry was among them. */
static bool pop_own_routes(pcscf_t *p, msg_t *msg, sip_t *sip)
{
    bool orig = false;
    url_t *ru = sip->sip_request->rq_url;
    if (px_url_is_us(p, ru) && !ru->url_user && sip->sip_route) {
        sip_route_t *last = sip->sip_route;
        while (last->r_next)
            last = last->r_next;
        sip_request_t *rq =
            sip_request_create(msg_home(msg), sip->sip_request->rq_method,
                               sip->sip_request->rq_method_name, (url_string_t *)last->r_url, NULL);
        if (rq) {
            msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)rq);
            msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)last);
        }
    }
    while (sip->sip_route && px_url_is_us(p, sip->sip_route->r_url)) {
        if (sip->sip_route->r_url->url_user && strcmp(sip->sip_route->r_url->url_user, "orig") == 0)
            orig = true;
        sip_route_remove(msg, sip);
    }
    return orig;
}

/* ---- forwarding ---- */

static int on_branch_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip);

static bool is_dialog_creating(sip_method_t m)
{
    return m == sip_method_invite || m == sip_method_subscribe || m == sip_method_refer ||
           m == sip_method_notify;
}

static bool privacy_id(const sip_t *sip)
{
    for (const sip_privacy_t *pr = sip->sip_privacy; pr; pr = NULL)
        for (size_t i = 0; pr->priv_values && pr->priv_values[i]; i++)
            if (g_ascii_strcasecmp(pr->priv_values[i], "id") == 0 ||
                g_ascii_strcasecmp(pr->priv_values[i], "critical") == 0)
                return true;
    return false;
}

static char *own_record_route(const pcscf_t *p, const char *proto)
{
    bool tp = proto && (strcmp(proto, "tcp") == 0 || strcmp(proto, "tls") == 0);
    bool v6 = strchr(p->set.address, ':') != NULL;
    unsigned port = proto && strcmp(proto, "tls") == 0 ? p->set.tls_port : p->set.port;
    return g_strdup_printf(v6 ? "<sip:[%s]:%u;lr%s%s>" : "<sip:%s:%u;lr%s%s>", p->set.address, port,
                           tp ? ";transport=" : "", tp ? proto : "");
}

static const char *hop_proto(const char *hop)
{
    if (!hop) return "udp";
    if (g_str_has_prefix(hop, "sips:") || strstr(hop, "transport=tls")) return "tls";
    if (strstr(hop, "transport=tcp")) return "tcp";
    return "udp";
}

/* Builds and sends one branch's request; false when nta refused it. */
static bool branch_send(branch_t *b)
{
    ptx_t *t = b->tx;
    pcscf_t *p = t->px->p;
    msg_t *msg = msg_copy(t->msg);
    sip_t *sip = sip_object(msg);
    su_home_t *home = msg_home(msg);
    if (b->target) {
        sip_request_t *rq =
            sip_request_create(home, t->method, t->method_name, (url_string_t *)b->target, NULL);
        if (!rq) goto fail;
        msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)rq);
    }
    /* Route set of the binding (RFC 3327 Path), first entry on top. */
    guint nroute = b->route ? g_strv_length(b->route) : 0;
    for (guint i = nroute; i-- > 0;) {
        gchar *v = g_strdup_printf("<%s>", b->route[i]);
        sip_route_t *r = sip_route_make(home, v);
        g_free(v);
        if (r)
            msg_header_prepend(msg, (msg_pub_t *)sip, (msg_header_t **)&sip->sip_route,
                               (msg_header_t *)r);
    }
    /* RFC 3261 §16.6 item 3: Max-Forwards decremented, or 70 when absent. */
    char mfv[16];
    snprintf(mfv, sizeof mfv, "%u",
             sip->sip_max_forwards ? (unsigned)sip->sip_max_forwards->mf_count - 1
                                   : p->set.max_forwards);
    sip_max_forwards_t *mf = sip_max_forwards_make(home, mfv);
    if (sip->sip_max_forwards)
        msg_header_replace(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_max_forwards,
                           (msg_header_t *)mf);
    else
        msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)mf);
    /* RFC 3261 §16.6 item 4: Record-Route on dialog-creating requests; a second entry when
     * the transport changes so that each side reaches us over its own (RFC 5658). */
    if (t->initial && is_dialog_creating(t->method)) {
        const char *out = hop_proto(b->hop ? b->hop : b->target);
        if (strcmp(out, t->src.proto) != 0) {
            char *rr_in = own_record_route(p, t->src.proto);
            sip_record_route_t *rr = sip_record_route_make(home, rr_in);
            g_free(rr_in);
            if (rr)
                msg_header_prepend(msg, (msg_pub_t *)sip, (msg_header_t **)&sip->sip_record_route,
                                   (msg_header_t *)rr);
        }
        char *rr_out = own_record_route(p, out);
        sip_record_route_t *rr = sip_record_route_make(home, rr_out);
        g_free(rr_out);
        if (rr)
            msg_header_prepend(msg, (msg_pub_t *)sip, (msg_header_t **)&sip->sip_record_route,
                               (msg_header_t *)rr);
    }
    /* RFC 7315 §4: charging information stays inside the trust domain; RFC 3325 §9.1: a
     * privacy-requesting identity is not disclosed outside it. */
    if (!pcscf_pcv_send_to(b->dest_trusted)) {
        pcscf_hdr_remove(msg, sip, HDR_PCV);
        pcscf_hdr_remove(msg, sip, HDR_PCFA);
        if (privacy_id(sip)) pcscf_hdr_remove(msg, sip, HDR_PAI);
    }
    char **has_cid = pcscf_hdr_values(sip, HDR_CID);
    if (!has_cid) pcscf_hdr_add(msg, sip, HDR_CID, t->cid);
    g_strfreev(has_cid);

    char branch[64];
    snprintf(branch, sizeof branch, "z9hG4bK%s.%" G_GUINT64_FORMAT, t->loop_hash, ++t->px->seq);
    b->orq = nta_outgoing_mcreate(p->agent, on_branch_response, (nta_outgoing_magic_t *)b,
                                  b->hop ? URL_STRING_MAKE(b->hop) : NULL, msg,
                                  NTATAG_BRANCH_KEY(branch), TAG_END());
    if (!b->orq) return false; /* nta_outgoing_mcreate destroyed msg */
    LOGI(RT_SUB_SIP, t->cid, "%s %s forwarded %s%s%s", t->method_name,
         b->target ? b->target : "(in dialog)", b->hop ? "via " : "by Route/Request-URI",
         b->hop ? b->hop : "", b->peer ? " (W8 peer)" : "");
    return true;
fail:
    msg_destroy(msg);
    return false;
}

branch_t *px_branch_add(ptx_t *t, const char *target, const char *hop, char **route, bool trusted,
                        pcscf_peer_t *peer)
{
    branch_t *b = g_new0(branch_t, 1);
    b->tx = t;
    b->target = g_strdup(target);
    b->hop = g_strdup(hop);
    b->route = route ? g_strdupv(route) : NULL;
    b->dest_trusted = trusted;
    b->peer = peer;
    g_ptr_array_add(t->branches, b);
    return b;
}

/* Starts every branch added; answers 5xx when none could be sent. */
void px_cancel_pending(ptx_t *t);

void px_on_timer_c(ptx_t *t)
{
    LOGI(RT_SUB_SIP, t->cid, "%s: no answer within %u s, cancelling", t->method_name,
         t->px->p->set.invite_timeout_s);
    px_cancel_pending(t);
}

void px_send_branches(ptx_t *t)
{
    if (t->method == sip_method_invite) px_timer_start(t, &t->timer_c, PX_TQ_TIMER_C);
    unsigned sent = 0;
    for (guint i = 0; i < t->branches->len; i++) {
        branch_t *b = t->branches->pdata[i];
        if (branch_send(b))
            sent++;
        else
            b->status = 503;
    }
    if (!sent) px_reply_and_done(t, 503, "Service Unavailable (cannot forward)", NULL);
}

void px_dispatch(ptx_t *t)
{
    if (px_media_request(t)) return;
    px_send_branches(t);
}

/* ---- responses ---- */

/* RFC 3261 §16.7 item 6: 6xx beats everything, then the lowest class; among 4xx prefer the
 * more specific ones over 408 and 480. */
static int rank(int status)
{
    if (status >= 600) return 0;
    if (status == 408 || status == 480 || status == 503) return 3000 + status;
    return status;
}

static bool all_final(const ptx_t *t)
{
    for (guint i = 0; i < t->branches->len; i++)
        if (((branch_t *)t->branches->pdata[i])->status < 200) return false;
    return true;
}

static int on_cancel_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip)
{
    (void)magic;
    (void)orq;
    (void)sip;
    return 0; /* the CANCEL's own answer does not matter; the INVITE's does */
}

/* RFC 3261 §9.1: a CANCEL copies the INVITE's Request-URI, top Via (same branch), Route,
 * From, To, Call-ID and CSeq number. It is sent as its own client transaction so that the
 * INVITE client transaction stays untouched and still delivers its 487 (nta's own
 * nta_outgoing_tcancel completes the INVITE transaction on reliable transports). */
static void send_cancel(branch_t *b)
{
    pcscf_t *p = b->tx->px->p;
    msg_t *req = nta_outgoing_getrequest(b->orq);
    sip_t *rs = req ? sip_object(req) : NULL;
    if (!rs || !rs->sip_via) {
        if (req) msg_destroy(req);
        return;
    }
    msg_t *c = nta_msg_create(p->agent, 0);
    sip_t *cs = sip_object(c);
    su_home_t *home = msg_home(c);
    sip_via_t top = *rs->sip_via;
    top.v_next = NULL;
    top.v_common->h_succ = NULL;
    top.v_common->h_prev = NULL;
    top.v_common->h_data = NULL;
    top.v_common->h_len = 0;
    sip_add_tl(c, cs,
               SIPTAG_REQUEST(sip_request_create(home, sip_method_cancel, "CANCEL",
                                                 (url_string_t *)rs->sip_request->rq_url, NULL)),
               SIPTAG_VIA(&top), SIPTAG_ROUTE(rs->sip_route),
               SIPTAG_MAX_FORWARDS(rs->sip_max_forwards), SIPTAG_FROM(rs->sip_from),
               SIPTAG_TO(rs->sip_to), SIPTAG_CALL_ID(rs->sip_call_id),
               SIPTAG_CSEQ(sip_cseq_create(home, rs->sip_cseq->cs_seq, sip_method_cancel, NULL)),
               TAG_END());
    msg_destroy(req);
    b->cancel = nta_outgoing_mcreate(p->agent, on_cancel_response, NULL,
                                     b->hop ? URL_STRING_MAKE(b->hop) : NULL, c, NTATAG_USER_VIA(1),
                                     TAG_END());
    if (!b->cancel)
        LOGW(RT_SUB_SIP, b->tx->cid, "cannot send CANCEL to %s", b->target ? b->target : "?");
}

void px_cancel_pending(ptx_t *t)
{
    for (guint i = 0; i < t->branches->len; i++) {
        branch_t *b = t->branches->pdata[i];
        if (!b->orq || b->status >= 200 || b->cancel || b->cancel_wanted) continue;
        if (t->method != sip_method_invite) continue;
        /* A CANCEL may only follow a provisional response (RFC 3261 §9.1). */
        if (b->status >= 100)
            send_cancel(b);
        else
            b->cancel_wanted = true;
    }
}

/* The 2xx of an initial INVITE confirms its call; the Record-Route entries beyond ours give
 * the route sets toward each side, should the pcscf have to end the call itself. */
static void confirm_call(ptx_t *t, const sip_t *rs)
{
    pcscf_call_t *c = t->call_key ? pcscf_call_by_key(t->px->dialogs, t->call_key) : NULL;
    if (!c) return;
    GPtrArray *above = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *below = g_ptr_array_new_with_free_func(g_free);
    bool seen_us = false;
    for (const sip_record_route_t *rr = rs->sip_record_route; rr; rr = rr->r_next) {
        if (px_url_is_us(t->px->p, rr->r_url)) {
            seen_us = true;
            continue;
        }
        g_ptr_array_add(seen_us ? below : above, pcscf_url_str(rr->r_url));
    }
    GPtrArray *to_callee = g_ptr_array_new();
    for (guint i = above->len; i-- > 0;)
        g_ptr_array_add(to_callee, above->pdata[i]);
    g_ptr_array_add(to_callee, NULL);
    g_ptr_array_add(below, NULL);
    pcscf_call_confirmed(c, t->sip, rs, (char **)below->pdata, (char **)to_callee->pdata);
    g_ptr_array_free(to_callee, TRUE);
    g_ptr_array_free(above, TRUE);
    g_ptr_array_free(below, TRUE);
}

/* Forwards a response (reference taken) upstream after removing our Via. `b`: the branch it
 * came from. */
void px_forward_response(ptx_t *t, branch_t *b, msg_t *resp)
{
    sip_t *rs = sip_object(resp);
    int status = rs->sip_status->st_status;
    if (!t->irq) { /* the server transaction is already gone */
        msg_destroy(resp);
        return;
    }
    sip_via_remove(resp, rs);
    if (!t->src_trusted) {
        pcscf_hdr_remove(resp, rs, HDR_PCV);
        pcscf_hdr_remove(resp, rs, HDR_PCFA);
    }
    /* RFC 3325 §5: identity asserted by a node outside the trust domain is not passed on. */
    if (b && !b->dest_trusted) pcscf_hdr_remove(resp, rs, HDR_PAI);
    if (t->method == sip_method_invite && status >= 200 && status < 300) {
        t->got_2xx = true;
        if (t->initial) confirm_call(t, rs);
    }
    nta_incoming_mreply(t->irq, resp);
    if (status >= 200) {
        if (!t->final_sent) pcscf_count_tx(t->px->p, t->method_name, status);
        t->final_sent = true;
        LOGI(RT_SUB_SIP, t->cid, "%s -> %d %s", t->method_name, status,
             rs->sip_status->st_phrase ? rs->sip_status->st_phrase : "");
    }
}

void px_maybe_finish(ptx_t *t)
{
    if (!all_final(t) || t->media_busy || (t->resp_queue && !g_queue_is_empty(t->resp_queue)))
        return;
    if (!t->final_sent) {
        if (t->best) {
            msg_t *best = t->best;
            t->best = NULL;
            px_forward_response(t, t->best_branch, best);
        } else {
            int st = t->best_status ? t->best_status : 500;
            const char *phrase = st == 408   ? "Request Timeout"
                                 : st == 503 ? "Service Unavailable (next hop unreachable)"
                                             : sip_status_phrase(st);
            px_reply(t, st, phrase, NULL);
        }
    }
    px_done(t);
}

/* Responses with SDP of an anchored call go through the media step first. */
static void deliver(ptx_t *t, branch_t *b, msg_t *resp)
{
    if (!px_media_response(t, b, resp)) px_forward_response(t, b, resp);
}

static int on_branch_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq, const sip_t *sip)
{
    branch_t *b = (branch_t *)magic;
    ptx_t *t = b->tx;
    int status = sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
    if (status < 200 && b->status < status) b->status = status;
    if (status < 200 && b->cancel_wanted && !b->cancel) {
        b->cancel_wanted = false;
        send_cancel(b);
    }
    if (status <= 100) return 0;
    msg_t *resp = nta_outgoing_getresponse(orq);
    bool internal = !resp || nta_msg_is_internal(resp);
    if (internal && resp) {
        msg_destroy(resp);
        resp = NULL;
    }
    if (status < 200) {
        if (resp && !t->final_sent)
            deliver(t, b, resp);
        else if (resp)
            msg_destroy(resp);
        return 0;
    }
    if (status < 300) {
        /* RFC 3261 §16.7 item 4: every 2xx goes upstream at once; other forks are cancelled. */
        b->status = status;
        if (resp) deliver(t, b, resp);
        if (t->method == sip_method_invite) px_cancel_pending(t);
        px_maybe_finish(t);
        return 0;
    }
    if (b->status >= 200) { /* a late final response after a 2xx or a duplicate */
        if (resp) msg_destroy(resp);
        return 0;
    }
    b->status = status;
    if (status >= 600 && t->method == sip_method_invite) px_cancel_pending(t);
    if (!t->final_sent && (!t->best_status || rank(status) < rank(t->best_status))) {
        if (t->best) msg_destroy(t->best);
        t->best = resp; /* NULL for a response nta made up (timeout, transport error) */
        t->best_branch = b;
        t->best_status = status;
        resp = NULL;
    }
    if (resp) msg_destroy(resp);
    px_maybe_finish(t);
    return 0;
}

/* CANCEL for our INVITE server transaction, or its end (sip == NULL). */
static int on_irq_event(nta_incoming_magic_t *magic, nta_incoming_t *irq, const sip_t *sip)
{
    ptx_t *t = (ptx_t *)magic;
    if (!sip) {
        /* The server transaction is over (e.g. no ACK to our final response). */
        t->irq = NULL;
        nta_incoming_destroy(irq);
        if (t->final_sent) px_done(t);
        return 0;
    }
    if (sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
        LOGI(RT_SUB_SIP, t->cid, "CANCEL for %s", t->method_name);
        t->cancelled = true;
        bool sent = false;
        for (guint i = 0; i < t->branches->len; i++)
            if (((branch_t *)t->branches->pdata[i])->orq) sent = true;
        if (!sent) {
            /* Still looking the target up: nothing downstream to cancel. */
            pcscf_cx_cancel(t->op);
            t->op = NULL;
            px_reply_and_done(t, 487, "Request Terminated", NULL);
            return 200;
        }
        px_cancel_pending(t);
        return 200;
    }
    return 0;
}

/* ---- requests ---- */

static void answer_options(ptx_t *t)
{
    px_reply_and_done(t, 200, "OK",
                      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, PRACK, UPDATE, INFO, "
                      "MESSAGE, SUBSCRIBE, NOTIFY, REFER\r\nSupported: path, gin\r\n");
}

/* Whatever happens downstream, a transaction ends: 64*T1 after Timer C for an INVITE, 64*T1
 * for the others (RFC 3261 Timers B/F). */
void px_on_deadline(ptx_t *t)
{
    LOGW(RT_SUB_SIP, t->cid, "%s: transaction still open at its deadline; ending it",
         t->method_name);
    px_reply(t, 408, "Request Timeout", NULL);
    px_done(t);
}

/* The W8 peer a URL points at (in-dialog requests toward the WTPF). */
static pcscf_peer_t *next_hop_peer(pcscf_t *p, const url_t *u)
{
    return u && u->url_host ? pcscf_peers_by_address(p->peers, u->url_host) : NULL;
}

/* INVITE calls: an initial INVITE starts one, a BYE ends one, other in-dialog requests are
 * remembered (CSeq; SDP of re-INVITE/UPDATE goes through the anchor). */
static void track_call(ptx_t *t)
{
    pcscf_dialogs_t *d = t->px->dialogs;
    if (t->method == sip_method_invite && t->initial) {
        pcscf_call_t *c = pcscf_call_start(d, t->sip, t->cid);
        if (!c) return;
        if (!c->setup_tx) c->setup_tx = t;
        t->call_key = g_strdup(c->key);
        return;
    }
    if (t->initial) return;
    pcscf_call_t *c = pcscf_call_find(d, t->sip);
    if (!c) return;
    if (t->method == sip_method_bye) {
        pcscf_call_end(c, "BYE");
        return;
    }
    pcscf_call_seen_request(c, t->sip);
    t->call_key = g_strdup(c->key);
}

static void handle_request(pcscf_proxy_t *px, nta_incoming_t *irq)
{
    pcscf_t *p = px->p;
    ptx_t *t = g_new0(ptx_t, 1);
    t->px = px;
    t->irq = irq;
    t->msg = nta_incoming_getrequest(irq);
    t->sip = sip_object(t->msg);
    t->branches = g_ptr_array_new_with_free_func(branch_free);
    g_hash_table_add(px->txs, t);
    sip_t *sip = t->sip;
    t->method = sip->sip_request->rq_method;
    t->method_name = g_strdup(sip->sip_request->rq_method_name);
    t->initial = !sip->sip_to->a_tag;
    px_timer_start(t, &t->deadline, deadline_queue(t));
    pcscf_msg_source(p->agent, irq, t->msg, &t->src);
    t->peer_in = pcscf_peers_by_address(p->peers, t->src.ip);
    t->src_trusted = t->peer_in && t->peer_in->trusted;
    char **cid = t->src_trusted ? pcscf_hdr_values(sip, HDR_CID) : NULL;
    if (cid && strlen(cid[0]) < sizeof t->cid)
        g_strlcpy(t->cid, cid[0], sizeof t->cid);
    else
        rt_cid_new(t->cid, sizeof t->cid);
    g_strfreev(cid);
    if (t->method != sip_method_ack && t->method != sip_method_cancel)
        nta_incoming_bind(irq, on_irq_event, (nta_incoming_magic_t *)t);
    if (t->method == sip_method_invite) nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
    LOGD(RT_SUB_SIP, t->cid, "%s %s from %s/%s:%u", t->method_name,
         sip->sip_request->rq_url->url_host ? sip->sip_request->rq_url->url_host : "", t->src.proto,
         t->src.ip, t->src.port);

    if (p->stopping) return px_reply_and_done(t, 503, "Service Unavailable", "Retry-After: 5\r\n");
    /* RFC 3261 §16.3 item 3 */
    if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
        if (t->method == sip_method_options && px_url_is_us(p, sip->sip_request->rq_url))
            return answer_options(t);
        return px_reply_and_done(t, 483, "Too Many Hops", NULL);
    }
    /* RFC 3261 §16.3 item 6 */
    char *unsupported = pcscf_unsupported_tags(sip->sip_proxy_require, proxy_supported);
    if (unsupported) {
        gchar *hdr = g_strdup_printf("Unsupported: %s\r\n", unsupported);
        g_free(unsupported);
        px_reply_and_done(t, 420, "Bad Extension", hdr);
        g_free(hdr);
        return;
    }
    loop_hash(sip, t->loop_hash);
    if (is_loop(p, sip, t->loop_hash)) return px_reply_and_done(t, 482, "Loop Detected", NULL);
    t->orig_marker = pop_own_routes(p, t->msg, sip);

    url_t *ru = sip->sip_request->rq_url;
    if (!sip->sip_route && t->method == sip_method_register) {
        if (!host_is_local(p, ru))
            return px_reply_and_done(t, 403, "Forbidden (domain not served)", NULL);
        /* The registrar procedure takes the transaction over and answers it. */
        msg_t *m = t->msg;
        pcscf_src_t src = t->src;
        char cidbuf[24];
        g_strlcpy(cidbuf, t->cid, sizeof cidbuf);
        nta_incoming_bind(irq, NULL, NULL);
        t->msg = NULL;
        t->irq = NULL;
        px_done(t);
        pcscf_regproc_handle(p->regproc, irq, m, &src, cidbuf);
        return;
    }
    if (!sip->sip_route && host_is_local(p, ru) && !ru->url_user) {
        /* Requests for this node itself. */
        if (t->method == sip_method_options) return answer_options(t);
        return px_reply_and_done(t, 404, "Not Found", NULL);
    }
    if (t->method == sip_method_register)
        return px_reply_and_done(t, 403, "Forbidden (domain not served)", NULL);

    track_call(t);

    pcscf_origin_t o;
    px_classify(t, &o);
    if (t->initial) {
        if (t->peer_in && t->peer_in->mode == PCSCF_PEER_REGISTRATION && !o.ids)
            return px_reply_and_done(t, 403, "Forbidden (trunk not registered)", NULL);
        if (!px_apply_identity(t, &o)) return;
    } else if (!t->src_trusted) {
        pcscf_hdr_remove(t->msg, sip, HDR_PCV);
        pcscf_hdr_remove(t->msg, sip, HDR_PCFA);
    }

    if (sip->sip_route) {
        /* Loose routing: the next hop is the top Route (RFC 3261 §16.6 item 6). */
        pcscf_peer_t *dest = next_hop_peer(p, sip->sip_route->r_url);
        px_branch_add(t, NULL, NULL, NULL, dest && dest->trusted, dest);
        return px_dispatch(t);
    }
    if (host_is_local(p, ru) || ru->url_type == url_tel) {
        if (!t->initial && !host_is_local(p, ru))
            return px_reply_and_done(t, 404, "Not Found", NULL);
        return px_route_terminating(t);
    }
    /* Another domain, or a contact address inside a dialog. */
    if (t->initial && o.kind == PCSCF_ORIG_UNKNOWN)
        return px_reply_and_done(t, 403, "Forbidden (relaying denied)", NULL);
    pcscf_peer_t *dest = next_hop_peer(p, ru);
    px_branch_add(t, NULL, NULL, NULL, dest && dest->trusted, dest);
    px_dispatch(t);
}

/* ---- stateless parts ---- */

/* ACK for a 2xx (RFC 3261 §16.7 item 4 / §13.2.2.4): forwarded by its Route / Request-URI. */
static void forward_ack(pcscf_proxy_t *px, msg_t *msg, sip_t *sip)
{
    pcscf_t *p = px->p;
    if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
        msg_destroy(msg);
        return;
    }
    pop_own_routes(p, msg, sip);
    if (!sip->sip_route && px_url_is_us(p, sip->sip_request->rq_url)) {
        msg_destroy(msg); /* ACK for a response we generated */
        return;
    }
    char mfv[16];
    snprintf(mfv, sizeof mfv, "%u",
             sip->sip_max_forwards ? (unsigned)sip->sip_max_forwards->mf_count - 1
                                   : p->set.max_forwards);
    sip_max_forwards_t *mf = sip_max_forwards_make(msg_home(msg), mfv);
    if (sip->sip_max_forwards)
        msg_header_replace(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_max_forwards,
                           (msg_header_t *)mf);
    else
        msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)mf);
    count_stateless(px, "ack");
    nta_msg_tsend(p->agent, msg, NULL, TAG_END());
}

int pcscf_proxy_on_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *sip)
{
    pcscf_proxy_t *px = ((pcscf_t *)magic)->proxy;
    pcscf_t *p = px->p;
    if (sip && sip->sip_request) {
        switch (sip->sip_request->rq_method) {
        case sip_method_ack:
            forward_ack(px, msg, sip);
            return 0;
        case sip_method_cancel:
            /* No matching INVITE transaction (nta matched the others). */
            count_stateless(px, "cancel-481");
            nta_msg_treply(agent, msg, 481, "Call/Transaction Does Not Exist", TAG_END());
            return 0;
        default: {
            nta_incoming_t *irq = nta_incoming_create(agent, NULL, msg, sip, TAG_END());
            if (irq) handle_request(px, irq);
            return 0;
        }
        }
    }
    if (sip && sip->sip_status && sip->sip_via && via_is_us(p, sip->sip_via) &&
        sip->sip_via->v_next) {
        /* A response whose transaction is gone, e.g. a retransmitted 2xx (RFC 3261 §16.11). */
        count_stateless(px, "response");
        nta_msg_tsend(agent, msg, NULL, TAG_END());
        return 0;
    }
    msg_destroy(msg);
    return 0;
}

void pcscf_proxy_free(pcscf_proxy_t *px)
{
    if (!px) return;
    GList *txs = g_hash_table_get_keys(px->txs);
    for (GList *l = txs; l; l = l->next) {
        ptx_t *t = l->data;
        px_cancel_pending(t);
        if (t->irq && !t->final_sent)
            px_reply(t, 503, "Service Unavailable (shutting down)", "Retry-After: 5\r\n");
    }
    g_list_free(txs);
    g_hash_table_destroy(px->txs);
    px_timers_free(px);
    pcscf_dialogs_free(px->dialogs);
    g_free(px);
}
