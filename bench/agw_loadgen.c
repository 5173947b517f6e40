/* Load generator of the media benchmark (bench/agw_media_bench.py): plays both far ends of N
 * relayed calls with only two UDP sockets. Socket 1 sends 172-byte RTP (20 ms G.711) to every
 * target of list 1 and receives what the relay sends back toward it; socket 2 does the same with
 * list 2. Sessions are told apart by SSRC (the relay under test latches to our single source
 * address). Sends are spread over the 20 ms period and batched with sendmmsg; receives use
 * recvmmsg. Prints one JSON line per second: cumulative sent/received/lost per direction.
 *
 *   agw_loadgen --bind1 IP:PORT --bind2 IP:PORT --targets1 FILE --targets2 FILE
 *               [--pps 50] [--seconds 20]
 * FILE: one "ip port" per line; line i of both files is session i.
 * "dir1" = packets sent by socket 1 (received on socket 2), "dir2" the other way. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKT 172

typedef struct {
    int fd;
    unsigned n; /* sessions */
    struct sockaddr_in *targets;
    uint16_t *seq;
    uint32_t ssrc_base;
    atomic_ullong sent;
    atomic_ullong received;
    atomic_ullong bad;     /* not ours / unknown SSRC */
    uint32_t *last_seq_rx; /* per session, for reordering/dup statistics */
    atomic_ullong dup;
} side_t;

static atomic_int stop_rx;

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
    char ip[64];
    unsigned port;
    if (sscanf(s, "%63[^:]:%u", ip, &port) != 2) return -1;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

static unsigned load_targets(const char *file, struct sockaddr_in **out)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        exit(2);
    }
    unsigned cap = 1024, n = 0;
    struct sockaddr_in *t = calloc(cap, sizeof *t);
    char ip[64];
    unsigned port;
    while (fscanf(f, "%63s %u", ip, &port) == 2) {
        if (n == cap) t = realloc(t, (cap *= 2) * sizeof *t);
        memset(&t[n], 0, sizeof t[n]);
        t[n].sin_family = AF_INET;
        t[n].sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &t[n].sin_addr);
        n++;
    }
    fclose(f);
    *out = t;
    return n;
}

static int open_side(const char *hostport)
{
    struct sockaddr_in a;
    if (parse_hostport(hostport, &a) < 0) {
        fprintf(stderr, "bad address %s\n", hostport);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 32 << 20;
    /* root: beyond rmem_max; else the default cap applies */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bind");
        exit(2);
    }
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Packets for sessions [from, to) of one side, in sendmmsg batches. */
static void send_range(side_t *s, unsigned from, unsigned to, uint8_t (*buf)[PKT],
                       struct mmsghdr *mh, struct iovec *iov)
{
    unsigned k = 0;
    for (unsigned i = from; i < to; i++) {
        uint8_t *p = buf[k];
        uint16_t seq = s->seq[i]++;
        uint32_t ts = (uint32_t)seq * 160u, ssrc = s->ssrc_base | i;
        p[0] = 0x80;
        p[1] = 0;
        p[2] = (uint8_t)(seq >> 8);
        p[3] = (uint8_t)seq;
        p[4] = (uint8_t)(ts >> 24);
        p[5] = (uint8_t)(ts >> 16);
        p[6] = (uint8_t)(ts >> 8);
        p[7] = (uint8_t)ts;
        p[8] = (uint8_t)(ssrc >> 24);
        p[9] = (uint8_t)(ssrc >> 16);
        p[10] = (uint8_t)(ssrc >> 8);
        p[11] = (uint8_t)ssrc;
        iov[k].iov_base = p;
        iov[k].iov_len = PKT;
        memset(&mh[k], 0, sizeof mh[k]);
        mh[k].msg_hdr.msg_name = &s->targets[i];
        mh[k].msg_hdr.msg_namelen = sizeof s->targets[i];
        mh[k].msg_hdr.msg_iov = &iov[k];
        mh[k].msg_hdr.msg_iovlen = 1;
        if (++k == BATCH || i + 1 == to) {
            unsigned off = 0;
            while (off < k) {
                int r = sendmmsg(s->fd, mh + off, k - off, 0);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    break; /* counted as lost at the receiver */
                }
                off += (unsigned)r;
            }
            atomic_fetch_add(&s->sent, k);
            k = 0;
        }
    }
}

