/* Tests of the message model and the builders/readers: answers from requests (RFC 6733 §6.2),
 * results and the E bit, Failed-AVP for MISSING_AVP, SIP-Auth-Data-Item, and encoder limits. */
#include "unit.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "diameter/codec.h"
#include "diameter/cx.h"

static const dia_node PCSCF = {"pcscf.ims.example.net", "ims.example.net"};
static const dia_node HSS = {"hss.ims.example.net", "ims.example.net"};

static void check_encoded(const dia_avp *a, const char *hex)
{
    uint8_t want[512];
    size_t n = unit_hex(hex, want, sizeof want);
    GBytes *b = dia_avp_encode(a);
    CHECK(b != NULL);
    if (!b) return;
    gsize got_n;
    const uint8_t *got = g_bytes_get_data(b, &got_n);
    CHECK_INT(got_n, n);
    if (got_n == n) CHECK_MEM(got, want, n);
    g_bytes_unref(b);
}

static uint32_t code_at(const dia_msg *m, guint i)
{
    return i < m->avps->len ? ((const dia_avp *)g_ptr_array_index(m->avps, i))->code : 0;
}

TEST(session_id_and_e2e)
{
    char *s = dia_session_id_new("pcscf.ims.example.net", 1700000000u, 42, NULL);
    CHECK_STR(s, "pcscf.ims.example.net;1700000000;42");
    g_free(s);
    s = dia_session_id_new("h", 1, 2, "reg");
    CHECK_STR(s, "h;1;2;reg");
    g_free(s);
    /* RFC 6733 §3: low 12 bits of the time on top, 20 random bits below. */
    CHECK_INT(dia_e2e_initial(0x12345678u, 0xfedcba98u), 0x678cba98u);
}

TEST(cx_request_layout)
{
    dia_msg *m = dia_cx_request_new(DIA_CMD_SA, "s;1;1", &PCSCF, "ims.example.net",
                                    "hss.ims.example.net", 9, 10);
    CHECK_INT(m->flags, DIA_FLAG_R | DIA_FLAG_P);
    CHECK_INT(m->app_id, DIA_APP_CX);
    static const uint32_t order[] = {263, 260, 277, 264, 296, 293, 283};
    CHECK_INT(m->avps->len, G_N_ELEMENTS(order));
    for (guint i = 0; i < G_N_ELEMENTS(order); i++)
        CHECK_INT(code_at(m, i), order[i]);
    dia_msg_free(m);
    /* Without a Destination-Host. */
    m = dia_cx_request_new(DIA_CMD_LI, "s;1;2", &PCSCF, "ims.example.net", NULL, 1, 1);
    CHECK(dia_msg_find(m, DIA_AVP_DESTINATION_HOST, 0) == NULL);
    CHECK_INT(m->avps->len, 6);
    dia_msg_free(m);
}

TEST(answer_copies_ids_and_session)
{
    dia_msg *req = dia_cx_request_new(DIA_CMD_UA, "s;7;7", &PCSCF, "ims.example.net", NULL,
                                      0xaabbccdd, 0x11223344);
    req->flags |= DIA_FLAG_T;
    dia_msg *ans = dia_cx_answer_new(req, &HSS);
    CHECK_INT(ans->flags, DIA_FLAG_P); /* R and T cleared, P kept */
    CHECK_INT(ans->cmd, DIA_CMD_UA);
    CHECK_INT(ans->app_id, DIA_APP_CX);
    CHECK_INT(ans->hbh, 0xaabbccdd);
    CHECK_INT(ans->e2e, 0x11223344);
    CHECK(dia_avp_equal(dia_msg_find(ans, DIA_AVP_SESSION_ID, 0),
                        dia_msg_find(req, DIA_AVP_SESSION_ID, 0)));
    CHECK(dia_avp_equal(dia_msg_find(ans, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0),
                        dia_msg_find(req, DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0)));
    char *oh = dia_msg_get_str(ans, DIA_AVP_ORIGIN_HOST, 0);
    CHECK_STR(oh, "hss.ims.example.net");
    g_free(oh);
    dia_msg_free(ans);
    /* A non-proxiable base request gives a non-proxiable answer without Session-Id. */
    dia_msg *dwr = dia_dwr_new(&PCSCF, 0, 5, 6);
    CHECK(dia_msg_find(dwr, DIA_AVP_ORIGIN_STATE_ID, 0) == NULL); /* 0 = omitted */
    ans = dia_answer_new(dwr, &HSS);
    CHECK_INT(ans->flags, 0);
    CHECK(dia_msg_find(ans, DIA_AVP_SESSION_ID, 0) == NULL);
    dia_msg_free(ans);
    dia_msg_free(dwr);
    dia_msg_free(req);
}

