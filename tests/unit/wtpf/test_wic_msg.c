/* WIC API message codec: every message type parsed and built, the exact JSON the wtpf sends, and
 * every way a client's message can be wrong with the error answer it gets. */
#include "unit.h"
#include "wtpf/wic_msg.h"

#include <glib.h>

static const char *SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                         "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=fingerprint:sha-256 AB:CD\r\n";

static wic_err parse(const char *text, wic_dir dir, wic_msg *m, wic_error *e)
{
    return wic_msg_parse(text, strlen(text), dir, m, e);
}

/* Expects a client message to fail with err on field (NULL: no field). */
static void expect_client_error(const char *text, wic_err err, const char *field)
{
    wic_msg m;
    wic_error e;
    wic_err got = parse(text, WIC_FROM_CLIENT, &m, &e);
    if (got != err) fprintf(stderr, "  input: %.80s -> %s\n", text, e.reason);
    CHECK_INT(got, err);
    CHECK_INT(e.err, err);
    if (field)
        CHECK_STR(e.field, field);
    else
        CHECK(e.field == NULL);
    CHECK(e.reason[0] != '\0');
    CHECK(g_utf8_validate(e.reason, -1, NULL));
    /* nothing is left allocated on failure */
    CHECK(m.id == NULL && m.to == NULL && m.sdp == NULL && m.digits == NULL);
}

/* ---- client -> wtpf ---- */

TEST(parse_call)
{
    wic_msg m;
    wic_error e;
    char *text = g_strdup_printf("{\"type\":\"call\",\"id\":\"c1\",\"to\":\"+33150000201\","
                                 "\"sdp\":\"%s\",\"x-extra\":{\"ignored\":[1,2]}}",
                                 "v=0\\r\\ns=-\\r\\n");
    CHECK_INT(parse(text, WIC_FROM_CLIENT, &m, &e), WIC_OK);
    CHECK_INT(m.type, WIC_MSG_CALL);
    CHECK_STR(m.id, "c1");
    CHECK_STR(m.to, "+33150000201");
    CHECK_STR(m.sdp, "v=0\r\ns=-\r\n");
    wic_msg_clear(&m);
    g_free(text);
}

TEST(parse_answer_reject_hangup_dtmf)
{
    wic_msg m;
    wic_error e;
    CHECK_INT(
        parse("{\"type\":\"answer\",\"id\":\"in-7\",\"sdp\":\"v=0\"}", WIC_FROM_CLIENT, &m, &e),
        WIC_OK);
    CHECK_INT(m.type, WIC_MSG_ANSWER);
    CHECK_STR(m.id, "in-7");
    CHECK_STR(m.sdp, "v=0");
    wic_msg_clear(&m);
    CHECK_INT(parse(" {\"id\":\"a\",\"type\":\"reject\"} ", WIC_FROM_CLIENT, &m, &e), WIC_OK);
    CHECK_INT(m.type, WIC_MSG_REJECT);
    CHECK_STR(m.id, "a");
    wic_msg_clear(&m);
    CHECK_INT(parse("{\"type\":\"hangup\",\"id\":\"b\"}", WIC_FROM_CLIENT, &m, &e), WIC_OK);
    CHECK_INT(m.type, WIC_MSG_HANGUP);
    CHECK_STR(m.id, "b");
    wic_msg_clear(&m);
    CHECK_INT(parse("{\"type\":\"dtmf\",\"id\":\"c\",\"digits\":\"0123456789*#ABCD\"}",
                    WIC_FROM_CLIENT, &m, &e),
              WIC_OK);
    CHECK_INT(m.type, WIC_MSG_DTMF);
    CHECK_STR(m.digits, "0123456789*#ABCD");
    wic_msg_clear(&m);
}

/* ---- wtpf -> client: exact bytes ---- */

