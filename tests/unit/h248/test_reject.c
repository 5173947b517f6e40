/* H.248 text parser rejections: each bad input yields the H.248.8 code the receiver must answer
 * (400/403/406/422/442/443/444/448/501), the transaction id when it was read, and the position;
 * limits hold; truncations and random mutations never read outside the buffer. */
#include "h248/codec.h"
#include "h248_vectors.h"
#include "unit.h"

#define HDR "MEGACO/3 [127.0.10.2]:2944\n"

static h248_message *parse_exact(const char *text, size_t len, const h248_limits *lim,
                                 h248_parse_error *err)
{
    char *copy = g_malloc(len ? len : 1);
    memcpy(copy, text, len);
    h248_message *m = h248_parse(copy, len, lim, err);
    g_free(copy);
    return m;
}

typedef struct {
    const char *in;
    unsigned code;
    int tid; /* -1: no transaction id known */
    const char *text_has;
} reject_case;

static const reject_case cases[] = {
    /* Message level: no transaction id. */
    {"", 400, -1, "truncated"},
    {"garbage", 400, -1, "MEGACO"},
    {"MEGACO/4 [127.0.10.2]:2944\nTransaction = 1 { Context = 1 { Add = a } }", 406, -1,
     "version 4"},
    {"MEGACO/0 [127.0.10.2]:2944\nTransaction = 1 { Context = 1 { Add = a } }", 406, -1, NULL},
    {"MEGACO/333 [127.0.10.2]:2944\nT = 1 { C = 1 { A = a } }", 400, -1, "version"},
    {"MEGACO/3[127.0.10.2]:2944 T = 1 { C = 1 { A = a } }", 400, -1, "white space"},
    {"MEGACO/3 [127.0.10]:2944 T = 1 { C = 1 { A = a } }", 400, -1, "mId"},
    {"MEGACO/3 [127.0.10.2]:99999 T = 1 { C = 1 { A = a } }", 400, -1, "mId"},
    {HDR, 400, -1, "message body"},
    {HDR "Frob = 1 { }", 400, -1, "unknown transaction type"},
    {HDR "Transaction = 4294967296 { Context = 1 { Add = a } }", 400, -1, "transaction id"},
    {HDR "Transaction = 12a { Context = 1 { Add = a } }", 400, -1, "transaction id"},
    {HDR "Transaction { Context = 1 { Add = a } }", 400, -1, "'='"},
    {HDR "Transaction = 5 { Context = 1 { Add = a } } }", 400, -1, "a transaction"},
    {HDR "Transaction = 5 { Context = 1 { Add = a } } Reply", 400, -1, "'='"},
    {HDR "Reply = 1/0 { Context = 1 }", 400, -1, "segment"},
    {HDR "Error = 400 { \"x\" } Transaction = 1 { }", 400, -1, "end of message"},
    {"Authentication = 0x12345678:0x00000001:0x0123456789abcdef01234567 MEGACO/3 [1.2.3.4]:2944",
     501, -1, "authentication"},
    {HDR "Segment = 1/1", 501, -1, "segment"},
    /* Transaction level: 403 with the id. */
    {HDR "Transaction = 5 { Contxt = 1 { Add = a } }", 403, 5, "expected Context"},
    {HDR "Transaction = 5 { }", 403, 5, "Context"},
    {HDR "Transaction = 5 { Context = 1 { Add = a }", 403, 5, "truncated"},
    {HDR "Transaction = 5 Context = 1 { Add = a } }", 403, 5, "'{'"},
    {HDR "Pending = 3", 403, 3, "'{'"},
    {HDR "Pending = 3 { Context = 1 }", 403, 3, "'}'"},
    {HDR "Reply = 6 { ImmAckRequired Context = 1 }", 403, 6, "ImmAckRequired"},
    /* Action level: 422. */
    {HDR "Transaction = 5 { Context = 99999999999 { Add = a } }", 422, 5, "context id"},
    {HDR "Transaction = 5 { Context = abc { Add = a } }", 422, 5, "context id"},
    {HDR "Transaction = 5 { Context = 1 { } }", 422, 5, "command"},
    {HDR "Transaction = 5 { Context = 1 }", 422, 5, "'{'"},
    {HDR "Transaction = 5 { Context = 1 { Priority = x, Add = a } }", 422, 5, "priority"},
    {HDR "Transaction = 5 { Context = 1 { Priority = 1, Priority = 2, Add = a } }", 422, 5,
     "twice"},
    {HDR "Transaction = 5 { Context = 1 { Add = a ; Add = b } }", 422, 5, "truncated"},
    {HDR "Transaction = 5 { Context = 1 { Error = 400 { } } }", 422, 5, "request"},
    {HDR "Transaction = 5 { Context = 1 { Topology { a, b, isolate } } }", 501, 5, "Topology"},
    /* Command level: 442 / 443 / 444 / 448. */
    {HDR "Transaction = 5 { Context = 1 { Frobnicate = a } }", 443, 5, "unknown command"},
    {HDR "Transaction = 5 { Context = 1 { Add = 9bad } }", 442, 5, "termination id"},
    {HDR "Transaction = 5 { Context = 1 { Add = ip/this_termination_id_is_far_too_long_for_h248_"
         "it_has_more_than_64 } }",
     442, 5, "termination id"},
    {HDR "Transaction = 5 { Context = 1 { Add = [a, b] } }", 501, 5, "lists"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Bogus { } } } }", 444, 5, "unknown descriptor"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { DigitMap = dm1 { (0s| 00s|[1-7]xlxx) } } } }",
     444, 5, "DigitMap"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { Bogus { } } } } }", 444, 5, "Media"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { Stream = 70000 { Local { } } } } } }",
     442, 5, "stream id"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { Local { v=0 }, Local { v=0 } } } } }",
     448, 5, "twice"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { L { } }, M { L { } } } } }", 448, 5,
     "twice"},
    {HDR
     "Transaction = 5 { Context = 1 { Add = a { Media { ST = 1 { L { } }, ST = 1 { R { } } } } } }",
     448, 5, "Stream 1"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { } } }", 442, 5, "descriptor"},
    {HDR
     "Transaction = 5 { Context = 1 { Add = a { Media { LocalControl { Mode = Sideways } } } } }",
     442, 5, "stream mode"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { LocalControl { nopkg = 1 } } } } }",
     442, 5, "property name"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { LocalControl { a/b } } } } }", 442, 5,
     "'='"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { LocalControl { a/b = \"x } } } } }",
     442, 5, "unterminated quoted"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { TerminationState { ServiceStates = Up "
         "} } } } }",
     442, 5, "service state"},
    {HDR "Transaction = 5 { Context = 1 { Add = a { Media { Local { v=0", 442, 5,
     "unterminated Local"},
    {HDR "Transaction = 5 { Context = 1 { Notify = a } }", 442, 5, "ObservedEvents"},
    {HDR "Transaction = 5 { Context = 1 { Notify = a { ObservedEvents = 1 { } } } }", 442, 5,
     "observed event"},
    {HDR "Transaction = 5 { Context = 1 { Notify = a { ObservedEvents = 1 { 2025:g/x } } } }", 442,
     5, "timestamp"},
    {HDR "Transaction = 5 { Context = 1 { ServiceChange = ROOT } }", 442, 5, "Services"},
    {HDR
     "Transaction = 5 { Context = - { ServiceChange = ROOT { Services { Method = Reboot } } } }",
     442, 5, "method"},
    {HDR "Transaction = 5 { Context = - { ServiceChange = ROOT { Services { Version = 100 } } } }",
     442, 5, "version"},
    {HDR "Transaction = 5 { Context = - { ServiceChange = ROOT { Services { Profile = 9x/1 } } } }",
     442, 5, "profile"},
    {HDR
     "Transaction = 5 { Context = - { ServiceChange = ROOT { Services { Version = 3, V = 2 } } } }",
     442, 5, "twice"},
    {HDR
     "Transaction = 5 { Context = - { ServiceChange = ROOT { Services { MgcIdToTry = 2944 } } } }",
     442, 5, "mId"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Events = x { g/y } } } }", 442, 5,
     "request id"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Events = 1 { y } } } }", 442, 5,
     "event name"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Events = 1 { g/y { Embed { Signals { } } } "
         "} } } }",
     501, 5, "Embed"},
    {HDR
     "Transaction = 5 { Context = 1 { Modify = a { Signals { g/y { SignalType = Forever } } } } }",
     442, 5, "SignalType"},
    {HDR
     "Transaction = 5 { Context = 1 { Modify = a { Signals { g/y { Duration = 99999999 } } } } }",
     442, 5, "Duration"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Signals { g/y { NotifyCompletion = TimeOut "
         "} } } } }",
     442, 5, "NotifyCompletion"},
    {HDR
     "Transaction = 5 { Context = 1 { AuditValue = a { Audit { Media { TerminationState } } } } }",
     501, 5, "individual audit"},
    {HDR "Transaction = 5 { Context = 1 { AuditValue = a { Audit { Frob } } } }", 442, 5,
     "audit item"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Error = 12345 { } } } }", 442, 5,
     "error code"},
    {HDR "Transaction = 5 { Context = 1 { Modify = a { Statistics { a/b = {1, 2} } } } }", 442, 5,
     "statistic"},
    /* Replies carry the id too (kind checked separately). */
    {HDR "Reply = 9 { Context = 1 { Add = a { Media { Bogus } } } }", 444, 9, "Media"},
    {HDR "Reply = 9 { Context = 1 { Add = a { Packages { nover } } } }", 442, 9, "package item"},
};

