/* UDP port pool of one local address (main thread only): single ports for W3, even/odd pairs
 * for RTP/RTCP. Allocation walks the range round-robin so a port just released is not handed
 * out again at once (late packets of the old call would hit the new one). Released sockets can
 * be parked instead of closed (bound, connected to themselves so nothing is delivered to them)
 * and are handed out again, oldest first, once they have been parked for the quarantine. */
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
/* Gives back the sockets of a run opened here (closes them when they cannot be parked). */
void agw_ports_park(agw_ports_t *p, uint16_t port, const int *fds, unsigned n);
#define AGW_PORTS_QUARANTINE_MS 2000 /* parked at least this long before reuse */
#define AGW_PORTS_PARK_MAX 4096      /* runs parked at most; the oldest are closed beyond */
void agw_ports_set_parking(agw_ports_t *p, unsigned quarantine_ms, unsigned park_max);
unsigned agw_ports_parked(const agw_ports_t *p);
unsigned agw_ports_in_use(const agw_ports_t *p);

#endif
