/* SDP classification: a line check that keeps input away from known sofia-sip parser faults,
 * sofia-sip's sdp_parse(), then extraction of what the pcscf and the AGW need (audio codecs,
 * direction, ICE, DTLS, rtcp-mux, mid, BUNDLE) into an sdpx_info with owned strings. */
#include "sdp_rewrite_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* sofia-sip's TOKEN set (sdp_parse.c); also RFC 4566 token-char minus nothing we need. */
#define TOKEN_CHARS                                                                                \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`{|}~"

static bool is_token(const char *s, size_t n, const char *extra)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || (!strchr(TOKEN_CHARS, s[i]) && !(extra && strchr(extra, s[i]))))
            return false;
    }
    return true;
}

static bool is_digits(const char *s, size_t n, size_t maxn)
{
    if (n == 0 || n > maxn) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* m=<media> <port>[/<n>] <proto> <fmt> ...  (RFC 4566 §5.14). The Debian sofia-sip loops
 * forever on a format that is not a token and reads past a one-character line, so both are
 * refused here before its parser runs. */
static bool mline_ok(const char *l, size_t n, bool tmpl, size_t *dollar_at)
{
    size_t i = 2, field = 0;
    *dollar_at = 0;
    while (i < n) {
        size_t st = i;
        while (i < n && l[i] != ' ')
            i++;
        size_t fl = i - st;
        if (fl == 0) { /* a run of spaces */
            if (field == 0) return false;
            i++;
            continue;
        }
        const char *f = l + st;
        switch (field) {
        case 0:
            if (!is_token(f, fl, NULL)) return false;
            break;
        case 1: {
            if (tmpl && fl == 1 && f[0] == '$') {
                *dollar_at = st;
                break;
            }
            const char *slash = memchr(f, '/', fl);
            size_t pl = slash ? (size_t)(slash - f) : fl;
            if (!is_digits(f, pl, 5) || strtoul(f, NULL, 10) > 65535) return false;
            if (slash && !is_digits(slash + 1, fl - pl - 1, 5)) return false;
            break;
        }
        case 2:
            if (!is_token(f, fl, "/")) return false;
            break;
        default:
            if (!is_token(f, fl, NULL)) return false;
        }
        field++;
    }
    return field >= 4;
}

/* Line check. Template mode copies the text with "$" ports replaced by "9" (flagged per m=
 * line) so that sofia-sip can parse it. */
static sdpx_status lex_check(const char *sdp, size_t len, bool tmpl, char **copy, uint32_t *dollar)
{
    size_t i = 0, nm = 0;
    *dollar = 0;
    *copy = NULL;
    if (len > SDPX_MAX_SDP) return SDPX_E_TOO_LARGE;
    if (len < 3) return SDPX_E_SYNTAX;
    while (i < len) {
        if (sdp[i] == '\r' || sdp[i] == '\n') {
            i++;
            continue;
        }
        size_t st = i;
        while (i < len && sdp[i] != '\r' && sdp[i] != '\n') {
            unsigned char c = (unsigned char)sdp[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return SDPX_E_SYNTAX;
            i++;
        }
        const char *l = sdp + st;
        size_t n = i - st;
        if (n < 2 || l[0] < 'a' || l[0] > 'z' || l[1] != '=') return SDPX_E_SYNTAX;
        if (l[0] == 'm') {
            size_t d;
            if (!mline_ok(l, n, tmpl, &d)) return SDPX_E_SYNTAX;
            if (nm >= SDPX_MAX_MLINES) return SDPX_E_LIMIT;
            if (d) {
                if (!*copy) {
                    *copy = malloc(len + 1);
                    if (!*copy) return SDPX_E_NOMEM;
                    memcpy(*copy, sdp, len);
                    (*copy)[len] = '\0';
                }
                (*copy)[st + d] = '9';
                *dollar |= 1u << nm;
            }
            nm++;
        }
    }
    return SDPX_OK;
}

/* ---- owned-string helpers ---- */

typedef struct {
    sdpx_info *info;
    bool oom;
} ext;

static char *dup(ext *e, const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) e->oom = true;
    return d;
}

static char *dupn(ext *e, const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d) e->oom = true;
    return d;
}

