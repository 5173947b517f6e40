/* Unit tests of the media engine's pure RTP helpers: RFC 7983 demultiplexing, RTP header checks,
 * payload-type mapping per leg, RFC 3550 loss/jitter statistics and latching. */
#include <arpa/inet.h>
#include <glib.h>

#include "eims-agw/rtp.h"
#include "unit.h"

static size_t mk_rtp(uint8_t *b, uint8_t pt, bool m, uint16_t seq, uint32_t ts, uint32_t ssrc,
                     size_t payload)
{
    b[0] = 0x80;
    b[1] = (uint8_t)((m ? 0x80 : 0) | pt);
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    b[4] = (uint8_t)(ts >> 24);
    b[5] = (uint8_t)(ts >> 16);
    b[6] = (uint8_t)(ts >> 8);
    b[7] = (uint8_t)ts;
    b[8] = (uint8_t)(ssrc >> 24);
    b[9] = (uint8_t)(ssrc >> 16);
    b[10] = (uint8_t)(ssrc >> 8);
    b[11] = (uint8_t)ssrc;
    memset(b + 12, 0xff, payload);
    return 12 + payload;
}

TEST(demux_first_byte_ranges)
{
    uint8_t b[64] = {0};
    /* RFC 7983 §7: every value of the first byte */
    for (int c = 0; c < 256; c++) {
        b[0] = (uint8_t)c;
        b[1] = 0; /* PT 0: RTP when in 128..191 */
        agw_pkt_class_t k = agw_demux(b, sizeof b);
        agw_pkt_class_t want = AGW_PKT_UNKNOWN;
        if (c <= 3)
            want = AGW_PKT_STUN;
        else if (c >= 16 && c <= 19)
            want = AGW_PKT_ZRTP;
        else if (c >= 20 && c <= 63)
            want = AGW_PKT_DTLS;
        else if (c >= 64 && c <= 79)
            want = AGW_PKT_TURN;
        else if (c >= 128 && c <= 191)
            want = AGW_PKT_RTP;
        if (k != want) fprintf(stderr, "  first byte %d -> %s\n", c, agw_pkt_class_name(k));
        CHECK_INT(k, want);
    }
    CHECK_INT(agw_demux(b, 0), AGW_PKT_UNKNOWN);
}

TEST(demux_rtcp_vs_rtp)
{
    uint8_t b[64] = {0x80};
    /* RFC 5761 §4: second byte 192..223 is RTCP (SR=200, RR=201, SDES=202, BYE=203, ...) */
    for (int pt2 = 0; pt2 < 256; pt2++) {
        b[1] = (uint8_t)pt2;
        agw_pkt_class_t want = (pt2 >= 192 && pt2 <= 223) ? AGW_PKT_RTCP : AGW_PKT_RTP;
        CHECK_INT(agw_demux(b, sizeof b), want);
    }
    b[1] = 0;
    CHECK_INT(agw_demux(b, 11), AGW_PKT_UNKNOWN); /* shorter than an RTP header */
    b[1] = 200;
    CHECK_INT(agw_demux(b, 8), AGW_PKT_RTCP);
    CHECK_INT(agw_demux(b, 7), AGW_PKT_UNKNOWN);
}

TEST(rtp_header_parse)
{
    uint8_t b[256];
    agw_rtp_hdr_t h;
    size_t n = mk_rtp(b, 0, true, 0x1234, 0xdeadbeef, 0x01020304, 160);
    CHECK(agw_rtp_parse(b, n, &h));
    CHECK_INT(h.pt, 0);
    CHECK(h.marker);
    CHECK_INT(h.seq, 0x1234);
    CHECK_INT(h.ts, 0xdeadbeef);
    CHECK_INT(h.ssrc, 0x01020304);
    CHECK_INT(h.hdr_len, 12);
    /* two CSRCs + a one-word extension */
    n = mk_rtp(b, 8, false, 1, 2, 3, 40);
    b[0] = 0x80 | 0x10 | 2;
    uint8_t ext[] = {0xbe, 0xde, 0x00, 0x01, 1, 2, 3, 4};
    memcpy(b + 20, ext, sizeof ext);
    CHECK(agw_rtp_parse(b, n, &h));
    CHECK_INT(h.hdr_len, 12 + 8 + 4 + 4);
    /* extension claims more words than the packet holds */
    b[23] = 50;
    CHECK(!agw_rtp_parse(b, n, &h));
    /* version 1, too short, padding longer than the packet */
    n = mk_rtp(b, 0, false, 1, 2, 3, 20);
    b[0] = 0x40;
    CHECK(!agw_rtp_parse(b, n, &h));
    b[0] = 0x80;
    CHECK(!agw_rtp_parse(b, 11, &h));
    b[0] = 0xa0;
    b[n - 1] = 200;
    CHECK(!agw_rtp_parse(b, n, &h));
    b[n - 1] = 4;
    CHECK(agw_rtp_parse(b, n, &h));
}

