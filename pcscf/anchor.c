/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * One anchored dialog: the offer/answer state machine that drives an AGW context of two
 * terminations (W3 toward the WTPF side, RTP toward IMS) over Iq, and the SDP rewrites around it
 * (TS 23.334 §6.2.10.5, SPECS.md §3.2, §3.3, §4.5, §6.3). The SIP core owns each anchor. */
#include <string.h>

#include "pcscf/anchor_int.h"
#include "runtime/log.h"

void a_req_free(gpointer p)
{
    a_req_t *r = p;
    g_free(r->w3_remote);
    g_free(r->rtp_remote);
    g_free(r->w3_local_req);
    g_free(r->rtp_local_req);
    g_free(r->answer);
    g_free(r);
}

const char *step_name(a_step s)
{
    switch (s) {
    case STEP_NONE:
        return "none";
    case STEP_OFFER_WIC:
        return "offer_from_wic";
    case STEP_ANSWER_IMS:
        return "answer_from_ims";
    case STEP_OFFER_IMS:
        return "offer_from_ims";
    case STEP_ANSWER_WIC:
        return "answer_from_wic";
    case STEP_RELEASE:
        return "release";
    }
    return "?";
}

const char *anchor_strerror(anchor_status st)
{
    switch (st) {
    case ANCHOR_OK:
        return "ok";
    case ANCHOR_E_NO_AGW:
        return "no AGW in service";
    case ANCHOR_E_TIMEOUT:
        return "AGW did not answer";
    case ANCHOR_E_BUSY:
        return "AGW out of resources";
    case ANCHOR_E_AGW_ERROR:
        return "AGW error";
    case ANCHOR_E_AGW_LOST:
        return "AGW lost";
    case ANCHOR_E_SDP:
        return "SDP cannot be anchored";
    case ANCHOR_E_STATE:
        return "offer/answer out of order";
    case ANCHOR_E_INTERNAL:
        return "internal error";
    }
    return "?";
}

int anchor_sip_status(const pcscf_iq_t *iq, anchor_status st, unsigned *retry_after_s)
{
    if (retry_after_s) *retry_after_s = 0;
    switch (st) {
    case ANCHOR_OK:
        return 200;
    case ANCHOR_E_NO_AGW:
    case ANCHOR_E_TIMEOUT:
    case ANCHOR_E_BUSY:
    case ANCHOR_E_AGW_LOST:
        if (retry_after_s) *retry_after_s = iq ? iq->cfg.retry_after_s : 5;
        return 503;
    case ANCHOR_E_SDP:
        return 488;
    case ANCHOR_E_STATE:
        return 491;
    default:
        return 500;
    }
}

/* ---- life cycle ---------------------------------------------------------------------------- */

void clear_strings(anchor_t *a)
{
    g_free(a->w3_tid);
    g_free(a->rtp_tid);
    g_free(a->idle_sdp);
    g_free(a->idle_detail);
    g_free(a->wic_offer);
    g_free(a->ims_offer);
    g_free(a->w3_local);
    g_free(a->rtp_local);
    g_free(a->w3_remote);
    g_free(a->rtp_remote);
    g_free(a->sent_wic);
    g_free(a->sent_ims);
    a->sent_wic = a->sent_ims = NULL;
    a->w3_tid = a->rtp_tid = a->idle_sdp = a->idle_detail = NULL;
    a->wic_offer = a->ims_offer = a->w3_local = a->rtp_local = NULL;
    a->w3_remote = a->rtp_remote = NULL;
    anchor_sdps_free(a->sdps);
    a->sdps = NULL;
}

void anchor_ref(anchor_t *a)
{
    a->refs++;
}

void anchor_unref(anchor_t *a)
{
    if (--a->refs > 0) return;
    if (a->idle_src) g_source_remove(a->idle_src);
    if (a->iq) {
        if (a->agw) iq_agw_detach(a->agw, a);
        g_hash_table_remove(a->iq->anchors, a);
        iq_update_gauges(a->iq);
    }
    clear_strings(a);
    g_free(a->cid);
    g_free(a);
}

anchor_t *anchor_new(pcscf_iq_t *iq, const char *cid, anchor_event_cb ev_cb, void *ev_ud)
{
    g_return_val_if_fail(iq != NULL, NULL);
    anchor_t *a = g_new0(anchor_t, 1);
    a->iq = iq;
    a->refs = 1;
    char buf[24];
    if (!cid || !*cid) {
        rt_cid_new(buf, sizeof buf);
        cid = buf;
    }
    a->cid = g_strdup(cid);
    a->ev_cb = ev_cb;
    a->ev_ud = ev_ud;
    a->state = A_IDLE;
    g_hash_table_add(iq->anchors, a);
    return a;
}

bool anchor_set_far_webrtc(anchor_t *a, bool webrtc)
{
    if (!a || a->freed || a->state != A_IDLE || a->step != STEP_NONE) return false;
    a->core_w3 = webrtc;
    return true;
}

bool anchor_far_webrtc(const anchor_t *a)
{
    return a && a->core_w3;
}

const char *anchor_cid(const anchor_t *a)
{
    return a->cid;
}

uint32_t anchor_context_id(const anchor_t *a)
{
    return a->ctx;
}

const char *anchor_agw_mid(const anchor_t *a)
{
    return a->agw ? a->agw->mid : NULL;
}

bool anchor_busy(const anchor_t *a)
{
    return a->step != STEP_NONE;
}

static const char *status_label(anchor_status st)
{
    static const char *const names[] = {"ok",       "no_agw", "timeout", "busy",    "agw_error",
                                        "agw_lost", "sdp",    "state",   "internal"};
    return (unsigned)st < G_N_ELEMENTS(names) ? names[st] : "?";
}

