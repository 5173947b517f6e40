/* SDP rewrite helpers the pcscf uses to anchor WebRTC media in the eIMS-AGW (SPECS.md §3, §6):
 * classify an SDP, rewrite WebRTC <-> plain RTP/AVP, and build the SDP that goes into the Iq
 * (H.248) Local/Remote descriptors. Pure: SDP text in, SDP text out; parsing and printing are
 * sofia-sip's (<sofia-sip/sdp.h>); no I/O, no logging, no globals. */
#ifndef SIP_SDP_REWRITE_H
#define SIP_SDP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Public names use the prefix sdpx_: sofia-sip already owns sdp_* (sdp_parse, sdp_print,
 * sdp_session_t, sdp_media_t, ...). */

#define SDPX_MAX_SDP 65536     /* larger input is refused (SDPX_E_TOO_LARGE) */
#define SDPX_MAX_MLINES 16     /* more m= lines: SDPX_E_LIMIT (an answer must mirror them all) */
#define SDPX_MAX_CODECS 32     /* audio formats kept per m= line; further ones are ignored */
#define SDPX_MAX_CANDIDATES 16 /* a=candidate lines kept; further ones are ignored */
#define SDPX_DEFAULT_B_AS 80   /* kbit/s: G.711 at 20 ms plus IP/UDP/RTP overhead (24.229 §6.1) */

typedef enum {
    SDPX_OK = 0,
    SDPX_E_INVAL,      /* bad argument from the caller (NULL, port 0, malformed address, ...) */
    SDPX_E_TOO_LARGE,  /* input longer than SDPX_MAX_SDP */
    SDPX_E_SYNTAX,     /* not SDP: our line check or sofia-sip's parser refused it */
    SDPX_E_LIMIT,      /* more than SDPX_MAX_MLINES m= lines */
    SDPX_E_NO_AUDIO,   /* no audio m= line with a non-zero port */
    SDPX_E_PROTO,      /* audio transport is neither RTP/AVP(F) nor UDP/TLS/RTP/SAVP(F) */
    SDPX_E_NO_CODEC,   /* no usable audio codec left after filtering / matching */
    SDPX_E_ICE,        /* ice-ufrag / ice-pwd missing or malformed (RFC 8839 §5.4) */
    SDPX_E_DTLS,       /* fingerprint missing/malformed, or incompatible a=setup (RFC 5763 §5) */
    SDPX_E_RTCP_MUX,   /* WebRTC side without a=rtcp-mux: the AGW's W3 port is single (§3.6) */
    SDPX_E_MISMATCH,   /* answer does not fit its offer */
    SDPX_E_INCOMPLETE, /* an AGW descriptor lacks a value or still holds "$" */
    SDPX_E_NOMEM,
    SDPX_E_PRINT, /* sofia-sip's printer failed (a bug on our side) */
} sdpx_status;

const char *sdpx_strerror(sdpx_status st);

/* ---------------------------------------------------------------------------------------------
 * 1. Classification and extraction
 * ------------------------------------------------------------------------------------------- */

typedef enum {
    SDPX_KIND_NONE = 0, /* no active audio m= line (every audio line has port 0, or none) */
    SDPX_KIND_RTP,      /* audio over RTP/AVP or RTP/AVPF: the IMS side */
    SDPX_KIND_WEBRTC,   /* audio over UDP/TLS/RTP/SAVP(F): DTLS-SRTP, the WebRTC side */
    SDPX_KIND_OTHER,    /* anything else (RTP/SAVP with SDES, TCP/DTLS, udptl, ...) */
} sdpx_kind;

typedef enum {
    SDPX_DIR_SENDRECV = 0, /* RFC 4566 §6: the default when no direction attribute is present */
    SDPX_DIR_SENDONLY,
    SDPX_DIR_RECVONLY,
    SDPX_DIR_INACTIVE,
} sdpx_dir;

typedef enum {
    SDPX_SETUP_NONE = 0, /* no a=setup */
    SDPX_SETUP_ACTPASS,
    SDPX_SETUP_ACTIVE,
    SDPX_SETUP_PASSIVE,
    SDPX_SETUP_HOLDCONN,
} sdpx_setup;