static const char *skip_sp(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Attribute on the media line, else at session level (where RFC 8839/8122/4145 allow it). */
static const sdp_attribute_t *find2(const sdp_media_t *m, const sdp_session_t *s, const char *name)
{
    const sdp_attribute_t *a = m ? sdp_attribute_find(m->m_attributes, name) : NULL;
    if (!a && s) a = sdp_attribute_find(s->sdp_attributes, name);
    return a;
}

static sdpx_dir dir_of(const sdp_attribute_t *list, sdpx_dir def)
{
    for (const sdp_attribute_t *a = list; a; a = a->a_next) {
        if (!strcasecmp(a->a_name, "sendrecv")) return SDPX_DIR_SENDRECV;
        if (!strcasecmp(a->a_name, "sendonly")) return SDPX_DIR_SENDONLY;
        if (!strcasecmp(a->a_name, "recvonly")) return SDPX_DIR_RECVONLY;
        if (!strcasecmp(a->a_name, "inactive")) return SDPX_DIR_INACTIVE;
    }
    return def;
}

static sdpx_setup setup_of(const char *v)
{
    if (!v) return SDPX_SETUP_NONE;
    v = skip_sp(v);
    if (!strcasecmp(v, "actpass")) return SDPX_SETUP_ACTPASS;
    if (!strcasecmp(v, "active")) return SDPX_SETUP_ACTIVE;
    if (!strcasecmp(v, "passive")) return SDPX_SETUP_PASSIVE;
    if (!strcasecmp(v, "holdconn")) return SDPX_SETUP_HOLDCONN;
    return SDPX_SETUP_NONE;
}

static unsigned leading_uint(const char *v, unsigned max)
{
    if (!v) return 0;
    v = skip_sp(v);
    if (*v < '0' || *v > '9') return 0;
    unsigned long x = strtoul(v, NULL, 10);
    return x > max ? 0 : (unsigned)x;
}

/* ---- codecs ---- */

static sdpx_codec *codec_by_pt(sdpx_info *info, unsigned pt)
{
    for (size_t i = 0; i < info->n_codecs; i++)
        if (info->codecs[i].pt == pt) return &info->codecs[i];
    return NULL;
}

static void codec_add(ext *e, unsigned pt, const char *name, unsigned long rate, const char *chans,
                      const char *fmtp)
{
    sdpx_info *info = e->info;
    if (info->n_codecs >= SDPX_MAX_CODECS || codec_by_pt(info, pt)) return;
    sdpx_codec *c = &info->codecs[info->n_codecs++];
    c->pt = pt;
    c->name = dup(e, name ? name : "");
    c->rate = rate > 10000000 ? 0 : (unsigned)rate;
    c->channels = 1;
    if (chans && *chans) {
        unsigned long ch = strtoul(chans, NULL, 10);
        if (ch >= 1 && ch <= 255) c->channels = (unsigned)ch;
    }
    c->fmtp = fmtp ? dup(e, skip_sp(fmtp)) : NULL;
}

/* "<pt> <name>/<rate>[/<channels>]" (RFC 4566 §6). */
static sdpx_status rtpmap_attr(ext *e, const char *v)
{
    char *end;
    v = skip_sp(v);
    if (*v < '0' || *v > '9') return SDPX_E_SYNTAX;
    unsigned long pt = strtoul(v, &end, 10);
    if (pt > 127 || (*end != ' ' && *end != '\t')) return SDPX_E_SYNTAX;
    sdpx_codec *c = codec_by_pt(e->info, (unsigned)pt);
    if (!c) return SDPX_OK; /* not on the m= line: ignored, as sofia-sip does for RTP/AVP */
    const char *name = skip_sp(end);
    const char *slash = strchr(name, '/');
    if (!slash || !is_token(name, (size_t)(slash - name), NULL)) return SDPX_E_SYNTAX;
    if (slash[1] < '0' || slash[1] > '9') return SDPX_E_SYNTAX;
    unsigned long rate = strtoul(slash + 1, &end, 10);
    unsigned long ch = 1;
    if (*end == '/') {
        if (end[1] < '0' || end[1] > '9') return SDPX_E_SYNTAX;
        ch = strtoul(end + 1, &end, 10);
    }
    if (*skip_sp(end) != '\0' || rate == 0 || rate > 10000000 || ch == 0 || ch > 255)
        return SDPX_E_SYNTAX;
    free(c->name);
    c->name = dupn(e, name, (size_t)(slash - name));
    c->rate = (unsigned)rate;
    c->channels = (unsigned)ch;
    return SDPX_OK;
}

static void fmtp_attr(ext *e, const char *v)
{
    char *end;
    v = skip_sp(v);
    if (*v < '0' || *v > '9') return;
    unsigned long pt = strtoul(v, &end, 10);
    if (pt > 127 || (*end != ' ' && *end != '\t')) return;
    sdpx_codec *c = codec_by_pt(e->info, (unsigned)pt);
    if (!c || c->fmtp) return;
    const char *p = skip_sp(end);
    if (*p) c->fmtp = dup(e, p);
}

/* RTP/AVP: sofia-sip has parsed rtpmap/fmtp into m_rtpmaps. Other RTP protos (the Debian
 * sofia-sip knows neither RTP/AVPF nor UDP/TLS/RTP/SAVPF) keep formats as text and rtpmap/fmtp
 * as plain attributes, which are read here. */
static sdpx_status extract_codecs(ext *e, const sdp_media_t *m)
{
    if (m->m_rtpmaps) {
        for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
            if (rm->rm_any) continue;
            codec_add(e, rm->rm_pt, rm->rm_encoding, rm->rm_rate, rm->rm_params, rm->rm_fmtp);
        }
        return SDPX_OK;
    }
    for (const sdp_list_t *l = m->m_format; l; l = l->l_next) {
        const char *t = l->l_text;
        size_t n = t ? strlen(t) : 0;
        if (!is_digits(t, n, 3)) return SDPX_E_SYNTAX;
        unsigned long pt = strtoul(t, NULL, 10);
        if (pt > 127) return SDPX_E_SYNTAX;
        const sdp_rtpmap_t *wk = sdp_rtpmap_well_known[pt];
        if (wk)
            codec_add(e, (unsigned)pt, wk->rm_encoding, wk->rm_rate, wk->rm_params, NULL);
        else
            codec_add(e, (unsigned)pt, "", 0, NULL, NULL);
    }
    for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next) {
        if (!a->a_value) continue;
        if (!strcasecmp(a->a_name, "rtpmap")) {
            sdpx_status st = rtpmap_attr(e, a->a_value);
            if (st != SDPX_OK) return st;
        } else if (!strcasecmp(a->a_name, "fmtp")) {
            fmtp_attr(e, a->a_value);
        }
    }
    return SDPX_OK;
}

