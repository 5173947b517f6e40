/* ICE check answering and, toward lite peers, our own checks (see stun.h): the RFC 5389 subset
 * ICE needs. */
#include "stun.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <string.h>

enum {
    HDR = 20,
    COOKIE = 0x2112A442,
    BINDING_REQUEST = 0x0001,
    BINDING_SUCCESS = 0x0101,
    BINDING_ERROR = 0x0111,
    A_USERNAME = 0x0006,
    A_MESSAGE_INTEGRITY = 0x0008,
    A_ERROR_CODE = 0x0009,
    A_UNKNOWN_ATTRIBUTES = 0x000A,
    A_XOR_MAPPED_ADDRESS = 0x0020,
    A_PRIORITY = 0x0024,
    A_USE_CANDIDATE = 0x0025,
    A_FINGERPRINT = 0x8028,
    A_ICE_CONTROLLED = 0x8029,
    A_ICE_CONTROLLING = 0x802A,
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t agw_stun_fingerprint(const uint8_t *buf, size_t len)
{
    uint32_t c = 0xffffffffu; /* CRC-32 (ISO 3309 / ITU-T V.42), bitwise: only a few per second */
    for (size_t i = 0; i < len; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c ^ 0x5354554eu;
}

typedef struct {
    size_t username, username_len; /* value offsets */
    size_t mi;                     /* offset of the MESSAGE-INTEGRITY attribute header, 0 = none */
    size_t fp;                     /* offset of the FINGERPRINT attribute header, 0 = none */
    size_t xma, xma_len;           /* XOR-MAPPED-ADDRESS value (responses) */
    size_t ec, ec_len;             /* ERROR-CODE value (responses) */
    bool use_candidate, controlling, controlled, has_tb;
    uint64_t tie_breaker; /* ICE-CONTROLLING / ICE-CONTROLLED value */
    uint32_t priority;
    unsigned nunknown;
    uint16_t unknown[8];
} attrs_t;

/* Walks the attributes; false if their lengths do not add up. `response`: XOR-MAPPED-ADDRESS,
 * ERROR-CODE and UNKNOWN-ATTRIBUTES are known (in a request they stay unknown: 420). */
static bool parse_attrs(const uint8_t *m, size_t len, attrs_t *a, bool response)
{
    memset(a, 0, sizeof *a);
    size_t off = HDR;
    while (off < len) {
        if (off + 4 > len) return false;
        uint16_t type = get16(m + off), alen = get16(m + off + 2);
        size_t v = off + 4, next = v + ((alen + 3u) & ~3u);
        if (next > len) return false;
        if (a->fp) return false; /* RFC 5389 §15.5: FINGERPRINT is the last attribute */
        if (a->mi && type != A_FINGERPRINT) {
            off = next; /* §15.4: attributes after MESSAGE-INTEGRITY are ignored */
            continue;
        }
        switch (type) {
        case A_USERNAME:
            a->username = v;
            a->username_len = alen;
            break;
        case A_MESSAGE_INTEGRITY:
            if (alen != 20) return false;
            a->mi = off;
            break;
        case A_FINGERPRINT:
            if (alen != 4) return false;
            a->fp = off;
            break;
        case A_PRIORITY:
            if (alen != 4) return false;
            a->priority = get32(m + v);
            break;
        case A_USE_CANDIDATE:
            a->use_candidate = true;
            break;
        case A_ICE_CONTROLLING:
        case A_ICE_CONTROLLED:
            if (type == A_ICE_CONTROLLING)
                a->controlling = true;
            else
                a->controlled = true;
            if (alen == 8) {
                a->has_tb = true;
                a->tie_breaker = (uint64_t)get32(m + v) << 32 | get32(m + v + 4);
            }
            break;
        case A_XOR_MAPPED_ADDRESS:
        case A_ERROR_CODE:
        case A_UNKNOWN_ATTRIBUTES:
            if (!response) goto unknown;
            if (type == A_XOR_MAPPED_ADDRESS) a->xma = v, a->xma_len = alen;
            if (type == A_ERROR_CODE) a->ec = v, a->ec_len = alen;
            break;
        default:
        unknown:
            /* §15: types 0x0000-0x7FFF are comprehension-required */
            if (type < 0x8000 && a->nunknown < sizeof a->unknown / sizeof a->unknown[0])
                a->unknown[a->nunknown++] = type;
            break;
        }
        off = next;
    }
    return true;
}

static size_t append_attr(uint8_t *r, size_t off, uint16_t type, const void *val, uint16_t len)
{
    put16(r + off, type);
    put16(r + off + 2, len);
    if (len) memcpy(r + off + 4, val, len);
    size_t padded = (len + 3u) & ~3u;
    memset(r + off + 4 + len, 0, padded - len);
    return off + 4 + padded;
}

static void set_length(uint8_t *r, size_t total)
{
    put16(r + 2, (uint16_t)(total - HDR));
}

static size_t finish_fingerprint(uint8_t *r, size_t off)
{
    set_length(r, off + 8); /* the length field covers the FINGERPRINT being added */
    uint8_t v[4];
    put32(v, agw_stun_fingerprint(r, off));
    return append_attr(r, off, A_FINGERPRINT, v, 4);
}

/* RFC 5389 §15.4: HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, with the header length
 * counting up to the end of MESSAGE-INTEGRITY. `mi_off` is where that attribute starts. */
static bool hmac(const uint8_t *m, size_t mi_off, const char *pwd, uint8_t out[20])
{
    uint8_t hdr[HDR];
    memcpy(hdr, m, HDR);
    put16(hdr + 2, (uint16_t)(mi_off + 24 - HDR));
    gnutls_hmac_hd_t h;
    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA1, pwd, strlen(pwd)) < 0) return false;
    gnutls_hmac(h, hdr, HDR);
    gnutls_hmac(h, m + HDR, mi_off - HDR);
    gnutls_hmac_deinit(h, out);
    return true;
}

