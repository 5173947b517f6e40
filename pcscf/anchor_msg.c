/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Iq commands and replies, SDP for each side and stream modes of an anchored call (see
 * anchor_msg.h). Pure: no I/O, no logging. */
#include "pcscf/anchor_msg.h"

#include <string.h>

/* ---- Iq ------------------------------------------------------------------------------------ */

h248_command *anchor_msg_termination(h248_action *act, h248_cmd_type type, const char *term_id,
                                     const char *realm, const char *cid_property, const char *cid,
                                     h248_mode mode, const char *local, const char *remote)
{
    h248_command *c = h248_action_add_command(act, type, term_id);
    h248_media *m = h248_command_media(c);
    if (realm) {
        h248_term_state *ts = h248_media_term_state(m);
        h248_props_add(&ts->props, "ipdc/realm", realm, true);
        /* the call's correlation id on the wire (docs/IQ-MGC.md) */
        if (cid_property && *cid_property && cid)
            h248_props_add(&ts->props, cid_property, cid, true);
    }
    /* SPECS.md §4.5: one stream, id 1 */
    h248_stream *s = h248_media_stream(m, 1);
    if (mode != H248_MODE_NONE) h248_stream_local_control(s)->mode = mode;
    if (local) h248_stream_set_local(s, local);
    if (remote) h248_stream_set_remote(s, remote);
    return c;
}

void anchor_reply_read(const h248_transaction *t, anchor_reply_t *ri)
{
    memset(ri, 0, sizeof *ri);
    if (t->error) {
        ri->code = t->error->code;
        ri->text = t->error->text;
        return;
    }
    if (!t->actions || !t->actions->len) {
        ri->code = 500;
        ri->text = "reply without action";
        return;
    }
    const h248_action *act = t->actions->pdata[0];
    ri->act = act;
    if (act->ctx.kind == H248_CTX_NUM) {
        ri->has_ctx = true;
        ri->ctx = act->ctx.num;
    }
    if (act->error) {
        ri->code = act->error->code;
        ri->text = act->error->text;
        return;
    }
    for (guint i = 0; act->commands && i < act->commands->len; i++) {
        const h248_command *c = act->commands->pdata[i];
        if (c->error) {
            ri->code = c->error->code;
            ri->text = c->error->text;
            return;
        }
    }
}

anchor_status anchor_status_of_code(unsigned code)
{
    switch (code) {
    case 0:
        return ANCHOR_OK;
    case 412: /* No ContextIDs available */
    case 432: /* Out of TerminationIDs */
    case 502: /* Not ready */
    case 505: /* request before the ServiceChange reply: the AGW is (re)registering */
    case 510: /* Insufficient resources */
        return ANCHOR_E_BUSY;
    case 515: /* Unsupported media type */
        return ANCHOR_E_SDP;
    default:
        return ANCHOR_E_AGW_ERROR;
    }
}

const char *anchor_reply_local(const h248_command *c)
{
    if (!c->media || !c->media->streams) return NULL;
    for (guint i = 0; i < c->media->streams->len; i++) {
        const h248_stream *s = c->media->streams->pdata[i];
        if (s->local && *s->local) return s->local;
    }
    return NULL;
}

void anchor_stats_init(anchor_stats_t *s)
{
    s->access_sent = s->access_received = s->core_sent = s->core_received = -1;
    s->access_lost = s->core_lost = -1;
}

/* SPECS.md §4.5 (6); H.248.1 Annex E.12 (rtp package statistics). rtp/pl is a loss percentage
 * (E.12.4); the AGW sends the lost-packet count as wtpf/lr (docs/IQ-PROFILE.md). */
void anchor_stats_parse(anchor_stats_t *st, bool access, const GPtrArray *stats)
{
    for (guint i = 0; stats && i < stats->len; i++) {
        const h248_prop *p = stats->pdata[i];
        const char *v = h248_prop_value(p);
        if (!v || !p->name) continue;
        int64_t n = g_ascii_strtoll(v, NULL, 10);
        if (g_ascii_strcasecmp(p->name, "rtp/ps") == 0)
            *(access ? &st->access_sent : &st->core_sent) = n;
        else if (g_ascii_strcasecmp(p->name, "rtp/pr") == 0)
            *(access ? &st->access_received : &st->core_received) = n;
        else if (g_ascii_strcasecmp(p->name, "wtpf/lr") == 0)
            *(access ? &st->access_lost : &st->core_lost) = n;
    }
}

