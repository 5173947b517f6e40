/* Dictionary tests: the tables match RFC 6733 / RFC 5090 / TS 29.229 as summarised in SPECS.md §5,
 * lookups work, the flag rules a sender applies, and the Result-Code vs Experimental-Result 5001
 * collision resolves by the carrying AVP. */
#include "unit.h"

#include "diameter/dict.h"

TEST(table_sorted_and_findable)
{
    size_t n = dia_dict_avp_count();
    CHECK(n > 100);
    for (size_t i = 0; i < n; i++) {
        const dia_avp_def *d = dia_dict_avp_at(i);
        CHECK(dia_dict_avp(d->code, d->vendor) == d);
        CHECK(dia_dict_avp_by_name(d->name) == d); /* names are unique */
        if (i > 0) {
            const dia_avp_def *p = dia_dict_avp_at(i - 1);
            CHECK(p->vendor < d->vendor || (p->vendor == d->vendor && p->code < d->code));
        }
        /* A vendor AVP must carry V, a vendor-0 one must not. */
        CHECK(d->vendor ? (d->must & DIA_AVP_FLAG_V) : (d->must_not & DIA_AVP_FLAG_V));
        CHECK((d->must & d->must_not) == 0);
    }
    CHECK(dia_dict_avp_at(n) == NULL);
    CHECK(dia_dict_avp(601, 0) == NULL);
    CHECK(dia_dict_avp(9999, DIA_VENDOR_3GPP) == NULL);
    CHECK(dia_dict_avp_by_name("No-Such-AVP") == NULL);
}

static void expect(uint32_t code, uint32_t vendor, const char *name, dia_type type, uint8_t flags)
{
    const dia_avp_def *d = dia_dict_avp(code, vendor);
    CHECK(d != NULL);
    if (!d) {
        fprintf(stderr, "  missing %s (%u, %u)\n", name, code, vendor);
        return;
    }
    CHECK_STR(d->name, name);
    CHECK_INT(d->type, type);
    CHECK_INT(dia_dict_send_flags(code, vendor), flags);
}

#define MV (DIA_AVP_FLAG_M | DIA_AVP_FLAG_V)
#define M DIA_AVP_FLAG_M
#define V DIA_AVP_FLAG_V

TEST(base_avps)
{
    /* SPECS.md §5.1 / RFC 6733 §4.5 */
    expect(1, 0, "User-Name", DIA_TYPE_UTF8, M);
    expect(257, 0, "Host-IP-Address", DIA_TYPE_ADDRESS, M);
    expect(258, 0, "Auth-Application-Id", DIA_TYPE_U32, M);
    expect(259, 0, "Acct-Application-Id", DIA_TYPE_U32, M);
    expect(260, 0, "Vendor-Specific-Application-Id", DIA_TYPE_GROUPED, M);
    expect(263, 0, "Session-Id", DIA_TYPE_UTF8, M);
    expect(264, 0, "Origin-Host", DIA_TYPE_IDENTITY, M);
    expect(265, 0, "Supported-Vendor-Id", DIA_TYPE_U32, M);
    expect(266, 0, "Vendor-Id", DIA_TYPE_U32, M);
    expect(267, 0, "Firmware-Revision", DIA_TYPE_U32, 0);
    expect(268, 0, "Result-Code", DIA_TYPE_U32, M);
    expect(269, 0, "Product-Name", DIA_TYPE_UTF8, 0);
    expect(273, 0, "Disconnect-Cause", DIA_TYPE_ENUM, M);
    expect(277, 0, "Auth-Session-State", DIA_TYPE_ENUM, M);
    expect(278, 0, "Origin-State-Id", DIA_TYPE_U32, M);
    expect(279, 0, "Failed-AVP", DIA_TYPE_GROUPED, M);
    expect(281, 0, "Error-Message", DIA_TYPE_UTF8, 0);
    expect(282, 0, "Route-Record", DIA_TYPE_IDENTITY, M);
    expect(283, 0, "Destination-Realm", DIA_TYPE_IDENTITY, M);
    expect(284, 0, "Proxy-Info", DIA_TYPE_GROUPED, M);
    expect(293, 0, "Destination-Host", DIA_TYPE_IDENTITY, M);
    expect(294, 0, "Error-Reporting-Host", DIA_TYPE_IDENTITY, 0);
    expect(296, 0, "Origin-Realm", DIA_TYPE_IDENTITY, M);
    expect(297, 0, "Experimental-Result", DIA_TYPE_GROUPED, M);
    expect(298, 0, "Experimental-Result-Code", DIA_TYPE_U32, M);
    expect(55, 0, "Event-Timestamp", DIA_TYPE_TIME, M);
    expect(292, 0, "Redirect-Host", DIA_TYPE_URI, M);
    /* RFC 5090 Digest-* are vendor 0 with M (SPECS.md §5.2). */
    expect(104, 0, "Digest-Realm", DIA_TYPE_UTF8, M);
    expect(110, 0, "Digest-QoP", DIA_TYPE_UTF8, M);
    expect(111, 0, "Digest-Algorithm", DIA_TYPE_UTF8, M);
    expect(121, 0, "Digest-HA1", DIA_TYPE_UTF8, M);
    /* RFC 7155 members of SIP-Auth-Data-Item */
    expect(8, 0, "Framed-IP-Address", DIA_TYPE_OCTETS, M);
    expect(96, 0, "Framed-Interface-Id", DIA_TYPE_U64, M);
    expect(97, 0, "Framed-IPv6-Prefix", DIA_TYPE_OCTETS, M);
}

