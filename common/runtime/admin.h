/* The operator endpoint every node serves: GET /health (JSON) and GET /metrics (Prometheus). */
#ifndef RT_ADMIN_H
#define RT_ADMIN_H
#include <glib.h>
#include "runtime/metrics.h"

typedef struct rt_admin rt_admin_t;
/* Fills `detail` with a JSON object body; returns true when healthy (200) else 503. */
typedef gboolean (*rt_health_fn)(GString *detail, void *ud);

rt_admin_t *rt_admin_start(const char *node, const char *address, unsigned port,
                           rt_metrics_t *metrics, GError **err);
void rt_admin_set_health(rt_admin_t *a, rt_health_fn fn, void *ud);
unsigned rt_admin_port(rt_admin_t *a);
void rt_admin_free(rt_admin_t *a);

#endif
