/* UDP port pool of one local address (main thread only): single ports for W3, even/odd pairs
 * for RTP/RTCP. Allocation walks the range round-robin so a port just released is not handed
 * out again at once (late packets of the old call would hit the new one). */
#ifndef AGW_PORTS_H
#define AGW_PORTS_H
#include <stdbool.h>
#include <stdint.h>

#include "rtp.h"

typedef struct agw_ports agw_ports_t;

agw_ports_t *agw_ports_new(const agw_addr_t *local, uint16_t min, uint16_t max);
void agw_ports_free(agw_ports_t *p);
/* Bound, non-blocking, close-on-exec UDP socket(s); -1 / false when the range is exhausted.
 * errno is kept from the last failure. */
int agw_ports_open_single(agw_ports_t *p, uint16_t *port);
bool agw_ports_open_pair(agw_ports_t *p, uint16_t *port, int fds[2]);
void agw_ports_release(agw_ports_t *p, uint16_t port, unsigned n);
unsigned agw_ports_in_use(const agw_ports_t *p);

#endif
