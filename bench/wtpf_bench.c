/* Benchmarks of the wtpf's WIC side and call path.
 *
 *   wtpf_bench idle  HTTP_ADDR:PORT USER PASSWORD CONNECTIONS [WTPF_PID [HOLD_SECONDS]]
 *     logs in once and holds CONNECTIONS idle WebSockets (each gets `ready`), answering pings;
 *     reports the time to open them and the wtpf's resident memory per connection.
 *   wtpf_bench calls HTTP_ADDR:PORT USER PASSWORD SESSIONS CALLS SIP_ADDR:PORT [WTPF_PID]
 *     SESSIONS WIC sessions place CALLS calls in total, one at a time each, toward a minimal SIP
 *     UAS of our own on SIP_ADDR:PORT (the wtpf's w8.pcscf, static mode) that answers every
 *     INVITE 200 with an SDP; each call is hung up by the WIC once answered. Reports call
 *     set-ups per second, set-up latency, and the wtpf's CPU time per call.
 *
 * One thread, epoll, the framing of common/ws, JSON with json-glib. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws/frame.h"
#include "ws/handshake.h"
#include "wtpf/wic_msg.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "wtpf_bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in parse_addr(const char *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) {
        fprintf(stderr, "wtpf_bench: bad address %s\n", s);
        exit(2);
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    inet_pton(AF_INET, host, &a.sin_addr);
    a.sin_port = htons((uint16_t)atoi(colon + 1));
    return a;
}

/* ---- the wtpf process ---- */

static long rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) v = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return v;
}

static double cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long ut = 0, st = 0;
    /* fields after the command: state(3) ... utime(14) stime(15) */
    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- login ---- */

static char *login(struct sockaddr_in http, const char *user, const char *password)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&http, sizeof http) < 0) die("connect (login)");
    char *body = g_strdup_printf("{\"user\":\"%s\",\"password\":\"%s\"}", user, password);
    char *req = g_strdup_printf("POST /api/login HTTP/1.1\r\nHost: bench\r\nContent-Type: "
                                "application/json\r\nContent-Length: %zu\r\nConnection: close"
                                "\r\n\r\n%s",
                                strlen(body), body);
    if (write(fd, req, strlen(req)) < 0) die("write (login)");
    GString *resp = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(resp, buf, n);
    close(fd);
    const char *json = strstr(resp->str, "\r\n\r\n");
    char *token = NULL;
    JsonParser *p = json_parser_new();
    if (json && strstr(resp->str, " 200 ") && json_parser_load_from_data(p, json + 4, -1, NULL)) {
        JsonObject *o = json_node_get_object(json_parser_get_root(p));
        token = g_strdup(json_object_get_string_member(o, "token"));
    }
    g_object_unref(p);
    if (!token) {
        fprintf(stderr, "wtpf_bench: login failed: %.200s\n", resp->str);
        exit(1);
    }
    g_string_free(resp, TRUE);
    g_free(body);
    g_free(req);
    return token;
}

/* ---- WebSocket clients ---- */

typedef enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD } cstate;

typedef struct {
    int fd;
    cstate st;
    GByteArray *in;
    ws_reader rd;
    bool ready;
    /* calls mode */
    unsigned serial;
    bool in_call;
    double call_started;
    char id[32];
} client;

typedef struct {
    int ep;
    struct sockaddr_in http;
    char *token;
    client *c;
    unsigned n;
    unsigned open, ready, failed;
    /* calls */
    const char *sdp;
    unsigned calls_target, calls_started, calls_done, calls_failed;
    double latency_sum, latency_max;
    int sip_fd;
} bench;

static void ws_send(client *c, const char *text)
{
    uint8_t key[4];
    for (int i = 0; i < 4; i++)
        key[i] = (uint8_t)g_random_int();
    GByteArray *f = g_byte_array_new();
    ws_frame_append(f, true, WS_OP_TEXT, text, strlen(text), key);
    ssize_t w = write(c->fd, f->data, f->len); /* small frames: the socket buffer takes them */
    if (w != (ssize_t)f->len) c->st = C_DEAD;
    g_byte_array_unref(f);
}