static char *fmts_text(ext *e, const sdp_media_t *m)
{
    char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    if (m->m_rtpmaps) {
        for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm && n < sizeof buf - 8; rm = rm->rm_next)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%u", n ? " " : "", rm->rm_pt);
    } else {
        for (const sdp_list_t *l = m->m_format; l && l->l_text; l = l->l_next) {
            size_t tl = strlen(l->l_text);
            if (n + tl + 2 > sizeof buf) break;
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", l->l_text);
        }
    }
    return dup(e, n ? buf : "0");
}

static sdpx_kind kind_of(const char *proto)
{
    if (sdpx_is_audio_rtp_proto(proto)) return SDPX_KIND_RTP;
    if (sdpx_is_dtls_srtp_proto(proto)) return SDPX_KIND_WEBRTC;
    return SDPX_KIND_OTHER;
}

static sdpx_status extract_audio(ext *e, const sdp_session_t *s, const sdp_media_t *m)
{
    sdpx_info *info = e->info;
    const sdp_attribute_t *a;

    info->proto = dup(e, m->m_proto_name);
    info->kind = kind_of(m->m_proto_name);
    const sdp_connection_t *c = m->m_connections ? m->m_connections : s->sdp_connection;
    info->addr = c ? dup(e, c->c_address) : NULL;
    info->dir = dir_of(m->m_attributes, dir_of(s->sdp_attributes, SDPX_DIR_SENDRECV));
    if (info->kind != SDPX_KIND_OTHER) {
        sdpx_status st = extract_codecs(e, m);
        if (st != SDPX_OK) return st;
    }
    info->ptime =
        leading_uint((a = sdp_attribute_find(m->m_attributes, "ptime")) ? a->a_value : NULL, 10000);
    info->maxptime = leading_uint(
        (a = sdp_attribute_find(m->m_attributes, "maxptime")) ? a->a_value : NULL, 10000);
    info->rtcp_port =
        leading_uint((a = sdp_attribute_find(m->m_attributes, "rtcp")) ? a->a_value : NULL, 65535);

    if ((a = find2(m, s, "ice-ufrag")) && a->a_value) info->ice_ufrag = dup(e, skip_sp(a->a_value));
    if ((a = find2(m, s, "ice-pwd")) && a->a_value) info->ice_pwd = dup(e, skip_sp(a->a_value));
    if ((a = find2(m, s, "ice-options")) && a->a_value)
        info->ice_options = dup(e, skip_sp(a->a_value));
    if (sdp_attribute_find(m->m_attributes, "ice-lite")) info->ice_lite = true;
    if ((a = find2(m, s, "fingerprint")) && a->a_value) {
        const char *v = skip_sp(a->a_value);
        const char *sp = strpbrk(v, " \t");
        if (sp) {
            info->fp_hash = dupn(e, v, (size_t)(sp - v));
            info->fp_value = dup(e, skip_sp(sp));
        } else {
            info->fp_hash = dup(e, v);
        }
    }
    if ((a = find2(m, s, "setup"))) info->setup = setup_of(a->a_value);
    if ((a = find2(m, s, "tls-id")) && a->a_value) info->tls_id = dup(e, skip_sp(a->a_value));
    info->rtcp_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != NULL;
    info->rtcp_mux_only = sdp_attribute_find(m->m_attributes, "rtcp-mux-only") != NULL;
    info->rtcp_rsize = sdp_attribute_find(m->m_attributes, "rtcp-rsize") != NULL;
    for (a = m->m_attributes; a; a = a->a_next) {
        if (!strcasecmp(a->a_name, "candidate") && a->a_value &&
            info->n_cands < SDPX_MAX_CANDIDATES)
            info->cands[info->n_cands++] = dup(e, skip_sp(a->a_value));
        else if (!strcasecmp(a->a_name, "end-of-candidates"))
            info->end_of_candidates = true;
    }
    return SDPX_OK;
}