typedef struct {
    unsigned pt;       /* RTP payload type, 0..127 */
    char *name;        /* encoding name as written ("opus", "PCMU"); "" if a dynamic PT has no
                        * rtpmap; static PTs without rtpmap get their RFC 3551 name */
    unsigned rate;     /* clock rate, 0 when unknown */
    unsigned channels; /* 1 when not written */
    char *fmtp;        /* a=fmtp parameters, NULL when absent */
} sdpx_codec;

typedef struct {
    char *media; /* "audio", "video", "application", ... */
    unsigned port;
    char *proto; /* "RTP/AVP", "UDP/TLS/RTP/SAVPF", ... */
    char *fmts;  /* format list as on the m= line, single-space separated */
    char *mid;   /* a=mid value, NULL when absent */
} sdpx_mline;

/* Everything the pcscf and the eims-agw need from one SDP. Strings are owned (malloc) and
 * released by sdpx_info_clear(). Values allowed at session level (ice-ufrag, ice-pwd,
 * ice-options, fingerprint, setup, direction; RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4,
 * RFC 4566 §6) are folded into the audio fields when the audio m= line has none. */
typedef struct {
    sdpx_kind kind;

    /* session level */
    char *o_user; /* NULL when the SDP has no o= (lenient parsing only) */
    uint64_t o_id, o_version;
    char *o_addr;
    char *bundle;  /* mids of a=group:BUNDLE, e.g. "0 1"; NULL when absent */
    bool ice_lite; /* a=ice-lite at session or media level */

    /* every m= line in order */
    size_t n_mlines;
    sdpx_mline mlines[SDPX_MAX_MLINES];
    int audio; /* index of the first audio line with a non-zero port; -1 if none */

    /* the audio m= line (meaningful when audio >= 0) */
    char *proto;
    unsigned port;
    bool port_choose; /* template only: the port was "$" (port then reads 0) */
    char *addr;       /* c= of the audio line, else the session's; "$" in a template */
    sdpx_dir dir;
    size_t n_codecs;
    sdpx_codec codecs[SDPX_MAX_CODECS]; /* in m= line order */
    unsigned ptime, maxptime;           /* 0 when absent */
    unsigned rtcp_port;                 /* a=rtcp port (RFC 3605), 0 when absent */
    char *ice_ufrag, *ice_pwd, *ice_options;
    size_t n_cands;
    char *cands[SDPX_MAX_CANDIDATES]; /* a=candidate values, without "candidate:" */
    bool end_of_candidates;
    char *fp_hash;  /* "sha-256" */
    char *fp_value; /* "7E:8F:..." */
    sdpx_setup setup;
    bool rtcp_mux, rtcp_mux_only, rtcp_rsize;
    char *mid;    /* same string as mlines[audio].mid */
    char *tls_id; /* RFC 8842 a=tls-id */
} sdpx_info;

/* Flags for sdpx_classify(). */
enum {
    /* H.248 Local/Remote: o=, s=, t= and c= may be missing (SPECS.md §4.5). */
    SDPX_F_LENIENT = 1,
    /* An Iq Local template: implies LENIENT and accepts "$" as the m= port (port_choose);
     * "$" elsewhere (c=, o=, ice-ufrag, ice-pwd, fingerprint) is kept as the string "$". */
    SDPX_F_TEMPLATE = 2,
};

/* Parses `sdp` (len bytes, no NUL inside) into `out`, which is overwritten without being freed
 * (sdpx_info_clear() a previously filled one first).
 * Returns SDPX_OK even when there is no usable audio (kind NONE, audio -1); fails only on
 * syntax, limits and memory. On failure `out` is left cleared. */
sdpx_status sdpx_classify(const char *sdp, size_t len, unsigned flags, sdpx_info *out);
void sdpx_info_clear(sdpx_info *info);

/* The checks a WebRTC peer's SDP must pass before the AGW can use it: DTLS-SRTP transport,
 * ice-ufrag/ice-pwd (RFC 8839 §5.4 lengths and characters), a fingerprint (RFC 8122) and
 * rtcp-mux (SPECS.md §3.6). */
sdpx_status sdpx_check_webrtc(const sdpx_info *info);

/* RFC 5763 §5 / 23.334 §6.2.10.5: our role when answering an offer with `offered`:
 * active unless the offerer is active (then passive). */