TEST(results_and_error_bit)
{
    dia_msg *req = dia_cx_request_new(DIA_CMD_LI, "s;1;1", &PCSCF, "r", NULL, 1, 1);
    dia_msg *ans = dia_cx_answer_new(req, &HSS);
    dia_result r;
    CHECK(!dia_get_result(ans, &r));
    CHECK(!r.present);
    CHECK(dia_result_name(&r) == NULL);

    dia_set_experimental_result(ans, DIA_VENDOR_3GPP, DIA_EXP_ERROR_USER_UNKNOWN);
    CHECK(dia_get_result(ans, &r) && r.experimental && r.vendor == DIA_VENDOR_3GPP);
    CHECK_STR(dia_result_name(&r), "DIAMETER_ERROR_USER_UNKNOWN");
    CHECK(!dia_result_is_success(&r));
    /* After Session-Id and Vendor-Specific-Application-Id, as in the ABNF. */
    CHECK_INT(code_at(ans, 2), DIA_AVP_EXPERIMENTAL_RESULT);
    check_encoded(dia_msg_find(ans, DIA_AVP_EXPERIMENTAL_RESULT, 0),
                  "00 00 01 29 40 00 00 20 00 00 01 0a 40 00 00 0c 00 00 28 af"
                  " 00 00 01 2a 40 00 00 0c 00 00 13 89");

    /* Same number in Result-Code: the other meaning. Replaces the experimental one. */
    dia_set_result_code(ans, 5001);
    CHECK(dia_get_result(ans, &r) && !r.experimental && r.code == 5001);
    CHECK_STR(dia_result_name(&r), "DIAMETER_AVP_UNSUPPORTED");
    CHECK(dia_msg_find(ans, DIA_AVP_EXPERIMENTAL_RESULT, 0) == NULL);
    CHECK_INT(code_at(ans, 2), DIA_AVP_RESULT_CODE);
    CHECK(!(ans->flags & DIA_FLAG_E));

    dia_set_result_code(ans, DIA_RC_UNABLE_TO_DELIVER);
    CHECK(ans->flags & DIA_FLAG_E); /* RFC 6733 §7.1.3 */
    dia_set_result_code(ans, DIA_RC_SUCCESS);
    CHECK(!(ans->flags & DIA_FLAG_E));
    CHECK(dia_get_result(ans, &r) && dia_result_is_success(&r));
    guint c = 0, n = 0;
    while (dia_find(ans->avps, DIA_AVP_RESULT_CODE, 0, &c))
        n++;
    CHECK_INT(n, 1);
    dia_msg_free(ans);
    dia_msg_free(req);
}

TEST(failed_avp_for_missing_avp)
{
    /* RFC 6733 §7.1.5 MISSING_AVP: the missing AVP, Vendor-Id included, zero-filled. */
    dia_avp *f = dia_failed_avp_missing_new(DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP);
    check_encoded(f, "00 00 01 17 40 00 00 14 00 00 02 59 c0 00 00 0c 00 00 28 af");
    dia_avp_free(f);
    f = dia_failed_avp_missing_new(DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP);
    check_encoded(f, "00 00 01 17 40 00 00 18 00 00 02 66 c0 00 00 10 00 00 28 af 00 00 00 00");
    dia_avp_free(f);
    f = dia_failed_avp_missing_new(DIA_AVP_HOST_IP_ADDRESS, 0);
    check_encoded(f, "00 00 01 17 40 00 00 18 00 00 01 01 40 00 00 0e 00 00 00 00 00 00 00 00");
    dia_avp_free(f);
    dia_error none = DIA_ERROR_INIT;
    CHECK(dia_failed_avp_new(&none, TRUE) == NULL);
    CHECK(dia_error_answer_new(&none, &HSS) == NULL);
}

