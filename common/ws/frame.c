/* RFC 6455 framing: header parsing with every §5 rule checked as soon as the bytes that break it
 * are present, payload masking, UTF-8 validation, Close payloads, the encoder, and the reader that
 * turns a byte stream into messages. */
#include "ws/frame.h"

#include <string.h>

static ws_status fail(ws_error *err, uint16_t code, const char *reason)
{
    if (err) {
        err->close_code = code;
        err->reason = reason;
    }
    return WS_ERROR;
}

/* RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF are reserved for further (non-)control frames. */
static bool opcode_known(unsigned op)
{
    return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

ws_status ws_frame_parse_header(const uint8_t *buf, size_t len, ws_role role, ws_frame_header *h,
                                ws_error *err)
{
    if (len < 1) return WS_NEED_MORE;
    uint8_t b0 = buf[0];
    /* RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defines them; we negotiate none. */
    if (b0 & 0x70) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "reserved bit set");
    unsigned op = b0 & 0x0F;
    /* RFC 6455 §5.2: a reserved opcode MUST fail the connection. */
    if (!opcode_known(op)) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "reserved opcode");
    bool fin = (b0 & 0x80) != 0;
    /* RFC 6455 §5.5: control frames MUST NOT be fragmented. */
    if (ws_opcode_is_control(op) && !fin)
        return fail(err, WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame");

    if (len < 2) return WS_NEED_MORE;
    uint8_t b1 = buf[1];
    bool masked = (b1 & 0x80) != 0;
    unsigned len7 = b1 & 0x7F;
    /* RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one. */
    if (role == WS_READ_CLIENT_FRAMES && !masked)
        return fail(err, WS_CLOSE_PROTOCOL_ERROR, "unmasked client frame");
    if (role == WS_READ_SERVER_FRAMES && masked)
        return fail(err, WS_CLOSE_PROTOCOL_ERROR, "masked server frame");
    /* RFC 6455 §5.5: control frames carry at most 125 bytes. */
    if (ws_opcode_is_control(op) && len7 > WS_MAX_CONTROL_PAYLOAD)
        return fail(err, WS_CLOSE_PROTOCOL_ERROR, "control frame longer than 125 bytes");

    size_t pos = 2;
    uint64_t plen = len7;
    if (len7 == 126) {
        if (len < 4) return WS_NEED_MORE;
        plen = ((uint64_t)buf[2] << 8) | buf[3];
        pos = 4;
        /* RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length. */
        if (plen < 126) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "non-minimal 16-bit length");
    } else if (len7 == 127) {
        if (len < 10) return WS_NEED_MORE;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | buf[2 + i];
        pos = 10;
        /* RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0. */
        if (plen >> 63)
            return fail(err, WS_CLOSE_PROTOCOL_ERROR, "64-bit length with the top bit set");
        if (plen <= 0xFFFF) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "non-minimal 64-bit length");
    }
    if (masked) {
        if (len < pos + 4) return WS_NEED_MORE;
        memcpy(h->mask_key, buf + pos, 4);
        pos += 4;
    } else {
        memset(h->mask_key, 0, 4);
    }
    h->fin = fin;
    h->opcode = (ws_opcode)op;
    h->masked = masked;
    h->payload_len = plen;
    h->header_len = pos;
    return WS_OK;
}

ws_status ws_frame_parse(const uint8_t *buf, size_t len, ws_role role, uint64_t max_payload,
                         ws_frame *f, size_t *consumed, ws_error *err)
{
    *consumed = 0;
    ws_status st = ws_frame_parse_header(buf, len, role, &f->h, err);
    if (st != WS_OK) return st;
    /* RFC 6455 §10.4: refuse from the announced length, before the payload is buffered. */
    if (f->h.payload_len > max_payload) return fail(err, WS_CLOSE_TOO_BIG, "message too big");
    if (len - f->h.header_len < f->h.payload_len) return WS_NEED_MORE;
    f->payload = buf + f->h.header_len;
    *consumed = f->h.header_len + (size_t)f->h.payload_len;
    return WS_OK;
}

void ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
    /* RFC 6455 §5.3: octet i is XORed with key[i mod 4]. */
    for (size_t i = 0; i < len; i++)
        data[i] ^= key[(offset + i) & 3];
}

bool ws_utf8_feed(ws_utf8 *u, const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (u->need) {
            if (c < u->lo || c > u->hi) return false;
            u->need--;
            u->lo = 0x80;
            u->hi = 0xBF;
            continue;
        }
        if (c < 0x80) continue;
        /* RFC 3629 §4: C0/C1 are overlong, F5-FF never appear; E0, ED, F0 and F4 restrict the
         * next byte to rule out overlongs, surrogates and code points above U+10FFFF. */
        if (c < 0xC2) return false;
        if (c < 0xE0) {
            u->need = 1;
        } else if (c < 0xF0) {
            u->need = 2;
            if (c == 0xE0)
                u->lo = 0xA0;
            else if (c == 0xED)
                u->hi = 0x9F;
        } else if (c < 0xF5) {
            u->need = 3;
            if (c == 0xF0)
                u->lo = 0x90;
            else if (c == 0xF4)
                u->hi = 0x8F;
        } else {
            return false;
        }
    }
    return true;
}

