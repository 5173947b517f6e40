/* Prometheus text-format metrics registry: counters and gauges with label sets, thread-safe so
 * media workers can count; collectors refresh gauges just before /metrics is rendered. */
#ifndef RT_METRICS_H
#define RT_METRICS_H
#include <glib.h>

typedef struct rt_metrics rt_metrics_t;
typedef void (*rt_metrics_collect_fn)(rt_metrics_t *m, void *ud);

rt_metrics_t *rt_metrics_new(const char *prefix);
void rt_metrics_free(rt_metrics_t *m);
/* type: "counter" or "gauge". Names get the registry prefix ("hss_" + name). */
void rt_metrics_define(rt_metrics_t *m, const char *name, const char *type, const char *help);
/* labels: NULL or the inside of the braces, e.g. "command=\"UAR\",result=\"2001\"". */
void rt_metrics_add(rt_metrics_t *m, const char *name, const char *labels, double delta);
void rt_metrics_set(rt_metrics_t *m, const char *name, const char *labels, double value);
double rt_metrics_get(rt_metrics_t *m, const char *name, const char *labels);
void rt_metrics_add_collector(rt_metrics_t *m, rt_metrics_collect_fn fn, void *ud);
/* Renders every family in definition order, series sorted by labels. */
GString *rt_metrics_render(rt_metrics_t *m);
/* Escapes a label value per the text format (\\, \", \n); returns a new string. */
gchar *rt_metrics_escape(const char *v);

#endif