TEST(t_reject_cases)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const reject_case *c = &cases[i];
        h248_parse_error err;
        memset(&err, 0xa5, sizeof(err));
        size_t len = strlen(c->in);
        h248_message *m = parse_exact(c->in, len, NULL, &err);
        int before = unit_failed_checks;
        CHECK(m == NULL);
        h248_message_free(m);
        if (m) {
            fprintf(stderr, "  accepted: %s\n", c->in);
            continue;
        }
        CHECK_INT(err.code, c->code);
        CHECK_INT(err.has_tid ? (int)err.tid : -1, c->tid);
        CHECK(err.offset <= len);
        CHECK(strlen(err.text) < sizeof(err.text) && strchr(err.text, '"') == NULL);
        if (c->text_has) CHECK(g_strrstr(err.text, c->text_has) != NULL);
        if (unit_failed_checks != before)
            fprintf(stderr, "  case %zu: %s\n  -> %u tid=%d at %zu: %s\n", i, c->in, err.code,
                    err.has_tid ? (int)err.tid : -1, err.offset, err.text);
    }
}

TEST(t_error_position_and_kind)
{
    static const char in[] =
        HDR "Reply = 77 {\n  Context = 3 {\n    Add = x { Media { Stream = 1 { Bogus } } }\n"
            "  }\n}\n";
    h248_parse_error err;
    CHECK(parse_exact(in, strlen(in), NULL, &err) == NULL);
    CHECK_INT(err.code, 444);
    CHECK_INT(err.line, 4);
    CHECK_INT(err.column, 36);
    CHECK_INT(err.offset, (size_t)(strstr(in, "Bogus") - in));
    CHECK(err.has_tid && err.tid == 77 && err.trans_kind == H248_TR_REPLY);
    CHECK_INT(err.version, 3);

    /* In the second transaction of a message, the id is the second one's. */
    static const char two[] = HDR "T = 1 { C = 1 { A = a } } T = 2 { C = 1 { A = a { Bogus } } }";
    CHECK(parse_exact(two, strlen(two), NULL, &err) == NULL);
    CHECK(err.has_tid && err.tid == 2 && err.trans_kind == H248_TR_REQUEST && err.code == 444);
    /* ... and none if the second one's id was not read. */
    static const char two_b[] = HDR "T = 1 { C = 1 { A = a } } T = x";
    CHECK(parse_exact(two_b, strlen(two_b), NULL, &err) == NULL);
    CHECK(!err.has_tid && err.code == 400);

    /* A NULL error pointer is allowed. */
    CHECK(h248_parse("x", 1, NULL, NULL) == NULL);
    CHECK(h248_parse(NULL, 0, NULL, &err) == NULL && err.code == 400);
}