bool ws_utf8_valid(const uint8_t *s, size_t len)
{
    ws_utf8 u;
    ws_utf8_init(&u);
    return ws_utf8_feed(&u, s, len) && ws_utf8_complete(&u);
}

bool ws_close_code_valid(unsigned code)
{
    /* RFC 6455 §7.4.1: 1004 is reserved; 1005, 1006 and 1015 MUST NOT be sent. */
    if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011)) return true;
    /* RFC 6455 §11.7 registry: 1012 service restart, 1013 try again later, 1014 bad gateway. */
    if (code >= 1012 && code <= 1014) return true;
    /* RFC 6455 §7.4.2: 3000-3999 registered by libraries, 4000-4999 private use. */
    return code >= 3000 && code <= 4999;
}

ws_status ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code, const char **reason,
                         size_t *reason_len, ws_error *err)
{
    *reason = (const char *)payload;
    *reason_len = 0;
    if (len == 0) {
        /* RFC 6455 §7.1.5: no status code received is reported as 1005. */
        *code = WS_CLOSE_NO_STATUS;
        return WS_OK;
    }
    /* RFC 6455 §5.5.1: a body starts with a 2-byte code. */
    if (len == 1) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "close payload of 1 byte");
    if (len > WS_MAX_CONTROL_PAYLOAD)
        return fail(err, WS_CLOSE_PROTOCOL_ERROR, "control frame longer than 125 bytes");
    unsigned c = ((unsigned)payload[0] << 8) | payload[1];
    if (!ws_close_code_valid(c)) return fail(err, WS_CLOSE_PROTOCOL_ERROR, "invalid close code");
    /* RFC 6455 §5.5.1: the reason is UTF-8; §8.1: invalid UTF-8 fails the connection (1007). */
    if (!ws_utf8_valid(payload + 2, len - 2))
        return fail(err, WS_CLOSE_INVALID_DATA, "invalid UTF-8 in close reason");
    *code = (uint16_t)c;
    *reason = (const char *)payload + 2;
    *reason_len = len - 2;
    return WS_OK;
}

int ws_close_build(uint8_t *out, unsigned code, const char *reason)
{
    if (code == 0) return 0;
    if (!ws_close_code_valid(code)) return -1;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    size_t n = reason ? strlen(reason) : 0;
    if (n > WS_MAX_CLOSE_REASON) {
        n = WS_MAX_CLOSE_REASON;
        /* never cut inside a character: reason[n] must not be a continuation byte */
        while (n > 0 && ((uint8_t)reason[n] & 0xC0) == 0x80)
            n--;
    }
    if (n) memcpy(out + 2, reason, n);
    return (int)(2 + n);
}

size_t ws_frame_header_encode(uint8_t *out, bool fin, ws_opcode op, uint64_t payload_len,
                              const uint8_t *mask_key)
{
    uint8_t mask_bit = mask_key ? 0x80 : 0;
    size_t pos;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0F));
    /* RFC 6455 §5.2: 7-bit length up to 125, then 16-bit, then 64-bit, always the shortest. */
    if (payload_len < 126) {
        out[1] = (uint8_t)(mask_bit | payload_len);
        pos = 2;
    } else if (payload_len <= 0xFFFF) {
        out[1] = mask_bit | 126;
        out[2] = (uint8_t)(payload_len >> 8);
        out[3] = (uint8_t)payload_len;
        pos = 4;
    } else {
        out[1] = mask_bit | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(payload_len >> (56 - 8 * i));
        pos = 10;
    }
    if (mask_key) {
        memcpy(out + pos, mask_key, 4);
        pos += 4;
    }
    return pos;
}

bool ws_frame_append(GByteArray *out, bool fin, ws_opcode op, const void *payload, size_t len,
                     const uint8_t *mask_key)
{
    if (!opcode_known(op) || len > G_MAXUINT - WS_MAX_HEADER) return false;
    /* RFC 6455 §5.5: control frames are unfragmented and carry at most 125 bytes. */
    if (ws_opcode_is_control(op) && (!fin || len > WS_MAX_CONTROL_PAYLOAD)) return false;
    uint8_t hdr[WS_MAX_HEADER];
    size_t hl = ws_frame_header_encode(hdr, fin, op, len, mask_key);
    g_byte_array_append(out, hdr, (guint)hl);
    guint start = out->len;
    if (len) {
        g_byte_array_append(out, payload, (guint)len);
        /* RFC 6455 §5.3: a client masks every frame it sends. */
        if (mask_key) ws_mask(out->data + start, len, mask_key, 0);
    }
    return true;
}