sdpx_setup sdpx_answer_setup(sdpx_setup offered);
const char *sdpx_setup_name(sdpx_setup s); /* "actpass", "active", ...; NULL for NONE */
const char *sdpx_dir_name(sdpx_dir d);     /* "sendrecv", ... */

/* ---------------------------------------------------------------------------------------------
 * Codec allow list
 * ------------------------------------------------------------------------------------------- */

/* Which audio codecs may cross the AGW. Without transcoding (first milestone, DESIGN.md) that
 * is what both legs can carry unchanged. Zero-initialised = the default list
 * {PCMU/8000, PCMA/8000, telephone-event/8000}. */
typedef struct {
    const char *const *allow; /* NULL-terminated "name/rate[/channels]" list; NULL = default */
    bool allow_opus;          /* adds opus/48000/2 and telephone-event/48000 to the list */
} sdpx_codec_filter;

/* Codecs are kept in the order of the SDP they come from. telephone-event and CN are kept
 * only when a kept codec has the same clock rate (RFC 4733 §2.5.1.1); at least one codec that
 * is neither must remain, else SDPX_E_NO_CODEC. */

/* ---------------------------------------------------------------------------------------------
 * 2. Toward IMS (WebRTC -> IMS; SPECS.md §3.3, TS 23.228 Annex U, 23.334 §6.2.10.5 step 4)
 *
 * Output: plain RTP/AVP, c= and o= address and m= port given by the caller (the AGW's core
 * termination Local), only the audio line, only allowed codecs with their payload type
 * numbers, b=AS, a=rtpmap/a=fmtp, a=ptime, a=maxptime and the direction. Nothing else is
 * copied: the output is built from an allow list of lines, so every WebRTC-only attribute
 * (ice-*, candidate, end-of-candidates, fingerprint, setup, tls-id, rtcp-mux, rtcp-rsize,
 * rtcp, rtcp-fb, extmap, extmap-allow-mixed, mid, msid, msid-semantic, ssrc, ssrc-group,
 * group:BUNDLE, ...) is gone. o=: the source's username and session id; its version plus
 * `o_version_add` (the pcscf adds one each time it changes the SDP on its own, RFC 3264 §8).
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *addr; /* AGW core-side address (IPv4 or IPv6 literal, or host name) */
    unsigned port;    /* AGW core-side RTP port, 1..65535 */
    sdpx_codec_filter filter;
    unsigned o_version_add; /* added to the source's o= version */
    int b_as;               /* b=AS kbit/s: 0 = SDPX_DEFAULT_B_AS, < 0 = no b= line */
} sdpx_ims_params;

/* Offer: the WIC's WebRTC offer -> the RTP/AVP offer sent into IMS (an RTP/AVP(F) source is
 * accepted too and comes out normalised the same way). RFC 3264 §5 lets an offer
 * leave out streams, so only the first active audio line is kept; other m= lines (video, data
 * channel, further audio, port 0) are dropped, and so is BUNDLE (23.228 §U.1.1). */
sdpx_status sdpx_to_ims_offer(const char *webrtc_offer, size_t len, const sdpx_ims_params *p,
                              char **out);

/* Answer: the WIC's WebRTC answer to our sdpx_to_wic_offer(), and the IMS offer it answers ->
 * the RTP/AVP answer sent into IMS. RFC 3264 §6: the answer has exactly the offer's m= lines in
 * the offer's order; the offer's active audio line carries the WIC's codecs mapped back to the
 * IMS offer's payload types (by name/rate/channels), every other line is rejected with port 0
 * and the offer's own format list. */
sdpx_status sdpx_to_ims_answer(const char *webrtc_answer, size_t len, const char *ims_offer,
                               size_t ims_len, const sdpx_ims_params *p, char **out);