const char *anchor_mode_name(h248_mode m)
{
    switch (m) {
    case H248_MODE_SENDRECV:
        return "SendReceive";
    case H248_MODE_RECVONLY:
        return "ReceiveOnly";
    case H248_MODE_SENDONLY:
        return "SendOnly";
    case H248_MODE_INACTIVE:
        return "Inactive";
    case H248_MODE_LOOPBACK:
        return "Loopback";
    default:
        return "-";
    }
}

/* ---- SDP ----------------------------------------------------------------------------------- */

anchor_status anchor_sdp_status(sdpx_status st)
{
    switch (st) {
    case SDPX_OK:
        return ANCHOR_OK;
    case SDPX_E_NOMEM:
    case SDPX_E_PRINT:
    case SDPX_E_INVAL:
        return ANCHOR_E_INTERNAL;
    case SDPX_E_INCOMPLETE:
        return ANCHOR_E_INTERNAL; /* the AGW left "$" or a value out */
    default:
        return ANCHOR_E_SDP;
    }
}

bool anchor_info_conn(const sdpx_info *in, const char **addr, unsigned *port)
{
    if (!in || in->audio < 0 || in->port == 0 || !in->addr || strcmp(in->addr, "$") == 0)
        return false;
    *addr = in->addr;
    *port = in->port;
    return true;
}

bool anchor_sdp_conn(const char *sdp, char **addr, unsigned *port)
{
    sdpx_info in;
    if (!sdp || sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, &in) != SDPX_OK) return false;
    const char *a = NULL;
    bool ok = anchor_info_conn(&in, &a, port);
    if (ok) *addr = g_strdup(a);
    sdpx_info_clear(&in);
    return ok;
}

char *anchor_sdp_set_attr(const char *sdp, const char *attr, const char *value)
{
    GString *o = g_string_new(NULL);
    size_t al = strlen(attr);
    const char *p = sdp;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        if (strncmp(p, "a=", 2) == 0 && strncmp(p + 2, attr, al) == 0 && p[2 + al] == ':')
            g_string_append_printf(o, "a=%s:%s\r\n", attr, value);
        else
            g_string_append_len(o, p, (gssize)n);
        p += n;
    }
    return g_string_free(o, FALSE);
}

sdpx_dir anchor_sdp_dir(const char *sdp)
{
    sdpx_info in;
    if (!sdp || sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, &in) != SDPX_OK)
        return SDPX_DIR_SENDRECV;
    sdpx_dir d = in.dir;
    sdpx_info_clear(&in);
    return d;
}

char *anchor_sdp_ufrag(const char *sdp)
{
    sdpx_info in;
    if (!sdp || sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, &in) != SDPX_OK) return NULL;
    char *u = g_strdup(in.ice_ufrag);
    sdpx_info_clear(&in);
    return u;
}

sdpx_setup anchor_sdp_setup(const char *sdp)
{
    sdpx_info in;
    if (!sdp || sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, &in) != SDPX_OK)
        return SDPX_SETUP_NONE;
    sdpx_setup s = in.setup;
    sdpx_info_clear(&in);
    return s;
}

sdpx_setup anchor_w3_role_info(const sdpx_info *local, const sdpx_info *remote)
{
    sdpx_setup mine = local ? local->setup : SDPX_SETUP_NONE;
    if (mine == SDPX_SETUP_ACTIVE || mine == SDPX_SETUP_PASSIVE) return mine;
    if (mine != SDPX_SETUP_ACTPASS) return SDPX_SETUP_NONE;
    switch (remote ? remote->setup : SDPX_SETUP_NONE) {
    case SDPX_SETUP_ACTIVE:
        return SDPX_SETUP_PASSIVE;
    case SDPX_SETUP_PASSIVE:
        return SDPX_SETUP_ACTIVE;
    default:
        return SDPX_SETUP_NONE;
    }
}