static void *rx_thread(void *arg)
{
    side_t **pair = arg; /* [0] = this socket's side, [1] = the side whose SSRCs arrive here */
    side_t *me = pair[0], *from = pair[1];
    static __thread uint8_t bufs[BATCH][2048];
    struct mmsghdr mh[BATCH];
    struct iovec iov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i];
        memset(&mh[i], 0, sizeof mh[i]);
        mh[i].msg_hdr.msg_iov = &iov[i];
        mh[i].msg_hdr.msg_iovlen = 1;
    }
    while (!atomic_load(&stop_rx)) {
        int n = recvmmsg(me->fd, mh, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) continue;
        for (int i = 0; i < n; i++) {
            uint8_t *p = bufs[i];
            if (mh[i].msg_len < 12) {
                atomic_fetch_add(&me->bad, 1);
                continue;
            }
            uint32_t ssrc =
                (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
            uint32_t idx = ssrc & 0x0fffffffu;
            if ((ssrc & 0xf0000000u) != from->ssrc_base || idx >= from->n) {
                atomic_fetch_add(&me->bad, 1);
                continue;
            }
            uint32_t seq = (uint32_t)p[2] << 8 | p[3];
            if (me->last_seq_rx[idx] == seq + 1) atomic_fetch_add(&me->dup, 1);
            me->last_seq_rx[idx] = seq + 1;
            atomic_fetch_add(&me->received, 1);
        }
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *b1 = NULL, *b2 = NULL, *t1 = NULL, *t2 = NULL;
    unsigned pps = 50;
    double seconds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bind1"))
            b1 = argv[i + 1];
        else if (!strcmp(argv[i], "--bind2"))
            b2 = argv[i + 1];
        else if (!strcmp(argv[i], "--targets1"))
            t1 = argv[i + 1];
        else if (!strcmp(argv[i], "--targets2"))
            t2 = argv[i + 1];
        else if (!strcmp(argv[i], "--pps"))
            pps = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
    }
    if (!b1 || !b2 || !t1 || !t2 || pps == 0) {
        fprintf(stderr,
                "usage: %s --bind1 IP:PORT --bind2 IP:PORT --targets1 F --targets2 F "
                "[--pps 50] [--seconds 20]\n",
                argv[0]);
        return 2;
    }
    side_t s1 = {0}, s2 = {0};
    s1.fd = open_side(b1);
    s2.fd = open_side(b2);
    s1.n = load_targets(t1, &s1.targets);
    s2.n = load_targets(t2, &s2.targets);
    s1.ssrc_base = 0x10000000u;
    s2.ssrc_base = 0x20000000u;
    s1.seq = calloc(s1.n, sizeof *s1.seq);
    s2.seq = calloc(s2.n, sizeof *s2.seq);
    s1.last_seq_rx = calloc(s2.n + 1, sizeof(uint32_t));
    s2.last_seq_rx = calloc(s1.n + 1, sizeof(uint32_t));
    side_t *p1[2] = {&s1, &s2}, *p2[2] = {&s2, &s1};
    pthread_t r1, r2;
    pthread_create(&r1, NULL, rx_thread, p1);
    pthread_create(&r2, NULL, rx_thread, p2);

    /* 1 ms slots: each session sends once per period, in slot (i mod slots) */
    unsigned period_ms = 1000 / pps, slots = period_ms;
    static uint8_t buf[BATCH][PKT];
    struct mmsghdr mh[BATCH];
    struct iovec iov[BATCH];
    memset(buf, 0xff, sizeof buf);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double start = now_s(), last_report = start;
    unsigned long long slot = 0;
    while (now_s() - start < seconds) {
        unsigned k = (unsigned)(slot % slots);
        unsigned a1 = (unsigned)((uint64_t)s1.n * k / slots),
                 z1 = (unsigned)((uint64_t)s1.n * (k + 1) / slots);
        unsigned a2 = (unsigned)((uint64_t)s2.n * k / slots),
                 z2 = (unsigned)((uint64_t)s2.n * (k + 1) / slots);
        send_range(&s1, a1, z1, buf, mh, iov);
        send_range(&s2, a2, z2, buf, mh, iov);
        slot++;
        next.tv_nsec += 1000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        double t = now_s();
        if (t - last_report >= 1.0) {
            last_report = t;
            printf("{\"t\":%.3f,\"dir1_sent\":%llu,\"dir1_received\":%llu,\"dir2_sent\":%llu,"
                   "\"dir2_received\":%llu}\n",
                   t - start, atomic_load(&s1.sent), atomic_load(&s2.received),
                   atomic_load(&s2.sent), atomic_load(&s1.received));
            fflush(stdout);
        }
    }
    sleep(1); /* let the relays drain */
    atomic_store(&stop_rx, 1);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    unsigned long long d1s = atomic_load(&s1.sent), d1r = atomic_load(&s2.received);
    unsigned long long d2s = atomic_load(&s2.sent), d2r = atomic_load(&s1.received);
    printf("{\"final\":true,\"sessions\":%u,\"dir1_sent\":%llu,\"dir1_received\":%llu,"
           "\"dir1_lost\":%lld,\"dir2_sent\":%llu,\"dir2_received\":%llu,\"dir2_lost\":%lld,"
           "\"foreign\":%llu,\"duplicates\":%llu}\n",
           s1.n, d1s, d1r, (long long)d1s - (long long)d1r, d2s, d2r,
           (long long)d2s - (long long)d2r, atomic_load(&s1.bad) + atomic_load(&s2.bad),
           atomic_load(&s1.dup) + atomic_load(&s2.dup));
    fflush(stdout);
    close(s1.fd);
    close(s2.fd);
    free(s1.targets);
    free(s2.targets);
    free(s1.seq);
    free(s2.seq);
    free(s1.last_seq_rx);
    free(s2.last_seq_rx);
    return 0;
}
