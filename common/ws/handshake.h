/* RFC 6455 §4.2 opening handshake, server side and pure: checks the headers of an upgrade request
 * and computes Sec-WebSocket-Accept. The HTTP server (libmicrohttpd) hands the headers in and
 * sends the answer; method, path and token checks stay with it. */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include <stddef.h>

/* RFC 6455 §1.3: the GUID appended to the client's key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24    /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* base64 of a 20-byte SHA-1 */
#define WS_VERSION "13"

typedef struct {
    const char *name;
    const char *value;
} ws_http_header;

typedef struct {
    /* 101: go ahead. 400: malformed request. 426: not a version-13 WebSocket upgrade; the answer
     * carries "Upgrade: websocket" (RFC 9110 §15.5.22) and "Sec-WebSocket-Version: 13"
     * (RFC 6455 §4.4). */
    int status;
    const char *reason;             /* static text for the log and the response body */
    char key[WS_KEY_LEN + 1];       /* the client's Sec-WebSocket-Key (status 101) */
    char accept[WS_ACCEPT_LEN + 1]; /* the Sec-WebSocket-Accept to send (status 101) */
} ws_handshake;

/* RFC 6455 §4.2.2 step 5.4: base64(SHA-1(key + GUID)), NUL-terminated into out. */
void ws_accept_compute(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* Checks an upgrade request's headers (names case-insensitive, repeated names allowed as HTTP
 * sends them) per RFC 6455 §4.2.1: Host present; Upgrade lists "websocket"; Connection lists
 * "Upgrade"; exactly one Sec-WebSocket-Key that is base64 of 16 bytes; exactly one
 * Sec-WebSocket-Version equal to 13. Fills *hs and returns hs->status. */
int ws_handshake_check(const ws_http_header *headers, size_t n, ws_handshake *hs);

#endif
