/* Diameter message codec (RFC 6733 §3-4): model helpers, encoder, decoder, stream framing and a
 * text dump. Pure functions; every read of input is bounds-checked against its parent. */
#include "diameter/codec.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

/* ---------------------------------------------------------------------------------------------
 * Byte order helpers (RFC 6733 §3: network byte order) */

static inline uint32_t rd24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* ---------------------------------------------------------------------------------------------
 * Model */

static void avp_free_cb(gpointer p)
{
    dia_avp_free(p);
}

static GPtrArray *avp_list_new(void)
{
    return g_ptr_array_new_with_free_func(avp_free_cb);
}

dia_msg *dia_msg_new(uint32_t cmd, uint32_t app_id, uint8_t flags, uint32_t hbh, uint32_t e2e)
{
    dia_msg *m = g_new0(dia_msg, 1);
    m->version = DIA_VERSION;
    m->flags = flags;
    m->cmd = cmd;
    m->app_id = app_id;
    m->hbh = hbh;
    m->e2e = e2e;
    m->avps = avp_list_new();
    return m;
}

void dia_msg_free(dia_msg *m)
{
    if (!m) return;
    g_ptr_array_unref(m->avps);
    g_free(m);
}

gboolean dia_msg_is_request(const dia_msg *m)
{
    return m && (m->flags & DIA_FLAG_R);
}

dia_avp *dia_avp_new_raw(uint32_t code, uint32_t vendor, uint8_t flags, const void *data,
                         size_t len)
{
    dia_avp *a = g_new0(dia_avp, 1);
    a->code = code;
    a->vendor = vendor;
    a->flags = flags | (vendor ? DIA_AVP_FLAG_V : 0);
    if (len) a->data = g_bytes_new(data, len);
    return a;
}

dia_avp *dia_avp_new_grouped(uint32_t code, uint32_t vendor)
{
    dia_avp *a = dia_avp_new_raw(code, vendor, dia_dict_send_flags(code, vendor), NULL, 0);
    a->children = avp_list_new();
    return a;
}

void dia_avp_free(dia_avp *a)
{
    if (!a) return;
    if (a->data) g_bytes_unref(a->data);
    if (a->children) g_ptr_array_unref(a->children);
    g_free(a);
}

static GPtrArray *list_copy(const GPtrArray *l)
{
    GPtrArray *c = avp_list_new();
    for (guint i = 0; i < l->len; i++)
        g_ptr_array_add(c, dia_avp_copy(g_ptr_array_index(l, i)));
    return c;
}

dia_avp *dia_avp_copy(const dia_avp *a)
{
    if (!a) return NULL;
    dia_avp *c = g_new0(dia_avp, 1);
    c->code = a->code;
    c->flags = a->flags;
    c->vendor = a->vendor;
    if (a->data) c->data = g_bytes_ref(a->data);
    if (a->children) c->children = list_copy(a->children);
    return c;
}

dia_msg *dia_msg_copy(const dia_msg *m)
{
    if (!m) return NULL;
    dia_msg *c = g_new0(dia_msg, 1);
    *c = *m;
    c->avps = list_copy(m->avps);
    return c;
}

gboolean dia_avp_is_grouped(const dia_avp *a)
{
    return a && a->children;
}

dia_avp *dia_add(GPtrArray *list, dia_avp *a)
{
    if (list && a) g_ptr_array_add(list, a);
    return a;
}

dia_avp *dia_add_octets(GPtrArray *list, uint32_t code, uint32_t vendor, const void *p, size_t n)
{
    return dia_add(list, dia_avp_new_raw(code, vendor, dia_dict_send_flags(code, vendor), p, n));
}

dia_avp *dia_add_str(GPtrArray *list, uint32_t code, uint32_t vendor, const char *s)
{
    return dia_add_octets(list, code, vendor, s, s ? strlen(s) : 0);
}

