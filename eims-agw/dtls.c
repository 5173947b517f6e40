/* DTLS-SRTP on GnuTLS with owner-driven I/O and timers (see dtls.h). */
#include "dtls.h"

#include <errno.h>
#include <gnutls/dtls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agw_dtls {
    gnutls_session_t s;
    agw_dtls_state_t state;
    bool client;
    bool started;
    bool verified;
    bool heard;     /* a datagram from the peer was fed in */
    bool timed_out; /* failed by the handshake timeout */
    bool limit_from_answer;
    unsigned timeout_ms;
    int64_t limit_at; /* the handshake fails at this time (-1: not started) */
    agw_fingerprint_t remote_fp;
    agw_dtls_send_fn send;
    void *ud;
    int64_t deadline;
    const uint8_t *in; /* the datagram being fed to GnuTLS, NULL when consumed */
    size_t in_len;
    char reason[96];
};

/* RFC 5763 §5: the certificate is self-signed; what authenticates it is the SDP fingerprint. */
static int verify_peer(gnutls_session_t s)
{
    agw_dtls_t *d = gnutls_session_get_ptr(s);
    if (!d) return -1;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (!certs || n == 0) {
        snprintf(d->reason, sizeof d->reason, "peer sent no certificate");
        return -1;
    }
    agw_fingerprint_t fp;
    if (!agw_fingerprint_of_der(d->remote_fp.alg, &certs[0], &fp) ||
        !agw_fingerprint_equal(&fp, &d->remote_fp)) {
        snprintf(d->reason, sizeof d->reason, "certificate fingerprint mismatch");
        return -1;
    }
    d->verified = true;
    return 0;
}

void agw_dtls_setup_credentials(gnutls_certificate_credentials_t cred)
{
    gnutls_certificate_set_verify_function(cred, verify_peer);
}

static ssize_t push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
    agw_dtls_t *d = p;
    d->send(d->ud, data, len);
    return (ssize_t)len;
}

static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t cap)
{
    agw_dtls_t *d = p;
    if (!d->in) {
        gnutls_transport_set_errno(d->s, EAGAIN);
        return -1;
    }
    size_t n = d->in_len < cap ? d->in_len : cap;
    memcpy(data, d->in, n);
    d->in = NULL;
    d->in_len = 0;
    return (ssize_t)n;
}

static int pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
    agw_dtls_t *d = p;
    return d->in ? 1 : 0;
}

