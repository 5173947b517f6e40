/* H.248 text parser: a recursive-descent reader of the H.248.1 Annex B.2 ABNF (RFC 3525, v3)
 * into the model of codec.h: message header, transactions, actions and commands here,
 * descriptors in parse_desc.c. Bounded by h248_limits; every read checks the buffer length. On
 * failure it reports the H.248.8 error code for the level where the syntax broke. */
#include "h248/parse_int.h"

#include <stdarg.h>
#include <stdio.h>

void h248_limits_default(h248_limits *lim)
{
    lim->max_message = 65507;
    lim->max_depth = 12;
    lim->max_items = 256;
    lim->max_token = 256;
    lim->max_quoted = 2048;
    lim->max_octets = 16384;
}

/* ---- Errors ---- */

bool h248_p_fail(parser *p, unsigned code, size_t at, const char *fmt, ...)
{
    if (p->failed) return false;
    p->failed = true;
    h248_parse_error *e = p->err;
    if (!e) return false;
    memset(e, 0, sizeof(*e));
    e->code = code ? code : p->ectx;
    e->offset = at > p->len ? p->len : at;
    e->line = 1;
    e->column = 1;
    for (size_t i = 0; i < e->offset; i++) {
        if (p->buf[i] == '\n') {
            e->line++;
            e->column = 1;
        } else {
            e->column++;
        }
    }
    e->has_tid = p->has_tid;
    e->tid = p->tid;
    e->trans_kind = p->tkind;
    e->version = p->version;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    /* The text goes into an Error quotedString: keep it printable and free of DQUOTE. */
    for (char *c = e->text; *c; c++)
        if (*c == '"' || (unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) *c = '\'';
    return false;
}

/* A short printable excerpt of the input at `at`, for error texts. */
static const char *excerpt(const parser *p, size_t at, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = at; i < p->len && n + 1 < cap && n < 24; i++) {
        unsigned char c = (unsigned char)p->buf[i];
        if (c == '\n' || c == '\r') break;
        out[n++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    out[n] = '\0';
    if (n == 0 && at >= p->len) g_strlcpy(out, "end of message", cap);
    return out;
}

bool h248_p_fail_expected(parser *p, size_t at, const char *what)
{
    char ex[32];
    if (at >= p->len) return FAIL(p, 0, at, "truncated: expected %s at end of message", what);
    return FAIL(p, 0, at, "expected %s at '%s'", what, excerpt(p, at, ex, sizeof(ex)));
}

/* ---- Commands, actions, transactions ---- */

static const h248_tok cmd_tokens[] = {TK_ADD,    TK_MODIFY,        TK_SUBTRACT,
                                      TK_MOVE,   TK_AUDITVALUE,    TK_AUDITCAP,
                                      TK_NOTIFY, TK_SERVICECHANGE, TK_NONE};

static h248_cmd_type cmd_type(h248_tok t)
{
    switch (t) {
    case TK_ADD:
        return H248_CMD_ADD;
    case TK_MODIFY:
        return H248_CMD_MODIFY;
    case TK_SUBTRACT:
        return H248_CMD_SUBTRACT;
    case TK_MOVE:
        return H248_CMD_MOVE;
    case TK_AUDITVALUE:
        return H248_CMD_AUDIT_VALUE;
    case TK_AUDITCAP:
        return H248_CMD_AUDIT_CAP;
    case TK_NOTIFY:
        return H248_CMD_NOTIFY;
    default:
        return H248_CMD_SERVICE_CHANGE;
    }
}

/* commandRequest / commandReplys: Token EQUAL TerminationID [LBRKT descriptor *(COMMA
 * descriptor) RBRKT]. Notify and ServiceChange requests require their descriptor. */
static bool command(parser *p, h248_command *c, bool request, size_t at)
{
    word_t w;
    if (!expect(p, '=', "'=' after the command")) return false;
    if (peek(p) == '[')
        return FAIL(p, H248_ERR_NOT_IMPLEMENTED, p->pos, "termination id lists not supported");
    if (!word(p, &w, "a termination id")) return false;
    if (!h248_valid_term_id(w.s, w.n))
        return FAIL(p, 0, w.at, "bad termination id (%.*s)", (int)MIN(w.n, 70), w.s);
    c->term_id = g_strndup(w.s, w.n);
    if (peek(p) == '{') {
        if (!open_brace(p)) return false;
        unsigned count = 0;
        for (bool more = true; more;)
            if (!h248_p_descriptor(p, c) || !list_next(p, &count, &more)) return false;
    }
    if (request && c->type == H248_CMD_NOTIFY && !c->observed_events && !c->error)
        return FAIL(p, 0, at, "Notify without ObservedEvents");
    if (request && c->type == H248_CMD_SERVICE_CHANGE && !c->services)
        return FAIL(p, 0, at, "ServiceChange without Services");
    return true;
}

static bool context_id(parser *p, h248_ctx_id *out)
{
    word_t w;
    uint64_t v;
    if (!word(p, &w, "a context id")) return false;
    if (w.n == 1 && (w.s[0] == '-' || w.s[0] == '$' || w.s[0] == '*')) {
        *out = h248_ctx_special(w.s[0] == '-'   ? H248_CTX_NULL
                                : w.s[0] == '$' ? H248_CTX_CHOOSE
                                                : H248_CTX_ALL);
        return true;
    }
    if (!h248_parse_uint(w.s, w.n, 10, 4294967295u, &v))
        return FAIL(p, 0, w.at, "bad context id (%.*s)", (int)MIN(w.n, 20), w.s);
    *out = h248_ctx_num((uint32_t)v);
    return true;
}

/* actionRequest = CtxToken EQUAL ContextID LBRKT ((contextRequest [COMMA commandRequestList])
 *     / commandRequestList) RBRKT
 * actionReply = CtxToken EQUAL ContextID [LBRKT actionReplyBody RBRKT] (v3) */
static bool action(parser *p, h248_transaction *t)
{
    static const h248_tok ctx_props[] = {TK_PRIORITY, TK_EMERGENCY, TK_EMERGENCYOFF, TK_IEPS,
                                         TK_TOPOLOGY, TK_CTXATTR,   TK_CTXAUDIT,     TK_NONE};
    bool request = t->kind == H248_TR_REQUEST;
    word_t w;
    if (!word(p, &w, "Context")) return false;
    if (!h248_tok_is(TK_CTX, w.s, w.n))
        return FAIL(p, 0, w.at, "expected Context, got '%.*s'", (int)MIN(w.n, 32), w.s);
    p->ectx = H248_ERR_SYNTAX_ACTION;
    h248_ctx_id ctx;
    if (!expect(p, '=', "'='") || !context_id(p, &ctx)) return false;
    h248_action *a = h248_transaction_add_action(t, ctx);
    if (!request && peek(p) != '{') {
        p->ectx = H248_ERR_SYNTAX_TRANSACTION;
        return true;
    }
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        if (!word(p, &w, "a command or context property")) return false;
        h248_tok prop = h248_tok_find(ctx_props, w.s, w.n);
        if (prop != TK_NONE) {
            uint64_t v;
            if ((prop == TK_PRIORITY && a->priority >= 0) || (prop == TK_IEPS && a->ieps >= 0) ||
                ((prop == TK_EMERGENCY || prop == TK_EMERGENCYOFF) && a->emergency >= 0))
                return FAIL(p, 0, w.at, "%.*s appears twice", (int)w.n, w.s);
            if (prop == TK_PRIORITY) {
                if (!equal_uint(p, 5, 65535, &v, "priority")) return false;
                a->priority = (int)v;
            } else if (prop == TK_EMERGENCY || prop == TK_EMERGENCYOFF) {
                a->emergency = prop == TK_EMERGENCY;
            } else if (prop == TK_IEPS) {
                if (!on_off(p, &a->ieps)) return false;
            } else {
                return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at, "%s not supported",
                            h248_tok_long(prop));
            }
        } else if (h248_tok_is(TK_ERROR, w.s, w.n)) {
            if (request) return FAIL(p, 0, w.at, "Error descriptor in a request action");
            if (a->error) return h248_p_dup_desc(p, &w);
            if (!h248_p_error_desc(p, &a->error)) return false;
        } else {
            /* commandRequestList = ["O-"] ["W-"] commandRequest *(...) */
            const char *s = w.s;
            size_t n = w.n;
            bool opt = false, wild = false;
            while (n > 2 && s[1] == '-' &&
                   (s[0] == 'O' || s[0] == 'o' || s[0] == 'W' || s[0] == 'w')) {
                if (s[0] == 'O' || s[0] == 'o')
                    opt = true;
                else
                    wild = true;
                s += 2;
                n -= 2;
            }
            h248_tok ct = h248_tok_find(cmd_tokens, s, n);
            if (ct == TK_NONE) {
                if (peek(p) == '=' && h248_is_alpha((unsigned char)s[0]))
                    return FAIL(p, H248_ERR_UNKNOWN_COMMAND, w.at, "unknown command (%.*s)",
                                (int)MIN(w.n, 32), w.s);
                return FAIL(p, 0, w.at, "expected a command, got '%.*s'", (int)MIN(w.n, 32), w.s);
            }
            h248_command *c = h248_command_new(cmd_type(ct));
            c->optional = opt;
            c->wildcard_reply = wild;
            g_ptr_array_add(a->commands, c);
            p->ectx = H248_ERR_SYNTAX_COMMAND;
            if (!command(p, c, request, w.at)) return false;
            p->ectx = H248_ERR_SYNTAX_ACTION;
        }
        if (!list_next(p, &count, &more)) return false;
    }
    if (request && a->commands->len == 0 && a->priority < 0 && a->emergency < 0 && a->ieps < 0)
        return FAIL(p, 0, w.at, "empty action");
    p->ectx = H248_ERR_SYNTAX_TRANSACTION;
    return true;
}