TEST(cx_avps)
{
    const uint32_t T = DIA_VENDOR_3GPP;
    /* SPECS.md §5.2 / TS 29.229 §6.3 */
    expect(600, T, "Visited-Network-Identifier", DIA_TYPE_OCTETS, MV);
    expect(601, T, "Public-Identity", DIA_TYPE_UTF8, MV);
    expect(602, T, "Server-Name", DIA_TYPE_UTF8, MV);
    expect(603, T, "Server-Capabilities", DIA_TYPE_GROUPED, MV);
    expect(604, T, "Mandatory-Capability", DIA_TYPE_U32, MV);
    expect(605, T, "Optional-Capability", DIA_TYPE_U32, MV);
    expect(606, T, "User-Data", DIA_TYPE_OCTETS, MV);
    expect(607, T, "SIP-Number-Auth-Items", DIA_TYPE_U32, MV);
    expect(608, T, "SIP-Authentication-Scheme", DIA_TYPE_UTF8, MV);
    expect(609, T, "SIP-Authenticate", DIA_TYPE_OCTETS, MV);
    expect(610, T, "SIP-Authorization", DIA_TYPE_OCTETS, MV);
    expect(611, T, "SIP-Authentication-Context", DIA_TYPE_OCTETS, MV);
    expect(612, T, "SIP-Auth-Data-Item", DIA_TYPE_GROUPED, MV);
    expect(613, T, "SIP-Item-Number", DIA_TYPE_U32, MV);
    expect(614, T, "Server-Assignment-Type", DIA_TYPE_ENUM, MV);
    expect(615, T, "Deregistration-Reason", DIA_TYPE_GROUPED, MV);
    expect(616, T, "Reason-Code", DIA_TYPE_ENUM, MV);
    expect(617, T, "Reason-Info", DIA_TYPE_UTF8, MV);
    expect(618, T, "Charging-Information", DIA_TYPE_GROUPED, MV);
    expect(619, T, "Primary-Event-Charging-Function-Name", DIA_TYPE_URI, MV);
    expect(622, T, "Secondary-Charging-Collection-Function-Name", DIA_TYPE_URI, MV);
    expect(623, T, "User-Authorization-Type", DIA_TYPE_ENUM, MV);
    expect(624, T, "User-Data-Already-Available", DIA_TYPE_ENUM, MV);
    expect(625, T, "Confidentiality-Key", DIA_TYPE_OCTETS, MV);
    expect(626, T, "Integrity-Key", DIA_TYPE_OCTETS, MV);
    expect(628, T, "Supported-Features", DIA_TYPE_GROUPED, V);
    expect(629, T, "Feature-List-ID", DIA_TYPE_U32, V);
    expect(630, T, "Feature-List", DIA_TYPE_U32, V);
    expect(632, T, "Associated-Identities", DIA_TYPE_GROUPED, V);
    expect(634, T, "Wildcarded-Public-Identity", DIA_TYPE_UTF8, V);
    expect(635, T, "SIP-Digest-Authenticate", DIA_TYPE_GROUPED, V);
    expect(636, T, "Wildcarded-IMPU", DIA_TYPE_UTF8, V);
    expect(637, T, "UAR-Flags", DIA_TYPE_U32, V);
    expect(640, T, "Path", DIA_TYPE_OCTETS, V);
    expect(641, T, "Contact", DIA_TYPE_OCTETS, V);
    expect(647, T, "Associated-Registered-Identities", DIA_TYPE_GROUPED, V);
    expect(648, T, "Multiple-Registration-Indication", DIA_TYPE_ENUM, V);
    expect(650, T, "Session-Priority", DIA_TYPE_ENUM, V);
    expect(652, T, "Priviledged-Sender-Indication", DIA_TYPE_ENUM, V);
    expect(653, T, "LIA-Flags", DIA_TYPE_U32, V);
    expect(655, T, "SAR-Flags", DIA_TYPE_U32, V);
    expect(656, T, "Allowed-WAF-WWSF-Identities", DIA_TYPE_GROUPED, V);
    expect(659, T, "RTR-Flags", DIA_TYPE_U32, V);
    expect(662, T, "Alternate-Digest-Algorithm", DIA_TYPE_UTF8, V);
    expect(663, T, "Alternate-Digest-HA1", DIA_TYPE_UTF8, V);
    /* Same code, other vendor: RFC 7683 OC-Supported-Features vs Primary-Charging-... */
    expect(621, 0, "OC-Supported-Features", DIA_TYPE_GROUPED, 0);
    expect(621, T, "Primary-Charging-Collection-Function-Name", DIA_TYPE_URI, MV);
    /* Unknown AVPs are sent without M; V follows the vendor. */
    CHECK_INT(dia_dict_send_flags(9999, 0), 0);
    CHECK_INT(dia_dict_send_flags(9999, T), V);
}

