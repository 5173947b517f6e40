/* Internals shared by the SDP rewrite files (sdp_info.c, sdp_codec.c, sdp_build.c,
 * sdp_rewrite.c, sdp_webrtc.c, sdp_iq.c): codec picking, the sofia-sip session builder and a
 * small text buffer for the "$" templates. Not part of the public API. */
#ifndef SIP_SDP_REWRITE_INT_H
#define SIP_SDP_REWRITE_INT_H

#include "sdp_rewrite.h"

#include <sofia-sip/sdp.h>
#include <stdarg.h>

/* ---- sdp_info.c ---- */
bool sdpx_addr_ok(const char *addr);          /* IP literal or host name, no "$" */
bool sdpx_text_ok(const char *s, size_t max); /* printable, no CR/LF, non-empty */
bool sdpx_ice_ok(const char *ufrag, const char *pwd);
bool sdpx_fingerprint_ok(const char *hash, const char *value);
bool sdpx_is_audio_rtp_proto(const char *proto); /* RTP/AVP, RTP/AVPF */
bool sdpx_is_dtls_srtp_proto(const char *proto); /* UDP/TLS/RTP/SAVP, UDP/TLS/RTP/SAVPF */

/* ---- sdp_codec.c ---- */
typedef struct {
    const sdpx_codec *c; /* name, rate, channels and fmtp to write */
    unsigned pt;         /* payload type to write */
} sdpx_pick;

typedef struct {
    size_t n;
    sdpx_pick v[SDPX_MAX_CODECS];
} sdpx_picks;

bool sdpx_filter_allows(const sdpx_codec_filter *f, const sdpx_codec *c);
bool sdpx_codec_same(const sdpx_codec *a, const sdpx_codec *b);
/* The audio codecs of `src` that `f` allows (f NULL: all), payload types unchanged. */
void sdpx_pick_filtered(const sdpx_info *src, const sdpx_codec_filter *f, sdpx_picks *out);
/* The codecs of `answer` that `f` allows and that `offer` has, written with the offer's
 * payload type (RFC 3264 §6.1) and the answer's fmtp. */
void sdpx_pick_mapped(const sdpx_info *answer, const sdpx_info *offer, const sdpx_codec_filter *f,
                      sdpx_picks *out);
/* Drops telephone-event/CN without a kept codec of the same rate; SDPX_E_NO_CODEC when no
 * other codec is left. */
sdpx_status sdpx_picks_finish(sdpx_picks *p);
/* RFC 5761 §4: moves payload types 64..95 to free numbers (96..127, then 35..63). */
void sdpx_picks_mux_safe(sdpx_picks *p);

/* ---- sdp_build.c: an sdp_session_t assembled in a su_home and printed by sofia-sip ---- */
/* The home lives in `area` (su_home_auto(): no malloc until a rewrite outgrows it, then sofia-sip
 * falls back to malloc), so an sdpx_bld must stay where it was initialised (a local variable). */
#define SDPX_BLD_AREA 8192
typedef struct {
    su_home_t *home;
    sdp_session_t *s;
    sdp_attribute_t **sattr; /* session attribute tail */
    sdp_media_t **mtail;
    sdp_media_t *m;          /* current media */
    sdp_attribute_t **mattr; /* current media attribute tail */
    sdp_list_t **ftail;      /* current media format tail */
    bool oom;
    void *area[SDPX_BLD_AREA / sizeof(void *)]; /* last: not cleared */
} sdpx_bld;

bool sdpx_bld_init(sdpx_bld *b, const char *o_user, uint64_t o_id, uint64_t o_version,
                   const char *o_addr);
void sdpx_bld_sconn(sdpx_bld *b, const char *addr);
void sdpx_bld_sattr(sdpx_bld *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sdpx_bld_media(sdpx_bld *b, const char *media, unsigned port, const char *proto);
void sdpx_bld_fmt(sdpx_bld *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sdpx_bld_fmt_list(sdpx_bld *b, const char *space_separated);
void sdpx_bld_mconn(sdpx_bld *b, const char *addr);
void sdpx_bld_bw_as(sdpx_bld *b, unsigned kbps);
void sdpx_bld_mattr(sdpx_bld *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sdpx_bld_pick_fmts(sdpx_bld *b, const sdpx_picks *p);
void sdpx_bld_pick_attrs(sdpx_bld *b, const sdpx_picks *p); /* a=rtpmap + a=fmtp */
void sdpx_bld_ptime(sdpx_bld *b, const sdpx_info *src);     /* a=ptime, a=maxptime */
/* Prints with sofia-sip into a malloc'd string and releases the builder in every case. */
sdpx_status sdpx_bld_finish(sdpx_bld *b, char **out);
void sdpx_bld_free(sdpx_bld *b);

/* ---- sdp_build.c: text buffer for the Iq "$" templates ---- */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} sdpx_text;

void sdpx_text_add(sdpx_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
sdpx_status sdpx_text_finish(sdpx_text *t, char **out);

/* ---- shared steps ---- */
/* Parses two inputs in one go, clearing both on failure. */
sdpx_status sdpx_classify2(const char *a, size_t alen, unsigned aflags, sdpx_info *ai,
                           const char *b, size_t blen, unsigned bflags, sdpx_info *bi);

#endif
