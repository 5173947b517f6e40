/* REGISTER procedure (see register.h). One regtx_t per REGISTER server transaction, owned by the
 * procedure's table from arrival until the final response. */
#include "pcscf/register.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <stdio.h>
#include <string.h>

#include "pcscf/routing.h"
#include "pcscf/uri.h"
#include "pcscf/user_data.h"
#include "runtime/log.h"

/* Option tags the registrar understands in Require (RFC 6140 gin, RFC 3327 path, RFC 5626). */
static const char *const reg_supported[] = {"gin", "path", "outbound", NULL};
#define MAX_BINDINGS 16

typedef enum { RT_UAR, RT_MAR, RT_SAR, RT_DONE } regtx_state;

typedef struct {
    pcscf_regproc_t *rp;
    regtx_state state;
    nta_incoming_t *irq;
    msg_t *msg;
    sip_t *sip;
    pcscf_src_t src;
    char cid[24];
    char *impi, *impu;
    pcscf_peer_t *peer;
    pcscf_digest_creds creds;
    bool has_creds; /* an Authorization with a non-empty nonce for our realm */
    bool stale;
    bool existed;      /* a registration of impu was there when we started */
    bool query;        /* no Contact: fetch bindings only */
    GPtrArray *result; /* bindings after this REGISTER (pcscf_binding_t*, owned) */
    char **path;       /* Path URIs received */
    pcscf_cx_op_t *op;
} regtx_t;

typedef struct profile_req profile_req_t;
static void profile_req_free(gpointer ptr);

struct pcscf_regproc {
    pcscf_t *p;
    GPtrArray *profile_reqs; /* profile_req_t*, owned: static peers' profiles being fetched */
    GHashTable *txs;         /* regtx_t* set, owned */
    /* graceful stop */
    unsigned dereg_pending;
    void (*dereg_done)(void *ud);
    void *dereg_ud;
};

static void regtx_free(gpointer ptr)
{
    regtx_t *t = ptr;
    pcscf_cx_cancel(t->op);
    if (t->irq) nta_incoming_destroy(t->irq);
    msg_destroy(t->msg);
    g_free(t->impi);
    g_free(t->impu);
    pcscf_digest_creds_clear(&t->creds);
    if (t->result) g_ptr_array_free(t->result, TRUE);
    g_strfreev(t->path);
    g_free(t);
}

pcscf_regproc_t *pcscf_regproc_new(pcscf_t *p)
{
    pcscf_regproc_t *rp = g_new0(pcscf_regproc_t, 1);
    rp->p = p;
    rp->txs = g_hash_table_new_full(g_direct_hash, g_direct_equal, regtx_free, NULL);
    rp->profile_reqs = g_ptr_array_new_with_free_func(profile_req_free);
    rt_metrics_define(p->metrics, "register_total", "counter",
                      "REGISTER outcomes: challenged, registered, deregistered, rejected, error");
    return rp;
}

static void count(pcscf_regproc_t *rp, const char *outcome)
{
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", outcome);
    rt_metrics_add(rp->p->metrics, "register_total", labels, 1);
}

/* Final answer; frees the transaction. `headers`: extra header lines (may be NULL). */
static void finish(regtx_t *t, int status, const char *phrase, const char *headers)
{
    if (t->irq) {
        nta_incoming_treply(t->irq, status, phrase, TAG_IF(headers, SIPTAG_HEADER_STR(headers)),
                            TAG_END());
        pcscf_count_tx(t->rp->p, "REGISTER", status);
    }
    LOGI(RT_SUB_SIP, t->cid, "REGISTER %s (impi %s) from %s:%u -> %d %s", t->impu ? t->impu : "-",
         t->impi ? t->impi : "-", t->src.ip, t->src.port, status, phrase ? phrase : "");
    g_hash_table_remove(t->rp->txs, t);
}