void count_step(anchor_t *a, a_step step, anchor_status st)
{
    if (!a->iq || !a->iq->metrics) return;
    char l[96];
    g_snprintf(l, sizeof l, "step=\"%s\",result=\"%s\"", step_name(step), status_label(st));
    rt_metrics_add(a->iq->metrics, "anchor_steps_total", l, 1);
}

/* Ends the current offer/answer step: the callback (unless the owner is gone). */
void step_finish(anchor_t *a, anchor_status st, const char *sdp, const char *detail)
{
    a_step step = a->step;
    anchor_sdp_cb cb = a->cb;
    void *ud = a->cb_ud;
    a->step = STEP_NONE;
    a->step_tid = 0;
    a->cb = NULL;
    /* A failed offer is no offer: the next one may start (and with it the next Add). */
    if (st != ANCHOR_OK && (step == STEP_OFFER_WIC || step == STEP_OFFER_IMS))
        a->offerer = OFFERER_NONE;
    count_step(a, step, st);
    if (st != ANCHOR_OK)
        LOGW(RT_SUB_IQ, a->cid, "%s failed: %s%s%s", step_name(step), anchor_strerror(st),
             detail ? ": " : "", detail ? detail : "");
    if (a->freed || !cb) return;
    anchor_ref(a);
    cb(a, st, st == ANCHOR_OK ? sdp : NULL, detail, ud);
    anchor_unref(a);
}

static gboolean on_idle_result(gpointer ud)
{
    anchor_t *a = ud;
    a->idle_src = 0;
    char *sdp = a->idle_sdp, *detail = a->idle_detail;
    a->idle_sdp = a->idle_detail = NULL;
    step_finish(a, a->idle_st, sdp, detail);
    g_free(sdp);
    g_free(detail);
    return G_SOURCE_REMOVE;
}

/* Delivers a result from the main loop (the API never calls back before returning). */
void finish_later(anchor_t *a, anchor_status st, char *sdp_owned, const char *detail)
{
    a->idle_st = st;
    a->idle_sdp = sdp_owned;
    a->idle_detail = g_strdup(detail);
    a->idle_src = g_idle_add(on_idle_result, a);
}

/* ---- Iq message building ------------------------------------------------------------------- */

static h248_command *add_termination(anchor_t *a, h248_action *act, h248_cmd_type type,
                                     const char *term_id, const char *realm, h248_mode mode,
                                     const char *local, const char *remote)
{
    return anchor_msg_termination(act, type, term_id, realm, a->iq->cfg.cid_property, a->cid, mode,
                                  local, remote);
}

static void arm_events(anchor_t *a, h248_command *c)
{
    char **ev = a->iq->events;
    if (!ev || !ev[0]) return;
    h248_event_list *l = h248_command_events(c, a->iq->next_reqid++);
    if (a->iq->next_reqid > 0x7fffffff) a->iq->next_reqid = 1;
    for (; *ev; ev++)
        h248_event_list_add(l, *ev);
}

/* The request as sent, at debug level (the transport assigns the transaction id). */
static char *debug_text(const h248_message *m)
{
    if (!rt_log_enabled(RT_SUB_IQ, LOG_DEBUG)) return NULL;
    return h248_print_str(m, NULL, NULL);
}

static void debug_log(anchor_t *a, char *txt, uint32_t tid)
{
    if (!txt) return;
    char *p = strstr(txt, "Transaction = 0 {");
    LOGD(RT_SUB_IQ, a->cid, "-> %s tid %u:\n%s", a->agw ? a->agw->mid : "?", tid,
         p ? p + strlen("Transaction = 0 {") : txt);
    g_free(txt);
}

static void on_reply(pcscf_iq_t *iq, pcscf_agw_t *agw, const h248_transaction *t, void *ud);

uint32_t send_req(anchor_t *a, h248_message *m, a_req_t *r)
{
    char *txt = debug_text(m);
    r->a = a;
    anchor_ref(a);
    uint32_t tid = iq_send(a->iq, a->agw, m, a->cid, on_reply, r, a_req_free);
    debug_log(a, txt, tid);
    r->tid = tid;
    if (!tid) {
        anchor_unref(a);
        a_req_free(r);
    }
    return tid;
}

/* Fire and forget: release a context nobody wants (late Add reply of a freed anchor). */
static void subtract_orphan(pcscf_iq_t *iq, pcscf_agw_t *agw, uint32_t ctx, const char *cid)
{
    h248_action *act;
    h248_message *m = iq_request_new(iq, h248_ctx_num(ctx), &act);
    h248_action_add_command(act, H248_CMD_SUBTRACT, "*");
    uint32_t tid = iq_send(iq, agw, m, cid, NULL, NULL, NULL);
    LOGI(RT_SUB_IQ, cid, "-> %s tid %u: Context = %u { Subtract = * } (no call wants it)", agw->mid,
         tid, ctx);
}

/* ---- SDP results --------------------------------------------------------------------------- */

static sdpx_codec_filter codec_filter(const anchor_t *a)
{
    sdpx_codec_filter f = {.allow = NULL, .allow_opus = a->iq && a->iq->cfg.allow_opus};
    return f;
}

/* Parse once (pcscf/anchor_sdp.h): an SDP of the exchange in progress, classified on first use.
 * Offers and answers as received are read strictly (flags 0), the AGW's Locals as templates,
 * the Remotes we built leniently. */
static const sdpx_info *sdp_of(anchor_t *a, const char *text, unsigned flags, sdpx_status *st)
{
    if (!a->sdps) a->sdps = anchor_sdps_new();
    return anchor_sdps_get(a->sdps, text, flags, st);
}

static const sdpx_info *local_of(anchor_t *a, const char *local)
{
    return sdp_of(a, local, SDPX_F_TEMPLATE, NULL);
}