dia_avp *dia_add_u32(GPtrArray *list, uint32_t code, uint32_t vendor, uint32_t v)
{
    uint8_t b[4];
    wr32(b, v);
    return dia_add_octets(list, code, vendor, b, sizeof b);
}

dia_avp *dia_add_i32(GPtrArray *list, uint32_t code, uint32_t vendor, int32_t v)
{
    return dia_add_u32(list, code, vendor, (uint32_t)v);
}

dia_avp *dia_add_u64(GPtrArray *list, uint32_t code, uint32_t vendor, uint64_t v)
{
    uint8_t b[8];
    wr32(b, (uint32_t)(v >> 32));
    wr32(b + 4, (uint32_t)v);
    return dia_add_octets(list, code, vendor, b, sizeof b);
}

dia_avp *dia_add_addr(GPtrArray *list, uint32_t code, uint32_t vendor, int family, const void *addr)
{
    /* RFC 6733 §4.3.1: AddressType is an IANA address family (1 IPv4, 2 IPv6) + address. */
    uint8_t b[18] = {0};
    size_t n;
    if (family == AF_INET) {
        b[1] = 1;
        n = 4;
    } else if (family == AF_INET6) {
        b[1] = 2;
        n = 16;
    } else {
        return NULL;
    }
    memcpy(b + 2, addr, n);
    return dia_add_octets(list, code, vendor, b, n + 2);
}

dia_avp *dia_add_grouped(GPtrArray *list, uint32_t code, uint32_t vendor)
{
    return dia_add(list, dia_avp_new_grouped(code, vendor));
}

