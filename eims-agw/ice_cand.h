/* The candidate of a lite ICE peer that our checks go to (RFC 8445 §6.1.2: a lite agent lists
 * host candidates only; RFC 8839 §5.1 a=candidate syntax). Pure: text in, address out. */
#ifndef AGW_ICE_CAND_H
#define AGW_ICE_CAND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

/* Among the a=candidate values (without "candidate:"), the highest-priority one of component 1
 * over UDP whose connection address is a numeric address of `family` (AF_INET / AF_INET6);
 * without one, the SDP's c= address and m= port (the default candidate) when numeric, of that
 * family and not unspecified (JSEP's 0.0.0.0 placeholder). false (out->len 0) when none fits. */
bool agw_ice_pick_candidate(const char *const *cands, size_t n, const char *addr, uint16_t port,
                            int family, agw_addr_t *out);

/* One a=candidate value: component 1, UDP, numeric address, port; its priority. */
bool agw_ice_parse_candidate(const char *cand, agw_addr_t *out, uint32_t *priority);

#endif