static const sdpx_info *remote_of(anchor_t *a, const char *remote)
{
    return sdp_of(a, remote, SDPX_F_LENIENT, NULL);
}

/* The exchange is over: what it parsed is not needed any more. */
static void sdps_done(anchor_t *a)
{
    anchor_sdps_free(a->sdps);
    a->sdps = NULL;
}

/* The rewrite toward one side on the parsed SDPs; a text that does not parse is reported as
 * anchor_sdp_toward_wic/ims() would. */
static anchor_status toward(anchor_t *a, bool wic_side, const char *local, const char *remote,
                            const char *src, const char *other, const sdpx_codec_filter *f,
                            unsigned add, char **out, char *detail, size_t dn)
{
    *out = NULL;
    sdpx_status ss;
    const sdpx_info *si, *oi = NULL;
    if (!wic_side) {
        const sdpx_info *li = local_of(a, local);
        const char *addr;
        unsigned port;
        if (!anchor_info_conn(li, &addr, &port)) {
            g_snprintf(detail, dn, "AGW core Local without address/port");
            return ANCHOR_E_INTERNAL;
        }
        if (!(si = sdp_of(a, src, 0, &ss)) || (other && !(oi = sdp_of(a, other, 0, &ss)))) {
            g_snprintf(detail, dn, "SDP toward IMS: %s", sdpx_strerror(ss));
            return anchor_sdp_status(ss);
        }
        return anchor_toward_ims_info(li, si, oi, f, add, out, detail, dn);
    }
    if (!local) {
        g_snprintf(detail, dn, "no AGW W3 Local");
        return ANCHOR_E_INTERNAL;
    }
    const sdpx_info *li = NULL;
    if (!(si = sdp_of(a, src, 0, &ss)) || !(li = sdp_of(a, local, SDPX_F_TEMPLATE, &ss)) ||
        (other && !(oi = sdp_of(a, other, 0, &ss)))) {
        g_snprintf(detail, dn, "SDP toward the WIC: %s", sdpx_strerror(ss));
        return anchor_sdp_status(ss);
    }
    /* An answer keeps the DTLS role an earlier exchange fixed (a re-offer says actpass again):
     * the Local as if its a=setup said that role (a shallow copy; the strings stay the
     * cache's). */
    sdpx_info fixed = *li;
    if (other && li->setup == SDPX_SETUP_ACTPASS) {
        sdpx_setup role = anchor_w3_role_info(li, remote_of(a, remote));
        if (role != SDPX_SETUP_NONE) fixed.setup = role;
    }
    return anchor_toward_wic_info(&fixed, si, oi, f, add, out, detail, dn);
}

/* RFC 3264 §8: an SDP that differs from the previous one sent that way needs a higher o=
 * version. The versions come from the other side's SDP, which may repeat its own (an ICE
 * restart answered with the same IMS answer, say): then ours is raised past the last one. */
static anchor_status build_toward(anchor_t *a, bool to_wic, const char *src, const char *other,
                                  char **out, char *detail, size_t dn)
{
    sdpx_codec_filter f = codec_filter(a);
    char **last = to_wic ? &a->sent_wic : &a->sent_ims;
    unsigned add = 0;
    anchor_status st;
    for (int pass = 0; pass < 2; pass++) {
        /* WIC to WIC: the far side gets WebRTC too, built on its own W3 Local. An answer
         * keeps the DTLS role an earlier exchange fixed (a re-offer says actpass again). */
        if (to_wic || a->core_w3)
            st = toward(a, true, to_wic ? a->w3_local : a->rtp_local,
                        to_wic ? a->w3_remote : a->rtp_remote, src, other, &f, add, out, detail,
                        dn);
        else
            st = toward(a, false, a->rtp_local, NULL, src, other, &f, add, out, detail, dn);
        if (st != ANCHOR_OK || !*last || pass) break;
        char *who_new = NULL, *who_old = NULL;
        uint64_t v_new = 0, v_old = 0;
        bool bump = anchor_sdp_origin(*out, &who_new, &v_new) &&
                    anchor_sdp_origin(*last, &who_old, &v_old) && strcmp(who_new, who_old) == 0 &&
                    v_new <= v_old && anchor_sdp_changed(*out, *last) && v_old - v_new < 1000000;
        g_free(who_new);
        g_free(who_old);
        if (!bump) break;
        add = (unsigned)(v_old - v_new + 1);
        g_free(*out);
        *out = NULL;
    }
    if (st == ANCHOR_OK) {
        g_free(*last);
        *last = g_strdup(*out);
    }
    return st;
}

/* The SDP for IMS (*out g_free): the offer from the WIC's offer, or the answer to ims_offer. */
static anchor_status build_toward_ims(anchor_t *a, const char *wic_sdp, const char *ims_offer,
                                      char **out, char *detail, size_t dn)
{
    return build_toward(a, false, wic_sdp, ims_offer, out, detail, dn);
}

/* The SDP for the WIC (*out g_free): the answer to wic_offer, or the offer from an IMS offer. */
static anchor_status build_toward_wic(anchor_t *a, const char *ims_sdp, const char *wic_offer,
                                      char **out, char *detail, size_t dn)
{
    return build_toward(a, true, ims_sdp, wic_offer, out, detail, dn);
}

/* ---- the steps ----------------------------------------------------------------------------- */

static anchor_status check_step(anchor_t *a)
{
    if (a->freed || !a->iq) return ANCHOR_E_STATE;
    if (a->step != STEP_NONE) return ANCHOR_E_STATE;
    if (a->state == A_LOST) return ANCHOR_E_AGW_LOST;
    if (a->state != A_IDLE && a->state != A_READY) return ANCHOR_E_STATE;
    return ANCHOR_OK;
}

