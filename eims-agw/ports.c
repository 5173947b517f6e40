/* UDP port pools (see ports.h). */
#include "ports.h"

#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

enum { PORT_FREE = 0, PORT_USED, PORT_PARKED };

typedef struct {
    uint16_t port;
    unsigned n;
    int fd[2];
    int64_t since; /* monotonic µs */
} parked_t;

struct agw_ports {
    agw_addr_t local;
    uint16_t min, max;
    uint32_t next;
    unsigned in_use;
    uint8_t *used; /* PORT_* per port of the range */
    GQueue parked; /* parked_t, oldest first */
    unsigned quarantine_ms;
    unsigned park_max;
};

agw_ports_t *agw_ports_new(const agw_addr_t *local, uint16_t min, uint16_t max)
{
    agw_ports_t *p = g_new0(agw_ports_t, 1);
    p->local = *local;
    p->min = min;
    p->max = max;
    p->next = min;
    p->used = g_malloc0((size_t)max - min + 1);
    g_queue_init(&p->parked);
    p->quarantine_ms = AGW_PORTS_QUARANTINE_MS;
    p->park_max = AGW_PORTS_PARK_MAX;
    return p;
}

void agw_ports_set_parking(agw_ports_t *p, unsigned quarantine_ms, unsigned park_max)
{
    p->quarantine_ms = quarantine_ms;
    p->park_max = park_max;
}

static void unpark_close(agw_ports_t *p, parked_t *k)
{
    for (unsigned i = 0; i < k->n; i++) {
        close(k->fd[i]);
        p->used[k->port + i - p->min] = PORT_FREE;
    }
    g_free(k);
}

void agw_ports_free(agw_ports_t *p)
{
    if (!p) return;
    parked_t *k;
    while ((k = g_queue_pop_head(&p->parked)))
        unpark_close(p, k);
    g_free(p->used);
    g_free(p);
}

unsigned agw_ports_parked(const agw_ports_t *p)
{
    return p->parked.length;
}

unsigned agw_ports_in_use(const agw_ports_t *p)
{
    return p->in_use;
}

