/* SIP load generator for the signalling bench (bench/pcscf_bench.py): the WebRTC call mix
 * through a proxy (pcscf + eims-agw, or Kamailio + rtpengine), both ends in this process.
 *
 *   pcscf_loadgen -x PROXY_IP:PORT -u UAC_IP:PORT -s UAS_IP:PORT -o OFFER.sdp
 *                 [-r RATE] [-d SECONDS] [-w WARMUP_SECONDS] [-H HOLD_SECONDS] [-T TIMEOUT]
 *                 [-c NAME=PID[,PID...]]...
 *
 * UAC (on UAC_IP, the proxy's trusted W8 peer): RATE INVITEs per second for SECONDS, each with
 * the Chromium WebRTC offer, sent to PROXY; on 200 it checks the answer is WebRTC again
 * (UDP/TLS/RTP/SAVPF, ice-ufrag, fingerprint), sends the ACK along the Record-Route, and a BYE
 * after HOLD seconds. UAS (on UAS_IP, the proxy's trunk): answers the forwarded INVITE 200 with
 * an RTP/AVP SDP (PCMU + telephone-event) after checking the offer is plain RTP/AVP without ICE
 * or DTLS, retransmits the 200 until the ACK, answers BYE 200. RFC 3261 retransmissions (T1
 * 500 ms doubling, T2 4 s) on INVITE, BYE and the UAS's 200.
 *
 * A call succeeds when INVITE got 200 with a WebRTC answer, the UAS got an RTP/AVP offer and
 * the ACK, and the BYE got 200, all within TIMEOUT (default 8 s) per transaction.
 * CPU: for each -c group, utime+stime of its processes (/proc/PID/stat, all threads) over the
 * steady window [WARMUP, SECONDS) of the sending period, divided by the calls started in it.
 * Prints human lines and a final machine line "RESULT key=value ...". Exit 0 unless usage error.
 *
 * Plain C, one thread, epoll, no library of the suite. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T1 0.5
#define T2 4.0
#define MAXMSG 65536

enum { UAC_IDLE, UAC_CALLING, UAC_PROCEEDING, UAC_CONFIRMED, UAC_BYE, UAC_DONE };
enum { UAS_NONE, UAS_ANSWERED, UAS_ACKED };
enum {
    F_NONE, F_INV_STATUS, F_INV_TIMEOUT, F_BAD_ANSWER, F_BAD_OFFER, F_NO_ACK, F_BYE_STATUS,
    F_BYE_TIMEOUT, F_UNFINISHED, F_COUNT
};
static const char *fail_names[F_COUNT] = {"none", "invite_non2xx", "invite_timeout",
                                          "answer_not_webrtc", "offer_not_rtpavp", "no_ack",
                                          "bye_non2xx", "bye_timeout", "unfinished"};

typedef struct {
    uint8_t uac, uas, fail, bad_offer, bad_answer, uas_bye;
    int inv_status;
    double t_inv, t_200, t_bye, rtx_iv, uas_t200, uas_rtx_iv;
    char *route, *target, *to_hdr; /* from the 200 (UAC's dialog) */
    char *resp;                    /* UAS's 200, kept for retransmission */
    size_t resp_len;
    struct sockaddr_in uas_peer;   /* where the INVITE came from */
} call_t;

enum { K_INV_RTX, K_INV_TIMEOUT, K_BYE_SEND, K_BYE_RTX, K_UAS_RTX };
typedef struct {
    double t;
    uint32_t idx;
    uint32_t kind;
} tmr_t;

static tmr_t *heap;
static size_t heap_n, heap_cap;
static call_t *calls;
static uint32_t ncalls, nsent;
static unsigned runid;
static int uac_fd, uas_fd;
static struct sockaddr_in proxy, uac_addr, uas_addr;
static char uac_ip[64], uas_ip[64];
static int uac_port, uas_port;
static char *offer;
static size_t offer_len;
static double hold = 2.0, timeout_s = 8.0, t0;
static unsigned long rtx_count, msgs_in, msgs_out, stray;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "pcscf_loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void heap_push(double t, uint32_t idx, uint32_t kind)
{
    if (heap_n == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 4096;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap)
            die("realloc");
    }
    size_t i = heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (heap[p].t <= t)
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = (tmr_t){t, idx, kind};
}

