/* Builders and readers for the Diameter messages the suite exchanges: base peer messages
 * (CER/CEA, DWR/DWA, DPR/DPA), answers built from requests, Result-Code / Experimental-Result,
 * Failed-AVP, and the Cx pieces (TS 29.229): request boilerplate and SIP-Auth-Data-Item. Pure. */
#ifndef DIA_CX_H
#define DIA_CX_H

#include "diameter/codec.h"

/* The local Diameter node as it names itself in Origin-Host / Origin-Realm. */
typedef struct dia_node {
    const char *host;
    const char *realm;
} dia_node;

/* RFC 6733 §8.8: "<DiameterIdentity>;<high 32 bits>;<low 32 bits>[;<optional value>]". */
char *dia_session_id_new(const char *origin_host, uint32_t hi, uint32_t lo, const char *opt);
/* RFC 6733 §3: first End-to-End id: low 12 bits of the time in the high 12 bits, 20 random bits
 * below. Later ids increment monotonically. */
uint32_t dia_e2e_initial(uint32_t now_sec, uint32_t random);

/* A request with R (and P when the command is proxiable), Origin-Host and Origin-Realm. */
dia_msg *dia_request_new(uint32_t cmd, uint32_t app, const dia_node *origin, uint32_t hbh,
                         uint32_t e2e);
/* An answer to req: same command, application, Hop-by-Hop and End-to-End ids, R cleared, P as
 * in the request (RFC 6733 §6.2); Session-Id copied when present; Origin-Host/Realm. */
dia_msg *dia_answer_new(const dia_msg *req, const dia_node *origin);

/* Replace any Result-Code / Experimental-Result by this one. A 3xxx Result-Code sets the E bit
 * (RFC 6733 §7.1.3), any other value clears it. */
void dia_set_result_code(dia_msg *ans, uint32_t code);
void dia_set_experimental_result(dia_msg *ans, uint32_t vendor, uint32_t code);

typedef struct dia_result {
    gboolean present;
    gboolean experimental; /* carried in Experimental-Result (297), not Result-Code (268) */
    uint32_t vendor;       /* Vendor-Id inside Experimental-Result, 0 for Result-Code */
    uint32_t code;
} dia_result;
/* Reads Result-Code, else Experimental-Result{Vendor-Id, Experimental-Result-Code}. */
gboolean dia_get_result(const dia_msg *ans, dia_result *out);
/* Name resolved by the carrying AVP: 5001 is AVP_UNSUPPORTED or ERROR_USER_UNKNOWN. */
const char *dia_result_name(const dia_result *r);
gboolean dia_result_is_success(const dia_result *r); /* 2xxx */

/* Failed-AVP (279) for a decode error (RFC 6733 §7.5): the offending AVP as received, or - when
 * its length cannot be trusted - its header with a zero-filled payload of the type's minimum
 * length. with_path wraps it in copies of its enclosing Grouped AVPs. NULL if no AVP is known. */
dia_avp *dia_failed_avp_new(const dia_error *err, gboolean with_path);
/* Failed-AVP for DIAMETER_MISSING_AVP (5005): the missing AVP with a zero-filled minimum payload.
 */
dia_avp *dia_failed_avp_missing_new(uint32_t code, uint32_t vendor);
/* The answer to a request that failed to decode: header ids from err->partial, Session-Id when it
 * was read, Result-Code from err, Failed-AVP when known, Vendor-Specific-Application-Id and
 * Auth-Session-State for Cx. NULL when nothing can be answered (no header, or not a request). */
dia_msg *dia_error_answer_new(const dia_error *err, const dia_node *origin);

/* ---- base peer messages (RFC 6733 §5.3-5.5) ---- */
typedef struct dia_cer_info {
    int family;               /* AF_INET / AF_INET6 of host_ip */
    const void *host_ip;      /* Host-IP-Address */
    uint32_t vendor_id;       /* Vendor-Id of this implementation (0 is allowed) */
    const char *product;      /* Product-Name */
    uint32_t origin_state_id; /* 0: omitted */
    uint32_t firmware;        /* Firmware-Revision, 0: omitted */
} dia_cer_info;
/* CER advertising Cx (SPECS §5.1): Origin-Host/Realm, Host-IP-Address, Vendor-Id, Product-Name,
 * Supported-Vendor-Id 10415, Vendor-Specific-Application-Id{Vendor-Id 10415, Auth-Application-Id
 * 16777216}. CEA: the same plus Result-Code. */
dia_msg *dia_cer_new(const dia_node *origin, const dia_cer_info *info, uint32_t hbh, uint32_t e2e);
dia_msg *dia_cea_new(const dia_msg *cer, const dia_node *origin, const dia_cer_info *info,
                     uint32_t result_code);
dia_msg *dia_dwr_new(const dia_node *origin, uint32_t origin_state_id, uint32_t hbh, uint32_t e2e);
dia_msg *dia_dwa_new(const dia_msg *dwr, const dia_node *origin, uint32_t origin_state_id);
dia_msg *dia_dpr_new(const dia_node *origin, uint32_t cause, uint32_t hbh, uint32_t e2e);
dia_msg *dia_dpa_new(const dia_msg *dpr, const dia_node *origin);

/* ---- Cx (TS 29.229 §6.1) ---- */
/* Cx request: Session-Id, Vendor-Specific-Application-Id{10415, 16777216}, Auth-Session-State
 * NO_STATE_MAINTAINED, Origin-Host/Realm, Destination-Host (if not NULL), Destination-Realm. */
dia_msg *dia_cx_request_new(uint32_t cmd, const char *session_id, const dia_node *origin,
                            const char *dest_realm, const char *dest_host, uint32_t hbh,
                            uint32_t e2e);
/* Cx answer: dia_answer_new + Vendor-Specific-Application-Id + Auth-Session-State. */
dia_msg *dia_cx_answer_new(const dia_msg *req, const dia_node *origin);
dia_avp *dia_add_vendor_specific_app_id(GPtrArray *list, uint32_t vendor, uint32_t auth_app);

/* SIP-Auth-Data-Item (TS 29.229 §6.3.13) with SIP Digest (§6.3.36 SIP-Digest-Authenticate). */
typedef struct dia_cx_auth_item {
    uint32_t item_number; /* SIP-Item-Number, 0: omitted */
    const char *scheme;   /* SIP-Authentication-Scheme, e.g. "SIP Digest" */
    /* SIP-Digest-Authenticate, present when realm or ha1 is set */
    const char *realm;     /* Digest-Realm */
    const char *algorithm; /* Digest-Algorithm, NULL: omitted (MD5) */
    const char *qop;       /* Digest-QoP */
    const char *ha1;       /* Digest-HA1, lowercase hex */
} dia_cx_auth_item;
dia_avp *dia_cx_add_auth_item(GPtrArray *list, const dia_cx_auth_item *it);

typedef struct dia_cx_auth_info {
    uint32_t item_number;
    gboolean has_digest;
    char *scheme, *realm, *algorithm, *qop, *ha1; /* g_free'd by dia_cx_auth_info_clear */
} dia_cx_auth_info;
/* Reads a SIP-Auth-Data-Item; FALSE if the AVP is not one or a present field is not UTF-8. */
gboolean dia_cx_read_auth_item(const dia_avp *item, dia_cx_auth_info *out);
void dia_cx_auth_info_clear(dia_cx_auth_info *info);

#endif