static void fail_cx(regtx_t *t, const pcscf_cx_answer *a)
{
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Retry-After: %u\r\n", pcscf_cx_retry_after(t->rp->p->cx));
    count(t->rp, "error");
    if (a->status == PCSCF_CX_NO_PEER)
        finish(t, 503, "Service Unavailable (HSS unreachable)", hdr);
    else
        finish(t, 504, "Server Time-out (HSS did not answer)", hdr);
}

/* 403 for identities the HSS refuses, 500 for answers that make no sense (TS 24.229 §5.3.1.2). */
static void fail_result(regtx_t *t, const pcscf_cx_answer *a, const char *cmd)
{
    LOGW(RT_SUB_SIP, t->cid, "%s for %s: %s %u (%s)", cmd, t->impu,
         a->result.experimental ? "Experimental-Result" : "Result-Code", a->result.code,
         dia_result_name(&a->result));
    count(t->rp, "rejected");
    uint32_t c = a->result.code;
    if (a->result.present && (c == 5001 || c == 5002 || c == 5003 || c == 5004 || c == 4001))
        finish(t, 403, "Forbidden", NULL);
    else
        finish(t, 500, "Server Internal Error (HSS answer)", NULL);
}

/* ---- bindings (RFC 3261 §10.3 steps 6-7) ---- */

static bool same_contact(const char *a, const char *b)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    url_t *ua = url_make(home, a), *ub = url_make(home, b);
    bool same = ua && ub && url_cmp(ua, ub) == 0;
    su_home_deinit(home);
    return same;
}

/* Contact parameters kept with the binding and echoed in the 200 OK. */
static char *echo_params(const sip_contact_t *m)
{
    GString *o = g_string_new(NULL);
    for (size_t i = 0; m->m_params && m->m_params[i]; i++) {
        const char *prm = m->m_params[i];
        if (g_ascii_strncasecmp(prm, "expires", 7) == 0 || g_ascii_strncasecmp(prm, "q=", 2) == 0)
            continue;
        g_string_append_printf(o, ";%s", prm);
    }
    return g_string_free(o, FALSE);
}

/* Computes t->result from the registration in place and the request's Contacts. Returns 0,
 * or a status to answer with (400, 423) and fills *phrase / *hdr. */
static int compute_bindings(regtx_t *t, const char **phrase, char *hdr, size_t hdr_len)
{
    pcscf_t *p = t->rp->p;
    sip_t *sip = t->sip;
    pcscf_registration_t *r = pcscf_registrar_find(p->reg, t->impu);
    t->existed = r != NULL;
    t->result = g_ptr_array_new_with_free_func((GDestroyNotify)pcscf_binding_free);
    for (guint i = 0; r && i < r->bindings->len; i++)
        g_ptr_array_add(t->result, pcscf_binding_copy(r->bindings->pdata[i]));
    if (!sip->sip_contact) {
        t->query = true;
        return 0;
    }
    gint64 now = pcscf_now_s();
    long hdr_expires = sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1;
    bool bnc_seen = false;
    for (sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
        if (m->m_url->url_type == url_any) {
            /* RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0. */
            if (sip->sip_contact->m_next || hdr_expires != 0) {
                *phrase = "Bad Request (Contact: * needs Expires: 0)";
                return 400;
            }
            g_ptr_array_set_size(t->result, 0);
            return 0;
        }
        char *uri = pcscf_url_str(m->m_url);
        if (!uri) {
            *phrase = "Bad Request (Contact)";
            return 400;
        }
        long e = m->m_expires ? strtol(m->m_expires, NULL, 10)
                              : (hdr_expires >= 0 ? hdr_expires : (long)p->set.default_expires);
        if (e < 0) e = 0;
        if (e > (long)p->set.max_expires) e = (long)p->set.max_expires;
        if (e > 0 && e < (long)p->set.min_expires) {
            g_free(uri);
            *phrase = "Interval Too Brief";
            snprintf(hdr, hdr_len, "Min-Expires: %u\r\n", p->set.min_expires);
            return 423;
        }
        bool bnc = url_has_param(m->m_url, "bnc");
        if (bnc) {
            /* RFC 6140 §6.1: a bnc Contact has no user part and needs Require: gin. */
            if (m->m_url->url_user || !pcscf_has_tag(sip->sip_require, "gin")) {
                g_free(uri);
                *phrase = "Bad Request (bnc Contact needs Require: gin and no user part)";
                return 400;
            }
            bnc_seen = true;
        }
        for (guint i = t->result->len; i-- > 0;)
            if (same_contact(((pcscf_binding_t *)t->result->pdata[i])->uri, uri))
                g_ptr_array_remove_index(t->result, i);
        if (e > 0) {
            char *params = echo_params(m);
            g_ptr_array_add(t->result,
                            pcscf_binding_new(uri, params, now + e, t->src.proto, t->src.ip,
                                              t->src.port, t->path, bnc, sip->sip_call_id->i_id,
                                              sip->sip_cseq->cs_seq));
            g_free(params);
        }
        g_free(uri);
    }
    if (t->result->len > MAX_BINDINGS) {
        *phrase = "Bad Request (too many bindings)";
        return 400;
    }
    (void)bnc_seen;
    return 0;
}