static sdpx_status extract(ext *e, const sdp_session_t *s, uint32_t dollar)
{
    sdpx_info *info = e->info;
    const sdp_attribute_t *a;

    if (s->sdp_origin && s->sdp_origin->o_address) {
        info->o_user = dup(e, s->sdp_origin->o_username);
        info->o_id = s->sdp_origin->o_id;
        info->o_version = s->sdp_origin->o_version;
        info->o_addr = dup(e, s->sdp_origin->o_address->c_address);
    }
    for (a = s->sdp_attributes; a; a = a->a_next) {
        if (!strcasecmp(a->a_name, "group") && a->a_value && !info->bundle) {
            const char *v = skip_sp(a->a_value);
            if (!strncasecmp(v, "BUNDLE", 6) && (v[6] == '\0' || v[6] == ' '))
                info->bundle = dup(e, skip_sp(v + 6));
        } else if (!strcasecmp(a->a_name, "ice-lite")) {
            info->ice_lite = true;
        }
    }
    info->audio = -1;
    size_t i = 0;
    for (const sdp_media_t *m = s->sdp_media; m; m = m->m_next, i++) {
        if (i >= SDPX_MAX_MLINES) return SDPX_E_LIMIT;
        sdpx_mline *ml = &info->mlines[i];
        bool choose = (dollar >> i) & 1u;
        info->n_mlines = i + 1;
        ml->media = dup(e, m->m_type_name ? m->m_type_name : "");
        ml->port = choose ? 0 : (unsigned)m->m_port;
        ml->proto = dup(e, m->m_proto_name ? m->m_proto_name : "");
        ml->fmts = fmts_text(e, m);
        if ((a = sdp_attribute_find(m->m_attributes, "mid")) && a->a_value) {
            /* RFC 5888 §4: identification-tag = token; it is echoed in a=group lines. */
            const char *v = skip_sp(a->a_value);
            if (!is_token(v, strlen(v), NULL)) return SDPX_E_SYNTAX;
            ml->mid = dup(e, v);
        }
        if (info->audio < 0 && m->m_type == sdp_media_audio && (m->m_port != 0 || choose)) {
            info->audio = (int)i;
            info->port = ml->port;
            info->port_choose = choose;
            info->mid = ml->mid;
            sdpx_status st = extract_audio(e, s, m);
            if (st != SDPX_OK) return st;
        }
    }
    return e->oom ? SDPX_E_NOMEM : SDPX_OK;
}

