/* Unit tests of ICE-lite check answering: the RFC 5769 sample request, replies checked byte by
 * byte with an independent implementation here (XOR-MAPPED-ADDRESS decoded, MESSAGE-INTEGRITY and
 * FINGERPRINT recomputed), remote ufrag locking, USE-CANDIDATE, 400/401/420, garbage. */
#include <arpa/inet.h>
#include <glib.h>
#include <gnutls/crypto.h>

#include "eims-agw/stun.h"
#include "unit.h"

/* RFC 5769 §2.1 sample request: USERNAME "evtj:h6vY", password "VOkJxbRl1RmTxUk/WvJxBt" */
static const char *rfc5769_req =
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf";
static const char *pwd5769 = "VOkJxbRl1RmTxUk/WvJxBt";

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

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Finds an attribute in a STUN message; returns its value offset or 0. */
static size_t find_attr(const uint8_t *m, size_t len, uint16_t type, uint16_t *alen)
{
    size_t off = 20;
    while (off + 4 <= len) {
        uint16_t t = get16(m + off), l = get16(m + off + 2);
        if (t == type) {
            *alen = l;
            return off + 4;
        }
        off += 4 + ((l + 3u) & ~3u);
    }
    return 0;
}

/* Independent checks of a success response: header, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY keyed
 * with `pwd` (RFC 5389 §15.4: length field covers up to MI), FINGERPRINT (§15.5). */
static void check_success(const uint8_t *req, const uint8_t *r, size_t n, const char *pwd,
                          const struct sockaddr_in *src)
{
    CHECK_INT(get16(r), 0x0101);
    CHECK_INT(get16(r + 2) + 20, n);
    CHECK_MEM(r + 4, req + 4, 16); /* cookie + transaction id */
    uint16_t l;
    size_t x = find_attr(r, n, 0x0020, &l);
    CHECK(x && l == 8);
    if (x) {
        CHECK_INT(r[x + 1], 1); /* IPv4 */
        CHECK_INT(get16(r + x + 2) ^ 0x2112, ntohs(src->sin_port));
        CHECK_INT(get32(r + x + 4) ^ 0x2112a442u, ntohl(src->sin_addr.s_addr));
    }
    size_t mi = find_attr(r, n, 0x0008, &l);
    CHECK(mi && l == 20);
    if (mi) {
        uint8_t copy[600];
        memcpy(copy, r, mi - 4);
        uint16_t fake = (uint16_t)(mi - 4 + 24 - 20);
        copy[2] = (uint8_t)(fake >> 8);
        copy[3] = (uint8_t)fake;
        uint8_t mac[20];
        gnutls_hmac_fast(GNUTLS_MAC_SHA1, pwd, strlen(pwd), copy, mi - 4, mac);
        CHECK_MEM(mac, r + mi, 20);
    }
    size_t fp = find_attr(r, n, 0x8028, &l);
    CHECK(fp && l == 4 && fp + 4 == n);
    if (fp) CHECK_INT(get32(r + fp), crc32_ieee(r, fp - 4) ^ 0x5354554eu);
}

static struct sockaddr_in src4(const char *ip, uint16_t port)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &s.sin_addr);
    return s;
}

TEST(rfc5769_vector_answered)
{
    uint8_t req[200], reply[AGW_STUN_REPLY_MAX];
    size_t n = unit_hex(rfc5769_req, req, sizeof req), rl;
    CHECK_INT(n, 108);
    struct sockaddr_in src = src4("192.0.2.1", 32853);
    /* remote ufrag not known yet */
    agw_ice_creds_t cr = {"evtj", pwd5769, NULL, AGW_ICE_ROLE_LITE, 0};
    agw_stun_check_t ck;
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    CHECK_STR(ck.remote_ufrag, "h6vY");
    CHECK_INT(ck.priority, 0x6e0001ff);
    CHECK(!ck.use_candidate);
    CHECK(!ck.controlling);
    check_success(req, reply, rl, pwd5769, &src);
    /* once the remote ufrag is installed, the same check still passes */
    cr.remote_ufrag = "h6vY";
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
}

