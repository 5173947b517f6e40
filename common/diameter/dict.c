/* Diameter dictionary tables: base (RFC 6733 §4.5), Digest (RFC 5090), NASREQ framing AVPs used in
 * SIP-Auth-Data-Item (RFC 7155), DOIC/Load/DRMP (RFC 7683, 8583, 7944) and Cx (TS 29.229 §6.3).
 * The AVP table is sorted by (vendor, code) for binary search; a unit test keeps it sorted. */
#include "diameter/dict.h"

#include <stdlib.h>
#include <string.h>

#define M DIA_AVP_FLAG_M
#define V DIA_AVP_FLAG_V
#define MV (DIA_AVP_FLAG_M | DIA_AVP_FLAG_V)

/* Vendor 0: "M" must, "V" must not, unless stated otherwise. */
// clang-format off
#define IETF(code, name, type) {code, 0, name, DIA_TYPE_##type, M, V}
/* RFC 6733 §4.5: these four must not carry M. */
#define IETF_NOM(code, name, type) {code, 0, name, DIA_TYPE_##type, 0, MV}
/* TS 29.229 §6.3 table: Rel-5 AVPs are M,V; later ones V only (M must not, §7.1.1). */
#define TGPP_MV(code, name, type) {code, DIA_VENDOR_3GPP, name, DIA_TYPE_##type, MV, 0}
#define TGPP_V(code, name, type) {code, DIA_VENDOR_3GPP, name, DIA_TYPE_##type, V, M}
// clang-format on

