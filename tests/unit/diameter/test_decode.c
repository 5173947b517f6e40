/* Decoder rejection tests: every malformed input gets the precise status, offset, Result-Code and
 * offending AVP that the error answer needs (RFC 6733 §7.1.5, §7.5), and ASan sees no read
 * outside the buffer (inputs are copied into exactly-sized heap blocks). */
#include "unit.h"

#include "diameter/codec.h"
#include "diameter/cx.h"

static const dia_node HSS = {"hss.ims.example.net", "ims.example.net"};

/* AVP snippets */
#define ORIGIN_HOST "00 00 01 08 40 00 00 0b 61 2e 62 00"            /* "a.b" */
#define ORIGIN_REALM "00 00 01 28 40 00 00 09 62 00 00 00"           /* "b" */
#define SESSION_ID "00 00 01 07 40 00 00 0d 73 3b 31 3b 31 00 00 00" /* "s;1;1" */
#define OSI "00 00 01 16 40 00 00 0c 00 00 00 07"                    /* Origin-State-Id 7 */
#define VSAI_CX                                                                                    \
    "00 00 01 04 40 00 00 20 00 00 01 0a 40 00 00 0c 00 00 28 af 00 00 01 02 40 00 00 0c 01 00 "   \
    "00 00"

/* A heap copy of exactly n bytes, so that any over-read trips ASan. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
    uint8_t *c = g_malloc(n ? n : 1);
    if (n) memcpy(c, p, n);
    return c;
}

/* Header (version 1, length computed) + AVPs from hex; returns the length. */
static size_t make_msg(uint8_t *out, size_t cap, uint8_t flags, uint32_t cmd, uint32_t app,
                       const char *avps_hex)
{
    size_t n = unit_hex(avps_hex, out + 20, cap - 20) + 20;
    const uint8_t hdr[20] = {1,
                             (uint8_t)(n >> 16),
                             (uint8_t)(n >> 8),
                             (uint8_t)n,
                             flags,
                             (uint8_t)(cmd >> 16),
                             (uint8_t)(cmd >> 8),
                             (uint8_t)cmd,
                             (uint8_t)(app >> 24),
                             (uint8_t)(app >> 16),
                             (uint8_t)(app >> 8),
                             (uint8_t)app,
                             0x11,
                             0x22,
                             0x33,
                             0x44,
                             0x55,
                             0x66,
                             0x77,
                             0x88};
    memcpy(out, hdr, 20);
    return n;
}

/* Decodes a heap copy; returns the status, leaves details in *err. */
static dia_status decode(const uint8_t *buf, size_t n, unsigned flags, unsigned max_depth,
                         dia_error *err)
{
    uint8_t *c = exact(buf, n);
    dia_decode_opts o = {.flags = flags, .max_depth = max_depth};
    dia_msg *m = dia_msg_decode(c, n, &o, err);
    g_free(c);
    CHECK((m != NULL) == (err->status == DIA_OK));
    dia_msg_free(m);
    return err->status;
}

static void check_encoded(const dia_avp *a, const char *hex)
{
    uint8_t want[512];
    size_t n = unit_hex(hex, want, sizeof want);
    GBytes *b = a ? dia_avp_encode(a) : NULL;
    CHECK(b != NULL);
    if (!b) return;
    gsize got_n;
    const uint8_t *got = g_bytes_get_data(b, &got_n);
    CHECK_INT(got_n, n);
    if (got_n == n) CHECK_MEM(got, want, n);
    g_bytes_unref(b);
}

TEST(truncated_header)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST);
    dia_error e = DIA_ERROR_INIT;
    for (size_t k = 0; k < DIA_HDR_LEN; k++) {
        CHECK_INT(decode(buf, k, 0, 0, &e), DIA_ERR_TRUNCATED);
        CHECK(e.partial == NULL);
        CHECK_INT(e.result_code, 0);
        CHECK(dia_error_answer_new(&e, &HSS) == NULL); /* nothing to answer */
        dia_error_clear(&e);
    }
    CHECK(dia_msg_decode(NULL, n, NULL, &e) == NULL);
    CHECK_INT(e.status, DIA_ERR_TRUNCATED);
    dia_error_clear(&e);
}

