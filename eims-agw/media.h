/* The eIMS-AGW media engine: contexts of two terminations relaying media between a W3 leg
 * (ICE-lite, DTLS-SRTP, SRTP/SRTCP with rtcp-mux on one port) and an Mb leg (plain RTP/RTCP port
 * pair), on worker threads that own the sockets. Control (this API) runs on the main thread; the
 * per-packet path never touches the GLib loop. Events come back on the main context.
 *
 * Usage as the Iq layer maps H.248 onto it:
 *   Add W3 ($)    -> agw_ctx_new() + agw_w3_add(ctx, remote or NULL, &local)
 *   Add RTP ($)   -> agw_rtp_add(ctx, remote or NULL, &local)
 *   Modify        -> agw_w3_modify() / agw_rtp_modify() / agw_term_set_mode()
 *   Subtract      -> agw_term_subtract() (statistics) ... agw_ctx_free()
 * Every call is synchronous with the owning worker (it returns once the worker applied it). */
#ifndef AGW_MEDIA_H
#define AGW_MEDIA_H
#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/config.h"
#include "runtime/metrics.h"
#include "rtp.h"
#include "srtp_ctx.h"
#include "stun.h"

typedef struct agw_media agw_media_t;
typedef struct agw_ctx agw_ctx_t;
typedef struct agw_term agw_term_t;

typedef enum { AGW_TERM_W3 = 0, AGW_TERM_RTP = 1 } agw_term_kind_t;

/* Stream mode of a termination toward its own remote peer (H.248 LocalControl Mode). */
typedef enum {
    AGW_MODE_SENDRECV = 0,
    AGW_MODE_SENDONLY, /* sends to its peer, drops what the peer sends (RTCP still flows) */
    AGW_MODE_RECVONLY, /* forwards what the peer sends, sends nothing to it */
    AGW_MODE_INACTIVE,
} agw_mode_t;

/* a=setup (RFC 4145 / RFC 5763). */
typedef enum {
    AGW_SETUP_UNSET = 0,
    AGW_SETUP_ACTPASS,
    AGW_SETUP_ACTIVE,  /* DTLS client */
    AGW_SETUP_PASSIVE, /* DTLS server */
} agw_setup_t;
const char *agw_setup_name(agw_setup_t s); /* "actpass", "active", "passive", "" */
agw_setup_t agw_setup_parse(const char *s);

/* ---- events (delivered on the main context) ------------------------------------------------ */
typedef enum {
    AGW_EV_ICE_SELECTED,   /* a pair was validated/nominated; `peer` is the browser's address */
    AGW_EV_DTLS_CONNECTED, /* handshake done, fingerprint verified, SRTP keyed; `profile` */
    AGW_EV_DTLS_FAILED,    /* `reason`: fingerprint mismatch, timeout, alert, no common profile */
    AGW_EV_DTLS_CLOSED,    /* close_notify from the peer */
    AGW_EV_CONSENT_LOST,   /* no authenticated check for consent_timeout (RFC 7675) */
    AGW_EV_NO_MEDIA,       /* no RTP/RTCP received for no_media_timeout */
    AGW_EV_IO_FAILED,      /* the worker could not watch a new termination's socket: `reason` */
} agw_event_type_t;
const char *agw_event_name(agw_event_type_t t);

typedef struct {
    agw_event_type_t type;
    agw_ctx_t *ctx; /* still alive: events of subtracted terminations are dropped */
    agw_term_t *term;
    void *ctx_user_data;
    const char *reason;  /* DTLS_FAILED / DTLS_CLOSED, else "" */
    const char *profile; /* DTLS_CONNECTED: "SRTP_AES128_CM_HMAC_SHA1_80" */
    const char *peer;    /* "addr:port" of the remote transport address, or "" */
    unsigned idle_ms;    /* NO_MEDIA / CONSENT_LOST: time since the last packet / check */
} agw_event_t;
typedef void (*agw_event_fn)(agw_media_t *m, const agw_event_t *ev, void *ud);

/* ---- engine -------------------------------------------------------------------------------- */
/* Packet I/O of the workers (media.io): AUTO = io_uring when the kernel has what we need
 * (Linux >= 6.1, not disabled by kernel.io_uring_disabled or a seccomp filter), else epoll. */
typedef enum { AGW_IO_AUTO = 0, AGW_IO_URING, AGW_IO_EPOLL } agw_io_t;

