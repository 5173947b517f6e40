/* WIC API message codec: one table says which members each message type carries and what each
 * member may hold; the parser and the builders both follow it, so the wtpf never sends what its
 * own parser would refuse. json-glib does the JSON; a pre-scan keeps it away from inputs it
 * handles badly (deep nesting overflows its recursive parser, U+0000 silently cuts strings). */
#include "wtpf/wic_msg.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef enum {
    CS_ANY,     /* any UTF-8 (sdp) */
    CS_VISIBLE, /* visible ASCII 0x21-0x7E: ids, numbers, URIs, user names */
    CS_TEXT,    /* UTF-8 without control characters: names, reasons */
    CS_DTMF,    /* RFC 4733 §3.2 events 0-15: 0-9 * # A-D */
} charset;

typedef struct {
    const char *name;
    bool is_int;
    long min, max; /* string length in bytes, or the integer's range */
    charset cs;
    size_t offset; /* of the member in wic_msg */
} field_spec;

#define STR_FIELD(n, lo, hi, cs, member)                                                           \
    {                                                                                              \
        n, false, lo, hi, cs, offsetof(wic_msg, member)                                            \
    }
static const field_spec F_ID = STR_FIELD("id", 1, WIC_ID_MAX, CS_VISIBLE, id);
static const field_spec F_TO = STR_FIELD("to", 1, WIC_TO_MAX, CS_VISIBLE, to);
static const field_spec F_SDP = STR_FIELD("sdp", 1, WIC_SDP_MAX, CS_ANY, sdp);
static const field_spec F_DIGITS = STR_FIELD("digits", 1, WIC_DIGITS_MAX, CS_DTMF, digits);
static const field_spec F_USER = STR_FIELD("user", 1, WIC_USER_MAX, CS_VISIBLE, user);
static const field_spec F_URI = STR_FIELD("uri", 1, WIC_URI_MAX, CS_VISIBLE, uri);
static const field_spec F_FROM = STR_FIELD("from", 1, WIC_FROM_MAX, CS_TEXT, from);
static const field_spec F_REASON = STR_FIELD("reason", 0, WIC_REASON_MAX, CS_TEXT, reason);
/* progress relays a provisional SIP response (180/183, RFC 3261 §21.1); ended and error carry a
 * SIP-style final status. */
static const field_spec F_CODE_1XX = {"code", true, 101, 199, CS_ANY, offsetof(wic_msg, code)};
static const field_spec F_CODE = {"code", true, 100, 699, CS_ANY, offsetof(wic_msg, code)};

typedef struct {
    const field_spec *f;
    bool optional;
} member_spec;

typedef struct {
    const char *name;
    wic_dir dir;
    member_spec m[3];
    size_t n;
} type_spec;

/* DESIGN.md "WIC API": members in the order the design lists them. */
static const type_spec TYPES[WIC_MSG_COUNT] = {
    [WIC_MSG_CALL] = {"call", WIC_FROM_CLIENT, {{&F_ID, 0}, {&F_TO, 0}, {&F_SDP, 0}}, 3},
    [WIC_MSG_ANSWER] = {"answer", WIC_FROM_CLIENT, {{&F_ID, 0}, {&F_SDP, 0}}, 2},
    [WIC_MSG_REJECT] = {"reject", WIC_FROM_CLIENT, {{&F_ID, 0}}, 1},
    [WIC_MSG_HANGUP] = {"hangup", WIC_FROM_CLIENT, {{&F_ID, 0}}, 1},
    [WIC_MSG_DTMF] = {"dtmf", WIC_FROM_CLIENT, {{&F_ID, 0}, {&F_DIGITS, 0}}, 2},
    [WIC_MSG_READY] = {"ready", WIC_FROM_SERVER, {{&F_USER, 0}, {&F_URI, 0}}, 2},
    [WIC_MSG_INCOMING] = {"incoming", WIC_FROM_SERVER, {{&F_ID, 0}, {&F_FROM, 0}, {&F_SDP, 0}}, 3},
    [WIC_MSG_PROGRESS] = {"progress", WIC_FROM_SERVER, {{&F_ID, 0}, {&F_CODE_1XX, 0}}, 2},
    [WIC_MSG_ANSWERED] = {"answered", WIC_FROM_SERVER, {{&F_ID, 0}, {&F_SDP, 0}}, 2},
    [WIC_MSG_ENDED] = {"ended", WIC_FROM_SERVER, {{&F_ID, 0}, {&F_CODE, 0}, {&F_REASON, 0}}, 3},
    [WIC_MSG_ERROR] = {"error", WIC_FROM_SERVER, {{&F_ID, 1}, {&F_CODE, 0}, {&F_REASON, 0}}, 3},
};