/* ---- responses ---- */

/* <sip:user@address:port;lr[;transport=tcp|tls]> for the transport a UA uses toward us. */
static char *own_uri(const pcscf_t *p, const char *user, const char *proto)
{
    bool v6 = strchr(p->set.address, ':') != NULL;
    bool tls = proto && strcmp(proto, "tls") == 0;
    bool tp = tls || (proto && strcmp(proto, "tcp") == 0);
    return g_strdup_printf(v6 ? "<sip:%s@[%s]:%u;lr%s%s>" : "<sip:%s@%s:%u;lr%s%s>", user,
                           p->set.address, tls ? p->set.tls_port : p->set.port,
                           tp ? ";transport=" : "", tp ? proto : "");
}

char *pcscf_own_path(const pcscf_t *p, const char *proto)
{
    return own_uri(p, "term", proto);
}

char *pcscf_own_service_route(const pcscf_t *p, const char *proto)
{
    return own_uri(p, "orig", proto);
}

static void reply_ok(regtx_t *t, const pcscf_registration_t *r)
{
    pcscf_t *p = t->rp->p;
    GString *h = g_string_new(NULL);
    gint64 now = pcscf_now_s();
    for (guint i = 0; r && i < r->bindings->len; i++) {
        const pcscf_binding_t *b = r->bindings->pdata[i];
        gint64 left = b->expires - now;
        g_string_append_printf(h, "Contact: <%s>;expires=%" G_GINT64_FORMAT "%s\r\n", b->uri,
                               left > 0 ? left : 0, b->params);
    }
    if (r) {
        char *pau = pcscf_idset_p_associated_uri(r->ids);
        if (pau) g_string_append_printf(h, "P-Associated-URI: %s\r\n", pau);
        g_free(pau);
        char *sr = pcscf_own_service_route(p, t->src.proto);
        g_string_append_printf(h, "Service-Route: %s\r\n", sr);
        g_free(sr);
    }
    /* RFC 3327 §5.3: Path values are echoed only to a UA that supports path. */
    if (r && (pcscf_has_tag(t->sip->sip_supported, "path") ||
              pcscf_has_tag(t->sip->sip_require, "path"))) {
        char *own = pcscf_own_path(p, t->src.proto);
        g_string_append_printf(h, "Path: %s", own);
        for (char **x = t->path; x && *x; x++)
            g_string_append_printf(h, ", <%s>", *x);
        g_string_append(h, "\r\n");
        g_free(own);
    }
    g_string_append(h, "Supported: path, gin\r\n");
    finish(t, 200, "OK", h->str);
    g_string_free(h, TRUE);
}

/* ---- the state machine ---- */

static void start_mar(regtx_t *t);
static void start_sar(regtx_t *t);