static void step_start(anchor_t *a, a_step step, anchor_sdp_cb cb, void *ud)
{
    a->step = step;
    a->cb = cb;
    a->cb_ud = ud;
}

static anchor_status refuse(anchor_t *a, a_step step, anchor_status st, const char *why)
{
    count_step(a, step, st);
    LOGW(RT_SUB_IQ, a->cid, "%s refused: %s%s%s", step_name(step), anchor_strerror(st),
         why ? ": " : "", why ? why : "");
    return st;
}

/* Context = $ { Add W3, Add RTP } (originating) or { Add RTP, Add W3 } (terminating). */
static anchor_status send_add(anchor_t *a, a_step step, const sdpx_info *in, bool from_wic)
{
    pcscf_agw_t *agw = iq_pick_agw(a->iq);
    if (!agw) return refuse(a, step, ANCHOR_E_NO_AGW, NULL);
    /* The DTLS role of each W3 Local (IQ-PROFILE.md §5): the answer role on the side whose
     * offer it is (derived from that offer, or passive with iq.answer_passive), actpass on
     * the side we offer toward (a WIC's offer cannot tell that one: say it). */
    sdpx_iq_params answering = {.filter = codec_filter(a)};
    if (a->iq->cfg.answer_passive && in->setup == SDPX_SETUP_ACTPASS)
        answering.setup = SDPX_SETUP_PASSIVE;
    sdpx_iq_params offering = {.filter = codec_filter(a), .setup = SDPX_SETUP_ACTPASS};
    char *w3_local = NULL, *w3_remote = NULL, *rtp_local = NULL, *rtp_remote = NULL;
    sdpx_status st = sdpx_iq_w3_local_info(in, from_wic ? &answering : &offering, &w3_local);
    if (st == SDPX_OK)
        st = a->core_w3 ? sdpx_iq_w3_local_info(in, from_wic ? &offering : &answering, &rtp_local)
                        : sdpx_iq_rtp_local_info(in, &offering, &rtp_local);
    /* The offerer's SDP as it is (its a=ice-lite and a=setup included: an AGW's own offer
     * coming back through the wtpf, a diverted call, says ice-lite / actpass). */
    if (st == SDPX_OK) {
        if (from_wic)
            st = sdpx_iq_w3_remote_info(in, NULL, &w3_remote);
        else if (a->core_w3)
            st = sdpx_iq_w3_remote_info(in, NULL, &rtp_remote);
        else
            st = sdpx_iq_rtp_remote_info(in, NULL, &rtp_remote);
    }
    if (st != SDPX_OK) {
        free(w3_local);
        free(rtp_local);
        free(w3_remote);
        free(rtp_remote);
        char why[96];
        g_snprintf(why, sizeof why, "offer: %s", sdpx_strerror(st));
        return refuse(a, step, anchor_sdp_status(st), why);
    }
    a->agw = agw;
    iq_agw_attach(agw, a);
    h248_action *act;
    h248_message *m = iq_request_new(a->iq, h248_ctx_special(H248_CTX_CHOOSE), &act);
    /* SPECS.md §4.5 (3): the W3 side faces the WTPF; before the answer the core side only
     * receives (early media), the W3 side sends and receives. */
    h248_mode w3_mode = H248_MODE_SENDRECV, rtp_mode = H248_MODE_RECVONLY;
    /* WIC to WIC: the far termination is a W3 too, in the access realm, with the same events. */
    const char *far_realm = a->core_w3 ? a->iq->cfg.access_realm : a->iq->cfg.core_realm;
    if (from_wic) {
        h248_command *c = add_termination(a, act, H248_CMD_ADD, "$", a->iq->cfg.access_realm,
                                          w3_mode, w3_local, w3_remote);
        arm_events(a, c);
        c = add_termination(a, act, H248_CMD_ADD, "$", far_realm, rtp_mode, rtp_local, NULL);
        if (a->core_w3) arm_events(a, c);
    } else {
        h248_command *c =
            add_termination(a, act, H248_CMD_ADD, "$", far_realm, rtp_mode, rtp_local, rtp_remote);
        if (a->core_w3) arm_events(a, c);
        c = add_termination(a, act, H248_CMD_ADD, "$", a->iq->cfg.access_realm, w3_mode, w3_local,
                            NULL);
        arm_events(a, c);
    }
    g_free(a->w3_remote);
    g_free(a->rtp_remote);
    a->w3_remote = w3_remote ? g_strdup(w3_remote) : NULL;
    a->rtp_remote = rtp_remote ? g_strdup(rtp_remote) : NULL;
    a->w3_mode = w3_mode;
    a->rtp_mode = rtp_mode;
    free(w3_local);
    free(rtp_local);
    free(w3_remote);
    free(rtp_remote);

    a_req_t *r = g_new0(a_req_t, 1);
    r->step = step;
    r->add = true;
    r->ims_first = !from_wic;
    uint32_t tid = send_req(a, m, r);
    if (!tid) {
        iq_agw_detach(agw, a);
        a->agw = NULL;
        return refuse(a, step, ANCHOR_E_INTERNAL, "Iq request not sent");
    }
    a->state = A_ADDING;
    a->step_tid = tid;
    const char *far = a->core_w3 ? "W3" : "RTP";
    LOGI(RT_SUB_IQ, a->cid,
         "-> %s tid %u: Context = $ { Add = $ (%s, Remote = %s offer), Add = $ (%s) }", agw->mid,
         tid, from_wic ? "W3" : far,
         from_wic     ? "WIC"
         : a->core_w3 ? "far WIC"
                      : "IMS",
         from_wic ? far : "W3");
    return ANCHOR_OK;
}

