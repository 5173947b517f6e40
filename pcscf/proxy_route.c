/* Routing of the proxy's requests (see proxy_int.h): who originated an initial request and what
 * its identity headers become (TS 24.229 §5.2.6.3), and where a terminating request goes:
 * static trunks, else LIR and the registrar's bindings (GIN ranges included). */
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <stdio.h>
#include <string.h>

#include "pcscf/proxy_int.h"
#include "pcscf/routing.h"
#include "runtime/log.h"

static void reply_cx_failure(ptx_t *t, pcscf_cx_status st)
{
    if (st == PCSCF_CX_NO_PEER)
        px_reply_retry(t, 503, "Service Unavailable (HSS unreachable)",
                       pcscf_cx_retry_after(t->px->p->cx));
    else
        px_reply_retry(t, 504, "Server Time-out (HSS did not answer)",
                       pcscf_cx_retry_after(t->px->p->cx));
}

/* ---- originating side: identity and charging (TS 24.229 §5.2.6.3) ---- */

void px_classify(ptx_t *t, pcscf_origin_t *o)
{
    pcscf_t *p = t->px->p;
    memset(o, 0, sizeof *o);
    if (t->peer_in) {
        o->kind = PCSCF_ORIG_PEER;
        o->trusted = t->peer_in->trusted;
        o->privileged = t->peer_in->privileged;
        if (t->peer_in->mode == PCSCF_PEER_STATIC) {
            o->ids = pcscf_peer_identities(t->peer_in);
        } else {
            pcscf_registration_t *r = pcscf_registrar_by_peer(p->reg, t->peer_in->name);
            o->ids = r ? r->ids : NULL;
        }
        return;
    }
    char *from = pcscf_url_str(t->sip->sip_from->a_url);
    pcscf_registration_t *r = pcscf_registrar_by_source(p->reg, t->src.ip, t->src.port, from);
    g_free(from);
    if (r) {
        o->kind = PCSCF_ORIG_UE;
        o->ids = r->ids;
    }
}

/* Applies the PAI decision and the charging vector; false when the request was rejected. */
bool px_apply_identity(ptx_t *t, const pcscf_origin_t *o)
{
    pcscf_t *p = t->px->p;
    char **ppi = pcscf_hdr_uris(t->sip, HDR_PPI);
    char **pai = pcscf_hdr_uris(t->sip, HDR_PAI);
    pcscf_pai_decision d;
    pcscf_identity_decide(o, ppi, pai, p->set.reject_foreign_pai, &d);
    g_strfreev(ppi);
    g_strfreev(pai);
    LOGD(RT_SUB_SIP, t->cid, "identity: %s", d.why);
    if (d.action == PCSCF_PAI_REJECT) {
        LOGN(RT_SUB_SIP, t->cid, "%s from %s rejected: %s", t->method_name, t->src.ip, d.why);
        px_reply_and_done(t, 403, "Forbidden (asserted identity not allowed)", NULL);
        return false;
    }
    pcscf_hdr_remove(t->msg, t->sip, HDR_PPI);
    if (d.action != PCSCF_PAI_KEEP) pcscf_hdr_remove(t->msg, t->sip, HDR_PAI);
    if (d.action == PCSCF_PAI_ASSERT) {
        gchar *v = g_strdup_printf("<%s>", d.asserted);
        pcscf_hdr_add(t->msg, t->sip, HDR_PAI, v);
        g_free(v);
    }
    pcscf_pai_decision_clear(&d);
    /* RFC 7315 §4 / TS 24.229 §5.2.6.3.2: a fresh icid unless a trusted peer brought one. */
    if (!pcscf_pcv_keep_received(o)) {
        pcscf_hdr_remove(t->msg, t->sip, HDR_PCV);
        pcscf_hdr_remove(t->msg, t->sip, HDR_PCFA);
    }
    char **pcv = pcscf_hdr_values(t->sip, HDR_PCV);
    if (!pcv) {
        unsigned char rnd[16];
        pcscf_random16(rnd);
        char *icid = pcscf_icid_new(rnd);
        char *v = pcscf_pcv_format(icid, p->set.address, p->set.orig_ioi);
        pcscf_hdr_add(t->msg, t->sip, HDR_PCV, v);
        g_free(v);
        g_free(icid);
    }
    g_strfreev(pcv);
    return true;
}

