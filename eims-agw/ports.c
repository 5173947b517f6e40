/* UDP port pools (see ports.h). */
#include "ports.h"

#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

struct agw_ports {
    agw_addr_t local;
    uint16_t min, max;
    uint32_t next;
    unsigned in_use;
    uint8_t *used; /* one byte per port of the range */
};

agw_ports_t *agw_ports_new(const agw_addr_t *local, uint16_t min, uint16_t max)
{
    agw_ports_t *p = g_new0(agw_ports_t, 1);
    p->local = *local;
    p->min = min;
    p->max = max;
    p->next = min;
    p->used = g_malloc0((size_t)max - min + 1);
    return p;
}

void agw_ports_free(agw_ports_t *p)
{
    if (!p) return;
    g_free(p->used);
    g_free(p);
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

/* Tries `count` consecutive ports starting at candidates aligned to `align`. */
static bool open_run(agw_ports_t *p, unsigned count, unsigned align, uint16_t *out, int *fds)
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
            p->used[port + k - p->min] = 1;
        p->in_use += count;
        p->next = port + count > p->max ? p->min : port + count;
        *out = (uint16_t)port;
        return true;
    }
    errno = last_errno;
    return false;
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
        if (x < p->min || x > p->max || !p->used[x - p->min]) continue;
        p->used[x - p->min] = 0;
        p->in_use--;
    }
}