/* ---------------------------------------------------------------------------------------------
 * 3. Toward the WIC (IMS -> WebRTC; SPECS.md §3.2 step 5, §6.2, §6.3)
 *
 * Built from (a) the IMS side's SDP (codecs, direction, ptime, o= id/version), (b) the AGW's
 * W3 termination Local descriptor as returned by the AGW (address, port, ice-ufrag, ice-pwd,
 * ice-lite, candidates, fingerprint, setup) and, for an answer, (c) the WIC's offer (mid, m=
 * line order, BUNDLE, rtcp-mux, proto). Output lines, audio: m=audio <agw port>
 * UDP/TLS/RTP/SAVPF <pts> (an answer repeats the offer's UDP/TLS/RTP/SAVP(F)), c=, a=mid,
 * direction, a=rtcp-mux, a=ice-ufrag, a=ice-pwd, a=fingerprint, a=setup, a=candidate...,
 * a=end-of-candidates (non-trickle, §6.3), a=rtpmap, a=fmtp, a=ptime, a=maxptime, optionally
 * a=msid. Session: a=ice-lite when the AGW is lite, a=group:BUNDLE. No ssrc lines: a single m= line
 * is matched by its 5-tuple (§6.3). When the AGW Local has no candidate, one host candidate is made
 * from its c= and m= port.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    sdpx_codec_filter filter;
    unsigned o_version_add; /* added to the IMS SDP's o= version */
    /* a=msid value ("<stream-id> <track-id>", RFC 8830) or NULL for none. Without it Chrome
     * still plays the track but RTCTrackEvent.streams is empty: the page must use ev.track. */
    const char *msid;
} sdpx_wic_params;

/* Both functions also take a WebRTC SDP where they name the IMS side: a WIC-to-WIC call has
 * both legs anchored (two W3 terminations), and the far WIC's offer or answer then plays the
 * IMS SDP's part (codecs, direction, ptime, o=); nothing of its transport (ICE, DTLS, mid,
 * BUNDLE, msid, ssrc) is copied. */

/* Answer (WIC-originated call). Codecs: those of the IMS answer that the WIC offered, with
 * the WIC offer's payload type numbers (RFC 3264 §6.1: a subset of the offer, same numbers)
 * and the IMS answer's fmtp. m= lines: the WIC offer's, in its order; lines other than its
 * first active audio line are rejected (port 0, offer's proto and formats, a=mid kept, JSEP
 * §5.3.1). a=group:BUNDLE <audio mid> only when the offer's BUNDLE group starts with that mid
 * (RFC 9143 §7.3.1: the answerer keeps the offerer-tagged m= line); otherwise BUNDLE is
 * declined by omission (§6.2). a=setup: the AGW's role, which must fit the offer's (active
 * <-> passive, RFC 4145 §4); without one in the AGW Local, sdpx_answer_setup(offer). a=rtcp-mux
 * is required in the offer (SDPX_E_RTCP_MUX). */
sdpx_status sdpx_to_wic_answer(const char *ims_answer, size_t ims_len, const char *agw_local,
                               size_t agw_len, const char *wic_offer, size_t wic_len,
                               const sdpx_wic_params *p, char **out);

/* Offer (IMS-originated call toward a WIC). Codecs: the IMS offer's allowed codecs with its
 * payload types, except that 64..95 of an RTP/AVP offer are moved to free dynamic numbers
 * (RFC 5761 §4: they clash with RTCP under rtcp-mux; a WebRTC offer keeps its numbers); the
 * AGW maps payload types per leg. One m= line (other IMS lines
 * are dropped; sdpx_to_ims_answer() rejects them later), a=mid:0, a=group:BUNDLE 0, a=rtcp-mux,
 * a=setup:actpass (RFC 5763 §5; an AGW Local saying active/passive is SDPX_E_DTLS). */
sdpx_status sdpx_to_wic_offer(const char *ims_offer, size_t ims_len, const char *agw_local,
                              size_t agw_len, const sdpx_wic_params *p, char **out);

/* ---------------------------------------------------------------------------------------------
 * 4. Iq (H.248) descriptors (SPECS.md §4.3, §4.5)
 *
 * Local templates carry "$" where the AGW chooses (address, port, ice-ufrag, ice-pwd,
 * fingerprint value). "$" is not a valid m= port for sofia-sip's parser and the Debian
 * sofia-sip cannot print a port that is not a number, so the templates are written as text
 * directly; the descriptors with real values (Remote) go through sofia-sip's printer. All
 * outputs use CRLF; escaping "}" for the H.248 text encoding is the H.248 codec's job.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    sdpx_codec_filter filter;
    /* W3 Local only: our DTLS role. NONE = derive it from the source SDP: the answer role
     * (sdpx_answer_setup) for a WebRTC offer, actpass for an RTP/AVP offer (we will offer). */
    sdpx_setup setup;
    bool full_ice; /* W3 Local only: false (default) asks for a=ice-lite (§3.4) */
    bool ipv6;     /* "IN IP6 $" instead of "IN IP4 $" */
} sdpx_iq_params;