static void on_saa(const pcscf_cx_answer *a, void *ud)
{
    regtx_t *t = ud;
    t->op = NULL;
    if (a->status != PCSCF_CX_ANSWERED) return fail_cx(t, a);
    if (!dia_result_is_success(&a->result)) return fail_result(t, a, "SAA");
    pcscf_t *p = t->rp->p;
    pcscf_idset_t *ids = NULL;
    const dia_avp *ud_avp = dia_msg_find(a->ans, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP);
    if (ud_avp) {
        size_t len = 0;
        const uint8_t *xml = dia_avp_data(ud_avp, &len);
        const char *why = NULL;
        ids = pcscf_user_data_parse((const char *)xml, len, NULL, &why);
        if (!ids) LOGW(RT_SUB_CX, t->cid, "SAA for %s: %s", t->impu, why);
    }
    if (!ids && !t->existed && t->result->len) {
        /* A first registration without a usable profile cannot give P-Associated-URI. */
        count(t->rp, "error");
        return finish(t, 500, "Server Internal Error (no User-Data)", NULL);
    }
    GPtrArray *bindings = t->result;
    t->result = NULL;
    bool dereg = bindings->len == 0;
    pcscf_registration_t *r = pcscf_registrar_store(p->reg, t->impi, t->impu, ids, bindings,
                                                    t->peer ? t->peer->name : NULL);
    count(t->rp, dereg ? "deregistered" : "registered");
    if (r)
        LOGN(RT_SUB_SIP, t->cid, "%s registered (%u contacts%s%s)", r->impu, r->bindings->len,
             r->gin ? ", GIN" : "", r->peer ? ", W8 peer" : "");
    else
        LOGN(RT_SUB_SIP, t->cid, "%s deregistered", t->impu);
    reply_ok(t, r);
}

static void start_sar(regtx_t *t)
{
    pcscf_t *p = t->rp->p;
    if (t->query || (!t->existed && t->result->len == 0)) {
        /* Nothing changes at the HSS: fetching bindings or removing nothing. */
        pcscf_registration_t *r = pcscf_registrar_find(p->reg, t->impu);
        count(t->rp, "queried");
        return reply_ok(t, r);
    }
    uint32_t sat = t->result->len == 0 ? DIA_SAT_USER_DEREGISTRATION
                   : t->existed        ? DIA_SAT_RE_REGISTRATION
                                       : DIA_SAT_REGISTRATION;
    t->state = RT_SAR;
    t->op = pcscf_cx_sar(p->cx, t->impi, t->impu, sat, t->cid, on_saa, t);
}

static void on_maa(const pcscf_cx_answer *a, void *ud)
{
    regtx_t *t = ud;
    t->op = NULL;
    if (a->status != PCSCF_CX_ANSWERED) return fail_cx(t, a);
    if (!dia_result_is_success(&a->result)) return fail_result(t, a, "MAA");
    pcscf_t *p = t->rp->p;
    const dia_avp *item = dia_msg_find(a->ans, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP);
    dia_cx_auth_info info = {0};
    if (!item || !dia_cx_read_auth_item(item, &info) || !info.has_digest || !info.ha1 ||
        strlen(info.ha1) != 32) {
        dia_cx_auth_info_clear(&info);
        LOGW(RT_SUB_CX, t->cid, "MAA for %s carries no SIP Digest HA1", t->impi);
        count(t->rp, "error");
        return finish(t, 500, "Server Internal Error (no digest vector)", NULL);
    }
    const char *realm = info.realm ? info.realm : p->set.digest_realm;
    unsigned char rnd[16];
    pcscf_random16(rnd);
    const char *nonce = pcscf_nonce_issue(p->nonces, t->impi, realm, info.ha1, rnd, pcscf_now_s());
    /* RFC 2617 §3.2.1 / TS 24.229 §5.4.1.2.1: a fresh nonce per challenge; stale=TRUE when the
     * client's credentials were fine but its nonce was not. */
    char hdr[512];
    snprintf(
        hdr, sizeof hdr,
        "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s\r\n",
        realm, nonce, t->stale ? ", stale=TRUE" : "");
    dia_cx_auth_info_clear(&info);
    count(t->rp, "challenged");
    finish(t, 401, "Unauthorized", hdr);
}

