/* WebSocket connections (RFC 6455) on top of libmicrohttpd's upgrade: after the 101, the socket
 * MHD hands over is read and written from the GLib loop with the framing of common/ws. The hub
 * owns every connection: it answers pings, enforces the message size limit, closes with the
 * right status code, pings idle peers and drops the silent ones. */
#ifndef WTPF_WS_CONN_H
#define WTPF_WS_CONN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/httpd.h"
#include "runtime/metrics.h"

typedef struct ws_hub ws_hub;
typedef struct ws_conn ws_conn;

typedef struct {
    /* A complete text message (valid UTF-8, len <= max_message; not NUL-terminated). */
    void (*on_text)(ws_conn *c, const char *text, size_t len, void *ud);
    /* The connection is closed (code: ours or the peer's; 1006 when the TCP link just went).
     * Called once; the connection must not be used afterwards. */
    void (*on_closed)(ws_conn *c, unsigned code, const char *reason, void *ud);
} ws_conn_cbs;

typedef struct {
    size_t max_message;     /* RFC 6455 §10.4 bound on a reassembled message */
    unsigned ping_interval; /* s of silence from the peer before we ping (0: never) */
    unsigned idle_timeout;  /* s of silence after which the peer is dropped (0: never) */
    size_t send_buffer_max; /* bytes queued toward a slow reader before it is dropped */
    unsigned close_timeout; /* s to wait for the peer's Close after ours */
} ws_hub_cfg;

ws_hub *ws_hub_new(const ws_hub_cfg *cfg, rt_metrics_t *metrics);
/* The MHD daemon whose upgraded sockets the hub uses (kicked after each close). */
void ws_hub_set_httpd(ws_hub *h, rt_httpd_t *httpd);
/* Closes every connection at once (Close frame best effort) and frees the hub. */
void ws_hub_free(ws_hub *h);
unsigned ws_hub_count(const ws_hub *h);
/* Sends Close(code, reason) to every connection (graceful stop). */
void ws_hub_close_all(ws_hub *h, unsigned code, const char *reason);

/* Takes over an upgraded MHD connection (call from the MHD upgrade handler). extra holds the
 * bytes MHD read past the HTTP request. peer names the client in logs. */
ws_conn *ws_hub_adopt(ws_hub *h, struct MHD_UpgradeResponseHandle *urh, int fd, const char *extra,
                      size_t extra_len, const char *peer, const ws_conn_cbs *cbs, void *ud);

/* Processes bytes as if received from the peer (MHD's read-ahead past the HTTP request). */
void ws_conn_feed(ws_conn *c, const char *data, size_t len);
/* Queues one text message; false if the connection is closing or its send buffer is full (it
 * is then dropped). */
bool ws_conn_send_text(ws_conn *c, const char *text, size_t len);
/* Starts the closing handshake with code and reason (RFC 6455 §7.1.2). on_closed follows. */
void ws_conn_close(ws_conn *c, unsigned code, const char *reason);
const char *ws_conn_peer(const ws_conn *c);
void ws_conn_set_ud(ws_conn *c, void *ud);

#endif