static const dia_avp_def avp_table[] = {
    IETF(1, "User-Name", UTF8),
    IETF(8, "Framed-IP-Address", OCTETS),
    IETF(25, "Class", OCTETS),
    IETF(27, "Session-Timeout", U32),
    IETF(33, "Proxy-State", OCTETS),
    IETF(44, "Acct-Session-Id", OCTETS),
    IETF(50, "Acct-Multi-Session-Id", UTF8),
    IETF(55, "Event-Timestamp", TIME),
    IETF(85, "Acct-Interim-Interval", U32),
    IETF(96, "Framed-Interface-Id", U64),
    IETF(97, "Framed-IPv6-Prefix", OCTETS),
    IETF(104, "Digest-Realm", UTF8),
    IETF(110, "Digest-QoP", UTF8),
    IETF(111, "Digest-Algorithm", UTF8),
    IETF(121, "Digest-HA1", UTF8),
    IETF(257, "Host-IP-Address", ADDRESS),
    IETF(258, "Auth-Application-Id", U32),
    IETF(259, "Acct-Application-Id", U32),
    IETF(260, "Vendor-Specific-Application-Id", GROUPED),
    IETF(261, "Redirect-Host-Usage", ENUM),
    IETF(262, "Redirect-Max-Cache-Time", U32),
    IETF(263, "Session-Id", UTF8),
    IETF(264, "Origin-Host", IDENTITY),
    IETF(265, "Supported-Vendor-Id", U32),
    IETF(266, "Vendor-Id", U32),
    IETF_NOM(267, "Firmware-Revision", U32),
    IETF(268, "Result-Code", U32),
    IETF_NOM(269, "Product-Name", UTF8),
    IETF(270, "Session-Binding", U32),
    IETF(271, "Session-Server-Failover", ENUM),
    IETF(272, "Multi-Round-Time-Out", U32),
    IETF(273, "Disconnect-Cause", ENUM),
    IETF(274, "Auth-Request-Type", ENUM),
    IETF(276, "Auth-Grace-Period", U32),
    IETF(277, "Auth-Session-State", ENUM),
    IETF(278, "Origin-State-Id", U32),
    IETF(279, "Failed-AVP", GROUPED),
    IETF(280, "Proxy-Host", IDENTITY),
    IETF_NOM(281, "Error-Message", UTF8),
    IETF(282, "Route-Record", IDENTITY),
    IETF(283, "Destination-Realm", IDENTITY),
    IETF(284, "Proxy-Info", GROUPED),
    IETF(285, "Re-Auth-Request-Type", ENUM),
    IETF(287, "Accounting-Sub-Session-Id", U64),
    IETF(291, "Authorization-Lifetime", U32),
    IETF(292, "Redirect-Host", URI),
    IETF(293, "Destination-Host", IDENTITY),
    IETF_NOM(294, "Error-Reporting-Host", IDENTITY),
    IETF(295, "Termination-Cause", ENUM),
    IETF(296, "Origin-Realm", IDENTITY),
    IETF(297, "Experimental-Result", GROUPED),
    IETF(298, "Experimental-Result-Code", U32),
    IETF(299, "Inband-Security-Id", U32),
    IETF_NOM(301, "DRMP", ENUM), /* RFC 7944 */
    IETF(480, "Accounting-Record-Type", ENUM),
    IETF(483, "Accounting-Realtime-Required", ENUM),
    IETF(485, "Accounting-Record-Number", U32),
    IETF_NOM(621, "OC-Supported-Features", GROUPED), /* RFC 7683 §7 */
    IETF_NOM(622, "OC-Feature-Vector", U64),
    IETF_NOM(623, "OC-OLR", GROUPED),
    IETF_NOM(624, "OC-Sequence-Number", U64),
    IETF_NOM(625, "OC-Validity-Duration", U32),
    IETF_NOM(626, "OC-Report-Type", ENUM),
    IETF_NOM(627, "OC-Reduction-Percentage", U32),
    IETF_NOM(649, "SourceID", IDENTITY), /* RFC 8583 §7 */
    IETF_NOM(650, "Load", GROUPED),
    IETF_NOM(651, "Load-Type", ENUM),
    IETF_NOM(652, "Load-Value", U64),

    TGPP_MV(600, "Visited-Network-Identifier", OCTETS),
    TGPP_MV(601, "Public-Identity", UTF8),
    TGPP_MV(602, "Server-Name", UTF8),
    TGPP_MV(603, "Server-Capabilities", GROUPED),
    TGPP_MV(604, "Mandatory-Capability", U32),
    TGPP_MV(605, "Optional-Capability", U32),
    TGPP_MV(606, "User-Data", OCTETS),
    TGPP_MV(607, "SIP-Number-Auth-Items", U32),
    TGPP_MV(608, "SIP-Authentication-Scheme", UTF8),
    TGPP_MV(609, "SIP-Authenticate", OCTETS),
    TGPP_MV(610, "SIP-Authorization", OCTETS),
    TGPP_MV(611, "SIP-Authentication-Context", OCTETS),
    TGPP_MV(612, "SIP-Auth-Data-Item", GROUPED),
    TGPP_MV(613, "SIP-Item-Number", U32),
    TGPP_MV(614, "Server-Assignment-Type", ENUM),
    TGPP_MV(615, "Deregistration-Reason", GROUPED),
    TGPP_MV(616, "Reason-Code", ENUM),
    TGPP_MV(617, "Reason-Info", UTF8),
    TGPP_MV(618, "Charging-Information", GROUPED),
    TGPP_MV(619, "Primary-Event-Charging-Function-Name", URI),
    TGPP_MV(620, "Secondary-Event-Charging-Function-Name", URI),
    TGPP_MV(621, "Primary-Charging-Collection-Function-Name", URI),
    TGPP_MV(622, "Secondary-Charging-Collection-Function-Name", URI),
    TGPP_MV(623, "User-Authorization-Type", ENUM),
    TGPP_MV(624, "User-Data-Already-Available", ENUM),
    TGPP_MV(625, "Confidentiality-Key", OCTETS),
    TGPP_MV(626, "Integrity-Key", OCTETS),
    /* TS 29.229 §6.3.29: Supported-Features is V must, M may; send it without M. */
    {628, DIA_VENDOR_3GPP, "Supported-Features", DIA_TYPE_GROUPED, V, 0},
    TGPP_V(629, "Feature-List-ID", U32),
    TGPP_V(630, "Feature-List", U32),
    TGPP_V(631, "Supported-Applications", GROUPED),
    TGPP_V(632, "Associated-Identities", GROUPED),
    TGPP_MV(633, "Originating-Request", ENUM),
    TGPP_V(634, "Wildcarded-Public-Identity", UTF8),
    TGPP_V(635, "SIP-Digest-Authenticate", GROUPED),
    TGPP_V(636, "Wildcarded-IMPU", UTF8),
    TGPP_V(637, "UAR-Flags", U32),
    TGPP_V(638, "Loose-Route-Indication", ENUM),
    TGPP_V(639, "SCSCF-Restoration-Info", GROUPED),
    TGPP_V(640, "Path", OCTETS),
    TGPP_V(641, "Contact", OCTETS),
    TGPP_V(642, "Subscription-Info", GROUPED),
    TGPP_V(643, "Call-ID-SIP-Header", OCTETS),
    TGPP_V(644, "From-SIP-Header", OCTETS),
    TGPP_V(645, "To-SIP-Header", OCTETS),
    TGPP_V(646, "Record-Route", OCTETS),
    TGPP_V(647, "Associated-Registered-Identities", GROUPED),
    TGPP_V(648, "Multiple-Registration-Indication", ENUM),
    TGPP_V(649, "Restoration-Info", GROUPED),
    TGPP_V(650, "Session-Priority", ENUM),
    TGPP_V(651, "Identity-with-Emergency-Registration", GROUPED),
    TGPP_V(652, "Priviledged-Sender-Indication", ENUM),
    TGPP_V(653, "LIA-Flags", U32),
    TGPP_V(654, "Initial-CSeq-Sequence-Number", U32),
    TGPP_V(655, "SAR-Flags", U32),
    TGPP_V(656, "Allowed-WAF-WWSF-Identities", GROUPED),
    TGPP_V(657, "WebRTC-Authentication-Function-Name", UTF8),
    TGPP_V(658, "WebRTC-Web-Server-Function-Name", UTF8),
    TGPP_V(659, "RTR-Flags", U32),
    TGPP_V(660, "P-CSCF-Subscription-Info", GROUPED),
    TGPP_V(661, "Registration-Time-Out", TIME),
    TGPP_V(662, "Alternate-Digest-Algorithm", UTF8),
    TGPP_V(663, "Alternate-Digest-HA1", UTF8),
    TGPP_V(664, "Failed-PCSCF", GROUPED),
    TGPP_V(665, "PCSCF-FQDN", IDENTITY),
    TGPP_V(666, "PCSCF-IP-Address", ADDRESS),
    TGPP_V(667, "OC-Reg-Timer-Ext", U32),

    /* ETSI ES 283 035: inside SIP-Auth-Data-Item (NASS-Bundled). */
    {500, DIA_VENDOR_ETSI, "Line-Identifier", DIA_TYPE_OCTETS, V, M},
};

