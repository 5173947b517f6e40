/* Diameter dictionary: base protocol (RFC 6733), Cx (TS 29.229, vendor 10415) and the RFC 5090
 * Digest-* AVPs: AVP codes, data types, M/V flag rules, command codes, result code names.
 * Constant tables only; lookups are pure. */
#ifndef DIA_DICT_H
#define DIA_DICT_H

#include <stdint.h>
#include <stddef.h>
#include <glib.h>

/* Application and vendor identifiers. */
#define DIA_APP_COMMON 0u         /* RFC 6733 §2.4: Diameter common messages */
#define DIA_APP_CX 16777216u      /* TS 29.229 §6.2 */
#define DIA_APP_RELAY 0xffffffffu /* RFC 6733 §2.4 */
#define DIA_VENDOR_IETF 0u
#define DIA_VENDOR_3GPP 10415u
#define DIA_VENDOR_ETSI 13019u

/* Command codes (RFC 6733 §3.1, TS 29.229 §6.1). */
#define DIA_CMD_CE 257u /* CER/CEA */
#define DIA_CMD_DW 280u /* DWR/DWA */
#define DIA_CMD_DP 282u /* DPR/DPA */
#define DIA_CMD_UA 300u /* UAR/UAA */
#define DIA_CMD_SA 301u /* SAR/SAA */
#define DIA_CMD_LI 302u /* LIR/LIA */
#define DIA_CMD_MA 303u /* MAR/MAA */
#define DIA_CMD_RT 304u /* RTR/RTA */
#define DIA_CMD_PP 305u /* PPR/PPA */

/* Base AVP codes, vendor 0 (RFC 6733 §4.5). */
#define DIA_AVP_USER_NAME 1u
#define DIA_AVP_FRAMED_IP_ADDRESS 8u    /* RFC 7155 */
#define DIA_AVP_FRAMED_INTERFACE_ID 96u /* RFC 7155 */
#define DIA_AVP_FRAMED_IPV6_PREFIX 97u  /* RFC 7155 */
#define DIA_AVP_DIGEST_REALM 104u       /* RFC 5090 */
#define DIA_AVP_DIGEST_QOP 110u         /* RFC 5090 */
#define DIA_AVP_DIGEST_ALGORITHM 111u   /* RFC 5090 */
#define DIA_AVP_DIGEST_HA1 121u         /* RFC 5090 */
#define DIA_AVP_HOST_IP_ADDRESS 257u
#define DIA_AVP_AUTH_APPLICATION_ID 258u
#define DIA_AVP_ACCT_APPLICATION_ID 259u
#define DIA_AVP_VENDOR_SPECIFIC_APPLICATION_ID 260u
#define DIA_AVP_SESSION_ID 263u
#define DIA_AVP_ORIGIN_HOST 264u
#define DIA_AVP_SUPPORTED_VENDOR_ID 265u
#define DIA_AVP_VENDOR_ID 266u
#define DIA_AVP_FIRMWARE_REVISION 267u
#define DIA_AVP_RESULT_CODE 268u
#define DIA_AVP_PRODUCT_NAME 269u
#define DIA_AVP_DISCONNECT_CAUSE 273u
#define DIA_AVP_AUTH_SESSION_STATE 277u
#define DIA_AVP_ORIGIN_STATE_ID 278u
#define DIA_AVP_FAILED_AVP 279u
#define DIA_AVP_PROXY_HOST 280u
#define DIA_AVP_ERROR_MESSAGE 281u
#define DIA_AVP_ROUTE_RECORD 282u
#define DIA_AVP_DESTINATION_REALM 283u
#define DIA_AVP_PROXY_INFO 284u
#define DIA_AVP_DESTINATION_HOST 293u
#define DIA_AVP_ERROR_REPORTING_HOST 294u
#define DIA_AVP_ORIGIN_REALM 296u
#define DIA_AVP_EXPERIMENTAL_RESULT 297u
#define DIA_AVP_EXPERIMENTAL_RESULT_CODE 298u
#define DIA_AVP_INBAND_SECURITY_ID 299u