/* W3 (access) termination Local: UDP/TLS/RTP/SAVPF, a=rtcp-mux, a=ice-ufrag:$, a=ice-pwd:$,
 * a=fingerprint:sha-256 $, a=setup, a=ice-lite, and the source's allowed codecs (payload types
 * as they will appear toward the WIC: unchanged for a WebRTC source, RFC 5761-safe for an
 * RTP/AVP source, exactly as sdpx_to_wic_offer() numbers them). */
sdpx_status sdpx_iq_w3_local(const char *src, size_t len, const sdpx_iq_params *p, char **out);

/* RTP (core) termination Local: "v=0", "c=IN IP4 $", "m=audio $ RTP/AVP <pts>", a=rtpmap,
 * a=fmtp, a=ptime; the source's allowed codecs with the source's payload types (what
 * sdpx_to_ims_offer() will offer, or what the IMS offer used). */
sdpx_status sdpx_iq_rtp_local(const char *src, size_t len, const sdpx_iq_params *p, char **out);

/* W3 termination Remote: the WIC's SDP reduced to its audio line: address, port, proto,
 * codecs, direction, rtcp-mux, ice-ufrag/pwd, ice-lite, candidates, fingerprint, setup,
 * tls-id. `filter` NULL keeps every codec. Checked with sdpx_check_webrtc(). */
sdpx_status sdpx_iq_w3_remote(const char *webrtc, size_t len, const sdpx_codec_filter *filter,
                              char **out);

/* RTP termination Remote: the IMS side's SDP reduced to its audio line (address, port, codecs,
 * ptime, a=rtcp, direction). `filter` NULL keeps every codec. */
sdpx_status sdpx_iq_rtp_remote(const char *rtp, size_t len, const sdpx_codec_filter *filter,
                               char **out);

/* ---------------------------------------------------------------------------------------------
 * 5. The same on SDPs already classified
 *
 * Each function above parses its text inputs with sdpx_classify() and calls its _info twin.
 * A caller that needs one SDP for several outputs (the pcscf's anchoring: Local templates,
 * Remote, the rewrite toward each side) classifies it once and calls these; the output is the
 * same bytes. Inputs as the text functions classify them: flags 0, except the AGW Local of the
 * sdpx_to_wic_* functions (SDPX_F_TEMPLATE).
 * ------------------------------------------------------------------------------------------- */

sdpx_status sdpx_to_ims_offer_info(const sdpx_info *webrtc_offer, const sdpx_ims_params *p,
                                   char **out);
sdpx_status sdpx_to_ims_answer_info(const sdpx_info *webrtc_answer, const sdpx_info *ims_offer,
                                    const sdpx_ims_params *p, char **out);
sdpx_status sdpx_to_wic_answer_info(const sdpx_info *ims_answer, const sdpx_info *agw_local,
                                    const sdpx_info *wic_offer, const sdpx_wic_params *p,
                                    char **out);
sdpx_status sdpx_to_wic_offer_info(const sdpx_info *ims_offer, const sdpx_info *agw_local,
                                   const sdpx_wic_params *p, char **out);
sdpx_status sdpx_iq_w3_local_info(const sdpx_info *src, const sdpx_iq_params *p, char **out);
sdpx_status sdpx_iq_rtp_local_info(const sdpx_info *src, const sdpx_iq_params *p, char **out);
sdpx_status sdpx_iq_w3_remote_info(const sdpx_info *webrtc, const sdpx_codec_filter *filter,
                                   char **out);
sdpx_status sdpx_iq_rtp_remote_info(const sdpx_info *rtp, const sdpx_codec_filter *filter,
                                    char **out);

/* Every char ** output is a NUL-terminated malloc'd string the caller releases with free();
 * on failure *out is NULL. */

#endif