static tmr_t heap_pop(void)
{
    tmr_t top = heap[0], last = heap[--heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_n)
            break;
        if (c + 1 < heap_n && heap[c + 1].t < heap[c].t)
            c++;
        if (heap[c].t >= last.t)
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (heap_n)
        heap[i] = last;
    return top;
}

static void xsend(int fd, const struct sockaddr_in *to, const char *buf, size_t len)
{
    msgs_out++;
    if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to) < 0 && errno != EAGAIN)
        fprintf(stderr, "pcscf_loadgen: sendto: %s\n", strerror(errno));
}

/* ---- a minimal SIP message reader ---- */

typedef struct {
    const char *name; /* full name, lower case */
    char compact;
} hname_t;

typedef struct {
    int is_req, status;
    char method[16], uri[256];
    const char *body;
    size_t body_len;
    /* header lines (name and value, not terminated) */
    struct {
        const char *n, *v;
        size_t nl, vl;
    } h[64];
    int nh;
} msg_t;

static int parse(char *buf, size_t len, msg_t *m)
{
    memset(m, 0, sizeof *m);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end)
        return -1;
    m->body = end + 4;
    m->body_len = len - (size_t)(m->body - buf);
    char *line = buf, *eol = strstr(line, "\r\n");
    if (!strncmp(line, "SIP/2.0 ", 8)) {
        m->status = atoi(line + 8);
    } else {
        m->is_req = 1;
        if (sscanf(line, "%15s %255s", m->method, m->uri) != 2)
            return -1;
    }
    for (line = eol + 2; line < end && m->nh < 64; line = eol + 2) {
        eol = strstr(line, "\r\n");
        char *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon)
            continue;
        char *n_end = colon;
        while (n_end > line && (n_end[-1] == ' ' || n_end[-1] == '\t'))
            n_end--;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        m->h[m->nh].n = line;
        m->h[m->nh].nl = (size_t)(n_end - line);
        m->h[m->nh].v = v;
        m->h[m->nh].vl = (size_t)(eol - v);
        m->nh++;
    }
    return 0;
}

static int hmatch(const msg_t *m, int i, const char *name, char compact)
{
    size_t l = strlen(name);
    if (m->h[i].nl == l && !strncasecmp(m->h[i].n, name, l))
        return 1;
    return compact && m->h[i].nl == 1 && (m->h[i].n[0] | 0x20) == compact;
}

/* value of the first header `name` copied into out, or "" */
static const char *hget(const msg_t *m, const char *name, char compact, char *out, size_t sz)
{
    out[0] = '\0';
    for (int i = 0; i < m->nh; i++)
        if (hmatch(m, i, name, compact)) {
            size_t l = m->h[i].vl < sz - 1 ? m->h[i].vl : sz - 1;
            memcpy(out, m->h[i].v, l);
            out[l] = '\0';
            return out;
        }
    return out;
}

/* appends every `name` header of m as "Canon: value\r\n" */
static size_t hcopy(const msg_t *m, const char *name, char compact, const char *canon, char *out,
                    size_t off, size_t sz)
{
    for (int i = 0; i < m->nh; i++)
        if (hmatch(m, i, name, compact) && off < sz) {
            int n = snprintf(out + off, sz - off, "%s: %.*s\r\n", canon, (int)m->h[i].vl,
                             m->h[i].v);
            off += n > 0 ? (size_t)n : 0;
        }
    return off < sz ? off : sz - 1;
}

static int call_of(const msg_t *m)
{
    char cid[256];
    hget(m, "call-id", 'i', cid, sizeof cid);
    char *dash;
    unsigned long idx = strtoul(cid, &dash, 10);
    if (*dash != '-' || strtoul(dash + 1, NULL, 16) != runid || idx >= nsent)
        return -1;
    return (int)idx;
}

static int cseq_of(const msg_t *m, char *method, size_t sz)
{
    char v[128];
    int n = 0;
    method[0] = '\0';
    hget(m, "cseq", 0, v, sizeof v);
    char meth[32] = "";
    if (sscanf(v, "%d %31s", &n, meth) == 2)
        snprintf(method, sz, "%s", meth);
    return n;
}

static int body_has(const msg_t *m, const char *needle)
{
    return m->body_len && strstr(m->body, needle) != NULL;
}

/* ---- UAC ---- */