static void start_mar(regtx_t *t)
{
    t->state = RT_MAR;
    t->op = pcscf_cx_mar(t->rp->p->cx, t->impi, t->impu, t->cid, on_maa, t);
}

static void after_uaa(regtx_t *t)
{
    pcscf_t *p = t->rp->p;
    if (!t->has_creds) return start_mar(t);
    const char *method = t->sip->sip_request->rq_method_name;
    pcscf_auth_result r = pcscf_nonce_verify(p->nonces, &t->creds, method, pcscf_now_s());
    switch (r) {
    case PCSCF_AUTH_OK:
        return start_sar(t);
    case PCSCF_AUTH_UNKNOWN_NONCE:
    case PCSCF_AUTH_REPLAY:
        t->stale = true;
        return start_mar(t);
    case PCSCF_AUTH_BAD_PARAMS:
        count(t->rp, "rejected");
        return finish(t, 400, "Bad Request (Authorization)", NULL);
    case PCSCF_AUTH_BAD_USER:
    case PCSCF_AUTH_BAD_RESPONSE:
        /* TS 24.229 §5.4.1.2.2: authentication failed -> 403. */
        LOGN(RT_SUB_SIP, t->cid, "REGISTER %s: digest check failed (%s)", t->impi,
             pcscf_auth_result_name(r));
        count(t->rp, "rejected");
        return finish(t, 403, "Forbidden (authentication failed)", NULL);
    }
}

static void on_uaa(const pcscf_cx_answer *a, void *ud)
{
    regtx_t *t = ud;
    t->op = NULL;
    if (a->status != PCSCF_CX_ANSWERED) return fail_cx(t, a);
    /* TS 29.228 §6.1.1: Experimental 2001/2002/2003 (and 2004 for de-registration) or
     * Result-Code 2001 let the registration proceed. */
    if (!dia_result_is_success(&a->result)) return fail_result(t, a, "UAA");
    after_uaa(t);
}

/* The IMPI: the Authorization username, else the peer's configured IMPI, else derived from the
 * IMPU (TS 23.003 §13.3: user@domain). */
static char *derive_impi(regtx_t *t, const sip_authorization_t *au)
{
    if (au) {
        const char *u = msg_params_find(au->au_params, "username=");
        if (u) {
            char *v = g_strdup(u);
            size_t n = strlen(v);
            if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                memmove(v, v + 1, n - 2);
                v[n - 2] = '\0';
            }
            if (*v) return v;
            g_free(v);
        }
    }
    if (t->peer && t->peer->impi) return g_strdup(t->peer->impi);
    const char *colon = strchr(t->impu, ':');
    return g_strdup(colon ? colon + 1 : t->impu);
}

static const sip_authorization_t *our_authorization(const sip_t *sip, const char *realm)
{
    for (const sip_authorization_t *au = sip->sip_authorization; au; au = au->au_next) {
        if (!au->au_scheme || g_ascii_strcasecmp(au->au_scheme, "Digest") != 0) continue;
        const char *r = msg_params_find(au->au_params, "realm=");
        if (!r) continue;
        char *v = g_strdup(r);
        g_strdelimit(v, "\"", ' ');
        g_strstrip(v);
        bool ours = g_ascii_strcasecmp(v, realm) == 0;
        g_free(v);
        if (ours) return au;
    }
    return NULL;
}

