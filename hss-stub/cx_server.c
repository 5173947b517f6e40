/* Cx request handling of the hss-stub (see cx_server.h). Each handler checks its mandatory AVPs
 * (answering DIAMETER_MISSING_AVP with Failed-AVP), resolves the identities against the store
 * and answers with the Result-Code / Experimental-Result that TS 29.228 §6.1-6.3 gives. */
#include "cx_server.h"

#include <stdio.h>
#include <string.h>

#include "user_data.h"

/* TS 29.229 §6.2: Experimental-Result-Code values (vendor 10415). */
enum {
    CX_FIRST_REGISTRATION = 2001,
    CX_SUBSEQUENT_REGISTRATION = 2002,
    CX_UNREGISTERED_SERVICE = 2003,
    CX_SERVER_NAME_NOT_STORED = 2004,
    CX_USER_UNKNOWN = 5001,
    CX_IDENTITIES_DONT_MATCH = 5002,
    CX_IDENTITY_NOT_REGISTERED = 5003,
    CX_AUTH_SCHEME_NOT_SUPPORTED = 5006,
    CX_IN_ASSIGNMENT_TYPE = 5007,
};
/* RFC 6733 §7.1 Result-Code values. */
enum {
    RC_SUCCESS = 2001,
    RC_COMMAND_UNSUPPORTED = 3001,
    RC_UNABLE_TO_DELIVER = 3002,
    RC_REALM_NOT_SERVED = 3003,
    RC_APPLICATION_UNSUPPORTED = 3007,
    RC_AUTHORIZATION_REJECTED = 5003,
    RC_INVALID_AVP_VALUE = 5004,
    RC_MISSING_AVP = 5005,
};

typedef struct {
    hss_cx_t *cx;
    const dia_msg *req;
    dia_msg *ans;
    char *label;
    size_t label_len;
} ctx_t;

static void result(ctx_t *c, uint32_t code)
{
    dia_set_result_code(c->ans, code);
    snprintf(c->label, c->label_len, "%u", code);
}

static void exp_result(ctx_t *c, uint32_t code)
{
    dia_set_experimental_result(c->ans, DIA_VENDOR_3GPP, code);
    snprintf(c->label, c->label_len, "exp-%u", code);
}

/* RFC 6733 §7.5: Failed-AVP names the missing AVP with a minimum-size zero payload. */
static bool require(ctx_t *c, uint32_t code, uint32_t vendor)
{
    if (dia_msg_find(c->req, code, vendor)) return true;
    result(c, RC_MISSING_AVP);
    dia_add(c->ans->avps, dia_failed_avp_missing_new(code, vendor));
    return false;
}

static void invalid_value(ctx_t *c, const dia_avp *bad)
{
    result(c, RC_INVALID_AVP_VALUE);
    dia_avp *f = dia_add_grouped(c->ans->avps, DIA_AVP_FAILED_AVP, 0);
    dia_add(f->children, dia_avp_copy(bad));
}

static bool require_all(ctx_t *c, const uint32_t *codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t vendor = codes[i] >= 600 && codes[i] < 700 ? DIA_VENDOR_3GPP : 0;
        if (!require(c, codes[i], vendor)) return false;
    }
    return true;
}

static void add_wildcard(ctx_t *c, const hss_impu_t *w)
{
    /* TS 29.229 §6.3.46: tells the S-CSCF which wildcarded identity matched. */
    if (w) dia_add_str(c->ans->avps, DIA_AVP_WILDCARDED_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, w->uri);
}

static void add_user_data(ctx_t *c, const hss_sub_t *sub)
{
    gsize len = 0;
    gchar *xml = hss_user_data_xml(sub, &len);
    dia_add_octets(c->ans->avps, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP, xml, len);
    g_free(xml);
}

/* Resolves User-Name and Public-Identity (either may be absent where the command allows it):
 * unknown -> USER_UNKNOWN, belonging to different subscriptions -> IDENTITIES_DONT_MATCH. */
static hss_sub_t *resolve(ctx_t *c, const hss_impu_t **impu, const hss_impu_t **wildcard)
{
    hss_store_t *st = c->cx->store;
    char *impi = dia_msg_get_str(c->req, DIA_AVP_USER_NAME, 0);
    char *pub = dia_msg_get_str(c->req, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP);
    hss_sub_t *by_impi = impi ? hss_store_by_impi(st, impi) : NULL;
    hss_sub_t *by_impu = pub ? hss_store_by_impu(st, pub, impu, wildcard) : NULL;
    hss_sub_t *sub = NULL;
    if ((impi && !by_impi) || (pub && !by_impu))
        exp_result(c, CX_USER_UNKNOWN);
    else if (by_impi && by_impu && by_impi != by_impu)
        exp_result(c, CX_IDENTITIES_DONT_MATCH);
    else
        sub = by_impi ? by_impi : by_impu;
    if (sub && !pub) *impu = sub->impus->pdata[0];
    g_free(impi);
    g_free(pub);
    return sub;
}

