/* A command's descriptors as the MG profile reads them (docs/IQ-PROFILE.md §4-§6): TerminationState
 * and LocalControl properties (realm, correlation id, hangterm timer, accepted packages), the
 * single stream's Local/Remote/Mode, armed events with their parameters, and the checks that
 * answer 440/445/446/447/449/451/452; plus the Statistics descriptor of a termination (§7) and the
 * H.248 error a command answers with. */
#ifndef AGW_IQ_DESC_H
#define AGW_IQ_DESC_H
#include <stdbool.h>
#include <stdint.h>

#include "h248/codec.h"
#include "iq_ctx.h"
#include "iq_sdp.h"

/* The H.248 error a command fails with. */
typedef struct {
    unsigned code;
    bool replied; /* the command reply with the Error is already in the reply action */
    char text[IQ_REASON_MAX];
} iq_err;

/* Sets *e (the text made safe for an Error descriptor) and returns false. */
bool iq_err_set(iq_err *e, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a request command says (pointers into the command, which must outlive it). */
typedef struct {
    bool has_stream;
    uint16_t stream_id; /* 0: the id-less form */
    const char *local, *remote;
    h248_mode mode; /* NONE: not given */
    const char *realm, *cid;
    int timerx; /* -1: not given */
    bool has_events;
    uint32_t rid;
    GPtrArray *events; /* iq_armed_event*, NULL: Events cleared or not given */
} iq_desc;

/* Reads `cmd` (root: a command on ROOT, where only it/ito events are allowed). False with *e;
 * on success release with iq_desc_clear(). cid_property may be NULL. */
bool iq_desc_read(const h248_command *cmd, bool root, const char *cid_property, iq_desc *d,
                  iq_err *e);
void iq_desc_clear(iq_desc *d);

/* Appends the Statistics of a termination (H.248.1 Annex E.11/E.12 and wtpf/ names). */
void iq_desc_add_stats(h248_command *r, const iq_stats *s, uint64_t dur_ms);

#endif