static void start_client(bench *b, unsigned i)
{
    client *c = &b->c[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->in = g_byte_array_new();
    ws_reader_init(&c->rd, WS_READ_SERVER_FRAMES, 1 << 20);
    c->st = C_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&b->http, sizeof b->http) < 0 && errno != EINPROGRESS)
        die("connect");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = i};
    epoll_ctl(b->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void on_text(bench *b, client *c, const char *text, size_t len);

static void client_io(bench *b, unsigned i, uint32_t events)
{
    client *c = &b->c[i];
    if (c->st == C_DEAD) return;
    if (c->st == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            c->st = C_DEAD;
            b->failed++;
            return;
        }
        char req[512];
        snprintf(req, sizeof req,
                 "GET /wic?token=%s HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n",
                 b->token);
        if (write(c->fd, req, strlen(req)) < 0) {
            c->st = C_DEAD;
            b->failed++;
            return;
        }
        c->st = C_HANDSHAKE;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(b->ep, EPOLL_CTL_MOD, c->fd, &ev);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    uint8_t buf[65536];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        if (c->st != C_DEAD) b->failed++;
        c->st = C_DEAD;
        epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
        return;
    }
    g_byte_array_append(c->in, buf, (guint)n);
    if (c->st == C_HANDSHAKE) {
        char *end = g_strstr_len((char *)c->in->data, c->in->len, "\r\n\r\n");
        if (!end) return;
        if (strncmp((char *)c->in->data, "HTTP/1.1 101", 12) != 0) {
            c->st = C_DEAD;
            b->failed++;
            return;
        }
        g_byte_array_remove_range(c->in, 0, (guint)(end + 4 - (char *)c->in->data));
        c->st = C_OPEN;
        b->open++;
    }
    size_t off = 0;
    for (;;) {
        size_t used = 0;
        ws_message m;
        ws_error e;
        ws_status st = ws_reader_feed(&c->rd, c->in->data + off, c->in->len - off, &used, &m, &e);
        if (st != WS_OK) {
            if (st == WS_ERROR) c->st = C_DEAD;
            break;
        }
        off += used;
        if (m.kind == WS_MSG_PING) {
            uint8_t key[4] = {1, 2, 3, 4};
            GByteArray *f = g_byte_array_new();
            ws_frame_append(f, true, WS_OP_PONG, m.data, m.len, key);
            if (write(c->fd, f->data, f->len) < 0) c->st = C_DEAD;
            g_byte_array_unref(f);
        } else if (m.kind == WS_MSG_TEXT) {
            on_text(b, c, (const char *)m.data, m.len);
        } else if (m.kind == WS_MSG_CLOSE) {
            c->st = C_DEAD;
            break;
        }
    }
    g_byte_array_remove_range(c->in, 0, (guint)off);
}

/* ---- calls ---- */

static void place_call(bench *b, client *c)
{
    if (b->calls_started >= b->calls_target) return;
    b->calls_started++;
    snprintf(c->id, sizeof c->id, "b%u", ++c->serial);
    char *msg = wic_build_call(c->id, "+33150000201", b->sdp);
    c->in_call = true;
    c->call_started = now();
    ws_send(c, msg);
    g_free(msg);
}

static void on_text(bench *b, client *c, const char *text, size_t len)
{
    wic_msg m;
    if (wic_msg_parse(text, len, WIC_FROM_SERVER, &m, NULL) != WIC_OK) return;
    if (m.type == WIC_MSG_READY) {
        c->ready = true;
        b->ready++;
        if (b->calls_target) place_call(b, c);
    } else if (m.type == WIC_MSG_ANSWERED && c->in_call) {
        double lat = now() - c->call_started;
        b->latency_sum += lat;
        if (lat > b->latency_max) b->latency_max = lat;
        char *h = wic_build_hangup(m.id);
        ws_send(c, h);
        g_free(h);
    } else if (m.type == WIC_MSG_ENDED && c->in_call) {
        c->in_call = false;
        if (m.code == 200)
            b->calls_done++;
        else
            b->calls_failed++;
        place_call(b, c);
    }
    wic_msg_clear(&m);
}