void pcscf_regproc_handle(pcscf_regproc_t *rp, nta_incoming_t *irq, msg_t *msg,
                          const pcscf_src_t *src, const char *cid)
{
    pcscf_t *p = rp->p;
    regtx_t *t = g_new0(regtx_t, 1);
    t->rp = rp;
    t->irq = irq;
    t->msg = msg;
    t->sip = sip_object(msg);
    t->src = *src;
    g_strlcpy(t->cid, cid, sizeof t->cid);
    g_hash_table_add(rp->txs, t);
    sip_t *sip = t->sip;

    char *unsupported = pcscf_unsupported_tags(sip->sip_require, reg_supported);
    if (unsupported) {
        char hdr[256];
        snprintf(hdr, sizeof hdr, "Unsupported: %s\r\n", unsupported);
        g_free(unsupported);
        count(rp, "rejected");
        return finish(t, 420, "Bad Extension", hdr);
    }
    char *to = pcscf_url_str(sip->sip_to->a_url);
    t->impu = to ? pcscf_uri_canon(to) : NULL;
    g_free(to);
    if (!t->impu || pcscf_impu_is_wildcard(t->impu) || g_str_has_prefix(t->impu, "tel:")) {
        count(rp, "rejected");
        return finish(t, 400, "Bad Request (To must be a SIP URI)", NULL);
    }
    t->peer = pcscf_peers_by_address(p->peers, src->ip);
    if (t->peer && t->peer->mode == PCSCF_PEER_STATIC) {
        /* 23.228 §S.2.1: a static-mode PBX never registers. */
        count(rp, "rejected");
        return finish(t, 403, "Forbidden (static trunk peer)", NULL);
    }
    for (sip_path_t *pa = sip->sip_path; pa; pa = pa->r_next) {
        char *u = pcscf_url_str(pa->r_url);
        if (!u) continue;
        char **np = g_new0(char *, g_strv_length(t->path) + 2);
        guint n = 0;
        for (char **x = t->path; x && *x; x++)
            np[n++] = *x;
        np[n] = u;
        g_free(t->path);
        t->path = np;
    }
    const char *phrase = NULL;
    char hdr[128] = "";
    int st = compute_bindings(t, &phrase, hdr, sizeof hdr);
    if (st) {
        count(rp, "rejected");
        return finish(t, st, phrase, *hdr ? hdr : NULL);
    }
    const sip_authorization_t *au = our_authorization(sip, p->set.digest_realm);
    if (!au) au = sip->sip_authorization; /* its username still names the IMPI */
    t->impi = derive_impi(t, au);
    if (au && our_authorization(sip, p->set.digest_realm) &&
        pcscf_digest_parse((const char *const *)au->au_params, &t->creds) && *t->creds.nonce)
        t->has_creds = true;
    LOGD(RT_SUB_SIP, cid, "REGISTER %s impi %s from %s/%s:%u%s", t->impu, t->impi, src->proto,
         src->ip, src->port, t->has_creds ? " with credentials" : "");
    uint32_t uat =
        (!t->query && t->result->len == 0) ? DIA_UAT_DE_REGISTRATION : DIA_UAT_REGISTRATION;
    t->state = RT_UAR;
    t->op = pcscf_cx_uar(p->cx, t->impi, t->impu, uat, t->cid, on_uaa, t);
}

void pcscf_regproc_free(pcscf_regproc_t *rp)
{
    if (!rp) return;
    GList *txs = g_hash_table_get_keys(rp->txs);
    for (GList *l = txs; l; l = l->next) {
        regtx_t *t = l->data;
        pcscf_cx_cancel(t->op);
        t->op = NULL;
        finish(t, 503, "Service Unavailable (shutting down)", "Retry-After: 5\r\n");
    }
    g_list_free(txs);
    g_hash_table_destroy(rp->txs);
    g_ptr_array_free(rp->profile_reqs, TRUE);
    g_free(rp);
}

unsigned pcscf_regproc_pending(const pcscf_regproc_t *rp)
{
    return g_hash_table_size(rp->txs);
}

/* ---- network-side de-registration ---- */

static void on_timeout_saa(const pcscf_cx_answer *a, void *ud)
{
    (void)a;
    (void)ud;
}

