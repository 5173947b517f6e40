/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * What the anchor unit tests collect from the anchor's callbacks (the SDP step's result, the
 * final statistics) and two text helpers for their assertions. Shared by
 * tests/unit/pcscf/test_anchor*.c. */
#ifndef TEST_ANCHOR_RES_H
#define TEST_ANCHOR_RES_H

#include <glib.h>
#include <string.h>

#include "pcscf/anchor.h"

typedef struct {
    int calls;
    anchor_status st;
    char *sdp, *detail;
} res_t;

static inline void res_clear(res_t *r)
{
    g_free(r->sdp);
    g_free(r->detail);
    memset(r, 0, sizeof *r);
}

static inline void on_sdp(anchor_t *a, anchor_status st, const char *sdp, const char *detail,
                          void *ud)
{
    res_t *r = ud;
    r->calls++;
    r->st = st;
    g_free(r->sdp);
    g_free(r->detail);
    r->sdp = g_strdup(sdp);
    r->detail = g_strdup(detail);
}

typedef struct {
    int calls;
    anchor_status st;
    anchor_stats_t s;
} stats_res_t;

static inline void on_stats(anchor_t *a, anchor_status st, const anchor_stats_t *s, void *ud)
{
    stats_res_t *r = ud;
    r->calls++;
    r->st = st;
    r->s = *s;
}

/* s with every `from` replaced by `to` (g_free it) */
static inline char *replace(const char *s, const char *from, const char *to)
{
    char **parts = g_strsplit(s, from, -1);
    char *o = g_strjoinv(to, parts);
    g_strfreev(parts);
    return o;
}

static inline int occurrences(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + 1, needle))
        n++;
    return n;
}

#endif
