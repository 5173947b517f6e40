/* Builders and readers for base peer messages, answers, results, Failed-AVP and Cx pieces.
 * Everything here is expressed with the codec's model; nothing touches the wire directly. */
#include "diameter/cx.h"

#include <string.h>

char *dia_session_id_new(const char *origin_host, uint32_t hi, uint32_t lo, const char *opt)
{
    return g_strdup_printf("%s;%u;%u%s%s", origin_host ? origin_host : "", hi, lo, opt ? ";" : "",
                           opt ? opt : "");
}

uint32_t dia_e2e_initial(uint32_t now_sec, uint32_t random)
{
    return (now_sec & 0xfffu) << 20 | (random & 0xfffffu);
}

static void add_origin(dia_msg *m, const dia_node *origin)
{
    dia_add_str(m->avps, DIA_AVP_ORIGIN_HOST, 0, origin ? origin->host : NULL);
    dia_add_str(m->avps, DIA_AVP_ORIGIN_REALM, 0, origin ? origin->realm : NULL);
}

static uint8_t request_flags(uint32_t cmd, uint32_t app)
{
    const dia_cmd_def *c = dia_dict_cmd(cmd);
    gboolean pxy = c ? c->proxiable : app != DIA_APP_COMMON;
    return DIA_FLAG_R | (pxy ? DIA_FLAG_P : 0);
}

dia_msg *dia_request_new(uint32_t cmd, uint32_t app, const dia_node *origin, uint32_t hbh,
                         uint32_t e2e)
{
    dia_msg *m = dia_msg_new(cmd, app, request_flags(cmd, app), hbh, e2e);
    add_origin(m, origin);
    return m;
}

/* RFC 6733 §6.2: same Hop-by-Hop and End-to-End ids, R cleared, P copied from the request;
 * §8.8: the Session-Id value of the request, first (with our own flags, not the peer's). */
static dia_msg *answer_header(const dia_msg *req)
{
    dia_msg *m = dia_msg_new(req->cmd, req->app_id, req->flags & DIA_FLAG_P, req->hbh, req->e2e);
    const dia_avp *sid = dia_msg_find(req, DIA_AVP_SESSION_ID, 0);
    if (sid) {
        size_t n;
        const uint8_t *p = dia_avp_data(sid, &n);
        dia_add_octets(m->avps, DIA_AVP_SESSION_ID, 0, p, n);
    }
    return m;
}

dia_msg *dia_answer_new(const dia_msg *req, const dia_node *origin)
{
    dia_msg *m = answer_header(req);
    add_origin(m, origin);
    return m;
}

/* The result goes after the fixed leading AVPs, as in the commands' ABNF. */
static void insert_result(dia_msg *ans, dia_avp *a)
{
    guint i = 0;
    while (i < ans->avps->len) {
        const dia_avp *x = g_ptr_array_index(ans->avps, i);
        if (x->vendor != 0 ||
            (x->code != DIA_AVP_SESSION_ID && x->code != DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID))
            break;
        i++;
    }
    g_ptr_array_insert(ans->avps, (gint)i, a);
}

void dia_set_result_code(dia_msg *ans, uint32_t code)
{
    dia_remove(ans->avps, DIA_AVP_RESULT_CODE, 0);
    dia_remove(ans->avps, DIA_AVP_EXPERIMENTAL_RESULT, 0);
    uint8_t b[4] = {(uint8_t)(code >> 24), (uint8_t)(code >> 16), (uint8_t)(code >> 8),
                    (uint8_t)code};
    insert_result(ans, dia_avp_new_raw(DIA_AVP_RESULT_CODE, 0,
                                       dia_dict_send_flags(DIA_AVP_RESULT_CODE, 0), b, 4));
    /* RFC 6733 §7.1.3: protocol errors (3xxx) are sent with the E bit. */
    if (code >= 3000 && code < 4000)
        ans->flags |= DIA_FLAG_E;
    else
        ans->flags &= (uint8_t)~DIA_FLAG_E;
}

void dia_set_experimental_result(dia_msg *ans, uint32_t vendor, uint32_t code)
{
    dia_remove(ans->avps, DIA_AVP_RESULT_CODE, 0);
    dia_remove(ans->avps, DIA_AVP_EXPERIMENTAL_RESULT, 0);
    /* RFC 6733 §7.6: Experimental-Result ::= { Vendor-Id } { Experimental-Result-Code } */
    dia_avp *er = dia_avp_new_grouped(DIA_AVP_EXPERIMENTAL_RESULT, 0);
    dia_add_u32(er->children, DIA_AVP_VENDOR_ID, 0, vendor);
    dia_add_u32(er->children, DIA_AVP_EXPERIMENTAL_RESULT_CODE, 0, code);
    insert_result(ans, er);
    ans->flags &= (uint8_t)~DIA_FLAG_E;
}