TEST(build_server_messages_exact)
{
    char *s;
    s = wic_build_ready("alice", "tel:+33140000101");
    CHECK_STR(s, "{\"type\":\"ready\",\"user\":\"alice\",\"uri\":\"tel:+33140000101\"}");
    g_free(s);
    s = wic_build_incoming("7f3a", "sip:+33150000201@ims.lab", "v=0\r\n");
    CHECK_STR(s, "{\"type\":\"incoming\",\"id\":\"7f3a\",\"from\":\"sip:+33150000201@ims.lab\","
                 "\"sdp\":\"v=0\\r\\n\"}");
    g_free(s);
    s = wic_build_progress("c1", 183);
    CHECK_STR(s, "{\"type\":\"progress\",\"id\":\"c1\",\"code\":183}");
    g_free(s);
    s = wic_build_answered("c1", "v=0");
    CHECK_STR(s, "{\"type\":\"answered\",\"id\":\"c1\",\"sdp\":\"v=0\"}");
    g_free(s);
    s = wic_build_ended("c1", 486, "Busy Here");
    CHECK_STR(s, "{\"type\":\"ended\",\"id\":\"c1\",\"code\":486,\"reason\":\"Busy Here\"}");
    g_free(s);
    s = wic_build_error("c1", 404, "no such call");
    CHECK_STR(s, "{\"type\":\"error\",\"id\":\"c1\",\"code\":404,\"reason\":\"no such call\"}");
    g_free(s);
    s = wic_build_error(NULL, 400, "");
    CHECK_STR(s, "{\"type\":\"error\",\"code\":400,\"reason\":\"\"}");
    g_free(s);
}

TEST(build_client_messages_exact)
{
    char *s;
    s = wic_build_call("c1", "bob", "v=0");
    CHECK_STR(s, "{\"type\":\"call\",\"id\":\"c1\",\"to\":\"bob\",\"sdp\":\"v=0\"}");
    g_free(s);
    s = wic_build_answer("c1", "v=0");
    CHECK_STR(s, "{\"type\":\"answer\",\"id\":\"c1\",\"sdp\":\"v=0\"}");
    g_free(s);
    s = wic_build_reject("c1");
    CHECK_STR(s, "{\"type\":\"reject\",\"id\":\"c1\"}");
    g_free(s);
    s = wic_build_hangup("c1");
    CHECK_STR(s, "{\"type\":\"hangup\",\"id\":\"c1\"}");
    g_free(s);
    s = wic_build_dtmf("c1", "1#");
    CHECK_STR(s, "{\"type\":\"dtmf\",\"id\":\"c1\",\"digits\":\"1#\"}");
    g_free(s);
}

/* Every type built, then parsed in its direction, gives back what went in. */
TEST(roundtrip_every_type)
{
    const char *sdp = SDP;
    const char *from = "\"J\xc3\xa9r\xc3\xb4me\" <sip:+33150000201@ims.lab>";
    wic_msg in[] = {
        {.type = WIC_MSG_CALL, .id = "c1", .to = "+33150000201", .sdp = (char *)sdp},
        {.type = WIC_MSG_ANSWER, .id = "c2", .sdp = (char *)sdp},
        {.type = WIC_MSG_REJECT, .id = "c3"},
        {.type = WIC_MSG_HANGUP, .id = "c4"},
        {.type = WIC_MSG_DTMF, .id = "c5", .digits = "*9#"},
        {.type = WIC_MSG_READY, .user = "alice", .uri = "tel:+33140000101"},
        {.type = WIC_MSG_INCOMING, .id = "c6", .from = (char *)from, .sdp = (char *)sdp},
        {.type = WIC_MSG_PROGRESS, .id = "c7", .code = 180},
        {.type = WIC_MSG_ANSWERED, .id = "c8", .sdp = (char *)sdp},
        {.type = WIC_MSG_ENDED, .id = "c9", .code = 200, .reason = "remote \"hangup\" \\ ok"},
        {.type = WIC_MSG_ERROR, .id = "c10", .code = 404, .reason = "no such call"},
        {.type = WIC_MSG_ERROR, .code = 400, .reason = "bad"},
    };
    CHECK_INT(G_N_ELEMENTS(in), WIC_MSG_COUNT + 1);
    for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
        char *text = wic_msg_build(&in[i]);
        CHECK(text != NULL);
        if (!text) continue;
        wic_msg m;
        wic_error e;
        CHECK_INT(parse(text, wic_msg_type_dir(in[i].type), &m, &e), WIC_OK);
        CHECK_INT(m.type, in[i].type);
        CHECK(g_strcmp0(m.id, in[i].id) == 0);
        CHECK(g_strcmp0(m.to, in[i].to) == 0);
        CHECK(g_strcmp0(m.sdp, in[i].sdp) == 0);
        CHECK(g_strcmp0(m.digits, in[i].digits) == 0);
        CHECK(g_strcmp0(m.user, in[i].user) == 0);
        CHECK(g_strcmp0(m.uri, in[i].uri) == 0);
        CHECK(g_strcmp0(m.from, in[i].from) == 0);
        CHECK(g_strcmp0(m.reason, in[i].reason) == 0);
        CHECK_INT(m.code, in[i].code);
        /* the other direction does not know this type */
        wic_dir other =
            wic_msg_type_dir(in[i].type) == WIC_FROM_CLIENT ? WIC_FROM_SERVER : WIC_FROM_CLIENT;
        wic_msg m2;
        CHECK_INT(parse(text, other, &m2, &e), WIC_ERR_UNKNOWN_TYPE);
        wic_msg_clear(&m);
        g_free(text);
    }
}