sdpx_status sdpx_classify(const char *sdp, size_t len, unsigned flags, sdpx_info *out)
{
    if (!out) return SDPX_E_INVAL;
    memset(out, 0, sizeof *out);
    out->audio = -1;
    if (!sdp) return SDPX_E_INVAL;
    bool tmpl = flags & SDPX_F_TEMPLATE;
    char *copy;
    uint32_t dollar;
    sdpx_status st = lex_check(sdp, len, tmpl, &copy, &dollar);
    if (st != SDPX_OK) {
        free(copy); /* lex_check may fail after copying a template */
        return st;
    }

    /* No parent home: sdp_parse() clones the parser (and its copy of the text) off the one given,
     * and parses into that clone, which a preloaded parent would not help; with NULL the parser
     * is a home of its own, freed by sdp_parser_free() (two mallocs and frees fewer per SDP). */
    int pflags = sdp_f_mode_manual;
    if (flags & (SDPX_F_LENIENT | SDPX_F_TEMPLATE)) pflags |= sdp_f_insane | sdp_f_c_missing;
    sdp_parser_t *parser = sdp_parse(NULL, copy ? copy : sdp, (issize_t)len, pflags);
    sdp_session_t *s = sdp_session(parser);
    if (!s) {
        st = SDPX_E_SYNTAX;
    } else {
        ext e = {out, false};
        st = extract(&e, s, dollar);
        if (st == SDPX_OK && e.oom) st = SDPX_E_NOMEM;
    }
    sdp_parser_free(parser);
    free(copy);
    if (st != SDPX_OK) sdpx_info_clear(out);
    return st;
}

void sdpx_info_clear(sdpx_info *info)
{
    if (!info) return;
    free(info->o_user);
    free(info->o_addr);
    free(info->bundle);
    for (size_t i = 0; i < info->n_mlines && i < SDPX_MAX_MLINES; i++) {
        free(info->mlines[i].media);
        free(info->mlines[i].proto);
        free(info->mlines[i].fmts);
        free(info->mlines[i].mid); /* info->mid aliases one of these */
    }
    free(info->proto);
    free(info->addr);
    for (size_t i = 0; i < info->n_codecs && i < SDPX_MAX_CODECS; i++) {
        free(info->codecs[i].name);
        free(info->codecs[i].fmtp);
    }
    free(info->ice_ufrag);
    free(info->ice_pwd);
    free(info->ice_options);
    for (size_t i = 0; i < info->n_cands && i < SDPX_MAX_CANDIDATES; i++)
        free(info->cands[i]);
    free(info->fp_hash);
    free(info->fp_value);
    free(info->tls_id);
    memset(info, 0, sizeof *info);
    info->audio = -1;
}