TEST(length_field_larger_than_buffer)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST ORIGIN_REALM);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n - 4, 0, 0, &e), DIA_ERR_MSG_LENGTH);
    CHECK_INT(e.result_code, DIA_RC_INVALID_MESSAGE_LENGTH);
    CHECK_INT(e.offset, 1);
    CHECK(!e.have_avp);
    /* The header is enough to answer (RFC 6733 §7: keep the connection, answer the error). */
    CHECK(e.partial && e.partial->hbh == 0x11223344 && e.partial->e2e == 0x55667788);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans != NULL);
    if (ans) {
        dia_result r;
        CHECK(dia_get_result(ans, &r) && !r.experimental && r.code == 5015);
        CHECK_INT(ans->hbh, 0x11223344);
        CHECK_INT(ans->e2e, 0x55667788);
        CHECK_INT(ans->cmd, DIA_CMD_DW);
        CHECK_INT(ans->flags, 0); /* 5xxx: no E bit, not proxiable like the DWR */
        CHECK(dia_msg_find(ans, DIA_AVP_FAILED_AVP, 0) == NULL);
        dia_msg_free(ans);
    }
    dia_error_clear(&e);
}

TEST(length_field_smaller_than_buffer)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST);
    memset(buf + n, 0, 4);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n + 4, 0, 0, &e), DIA_ERR_MSG_LENGTH);
    CHECK_INT(e.result_code, 5015);
    dia_error_clear(&e);
    /* Length field below the header size. */
    buf[1] = buf[2] = 0;
    buf[3] = 16;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_MSG_LENGTH);
    dia_error_clear(&e);
}

TEST(length_not_multiple_of_4)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST);
    /* Drop the padding of the last AVP and claim the shorter length: RFC 6733 §3. */
    n -= 1;
    buf[3] = (uint8_t)n;
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_MSG_LENGTH);
    CHECK_INT(e.result_code, 5015);
    CHECK_INT(e.offset, 1);
    dia_error_clear(&e);
}

TEST(trailing_bytes_after_last_avp)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST "00 00 00 00");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_MSG_LENGTH);
    CHECK_INT(e.offset, n - 4);
    dia_error_clear(&e);
}

TEST(version_not_1)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST);
    buf[0] = 2;
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_VERSION);
    CHECK_INT(e.result_code, DIA_RC_UNSUPPORTED_VERSION);
    CHECK_INT(e.offset, 0);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans && ans->version == 1 && ans->hbh == 0x11223344);
    dia_result r;
    CHECK(dia_get_result(ans, &r) && r.code == 5011);
    dia_msg_free(ans);
    dia_error_clear(&e);
}

TEST(error_bit_in_request)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R | DIA_FLAG_E, DIA_CMD_DW, 0, ORIGIN_HOST);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_HDR_BITS);
    CHECK_INT(e.result_code, DIA_RC_INVALID_HDR_BITS);
    CHECK_INT(e.offset, 4);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans && (ans->flags & DIA_FLAG_E) && !(ans->flags & DIA_FLAG_R)); /* 3xxx: E bit */
    dia_msg_free(ans);
    dia_error_clear(&e);
    /* E in an answer is fine. */
    n = make_msg(buf, sizeof buf, DIA_FLAG_E, DIA_CMD_DW, 0, ORIGIN_HOST);
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_OK);
    dia_error_clear(&e);
}

TEST(avp_length_below_header)
{
    uint8_t buf[64];
    /* Origin-State-Id claiming length 4: less than the 8-byte header. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0,
                        ORIGIN_HOST "00 00 01 16 40 00 00 04 00 00 00 07");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_LENGTH);
    CHECK(e.have_avp);
    CHECK_INT(e.avp.code, 278);
    CHECK_INT(e.avp.length, 4);
    CHECK_INT(e.avp_offset, 32);
    CHECK_INT(e.offset, 37);
    CHECK(!e.avp_data_ok);
    CHECK_INT(g_bytes_get_size(e.avp_bytes), 8);
    /* RFC 6733 §7.5: header copy and a zero-filled payload of the minimum length (4). */
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 14 00 00 01 16 40 00 00 0c 00 00 00 00");
    dia_avp_free(f);
    /* The partial message has the AVPs before the fault. */
    CHECK(e.partial && e.partial->avps->len == 1);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    dia_result r;
    CHECK(ans && dia_get_result(ans, &r) && r.code == 5014);
    CHECK(dia_msg_find(ans, DIA_AVP_FAILED_AVP, 0) != NULL);
    dia_msg_free(ans);
    dia_error_clear(&e);
}