gboolean dia_get_result(const dia_msg *ans, dia_result *out)
{
    dia_result r = {0};
    const dia_avp *a = dia_msg_find(ans, DIA_AVP_RESULT_CODE, 0);
    if (a && dia_avp_get_u32(a, &r.code)) {
        r.present = TRUE;
    } else if ((a = dia_msg_find(ans, DIA_AVP_EXPERIMENTAL_RESULT, 0)) &&
               dia_avp_get_u32(dia_avp_find(a, DIA_AVP_EXPERIMENTAL_RESULT_CODE, 0), &r.code)) {
        r.present = TRUE;
        r.experimental = TRUE;
        dia_avp_get_u32(dia_avp_find(a, DIA_AVP_VENDOR_ID, 0), &r.vendor);
    }
    if (out) *out = r;
    return r.present;
}

const char *dia_result_name(const dia_result *r)
{
    if (!r || !r->present) return NULL;
    return r->experimental ? dia_dict_exp_result_name(r->vendor, r->code)
                           : dia_dict_result_name(r->code);
}

gboolean dia_result_is_success(const dia_result *r)
{
    return r && r->present && r->code >= 2000 && r->code < 3000;
}

static dia_avp *zero_filled(uint32_t code, uint32_t vendor, uint8_t flags)
{
    const dia_avp_def *def = dia_dict_avp(code, vendor);
    size_t n = def ? dia_dict_type_min_len(def->type) : 0;
    uint8_t zeros[8] = {0};
    return dia_avp_new_raw(code, vendor, flags, zeros, n);
}

dia_avp *dia_failed_avp_new(const dia_error *err, gboolean with_path)
{
    if (!err || !err->have_avp) return NULL;
    const dia_avp_hdr *h = &err->avp;
    dia_avp *inner;
    size_t n = 0;
    const uint8_t *p = err->avp_bytes ? g_bytes_get_data(err->avp_bytes, &n) : NULL;
    size_t hl = (h->flags & DIA_AVP_FLAG_V) ? DIA_AVP_HDR_LEN_V : DIA_AVP_HDR_LEN;
    const dia_avp_def *def = dia_dict_avp(h->code, h->vendor);
    /* A Grouped AVP at fault may hold broken members; echoing them would make our own answer
     * malformed, so it gets the header-only form below. */
    gboolean grouped = def && def->type == DIA_TYPE_GROUPED;
    if (err->avp_data_ok && p && n >= hl && !grouped) {
        /* RFC 6733 §7.5: "containing the entire AVP that could not be processed". */
        inner = dia_avp_new_raw(h->code, h->vendor, h->flags, p + hl, n - hl);
    } else {
        /* §7.5: length below the header or beyond the message: a copy of the header and a
         * zero-filled payload of the minimum required length. */
        inner = zero_filled(h->code, h->vendor, h->flags);
    }
    inner->flags = h->flags;
    if (with_path) {
        /* §7.5: "the Failed-AVP MAY contain the grouped AVP hierarchy up to the single
         * offending AVP". */
        for (unsigned i = err->depth; i-- > 0;) {
            const dia_avp_hdr *o = &err->outer[i];
            dia_avp *g = dia_avp_new_grouped(o->code, o->vendor);
            g->flags = o->flags;
            dia_add(g->children, inner);
            inner = g;
        }
    }
    dia_avp *failed = dia_avp_new_grouped(DIA_AVP_FAILED_AVP, 0);
    dia_add(failed->children, inner);
    return failed;
}

dia_avp *dia_failed_avp_missing_new(uint32_t code, uint32_t vendor)
{
    /* RFC 6733 §7.1.5 DIAMETER_MISSING_AVP: an example of the missing AVP with the Vendor-Id,
     * a value of the minimum length, zero-filled. */
    dia_avp *failed = dia_avp_new_grouped(DIA_AVP_FAILED_AVP, 0);
    dia_add(failed->children, zero_filled(code, vendor, dia_dict_send_flags(code, vendor)));
    return failed;
}

dia_msg *dia_error_answer_new(const dia_error *err, const dia_node *origin)
{
    const dia_msg *req = err ? err->partial : NULL;
    /* RFC 6733 §7: answers are never answered; no header means nothing to answer to. */
    if (!req || !(req->flags & DIA_FLAG_R) || !err->result_code) return NULL;
    gboolean protocol = err->result_code >= 3000 && err->result_code < 4000;
    dia_msg *ans = (req->app_id == DIA_APP_CX && !protocol) ? dia_cx_answer_new(req, origin)
                                                            : dia_answer_new(req, origin);
    dia_set_result_code(ans, err->result_code);
    dia_avp *failed = dia_failed_avp_new(err, FALSE);
    if (failed) dia_add(ans->avps, failed);
    return ans;
}