/* Cx AVP codes, vendor 10415 (TS 29.229 §6.3). */
#define DIA_AVP_VISITED_NETWORK_IDENTIFIER 600u
#define DIA_AVP_PUBLIC_IDENTITY 601u
#define DIA_AVP_SERVER_NAME 602u
#define DIA_AVP_SERVER_CAPABILITIES 603u
#define DIA_AVP_MANDATORY_CAPABILITY 604u
#define DIA_AVP_OPTIONAL_CAPABILITY 605u
#define DIA_AVP_USER_DATA 606u
#define DIA_AVP_SIP_NUMBER_AUTH_ITEMS 607u
#define DIA_AVP_SIP_AUTHENTICATION_SCHEME 608u
#define DIA_AVP_SIP_AUTHENTICATE 609u
#define DIA_AVP_SIP_AUTHORIZATION 610u
#define DIA_AVP_SIP_AUTHENTICATION_CONTEXT 611u
#define DIA_AVP_SIP_AUTH_DATA_ITEM 612u
#define DIA_AVP_SIP_ITEM_NUMBER 613u
#define DIA_AVP_SERVER_ASSIGNMENT_TYPE 614u
#define DIA_AVP_DEREGISTRATION_REASON 615u
#define DIA_AVP_REASON_CODE 616u
#define DIA_AVP_REASON_INFO 617u
#define DIA_AVP_CHARGING_INFORMATION 618u
#define DIA_AVP_USER_AUTHORIZATION_TYPE 623u
#define DIA_AVP_USER_DATA_ALREADY_AVAILABLE 624u
#define DIA_AVP_CONFIDENTIALITY_KEY 625u
#define DIA_AVP_INTEGRITY_KEY 626u
#define DIA_AVP_SUPPORTED_FEATURES 628u
#define DIA_AVP_FEATURE_LIST_ID 629u
#define DIA_AVP_FEATURE_LIST 630u
#define DIA_AVP_ASSOCIATED_IDENTITIES 632u
#define DIA_AVP_WILDCARDED_PUBLIC_IDENTITY 634u
#define DIA_AVP_SIP_DIGEST_AUTHENTICATE 635u
#define DIA_AVP_WILDCARDED_IMPU 636u
#define DIA_AVP_UAR_FLAGS 637u
#define DIA_AVP_LIA_FLAGS 653u
#define DIA_AVP_SAR_FLAGS 655u
#define DIA_AVP_RTR_FLAGS 659u
#define DIA_AVP_ALTERNATE_DIGEST_ALGORITHM 662u
#define DIA_AVP_ALTERNATE_DIGEST_HA1 663u

/* Enumerated values used by the suite. */
#define DIA_AUTH_SESSION_NO_STATE_MAINTAINED 1u /* RFC 6733 §8.11 */
#define DIA_DISCONNECT_REBOOTING 0u             /* RFC 6733 §5.4.3 */
#define DIA_DISCONNECT_BUSY 1u
#define DIA_DISCONNECT_DO_NOT_WANT_TO_TALK_TO_YOU 2u
#define DIA_SAT_NO_ASSIGNMENT 0u /* TS 29.229 §6.3.15 Server-Assignment-Type */
#define DIA_SAT_REGISTRATION 1u
#define DIA_SAT_RE_REGISTRATION 2u
#define DIA_SAT_UNREGISTERED_USER 3u
#define DIA_SAT_TIMEOUT_DEREGISTRATION 4u
#define DIA_SAT_USER_DEREGISTRATION 5u
#define DIA_SAT_ADMINISTRATIVE_DEREGISTRATION 8u
#define DIA_UAT_REGISTRATION 0u /* TS 29.229 §6.3.24 User-Authorization-Type */
#define DIA_UAT_DE_REGISTRATION 1u
#define DIA_UAT_REGISTRATION_AND_CAPABILITIES 2u
#define DIA_UDAA_NOT_AVAILABLE 0u /* TS 29.229 §6.3.26 User-Data-Already-Available */
#define DIA_UDAA_ALREADY_AVAILABLE 1u

/* Result-Code values (RFC 6733 §7.1). */
#define DIA_RC_SUCCESS 2001u
#define DIA_RC_COMMAND_UNSUPPORTED 3001u
#define DIA_RC_UNABLE_TO_DELIVER 3002u
#define DIA_RC_REALM_NOT_SERVED 3003u
#define DIA_RC_TOO_BUSY 3004u
#define DIA_RC_LOOP_DETECTED 3005u
#define DIA_RC_APPLICATION_UNSUPPORTED 3007u
#define DIA_RC_INVALID_HDR_BITS 3008u
#define DIA_RC_INVALID_AVP_BITS 3009u
#define DIA_RC_UNKNOWN_PEER 3010u
#define DIA_RC_AUTHENTICATION_REJECTED 4001u
#define DIA_RC_AVP_UNSUPPORTED 5001u
#define DIA_RC_INVALID_AVP_VALUE 5004u
#define DIA_RC_MISSING_AVP 5005u
#define DIA_RC_AVP_NOT_ALLOWED 5008u
#define DIA_RC_AVP_OCCURS_TOO_MANY_TIMES 5009u
#define DIA_RC_NO_COMMON_APPLICATION 5010u
#define DIA_RC_UNSUPPORTED_VERSION 5011u
#define DIA_RC_UNABLE_TO_COMPLY 5012u
#define DIA_RC_INVALID_AVP_LENGTH 5014u
#define DIA_RC_INVALID_MESSAGE_LENGTH 5015u

/* Experimental-Result-Code values, vendor 10415 (TS 29.229 §6.2). Note 5001 collides with
 * Result-Code 5001 AVP_UNSUPPORTED: the carrying AVP decides the meaning. */