const char *wic_msg_type_name(wic_msg_type t)
{
    return (unsigned)t < WIC_MSG_COUNT ? TYPES[t].name : NULL;
}

wic_dir wic_msg_type_dir(wic_msg_type t)
{
    return (unsigned)t < WIC_MSG_COUNT ? TYPES[t].dir : WIC_FROM_CLIENT;
}

int wic_err_status(wic_err e)
{
    switch (e) {
    case WIC_OK:
        return 200;
    case WIC_ERR_TOO_BIG:
        return 413;
    case WIC_ERR_UNKNOWN_TYPE:
        return 501;
    default:
        return 400;
    }
}

/* A reason is one clean line: control characters (none can come from json-glib's messages or our
 * formats, but the peer's type string is quoted in one) become '?'. */
static wic_err fail(wic_error *e, wic_err err, const char *field, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static wic_err fail(wic_error *e, wic_err err, const char *field, const char *fmt, ...)
{
    if (!e) return err;
    e->err = err;
    e->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
    va_end(ap);
    for (char *p = e->reason; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = '?';
    /* vsnprintf may cut a UTF-8 character: keep the valid prefix only */
    const char *end;
    if (!g_utf8_validate(e->reason, -1, &end)) e->reason[end - e->reason] = '\0';
    return err;
}

static wic_err check_string(const field_spec *f, const char *s, wic_error *e)
{
    size_t n = strlen(s);
    if ((long)n < f->min)
        return fail(e, WIC_ERR_FIELD_SIZE, f->name, "field '%s' is empty", f->name);
    if ((long)n > f->max)
        return fail(e, WIC_ERR_FIELD_SIZE, f->name, "field '%s' is longer than %ld bytes", f->name,
                    f->max);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (f->cs) {
        case CS_VISIBLE:
            if (c < 0x21 || c > 0x7E)
                return fail(e, WIC_ERR_FIELD_VALUE, f->name,
                            "field '%s' must be visible ASCII characters", f->name);
            break;
        case CS_TEXT:
            if (c < 0x20 || c == 0x7F)
                return fail(e, WIC_ERR_FIELD_VALUE, f->name,
                            "field '%s' contains a control character", f->name);
            break;
        case CS_DTMF:
            if (!strchr("0123456789*#ABCD", c))
                return fail(e, WIC_ERR_BAD_DIGITS, f->name,
                            "field '%s' must only hold 0-9, *, #, A-D", f->name);
            break;
        case CS_ANY:
            break;
        }
    }
    return WIC_OK;
}

/* Before json-glib sees the text: bounded nesting, no U+0000 escapes, and outside strings only
 * the characters of RFC 8259 tokens. The last rule also keeps json-glib's extensions (single
 * quotes, comments, hex numbers) out, so that a quote this scan cannot see cannot hide nesting. */
static wic_err prescan(const char *t, size_t len, wic_error *e)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '"') {
                in_str = false;
            } else if (c == '\\') {
                /* RFC 8259 §7: \u0000 is legal JSON, but json-glib cuts the string there */
                if (i + 5 < len && t[i + 1] == 'u' && memcmp(t + i + 2, "0000", 4) == 0)
                    return fail(e, WIC_ERR_JSON, NULL, "invalid JSON: \\u0000 in a string");
                i++;
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > WIC_DEPTH_MAX)
                return fail(e, WIC_ERR_JSON, NULL, "invalid JSON: nested deeper than %d",
                            WIC_DEPTH_MAX);
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (!strchr(" \t\r\n:,-+.0123456789eEtruefalsn", c) || c == '\0') {
            return fail(e, WIC_ERR_JSON, NULL, "invalid JSON: unexpected character at offset %zu",
                        i);
        }
    }
    return WIC_OK;
}