TEST(auth_item_round_trip)
{
    dia_msg *m = dia_msg_new(DIA_CMD_MA, DIA_APP_CX, 0, 1, 1);
    dia_cx_auth_item in = {
        .item_number = 3, .scheme = "SIP Digest", .realm = "r", .qop = "auth", .ha1 = "00ff"};
    dia_cx_add_auth_item(m->avps, &in);
    dia_cx_add_auth_item(m->avps, NULL); /* empty item */
    GByteArray *enc = dia_msg_encode(m);
    dia_msg *back = dia_msg_decode(enc->data, enc->len, NULL, NULL);
    CHECK(back != NULL);
    guint c = 0;
    dia_avp *item = dia_find(back->avps, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP, &c);
    dia_cx_auth_info out;
    CHECK(dia_cx_read_auth_item(item, &out));
    CHECK_INT(out.item_number, 3);
    CHECK_STR(out.scheme, "SIP Digest");
    CHECK(out.has_digest);
    CHECK_STR(out.realm, "r");
    CHECK(out.algorithm == NULL); /* omitted: MD5 implied */
    CHECK_STR(out.qop, "auth");
    CHECK_STR(out.ha1, "00ff");
    dia_cx_auth_info_clear(&out);
    item = dia_find(back->avps, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP, &c);
    CHECK(item && dia_cx_read_auth_item(item, &out));
    CHECK(!out.has_digest && out.scheme == NULL);
    dia_cx_auth_info_clear(&out);
    CHECK(dia_find(back->avps, DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP, &c) == NULL);
    /* Not an auth item / a HA1 that is not UTF-8. */
    CHECK(!dia_cx_read_auth_item(dia_msg_find(m, DIA_AVP_SESSION_ID, 0), &out));
    const dia_key path[] = {{DIA_AVP_SIP_AUTH_DATA_ITEM, DIA_VENDOR_3GPP},
                            {DIA_AVP_SIP_DIGEST_AUTHENTICATE, DIA_VENDOR_3GPP}};
    dia_avp *dg = dia_find_path(m->avps, path, 2);
    dia_remove(dg->children, DIA_AVP_DIGEST_HA1, 0);
    dia_add(dg->children, dia_avp_new_raw(DIA_AVP_DIGEST_HA1, 0, DIA_AVP_FLAG_M, "\xff", 1));
    CHECK(!dia_cx_read_auth_item(g_ptr_array_index(m->avps, 0), &out));
    CHECK(out.scheme == NULL); /* cleared on failure */
    g_byte_array_unref(enc);
    dia_msg_free(back);
    dia_msg_free(m);
}

TEST(cer_advertises_cx)
{
    const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    dia_cer_info info = {.family = AF_INET6, .host_ip = ip6, .product = "p"};
    dia_msg *cer = dia_cer_new(&PCSCF, &info, 1, 2);
    CHECK_INT(cer->flags, DIA_FLAG_R);
    int fam;
    uint8_t ip[16];
    CHECK(dia_avp_get_addr(dia_msg_find(cer, DIA_AVP_HOST_IP_ADDRESS, 0), &fam, ip));
    CHECK_INT(fam, AF_INET6);
    CHECK_MEM(ip, ip6, 16);
    uint32_t v;
    CHECK(dia_msg_get_u32(cer, DIA_AVP_SUPPORTED_VENDOR_ID, 0, &v) && v == DIA_VENDOR_3GPP);
    const dia_key app[] = {{DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0},
                           {DIA_AVP_AUTH_APPLICATION_ID, 0}};
    CHECK(dia_avp_get_u32(dia_find_path(cer->avps, app, 2), &v) && v == DIA_APP_CX);
    CHECK(dia_msg_find(cer, DIA_AVP_ORIGIN_STATE_ID, 0) == NULL);
    CHECK(dia_msg_find(cer, DIA_AVP_FIRMWARE_REVISION, 0) == NULL);
    dia_msg *cea = dia_cea_new(cer, &HSS, &info, DIA_RC_NO_COMMON_APPLICATION);
    dia_result r;
    CHECK(dia_get_result(cea, &r) && r.code == 5010);
    CHECK_INT(code_at(cea, 0), DIA_AVP_RESULT_CODE);
    CHECK_INT(cea->hbh, 1);
    dia_msg_free(cea);
    dia_msg_free(cer);
}

