/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Parse once: the SDPs one anchor works with during an offer/answer exchange (the offer, the
 * answer, the AGW's Local descriptors, the Remotes we installed) are each classified once and
 * the sdpx_info is reused by every step that needs it (Iq descriptors, rewrite toward each
 * side, directions, DTLS roles, ICE restarts). Keyed by the text itself: a changed SDP is a new
 * entry. Pure (no I/O); unit-tested in tests/unit/pcscf/test_anchor_sdp.c. */
#ifndef PCSCF_ANCHOR_SDP_H
#define PCSCF_ANCHOR_SDP_H

#include "sip/sdp_rewrite.h"

/* Entries kept; the least recently used one goes. A caller may hold up to SLOTS - 1 results
 * of anchor_sdps_get() at once (later calls never evict them). */
#define ANCHOR_SDPS_SLOTS 8

typedef struct anchor_sdps anchor_sdps;

anchor_sdps *anchor_sdps_new(void);
void anchor_sdps_free(anchor_sdps *c);

/* sdpx_classify(text, strlen(text), flags) remembered: the info (owned by the cache, valid
 * until anchor_sdps_free() or SLOTS - 1 further distinct look-ups) or NULL when the text does
 * not parse or is NULL (*st, when st is not NULL, says why). A strict (flags 0) success also
 * answers an SDPX_F_LENIENT look-up of the same text (the lenient parse accepts more and reads
 * the same values). */
const sdpx_info *anchor_sdps_get(anchor_sdps *c, const char *text, unsigned flags,
                                 sdpx_status *st);

/* How many texts were classified (misses), for tests. */
unsigned anchor_sdps_parsed(const anchor_sdps *c);

#endif
