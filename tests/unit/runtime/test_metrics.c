/* Prometheus text rendering of the metrics registry. */
#include "unit.h"
#include "runtime/metrics.h"

static void collect(rt_metrics_t *m, void *ud)
{
    rt_metrics_set(m, "peers", NULL, *(int *)ud);
}

TEST(render_counters_and_gauges)
{
    rt_metrics_t *m = rt_metrics_new("hss_");
    int peers = 2;
    rt_metrics_define(m, "cx_requests_total", "counter", "Cx requests by command and result");
    rt_metrics_define(m, "peers", "gauge", "connected peers");
    rt_metrics_add_collector(m, collect, &peers);
    rt_metrics_add(m, "cx_requests_total", "command=\"UAR\",result=\"2001\"", 1);
    rt_metrics_add(m, "cx_requests_total", "command=\"UAR\",result=\"2001\"", 2);
    rt_metrics_add(m, "cx_requests_total", "command=\"MAR\",result=\"5001\"", 1);
    rt_metrics_add(m, "undefined_total", NULL, 1); /* ignored */
    GString *s = rt_metrics_render(m);
    CHECK_STR(s->str, "# HELP hss_cx_requests_total Cx requests by command and result\n"
                      "# TYPE hss_cx_requests_total counter\n"
                      "hss_cx_requests_total{command=\"MAR\",result=\"5001\"} 1\n"
                      "hss_cx_requests_total{command=\"UAR\",result=\"2001\"} 3\n"
                      "# HELP hss_peers connected peers\n"
                      "# TYPE hss_peers gauge\n"
                      "hss_peers 2\n");
    CHECK(rt_metrics_get(m, "cx_requests_total", "command=\"UAR\",result=\"2001\"") == 3);
    g_string_free(s, TRUE);
    gchar *esc = rt_metrics_escape("a\"b\\c\nd");
    CHECK_STR(esc, "a\\\"b\\\\c\\nd");
    g_free(esc);
    rt_metrics_free(m);
}

int main(void)
{
    RUN(render_counters_and_gauges);
    UNIT_END("runtime/metrics");
}