/* An offer must be WebRTC from the WIC side and plain RTP with audio from the IMS side. */
static sdpx_status check_offer(anchor_t *a, const char *sdp, bool webrtc, const sdpx_info **out)
{
    sdpx_status ss;
    const sdpx_info *in = *out = sdp_of(a, sdp, 0, &ss);
    if (!in) return ss;
    if (webrtc) return in->kind != SDPX_KIND_WEBRTC ? SDPX_E_PROTO : sdpx_check_webrtc(in);
    if (in->audio < 0) return SDPX_E_NO_AUDIO;
    if (in->kind != SDPX_KIND_RTP) return SDPX_E_PROTO;
    return SDPX_OK;
}

/* The offer step, from either side: the first offer reserves both terminations (Add); a
 * re-offer (hold, resume, ICE restart) only rewrites the SDP, the AGW changes on the answer. */
static anchor_status take_offer(anchor_t *a, bool from_wic, const char *offer, anchor_sdp_cb cb,
                                void *ud)
{
    a_step step = from_wic ? STEP_OFFER_WIC : STEP_OFFER_IMS;
    anchor_status st = check_step(a);
    if (st != ANCHOR_OK) return refuse(a, step, st, "another step in progress");
    if (a->offerer != OFFERER_NONE && !a->answered)
        return refuse(a, step, ANCHOR_E_STATE, "an offer is pending (glare)");
    if (!offer) return refuse(a, step, ANCHOR_E_SDP, "no SDP");
    const sdpx_info *in;
    sdpx_status ss = check_offer(a, offer, from_wic || a->core_w3, &in);
    if (ss != SDPX_OK) return refuse(a, step, ANCHOR_E_SDP, sdpx_strerror(ss));

    if (a->state == A_IDLE) {
        step_start(a, step, cb, ud);
        st = send_add(a, step, in, from_wic);
        if (st != ANCHOR_OK) {
            a->step = STEP_NONE;
            a->cb = NULL;
            return st;
        }
    } else {
        char *out = NULL, detail[128] = "";
        st = from_wic ? build_toward_ims(a, offer, NULL, &out, detail, sizeof detail)
                      : build_toward_wic(a, offer, NULL, &out, detail, sizeof detail);
        if (st != ANCHOR_OK) {
            g_free(out);
            return refuse(a, step, st, detail);
        }
        step_start(a, step, cb, ud);
        LOGI(RT_SUB_IQ, a->cid, "%s re-offer: AGW updated on the answer", from_wic ? "WIC" : "IMS");
        finish_later(a, ANCHOR_OK, out, NULL);
    }
    char **kept = from_wic ? &a->wic_offer : &a->ims_offer;
    g_free(*kept);
    *kept = g_strdup(offer);
    a->offerer = from_wic ? OFFERER_WIC : OFFERER_IMS;
    a->answered = false;
    return ANCHOR_OK;
}

anchor_status anchor_offer_from_wic(anchor_t *a, const char *wic_offer, anchor_sdp_cb cb, void *ud)
{
    return take_offer(a, true, wic_offer, cb, ud);
}

anchor_status anchor_offer_from_ims(anchor_t *a, const char *ims_offer, anchor_sdp_cb cb, void *ud)
{
    return take_offer(a, false, ims_offer, cb, ud);
}

/* The answer step: Modify what changed (Remote, Mode, ICE credentials on a restart), then build
 * the SDP for the offerer. */
static void answer_complete(anchor_t *a, a_req_t *r, bool later);

/* RFC 8839 §4.4.1.1.1: an ICE restart answer has new credentials: let the AGW choose them
 * again; everything else of its Local stays. */
static char *local_for_ice_restart(const char *local)
{
    char *l1 = anchor_sdp_set_attr(local, "ice-ufrag", "$");
    char *l2 = anchor_sdp_set_attr(l1, "ice-pwd", "$");
    g_free(l1);
    return l2;
}

static anchor_status send_modify(anchor_t *a, a_step step, char *answer, char *w3_remote,
                                 char *rtp_remote, h248_mode w3_mode, h248_mode rtp_mode,
                                 bool ice_restart, bool far_ice_restart)
{
    bool w3_change = (w3_remote && g_strcmp0(w3_remote, a->w3_remote) != 0) ||
                     w3_mode != a->w3_mode || ice_restart;
    bool rtp_change = (rtp_remote && g_strcmp0(rtp_remote, a->rtp_remote) != 0) ||
                      rtp_mode != a->rtp_mode || far_ice_restart;
    a_req_t *r = g_new0(a_req_t, 1);
    r->step = step;
    r->w3_remote = w3_remote;
    r->rtp_remote = rtp_remote;
    r->w3_mode = w3_mode;
    r->rtp_mode = rtp_mode;
    r->answer = answer;
    if (!w3_change && !rtp_change) {
        /* Nothing to tell the AGW (e.g. the 200 repeats the 183's SDP). */
        answer_complete(a, r, true);
        a_req_free(r);
        return ANCHOR_OK;
    }
    h248_action *act;
    h248_message *m = iq_request_new(a->iq, h248_ctx_num(a->ctx), &act);
    GString *what = g_string_new(NULL);
    /* Order: the side whose peer answered first, as in SPECS.md §4.5 (5). */
    if (rtp_change) {
        bool rem = rtp_remote && g_strcmp0(rtp_remote, a->rtp_remote) != 0;
        if (far_ice_restart) r->rtp_local_req = local_for_ice_restart(a->rtp_local);
        add_termination(a, act, H248_CMD_MODIFY, a->rtp_tid, NULL, rtp_mode, r->rtp_local_req,
                        rem ? rtp_remote : NULL);
        g_string_append_printf(what, "Modify = %s (%s%s%s)", a->rtp_tid, anchor_mode_name(rtp_mode),
                               rem ? ", Remote" : "",
                               far_ice_restart ? ", new ICE credentials" : "");
    }
    if (w3_change) {
        bool rem = w3_remote && g_strcmp0(w3_remote, a->w3_remote) != 0;
        if (ice_restart) r->w3_local_req = local_for_ice_restart(a->w3_local);
        add_termination(a, act, H248_CMD_MODIFY, a->w3_tid, NULL, w3_mode, r->w3_local_req,
                        rem ? w3_remote : NULL);
        g_string_append_printf(what, "%sModify = %s (%s%s%s)", what->len ? ", " : "", a->w3_tid,
                               anchor_mode_name(w3_mode), rem ? ", Remote" : "",
                               ice_restart ? ", new ICE credentials" : "");
    }
    uint32_t tid = send_req(a, m, r);
    if (!tid) {
        g_string_free(what, TRUE);
        return ANCHOR_E_INTERNAL;
    }
    a->state = A_MODIFYING;
    a->step_tid = tid;
    LOGI(RT_SUB_IQ, a->cid, "-> %s tid %u: Context = %u { %s }", a->agw->mid, tid, a->ctx,
         what->str);
    g_string_free(what, TRUE);
    return ANCHOR_OK;
}

