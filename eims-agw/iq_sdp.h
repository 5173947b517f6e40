/* SDP inside the Iq Local/Remote descriptors, MG side (SPECS.md §4.3, §4.5; docs/IQ-PROFILE.md):
 * which kind of termination a descriptor asks for, the Local template with every "$" filled in
 * (address, port, ICE credentials, fingerprint, setup, tls-id, o= fields) plus the host candidate
 * and a=end-of-candidates, and the checks a Remote must pass. Pure: text in, text out; failures
 * are H.248 error codes with a reason fit for an Error descriptor. */
#ifndef AGW_IQ_SDP_H
#define AGW_IQ_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iq_media.h"
#include "sip/sdp_rewrite.h"

#define IQ_REASON_MAX 160

/* Which termination a Local/Remote pair describes: the m= proto (UDP/TLS/RTP/SAVP(F) -> W3,
 * RTP/AVP(F) -> RTP) of the Local template, else of the Remote; without either, the
 * TerminationState's ipdc/realm (`access_realm` -> W3, `core_realm` -> RTP). Returns 0, or 441
 * (nothing to decide from), 442 (unparsable SDP), 449 (other proto, unknown realm, or Local and
 * Remote disagree). Any argument may be NULL. */
unsigned iq_sdp_term_kind(const char *local, const char *remote, const char *realm,
                          const char *access_realm, const char *core_realm, iq_term_kind *out,
                          char *reason, size_t cap);

/* What an Add needs from its Local/Remote, each SDP parsed once: iq_sdp_term_kind(), then
 * iq_sdp_check_remote() of the Remote (when there is one) and iq_sdp_parse_template() of the
 * Local, with the same codes and reasons in the same order. 0 fills *kind, *tmpl and, when
 * *have_remote, *remote (sdpx_info_clear() both); otherwise both are cleared. */
unsigned iq_sdp_add_prepare(const char *local, const char *remote, const char *realm,
                            const char *access_realm, const char *core_realm, iq_term_kind *kind,
                            sdpx_info *tmpl, sdpx_info *remote_info, bool *have_remote,
                            char *reason, size_t cap);

/* Parses a Local template ("$" where the MG chooses, also in o=) for its codecs and a=setup.
 * 0, or 442 when it is no SDP (then *out is cleared). */
unsigned iq_sdp_parse_template(const char *tmpl, sdpx_info *out, char *reason, size_t cap);

/* The values chosen by the MG. */
typedef struct {
    const iq_transport *tp; /* tp->setup / tp->candidate, when set, win over setup / building */
    /* Our certificate fingerprint for a hash name; NULL on RTP terminations. */
    bool (*fingerprint)(void *ud, const char *alg, char *out, size_t cap);
    void *fp_ud;
    const char *setup;  /* value for "a=setup:$" (W3) when tp->setup is empty */
    const char *tls_id; /* value for "a=tls-id:$" (W3), NULL: refused */
    uint64_t sess_id;   /* value for "$" in the o= session id and version */
    bool candidates;    /* W3: add "a=candidate" (host) and "a=end-of-candidates" if absent */
    bool checked;       /* the caller already parsed the template (iq_sdp_term_kind/_prepare) */
} iq_sdp_fill;

/* Fills the Local template. Concrete values where "$" could stand must be ours (a Modify may
 * repeat the Local we returned): another address, port, ufrag, pwd or fingerprint is 449. Line
 * ends follow the template (CRLF if it has any, else LF). Returns 0 with *out (g_free), or 442
 * (not SDP), 449 ("$" where we choose nothing, a value we cannot honour, several chosen media
 * lines, an ICE/DTLS line on an RTP termination), 500. */
unsigned iq_sdp_fill_local(const char *tmpl, iq_term_kind kind, const iq_sdp_fill *f, char **out,
                           char *reason, size_t cap);

/* Parses and checks a Remote for a termination of `kind`: SDP (442 if not), no "$", an active
 * audio line, the kind's proto, and for W3 ICE credentials, fingerprint, a=setup and a=rtcp-mux
 * (sdpx_check_webrtc). 0 fills *out (sdpx_info_clear() it); else 442/449 and *out is cleared. */
unsigned iq_sdp_check_remote(const char *sdp, iq_term_kind kind, sdpx_info *out, char *reason,
                             size_t cap);

/* Our DTLS role from our a=setup and, once known, the peer's (RFC 5763 §5, RFC 4145 §4). */
iq_dtls_role iq_sdp_dtls_role(sdpx_setup ours, sdpx_setup theirs);

/* The a=setup value to put for "a=setup:$": the answer role to the peer's offer (RFC 5763 §5:
 * active unless the offerer is active), or actpass when we offer (no peer SDP yet). */
const char *iq_sdp_choose_setup(const sdpx_info *remote);

#endif