/* ---- base peer messages ---- */

static void add_cx_capabilities(dia_msg *m, const dia_cer_info *info)
{
    if (info && info->host_ip)
        dia_add_addr(m->avps, DIA_AVP_HOST_IP_ADDRESS, 0, info->family, info->host_ip);
    dia_add_u32(m->avps, DIA_AVP_VENDOR_ID, 0, info ? info->vendor_id : 0);
    dia_add_str(m->avps, DIA_AVP_PRODUCT_NAME, 0, info && info->product ? info->product : "");
    if (info && info->origin_state_id)
        dia_add_u32(m->avps, DIA_AVP_ORIGIN_STATE_ID, 0, info->origin_state_id);
    dia_add_u32(m->avps, DIA_AVP_SUPPORTED_VENDOR_ID, 0, DIA_VENDOR_3GPP);
    dia_add_vendor_specific_app_id(m->avps, DIA_VENDOR_3GPP, DIA_APP_CX);
    if (info && info->firmware) dia_add_u32(m->avps, DIA_AVP_FIRMWARE_REVISION, 0, info->firmware);
}

dia_msg *dia_cer_new(const dia_node *origin, const dia_cer_info *info, uint32_t hbh, uint32_t e2e)
{
    dia_msg *m = dia_request_new(DIA_CMD_CE, DIA_APP_COMMON, origin, hbh, e2e);
    add_cx_capabilities(m, info);
    return m;
}

dia_msg *dia_cea_new(const dia_msg *cer, const dia_node *origin, const dia_cer_info *info,
                     uint32_t result_code)
{
    dia_msg *m = dia_answer_new(cer, origin);
    dia_set_result_code(m, result_code);
    add_cx_capabilities(m, info);
    return m;
}

dia_msg *dia_dwr_new(const dia_node *origin, uint32_t origin_state_id, uint32_t hbh, uint32_t e2e)
{
    dia_msg *m = dia_request_new(DIA_CMD_DW, DIA_APP_COMMON, origin, hbh, e2e);
    if (origin_state_id) dia_add_u32(m->avps, DIA_AVP_ORIGIN_STATE_ID, 0, origin_state_id);
    return m;
}

dia_msg *dia_dwa_new(const dia_msg *dwr, const dia_node *origin, uint32_t origin_state_id)
{
    dia_msg *m = dia_answer_new(dwr, origin);
    dia_set_result_code(m, DIA_RC_SUCCESS);
    if (origin_state_id) dia_add_u32(m->avps, DIA_AVP_ORIGIN_STATE_ID, 0, origin_state_id);
    return m;
}

dia_msg *dia_dpr_new(const dia_node *origin, uint32_t cause, uint32_t hbh, uint32_t e2e)
{
    dia_msg *m = dia_request_new(DIA_CMD_DP, DIA_APP_COMMON, origin, hbh, e2e);
    dia_add_u32(m->avps, DIA_AVP_DISCONNECT_CAUSE, 0, cause);
    return m;
}

dia_msg *dia_dpa_new(const dia_msg *dpr, const dia_node *origin)
{
    dia_msg *m = dia_answer_new(dpr, origin);
    dia_set_result_code(m, DIA_RC_SUCCESS);
    return m;
}

/* ---- Cx ---- */

dia_avp *dia_add_vendor_specific_app_id(GPtrArray *list, uint32_t vendor, uint32_t auth_app)
{
    /* RFC 6733 §6.11: Vendor-Specific-Application-Id ::= { Vendor-Id } [ Auth-Application-Id ]
     * [ Acct-Application-Id ] */
    dia_avp *g = dia_add_grouped(list, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0);
    dia_add_u32(g->children, DIA_AVP_VENDOR_ID, 0, vendor);
    dia_add_u32(g->children, DIA_AVP_AUTH_APPLICATION_ID, 0, auth_app);
    return g;
}

dia_msg *dia_cx_request_new(uint32_t cmd, const char *session_id, const dia_node *origin,
                            const char *dest_realm, const char *dest_host, uint32_t hbh,
                            uint32_t e2e)
{
    /* TS 29.229 §6.1: < Session-Id > { Vendor-Specific-Application-Id } { Auth-Session-State }
     * { Origin-Host } { Origin-Realm } [ Destination-Host ] { Destination-Realm } ... */
    dia_msg *m = dia_msg_new(cmd, DIA_APP_CX, request_flags(cmd, DIA_APP_CX), hbh, e2e);
    dia_add_str(m->avps, DIA_AVP_SESSION_ID, 0, session_id);
    dia_add_vendor_specific_app_id(m->avps, DIA_VENDOR_3GPP, DIA_APP_CX);
    dia_add_u32(m->avps, DIA_AVP_AUTH_SESSION_STATE, 0, DIA_AUTH_SESSION_NO_STATE_MAINTAINED);
    add_origin(m, origin);
    if (dest_host) dia_add_str(m->avps, DIA_AVP_DESTINATION_HOST, 0, dest_host);
    dia_add_str(m->avps, DIA_AVP_DESTINATION_REALM, 0, dest_realm);
    return m;
}