#define N_AVPS (sizeof avp_table / sizeof avp_table[0])

static int avp_key_cmp(const void *key, const void *elem)
{
    const dia_avp_def *k = key, *e = elem;
    if (k->vendor != e->vendor) return k->vendor < e->vendor ? -1 : 1;
    if (k->code != e->code) return k->code < e->code ? -1 : 1;
    return 0;
}

const dia_avp_def *dia_dict_avp(uint32_t code, uint32_t vendor)
{
    dia_avp_def key = {.code = code, .vendor = vendor};
    return bsearch(&key, avp_table, N_AVPS, sizeof avp_table[0], avp_key_cmp);
}

const dia_avp_def *dia_dict_avp_by_name(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < N_AVPS; i++)
        if (strcmp(avp_table[i].name, name) == 0) return &avp_table[i];
    return NULL;
}

size_t dia_dict_avp_count(void)
{
    return N_AVPS;
}

const dia_avp_def *dia_dict_avp_at(size_t i)
{
    return i < N_AVPS ? &avp_table[i] : NULL;
}

uint8_t dia_dict_send_flags(uint32_t code, uint32_t vendor)
{
    const dia_avp_def *d = dia_dict_avp(code, vendor);
    uint8_t f = vendor ? DIA_AVP_FLAG_V : 0;
    if (d && (d->must & DIA_AVP_FLAG_M)) f |= DIA_AVP_FLAG_M;
    return f;
}