bool ws_close_append(GByteArray *out, unsigned code, const char *reason, const uint8_t *mask_key)
{
    uint8_t body[WS_MAX_CONTROL_PAYLOAD];
    int n = ws_close_build(body, code, reason);
    if (n < 0) return false;
    return ws_frame_append(out, true, WS_OP_CLOSE, body, (size_t)n, mask_key);
}

/* A reader keeps the buffer of a message up to this size between messages, and drops a larger one
 * so that one big message does not pin memory for the life of the connection. */
#define WS_READER_KEEP 16384

void ws_reader_init(ws_reader *r, ws_role role, size_t max_message)
{
    memset(r, 0, sizeof(*r));
    r->role = role;
    r->max_message = max_message;
    r->msg = g_byte_array_new();
    ws_utf8_init(&r->utf8);
}

void ws_reader_clear(ws_reader *r)
{
    if (r->msg) g_byte_array_unref(r->msg);
    r->msg = NULL;
    r->in_message = false;
}

static ws_status read_control(ws_reader *r, const ws_frame_header *h, const uint8_t *p,
                              ws_message *msg, ws_error *err)
{
    size_t n = (size_t)h->payload_len;
    memcpy(r->control, p, n);
    if (h->masked) ws_mask(r->control, n, h->mask_key, 0);
    msg->data = r->control;
    msg->len = n;
    switch (h->opcode) {
    case WS_OP_PING:
        msg->kind = WS_MSG_PING;
        return WS_OK;
    case WS_OP_PONG:
        msg->kind = WS_MSG_PONG;
        return WS_OK;
    default:
        msg->kind = WS_MSG_CLOSE;
        return ws_close_parse(r->control, n, &msg->close_code, &msg->close_reason,
                              &msg->close_reason_len, err);
    }
}

ws_status ws_reader_feed(ws_reader *r, const uint8_t *buf, size_t len, size_t *consumed,
                         ws_message *msg, ws_error *err)
{
    memset(msg, 0, sizeof(*msg));
    *consumed = 0;
    ws_frame_header h;
    ws_status st = ws_frame_parse_header(buf, len, r->role, &h, err);
    if (st != WS_OK) return st;
    bool control = ws_opcode_is_control(h.opcode);
    if (!control) {
        /* RFC 6455 §5.4: continuations follow an unfinished message, and a new message does not
         * start inside one (only control frames may be interleaved). */
        if (h.opcode == WS_OP_CONT && !r->in_message)
            return fail(err, WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message");
        if (h.opcode != WS_OP_CONT && r->in_message)
            return fail(err, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        size_t have = r->in_message ? r->msg->len : 0;
        /* RFC 6455 §10.4: the limit applies to the whole message and is checked on the length a
         * header announces, before any of that payload is buffered. */
        if (h.payload_len > r->max_message - have || h.payload_len > G_MAXUINT - have)
            return fail(err, WS_CLOSE_TOO_BIG, "message too big");
    }
    if (len - h.header_len < h.payload_len) return WS_NEED_MORE;
    const uint8_t *p = buf + h.header_len;
    size_t n = (size_t)h.payload_len;
    *consumed = h.header_len + n;
    if (control) return read_control(r, &h, p, msg, err);

    if (h.opcode != WS_OP_CONT) {
        if (r->msg->len > WS_READER_KEEP) {
            g_byte_array_unref(r->msg);
            r->msg = g_byte_array_new();
        }
        g_byte_array_set_size(r->msg, 0);
        r->msg_opcode = h.opcode;
        r->in_message = true;
        ws_utf8_init(&r->utf8);
    }
    guint start = r->msg->len;
    g_byte_array_set_size(r->msg, start + (guint)n);
    if (n) {
        memcpy(r->msg->data + start, p, n);
        if (h.masked) ws_mask(r->msg->data + start, n, h.mask_key, 0);
    }
    bool text = r->msg_opcode == WS_OP_TEXT;
    /* RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection with 1007; checking
     * each fragment as it arrives fails fast, the end of the message catches a cut sequence. */
    if (text && n && !ws_utf8_feed(&r->utf8, r->msg->data + start, n)) {
        r->in_message = false;
        return fail(err, WS_CLOSE_INVALID_DATA, "invalid UTF-8 in text message");
    }
    if (!h.fin) {
        msg->kind = WS_MSG_NONE;
        return WS_OK;
    }
    r->in_message = false;
    if (text && !ws_utf8_complete(&r->utf8))
        return fail(err, WS_CLOSE_INVALID_DATA, "text message ends inside a UTF-8 sequence");
    msg->kind = text ? WS_MSG_TEXT : WS_MSG_BINARY;
    msg->data = r->msg->data;
    msg->len = r->msg->len;
    return WS_OK;
}