static void set_server_name(hss_sub_t *sub, const char *name)
{
    g_free(sub->server_name);
    sub->server_name = name ? g_strdup(name) : NULL;
}

/* TS 29.228 §6.1.1 User registration status query. */
static void on_uar(ctx_t *c)
{
    static const uint32_t need[] = {DIA_AVP_USER_NAME, DIA_AVP_PUBLIC_IDENTITY,
                                    DIA_AVP_VISITED_NETWORK_IDENTIFIER};
    if (!require_all(c, need, G_N_ELEMENTS(need))) return;
    const hss_impu_t *impu = NULL, *w = NULL;
    hss_sub_t *sub = resolve(c, &impu, &w);
    if (!sub) return;
    uint32_t type = 0;
    dia_msg_get_u32(c->req, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP, &type);
    if (type > 2) {
        invalid_value(c, dia_msg_find(c->req, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP));
        return;
    }
    if (impu && impu->barred && type != 1) {
        result(c, RC_AUTHORIZATION_REJECTED);
        return;
    }
    if (type == 1) { /* DE_REGISTRATION */
        if (sub->server_name) {
            result(c, RC_SUCCESS);
            dia_add_str(c->ans->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, sub->server_name);
        } else {
            exp_result(c, CX_SERVER_NAME_NOT_STORED);
        }
        return;
    }
    if (sub->server_name && type != 2) {
        exp_result(c, CX_SUBSEQUENT_REGISTRATION);
        dia_add_str(c->ans->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, sub->server_name);
    } else {
        /* No S-CSCF yet: offer capabilities (the I-CSCF chooses) and our configured name. */
        exp_result(c, CX_FIRST_REGISTRATION);
        dia_avp *cap = dia_add_grouped(c->ans->avps, DIA_AVP_SERVER_CAPABILITIES, DIA_VENDOR_3GPP);
        if (c->cx->server_name)
            dia_add_str(cap->children, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, c->cx->server_name);
    }
}

