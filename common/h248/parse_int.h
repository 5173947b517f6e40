/* Private to the H.248 text parser (parse.c, parse_desc.c): the parser state, error reporting
 * and the small lexical helpers of the Annex B.2 ABNF (LWSP, tokens, VALUE, parmValue). */
#ifndef H248_PARSE_INT_H
#define H248_PARSE_INT_H

#include "h248/codec_int.h"

#include <string.h>

/* Parser state: the input, the limits, the error slot and what is known about the current
 * transaction (for the error report). */
typedef struct {
    const char *buf;
    size_t len;
    size_t pos;
    h248_limits lim;
    h248_parse_error *err;
    bool failed;
    unsigned ectx;  /* error code for a syntax error at the current level */
    unsigned depth; /* brace nesting */
    bool has_tid;
    uint32_t tid;
    h248_trans_kind tkind;
    unsigned version;
} parser;

/* A token (1*SafeChar) in the input and its offset. */
typedef struct {
    const char *s;
    size_t n;
    size_t at;
} word_t;

/* Records the first error (code 0: the current level's syntax error code); returns false. */
bool h248_p_fail(parser *p, unsigned code, size_t at, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* "expected <what>" at `at` (or "truncated" at the end of the buffer); returns false. */
bool h248_p_fail_expected(parser *p, size_t at, const char *what);
#define FAIL(p, code, at, ...) h248_p_fail((p), (code), (at), __VA_ARGS__)

/* ---- Lexing ---- */

/* LWSP = *(WSP / COMMENT / EOL); COMMENT = ";" *(SafeChar / RestChar / WSP / %x22) EOL */
static inline void skip_lwsp(parser *p)
{
    while (p->pos < p->len) {
        char c = p->buf[p->pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            p->pos++;
        } else if (c == ';') {
            while (p->pos < p->len && p->buf[p->pos] != '\n' && p->buf[p->pos] != '\r')
                p->pos++;
        } else {
            break;
        }
    }
}

static inline int peek(parser *p)
{
    skip_lwsp(p);
    return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

static inline bool accept(parser *p, char c)
{
    if (peek(p) != (unsigned char)c) return false;
    p->pos++;
    return true;
}

static inline bool expect(parser *p, char c, const char *what)
{
    if (accept(p, c)) return true;
    return h248_p_fail_expected(p, p->pos, what);
}

static inline bool open_brace(parser *p)
{
    if (!expect(p, '{', "'{'")) return false;
    if (++p->depth > p->lim.max_depth)
        return FAIL(p, 0, p->pos - 1, "nesting deeper than %u", p->lim.max_depth);
    return true;
}

/* After an item of a braced list: true with *more set for ',' or false at '}' (consumed). */
static inline bool list_next(parser *p, unsigned *count, bool *more)
{
    if (++*count > p->lim.max_items)
        return FAIL(p, 0, p->pos, "more than %u items in a list", p->lim.max_items);
    if (accept(p, ',')) {
        *more = true;
        return true;
    }
    if (!expect(p, '}', "',' or '}'")) return false;
    p->depth--;
    *more = false;
    return true;
}

static inline bool close_brace(parser *p)
{
    if (!expect(p, '}', "'}'")) return false;
    p->depth--;
    return true;
}

/* 1*(SafeChar). Returns false without failing when there is no word (unless it is too long). */
static inline bool try_word(parser *p, word_t *w)
{
    skip_lwsp(p);
    size_t i = p->pos;
    while (i < p->len && h248_is_safe_char((unsigned char)p->buf[i]))
        i++;
    w->s = p->buf + p->pos;
    w->n = i - p->pos;
    w->at = p->pos;
    if (w->n == 0) return false;
    if (w->n > p->lim.max_token)
        return FAIL(p, 0, w->at, "token longer than %zu bytes", p->lim.max_token);
    p->pos = i;
    return true;
}

static inline bool word(parser *p, word_t *w, const char *what)
{
    if (try_word(p, w)) return true;
    return p->failed ? false : h248_p_fail_expected(p, w->at, what);
}

/* Consumes the next word if it is token t. */
static inline bool next_is(parser *p, h248_tok t)
{
    size_t save = p->pos;
    word_t w;
    if (!try_word(p, &w)) return false;
    if (h248_tok_is(t, w.s, w.n)) return true;
    p->pos = save;
    return false;
}

static inline bool uint_word(parser *p, unsigned digits, uint64_t max, uint64_t *v,
                             const char *what)
{
    word_t w;
    if (!word(p, &w, what)) return false;
    if (!h248_parse_uint(w.s, w.n, digits, max, v))
        return FAIL(p, 0, w.at, "bad %s (%.*s)", what, (int)MIN(w.n, 20), w.s);
    return true;
}

static inline bool equal_uint(parser *p, unsigned digits, uint64_t max, uint64_t *v,
                              const char *what)
{
    return expect(p, '=', "'='") && uint_word(p, digits, max, v, what);
}

/* Token word from a candidate list after "=". */
static inline bool equal_tok(parser *p, const h248_tok *cands, h248_tok *out, const char *what)
{
    word_t w;
    if (!expect(p, '=', "'='") || !word(p, &w, what)) return false;
    *out = h248_tok_find(cands, w.s, w.n);
    if (*out == TK_NONE) return FAIL(p, 0, w.at, "bad %s (%.*s)", what, (int)MIN(w.n, 20), w.s);
    return true;
}

static inline bool on_off(parser *p, int *out)
{
    static const h248_tok c[] = {TK_ON, TK_OFF, TK_NONE};
    h248_tok t;
    if (!equal_tok(p, c, &t, "ON or OFF")) return false;
    *out = t == TK_ON;
    return true;
}

/* quotedString = DQUOTE *(SafeChar / RestChar / LWSP) DQUOTE */
static inline bool quoted(parser *p, const char **s, size_t *n)
{
    size_t start = p->pos + 1, i = start; /* p->buf[p->pos] == '"' */
    while (i < p->len && p->buf[i] != '"')
        i++;
    if (i >= p->len) return FAIL(p, 0, p->pos, "truncated: unterminated quoted string");
    if (i - start > p->lim.max_quoted)
        return FAIL(p, 0, p->pos, "quoted string longer than %zu bytes", p->lim.max_quoted);
    if (!h248_valid_quoted(p->buf + start, i - start))
        return FAIL(p, 0, p->pos, "invalid character in quoted string");
    *s = p->buf + start;
    *n = i - start;
    p->pos = i + 1;
    return true;
}

/* VALUE = quotedString / 1*(SafeChar), appended to prop. */
static inline bool value(parser *p, h248_prop *prop)
{
    if (peek(p) == '"') {
        const char *s = NULL;
        size_t n = 0;
        if (!quoted(p, &s, &n)) return false;
        h248_prop_add_value(prop, s, n, true);
        return true;
    }
    word_t w;
    if (!word(p, &w, "a value")) return false;
    h248_prop_add_value(prop, w.s, w.n, false);
    return true;
}

/* parmValue = (EQUAL alternativeValue) / (INEQUAL VALUE)
 * alternativeValue = (VALUE / LSBRKT VALUE *(COMMA VALUE) RSBRKT / LSBRKT VALUE COLON VALUE RSBRKT)
 *                    / LBRKT VALUE *(COMMA VALUE) RBRKT */
static inline bool parm_value(parser *p, h248_prop *prop, bool optional)
{
    int c = peek(p);
    if (c == '#' || c == '>' || c == '<') {
        p->pos++;
        prop->rel = c == '#' ? H248_REL_NE : c == '>' ? H248_REL_GT : H248_REL_LT;
        prop->form = H248_VF_SINGLE;
        return value(p, prop);
    }
    if (c != '=') {
        if (optional) return true;
        return h248_p_fail_expected(p, p->pos, "'=' after a parameter name");
    }
    p->pos++;
    prop->rel = H248_REL_EQ;
    c = peek(p);
    if (c == '[' || c == '{') {
        p->pos++;
        if (c == '{' && ++p->depth > p->lim.max_depth)
            return FAIL(p, 0, p->pos - 1, "nesting deeper than %u", p->lim.max_depth);
        prop->form = c == '[' ? H248_VF_SQUARE : H248_VF_BRACE;
        char close = c == '[' ? ']' : '}';
        unsigned count = 0;
        for (;;) {
            if (!value(p, prop)) return false;
            if (++count > p->lim.max_items)
                return FAIL(p, 0, p->pos, "more than %u values", p->lim.max_items);
            if (c == '[' && count == 1 && accept(p, ':')) {
                prop->form = H248_VF_RANGE;
                if (!value(p, prop)) return false;
                return expect(p, ']', "']'");
            }
            if (accept(p, ',')) continue;
            if (!expect(p, close, close == ']' ? "',' or ']'" : "',' or '}'")) return false;
            if (c == '{') p->depth--;
            return true;
        }
    }
    prop->form = H248_VF_SINGLE;
    return value(p, prop);
}

/* propertyParm = pkgdName parmValue */
static inline bool property(parser *p, const word_t *name, GPtrArray **list)
{
    if (!h248_valid_pkgd_name(name->s, name->n))
        return FAIL(p, 0, name->at, "bad property name (%.*s)", (int)MIN(name->n, 32), name->s);
    if (!*list) *list = h248_prop_list_new();
    h248_prop *prop = h248_prop_new(name->s, name->n);
    g_ptr_array_add(*list, prop);
    return parm_value(p, prop, false);
}

/* Descriptors (parse_desc.c). */
bool h248_p_error_desc(parser *p, h248_error **out);
bool h248_p_dup_desc(parser *p, const word_t *w);
bool h248_p_descriptor(parser *p, h248_command *c);

#endif