/* A SIP UAS of a few lines: 200 to INVITE (with an SDP), BYE and OPTIONS; ACK is ignored. */
static void sip_io(bench *b)
{
    char buf[16384];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    for (;;) {
        ssize_t n =
            recvfrom(b->sip_fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n <= 0) return;
        buf[n] = '\0';
        bool invite = strncmp(buf, "INVITE ", 7) == 0;
        if (strncmp(buf, "ACK ", 4) == 0 || strncmp(buf, "SIP/2.0", 7) == 0) continue;
        GString *r = g_string_new("SIP/2.0 200 OK\r\n");
        char *hdr_end = strstr(buf, "\r\n\r\n");
        if (hdr_end) *hdr_end = '\0';
        char **lines = g_strsplit(buf, "\r\n", -1);
        for (char **l = lines + 1; *l; l++) {
            if (g_ascii_strncasecmp(*l, "Via:", 4) == 0 || g_ascii_strncasecmp(*l, "v:", 2) == 0 ||
                g_ascii_strncasecmp(*l, "From:", 5) == 0 || g_ascii_strncasecmp(*l, "f:", 2) == 0 ||
                g_ascii_strncasecmp(*l, "Call-ID:", 8) == 0 ||
                g_ascii_strncasecmp(*l, "i:", 2) == 0 || g_ascii_strncasecmp(*l, "CSeq:", 5) == 0)
                g_string_append_printf(r, "%s\r\n", *l);
            else if (g_ascii_strncasecmp(*l, "To:", 3) == 0 ||
                     g_ascii_strncasecmp(*l, "t:", 2) == 0)
                g_string_append_printf(r, "%s%s\r\n", *l, strstr(*l, "tag=") ? "" : ";tag=bench1");
        }
        g_strfreev(lines);
        const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"
                          "m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n"
                          "a=rtcp-mux\r\na=setup:active\r\n";
        g_string_append(r, "Contact: <sip:bench@127.0.0.1>\r\n");
        if (invite)
            g_string_append_printf(r,
                                   "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
                                   strlen(sdp), sdp);
        else
            g_string_append(r, "Content-Length: 0\r\n\r\n");
        sendto(b->sip_fd, r->str, r->len, 0, (struct sockaddr *)&from, fl);
        g_string_free(r, TRUE);
    }
}

static void raise_fds(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void loop_until(bench *b, bool (*done)(bench *), double timeout)
{
    struct epoll_event evs[256];
    double deadline = now() + timeout;
    while (!done(b) && now() < deadline) {
        int n = epoll_wait(b->ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u32 == UINT32_MAX)
                sip_io(b);
            else
                client_io(b, evs[i].data.u32, evs[i].events);
        }
    }
}

static bool all_ready(bench *b)
{
    return b->ready + b->failed >= b->n;
}

static bool never(bench *b)
{
    return false;
}

static bool calls_over(bench *b)
{
    return b->calls_done + b->calls_failed >= b->calls_target;
}

