/* The MG's contexts and terminations (H.248.1 §6): the one table that owns them. Contexts are
 * numbered 1..0xFFFFFFFD; terminations are named "ip/w3/N" (toward the browser) and
 * "ip/rtp/N" (toward IMS), N from one counter. Allocating a termination reserves its media
 * transport through iq_media; freeing it (iq_term_free, the only place) releases the transport
 * and stops its timers. A context lives while it holds a termination (H.248.1 §6.1). */
#ifndef AGW_IQ_CTX_H
#define AGW_IQ_CTX_H
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "iq_media.h"
#include "runtime/metrics.h"

#define IQ_MAX_TERMS_PER_CTX 2 /* one W3 and one RTP (DESIGN.md "Iq") */
#define IQ_TERM_NAME_MAX 32
#define IQ_CID_MAX 64

typedef struct iq_table iq_table;
typedef struct iq_context iq_context;
typedef struct iq_term iq_term;

/* An event the MGC armed on a termination (Events descriptor), kept as its name and the
 * parameters we act on. */
typedef struct {
    char *name;         /* "adid/ipstop", "hangterm/thb", ... */
    unsigned detect_ms; /* adid/ipstop: detection time; 0: configured default */
} iq_armed_event;

struct iq_term {
    char name[IQ_TERM_NAME_MAX];
    iq_term_kind kind;
    iq_context *ctx;
    iq_table *table;
    void *media; /* media plane's handle */
    iq_transport tp;
    uint16_t stream_id; /* the stream id the MGC used (1 if none) */
    h248_mode mode;
    char *local_sdp;         /* the Local we answered (no "$") */
    char *remote_sdp;        /* the last Remote installed, NULL: none */
    sdpx_info local, remote; /* parsed; remote.audio < 0 when none */
    bool has_remote;
    char *realm; /* ipdc/realm as given, NULL: none */
    iq_dtls_role dtls_role;
    /* Events descriptor: request id and armed events (H.248.1 §7.1.9). */
    bool events_set;
    uint32_t events_rid;
    GPtrArray *events;    /* iq_armed_event* */
    unsigned heartbeat_s; /* hangterm/timerx (H.248.36), 0: none */
    guint heartbeat_timer;
    gint64 created_us; /* g_get_monotonic_time() at Add */
};

struct iq_context {
    uint32_t id;
    char cid[IQ_CID_MAX]; /* correlation id (from the MGC's wtpf/cid, else generated) */
    iq_term *terms[IQ_MAX_TERMS_PER_CTX];
    unsigned n_terms;
    void *media; /* media plane's session */
    iq_table *table;
};

/* Called when a termination's heartbeat timer fires or the media plane reports an event. */
typedef void (*iq_term_event_fn)(iq_term *t, iq_media_event ev, bool heartbeat, const char *detail,
                                 void *ud);

iq_table *iq_table_new(const iq_media *media, unsigned max_contexts, rt_metrics_t *metrics);
/* Frees every context (releasing the media) and the table. */
void iq_table_free(iq_table *tb);
void iq_table_set_event_cb(iq_table *tb, iq_term_event_fn fn, void *ud);
/* The function the media plane's adapter calls for events (term_ud is the iq_term). */
void iq_table_media_event(void *term_ud, iq_media_event ev, const char *detail, void *ud);
const iq_media *iq_table_media(const iq_table *tb);

/* NULL when max_contexts are in use or the id space is exhausted (412). */
iq_context *iq_ctx_new(iq_table *tb, const char *cid);
iq_context *iq_ctx_find(const iq_table *tb, uint32_t id);
/* Frees the context's terminations (their statistics are lost) and the context. */
void iq_ctx_free(iq_table *tb, iq_context *c);
/* Calls fn for each context in increasing id order. */
void iq_ctx_foreach(const iq_table *tb, void (*fn)(iq_context *c, void *ud), void *ud);
unsigned iq_ctx_count(const iq_table *tb);
/* Frees every context (MGC restart: its state is gone). */
void iq_ctx_free_all(iq_table *tb);

/* Reserves a termination of `kind` in `c`: name, media transport. NULL with *code and *reason (434
 * when the context is full, 510 from the media plane when no port is free, 500). */
iq_term *iq_term_new(iq_table *tb, iq_context *c, iq_term_kind kind, const iq_term_init *init,
                     unsigned *code, const char **reason);
iq_term *iq_term_find(const iq_table *tb, const char *name);
/* Removes the termination from its context and the table, stops its timers and releases its
 * transport; `final` (may be NULL) gets the last statistics. Does not free the context. */
void iq_term_free(iq_table *tb, iq_term *t, iq_stats *final);
/* The same for n terminations at once (final[i] for ts[i]; final may be NULL): the backend
 * may release them together (one wait for the media worker instead of n). */
void iq_terms_free(iq_table *tb, iq_term *const *ts, unsigned n, iq_stats *final);
unsigned iq_term_count(const iq_table *tb, iq_term_kind kind);
const char *iq_term_kind_name(iq_term_kind k); /* "w3", "rtp" */

/* Replaces the termination's armed events (takes ownership of `events`, may be NULL). */
void iq_term_set_events(iq_term *t, uint32_t rid, GPtrArray *events);
const iq_armed_event *iq_term_armed(const iq_term *t, const char *name);
/* (Re)starts or stops (0) the periodic hangterm/thb heartbeat. */
void iq_term_set_heartbeat(iq_term *t, unsigned seconds);
void iq_armed_event_free(gpointer p);

#endif
