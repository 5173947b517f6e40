/* GLib integration of libmicrohttpd (see httpd.h). */
#include "runtime/httpd.h"

#include <glib-unix.h>
#include <glib.h>

struct rt_httpd {
    struct MHD_Daemon *d;
    guint io_id, timer_id, idle_id;
};

static void rearm(rt_httpd_t *h);

static gboolean on_timer(gpointer ud)
{
    rt_httpd_t *h = ud;
    h->timer_id = 0;
    MHD_run(h->d);
    rearm(h);
    return G_SOURCE_REMOVE;
}

static void rearm(rt_httpd_t *h)
{
    MHD_UNSIGNED_LONG_LONG to = 0;
    if (h->timer_id) g_source_remove(h->timer_id);
    h->timer_id = 0;
    if (MHD_get_timeout(h->d, &to) == MHD_YES)
        h->timer_id = g_timeout_add(to > 1000 ? 1000 : (guint)to, on_timer, h);
    else
        h->timer_id = g_timeout_add(1000, on_timer, h);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer ud)
{
    rt_httpd_t *h = ud;
    MHD_run(h->d);
    rearm(h);
    return G_SOURCE_CONTINUE;
}

static gboolean on_idle(gpointer ud)
{
    rt_httpd_t *h = ud;
    h->idle_id = 0;
    MHD_run(h->d);
    rearm(h);
    return G_SOURCE_REMOVE;
}

rt_httpd_t *rt_httpd_attach(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info) return NULL;
    rt_httpd_t *h = g_new0(rt_httpd_t, 1);
    h->d = d;
    h->io_id = g_unix_fd_add(info->epoll_fd, G_IO_IN, on_io, h);
    rearm(h);
    return h;
}

void rt_httpd_kick(rt_httpd_t *h)
{
    if (h && !h->idle_id) h->idle_id = g_idle_add(on_idle, h);
}

struct MHD_Daemon *rt_httpd_daemon(rt_httpd_t *h)
{
    return h->d;
}

unsigned rt_httpd_port(rt_httpd_t *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void rt_httpd_free(rt_httpd_t *h)
{
    if (!h) return;
    if (h->io_id) g_source_remove(h->io_id);
    if (h->timer_id) g_source_remove(h->timer_id);
    if (h->idle_id) g_source_remove(h->idle_id);
    MHD_stop_daemon(h->d);
    g_free(h);
}