TEST(avp_length_below_vendor_header)
{
    uint8_t buf[64];
    /* Public-Identity (V) with length 10 < 12. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_UA, DIA_APP_CX,
                        SESSION_ID "00 00 02 59 c0 00 00 0a 00 00 28 af 61 62 00 00");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.code, 601);
    CHECK_INT(e.avp.vendor, 10415);
    CHECK_INT(e.avp.length, 10);
    CHECK_INT(g_bytes_get_size(e.avp_bytes), 12);
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 14 00 00 02 59 c0 00 00 0c 00 00 28 af");
    dia_avp_free(f);
    /* The error answer to a Cx request is a Cx answer carrying the Session-Id. */
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans != NULL);
    if (ans) {
        char *sid = dia_msg_get_str(ans, DIA_AVP_SESSION_ID, 0);
        CHECK_STR(sid, "s;1;1");
        g_free(sid);
        CHECK(dia_msg_find(ans, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0) != NULL);
        CHECK_INT(ans->flags, DIA_FLAG_P);
        dia_msg_free(ans);
    }
    dia_error_clear(&e);
    /* Exactly 8 bytes left with V set: the vendor field itself is missing. */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, "00 00 02 59 c0 00 00 0c");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.vendor, 0);
    CHECK_INT(g_bytes_get_size(e.avp_bytes), 8);
    dia_error_clear(&e);
}

TEST(avp_overruns_message)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0,
                        ORIGIN_HOST "00 00 01 16 40 00 00 40 00 00 00 07");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.code, 278);
    CHECK_INT(e.avp.length, 64);
    CHECK(!e.avp_data_ok);
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 14 00 00 01 16 40 00 00 0c 00 00 00 00");
    dia_avp_free(f);
    dia_error_clear(&e);
}

TEST(avp_overruns_grouped_parent)
{
    uint8_t buf[128];
    /* Vendor-Specific-Application-Id of 20 bytes whose Vendor-Id claims 16. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_CE, 0,
                        ORIGIN_HOST
                        "00 00 01 04 40 00 00 14 00 00 01 0a 40 00 00 10 00 00 28 af" ORIGIN_REALM);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.code, DIA_AVP_VENDOR_ID);
    CHECK_INT(e.avp.length, 16);
    CHECK_INT(e.avp_offset, 40);
    CHECK_INT(e.depth, 1);
    CHECK_INT(e.outer[0].code, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID);
    CHECK_INT(e.outer[0].length, 20);
    /* With the hierarchy (RFC 6733 §7.5 MAY): Failed-AVP{VSAI{Vendor-Id zero-filled}}. */
    dia_avp *f = dia_failed_avp_new(&e, TRUE);
    check_encoded(f, "00 00 01 17 40 00 00 1c 00 00 01 04 40 00 00 14"
                     " 00 00 01 0a 40 00 00 0c 00 00 00 00");
    dia_avp_free(f);
    dia_error_clear(&e);
}

TEST(nonzero_padding)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, ORIGIN_HOST ORIGIN_REALM);
    buf[20 + 11] = 0x2e; /* the pad byte of Origin-Host "a.b" */
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_PADDING);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_LENGTH);
    CHECK_INT(e.offset, 31);
    CHECK_INT(e.avp.code, DIA_AVP_ORIGIN_HOST);
    CHECK(e.avp_data_ok);
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 14 " ORIGIN_HOST);
    dia_avp_free(f);
    dia_error_clear(&e);
    /* Lenient decoding ignores it; the re-encoding pads with zeros. */
    CHECK_INT(decode(buf, n, DIA_DEC_LENIENT, 0, &e), DIA_OK);
    dia_error_clear(&e);
}