/* `pwd` (NULL: none) adds MESSAGE-INTEGRITY: RFC 5389 §10.1.2 wants it on errors to requests
 * that did authenticate (420), never on 400/401. */
static size_t error_response(const uint8_t *req, uint8_t *r, int code, const attrs_t *a,
                             const char *pwd)
{
    static const struct {
        int code;
        const char *reason;
    } phrases[] = {{400, "Bad Request"},
                   {401, "Unauthorized"},
                   {420, "Unknown Attribute"},
                   {487, "Role Conflict"}};
    const char *reason = "";
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (phrases[i].code == code) reason = phrases[i].reason;
    put16(r, BINDING_ERROR);
    memcpy(r + 4, req + 4, 16); /* cookie + transaction id */
    uint8_t ec[4 + 32] = {0, 0, (uint8_t)(code / 100), (uint8_t)(code % 100)};
    size_t rl = strlen(reason);
    memcpy(ec + 4, reason, rl);
    size_t off = append_attr(r, HDR, A_ERROR_CODE, ec, (uint16_t)(4 + rl));
    if (code == 420 && a->nunknown) {
        uint8_t ua[16];
        for (unsigned i = 0; i < a->nunknown; i++)
            put16(ua + 2 * i, a->unknown[i]);
        off = append_attr(r, off, A_UNKNOWN_ATTRIBUTES, ua, (uint16_t)(2 * a->nunknown));
    }
    uint8_t mac[20];
    if (pwd && hmac(r, off, pwd, mac)) off = append_attr(r, off, A_MESSAGE_INTEGRITY, mac, 20);
    return finish_fingerprint(r, off);
}