TEST(values_and_lookup)
{
    dia_msg *m = dia_msg_new(1, 0, 0, 0, 0);
    dia_add_i32(m->avps, 5000, 0, -2);
    dia_add_u64(m->avps, DIA_AVP_FRAMED_INTERFACE_ID, 0, 0x0102030405060708ull);
    CHECK(dia_add_addr(m->avps, DIA_AVP_HOST_IP_ADDRESS, 0, AF_UNIX, "x") == NULL);
    dia_add_str(m->avps, DIA_AVP_ROUTE_RECORD, 0, "a");
    dia_add_str(m->avps, DIA_AVP_ROUTE_RECORD, 0, "b");
    dia_add_str(m->avps, DIA_AVP_ROUTE_RECORD, 0, "c");
    int32_t i;
    uint64_t u64;
    uint32_t u32;
    CHECK(dia_avp_get_i32(dia_msg_find(m, 5000, 0), &i) && i == -2);
    CHECK(dia_avp_get_u64(dia_msg_find(m, DIA_AVP_FRAMED_INTERFACE_ID, 0), &u64) &&
          u64 == 0x0102030405060708ull);
    CHECK(!dia_avp_get_u32(dia_msg_find(m, DIA_AVP_FRAMED_INTERFACE_ID, 0), &u32));
    CHECK(!dia_msg_get_u32(m, 4242, 0, &u32));
    CHECK(dia_msg_get_str(m, 4242, 0) == NULL);
    /* Iterate over repeated AVPs with a cursor. */
    GString *seen = g_string_new(NULL);
    guint c = 0;
    dia_avp *a;
    while ((a = dia_find(m->avps, DIA_AVP_ROUTE_RECORD, 0, &c))) {
        char *s = dia_avp_get_str(a);
        g_string_append(seen, s);
        g_free(s);
    }
    CHECK_STR(seen->str, "abc");
    g_string_free(seen, TRUE);
    CHECK_INT(dia_remove(m->avps, DIA_AVP_ROUTE_RECORD, 0), 3);
    CHECK_INT(m->avps->len, 2);
    /* Empty string and grouped AVPs as strings. */
    dia_avp *e = dia_add_str(m->avps, DIA_AVP_ERROR_MESSAGE, 0, "");
    char *s = dia_avp_get_str(e);
    CHECK_STR(s, "");
    g_free(s);
    dia_avp *g = dia_add_grouped(m->avps, DIA_AVP_PROXY_INFO, 0);
    CHECK(dia_avp_get_str(g) == NULL);
    CHECK(!dia_avp_get_u32(g, &u32));
    /* Copies are deep and equal; a change makes them differ. */
    dia_msg *cp = dia_msg_copy(m);
    CHECK(dia_msg_equal(cp, m));
    dia_add_str(dia_msg_find(cp, DIA_AVP_PROXY_INFO, 0)->children, DIA_AVP_PROXY_HOST, 0, "x");
    CHECK(!dia_msg_equal(cp, m));
    CHECK(dia_msg_find(m, DIA_AVP_PROXY_INFO, 0)->children->len == 0);
    dia_msg_free(cp);
    dia_msg_free(m);
}

TEST(encoder_limits)
{
    dia_msg *m = dia_msg_new(0x1000000u, 0, 0, 0, 0); /* command code over 24 bits */
    CHECK(dia_msg_encode(m) == NULL);
    m->cmd = 1;
    dia_avp *a = dia_add_str(m->avps, 1, 0, "x");
    a->vendor = 10415; /* vendor without the V flag */
    CHECK(dia_msg_encode(m) == NULL);
    a->vendor = 0;
    GByteArray *enc = dia_msg_encode(m);
    CHECK(enc && enc->len == 32);
    g_byte_array_unref(enc);
    /* V set with vendor 0 is representable and round-trips. */
    a->flags |= DIA_AVP_FLAG_V;
    enc = dia_msg_encode(m);
    CHECK(enc && enc->len == 36);
    dia_msg *back = dia_msg_decode(enc->data, enc->len, NULL, NULL);
    CHECK(dia_msg_equal(back, m));
    dia_msg_free(back);
    g_byte_array_unref(enc);
    /* An AVP over the 24-bit length. */
    GByteArray *big = g_byte_array_sized_new(DIA_MAX_LEN);
    g_byte_array_set_size(big, DIA_MAX_LEN);
    dia_add(m->avps, dia_avp_new_raw(DIA_AVP_USER_DATA, DIA_VENDOR_3GPP, 0, big->data, big->len));
    CHECK(dia_msg_encode(m) == NULL);
    g_byte_array_unref(big);
    dia_msg_free(m);
}

TEST(dump_unknown_and_binary)
{
    dia_msg *m = dia_msg_new(999, 77, DIA_FLAG_R, 1, 2);
    dia_add(m->avps, dia_avp_new_raw(7777, 99, DIA_AVP_FLAG_M, "\x01\x02", 2));
    uint8_t lo[4] = {127, 0, 0, 1};
    dia_add_addr(m->avps, DIA_AVP_HOST_IP_ADDRESS, 0, AF_INET, lo);
    char *t = dia_msg_to_string(m);
    CHECK(strstr(t, "CMD(999) R--- app 77") != NULL);
    CHECK(strstr(t, "AVP(7777,99) VM- 0x0102") != NULL);
    CHECK(strstr(t, "Host-IP-Address(257) -M- 127.0.0.1") != NULL);
    g_free(t);
    dia_msg_free(m);
}

int main(void)
{
    RUN(session_id_and_e2e);
    RUN(cx_request_layout);
    RUN(answer_copies_ids_and_session);
    RUN(results_and_error_bit);
    RUN(failed_avp_for_missing_avp);
    RUN(auth_item_round_trip);
    RUN(cer_advertises_cx);
    RUN(values_and_lookup);
    RUN(encoder_limits);
    RUN(dump_unknown_and_binary);
    UNIT_END("diameter/cx");
}