TEST(type_sizes)
{
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_U32), 4);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_I32), 4);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_ENUM), 4);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_TIME), 4);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_U64), 8);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_UTF8), -1);
    CHECK_INT(dia_dict_type_fixed_len(DIA_TYPE_GROUPED), -1);
    CHECK_INT(dia_dict_type_min_len(DIA_TYPE_ADDRESS), 6);
    CHECK_INT(dia_dict_type_min_len(DIA_TYPE_OCTETS), 0);
    CHECK_INT(dia_dict_type_min_len(DIA_TYPE_U64), 8);
    CHECK_STR(dia_dict_type_name(DIA_TYPE_IDENTITY), "DiameterIdentity");
    CHECK_STR(dia_dict_type_name(DIA_TYPE_ENUM), "Enumerated");
}

TEST(commands)
{
    static const struct {
        uint32_t code;
        const char *req, *ans, *name;
        uint32_t app;
        gboolean pxy;
    } want[] = {
        {257, "CER", "CEA", "Capabilities-Exchange-Request", 0, FALSE},
        {280, "DWR", "DWA", "Device-Watchdog-Request", 0, FALSE},
        {282, "DPR", "DPA", "Disconnect-Peer-Request", 0, FALSE},
        {300, "UAR", "UAA", "User-Authorization-Request", DIA_APP_CX, TRUE},
        {301, "SAR", "SAA", "Server-Assignment-Request", DIA_APP_CX, TRUE},
        {302, "LIR", "LIA", "Location-Info-Request", DIA_APP_CX, TRUE},
        {303, "MAR", "MAA", "Multimedia-Auth-Request", DIA_APP_CX, TRUE},
        {304, "RTR", "RTA", "Registration-Termination-Request", DIA_APP_CX, TRUE},
        {305, "PPR", "PPA", "Push-Profile-Request", DIA_APP_CX, TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const dia_cmd_def *c = dia_dict_cmd(want[i].code);
        CHECK(c != NULL);
        if (!c) continue;
        CHECK_STR(dia_dict_cmd_abbr(want[i].code, TRUE), want[i].req);
        CHECK_STR(dia_dict_cmd_abbr(want[i].code, FALSE), want[i].ans);
        CHECK_STR(c->req_name, want[i].name);
        CHECK_INT(c->app, want[i].app);
        CHECK_INT(c->proxiable, want[i].pxy);
    }
    CHECK(dia_dict_cmd(272) == NULL);
    CHECK(dia_dict_cmd_abbr(272, TRUE) == NULL);
    CHECK_STR(dia_dict_app_name(DIA_APP_CX), "3GPP Cx");
}

TEST(result_names_and_the_5001_collision)
{
    CHECK_STR(dia_dict_result_name(2001), "DIAMETER_SUCCESS");
    CHECK_STR(dia_dict_result_name(3008), "DIAMETER_INVALID_HDR_BITS");
    CHECK_STR(dia_dict_result_name(3010), "DIAMETER_UNKNOWN_PEER");
    CHECK_STR(dia_dict_result_name(4001), "DIAMETER_AUTHENTICATION_REJECTED");
    CHECK_STR(dia_dict_result_name(5001), "DIAMETER_AVP_UNSUPPORTED");
    CHECK_STR(dia_dict_result_name(5004), "DIAMETER_INVALID_AVP_VALUE");
    CHECK_STR(dia_dict_result_name(5005), "DIAMETER_MISSING_AVP");
    CHECK_STR(dia_dict_result_name(5014), "DIAMETER_INVALID_AVP_LENGTH");
    CHECK_STR(dia_dict_result_name(5015), "DIAMETER_INVALID_MESSAGE_LENGTH");
    CHECK(dia_dict_result_name(2999) == NULL);
    CHECK_STR(dia_dict_exp_result_name(DIA_VENDOR_3GPP, 5001), "DIAMETER_ERROR_USER_UNKNOWN");
    CHECK_STR(dia_dict_exp_result_name(DIA_VENDOR_3GPP, 2001), "DIAMETER_FIRST_REGISTRATION");
    CHECK_STR(dia_dict_exp_result_name(DIA_VENDOR_3GPP, 2003), "DIAMETER_UNREGISTERED_SERVICE");
    CHECK_STR(dia_dict_exp_result_name(DIA_VENDOR_3GPP, 5003),
              "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED");
    CHECK_STR(dia_dict_exp_result_name(DIA_VENDOR_3GPP, 5012),
              "DIAMETER_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED");
    /* Vendor 0 experimental codes are base codes; other vendors are unknown. */
    CHECK_STR(dia_dict_exp_result_name(0, 5001), "DIAMETER_AVP_UNSUPPORTED");
    CHECK(dia_dict_exp_result_name(12345, 5001) == NULL);
}

TEST(enum_names)
{
    CHECK_STR(dia_dict_enum_name(277, 0, 1), "NO_STATE_MAINTAINED");
    CHECK_STR(dia_dict_enum_name(273, 0, 2), "DO_NOT_WANT_TO_TALK_TO_YOU");
    CHECK_STR(dia_dict_enum_name(614, DIA_VENDOR_3GPP, 3), "UNREGISTERED_USER");
    CHECK_STR(dia_dict_enum_name(614, DIA_VENDOR_3GPP, 14), "RESTORATION");
    CHECK_STR(dia_dict_enum_name(623, DIA_VENDOR_3GPP, 2), "REGISTRATION_AND_CAPABILITIES");
    CHECK_STR(dia_dict_enum_name(616, DIA_VENDOR_3GPP, 3), "REMOVE_S-CSCF");
    CHECK(dia_dict_enum_name(614, 0, 3) == NULL);
    CHECK(dia_dict_enum_name(614, DIA_VENDOR_3GPP, 15) == NULL);
}

int main(void)
{
    RUN(table_sorted_and_findable);
    RUN(base_avps);
    RUN(cx_avps);
    RUN(type_sizes);
    RUN(commands);
    RUN(result_names_and_the_5001_collision);
    RUN(enum_names);
    UNIT_END("diameter/dict");
}
