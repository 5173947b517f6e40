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

typedef struct {
    const char *local_ufrag;
    const char *local_pwd;
    /* NULL until the peer's SDP is installed: checks from any remote ufrag are answered (the AGW
     * may get checks before the answer arrives); afterwards a different remote ufrag is refused
     * with 401 (protects forked offers, SPECS §6.5). */
    const char *remote_ufrag;
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
    int error;          /* STUN error code sent back on REJECT (400, 401, 420), else 0 */
    size_t remote_ufrag_len;
    char remote_ufrag[AGW_ICE_UFRAG_MAX + 1]; /* the part of USERNAME after ':' */
} agw_stun_check_t;

/* Processes one datagram whose first byte said STUN (RFC 7983). `reply` must hold
 * AGW_STUN_REPLY_MAX bytes; *reply_len is 0 when nothing is to be sent. */
agw_stun_result_t agw_stun_answer(const agw_ice_creds_t *cr, const uint8_t *msg, size_t len,
                                  const struct sockaddr *src, socklen_t srclen, uint8_t *reply,
                                  size_t *reply_len, agw_stun_check_t *check);

/* RFC 5389 §15.5 FINGERPRINT value of the first `len` bytes (CRC-32 XOR 0x5354554e). */
uint32_t agw_stun_fingerprint(const uint8_t *buf, size_t len);

/* Random ICE credentials from the ice-char set (ALPHA / DIGIT / "+" / "/"): ufrag of `ulen` and
 * pwd of `plen` characters (RFC 8839: ufrag >= 4, pwd >= 22; 24 bits / 128 bits of randomness
 * per RFC 8445 §5.3). */
void agw_ice_random_creds(char *ufrag, size_t ulen, char *pwd, size_t plen);

#endif
