/* SDP in Iq descriptors, MG side (see iq_sdp.h). The Local template is filled line by line as
 * text: sofia-sip can neither parse nor print "$" ports, and keeping the MGC's lines in their
 * order and spelling is what the MGC expects back (SPECS.md §4.5 (3) -> (4)). */
#include "iq_sdp.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned fail(char *reason, size_t cap, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static unsigned fail(char *reason, size_t cap, unsigned code, const char *fmt, ...)
{
    if (reason && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, cap, fmt, ap);
        va_end(ap);
        /* The reason goes into an Error descriptor's quotedString: no '"', no line breaks. */
        for (char *p = reason; *p; p++)
            if (*p == '"' || *p == '\r' || *p == '\n' || (unsigned char)*p < 0x20) *p = '\'';
    }
    return code;
}

static bool kind_of_info(const sdpx_info *in, iq_term_kind *k)
{
    if (in->audio < 0 || !in->proto) return false;
    if (in->kind == SDPX_KIND_WEBRTC) {
        *k = IQ_TERM_W3;
        return true;
    }
    if (in->kind == SDPX_KIND_RTP) {
        *k = IQ_TERM_RTP;
        return true;
    }
    return false;
}

/* The template as sofia-sip can read it: "$" for the o= session id and version become "0"
 * (sdpx_classify's template mode takes "$" ports, addresses and attribute values). */
static gchar *parsable(const char *sdp)
{
    GString *s = g_string_new(NULL);
    const char *p = sdp;
    while (*p) {
        const char *eol = p + strcspn(p, "\r\n");
        size_t n = (size_t)(eol - p);
        if (n > 2 && p[0] == 'o' && p[1] == '=') {
            gchar *line = g_strndup(p, n);
            gchar **w = g_strsplit(line, " ", -1);
            for (int i = 1; i <= 2 && w[0] && w[1] && w[i]; i++)
                if (strcmp(w[i], "$") == 0) w[i][0] = '0';
            gchar *j = g_strjoinv(" ", w);
            g_string_append(s, j);
            g_free(j);
            g_strfreev(w);
            g_free(line);
        } else {
            g_string_append_len(s, p, (gssize)n);
        }
        p = eol;
        while (*p == '\r' || *p == '\n')
            g_string_append_c(s, *p++);
    }
    return g_string_free(s, FALSE);
}

static sdpx_status classify_template(const char *sdp, sdpx_info *in)
{
    gchar *t = parsable(sdp);
    sdpx_status st = sdpx_classify(t, strlen(t), SDPX_F_TEMPLATE, in);
    g_free(t);
    return st;
}

unsigned iq_sdp_parse_template(const char *tmpl, sdpx_info *out, char *reason, size_t cap)
{
    sdpx_status st = classify_template(tmpl, out);
    if (st != SDPX_OK)
        return fail(reason, cap, 442, "Local is not valid SDP: %s", sdpx_strerror(st));
    return 0;
}

/* 0 and *have when the SDP names a kind; 442/449 otherwise. `keep`: where to leave the parsed
 * SDP (cleared on failure), or NULL. An SDP without "$" parses the same as a template and
 * leniently (the template mode only differs on "$"), so a kept Remote is also the one
 * iq_sdp_check_remote() would parse. */
static unsigned kind_of_sdp(const char *sdp, const char *what, bool *have, iq_term_kind *k,
                            char *reason, size_t cap, sdpx_info *keep)
{
    *have = false;
    if (!sdp || !*sdp) return 0;
    sdpx_info in;
    sdpx_status st = classify_template(sdp, &in);
    if (st != SDPX_OK)
        return fail(reason, cap, 442, "%s is not valid SDP: %s", what, sdpx_strerror(st));
    unsigned code = 0;
    if (in.audio < 0) {
        /* e.g. a Local with only "v=0" and "c=": the realm decides */
    } else if (kind_of_info(&in, k)) {
        *have = true;
    } else {
        code = fail(reason, cap, 449, "%s media transport %s not supported", what,
                    in.proto ? in.proto : "?");
    }
    if (keep && !code)
        *keep = in;
    else
        sdpx_info_clear(&in);
    return code;
}