sdpx_setup anchor_w3_role(const char *local, const char *remote)
{
    sdpx_info l, r;
    bool lok = local && sdpx_classify(local, strlen(local), SDPX_F_LENIENT, &l) == SDPX_OK;
    bool rok = lok && l.setup == SDPX_SETUP_ACTPASS && remote &&
               sdpx_classify(remote, strlen(remote), SDPX_F_LENIENT, &r) == SDPX_OK;
    sdpx_setup role = anchor_w3_role_info(lok ? &l : NULL, rok ? &r : NULL);
    if (lok) sdpx_info_clear(&l);
    if (rok) sdpx_info_clear(&r);
    return role;
}

static bool dir_sends(sdpx_dir d)
{
    return d == SDPX_DIR_SENDRECV || d == SDPX_DIR_SENDONLY;
}

static bool dir_recvs(sdpx_dir d)
{
    return d == SDPX_DIR_SENDRECV || d == SDPX_DIR_RECVONLY;
}

/* H.248.1 §7.1.7: "send" and "receive" are with respect to the exterior of the context. */
static h248_mode mode_of(bool recv, bool send)
{
    return recv && send ? H248_MODE_SENDRECV
           : recv       ? H248_MODE_RECVONLY
           : send       ? H248_MODE_SENDONLY
                        : H248_MODE_INACTIVE;
}

void anchor_modes(sdpx_dir wic, sdpx_dir ims, h248_mode *w3, h248_mode *rtp)
{
    /* RFC 3264 §6.1: media flows one way when that side may send and the other receive */
    bool wic_to_ims = dir_sends(wic) && dir_recvs(ims);
    bool ims_to_wic = dir_recvs(wic) && dir_sends(ims);
    *w3 = mode_of(wic_to_ims, ims_to_wic);
    *rtp = mode_of(ims_to_wic, wic_to_ims);
}

/* sdpx output is malloc'd; callers of this file get GLib memory. */
static char *to_glib(char *s)
{
    char *g = g_strdup(s);
    free(s);
    return g;
}

anchor_status anchor_toward_ims_info(const sdpx_info *rtp_local, const sdpx_info *wic,
                                     const sdpx_info *ims_offer, const sdpx_codec_filter *f,
                                     unsigned o_add, char **out, char *detail, size_t dn)
{
    *out = NULL;
    const char *addr = NULL;
    unsigned port = 0;
    if (!anchor_info_conn(rtp_local, &addr, &port)) {
        g_snprintf(detail, dn, "AGW core Local without address/port");
        return ANCHOR_E_INTERNAL;
    }
    sdpx_ims_params p = {.addr = addr, .port = port, .o_version_add = o_add};
    if (f) p.filter = *f;
    char *o = NULL;
    sdpx_status st = ims_offer ? sdpx_to_ims_answer_info(wic, ims_offer, &p, &o)
                               : sdpx_to_ims_offer_info(wic, &p, &o);
    if (st != SDPX_OK) g_snprintf(detail, dn, "SDP toward IMS: %s", sdpx_strerror(st));
    if (o) *out = to_glib(o);
    return anchor_sdp_status(st);
}

/* A text input that does not parse, reported as the text functions of sdp_rewrite.h would. */
static anchor_status parse_failed(sdpx_status st, const char *toward, char *detail, size_t dn)
{
    g_snprintf(detail, dn, "SDP toward %s: %s", toward, sdpx_strerror(st));
    return anchor_sdp_status(st);
}

anchor_status anchor_sdp_toward_ims(const char *rtp_local, const char *wic_sdp,
                                    const char *ims_offer, const sdpx_codec_filter *f,
                                    unsigned o_add, char **out, char *detail, size_t dn)
{
    *out = NULL;
    sdpx_info loc, wic, off;
    if (!rtp_local ||
        sdpx_classify(rtp_local, strlen(rtp_local), SDPX_F_LENIENT, &loc) != SDPX_OK) {
        g_snprintf(detail, dn, "AGW core Local without address/port");
        return ANCHOR_E_INTERNAL;
    }
    sdpx_status ss = sdpx_classify(wic_sdp, wic_sdp ? strlen(wic_sdp) : 0, 0, &wic);
    if (ss == SDPX_OK && ims_offer) {
        ss = sdpx_classify(ims_offer, strlen(ims_offer), 0, &off);
        if (ss != SDPX_OK) sdpx_info_clear(&wic);
    }
    const char *addr;
    unsigned port;
    anchor_status st;
    if (ss == SDPX_OK) {
        st = anchor_toward_ims_info(&loc, &wic, ims_offer ? &off : NULL, f, o_add, out, detail,
                                    dn);
        sdpx_info_clear(&wic);
        if (ims_offer) sdpx_info_clear(&off);
    } else if (!anchor_info_conn(&loc, &addr, &port)) {
        g_snprintf(detail, dn, "AGW core Local without address/port");
        st = ANCHOR_E_INTERNAL;
    } else {
        st = parse_failed(ss, "IMS", detail, dn);
    }
    sdpx_info_clear(&loc);
    return st;
}