const char *dia_dict_type_name(dia_type t)
{
    switch (t) {
    case DIA_TYPE_OCTETS:
        return "OctetString";
    case DIA_TYPE_UTF8:
        return "UTF8String";
    case DIA_TYPE_U32:
        return "Unsigned32";
    case DIA_TYPE_I32:
        return "Integer32";
    case DIA_TYPE_U64:
        return "Unsigned64";
    case DIA_TYPE_I64:
        return "Integer64";
    case DIA_TYPE_ENUM:
        return "Enumerated";
    case DIA_TYPE_GROUPED:
        return "Grouped";
    case DIA_TYPE_ADDRESS:
        return "Address";
    case DIA_TYPE_IDENTITY:
        return "DiameterIdentity";
    case DIA_TYPE_URI:
        return "DiameterURI";
    case DIA_TYPE_TIME:
        return "Time";
    }
    return "?";
}

int dia_dict_type_fixed_len(dia_type t)
{
    switch (t) {
    case DIA_TYPE_U32:
    case DIA_TYPE_I32:
    case DIA_TYPE_ENUM:
    case DIA_TYPE_TIME:
        return 4; /* RFC 6733 §4.2, §4.3.1 Time */
    case DIA_TYPE_U64:
    case DIA_TYPE_I64:
        return 8;
    default:
        return -1;
    }
}

size_t dia_dict_type_min_len(dia_type t)
{
    int f = dia_dict_type_fixed_len(t);
    if (f > 0) return (size_t)f;
    if (t == DIA_TYPE_ADDRESS) return 6; /* family + IPv4 */
    return 0;
}

static const dia_cmd_def cmd_table[] = {
    {257, DIA_APP_COMMON, FALSE, "CER", "CEA", "Capabilities-Exchange-Request",
     "Capabilities-Exchange-Answer"},
    {280, DIA_APP_COMMON, FALSE, "DWR", "DWA", "Device-Watchdog-Request", "Device-Watchdog-Answer"},
    {282, DIA_APP_COMMON, FALSE, "DPR", "DPA", "Disconnect-Peer-Request", "Disconnect-Peer-Answer"},
    {300, DIA_APP_CX, TRUE, "UAR", "UAA", "User-Authorization-Request",
     "User-Authorization-Answer"},
    {301, DIA_APP_CX, TRUE, "SAR", "SAA", "Server-Assignment-Request", "Server-Assignment-Answer"},
    {302, DIA_APP_CX, TRUE, "LIR", "LIA", "Location-Info-Request", "Location-Info-Answer"},
    {303, DIA_APP_CX, TRUE, "MAR", "MAA", "Multimedia-Auth-Request", "Multimedia-Auth-Answer"},
    {304, DIA_APP_CX, TRUE, "RTR", "RTA", "Registration-Termination-Request",
     "Registration-Termination-Answer"},
    {305, DIA_APP_CX, TRUE, "PPR", "PPA", "Push-Profile-Request", "Push-Profile-Answer"},
};

const dia_cmd_def *dia_dict_cmd(uint32_t code)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cmd_table); i++)
        if (cmd_table[i].code == code) return &cmd_table[i];
    return NULL;
}

const char *dia_dict_cmd_abbr(uint32_t code, gboolean request)
{
    const dia_cmd_def *c = dia_dict_cmd(code);
    if (!c) return NULL;
    return request ? c->req_abbr : c->ans_abbr;
}

const char *dia_dict_app_name(uint32_t app)
{
    switch (app) {
    case DIA_APP_COMMON:
        return "Diameter Common Messages";
    case DIA_APP_CX:
        return "3GPP Cx";
    case DIA_APP_RELAY:
        return "Relay";
    default:
        return NULL;
    }
}

typedef struct code_name {
    uint32_t code;
    const char *name;
} code_name;

