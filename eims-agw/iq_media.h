/* What the Iq control needs from the media plane, as a small table of functions: reserve a
 * termination's transport (address, port, ICE credentials, DTLS fingerprint), configure it from
 * the Local/Remote descriptors, join the two terminations of a context, read statistics, release.
 * The media engine (eims-agw/media.h) sits behind it through an adapter; unit tests use a fake.
 * Events (consent lost, no media, DTLS failure) come back through iq_media_event_fn on the main
 * loop. */
#ifndef AGW_IQ_MEDIA_H
#define AGW_IQ_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "h248/codec.h"
#include "sip/sdp_rewrite.h"

typedef enum {
    IQ_TERM_W3 = 0, /* toward the browser: ICE-lite, DTLS-SRTP, rtcp-mux (UDP/TLS/RTP/SAVPF) */
    IQ_TERM_RTP,    /* toward IMS: plain RTP/AVP on an even port, RTCP on the next one */
} iq_term_kind;

#define IQ_ADDR_MAX 64
#define IQ_ICE_MAX 64
#define IQ_FP_MAX 200 /* "AB:CD:..." of a SHA-512 digest is 191 characters */

/* The transport the media plane reserved for a new termination: what fills the "$". */
typedef struct {
    char addr[IQ_ADDR_MAX];     /* numeric address (W3 side or IMS side) */
    unsigned port;              /* W3: the single port; RTP: the even RTP port */
    unsigned rtcp_port;         /* W3: == port (rtcp-mux); RTP: port + 1 */
    char ice_ufrag[IQ_ICE_MAX]; /* W3 only (RFC 8839: 4..256 ice-chars) */
    char ice_pwd[IQ_ICE_MAX];   /* W3 only (22..256) */
    char setup[16];             /* W3: our a=setup as the media plane fixed it ("" = not fixed) */
    char candidate[128];        /* W3: a=candidate value ("" = built from addr and port) */
} iq_transport;

/* DTLS role of a W3 termination, from our a=setup and the peer's (RFC 5763 §5). */
typedef enum {
    IQ_DTLS_UNDECIDED = 0, /* we offered actpass and have no answer yet */
    IQ_DTLS_CLIENT,        /* a=setup:active on our side */
    IQ_DTLS_SERVER,        /* a=setup:passive on our side, or actpass answered with active */
} iq_dtls_role;

/* What is known when a termination is reserved (Add): the peer's SDP when the MGC gave a Remote
 * (then the MG answers; without one it offers), and the Local template's codecs (payload types
 * as numbered on this leg). Borrowed for the call. */
typedef struct {
    const sdpx_info *remote;   /* NULL: no Remote in the Add */
    const sdpx_info *template; /* the Local template as parsed ("$" kept); NULL: none */
    h248_mode mode;
    const char *cid;
} iq_term_init;

/* Everything the media plane must apply to one termination after Add or Modify. The SDP texts
 * are complete (no "$"); `local`/`remote` are their parsed forms (sdp_rewrite.h). Pointers are
 * borrowed for the duration of the call. */
typedef struct {
    iq_term_kind kind;
    h248_mode mode;        /* LocalControl Mode (SendReceive if never given) */
    const char *local_sdp; /* what we answered in Local */
    const sdpx_info *local;
    const char *remote_sdp;  /* NULL: no Remote yet */
    const sdpx_info *remote; /* NULL with remote_sdp */
    bool remote_changed;     /* a Remote other than the one given to term_new() */
    bool local_changed;      /* a new Local (codecs may differ) */
    iq_dtls_role dtls_role;  /* W3 */
    unsigned no_media_ms;    /* report IQ_EV_NO_MEDIA after this long without media; 0: off */
    const char *cid;         /* correlation id of the call, for the media plane's logs */
} iq_term_conf;

/* Per-termination counters. "sent" is toward the termination's peer, "received" from it. Loss and
 * jitter of what we receive are measured here (RFC 3550 A.3, A.8); those of what we send are the
 * peer's reports (RTCP receiver reports), -1 when unknown. */
typedef struct {
    uint64_t packets_sent, packets_received;
    uint64_t octets_sent, octets_received;
    int64_t lost_received;     /* -1: unknown */
    int64_t lost_sent;         /* from the peer's RTCP RR; -1: unknown */
    double jitter_received_ms; /* < 0: unknown */
    double jitter_sent_ms;     /* from the peer's RTCP RR; < 0: unknown */
} iq_stats;

void iq_stats_unknown(iq_stats *s); /* zero counters, unknown loss/jitter */

typedef enum {
    IQ_EV_CONSENT_LOST = 1, /* W3: no authenticated STUN consent for 30 s (RFC 7675 §5.1) */
    IQ_EV_NO_MEDIA,         /* no RTP/RTCP received for no_media_ms */
    IQ_EV_DTLS_FAILED,      /* handshake failure, fingerprint mismatch, fatal alert */
} iq_media_event;

const char *iq_media_event_name(iq_media_event ev); /* "consent-lost", ... for logs */

/* Errors are H.248 error codes (SPECS.md §4.4) so the Iq control can answer with them:
 * 510 insufficient resources (no free port), 449 unsupported value, 500 internal. */
typedef struct {
    /* A media session for one context (the terminations reserved in it are joined later). */
    void *(*ctx_new)(void *be, uint32_t ctx_id, const char *cid);
    void (*ctx_free)(void *be, void *ctx);
    /* Reserves a termination's transport. `term_ud` comes back with its events. NULL + *code
     * (and *reason, static text) on failure. */
    void *(*term_new)(void *be, void *ctx, iq_term_kind kind, const iq_term_init *init,
                      void *term_ud, iq_transport *out, unsigned *code, const char **reason);
    /* Our certificate's fingerprint with hash `alg` ("sha-256", "sha-1", ...; RFC 8122) as
     * "AB:CD:..."; false if the hash is not supported. */
    bool (*fingerprint)(void *be, const char *alg, char *out, size_t cap);
    /* Applies descriptors (the first call follows term_new); 0 or an H.248 error code with
     * *reason (static text or valid until the next call). */
    unsigned (*term_configure)(void *be, void *term, const iq_term_conf *conf, const char **reason);
    /* Relays media between two terminations of one context (b NULL: stop relaying a). */
    unsigned (*join)(void *be, void *ctx, void *a, void *b, const char **reason);
    void (*term_stats)(void *be, void *term, iq_stats *out);
    /* Releases the transport; `final` (may be NULL) gets the last statistics. No event for this
     * termination is reported afterwards. */
    void (*term_free)(void *be, void *term, iq_stats *final);
    /* Optional (NULL: term_free for each): the same for n terminations at once, final[i] for
     * terms[i] (final may be NULL). */
    void (*terms_free)(void *be, void *const *terms, unsigned n, iq_stats *final);
    /* Optional: bracket the commands of one transaction, so the backend may batch their
     * effects (the engine wakes each media worker once). */
    void (*begin)(void *be);
    void (*end)(void *be);
} iq_media_ops;

typedef void (*iq_media_event_fn)(void *term_ud, iq_media_event ev, const char *detail, void *ud);

typedef struct {
    const iq_media_ops *ops;
    void *be;
} iq_media;

#endif
