/* The WIC-facing HTTP server of the wtpf (libmicrohttpd in the GLib loop): the WIC page and its
 * static files at /, POST /api/login (password check off the loop, throttling, signed tokens),
 * and GET /wic?token=... upgraded to a WebSocket that becomes a WIC session. HTTPS/WSS when a
 * certificate is configured (GnuTLS through libmicrohttpd). */
#ifndef WTPF_WIC_API_H
#define WTPF_WIC_API_H

#include <glib.h>

#include "runtime/metrics.h"
#include "wtpf/auth.h"
#include "wtpf/directory.h"
#include "wtpf/wic_session.h"
#include "wtpf/ws_conn.h"

typedef struct wic_api wic_api;

typedef struct {
    const char *address;
    unsigned port;
    const char *tls_cert; /* PEM file; with tls_key: HTTPS and WSS only */
    const char *tls_key;
    const char *www_dir; /* the WIC page; "" : search the compiled-in places */
    unsigned max_connections;
    unsigned per_ip_connections; /* 0: no limit */
    unsigned request_timeout;    /* s for an HTTP request (not for WebSockets) */
    unsigned connection_memory;  /* bytes of MHD's memory pool per connection (kept while a
                                    WebSocket lives: the main cost of an idle one) */
    auth_key key;
    unsigned token_lifetime; /* s */
    auth_throttle_cfg throttle;
    unsigned kdf_threads;        /* password checks run on this many threads */
    unsigned kdf_queue_max;      /* logins waiting for a thread before 503 */
    const char *identity_domain; /* ready.uri = tel:<number> */
} wic_api_cfg;

wic_api *wic_api_start(const wic_api_cfg *cfg, const wtpf_dir *dir, wic_sessions *sessions,
                       ws_hub *hub, rt_metrics_t *metrics, GError **err);
unsigned wic_api_port(const wic_api *a);
/* Stops the server; every WebSocket must be closed first (ws_hub_free). */
void wic_api_free(wic_api *a);
/* For ws_hub_set_httpd. */
rt_httpd_t *wic_api_httpd(wic_api *a);
/* Where the page's files were found (for the log). */
const char *wic_api_www_dir(const wic_api *a);

#endif