static size_t build_invite(uint32_t i, char *out, size_t sz, int ack_non2xx, const char *to)
{
    char dest[64];
    snprintf(dest, sizeof dest, "+3315%07u", i % 10000000u);
    if (ack_non2xx)
        return (size_t)snprintf(out, sz,
            "ACK sip:%s@ims.lab;user=phone SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%x-%u-i;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:+33140000101@ims.lab>;tag=f%x-%u\r\n"
            "To: %s\r\n"
            "Call-ID: %u-%x@bench\r\n"
            "CSeq: 1 ACK\r\n"
            "Content-Length: 0\r\n\r\n",
            dest, uac_ip, uac_port, runid, i, runid, i, to, i, runid);
    return (size_t)snprintf(out, sz,
        "INVITE sip:%s@ims.lab;user=phone SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%x-%u-i;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:+33140000101@ims.lab>;tag=f%x-%u\r\n"
        "To: <sip:%s@ims.lab;user=phone>\r\n"
        "Call-ID: %u-%x@bench\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:uac@%s:%d>\r\n"
        "P-Asserted-Identity: <sip:+33140000101@ims.lab>\r\n"
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: %zu\r\n\r\n%s",
        dest, uac_ip, uac_port, runid, i, runid, i, dest, i, runid, uac_ip, uac_port, offer_len,
        offer);
}

static void send_invite(uint32_t i)
{
    char buf[8192];
    size_t n = build_invite(i, buf, sizeof buf, 0, NULL);
    xsend(uac_fd, &proxy, buf, n);
}

static void send_indialog(uint32_t i, const char *method, int cseq)
{
    call_t *c = &calls[i];
    char buf[4096], route[1200] = "";
    if (c->route && *c->route)
        snprintf(route, sizeof route, "Route: %s\r\n", c->route);
    int n = snprintf(buf, sizeof buf,
        "%s %s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%x-%u-%c;rport\r\n"
        "Max-Forwards: 70\r\n"
        "%s"
        "From: <sip:+33140000101@ims.lab>;tag=f%x-%u\r\n"
        "To: %s\r\n"
        "Call-ID: %u-%x@bench\r\n"
        "CSeq: %d %s\r\n"
        "Content-Length: 0\r\n\r\n",
        method, c->target, uac_ip, uac_port, runid, i, method[0] == 'A' ? 'a' : 'b', route, runid,
        i, c->to_hdr, i, runid, cseq, method);
    xsend(uac_fd, &proxy, buf, (size_t)n);
}

/* Record-Route of a response, reversed, as one Route value */
static char *route_set(const msg_t *m)
{
    const char *ent[32];
    size_t len[32];
    int n = 0;
    for (int h = 0; h < m->nh; h++) {
        if (!hmatch(m, h, "record-route", 0))
            continue;
        const char *p = m->h[h].v, *e = p + m->h[h].vl, *s = p;
        int ang = 0;
        for (; p <= e && n < 32; p++) {
            if (p < e && *p == '<')
                ang = 1;
            else if (p < e && *p == '>')
                ang = 0;
            else if (p == e || (*p == ',' && !ang)) {
                while (s < p && (*s == ' ' || *s == '\t'))
                    s++;
                ent[n] = s;
                len[n++] = (size_t)(p - s);
                s = p + 1;
            }
        }
    }
    size_t total = 1;
    for (int k = 0; k < n; k++)
        total += len[k] + 2;
    char *r = malloc(total), *w = r;
    for (int k = n - 1; k >= 0; k--) {
        memcpy(w, ent[k], len[k]);
        w += len[k];
        if (k)
            *w++ = ',', *w++ = ' ';
    }
    *w = '\0';
    return r;
}

