/* RFC 6455 framing: the §5.7 example frames byte for byte, the reader's message assembly, and
 * every protocol error with the close code that goes on the wire. */
#include "unit.h"
#include "ws/frame.h"

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d}; /* RFC 6455 §5.7 masking key */

/* Feeds a whole buffer to the reader and expects one frame to be consumed. */
static ws_status feed1(ws_reader *r, const uint8_t *b, size_t n, ws_message *m, ws_error *e)
{
    size_t used = 0;
    ws_status st = ws_reader_feed(r, b, n, &used, m, e);
    if (st == WS_OK) CHECK_INT(used, n);
    return st;
}

/* Expects the bytes to fail a reader of the given role with the given close code. */
static void expect_error(ws_role role, size_t max, const uint8_t *b, size_t n, int code)
{
    ws_reader r;
    ws_reader_init(&r, role, max);
    ws_message m;
    ws_error e = {0, NULL};
    size_t used;
    CHECK_INT(ws_reader_feed(&r, b, n, &used, &m, &e), WS_ERROR);
    CHECK_INT(e.close_code, code);
    CHECK(e.reason != NULL && strlen(e.reason) <= WS_MAX_CLOSE_REASON);
    ws_reader_clear(&r);
}

static void expect_error_hex(ws_role role, const char *hex, int code)
{
    uint8_t b[64];
    size_t n = unit_hex(hex, b, sizeof(b));
    expect_error(role, 1 << 20, b, n, code);
}

