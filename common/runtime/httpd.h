/* Runs a libmicrohttpd daemon inside the GLib main loop: MHD in epoll mode exposes one fd, which
 * a GLib watch turns into MHD_run() calls; MHD's own timeout re-arms a GLib timer. */
#ifndef RT_HTTPD_H
#define RT_HTTPD_H
#include <microhttpd.h>

typedef struct rt_httpd rt_httpd_t;

/* Flags for MHD_start_daemon that make it fit: use with rt_httpd_attach. */
#define RT_HTTPD_MHD_FLAGS (MHD_USE_EPOLL | MHD_USE_ERROR_LOG)

rt_httpd_t *rt_httpd_attach(struct MHD_Daemon *d);
/* Call after resuming a suspended connection or queueing work from outside MHD callbacks. */
void rt_httpd_kick(rt_httpd_t *h);
/* Removes the watches and stops the daemon. */
void rt_httpd_free(rt_httpd_t *h);
struct MHD_Daemon *rt_httpd_daemon(rt_httpd_t *h);
/* Port actually bound (useful with port 0). */
unsigned rt_httpd_port(rt_httpd_t *h);

#endif