/* iq_sdp_term_kind(), keeping the parsed Local (template) and Remote (when it has no "$")
 * when the caller asks for them: *kl_info / *kr_info are then filled (audio -1 if absent). */
static unsigned term_kind(const char *local, const char *remote, const char *realm,
                          const char *access_realm, const char *core_realm, iq_term_kind *out,
                          char *reason, size_t cap, sdpx_info *kl_info, sdpx_info *kr_info)
{
    bool hl, hr;
    iq_term_kind kl = IQ_TERM_RTP, kr = IQ_TERM_RTP;
    unsigned code = kind_of_sdp(local, "Local", &hl, &kl, reason, cap, kl_info);
    if (code) return code;
    code = kind_of_sdp(remote, "Remote", &hr, &kr, reason, cap,
                       remote && strchr(remote, '$') ? NULL : kr_info);
    if (code) return code;
    if (hl && hr && kl != kr)
        return fail(reason, cap, 449, "Local and Remote use different media transports");
    if (hl || hr) {
        *out = hl ? kl : kr;
        return 0;
    }
    if (realm && *realm) {
        if (access_realm && g_ascii_strcasecmp(realm, access_realm) == 0) {
            *out = IQ_TERM_W3;
            return 0;
        }
        if (core_realm && g_ascii_strcasecmp(realm, core_realm) == 0) {
            *out = IQ_TERM_RTP;
            return 0;
        }
        return fail(reason, cap, 449, "unknown ipdc/realm %s", realm);
    }
    return fail(reason, cap, 441, "Local or Remote descriptor with an m= line required");
}

unsigned iq_sdp_term_kind(const char *local, const char *remote, const char *realm,
                          const char *access_realm, const char *core_realm, iq_term_kind *out,
                          char *reason, size_t cap)
{
    return term_kind(local, remote, realm, access_realm, core_realm, out, reason, cap, NULL,
                     NULL);
}

/* ---- filling the Local template ---- */

typedef struct {
    const iq_sdp_fill *f;
    iq_term_kind kind;
    GPtrArray *lines; /* char*, without line ends */
    int section;      /* -1 session level, else m= line index */
    int chosen;       /* the m= section whose port is ours, -1 none yet */
    int anchor;       /* in `chosen`: index in lines after which candidates go */
    int last_cand;    /* in `chosen`: index of the last a=candidate, -1 none */
    bool eoc;         /* a=end-of-candidates seen in `chosen` */
    char *reason;
    size_t cap;
} filler;

static bool is_dollar(const char *s)
{
    return s[0] == '$' && s[1] == '\0';
}

static bool addr_family_ok(const char *addrtype, const char *addr)
{
    bool v6 = strchr(addr, ':') != NULL;
    return g_ascii_strcasecmp(addrtype, v6 ? "IP6" : "IP4") == 0;
}

/* "IN IP4 <addr>" (c= and the tail of o= and a=rtcp). */
static unsigned fill_conn(filler *F, gchar **w, const char *line, GString *o)
{
    if (g_strv_length(w) != 3 || strcmp(w[0], "IN") != 0)
        return fail(F->reason, F->cap, 449, "unsupported connection data: %s", line);
    if (!addr_family_ok(w[1], F->f->tp->addr))
        return fail(F->reason, F->cap, 449, "address type %s not available: %s", w[1], line);
    if (is_dollar(w[2])) {
        g_string_append_printf(o, "IN %s %s", w[1], F->f->tp->addr);
        return 0;
    }
    if (strchr(w[2], '$'))
        return fail(F->reason, F->cap, 449, "cannot choose part of an address: %s", line);
    return (unsigned)-1; /* concrete: the caller decides */
}