TEST(rfc_hello_unmasked)
{
    uint8_t wire[16];
    size_t n = unit_hex("81 05 48 65 6c 6c 6f", wire, sizeof(wire));
    ws_reader r;
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
    ws_message m;
    ws_error e;
    CHECK_INT(feed1(&r, wire, n, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);

    GByteArray *out = g_byte_array_new();
    CHECK(ws_frame_append(out, true, WS_OP_TEXT, "Hello", 5, NULL));
    CHECK_INT(out->len, n);
    CHECK_MEM(out->data, wire, n);
    g_byte_array_unref(out);
}

TEST(rfc_hello_masked)
{
    uint8_t wire[16];
    size_t n = unit_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", wire, sizeof(wire));
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    ws_message m;
    ws_error e;
    CHECK_INT(feed1(&r, wire, n, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);

    GByteArray *out = g_byte_array_new();
    CHECK(ws_frame_append(out, true, WS_OP_TEXT, "Hello", 5, KEY));
    CHECK_INT(out->len, n);
    CHECK_MEM(out->data, wire, n);
    g_byte_array_unref(out);
}

TEST(rfc_fragmented_hel_lo)
{
    uint8_t wire[16];
    size_t n = unit_hex("01 03 48 65 6c 80 02 6c 6f", wire, sizeof(wire));
    ws_reader r;
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
    ws_message m;
    ws_error e;
    size_t used;
    CHECK_INT(ws_reader_feed(&r, wire, n, &used, &m, &e), WS_OK);
    CHECK_INT(used, 5);
    CHECK_INT(m.kind, WS_MSG_NONE);
    CHECK_INT(ws_reader_feed(&r, wire + 5, n - 5, &used, &m, &e), WS_OK);
    CHECK_INT(used, 4);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);

    GByteArray *out = g_byte_array_new();
    CHECK(ws_frame_append(out, false, WS_OP_TEXT, "Hel", 3, NULL));
    CHECK(ws_frame_append(out, true, WS_OP_CONT, "lo", 2, NULL));
    CHECK_INT(out->len, n);
    CHECK_MEM(out->data, wire, n);
    g_byte_array_unref(out);
}

TEST(rfc_ping_and_masked_pong)
{
    uint8_t ping[16], pong[16];
    size_t np = unit_hex("89 05 48 65 6c 6c 6f", ping, sizeof(ping));
    size_t nq = unit_hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58", pong, sizeof(pong));
    ws_reader r;
    ws_message m;
    ws_error e;
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
    CHECK_INT(feed1(&r, ping, np, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_PING);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    CHECK_INT(feed1(&r, pong, nq, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_PONG);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);

    GByteArray *out = g_byte_array_new();
    CHECK(ws_frame_append(out, true, WS_OP_PING, "Hello", 5, NULL));
    CHECK(ws_frame_append(out, true, WS_OP_PONG, "Hello", 5, KEY));
    CHECK_INT(out->len, np + nq);
    CHECK_MEM(out->data, ping, np);
    CHECK_MEM(out->data + np, pong, nq);
    g_byte_array_unref(out);
}

/* RFC 6455 §5.7: 256 bytes take the 16-bit length, 64 KiB the 64-bit length. */
static void binary_length_case(size_t len, const char *hdr_hex)
{
    uint8_t hdr[16];
    size_t hn = unit_hex(hdr_hex, hdr, sizeof(hdr));
    uint8_t *payload = malloc(len);
    for (size_t i = 0; i < len; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    GByteArray *out = g_byte_array_new();
    CHECK(ws_frame_append(out, true, WS_OP_BINARY, payload, len, NULL));
    CHECK_INT(out->len, hn + len);
    CHECK_MEM(out->data, hdr, hn);
    CHECK_MEM(out->data + hn, payload, len);

    ws_reader r;
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 65536);
    ws_message m;
    ws_error e;
    size_t used;
    /* the header alone, then all but the last byte: still waiting */
    CHECK_INT(ws_reader_feed(&r, out->data, hn, &used, &m, &e), WS_NEED_MORE);
    CHECK_INT(ws_reader_feed(&r, out->data, out->len - 1, &used, &m, &e), WS_NEED_MORE);
    CHECK_INT(used, 0);
    CHECK_INT(feed1(&r, out->data, out->len, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_BINARY);
    CHECK_INT(m.len, len);
    CHECK_MEM(m.data, payload, len);
    ws_reader_clear(&r);
    g_byte_array_unref(out);
    free(payload);
}

TEST(rfc_binary_256)
{
    binary_length_case(256, "82 7e 01 00");
}

TEST(rfc_binary_64k)
{
    binary_length_case(65536, "82 7f 00 00 00 00 00 01 00 00");
}

TEST(header_length_boundaries)
{
    uint8_t h[WS_MAX_HEADER];
    CHECK_INT(ws_frame_header_encode(h, true, WS_OP_BINARY, 125, NULL), 2);
    CHECK_INT(h[1], 125);
    CHECK_INT(ws_frame_header_encode(h, true, WS_OP_BINARY, 126, NULL), 4);
    CHECK_INT(h[1], 126);
    CHECK_INT(ws_frame_header_encode(h, true, WS_OP_BINARY, 65535, NULL), 4);
    CHECK_INT(h[2], 0xff);
    CHECK_INT(h[3], 0xff);
    CHECK_INT(ws_frame_header_encode(h, true, WS_OP_BINARY, 65536, KEY), 14);
    CHECK_INT(h[1], 0x80 | 127);
    CHECK_MEM(h + 10, KEY, 4);
}

TEST(byte_by_byte_arrival)
{
    uint8_t wire[16];
    size_t n = unit_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", wire, sizeof(wire));
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    ws_message m;
    ws_error e;
    size_t used = 99;
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(ws_reader_feed(&r, wire, i, &used, &m, &e), WS_NEED_MORE);
        CHECK_INT(used, 0);
    }
    CHECK_INT(feed1(&r, wire, n, &m, &e), WS_OK);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);
}

TEST(frames_back_to_back)
{
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, true, WS_OP_TEXT, "one", 3, KEY);
    ws_frame_append(s, true, WS_OP_BINARY, "\x00\x01", 2, KEY);
    ws_frame_append(s, true, WS_OP_TEXT, "", 0, KEY);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    ws_message m;
    ws_error e;
    size_t used, off = 0;
    CHECK_INT(ws_reader_feed(&r, s->data, s->len, &used, &m, &e), WS_OK);
    CHECK_INT(used, 9);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_MEM(m.data, "one", 3);
    off += used;
    CHECK_INT(ws_reader_feed(&r, s->data + off, s->len - off, &used, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_BINARY);
    CHECK_INT(m.len, 2);
    CHECK_MEM(m.data, "\x00\x01", 2);
    off += used;
    CHECK_INT(ws_reader_feed(&r, s->data + off, s->len - off, &used, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 0);
    off += used;
    CHECK_INT(off, s->len);
    CHECK_INT(ws_reader_feed(&r, s->data + off, 0, &used, &m, &e), WS_NEED_MORE);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
}

/* RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message. */
TEST(control_frames_between_fragments)
{
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, false, WS_OP_TEXT, "Hel", 3, KEY);
    ws_frame_append(s, true, WS_OP_PING, "p1", 2, KEY);
    ws_frame_append(s, false, WS_OP_CONT, "l", 1, KEY);
    ws_frame_append(s, true, WS_OP_PONG, "", 0, KEY);
    ws_frame_append(s, true, WS_OP_CONT, "o", 1, KEY);
    ws_msg_kind want[] = {WS_MSG_NONE, WS_MSG_PING, WS_MSG_NONE, WS_MSG_PONG, WS_MSG_TEXT};
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 5);
    ws_message m;
    ws_error e;
    size_t used, off = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        CHECK_INT(ws_reader_feed(&r, s->data + off, s->len - off, &used, &m, &e), WS_OK);
        CHECK_INT(m.kind, want[i]);
        if (m.kind == WS_MSG_PING) CHECK(m.len == 2 && memcmp(m.data, "p1", 2) == 0);
        off += used;
    }
    CHECK_INT(off, s->len);
    CHECK_INT(m.len, 5);
    CHECK_MEM(m.data, "Hello", 5);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
}