TEST(rtcp_check)
{
    uint8_t rr[8] = {0x80, 201, 0x00, 0x01, 1, 2, 3, 4};
    CHECK(agw_rtcp_check(rr, sizeof rr));
    rr[3] = 5; /* length beyond the datagram */
    CHECK(!agw_rtcp_check(rr, sizeof rr));
    rr[3] = 1;
    rr[1] = 199;
    CHECK(!agw_rtcp_check(rr, sizeof rr));
}

TEST(pt_map_by_name)
{
    /* W3 leg as Chrome numbers it, IMS leg as a phone numbers it */
    agw_codecs_t w3 = {0}, ims = {0};
    agw_codecs_add(&w3, 111, "opus", 48000, 2);
    agw_codecs_add(&w3, 0, "PCMU", 8000, 1);
    agw_codecs_add(&w3, 8, "PCMA", 8000, 1);
    agw_codecs_add(&w3, 110, "telephone-event", 48000, 1);
    agw_codecs_add(&w3, 126, "telephone-event", 8000, 1);
    agw_codecs_add(&ims, 0, "pcmu", 8000, 0);
    agw_codecs_add(&ims, 101, "telephone-event", 8000, 0);
    agw_pt_map_t m;
    agw_pt_map_build(&m, &w3, &ims);
    CHECK_INT(m.out[0], 0);
    CHECK_INT(m.out[126], 101);         /* DTMF renumbered */
    CHECK_INT(m.out[110], AGW_PT_DROP); /* 48 kHz DTMF: no match on the IMS leg */
    CHECK_INT(m.out[111], AGW_PT_DROP); /* opus: not negotiated toward IMS */
    CHECK_INT(m.out[8], AGW_PT_DROP);
    CHECK_INT(m.out[13], AGW_PT_DROP); /* unknown PT */
    CHECK_INT(m.rate[111], 48000);
    CHECK_INT(m.rate[0], 8000);
    agw_pt_map_build(&m, &ims, &w3);
    CHECK_INT(m.out[101], 126);
    CHECK_INT(m.out[0], 0);
    /* nothing negotiated yet on one side: pass through */
    agw_codecs_t none = {0};
    agw_pt_map_build(&m, &none, &w3);
    CHECK_INT(m.out[96], 96);
    agw_pt_map_build(&m, &w3, NULL);
    CHECK_INT(m.out[111], 111);
    /* the PT rewrite keeps the marker bit */
    uint8_t b[16];
    mk_rtp(b, 126, true, 1, 1, 1, 4);
    agw_rtp_set_pt(b, 101);
    CHECK_INT(b[1], 0x80 | 101);
    CHECK(!agw_codecs_add(&w3, 128, "x", 8000, 1));
}