agw_dtls_t *agw_dtls_new(const agw_dtls_params_t *p, const char **err)
{
    char prof[128] = "";
    for (unsigned i = 0; i < AGW_SRTP_PROFILE_COUNT; i++) {
        const agw_srtp_profile_info_t *pi = agw_srtp_profile_info(i);
        if (!(p->profiles & AGW_SRTP_MASK(i)) || !pi->dtls_negotiable) continue;
        if (*prof) g_strlcat(prof, ":", sizeof prof);
        g_strlcat(prof, pi->name, sizeof prof);
    }
    if (!*prof) {
        *err = "no SRTP profile our DTLS stack can negotiate";
        return NULL;
    }
    if (p->remote_fp.len == 0) {
        *err = "remote fingerprint unknown";
        return NULL;
    }
    agw_dtls_t *d = calloc(1, sizeof *d);
    if (!d) {
        *err = "out of memory";
        return NULL;
    }
    d->client = p->client;
    d->remote_fp = p->remote_fp;
    d->send = p->send;
    d->ud = p->ud;
    d->deadline = -1;
    d->limit_at = -1;
    d->timeout_ms = p->timeout_ms ? p->timeout_ms : 20000;
    d->limit_from_answer = p->limit_from_answer;
    unsigned flags =
        (p->client ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK;
    const char *pos = NULL;
    int rc = gnutls_init(&d->s, flags);
    if (rc >= 0)
        rc = gnutls_priority_set_direct(d->s, "NORMAL:-VERS-ALL:+VERS-DTLS1.2:+VERS-DTLS1.0", &pos);
    if (rc >= 0) rc = gnutls_credentials_set(d->s, GNUTLS_CRD_CERTIFICATE, p->cred);
    if (rc >= 0) rc = gnutls_srtp_set_profile_direct(d->s, prof, &pos);
    if (rc < 0) {
        *err = "DTLS session setup failed";
        if (d->s) gnutls_deinit(d->s);
        free(d);
        return NULL;
    }
    /* RFC 5763 §5: both sides present certificates; the server must ask for the client's. */
    if (!p->client) gnutls_certificate_server_set_request(d->s, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_ptr(d->s, d);
    gnutls_transport_set_ptr(d->s, d);
    gnutls_transport_set_push_function(d->s, push);
    gnutls_transport_set_pull_function(d->s, pull);
    gnutls_transport_set_pull_timeout_function(d->s, pull_timeout);
    gnutls_dtls_set_mtu(d->s, p->mtu ? p->mtu : 1200);
    /* the overall limit is ours (limit_at); GnuTLS's own would count from its first call only */
    gnutls_dtls_set_timeouts(d->s, 1000, 24u * 3600u * 1000u);
    return d;
}

void agw_dtls_free(agw_dtls_t *d)
{
    if (!d) return;
    gnutls_deinit(d->s);
    free(d);
}

static agw_dtls_state_t fail(agw_dtls_t *d, int rc)
{
    /* GnuTLS leaves alerts to the application: tell the peer at once (bad_certificate for a
     * fingerprint mismatch) instead of letting it retransmit until its own timeout. */
    if (rc < 0 && rc != GNUTLS_E_FATAL_ALERT_RECEIVED && rc != GNUTLS_E_TIMEDOUT)
        gnutls_alert_send_appropriate(d->s, rc);
    d->state = AGW_DTLS_FAILED;
    d->deadline = -1;
    d->timed_out = rc == GNUTLS_E_TIMEDOUT;
    if (d->reason[0]) return d->state; /* set by verify_peer */
    if (rc == GNUTLS_E_TIMEDOUT)
        snprintf(d->reason, sizeof d->reason, "handshake timeout");
    else if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
        snprintf(d->reason, sizeof d->reason, "alert received: %s",
                 gnutls_alert_get_name(gnutls_alert_get(d->s)));
    else if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND)
        snprintf(d->reason, sizeof d->reason, "peer sent no certificate");
    else
        snprintf(d->reason, sizeof d->reason, "%s", gnutls_strerror(rc));
    return d->state;
}

static agw_dtls_state_t handshake(agw_dtls_t *d, int64_t now)
{
    int rc = gnutls_handshake(d->s);
    if (rc == GNUTLS_E_SUCCESS) {
        gnutls_srtp_profile_t prof;
        if (!d->verified) {
            snprintf(d->reason, sizeof d->reason, "peer certificate not verified");
            gnutls_alert_send(d->s, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
            return fail(d, 0);
        }
        if (gnutls_srtp_get_selected_profile(d->s, &prof) < 0 || !agw_srtp_profile_by_iana(prof)) {
            snprintf(d->reason, sizeof d->reason, "no common SRTP profile");
            gnutls_alert_send(d->s, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
            return fail(d, 0); /* reason already set */
        }
        d->state = AGW_DTLS_CONNECTED;
        d->deadline = -1;
        return d->state;
    }
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(rc)) {
        d->deadline = now + gnutls_dtls_get_timeout(d->s);
        if (d->limit_at >= 0 && d->deadline > d->limit_at) d->deadline = d->limit_at;
        return d->state;
    }
    return fail(d, rc);
}

agw_dtls_state_t agw_dtls_start(agw_dtls_t *d, int64_t now_ms)
{
    if (d->started || d->state != AGW_DTLS_HANDSHAKING) return d->state;
    if (!d->client) return d->state; /* the server speaks when the ClientHello arrives */
    d->started = true;
    d->limit_at = now_ms + d->timeout_ms;
    return handshake(d, now_ms);
}

agw_dtls_state_t agw_dtls_input(agw_dtls_t *d, const uint8_t *buf, size_t len, int64_t now_ms)
{
    if (d->state == AGW_DTLS_FAILED || d->state == AGW_DTLS_CLOSED) return d->state;
    d->in = buf;
    d->in_len = len;
    if (d->state == AGW_DTLS_HANDSHAKING &&
        (d->limit_at < 0 || (!d->heard && d->limit_from_answer)))
        d->limit_at = now_ms + d->timeout_ms; /* the server's start, or the peer's first answer */
    d->heard = true;
    if (d->state == AGW_DTLS_HANDSHAKING) {
        d->started = true;
        handshake(d, now_ms);
    } else {
        /* After the handshake: alerts, close_notify, and retransmitted final flights that GnuTLS
         * answers by resending its own last flight. We carry no application data. */
        uint8_t scratch[2048];
        ssize_t r = gnutls_record_recv(d->s, scratch, sizeof scratch);
        if (r == 0) {
            d->state = AGW_DTLS_CLOSED;
            snprintf(d->reason, sizeof d->reason, "close_notify received");
        } else if (r < 0 && r != GNUTLS_E_AGAIN && gnutls_error_is_fatal((int)r)) {
            fail(d, (int)r);
        }
    }
    d->in = NULL;
    d->in_len = 0;
    return d->state;
}

agw_dtls_state_t agw_dtls_timer(agw_dtls_t *d, int64_t now_ms)
{
    if (d->state != AGW_DTLS_HANDSHAKING || d->deadline < 0 || now_ms < d->deadline)
        return d->state;
    if (d->limit_at >= 0 && now_ms >= d->limit_at) return fail(d, GNUTLS_E_TIMEDOUT);
    return handshake(d, now_ms);
}

int64_t agw_dtls_deadline(const agw_dtls_t *d)
{
    return d->deadline;
}
agw_dtls_state_t agw_dtls_state(const agw_dtls_t *d)
{
    return d->state;
}
bool agw_dtls_is_client(const agw_dtls_t *d)
{
    return d->client;
}
const char *agw_dtls_reason(const agw_dtls_t *d)
{
    return d->reason;
}
bool agw_dtls_unanswered(const agw_dtls_t *d)
{
    return d->state == AGW_DTLS_FAILED && d->timed_out && !d->heard;
}

bool agw_dtls_srtp_keys(agw_dtls_t *d, agw_srtp_keys_t *k)
{
    if (d->state != AGW_DTLS_CONNECTED || !d->verified) return false;
    gnutls_srtp_profile_t prof;
    if (gnutls_srtp_get_selected_profile(d->s, &prof) < 0) return false;
    const agw_srtp_profile_info_t *pi = agw_srtp_profile_by_iana(prof);
    if (!pi) return false;
    uint8_t material[2 * (AGW_SRTP_MAX_KEY + AGW_SRTP_MAX_SALT)];
    gnutls_datum_t ck, cs, sk, ss;
    if (gnutls_srtp_get_keys(d->s, material, 2 * (pi->key_len + pi->salt_len), &ck, &cs, &sk, &ss) <
        0)
        return false;
    if (ck.size != pi->key_len || cs.size != pi->salt_len) return false;
    memset(k, 0, sizeof *k);
    k->profile = pi->id;
    const gnutls_datum_t *tk = d->client ? &ck : &sk, *ts = d->client ? &cs : &ss;
    const gnutls_datum_t *rk = d->client ? &sk : &ck, *rs = d->client ? &ss : &cs;
    memcpy(k->tx_key, tk->data, tk->size);
    memcpy(k->tx_key + tk->size, ts->data, ts->size);
    memcpy(k->rx_key, rk->data, rk->size);
    memcpy(k->rx_key + rk->size, rs->data, rs->size);
    gnutls_memset(material, 0, sizeof material);
    return true;
}

bool agw_dtls_is_client_hello(const uint8_t *b, size_t len)
{
    /* DTLS record header is 13 bytes; the handshake header's first byte is msg_type. */
    return len > 13 && b[0] == 22 && b[13] == 1;
}
