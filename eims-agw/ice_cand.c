/* Choosing the lite peer's candidate (see ice_cand.h). */
#include "ice_cand.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ... */
bool agw_ice_parse_candidate(const char *cand, agw_addr_t *out, uint32_t *priority)
{
    memset(out, 0, sizeof *out);
    char f[7][64];
    int k = 0;
    const char *p = cand;
    while (k < 7) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        size_t l = strcspn(p, " ");
        if (l >= sizeof f[0]) return false;
        memcpy(f[k], p, l);
        f[k][l] = '\0';
        k++;
        p += l;
    }
    if (k < 7 || strcmp(f[1], "1") != 0 || strcasecmp(f[2], "udp") != 0 || strcmp(f[6], "typ") != 0)
        return false;
    char *end;
    unsigned long prio = strtoul(f[3], &end, 10);
    if (*end || f[3][0] < '0' || f[3][0] > '9' || prio > 0xffffffffu) return false;
    unsigned long port = strtoul(f[5], &end, 10);
    if (*end || f[5][0] < '0' || f[5][0] > '9' || port == 0 || port > 65535) return false;
    if (!agw_addr_parse(out, f[4], (uint16_t)port)) return false;
    *priority = (uint32_t)prio;
    return true;
}

static bool usable(const agw_addr_t *a, int family)
{
    if (!a->len || a->u.sa.sa_family != family) return false;
    if (family == AF_INET) return a->u.in.sin_addr.s_addr != 0;
    return !IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
}

bool agw_ice_pick_candidate(const char *const *cands, size_t n, const char *addr, uint16_t port,
                            int family, agw_addr_t *out)
{
    memset(out, 0, sizeof *out);
    uint32_t best = 0;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        agw_addr_t a;
        uint32_t prio;
        if (!cands[i] || !agw_ice_parse_candidate(cands[i], &a, &prio) || !usable(&a, family))
            continue;
        if (!found || prio > best) {
            *out = a;
            best = prio;
            found = true;
        }
    }
    if (found) return true;
    agw_addr_t d;
    if (addr && port && agw_addr_parse(&d, addr, port) && usable(&d, family)) {
        *out = d;
        return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}