static wic_err read_member(JsonObject *o, const member_spec *ms, wic_msg *m, wic_error *e)
{
    const field_spec *f = ms->f;
    JsonNode *n = json_object_get_member(o, f->name);
    if (!n || (ms->optional && JSON_NODE_HOLDS_NULL(n))) {
        if (ms->optional) return WIC_OK;
        return fail(e, WIC_ERR_MISSING_FIELD, f->name, "missing field '%s'", f->name);
    }
    if (f->is_int) {
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
            return fail(e, WIC_ERR_FIELD_TYPE, f->name, "field '%s' must be an integer", f->name);
        gint64 v = json_node_get_int(n);
        if (v < f->min || v > f->max)
            return fail(e, WIC_ERR_FIELD_VALUE, f->name, "field '%s' must be within %ld..%ld",
                        f->name, f->min, f->max);
        *(int *)((char *)m + f->offset) = (int)v;
        return WIC_OK;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return fail(e, WIC_ERR_FIELD_TYPE, f->name, "field '%s' must be a string", f->name);
    const char *s = json_node_get_string(n);
    wic_err err = check_string(f, s, e);
    if (err != WIC_OK) return err;
    *(char **)((char *)m + f->offset) = g_strdup(s);
    return WIC_OK;
}

/* The id goes back in the error answer whenever it is readable, whatever else is wrong. */
static void remember_id(JsonObject *o, wic_error *e)
{
    JsonNode *n = json_object_get_member(o, "id");
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return;
    const char *s = json_node_get_string(n);
    if (check_string(&F_ID, s, NULL) == WIC_OK) g_strlcpy(e->id, s, sizeof(e->id));
}

static wic_err parse_object(JsonObject *o, wic_dir dir, wic_msg *m, wic_error *e)
{
    remember_id(o, e);
    JsonNode *tn = json_object_get_member(o, "type");
    if (!tn) return fail(e, WIC_ERR_MISSING_FIELD, "type", "missing field 'type'");
    if (!JSON_NODE_HOLDS_VALUE(tn) || json_node_get_value_type(tn) != G_TYPE_STRING)
        return fail(e, WIC_ERR_FIELD_TYPE, "type", "field 'type' must be a string");
    const char *type = json_node_get_string(tn);
    int t = -1;
    for (int i = 0; i < WIC_MSG_COUNT; i++)
        if (strcmp(TYPES[i].name, type) == 0) t = i;
    if (t < 0) return fail(e, WIC_ERR_UNKNOWN_TYPE, "type", "unknown type '%.32s'", type);
    if (TYPES[t].dir != dir)
        return fail(e, WIC_ERR_UNKNOWN_TYPE, "type", "type '%s' is not sent by the %s", type,
                    dir == WIC_FROM_CLIENT ? "client" : "server");
    m->type = (wic_msg_type)t;
    for (size_t i = 0; i < TYPES[t].n; i++) {
        wic_err err = read_member(o, &TYPES[t].m[i], m, e);
        if (err != WIC_OK) return err;
    }
    return WIC_OK;
}

wic_err wic_msg_parse(const char *text, size_t len, wic_dir dir, wic_msg *m, wic_error *e)
{
    wic_error scratch;
    if (!e) e = &scratch;
    memset(m, 0, sizeof(*m));
    memset(e, 0, sizeof(*e));
    if (len > WIC_TEXT_MAX)
        return fail(e, WIC_ERR_TOO_BIG, NULL, "message longer than %d bytes", WIC_TEXT_MAX);
    /* RFC 8259 §8.1: JSON text is UTF-8 (a raw NUL is no JSON either) */
    if (!g_utf8_validate_len(text, len, NULL))
        return fail(e, WIC_ERR_JSON, NULL, "invalid JSON: not UTF-8 text");
    wic_err err = prescan(text, len, e);
    if (err != WIC_OK) return err;

    JsonParser *p = json_parser_new_immutable();
    GError *ge = NULL;
    if (!json_parser_load_from_data(p, text, (gssize)len, &ge)) {
        err = fail(e, WIC_ERR_JSON, NULL, "invalid JSON: %s", ge ? ge->message : "?");
    } else {
        JsonNode *root = json_parser_get_root(p);
        if (!root)
            err = fail(e, WIC_ERR_JSON, NULL, "invalid JSON: empty message");
        else if (!JSON_NODE_HOLDS_OBJECT(root))
            err = fail(e, WIC_ERR_NOT_OBJECT, NULL, "message is not a JSON object");
        else
            err = parse_object(json_node_get_object(root), dir, m, e);
    }
    g_clear_error(&ge);
    g_object_unref(p);
    if (err != WIC_OK) wic_msg_clear(m);
    return err;
}

void wic_msg_clear(wic_msg *m)
{
    g_free(m->id);
    g_free(m->to);
    g_free(m->sdp);
    g_free(m->digits);
    g_free(m->user);
    g_free(m->uri);
    g_free(m->from);
    g_free(m->reason);
    wic_msg_type t = m->type;
    memset(m, 0, sizeof(*m));
    m->type = t;
}

/* Free text made fit to send: valid UTF-8, no control characters, at most WIC_REASON_MAX bytes
 * cut on a character boundary. */
static char *clean_text(const char *s)
{
    char *c = g_utf8_make_valid(s, -1);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = ' ';
    size_t n = strlen(c);
    if (n > WIC_REASON_MAX) {
        n = WIC_REASON_MAX;
        while (n > 0 && ((unsigned char)c[n] & 0xC0) == 0x80)
            n--;
        c[n] = '\0';
    }
    return c;
}

static bool add_member(JsonBuilder *b, const member_spec *ms, const wic_msg *m)
{
    const field_spec *f = ms->f;
    if (f->is_int) {
        int v = *(const int *)((const char *)m + f->offset);
        if (v < f->min || v > f->max) return false;
        json_builder_set_member_name(b, f->name);
        json_builder_add_int_value(b, v);
        return true;
    }
    const char *s = *(char *const *)((const char *)m + f->offset);
    if (!s) return ms->optional;
    if (f == &F_REASON) {
        char *c = clean_text(s);
        json_builder_set_member_name(b, f->name);
        json_builder_add_string_value(b, c);
        g_free(c);
        return true;
    }
    if (!g_utf8_validate(s, -1, NULL) || check_string(f, s, NULL) != WIC_OK) return false;
    json_builder_set_member_name(b, f->name);
    json_builder_add_string_value(b, s);
    return true;
}

char *wic_msg_build(const wic_msg *m)
{
    if ((unsigned)m->type >= WIC_MSG_COUNT) return NULL;
    const type_spec *ts = &TYPES[m->type];
    JsonBuilder *b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, ts->name);
    bool ok = true;
    for (size_t i = 0; ok && i < ts->n; i++)
        ok = add_member(b, &ts->m[i], m);
    json_builder_end_object(b);
    char *out = NULL;
    if (ok) {
        JsonNode *root = json_builder_get_root(b);
        JsonGenerator *g = json_generator_new();
        json_generator_set_root(g, root);
        out = json_generator_to_data(g, NULL);
        g_object_unref(g);
        json_node_unref(root);
    }
    g_object_unref(b);
    return out;
}