TEST(missing_padding_in_group)
{
    uint8_t buf[128];
    /* SIP-Auth-Data-Item (len 12+22=34, padded 36) holding SIP-Authentication-Scheme of length
     * 22 ("SIP Digest") without its 2 padding bytes: the group ends before the padding. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_MA, DIA_APP_CX,
                        SESSION_ID "00 00 02 64 c0 00 00 22 00 00 28 af"
                                   " 00 00 02 60 c0 00 00 16 00 00 28 af"
                                   " 53 49 50 20 44 69 67 65 73 74 00 00");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_PADDING);
    CHECK_INT(e.avp.code, DIA_AVP_SIP_AUTHENTICATION_SCHEME);
    CHECK_INT(e.depth, 1);
    CHECK_INT(e.outer[0].code, DIA_AVP_SIP_AUTH_DATA_ITEM);
    CHECK_INT(e.result_code, 5014);
    dia_error_clear(&e);
}

TEST(grouped_with_garbage)
{
    uint8_t buf[128];
    /* 4 bytes of junk inside Vendor-Specific-Application-Id: not even an AVP header. The grouped
     * AVP's value is invalid (5004); Failed-AVP carries its header with an empty payload. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_CE, 0,
                        ORIGIN_HOST "00 00 01 04 40 00 00 0c de ad be ef");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_VALUE);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_VALUE);
    CHECK_INT(e.avp.code, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID);
    CHECK_INT(e.offset, 40);
    CHECK_INT(e.depth, 0);
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 10 00 00 01 04 40 00 00 08");
    dia_avp_free(f);
    dia_error_clear(&e);

    /* Text where AVPs should be: the first "AVP header" has an absurd length (5014). */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_CE, 0,
                 ORIGIN_HOST "00 00 01 04 40 00 00 14 68 65 6c 6c 6f 20 77 6f 72 6c 64 21");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.code, 0x68656c6c);
    CHECK_INT(e.depth, 1);
    dia_error_clear(&e);

    /* The same bytes in an AVP the dictionary does not know as Grouped are just data. */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_CE, 0,
                 ORIGIN_HOST "00 00 01 0d 00 00 00 14 68 65 6c 6c 6f 20 77 6f 72 6c 64 21");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_OK);
    dia_error_clear(&e);
}

/* Failed-AVP nested `levels` deep around Origin-State-Id. */
static size_t nested(uint8_t *buf, size_t cap, unsigned levels)
{
    GString *hex = g_string_new(NULL);
    for (unsigned i = 0; i < levels; i++)
        g_string_append_printf(hex, "00 00 01 17 40 00 00 %02x ", 8 * (levels - i) + 12);
    g_string_append(hex, OSI);
    size_t n = make_msg(buf, cap, 0, DIA_CMD_DW, 0, hex->str);
    g_string_free(hex, TRUE);
    return n;
}

TEST(nesting_depth_limit)
{
    uint8_t buf[256];
    dia_error e = DIA_ERROR_INIT;
    /* 7 grouped levels + the leaf = 8 levels: the default limit. */
    size_t n = nested(buf, sizeof buf, 7);
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_OK);
    dia_error_clear(&e);
    n = nested(buf, sizeof buf, 8);
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_DEPTH);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_VALUE);
    CHECK_INT(e.avp.code, DIA_AVP_FAILED_AVP);
    CHECK_INT(e.depth, 7);
    CHECK_INT(e.avp_offset, 20 + 7 * 8);
    dia_error_clear(&e);
    CHECK_INT(decode(buf, n, 0, 9, &e), DIA_OK);
    dia_error_clear(&e);
    /* The hard cap holds whatever the caller asks for. */
    n = nested(buf, sizeof buf, 20);
    CHECK_INT(decode(buf, n, 0, 1000, &e), DIA_ERR_DEPTH);
    CHECK_INT(e.depth, DIA_MAX_DEPTH_LIMIT - 1);
    dia_error_clear(&e);
    /* Raw decoding does not expand groups, so depth does not matter. */
    CHECK_INT(decode(buf, n, DIA_DEC_RAW, 0, &e), DIA_OK);
    dia_error_clear(&e);
}