/* A re-offer toward a W3 termination that offered first says actpass again (RFC 5763 §5),
 * which the AGW cannot take as Remote of a termination whose role is fixed: install it with
 * the role it takes by our answer (the complement of ours, which the answer keeps). */
static void remote_keeps_role(anchor_t *a, const char *local, const char *old_remote,
                              char **remote)
{
    const sdpx_info *li = local_of(a, local);
    if (!*remote || !li || li->setup != SDPX_SETUP_ACTPASS) return;
    sdpx_setup role = anchor_w3_role_info(li, remote_of(a, old_remote));
    const sdpx_info *ri = remote_of(a, *remote);
    if (!ri || ri->setup != SDPX_SETUP_ACTPASS || role == SDPX_SETUP_NONE) return;
    char *r =
        anchor_sdp_set_attr(*remote, "setup", role == SDPX_SETUP_ACTIVE ? "passive" : "active");
    g_free(*remote);
    *remote = r;
}

/* A new remote ufrag is an ICE restart (RFC 8445 §9): the AGW needs new credentials. */
static bool ice_restarted(anchor_t *a, const char *old_remote, const char *new_remote)
{
    const sdpx_info *o = remote_of(a, old_remote);
    const char *ou = o ? o->ice_ufrag : NULL;
    const sdpx_info *n = remote_of(a, new_remote);
    const char *nu = n ? n->ice_ufrag : NULL;
    return ou && nu && strcmp(ou, nu) != 0;
}

/* The answer is installed (or needed no change): remember it and build the offerer's SDP. */
static void answer_complete(anchor_t *a, a_req_t *r, bool later)
{
    if (r->w3_remote) {
        g_free(a->w3_remote);
        a->w3_remote = g_strdup(r->w3_remote);
    }
    if (r->rtp_remote) {
        g_free(a->rtp_remote);
        a->rtp_remote = g_strdup(r->rtp_remote);
    }
    a->w3_mode = r->w3_mode;
    a->rtp_mode = r->rtp_mode;
    char *out = NULL, detail[128] = "";
    anchor_status st =
        r->step == STEP_ANSWER_IMS
            ? build_toward_wic(a, r->answer, a->wic_offer, &out, detail, sizeof detail)
            : build_toward_ims(a, r->answer, a->ims_offer, &out, detail, sizeof detail);
    if (st == ANCHOR_OK) a->answered = true;
    sdps_done(a);
    if (later) {
        finish_later(a, st, out, st == ANCHOR_OK ? NULL : detail);
    } else {
        step_finish(a, st, out, st == ANCHOR_OK ? NULL : detail);
        g_free(out);
    }
}

anchor_status anchor_answer_from_ims(anchor_t *a, const char *ims_answer, anchor_sdp_cb cb,
                                     void *ud)
{
    anchor_status st = check_step(a);
    if (st != ANCHOR_OK) return refuse(a, STEP_ANSWER_IMS, st, "another step in progress");
    if (a->state != A_READY || a->offerer != OFFERER_WIC)
        return refuse(a, STEP_ANSWER_IMS, ANCHOR_E_STATE, "no offer from the WIC to answer");
    if (!ims_answer) return refuse(a, STEP_ANSWER_IMS, ANCHOR_E_SDP, "no SDP");
    char *rtp_remote = NULL, *w3_remote = NULL;
    sdpx_status ss;
    const sdpx_info *ans = sdp_of(a, ims_answer, 0, &ss), *off = NULL;
    if (ans)
        ss = a->core_w3 ? sdpx_iq_w3_remote_info(ans, NULL, &rtp_remote)
                        : sdpx_iq_rtp_remote_info(ans, NULL, &rtp_remote);
    if (ss == SDPX_OK && (off = sdp_of(a, a->wic_offer, 0, &ss)))
        ss = sdpx_iq_w3_remote_info(off, NULL, &w3_remote);
    if (ss != SDPX_OK) {
        free(rtp_remote);
        free(w3_remote);
        char why[96];
        g_snprintf(why, sizeof why, "IMS answer: %s", sdpx_strerror(ss));
        return refuse(a, STEP_ANSWER_IMS, ANCHOR_E_SDP, why);
    }
    h248_mode w3_mode, rtp_mode;
    anchor_modes(off->dir, ans->dir, &w3_mode, &rtp_mode);
    bool ice_restart = ice_restarted(a, a->w3_remote, w3_remote);
    char *w3r = g_strdup(w3_remote), *rtpr = g_strdup(rtp_remote);
    remote_keeps_role(a, a->w3_local, a->w3_remote, &w3r);
    free(w3_remote);
    free(rtp_remote);
    step_start(a, STEP_ANSWER_IMS, cb, ud);
    st = send_modify(a, STEP_ANSWER_IMS, g_strdup(ims_answer), w3r, rtpr, w3_mode, rtp_mode,
                     ice_restart, false);
    if (st != ANCHOR_OK) {
        a->step = STEP_NONE;
        a->cb = NULL;
        return refuse(a, STEP_ANSWER_IMS, st, "Iq request not sent");
    }
    return ANCHOR_OK;
}

