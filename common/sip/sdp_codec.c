/* Codec choice for the rewrites: the allow list (what the AGW can relay without transcoding),
 * answer-to-offer payload type mapping (RFC 3264 §6.1), telephone-event/CN pruning (RFC 4733)
 * and RFC 5761 §4 payload type renumbering for rtcp-mux. */
#include "sdp_rewrite_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* DESIGN.md "Codecs": G.711 and telephone-event/8000 end to end in the first milestone. */
static const char *const default_allow[] = {"PCMU/8000", "PCMA/8000", "telephone-event/8000", NULL};
static const char *const opus_allow[] = {"opus/48000/2", "telephone-event/48000", NULL};

/* "name/rate[/channels]" against a codec; channels default to 1 on both sides. */
static bool spec_matches(const char *spec, const sdpx_codec *c)
{
    const char *slash = strchr(spec, '/');
    if (!slash || !c->name) return false;
    size_t nl = (size_t)(slash - spec);
    if (strlen(c->name) != nl || strncasecmp(spec, c->name, nl) != 0) return false;
    char *end;
    unsigned long rate = strtoul(slash + 1, &end, 10);
    unsigned long ch = 1;
    if (*end == '/') ch = strtoul(end + 1, NULL, 10);
    return rate == c->rate && ch == c->channels;
}

static bool in_list(const char *const *list, const sdpx_codec *c)
{
    for (; list && *list; list++)
        if (spec_matches(*list, c)) return true;
    return false;
}

bool sdpx_filter_allows(const sdpx_codec_filter *f, const sdpx_codec *c)
{
    if (!f) return true;
    if (in_list(f->allow ? f->allow : default_allow, c)) return true;
    return f->allow_opus && in_list(opus_allow, c);
}

bool sdpx_codec_same(const sdpx_codec *a, const sdpx_codec *b)
{
    return a->name && b->name && a->name[0] && !strcasecmp(a->name, b->name) &&
           a->rate == b->rate && a->channels == b->channels;
}

static bool pt_used(const sdpx_picks *p, unsigned pt)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].pt == pt) return true;
    return false;
}

void sdpx_pick_filtered(const sdpx_info *src, const sdpx_codec_filter *f, sdpx_picks *out)
{
    out->n = 0;
    for (size_t i = 0; i < src->n_codecs; i++) {
        const sdpx_codec *c = &src->codecs[i];
        if (!sdpx_filter_allows(f, c) || pt_used(out, c->pt)) continue;
        out->v[out->n].c = c;
        out->v[out->n].pt = c->pt;
        out->n++;
    }
}

/* An answer codec matches the offer's codec of the same name/rate/channels; an answer that
 * names no encoding for a dynamic payload type can only mean the offer's same number. */
static const sdpx_codec *offer_match(const sdpx_info *offer, const sdpx_codec *c)
{
    for (size_t i = 0; i < offer->n_codecs; i++)
        if (sdpx_codec_same(&offer->codecs[i], c)) return &offer->codecs[i];
    if (!c->name || !c->name[0]) {
        for (size_t i = 0; i < offer->n_codecs; i++)
            if (offer->codecs[i].pt == c->pt) return &offer->codecs[i];
    }
    return NULL;
}

void sdpx_pick_mapped(const sdpx_info *answer, const sdpx_info *offer, const sdpx_codec_filter *f,
                      sdpx_picks *out)
{
    out->n = 0;
    for (size_t i = 0; i < answer->n_codecs; i++) {
        const sdpx_codec *c = &answer->codecs[i];
        const sdpx_codec *o = offer_match(offer, c);
        if (!o || !sdpx_filter_allows(f, o) || pt_used(out, o->pt)) continue;
        /* Name, rate and channels as offered; fmtp as the answerer asks to receive. */
        out->v[out->n].c = (c->name && c->name[0]) ? c : o;
        out->v[out->n].pt = o->pt;
        out->n++;
    }
}

static bool is_aux(const sdpx_codec *c)
{
    return c->name && (!strcasecmp(c->name, "telephone-event") || !strcasecmp(c->name, "CN"));
}

sdpx_status sdpx_picks_finish(sdpx_picks *p)
{
    size_t k = 0, primaries = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!is_aux(p->v[i].c)) primaries++;
    if (primaries == 0) {
        p->n = 0;
        return SDPX_E_NO_CODEC;
    }
    for (size_t i = 0; i < p->n; i++) {
        bool keep = true;
        if (is_aux(p->v[i].c)) {
            /* RFC 4733 §2.5.1.1 / RFC 3389: events and comfort noise share the clock of the
             * audio codec they go with. */
            keep = false;
            for (size_t j = 0; j < p->n; j++)
                if (!is_aux(p->v[j].c) && p->v[j].c->rate == p->v[i].c->rate) keep = true;
        }
        if (keep) p->v[k++] = p->v[i];
    }
    p->n = k;
    return SDPX_OK;
}

void sdpx_picks_mux_safe(sdpx_picks *p)
{
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        unsigned pt = p->v[i].pt;
        if (pt >= 64 && pt <= 95) {
            unsigned cand = 0;
            for (unsigned x = 96; x <= 127 && !cand; x++)
                if (!pt_used(p, x)) cand = x;
            for (unsigned x = 35; x <= 63 && !cand; x++)
                if (!pt_used(p, x)) cand = x;
            if (!cand) continue; /* no number left: drop the codec */
            p->v[i].pt = cand;
        }
        p->v[k++] = p->v[i];
    }
    p->n = k;
}
