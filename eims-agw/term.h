/* Internal structures of the media engine shared by media.c (control, main thread), worker.c
 * (threads, batch I/O, timers), w3_term.c and rtp_term.c (per-termination packet handling).
 * After agw_*_add() hands a termination to its worker, only that worker touches its mutable
 * fields; the main thread reads the immutable ones (ids, kind, ports, local parameters). */
#ifndef AGW_TERM_H
#define AGW_TERM_H
#include <stdatomic.h>
#include <sys/socket.h>

#include "dtls.h"
#include "media.h"
#include "rtp.h"
#include "srtp_ctx.h"
#include "stun.h"

typedef struct agw_worker agw_worker_t;

/* intrusive doubly linked list */
typedef struct agw_link {
    struct agw_link *prev, *next;
} agw_link_t;
static inline void agw_list_init(agw_link_t *h)
{
    h->prev = h->next = h;
}
static inline bool agw_list_linked(const agw_link_t *l)
{
    return l->next != NULL && l->next != l;
}
static inline void agw_list_add(agw_link_t *h, agw_link_t *l)
{
    l->next = h;
    l->prev = h->prev;
    h->prev->next = l;
    h->prev = l;
}
static inline void agw_list_del(agw_link_t *l)
{
    if (!l->next) return;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = NULL;
}
#define agw_container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

/* What an epoll event points at. */
enum { AGW_EP_W3 = 0, AGW_EP_RTP, AGW_EP_RTCP };
typedef struct {
    int fd;
    uint8_t kind;
    agw_term_t *term;
} agw_ep_t;

/* Reasons a received packet is not relayed (metrics label "reason"). */
typedef enum {
    AGW_DROP_DEMUX = 0, /* first byte matches nothing we speak (RFC 7983) */
    AGW_DROP_SOURCE,    /* not from the latched / ICE-validated address */
    AGW_DROP_MALFORMED, /* bad RTP/RTCP header */
    AGW_DROP_NOT_READY, /* SRTP not keyed yet, no peer termination, no destination */
    AGW_DROP_SRTP,      /* unprotect failed (authentication / replay) */
    AGW_DROP_PT,        /* payload type not negotiated on the other leg */
    AGW_DROP_MODE,      /* stream mode forbids it, or consent lost */
    AGW_DROP_SEND,      /* the kernel refused the datagram */
    AGW_DROP_COUNT
} agw_drop_t;
extern const char *const agw_drop_names[AGW_DROP_COUNT];

/* Direction index: received on kind a, sent on kind b -> a * 2 + b. */
#define AGW_DIR(a, b) ((unsigned)(a)*2u + (unsigned)(b))
#define AGW_DIRS 4
extern const char *const agw_dir_names[AGW_DIRS];

/* Per-worker counters: written only by the worker (relaxed stores, no lock prefix), read by the
 * metrics collector on the main thread. */
typedef struct {
    uint64_t packets[AGW_DIRS];
    uint64_t octets[AGW_DIRS];
    uint64_t rtcp[AGW_DIRS];
    uint64_t lost[AGW_DIRS];
    uint64_t srtp_fail[AGW_DIRS];
    uint64_t dropped[AGW_DROP_COUNT];
    uint64_t stun_ok, stun_rejected;
    uint64_t dtls_ok, dtls_failed;
} agw_counters_t;
#define AGW_CNT_ADD(field, n)                                                                      \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#define AGW_CNT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ICE-lite state of a W3 termination. */
#define AGW_ICE_MAX_PAIRS 4
typedef struct {
    agw_addr_t addr;
    uint64_t ufrag_hash; /* remote ufrag that validated this address */
    int64_t last_check;
} agw_ice_pair_t;