/* A large message followed by a small one: the reader drops the big buffer and stays correct. */
TEST(big_then_small_message)
{
    size_t big = 100000;
    uint8_t *payload = calloc(1, big);
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, true, WS_OP_BINARY, payload, big, KEY);
    ws_frame_append(s, true, WS_OP_TEXT, "hi", 2, KEY);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, big);
    ws_message m;
    ws_error e;
    size_t used;
    CHECK_INT(ws_reader_feed(&r, s->data, s->len, &used, &m, &e), WS_OK);
    CHECK_INT(m.len, big);
    CHECK_INT(ws_reader_feed(&r, s->data + used, s->len - used, &used, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 2);
    CHECK_MEM(m.data, "hi", 2);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
    free(payload);
}

/* ---- RFC 6455 protocol errors: 1002 ---- */

TEST(error_unmasked_client_frame)
{
    expect_error_hex(WS_READ_CLIENT_FRAMES, "81 05 48 65 6c 6c 6f", 1002);
    /* detected from the first two bytes, before the payload */
    expect_error_hex(WS_READ_CLIENT_FRAMES, "81 05", 1002);
}

TEST(error_masked_server_frame)
{
    expect_error_hex(WS_READ_SERVER_FRAMES, "81 85 37 fa 21 3d 7f 9f 4d 51 58", 1002);
}

TEST(error_reserved_bits)
{
    expect_error_hex(WS_READ_CLIENT_FRAMES, "c1 85 37 fa 21 3d 7f 9f 4d 51 58", 1002); /* RSV1 */
    expect_error_hex(WS_READ_CLIENT_FRAMES, "a1 85 37 fa 21 3d 7f 9f 4d 51 58", 1002); /* RSV2 */
    expect_error_hex(WS_READ_CLIENT_FRAMES, "91 85 37 fa 21 3d 7f 9f 4d 51 58", 1002); /* RSV3 */
    expect_error_hex(WS_READ_CLIENT_FRAMES, "c1", 1002); /* from the first byte */
}

TEST(error_reserved_opcodes)
{
    for (unsigned op = 0; op < 16; op++) {
        bool reserved = (op >= 3 && op <= 7) || op >= 0xB;
        uint8_t b[6] = {(uint8_t)(0x80 | op), 0x80, 1, 2, 3, 4};
        if (reserved) {
            expect_error(WS_READ_CLIENT_FRAMES, 1024, b, 6, 1002);
            expect_error(WS_READ_CLIENT_FRAMES, 1024, b, 1, 1002);
        }
        ws_frame_header h;
        ws_error e;
        CHECK_INT(ws_frame_parse_header(b, 6, WS_READ_CLIENT_FRAMES, &h, &e),
                  reserved ? WS_ERROR : WS_OK);
    }
}

TEST(error_fragmented_control)
{
    expect_error_hex(WS_READ_SERVER_FRAMES, "09 00", 1002); /* ping without FIN */
    expect_error_hex(WS_READ_SERVER_FRAMES, "08 02 03 e8", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "0a", 1002);
}