typedef struct {
    const char *w3_address;      /* numeric IPv4/IPv6 address of the W3 side */
    const char *rtp_address;     /* numeric address of the IMS (Mb) side */
    unsigned port_min, port_max; /* shared range; separate pools per address */
    unsigned workers;            /* 0: one per online CPU */
    agw_io_t io;                 /* AUTO, or force one path (URING fails if unavailable) */
    const char *cert_file;       /* PEM certificate + key; NULL/"" = ECDSA P-256 generated */
    const char *key_file;
    unsigned srtp_profiles;       /* AGW_SRTP_MASK() bits offered in DTLS; 0 = AES-CM 80 + 32 */
    agw_setup_t answer_setup;     /* our role answering actpass: ACTIVE (RFC 5763 §5) or PASSIVE */
    unsigned dtls_timeout_ms;     /* whole handshake; 0 = 20000 */
    unsigned dtls_mtu;            /* 0 = 1200 */
    unsigned consent_timeout_ms;  /* 0 = 30000 (RFC 7675 §5.1) */
    unsigned no_media_timeout_ms; /* 0 = never report */
    bool latch_any_source;        /* Mb: any host may latch (default: only the SDP's host) */
    rt_metrics_t *metrics;        /* NULL = none; must not be rendered after agw_media_free() */
    GMainContext *main_context;   /* NULL = the default context */
    agw_event_fn on_event;
    void *event_ud;
} agw_media_config_t;

/* GError domain and codes of every engine call: the Iq layer maps them to H.248 errors. */
GQuark agw_media_error_quark(void);
enum { AGW_ERR_INVAL = 1, AGW_ERR_RESOURCES, AGW_ERR_SYSTEM };

agw_media_t *agw_media_new(const agw_media_config_t *cfg, GError **err);
/* Frees every context (subtracting its terminations) and stops the workers. */
void agw_media_free(agw_media_t *m);
unsigned agw_media_worker_count(const agw_media_t *m);
/* "io_uring" or "epoll": the path the workers use. */
const char *agw_media_io_name(const agw_media_t *m);
/* "auto", "io_uring", "epoll" -> value; false if unknown. */
bool agw_media_io_parse(const char *s, agw_io_t *out);
/* "sha-256 AB:CD:..." as a=fingerprint carries it. */
const char *agw_media_fingerprint(const agw_media_t *m);
unsigned agw_media_context_count(const agw_media_t *m);

/* Configuration table for the daemon ("media" group) and its reader. Strings point into `cfg`. */
extern const rt_cfg_key_t agw_media_cfg_keys[];
void agw_media_cfg_check(const config_t *cfg, const char *group, GString *errors);
void agw_media_config_from_cfg(const config_t *cfg, const char *group, agw_media_config_t *out);

/* ---- contexts ------------------------------------------------------------------------------ */
/* `cid`: correlation id for logs (copied, may be NULL). Contexts are spread over workers. */
agw_ctx_t *agw_ctx_new(agw_media_t *m, const char *cid, void *user_data);
uint32_t agw_ctx_id(const agw_ctx_t *c);
void *agw_ctx_user_data(const agw_ctx_t *c);
const char *agw_ctx_cid(const agw_ctx_t *c);
agw_ctx_t *agw_ctx_lookup(agw_media_t *m, uint32_t id);
/* Subtracts what is left (statistics of the terminations not yet subtracted are lost: subtract
 * them first if needed) and frees the context. */
void agw_ctx_free(agw_ctx_t *c);

/* ---- terminations -------------------------------------------------------------------------- */
typedef struct {
    uint64_t packets; /* RTP packets */
    uint64_t octets;  /* RTP octets (header + payload, unencrypted size) */
    uint64_t rtcp_packets;
    int64_t lost;       /* rx only: RFC 3550 cumulative loss */
    uint64_t jitter_us; /* rx only: RFC 3550 interarrival jitter */
} agw_dir_stats_t;

typedef struct {
    agw_term_kind_t kind;
    agw_dir_stats_t rx, tx; /* rx: from the termination's remote peer; tx: toward it */
    uint64_t dropped;       /* received but not relayed (source, demux, PT, mode, not keyed) */
    uint64_t srtp_failures; /* SRTP/SRTCP unprotect failures (authentication, replay) */
    uint64_t stun_ok;       /* checks answered with success */
    uint64_t stun_rejected; /* checks answered with an error or ignored as unauthenticated */
} agw_term_stats_t;

