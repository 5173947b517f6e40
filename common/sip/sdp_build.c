/* Output side of the rewrites: an sdp_session_t assembled in a su_home and printed by sofia-sip's
 * sdp_print() (mode-manual, so attributes come out exactly in the order added), and a small
 * text buffer for the Iq templates that sofia-sip cannot print ("$" ports). */
#include "sdp_rewrite_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sdp_connection_t *conn_new(sdpx_bld *b, const char *addr)
{
    sdp_connection_t *c = su_salloc(b->home, sizeof *c);
    char *a = su_strdup(b->home, addr);
    if (!c || !a) {
        b->oom = true;
        return NULL;
    }
    c->c_nettype = sdp_net_in;
    c->c_addrtype = strchr(addr, ':') ? sdp_addr_ip6 : sdp_addr_ip4;
    c->c_address = a;
    c->c_groups = 1;
    return c;
}

bool sdpx_bld_init(sdpx_bld *b, const char *o_user, uint64_t o_id, uint64_t o_version,
                   const char *o_addr)
{
    memset(b, 0, offsetof(sdpx_bld, area));
    b->home = su_home_auto(b->area, sizeof b->area);
    if (!b->home) return false;
    sdp_session_t *s = su_salloc(b->home, sizeof *s);
    sdp_origin_t *o = su_salloc(b->home, sizeof *o);
    sdp_time_t *t = su_salloc(b->home, sizeof *t);
    if (!s || !o || !t) {
        sdpx_bld_free(b);
        return false;
    }
    s->sdp_version[0] = 0;
    o->o_username = su_strdup(b->home, o_user && *o_user ? o_user : "-");
    o->o_id = o_id;
    o->o_version = o_version;
    o->o_address = conn_new(b, o_addr);
    s->sdp_origin = o;
    s->sdp_subject = "-";
    s->sdp_time = t; /* t=0 0 */
    b->s = s;
    b->sattr = &s->sdp_attributes;
    b->mtail = &s->sdp_media;
    if (!o->o_username || b->oom) {
        sdpx_bld_free(b);
        return false;
    }
    return true;
}

void sdpx_bld_free(sdpx_bld *b)
{
    if (b->home) su_home_unref(b->home); /* auto home: frees only what overflowed the area */
    memset(b, 0, offsetof(sdpx_bld, area));
}

void sdpx_bld_sconn(sdpx_bld *b, const char *addr)
{
    b->s->sdp_connection = conn_new(b, addr);
}

static sdp_attribute_t *attr_new(sdpx_bld *b, const char *name, const char *fmt, va_list ap)
{
    sdp_attribute_t *a = su_salloc(b->home, sizeof *a);
    if (!a || !(a->a_name = su_strdup(b->home, name))) {
        b->oom = true;
        return NULL;
    }
    if (fmt && !(a->a_value = su_vsprintf(b->home, fmt, ap))) {
        b->oom = true;
        return NULL;
    }
    return a;
}

void sdpx_bld_sattr(sdpx_bld *b, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sdp_attribute_t *a = attr_new(b, name, fmt, ap);
    va_end(ap);
    if (!a) return;
    *b->sattr = a;
    b->sattr = &a->a_next;
}