static unsigned line_o(filler *F, const char *line, GString *o)
{
    gchar **w = g_strsplit(line + 2, " ", -1);
    unsigned code = 0;
    if (g_strv_length(w) != 6) {
        code = fail(F->reason, F->cap, 442, "bad o= line: %s", line);
        goto out;
    }
    g_string_append_printf(o, "o=%s", w[0]);
    for (int i = 1; i <= 2; i++) {
        if (is_dollar(w[i]))
            g_string_append_printf(o, " %" G_GUINT64_FORMAT, F->f->sess_id);
        else if (strchr(w[i], '$'))
            code = fail(F->reason, F->cap, 449, "unsupported $ in o= line: %s", line);
        else
            g_string_append_printf(o, " %s", w[i]);
    }
    g_string_append_c(o, ' ');
    unsigned c = fill_conn(F, w + 3, line, o);
    if (c == (unsigned)-1) {
        /* o= names the session's originator; any address is acceptable there. */
        g_string_append_printf(o, "IN %s %s", w[4], w[5]);
    } else if (c) {
        code = c;
    }
out:
    g_strfreev(w);
    return code;
}

static unsigned line_c(filler *F, const char *line, GString *o)
{
    gchar **w = g_strsplit(line + 2, " ", -1);
    g_string_append(o, "c=");
    unsigned code = fill_conn(F, w, line, o);
    if (code == (unsigned)-1) {
        /* A concrete address must be ours: a Modify may repeat our Local. */
        if (strcmp(w[2], F->f->tp->addr) != 0)
            code = fail(F->reason, F->cap, 449, "address %s is not the MG's (use $)", w[2]);
        else {
            g_string_append_printf(o, "IN %s %s", w[1], w[2]);
            code = 0;
        }
    }
    g_strfreev(w);
    return code;
}

static unsigned line_m(filler *F, const char *line, GString *o)
{
    F->section++;
    gchar **w = g_strsplit(line + 2, " ", 3);
    unsigned code = 0;
    if (g_strv_length(w) != 3) {
        code = fail(F->reason, F->cap, 442, "bad m= line: %s", line);
        goto out;
    }
    bool choose = is_dollar(w[1]);
    char *end = NULL;
    unsigned long port = choose ? 0 : strtoul(w[1], &end, 10);
    if (!choose && (end == w[1] || *end)) {
        code = fail(F->reason, F->cap, 449, "unsupported port %s (use $): %s", w[1], line);
        goto out;
    }
    if (!choose && port == 0) { /* a rejected stream stays as it is */
        g_string_append(o, line);
        goto out;
    }
    if (F->chosen >= 0) {
        code = fail(F->reason, F->cap, 449, "one media line per termination: %s", line);
        goto out;
    }
    if (g_ascii_strcasecmp(w[0], "audio") != 0) {
        code = fail(F->reason, F->cap, 449, "media %s not supported", w[0]);
        goto out;
    }
    if (!choose && port != F->f->tp->port) {
        code = fail(F->reason, F->cap, 449, "port %lu is not the MG's (use $)", port);
        goto out;
    }
    F->chosen = F->section;
    F->anchor = (int)F->lines->len; /* this m= line itself */
    g_string_append_printf(o, "m=%s %u %s", w[0], F->f->tp->port, w[2]);
out:
    g_strfreev(w);
    return code;
}

/* a=<name>:<value> where the MG may choose a single token value. */
static unsigned attr_value(filler *F, const char *name, const char *value, const char *ours,
                           GString *o)
{
    if (F->kind != IQ_TERM_W3)
        return fail(F->reason, F->cap, 449, "a=%s on an RTP/AVP termination", name);
    if (is_dollar(value)) {
        if (!ours) return fail(F->reason, F->cap, 449, "cannot choose a=%s", name);
        g_string_append_printf(o, "a=%s:%s", name, ours);
        return 0;
    }
    if (strchr(value, '$')) return fail(F->reason, F->cap, 449, "unsupported $ in a=%s", name);
    if (ours && strcmp(value, ours) != 0 && strcmp(name, "setup") != 0 &&
        strcmp(name, "tls-id") != 0)
        return fail(F->reason, F->cap, 449, "a=%s:%s is not the MG's value (use $)", name, value);
    g_string_append_printf(o, "a=%s:%s", name, value);
    return 0;
}