typedef struct {
    /* ICE: NULL or "" = the peer does not do ICE (DTLS-SRTP straight to address:port). */
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fingerprint; /* "sha-256 AB:CD:..." (a=fingerprint value); NULL = not yet known */
    agw_setup_t setup;       /* the peer's a=setup */
    const char *address;     /* c= / m= address and port: without ICE, or a lite peer's default */
    uint16_t port;
    bool ice_lite;                 /* a=ice-lite: the peer never checks, we run the checks */
    const char *const *candidates; /* a=candidate values (no "candidate:"), for a lite peer */
    size_t ncandidates;
    agw_codecs_t codecs;    /* payload types as numbered on this leg */
    unsigned srtp_profiles; /* restrict the DTLS offer (AGW_SRTP_MASK bits); 0 = engine's */
} agw_w3_remote_t;

typedef struct {
    char ice_ufrag[16];
    char ice_pwd[32];
    char address[48];
    uint16_t port;
    char fingerprint[8 + 3 * 32]; /* "sha-256 AB:CD:..." */
    agw_setup_t setup;            /* our a=setup: actpass when offering, else active/passive */
    char candidate[128]; /* a=candidate value: "1 1 udp 2130706431 <addr> <port> typ host" */
} agw_w3_local_t;

/* remote == NULL: the AGW offers (a=setup:actpass; a ClientHello that arrives before the answer is
 * held until agw_w3_modify() brings the fingerprint). Otherwise the AGW answers. */
agw_term_t *agw_w3_add(agw_ctx_t *c, const agw_w3_remote_t *remote, agw_w3_local_t *local,
                       GError **err);
/* The peer's parameters (first time or changed). A new fingerprint or role restarts DTLS; a new
 * ufrag drops pairs validated with the old one. */
bool agw_w3_modify(agw_term_t *t, const agw_w3_remote_t *remote, GError **err);

typedef struct {
    const char *address; /* NULL: learn from the first packet (latching) */
    uint16_t port;
    uint16_t rtcp_port; /* 0 = port + 1 */
    agw_codecs_t codecs;
} agw_rtp_remote_t;

typedef struct {
    char address[48];
    uint16_t port;      /* even */
    uint16_t rtcp_port; /* port + 1 */
} agw_rtp_local_t;

agw_term_t *agw_rtp_add(agw_ctx_t *c, const agw_rtp_remote_t *remote, agw_rtp_local_t *local,
                        GError **err);
bool agw_rtp_modify(agw_term_t *t, const agw_rtp_remote_t *remote, GError **err);

/* The remote parameters (NULL: unchanged) and the stream mode in one step: a single hop to the
 * media worker, none when nothing changes. A new termination starts sendrecv. */
bool agw_w3_configure(agw_term_t *t, const agw_w3_remote_t *remote, agw_mode_t mode, GError **err);
bool agw_rtp_configure(agw_term_t *t, const agw_rtp_remote_t *remote, agw_mode_t mode,
                       GError **err);
/* A no-op when the mode is the one last set. */
void agw_term_set_mode(agw_term_t *t, agw_mode_t mode);
agw_term_kind_t agw_term_kind(const agw_term_t *t);
uint32_t agw_term_id(const agw_term_t *t);
agw_ctx_t *agw_term_ctx(const agw_term_t *t);
/* Live statistics (audit). */
void agw_term_stats(agw_term_t *t, agw_term_stats_t *out);
/* Removes the termination from its context and frees it; `out` (may be NULL) gets its final
 * statistics. */
void agw_term_subtract(agw_term_t *t, agw_term_stats_t *out);
/* The same for n terminations, with one wait per media worker involved (out[i] for ts[i]). */
void agw_terms_subtract(agw_term_t *const *ts, unsigned n, agw_term_stats_t *out);

/* Adds and Modifies are handed to the media workers without waiting: a worker runs its commands
 * in the order they were queued, and at the point of its event stream where it was woken for
 * them, before the datagrams that arrived after (uring.c, worker.c). So every packet sent after
 * agw_media_flush() returned is handled with the new parameters, which is what an H.248 reply
 * promises; an Add's sockets are armed by the command itself. Between defer and flush, posts do
 * not wake the workers: the Iq layer brackets an H.248 transaction with them, one wake-up per
 * worker for the whole transaction. A command that waits (statistics, Subtract) wakes its
 * worker at once. agw_media_sync() waits until every worker has run what was posted (tests). */
void agw_media_defer(agw_media_t *m);
void agw_media_flush(agw_media_t *m);
void agw_media_sync(agw_media_t *m);

#endif
