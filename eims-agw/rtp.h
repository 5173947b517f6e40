/* Pure RTP helpers of the media engine: RFC 7983 first-byte demultiplexing, RTP header checks,
 * payload-type mapping between two legs, RFC 3550 reception statistics (loss, jitter) and
 * source latching. No I/O, no allocation, no logging: everything here runs per packet. */
#ifndef AGW_RTP_H
#define AGW_RTP_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- RFC 7983 demultiplexing on the single W3 port ---------------------------------------- */
typedef enum {
    AGW_PKT_UNKNOWN = 0,
    AGW_PKT_STUN, /* first byte 0..3 */
    AGW_PKT_ZRTP, /* 16..19 (not used by WebRTC: dropped) */
    AGW_PKT_DTLS, /* 20..63 */
    AGW_PKT_TURN, /* 64..79 TURN channel data (dropped: no TURN) */
    AGW_PKT_RTP,  /* 128..191, second byte outside 192..223 */
    AGW_PKT_RTCP, /* 128..191, second byte 192..223 (RFC 5761 §4: RTCP PT 64..95 with M bit) */
} agw_pkt_class_t;

/* RFC 7983 §7 (updating RFC 5764 §5.1.2) and RFC 5761 §4. Too-short RTP/RTCP is UNKNOWN. */
static inline agw_pkt_class_t agw_demux(const uint8_t *b, size_t len)
{
    if (len == 0) return AGW_PKT_UNKNOWN;
    uint8_t c = b[0];
    if (c <= 3) return AGW_PKT_STUN;
    if (c >= 16 && c <= 19) return AGW_PKT_ZRTP;
    if (c >= 20 && c <= 63) return AGW_PKT_DTLS;
    if (c >= 64 && c <= 79) return AGW_PKT_TURN;
    if (c >= 128 && c <= 191) {
        if (len < 8) return AGW_PKT_UNKNOWN;
        if (b[1] >= 192 && b[1] <= 223) return AGW_PKT_RTCP;
        return len >= 12 ? AGW_PKT_RTP : AGW_PKT_UNKNOWN;
    }
    return AGW_PKT_UNKNOWN;
}
const char *agw_pkt_class_name(agw_pkt_class_t c);

/* ---- RTP header (RFC 3550 §5.1) ------------------------------------------------------------ */
typedef struct {
    uint8_t pt;
    bool marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    size_t hdr_len; /* fixed header + CSRCs + extension */
} agw_rtp_hdr_t;

/* Version 2, CSRC list and header extension inside `len`, padding consistent. */
bool agw_rtp_parse(const uint8_t *b, size_t len, agw_rtp_hdr_t *h);
/* RTCP compound start: version 2, PT 200..207 (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR). */
bool agw_rtcp_check(const uint8_t *b, size_t len);
/* RFC 3550 §6.1: a compound RTCP packet starts with SR or RR. Some phones (baresip) send BYE
 * first; before such a packet goes out as SRTCP an empty RR carrying the first packet's SSRC is
 * put in front (needs 8 spare bytes: cap >= len + 8). Returns the new length (len if unchanged). */
size_t agw_rtcp_make_compound(uint8_t *b, size_t len, size_t cap);

static inline void agw_rtp_set_pt(uint8_t *b, uint8_t pt)
{
    b[1] = (uint8_t)((b[1] & 0x80) | (pt & 0x7f));
}

/* ---- payload types per leg ----------------------------------------------------------------- */
#define AGW_MAX_CODECS 16
#define AGW_PT_DROP 0xff

typedef struct {
    uint8_t pt;       /* 0..127 */
    char name[24];    /* rtpmap encoding name: "PCMU", "telephone-event", "opus" */
    uint32_t rate;    /* clock rate; 0 = unknown (8000 assumed for statistics) */
    uint8_t channels; /* 0 or 1 = mono */
} agw_codec_t;

typedef struct {
    unsigned n;
    agw_codec_t c[AGW_MAX_CODECS];
} agw_codecs_t;

/* Appends a codec; false when full or pt > 127. */
bool agw_codecs_add(agw_codecs_t *cs, uint8_t pt, const char *name, uint32_t rate,
                    uint8_t channels);
const agw_codec_t *agw_codecs_find_pt(const agw_codecs_t *cs, uint8_t pt);

/* out[pt_in] = pt_out or AGW_PT_DROP; rate[pt_in] = clock rate of the incoming payload type. */
typedef struct {
    uint8_t out[128];
    uint32_t rate[128];
} agw_pt_map_t;

/* Maps the payload types of leg `from` onto leg `to` by encoding name (case-insensitive), clock
 * rate and channels: PCMU 0 -> PCMU 0, telephone-event/8000 101 -> telephone-event/8000 126.
 * An empty list on either side means "not negotiated yet": every PT passes unchanged. A PT known
 * on `from` with no match on `to` is dropped (the other end never agreed to receive it). */
void agw_pt_map_build(agw_pt_map_t *m, const agw_codecs_t *from, const agw_codecs_t *to);

/* ---- reception statistics (RFC 3550 A.1, A.3, A.8) ----------------------------------------- */
typedef struct {
    bool init;
    uint32_t ssrc;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of sequence number cycles */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t received; /* packets of the current SSRC */
    int64_t lost_done; /* losses of previous SSRCs */
    uint32_t transit;
    uint32_t jitter_q4; /* RFC 3550 A.8 estimator, in timestamp units << 4 */
    uint32_t jitter_rate;
} agw_rx_stats_t;

/* Accounts one RTP packet that arrived at `arrival` (in the payload's clock units; wraps). */
void agw_rx_update(agw_rx_stats_t *s, const agw_rtp_hdr_t *h, uint32_t arrival, uint32_t rate);
/* Cumulative packets lost (expected - received, RFC 3550 A.3), never negative. */
int64_t agw_rx_lost(const agw_rx_stats_t *s);
/* Interarrival jitter in microseconds. */
uint64_t agw_rx_jitter_us(const agw_rx_stats_t *s);

/* ---- addresses and latching ---------------------------------------------------------------- */
typedef struct {
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
        struct sockaddr_storage ss;
    } u;
    socklen_t len; /* 0 = unset */
} agw_addr_t;

bool agw_addr_set(agw_addr_t *a, const struct sockaddr *sa, socklen_t len);
/* "127.0.0.1" / "::1" and a port; false if not a numeric address. */
bool agw_addr_parse(agw_addr_t *a, const char *ip, uint16_t port);
bool agw_addr_equal(const agw_addr_t *a, const struct sockaddr *sa, socklen_t len);
bool agw_addr_same_ip(const agw_addr_t *a, const struct sockaddr *sa, socklen_t len);
uint16_t agw_addr_port(const agw_addr_t *a);
/* "1.2.3.4:5000" or "[::1]:5000" into buf (>= 64 bytes). */
const char *agw_addr_str(const agw_addr_t *a, char *buf, size_t cap);

/* Symmetric-RTP latching (the "latching" of RFC 7362): the first packet fixes the peer's
 * transport address; packets from anywhere else are refused until the latch is reset (by a
 * Modify that brings a new remote address). */
typedef struct {
    agw_addr_t addr;
    bool latched;
} agw_latch_t;

/* True if the packet from `src` is accepted (latching on the first one). */
bool agw_latch_accept(agw_latch_t *l, const struct sockaddr *src, socklen_t len);
static inline void agw_latch_reset(agw_latch_t *l)
{
    l->latched = false;
    l->addr.len = 0;
}

#endif
