/* Admin HTTP listener (/health, /metrics) on libmicrohttpd inside the GLib loop. */
#include "runtime/admin.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>

#include "runtime/httpd.h"
#include "runtime/log.h"

struct rt_admin {
    gchar *node;
    rt_metrics_t *metrics;
    rt_httpd_t *httpd;
    rt_health_fn health;
    void *health_ud;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             GString *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->str,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    rt_admin_t *a = cls;
    if (*upload_size) { /* admin requests have no body; drop any */
        *upload_size = 0;
        return MHD_YES;
    }
    GString *body = g_string_new(NULL);
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        g_string_append(body, "method not allowed\n");
        ret = reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", body);
    } else if (strcmp(url, "/health") == 0) {
        GString *detail = g_string_new(NULL);
        gboolean ok = a->health ? a->health(detail, a->health_ud) : TRUE;
        g_string_printf(body, "{\"node\":\"%s\",\"status\":\"%s\"%s%s}\n", a->node,
                        ok ? "ok" : "degraded", detail->len ? "," : "", detail->str);
        g_string_free(detail, TRUE);
        ret = reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body);
    } else if (strcmp(url, "/metrics") == 0) {
        GString *m = rt_metrics_render(a->metrics);
        ret = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", m);
        g_string_free(m, TRUE);
    } else {
        g_string_append(body, "not found\n");
        ret = reply(c, MHD_HTTP_NOT_FOUND, "text/plain", body);
    }
    g_string_free(body, TRUE);
    return ret;
}

rt_admin_t *rt_admin_start(const char *node, const char *address, unsigned port,
                           rt_metrics_t *metrics, GError **err)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "admin: bad address %s",
                    address);
        return NULL;
    }
    rt_admin_t *a = g_new0(rt_admin_t, 1);
    a->node = g_strdup(node);
    a->metrics = metrics;
    struct MHD_Daemon *d = MHD_start_daemon(
        RT_HTTPD_MHD_FLAGS, port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_CONNECTION_LIMIT, 64, MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
    if (!d) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "admin: cannot listen on %s:%u", address,
                    port);
        g_free(a->node);
        g_free(a);
        return NULL;
    }
    a->httpd = rt_httpd_attach(d);
    return a;
}

void rt_admin_set_health(rt_admin_t *a, rt_health_fn fn, void *ud)
{
    a->health = fn;
    a->health_ud = ud;
}

unsigned rt_admin_port(rt_admin_t *a)
{
    return rt_httpd_port(a->httpd);
}

void rt_admin_free(rt_admin_t *a)
{
    if (!a) return;
    rt_httpd_free(a->httpd);
    g_free(a->node);
    g_free(a);
}
