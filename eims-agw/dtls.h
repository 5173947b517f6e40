/* One DTLS-SRTP association (RFC 5763/5764) on GnuTLS, driven by its owner: datagrams in through
 * agw_dtls_input(), datagrams out through the send callback, retransmissions when the owner's
 * clock passes agw_dtls_deadline(). The peer certificate's fingerprint is checked inside the
 * handshake (a mismatch aborts it with an alert), so SRTP keys only exist for a verified peer. */
#ifndef AGW_DTLS_H
#define AGW_DTLS_H
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "srtp_ctx.h"

typedef struct agw_dtls agw_dtls_t;
typedef void (*agw_dtls_send_fn)(void *ud, const uint8_t *buf, size_t len);

typedef enum {
    AGW_DTLS_HANDSHAKING = 0,
    AGW_DTLS_CONNECTED,
    AGW_DTLS_FAILED,
    AGW_DTLS_CLOSED, /* close_notify received after the handshake */
} agw_dtls_state_t;

typedef struct {
    gnutls_certificate_credentials_t cred; /* prepared with agw_dtls_setup_credentials() */
    bool client;                           /* a=setup:active side */
    unsigned profiles;                     /* AGW_SRTP_MASK() bits; only negotiable ones count */
    agw_fingerprint_t remote_fp;           /* from the peer's SDP */
    unsigned mtu;                          /* 0 = 1200 */
    unsigned timeout_ms;                   /* whole handshake; 0 = 20000 */
    /* The limit counts from the peer's first datagram instead of our start when the peer answers
     * late (a lite peer that was not ready: the owner restarts unanswered handshakes itself);
     * an unanswered handshake still fails timeout_ms after the start. */
    bool limit_from_answer;
    agw_dtls_send_fn send;
    void *ud;
} agw_dtls_params_t;

/* Installs the fingerprint check on shared credentials; once, before any session uses them. */
void agw_dtls_setup_credentials(gnutls_certificate_credentials_t cred);

/* NULL + *err (static text) on failure. Nothing is sent until agw_dtls_start(). */
agw_dtls_t *agw_dtls_new(const agw_dtls_params_t *p, const char **err);
void agw_dtls_free(agw_dtls_t *d);

/* Client: sends the ClientHello. Server: nothing to do until a ClientHello arrives. */
agw_dtls_state_t agw_dtls_start(agw_dtls_t *d, int64_t now_ms);
agw_dtls_state_t agw_dtls_input(agw_dtls_t *d, const uint8_t *buf, size_t len, int64_t now_ms);
/* Call when now >= agw_dtls_deadline(): retransmits the last flight or fails on timeout. */
agw_dtls_state_t agw_dtls_timer(agw_dtls_t *d, int64_t now_ms);
/* Absolute time (ms) of the next retransmission, or -1 when none is pending. */
int64_t agw_dtls_deadline(const agw_dtls_t *d);
agw_dtls_state_t agw_dtls_state(const agw_dtls_t *d);
bool agw_dtls_is_client(const agw_dtls_t *d);
/* Why the association failed or closed ("certificate fingerprint mismatch", "handshake timeout",
 * "no common SRTP profile", "alert received: ..."). */
const char *agw_dtls_reason(const agw_dtls_t *d);
/* FAILED by the handshake timeout without a single datagram from the peer: nobody answered (a
 * peer that is alive but not ready yet, or none at all), as opposed to a handshake that started
 * and broke. The owner may then start a new association (a new ClientHello) instead of failing. */
bool agw_dtls_unanswered(const agw_dtls_t *d);

/* Exported SRTP keys (RFC 5764 §4.2), ours for sending and the peer's for receiving. Only once
 * CONNECTED, which implies the fingerprint matched. */
bool agw_dtls_srtp_keys(agw_dtls_t *d, agw_srtp_keys_t *keys);

/* A DTLS handshake record carrying a ClientHello (content type 22, handshake type 1). */
bool agw_dtls_is_client_hello(const uint8_t *buf, size_t len);

#endif
