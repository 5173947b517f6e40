/* Helpers for the SDP rewrite tests: exact-line lookups in CRLF text, and a re-parse of every
 * output with sofia-sip's own parser (the one the pcscf and the AGW use). */
#ifndef SDP_TESTUTIL_H
#define SDP_TESTUTIL_H

#include <sofia-sip/sdp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls f(line, len, arg) for each line; stops when f returns true. */
static inline bool sdp_each_line(const char *sdp, bool (*f)(const char *, size_t, const void *),
                                 const void *arg)
{
    const char *p = sdp;
    while (p && *p) {
        size_t n = strcspn(p, "\r\n");
        if (n && f(p, n, arg)) return true;
        p += n;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    return false;
}

static inline bool line_eq(const char *l, size_t n, const void *want)
{
    return strlen(want) == n && memcmp(l, want, n) == 0;
}

static inline bool line_prefix(const char *l, size_t n, const void *want)
{
    size_t w = strlen(want);
    return n >= w && memcmp(l, want, w) == 0;
}

/* The exact line (without CRLF) is in the SDP. */
static inline bool has_line(const char *sdp, const char *line)
{
    return sdp && sdp_each_line(sdp, line_eq, line);
}

/* Some line starts with prefix. */
static inline bool has_prefix(const char *sdp, const char *prefix)
{
    return sdp && sdp_each_line(sdp, line_prefix, prefix);
}

static inline int count_prefix(const char *sdp, const char *prefix)
{
    int n = 0;
    const char *p = sdp;
    size_t w = strlen(prefix);
    while (p && *p) {
        size_t l = strcspn(p, "\r\n");
        if (l >= w && memcmp(p, prefix, w) == 0) n++;
        p += l;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    return n;
}

/* Every line ends with CRLF (RFC 4566 §5, and what SIP peers expect). */
static inline bool all_crlf(const char *sdp)
{
    if (!sdp || !*sdp) return false;
    for (const char *p = sdp; *p; p++) {
        if (*p == '\n' && (p == sdp || p[-1] != '\r')) return false;
        if (*p == '\r' && p[1] != '\n') return false;
    }
    size_t n = strlen(sdp);
    return n >= 2 && sdp[n - 2] == '\r' && sdp[n - 1] == '\n';
}

/* sofia-sip parses the text (strict: conforming SDP only). */
static inline bool sofia_parses(const char *sdp, bool strict)
{
    if (!sdp) return false;
    su_home_t *home = su_home_new(sizeof(su_home_t));
    sdp_parser_t *p = sdp_parse(home, sdp, (issize_t)strlen(sdp), strict ? sdp_f_strict : 0);
    bool ok = sdp_session(p) != NULL;
    if (!ok) fprintf(stderr, "  sofia-sip: %s\n", sdp_parsing_error(p));
    sdp_parser_free(p);
    su_home_unref(home);
    return ok;
}

/* The payload type list of the first m= line starting with `mprefix` ("m=audio "), as text
 * after the proto, e.g. "0 126". */
static inline bool mline_pts(const char *sdp, const char *mprefix, char *out, size_t cap)
{
    const char *p = sdp ? strstr(sdp, mprefix) : NULL;
    if (!p) return false;
    size_t l = strcspn(p, "\r\n");
    const char *e = p + l, *s = p;
    int spaces = 0;
    while (s < e && spaces < 3)
        if (*s++ == ' ') spaces++;
    size_t n = (size_t)(e - s);
    if (n + 1 > cap) return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* Every token of `sub` is a token of `super` (space separated). */
static inline bool pts_subset(const char *sub, const char *super)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", sub);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char pad[520], hay[520];
        snprintf(pad, sizeof pad, " %s ", t);
        snprintf(hay, sizeof hay, " %s ", super);
        if (!strstr(hay, pad)) return false;
    }
    return true;
}

#endif