static char *read_sdp(void)
{
    char *s = NULL;
    const char *paths[] = {"/work/shared/testdata/chromium-156-audio-offer.sdp",
                           "tests/component/testdata/chromium-audio-offer.sdp"};
    for (unsigned i = 0; i < G_N_ELEMENTS(paths) && !s; i++)
        g_file_get_contents(paths[i], &s, NULL, NULL);
    if (!s)
        s = g_strdup("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\n"
                     "a=ice-ufrag:Bs+R\r\na=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8\r\n"
                     "a=fingerprint:sha-256 D2:CD:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                     "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:B1\r\na=setup:actpass\r\na=mid:0\r\n"
                     "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
                     "a=rtpmap:8 PCMA/8000\r\n");
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr,
                "usage: %s idle HTTP USER PASSWORD N [PID [HOLD]]\n"
                "       %s calls HTTP USER PASSWORD SESSIONS CALLS SIP [PID]\n",
                argv[0], argv[0]);
        return 2;
    }
    raise_fds();
    bench b = {0};
    b.http = parse_addr(argv[2]);
    b.token = login(b.http, argv[3], argv[4]);
    b.ep = epoll_create1(0);
    bool calls = strcmp(argv[1], "calls") == 0;
    b.n = (unsigned)atoi(argv[5]);
    b.c = g_new0(client, b.n);
    int pid = 0;
    if (calls) {
        if (argc < 8) return 2;
        b.calls_target = (unsigned)atoi(argv[6]);
        struct sockaddr_in sip = parse_addr(argv[7]);
        b.sip_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int big = 4 << 20;
        setsockopt(b.sip_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        if (bind(b.sip_fd, (struct sockaddr *)&sip, sizeof sip) < 0) die("bind (SIP)");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
        epoll_ctl(b.ep, EPOLL_CTL_ADD, b.sip_fd, &ev);
        b.sdp = read_sdp();
        pid = argc > 8 ? atoi(argv[8]) : 0;
    } else {
        pid = argc > 6 ? atoi(argv[6]) : 0;
    }
    long rss0 = pid ? rss_kib(pid) : -1;
    double cpu0 = pid ? cpu_s(pid) : -1;
    double t0 = now();
    /* open in batches so that the listen backlog is never the limit */
    for (unsigned i = 0; i < b.n; i++) {
        start_client(&b, i);
        if (i % 500 == 499) loop_until(&b, never, 0.05);
    }
    if (!calls) {
        loop_until(&b, all_ready, 120);
        double t1 = now();
        printf("idle: %u WebSockets open and ready, %u failed, in %.2f s (%.0f/s)\n", b.ready,
               b.failed, t1 - t0, b.ready / (t1 - t0));
        int hold = argc > 7 ? atoi(argv[7]) : 5;
        loop_until(&b, never, hold);
        if (pid) {
            long rss1 = rss_kib(pid);
            printf("idle: wtpf RSS %ld KiB -> %ld KiB: %.1f KiB per connection\n", rss0, rss1,
                   b.ready ? (double)(rss1 - rss0) / b.ready : 0);
            printf("idle: wtpf CPU %.2f s while opening and holding\n", cpu_s(pid) - cpu0);
        }
        unsigned alive = 0;
        for (unsigned i = 0; i < b.n; i++)
            alive += b.c[i].st == C_OPEN;
        printf("idle: %u still open after %d s\n", alive, hold);
    } else {
        loop_until(&b, calls_over, 600);
        double t1 = now();
        printf("calls: %u set up and hung up, %u failed, %u sessions, in %.2f s: %.0f calls/s\n",
               b.calls_done, b.calls_failed, b.ready, t1 - t0, b.calls_done / (t1 - t0));
        if (b.calls_done)
            printf("calls: set-up latency (call -> answered) mean %.2f ms, max %.2f ms\n",
                   1000 * b.latency_sum / b.calls_done, 1000 * b.latency_max);
        if (pid && b.calls_done)
            printf("calls: wtpf CPU %.3f ms per call (INVITE, 200, ACK, BYE, 200 + WIC side)\n",
                   1000 * (cpu_s(pid) - cpu0) / b.calls_done);
    }
    for (unsigned i = 0; i < b.n; i++) {
        if (b.c[i].fd > 0) close(b.c[i].fd);
        if (b.c[i].in) g_byte_array_unref(b.c[i].in);
        ws_reader_clear(&b.c[i].rd);
    }
    g_free(b.c);
    g_free(b.token);
    return b.failed || b.calls_failed ? 1 : 0;
}