TEST(t_nul_bytes)
{
    static const char with_nul[] = HDR "T = 5 { C = 1 { A = a { M { L { v=0\0x } } } } }";
    h248_parse_error err;
    CHECK(parse_exact(with_nul, sizeof(with_nul) - 1, NULL, &err) == NULL);
    CHECK(err.code == 442 && err.tid == 5 && g_strrstr(err.text, "NUL"));
    static const char nul_tok[] = HDR "T = 5 { C\0 = 1 { A = a } }";
    CHECK(parse_exact(nul_tok, sizeof(nul_tok) - 1, NULL, &err) == NULL);
    CHECK_INT(err.code, 422);
    CHECK_INT(err.offset, (size_t)(strstr(nul_tok, "{ C") - nul_tok + 3));
}

TEST(t_limits)
{
    const char *spec3 = NULL;
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++)
        if (!strcmp(h248_test_vectors[i].name, "spec3_add_reserve"))
            spec3 = h248_test_vectors[i].text;
    CHECK(spec3 != NULL);
    if (!spec3) return;
    size_t len = strlen(spec3);
    h248_limits lim;
    h248_parse_error err;
    h248_message *m;

    h248_limits_default(&lim);
    CHECK(lim.max_message == 65507 && lim.max_depth >= 8 && lim.max_items >= 64);
    m = parse_exact(spec3, len, &lim, &err);
    CHECK(m != NULL);
    h248_message_free(m);

    lim.max_message = len - 1;
    CHECK(parse_exact(spec3, len, &lim, &err) == NULL);
    CHECK(err.code == 400 && err.offset == 0 && !err.has_tid);

    h248_limits_default(&lim);
    lim.max_depth = 5; /* Transaction, Context, Add, Media, Stream, LocalControl = 6 */
    CHECK(parse_exact(spec3, len, &lim, &err) == NULL);
    CHECK(err.code == 442 && g_strrstr(err.text, "nesting"));

    h248_limits_default(&lim);
    lim.max_items = 1; /* two Add commands in the action */
    CHECK(parse_exact(spec3, len, &lim, &err) == NULL);
    CHECK(g_strrstr(err.text, "more than 1") != NULL);

    h248_limits_default(&lim);
    lim.max_octets = 100; /* the Remote SDP is longer */
    CHECK(parse_exact(spec3, len, &lim, &err) == NULL);
    CHECK(err.code == 442 && g_strrstr(err.text, "longer than 100"));

    h248_limits_default(&lim);
    lim.max_token = 8; /* "Transaction" */
    CHECK(parse_exact(spec3, len, &lim, &err) == NULL);
    CHECK(err.code == 400 && g_strrstr(err.text, "token longer"));

    h248_limits_default(&lim);
    lim.max_quoted = 5;
    static const char q[] =
        HDR "T = 5 { C = 1 { A = a { M { TS { ipdc/realm = \"access\" } } } } }";
    CHECK(parse_exact(q, strlen(q), &lim, &err) == NULL);
    CHECK(err.code == 442 && g_strrstr(err.text, "quoted string longer"));

    /* Deep nesting and huge inputs fail fast without recursion trouble. */
    GString *deep = g_string_new(HDR "T = 1 { C = 1 { A = a { M { ST = 1 { O { a/b = ");
    for (int i = 0; i < 60000; i++)
        g_string_append_c(deep, '{');
    CHECK(parse_exact(deep->str, deep->len, NULL, &err) == NULL);
    CHECK(err.code == 442 && err.tid == 1);
    g_string_truncate(deep, 0);
    g_string_append(deep, HDR "T = 1 { C = 1 { A = a { E = 1 { ");
    for (int i = 0; i < 3000; i++)
        g_string_append(deep, "g/x { p = { ");
    CHECK(parse_exact(deep->str, deep->len, NULL, &err) == NULL);
    g_string_truncate(deep, 0);
    g_string_append(deep, HDR "T = 1 { C = 1 { ");
    for (int i = 0; i < 300; i++)
        g_string_append(deep, "S = a, ");
    g_string_append(deep, "S = a } }");
    CHECK(parse_exact(deep->str, deep->len, NULL, &err) == NULL);
    CHECK(err.code == 422 && g_strrstr(err.text, "more than 256"));
    g_string_free(deep, TRUE);

    GString *tok = g_string_new(HDR "T = 1 { C = 1 { A = ");
    for (int i = 0; i < 300; i++)
        g_string_append_c(tok, 'a');
    g_string_append(tok, " } }");
    CHECK(parse_exact(tok->str, tok->len, NULL, &err) == NULL);
    CHECK(err.code == 442 && g_strrstr(err.text, "token longer"));
    g_string_free(tok, TRUE);
}