static void uac_response(const msg_t *m)
{
    int i = call_of(m);
    if (i < 0) {
        stray++;
        return;
    }
    call_t *c = &calls[i];
    char meth[32];
    cseq_of(m, meth, sizeof meth);
    double t = now();
    if (!strcmp(meth, "INVITE")) {
        if (m->status < 200) {
            if (c->uac == UAC_CALLING)
                c->uac = UAC_PROCEEDING;
            return;
        }
        char to[512];
        hget(m, "to", 't', to, sizeof to);
        if (m->status >= 300) {
            char buf[2048];
            size_t n = build_invite((uint32_t)i, buf, sizeof buf, 1, to);
            xsend(uac_fd, &proxy, buf, n);
            if (c->uac == UAC_CALLING || c->uac == UAC_PROCEEDING) {
                c->inv_status = m->status;
                c->fail = F_INV_STATUS;
                c->uac = UAC_DONE;
            }
            return;
        }
        if (c->uac == UAC_CALLING || c->uac == UAC_PROCEEDING) {
            c->inv_status = m->status;
            c->t_200 = t;
            c->to_hdr = strdup(to);
            c->route = route_set(m);
            char ct[512];
            hget(m, "contact", 'm', ct, sizeof ct);
            char *lt = strchr(ct, '<'), *gt = lt ? strchr(lt, '>') : NULL;
            if (lt && gt) {
                *gt = '\0';
                c->target = strdup(lt + 1);
            } else {
                c->target = strdup(ct);
            }
            if (!body_has(m, "UDP/TLS/RTP/SAVPF") || !body_has(m, "a=ice-ufrag:") ||
                !body_has(m, "a=fingerprint:"))
                c->bad_answer = 1;
            c->uac = UAC_CONFIRMED;
            heap_push(t + hold, (uint32_t)i, K_BYE_SEND);
        }
        if (c->target)
            send_indialog((uint32_t)i, "ACK", 1); /* also for a retransmitted 200 */
    } else if (!strcmp(meth, "BYE")) {
        if (m->status < 200 || c->uac != UAC_BYE)
            return;
        if (m->status >= 300 && !c->fail)
            c->fail = F_BYE_STATUS;
        c->uac = UAC_DONE;
    }
}

/* ---- UAS ---- */

static size_t build_response(const msg_t *m, int code, const char *reason, const char *totag,
                             int with_rr_contact, const char *body, char *out, size_t sz)
{
    size_t off = (size_t)snprintf(out, sz, "SIP/2.0 %d %s\r\n", code, reason);
    off = hcopy(m, "via", 'v', "Via", out, off, sz);
    if (with_rr_contact)
        off = hcopy(m, "record-route", 0, "Record-Route", out, off, sz);
    off = hcopy(m, "from", 'f', "From", out, off, sz);
    char to[512];
    hget(m, "to", 't', to, sizeof to);
    if (totag && !strstr(to, ";tag="))
        off += (size_t)snprintf(out + off, sz - off, "To: %s;tag=%s\r\n", to, totag);
    else
        off += (size_t)snprintf(out + off, sz - off, "To: %s\r\n", to);
    off = hcopy(m, "call-id", 'i', "Call-ID", out, off, sz);
    off = hcopy(m, "cseq", 0, "CSeq", out, off, sz);
    if (with_rr_contact)
        off += (size_t)snprintf(out + off, sz - off, "Contact: <sip:uas@%s:%d>\r\n", uas_ip,
                                uas_port);
    if (body)
        off += (size_t)snprintf(out + off, sz - off,
                                "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
                                strlen(body), body);
    else
        off += (size_t)snprintf(out + off, sz - off, "Content-Length: 0\r\n\r\n");
    return off < sz ? off : sz - 1;
}

static void uas_request(const msg_t *m, const struct sockaddr_in *from)
{
    char buf[8192];
    int i = call_of(m);
    if (!strcmp(m->method, "OPTIONS") || i < 0) {
        if (strcmp(m->method, "ACK")) {
            size_t n = build_response(m, i < 0 && strcmp(m->method, "OPTIONS") ? 481 : 200,
                                      i < 0 && strcmp(m->method, "OPTIONS") ? "No Such Call" : "OK",
                                      "uas", 0, NULL, buf, sizeof buf);
            xsend(uas_fd, from, buf, n);
        }
        if (i < 0)
            stray++;
        return;
    }
    call_t *c = &calls[i];
    if (!strcmp(m->method, "INVITE")) {
        if (c->resp) { /* retransmission */
            xsend(uas_fd, from, c->resp, c->resp_len);
            return;
        }
        if (!body_has(m, " RTP/AVP ") || body_has(m, "a=ice-ufrag") ||
            body_has(m, "a=fingerprint"))
            c->bad_offer = 1;
        char sdp[512], tag[32];
        snprintf(sdp, sizeof sdp,
                 "v=0\r\no=uas %u 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                 "m=audio %u RTP/AVP 0 126\r\na=rtpmap:0 PCMU/8000\r\n"
                 "a=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n",
                 (unsigned)i, uas_ip, uas_ip, 20000u + 2u * ((unsigned)i % 20000u));
        snprintf(tag, sizeof tag, "u%x", (unsigned)i);
        size_t n = build_response(m, 200, "OK", tag, 1, sdp, buf, sizeof buf);
        c->resp = malloc(n);
        memcpy(c->resp, buf, n);
        c->resp_len = n;
        c->uas = UAS_ANSWERED;
        c->uas_peer = *from;
        c->uas_t200 = now();
        c->uas_rtx_iv = T1;
        heap_push(c->uas_t200 + T1, (uint32_t)i, K_UAS_RTX);
        xsend(uas_fd, from, buf, n);
    } else if (!strcmp(m->method, "ACK")) {
        if (c->uas == UAS_ANSWERED)
            c->uas = UAS_ACKED;
    } else if (!strcmp(m->method, "BYE")) {
        c->uas_bye = 1;
        size_t n = build_response(m, 200, "OK", NULL, 0, NULL, buf, sizeof buf);
        xsend(uas_fd, from, buf, n);
    } else {
        size_t n = build_response(m, 405, "Method Not Allowed", "uas", 0, NULL, buf, sizeof buf);
        xsend(uas_fd, from, buf, n);
    }
}