typedef struct {
    /* local */
    char ufrag[16];
    char pwd[32];
    agw_setup_t local_setup; /* as advertised: ACTPASS (offer), ACTIVE, PASSIVE */
    /* remote */
    bool remote_known; /* the peer's SDP was applied at least once */
    bool ice;          /* false: DTLS-SRTP to a fixed address without ICE */
    bool remote_ufrag_set;
    char remote_ufrag[AGW_ICE_UFRAG_MAX + 1];
    uint64_t remote_ufrag_hash;
    agw_fingerprint_t remote_fp;
    agw_setup_t remote_setup;
    unsigned profiles;
    /* ICE pairs: validated source addresses; `selected` is where we send */
    agw_ice_pair_t pairs[AGW_ICE_MAX_PAIRS];
    unsigned npairs;
    int selected; /* index in pairs, -1 = none */
    bool nominated;
    int64_t last_consent;
    bool consent_lost;
    /* Our own checks, only toward a lite peer (RFC 8445 §6.1.1: toward a lite agent we act as
     * the full one; RFC 7675 consent from the answers to them). role LITE = we only answer. */
    agw_ice_role_t role;
    uint64_t tie_breaker;
    char remote_pwd[AGW_ICE_PWD_MAX + 1];
    agw_addr_t cand;  /* the peer's candidate we check (SDP, or peer-reflexive) */
    bool ck_pending;  /* a transaction is in flight (retransmitted from the timer list) */
    bool ck_nominate; /* it carries USE-CANDIDATE */
    bool ck_ok;       /* a check toward `cand` succeeded */
    uint8_t ck_tid[12];
    unsigned ck_sent;   /* transmissions of the pending transaction */
    int64_t ck_next;    /* its next retransmission */
    int64_t ck_consent; /* when the next consent check is due */
    /* DTLS */
    agw_dtls_t *dtls;
    bool dtls_client;
    bool dtls_done;         /* CONNECTED and SRTP keyed, FAILED or CLOSED: events sent */
    unsigned dtls_restarts; /* new ClientHellos toward a lite peer that was not ready */
    agw_addr_t dtls_peer;
    agw_link_t hs_link; /* in the worker's handshaking list while retransmissions pend */
    uint8_t *held;      /* ClientHello held until the fingerprint is known (RFC 5763 §5) */
    size_t held_len;
    agw_addr_t held_src;
    /* SRTP */
    bool srtp_ready;
    agw_srtp_t srtp;
} agw_w3_t;

typedef struct {
    agw_addr_t remote; /* from SDP; len 0 = unknown */
    agw_addr_t remote_rtcp;
    agw_latch_t latch; /* RTP source */
    agw_latch_t rtcp_latch;
} agw_rtp_t;

struct agw_term {
    /* immutable after add */
    uint32_t id;
    agw_term_kind_t kind;
    agw_ctx_t *ctx;
    agw_worker_t *worker;
    uint16_t port;
    agw_addr_t local;
    unsigned nep;
    agw_ep_t ep[2]; /* W3: ep[0]; RTP: ep[0] = RTP, ep[1] = RTCP */
    char cid[24];
    /* main-thread-owned */
    agw_mode_t main_mode; /* the mode last handed to the worker: a same-mode update is no hop */
    /* worker-owned */
    agw_term_t *peer; /* the other termination of the context */
    agw_mode_t mode;
    agw_codecs_t codecs;
    agw_pt_map_t map; /* PT of packets received here -> PT on the peer leg */
    agw_rx_stats_t rxs;
    agw_term_stats_t stats;
    int64_t created;
    int64_t last_media;
    bool no_media_reported;
    bool watched;    /* worker: agw_worker_watch() succeeded */
    agw_link_t link; /* in the worker's list of terminations */
    union {
        agw_w3_t w3;
        agw_rtp_t rtp;
    } u;
};

struct agw_ctx {
    uint32_t id;
    agw_media_t *m;
    agw_worker_t *worker;
    void *user_data;
    char cid[24];
    agw_term_t *terms[2];
};

/* ---- engine internals used across files ---------------------------------------------------- */
typedef struct {
    agw_event_type_t type;
    uint32_t ctx_id, term_id;
    unsigned idle_ms;
    char reason[96];
    char profile[40];
    char peer[64];
} agw_event_msg_t;

/* media.c */
void agw_media_post_event(agw_media_t *m, const agw_event_msg_t *ev);
const agw_media_config_t *agw_media_cfg(const agw_media_t *m);
gnutls_certificate_credentials_t agw_media_cred(const agw_media_t *m);

/* worker.c */
agw_worker_t *agw_worker_new(agw_media_t *m, unsigned index, agw_io_t io, GError **err);
bool agw_worker_uses_uring(const agw_worker_t *w);
void agw_worker_free(agw_worker_t *w);
typedef void (*agw_worker_fn)(agw_worker_t *w, void *arg);
/* Runs fn(w, arg) on the worker thread and waits for it. */
void agw_worker_call(agw_worker_t *w, agw_worker_fn fn, void *arg);
/* Queues fn(w, copy of arg[0..len)) for the worker thread and returns at once. Commands run in
 * the order they were queued, synchronous or not, so a later agw_worker_call() sees the effect
 * of every earlier post. Used for what the main thread needs no answer to (Add, Modify): the
 * caller does not sleep on the worker's wake-up. */
