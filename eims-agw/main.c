/* eims-agw: the eIMS Access Gateway. Wires configuration -> media engine -> context table -> Iq
 * association with the MGC (H.248 over UDP), inside the common daemon runtime. */
#include <stdio.h>

#include "iq_config.h"
#include "iq_ctx.h"
#include "iq_engine.h"
#include "iq_mg.h"
#include "runtime/daemon.h"
#include "runtime/log.h"

typedef struct {
    rt_daemon_t *d;
    iq_engine *engine;
    iq_table *tb;
    iq_mg *mg;
} agw_t;

static void check(const config_t *cfg, GString *errors)
{
    iq_cfg_check(cfg, errors);
}

static gboolean health(GString *detail, void *ud)
{
    agw_t *a = ud;
    g_string_append_printf(detail,
                           "\"iq\":\"%s\",\"mgc\":\"%s\",\"contexts\":%u,\"media_workers\":%u",
                           iq_mg_state_name(iq_mg_get_state(a->mg)), iq_mg_mgc(a->mg),
                           iq_ctx_count(a->tb), agw_media_worker_count(iq_engine_agw(a->engine)));
    return TRUE; /* serving even while the MGC is away: we keep trying to register */
}

static void node_free(void *node)
{
    agw_t *a = node;
    iq_mg_free(a->mg);    /* no more commands or events */
    iq_table_free(a->tb); /* releases every context in the engine */
    iq_engine_free(a->engine);
    g_free(a);
}

static void *start(rt_daemon_t *d, const config_t *cfg, GError **err)
{
    agw_t *a = g_new0(agw_t, 1);
    a->d = d;
    rt_metrics_t *metrics = rt_daemon_metrics(d);
    iq_settings s;
    iq_cfg_read(cfg, &s);
    s.tp.metrics = metrics;

    agw_media_config_t mc;
    agw_media_config_from_cfg(cfg, "media", &mc);
    mc.metrics = metrics;
    a->engine = iq_engine_new(&mc, err);
    if (!a->engine) goto fail;
    iq_media media = iq_engine_media(a->engine);
    a->tb = iq_table_new(&media, s.max_contexts, metrics);
    iq_engine_set_event_fn(a->engine, iq_table_media_event, a->tb);
    a->mg = iq_mg_new(&s.mg, &s.tp, &s.cmd, a->tb, metrics, err);
    if (!a->mg) goto fail;
    if (rt_daemon_admin(d)) rt_admin_set_health(rt_daemon_admin(d), health, a);
    LOGN(RT_SUB_MAIN, NULL, "Iq on %s:%u, MGC %s, profile %s; media W3 %s, IMS %s, ports %u-%u",
         s.tp.address, iq_mg_port(a->mg), iq_mg_mgc(a->mg), s.mg.profile, mc.w3_address,
         mc.rtp_address, mc.port_min, mc.port_max);
    iq_mg_start(a->mg);
    return a;
fail:
    if (a->tb) iq_table_free(a->tb);
    if (a->engine) iq_engine_free(a->engine);
    g_free(a);
    return NULL;
}

static void on_stopped(void *ud)
{
    rt_daemon_stopped(ud);
}

static void stop(void *node, rt_daemon_t *d)
{
    agw_t *a = node;
    iq_mg_stop(a->mg, on_stopped, d);
}

int main(int argc, char **argv)
{
    rt_node_t node = {
        .name = "eims-agw",
        .metrics_prefix = "agw_",
        .keys = iq_daemon_keys(),
        .check = check,
        .start = start,
        .stop = stop,
        .free = node_free,
    };
    return rt_daemon_main(&node, argc, argv);
}
