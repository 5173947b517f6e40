/* Prints the Diameter messages the suite exchanges, built with common/diameter, one per line:
 * "<label> <c2s|s2c> <hex>" (c2s = pcscf -> hss). Used by tests/component/test_diameter_tshark.py
 * to check our encoding against Wireshark's dissector. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "diameter/codec.h"
#include "diameter/cx.h"

#define E2E0 0x5a000000u
static const dia_node PCSCF = {"pcscf.ims.example.net", "ims.example.net"};
static const dia_node HSS = {"hss.ims.example.net", "ims.example.net"};
#define REALM "ims.example.net"
#define IMPI "wtpf1@ims.example.net"
#define IMPU "sip:+4930123450@ims.example.net"
#define SERVER "sip:pcscf.ims.example.net"

static void emit(const char *label, gboolean c2s, const dia_msg *m)
{
    GByteArray *b = dia_msg_encode(m);
    if (!b) {
        fprintf(stderr, "%s: cannot encode\n", label);
        return;
    }
    printf("%s %s ", label, c2s ? "c2s" : "s2c");
    for (guint i = 0; i < b->len; i++)
        printf("%02x", b->data[i]);
    printf("\n");
    g_byte_array_unref(b);
}

static dia_msg *cx_request(uint32_t cmd, uint32_t n, const dia_node *from, const char *dest_host)
{
    char *sid = dia_session_id_new(from->host, 1700000000u, n, NULL);
    dia_msg *m = dia_cx_request_new(cmd, sid, from, REALM, dest_host, 100 + n, E2E0 + 100 + n);
    g_free(sid);
    return m;
}

static void base_messages(void)
{
    const uint8_t pcscf_ip[4] = {192, 0, 2, 10}, hss_ip[4] = {192, 0, 2, 20};
    dia_cer_info ci = {AF_INET, pcscf_ip, 0, "wtpf-suite", 1700000000u, 100};
    dia_cer_info si = {AF_INET, hss_ip, 0, "hss-stub", 1700000000u, 100};
    dia_msg *cer = dia_cer_new(&PCSCF, &ci, 1, E2E0 + 1);
    dia_msg *cea = dia_cea_new(cer, &HSS, &si, DIA_RC_SUCCESS);
    emit("CER", TRUE, cer);
    emit("CEA", FALSE, cea);
    dia_msg *dwr = dia_dwr_new(&PCSCF, 1700000000u, 2, E2E0 + 2);
    dia_msg *dwa = dia_dwa_new(dwr, &HSS, 1700000000u);
    emit("DWR", TRUE, dwr);
    emit("DWA", FALSE, dwa);
    dia_msg_free(cer);
    dia_msg_free(cea);
    dia_msg_free(dwr);
    dia_msg_free(dwa);
}

static void registration(void)
{
    dia_msg *uar = cx_request(DIA_CMD_UA, 1, &PCSCF, NULL);
    dia_add_str(uar->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(uar->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_str(uar->avps, DIA_AVP_VISITED_NETWORK_IDENTIFIER, DIA_VENDOR_3GPP, REALM);
    dia_add_u32(uar->avps, DIA_AVP_USER_AUTHORIZATION_TYPE, DIA_VENDOR_3GPP, DIA_UAT_REGISTRATION);
    dia_msg *uaa = dia_cx_answer_new(uar, &HSS);
    dia_set_experimental_result(uaa, DIA_VENDOR_3GPP, DIA_EXP_FIRST_REGISTRATION);
    dia_add_str(uaa->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    emit("UAR", TRUE, uar);
    emit("UAA", FALSE, uaa);

    dia_msg *mar = cx_request(DIA_CMD_MA, 2, &PCSCF, HSS.host);
    dia_add_str(mar->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(mar->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_cx_auth_item ask = {.scheme = "SIP Digest"};
    dia_cx_add_auth_item(mar->avps, &ask);
    dia_add_u32(mar->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_add_str(mar->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_msg *maa = dia_cx_answer_new(mar, &HSS);
    dia_set_result_code(maa, DIA_RC_SUCCESS);
    dia_add_str(maa->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(maa->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_u32(maa->avps, DIA_AVP_SIP_NUMBER_AUTH_ITEMS, DIA_VENDOR_3GPP, 1);
    dia_cx_auth_item got = {.item_number = 1,
                            .scheme = "SIP Digest",
                            .realm = REALM,
                            .algorithm = "MD5",
                            .qop = "auth",
                            .ha1 = "9afdf161e871f5c93980489074fc30f9"};
    dia_cx_add_auth_item(maa->avps, &got);
    emit("MAR", TRUE, mar);
    emit("MAA", FALSE, maa);

    dia_msg *sar = cx_request(DIA_CMD_SA, 3, &PCSCF, HSS.host);
    dia_add_str(sar->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(sar->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_str(sar->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_add_u32(sar->avps, DIA_AVP_SERVER_ASSIGNMENT_TYPE, DIA_VENDOR_3GPP, DIA_SAT_REGISTRATION);
    dia_add_u32(sar->avps, DIA_AVP_USER_DATA_ALREADY_AVAILABLE, DIA_VENDOR_3GPP,
                DIA_UDAA_NOT_AVAILABLE);
    dia_msg *saa = dia_cx_answer_new(sar, &HSS);
    dia_set_result_code(saa, DIA_RC_SUCCESS);
    dia_add_str(saa->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(saa->avps, DIA_AVP_USER_DATA, DIA_VENDOR_3GPP,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><IMSSubscription><PrivateID>" IMPI
                "</PrivateID><ServiceProfile><PublicIdentity><Identity>" IMPU
                "</Identity></PublicIdentity></ServiceProfile></IMSSubscription>");
    dia_avp *ci = dia_add_grouped(saa->avps, DIA_AVP_CHARGING_INFORMATION, DIA_VENDOR_3GPP);
    dia_add_str(ci->children, 621, DIA_VENDOR_3GPP, "aaa://ccf.ims.example.net");
    emit("SAR", TRUE, sar);
    emit("SAA", FALSE, saa);

    dia_msg *msgs[] = {uar, uaa, mar, maa, sar, saa};
    for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++)
        dia_msg_free(msgs[i]);
}

static void routing_and_errors(void)
{
    dia_msg *lir = cx_request(DIA_CMD_LI, 4, &PCSCF, NULL);
    dia_add_str(lir->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+49301234517");
    dia_msg *lia = dia_cx_answer_new(lir, &HSS);
    dia_set_result_code(lia, DIA_RC_SUCCESS);
    dia_add_str(lia->avps, DIA_AVP_SERVER_NAME, DIA_VENDOR_3GPP, SERVER);
    dia_add_str(lia->avps, DIA_AVP_WILDCARDED_PUBLIC_IDENTITY, DIA_VENDOR_3GPP,
                "tel:+4930123!45[0-9]{2}!");
    emit("LIR", TRUE, lir);
    emit("LIA", FALSE, lia);

    /* Unknown user: Experimental-Result 5001 (not Result-Code 5001). */
    dia_msg *lir2 = cx_request(DIA_CMD_LI, 5, &PCSCF, NULL);
    dia_add_str(lir2->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+49309999");
    dia_msg *lia2 = dia_cx_answer_new(lir2, &HSS);
    dia_set_experimental_result(lia2, DIA_VENDOR_3GPP, DIA_EXP_ERROR_USER_UNKNOWN);
    emit("LIR", TRUE, lir2);
    emit("LIA", FALSE, lia2);

    /* A protocol error (E bit, RFC 6733 §7.2 answer grammar). */
    dia_msg *lir3 = cx_request(DIA_CMD_LI, 6, &PCSCF, NULL);
    dia_add_str(lir3->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+49301234517");
    dia_msg *lia3 = dia_answer_new(lir3, &HSS);
    dia_set_result_code(lia3, DIA_RC_UNABLE_TO_DELIVER);
    dia_add_str(lia3->avps, DIA_AVP_ERROR_MESSAGE, 0, "no route");
    emit("LIR", TRUE, lir3);
    emit("LIA-E", FALSE, lia3);

    /* A request with an AVP we do not support but marked M (NAS-Port): the decoder's answer is
     * 5001 DIAMETER_AVP_UNSUPPORTED with Failed-AVP. */
    dia_msg *uar = cx_request(DIA_CMD_UA, 7, &PCSCF, NULL);
    dia_add_str(uar->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_add_str(uar->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, IMPU);
    dia_add_str(uar->avps, DIA_AVP_VISITED_NETWORK_IDENTIFIER, DIA_VENDOR_3GPP, REALM);
    const uint8_t port[4] = {0, 0, 0, 7};
    dia_add(uar->avps, dia_avp_new_raw(5, 0, DIA_AVP_FLAG_M, port, 4));
    emit("UAR", TRUE, uar);
    GByteArray *b = dia_msg_encode(uar);
    dia_error err = DIA_ERROR_INIT;
    if (!dia_msg_decode(b->data, b->len, NULL, &err)) {
        dia_msg *ans = dia_error_answer_new(&err, &HSS);
        if (ans) emit("UAA-5001", FALSE, ans);
        dia_msg_free(ans);
    }
    dia_error_clear(&err);
    g_byte_array_unref(b);

    /* A DWR whose Origin-State-Id claims 4 bytes: 5014 with the header copy, zero-filled. */
    // clang-format off
    static const uint8_t bad_dwr[] = {
        0x01, 0x00, 0x00, 0x2c, 0x80, 0x00, 0x01, 0x18,     /* v1, len 44, R, DWR */
        0, 0, 0, 0, 0, 0, 0, 8, 0x5a, 0, 0, 8,              /* app 0, hbh, e2e */
        0x00, 0x00, 0x01, 0x08, 0x40, 0x00, 0x00, 0x0b, 'a', '.', 'b', 0, /* Origin-Host */
        0x00, 0x00, 0x01, 0x16, 0x40, 0x00, 0x00, 0x04, 0, 0, 0, 7};     /* length 4 < 8 */
    // clang-format on
    if (!dia_msg_decode(bad_dwr, sizeof bad_dwr, NULL, &err)) {
        dia_msg *ans = dia_error_answer_new(&err, &HSS);
        if (ans) emit("DWA-5014", FALSE, ans);
        dia_msg_free(ans);
    }
    dia_error_clear(&err);

    dia_msg *msgs[] = {lir, lia, lir2, lia2, lir3, lia3, uar};
    for (size_t i = 0; i < G_N_ELEMENTS(msgs); i++)
        dia_msg_free(msgs[i]);
}

static void teardown(void)
{
    /* Network-initiated deregistration (HSS -> S-CSCF role). */
    char *sid = dia_session_id_new(HSS.host, 1700000000u, 1, NULL);
    dia_msg *rtr = dia_cx_request_new(DIA_CMD_RT, sid, &HSS, REALM, PCSCF.host, 9, E2E0 + 9);
    g_free(sid);
    dia_add_str(rtr->avps, DIA_AVP_USER_NAME, 0, IMPI);
    dia_avp *dr = dia_add_grouped(rtr->avps, DIA_AVP_DEREGISTRATION_REASON, DIA_VENDOR_3GPP);
    dia_add_u32(dr->children, DIA_AVP_REASON_CODE, DIA_VENDOR_3GPP, 0);
    dia_add_str(dr->children, DIA_AVP_REASON_INFO, DIA_VENDOR_3GPP, "subscription removed");
    dia_msg *rta = dia_cx_answer_new(rtr, &PCSCF);
    dia_set_result_code(rta, DIA_RC_SUCCESS);
    emit("RTR", FALSE, rtr);
    emit("RTA", TRUE, rta);

    dia_msg *dpr = dia_dpr_new(&PCSCF, DIA_DISCONNECT_REBOOTING, 10, E2E0 + 10);
    dia_msg *dpa = dia_dpa_new(dpr, &HSS);
    emit("DPR", TRUE, dpr);
    emit("DPA", FALSE, dpa);
    dia_msg_free(rtr);
    dia_msg_free(rta);
    dia_msg_free(dpr);
    dia_msg_free(dpa);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: %s\nprints '<label> <c2s|s2c> <hex>' lines of encoded Diameter messages\n",
               argv[0]);
        return 0;
    }
    base_messages();
    registration();
    routing_and_errors();
    teardown();
    return 0;
}