/* ---- timers ---- */

static void fire(tmr_t tm, double t)
{
    call_t *c = &calls[tm.idx];
    switch (tm.kind) {
    case K_INV_RTX:
        if (c->uac == UAC_CALLING) {
            send_invite(tm.idx);
            rtx_count++;
            c->rtx_iv *= 2;
            heap_push(t + c->rtx_iv, tm.idx, K_INV_RTX);
        }
        break;
    case K_INV_TIMEOUT:
        if (c->uac == UAC_CALLING || c->uac == UAC_PROCEEDING) {
            c->fail = F_INV_TIMEOUT;
            c->uac = UAC_DONE;
        }
        break;
    case K_BYE_SEND:
        if (c->uac == UAC_CONFIRMED) {
            c->uac = UAC_BYE;
            c->t_bye = t;
            c->rtx_iv = T1;
            send_indialog(tm.idx, "BYE", 2);
            heap_push(t + T1, tm.idx, K_BYE_RTX);
        }
        break;
    case K_BYE_RTX:
        if (c->uac == UAC_BYE) {
            if (t - c->t_bye >= timeout_s) {
                if (!c->fail)
                    c->fail = F_BYE_TIMEOUT;
                c->uac = UAC_DONE;
                break;
            }
            send_indialog(tm.idx, "BYE", 2);
            rtx_count++;
            c->rtx_iv = c->rtx_iv * 2 > T2 ? T2 : c->rtx_iv * 2;
            heap_push(t + c->rtx_iv, tm.idx, K_BYE_RTX);
        }
        break;
    case K_UAS_RTX:
        if (c->uas == UAS_ANSWERED && t - c->uas_t200 < timeout_s) {
            xsend(uas_fd, &c->uas_peer, c->resp, c->resp_len);
            rtx_count++;
            c->uas_rtx_iv = c->uas_rtx_iv * 2 > T2 ? T2 : c->uas_rtx_iv * 2;
            heap_push(t + c->uas_rtx_iv, tm.idx, K_UAS_RTX);
        }
        break;
    }
}

/* ---- CPU of the processes under test ---- */

typedef struct {
    char name[32];
    int pids[64], npids;
    double t_start, t_end;
} cpu_group_t;
static cpu_group_t groups[8];
static int ngroups;

static double proc_cpu(int pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    unsigned long ut = 0, st = 0;
    /* after ")": state(3) ... utime is field 14, stime 15 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double group_cpu(const cpu_group_t *g)
{
    double s = 0;
    for (int k = 0; k < g->npids; k++)
        s += proc_cpu(g->pids[k]);
    return s;
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* ---- main ---- */

static int parse_hostport(const char *s, struct sockaddr_in *a, char *ip, size_t ipsz, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= ipsz)
        return -1;
    memcpy(ip, s, (size_t)(colon - s));
    ip[colon - s] = '\0';
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
        return -1;
    *port = atoi(colon + 1);
    a->sin_port = htons((uint16_t)*port);
    return 0;
}