static int open_at(agw_ports_t *p, uint16_t port)
{
    int fd = socket(p->local.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    agw_addr_t a = p->local;
    if (a.u.sa.sa_family == AF_INET)
        a.u.in.sin_port = htons(port);
    else
        a.u.in6.sin6_port = htons(port);
    /* DSCP EF (RFC 4594 telephony) */
    int tos = 46 << 2;
    if (a.u.sa.sa_family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    else
        setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    if (bind(fd, &a.u.sa, a.len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static bool is_used(const agw_ports_t *p, uint32_t port)
{
    return p->used[port - p->min] != 0;
}

/* A parked socket back in service: no longer filtered to itself, nothing left of the datagrams
 * that came between the release and the park. */
static bool unpark_fd(int fd)
{
    struct sockaddr sa = {.sa_family = AF_UNSPEC};
    if (connect(fd, &sa, sizeof sa) < 0) return false;
    char b[1];
    while (recv(fd, b, sizeof b, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* The oldest parked run of `count` ports out of quarantine (any age when `any`). */
static bool take_parked(agw_ports_t *p, unsigned count, bool any, uint16_t *out, int *fds)
{
    int64_t now = g_get_monotonic_time();
    for (GList *l = p->parked.head; l; l = l->next) {
        parked_t *k = l->data;
        if (!any && now - k->since < (int64_t)p->quarantine_ms * 1000) return false;
        if (k->n != count) continue;
        g_queue_delete_link(&p->parked, l);
        bool ok = true;
        for (unsigned i = 0; i < count; i++)
            ok = ok && unpark_fd(k->fd[i]);
        if (!ok) { /* should not happen; the ports go back to the scan */
            unpark_close(p, k);
            return false;
        }
        for (unsigned i = 0; i < count; i++) {
            fds[i] = k->fd[i];
            p->used[k->port + i - p->min] = PORT_USED;
        }
        p->in_use += count;
        *out = k->port;
        g_free(k);
        return true;
    }
    return false;
}

/* Tries `count` consecutive ports starting at candidates aligned to `align`. */
static bool scan_run(agw_ports_t *p, unsigned count, unsigned align, uint16_t *out, int *fds)
{
    uint32_t span = (uint32_t)p->max - p->min + 1;
    int last_errno = EADDRINUSE;
    for (uint32_t tries = 0; tries < span; tries++) {
        uint32_t port = p->next;
        p->next = port + 1 > p->max ? p->min : port + 1;
        if (port % align || port + count - 1 > p->max) continue;
        bool free_run = true;
        for (unsigned k = 0; k < count; k++)
            free_run = free_run && !is_used(p, port + k);
        if (!free_run) continue;
        unsigned k;
        for (k = 0; k < count; k++) {
            fds[k] = open_at(p, (uint16_t)(port + k));
            if (fds[k] < 0) break;
        }
        if (k < count) { /* taken by another process: try further */
            last_errno = errno;
            while (k-- > 0)
                close(fds[k]);
            if (last_errno != EADDRINUSE && last_errno != EACCES) break;
            continue;
        }
        for (k = 0; k < count; k++)
            p->used[port + k - p->min] = PORT_USED;
        p->in_use += count;
        p->next = port + count > p->max ? p->min : port + count;
        *out = (uint16_t)port;
        return true;
    }
    errno = last_errno;
    return false;
}

static bool open_run(agw_ports_t *p, unsigned count, unsigned align, uint16_t *out, int *fds)
{
    if (take_parked(p, count, false, out, fds)) return true;
    for (;;) {
        if (scan_run(p, count, align, out, fds)) return true;
        int e = errno;
        /* the range is all in use or parked, or we are out of descriptors: a parked run of
         * the right size is taken at any age, else parked sockets are closed to make room */
        if (take_parked(p, count, true, out, fds)) return true;
        parked_t *k = g_queue_pop_head(&p->parked);
        if (!k) {
            errno = e;
            return false;
        }
        unpark_close(p, k);
    }
}

int agw_ports_open_single(agw_ports_t *p, uint16_t *port)
{
    int fd;
    return open_run(p, 1, 1, port, &fd) ? fd : -1;
}

bool agw_ports_open_pair(agw_ports_t *p, uint16_t *port, int fds[2])
{
    /* RFC 3550 §11: RTP on an even port, RTCP on the next odd one */
    return open_run(p, 2, 2, port, fds);
}

void agw_ports_release(agw_ports_t *p, uint16_t port, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        uint32_t x = (uint32_t)port + k;
        if (x < p->min || x > p->max || p->used[x - p->min] != PORT_USED) continue;
        p->used[x - p->min] = PORT_FREE;
        p->in_use--;
    }
}

/* Parking: the socket stays bound and is connected to its own address, so the kernel delivers
 * it nothing (a late packet of the old call meets a closed port, ICMP included) and no buffer
 * fills. Reuse saves socket()+setsockopt()+bind()+close(), the costliest calls of an Add and a
 * Subtract. */
void agw_ports_park(agw_ports_t *p, uint16_t port, const int *fds, unsigned n)
{
    bool ok = n >= 1 && n <= 2 && p->park_max > 0;
    for (unsigned i = 0; ok && i < n; i++) {
        uint32_t x = (uint32_t)port + i;
        ok = fds[i] >= 0 && x >= p->min && x <= p->max && p->used[x - p->min] == PORT_USED;
    }
    for (unsigned i = 0; ok && i < n; i++) {
        agw_addr_t self = p->local;
        if (self.u.sa.sa_family == AF_INET)
            self.u.in.sin_port = htons((uint16_t)(port + i));
        else
            self.u.in6.sin6_port = htons((uint16_t)(port + i));
        ok = connect(fds[i], &self.u.sa, self.len) == 0;
    }
    if (!ok) {
        for (unsigned i = 0; i < n; i++)
            if (fds[i] >= 0) close(fds[i]);
        agw_ports_release(p, port, n);
        return;
    }
    while (p->parked.length >= p->park_max)
        unpark_close(p, g_queue_pop_head(&p->parked));
    parked_t *k = g_new0(parked_t, 1);
    k->port = port;
    k->n = n;
    for (unsigned i = 0; i < n; i++) {
        k->fd[i] = fds[i];
        p->used[port + i - p->min] = PORT_PARKED;
    }
    p->in_use -= n;
    k->since = g_get_monotonic_time();
    g_queue_push_tail(&p->parked, k);
}
