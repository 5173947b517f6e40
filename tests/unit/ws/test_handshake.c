/* RFC 6455 §4 opening handshake: the §1.3 accept value and the status answered to each kind of
 * broken upgrade request. */
#include "unit.h"
#include "ws/handshake.h"

#include <glib.h>

#define MAXH 12

typedef struct {
    ws_http_header h[MAXH];
    size_t n;
} req;

/* A browser's upgrade request (Chromium's header set). */
static req good_request(void)
{
    req r = {.n = 0};
    r.h[r.n++] = (ws_http_header){"Host", "127.0.10.1:8080"};
    r.h[r.n++] = (ws_http_header){"Connection", "Upgrade"};
    r.h[r.n++] = (ws_http_header){"Pragma", "no-cache"};
    r.h[r.n++] = (ws_http_header){"Upgrade", "websocket"};
    r.h[r.n++] = (ws_http_header){"Origin", "http://127.0.10.1:8080"};
    r.h[r.n++] = (ws_http_header){"Sec-WebSocket-Version", "13"};
    r.h[r.n++] = (ws_http_header){"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="};
    r.h[r.n++] =
        (ws_http_header){"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"};
    return r;
}

static void set(req *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->n; i++)
        if (g_ascii_strcasecmp(r->h[i].name, name) == 0) {
            r->h[i].value = value;
            return;
        }
    r->h[r->n++] = (ws_http_header){name, value};
}

static void drop(req *r, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (g_ascii_strcasecmp(r->h[i].name, name) != 0) r->h[k++] = r->h[i];
    r->n = k;
}

static int check(req *r)
{
    ws_handshake hs;
    int st = ws_handshake_check(r->h, r->n, &hs);
    CHECK_INT(hs.status, st);
    CHECK(hs.reason != NULL);
    return st;
}

TEST(rfc_accept_example)
{
    char out[WS_ACCEPT_LEN + 1];
    ws_accept_compute("dGhlIHNhbXBsZSBub25jZQ==", out);
    CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ws_accept_compute("x3JJHMbDL1EzLkh9GBhXDw==", out);
    CHECK_STR(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(valid_request)
{
    req r = good_request();
    ws_handshake hs;
    CHECK_INT(ws_handshake_check(r.h, r.n, &hs), 101);
    CHECK_STR(hs.key, "dGhlIHNhbXBsZSBub25jZQ==");
    CHECK_STR(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

/* Firefox sends "keep-alive, Upgrade"; names and tokens are case-insensitive; values may carry
 * surrounding whitespace. */
TEST(valid_request_variants)
{
    req r = good_request();
    set(&r, "Connection", "keep-alive, Upgrade");
    CHECK_INT(check(&r), 101);
    r = good_request();
    drop(&r, "Upgrade");
    drop(&r, "Connection");
    set(&r, "upgrade", "WebSocket");
    set(&r, "CONNECTION", " keep-alive ,upgrade ");
    set(&r, "sec-websocket-key", " AQIDBAUGBwgJCgsMDQ4PEA== ");
    set(&r, "sec-websocket-version", "13 ");
    ws_handshake hs;
    CHECK_INT(ws_handshake_check(r.h, r.n, &hs), 101);
    CHECK_STR(hs.key, "AQIDBAUGBwgJCgsMDQ4PEA==");
    CHECK_STR(hs.accept, "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    /* the Upgrade token may sit in a repeated header */
    r = good_request();
    set(&r, "Connection", "keep-alive");
    r.h[r.n++] = (ws_http_header){"Connection", "Upgrade"};
    CHECK_INT(check(&r), 101);
}

TEST(missing_host_is_400)
{
    req r = good_request();
    drop(&r, "Host");
    CHECK_INT(check(&r), 400);
}

TEST(not_an_upgrade_is_426)
{
    req r = good_request();
    drop(&r, "Upgrade");
    CHECK_INT(check(&r), 426);
    r = good_request();
    set(&r, "Upgrade", "h2c");
    CHECK_INT(check(&r), 426);
    r = good_request();
    set(&r, "Upgrade", "websockets");
    CHECK_INT(check(&r), 426);
    r = good_request();
    drop(&r, "Connection");
    CHECK_INT(check(&r), 426);
    r = good_request();
    set(&r, "Connection", "keep-alive, Upgraded");
    CHECK_INT(check(&r), 426);
    r = good_request();
    set(&r, "Connection", NULL);
    CHECK_INT(check(&r), 426);
}

TEST(bad_key_is_400)
{
    const char *bad[] = {"",
                         "dGhlIHNhbXBsZSBub25jZQ=",   /* 23 chars */
                         "dGhlIHNhbXBsZSBub25jZQ===", /* 25 chars */
                         "dGhlIHNhbXBsZSBub25jZQAA",  /* no padding: 18 bytes */
                         "dGhlIHNhbXBsZSBub25j*Q==",  /* not base64 */
                         "dGhlIHNhbXBsZSBub25jZ Q=",  /* inner space */
                         "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ=="};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        req r = good_request();
        set(&r, "Sec-WebSocket-Key", bad[i]);
        CHECK_INT(check(&r), 400);
    }
    req r = good_request();
    drop(&r, "Sec-WebSocket-Key");
    CHECK_INT(check(&r), 400);
    r = good_request();
    r.h[r.n++] = (ws_http_header){"Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA=="};
    CHECK_INT(check(&r), 400);
}

TEST(version)
{
    req r = good_request();
    drop(&r, "Sec-WebSocket-Version");
    CHECK_INT(check(&r), 400);
    const char *other[] = {"8", "12", "14", "13, 8", "", "013"};
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        r = good_request();
        set(&r, "Sec-WebSocket-Version", other[i]);
        CHECK_INT(check(&r), 426);
    }
    r = good_request();
    r.h[r.n++] = (ws_http_header){"Sec-WebSocket-Version", "13"};
    CHECK_INT(check(&r), 400);
}

int main(void)
{
    RUN(rfc_accept_example);
    RUN(valid_request);
    RUN(valid_request_variants);
    RUN(missing_host_is_400);
    RUN(not_an_upgrade_is_426);
    RUN(bad_key_is_400);
    RUN(version);
    UNIT_END("ws/handshake");
}