static unsigned attr_fingerprint(filler *F, const char *value, GString *o)
{
    if (F->kind != IQ_TERM_W3 || !F->f->fingerprint)
        return fail(F->reason, F->cap, 449, "a=fingerprint on an RTP/AVP termination");
    const char *sp = strchr(value, ' ');
    if (!sp || sp == value) return fail(F->reason, F->cap, 442, "bad a=fingerprint:%s", value);
    gchar *alg = g_strndup(value, (gsize)(sp - value));
    const char *v = sp + 1;
    char fp[IQ_FP_MAX];
    unsigned code = 0;
    if (!F->f->fingerprint(F->f->fp_ud, alg, fp, sizeof fp)) {
        code = fail(F->reason, F->cap, 449, "fingerprint hash %s not supported", alg);
    } else if (is_dollar(v)) {
        g_string_append_printf(o, "a=fingerprint:%s %s", alg, fp);
    } else if (g_ascii_strcasecmp(v, fp) == 0) {
        g_string_append_printf(o, "a=fingerprint:%s %s", alg, v);
    } else {
        code = fail(F->reason, F->cap, 449, "a=fingerprint is not the MG's certificate (use $)");
    }
    g_free(alg);
    return code;
}

/* a=rtcp:<port> [IN IP4 <addr>] (RFC 3605). */
static unsigned attr_rtcp(filler *F, const char *value, GString *o)
{
    gchar **w = g_strsplit(value, " ", 2);
    unsigned code = 0;
    unsigned long port = F->f->tp->rtcp_port;
    if (!is_dollar(w[0])) {
        char *end = NULL;
        port = strtoul(w[0], &end, 10);
        if (end == w[0] || *end || port != F->f->tp->rtcp_port) {
            code = fail(F->reason, F->cap, 449, "a=rtcp:%s is not the MG's (use $)", value);
            goto out;
        }
    }
    g_string_append_printf(o, "a=rtcp:%lu", port);
    if (w[1]) {
        gchar **c = g_strsplit(w[1], " ", -1);
        g_string_append_c(o, ' ');
        unsigned cc = fill_conn(F, c, value, o);
        if (cc == (unsigned)-1) {
            if (strcmp(c[2], F->f->tp->addr) != 0)
                code = fail(F->reason, F->cap, 449, "a=rtcp address is not the MG's (use $)");
            else
                g_string_append_printf(o, "IN %s %s", c[1], c[2]);
        } else {
            code = cc;
        }
        g_strfreev(c);
    }
out:
    g_strfreev(w);
    return code;
}