/* Reply = TransactionID ["/" SegmentNumber ["/" SegmentationCompleteToken]] */
static bool reply_id(parser *p, h248_transaction *t, const word_t *w)
{
    const char *s = w->s, *end = w->s + w->n;
    const char *sl = memchr(s, '/', w->n);
    uint64_t v;
    if (!h248_parse_uint(s, (size_t)((sl ? sl : end) - s), 10, 4294967295u, &v))
        return FAIL(p, 0, w->at, "bad transaction id (%.*s)", (int)MIN(w->n, 20), w->s);
    t->id = (uint32_t)v;
    if (!sl) return true;
    const char *seg = sl + 1, *sl2 = memchr(seg, '/', (size_t)(end - seg));
    if (!h248_parse_uint(seg, (size_t)((sl2 ? sl2 : end) - seg), 5, 65535, &v) || v == 0)
        return FAIL(p, 0, w->at, "bad segment number");
    t->segment_number = (uint16_t)v;
    if (!sl2) return true;
    if (!h248_tok_is(TK_END, sl2 + 1, (size_t)(end - sl2 - 1)))
        return FAIL(p, 0, w->at, "bad segmentation flag");
    t->segment_complete = true;
    return true;
}

/* transactionAck = transactionID / (transactionID "-" transactionID) */
static bool ack_range(parser *p, h248_transaction *t)
{
    word_t w;
    uint64_t a, b;
    if (!word(p, &w, "a transaction id")) return false;
    const char *dash = memchr(w.s, '-', w.n);
    size_t n1 = dash ? (size_t)(dash - w.s) : w.n;
    if (!h248_parse_uint(w.s, n1, 10, 4294967295u, &a)) goto bad;
    b = a;
    if (dash && !h248_parse_uint(dash + 1, w.n - n1 - 1, 10, 4294967295u, &b)) goto bad;
    if (b < a) goto bad;
    h248_transaction_ack_range(t, (uint32_t)a, (uint32_t)b);
    return true;
bad:
    return FAIL(p, 0, w.at, "bad transaction ack (%.*s)", (int)MIN(w.n, 24), w.s);
}