TEST(error_control_too_long)
{
    /* 126-byte ping: refused from its second byte, before the extended length arrives */
    expect_error_hex(WS_READ_SERVER_FRAMES, "89 7e", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "89 7e 00 7e", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "88 7f", 1002);
    /* 125 bytes is the largest control payload */
    uint8_t b[2 + 125] = {0x89, 125};
    ws_reader r;
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 16);
    ws_message m;
    ws_error e;
    CHECK_INT(feed1(&r, b, sizeof(b), &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_PING);
    CHECK_INT(m.len, 125);
    ws_reader_clear(&r);
}

TEST(error_bad_continuation_sequence)
{
    /* continuation with no message open */
    expect_error_hex(WS_READ_SERVER_FRAMES, "80 02 6c 6f", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "00 02 6c 6f", 1002);
    /* a new text or binary frame while a message is open */
    ws_reader r;
    ws_message m;
    ws_error e;
    uint8_t b[16];
    const char *second[] = {"81 02 6c 6f", "02 02 6c 6f", "82 00"};
    for (size_t i = 0; i < G_N_ELEMENTS(second); i++) {
        ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
        size_t n = unit_hex("01 03 48 65 6c", b, sizeof(b));
        CHECK_INT(feed1(&r, b, n, &m, &e), WS_OK);
        n = unit_hex(second[i], b, sizeof(b));
        CHECK_INT(feed1(&r, b, n, &m, &e), WS_ERROR);
        CHECK_INT(e.close_code, 1002);
        ws_reader_clear(&r);
    }
    /* after a complete message, a continuation is again out of sequence */
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
    size_t n = unit_hex("81 02 68 69", b, sizeof(b));
    CHECK_INT(feed1(&r, b, n, &m, &e), WS_OK);
    n = unit_hex("80 01 21", b, sizeof(b));
    CHECK_INT(feed1(&r, b, n, &m, &e), WS_ERROR);
    CHECK_INT(e.close_code, 1002);
    ws_reader_clear(&r);
}

TEST(error_length_encoding)
{
    /* RFC 6455 §5.2: minimal length encoding, top bit of the 64-bit length clear */
    expect_error_hex(WS_READ_SERVER_FRAMES, "82 7e 00 7d", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "82 7f 00 00 00 00 00 00 ff ff", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "82 7f 80 00 00 00 00 00 00 00", 1002);
}

/* ---- 1009: message too big, from the announced length ---- */

TEST(error_too_big_from_header)
{
    uint8_t h[WS_MAX_HEADER];
    /* only the header is present: the error comes before any payload is buffered */
    size_t n = ws_frame_header_encode(h, true, WS_OP_BINARY, 1001, KEY);
    expect_error(WS_READ_CLIENT_FRAMES, 1000, h, n, 1009);
    n = ws_frame_header_encode(h, true, WS_OP_TEXT, (uint64_t)1 << 62, KEY);
    expect_error(WS_READ_CLIENT_FRAMES, 1000, h, n, 1009);
    /* exactly the limit is fine: the reader waits for the payload */
    n = ws_frame_header_encode(h, true, WS_OP_BINARY, 1000, KEY);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1000);
    ws_message m;
    ws_error e;
    size_t used;
    CHECK_INT(ws_reader_feed(&r, h, n, &used, &m, &e), WS_NEED_MORE);
    ws_reader_clear(&r);
}

TEST(error_too_big_across_fragments)
{
    uint8_t part[600] = {0};
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, false, WS_OP_BINARY, part, 600, KEY);
    guint first = s->len;
    uint8_t h[WS_MAX_HEADER];
    size_t hn = ws_frame_header_encode(h, true, WS_OP_CONT, 401, KEY);
    g_byte_array_append(s, h, (guint)hn);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1000);
    ws_message m;
    ws_error e;
    size_t used;
    CHECK_INT(ws_reader_feed(&r, s->data, s->len, &used, &m, &e), WS_OK);
    CHECK_INT(used, first);
    CHECK_INT(ws_reader_feed(&r, s->data + first, s->len - first, &used, &m, &e), WS_ERROR);
    CHECK_INT(e.close_code, 1009);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
}