/* The typed builders fill a wic_msg that only borrows the caller's strings. */
#define BORROW(s) ((char *)(s))

char *wic_build_ready(const char *user, const char *uri)
{
    wic_msg m = {.type = WIC_MSG_READY, .user = BORROW(user), .uri = BORROW(uri)};
    return wic_msg_build(&m);
}

char *wic_build_incoming(const char *id, const char *from, const char *sdp)
{
    wic_msg m = {
        .type = WIC_MSG_INCOMING, .id = BORROW(id), .from = BORROW(from), .sdp = BORROW(sdp)};
    return wic_msg_build(&m);
}

char *wic_build_progress(const char *id, int code)
{
    wic_msg m = {.type = WIC_MSG_PROGRESS, .id = BORROW(id), .code = code};
    return wic_msg_build(&m);
}

char *wic_build_answered(const char *id, const char *sdp)
{
    wic_msg m = {.type = WIC_MSG_ANSWERED, .id = BORROW(id), .sdp = BORROW(sdp)};
    return wic_msg_build(&m);
}

char *wic_build_ended(const char *id, int code, const char *reason)
{
    wic_msg m = {.type = WIC_MSG_ENDED, .id = BORROW(id), .code = code, .reason = BORROW(reason)};
    return wic_msg_build(&m);
}

char *wic_build_error(const char *id, int code, const char *reason)
{
    wic_msg m = {.type = WIC_MSG_ERROR, .id = BORROW(id), .code = code, .reason = BORROW(reason)};
    return wic_msg_build(&m);
}

char *wic_build_parse_error(const wic_error *e)
{
    return wic_build_error(e->id[0] ? e->id : NULL, wic_err_status(e->err), e->reason);
}

char *wic_build_call(const char *id, const char *to, const char *sdp)
{
    wic_msg m = {.type = WIC_MSG_CALL, .id = BORROW(id), .to = BORROW(to), .sdp = BORROW(sdp)};
    return wic_msg_build(&m);
}

char *wic_build_answer(const char *id, const char *sdp)
{
    wic_msg m = {.type = WIC_MSG_ANSWER, .id = BORROW(id), .sdp = BORROW(sdp)};
    return wic_msg_build(&m);
}

char *wic_build_reject(const char *id)
{
    wic_msg m = {.type = WIC_MSG_REJECT, .id = BORROW(id)};
    return wic_msg_build(&m);
}

char *wic_build_hangup(const char *id)
{
    wic_msg m = {.type = WIC_MSG_HANGUP, .id = BORROW(id)};
    return wic_msg_build(&m);
}

char *wic_build_dtmf(const char *id, const char *digits)
{
    wic_msg m = {.type = WIC_MSG_DTMF, .id = BORROW(id), .digits = BORROW(digits)};
    return wic_msg_build(&m);
}
