/* Diameter message codec (RFC 6733 §3-4): message/AVP model, encoder, decoder, stream framing.
 * Pure: bytes in, a tree out (and back) with a precise error; no I/O, no logging, no globals.
 * Grouped AVPs known to the dictionary (dict.h) are decoded into children. */
#ifndef DIA_CODEC_H
#define DIA_CODEC_H

#include <stdint.h>
#include <stddef.h>
#include <glib.h>

#include "diameter/dict.h"

#define DIA_VERSION 1
#define DIA_HDR_LEN 20
#define DIA_AVP_HDR_LEN 8
#define DIA_AVP_HDR_LEN_V 12
#define DIA_MAX_LEN 0xffffffu /* 24-bit length fields */

/* Header flags (RFC 6733 §3). */
#define DIA_FLAG_R 0x80u /* request */
#define DIA_FLAG_P 0x40u /* proxiable */
#define DIA_FLAG_E 0x20u /* error */
#define DIA_FLAG_T 0x10u /* potentially retransmitted */

#define DIA_DEFAULT_MAX_DEPTH 8u       /* nesting levels of AVPs (top level = 1) */
#define DIA_MAX_DEPTH_LIMIT 16u        /* hard cap on dia_decode_opts.max_depth */
#define DIA_DEFAULT_MAX_MSG (1u << 20) /* framing: bigger messages are refused */

typedef struct dia_avp {
    uint32_t code;
    uint8_t flags;       /* DIA_AVP_FLAG_*; V decides whether a Vendor-Id field is on the wire */
    uint32_t vendor;     /* 0 when V is clear */
    GBytes *data;        /* leaf payload without padding (NULL = empty); NULL when grouped */
    GPtrArray *children; /* of dia_avp*, owned; non-NULL iff the AVP is held as Grouped */
} dia_avp;

typedef struct dia_msg {
    uint8_t version;
    uint8_t flags; /* DIA_FLAG_* */
    uint32_t cmd;  /* 24 bits */
    uint32_t app_id;
    uint32_t hbh, e2e;
    GPtrArray *avps; /* of dia_avp*, owned */
} dia_msg;

typedef struct dia_key {
    uint32_t code, vendor;
} dia_key;

/* ---- model ---- */
dia_msg *dia_msg_new(uint32_t cmd, uint32_t app_id, uint8_t flags, uint32_t hbh, uint32_t e2e);
void dia_msg_free(dia_msg *m);
dia_msg *dia_msg_copy(const dia_msg *m);
gboolean dia_msg_is_request(const dia_msg *m);

/* A leaf with explicit flags; V is forced on when vendor != 0. Copies the data. */
dia_avp *dia_avp_new_raw(uint32_t code, uint32_t vendor, uint8_t flags, const void *data,
                         size_t len);
/* An empty Grouped AVP (children allocated), flags from the dictionary. */
dia_avp *dia_avp_new_grouped(uint32_t code, uint32_t vendor);
void dia_avp_free(dia_avp *a);
dia_avp *dia_avp_copy(const dia_avp *a);
gboolean dia_avp_is_grouped(const dia_avp *a);

/* Append to a list (m->avps or a->children); the list takes ownership. Return the AVP. */
dia_avp *dia_add(GPtrArray *list, dia_avp *a);
/* Typed adders: flags from the dictionary (dia_dict_send_flags). */
dia_avp *dia_add_octets(GPtrArray *list, uint32_t code, uint32_t vendor, const void *p, size_t n);
dia_avp *dia_add_str(GPtrArray *list, uint32_t code, uint32_t vendor, const char *s);
dia_avp *dia_add_u32(GPtrArray *list, uint32_t code, uint32_t vendor, uint32_t v);
dia_avp *dia_add_i32(GPtrArray *list, uint32_t code, uint32_t vendor, int32_t v);
dia_avp *dia_add_u64(GPtrArray *list, uint32_t code, uint32_t vendor, uint64_t v);
/* family is AF_INET (4-byte addr) or AF_INET6 (16 bytes); RFC 6733 §4.3.1 Address. */
dia_avp *dia_add_addr(GPtrArray *list, uint32_t code, uint32_t vendor, int family,
                      const void *addr);
dia_avp *dia_add_grouped(GPtrArray *list, uint32_t code, uint32_t vendor);
/* Remove (and free) every AVP (code, vendor) of the list; returns how many. */
guint dia_remove(GPtrArray *list, uint32_t code, uint32_t vendor);

/* ---- lookup ---- */
/* First AVP (code, vendor) in the list at index >= *cursor (0 when cursor is NULL); on success
 * *cursor is set past it, so `guint c = 0; while ((a = dia_find(l, k, v, &c)))` iterates. */
dia_avp *dia_find(const GPtrArray *list, uint32_t code, uint32_t vendor, guint *cursor);
dia_avp *dia_msg_find(const dia_msg *m, uint32_t code, uint32_t vendor);
dia_avp *dia_avp_find(const dia_avp *group, uint32_t code, uint32_t vendor);
/* Follow a path of grouped AVPs: first match of path[0] in list, then path[1] in its children.. */
dia_avp *dia_find_path(const GPtrArray *list, const dia_key *path, size_t n);