anchor_status anchor_answer_from_wic(anchor_t *a, const char *wic_answer, anchor_sdp_cb cb,
                                     void *ud)
{
    anchor_status st = check_step(a);
    if (st != ANCHOR_OK) return refuse(a, STEP_ANSWER_WIC, st, "another step in progress");
    if (a->state != A_READY || a->offerer != OFFERER_IMS)
        return refuse(a, STEP_ANSWER_WIC, ANCHOR_E_STATE, "no offer from IMS to answer");
    if (!wic_answer) return refuse(a, STEP_ANSWER_WIC, ANCHOR_E_SDP, "no SDP");
    char *rtp_remote = NULL, *w3_remote = NULL;
    sdpx_status ss;
    const sdpx_info *ans = sdp_of(a, wic_answer, 0, &ss), *off = NULL;
    if (ans) ss = sdpx_iq_w3_remote_info(ans, NULL, &w3_remote);
    if (ss == SDPX_OK && (off = sdp_of(a, a->ims_offer, 0, &ss)))
        ss = a->core_w3 ? sdpx_iq_w3_remote_info(off, NULL, &rtp_remote)
                        : sdpx_iq_rtp_remote_info(off, NULL, &rtp_remote);
    if (ss != SDPX_OK) {
        free(rtp_remote);
        free(w3_remote);
        char why[96];
        g_snprintf(why, sizeof why, "WIC answer: %s", sdpx_strerror(ss));
        return refuse(a, STEP_ANSWER_WIC, ANCHOR_E_SDP, why);
    }
    h248_mode w3_mode, rtp_mode;
    anchor_modes(ans->dir, off->dir, &w3_mode, &rtp_mode);
    /* WIC to WIC: the far WIC's re-offer may restart ICE on its own leg. */
    bool far_restart = a->core_w3 && ice_restarted(a, a->rtp_remote, rtp_remote);
    char *w3r = g_strdup(w3_remote), *rtpr = g_strdup(rtp_remote);
    if (a->core_w3) remote_keeps_role(a, a->rtp_local, a->rtp_remote, &rtpr);
    free(w3_remote);
    free(rtp_remote);
    step_start(a, STEP_ANSWER_WIC, cb, ud);
    st = send_modify(a, STEP_ANSWER_WIC, g_strdup(wic_answer), w3r, rtpr, w3_mode, rtp_mode, false,
                     far_restart);
    if (st != ANCHOR_OK) {
        a->step = STEP_NONE;
        a->cb = NULL;
        return refuse(a, STEP_ANSWER_WIC, st, "Iq request not sent");
    }
    return ANCHOR_OK;
}

void anchor_offer_rejected(anchor_t *a)
{
    if (!a || a->freed) return;
    /* Re-offers only touch the AGW with their answer, so nothing needs undoing there. */
    if (a->offerer != OFFERER_NONE && !a->answered) {
        LOGI(RT_SUB_IQ, a->cid, "offer from the %s withdrawn",
             a->offerer == OFFERER_WIC ? "WIC" : "IMS side");
        /* Back to the last completed exchange: the offer texts of an initial offer stay (there
         * is nothing older); a rejected re-offer is simply forgotten. */
        a->answered = true;
    }
    if (a->step == STEP_NONE) sdps_done(a);
}

/* ---- replies ------------------------------------------------------------------------------- */