#define DIA_EXP_FIRST_REGISTRATION 2001u
#define DIA_EXP_SUBSEQUENT_REGISTRATION 2002u
#define DIA_EXP_UNREGISTERED_SERVICE 2003u
#define DIA_EXP_SUCCESS_SERVER_NAME_NOT_STORED 2004u
#define DIA_EXP_USER_DATA_NOT_AVAILABLE 4100u
#define DIA_EXP_PRIOR_UPDATE_IN_PROGRESS 4101u
#define DIA_EXP_AUTHENTICATION_DATA_UNAVAILABLE 4181u
#define DIA_EXP_ERROR_USER_UNKNOWN 5001u
#define DIA_EXP_ERROR_IDENTITIES_DONT_MATCH 5002u
#define DIA_EXP_ERROR_IDENTITY_NOT_REGISTERED 5003u
#define DIA_EXP_ERROR_ROAMING_NOT_ALLOWED 5004u
#define DIA_EXP_ERROR_IDENTITY_ALREADY_REGISTERED 5005u
#define DIA_EXP_ERROR_AUTH_SCHEME_NOT_SUPPORTED 5006u
#define DIA_EXP_ERROR_IN_ASSIGNMENT_TYPE 5007u
#define DIA_EXP_ERROR_TOO_MUCH_DATA 5008u
#define DIA_EXP_ERROR_NOT_SUPPORTED_USER_DATA 5009u
#define DIA_EXP_ERROR_FEATURE_UNSUPPORTED 5011u
#define DIA_EXP_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED 5012u

/* AVP header flag bits (RFC 6733 §4.1). */
#define DIA_AVP_FLAG_V 0x80u
#define DIA_AVP_FLAG_M 0x40u
#define DIA_AVP_FLAG_P 0x20u
#define DIA_AVP_FLAG_RESERVED 0x1fu

/* RFC 6733 §4.2-4.3: basic and derived data formats. */
typedef enum dia_type {
    DIA_TYPE_OCTETS,
    DIA_TYPE_UTF8,
    DIA_TYPE_U32,
    DIA_TYPE_I32,
    DIA_TYPE_U64,
    DIA_TYPE_I64,
    DIA_TYPE_ENUM, /* Integer32 on the wire */
    DIA_TYPE_GROUPED,
    DIA_TYPE_ADDRESS,  /* 2-byte address family + address */
    DIA_TYPE_IDENTITY, /* DiameterIdentity: FQDN in OctetString */
    DIA_TYPE_URI,      /* DiameterURI */
    DIA_TYPE_TIME,     /* NTP seconds, 4 bytes */
} dia_type;

typedef struct dia_avp_def {
    uint32_t code;
    uint32_t vendor;
    const char *name;
    dia_type type;
    uint8_t must;     /* flags a sender MUST set (DIA_AVP_FLAG_M / _V) */
    uint8_t must_not; /* flags a sender MUST NOT set */
} dia_avp_def;

typedef struct dia_cmd_def {
    uint32_t code;
    uint32_t app;
    gboolean proxiable;              /* 'P' bit of the request (RFC 6733 §3) */
    const char *req_abbr, *ans_abbr; /* "CER" / "CEA" */
    const char *req_name, *ans_name; /* "Capabilities-Exchange-Request" / "...-Answer" */
} dia_cmd_def;

/* AVP definition by (code, vendor); NULL if the dictionary does not know it. */
const dia_avp_def *dia_dict_avp(uint32_t code, uint32_t vendor);
const dia_avp_def *dia_dict_avp_by_name(const char *name);
/* Number of entries and the i-th entry (for tests and tools). */
size_t dia_dict_avp_count(void);
const dia_avp_def *dia_dict_avp_at(size_t i);

/* The flags a sender puts on this AVP: V iff vendor != 0, M when the dictionary says MUST
 * (an unknown AVP gets no M: it is optional for the receiver). */
uint8_t dia_dict_send_flags(uint32_t code, uint32_t vendor);

const char *dia_dict_type_name(dia_type t);
/* Exact data length of fixed-size types, -1 for variable ones. */
int dia_dict_type_fixed_len(dia_type t);
/* Smallest valid data length (RFC 6733 §7.5: zero-filled payload of the minimum length). */
size_t dia_dict_type_min_len(dia_type t);

const dia_cmd_def *dia_dict_cmd(uint32_t code);
/* "CER", "CEA", ... or NULL. */
const char *dia_dict_cmd_abbr(uint32_t code, gboolean request);
const char *dia_dict_app_name(uint32_t app);

/* Name of a Result-Code value ("DIAMETER_SUCCESS"), NULL if unknown. */
const char *dia_dict_result_name(uint32_t code);
/* Name of an Experimental-Result-Code value for the vendor ("DIAMETER_ERROR_USER_UNKNOWN"). */
const char *dia_dict_exp_result_name(uint32_t vendor, uint32_t code);
/* Name of an Enumerated value of the AVP (code, vendor), NULL if unknown. */
const char *dia_dict_enum_name(uint32_t code, uint32_t vendor, int32_t value);

#endif
