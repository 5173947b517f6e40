/* Baseline of the media benchmark: a plain C UDP relay, one recvfrom() and one sendto() per
 * packet (the "plain C UDP relay" anchor of PERFORMANCE.md). N port pairs; a packet received on
 * port A_i leaves from B_i toward the address that last sent to B_i, and the other way round
 * (symmetric latching, nothing sent until both sides were heard). Threads each own a slice of
 * the sessions with their own epoll, like the AGW's workers.
 *
 *   agw_udp_relay --addr IP --port-base P --sessions N [--threads T]
 * Session i uses ports P + 2i (A) and P + 2i + 1 (B). Prints "ready" once bound; SIGTERM stops
 * it and prints the packets relayed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;
    struct sockaddr_in peer; /* latched */
    int latched;
    int other; /* index of the other side */
} side_t;

static side_t *sides;
static unsigned nsessions, nthreads = 1;
static atomic_ullong relayed;
static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
    stopping = 1;
}

static void *run(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    int ep = epoll_create1(0);
    for (unsigned i = t; i < nsessions; i += nthreads)
        for (unsigned k = 0; k < 2; k++) {
            unsigned idx = 2 * i + k;
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = idx};
            epoll_ctl(ep, EPOLL_CTL_ADD, sides[idx].fd, &ev);
        }
    struct epoll_event evs[256];
    uint8_t buf[2048];
    unsigned long long local = 0;
    while (!stopping) {
        int n = epoll_wait(ep, evs, 256, 200);
        for (int e = 0; e < n; e++) {
            side_t *s = &sides[evs[e].data.u32];
            struct sockaddr_in src;
            socklen_t sl = sizeof src;
            ssize_t r =
                recvfrom(s->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&src, &sl);
            if (r <= 0) continue;
            if (!s->latched) {
                s->peer = src;
                s->latched = 1;
            }
            side_t *o = &sides[s->other];
            if (!o->latched) continue;
            if (sendto(o->fd, buf, (size_t)r, MSG_DONTWAIT, (struct sockaddr *)&o->peer,
                       sizeof o->peer) == r)
                local++;
        }
        if (local >= 1024) {
            atomic_fetch_add(&relayed, local);
            local = 0;
        }
    }
    atomic_fetch_add(&relayed, local);
    close(ep);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.23.1";
    unsigned base = 40000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--addr"))
            addr = argv[i + 1];
        else if (!strcmp(argv[i], "--port-base"))
            base = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--sessions"))
            nsessions = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            nthreads = (unsigned)atoi(argv[i + 1]);
    }
    if (!nsessions || !nthreads || base + 2 * nsessions > 65536) {
        fprintf(stderr, "usage: %s --addr IP --port-base P --sessions N [--threads T]\n", argv[0]);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sides = calloc(2 * nsessions, sizeof *sides);
    for (unsigned i = 0; i < 2 * nsessions; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(base + i))};
        inet_pton(AF_INET, addr, &a.sin_addr);
        sides[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (sides[i].fd < 0 || bind(sides[i].fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "port %u: %s\n", base + i, strerror(errno));
            return 1;
        }
        sides[i].other = (int)(i ^ 1u);
    }
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    pthread_t *th = calloc(nthreads, sizeof *th);
    for (unsigned t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, run, (void *)(uintptr_t)t);
    for (unsigned t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    printf("{\"relayed\":%llu}\n", atomic_load(&relayed));
    for (unsigned i = 0; i < 2 * nsessions; i++)
        close(sides[i].fd);
    free(sides);
    free(th);
    return 0;
}