TEST(parse_server_messages)
{
    wic_msg m;
    wic_error e;
    CHECK_INT(parse("{\"type\":\"error\",\"id\":null,\"code\":400,\"reason\":\"x\"}",
                    WIC_FROM_SERVER, &m, &e),
              WIC_OK);
    CHECK(m.id == NULL);
    CHECK_INT(m.code, 400);
    wic_msg_clear(&m);
    CHECK_INT(parse("{\"type\":\"progress\",\"id\":\"c\",\"code\":200}", WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_VALUE);
    CHECK_STR(e.field, "code");
    CHECK_INT(parse("{\"type\":\"ended\",\"id\":\"c\",\"code\":99,\"reason\":\"\"}",
                    WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_VALUE);
    CHECK_INT(parse("{\"type\":\"ended\",\"id\":\"c\",\"code\":700,\"reason\":\"\"}",
                    WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_VALUE);
    CHECK_INT(parse("{\"type\":\"ended\",\"id\":\"c\",\"code\":487}", WIC_FROM_SERVER, &m, &e),
              WIC_ERR_MISSING_FIELD);
    CHECK_STR(e.field, "reason");
    CHECK_INT(parse("{\"type\":\"ready\",\"user\":\"alice\"}", WIC_FROM_SERVER, &m, &e),
              WIC_ERR_MISSING_FIELD);
    CHECK_STR(e.field, "uri");
}

/* ---- errors ---- */

TEST(error_invalid_json)
{
    const char *bad[] = {"",
                         "   ",
                         "not json",
                         "{\"type\":\"hangup\",\"id\":\"a\"",
                         "{\"type\":\"hangup\",\"id\":\"a\"} x",
                         "{\"type\":\"hangup\",\"id\":\"a\",}",
                         "{'type':'hangup','id':'a'}",
                         "{\"type\":\"hangup\",\"id\":\"a\" /* c */}",
                         "{\"type\":\"dtmf\",\"id\":\"a\",\"digits\":0x10}",
                         "{type:\"hangup\"}",
                         "\xff\xfe{}",
                         "{\"type\":\"hangup\",\"id\":\"\xc3\"}"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        expect_client_error(bad[i], WIC_ERR_JSON, NULL);
    /* a raw NUL is not JSON text */
    wic_msg m;
    wic_error e;
    CHECK_INT(wic_msg_parse("{\"type\":\"hangup\",\"id\":\"a\"}\0", 27, WIC_FROM_CLIENT, &m, &e),
              WIC_ERR_JSON);
}

TEST(error_nesting_and_nul)
{
    /* 16 levels in all are fine, 17 are not; deep nesting would overflow json-glib's stack */
    GString *s = g_string_new("{\"type\":\"hangup\",\"id\":\"a\",\"x\":");
    for (int i = 0; i < 15; i++)
        g_string_append_c(s, '[');
    for (int i = 0; i < 15; i++)
        g_string_append_c(s, ']');
    g_string_append_c(s, '}');
    wic_msg m;
    wic_error e;
    CHECK_INT(parse(s->str, WIC_FROM_CLIENT, &m, &e), WIC_OK);
    wic_msg_clear(&m);
    g_string_insert_c(s, 30, '[');
    g_string_insert_c(s, s->len - 1, ']');
    expect_client_error(s->str, WIC_ERR_JSON, NULL);
    g_string_free(s, TRUE);
    char *deep = g_malloc(90001);
    memset(deep, '[', 90000);
    deep[90000] = '\0';
    expect_client_error(deep, WIC_ERR_JSON, NULL);
    g_free(deep);
    /* brackets inside strings do not count */
    CHECK_INT(
        parse("{\"type\":\"hangup\",\"id\":\"[[[[[[[[[[[[[[[[[[[[[[\"}", WIC_FROM_CLIENT, &m, &e),
        WIC_OK);
    wic_msg_clear(&m);
    /* U+0000 would silently cut the string in json-glib */
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":\"b\",\"sdp\":\"v=0\\u0000x\"}",
                        WIC_ERR_JSON, NULL);
    /* an escaped backslash followed by the text u0000 is fine */
    CHECK_INT(parse("{\"type\":\"call\",\"id\":\"a\",\"to\":\"b\",\"sdp\":\"v=0\\\\u0000\"}",
                    WIC_FROM_CLIENT, &m, &e),
              WIC_OK);
    CHECK_STR(m.sdp, "v=0\\u0000");
    wic_msg_clear(&m);
}

TEST(error_not_object)
{
    const char *bad[] = {"[]",  "[{\"type\":\"hangup\",\"id\":\"a\"}]", "\"hangup\"", "42", "null",
                         "true"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        expect_client_error(bad[i], WIC_ERR_NOT_OBJECT, NULL);
}

TEST(error_type)
{
    expect_client_error("{}", WIC_ERR_MISSING_FIELD, "type");
    expect_client_error("{\"id\":\"a\"}", WIC_ERR_MISSING_FIELD, "type");
    expect_client_error("{\"type\":1,\"id\":\"a\"}", WIC_ERR_FIELD_TYPE, "type");
    expect_client_error("{\"type\":null,\"id\":\"a\"}", WIC_ERR_FIELD_TYPE, "type");
    expect_client_error("{\"type\":[\"call\"],\"id\":\"a\"}", WIC_ERR_FIELD_TYPE, "type");
    expect_client_error("{\"type\":\"dial\",\"id\":\"a\"}", WIC_ERR_UNKNOWN_TYPE, "type");
    expect_client_error("{\"type\":\"Call\",\"id\":\"a\"}", WIC_ERR_UNKNOWN_TYPE, "type");
    /* server messages coming from a client */
    expect_client_error("{\"type\":\"ready\",\"user\":\"a\",\"uri\":\"b\"}", WIC_ERR_UNKNOWN_TYPE,
                        "type");
    expect_client_error("{\"type\":\"ended\",\"id\":\"a\",\"code\":200,\"reason\":\"\"}",
                        WIC_ERR_UNKNOWN_TYPE, "type");
}

TEST(error_missing_fields)
{
    expect_client_error("{\"type\":\"call\",\"to\":\"b\",\"sdp\":\"v\"}", WIC_ERR_MISSING_FIELD,
                        "id");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"sdp\":\"v\"}", WIC_ERR_MISSING_FIELD,
                        "to");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":\"b\"}", WIC_ERR_MISSING_FIELD,
                        "sdp");
    expect_client_error("{\"type\":\"answer\",\"id\":\"a\"}", WIC_ERR_MISSING_FIELD, "sdp");
    expect_client_error("{\"type\":\"answer\",\"sdp\":\"v\"}", WIC_ERR_MISSING_FIELD, "id");
    expect_client_error("{\"type\":\"reject\"}", WIC_ERR_MISSING_FIELD, "id");
    expect_client_error("{\"type\":\"hangup\"}", WIC_ERR_MISSING_FIELD, "id");
    expect_client_error("{\"type\":\"dtmf\",\"id\":\"a\"}", WIC_ERR_MISSING_FIELD, "digits");
}

TEST(error_wrong_types)
{
    expect_client_error("{\"type\":\"hangup\",\"id\":7}", WIC_ERR_FIELD_TYPE, "id");
    expect_client_error("{\"type\":\"hangup\",\"id\":null}", WIC_ERR_FIELD_TYPE, "id");
    expect_client_error("{\"type\":\"hangup\",\"id\":true}", WIC_ERR_FIELD_TYPE, "id");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":[\"b\"],\"sdp\":\"v\"}",
                        WIC_ERR_FIELD_TYPE, "to");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":33150000201,\"sdp\":\"v\"}",
                        WIC_ERR_FIELD_TYPE, "to");
    expect_client_error("{\"type\":\"answer\",\"id\":\"a\",\"sdp\":{\"v\":0}}", WIC_ERR_FIELD_TYPE,
                        "sdp");
    expect_client_error("{\"type\":\"dtmf\",\"id\":\"a\",\"digits\":5}", WIC_ERR_FIELD_TYPE,
                        "digits");
    wic_msg m;
    wic_error e;
    CHECK_INT(
        parse("{\"type\":\"progress\",\"id\":\"c\",\"code\":\"180\"}", WIC_FROM_SERVER, &m, &e),
        WIC_ERR_FIELD_TYPE);
    CHECK_STR(e.field, "code");
    CHECK_INT(parse("{\"type\":\"progress\",\"id\":\"c\",\"code\":180.0}", WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_TYPE);
    CHECK_INT(parse("{\"type\":\"error\",\"code\":99999999999999999999,\"reason\":\"\"}",
                    WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_VALUE);
}

static char *repeat(char c, size_t n)
{
    char *s = g_malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Bounds: the largest allowed value passes, one byte more fails. */
TEST(error_oversize_fields)
{
    struct {
        const char *head, *tail;
        size_t max;
        const char *field;
    } cases[] = {
        {"{\"type\":\"hangup\",\"id\":\"", "\"}", WIC_ID_MAX, "id"},
        {"{\"type\":\"call\",\"id\":\"a\",\"to\":\"", "\",\"sdp\":\"v\"}", WIC_TO_MAX, "to"},
        {"{\"type\":\"answer\",\"id\":\"a\",\"sdp\":\"", "\"}", WIC_SDP_MAX, "sdp"},
        {"{\"type\":\"dtmf\",\"id\":\"a\",\"digits\":\"", "\"}", WIC_DIGITS_MAX, "digits"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (size_t extra = 0; extra < 2; extra++) {
            char *v = repeat('1', cases[i].max + extra);
            char *text = g_strconcat(cases[i].head, v, cases[i].tail, NULL);
            wic_msg m;
            wic_error e;
            if (extra == 0) {
                CHECK_INT(parse(text, WIC_FROM_CLIENT, &m, &e), WIC_OK);
                wic_msg_clear(&m);
            } else {
                expect_client_error(text, WIC_ERR_FIELD_SIZE, cases[i].field);
            }
            g_free(text);
            g_free(v);
        }
    }
    expect_client_error("{\"type\":\"hangup\",\"id\":\"\"}", WIC_ERR_FIELD_SIZE, "id");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":\"\",\"sdp\":\"v\"}",
                        WIC_ERR_FIELD_SIZE, "to");
    expect_client_error("{\"type\":\"answer\",\"id\":\"a\",\"sdp\":\"\"}", WIC_ERR_FIELD_SIZE,
                        "sdp");
    expect_client_error("{\"type\":\"dtmf\",\"id\":\"a\",\"digits\":\"\"}", WIC_ERR_FIELD_SIZE,
                        "digits");
}

TEST(error_message_too_big)
{
    char *v = repeat(' ', WIC_TEXT_MAX);
    memcpy(v, "{\"type\":\"hangup\",\"id\":\"a\"}", 26);
    wic_msg m;
    wic_error e;
    CHECK_INT(wic_msg_parse(v, WIC_TEXT_MAX, WIC_FROM_CLIENT, &m, &e), WIC_OK);
    wic_msg_clear(&m);
    char *w = g_strconcat(v, " ", NULL);
    expect_client_error(w, WIC_ERR_TOO_BIG, NULL);
    CHECK_INT(wic_err_status(WIC_ERR_TOO_BIG), 413);
    g_free(w);
    g_free(v);
}

TEST(error_bad_characters)
{
    expect_client_error("{\"type\":\"hangup\",\"id\":\"a b\"}", WIC_ERR_FIELD_VALUE, "id");
    expect_client_error("{\"type\":\"hangup\",\"id\":\"a\\nb\"}", WIC_ERR_FIELD_VALUE, "id");
    expect_client_error("{\"type\":\"hangup\",\"id\":\"\xc3\xa9\"}", WIC_ERR_FIELD_VALUE, "id");
    expect_client_error("{\"type\":\"call\",\"id\":\"a\",\"to\":\"bob smith\",\"sdp\":\"v\"}",
                        WIC_ERR_FIELD_VALUE, "to");
    wic_msg m;
    wic_error e;
    CHECK_INT(parse("{\"type\":\"incoming\",\"id\":\"a\",\"from\":\"x\\u0007\",\"sdp\":\"v\"}",
                    WIC_FROM_SERVER, &m, &e),
              WIC_ERR_FIELD_VALUE);
    CHECK_STR(e.field, "from");
}

TEST(error_bad_dtmf_digits)
{
    const char *bad[] = {"12x", "a", "abcd", "1 2", "1,2", "E", "\xc2\xbd"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *text = g_strdup_printf("{\"type\":\"dtmf\",\"id\":\"c1\",\"digits\":\"%s\"}", bad[i]);
        expect_client_error(text, WIC_ERR_BAD_DIGITS, "digits");
        g_free(text);
    }
}

/* The error answer carries the id whenever the client's message had a readable one. */
TEST(parse_error_answer)
{
    wic_msg m;
    wic_error e;
    CHECK_INT(parse("{\"type\":\"call\",\"id\":\"c7\",\"to\":\"bob\"}", WIC_FROM_CLIENT, &m, &e),
              WIC_ERR_MISSING_FIELD);
    CHECK_STR(e.id, "c7");
    char *s = wic_build_parse_error(&e);
    CHECK_STR(s, "{\"type\":\"error\",\"id\":\"c7\",\"code\":400,"
                 "\"reason\":\"missing field 'sdp'\"}");
    g_free(s);
    CHECK_INT(parse("{\"type\":\"transfer\",\"id\":\"c8\"}", WIC_FROM_CLIENT, &m, &e),
              WIC_ERR_UNKNOWN_TYPE);
    CHECK_STR(e.id, "c8");
    s = wic_build_parse_error(&e);
    CHECK_STR(s, "{\"type\":\"error\",\"id\":\"c8\",\"code\":501,"
                 "\"reason\":\"unknown type 'transfer'\"}");
    g_free(s);
    /* an unreadable id is left out */
    CHECK_INT(parse("{\"type\":\"hangup\",\"id\":\"a b\"}", WIC_FROM_CLIENT, &m, &e),
              WIC_ERR_FIELD_VALUE);
    CHECK_STR(e.id, "");
    s = wic_build_parse_error(&e);
    CHECK(s && !strstr(s, "\"id\""));
    g_free(s);
    CHECK_INT(parse("nope", WIC_FROM_CLIENT, &m, &e), WIC_ERR_JSON);
    CHECK_STR(e.id, "");
    s = wic_build_parse_error(&e);
    CHECK(s && g_str_has_prefix(s, "{\"type\":\"error\",\"code\":400,\"reason\":\"invalid JSON"));
    g_free(s);
    /* a long, hostile type name stays a short, clean line */
    CHECK_INT(parse("{\"type\":\"\\u0007\\u001b[31m0123456789012345678901234567890123456789\"}",
                    WIC_FROM_CLIENT, &m, &e),
              WIC_ERR_UNKNOWN_TYPE);
    CHECK(strlen(e.reason) < 64);
    for (const char *p = e.reason; *p; p++)
        CHECK((unsigned char)*p >= 0x20);
}

TEST(builders_refuse_out_of_bounds)
{
    char *long_id = repeat('i', WIC_ID_MAX + 1);
    char *long_sdp = repeat('v', WIC_SDP_MAX + 1);
    CHECK(wic_build_hangup(long_id) == NULL);
    CHECK(wic_build_hangup("") == NULL);
    CHECK(wic_build_hangup("a b") == NULL);
    CHECK(wic_build_hangup(NULL) == NULL);
    CHECK(wic_build_answered("c", long_sdp) == NULL);
    CHECK(wic_build_answered("c", "") == NULL);
    CHECK(wic_build_answered("c", "v=0\xff") == NULL);
    CHECK(wic_build_incoming("c", NULL, "v=0") == NULL);
    CHECK(wic_build_dtmf("c", "12x") == NULL);
    CHECK(wic_build_progress("c", 200) == NULL);
    CHECK(wic_build_progress("c", 100) == NULL);
    CHECK(wic_build_ended("c", 0, "x") == NULL);
    CHECK(wic_build_ended("c", 486, NULL) == NULL);
    CHECK(wic_build_error(NULL, 700, "x") == NULL);
    CHECK(wic_build_ready("alice", NULL) == NULL);
    wic_msg bad = {.type = WIC_MSG_COUNT};
    CHECK(wic_msg_build(&bad) == NULL);
    g_free(long_id);
    g_free(long_sdp);
}

/* Reasons come from SIP peers: they are cleaned, never refused. */
TEST(builder_cleans_reason)
{
    GString *r = g_string_new("");
    for (int i = 0; i < 200; i++)
        g_string_append(r, "\xc3\xa9"); /* 400 bytes of é */
    char *s = wic_build_ended("c", 480, r->str);
    CHECK(s != NULL);
    wic_msg m;
    wic_error e;
    CHECK_INT(parse(s, WIC_FROM_SERVER, &m, &e), WIC_OK);
    CHECK_INT(strlen(m.reason), WIC_REASON_MAX);
    CHECK(g_utf8_validate(m.reason, -1, NULL));
    wic_msg_clear(&m);
    g_free(s);
    g_string_free(r, TRUE);

    s = wic_build_ended("c", 500, "bad\r\nline\xff");
    CHECK(s != NULL);
    CHECK_INT(parse(s, WIC_FROM_SERVER, &m, &e), WIC_OK);
    CHECK_STR(m.reason, "bad  line\xef\xbf\xbd");
    wic_msg_clear(&m);
    g_free(s);
}

TEST(names_and_status)
{
    const char *names[] = {"call",     "answer",   "reject",   "hangup", "dtmf", "ready",
                           "incoming", "progress", "answered", "ended",  "error"};
    for (int t = 0; t < WIC_MSG_COUNT; t++) {
        CHECK_STR(wic_msg_type_name((wic_msg_type)t), names[t]);
        CHECK_INT(wic_msg_type_dir((wic_msg_type)t),
                  t <= WIC_MSG_DTMF ? WIC_FROM_CLIENT : WIC_FROM_SERVER);
    }
    CHECK(wic_msg_type_name(WIC_MSG_COUNT) == NULL);
    CHECK_INT(wic_err_status(WIC_ERR_JSON), 400);
    CHECK_INT(wic_err_status(WIC_ERR_NOT_OBJECT), 400);
    CHECK_INT(wic_err_status(WIC_ERR_MISSING_FIELD), 400);
    CHECK_INT(wic_err_status(WIC_ERR_BAD_DIGITS), 400);
    CHECK_INT(wic_err_status(WIC_ERR_UNKNOWN_TYPE), 501);
}

int main(void)
{
    RUN(parse_call);
    RUN(parse_answer_reject_hangup_dtmf);
    RUN(build_server_messages_exact);
    RUN(build_client_messages_exact);
    RUN(roundtrip_every_type);
    RUN(parse_server_messages);
    RUN(error_invalid_json);
    RUN(error_nesting_and_nul);
    RUN(error_not_object);
    RUN(error_type);
    RUN(error_missing_fields);
    RUN(error_wrong_types);
    RUN(error_oversize_fields);
    RUN(error_message_too_big);
    RUN(error_bad_characters);
    RUN(error_bad_dtmf_digits);
    RUN(parse_error_answer);
    RUN(builders_refuse_out_of_bounds);
    RUN(builder_cleans_reason);
    RUN(names_and_status);
    UNIT_END("wtpf/wic_msg");
}