static int bind_udp(const struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die("socket");
    int one = 1, sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (bind(fd, (const struct sockaddr *)a, sizeof *a) < 0)
        die("bind");
    return fd;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: pcscf_loadgen -x PROXY_IP:PORT -u UAC_IP:PORT -s UAS_IP:PORT "
                    "-o OFFER.sdp [-r RATE] [-d SECONDS] [-w WARMUP] [-H HOLD] [-T TIMEOUT] "
                    "[-c NAME=PID[,PID...]]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double rate = 100, duration = 12, warm = 3;
    char pip[64];
    int pport = 0, opt, have = 0;
    const char *offer_path = NULL;
    while ((opt = getopt(argc, argv, "x:u:s:o:r:d:w:H:T:c:")) != -1) {
        switch (opt) {
        case 'x':
            if (parse_hostport(optarg, &proxy, pip, sizeof pip, &pport))
                usage();
            have |= 1;
            break;
        case 'u':
            if (parse_hostport(optarg, &uac_addr, uac_ip, sizeof uac_ip, &uac_port))
                usage();
            have |= 2;
            break;
        case 's':
            if (parse_hostport(optarg, &uas_addr, uas_ip, sizeof uas_ip, &uas_port))
                usage();
            have |= 4;
            break;
        case 'o': offer_path = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'w': warm = atof(optarg); break;
        case 'H': hold = atof(optarg); break;
        case 'T': timeout_s = atof(optarg); break;
        case 'c': {
            if (ngroups == 8)
                usage();
            cpu_group_t *g = &groups[ngroups++];
            char *eq = strchr(optarg, '=');
            if (!eq)
                usage();
            snprintf(g->name, sizeof g->name, "%.*s", (int)(eq - optarg), optarg);
            for (char *p = eq + 1; *p && g->npids < 64;) {
                g->pids[g->npids++] = (int)strtol(p, &p, 10);
                if (*p == ',')
                    p++;
                else
                    break;
            }
            break;
        }
        default: usage();
        }
    }
    if (have != 7 || !offer_path || rate <= 0 || duration <= warm)
        usage();

    /* the offer, with CRLF line ends */
    FILE *f = fopen(offer_path, "r");
    if (!f)
        die(offer_path);
    offer = malloc(8192);
    offer_len = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        offer_len += (size_t)snprintf(offer + offer_len, 8192 - offer_len, "%s\r\n", line);
    }
    fclose(f);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    runid = (unsigned)(ts.tv_nsec ^ (ts.tv_sec << 8) ^ (unsigned)getpid()) & 0xfffffff;
    ncalls = (uint32_t)(rate * duration + 0.5);
    calls = calloc(ncalls, sizeof *calls);
    uac_fd = bind_udp(&uac_addr);
    uas_fd = bind_udp(&uas_addr);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = uac_fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, uac_fd, &ev);
    ev.data.fd = uas_fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, uas_fd, &ev);

    char *buf = malloc(MAXMSG + 1);
    msg_t *m = malloc(sizeof *m);
    int window_open = 0, window_closed = 0;
    double self_start = 0, self_end = 0, w_start = 0, w_end = 0;
    uint32_t w_first = 0, w_last = 0;
    double hard_end = 0, last_scan = 0;
    t0 = now();
    for (;;) {
        double t = now(), el = t - t0;
        if (!window_open && el >= warm) {
            window_open = 1;
            w_start = t;
            w_first = nsent;
            self_start = self_cpu();
            for (int g = 0; g < ngroups; g++)
                groups[g].t_start = group_cpu(&groups[g]);
        }
        if (window_open && !window_closed && el >= duration) {
            window_closed = 1;
            w_end = t;
            w_last = nsent;
            self_end = self_cpu();
            for (int g = 0; g < ngroups; g++)
                groups[g].t_end = group_cpu(&groups[g]);
            hard_end = t + hold + 2 * timeout_s + 1;
        }
        /* new calls due */
        uint32_t due = el >= duration ? ncalls : (uint32_t)(el * rate);
        if (due > ncalls)
            due = ncalls;
        while (nsent < due) {
            uint32_t i = nsent++;
            calls[i].uac = UAC_CALLING;
            calls[i].t_inv = t;
            calls[i].rtx_iv = T1;
            send_invite(i);
            heap_push(t + T1, i, K_INV_RTX);
            heap_push(t + timeout_s, i, K_INV_TIMEOUT);
        }
        while (heap_n && heap[0].t <= t)
            fire(heap_pop(), t);
        if (window_closed && t - last_scan > 0.05) {
            int busy = 0;
            last_scan = t;
            for (uint32_t i = 0; i < ncalls && !busy; i++)
                busy = calls[i].uac != UAC_DONE;
            if (!busy || t > hard_end)
                break;
        }
        struct epoll_event evs[2];
        int n = epoll_wait(ep, evs, 2, 1);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            for (;;) {
                struct sockaddr_in from;
                socklen_t fl = sizeof from;
                ssize_t r = recvfrom(fd, buf, MAXMSG, 0, (struct sockaddr *)&from, &fl);
                if (r < 0)
                    break;
                msgs_in++;
                if (parse(buf, (size_t)r, m) < 0)
                    continue;
                if (fd == uac_fd && !m->is_req)
                    uac_response(m);
                else if (fd == uas_fd && m->is_req)
                    uas_request(m, &from);
                else if (fd == uac_fd && m->is_req) {
                    /* a request toward the UAC (e.g. a BYE from the proxy): 200 */
                    char out[4096];
                    if (strcmp(m->method, "ACK")) {
                        size_t ol = build_response(m, 200, "OK", "uac", 0, NULL, out, sizeof out);
                        xsend(uac_fd, &from, out, ol);
                    }
                    stray++;
                }
            }
        }
    }
    double t_stop = now();

    /* accounting */
    unsigned long fails[F_COUNT] = {0}, ok = 0, w_ok = 0, w_fail = 0;
    double *lat = malloc((ncalls + 1) * sizeof *lat);
    size_t nlat = 0;
    double lat_sum = 0;
    for (uint32_t i = 0; i < ncalls; i++) {
        call_t *c = &calls[i];
        int fr = c->fail;
        if (!fr && c->uac != UAC_DONE)
            fr = F_UNFINISHED;
        if (!fr && c->bad_answer)
            fr = F_BAD_ANSWER;
        if (!fr && c->bad_offer)
            fr = F_BAD_OFFER;
        if (!fr && c->uas != UAS_ACKED)
            fr = F_NO_ACK;
        fails[fr]++;
        if (!fr)
            ok++;
        if (i >= w_first && i < w_last)
            fr ? w_fail++ : w_ok++;
        if (c->t_200 > 0) {
            lat[nlat++] = (c->t_200 - c->t_inv) * 1e3;
            lat_sum += (c->t_200 - c->t_inv) * 1e3;
        }
    }
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)(nlat * 0.99)] : 0,
           lmax = nlat ? lat[nlat - 1] : 0, lmean = nlat ? lat_sum / (double)nlat : 0;
    unsigned long failed = ncalls - ok;
    double wlen = w_end - w_start;
    unsigned long wcalls = w_last - w_first;
    printf("offered %.0f calls/s for %.1f s: %u calls, %lu ok, %lu failed (%.3f %%), "
           "achieved %.1f calls/s in the window, drain %.1f s\n",
           rate, duration, ncalls, ok, failed, 100.0 * (double)failed / ncalls,
           (double)w_ok / wlen, t_stop - t0 - duration);
    for (int k = 1; k < F_COUNT; k++)
        if (fails[k])
            printf("  failure %s: %lu\n", fail_names[k], fails[k]);
    printf("setup latency INVITE->200 ms: mean %.2f p50 %.2f p99 %.2f max %.2f; "
           "retransmissions %lu, stray %lu\n", lmean, p50, p99, lmax, rtx_count, stray);
    printf("RESULT rate=%.0f calls=%u ok=%lu failed=%lu fail_pct=%.4f achieved=%.1f "
           "window_s=%.2f window_calls=%lu lat_mean=%.2f lat_p99=%.2f lat_max=%.2f rtx=%lu "
           "loadgen_cpu_ms=%.4f",
           rate, ncalls, ok, failed, 100.0 * (double)failed / ncalls, (double)w_ok / wlen, wlen,
           wcalls, lmean, p99, lmax, rtx_count,
           wcalls ? (self_end - self_start) * 1e3 / (double)wcalls : 0);
    for (int g = 0; g < ngroups; g++)
        printf(" cpu_%s=%.4f", groups[g].name,
               wcalls ? (groups[g].t_end - groups[g].t_start) * 1e3 / (double)wcalls : 0);
    printf("\n");
    fflush(stdout);
    for (uint32_t i = 0; i < ncalls; i++) {
        free(calls[i].route);
        free(calls[i].target);
        free(calls[i].to_hdr);
        free(calls[i].resp);
    }
    free(calls);
    free(lat);
    free(heap);
    free(buf);
    free(m);
    free(offer);
    close(ep);
    close(uac_fd);
    close(uas_fd);
    (void)msgs_in;
    return 0;
}
