/* RFC 6455 WebSocket framing, pure: a frame parser for a byte stream, a message reader that
 * reassembles fragmented messages around interleaved control frames, a frame encoder and the
 * Close payload codec. No I/O, no logging, no globals; depends on GLib and libc only. */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* RFC 6455 §5.2: opcodes. 0x3-0x7 and 0xB-0xF are reserved. */
typedef enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
} ws_opcode;

/* RFC 6455 §7.4.1: status codes. 1005, 1006 and 1015 are never sent on the wire. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED_DATA = 1003,
    WS_CLOSE_NO_STATUS = 1005,
    WS_CLOSE_ABNORMAL = 1006,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_MANDATORY_EXT = 1010,
    WS_CLOSE_INTERNAL_ERROR = 1011,
};

#define WS_MAX_HEADER 14           /* 2 + 8 (64-bit length) + 4 (masking key) */
#define WS_MAX_CONTROL_PAYLOAD 125 /* RFC 6455 §5.5 */
#define WS_MAX_CLOSE_REASON 123    /* 125 minus the 2-byte status code */

/* Whose frames are being read. A server reads client frames, which must be masked; a client
 * reads server frames, which must not be (RFC 6455 §5.1). */
typedef enum {
    WS_READ_CLIENT_FRAMES, /* we are the server */
    WS_READ_SERVER_FRAMES, /* we are the client (tests, bench) */
} ws_role;

typedef enum {
    WS_NEED_MORE = 0, /* not enough bytes yet; nothing consumed */
    WS_OK = 1,        /* one frame consumed */
    WS_ERROR = -1,    /* protocol error: send Close with err.close_code, then drop the TCP link */
} ws_status;

typedef struct {
    uint16_t close_code; /* 1002, 1007 or 1009 */
    const char *reason;  /* static text, usable as the Close reason (< 124 bytes) */
} ws_error;

typedef struct {
    bool fin;
    ws_opcode opcode;
    bool masked;
    uint8_t mask_key[4];
    uint64_t payload_len;
    size_t header_len;
} ws_frame_header;

typedef struct {
    ws_frame_header h;
    const uint8_t *payload; /* points into the caller's buffer, still masked if h.masked */
} ws_frame;

static inline bool ws_opcode_is_control(unsigned op)
{
    return (op & 0x8) != 0;
}

/* Parses a frame header at buf. Returns WS_OK with *h filled when the whole header is present,
 * WS_NEED_MORE when it is not, WS_ERROR (code 1002) as soon as the bytes present break a rule of
 * RFC 6455 §5.2/§5.5: reserved bits, reserved opcode, wrong masking for the role, fragmented or
 * long control frame, 64-bit length with the top bit set, non-minimal length encoding. */
ws_status ws_frame_parse_header(const uint8_t *buf, size_t len, ws_role role, ws_frame_header *h,
                                ws_error *err);

/* Parses one whole frame (header and payload). Frames announcing more than max_payload bytes are
 * refused with 1009 from their header alone, before their payload is buffered. On WS_OK,
 * *consumed is the frame's size on the wire. */
ws_status ws_frame_parse(const uint8_t *buf, size_t len, ws_role role, uint64_t max_payload,
                         ws_frame *f, size_t *consumed, ws_error *err);

/* RFC 6455 §5.3: XORs data with the masking key; offset is the position of data[0] within the
 * payload, so that a payload can be unmasked in pieces. Masking and unmasking are the same. */
void ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/* Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF)
 * over a message that arrives in pieces. */
typedef struct {
    uint8_t need;   /* continuation bytes still expected */
    uint8_t lo, hi; /* allowed range of the next continuation byte */
} ws_utf8;

static inline void ws_utf8_init(ws_utf8 *u)
{
    u->need = 0;
    u->lo = 0x80;
    u->hi = 0xBF;
}
/* false as soon as the bytes seen so far cannot start a valid UTF-8 text */
bool ws_utf8_feed(ws_utf8 *u, const uint8_t *s, size_t len);
/* true when the text ends on a character boundary */
static inline bool ws_utf8_complete(const ws_utf8 *u)
{
    return u->need == 0;
}
bool ws_utf8_valid(const uint8_t *s, size_t len);