TEST(wrong_size_unsigned32)
{
    uint8_t buf[64];
    /* Origin-State-Id with 3 data bytes: well framed, wrong for Unsigned32. */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0,
                        ORIGIN_HOST "00 00 01 16 40 00 00 0b 00 00 07 00" ORIGIN_REALM);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_LENGTH);
    CHECK_INT(e.avp.code, 278);
    CHECK(e.avp_data_ok);
    /* The whole message was read: the answer can use everything in it. */
    CHECK(e.partial && e.partial->avps->len == 3);
    dia_avp *f = dia_failed_avp_new(&e, FALSE);
    check_encoded(f, "00 00 01 17 40 00 00 14 00 00 01 16 40 00 00 0b 00 00 07 00");
    dia_avp_free(f);
    dia_error_clear(&e);
    CHECK_INT(decode(buf, n, DIA_DEC_NO_VALIDATE, 0, &e), DIA_OK);
    dia_error_clear(&e);
    /* Unsigned64 with 4 bytes, Address with a bad length. */
    n = make_msg(buf, sizeof buf, 0, DIA_CMD_DW, 0, "00 00 00 60 40 00 00 0c 00 00 00 01");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    dia_error_clear(&e);
    n = make_msg(buf, sizeof buf, 0, DIA_CMD_DW, 0,
                 "00 00 01 01 40 00 00 0d 00 01 7f 00 00 00 00 00");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    dia_error_clear(&e);
}

TEST(invalid_utf8)
{
    uint8_t buf[64];
    size_t n =
        make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, "00 00 01 08 40 00 00 0b 61 c3 28 00");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_VALUE);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_VALUE);
    CHECK_INT(e.avp.code, DIA_AVP_ORIGIN_HOST);
    dia_error_clear(&e);
    /* An embedded NUL is not a valid UTF8String value either. */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, "00 00 01 08 40 00 00 0b 61 00 62 00");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_VALUE);
    dia_error_clear(&e);
}

TEST(unknown_mandatory_avp)
{
    uint8_t buf[128];
    /* A UAR carrying an AVP 9999 with M set: DIAMETER_AVP_UNSUPPORTED (RFC 6733 §4.1). */
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_UA, DIA_APP_CX,
                        SESSION_ID VSAI_CX ORIGIN_HOST "00 00 27 0f 40 00 00 0c 00 00 00 01");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_UNSUPPORTED);
    CHECK_INT(e.result_code, DIA_RC_AVP_UNSUPPORTED);
    CHECK_INT(e.avp.code, 9999);
    CHECK_INT(e.avp_offset, 20 + 16 + 32 + 12);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans != NULL);
    if (ans) {
        /* Result-Code 5001 is AVP_UNSUPPORTED; Experimental 5001 would be USER_UNKNOWN. */
        dia_result r;
        CHECK(dia_get_result(ans, &r) && !r.experimental && r.code == 5001);
        CHECK_STR(dia_result_name(&r), "DIAMETER_AVP_UNSUPPORTED");
        CHECK(!(ans->flags & DIA_FLAG_E));
        const dia_key path[] = {{DIA_AVP_FAILED_AVP, 0}, {9999, 0}};
        uint32_t v = 0;
        CHECK(dia_avp_get_u32(dia_find_path(ans->avps, path, 2), &v) && v == 1);
        /* The answer itself is well-formed: it decodes cleanly. */
        GByteArray *enc = dia_msg_encode(ans);
        dia_error e2 = DIA_ERROR_INIT;
        dia_msg *back = dia_msg_decode(enc->data, enc->len, NULL, &e2);
        CHECK(back != NULL);
        CHECK_INT(e2.status, DIA_OK);
        dia_msg_free(back);
        dia_error_clear(&e2);
        g_byte_array_unref(enc);
        dia_msg_free(ans);
    }
    dia_error_clear(&e);
    /* Without M the unknown AVP is kept as data. */
    buf[20 + 16 + 32 + 12 + 4] = 0;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_OK);
    dia_error_clear(&e);
    /* A 3GPP AVP sent without the V flag is a different, unknown, AVP. */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_UA, DIA_APP_CX,
                 SESSION_ID "00 00 02 59 40 00 00 0a 61 62 00 00");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_UNSUPPORTED);
    CHECK_INT(e.avp.code, 601);
    CHECK_INT(e.avp.vendor, 0);
    dia_error_clear(&e);
}

