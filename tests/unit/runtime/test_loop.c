/* One GLib main loop carries every event source the daemons use: a sofia-sip su_root (su_glib),
 * a libnice agent gathering candidates, and libmicrohttpd (the admin listener) answering a
 * request, all at the same time on the default main context. */
#include <agent.h>
#include <gio/gio.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_wait.h>

#include "runtime/admin.h"
#include "unit.h"

typedef struct {
    GMainLoop *loop;
    int su_timer_fired;
    int nice_gathered;
    char http[256];
    int http_done;
} state_t;

static void on_su_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
    state_t *s = (state_t *)arg;
    s->su_timer_fired++;
}

static void on_gathered(NiceAgent *agent, guint stream_id, gpointer ud)
{
    state_t *s = ud;
    s->nice_gathered++;
}

static gpointer http_get(gpointer ud)
{
    state_t *s = ud;
    GSocketClient *c = g_socket_client_new();
    GSocketConnection *conn = g_socket_client_connect_to_host(c, "127.0.30.1", 39090, NULL, NULL);
    if (conn) {
        const char *req = "GET /health HTTP/1.0\r\n\r\n";
        GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
        g_output_stream_write_all(out, req, strlen(req), NULL, NULL, NULL);
        GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
        gsize n = 0;
        g_input_stream_read_all(in, s->http, sizeof s->http - 1, &n, NULL, NULL);
        s->http[n] = 0;
        g_object_unref(conn);
    }
    g_object_unref(c);
    g_atomic_int_set(&s->http_done, 1);
    return NULL;
}

static gboolean check_done(gpointer ud)
{
    state_t *s = ud;
    if (s->su_timer_fired && s->nice_gathered && g_atomic_int_get(&s->http_done)) {
        g_main_loop_quit(s->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean give_up(gpointer ud)
{
    g_main_loop_quit(((state_t *)ud)->loop);
    return G_SOURCE_REMOVE;
}

TEST(sofia_nice_and_mhd_share_one_loop)
{
    state_t s = {0};
    s.loop = g_main_loop_new(NULL, FALSE);
    su_init();
    su_root_t *root = su_glib_root_create(NULL);
    CHECK(root != NULL);
    GSource *su_src = su_glib_root_gsource(root);
    g_source_attach(su_src, NULL);
    su_timer_t *t = su_timer_create(su_root_task(root), 50);
    su_timer_set(t, on_su_timer, (su_timer_arg_t *)&s);

    NiceAgent *agent = nice_agent_new(g_main_context_default(), NICE_COMPATIBILITY_RFC5245);
    g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_gathered), &s);
    guint stream = nice_agent_add_stream(agent, 1);
    NiceAddress base;
    nice_address_init(&base);
    nice_address_set_from_string(&base, "127.0.30.1");
    nice_agent_add_local_address(agent, &base);
    nice_agent_attach_recv(agent, stream, 1, g_main_context_default(), NULL, NULL);
    CHECK(nice_agent_gather_candidates(agent, stream));

    rt_metrics_t *m = rt_metrics_new("t_");
    rt_admin_t *admin = rt_admin_start("test", "127.0.30.1", 39090, m, NULL);
    CHECK(admin != NULL);
    GThread *th = g_thread_new("http", http_get, &s);

    g_timeout_add(10, check_done, &s);
    guint guard = g_timeout_add(5000, give_up, &s);
    g_main_loop_run(s.loop);
    g_source_remove(guard);
    g_thread_join(th);

    CHECK(s.su_timer_fired >= 1);
    CHECK_INT(s.nice_gathered, 1);
    CHECK(strstr(s.http, "200 OK") != NULL);
    CHECK(strstr(s.http, "\"status\":\"ok\"") != NULL);

    rt_admin_free(admin);
    rt_metrics_free(m);
    g_object_unref(agent);
    su_timer_destroy(t);
    g_source_destroy(su_src);
    su_root_destroy(root);
    su_deinit();
    g_main_loop_unref(s.loop);
}

int main(void)
{
    RUN(sofia_nice_and_mhd_share_one_loop);
    UNIT_END("runtime/loop");
}