dia_msg *dia_cx_answer_new(const dia_msg *req, const dia_node *origin)
{
    dia_msg *m = answer_header(req);
    dia_add_vendor_specific_app_id(m->avps, DIA_VENDOR_3GPP, DIA_APP_CX);
    /* TS 29.229 §6.1: Cx is stateless, NO_STATE_MAINTAINED in requests and answers. */
    dia_add_u32(m->avps, DIA_AVP_AUTH_SESSION_STATE, 0, DIA_AUTH_SESSION_NO_STATE_MAINTAINED);
    add_origin(m, origin);
    return m;
}

dia_avp *dia_cx_add_auth_item(GPtrArray *list, const dia_cx_auth_item *it)
{
    /* TS 29.229 §6.3.13 SIP-Auth-Data-Item, §6.3.36 SIP-Digest-Authenticate. */
    const uint32_t v = DIA_VENDOR_3GPP;
    dia_avp *item = dia_add_grouped(list, DIA_AVP_SIP_AUTH_DATA_ITEM, v);
    if (!it) return item;
    if (it->item_number) dia_add_u32(item->children, DIA_AVP_SIP_ITEM_NUMBER, v, it->item_number);
    if (it->scheme) dia_add_str(item->children, DIA_AVP_SIP_AUTHENTICATION_SCHEME, v, it->scheme);
    if (it->realm || it->ha1) {
        dia_avp *dg = dia_add_grouped(item->children, DIA_AVP_SIP_DIGEST_AUTHENTICATE, v);
        dia_add_str(dg->children, DIA_AVP_DIGEST_REALM, 0, it->realm ? it->realm : "");
        if (it->algorithm) dia_add_str(dg->children, DIA_AVP_DIGEST_ALGORITHM, 0, it->algorithm);
        dia_add_str(dg->children, DIA_AVP_DIGEST_QOP, 0, it->qop ? it->qop : "");
        dia_add_str(dg->children, DIA_AVP_DIGEST_HA1, 0, it->ha1 ? it->ha1 : "");
    }
    return item;
}

/* Reads an optional string member; FALSE only when present but not UTF-8. */
static gboolean opt_str(const dia_avp *group, uint32_t code, uint32_t vendor, char **out)
{
    const dia_avp *a = dia_avp_find(group, code, vendor);
    *out = NULL;
    if (!a) return TRUE;
    *out = dia_avp_get_str(a);
    return *out != NULL;
}

gboolean dia_cx_read_auth_item(const dia_avp *item, dia_cx_auth_info *out)
{
    const uint32_t v = DIA_VENDOR_3GPP;
    memset(out, 0, sizeof *out);
    if (!item || item->code != DIA_AVP_SIP_AUTH_DATA_ITEM || item->vendor != v || !item->children)
        return FALSE;
    dia_avp_get_u32(dia_avp_find(item, DIA_AVP_SIP_ITEM_NUMBER, v), &out->item_number);
    gboolean ok = opt_str(item, DIA_AVP_SIP_AUTHENTICATION_SCHEME, v, &out->scheme);
    const dia_avp *dg = dia_avp_find(item, DIA_AVP_SIP_DIGEST_AUTHENTICATE, v);
    if (dg && dg->children) {
        out->has_digest = TRUE;
        ok = opt_str(dg, DIA_AVP_DIGEST_REALM, 0, &out->realm) && ok;
        ok = opt_str(dg, DIA_AVP_DIGEST_ALGORITHM, 0, &out->algorithm) && ok;
        ok = opt_str(dg, DIA_AVP_DIGEST_QOP, 0, &out->qop) && ok;
        ok = opt_str(dg, DIA_AVP_DIGEST_HA1, 0, &out->ha1) && ok;
    }
    if (!ok) dia_cx_auth_info_clear(out);
    return ok;
}

void dia_cx_auth_info_clear(dia_cx_auth_info *info)
{
    if (!info) return;
    g_free(info->scheme);
    g_free(info->realm);
    g_free(info->algorithm);
    g_free(info->qop);
    g_free(info->ha1);
    memset(info, 0, sizeof *info);
}