static size_t xor_mapped(const uint8_t *req, const struct sockaddr *src, uint8_t *v)
{
    v[0] = 0;
    if (src->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)src;
        v[1] = 1;
        put16(v + 2, (uint16_t)(ntohs(s->sin_port) ^ (COOKIE >> 16)));
        put32(v + 4, ntohl(s->sin_addr.s_addr) ^ COOKIE);
        return 8;
    }
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)src;
    v[1] = 2;
    put16(v + 2, (uint16_t)(ntohs(s->sin6_port) ^ (COOKIE >> 16)));
    for (int i = 0; i < 16; i++)
        v[4 + i] = s->sin6_addr.s6_addr[i] ^ req[4 + i]; /* cookie+tid */
    return 20;
}

agw_stun_result_t agw_stun_answer(const agw_ice_creds_t *cr, const uint8_t *m, size_t len,
                                  const struct sockaddr *src, socklen_t srclen, uint8_t *reply,
                                  size_t *reply_len, agw_stun_check_t *check)
{
    memset(check, 0, sizeof *check);
    *reply_len = 0;
    /* RFC 5389 §6: two zero bits, the magic cookie, a length that is the rest of the datagram */
    if (len < HDR || (m[0] & 0xc0) || get32(m + 4) != COOKIE || (get16(m + 2) & 3) ||
        (size_t)get16(m + 2) + HDR != len)
        return AGW_STUN_IGNORE;
    attrs_t a;
    if (!parse_attrs(m, len, &a, false)) return AGW_STUN_IGNORE;
    /* §7.3: a FINGERPRINT that does not match means this is not STUN; RFC 8445 §7.2.2 requires
     * it in checks. Either way nothing is answered (no reflection toward forged sources). */
    if (!a.fp || get32(m + a.fp + 4) != agw_stun_fingerprint(m, a.fp)) return AGW_STUN_IGNORE;
    if (get16(m) != BINDING_REQUEST) return AGW_STUN_IGNORE; /* lite: we never send requests */
    if (!src || (src->sa_family == AF_INET && srclen < sizeof(struct sockaddr_in)) ||
        (src->sa_family == AF_INET6 && srclen < sizeof(struct sockaddr_in6)) ||
        (src->sa_family != AF_INET && src->sa_family != AF_INET6))
        return AGW_STUN_IGNORE;
    check->use_candidate = a.use_candidate;
    check->controlling = a.controlling;
    check->priority = a.priority;

    /* §10.1.2: missing USERNAME or MESSAGE-INTEGRITY -> 400; wrong ones -> 401 */
    if (!a.username || !a.mi) {
        check->error = 400;
        *reply_len = error_response(m, reply, 400, &a, NULL);
        return AGW_STUN_REJECT;
    }
    const uint8_t *user = m + a.username;
    size_t ll = strlen(cr->local_ufrag);
    bool user_ok = a.username_len > ll + 1 && memcmp(user, cr->local_ufrag, ll) == 0 &&
                   user[ll] == ':' && a.username_len - ll - 1 <= AGW_ICE_UFRAG_MAX;
    if (user_ok) {
        size_t rl = a.username_len - ll - 1;
        memcpy(check->remote_ufrag, user + ll + 1, rl);
        check->remote_ufrag[rl] = '\0';
        check->remote_ufrag_len = rl;
        if (cr->remote_ufrag &&
            (strlen(cr->remote_ufrag) != rl || memcmp(cr->remote_ufrag, user + ll + 1, rl) != 0))
            user_ok = false; /* another fork's ufrag */
    }
    uint8_t mac[20];
    if (!user_ok || !hmac(m, a.mi, cr->local_pwd, mac) ||
        gnutls_memcmp(mac, m + a.mi + 4, 20) != 0) {
        check->error = 401;
        *reply_len = error_response(m, reply, 401, &a, NULL);
        return AGW_STUN_REJECT;
    }
    if (a.nunknown) {
        check->error = 420;
        *reply_len = error_response(m, reply, 420, &a, cr->local_pwd);
        return AGW_STUN_REJECT;
    }
    /* RFC 8445 §7.3.1.1 role conflict, only when we took a role ourselves (the peer is lite).
     * As a lite agent facing a full one we are always controlled (§6.1.1): ICE-CONTROLLED from
     * that peer is not a conflict we resolve, the full peer is expected to be controlling. */
    if (cr->role != AGW_ICE_ROLE_LITE && a.has_tb) {
        bool we_control = cr->role == AGW_ICE_ROLE_CONTROLLING;
        bool conflict = we_control ? a.controlling : a.controlled;
        if (conflict) {
            /* the larger tie-breaker controls */
            bool keep = we_control ? cr->tie_breaker >= a.tie_breaker
                                   : cr->tie_breaker < a.tie_breaker;
            if (keep) {
                check->error = 487;
                *reply_len = error_response(m, reply, 487, &a, cr->local_pwd);
                return AGW_STUN_REJECT;
            }
            check->switch_role = true;
        }
    }
    /* Success: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (our pwd), FINGERPRINT (RFC 8445 §7.3.1.3). */
    put16(reply, BINDING_SUCCESS);
    memcpy(reply + 4, m + 4, 16);
    uint8_t xa[20];
    size_t xl = xor_mapped(m, src, xa);
    size_t off = append_attr(reply, HDR, A_XOR_MAPPED_ADDRESS, xa, (uint16_t)xl);
    set_length(reply, off + 24);
    if (!hmac(reply, off, cr->local_pwd, mac)) return AGW_STUN_IGNORE;
    off = append_attr(reply, off, A_MESSAGE_INTEGRITY, mac, 20);
    *reply_len = finish_fingerprint(reply, off);
    return AGW_STUN_SUCCESS;
}