static const code_name result_table[] = {
    {1001, "DIAMETER_MULTI_ROUND_AUTH"},
    {2001, "DIAMETER_SUCCESS"},
    {2002, "DIAMETER_LIMITED_SUCCESS"},
    {3001, "DIAMETER_COMMAND_UNSUPPORTED"},
    {3002, "DIAMETER_UNABLE_TO_DELIVER"},
    {3003, "DIAMETER_REALM_NOT_SERVED"},
    {3004, "DIAMETER_TOO_BUSY"},
    {3005, "DIAMETER_LOOP_DETECTED"},
    {3006, "DIAMETER_REDIRECT_INDICATION"},
    {3007, "DIAMETER_APPLICATION_UNSUPPORTED"},
    {3008, "DIAMETER_INVALID_HDR_BITS"},
    {3009, "DIAMETER_INVALID_AVP_BITS"},
    {3010, "DIAMETER_UNKNOWN_PEER"},
    {4001, "DIAMETER_AUTHENTICATION_REJECTED"},
    {4002, "DIAMETER_OUT_OF_SPACE"},
    {4003, "ELECTION_LOST"},
    {5001, "DIAMETER_AVP_UNSUPPORTED"},
    {5002, "DIAMETER_UNKNOWN_SESSION_ID"},
    {5003, "DIAMETER_AUTHORIZATION_REJECTED"},
    {5004, "DIAMETER_INVALID_AVP_VALUE"},
    {5005, "DIAMETER_MISSING_AVP"},
    {5006, "DIAMETER_RESOURCES_EXCEEDED"},
    {5007, "DIAMETER_CONTRADICTING_AVPS"},
    {5008, "DIAMETER_AVP_NOT_ALLOWED"},
    {5009, "DIAMETER_AVP_OCCURS_TOO_MANY_TIMES"},
    {5010, "DIAMETER_NO_COMMON_APPLICATION"},
    {5011, "DIAMETER_UNSUPPORTED_VERSION"},
    {5012, "DIAMETER_UNABLE_TO_COMPLY"},
    {5013, "DIAMETER_INVALID_BIT_IN_HEADER"},
    {5014, "DIAMETER_INVALID_AVP_LENGTH"},
    {5015, "DIAMETER_INVALID_MESSAGE_LENGTH"},
    {5016, "DIAMETER_INVALID_AVP_BIT_COMBO"},
    {5017, "DIAMETER_NO_COMMON_SECURITY"},
};

/* TS 29.229 §6.2.1-6.2.2 (and TS 29.272 for 4181). */
static const code_name exp_3gpp_table[] = {
    {2001, "DIAMETER_FIRST_REGISTRATION"},
    {2002, "DIAMETER_SUBSEQUENT_REGISTRATION"},
    {2003, "DIAMETER_UNREGISTERED_SERVICE"},
    {2004, "DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED"},
    {4100, "DIAMETER_USER_DATA_NOT_AVAILABLE"},
    {4101, "DIAMETER_PRIOR_UPDATE_IN_PROGRESS"},
    {4181, "DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE"},
    {5001, "DIAMETER_ERROR_USER_UNKNOWN"},
    {5002, "DIAMETER_ERROR_IDENTITIES_DONT_MATCH"},
    {5003, "DIAMETER_ERROR_IDENTITY_NOT_REGISTERED"},
    {5004, "DIAMETER_ERROR_ROAMING_NOT_ALLOWED"},
    {5005, "DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED"},
    {5006, "DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED"},
    {5007, "DIAMETER_ERROR_IN_ASSIGNMENT_TYPE"},
    {5008, "DIAMETER_ERROR_TOO_MUCH_DATA"},
    {5009, "DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA"},
    {5011, "DIAMETER_ERROR_FEATURE_UNSUPPORTED"},
    {5012, "DIAMETER_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED"},
};

static const char *lookup_name(const code_name *t, size_t n, uint32_t code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code) return t[i].name;
    return NULL;
}

const char *dia_dict_result_name(uint32_t code)
{
    return lookup_name(result_table, G_N_ELEMENTS(result_table), code);
}

const char *dia_dict_exp_result_name(uint32_t vendor, uint32_t code)
{
    if (vendor == DIA_VENDOR_3GPP)
        return lookup_name(exp_3gpp_table, G_N_ELEMENTS(exp_3gpp_table), code);
    /* RFC 6733 §7.7: vendor 0 Experimental-Result-Code values are base Result-Codes. */
    if (vendor == 0) return dia_dict_result_name(code);
    return NULL;
}

