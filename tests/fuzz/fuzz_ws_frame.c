/* libFuzzer target for the WebSocket reader: arbitrary bytes go through the stream parser and
 * message assembler twice, all at once and in small chunks as a socket would deliver them; both
 * runs must see the same messages, every text message must be UTF-8 within the size limit, and
 * every message must survive a re-encode through the encoder. */
#include "ws/frame.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    size_t events;
} trace;

static void mix(trace *t, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        t->hash = (t->hash ^ b[i]) * 0x100000001b3ULL;
}

static void record(trace *t, int status, const ws_message *m, const ws_error *e)
{
    t->events++;
    mix(t, &status, sizeof(status));
    if (status == WS_ERROR) {
        mix(t, &e->close_code, sizeof(e->close_code));
        return;
    }
    mix(t, &m->kind, sizeof(m->kind));
    mix(t, &m->len, sizeof(m->len));
    if (m->len) mix(t, m->data, m->len);
    mix(t, &m->close_code, sizeof(m->close_code));
}

/* Re-encodes a delivered message as a client frame and reads it back. */
static void reencode(const ws_message *m, size_t max)
{
    static const uint8_t key[4] = {1, 2, 3, 4};
    GByteArray *s = g_byte_array_new();
    bool ok = false;
    ws_msg_kind want = m->kind;
    switch (m->kind) {
    case WS_MSG_TEXT:
        ok = ws_frame_append(s, true, WS_OP_TEXT, m->data, m->len, key);
        break;
    case WS_MSG_BINARY:
        ok = ws_frame_append(s, true, WS_OP_BINARY, m->data, m->len, key);
        break;
    case WS_MSG_PING:
        ok = ws_frame_append(s, true, WS_OP_PING, m->data, m->len, key);
        break;
    case WS_MSG_PONG:
        ok = ws_frame_append(s, true, WS_OP_PONG, m->data, m->len, key);
        break;
    case WS_MSG_CLOSE:
        ok = ws_frame_append(s, true, WS_OP_CLOSE, m->data, m->len, key);
        break;
    default:
        break;
    }
    if (!ok) abort();
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, max);
    ws_message back;
    ws_error e;
    size_t used;
    if (ws_reader_feed(&r, s->data, s->len, &used, &back, &e) != WS_OK || used != s->len ||
        back.kind != want || back.len != m->len || (m->len && memcmp(back.data, m->data, m->len)))
        abort();
    if (want == WS_MSG_CLOSE && back.close_code != m->close_code) abort();
    ws_reader_clear(&r);
    g_byte_array_unref(s);
}

/* GLib's validator as the reference; it refuses U+0000, which is valid UTF-8, so NULs become 01. */
static bool glib_utf8(const void *p, size_t n)
{
    char *c = g_malloc(n + 1);
    if (n) memcpy(c, p, n);
    for (size_t i = 0; i < n; i++)
        if (!c[i]) c[i] = 1;
    bool ok = g_utf8_validate_len(c, n, NULL);
    g_free(c);
    return ok;
}

static void check_message(const ws_message *m, size_t max)
{
    if (m->kind == WS_MSG_TEXT || m->kind == WS_MSG_BINARY) {
        if (m->len > max) abort();
        if (m->kind == WS_MSG_TEXT && !glib_utf8(m->data, m->len)) abort();
    } else if (m->kind != WS_MSG_NONE && m->len > WS_MAX_CONTROL_PAYLOAD) {
        abort();
    }
    if (m->kind == WS_MSG_CLOSE) {
        if (m->close_code != WS_CLOSE_NO_STATUS && !ws_close_code_valid(m->close_code)) abort();
        if (!glib_utf8(m->close_reason, m->close_reason_len)) abort();
    }
    if (m->kind != WS_MSG_NONE) reencode(m, max);
}

/* Delivers data in chunks of the given size (0 = all at once) the way an I/O loop would: append
 * what arrived, read frames while complete ones are buffered, drop what was consumed. */
static trace run(const uint8_t *data, size_t size, ws_role role, size_t max, size_t chunk)
{
    trace t = {0xcbf29ce484222325ULL, 0};
    ws_reader r;
    ws_reader_init(&r, role, max);
    GByteArray *in = g_byte_array_new();
    size_t off = 0;
    bool done = false;
    while (!done && off < size) {
        size_t n = chunk ? chunk : size;
        if (n > size - off) n = size - off;
        g_byte_array_append(in, data + off, (guint)n);
        off += n;
        for (;;) {
            ws_message m;
            ws_error e;
            size_t used = 0;
            ws_status st = ws_reader_feed(&r, in->data, in->len, &used, &m, &e);
            if (st == WS_NEED_MORE) {
                if (used != 0) abort();
                break;
            }
            record(&t, st, &m, &e);
            if (st == WS_ERROR) {
                if (e.close_code != 1002 && e.close_code != 1007 && e.close_code != 1009) abort();
                done = true;
                break;
            }
            if (used == 0 || used > in->len) abort();
            check_message(&m, max);
            g_byte_array_remove_range(in, 0, (guint)used);
            if (m.kind == WS_MSG_CLOSE) {
                done = true; /* RFC 6455 §5.5.1: nothing is read after a Close */
                break;
            }
        }
    }
    ws_reader_clear(&r);
    g_byte_array_unref(in);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    ws_role role = (data[0] & 1) ? WS_READ_SERVER_FRAMES : WS_READ_CLIENT_FRAMES;
    size_t max = 16u << ((data[0] >> 1) & 7); /* 16 B .. 2 KiB: limits are reachable */
    size_t chunk = 1 + data[1] % 17;
    data += 2;
    size -= 2;
    trace whole = run(data, size, role, max, 0);
    trace pieces = run(data, size, role, max, chunk);
    if (whole.hash != pieces.hash || whole.events != pieces.events) abort();
    return 0;
}