/* TS 29.228 §6.3 Authentication procedure, SIP Digest variant (TS 29.229 §6.3.13, §6.3.36). */
static void on_mar(ctx_t *c)
{
    static const uint32_t need[] = {DIA_AVP_USER_NAME, DIA_AVP_PUBLIC_IDENTITY,
                                    DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_AVP_SIP_AUTH_DATA_ITEM,
                                    DIA_AVP_SERVER_NAME};
    if (!require_all(c, need, G_N_ELEMENTS(need))) return;
    const hss_impu_t *impu = NULL, *w = NULL;
    hss_sub_t *sub = resolve(c, &impu, &w);
    if (!sub) return;
    dia_cx_auth_info info = {0};
    const dia_avp *item = dia_msg_find(c->req, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP);
    if (!dia_cx_read_auth_item(item, &info)) {
        invalid_value(c, item);
        return;
    }
    bool digest = !info.scheme || strcmp(info.scheme, "SIP Digest") == 0 ||
                  strcmp(info.scheme, "Unknown") == 0;
    dia_cx_auth_info_clear(&info);
    if (!digest) {
        exp_result(c, CX_AUTH_SCHEME_NOT_SUPPORTED);
        return;
    }
    char *server = dia_msg_get_str(c->req, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP);
    /* TS 29.228 §6.3: with no S-CSCF stored, the HSS stores the requesting one. */
    if (!sub->server_name) set_server_name(sub, server);
    g_free(server);
    result(c, RC_SUCCESS);
    dia_add_str(c->ans->avps, DIA_AVP_USER_NAME, 0, sub->impi);
    dia_add_str(c->ans->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, impu->uri);
    dia_add_u32(c->ans->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_cx_auth_item it = {.item_number = 1,
                           .scheme = "SIP Digest",
                           .realm = sub->realm,
                           .algorithm = "MD5",
                           .qop = "auth",
                           .ha1 = sub->ha1};
    dia_cx_add_auth_item(c->ans->avps, &it);
}

/* TS 29.228 §6.1.2 S-CSCF registration/deregistration notification. */
static void on_sar(ctx_t *c)
{
    static const uint32_t need[] = {DIA_AVP_SERVER_NAME, DIA_AVP_SERVER_ASSIGNMENT_TYPE,
                                    DIA_AVP_USER_DATA_ALREADY_AVAILABLE};
    if (!require_all(c, need, G_N_ELEMENTS(need))) return;
    if (!dia_msg_find(c->req, DIA_AVP_USER_NAME, 0) &&
        !require(c, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP))
        return;
    const hss_impu_t *impu = NULL, *w = NULL;
    hss_sub_t *sub = resolve(c, &impu, &w);
    if (!sub) return;
    uint32_t type = 0, have_data = 0;
    dia_msg_get_u32(c->req, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP, &type);
    dia_msg_get_u32(c->req, DIA_AVP_USER_DATA_ALREADY_AVAILABLE, DIA_VENDOR_3GPP, &have_data);
    char *server = dia_msg_get_str(c->req, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP);
    bool send_data = false;
    switch (type) {
    case 0: /* NO_ASSIGNMENT: profile download only */
        send_data = true;
        break;
    case 1: /* REGISTRATION */
    case 2: /* RE_REGISTRATION */
        sub->state = HSS_REGISTERED;
        set_server_name(sub, server);
        send_data = have_data == 0 || type == 1;
        break;
    case 3: /* UNREGISTERED_USER */
        if (sub->state != HSS_REGISTERED) sub->state = HSS_UNREGISTERED;
        set_server_name(sub, server);
        send_data = true;
        break;
    case 4:  /* TIMEOUT_DEREGISTRATION */
    case 5:  /* USER_DEREGISTRATION */
    case 8:  /* ADMINISTRATIVE_DEREGISTRATION */
    case 10: /* AUTHENTICATION_TIMEOUT */
    case 11: /* DEREGISTRATION_TOO_MUCH_DATA */
        sub->state = HSS_NOT_REGISTERED;
        set_server_name(sub, NULL);
        break;
    case 6: /* TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME */
    case 7: /* USER_DEREGISTRATION_STORE_SERVER_NAME */
        sub->state = HSS_NOT_REGISTERED;
        break;
    case 9: /* AUTHENTICATION_FAILURE */
        if (sub->state == HSS_NOT_REGISTERED) set_server_name(sub, NULL);
        break;
    case 12: /* AAA_USER_DATA_REQUEST */
    case 13: /* PGW_UPDATE */
    case 14: /* RESTORATION */
        g_free(server);
        exp_result(c, CX_IN_ASSIGNMENT_TYPE);
        return;
    default:
        g_free(server);
        invalid_value(c, dia_msg_find(c->req, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP));
        return;
    }
    g_free(server);
    result(c, RC_SUCCESS);
    dia_add_str(c->ans->avps, DIA_AVP_USER_NAME, 0, sub->impi);
    if (send_data) add_user_data(c, sub);
    add_wildcard(c, w);
}

/* TS 29.228 §6.1.4 User location query. */
static void on_lir(ctx_t *c)
{
    if (!require(c, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP)) return;
    const hss_impu_t *impu = NULL, *w = NULL;
    hss_sub_t *sub = resolve(c, &impu, &w);
    if (!sub) return;
    if (sub->server_name && sub->state != HSS_NOT_REGISTERED) {
        result(c, RC_SUCCESS);
        dia_add_str(c->ans->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, sub->server_name);
    } else if (sub->unregistered_services) {
        exp_result(c, CX_UNREGISTERED_SERVICE);
        dia_avp *cap = dia_add_grouped(c->ans->avps, DIA_AVP_SERVER_CAPABILITIES, DIA_VENDOR_3GPP);
        if (c->cx->server_name)
            dia_add_str(cap->children, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, c->cx->server_name);
    } else {
        exp_result(c, CX_IDENTITY_NOT_REGISTERED);
        return;
    }
    add_wildcard(c, w);
}

dia_msg *hss_cx_handle(hss_cx_t *cx, const dia_msg *req, char *label, size_t label_len)
{
    ctx_t c = {.cx = cx, .req = req, .label = label, .label_len = label_len};
    if (req->app_id != DIA_APP_CX) {
        c.ans = dia_answer_new(req, &cx->node);
        result(&c, RC_APPLICATION_UNSUPPORTED);
        return c.ans;
    }
    c.ans = dia_cx_answer_new(req, &cx->node);
    static const uint32_t base[] = {DIA_AVP_SESSION_ID, DIA_AVP_ORIGIN_HOST, DIA_AVP_ORIGIN_REALM,
                                    DIA_AVP_DESTINATION_REALM, DIA_AVP_AUTH_SESSION_STATE};
    if (!require_all(&c, base, G_N_ELEMENTS(base))) return c.ans;
    /* RFC 6733 §6.1: a request for another realm or host is not ours to answer. */
    char *realm = dia_msg_get_str(req, DIA_AVP_DESTINATION_REALM, 0);
    char *host = dia_msg_get_str(req, DIA_AVP_DESTINATION_HOST, 0);
    bool realm_ok = realm && g_ascii_strcasecmp(realm, cx->node.realm) == 0;
    bool host_ok = !host || g_ascii_strcasecmp(host, cx->node.host) == 0;
    g_free(realm);
    g_free(host);
    if (!realm_ok) {
        result(&c, RC_REALM_NOT_SERVED);
        return c.ans;
    }
    if (!host_ok) {
        result(&c, RC_UNABLE_TO_DELIVER);
        return c.ans;
    }
    switch (req->cmd) {
    case DIA_CMD_UA: on_uar(&c); break;
    case DIA_CMD_MA: on_mar(&c); break;
    case DIA_CMD_SA: on_sar(&c); break;
    case DIA_CMD_LI: on_lir(&c); break;
    default: result(&c, RC_COMMAND_UNSUPPORTED); break;
    }
    return c.ans;
}
