/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The pure parts of anchoring (pcscf/anchor_msg.c): the Iq commands an anchor sends, what it reads
 * from the AGW's replies, the SDP it builds for each side, and the stream modes that follow from
 * the negotiated directions. No I/O, no state: unit-tested in tests/unit/pcscf/test_anchor_msg.c.
 */
#ifndef PCSCF_ANCHOR_MSG_H
#define PCSCF_ANCHOR_MSG_H

#include "h248/codec.h"
#include "pcscf/anchor.h"
#include "sip/sdp_rewrite.h"

/* ---- Iq ---- */

/* Add/Modify of one termination: Media { [TerminationState { ipdc/realm, <cid_property> }],
 * Stream = 1 { LocalControl { Mode }, Local, Remote } }. realm NULL: no TerminationState
 * (Modify); mode NONE, local/remote NULL: left out. */
h248_command *anchor_msg_termination(h248_action *act, h248_cmd_type type, const char *term_id,
                                     const char *realm, const char *cid_property, const char *cid,
                                     h248_mode mode, const char *local, const char *remote);

/* What a reply says: the context, and the first error (transaction, action or command level). */
typedef struct {
    bool has_ctx;
    uint32_t ctx;
    unsigned code; /* 0: success */
    const char *text;
    const h248_action *act; /* the first action, NULL on a transaction error */
} anchor_reply_t;
void anchor_reply_read(const h248_transaction *t, anchor_reply_t *ri);
/* H.248 error code -> what the SIP core is told (510/412/432/502/505: busy, 515: SDP, else
 * AGW error). */
anchor_status anchor_status_of_code(unsigned code);
/* The first non-empty Local of a command reply, or NULL. */
const char *anchor_reply_local(const h248_command *c);
/* Statistics of one Subtract reply (rtp/ps, rtp/pr, rtp/pl) into the access or core fields. */
void anchor_stats_init(anchor_stats_t *st);
void anchor_stats_parse(anchor_stats_t *st, bool access, const GPtrArray *statistics);
const char *anchor_mode_name(h248_mode m);

/* ---- SDP ---- */

anchor_status anchor_sdp_status(sdpx_status st);
/* The c= address and m= port of a descriptor (the AGW's core Local); false if missing or "$". */
bool anchor_sdp_conn(const char *sdp, char **addr, unsigned *port);
/* The same from a classified SDP; *addr points into `in`. */
bool anchor_info_conn(const sdpx_info *in, const char **addr, unsigned *port);
/* The SDP with every "a=<attr>:..." line's value replaced (g_free). */
char *anchor_sdp_set_attr(const char *sdp, const char *attr, const char *value);
/* The audio direction of an SDP (sendrecv when unreadable). */
sdpx_dir anchor_sdp_dir(const char *sdp);
/* a=ice-ufrag of an SDP (g_free) or NULL. */
char *anchor_sdp_ufrag(const char *sdp);
/* a=setup of an SDP (NONE when absent or unreadable). */
sdpx_setup anchor_sdp_setup(const char *sdp);
/* The DTLS role a W3 termination holds once an exchange fixed it (RFC 5763 §5): its Local's
 * when that says active or passive; for a termination that offered (actpass), the complement
 * of the role the peer's answer (its Remote) took. NONE while not fixed. */
sdpx_setup anchor_w3_role(const char *local, const char *remote);
/* The same from classified SDPs (NULL: unreadable or absent). */
sdpx_setup anchor_w3_role_info(const sdpx_info *local, const sdpx_info *remote);
/* H.248 modes of the W3 and RTP terminations for the directions the WIC's and the IMS side's
 * SDPs of one offer/answer exchange say (H.248.1 §7.1.7: seen from each termination outward). */
void anchor_modes(sdpx_dir wic, sdpx_dir ims, h248_mode *w3, h248_mode *rtp);

/* RTP/AVP toward IMS on the AGW's core Local: the offer from the WIC's offer (ims_offer NULL) or
 * the answer to ims_offer from the WIC's answer; o= version = the WIC SDP's + o_add.
 * *out: g_free. */
anchor_status anchor_sdp_toward_ims(const char *rtp_local, const char *wic_sdp,
                                    const char *ims_offer, const sdpx_codec_filter *f,
                                    unsigned o_add, char **out, char *detail, size_t dn);
/* WebRTC toward the WIC with the AGW's W3 Local: the answer to wic_offer from the IMS answer, or
 * (wic_offer NULL) the offer from the IMS offer, with a=setup:actpass; o= version = the IMS
 * SDP's + o_add. *out: g_free. */
anchor_status anchor_sdp_toward_wic(const char *w3_local, const char *ims_sdp,
                                    const char *wic_offer, const sdpx_codec_filter *f,
                                    unsigned o_add, char **out, char *detail, size_t dn);
/* The two above on classified SDPs (parse once: pcscf/anchor_sdp.h): the AGW Local classified
 * with SDPX_F_TEMPLATE (toward the WIC) or LENIENT/TEMPLATE (toward IMS), the others strict.
 * Same output; the text versions classify and call these. */
anchor_status anchor_toward_ims_info(const sdpx_info *rtp_local, const sdpx_info *wic_sdp,
                                     const sdpx_info *ims_offer, const sdpx_codec_filter *f,
                                     unsigned o_add, char **out, char *detail, size_t dn);
anchor_status anchor_toward_wic_info(const sdpx_info *w3_local, const sdpx_info *ims_sdp,
                                     const sdpx_info *wic_offer, const sdpx_codec_filter *f,
                                     unsigned o_add, char **out, char *detail, size_t dn);
/* The o= line's "<username> <sess-id>" (g_free) and its version; false without o=. */
bool anchor_sdp_origin(const char *sdp, char **who, uint64_t *version);
/* Whether two SDPs differ in more than their o= line. */
bool anchor_sdp_changed(const char *a, const char *b);

#endif