/* ---- Close payload (RFC 6455 §5.5.1, §7.4) ---- */

/* True for a status code an endpoint may send in a Close frame (RFC 6455 §7.4). */
bool ws_close_code_valid(unsigned code);

/* Parses a Close payload. An empty payload gives code 1005 (no status) and an empty reason.
 * Errors: 1 byte payload or a code not allowed on the wire -> 1002; reason not UTF-8 -> 1007.
 * *reason points into payload (not NUL-terminated). */
ws_status ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code, const char **reason,
                         size_t *reason_len, ws_error *err);

/* Builds a Close payload into out (>= 125 bytes) and returns its length, or -1 when the code
 * may not be sent. code 0 builds the empty payload. A reason longer than 123 bytes is cut at a
 * UTF-8 character boundary; the reason must be UTF-8. */
int ws_close_build(uint8_t *out, unsigned code, const char *reason);

/* ---- Encoder ---- */

/* Writes a frame header into out (>= WS_MAX_HEADER bytes) and returns its length. mask_key is
 * NULL for server frames (unmasked), the 4-byte key for client frames. */
size_t ws_frame_header_encode(uint8_t *out, bool fin, ws_opcode op, uint64_t payload_len,
                              const uint8_t *mask_key);

/* Appends one frame to out, masking the payload when mask_key is given. Returns false and appends
 * nothing for a reserved opcode or a control frame that is fragmented or longer than 125 bytes. */
bool ws_frame_append(GByteArray *out, bool fin, ws_opcode op, const void *payload, size_t len,
                     const uint8_t *mask_key);

/* Appends a Close frame with the given code (0 = no status) and reason. */
bool ws_close_append(GByteArray *out, unsigned code, const char *reason, const uint8_t *mask_key);

/* ---- Message reader: frame parser + assembler ---- */

typedef enum {
    WS_MSG_NONE = 0, /* the frame was a non-final fragment; nothing to deliver yet */
    WS_MSG_TEXT,
    WS_MSG_BINARY,
    WS_MSG_CLOSE,
    WS_MSG_PING,
    WS_MSG_PONG,
} ws_msg_kind;

typedef struct {
    ws_msg_kind kind;
    const uint8_t *data; /* unmasked payload; valid until the next ws_reader_* call */
    size_t len;
    uint16_t close_code;      /* WS_MSG_CLOSE: the peer's code, 1005 when it sent none */
    const char *close_reason; /* WS_MSG_CLOSE: points into data, close_reason_len bytes */
    size_t close_reason_len;
} ws_message;

typedef struct {
    ws_role role;
    size_t max_message;   /* RFC 6455 §10.4: limit on a reassembled data message */
    bool in_message;      /* a fragmented message is open */
    ws_opcode msg_opcode; /* its opcode (text or binary) */
    GByteArray *msg;      /* data message being assembled */
    ws_utf8 utf8;         /* validation state of a text message */
    uint8_t control[WS_MAX_CONTROL_PAYLOAD]; /* unmasked payload of the last control frame */
} ws_reader;

void ws_reader_init(ws_reader *r, ws_role role, size_t max_message);
void ws_reader_clear(ws_reader *r);

/* Reads at most one frame from buf. Returns WS_NEED_MORE (nothing consumed: call again with more
 * bytes), WS_OK with *consumed set and *msg filled (msg->kind is WS_MSG_NONE for a non-final
 * fragment), or WS_ERROR with the close code to send. After a WS_MSG_CLOSE, or a WS_ERROR, the
 * caller stops reading (RFC 6455 §5.5.1, §7.1.7). Data messages larger than max_message fail with
 * 1009 as soon as a frame header announces it, before the payload is buffered. */
ws_status ws_reader_feed(ws_reader *r, const uint8_t *buf, size_t len, size_t *consumed,
                         ws_message *msg, ws_error *err);

#endif