sdpx_status sdpx_classify2(const char *a, size_t alen, unsigned aflags, sdpx_info *ai,
                           const char *b, size_t blen, unsigned bflags, sdpx_info *bi)
{
    sdpx_status st = sdpx_classify(a, alen, aflags, ai);
    if (st != SDPX_OK) {
        memset(bi, 0, sizeof *bi);
        bi->audio = -1;
        return st;
    }
    st = sdpx_classify(b, blen, bflags, bi);
    if (st != SDPX_OK) sdpx_info_clear(ai);
    return st;
}

/* ---- validation helpers ---- */

bool sdpx_is_audio_rtp_proto(const char *proto)
{
    return proto && (!strcasecmp(proto, "RTP/AVP") || !strcasecmp(proto, "RTP/AVPF"));
}

bool sdpx_is_dtls_srtp_proto(const char *proto)
{
    return proto &&
           (!strcasecmp(proto, "UDP/TLS/RTP/SAVPF") || !strcasecmp(proto, "UDP/TLS/RTP/SAVP"));
}

bool sdpx_addr_ok(const char *addr)
{
    if (!addr) return false;
    size_t n = strlen(addr);
    if (n == 0 || n > 255) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)addr[i]) && !strchr(".:-", addr[i])) return false;
    return true;
}

bool sdpx_text_ok(const char *s, size_t max)
{
    if (!s || !*s) return false;
    size_t n = strlen(s);
    if (n > max) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return false;
    }
    return true;
}

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4..256, pwd 22..256. */
static bool ice_chars(const char *s, size_t lo, size_t hi)
{
    if (!s) return false;
    size_t n = strlen(s);
    if (n < lo || n > hi) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/') return false;
    return true;
}

bool sdpx_ice_ok(const char *ufrag, const char *pwd)
{
    return ice_chars(ufrag, 4, 256) && ice_chars(pwd, 22, 256);
}

/* RFC 8122 §5: hash-func SP fingerprint, fingerprint = 2UHEX *(":" 2UHEX). Lower-case hex is
 * accepted too (seen in the field). */
bool sdpx_fingerprint_ok(const char *hash, const char *value)
{
    if (!hash || !value || !is_token(hash, strlen(hash), NULL)) return false;
    size_t n = strlen(value);
    if (n < 2 || n > 3 * 64 - 1 || n % 3 != 2) return false;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 2) {
            if (value[i] != ':') return false;
        } else if (!isxdigit((unsigned char)value[i])) {
            return false;
        }
    }
    return true;
}

sdpx_status sdpx_check_webrtc(const sdpx_info *info)
{
    if (!info) return SDPX_E_INVAL;
    if (info->audio < 0) return SDPX_E_NO_AUDIO;
    if (info->kind != SDPX_KIND_WEBRTC) return SDPX_E_PROTO;
    if (!sdpx_ice_ok(info->ice_ufrag, info->ice_pwd)) return SDPX_E_ICE;
    /* RFC 8842 §5.1: a=setup is mandatory with DTLS. */
    if (!sdpx_fingerprint_ok(info->fp_hash, info->fp_value) || info->setup == SDPX_SETUP_NONE)
        return SDPX_E_DTLS;
    if (!info->rtcp_mux) return SDPX_E_RTCP_MUX;
    return SDPX_OK;
}

sdpx_setup sdpx_answer_setup(sdpx_setup offered)
{
    /* RFC 5763 §5: the answerer should take active; it must be passive if the offerer is. */
    return offered == SDPX_SETUP_ACTIVE ? SDPX_SETUP_PASSIVE : SDPX_SETUP_ACTIVE;
}

const char *sdpx_setup_name(sdpx_setup s)
{
    switch (s) {
    case SDPX_SETUP_ACTPASS:
        return "actpass";
    case SDPX_SETUP_ACTIVE:
        return "active";
    case SDPX_SETUP_PASSIVE:
        return "passive";
    case SDPX_SETUP_HOLDCONN:
        return "holdconn";
    default:
        return NULL;
    }
}

const char *sdpx_dir_name(sdpx_dir d)
{
    switch (d) {
    case SDPX_DIR_SENDONLY:
        return "sendonly";
    case SDPX_DIR_RECVONLY:
        return "recvonly";
    case SDPX_DIR_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}