static bool transaction(parser *p, h248_message *m)
{
    static const h248_tok kinds[] = {TK_TRANS,       TK_REPLY,   TK_PENDING,
                                     TK_RESPONSEACK, TK_SEGMENT, TK_NONE};
    word_t w;
    p->has_tid = false;
    p->ectx = H248_ERR_SYNTAX_MESSAGE;
    if (!word(p, &w, "a transaction")) return false;
    h248_tok k = h248_tok_find(kinds, w.s, w.n);
    if (k == TK_NONE)
        return FAIL(p, 0, w.at, "unknown transaction type (%.*s)", (int)MIN(w.n, 32), w.s);
    if (k == TK_SEGMENT)
        return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at, "segment replies not supported");
    if (k == TK_RESPONSEACK) {
        h248_transaction *t = h248_message_add_transaction(m, H248_TR_RESPONSE_ACK, 0);
        if (!open_brace(p)) return false;
        unsigned count = 0;
        for (bool more = true; more;)
            if (!ack_range(p, t) || !list_next(p, &count, &more)) return false;
        return true;
    }
    h248_trans_kind kind = k == TK_TRANS   ? H248_TR_REQUEST
                           : k == TK_REPLY ? H248_TR_REPLY
                                           : H248_TR_PENDING;
    h248_transaction *t = h248_message_add_transaction(m, kind, 0);
    word_t id;
    if (!expect(p, '=', "'='") || !word(p, &id, "a transaction id")) return false;
    if (kind == H248_TR_REPLY) {
        if (!reply_id(p, t, &id)) return false;
    } else {
        uint64_t v;
        if (!h248_parse_uint(id.s, id.n, 10, 4294967295u, &v))
            return FAIL(p, 0, id.at, "bad transaction id (%.*s)", (int)MIN(id.n, 20), id.s);
        t->id = (uint32_t)v;
    }
    p->has_tid = true;
    p->tid = t->id;
    p->tkind = kind;
    p->ectx = H248_ERR_SYNTAX_TRANSACTION;
    if (!open_brace(p)) return false;
    if (kind == H248_TR_PENDING) return close_brace(p); /* transactionPending: LBRKT RBRKT */
    unsigned count = 0;
    if (kind == H248_TR_REPLY) {
        if (next_is(p, TK_IMMACK)) {
            t->imm_ack_required = true;
            if (!expect(p, ',', "',' after ImmAckRequired")) return false;
        }
        if (p->failed) return false;
        if (next_is(p, TK_ERROR)) {
            return h248_p_error_desc(p, &t->error) && close_brace(p);
        }
        if (p->failed) return false;
    }
    for (bool more = true; more;)
        if (!action(p, t) || !list_next(p, &count, &more)) return false;
    return true;
}