static void add_reply(anchor_t *a, pcscf_agw_t *agw, a_req_t *r, const h248_transaction *t)
{
    bool current = a->state == A_ADDING && a->step_tid == r->tid;
    bool wanted = current && !a->freed;
    if (!t) {
        if (!current) return;
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: no reply to Add", agw->mid, r->tid);
        iq_agw_detach(agw, a);
        a->agw = NULL;
        a->state = A_IDLE;
        if (a->release_after_add) {
            a->release_after_add = false;
            release_done(a, ANCHOR_E_TIMEOUT, NULL);
        } else {
            step_finish(a, ANCHOR_E_TIMEOUT, NULL, "no reply to Add");
        }
        return;
    }
    anchor_reply_t ri;
    anchor_reply_read(t, &ri);
    if (ri.code || !wanted) {
        /* An error after the context was made, or a context nobody waits for: release it. */
        if (ri.has_ctx && (ri.code || !current || a->freed)) {
            if (!wanted || !a->release_after_add || ri.code)
                subtract_orphan(a->iq, agw, ri.ctx, a->cid);
        }
        if (!current) return;
        if (a->freed || ri.code) {
            iq_agw_detach(agw, a);
            a->agw = NULL;
            a->state = A_IDLE;
            if (ri.code) {
                char detail[160];
                g_snprintf(detail, sizeof detail, "AGW error %u %s", ri.code,
                           ri.text ? ri.text : "");
                LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: Add failed: %s", agw->mid, r->tid, detail);
                if (a->release_after_add) {
                    a->release_after_add = false;
                    release_done(a, anchor_status_of_code(ri.code), NULL);
                } else {
                    step_finish(a, anchor_status_of_code(ri.code), NULL, detail);
                }
            }
            return;
        }
    }
    /* Success: the two Add replies in request order. */
    const h248_command *c1 = NULL, *c2 = NULL;
    for (guint i = 0; ri.act && i < ri.act->commands->len; i++) {
        const h248_command *c = ri.act->commands->pdata[i];
        if (c->type != H248_CMD_ADD) continue;
        if (!c1)
            c1 = c;
        else if (!c2)
            c2 = c;
    }
    const h248_command *w3 = r->ims_first ? c2 : c1, *rtp = r->ims_first ? c1 : c2;
    const char *w3_local = w3 ? anchor_reply_local(w3) : NULL,
               *rtp_local = rtp ? anchor_reply_local(rtp) : NULL;
    if (!ri.has_ctx || !w3 || !rtp || !w3_local || !rtp_local || !w3->term_id || !rtp->term_id ||
        strcmp(w3->term_id, "$") == 0 || strcmp(rtp->term_id, "$") == 0) {
        if (ri.has_ctx) subtract_orphan(a->iq, agw, ri.ctx, a->cid);
        iq_agw_detach(agw, a);
        a->agw = NULL;
        a->state = A_IDLE;
        const char *why = "Add reply without context, termination ids or Local descriptors";
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: %s", agw->mid, r->tid, why);
        if (a->release_after_add) {
            a->release_after_add = false;
            release_done(a, ANCHOR_E_INTERNAL, NULL);
        } else {
            step_finish(a, ANCHOR_E_INTERNAL, NULL, why);
        }
        return;
    }
    a->ctx = ri.ctx;
    iq_agw_bind_ctx(agw, a->ctx, a);
    g_free(a->w3_tid);
    g_free(a->rtp_tid);
    a->w3_tid = g_strdup(w3->term_id);
    a->rtp_tid = g_strdup(rtp->term_id);
    g_free(a->w3_local);
    g_free(a->rtp_local);
    a->w3_local = g_strdup(w3_local);
    a->rtp_local = g_strdup(rtp_local);
    a->state = A_READY;
    iq_update_gauges(a->iq);
    const char *core_addr = NULL;
    unsigned core_port = 0;
    anchor_info_conn(local_of(a, a->rtp_local), &core_addr, &core_port);
    LOGI(RT_SUB_IQ, a->cid, "<- %s tid %u: Context = %u { %s, %s (%s %s:%u) }", agw->mid, r->tid,
         a->ctx, a->w3_tid, a->rtp_tid, a->core_w3 ? "far W3" : "core", core_addr ? core_addr : "?",
         core_port);
    if (a->release_after_add) {
        a->release_after_add = false;
        a->step = STEP_NONE;
        anchor_stats_cb scb = a->scb;
        void *sud = a->scb_ud;
        if (anchor_release(a, scb, sud) != ANCHOR_OK)
            LOGE(RT_SUB_IQ, a->cid, "cannot release context %u", a->ctx);
        return;
    }
    char *out = NULL, detail[128] = "";
    anchor_status st = r->step == STEP_OFFER_WIC
                           ? build_toward_ims(a, a->wic_offer, NULL, &out, detail, sizeof detail)
                           : build_toward_wic(a, a->ims_offer, NULL, &out, detail, sizeof detail);
    step_finish(a, st, out, st == ANCHOR_OK ? NULL : detail);
    g_free(out);
}

/* After an ICE restart: the termination's new Local (new credentials) from the Modify reply. */
static void take_new_local(anchor_t *a, pcscf_agw_t *agw, const a_req_t *r,
                           const anchor_reply_t *ri, const char *tid, char **local)
{
    const char *nl = NULL;
    for (guint i = 0; ri->act && i < ri->act->commands->len; i++) {
        const h248_command *c = ri->act->commands->pdata[i];
        if (c->term_id && g_strcmp0(c->term_id, tid) == 0) nl = anchor_reply_local(c);
    }
    if (nl) {
        g_free(*local);
        *local = g_strdup(nl);
    } else {
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: no new Local of %s after an ICE restart", agw->mid,
             r->tid, tid);
    }
}

static void modify_reply(anchor_t *a, pcscf_agw_t *agw, a_req_t *r, const h248_transaction *t)
{
    if (a->state != A_MODIFYING || a->step_tid != r->tid) return; /* cancelled */
    a->state = A_READY;
    if (!t) {
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: no reply to Modify", agw->mid, r->tid);
        step_finish(a, ANCHOR_E_TIMEOUT, NULL, "no reply to Modify");
        return;
    }
    anchor_reply_t ri;
    anchor_reply_read(t, &ri);
    if (ri.code) {
        char detail[160];
        g_snprintf(detail, sizeof detail, "AGW error %u %s", ri.code, ri.text ? ri.text : "");
        LOGW(RT_SUB_IQ, a->cid, "<- %s tid %u: Modify failed: %s", agw->mid, r->tid, detail);
        step_finish(a, anchor_status_of_code(ri.code), NULL, detail);
        return;
    }
    if (r->w3_local_req) take_new_local(a, agw, r, &ri, a->w3_tid, &a->w3_local);
    if (r->rtp_local_req) take_new_local(a, agw, r, &ri, a->rtp_tid, &a->rtp_local);
    LOGI(RT_SUB_IQ, a->cid, "<- %s tid %u: Context = %u modified", agw->mid, r->tid, a->ctx);
    answer_complete(a, r, false);
}

static void on_reply(pcscf_iq_t *iq, pcscf_agw_t *agw, const h248_transaction *t, void *ud)
{
    a_req_t *r = ud;
    anchor_t *a = r->a;
    if (r->add)
        add_reply(a, agw, r, t);
    else if (r->step == STEP_RELEASE)
        subtract_reply(a, agw, r, t);
    else
        modify_reply(a, agw, r, t);
    a_req_free(r);
    anchor_unref(a);
}