TEST(frame_parse_standalone)
{
    uint8_t wire[16];
    size_t n = unit_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", wire, sizeof(wire));
    ws_frame f;
    ws_error e;
    size_t used;
    CHECK_INT(ws_frame_parse(wire, n - 1, WS_READ_CLIENT_FRAMES, 100, &f, &used, &e), WS_NEED_MORE);
    CHECK_INT(ws_frame_parse(wire, n, WS_READ_CLIENT_FRAMES, 100, &f, &used, &e), WS_OK);
    CHECK_INT(used, n);
    CHECK(f.h.fin && f.h.masked && f.h.opcode == WS_OP_TEXT);
    CHECK_INT(f.h.header_len, 6);
    CHECK_INT(f.h.payload_len, 5);
    CHECK_MEM(f.h.mask_key, KEY, 4);
    uint8_t p[5];
    memcpy(p, f.payload, 5);
    /* unmasking in two pieces equals unmasking at once */
    ws_mask(p, 2, f.h.mask_key, 0);
    ws_mask(p + 2, 3, f.h.mask_key, 2);
    CHECK_MEM(p, "Hello", 5);
    CHECK_INT(ws_frame_parse(wire, 6, WS_READ_CLIENT_FRAMES, 4, &f, &used, &e), WS_ERROR);
    CHECK_INT(e.close_code, 1009);
}

/* ---- 1007: invalid UTF-8 in text ---- */

TEST(error_invalid_utf8_single_frame)
{
    const char *bad[] = {"\xc0\xaf",         /* overlong '/' */
                         "\xe0\x80\xaf",     /* overlong 3-byte */
                         "\xed\xa0\x80",     /* UTF-16 surrogate */
                         "\xf4\x90\x80\x80", /* above U+10FFFF */
                         "\xf8\x88\x80\x80\x80",
                         "\xff",
                         "\x80",
                         "Hello\xce\xba\xe1\xbd"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GByteArray *s = g_byte_array_new();
        ws_frame_append(s, true, WS_OP_TEXT, bad[i], strlen(bad[i]), KEY);
        expect_error(WS_READ_CLIENT_FRAMES, 1024, s->data, s->len, 1007);
        g_byte_array_unref(s);
        /* the same bytes are fine in a binary message */
        s = g_byte_array_new();
        ws_frame_append(s, true, WS_OP_BINARY, bad[i], strlen(bad[i]), KEY);
        ws_reader r;
        ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
        ws_message m;
        ws_error e;
        CHECK_INT(feed1(&r, s->data, s->len, &m, &e), WS_OK);
        ws_reader_clear(&r);
        g_byte_array_unref(s);
    }
}

TEST(utf8_across_fragments)
{
    /* "€" = E2 82 AC split over three fragments is valid */
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, false, WS_OP_TEXT, "\xe2", 1, KEY);
    ws_frame_append(s, false, WS_OP_CONT, "\x82", 1, KEY);
    ws_frame_append(s, true, WS_OP_CONT, "\xac", 1, KEY);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    ws_message m;
    ws_error e;
    size_t used, off = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_INT(ws_reader_feed(&r, s->data + off, s->len - off, &used, &m, &e), WS_OK);
        off += used;
    }
    CHECK_INT(m.kind, WS_MSG_TEXT);
    CHECK_INT(m.len, 3);
    CHECK_MEM(m.data, "\xe2\x82\xac", 3);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
}

TEST(error_utf8_fails_fast_in_first_fragment)
{
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, false, WS_OP_TEXT, "ok\xff", 3, KEY);
    expect_error(WS_READ_CLIENT_FRAMES, 1024, s->data, s->len, 1007);
    g_byte_array_unref(s);
}

