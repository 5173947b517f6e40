/* ICE-lite answering of connectivity and consent checks (RFC 8445 §2.5, §7.3; RFC 7675): validate
 * a STUN Binding request (RFC 5389: USERNAME "<local>:<remote>", MESSAGE-INTEGRITY keyed with the
 * local ice-pwd, FINGERPRINT) and build the answer (success with XOR-MAPPED-ADDRESS, or a
 * 400/401/420 error). Pure: bytes in, bytes out, no sockets, no allocation.
 *
 * Why not libnice's STUN usage functions: libnice and libsofia-sip-ua both export
 * stun_message_length(); in a process that loads sofia-sip first (eims-agw does, for SDP) libnice's
 * internal calls bind to sofia's function and stun_agent_validate() reads past its buffer. The
 * few hundred lines here avoid depending on the link order. */
#ifndef AGW_STUN_H
#define AGW_STUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AGW_ICE_UFRAG_MAX 256 /* RFC 8839 §5.4: ice-ufrag 4..256 ice-chars */
#define AGW_ICE_PWD_MAX 256   /* ice-pwd 22..256 */
#define AGW_STUN_REPLY_MAX 256
#define AGW_STUN_REQUEST_MAX 640 /* our checks: USERNAME up to 513 bytes plus the fixed rest */

/* Our ICE role on a termination (RFC 8445 §6.1.1). Toward a full peer (a browser) we are lite:
 * always controlled, the peer controls, role conflicts are not ours to resolve. Toward a lite
 * peer we run checks ourselves and take a real role, with RFC 8445 §7.3.1.1 repair. */
typedef enum {
    AGW_ICE_ROLE_LITE = 0,
    AGW_ICE_ROLE_CONTROLLING,
    AGW_ICE_ROLE_CONTROLLED,
} agw_ice_role_t;

typedef struct {
    const char *local_ufrag;
    const char *local_pwd;
    /* NULL until the peer's SDP is installed: checks from any remote ufrag are answered (the AGW
     * may get checks before the answer arrives); afterwards a different remote ufrag is refused
     * with 401 (protects forked offers, SPECS §6.5). */
    const char *remote_ufrag;
    agw_ice_role_t role;  /* LITE unless we run checks toward a lite peer */
    uint64_t tie_breaker; /* ours, with CONTROLLING/CONTROLLED */
} agw_ice_creds_t;

typedef enum {
    AGW_STUN_IGNORE = 0, /* not a STUN request we answer (response, indication, garbage, bad
                          * FINGERPRINT): drop without answering */
    AGW_STUN_SUCCESS,    /* authenticated Binding request; `reply` holds the success response */
    AGW_STUN_REJECT,     /* refused; `reply` holds an error response when reply_len > 0 */
} agw_stun_result_t;

typedef struct {
    bool use_candidate; /* USE-CANDIDATE present: the controlling peer nominates this pair */
    bool controlling;   /* ICE-CONTROLLING present */
    uint32_t priority;  /* PRIORITY (peer-reflexive priority), 0 if absent */
    bool switch_role;   /* role conflict lost on our side (RFC 8445 §7.3.1.1): take the other
                         * role; the request was answered with success */
    int error;          /* STUN error code sent back on REJECT (400, 401, 420, 487), else 0 */
    size_t remote_ufrag_len;
    char remote_ufrag[AGW_ICE_UFRAG_MAX + 1]; /* the part of USERNAME after ':' */
} agw_stun_check_t;

/* Processes one datagram whose first byte said STUN (RFC 7983). `reply` must hold
 * AGW_STUN_REPLY_MAX bytes; *reply_len is 0 when nothing is to be sent. */
agw_stun_result_t agw_stun_answer(const agw_ice_creds_t *cr, const uint8_t *msg, size_t len,
                                  const struct sockaddr *src, socklen_t srclen, uint8_t *reply,
                                  size_t *reply_len, agw_stun_check_t *check);

/* ---- our own checks toward a lite peer (RFC 8445 §7.2.4, §7.2.5; RFC 7675) ---------------- */
typedef struct {
    const char *local_ufrag, *remote_ufrag; /* USERNAME "<remote>:<local>" (RFC 8445 §7.2.2) */
    const char *remote_pwd;                 /* keys MESSAGE-INTEGRITY (short-term credential) */
    uint32_t priority;                      /* PRIORITY: our peer-reflexive priority (§7.1.1) */
    bool controlling;                       /* ICE-CONTROLLING, else ICE-CONTROLLED */
    uint64_t tie_breaker;
    bool use_candidate; /* USE-CANDIDATE (controlling only): nominate the pair */
} agw_stun_request_t;

/* Builds a Binding request with transaction id `tid`: USERNAME, PRIORITY, ICE-CONTROLLING or
 * ICE-CONTROLLED, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT. Returns its length, 0 when an
 * argument is missing or it does not fit `cap` (AGW_STUN_REQUEST_MAX always does). */
size_t agw_stun_build_request(const agw_stun_request_t *r, const uint8_t tid[12], uint8_t *out,
                              size_t cap);

/* A STUN response class (success 0x0101-style or error), first byte already said STUN. */
bool agw_stun_is_response(const uint8_t *msg, size_t len);

typedef enum {
    AGW_STUN_RESP_IGNORE = 0, /* not a Binding response to `tid`, malformed, bad FINGERPRINT,
                               * missing/wrong MESSAGE-INTEGRITY: discard (RFC 5389 §10.1.3) */
    AGW_STUN_RESP_SUCCESS,    /* authenticated success; `mapped` holds XOR-MAPPED-ADDRESS */
    AGW_STUN_RESP_ERROR,      /* authenticated error response; `error` holds its code */
} agw_stun_resp_result_t;

typedef struct {
    int error; /* ERROR-CODE (also reported for an IGNOREd unauthenticated error), else 0 */
    struct sockaddr_storage mapped;
    socklen_t mapped_len;
} agw_stun_resp_t;

/* Checks a response to our request `tid`, MESSAGE-INTEGRITY keyed with the peer's ice-pwd. */
agw_stun_resp_result_t agw_stun_check_response(const uint8_t *msg, size_t len,
                                               const uint8_t tid[12], const char *remote_pwd,
                                               agw_stun_resp_t *out);

/* RFC 5389 §15.5 FINGERPRINT value of the first `len` bytes (CRC-32 XOR 0x5354554e). */
uint32_t agw_stun_fingerprint(const uint8_t *buf, size_t len);

/* Random ICE credentials from the ice-char set (ALPHA / DIGIT / "+" / "/"): ufrag of `ulen` and
 * pwd of `plen` characters (RFC 8839: ufrag >= 4, pwd >= 22; 24 bits / 128 bits of randomness
 * per RFC 8445 §5.3). */
void agw_ice_random_creds(char *ufrag, size_t ulen, char *pwd, size_t plen);

#endif