void pcscf_regproc_expired(pcscf_regproc_t *rp, const char *impi, const char *impu)
{
    pcscf_cx_sar(rp->p->cx, impi, impu, DIA_SAT_TIMEOUT_DEREGISTRATION, NULL, on_timeout_saa, NULL);
}

static void on_shutdown_saa(const pcscf_cx_answer *a, void *ud)
{
    pcscf_regproc_t *rp = ud;
    (void)a;
    if (rp->dereg_pending && --rp->dereg_pending == 0 && rp->dereg_done) {
        void (*done)(void *) = rp->dereg_done;
        rp->dereg_done = NULL;
        done(rp->dereg_ud);
    }
}

void pcscf_regproc_deregister_all(pcscf_regproc_t *rp, void (*done)(void *ud), void *ud)
{
    GPtrArray *all = pcscf_registrar_all(rp->p->reg);
    rp->dereg_done = done;
    rp->dereg_ud = ud;
    rp->dereg_pending = 0;
    if (pcscf_cx_is_up(rp->p->cx)) {
        for (guint i = 0; i < all->len; i++) {
            const pcscf_registration_t *r = all->pdata[i];
            rp->dereg_pending++;
            pcscf_cx_sar(rp->p->cx, r->impi, r->impu, DIA_SAT_USER_DEREGISTRATION, NULL,
                         on_shutdown_saa, rp);
        }
    }
    if (rp->dereg_pending == 0) {
        rp->dereg_done = NULL;
        done(ud);
    }
}

/* ---- static-mode PBX profiles ---- */

struct profile_req {
    pcscf_regproc_t *rp;
    char *peer;
    pcscf_cx_op_t *op;
};

static void profile_req_free(gpointer ptr)
{
    profile_req_t *r = ptr;
    pcscf_cx_cancel(r->op);
    g_free(r->peer);
    g_free(r);
}

static void on_profile_saa(const pcscf_cx_answer *a, void *ud)
{
    profile_req_t *r = ud;
    r->op = NULL;
    pcscf_peer_t *peer = pcscf_peers_by_name(r->rp->p->peers, r->peer);
    if (peer && a->status == PCSCF_CX_ANSWERED && dia_result_is_success(&a->result)) {
        const dia_avp *ud_avp = dia_msg_find(a->ans, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP);
        size_t len = 0;
        const uint8_t *xml = ud_avp ? dia_avp_data(ud_avp, &len) : NULL;
        const char *why = "no User-Data";
        pcscf_idset_t *ids = xml ? pcscf_user_data_parse((const char *)xml, len, NULL, &why) : NULL;
        if (ids) {
            LOGN(RT_SUB_CX, NULL, "static peer %s: profile of %s loaded (%u identities)",
                 peer->name, peer->identity, ids->ids->len);
            pcscf_peer_set_profile(peer, ids);
        } else {
            LOGW(RT_SUB_CX, NULL, "static peer %s: %s", peer->name, why);
        }
    } else if (peer) {
        LOGN(RT_SUB_CX, NULL, "static peer %s: no HSS profile for %s, configured ranges used",
             peer->name, peer->identity);
    }
    g_ptr_array_remove(r->rp->profile_reqs, r); /* frees r */
}

void pcscf_regproc_load_static_profiles(pcscf_regproc_t *rp)
{
    pcscf_peers_t *peers = rp->p->peers;
    for (guint i = 0; i < pcscf_peers_count(peers); i++) {
        pcscf_peer_t *peer = pcscf_peers_nth(peers, i);
        if (peer->mode != PCSCF_PEER_STATIC || !peer->identity) continue;
        profile_req_t *r = g_new0(profile_req_t, 1);
        r->rp = rp;
        r->peer = g_strdup(peer->name);
        g_ptr_array_add(rp->profile_reqs, r);
        r->op = pcscf_cx_sar(rp->p->cx, peer->impi, peer->identity, DIA_SAT_UNREGISTERED_USER, NULL,
                             on_profile_saa, r);
    }
}