static bool anchor_attr(const char *name)
{
    static const char *const names[] = {
        "ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup",    "tls-id",  "rtcp-mux",
        "ice-lite",  "mid",     "sendrecv",    "sendonly",    "recvonly", "inactive"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (strcmp(name, names[i]) == 0) return true;
    return false;
}

static unsigned line_a(filler *F, const char *line, GString *o)
{
    const char *colon = strchr(line + 2, ':');
    gchar *name = colon ? g_strndup(line + 2, (gsize)(colon - line - 2)) : g_strdup(line + 2);
    const char *value = colon ? colon + 1 : NULL;
    const iq_transport *tp = F->f->tp;
    unsigned code = 0;
    bool in_chosen = F->chosen >= 0 && F->section == F->chosen;
    if (value && strcmp(name, "ice-ufrag") == 0) {
        code = attr_value(F, name, value, tp->ice_ufrag, o);
    } else if (value && strcmp(name, "ice-pwd") == 0) {
        code = attr_value(F, name, value, tp->ice_pwd, o);
    } else if (value && strcmp(name, "setup") == 0) {
        const char *fixed = tp->setup[0] ? tp->setup : NULL;
        if (fixed && !is_dollar(value) && g_ascii_strcasecmp(value, fixed) != 0)
            /* the media plane fixed the DTLS role (RFC 5763 §5): we cannot take another */
            code = fail(F->reason, F->cap, 449, "a=setup:%s not available, the MG takes %s", value,
                        fixed);
        else
            code = attr_value(F, name, value, fixed ? fixed : F->f->setup, o);
    } else if (value && strcmp(name, "tls-id") == 0) {
        code = attr_value(F, name, value, F->f->tls_id, o);
    } else if (value && strcmp(name, "fingerprint") == 0) {
        code = attr_fingerprint(F, value, o);
    } else if (value && strcmp(name, "rtcp") == 0) {
        code = attr_rtcp(F, value, o);
    } else if (strchr(line, '$')) {
        code = fail(F->reason, F->cap, 449, "the MG cannot choose in: %s", line);
    } else {
        g_string_append(o, line);
    }
    if (!code && in_chosen) {
        if (strcmp(name, "candidate") == 0)
            F->last_cand = (int)F->lines->len;
        else if (strcmp(name, "end-of-candidates") == 0)
            F->eoc = true;
        else if (anchor_attr(name))
            F->anchor = (int)F->lines->len;
    }
    g_free(name);
    return code;
}

static unsigned fill_line(filler *F, const char *line, GString *o)
{
    if (line[0] && line[1] == '=') {
        switch (line[0]) {
        case 'o':
            return line_o(F, line, o);
        case 'c': {
            unsigned code = line_c(F, line, o);
            if (!code && F->chosen >= 0 && F->section == F->chosen) F->anchor = (int)F->lines->len;
            return code;
        }
        case 'm':
            return line_m(F, line, o);
        case 'a':
            return line_a(F, line, o);
        default:
            break;
        }
    }
    if (strchr(line, '$')) return fail(F->reason, F->cap, 449, "the MG cannot choose in: %s", line);
    g_string_append(o, line);
    return 0;
}

/* RFC 8445 §5.1.2.1 priority of our one host candidate: type preference 126, local preference
 * 65535, component 1. */
#define IQ_HOST_PRIORITY 2130706431u

static void add_candidates(filler *F)
{
    if (F->chosen < 0) return;
    int at;
    if (F->last_cand < 0) {
        const iq_transport *tp = F->f->tp;
        gchar *c = tp->candidate[0] ? g_strdup_printf("a=candidate:%s", tp->candidate)
                                    : g_strdup_printf("a=candidate:1 1 udp %u %s %u typ host",
                                                      IQ_HOST_PRIORITY, tp->addr, tp->port);
        at = F->anchor + 1;
        g_ptr_array_insert(F->lines, at, c);
    } else {
        at = F->last_cand;
    }
    if (!F->eoc) g_ptr_array_insert(F->lines, at + 1, g_strdup("a=end-of-candidates"));
}

unsigned iq_sdp_fill_local(const char *tmpl, iq_term_kind kind, const iq_sdp_fill *f, char **out,
                           char *reason, size_t cap)
{
    *out = NULL;
    if (!tmpl || !f || !f->tp) return fail(reason, cap, 500, "no Local template");
    if (!f->checked || !*tmpl) {
        sdpx_info in;
        sdpx_status st = classify_template(tmpl, &in);
        if (st != SDPX_OK)
            return fail(reason, cap, 442, "Local is not valid SDP: %s", sdpx_strerror(st));
        sdpx_info_clear(&in);
    }

    filler F = {.f = f,
                .kind = kind,
                .section = -1,
                .chosen = -1,
                .anchor = -1,
                .last_cand = -1,
                .reason = reason,
                .cap = cap};
    F.lines = g_ptr_array_new_with_free_func(g_free);
    const char *eol = strstr(tmpl, "\r\n") ? "\r\n" : "\n";
    gchar **lines = g_strsplit_set(tmpl, "\r\n", -1);
    unsigned code = 0;
    GString *o = g_string_new(NULL);
    for (gchar **l = lines; *l && !code; l++) {
        if (!**l) continue; /* the empty piece between \r and \n, or a blank line */
        g_string_truncate(o, 0);
        code = fill_line(&F, *l, o);
        if (!code) g_ptr_array_add(F.lines, g_strdup(o->str));
    }
    g_string_free(o, TRUE);
    g_strfreev(lines);
    if (!code && F.chosen < 0)
        code = fail(reason, cap, 449, "Local has no audio m= line with port $");
    if (!code && kind == IQ_TERM_W3 && f->candidates) add_candidates(&F);
    if (!code) {
        GString *s = g_string_new(NULL);
        for (guint i = 0; i < F.lines->len; i++) {
            g_string_append(s, F.lines->pdata[i]);
            g_string_append(s, eol);
        }
        *out = g_string_free(s, FALSE);
    }
    g_ptr_array_unref(F.lines);
    return code;
}

/* ---- Remote ---- */

/* The checks of iq_sdp_check_remote() on an SDP already parsed leniently into *out. */
static unsigned check_parsed_remote(const char *sdp, iq_term_kind kind, sdpx_info *out,
                                    char *reason, size_t cap)
{
    sdpx_status st;
    unsigned code = 0;
    iq_term_kind k;
    if (strchr(sdp, '$'))
        code = fail(reason, cap, 449, "$ is not allowed in Remote");
    else if (out->audio < 0)
        code = fail(reason, cap, 449, "Remote has no active audio m= line");
    else if (!kind_of_info(out, &k) || k != kind)
        code = fail(reason, cap, 449, "Remote transport %s does not fit a %s termination",
                    out->proto ? out->proto : "?", kind == IQ_TERM_W3 ? "W3" : "RTP");
    else if (kind == IQ_TERM_W3 && (st = sdpx_check_webrtc(out)) != SDPX_OK)
        code = fail(reason, cap, 449, "Remote unusable for WebRTC: %s", sdpx_strerror(st));
    if (code) sdpx_info_clear(out);
    return code;
}

unsigned iq_sdp_check_remote(const char *sdp, iq_term_kind kind, sdpx_info *out, char *reason,
                             size_t cap)
{
    memset(out, 0, sizeof *out);
    out->audio = -1;
    sdpx_status st = sdpx_classify(sdp, strlen(sdp), SDPX_F_LENIENT, out);
    if (st != SDPX_OK)
        return fail(reason, cap, 442, "Remote is not valid SDP: %s", sdpx_strerror(st));
    return check_parsed_remote(sdp, kind, out, reason, cap);
}

unsigned iq_sdp_add_prepare(const char *local, const char *remote, const char *realm,
                            const char *access_realm, const char *core_realm, iq_term_kind *kind,
                            sdpx_info *tmpl, sdpx_info *remote_info, bool *have_remote,
                            char *reason, size_t cap)
{
    sdpx_info kl = {.audio = -1}, kr = {.audio = -1};
    *have_remote = false;
    memset(tmpl, 0, sizeof *tmpl);
    tmpl->audio = -1;
    memset(remote_info, 0, sizeof *remote_info);
    remote_info->audio = -1;
    unsigned code = term_kind(local, remote, realm, access_realm, core_realm, kind, reason, cap,
                              &kl, &kr);
    if (code) {
        sdpx_info_clear(&kl);
        sdpx_info_clear(&kr);
        return code;
    }
    if (remote) {
        /* term_kind kept a non-empty Remote without "$" (parsed as iq_sdp_check_remote would);
         * any other is parsed here as before. */
        bool kept = *remote && !strchr(remote, '$');
        code = kept ? check_parsed_remote(remote, *kind, &kr, reason, cap)
                    : iq_sdp_check_remote(remote, *kind, &kr, reason, cap);
        if (code) {
            sdpx_info_clear(&kl);
            return code;
        }
        *remote_info = kr;
        *have_remote = true;
    } else {
        sdpx_info_clear(&kr);
    }
    if (local && *local) {
        *tmpl = kl; /* parsed as a template by term_kind */
        return 0;
    }
    sdpx_info_clear(&kl);
    code = iq_sdp_parse_template(local, tmpl, reason, cap);
    if (code) {
        sdpx_info_clear(remote_info);
        *have_remote = false;
    }
    return code;
}

iq_dtls_role iq_sdp_dtls_role(sdpx_setup ours, sdpx_setup theirs)
{
    switch (ours) {
    case SDPX_SETUP_ACTIVE:
        return IQ_DTLS_CLIENT;
    case SDPX_SETUP_PASSIVE:
        return IQ_DTLS_SERVER;
    default:
        break;
    }
    /* We offered actpass (or said nothing): the answer decides (RFC 4145 §4). */
    if (theirs == SDPX_SETUP_ACTIVE) return IQ_DTLS_SERVER;
    if (theirs == SDPX_SETUP_PASSIVE) return IQ_DTLS_CLIENT;
    return IQ_DTLS_UNDECIDED;
}

const char *iq_sdp_choose_setup(const sdpx_info *remote)
{
    if (!remote || remote->setup == SDPX_SETUP_NONE) return "actpass";
    return sdpx_setup_name(sdpx_answer_setup(remote->setup));
}