static void check_error(const uint8_t *r, size_t n, int code)
{
    CHECK_INT(get16(r), 0x0111);
    uint16_t l;
    size_t e = find_attr(r, n, 0x0009, &l);
    CHECK(e);
    if (e) CHECK_INT(r[e + 2] * 100 + r[e + 3], code);
    CHECK(find_attr(r, n, 0x0008, &l) == 0); /* no MESSAGE-INTEGRITY on an unauthenticated answer */
}

TEST(wrong_credentials_rejected)
{
    uint8_t req[200], reply[AGW_STUN_REPLY_MAX];
    size_t n = unit_hex(rfc5769_req, req, sizeof req), rl;
    struct sockaddr_in src = src4("192.0.2.1", 32853);
    agw_stun_check_t ck;
    /* another fork's ufrag after the answer was installed (SPECS §6.5) */
    agw_ice_creds_t fork = {"evtj", pwd5769, "zzzz", AGW_ICE_ROLE_LITE, 0};
    CHECK_INT(agw_stun_answer(&fork, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 401);
    check_error(reply, rl, 401);
    /* a ufrag that is a prefix of the right one */
    agw_ice_creds_t prefix = {"evtj", pwd5769, "h6v", AGW_ICE_ROLE_LITE, 0};
    CHECK_INT(
        agw_stun_answer(&prefix, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
        AGW_STUN_REJECT);
    /* our password differs: MESSAGE-INTEGRITY fails */
    agw_ice_creds_t pw = {"evtj", "VOkJxbRl1RmTxUk/WvJxBu", NULL, AGW_ICE_ROLE_LITE, 0};
    CHECK_INT(agw_stun_answer(&pw, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 401);
    /* addressed to another termination's ufrag */
    agw_ice_creds_t other = {"evtk", pwd5769, NULL, AGW_ICE_ROLE_LITE, 0};
    CHECK_INT(agw_stun_answer(&other, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_REJECT);
    /* a flipped bit: FINGERPRINT fails, the datagram is not STUN, no answer */
    req[45] ^= 1;
    CHECK_INT(agw_stun_answer(&pw, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_IGNORE);
    CHECK_INT(rl, 0);
}

TEST(garbage_and_non_requests_ignored)
{
    uint8_t reply[AGW_STUN_REPLY_MAX], junk[64];
    size_t rl;
    struct sockaddr_in src = src4("127.0.0.1", 1);
    agw_ice_creds_t cr = {"evtj", pwd5769, NULL, AGW_ICE_ROLE_LITE, 0};
    agw_stun_check_t ck;
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37);
    junk[0] = 0x00;
    CHECK_INT(agw_stun_answer(&cr, junk, sizeof junk, (struct sockaddr *)&src, sizeof src, reply,
                              &rl, &ck),
              AGW_STUN_IGNORE);
    CHECK_INT(agw_stun_answer(&cr, junk, 3, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_IGNORE);
    /* RFC 5769 §2.2 sample IPv4 response: we never sent a request, so it is dropped */
    uint8_t resp[100];
    size_t n = unit_hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
                        "00 20 00 08 00 01 a1 47 e1 12 a6 43"
                        "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
                        "80 28 00 04 c0 7d 4c 96",
                        resp, sizeof resp);
    CHECK_INT(n, 80);
    CHECK_INT(agw_stun_answer(&cr, resp, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_IGNORE);
    CHECK_INT(rl, 0);
}

/* A Binding request built here (not by the code under test): attributes as given, then
 * MESSAGE-INTEGRITY keyed with `pwd` (unless NULL) and FINGERPRINT. */
static size_t build_request(uint8_t *m, const char *user, const char *pwd, bool use_cand,
                            uint16_t extra_attr)
{
    static const uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    m[0] = 0;
    m[1] = 1;
    m[4] = 0x21;
    m[5] = 0x12;
    m[6] = 0xa4;
    m[7] = 0x42;
    memcpy(m + 8, tid, 12);
    size_t off = 20;
    size_t ul = user ? strlen(user) : 0;
    if (user) {
        m[off] = 0;
        m[off + 1] = 6;
        m[off + 2] = 0;
        m[off + 3] = (uint8_t)ul;
        memcpy(m + off + 4, user, ul);
        memset(m + off + 4 + ul, 0, (4 - ul % 4) % 4);
        off += 4 + ((ul + 3) & ~3u);
    }
    uint8_t prio[8] = {0x00, 0x24, 0x00, 0x04, 0x6e, 0x7f, 0x00, 0xff};
    memcpy(m + off, prio, 8);
    off += 8;
    uint8_t ctl[12] = {0x80, 0x2a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    memcpy(m + off, ctl, 12);
    off += 12;
    if (use_cand) {
        uint8_t uc[4] = {0x00, 0x25, 0x00, 0x00};
        memcpy(m + off, uc, 4);
        off += 4;
    }
    if (extra_attr) {
        uint8_t ea[8] = {(uint8_t)(extra_attr >> 8), (uint8_t)extra_attr, 0, 4, 9, 9, 9, 9};
        memcpy(m + off, ea, 8);
        off += 8;
    }
    if (pwd) {
        uint16_t l = (uint16_t)(off + 24 - 20);
        m[2] = (uint8_t)(l >> 8);
        m[3] = (uint8_t)l;
        uint8_t mac[20];
        gnutls_hmac_fast(GNUTLS_MAC_SHA1, pwd, strlen(pwd), m, off, mac);
        m[off] = 0;
        m[off + 1] = 8;
        m[off + 2] = 0;
        m[off + 3] = 20;
        memcpy(m + off + 4, mac, 20);
        off += 24;
    }
    uint16_t l = (uint16_t)(off + 8 - 20);
    m[2] = (uint8_t)(l >> 8);
    m[3] = (uint8_t)l;
    uint32_t fp = crc32_ieee(m, off) ^ 0x5354554eu;
    uint8_t fa[8] = {
        0x80,       0x28, 0, 4, (uint8_t)(fp >> 24), (uint8_t)(fp >> 16), (uint8_t)(fp >> 8),
        (uint8_t)fp};
    memcpy(m + off, fa, 8);
    return off + 8;
}

TEST(nomination_consent_and_ipv6)
{
    /* a controlling browser nominates with USE-CANDIDATE from an IPv6 address */
    char ufrag[9], pwd[25];
    agw_ice_random_creds(ufrag, 8, pwd, 24);
    CHECK_INT(strlen(ufrag), 8);
    CHECK_INT(strlen(pwd), 24);
    char user[64];
    snprintf(user, sizeof user, "%s:Bs+R", ufrag);
    uint8_t req[300], reply[AGW_STUN_REPLY_MAX];
    size_t n = build_request(req, user, pwd, true, 0), rl;
    struct sockaddr_in6 src6 = {.sin6_family = AF_INET6, .sin6_port = htons(50000)};
    inet_pton(AF_INET6, "2001:db8::7", &src6.sin6_addr);
    agw_ice_creds_t cr = {ufrag, pwd, "Bs+R", AGW_ICE_ROLE_LITE, 0};
    agw_stun_check_t ck;
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    CHECK(ck.use_candidate);
    CHECK(ck.controlling);
    CHECK_INT(ck.priority, 0x6e7f00ff);
    CHECK_STR(ck.remote_ufrag, "Bs+R");
    /* XOR-MAPPED-ADDRESS for IPv6 XORs with cookie + transaction id (RFC 5389 §15.2) */
    uint16_t l;
    size_t x = find_attr(reply, rl, 0x0020, &l);
    CHECK(x && l == 20);
    if (x) {
        CHECK_INT(reply[x + 1], 2);
        CHECK_INT(get16(reply + x + 2) ^ 0x2112, 50000);
        uint8_t addr[16];
        for (int i = 0; i < 16; i++)
            addr[i] = reply[x + 4 + i] ^ req[4 + i];
        CHECK_MEM(addr, &src6.sin6_addr, 16);
    }
    size_t mi = find_attr(reply, rl, 0x0008, &l);
    CHECK(mi);
    size_t fpo = find_attr(reply, rl, 0x8028, &l);
    CHECK(fpo && fpo + 4 == rl);
    if (fpo) CHECK_INT(get32(reply + fpo), crc32_ieee(reply, fpo - 4) ^ 0x5354554eu);

    /* a consent check (RFC 7675: a plain Binding request, no USE-CANDIDATE) */
    n = build_request(req, user, pwd, false, 0);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    CHECK(!ck.use_candidate);

    /* USERNAME but no MESSAGE-INTEGRITY: 400, no integrity in the answer */
    n = build_request(req, user, NULL, false, 0);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 400);
    check_error(reply, rl, 400);
    /* no USERNAME at all: 400 */
    n = build_request(req, NULL, pwd, false, 0);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 400);
    /* an unknown comprehension-required attribute after authentication: 420 listing it */
    n = build_request(req, user, pwd, false, 0x0042);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_REJECT);
    CHECK_INT(ck.error, 420);
    CHECK_INT(get16(reply), 0x0111);
    CHECK(find_attr(reply, rl, 0x0008, &l) != 0); /* authenticated request: integrity kept */
    size_t ua = find_attr(reply, rl, 0x000A, &l);
    CHECK(ua && l == 2 && get16(reply + ua) == 0x0042);
    /* an unknown comprehension-optional attribute (e.g. GOOG-NETWORK-INFO) is fine */
    n = build_request(req, user, pwd, false, 0xC057);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
    /* a request without FINGERPRINT (truncated before it) is not answered */
    n = build_request(req, user, pwd, false, 0);
    uint8_t nofp[300];
    memcpy(nofp, req, n - 8);
    uint16_t nl = (uint16_t)(n - 8 - 20);
    nofp[2] = (uint8_t)(nl >> 8);
    nofp[3] = (uint8_t)nl;
    CHECK_INT(
        agw_stun_answer(&cr, nofp, n - 8, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
        AGW_STUN_IGNORE);
    /* attribute lengths that run past the datagram */
    n = build_request(req, user, pwd, false, 0);
    req[23] = 200;
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src6, sizeof src6, reply, &rl, &ck),
              AGW_STUN_IGNORE);
}

TEST(truncations_never_read_past_the_datagram)
{
    /* every prefix and every single-byte corruption of a valid request: no crash, and only the
     * untouched request is accepted (run under ASan) */
    char ufrag[9], pwd[25];
    agw_ice_random_creds(ufrag, 8, pwd, 24);
    char user[64];
    snprintf(user, sizeof user, "%s:abcd", ufrag);
    uint8_t req[300], reply[AGW_STUN_REPLY_MAX];
    size_t n = build_request(req, user, pwd, true, 0), rl;
    struct sockaddr_in src = src4("10.0.0.1", 1);
    agw_ice_creds_t cr = {ufrag, pwd, NULL, AGW_ICE_ROLE_LITE, 0};
    agw_stun_check_t ck;
    unsigned accepted = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = g_memdup2(req, k); /* exact-size heap copy: ASan sees any overread */
        if (agw_stun_answer(&cr, cut, k, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck) ==
            AGW_STUN_SUCCESS)
            accepted++;
        g_free(cut);
    }
    for (size_t k = 0; k < n; k++)
        for (int bit = 0; bit < 8; bit += 3) {
            uint8_t *c = g_memdup2(req, n);
            c[k] ^= (uint8_t)(1 << bit);
            if (agw_stun_answer(&cr, c, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck) ==
                AGW_STUN_SUCCESS)
                accepted++;
            g_free(c);
        }
    CHECK_INT(accepted, 0);
    CHECK_INT(agw_stun_answer(&cr, req, n, (struct sockaddr *)&src, sizeof src, reply, &rl, &ck),
              AGW_STUN_SUCCESS);
}

TEST(random_credentials_charset)
{
    char u[9], p[25];
    agw_ice_random_creds(u, 8, p, 24);
    for (const char *c = u; *c; c++)
        CHECK(g_ascii_isalnum(*c) || *c == '+' || *c == '/');
    for (const char *c = p; *c; c++)
        CHECK(g_ascii_isalnum(*c) || *c == '+' || *c == '/');
    char u2[9], p2[25];
    agw_ice_random_creds(u2, 8, p2, 24);
    CHECK(strcmp(p, p2) != 0);
}

int main(void)
{
    RUN(rfc5769_vector_answered);
    RUN(wrong_credentials_rejected);
    RUN(garbage_and_non_requests_ignored);
    RUN(nomination_consent_and_ipv6);
    RUN(truncations_never_read_past_the_datagram);
    RUN(random_credentials_charset);
    UNIT_END("eims-agw/stun");
}