/* ---- leaf values ---- */
const uint8_t *dia_avp_data(const dia_avp *a, size_t *len);
gboolean dia_avp_get_u32(const dia_avp *a, uint32_t *v);
gboolean dia_avp_get_i32(const dia_avp *a, int32_t *v);
gboolean dia_avp_get_u64(const dia_avp *a, uint64_t *v);
/* NUL-terminated copy (g_free); NULL if grouped, not UTF-8 or containing NUL. */
char *dia_avp_get_str(const dia_avp *a);
/* family AF_INET/AF_INET6 and the address bytes (4 or 16) into addr[16]. */
gboolean dia_avp_get_addr(const dia_avp *a, int *family, uint8_t addr[16]);
/* Shortcuts on the top level of a message. */
gboolean dia_msg_get_u32(const dia_msg *m, uint32_t code, uint32_t vendor, uint32_t *v);
char *dia_msg_get_str(const dia_msg *m, uint32_t code, uint32_t vendor);

/* ---- comparison and text ---- */
gboolean dia_avp_equal(const dia_avp *a, const dia_avp *b);
gboolean dia_msg_equal(const dia_msg *a, const dia_msg *b);
/* Multi-line human-readable dump with dictionary names (g_free). */
char *dia_msg_to_string(const dia_msg *m);

/* ---- encoder ---- */
/* NULL when the model cannot be put on the wire: a length over 24 bits, a vendor != 0 without
 * the V flag, a command code over 24 bits. */
GByteArray *dia_msg_encode(const dia_msg *m);
GBytes *dia_avp_encode(const dia_avp *a);

/* ---- decoder ---- */
typedef enum dia_status {
    DIA_OK = 0,
    DIA_ERR_TRUNCATED,       /* fewer bytes than a header: nothing can be answered */
    DIA_ERR_VERSION,         /* version != 1 -> 5011 */
    DIA_ERR_MSG_LENGTH,      /* length field vs. buffer, < 20, not a multiple of 4 -> 5015 */
    DIA_ERR_TOO_BIG,         /* framing: over the configured maximum -> close */
    DIA_ERR_HDR_BITS,        /* R and E both set -> 3008 */
    DIA_ERR_AVP_LENGTH,      /* AVP length < header, overruns its parent, wrong size -> 5014 */
    DIA_ERR_AVP_PADDING,     /* padding missing or not zero -> 5014 */
    DIA_ERR_AVP_BITS,        /* reserved AVP flag bits set -> 3009 */
    DIA_ERR_AVP_VALUE,       /* bad UTF-8, Grouped data that is not a list of AVPs -> 5004 */
    DIA_ERR_AVP_UNSUPPORTED, /* unknown AVP with the M bit -> 5001 */
    DIA_ERR_DEPTH,           /* grouped nesting deeper than max_depth -> 5004 */
} dia_status;

const char *dia_status_str(dia_status s);
/* The Result-Code an answer to the faulty request carries (0 when none applies). */
uint32_t dia_status_result_code(dia_status s);

typedef struct dia_avp_hdr {
    uint32_t code;
    uint8_t flags;
    uint32_t vendor;
    uint32_t length; /* as read from the wire */
} dia_avp_hdr;

typedef struct dia_error {
    dia_status status;
    uint32_t result_code; /* dia_status_result_code(status) */
    size_t offset;        /* byte offset in the message where the fault was detected */
    /* The offending AVP (RFC 6733 §7.5 Failed-AVP). */
    gboolean have_avp;
    dia_avp_hdr avp;
    size_t avp_offset;
    GBytes *avp_bytes;    /* the AVP as received (header + data), clipped to its parent */
    gboolean avp_data_ok; /* its length field can be trusted, so avp_bytes is the whole AVP */
    /* Enclosing Grouped AVPs, outermost first (for a Failed-AVP hierarchy). */
    unsigned depth;
    dia_avp_hdr outer[DIA_MAX_DEPTH_LIMIT];
    /* The message as far as it was decoded (header always; the whole message when only a
     * dictionary rule failed); NULL when the header itself was unreadable. */
    dia_msg *partial;
} dia_error;

#define DIA_ERROR_INIT                                                                             \
    {                                                                                              \
        0                                                                                          \
    }
void dia_error_clear(dia_error *e);

/* Decoder options. */
#define DIA_DEC_RAW 0x1u         /* ignore the dictionary: no Grouped expansion, no checks */
#define DIA_DEC_NO_VALIDATE 0x2u /* expand Grouped AVPs but skip size/UTF-8/M-bit checks */
#define DIA_DEC_LENIENT 0x4u     /* accept non-zero padding and reserved AVP flag bits */

typedef struct dia_decode_opts {
    unsigned flags;     /* DIA_DEC_* */
    unsigned max_depth; /* 0 = DIA_DEFAULT_MAX_DEPTH */
} dia_decode_opts;

/* Decodes exactly one message occupying buf[0..len). Returns NULL on error and fills *err (which
 * may be NULL); never reads outside buf. Structural faults win over dictionary faults; the first
 * fault found is reported. A non-NULL err must be cleared with dia_error_clear() afterwards. */
dia_msg *dia_msg_decode(const uint8_t *buf, size_t len, const dia_decode_opts *opts,
                        dia_error *err);

/* Framing on a byte stream (RFC 6733 §3): with len >= 4 bytes buffered, DIA_OK and *msg_len =
 * the size of the whole message starting at buf (may exceed len: read more). DIA_ERR_TRUNCATED
 * when fewer than 4 bytes are there. DIA_ERR_MSG_LENGTH (length < 20) and DIA_ERR_TOO_BIG
 * (length > max_len; 0 = DIA_DEFAULT_MAX_MSG) mean the stream cannot be resynchronised. A bad
 * version or a length that is not a multiple of 4 still frames: dia_msg_decode() reports it. */
dia_status dia_frame_length(const uint8_t *buf, size_t len, size_t max_len, size_t *msg_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dia_msg, dia_msg_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dia_avp, dia_avp_free)

#endif
