/* Unit tests of our own checks toward a lite peer: Binding requests built byte by byte against the
 * RFC 5769 §2.1 sample (same PRIORITY, ICE-CONTROLLED, USERNAME; MESSAGE-INTEGRITY and
 * FINGERPRINT recomputed here independently), answered by the lite side; responses checked with
 * the RFC 5769 §2.2/§2.3 samples; role conflicts (RFC 8445 §7.3.1.1) on both sides; every
 * truncation and bit flip of a response refused; the lite peer's candidate choice. */
#include <arpa/inet.h>
#include <glib.h>
#include <gnutls/crypto.h>

#include "eims-agw/ice_cand.h"
#include "eims-agw/stun.h"
#include "unit.h"

static const char *pwd5769 = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t tid5769[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
/* RFC 5769 §2.2 / §2.3: success responses, mapped 192.0.2.1 / 2001:db8:1234:5678:11:2233:4455:6677
 * port 32853, SOFTWARE "test vector" */
static const char *resp4 = "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                           "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
                           "00 20 00 08 00 01 a1 47 e1 12 a6 43"
                           "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
                           "80 28 00 04 c0 7d 4c 96";
static const char *resp6 = "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                           "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
                           "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
                           "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
                           "80 28 00 04 c8 fb 0b 4c";

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* Attribute `nth` (0-based) of a message: type, length, value offset; false past the end. */
static bool attr_at(const uint8_t *m, size_t len, unsigned nth, uint16_t *type, uint16_t *alen,
                    size_t *val)
{
    size_t off = 20;
    for (unsigned i = 0; off + 4 <= len; i++) {
        uint16_t l = get16(m + off + 2);
        if (i == nth) {
            *type = get16(m + off);
            *alen = l;
            *val = off + 4;
            return off + 4 + l <= len;
        }
        off += 4 + ((l + 3u) & ~3u);
    }
    return false;
}

/* Independent check of MESSAGE-INTEGRITY (attribute header at `mi`) and FINGERPRINT (last). */
static void check_mi_fp(const uint8_t *m, size_t n, size_t mi, const char *pwd)
{
    uint8_t copy[700], mac[20];
    memcpy(copy, m, mi);
    uint16_t fake = (uint16_t)(mi + 24 - 20);
    copy[2] = (uint8_t)(fake >> 8);
    copy[3] = (uint8_t)fake;
    gnutls_hmac_fast(GNUTLS_MAC_SHA1, pwd, strlen(pwd), copy, mi, mac);
    CHECK_MEM(mac, m + mi + 4, 20);
    CHECK_INT(get16(m + n - 8), 0x8028);
    CHECK_INT(get32(m + n - 4), crc32_ieee(m, n - 8) ^ 0x5354554eu);
}

TEST(request_matches_the_rfc5769_sample_fields)
{
    /* the §2.1 request's parameters: USERNAME "evtj:h6vY" (we are h6vY, the peer is evtj),
     * PRIORITY 0x6e0001ff, ICE-CONTROLLED 0x932ff9b151263b36, the peer's password */
    agw_stun_request_t rq = {.local_ufrag = "h6vY",
                             .remote_ufrag = "evtj",
                             .remote_pwd = pwd5769,
                             .priority = 0x6e0001ff,
                             .controlling = false,
                             .tie_breaker = 0x932ff9b151263b36ull,
                             .use_candidate = true}; /* ignored: only the controlling side */
    uint8_t m[AGW_STUN_REQUEST_MAX];
    size_t n = agw_stun_build_request(&rq, tid5769, m, sizeof m);
    CHECK_INT(n, 20 + 16 + 8 + 12 + 24 + 8);
    CHECK_INT(get16(m), 0x0001);
    CHECK_INT(get16(m + 2) + 20, n);
    CHECK_INT(get32(m + 4), 0x2112a442);
    CHECK_MEM(m + 8, tid5769, 12);
    static const struct {
        uint16_t type;
        const char *hex;
    } want[] = {{0x0006, "65 76 74 6a 3a 68 36 76 59"}, /* USERNAME evtj:h6vY */
                {0x0024, "6e 00 01 ff"},                /* PRIORITY (as in the vector) */
                {0x8029, "93 2f f9 b1 51 26 3b 36"}};   /* ICE-CONTROLLED (as in the vector) */
    for (unsigned i = 0; i < 3; i++) {
        uint16_t t, l;
        size_t v;
        CHECK(attr_at(m, n, i, &t, &l, &v));
        CHECK_INT(t, want[i].type);
        uint8_t exp[16];
        size_t el = unit_hex(want[i].hex, exp, sizeof exp);
        CHECK_INT(l, el);
        CHECK_MEM(m + v, exp, el);
        if (i == 0) CHECK_MEM(m + v + 9, "\0\0\0", 3); /* padding */
    }
    uint16_t t, l;
    size_t v;
    CHECK(attr_at(m, n, 3, &t, &l, &v) && t == 0x0008 && l == 20); /* no USE-CANDIDATE */
    check_mi_fp(m, n, v - 4, pwd5769);
    /* the lite side (the RFC's "evtj" with that password) answers it */
    agw_ice_creds_t cr = {"evtj", pwd5769, "h6vY", AGW_ICE_ROLE_LITE, 0};
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(32853)};
    inet_pton(AF_INET, "192.0.2.1", &src.sin_addr);
    uint8_t reply[AGW_STUN_REPLY_MAX];
    size_t rl;
    agw_stun_check_t ck;
    CHECK_INT(agw_stun_answer(&cr, m, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    CHECK(!ck.use_candidate && !ck.controlling);
    CHECK_INT(ck.priority, 0x6e0001ff);
    /* and its answer validates on our side with the same password and transaction */
    agw_stun_resp_t r;
    CHECK(agw_stun_is_response(reply, rl));
    CHECK_INT(agw_stun_check_response(reply, rl, tid5769, pwd5769, &r), AGW_STUN_RESP_SUCCESS);
    CHECK_INT(r.mapped_len, sizeof(struct sockaddr_in));
    CHECK_MEM(&r.mapped, &src, sizeof src);
}

TEST(controlling_request_nominates)
{
    agw_stun_request_t rq = {.local_ufrag = "ours",
                             .remote_ufrag = "theirs+/9",
                             .remote_pwd = "0123456789abcdefghijkl",
                             .priority = 1862270975u,
                             .controlling = true,
                             .tie_breaker = 0x0102030405060708ull,
                             .use_candidate = true};
    uint8_t m[AGW_STUN_REQUEST_MAX];
    size_t n = agw_stun_build_request(&rq, tid5769, m, sizeof m);
    CHECK(n > 0);
    uint16_t t, l;
    size_t v;
    CHECK(attr_at(m, n, 0, &t, &l, &v) && t == 0x0006 && l == 14);
    CHECK_MEM(m + v, "theirs+/9:ours", 14);
    CHECK(attr_at(m, n, 2, &t, &l, &v) && t == 0x802A && l == 8);
    CHECK_INT(get32(m + v), 0x01020304u);
    CHECK(attr_at(m, n, 3, &t, &l, &v) && t == 0x0025 && l == 0);
    CHECK(attr_at(m, n, 4, &t, &l, &v) && t == 0x0008);
    check_mi_fp(m, n, v - 4, "0123456789abcdefghijkl");
    agw_ice_creds_t cr = {"theirs+/9", "0123456789abcdefghijkl", "ours", AGW_ICE_ROLE_LITE, 0};
    struct sockaddr_in6 src = {.sin6_family = AF_INET6, .sin6_port = htons(5000)};
    inet_pton(AF_INET6, "2001:db8::7", &src.sin6_addr);
    uint8_t reply[AGW_STUN_REPLY_MAX];
    size_t rl;
    agw_stun_check_t ck;
    CHECK_INT(agw_stun_answer(&cr, m, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    CHECK(ck.use_candidate && ck.controlling && !ck.switch_role);
    agw_stun_resp_t r;
    CHECK_INT(agw_stun_check_response(reply, rl, tid5769, "0123456789abcdefghijkl", &r),
              AGW_STUN_RESP_SUCCESS);
    CHECK_INT(r.mapped_len, sizeof src);
    CHECK_MEM(&((struct sockaddr_in6 *)&r.mapped)->sin6_addr, &src.sin6_addr, 16);
    CHECK_INT(((struct sockaddr_in6 *)&r.mapped)->sin6_port, htons(5000));
    /* missing arguments, too small a buffer */
    CHECK_INT(agw_stun_build_request(&rq, tid5769, m, n - 1), 0);
    rq.remote_pwd = "";
    CHECK_INT(agw_stun_build_request(&rq, tid5769, m, sizeof m), 0);
    /* the longest ufrags fit AGW_STUN_REQUEST_MAX */
    char big[AGW_ICE_UFRAG_MAX + 1];
    memset(big, 'a', AGW_ICE_UFRAG_MAX);
    big[AGW_ICE_UFRAG_MAX] = '\0';
    agw_stun_request_t longest = {big, big, "0123456789abcdefghijkl", 1, true, 1, true};
    CHECK(agw_stun_build_request(&longest, tid5769, m, sizeof m) > 2 * AGW_ICE_UFRAG_MAX);
}

TEST(rfc5769_responses_validated)
{
    uint8_t m[200];
    size_t n = unit_hex(resp4, m, sizeof m);
    CHECK_INT(n, 80);
    agw_stun_resp_t r;
    CHECK(agw_stun_is_response(m, n));
    CHECK_INT(agw_stun_check_response(m, n, tid5769, pwd5769, &r), AGW_STUN_RESP_SUCCESS);
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&r.mapped;
    CHECK_INT(a4->sin_family, AF_INET);
    CHECK_INT(ntohs(a4->sin_port), 32853);
    CHECK_INT(ntohl(a4->sin_addr.s_addr), 0xc0000201u);
    /* another password, another transaction: never arrived */
    CHECK_INT(agw_stun_check_response(m, n, tid5769, "VOkJxbRl1RmTxUk/WvJxBu", &r),
              AGW_STUN_RESP_IGNORE);
    uint8_t tid2[12];
    memcpy(tid2, tid5769, 12);
    tid2[11] ^= 1;
    CHECK_INT(agw_stun_check_response(m, n, tid2, pwd5769, &r), AGW_STUN_RESP_IGNORE);
    /* every truncation and bit flip refused (exact-size heap copies: ASan sees overreads) */
    unsigned accepted = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *c = g_memdup2(m, k);
        accepted += agw_stun_check_response(c, k, tid5769, pwd5769, &r) != AGW_STUN_RESP_IGNORE;
        g_free(c);
        for (int bit = 0; bit < 8; bit++) {
            c = g_memdup2(m, n);
            c[k] ^= (uint8_t)(1 << bit);
            accepted +=
                agw_stun_check_response(c, n, tid5769, pwd5769, &r) == AGW_STUN_RESP_SUCCESS;
            g_free(c);
        }
    }
    CHECK_INT(accepted, 0);

    n = unit_hex(resp6, m, sizeof m);
    CHECK_INT(n, 92);
    CHECK_INT(agw_stun_check_response(m, n, tid5769, pwd5769, &r), AGW_STUN_RESP_SUCCESS);
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&r.mapped;
    struct in6_addr want;
    inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &want);
    CHECK_INT(a6->sin6_family, AF_INET6);
    CHECK_INT(ntohs(a6->sin6_port), 32853);
    CHECK_MEM(&a6->sin6_addr, &want, 16);
    /* a request is not a response */
    m[0] = 0;
    m[1] = 1;
    CHECK(!agw_stun_is_response(m, n));
}

/* A request from a peer that took a role too, answered by a side that runs checks. */
static agw_stun_result_t conflict(agw_ice_role_t ours, uint64_t our_tb, bool peer_controlling,
                                  uint64_t peer_tb, agw_stun_check_t *ck, agw_stun_resp_t *r,
                                  agw_stun_resp_result_t *rr)
{
    agw_stun_request_t rq = {
        "peer", "mine", "mine-password-0123456789", 1, peer_controlling, peer_tb, peer_controlling};
    uint8_t m[AGW_STUN_REQUEST_MAX], reply[AGW_STUN_REPLY_MAX];
    size_t n = agw_stun_build_request(&rq, tid5769, m, sizeof m), rl;
    agw_ice_creds_t cr = {"mine", "mine-password-0123456789", "peer", ours, our_tb};
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(9)};
    agw_stun_result_t res =
        agw_stun_answer(&cr, m, n, (struct sockaddr *)&src, sizeof src, reply, &rl, ck);
    /* the peer validates our answer with our password, which keys it */
    *rr = agw_stun_check_response(reply, rl, tid5769, "mine-password-0123456789", r);
    return res;
}

TEST(role_conflicts_resolved_by_tie_breaker)
{
    agw_stun_check_t ck;
    agw_stun_resp_t r;
    agw_stun_resp_result_t rr;
    /* both controlling: the larger tie-breaker keeps the role, the other one gets 487 */
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLING, 9, true, 3, &ck, &r, &rr), AGW_STUN_REJECT);
    CHECK_INT(ck.error, 487);
    CHECK_INT(rr, AGW_STUN_RESP_ERROR); /* authenticated (MESSAGE-INTEGRITY) error */
    CHECK_INT(r.error, 487);
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLING, 3, true, 9, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(ck.switch_role);
    CHECK_INT(rr, AGW_STUN_RESP_SUCCESS);
    /* both controlled: the larger tie-breaker switches to controlling */
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLED, 9, false, 3, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(ck.switch_role);
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLED, 3, false, 9, &ck, &r, &rr), AGW_STUN_REJECT);
    CHECK_INT(ck.error, 487);
    /* no conflict */
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLED, 3, true, 9, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(!ck.switch_role);
    CHECK_INT(conflict(AGW_ICE_ROLE_CONTROLLING, 3, false, 9, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(!ck.switch_role);
    /* a lite termination facing a full peer never resolves conflicts (unchanged behaviour) */
    CHECK_INT(conflict(AGW_ICE_ROLE_LITE, 0, false, 9, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(!ck.switch_role);
    CHECK_INT(conflict(AGW_ICE_ROLE_LITE, UINT64_MAX, true, 0, &ck, &r, &rr), AGW_STUN_SUCCESS);
    CHECK(!ck.switch_role);
}

TEST(unauthenticated_error_ignored)
{
    /* a 401 (no MESSAGE-INTEGRITY, as RFC 5389 §10.1.2 has it) is not acted upon */
    agw_stun_request_t rq = {"mine", "peer", "peer-password-0123456789", 1, true, 1, true};
    uint8_t m[AGW_STUN_REQUEST_MAX], reply[AGW_STUN_REPLY_MAX];
    size_t n = agw_stun_build_request(&rq, tid5769, m, sizeof m), rl;
    agw_ice_creds_t cr = {"peer", "another-password-0123456", NULL, AGW_ICE_ROLE_LITE, 0};
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(9)};
    agw_stun_check_t ck;
    CHECK_INT(agw_stun_answer(&cr, m, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 401);
    agw_stun_resp_t r;
    CHECK_INT(agw_stun_check_response(reply, rl, tid5769, "peer-password-0123456789", &r),
              AGW_STUN_RESP_IGNORE);
    CHECK_INT(r.error, 401);
}

TEST(lite_peer_candidate_choice)
{
    agw_addr_t a;
    char s[64];
    const char *c1[] = {"1 1 udp 2130706431 127.0.2.3 40002 typ host",
                        "2 1 udp 2130706175 ::1 40004 typ host",
                        "3 1 tcp 2130706687 127.0.2.9 9 typ host tcptype passive",
                        "4 2 udp 2130706687 127.0.2.9 40003 typ host",
                        "5 1 udp 1694498815 127.0.2.4 40005 typ srflx raddr 0.0.0.0 rport 0",
                        "bad",
                        "6 1 udp -5 127.0.2.4 1 typ host",
                        "7 1 udp 9 host.local 1 typ host",
                        NULL};
    CHECK(agw_ice_pick_candidate(c1, 9, "0.0.0.0", 9, AF_INET, &a));
    CHECK_STR(agw_addr_str(&a, s, sizeof s), "127.0.2.3:40002");
    CHECK(agw_ice_pick_candidate(c1, 9, NULL, 0, AF_INET6, &a));
    CHECK_STR(agw_addr_str(&a, s, sizeof s), "[::1]:40004");
    /* no candidate lines: the c=/m= default, not JSEP's placeholder */
    CHECK(agw_ice_pick_candidate(NULL, 0, "127.0.2.5", 40010, AF_INET, &a));
    CHECK_STR(agw_addr_str(&a, s, sizeof s), "127.0.2.5:40010");
    CHECK(!agw_ice_pick_candidate(NULL, 0, "0.0.0.0", 9, AF_INET, &a));
    CHECK_INT(a.len, 0);
    CHECK(!agw_ice_pick_candidate(c1 + 2, 2, "::1", 9, AF_INET, &a));
    uint32_t prio;
    CHECK(agw_ice_parse_candidate("1 1 UDP 7 10.0.0.1 5 typ host", &a, &prio) && prio == 7);
    CHECK(!agw_ice_parse_candidate("1 1 udp 7 10.0.0.1 0 typ host", &a, &prio));
    CHECK(!agw_ice_parse_candidate("1 1 udp 7 10.0.0.1 70000 typ host", &a, &prio));
    CHECK(!agw_ice_parse_candidate("1 1 udp 7 10.0.0.1 5", &a, &prio));
    CHECK(!agw_ice_parse_candidate("1 1 udp 4294967296 10.0.0.1 5 typ host", &a, &prio));
}

int main(void)
{
    RUN(request_matches_the_rfc5769_sample_fields);
    RUN(controlling_request_nominates);
    RUN(rfc5769_responses_validated);
    RUN(role_conflicts_resolved_by_tie_breaker);
    RUN(unauthenticated_error_ignored);
    RUN(lite_peer_candidate_choice);
    UNIT_END("eims-agw/stun_check");
}
