/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The per-anchor memo of classified SDPs (see anchor_sdp.h). */
#include "pcscf/anchor_sdp.h"

#include <glib.h>
#include <string.h>

typedef struct {
    char *text; /* NULL: free slot */
    size_t len;
    unsigned flags;
    sdpx_status st;
    unsigned used; /* last use, for LRU */
    sdpx_info info;
} slot;

struct anchor_sdps {
    slot v[ANCHOR_SDPS_SLOTS];
    unsigned clock;
    unsigned parsed;
};

anchor_sdps *anchor_sdps_new(void)
{
    return g_new0(anchor_sdps, 1);
}

void anchor_sdps_free(anchor_sdps *c)
{
    if (!c) return;
    for (size_t i = 0; i < ANCHOR_SDPS_SLOTS; i++) {
        if (!c->v[i].text) continue;
        g_free(c->v[i].text);
        sdpx_info_clear(&c->v[i].info);
    }
    g_free(c);
}

static bool answers(const slot *s, const char *text, size_t len, unsigned flags)
{
    if (!s->text || s->len != len || memcmp(s->text, text, len) != 0) return false;
    return s->flags == flags || (flags == SDPX_F_LENIENT && s->flags == 0 && s->st == SDPX_OK);
}

const sdpx_info *anchor_sdps_get(anchor_sdps *c, const char *text, unsigned flags,
                                 sdpx_status *st)
{
    if (!text) {
        if (st) *st = SDPX_E_INVAL;
        return NULL;
    }
    size_t len = strlen(text);
    slot *victim = &c->v[0];
    for (size_t i = 0; i < ANCHOR_SDPS_SLOTS; i++) {
        slot *s = &c->v[i];
        if (answers(s, text, len, flags)) {
            s->used = ++c->clock;
            if (st) *st = s->st;
            return s->st == SDPX_OK ? &s->info : NULL;
        }
        /* the first free slot, else the least recently used */
        if (!s->text) {
            if (victim->text) victim = s;
        } else if (victim->text && s->used < victim->used) {
            victim = s;
        }
    }
    if (victim->text) {
        g_free(victim->text);
        sdpx_info_clear(&victim->info);
    }
    victim->text = g_strndup(text, len);
    victim->len = len;
    victim->flags = flags;
    victim->st = sdpx_classify(text, len, flags, &victim->info);
    victim->used = ++c->clock;
    c->parsed++;
    if (st) *st = victim->st;
    return victim->st == SDPX_OK ? &victim->info : NULL;
}

unsigned anchor_sdps_parsed(const anchor_sdps *c)
{
    return c->parsed;
}