/* Every truncation of every single-transaction vector fails cleanly (the exact-size copy makes
 * ASan catch any read past the end). */
TEST(t_every_truncation_fails)
{
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++) {
        const char *text = h248_test_vectors[i].text;
        if (!strcmp(h248_test_vectors[i].name, "two_transactions")) continue;
        size_t last = (size_t)(strrchr(text, '}') - text);
        for (size_t n = 0; n <= last; n++) {
            h248_parse_error err;
            h248_message *m = parse_exact(text, n, NULL, &err);
            CHECK(m == NULL);
            if (m) {
                fprintf(stderr, "  %s accepted at %zu\n", h248_test_vectors[i].name, n);
                h248_message_free(m);
                break;
            }
            CHECK(err.offset <= n);
            /* A cut token can also read as an unknown command/descriptor or an audit item. */
            CHECK(err.code == 400 || err.code == 403 || err.code == 422 || err.code == 442 ||
                  err.code == 443 || err.code == 444 || err.code == 501);
        }
    }
}

/* Deterministic mutations of the vectors: parsing never crashes, and whatever parses prints
 * and parses back to the same model (the fuzz target's property, run under ASan here). */
TEST(t_mutations_round_trip_or_fail)
{
    GRand *r = g_rand_new_with_seed(248);
    static const char alphabet[] = "{}=,;\"\\:[]<>#$*-/ \n\tAaTtCc019Ll";
    unsigned parsed = 0, total = 0;
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++) {
        const char *text = h248_test_vectors[i].text;
        size_t len = strlen(text);
        for (int k = 0; k < 300; k++) {
            char *buf = g_memdup2(text, len);
            int edits = g_rand_int_range(r, 1, 4);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)g_rand_int_range(r, 0, (gint32)len);
                buf[at] = g_rand_boolean(r) ? alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)]
                                            : (char)g_rand_int_range(r, 0, 256);
            }
            size_t n = g_rand_int_range(r, 0, 4)
                           ? len
                           : (size_t)g_rand_int_range(r, (gint32)(len / 2), (gint32)len + 1);
            h248_parse_error err;
            h248_message *m = parse_exact(buf, n, NULL, &err);
            total++;
            if (m) {
                parsed++;
                char *s = h248_print_str(m, NULL, NULL);
                CHECK(s != NULL);
                h248_message *m2 = s ? parse_exact(s, strlen(s), NULL, &err) : NULL;
                CHECK(m2 && h248_message_equal(m, m2));
                if (!m2 || !h248_message_equal(m, m2))
                    fprintf(stderr, "  input:\n%.*s\n  printed:\n%s\n", (int)n, buf,
                            s ? s : "(null)");
                g_free(s);
                h248_message_free(m2);
                h248_message_free(m);
            } else {
                CHECK(err.offset <= n && err.code >= 400 && err.code <= 501);
            }
            g_free(buf);
        }
    }
    CHECK(parsed > total / 20); /* the mutations did exercise the printer */
    g_rand_free(r);
}

int main(void)
{
    RUN(t_reject_cases);
    RUN(t_error_position_and_kind);
    RUN(t_nul_bytes);
    RUN(t_limits);
    RUN(t_every_truncation_fails);
    RUN(t_mutations_round_trip_or_fail);
    UNIT_END("h248_reject");
}