/* megacoMessage = LWSP [authenticationHeader SEP] message
 * message = MegacopToken SLASH Version SEP mId SEP messageBody
 * messageBody = errorDescriptor / transactionList */
static bool message(parser *p, h248_message **out)
{
    word_t w;
    if (!word(p, &w, "MEGACO/version")) return false;
    const char *sl = memchr(w.s, '/', w.n);
    if (!sl) {
        if (h248_tok_is(TK_AUTH, w.s, w.n))
            return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at, "authentication header not supported");
        return FAIL(p, 0, w.at, "expected MEGACO/version");
    }
    if (!h248_tok_is(TK_MEGACO, w.s, (size_t)(sl - w.s)))
        return FAIL(p, 0, w.at, "expected MEGACO/version");
    uint64_t v;
    if (!h248_parse_uint(sl + 1, w.n - (size_t)(sl - w.s) - 1, 2, 99, &v))
        return FAIL(p, 0, w.at, "bad protocol version");
    p->version = (unsigned)v;
    if (v < 1 || v > 3)
        return FAIL(p, H248_ERR_VERSION, w.at, "version %u not supported", (unsigned)v);
    size_t at = p->pos;
    skip_lwsp(p);
    if (p->pos == at) return h248_p_fail_expected(p, at, "white space after the version");
    size_t n = h248_scan_mid(p->buf + p->pos, p->len - p->pos);
    if (n == 0) return h248_p_fail_expected(p, p->pos, "an mId");
    *out = h248_message_new((unsigned)v, NULL);
    g_free((*out)->mid);
    (*out)->mid = g_strndup(p->buf + p->pos, n);
    p->pos += n;
    at = p->pos;
    skip_lwsp(p);
    if (p->pos == at) return h248_p_fail_expected(p, at, "white space after the mId");
    if (p->pos >= p->len) return h248_p_fail_expected(p, p->pos, "a message body");
    if (next_is(p, TK_ERROR)) {
        if (!h248_p_error_desc(p, &(*out)->error)) return false;
        skip_lwsp(p);
        if (p->pos < p->len) return h248_p_fail_expected(p, p->pos, "end of message");
        return true;
    }
    if (p->failed) return false;
    unsigned count = 0;
    while (p->pos < p->len) {
        if (++count > p->lim.max_items)
            return FAIL(p, 0, p->pos, "more than %u transactions", p->lim.max_items);
        if (!transaction(p, *out)) return false;
        p->has_tid = false;
        skip_lwsp(p);
    }
    return true;
}

h248_message *h248_parse(const char *buf, size_t len, const h248_limits *lim, h248_parse_error *err)
{
    parser p = {.buf = buf, .len = len, .err = err, .ectx = H248_ERR_SYNTAX_MESSAGE};
    if (lim)
        p.lim = *lim;
    else
        h248_limits_default(&p.lim);
    if (!buf) p.len = 0;
    if (p.len > p.lim.max_message) {
        p.len = 0;
        FAIL(&p, 0, 0, "message longer than %zu bytes", p.lim.max_message);
        return NULL;
    }
    h248_message *m = NULL;
    if (!message(&p, &m) || p.failed) {
        h248_message_free(m);
        return NULL;
    }
    return m;
}
