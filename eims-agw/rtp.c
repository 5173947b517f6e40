/* Pure RTP helpers: header checks, payload-type mapping, RFC 3550 reception statistics and
 * latching (see rtp.h). */
#include "rtp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *agw_pkt_class_name(agw_pkt_class_t c)
{
    switch (c) {
    case AGW_PKT_STUN:
        return "stun";
    case AGW_PKT_ZRTP:
        return "zrtp";
    case AGW_PKT_DTLS:
        return "dtls";
    case AGW_PKT_TURN:
        return "turn";
    case AGW_PKT_RTP:
        return "rtp";
    case AGW_PKT_RTCP:
        return "rtcp";
    default:
        return "unknown";
    }
}

bool agw_rtp_parse(const uint8_t *b, size_t len, agw_rtp_hdr_t *h)
{
    if (len < 12 || (b[0] >> 6) != 2) return false;
    size_t hl = 12 + 4u * (b[0] & 0x0f);
    if (hl > len) return false;
    if (b[0] & 0x10) { /* RFC 3550 §5.3.1: 4-byte extension header then length words */
        if (hl + 4 > len) return false;
        size_t words = ((size_t)b[hl + 2] << 8) | b[hl + 3];
        hl += 4 + 4 * words;
        if (hl > len) return false;
    }
    if (b[0] & 0x20) { /* padding: last octet counts the padding, itself included */
        uint8_t pad = b[len - 1];
        if (pad == 0 || hl + pad > len) return false;
    }
    h->pt = b[1] & 0x7f;
    h->marker = (b[1] & 0x80) != 0;
    h->seq = (uint16_t)((b[2] << 8) | b[3]);
    h->ts = ((uint32_t)b[4] << 24) | ((uint32_t)b[5] << 16) | ((uint32_t)b[6] << 8) | b[7];
    h->ssrc = ((uint32_t)b[8] << 24) | ((uint32_t)b[9] << 16) | ((uint32_t)b[10] << 8) | b[11];
    h->hdr_len = hl;
    return true;
}

bool agw_rtcp_check(const uint8_t *b, size_t len)
{
    if (len < 8 || (b[0] >> 6) != 2) return false;
    if (b[1] < 200 || b[1] > 207) return false;
    size_t l = 4 * (((size_t)b[2] << 8 | b[3]) + 1);
    return l <= len;
}

size_t agw_rtcp_make_compound(uint8_t *b, size_t len, size_t cap)
{
    if (!agw_rtcp_check(b, len) || b[1] == 200 || b[1] == 201 || len + 8 > cap) return len;
    memmove(b + 8, b, len);
    b[0] = 0x80; /* V=2, P=0, RC=0 */
    b[1] = 201;  /* RR */
    b[2] = 0;
    b[3] = 1;            /* length in words minus one */
    memcpy(b + 4, b + 12, 4); /* SSRC of the packet that was first (BYE, SDES chunk, ...) */
    return len + 8;
}

/* ---- codecs and PT mapping ----------------------------------------------------------------- */

bool agw_codecs_add(agw_codecs_t *cs, uint8_t pt, const char *name, uint32_t rate, uint8_t channels)
{
    if (cs->n >= AGW_MAX_CODECS || pt > 127 || !name) return false;
    agw_codec_t *c = &cs->c[cs->n++];
    memset(c, 0, sizeof *c);
    c->pt = pt;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->rate = rate;
    c->channels = channels;
    return true;
}

const agw_codec_t *agw_codecs_find_pt(const agw_codecs_t *cs, uint8_t pt)
{
    for (unsigned i = 0; cs && i < cs->n; i++)
        if (cs->c[i].pt == pt) return &cs->c[i];
    return NULL;
}

static unsigned chans(uint8_t c)
{
    return c ? c : 1;
}

static bool codec_match(const agw_codec_t *a, const agw_codec_t *b)
{
    return strcasecmp(a->name, b->name) == 0 && a->rate == b->rate &&
           chans(a->channels) == chans(b->channels);
}

void agw_pt_map_build(agw_pt_map_t *m, const agw_codecs_t *from, const agw_codecs_t *to)
{
    bool identity = !from || !to || from->n == 0 || to->n == 0;
    for (unsigned pt = 0; pt < 128; pt++) {
        m->out[pt] = identity ? (uint8_t)pt : AGW_PT_DROP;
        m->rate[pt] = 8000;
    }
    if (from)
        for (unsigned i = 0; i < from->n; i++)
            if (from->c[i].rate) m->rate[from->c[i].pt] = from->c[i].rate;
    if (identity) return;
    for (unsigned i = 0; i < from->n; i++) {
        const agw_codec_t *f = &from->c[i];
        /* Prefer the same number when both legs use it for the same codec. */
        const agw_codec_t *same = agw_codecs_find_pt(to, f->pt);
        if (same && codec_match(f, same)) {
            m->out[f->pt] = f->pt;
            continue;
        }
        for (unsigned j = 0; j < to->n; j++)
            if (codec_match(f, &to->c[j])) {
                m->out[f->pt] = to->c[j].pt;
                break;
            }
    }
}

/* ---- RFC 3550 A.1 sequence tracking, A.3 loss, A.8 jitter ---------------------------------- */

enum { MAX_DROPOUT = 3000, MAX_MISORDER = 100, RTP_SEQ_MOD = 1 << 16 };