TEST(unknown_mandatory_avp_in_group)
{
    uint8_t buf[128];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R | DIA_FLAG_P, DIA_CMD_MA, DIA_APP_CX,
                        SESSION_ID "00 00 02 64 c0 00 00 1c 00 00 28 af"
                                   " 00 00 27 0f c0 00 00 10 00 00 28 af 00 00 00 01");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_UNSUPPORTED);
    CHECK_INT(e.avp.code, 9999);
    CHECK_INT(e.avp.vendor, 10415);
    CHECK_INT(e.depth, 1);
    CHECK_INT(e.outer[0].code, DIA_AVP_SIP_AUTH_DATA_ITEM);
    dia_avp *f = dia_failed_avp_new(&e, TRUE);
    check_encoded(f, "00 00 01 17 40 00 00 24 00 00 02 64 c0 00 00 1c 00 00 28 af"
                     " 00 00 27 0f c0 00 00 10 00 00 28 af 00 00 00 01");
    dia_avp_free(f);
    dia_error_clear(&e);
}

TEST(structural_fault_wins_over_dictionary_fault)
{
    uint8_t buf[128];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0,
                        "00 00 27 0f 40 00 00 0c 00 00 00 01" ORIGIN_HOST
                        "00 00 01 16 40 00 00 20 00 00 00 07");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_LENGTH);
    CHECK_INT(e.avp.code, 278);
    dia_error_clear(&e);
    /* Among dictionary faults the first one is reported (RFC 6733 §7.5). */
    n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0,
                 "00 00 27 0f 40 00 00 0c 00 00 00 01 00 00 01 16 40 00 00 0b 00 00 07 00");
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_UNSUPPORTED);
    dia_error_clear(&e);
}

TEST(reserved_avp_flag_bits)
{
    uint8_t buf[64];
    size_t n =
        make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_DW, 0, "00 00 01 08 41 00 00 0b 61 2e 62 00");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_BITS);
    CHECK_INT(e.result_code, DIA_RC_INVALID_AVP_BITS);
    CHECK_INT(e.offset, 24);
    dia_msg *ans = dia_error_answer_new(&e, &HSS);
    CHECK(ans && (ans->flags & DIA_FLAG_E));
    dia_msg_free(ans);
    dia_error_clear(&e);
    CHECK_INT(decode(buf, n, DIA_DEC_LENIENT, 0, &e), DIA_OK);
    dia_error_clear(&e);
}

TEST(answers_are_not_answered)
{
    uint8_t buf[64];
    size_t n = make_msg(buf, sizeof buf, 0, DIA_CMD_DW, 0, "00 00 27 0f 40 00 00 0c 00 00 00 01");
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_ERR_AVP_UNSUPPORTED);
    CHECK(dia_error_answer_new(&e, &HSS) == NULL);
    dia_error_clear(&e);
}

TEST(raw_mode_keeps_groups_as_data)
{
    uint8_t buf[128];
    size_t n = make_msg(buf, sizeof buf, DIA_FLAG_R, DIA_CMD_CE, 0, ORIGIN_HOST VSAI_CX);
    uint8_t *c = exact(buf, n);
    dia_decode_opts raw = {.flags = DIA_DEC_RAW};
    dia_msg *m = dia_msg_decode(c, n, &raw, NULL);
    CHECK(m != NULL);
    const dia_avp *vsai = dia_msg_find(m, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0);
    CHECK(vsai && !dia_avp_is_grouped(vsai));
    GByteArray *enc = dia_msg_encode(m);
    CHECK(enc && enc->len == n && memcmp(enc->data, buf, n) == 0);
    g_byte_array_unref(enc);
    dia_msg_free(m);
    m = dia_msg_decode(c, n, NULL, NULL);
    CHECK(dia_avp_is_grouped(dia_msg_find(m, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0)));
    dia_msg_free(m);
    g_free(c);
}