void sdpx_bld_mattr(sdpx_bld *b, const char *name, const char *fmt, ...)
{
    if (!b->m) {
        b->oom = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    sdp_attribute_t *a = attr_new(b, name, fmt, ap);
    va_end(ap);
    if (!a) return;
    *b->mattr = a;
    b->mattr = &a->a_next;
}

void sdpx_bld_media(sdpx_bld *b, const char *media, unsigned port, const char *proto)
{
    sdp_media_t *m = su_salloc(b->home, sizeof *m);
    char *mt = su_strdup(b->home, media);
    char *pr = su_strdup(b->home, proto);
    if (!m || !mt || !pr) {
        b->oom = true;
        return;
    }
    m->m_session = b->s;
    sdp_media_type(m, mt);
    sdp_media_transport(m, pr);
    m->m_port = port;
    m->m_rejected = port == 0;
    *b->mtail = m;
    b->mtail = &m->m_next;
    b->m = m;
    b->mattr = &m->m_attributes;
    b->ftail = &m->m_format;
}

void sdpx_bld_fmt(sdpx_bld *b, const char *fmt, ...)
{
    if (!b->m) {
        b->oom = true;
        return;
    }
    sdp_list_t *l = su_salloc(b->home, sizeof *l);
    va_list ap;
    va_start(ap, fmt);
    char *t = su_vsprintf(b->home, fmt, ap);
    va_end(ap);
    if (!l || !t) {
        b->oom = true;
        return;
    }
    l->l_text = t;
    *b->ftail = l;
    b->ftail = &l->l_next;
}

void sdpx_bld_fmt_list(sdpx_bld *b, const char *list)
{
    const char *p = list;
    while (p && *p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n) sdpx_bld_fmt(b, "%.*s", (int)n, p);
        p += n;
    }
}

void sdpx_bld_mconn(sdpx_bld *b, const char *addr)
{
    if (!b->m) {
        b->oom = true;
        return;
    }
    b->m->m_connections = conn_new(b, addr);
}

void sdpx_bld_bw_as(sdpx_bld *b, unsigned kbps)
{
    sdp_bandwidth_t *bw = b->m ? su_salloc(b->home, sizeof *bw) : NULL;
    if (!bw) {
        b->oom = true;
        return;
    }
    bw->b_modifier = sdp_bw_as;
    bw->b_value = kbps;
    b->m->m_bandwidths = bw;
}

void sdpx_bld_pick_fmts(sdpx_bld *b, const sdpx_picks *p)
{
    for (size_t i = 0; i < p->n; i++)
        sdpx_bld_fmt(b, "%u", p->v[i].pt);
}

void sdpx_bld_pick_attrs(sdpx_bld *b, const sdpx_picks *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const sdpx_codec *c = p->v[i].c;
        /* Written for static payload types too: explicit is what IMS phones and browsers
         * expect, and an unknown dynamic type (no name) gets no rtpmap at all. */
        if (c->name && c->name[0] && c->rate) {
            if (c->channels > 1)
                sdpx_bld_mattr(b, "rtpmap", "%u %s/%u/%u", p->v[i].pt, c->name, c->rate,
                               c->channels);
            else
                sdpx_bld_mattr(b, "rtpmap", "%u %s/%u", p->v[i].pt, c->name, c->rate);
        }
        if (c->fmtp && c->fmtp[0]) sdpx_bld_mattr(b, "fmtp", "%u %s", p->v[i].pt, c->fmtp);
    }
}

void sdpx_bld_ptime(sdpx_bld *b, const sdpx_info *src)
{
    if (src->ptime) sdpx_bld_mattr(b, "ptime", "%u", src->ptime);
    if (src->maxptime) sdpx_bld_mattr(b, "maxptime", "%u", src->maxptime);
}

sdpx_status sdpx_bld_finish(sdpx_bld *b, char **out)
{
    sdpx_status st = SDPX_OK;
    *out = NULL;
    if (b->oom) {
        st = SDPX_E_NOMEM;
    } else {
        /* printed on the stack; sdp_f_realloc moves a longer SDP into the home */
        char buf[4096];
        sdp_printer_t *pr =
            sdp_print(b->home, b->s, buf, sizeof buf, sdp_f_mode_manual | sdp_f_realloc);
        const char *msg = sdp_message(pr);
        if (!msg)
            st = SDPX_E_PRINT;
        else if (!(*out = strdup(msg)))
            st = SDPX_E_NOMEM;
        sdp_printer_free(pr);
    }
    sdpx_bld_free(b);
    return st;
}

void sdpx_text_add(sdpx_text *t, const char *fmt, ...)
{
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->s && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 512;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->oom = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

sdpx_status sdpx_text_finish(sdpx_text *t, char **out)
{
    *out = NULL;
    if (t->oom || !t->s) {
        free(t->s);
        return SDPX_E_NOMEM;
    }
    *out = t->s;
    return SDPX_OK;
}