anchor_status anchor_toward_wic_info(const sdpx_info *w3_local, const sdpx_info *ims,
                                     const sdpx_info *wic_offer, const sdpx_codec_filter *f,
                                     unsigned o_add, char **out, char *detail, size_t dn)
{
    *out = NULL;
    if (!w3_local) {
        g_snprintf(detail, dn, "no AGW W3 Local");
        return ANCHOR_E_INTERNAL;
    }
    sdpx_wic_params p = {.o_version_add = o_add};
    if (f) p.filter = *f;
    sdpx_status st;
    char *o = NULL;
    if (wic_offer) {
        st = sdpx_to_wic_answer_info(ims, w3_local, wic_offer, &p, &o);
    } else {
        /* RFC 5763 §5: an offer says actpass, also when the association exists already. A
         * shallow copy with another role: the strings stay the cache's. */
        sdpx_info local = *w3_local;
        if (local.setup != SDPX_SETUP_NONE) local.setup = SDPX_SETUP_ACTPASS;
        st = sdpx_to_wic_offer_info(ims, &local, &p, &o);
    }
    if (st != SDPX_OK) g_snprintf(detail, dn, "SDP toward the WIC: %s", sdpx_strerror(st));
    if (o) *out = to_glib(o);
    return anchor_sdp_status(st);
}

anchor_status anchor_sdp_toward_wic(const char *w3_local, const char *ims_sdp,
                                    const char *wic_offer, const sdpx_codec_filter *f,
                                    unsigned o_add, char **out, char *detail, size_t dn)
{
    *out = NULL;
    if (!w3_local) {
        g_snprintf(detail, dn, "no AGW W3 Local");
        return ANCHOR_E_INTERNAL;
    }
    sdpx_info ims, loc, off;
    sdpx_status ss = sdpx_classify(ims_sdp, ims_sdp ? strlen(ims_sdp) : 0, 0, &ims);
    if (ss == SDPX_OK) {
        ss = sdpx_classify(w3_local, strlen(w3_local), SDPX_F_TEMPLATE, &loc);
        if (ss != SDPX_OK) sdpx_info_clear(&ims);
    }
    if (ss == SDPX_OK && wic_offer) {
        ss = sdpx_classify(wic_offer, strlen(wic_offer), 0, &off);
        if (ss != SDPX_OK) {
            sdpx_info_clear(&ims);
            sdpx_info_clear(&loc);
        }
    }
    if (ss != SDPX_OK) return parse_failed(ss, "the WIC", detail, dn);
    anchor_status st =
        anchor_toward_wic_info(&loc, &ims, wic_offer ? &off : NULL, f, o_add, out, detail, dn);
    sdpx_info_clear(&ims);
    sdpx_info_clear(&loc);
    if (wic_offer) sdpx_info_clear(&off);
    return st;
}

bool anchor_sdp_origin(const char *sdp, char **who, uint64_t *version)
{
    sdpx_info in;
    if (!sdp || sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, &in) != SDPX_OK) return false;
    bool ok = in.o_user != NULL;
    if (ok) {
        *who = g_strdup_printf("%s %" G_GUINT64_FORMAT, in.o_user, in.o_id);
        *version = in.o_version;
    }
    sdpx_info_clear(&in);
    return ok;
}

/* The text without its o= line. */
static char *without_origin(const char *sdp)
{
    GString *o = g_string_new(NULL);
    for (const char *p = sdp; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        if (strncmp(p, "o=", 2) != 0) g_string_append_len(o, p, (gssize)n);
        p += n;
    }
    return g_string_free(o, FALSE);
}

bool anchor_sdp_changed(const char *a, const char *b)
{
    char *x = without_origin(a), *y = without_origin(b);
    bool changed = strcmp(x, y) != 0;
    g_free(x);
    g_free(y);
    return changed;
}