/* Every prefix and every single-byte corruption of a real message decodes or fails cleanly
 * (ASan would flag an over-read of the exactly-sized copies), and whatever decodes re-encodes to
 * the same bytes. */
TEST(prefixes_and_corruptions)
{
    static const char MAA[] =
        "01 00 00 d8 40 00 01 2f 01 00 00 00 00 00 00 04 5a 00 00 04" SESSION_ID VSAI_CX
        "00 00 01 0c 40 00 00 0c 00 00 07 d1" ORIGIN_HOST ORIGIN_REALM
        "00 00 02 64 c0 00 00 70 00 00 28 af 00 00 02 65 c0 00 00 10 00 00 28 af 00 00 00 01"
        "00 00 02 60 c0 00 00 16 00 00 28 af 53 49 50 20 44 69 67 65 73 74 00 00"
        "00 00 02 7b 80 00 00 3c 00 00 28 af 00 00 00 68 40 00 00 09 72 00 00 00"
        "00 00 00 6f 40 00 00 0b 4d 44 35 00 00 00 00 6e 40 00 00 0c 61 75 74 68"
        "00 00 00 79 40 00 00 0c 61 62 63 64";
    uint8_t buf[512];
    size_t n = unit_hex(MAA, buf, sizeof buf);
    CHECK_INT(n, 216);
    dia_error e = DIA_ERROR_INIT;
    CHECK_INT(decode(buf, n, 0, 0, &e), DIA_OK);
    dia_error_clear(&e);
    unsigned ok = 0, failed = 0;
    for (size_t k = 0; k < n; k++) {
        /* Prefix with the length field kept, then with the length field fixed up. */
        CHECK(decode(buf, k, 0, 0, &e) != DIA_OK);
        dia_error_clear(&e);
        if (k >= 20 && k % 4 == 0) {
            uint8_t t[512];
            memcpy(t, buf, k);
            t[1] = (uint8_t)(k >> 16);
            t[2] = (uint8_t)(k >> 8);
            t[3] = (uint8_t)k;
            decode(t, k, 0, 0, &e) == DIA_OK ? ok++ : failed++;
            dia_error_clear(&e);
        }
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t t[512];
            memcpy(t, buf, n);
            t[k] ^= (uint8_t)(1u << bit);
            uint8_t *c = exact(t, n);
            dia_msg *m = dia_msg_decode(c, n, NULL, &e);
            if (m) {
                GByteArray *enc = dia_msg_encode(m);
                CHECK(enc && enc->len == n && memcmp(enc->data, t, n) == 0);
                if (enc) g_byte_array_unref(enc);
                ok++;
            } else {
                CHECK(e.status != DIA_OK);
                failed++;
            }
            dia_msg_free(m);
            dia_error_clear(&e);
            g_free(c);
        }
    }
    CHECK(ok > 0 && failed > 0);
}

int main(void)
{
    RUN(truncated_header);
    RUN(length_field_larger_than_buffer);
    RUN(length_field_smaller_than_buffer);
    RUN(length_not_multiple_of_4);
    RUN(trailing_bytes_after_last_avp);
    RUN(version_not_1);
    RUN(error_bit_in_request);
    RUN(avp_length_below_header);
    RUN(avp_length_below_vendor_header);
    RUN(avp_overruns_message);
    RUN(avp_overruns_grouped_parent);
    RUN(nonzero_padding);
    RUN(missing_padding_in_group);
    RUN(grouped_with_garbage);
    RUN(nesting_depth_limit);
    RUN(wrong_size_unsigned32);
    RUN(invalid_utf8);
    RUN(unknown_mandatory_avp);
    RUN(unknown_mandatory_avp_in_group);
    RUN(structural_fault_wins_over_dictionary_fault);
    RUN(reserved_avp_flag_bits);
    RUN(answers_are_not_answered);
    RUN(raw_mode_keeps_groups_as_data);
    RUN(prefixes_and_corruptions);
    UNIT_END("diameter/decode");
}