TEST(error_utf8_cut_at_message_end)
{
    /* each fragment is a valid prefix, but the message ends inside a character */
    GByteArray *s = g_byte_array_new();
    ws_frame_append(s, false, WS_OP_TEXT, "a\xf0\x9f", 3, KEY);
    ws_frame_append(s, true, WS_OP_CONT, "\x98", 1, KEY);
    ws_reader r;
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    ws_message m;
    ws_error e;
    size_t used;
    CHECK_INT(ws_reader_feed(&r, s->data, s->len, &used, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_NONE);
    CHECK_INT(ws_reader_feed(&r, s->data + used, s->len - used, &used, &m, &e), WS_ERROR);
    CHECK_INT(e.close_code, 1007);
    ws_reader_clear(&r);
    g_byte_array_unref(s);
    /* and in a single frame */
    s = g_byte_array_new();
    ws_frame_append(s, true, WS_OP_TEXT, "\xe2\x82", 2, KEY);
    expect_error(WS_READ_CLIENT_FRAMES, 1024, s->data, s->len, 1007);
    g_byte_array_unref(s);
}

TEST(utf8_validator)
{
    const char *good[] = {"",
                          "plain ascii",
                          "\xc2\x80",
                          "\xdf\xbf",
                          "\xe0\xa0\x80",
                          "\xed\x9f\xbf",
                          "\xee\x80\x80",
                          "\xef\xbf\xbf",
                          "\xf0\x90\x80\x80",
                          "\xf4\x8f\xbf\xbf",
                          "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"};
    const char *bad[] = {
        "\xc1\xbf",         "\xe0\x9f\xbf", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xc2",         "\xc2\x41",     "\xe2\x28\xa1",     "\xbf"};
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        CHECK(ws_utf8_valid((const uint8_t *)good[i], strlen(good[i])));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        CHECK(!ws_utf8_valid((const uint8_t *)bad[i], strlen(bad[i])));
}

/* ---- Close frames ---- */

TEST(close_parse_codes)
{
    uint16_t code;
    const char *reason;
    size_t rlen;
    ws_error e;
    CHECK_INT(ws_close_parse((const uint8_t *)"", 0, &code, &reason, &rlen, &e), WS_OK);
    CHECK_INT(code, 1005);
    CHECK_INT(rlen, 0);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03\xe8"
                                              "bye",
                             5, &code, &reason, &rlen, &e),
              WS_OK);
    CHECK_INT(code, 1000);
    CHECK_INT(rlen, 3);
    CHECK_MEM(reason, "bye", 3);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03", 1, &code, &reason, &rlen, &e), WS_ERROR);
    CHECK_INT(e.close_code, 1002);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03\xe8\xff", 3, &code, &reason, &rlen, &e),
              WS_ERROR);
    CHECK_INT(e.close_code, 1007);

    unsigned valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                        1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    unsigned invalid[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
        uint8_t b[2] = {(uint8_t)(valid[i] >> 8), (uint8_t)valid[i]};
        CHECK(ws_close_code_valid(valid[i]));
        CHECK_INT(ws_close_parse(b, 2, &code, &reason, &rlen, &e), WS_OK);
        CHECK_INT(code, valid[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(invalid); i++) {
        uint8_t b[2] = {(uint8_t)(invalid[i] >> 8), (uint8_t)invalid[i]};
        CHECK(!ws_close_code_valid(invalid[i]));
        CHECK_INT(ws_close_parse(b, 2, &code, &reason, &rlen, &e), WS_ERROR);
        CHECK_INT(e.close_code, 1002);
    }
}

TEST(close_frame_through_reader)
{
    ws_reader r;
    ws_message m;
    ws_error e;
    GByteArray *s = g_byte_array_new();
    CHECK(ws_close_append(s, 1001, "going away", KEY));
    ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 1024);
    CHECK_INT(feed1(&r, s->data, s->len, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_CLOSE);
    CHECK_INT(m.close_code, 1001);
    CHECK_INT(m.close_reason_len, 10);
    CHECK_MEM(m.close_reason, "going away", 10);
    ws_reader_clear(&r);
    g_byte_array_unref(s);

    /* bad close payloads through the reader */
    expect_error_hex(WS_READ_SERVER_FRAMES, "88 01 03", 1002);
    expect_error_hex(WS_READ_SERVER_FRAMES, "88 02 03 ed", 1002); /* 1005 on the wire */
    expect_error_hex(WS_READ_SERVER_FRAMES, "88 04 03 e8 c3 28", 1007);
    /* an empty close reports 1005 */
    ws_reader_init(&r, WS_READ_SERVER_FRAMES, 1024);
    uint8_t b[2] = {0x88, 0x00};
    CHECK_INT(feed1(&r, b, 2, &m, &e), WS_OK);
    CHECK_INT(m.kind, WS_MSG_CLOSE);
    CHECK_INT(m.close_code, 1005);
    ws_reader_clear(&r);
}

TEST(close_build)
{
    uint8_t out[WS_MAX_CONTROL_PAYLOAD];
    CHECK_INT(ws_close_build(out, 1000, "bye"), 5);
    CHECK_MEM(out,
              "\x03\xe8"
              "bye",
              5);
    CHECK_INT(ws_close_build(out, 0, "ignored"), 0);
    CHECK_INT(ws_close_build(out, 1005, NULL), -1);
    CHECK_INT(ws_close_build(out, 1006, NULL), -1);
    CHECK_INT(ws_close_build(out, 999, NULL), -1);
    CHECK_INT(ws_close_build(out, 1009, NULL), 2);
    /* 62 two-byte characters (124 bytes) are cut to 61 whole ones */
    char reason[200] = "";
    for (int i = 0; i < 62; i++)
        strcat(reason, "\xc3\xa9");
    int n = ws_close_build(out, 4000, reason);
    CHECK_INT(n, 2 + 122);
    CHECK(ws_utf8_valid(out + 2, (size_t)n - 2));
    /* 200 ASCII bytes are cut to 123 */
    memset(reason, 'x', 199);
    reason[199] = '\0';
    CHECK_INT(ws_close_build(out, 1000, reason), 125);
    GByteArray *s = g_byte_array_new();
    CHECK(!ws_close_append(s, 1015, "", NULL));
    CHECK_INT(s->len, 0);
    g_byte_array_unref(s);
}

TEST(encoder_refuses_invalid_frames)
{
    GByteArray *s = g_byte_array_new();
    uint8_t big[126] = {0};
    CHECK(!ws_frame_append(s, true, WS_OP_PING, big, 126, NULL));
    CHECK(!ws_frame_append(s, false, WS_OP_PING, big, 1, NULL));
    CHECK(!ws_frame_append(s, true, (ws_opcode)3, big, 1, NULL));
    CHECK(!ws_frame_append(s, true, (ws_opcode)0xB, big, 1, NULL));
    CHECK_INT(s->len, 0);
    CHECK(ws_frame_append(s, true, WS_OP_PING, big, 125, NULL));
    CHECK_INT(s->len, 127);
    g_byte_array_unref(s);
}

TEST(roundtrip_sizes)
{
    size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 70000};
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        size_t n = sizes[i];
        uint8_t *p = malloc(n + 1);
        for (size_t j = 0; j < n; j++)
            p[j] = (uint8_t)('a' + j % 26);
        uint8_t key[4] = {(uint8_t)i, 0x55, 0xaa, 0xff};
        GByteArray *s = g_byte_array_new();
        CHECK(ws_frame_append(s, true, WS_OP_TEXT, p, n, key));
        ws_reader r;
        ws_reader_init(&r, WS_READ_CLIENT_FRAMES, 70000);
        ws_message m;
        ws_error e;
        CHECK_INT(feed1(&r, s->data, s->len, &m, &e), WS_OK);
        CHECK_INT(m.kind, WS_MSG_TEXT);
        CHECK_INT(m.len, n);
        if (n) CHECK_MEM(m.data, p, n);
        ws_reader_clear(&r);
        g_byte_array_unref(s);
        free(p);
    }
}