/* ---- terminating side ---- */

static char *flow_url(const pcscf_binding_t *b)
{
    bool v6 = strchr(b->src_ip, ':') != NULL;
    return g_strdup_printf(v6 ? "sip:[%s]:%u;transport=%s" : "sip:%s:%u;transport=%s", b->src_ip,
                           b->src_port, b->proto);
}

/* Branches toward the bindings of a registration (GIN: Request-URI from the bnc contact). */
static unsigned add_registered_targets(ptx_t *t, pcscf_registration_t *r, const char *ruri)
{
    pcscf_t *p = t->px->p;
    pcscf_peer_t *peer = r->peer ? pcscf_peers_by_name(p->peers, r->peer) : NULL;
    unsigned n = 0;
    for (guint i = 0; i < r->bindings->len; i++) {
        const pcscf_binding_t *bd = r->bindings->pdata[i];
        char *target = bd->bnc ? pcscf_gin_request_uri(bd->uri, ruri) : g_strdup(bd->uri);
        if (!target) continue;
        char *hop = flow_url(bd);
        px_branch_add(t, target, hop, bd->path, peer && peer->trusted, peer);
        g_free(hop);
        g_free(target);
        n++;
    }
    return n;
}

static bool add_static_target(ptx_t *t, pcscf_peer_t *peer, const char *ruri)
{
    char *target = pcscf_static_request_uri(ruri, peer->address, peer->port, peer->transport);
    if (!target) return false;
    px_branch_add(t, target, NULL, NULL, peer->trusted, peer);
    g_free(target);
    return true;
}

static void on_lia(const pcscf_cx_answer *a, void *ud)
{
    ptx_t *t = ud;
    t->op = NULL;
    pcscf_t *p = t->px->p;
    if (a->status != PCSCF_CX_ANSWERED) return reply_cx_failure(t, a->status);
    char *ruri = pcscf_url_str(t->sip->sip_request->rq_url);
    char *impu = pcscf_lookup_identity(ruri);
    pcscf_term_action act = pcscf_lia_action(a->result.experimental, a->result.code);
    unsigned n = 0;
    if (act == PCSCF_TERM_REGISTRAR) {
        bool wild = false;
        pcscf_registration_t *r = pcscf_registrar_lookup(p->reg, impu, &wild);
        if (r) n = add_registered_targets(t, r, ruri);
        LOGD(RT_SUB_SIP, t->cid, "LIA registered: %s -> %u contact(s)%s", impu, n,
             wild ? " (wildcard range)" : "");
    }
    g_free(impu);
    g_free(ruri);
    if (n) return px_dispatch(t);
    switch (act) {
    case PCSCF_TERM_REGISTRAR:
    case PCSCF_TERM_UNREGISTERED:
        return px_reply_and_done(t, 480, "Temporarily Unavailable", NULL);
    case PCSCF_TERM_UNKNOWN:
        return px_reply_and_done(t, 404, "Not Found", NULL);
    case PCSCF_TERM_HSS_ERROR:
        LOGW(RT_SUB_SIP, t->cid, "LIA: %s", dia_result_name(&a->result));
        return px_reply_and_done(t, 500, "Server Internal Error (HSS answer)", NULL);
    }
}

void px_route_terminating(ptx_t *t)
{
    pcscf_t *p = t->px->p;
    char *ruri = pcscf_url_str(t->sip->sip_request->rq_url);
    char *impu = ruri ? pcscf_lookup_identity(ruri) : NULL;
    if (!impu) {
        g_free(ruri);
        return px_reply_and_done(t, 416, "Unsupported URI Scheme", NULL);
    }
    /* Static trunks first: configured here, they need no HSS (23.228 §S.2: in real IMS an AS
     * does this from the PBX's unregistered profile). */
    pcscf_peer_t *peer = pcscf_peers_static_route(p->peers, impu);
    if (peer) {
        bool ok = add_static_target(t, peer, ruri);
        g_free(ruri);
        g_free(impu);
        if (!ok) return px_reply_and_done(t, 404, "Not Found", NULL);
        return px_dispatch(t);
    }
    t->op = pcscf_cx_lir(p->cx, impu, t->cid, on_lia, t);
    g_free(ruri);
    g_free(impu);
}