void agw_worker_post(agw_worker_t *w, agw_worker_fn fn, const void *arg, size_t len);
/* Between defer and flush, posts queue without waking the worker (one wake-up for all the
 * commands of an H.248 transaction); agw_worker_call() still wakes it. With `wait`, flush
 * returns once the worker has run every command posted so far. Main thread only. */
void agw_worker_defer(agw_worker_t *w);
void agw_worker_flush(agw_worker_t *w, bool wait);
/* How many hops (call + post) other threads made, and how many of them waited (tests). */
unsigned long agw_worker_calls(const agw_worker_t *w);
unsigned long agw_worker_waits(const agw_worker_t *w);
const agw_counters_t *agw_worker_counters(const agw_worker_t *w);
int64_t agw_worker_now(const agw_worker_t *w);
bool agw_worker_watch(agw_worker_t *w, agw_term_t *t); /* epoll add + term list */
void agw_worker_unwatch(agw_worker_t *w, agw_term_t *t);
void agw_worker_hs_arm(agw_worker_t *w, agw_term_t *t); /* DTLS timer pending */
void agw_worker_hs_disarm(agw_worker_t *w, agw_term_t *t);
agw_counters_t *agw_worker_cnt(agw_worker_t *w);
/* Relay of one packet received on `from` (plain RTP/RTCP in buf, room for SRTP growth). */
void agw_worker_relay(agw_worker_t *w, agw_term_t *from, uint8_t *buf, size_t len, bool rtcp);
void agw_worker_drop(agw_worker_t *w, agw_term_t *t, agw_drop_t why);
void agw_worker_event(agw_worker_t *w, agw_term_t *t, agw_event_type_t type, const char *reason,
                      const char *profile, const agw_addr_t *peer, unsigned idle_ms);
/* Sends one datagram right away (STUN answers, DTLS flights). */
void agw_worker_sendto(agw_worker_t *w, int fd, const uint8_t *buf, size_t len,
                       const agw_addr_t *to);

/* w3_term.c (worker thread) */
typedef struct {
    bool ice;
    char ufrag[AGW_ICE_UFRAG_MAX + 1];
    agw_fingerprint_t fp;
    agw_setup_t setup;
    agw_addr_t addr;
    agw_codecs_t codecs;
    unsigned profiles;
    bool lite;                     /* a=ice-lite: we run the checks */
    char pwd[AGW_ICE_PWD_MAX + 1]; /* the peer's ice-pwd (keys our checks) */
    agw_addr_t cand;               /* its candidate (len 0: none usable) */
} agw_w3_remote_int_t;
void agw_w3_init(agw_term_t *t);
void agw_w3_apply_remote(agw_worker_t *w, agw_term_t *t, const agw_w3_remote_int_t *r);
void agw_w3_rx(agw_worker_t *w, agw_term_t *t, uint8_t *buf, size_t len, const agw_addr_t *src);
/* Runs from the worker's 10 ms timer list: DTLS retransmissions and our STUN retransmissions. */
void agw_w3_dtls_timer(agw_worker_t *w, agw_term_t *t, int64_t now);
void agw_w3_housekeeping(agw_worker_t *w, agw_term_t *t, int64_t now);
void agw_w3_clear(agw_worker_t *w, agw_term_t *t);
/* Where SRTP goes, NULL when no pair is selected or consent is lost. */
const agw_addr_t *agw_w3_dest(const agw_term_t *t);

/* rtp_term.c (worker thread) */
typedef struct {
    agw_addr_t addr, rtcp;
    agw_codecs_t codecs;
} agw_rtp_remote_int_t;
void agw_rtp_apply_remote(agw_worker_t *w, agw_term_t *t, const agw_rtp_remote_int_t *r);
void agw_rtp_rx(agw_worker_t *w, agw_term_t *t, uint8_t *buf, size_t len, const agw_addr_t *src,
                bool rtcp);
const agw_addr_t *agw_rtp_dest(const agw_term_t *t, bool rtcp);

/* Common per-termination bookkeeping (worker.c). */
void agw_term_rx_rtp(agw_worker_t *w, agw_term_t *t, const agw_rtp_hdr_t *h, size_t len);
void agw_term_rebuild_maps(agw_term_t *t);

#endif