guint dia_remove(GPtrArray *list, uint32_t code, uint32_t vendor)
{
    guint n = 0;
    if (!list) return 0;
    for (guint i = list->len; i-- > 0;) {
        const dia_avp *a = g_ptr_array_index(list, i);
        if (a->code == code && a->vendor == vendor) {
            g_ptr_array_remove_index(list, i);
            n++;
        }
    }
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Lookup and leaf values */

dia_avp *dia_find(const GPtrArray *list, uint32_t code, uint32_t vendor, guint *cursor)
{
    if (!list) return NULL;
    for (guint i = cursor ? *cursor : 0; i < list->len; i++) {
        dia_avp *a = g_ptr_array_index(list, i);
        if (a->code == code && a->vendor == vendor) {
            if (cursor) *cursor = i + 1;
            return a;
        }
    }
    if (cursor) *cursor = list->len;
    return NULL;
}

dia_avp *dia_msg_find(const dia_msg *m, uint32_t code, uint32_t vendor)
{
    return m ? dia_find(m->avps, code, vendor, NULL) : NULL;
}

dia_avp *dia_avp_find(const dia_avp *group, uint32_t code, uint32_t vendor)
{
    return group ? dia_find(group->children, code, vendor, NULL) : NULL;
}

dia_avp *dia_find_path(const GPtrArray *list, const dia_key *path, size_t n)
{
    dia_avp *a = NULL;
    for (size_t i = 0; i < n; i++) {
        a = dia_find(list, path[i].code, path[i].vendor, NULL);
        if (!a) return NULL;
        list = a->children;
    }
    return a;
}

const uint8_t *dia_avp_data(const dia_avp *a, size_t *len)
{
    gsize n = 0;
    const uint8_t *p = NULL;
    if (a && !a->children && a->data) p = g_bytes_get_data(a->data, &n);
    if (len) *len = n;
    return p;
}

gboolean dia_avp_get_u32(const dia_avp *a, uint32_t *v)
{
    size_t n;
    const uint8_t *p = dia_avp_data(a, &n);
    if (!p || n != 4) return FALSE;
    if (v) *v = rd32(p);
    return TRUE;
}

gboolean dia_avp_get_i32(const dia_avp *a, int32_t *v)
{
    uint32_t u;
    if (!dia_avp_get_u32(a, &u)) return FALSE;
    if (v) *v = (int32_t)u;
    return TRUE;
}

gboolean dia_avp_get_u64(const dia_avp *a, uint64_t *v)
{
    size_t n;
    const uint8_t *p = dia_avp_data(a, &n);
    if (!p || n != 8) return FALSE;
    if (v) *v = (uint64_t)rd32(p) << 32 | rd32(p + 4);
    return TRUE;
}

char *dia_avp_get_str(const dia_avp *a)
{
    size_t n;
    const uint8_t *p = dia_avp_data(a, &n);
    if (!a || a->children) return NULL;
    if (n == 0) return g_strdup("");
    if (!g_utf8_validate_len((const char *)p, n, NULL)) return NULL; /* also rejects NUL */
    return g_strndup((const char *)p, n);
}

gboolean dia_avp_get_addr(const dia_avp *a, int *family, uint8_t addr[16])
{
    size_t n;
    const uint8_t *p = dia_avp_data(a, &n);
    if (!p || n < 2) return FALSE;
    unsigned fam = (unsigned)p[0] << 8 | p[1];
    if (fam == 1 && n == 6) {
        if (family) *family = AF_INET;
        if (addr) memcpy(addr, p + 2, 4);
        return TRUE;
    }
    if (fam == 2 && n == 18) {
        if (family) *family = AF_INET6;
        if (addr) memcpy(addr, p + 2, 16);
        return TRUE;
    }
    return FALSE;
}

gboolean dia_msg_get_u32(const dia_msg *m, uint32_t code, uint32_t vendor, uint32_t *v)
{
    return dia_avp_get_u32(dia_msg_find(m, code, vendor), v);
}

char *dia_msg_get_str(const dia_msg *m, uint32_t code, uint32_t vendor)
{
    const dia_avp *a = dia_msg_find(m, code, vendor);
    return a ? dia_avp_get_str(a) : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Comparison */

static gboolean list_equal(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len) return FALSE;
    for (guint i = 0; i < a->len; i++)
        if (!dia_avp_equal(g_ptr_array_index(a, i), g_ptr_array_index(b, i))) return FALSE;
    return TRUE;
}

gboolean dia_avp_equal(const dia_avp *a, const dia_avp *b)
{
    if (a == b) return TRUE;
    if (!a || !b) return FALSE;
    if (a->code != b->code || a->flags != b->flags || a->vendor != b->vendor) return FALSE;
    if (!a->children != !b->children) return FALSE;
    if (a->children) return list_equal(a->children, b->children);
    size_t na, nb;
    const uint8_t *pa = dia_avp_data(a, &na), *pb = dia_avp_data(b, &nb);
    return na == nb && (na == 0 || memcmp(pa, pb, na) == 0);
}

gboolean dia_msg_equal(const dia_msg *a, const dia_msg *b)
{
    if (a == b) return TRUE;
    if (!a || !b) return FALSE;
    return a->version == b->version && a->flags == b->flags && a->cmd == b->cmd &&
           a->app_id == b->app_id && a->hbh == b->hbh && a->e2e == b->e2e &&
           list_equal(a->avps, b->avps);
}

/* ---------------------------------------------------------------------------------------------
 * Encoder (RFC 6733 §3, §4.1, §4.4: a Grouped AVP's data is its padded member AVPs) */

static gboolean enc_avp(GByteArray *out, const dia_avp *a)
{
    gboolean v = (a->flags & DIA_AVP_FLAG_V) != 0;
    if (!v && a->vendor) return FALSE;
    guint start = out->len;
    uint8_t hdr[DIA_AVP_HDR_LEN_V] = {0};
    wr32(hdr, a->code);
    hdr[4] = a->flags;
    if (v) wr32(hdr + 8, a->vendor);
    g_byte_array_append(out, hdr, v ? DIA_AVP_HDR_LEN_V : DIA_AVP_HDR_LEN);
    if (a->children) {
        for (guint i = 0; i < a->children->len; i++)
            if (!enc_avp(out, g_ptr_array_index(a->children, i))) return FALSE;
    } else {
        size_t n;
        const uint8_t *p = dia_avp_data(a, &n);
        if (n > DIA_MAX_LEN) return FALSE;
        if (n) g_byte_array_append(out, p, (guint)n);
    }
    size_t alen = out->len - start;
    if (alen > DIA_MAX_LEN) return FALSE;
    wr24(out->data + start + 5, (uint32_t)alen);
    static const uint8_t zeros[3] = {0};
    /* RFC 6733 §4: zero-valued padding up to a 32-bit boundary, not counted in AVP Length. */
    g_byte_array_append(out, zeros, (guint)(pad4(alen) - alen));
    return TRUE;
}

GByteArray *dia_msg_encode(const dia_msg *m)
{
    if (!m || m->cmd > 0xffffffu) return NULL;
    GByteArray *out = g_byte_array_sized_new(256);
    uint8_t hdr[DIA_HDR_LEN];
    hdr[0] = m->version;
    wr24(hdr + 1, 0);
    hdr[4] = m->flags;
    wr24(hdr + 5, m->cmd);
    wr32(hdr + 8, m->app_id);
    wr32(hdr + 12, m->hbh);
    wr32(hdr + 16, m->e2e);
    g_byte_array_append(out, hdr, sizeof hdr);
    for (guint i = 0; i < m->avps->len; i++) {
        if (!enc_avp(out, g_ptr_array_index(m->avps, i)) || out->len > DIA_MAX_LEN) {
            g_byte_array_unref(out);
            return NULL;
        }
    }
    wr24(out->data + 1, out->len);
    return out;
}

GBytes *dia_avp_encode(const dia_avp *a)
{
    if (!a) return NULL;
    GByteArray *out = g_byte_array_new();
    if (!enc_avp(out, a)) {
        g_byte_array_unref(out);
        return NULL;
    }
    return g_byte_array_free_to_bytes(out);
}

/* ---------------------------------------------------------------------------------------------
 * Errors */

const char *dia_status_str(dia_status s)
{
    switch (s) {
    case DIA_OK:
        return "ok";
    case DIA_ERR_TRUNCATED:
        return "truncated header";
    case DIA_ERR_VERSION:
        return "unsupported version";
    case DIA_ERR_MSG_LENGTH:
        return "invalid message length";
    case DIA_ERR_TOO_BIG:
        return "message too big";
    case DIA_ERR_HDR_BITS:
        return "invalid header bits";
    case DIA_ERR_AVP_LENGTH:
        return "invalid AVP length";
    case DIA_ERR_AVP_PADDING:
        return "invalid AVP padding";
    case DIA_ERR_AVP_BITS:
        return "invalid AVP flag bits";
    case DIA_ERR_AVP_VALUE:
        return "invalid AVP value";
    case DIA_ERR_AVP_UNSUPPORTED:
        return "unsupported mandatory AVP";
    case DIA_ERR_DEPTH:
        return "AVP nesting too deep";
    }
    return "?";
}

uint32_t dia_status_result_code(dia_status s)
{
    switch (s) {
    case DIA_OK:
    case DIA_ERR_TRUNCATED:
        return 0;
    case DIA_ERR_VERSION:
        return DIA_RC_UNSUPPORTED_VERSION; /* RFC 6733 §7.1.5 */
    case DIA_ERR_MSG_LENGTH:
    case DIA_ERR_TOO_BIG:
        return DIA_RC_INVALID_MESSAGE_LENGTH;
    case DIA_ERR_HDR_BITS:
        return DIA_RC_INVALID_HDR_BITS; /* §7.1.3 */
    case DIA_ERR_AVP_BITS:
        return DIA_RC_INVALID_AVP_BITS; /* §7.1.3 */
    case DIA_ERR_AVP_LENGTH:
    case DIA_ERR_AVP_PADDING:
        return DIA_RC_INVALID_AVP_LENGTH; /* §7.1.5 */
    case DIA_ERR_AVP_VALUE:
    case DIA_ERR_DEPTH:
        return DIA_RC_INVALID_AVP_VALUE;
    case DIA_ERR_AVP_UNSUPPORTED:
        return DIA_RC_AVP_UNSUPPORTED;
    }
    return DIA_RC_UNABLE_TO_COMPLY;
}

void dia_error_clear(dia_error *e)
{
    if (!e) return;
    if (e->avp_bytes) g_bytes_unref(e->avp_bytes);
    dia_msg_free(e->partial);
    memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------------------------------------
 * Decoder */

typedef struct dec {
    const uint8_t *buf;
    size_t len;
    unsigned flags, max_depth;
    dia_error *err;     /* structural fault (reported first) */
    dia_error sem;      /* first dictionary fault, reported when the structure is sound */
    unsigned depth;     /* enclosing Grouped AVPs of the list being parsed */
    unsigned in_failed; /* inside Failed-AVP: its members broke rules on purpose */
    dia_avp_hdr outer[DIA_MAX_DEPTH_LIMIT];
    size_t outer_off[DIA_MAX_DEPTH_LIMIT];
} dec;

static void set_status(dia_error *e, dia_status st, size_t off)
{
    e->status = st;
    e->result_code = dia_status_result_code(st);
    e->offset = off;
}

/* Records the offending AVP at avp_off, of which n bytes lie inside its parent. */
static void fault_avp(dec *d, dia_error *e, dia_status st, size_t off, const dia_avp_hdr *h,
                      size_t avp_off, size_t n, gboolean data_ok, unsigned depth)
{
    set_status(e, st, off);
    e->have_avp = TRUE;
    e->avp = *h;
    e->avp_offset = avp_off;
    e->avp_bytes = g_bytes_new(d->buf + avp_off, n);
    e->avp_data_ok = data_ok;
    e->depth = depth;
    memcpy(e->outer, d->outer, depth * sizeof d->outer[0]);
}

static void fault_sem(dec *d, dia_status st, size_t off, const dia_avp_hdr *h, size_t avp_off)
{
    if (d->sem.status != DIA_OK) return; /* RFC 6733 §7.5: report the first error found */
    fault_avp(d, &d->sem, st, off, h, avp_off, h->length, TRUE, d->depth);
}

/* Dictionary checks on a leaf (RFC 6733 §4.2-4.3 data formats, §4.1 M bit). */
static void check_leaf(dec *d, const dia_avp_def *def, const dia_avp_hdr *h, size_t off,
                       const uint8_t *p, size_t n)
{
    if (!def) {
        /* RFC 6733 §4.1: an unrecognised AVP with M set must be rejected with 5001. */
        if (h->flags & DIA_AVP_FLAG_M) fault_sem(d, DIA_ERR_AVP_UNSUPPORTED, off, h, off);
        return;
    }
    int fixed = dia_dict_type_fixed_len(def->type);
    if (fixed >= 0 && n != (size_t)fixed) {
        fault_sem(d, DIA_ERR_AVP_LENGTH, off, h, off);
        return;
    }
    switch (def->type) {
    case DIA_TYPE_ADDRESS: {
        unsigned fam = n >= 2 ? ((unsigned)p[0] << 8 | p[1]) : 0;
        if (n < 2 || (fam == 1 && n != 6) || (fam == 2 && n != 18))
            fault_sem(d, DIA_ERR_AVP_LENGTH, off, h, off);
        break;
    }
    case DIA_TYPE_UTF8:
    case DIA_TYPE_IDENTITY:
    case DIA_TYPE_URI:
        /* RFC 6733 §4.3.1 UTF8String: invalid UTF-8 is an invalid value (5004). */
        if (n && !g_utf8_validate_len((const char *)p, n, NULL))
            fault_sem(d, DIA_ERR_AVP_VALUE, off, h, off);
        break;
    default:
        break;
    }
}

static gboolean parse_list(dec *d, size_t off, size_t end, unsigned level, GPtrArray *out);

static gboolean parse_avp(dec *d, size_t off, size_t end, unsigned level, GPtrArray *out,
                          size_t *next)
{
    const uint8_t *p = d->buf + off;
    size_t left = end - off;
    dia_avp_hdr h = {rd32(p), p[4], 0, rd24(p + 5)};
    gboolean has_v = (h.flags & DIA_AVP_FLAG_V) != 0;
    size_t hl = has_v ? DIA_AVP_HDR_LEN_V : DIA_AVP_HDR_LEN;
    if (has_v && left >= DIA_AVP_HDR_LEN_V) h.vendor = rd32(p + 8);

    /* RFC 6733 §4.1: AVP Length >= 8 (12 with V); it must fit in the message / Grouped AVP. */
    if (h.length < hl || h.length > left) {
        fault_avp(d, d->err, DIA_ERR_AVP_LENGTH, off + 5, &h, off, MIN(left, hl), FALSE, d->depth);
        return FALSE;
    }
    size_t padded = pad4(h.length);
    if (padded > left) {
        fault_avp(d, d->err, DIA_ERR_AVP_PADDING, off + h.length, &h, off, h.length, TRUE,
                  d->depth);
        return FALSE;
    }
    if (!(d->flags & DIA_DEC_LENIENT)) {
        /* RFC 6733 §4: padding bytes are zero; non-zero ones betray a wrong AVP Length. */
        for (size_t i = h.length; i < padded; i++) {
            if (p[i]) {
                fault_avp(d, d->err, DIA_ERR_AVP_PADDING, off + i, &h, off, h.length, TRUE,
                          d->depth);
                return FALSE;
            }
        }
        /* RFC 6733 §4.1: an unrecognised flag bit SHOULD be considered an error (3009). */
        if ((h.flags & DIA_AVP_FLAG_RESERVED) && !d->in_failed)
            fault_sem(d, DIA_ERR_AVP_BITS, off + 4, &h, off);
    }

    const uint8_t *data = p + hl;
    size_t n = h.length - hl;
    const dia_avp_def *def = (d->flags & DIA_DEC_RAW) ? NULL : dia_dict_avp(h.code, h.vendor);
    dia_avp *a = g_new0(dia_avp, 1);
    a->code = h.code;
    a->flags = h.flags;
    a->vendor = h.vendor;

    if (def && def->type == DIA_TYPE_GROUPED) {
        if (level >= d->max_depth && n > 0) {
            fault_avp(d, d->err, DIA_ERR_DEPTH, off + hl, &h, off, h.length, FALSE, d->depth);
            dia_avp_free(a);
            return FALSE;
        }
        a->children = avp_list_new();
        d->outer[d->depth] = h;
        d->outer_off[d->depth] = off;
        d->depth++;
        /* RFC 6733 §7.5: Failed-AVP carries the AVPs a peer could not process (unknown M bit,
         * bad sizes): only their framing is checked, not the dictionary rules. */
        gboolean failed = h.code == DIA_AVP_FAILED_AVP && h.vendor == 0;
        d->in_failed += failed;
        gboolean ok = parse_list(d, off + hl, off + h.length, level + 1, a->children);
        d->in_failed -= failed;
        d->depth--;
        if (!ok) {
            dia_avp_free(a);
            return FALSE;
        }
    } else {
        if (n) a->data = g_bytes_new(data, n);
        if (!(d->flags & (DIA_DEC_RAW | DIA_DEC_NO_VALIDATE)) && !d->in_failed)
            check_leaf(d, def, &h, off, data, n);
    }
    g_ptr_array_add(out, a);
    *next = off + padded;
    return TRUE;
}

static gboolean parse_list(dec *d, size_t off, size_t end, unsigned level, GPtrArray *out)
{
    while (off < end) {
        if (end - off < DIA_AVP_HDR_LEN) {
            if (d->depth == 0) {
                /* Bytes after the last AVP that cannot hold an AVP header. */
                set_status(d->err, DIA_ERR_MSG_LENGTH, off);
                return FALSE;
            }
            /* RFC 6733 §4.4: a Grouped AVP's data is a sequence of AVPs; this one's is not. */
            unsigned g = d->depth - 1;
            fault_avp(d, d->err, DIA_ERR_AVP_VALUE, off, &d->outer[g], d->outer_off[g],
                      d->outer[g].length, FALSE, g);
            return FALSE;
        }
        if (!parse_avp(d, off, end, level, out, &off)) return FALSE;
    }
    return TRUE;
}

dia_msg *dia_msg_decode(const uint8_t *buf, size_t len, const dia_decode_opts *opts, dia_error *err)
{
    dia_error local = DIA_ERROR_INIT;
    dia_error *e = err ? err : &local;
    memset(e, 0, sizeof *e);
    dec d = {.buf = buf, .len = len, .err = e};
    d.flags = opts ? opts->flags : 0;
    d.max_depth = opts && opts->max_depth ? opts->max_depth : DIA_DEFAULT_MAX_DEPTH;
    if (d.max_depth > DIA_MAX_DEPTH_LIMIT) d.max_depth = DIA_MAX_DEPTH_LIMIT;

    if (!buf || len < DIA_HDR_LEN) {
        set_status(e, DIA_ERR_TRUNCATED, len);
        goto fail;
    }
    dia_msg *m = dia_msg_new(rd24(buf + 5), rd32(buf + 8), buf[4], rd32(buf + 12), rd32(buf + 16));
    m->version = buf[0];
    uint32_t mlen = rd24(buf + 1);
    e->partial = m;
    if (buf[0] != DIA_VERSION) { /* RFC 6733 §3: Version MUST be 1 */
        set_status(e, DIA_ERR_VERSION, 0);
        goto fail;
    }
    /* RFC 6733 §3: Message Length covers header and padded AVPs, so it is a multiple of 4. */
    if (mlen != len || (mlen & 3)) {
        set_status(e, DIA_ERR_MSG_LENGTH, 1);
        goto fail;
    }
    /* RFC 6733 §3: the E bit MUST NOT be set in requests. */
    if ((m->flags & DIA_FLAG_R) && (m->flags & DIA_FLAG_E)) {
        set_status(e, DIA_ERR_HDR_BITS, 4);
        goto fail;
    }
    if (!parse_list(&d, DIA_HDR_LEN, len, 1, m->avps)) {
        dia_error_clear(&d.sem);
        goto fail;
    }
    if (d.sem.status != DIA_OK) {
        *e = d.sem; /* takes over avp_bytes */
        e->partial = m;
        goto fail;
    }
    e->partial = NULL;
    return m;
fail:
    if (!err) dia_error_clear(&local);
    return NULL;
}

dia_status dia_frame_length(const uint8_t *buf, size_t len, size_t max_len, size_t *msg_len)
{
    if (!buf || len < 4) return DIA_ERR_TRUNCATED;
    size_t l = rd24(buf + 1);
    if (!max_len) max_len = DIA_DEFAULT_MAX_MSG;
    if (l < DIA_HDR_LEN) return DIA_ERR_MSG_LENGTH;
    if (l > max_len) return DIA_ERR_TOO_BIG;
    if (msg_len) *msg_len = l;
    return DIA_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Text dump */

static gboolean printable_utf8(const uint8_t *p, size_t n)
{
    if (!g_utf8_validate_len((const char *)p, n, NULL)) return FALSE;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t') return FALSE;
    return TRUE;
}

static void dump_value(GString *s, const dia_avp *a, const dia_avp_def *def)
{
    size_t n;
    const uint8_t *p = dia_avp_data(a, &n);
    dia_type t = def ? def->type : DIA_TYPE_OCTETS;
    uint32_t u32;
    uint64_t u64;
    if ((t == DIA_TYPE_U32 || t == DIA_TYPE_TIME) && dia_avp_get_u32(a, &u32)) {
        const char *name =
            a->code == DIA_AVP_RESULT_CODE && a->vendor == 0 ? dia_dict_result_name(u32) : NULL;
        g_string_append_printf(s, "%u%s%s", u32, name ? " " : "", name ? name : "");
        return;
    }
    if ((t == DIA_TYPE_I32 || t == DIA_TYPE_ENUM) && dia_avp_get_u32(a, &u32)) {
        const char *name = dia_dict_enum_name(a->code, a->vendor, (int32_t)u32);
        g_string_append_printf(s, "%d%s%s", (int32_t)u32, name ? " " : "", name ? name : "");
        return;
    }
    if ((t == DIA_TYPE_U64 || t == DIA_TYPE_I64) && dia_avp_get_u64(a, &u64)) {
        g_string_append_printf(s, "%" G_GUINT64_FORMAT, u64);
        return;
    }
    if (t == DIA_TYPE_ADDRESS) {
        int fam;
        uint8_t ip[16];
        char txt[INET6_ADDRSTRLEN];
        if (dia_avp_get_addr(a, &fam, ip) && inet_ntop(fam, ip, txt, sizeof txt)) {
            g_string_append(s, txt);
            return;
        }
    }
    if (n && printable_utf8(p, n)) {
        char *raw = g_strndup((const char *)p, n);
        char *esc = g_strescape(raw, NULL);
        g_string_append_printf(s, "\"%s\"", esc);
        g_free(esc);
        g_free(raw);
        return;
    }
    g_string_append(s, "0x");
    for (size_t i = 0; i < n && i < 64; i++)
        g_string_append_printf(s, "%02x", p[i]);
    if (n > 64) g_string_append_printf(s, "... (%zu bytes)", n);
}

static void dump_list(GString *s, const GPtrArray *l, int indent)
{
    for (guint i = 0; i < l->len; i++) {
        const dia_avp *a = g_ptr_array_index(l, i);
        const dia_avp_def *def = dia_dict_avp(a->code, a->vendor);
        g_string_append_printf(s, "%*s%s(%u", indent, "", def ? def->name : "AVP", a->code);
        if (a->flags & DIA_AVP_FLAG_V) g_string_append_printf(s, ",%u", a->vendor);
        g_string_append_printf(s, ") %c%c%c", a->flags & DIA_AVP_FLAG_V ? 'V' : '-',
                               a->flags & DIA_AVP_FLAG_M ? 'M' : '-',
                               a->flags & DIA_AVP_FLAG_P ? 'P' : '-');
        if (a->children) {
            g_string_append(s, ":\n");
            dump_list(s, a->children, indent + 2);
        } else {
            g_string_append(s, " ");
            dump_value(s, a, def);
            g_string_append(s, "\n");
        }
    }
}

char *dia_msg_to_string(const dia_msg *m)
{
    if (!m) return g_strdup("(null)");
    GString *s = g_string_new(NULL);
    const char *abbr = dia_dict_cmd_abbr(m->cmd, dia_msg_is_request(m));
    g_string_append_printf(s, "%s(%u) %c%c%c%c app %u hbh 0x%08x e2e 0x%08x\n", abbr ? abbr : "CMD",
                           m->cmd, m->flags & DIA_FLAG_R ? 'R' : '-',
                           m->flags & DIA_FLAG_P ? 'P' : '-', m->flags & DIA_FLAG_E ? 'E' : '-',
                           m->flags & DIA_FLAG_T ? 'T' : '-', m->app_id, m->hbh, m->e2e);
    dump_list(s, m->avps, 2);
    return g_string_free(s, FALSE);
}