int main(void)
{
    RUN(rfc_hello_unmasked);
    RUN(rfc_hello_masked);
    RUN(rfc_fragmented_hel_lo);
    RUN(rfc_ping_and_masked_pong);
    RUN(rfc_binary_256);
    RUN(rfc_binary_64k);
    RUN(header_length_boundaries);
    RUN(byte_by_byte_arrival);
    RUN(frames_back_to_back);
    RUN(control_frames_between_fragments);
    RUN(big_then_small_message);
    RUN(error_unmasked_client_frame);
    RUN(error_masked_server_frame);
    RUN(error_reserved_bits);
    RUN(error_reserved_opcodes);
    RUN(error_fragmented_control);
    RUN(error_control_too_long);
    RUN(error_bad_continuation_sequence);
    RUN(error_length_encoding);
    RUN(error_too_big_from_header);
    RUN(error_too_big_across_fragments);
    RUN(frame_parse_standalone);
    RUN(error_invalid_utf8_single_frame);
    RUN(utf8_across_fragments);
    RUN(error_utf8_fails_fast_in_first_fragment);
    RUN(error_utf8_cut_at_message_end);
    RUN(utf8_validator);
    RUN(close_parse_codes);
    RUN(close_frame_through_reader);
    RUN(close_build);
    RUN(encoder_refuses_invalid_frames);
    RUN(roundtrip_sizes);
    UNIT_END("ws/frame");
}
