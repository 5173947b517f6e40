/* The life of a daemon: command line, strict config, logging, one GLib main loop, admin HTTP,
 * signals (SIGTERM/SIGINT graceful stop, SIGHUP reopen logs) and systemd readiness. A node only
 * supplies its key table and start/stop/free functions. */
#ifndef RT_DAEMON_H
#define RT_DAEMON_H
#include <glib.h>
#include <libconfig.h>

#include "runtime/admin.h"
#include "runtime/config.h"
#include "runtime/metrics.h"

typedef struct rt_daemon rt_daemon_t;

typedef struct {
    const char *name;           /* "hss-stub": log ident, metrics prefix, /health node name */
    const char *metrics_prefix; /* "hss_" */
    const rt_cfg_key_t *keys;   /* node's own keys (common keys are added) */
    /* Semantic checks beyond types and ranges (optional): append "file:line: reason" lines. */
    void (*check)(const config_t *cfg, GString *errors);
    /* Builds the node; NULL + err on failure. Readiness is signalled when it returns. */
    void *(*start)(rt_daemon_t *d, const config_t *cfg, GError **err);
    /* Begins a graceful stop; call rt_daemon_stopped() when done (may be synchronous). */
    void (*stop)(void *node, rt_daemon_t *d);
    void (*free)(void *node);
} rt_node_t;

int rt_daemon_main(const rt_node_t *node, int argc, char **argv);

rt_metrics_t *rt_daemon_metrics(rt_daemon_t *d);
rt_admin_t *rt_daemon_admin(rt_daemon_t *d);
GMainLoop *rt_daemon_loop(rt_daemon_t *d);
/* The node finished its graceful stop: the loop ends. */
void rt_daemon_stopped(rt_daemon_t *d);
/* Requests a stop as SIGTERM would. */
void rt_daemon_request_stop(rt_daemon_t *d);

#endif
