/* hss-stub: the lab's HSS. Wires configuration -> subscriber store -> Cx server on a Diameter
 * listener, inside the common daemon runtime. */
#include <stdio.h>
#include <string.h>

#include "cx_server.h"
#include "diameter/peer.h"
#include "runtime/daemon.h"
#include "runtime/log.h"
#include "subscribers.h"

static const rt_cfg_key_t impu_keys[] = {
    {"uri", RT_CFG_STRING, NULL, 1, 512,
     "IMPU: sip:, sips: or tel: URI; a wildcard range puts its regex between '!' (TS 23.003)",
     NULL, RT_CFG_REQUIRED, NULL},
    {"barred", RT_CFG_BOOL, "false", 0, 0, "barred identity", NULL, 0, NULL},
    {"display_name", RT_CFG_STRING, NULL, 0, 256, "DisplayName in User-Data", NULL, 0, NULL},
    {NULL}};
static const rt_cfg_key_t sub_keys[] = {
    {"impi", RT_CFG_STRING, NULL, 1, 512, "private identity (Digest username)", NULL,
     RT_CFG_REQUIRED, NULL},
    {"password", RT_CFG_STRING, NULL, 1, 256, "Digest password (or give ha1)", NULL, 0, NULL},
    {"ha1", RT_CFG_STRING, NULL, 32, 32, "MD5(impi:realm:password) in hex (or give password)",
     NULL, 0, NULL},
    {"realm", RT_CFG_STRING, NULL, 1, 256, "Digest realm (default: digest_realm)", NULL, 0,
     NULL},
    {"unregistered_services", RT_CFG_BOOL, "false", 0, 0,
     "terminating services while unregistered (LIA 2003 instead of 5003)", NULL, 0, NULL},
    {"impus", RT_CFG_LIST, NULL, 0, 0, "implicit registration set; the first is the default",
     impu_keys, RT_CFG_REQUIRED, NULL},
    {NULL}};
static const rt_cfg_key_t hss_keys[] = {
    {"diameter", RT_CFG_GROUP, NULL, 0, 0, "Diameter identity and listener", dia_cfg_keys,
     RT_CFG_REQUIRED, NULL},
    {"digest_realm", RT_CFG_STRING, "\"ims.lab\"", 1, 256, "default SIP Digest realm", NULL, 0,
     NULL},
    {"server_name", RT_CFG_STRING, "\"\"", 0, 512,
     "S-CSCF name offered in Server-Capabilities before one is assigned", NULL, 0, NULL},
    {"subscribers", RT_CFG_LIST, NULL, 0, 0, "provisioned subscriptions", sub_keys, 0, NULL},
    {NULL}};

typedef struct {
    rt_daemon_t *d;
    rt_metrics_t *metrics;
    hss_store_t *store;
    hss_cx_t cx;
    dia_stack_t *dia;
    char *server_name;
} hss_t;

static void check(const config_t *cfg, GString *errors)
{
    hss_store_free(hss_store_load(cfg, errors));
}

static const char *cmd_label(uint32_t cmd)
{
    switch (cmd) {
    case DIA_CMD_UA: return "UAR";
    case DIA_CMD_MA: return "MAR";
    case DIA_CMD_SA: return "SAR";
    case DIA_CMD_LI: return "LIR";
    default: return "other";
    }
}

static void on_request(dia_stack_t *st, dia_peer_t *peer, const dia_msg *req, void *ud)
{
    hss_t *h = ud;
    char res[24] = "";
    dia_msg *ans = hss_cx_handle(&h->cx, req, res, sizeof res);
    char labels[96];
    snprintf(labels, sizeof labels, "command=\"%s\",result=\"%s\"", cmd_label(req->cmd), res);
    rt_metrics_add(h->metrics, "cx_requests_total", labels, 1);
    char *pub = dia_msg_get_str(req, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP);
    char *impi = dia_msg_get_str(req, DIA_AVP_USER_NAME, 0);
    LOGI(RT_SUB_CX, NULL, "%s from %s: impi=%s impu=%s -> %s", cmd_label(req->cmd),
         dia_peer_name(peer), impi ? impi : "-", pub ? pub : "-", res);
    g_free(pub);
    g_free(impi);
    dia_peer_send(peer, ans);
}

static gboolean health(GString *detail, void *ud)
{
    hss_t *h = ud;
    g_string_append_printf(detail, "\"subscribers\":%u,\"diameter_peers\":%u",
                           hss_store_count(h->store), dia_stack_open_peers(h->dia));
    return TRUE;
}

static void *start(rt_daemon_t *d, const config_t *cfg, GError **err)
{
    hss_t *h = g_new0(hss_t, 1);
    h->d = d;
    h->metrics = rt_daemon_metrics(d);
    GString *errors = g_string_new(NULL);
    h->store = hss_store_load(cfg, errors);
    g_string_free(errors, TRUE); /* already reported by check() */
    dia_local_t local;
    dia_local_from_config(cfg, &local);
    h->server_name = g_strdup(rt_cfg_str(cfg, "server_name"));
    h->cx.store = h->store;
    h->cx.node = local.node;
    h->cx.server_name = *h->server_name ? h->server_name : NULL;
    rt_metrics_define(h->metrics, "cx_requests_total", "counter",
                      "Cx requests by command and result");
    h->dia = dia_stack_new(&local, h->metrics, on_request, NULL, h);
    h->cx.node = dia_stack_local(h->dia)->node; /* strings owned by the stack */
    if (!dia_stack_listen(h->dia, rt_cfg_str(cfg, "diameter.listen_address"),
                          (unsigned)rt_cfg_int(cfg, "diameter.port"), err)) {
        dia_stack_free(h->dia);
        hss_store_free(h->store);
        g_free(h->server_name);
        g_free(h);
        return NULL;
    }
    if (rt_daemon_admin(d)) rt_admin_set_health(rt_daemon_admin(d), health, h);
    LOGN(RT_SUB_MAIN, NULL, "%u subscribers provisioned", hss_store_count(h->store));
    return h;
}

static void on_dia_down(void *ud)
{
    hss_t *h = ud;
    rt_daemon_stopped(h->d);
}

static void stop(void *node, rt_daemon_t *d)
{
    hss_t *h = node;
    dia_stack_shutdown(h->dia, on_dia_down, h);
}

static void node_free(void *node)
{
    hss_t *h = node;
    dia_stack_free(h->dia);
    hss_store_free(h->store);
    g_free(h->server_name);
    g_free(h);
}

static const rt_node_t hss_node = {
    .name = "hss-stub",
    .metrics_prefix = "hss_",
    .keys = hss_keys,
    .check = check,
    .start = start,
    .stop = stop,
    .free = node_free,
};

int main(int argc, char **argv)
{
    return rt_daemon_main(&hss_node, argc, argv);
}
