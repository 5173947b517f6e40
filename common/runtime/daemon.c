/* Common main() of the four daemons (see daemon.h). */
#include "runtime/daemon.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "runtime/log.h"

#define STOP_GRACE_MS 5000

struct rt_daemon {
    const rt_node_t *node;
    GMainLoop *loop;
    rt_metrics_t *metrics;
    rt_admin_t *admin;
    void *ctx;
    gboolean stopping;
    guint grace_id;
};

rt_metrics_t *rt_daemon_metrics(rt_daemon_t *d)
{
    return d->metrics;
}

rt_admin_t *rt_daemon_admin(rt_daemon_t *d)
{
    return d->admin;
}

GMainLoop *rt_daemon_loop(rt_daemon_t *d)
{
    return d->loop;
}

void rt_daemon_stopped(rt_daemon_t *d)
{
    g_main_loop_quit(d->loop);
}

static gboolean on_grace_expired(gpointer ud)
{
    rt_daemon_t *d = ud;
    d->grace_id = 0;
    LOGW(RT_SUB_MAIN, NULL, "graceful stop took longer than %d ms; exiting", STOP_GRACE_MS);
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

void rt_daemon_request_stop(rt_daemon_t *d)
{
    if (d->stopping) {
        g_main_loop_quit(d->loop); /* second signal: stop now */
        return;
    }
    d->stopping = TRUE;
    sd_notify(0, "STOPPING=1");
    LOGN(RT_SUB_MAIN, NULL, "stopping");
    d->grace_id = g_timeout_add(STOP_GRACE_MS, on_grace_expired, d);
    if (d->node->stop)
        d->node->stop(d->ctx, d);
    else
        rt_daemon_stopped(d);
}

static gboolean on_sigterm(gpointer ud)
{
    rt_daemon_request_stop(ud);
    return G_SOURCE_CONTINUE;
}

static gboolean on_sighup(gpointer ud)
{
    if (rt_log_reopen() != 0) LOGE(RT_SUB_MAIN, NULL, "cannot reopen log file");
    LOGN(RT_SUB_MAIN, NULL, "SIGHUP: log reopened");
    return G_SOURCE_CONTINUE;
}

static void usage(const rt_node_t *n, FILE *out)
{
    fprintf(out,
            "usage: %s [-f] [-c FILE] [--check-config] [--print-sample] [-V]\n"
            "  -c FILE          configuration file (libconfig)\n"
            "  -f               foreground: log to stderr\n"
            "  --check-config   validate the configuration and exit 0 (valid) or 1\n"
            "  --print-sample   print the commented sample configuration and exit\n"
            "  -V, --version    print the version and exit\n",
            n->name);
}

static bool apply_log_config(const config_t *cfg, bool foreground, const char *name)
{
    rt_log_set_all_levels(rt_log_level_from_name(rt_cfg_str(cfg, "log.level")));
    config_setting_t *lv = config_lookup(cfg, "log.levels");
    for (int i = 0; lv && i < config_setting_length(lv); i++) {
        config_setting_t *e = config_setting_get_elem(lv, i);
        int sub = rt_log_sub_from_name(config_setting_name(e));
        if (sub >= 0) rt_log_set_level(sub, rt_log_level_from_name(config_setting_get_string(e)));
    }
    return rt_log_open(name, foreground, rt_cfg_str(cfg, "log.file")) == 0;
}

static void check_common(const config_t *cfg, GString *errors)
{
    config_setting_t *lv = config_lookup(cfg, "log.levels");
    for (int i = 0; lv && i < config_setting_length(lv); i++) {
        config_setting_t *e = config_setting_get_elem(lv, i);
        if (rt_log_sub_from_name(config_setting_name(e)) < 0)
            rt_cfg_error(errors, e, "log.levels: unknown subsystem '%s'", config_setting_name(e));
    }
}

int rt_daemon_main(const rt_node_t *node, int argc, char **argv)
{
    const char *cfg_path = NULL;
    bool foreground = false, check_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0) foreground = true;
        else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) cfg_path = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0) check_only = true;
        else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
            printf("%s %s\n", node->name, SUITE_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--print-sample") == 0) {
            GString *s = g_string_new(NULL);
            rt_cfg_print_sample(s, node->name, node->keys);
            fputs(s->str, stdout);
            g_string_free(s, TRUE);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(node, stdout);
            return 0;
        } else {
            usage(node, stderr);
            return 2;
        }
    }
    if (!cfg_path) {
        fprintf(stderr, "%s: -c FILE is required\n", node->name);
        return 2;
    }

    config_t cfg;
    config_init(&cfg);
    GString *errors = g_string_new(NULL);
    if (rt_cfg_load(&cfg, cfg_path, node->keys, errors)) {
        check_common(&cfg, errors);
        if (node->check) node->check(&cfg, errors);
    }
    if (errors->len) {
        fprintf(stderr, "%s", errors->str);
        fprintf(stderr, "%s: configuration refused\n", node->name);
        g_string_free(errors, TRUE);
        config_destroy(&cfg);
        return 1;
    }
    g_string_free(errors, TRUE);
    if (check_only) {
        printf("%s: configuration OK\n", cfg_path);
        config_destroy(&cfg);
        return 0;
    }

    signal(SIGPIPE, SIG_IGN);
    if (!apply_log_config(&cfg, foreground, node->name)) {
        fprintf(stderr, "%s: cannot open log file %s\n", node->name, rt_cfg_str(&cfg, "log.file"));
        config_destroy(&cfg);
        return 1;
    }

    rt_daemon_t d = {.node = node};
    d.loop = g_main_loop_new(NULL, FALSE);
    d.metrics = rt_metrics_new(node->metrics_prefix);
    int rc = 0;
    GError *err = NULL;
    if (rt_cfg_bool(&cfg, "admin.enabled")) {
        d.admin = rt_admin_start(node->name, rt_cfg_str(&cfg, "admin.address"),
                                 (unsigned)rt_cfg_int(&cfg, "admin.port"), d.metrics, &err);
        if (!d.admin) goto fail;
    }
    d.ctx = node->start(&d, &cfg, &err);
    if (!d.ctx) goto fail;

    guint s1 = g_unix_signal_add(SIGTERM, on_sigterm, &d);
    guint s2 = g_unix_signal_add(SIGINT, on_sigterm, &d);
    guint s3 = g_unix_signal_add(SIGHUP, on_sighup, NULL);
    LOGN(RT_SUB_MAIN, NULL, "%s %s started (config %s)", node->name, SUITE_VERSION,
               cfg_path);
    sd_notify(0, "READY=1");
    g_main_loop_run(d.loop);
    g_source_remove(s1);
    g_source_remove(s2);
    g_source_remove(s3);
    if (d.grace_id) g_source_remove(d.grace_id);
    node->free(d.ctx);
    LOGN(RT_SUB_MAIN, NULL, "%s stopped", node->name);
    goto out;
fail:
    LOGE(RT_SUB_MAIN, NULL, "cannot start: %s", err ? err->message : "unknown error");
    if (foreground || !rt_cfg_str(&cfg, "log.file")[0])
        fprintf(stderr, "%s: cannot start: %s\n", node->name, err ? err->message : "unknown");
    g_clear_error(&err);
    rc = 1;
out:
    rt_admin_free(d.admin);
    rt_metrics_free(d.metrics);
    g_main_loop_unref(d.loop);
    config_destroy(&cfg);
    rt_log_close();
    return rc;
}