TEST(rx_stats_loss_and_jitter)
{
    agw_rx_stats_t s = {0};
    agw_rtp_hdr_t h = {.ssrc = 42};
    /* 100 packets, 20 ms apart, seq wraps at 65535, packets 10 and 11 lost, perfect timing */
    unsigned got = 0;
    for (unsigned i = 0; i < 100; i++) {
        if (i == 10 || i == 11) continue;
        h.seq = (uint16_t)(65500 + i);
        h.ts = 1000 + 160 * i;
        agw_rx_update(&s, &h, 5000 + 160 * i, 8000);
        got++;
    }
    CHECK_INT(s.received, got);
    CHECK_INT(agw_rx_lost(&s), 2);
    CHECK_INT(agw_rx_jitter_us(&s), 0);
    /* constant 80-sample (10 ms) alternating delay: jitter converges toward 10 ms */
    agw_rx_stats_t j = {0};
    for (unsigned i = 0; i < 400; i++) {
        h.seq = (uint16_t)i;
        h.ts = 160 * i;
        agw_rx_update(&j, &h, 160 * i + ((i & 1) ? 80 : 0), 8000);
    }
    uint64_t jit = agw_rx_jitter_us(&j);
    CHECK(jit > 9000 && jit < 10500);
    /* duplicates do not count as negative loss; reordering does not add loss */
    agw_rx_stats_t d = {0};
    uint16_t seqs[] = {1, 2, 4, 3, 5, 5, 6};
    for (unsigned i = 0; i < G_N_ELEMENTS(seqs); i++) {
        h.seq = seqs[i];
        h.ts = 160u * seqs[i];
        agw_rx_update(&d, &h, 160u * seqs[i], 8000);
    }
    CHECK_INT(agw_rx_lost(&d), 0);
    /* SSRC change: losses of the old stream are kept */
    h.ssrc = 43;
    h.seq = 9000;
    agw_rx_update(&s, &h, 0, 8000);
    h.seq = 9003;
    agw_rx_update(&s, &h, 0, 8000);
    CHECK_INT(agw_rx_lost(&s), 2 + 2);
}

TEST(latching)
{
    agw_latch_t l = {0};
    agw_addr_t a, b;
    CHECK(agw_addr_parse(&a, "127.0.20.5", 4000));
    CHECK(agw_addr_parse(&b, "127.0.20.6", 4000));
    CHECK(!l.latched);
    CHECK(agw_latch_accept(&l, &a.u.sa, a.len)); /* the first packet latches */
    CHECK(l.latched);
    CHECK(agw_latch_accept(&l, &a.u.sa, a.len));
    CHECK(!agw_latch_accept(&l, &b.u.sa, b.len)); /* another host */
    agw_addr_t a2;
    agw_addr_parse(&a2, "127.0.20.5", 4001);
    CHECK(!agw_latch_accept(&l, &a2.u.sa, a2.len)); /* same host, other port */
    agw_latch_reset(&l);
    CHECK(agw_latch_accept(&l, &b.u.sa, b.len));
    CHECK(!agw_latch_accept(&l, &a.u.sa, a.len));
    char s[64];
    CHECK_STR(agw_addr_str(&b, s, sizeof s), "127.0.20.6:4000");
    agw_addr_t v6;
    CHECK(agw_addr_parse(&v6, "::1", 9));
    CHECK_STR(agw_addr_str(&v6, s, sizeof s), "[::1]:9");
    CHECK(!agw_addr_parse(&v6, "host.example", 9));
}

TEST(rtcp_compound_starts_with_rr)
{
    /* baresip's goodbye: BYE (SSRC 0x11223344) then SDES, no RR/SR in front. */
    uint8_t b[64] = {0x81, 203, 0, 1, 0x11, 0x22, 0x33, 0x44,
                     0x81, 202, 0, 2, 0x11, 0x22, 0x33, 0x44, 1, 2, 'a', 0};
    size_t n = agw_rtcp_make_compound(b, 20, sizeof b);
    CHECK_INT(n, 28);
    const uint8_t rr[8] = {0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44};
    CHECK_MEM(b, rr, 8);
    CHECK(b[8] == 0x81 && b[9] == 203 && b[16] == 0x81 && b[17] == 202);
    CHECK(agw_rtcp_check(b, n));
    /* Already compound (RR first), no room, or not RTCP: unchanged. */
    CHECK_INT(agw_rtcp_make_compound(b, n, sizeof b), n);
    uint8_t c[20] = {0x81, 203, 0, 1, 1, 2, 3, 4};
    CHECK_INT(agw_rtcp_make_compound(c, 8, 12), 8);
    uint8_t d[20] = {0x40, 203, 0, 1};
    CHECK_INT(agw_rtcp_make_compound(d, 8, sizeof d), 8);
}

int main(void)
{
    RUN(demux_first_byte_ranges);
    RUN(demux_rtcp_vs_rtp);
    RUN(rtp_header_parse);
    RUN(rtcp_check);
    RUN(rtcp_compound_starts_with_rr);
    RUN(pt_map_by_name);
    RUN(rx_stats_loss_and_jitter);
    RUN(latching);
    UNIT_END("eims-agw/rtp");
}