static void seq_init(agw_rx_stats_t *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1;
    s->cycles = 0;
    s->received = 0;
}

static int64_t lost_current(const agw_rx_stats_t *s)
{
    if (!s->init || s->received == 0) return 0;
    int64_t extended_max = (int64_t)s->cycles + s->max_seq;
    int64_t expected = extended_max - s->base_seq + 1;
    int64_t lost = expected - s->received;
    return lost > 0 ? lost : 0;
}

/* Returns false when the packet is counted as a restart candidate (A.1 bad_seq logic). */
static bool seq_update(agw_rx_stats_t *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq) s->cycles += RTP_SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        if (seq == s->bad_seq) {
            /* Two sequential packets after a jump: the source restarted. */
            s->lost_done += lost_current(s);
            seq_init(s, seq);
        } else {
            s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
            return false;
        }
    }
    /* else: duplicate or reordered packet */
    s->received++;
    return true;
}

void agw_rx_update(agw_rx_stats_t *s, const agw_rtp_hdr_t *h, uint32_t arrival, uint32_t rate)
{
    if (!s->init || s->ssrc != h->ssrc) {
        if (s->init) s->lost_done += lost_current(s);
        s->init = true;
        s->ssrc = h->ssrc;
        seq_init(s, h->seq);
        s->received = 1;
        s->transit = arrival - h->ts;
        s->jitter_q4 = 0;
        s->jitter_rate = rate ? rate : 8000;
        return;
    }
    if (!seq_update(s, h->seq)) return;
    if (rate && rate != s->jitter_rate) { /* payload clock changed (e.g. telephone-event/48000) */
        s->jitter_rate = rate;
        s->transit = arrival - h->ts;
        return;
    }
    uint32_t transit = arrival - h->ts;
    int32_t d = (int32_t)(transit - s->transit);
    s->transit = transit;
    if (d < 0) d = -d;
    /* J += (|D| - J) / 16, kept scaled by 16 (A.8's integer form) */
    s->jitter_q4 += (uint32_t)d - ((s->jitter_q4 + 8) >> 4);
}

int64_t agw_rx_lost(const agw_rx_stats_t *s)
{
    return s->lost_done + lost_current(s);
}

uint64_t agw_rx_jitter_us(const agw_rx_stats_t *s)
{
    if (!s->init || !s->jitter_rate) return 0;
    return ((uint64_t)s->jitter_q4 * 1000000u / 16u) / s->jitter_rate;
}

/* ---- addresses ----------------------------------------------------------------------------- */

bool agw_addr_set(agw_addr_t *a, const struct sockaddr *sa, socklen_t len)
{
    if (!sa || len > sizeof a->u || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        return false;
    memset(a, 0, sizeof *a);
    memcpy(&a->u, sa, len);
    a->len = len;
    return true;
}

bool agw_addr_parse(agw_addr_t *a, const char *ip, uint16_t port)
{
    memset(a, 0, sizeof *a);
    if (!ip) return false;
    if (inet_pton(AF_INET, ip, &a->u.in.sin_addr) == 1) {
        a->u.in.sin_family = AF_INET;
        a->u.in.sin_port = htons(port);
        a->len = sizeof a->u.in;
        return true;
    }
    if (inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr) == 1) {
        a->u.in6.sin6_family = AF_INET6;
        a->u.in6.sin6_port = htons(port);
        a->len = sizeof a->u.in6;
        return true;
    }
    return false;
}

bool agw_addr_same_ip(const agw_addr_t *a, const struct sockaddr *sa, socklen_t len)
{
    if (!a->len || !sa || a->u.sa.sa_family != sa->sa_family) return false;
    if (sa->sa_family == AF_INET)
        return len >= sizeof(struct sockaddr_in) &&
               a->u.in.sin_addr.s_addr == ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
    if (sa->sa_family == AF_INET6)
        return len >= sizeof(struct sockaddr_in6) &&
               memcmp(&a->u.in6.sin6_addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16) == 0;
    return false;
}

bool agw_addr_equal(const agw_addr_t *a, const struct sockaddr *sa, socklen_t len)
{
    if (!agw_addr_same_ip(a, sa, len)) return false;
    if (sa->sa_family == AF_INET)
        return a->u.in.sin_port == ((const struct sockaddr_in *)sa)->sin_port;
    return a->u.in6.sin6_port == ((const struct sockaddr_in6 *)sa)->sin6_port;
}

uint16_t agw_addr_port(const agw_addr_t *a)
{
    if (!a->len) return 0;
    return ntohs(a->u.sa.sa_family == AF_INET ? a->u.in.sin_port : a->u.in6.sin6_port);
}

const char *agw_addr_str(const agw_addr_t *a, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (!a->len) {
        snprintf(buf, cap, "-");
        return buf;
    }
    if (a->u.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->u.in.sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, agw_addr_port(a));
    } else {
        inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof ip);
        snprintf(buf, cap, "[%s]:%u", ip, agw_addr_port(a));
    }
    return buf;
}

bool agw_latch_accept(agw_latch_t *l, const struct sockaddr *src, socklen_t len)
{
    if (l->latched) return agw_addr_equal(&l->addr, src, len);
    if (!agw_addr_set(&l->addr, src, len)) return false;
    l->latched = true;
    return true;
}