/* ---- our checks ----------------------------------------------------------------------------- */

size_t agw_stun_build_request(const agw_stun_request_t *r, const uint8_t tid[12], uint8_t *out,
                              size_t cap)
{
    if (!r->local_ufrag || !r->remote_ufrag || !r->remote_pwd || !*r->remote_pwd) return 0;
    size_t ll = strlen(r->local_ufrag), rl = strlen(r->remote_ufrag);
    if (!ll || !rl || ll > AGW_ICE_UFRAG_MAX || rl > AGW_ICE_UFRAG_MAX) return 0;
    size_t ul = rl + 1 + ll;
    /* header, USERNAME (padded), PRIORITY, ICE-CONTROLL*, USE-CANDIDATE, MI, FINGERPRINT */
    size_t need = HDR + 4 + ((ul + 3u) & ~3u) + 8 + 12 + 4 + 24 + 8;
    if (need > cap) return 0;
    put16(out, BINDING_REQUEST);
    put32(out + 4, COOKIE);
    memcpy(out + 8, tid, 12);
    uint8_t user[2 * AGW_ICE_UFRAG_MAX + 1];
    memcpy(user, r->remote_ufrag, rl); /* RFC 8445 §7.2.2: "<remote ufrag>:<local ufrag>" */
    user[rl] = ':';
    memcpy(user + rl + 1, r->local_ufrag, ll);
    size_t off = append_attr(out, HDR, A_USERNAME, user, (uint16_t)ul);
    uint8_t v[8];
    put32(v, r->priority);
    off = append_attr(out, off, A_PRIORITY, v, 4);
    put32(v, (uint32_t)(r->tie_breaker >> 32));
    put32(v + 4, (uint32_t)r->tie_breaker);
    off = append_attr(out, off, r->controlling ? A_ICE_CONTROLLING : A_ICE_CONTROLLED, v, 8);
    if (r->controlling && r->use_candidate) off = append_attr(out, off, A_USE_CANDIDATE, NULL, 0);
    uint8_t mac[20];
    set_length(out, off + 24);
    if (!hmac(out, off, r->remote_pwd, mac)) return 0;
    off = append_attr(out, off, A_MESSAGE_INTEGRITY, mac, 20);
    return finish_fingerprint(out, off);
}