typedef struct enum_def {
    uint32_t code, vendor;
    int32_t value;
    const char *name;
} enum_def;

static const enum_def enum_table[] = {
    {273, 0, 0, "REBOOTING"},
    {273, 0, 1, "BUSY"},
    {273, 0, 2, "DO_NOT_WANT_TO_TALK_TO_YOU"},
    {274, 0, 1, "AUTHENTICATE_ONLY"},
    {274, 0, 2, "AUTHORIZE_ONLY"},
    {274, 0, 3, "AUTHORIZE_AUTHENTICATE"},
    {277, 0, 0, "STATE_MAINTAINED"},
    {277, 0, 1, "NO_STATE_MAINTAINED"},
    {614, DIA_VENDOR_3GPP, 0, "NO_ASSIGNMENT"},
    {614, DIA_VENDOR_3GPP, 1, "REGISTRATION"},
    {614, DIA_VENDOR_3GPP, 2, "RE_REGISTRATION"},
    {614, DIA_VENDOR_3GPP, 3, "UNREGISTERED_USER"},
    {614, DIA_VENDOR_3GPP, 4, "TIMEOUT_DEREGISTRATION"},
    {614, DIA_VENDOR_3GPP, 5, "USER_DEREGISTRATION"},
    {614, DIA_VENDOR_3GPP, 6, "TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME"},
    {614, DIA_VENDOR_3GPP, 7, "USER_DEREGISTRATION_STORE_SERVER_NAME"},
    {614, DIA_VENDOR_3GPP, 8, "ADMINISTRATIVE_DEREGISTRATION"},
    {614, DIA_VENDOR_3GPP, 9, "AUTHENTICATION_FAILURE"},
    {614, DIA_VENDOR_3GPP, 10, "AUTHENTICATION_TIMEOUT"},
    {614, DIA_VENDOR_3GPP, 11, "DEREGISTRATION_TOO_MUCH_DATA"},
    {614, DIA_VENDOR_3GPP, 12, "AAA_USER_DATA_REQUEST"},
    {614, DIA_VENDOR_3GPP, 13, "PGW_UPDATE"},
    {614, DIA_VENDOR_3GPP, 14, "RESTORATION"},
    {616, DIA_VENDOR_3GPP, 0, "PERMANENT_TERMINATION"},
    {616, DIA_VENDOR_3GPP, 1, "NEW_SERVER_ASSIGNED"},
    {616, DIA_VENDOR_3GPP, 2, "SERVER_CHANGE"},
    {616, DIA_VENDOR_3GPP, 3, "REMOVE_S-CSCF"},
    {623, DIA_VENDOR_3GPP, 0, "REGISTRATION"},
    {623, DIA_VENDOR_3GPP, 1, "DE_REGISTRATION"},
    {623, DIA_VENDOR_3GPP, 2, "REGISTRATION_AND_CAPABILITIES"},
    {624, DIA_VENDOR_3GPP, 0, "USER_DATA_NOT_AVAILABLE"},
    {624, DIA_VENDOR_3GPP, 1, "USER_DATA_ALREADY_AVAILABLE"},
    {633, DIA_VENDOR_3GPP, 0, "ORIGINATING"},
    {638, DIA_VENDOR_3GPP, 0, "LOOSE_ROUTE_NOT_REQUIRED"},
    {638, DIA_VENDOR_3GPP, 1, "LOOSE_ROUTE_REQUIRED"},
    {648, DIA_VENDOR_3GPP, 0, "NOT_MULTIPLE_REGISTRATION"},
    {648, DIA_VENDOR_3GPP, 1, "MULTIPLE_REGISTRATION"},
};

const char *dia_dict_enum_name(uint32_t code, uint32_t vendor, int32_t value)
{
    for (size_t i = 0; i < G_N_ELEMENTS(enum_table); i++) {
        const enum_def *e = &enum_table[i];
        if (e->code == code && e->vendor == vendor && e->value == value) return e->name;
    }
    return NULL;
}