bool agw_stun_is_response(const uint8_t *m, size_t len)
{
    /* RFC 5389 §6: class bits C1 (0x0100) set for success (10) and error (11) responses */
    return len >= HDR && (m[0] & 0xc0) == 0 && (get16(m) & 0x0100) != 0;
}

static bool xor_mapped_decode(const uint8_t *m, const uint8_t *v, size_t vl, agw_stun_resp_t *o)
{
    if (vl < 4) return false;
    uint16_t port = (uint16_t)(get16(v + 2) ^ (COOKIE >> 16));
    if (v[1] == 1 && vl == 8) {
        struct sockaddr_in *s = (struct sockaddr_in *)&o->mapped;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        s->sin_addr.s_addr = htonl(get32(v + 4) ^ COOKIE);
        o->mapped_len = sizeof *s;
        return true;
    }
    if (v[1] == 2 && vl == 20) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&o->mapped;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            s->sin6_addr.s6_addr[i] = v[4 + i] ^ m[4 + i]; /* cookie + transaction id */
        o->mapped_len = sizeof *s;
        return true;
    }
    return false;
}

agw_stun_resp_result_t agw_stun_check_response(const uint8_t *m, size_t len,
                                               const uint8_t tid[12], const char *remote_pwd,
                                               agw_stun_resp_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < HDR || (m[0] & 0xc0) || get32(m + 4) != COOKIE || (get16(m + 2) & 3) ||
        (size_t)get16(m + 2) + HDR != len)
        return AGW_STUN_RESP_IGNORE;
    uint16_t type = get16(m);
    if (type != BINDING_SUCCESS && type != BINDING_ERROR) return AGW_STUN_RESP_IGNORE;
    if (memcmp(m + 8, tid, 12) != 0) return AGW_STUN_RESP_IGNORE; /* not our transaction */
    attrs_t a;
    if (!parse_attrs(m, len, &a, true)) return AGW_STUN_RESP_IGNORE;
    /* RFC 8445 §7.2.2 / §7.3.1.3: ICE responses carry FINGERPRINT */
    if (!a.fp || get32(m + a.fp + 4) != agw_stun_fingerprint(m, a.fp)) return AGW_STUN_RESP_IGNORE;
    if (a.ec && a.ec_len >= 4) out->error = (m[a.ec + 2] & 7) * 100 + m[a.ec + 3] % 100;
    /* RFC 5389 §10.1.3: without a matching MESSAGE-INTEGRITY the response never arrived */
    uint8_t mac[20];
    if (!remote_pwd || !*remote_pwd || !a.mi || !hmac(m, a.mi, remote_pwd, mac) ||
        gnutls_memcmp(mac, m + a.mi + 4, 20) != 0)
        return AGW_STUN_RESP_IGNORE;
    if (type == BINDING_ERROR) {
        if (!out->error) return AGW_STUN_RESP_IGNORE; /* §15.6: an error names its code */
        return AGW_STUN_RESP_ERROR;
    }
    /* §7.3.3: unknown comprehension-required attributes in a success response: discard */
    if (a.nunknown || !a.xma || !xor_mapped_decode(m, m + a.xma, a.xma_len, out))
        return AGW_STUN_RESP_IGNORE;
    return AGW_STUN_RESP_SUCCESS;
}

void agw_ice_random_creds(char *ufrag, size_t ulen, char *pwd, size_t plen)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t rnd[AGW_ICE_UFRAG_MAX + AGW_ICE_PWD_MAX];
    size_t n = ulen + plen;
    if (n > sizeof rnd) n = sizeof rnd;
    gnutls_rnd(GNUTLS_RND_RANDOM, rnd, n); /* the pwd keys MESSAGE-INTEGRITY */
    size_t k = 0;
    for (size_t i = 0; i < ulen && k < n; i++)
        ufrag[i] = set[rnd[k++] & 63];
    ufrag[ulen] = '\0';
    for (size_t i = 0; i < plen && k < n; i++)
        pwd[i] = set[rnd[k++] & 63];
    pwd[plen] = '\0';
}
