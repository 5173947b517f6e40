/* Engine-level tests of eims-agw/media.h in one process: two contexts relaying RTP -> SRTP ->
 * SRTP -> RTP through two W3 terminations (no ICE, DTLS in both roles), events delivered on the
 * main context, statistics at Subtract, Add/Modify argument errors, port exhaustion and reuse,
 * and the configuration table. Loopback sockets only. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "eims-agw/media.h"
#include "eims-agw/term.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "unit.h"

typedef struct {
    agw_event_type_t type;
    agw_term_t *term;
    char reason[96];
    char profile[40];
} seen_t;

static seen_t seen[64];
static unsigned nseen;

static void on_event(agw_media_t *m, const agw_event_t *ev, void *ud)
{
    if (nseen >= G_N_ELEMENTS(seen)) return;
    seen[nseen].type = ev->type;
    seen[nseen].term = ev->term;
    g_strlcpy(seen[nseen].reason, ev->reason, sizeof seen[nseen].reason);
    g_strlcpy(seen[nseen].profile, ev->profile, sizeof seen[nseen].profile);
    nseen++;
}

static const seen_t *find_event(agw_event_type_t type, agw_term_t *t)
{
    for (unsigned i = 0; i < nseen; i++)
        if (seen[i].type == type && seen[i].term == t) return &seen[i];
    return NULL;
}

/* Runs the main context until the event arrives or `ms` pass. */
static const seen_t *wait_event(agw_event_type_t type, agw_term_t *t, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        const seen_t *s = find_event(type, t);
        if (s) return s;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return find_event(type, t);
}

/* The I/O path the engine tests run on: each relay test runs on both (see main). */
static agw_io_t io_path = AGW_IO_EPOLL;
static const char *io_expected = "epoll";

static agw_media_t *engine(unsigned pmin, unsigned pmax, unsigned workers)
{
    agw_media_config_t cfg = {.w3_address = "127.0.20.1",
                              .rtp_address = "127.0.20.2",
                              .port_min = pmin,
                              .port_max = pmax,
                              .workers = workers,
                              .io = io_path,
                              .on_event = on_event};
    GError *err = NULL;
    agw_media_t *m = agw_media_new(&cfg, &err);
    if (!m) fprintf(stderr, "  agw_media_new: %s\n", err->message);
    g_clear_error(&err);
    return m;
}

static int udp(const char *ip, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static void send_rtp(int fd, const char *ip, uint16_t port, uint8_t pt, uint16_t seq)
{
    uint8_t p[172] = {0x80,
                      pt,
                      (uint8_t)(seq >> 8),
                      (uint8_t)seq,
                      0,
                      0,
                      (uint8_t)(seq >> 8),
                      (uint8_t)seq,
                      0xab,
                      0xcd,
                      0,
                      1};
    memset(p + 12, 0x55, 160);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    sendto(fd, p, sizeof p, 0, (struct sockaddr *)&a, sizeof a);
}

static unsigned drain(int fd, uint8_t *last_pt)
{
    unsigned n = 0;
    uint8_t b[2048];
    ssize_t r;
    while ((r = recv(fd, b, sizeof b, 0)) > 0) {
        n++;
        if (last_pt && r >= 12) *last_pt = b[1] & 0x7f;
    }
    return n;
}

TEST(lifecycle_and_fingerprint)
{
    agw_media_t *m = engine(31000, 31099, 0);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(agw_media_worker_count(m) >= 1);
    const char *fp = agw_media_fingerprint(m);
    CHECK(g_str_has_prefix(fp, "sha-256 "));
    CHECK_INT(strlen(fp), 8 + 32 * 3 - 1);
    CHECK_INT(agw_media_context_count(m), 0);
    agw_ctx_t *c = agw_ctx_new(m, "cid-1", (void *)0x1234);
    CHECK(agw_ctx_lookup(m, agw_ctx_id(c)) == c);
    CHECK(agw_ctx_user_data(c) == (void *)0x1234);
    CHECK_STR(agw_ctx_cid(c), "cid-1");
    CHECK_INT(agw_media_context_count(m), 1);
    /* freeing the engine frees what is left */
    agw_w3_local_t l;
    CHECK(agw_w3_add(c, NULL, &l, NULL) != NULL);
    agw_media_free(m);
}

/* Remote parameters and mode go to the media worker in one hop, and nothing that changes nothing
 * costs a hop (the hop is the costliest part of a command). */
/* The worker's view of the mode, after every command posted before (one synchronous hop). */
static agw_mode_t mode_of(agw_term_t *t)
{
    agw_term_stats_t st;
    agw_term_stats(t, &st);
    return t->mode;
}

TEST(configure_hops)
{
    agw_media_t *m = engine(31000, 31099, 0);
    CHECK(m != NULL);
    if (!m) return;
    agw_ctx_t *c = agw_ctx_new(m, "cid-hops", NULL);
    agw_term_t *t = agw_rtp_add(c, NULL, NULL, NULL);
    CHECK(t != NULL);
    if (!t) {
        agw_media_free(m);
        return;
    }
    agw_worker_t *w = t->worker;
    /* Add and Modify are posted (no wait); mode_of() waits for the worker, one hop itself */
    unsigned long n0 = agw_worker_calls(w), w0 = agw_worker_waits(w);
    agw_term_set_mode(t, AGW_MODE_SENDRECV); /* a new termination is sendrecv */
    CHECK(agw_rtp_configure(t, NULL, AGW_MODE_SENDRECV, NULL));
    CHECK_INT(agw_worker_calls(w) - n0, 0);
    agw_term_set_mode(t, AGW_MODE_RECVONLY);
    CHECK_INT(agw_worker_calls(w) - n0, 1);
    CHECK_INT(agw_worker_waits(w) - w0, 0);
    CHECK_INT(mode_of(t), AGW_MODE_RECVONLY);
    agw_rtp_remote_t r = {.address = "127.0.21.9", .port = 4000};
    CHECK(agw_rtp_configure(t, &r, AGW_MODE_SENDONLY, NULL));
    CHECK_INT(agw_worker_calls(w) - n0, 3);
    CHECK_INT(mode_of(t), AGW_MODE_SENDONLY);
    CHECK(agw_rtp_modify(t, &r, NULL)); /* keeps the mode */
    CHECK_INT(agw_worker_calls(w) - n0, 5);
    CHECK_INT(mode_of(t), AGW_MODE_SENDONLY);
    r.address = "not-an-address"; /* refused before any hop */
    CHECK(!agw_rtp_configure(t, &r, AGW_MODE_INACTIVE, NULL));
    CHECK_INT(agw_worker_calls(w) - n0, 6);
    CHECK(!agw_w3_configure(t, NULL, AGW_MODE_INACTIVE, NULL)); /* not W3 */
    CHECK_INT(mode_of(t), AGW_MODE_SENDONLY);
    CHECK_INT(agw_worker_waits(w) - w0, 4);
    agw_ctx_free(c);
    CHECK_INT(agw_worker_calls(w) - n0, 8);
    agw_media_free(m);
}

static void relay_case(agw_setup_t answer_setup, const char *profile_name)
{
    nseen = 0;
    agw_media_config_t cfg = {.w3_address = "127.0.20.1",
                              .rtp_address = "127.0.20.2",
                              .port_min = 31100,
                              .port_max = 31199,
                              .workers = 2,
                              .io = io_path,
                              .answer_setup = answer_setup,
                              .on_event = on_event};
    agw_media_t *m = agw_media_new(&cfg, NULL);
    CHECK(m != NULL);
    if (!m) return;
    CHECK_STR(agw_media_io_name(m), io_expected);
    uint16_t pa, pb;
    int ims_a = udp("127.0.21.1", &pa), ims_b = udp("127.0.21.2", &pb);
    agw_codecs_t w3c = {0}, ima = {0}, imb = {0};
    agw_codecs_add(&w3c, 0, "PCMU", 8000, 1);
    agw_codecs_add(&w3c, 126, "telephone-event", 8000, 1);
    agw_codecs_add(&ima, 0, "PCMU", 8000, 1);
    agw_codecs_add(&ima, 101, "telephone-event", 8000, 1);
    agw_codecs_add(&imb, 0, "PCMU", 8000, 1);
    agw_codecs_add(&imb, 96, "telephone-event", 8000, 1);

    agw_ctx_t *ca = agw_ctx_new(m, "A", NULL), *cb = agw_ctx_new(m, "B", NULL);
    GError *err = NULL;
    agw_w3_local_t wl_a, wl_b;
    agw_rtp_local_t rl_a, rl_b;
    agw_term_t *wa = agw_w3_add(ca, NULL, &wl_a, &err);
    CHECK(wa != NULL);
    CHECK_INT(wl_a.setup, AGW_SETUP_ACTPASS);
    CHECK_STR(wl_a.address, "127.0.20.1");
    char cand[128];
    snprintf(cand, sizeof cand, "1 1 udp 2130706431 127.0.20.1 %u typ host", wl_a.port);
    CHECK_STR(wl_a.candidate, cand);
    CHECK(strlen(wl_a.ice_ufrag) >= 4 && strlen(wl_a.ice_pwd) >= 22);
    agw_rtp_remote_t rr_a = {.address = "127.0.21.1", .port = pa, .codecs = ima};
    agw_term_t *ra = agw_rtp_add(ca, &rr_a, &rl_a, &err);
    CHECK(ra != NULL);
    CHECK_INT(rl_a.port % 2, 0);
    CHECK_INT(rl_a.rtcp_port, rl_a.port + 1);

    agw_w3_remote_t r_b = {.fingerprint = wl_a.fingerprint,
                           .setup = AGW_SETUP_ACTPASS,
                           .address = wl_a.address,
                           .port = wl_a.port,
                           .codecs = w3c};
    if (profile_name) r_b.srtp_profiles = AGW_SRTP_MASK(agw_srtp_profile_by_name(profile_name)->id);
    agw_term_t *wb = agw_w3_add(cb, &r_b, &wl_b, &err);
    CHECK(wb != NULL);
    CHECK_INT(wl_b.setup, answer_setup == AGW_SETUP_PASSIVE ? AGW_SETUP_PASSIVE : AGW_SETUP_ACTIVE);
    agw_rtp_remote_t rr_b = {.address = "127.0.21.2", .port = pb, .codecs = imb};
    agw_term_t *rb = agw_rtp_add(cb, &rr_b, &rl_b, &err);
    CHECK(rb != NULL);
    if (!wa || !ra || !wb || !rb) goto out;

    /* an answer that repeats actpass is refused */
    agw_w3_remote_t bad = {.fingerprint = wl_b.fingerprint,
                           .setup = AGW_SETUP_ACTPASS,
                           .address = wl_b.address,
                           .port = wl_b.port};
    CHECK(!agw_w3_modify(wa, &bad, &err));
    CHECK(err != NULL);
    g_clear_error(&err);
    agw_w3_remote_t ans = {.fingerprint = wl_b.fingerprint,
                           .setup = wl_b.setup,
                           .address = wl_b.address,
                           .port = wl_b.port,
                           .codecs = w3c};
    CHECK(agw_w3_modify(wa, &ans, &err));
    const seen_t *ea = wait_event(AGW_EV_DTLS_CONNECTED, wa, 5000);
    const seen_t *eb = wait_event(AGW_EV_DTLS_CONNECTED, wb, 5000);
    CHECK(ea && eb);
    if (!ea || !eb) goto out;
    CHECK_STR(ea->profile, profile_name ? profile_name : "SRTP_AES128_CM_HMAC_SHA1_80");
    /* IMS A -> B: PCMU and DTMF, the DTMF renumbered 101 -> 126 (W3) -> 96 */
    for (uint16_t i = 0; i < 30; i++)
        send_rtp(ims_a, "127.0.20.2", rl_a.port, 0, i);
    send_rtp(ims_a, "127.0.20.2", rl_a.port, 101, 30);
    g_usleep(200000);
    uint8_t last = 0xff;
    CHECK_INT(drain(ims_b, &last), 31);
    CHECK_INT(last, 96);
    /* B -> A: 20 packets; latching made A's source the destination */
    for (uint16_t i = 0; i < 20; i++)
        send_rtp(ims_b, "127.0.20.2", rl_b.port, 0, i);
    g_usleep(200000);
    CHECK_INT(drain(ims_a, NULL), 20);
    /* mode: A's RTP leg receive-only toward IMS A -> nothing more reaches IMS A */
    agw_term_set_mode(ra, AGW_MODE_RECVONLY);
    agw_media_flush(m); /* the worker runs it before the packets below */
    for (uint16_t i = 20; i < 25; i++)
        send_rtp(ims_b, "127.0.20.2", rl_b.port, 0, i);
    g_usleep(150000);
    CHECK_INT(drain(ims_a, NULL), 0);

    agw_term_stats_t s;
    agw_term_stats(wa, &s);
    CHECK_INT(s.tx.packets, 31);
    CHECK_INT(s.rx.packets, 25); /* received and decrypted; the last 5 stopped at ra's mode */
    CHECK_INT(s.dropped, 5);
    agw_term_subtract(ra, &s);
    CHECK_INT(s.rx.packets, 31);
    CHECK_INT(s.rx.lost, 0);
    CHECK_INT(s.rx.octets, 31 * 172);
    CHECK_INT(s.tx.packets, 20);
    agw_term_subtract(wb, &s);
    CHECK_INT(s.rx.packets, 31);
    CHECK_INT(s.tx.packets, 25);
    CHECK_INT(s.srtp_failures, 0);
out:
    agw_ctx_free(ca);
    agw_ctx_free(cb);
    CHECK_INT(agw_media_context_count(m), 0);
    close(ims_a);
    close(ims_b);
    agw_media_free(m);
}

TEST(relay_agw_answers_active)
{
    relay_case(AGW_SETUP_ACTIVE, NULL);
}
TEST(relay_agw_answers_passive)
{
    relay_case(AGW_SETUP_PASSIVE, NULL);
}
TEST(relay_aes_cm_32)
{
    relay_case(AGW_SETUP_ACTIVE, "SRTP_AES128_CM_HMAC_SHA1_32");
}

TEST(argument_errors)
{
    agw_media_t *m = engine(31200, 31299, 1);
    if (!m) return;
    agw_ctx_t *c = agw_ctx_new(m, NULL, NULL);
    GError *err = NULL;
    agw_w3_local_t l;
    agw_w3_remote_t r = {.ice_ufrag = "abcd",
                         .ice_pwd = "0123456789012345678901",
                         .fingerprint = "sha-256 12:34",
                         .setup = AGW_SETUP_ACTPASS};
    CHECK(agw_w3_add(c, &r, &l, &err) == NULL); /* fingerprint too short */
    CHECK(err && strstr(err->message, "fingerprint"));
    g_clear_error(&err);
    r.fingerprint = NULL;
    r.ice_ufrag = "ab"; /* RFC 8839: at least 4 characters */
    CHECK(agw_w3_add(c, &r, &l, &err) == NULL);
    g_clear_error(&err);
    r.ice_ufrag = "ab<>";
    CHECK(agw_w3_add(c, &r, &l, &err) == NULL);
    g_clear_error(&err);
    r.ice_ufrag = NULL; /* no ICE and no address */
    CHECK(agw_w3_add(c, &r, &l, &err) == NULL);
    g_clear_error(&err);
    r.ice_ufrag = "abcd";
    r.srtp_profiles = AGW_SRTP_MASK(AGW_SRTP_AEAD_AES_128_GCM);
    CHECK(agw_w3_add(c, &r, &l, &err) == NULL); /* GnuTLS 3.7.9 cannot negotiate it */
    g_clear_error(&err);
    r.srtp_profiles = 0;
    agw_term_t *w = agw_w3_add(c, &r, &l, &err);
    CHECK(w != NULL);
    CHECK_INT(l.setup, AGW_SETUP_ACTIVE); /* RFC 5763: answer actpass with active */
    agw_rtp_local_t rl;
    agw_rtp_remote_t rr = {.address = "ims.example", .port = 4000};
    CHECK(agw_rtp_add(c, &rr, &rl, &err) == NULL); /* addresses are numeric */
    g_clear_error(&err);
    agw_term_t *t2 = agw_rtp_add(c, NULL, &rl, &err);
    CHECK(t2 != NULL);
    CHECK(agw_rtp_add(c, NULL, &rl, &err) == NULL); /* a context holds two terminations */
    g_clear_error(&err);
    CHECK(!agw_rtp_modify(w, &rr, &err)); /* wrong kind */
    g_clear_error(&err);
    agw_w3_remote_t same = {.ice_ufrag = "abcd", .setup = AGW_SETUP_PASSIVE};
    CHECK(agw_w3_modify(w, &same, &err)); /* we are active, the peer passive: fine */
    same.setup = AGW_SETUP_ACTIVE;
    CHECK(!agw_w3_modify(w, &same, &err)); /* both active: refused */
    g_clear_error(&err);
    agw_ctx_free(c);
    agw_media_free(m);
}

TEST(port_exhaustion_and_reuse)
{
    /* W3 and RTP share one address here: 8 ports = 2 sessions (1 W3 port + an even/odd pair) */
    agw_media_config_t cfg = {.w3_address = "127.0.20.3",
                              .rtp_address = "127.0.20.3",
                              .port_min = 31300,
                              .port_max = 31307,
                              .workers = 1,
                              .io = io_path};
    agw_media_t *m = agw_media_new(&cfg, NULL);
    CHECK(m != NULL);
    if (!m) return;
    agw_ctx_t *c[3];
    GError *err = NULL;
    agw_w3_local_t wl;
    agw_rtp_local_t rl;
    unsigned ok = 0;
    for (int i = 0; i < 3; i++) {
        c[i] = agw_ctx_new(m, NULL, NULL);
        if (agw_w3_add(c[i], NULL, &wl, &err) && agw_rtp_add(c[i], NULL, &rl, &err)) ok++;
    }
    CHECK_INT(ok, 2);
    CHECK(err != NULL && strstr(err->message, "no free media port"));
    g_clear_error(&err);
    agw_ctx_free(c[0]);
    CHECK(agw_rtp_add(c[2], NULL, &rl, &err) != NULL); /* released ports are usable again */
    g_clear_error(&err);
    agw_ctx_free(c[1]);
    agw_ctx_free(c[2]);
    agw_media_free(m);
}

TEST(config_table)
{
    static const char *good = "media = { w3_address = \"127.0.20.1\"; rtp_address = \"::1\";\n"
                              "  port_min = 40000; port_max = 40999; workers = 2; io = \"epoll\";\n"
                              "  srtp_profiles = [\"SRTP_AES128_CM_HMAC_SHA1_32\"];\n"
                              "  answer_setup = \"passive\"; no_media_timeout = 5; };\n";
    config_t cfg;
    config_init(&cfg); /* rt_cfg_load_string reads into an initialised config_t */
    GString *errors = g_string_new(NULL);
    CHECK(rt_cfg_load_string(&cfg, good, "agw.conf", agw_media_cfg_keys, errors));
    agw_media_cfg_check(&cfg, "media", errors);
    CHECK_STR(errors->str, "");
    agw_media_config_t mc;
    agw_media_config_from_cfg(&cfg, "media", &mc);
    CHECK_STR(mc.rtp_address, "::1");
    CHECK_INT(mc.port_min, 40000);
    CHECK_INT(mc.workers, 2);
    CHECK_INT(mc.io, AGW_IO_EPOLL);
    CHECK_INT(mc.srtp_profiles, AGW_SRTP_MASK(AGW_SRTP_AES128_CM_SHA1_32));
    CHECK_INT(mc.answer_setup, AGW_SETUP_PASSIVE);
    CHECK_INT(mc.no_media_timeout_ms, 5000);
    CHECK_INT(mc.consent_timeout_ms, 30000);
    config_destroy(&cfg);

    static const char *bad = "media = { w3_address = \"agw.lab\"; port_min = 30000;\n"
                             "  port_max = 20000; certificate = \"/x.pem\";\n"
                             "  srtp_profiles = [\"SRTP_AEAD_AES_128_GCM\", \"BOGUS\"]; };\n";
    g_string_truncate(errors, 0);
    config_init(&cfg);
    if (rt_cfg_load_string(&cfg, bad, "agw.conf", agw_media_cfg_keys, errors)) {
        agw_media_cfg_check(&cfg, "media", errors);
        config_destroy(&cfg);
    }
    CHECK(strstr(errors->str, "port_max < port_min") != NULL);
    CHECK(strstr(errors->str, "agw.lab: not a numeric") != NULL);
    CHECK(strstr(errors->str, "certificate and private_key go together") != NULL);
    CHECK(strstr(errors->str, "not negotiable") != NULL);
    CHECK(strstr(errors->str, "BOGUS: unknown SRTP protection profile") != NULL);
    CHECK(strstr(errors->str, ":3: SRTP_AEAD_AES_128_GCM") != NULL); /* file:line: reason */
    g_string_truncate(errors, 0);
    config_init(&cfg);
    CHECK(!rt_cfg_load_string(&cfg, "media = { io = \"poll\"; };\n", "agw.conf", agw_media_cfg_keys,
                              errors));
    CHECK(strstr(errors->str, "poll") != NULL); /* io: one of auto|io_uring|epoll */
    config_destroy(&cfg);
    g_string_free(errors, TRUE);
}

/* AUTO picks io_uring where the kernel has it (Linux >= 6.1, not disabled); forcing io_uring
 * where it is missing is an error, never a silent fallback. */
TEST(io_path_selection)
{
    agw_media_config_t cfg = {.w3_address = "127.0.20.3",
                              .rtp_address = "127.0.20.3",
                              .port_min = 31310,
                              .port_max = 31319,
                              .workers = 1,
                              .io = AGW_IO_AUTO};
    agw_media_t *m = agw_media_new(&cfg, NULL);
    CHECK(m != NULL);
    if (!m) return;
    bool have = strcmp(agw_media_io_name(m), "io_uring") == 0;
    agw_media_free(m);
    cfg.io = AGW_IO_URING;
    GError *err = NULL;
    m = agw_media_new(&cfg, &err);
    CHECK(have ? m != NULL : (m == NULL && err && strstr(err->message, "io_uring")));
    if (m) CHECK_STR(agw_media_io_name(m), "io_uring");
    agw_media_free(m);
    g_clear_error(&err);
    cfg.io = AGW_IO_EPOLL;
    m = agw_media_new(&cfg, NULL);
    CHECK(m != NULL);
    if (m) CHECK_STR(agw_media_io_name(m), "epoll");
    agw_media_free(m);
    agw_io_t v;
    CHECK(agw_media_io_parse("io_uring", &v) && v == AGW_IO_URING);
    CHECK(!agw_media_io_parse("uring", &v));
    if (!have) fprintf(stderr, "  (io_uring not available here: only the epoll path is tested)\n");
}

static bool uring_available(void)
{
    agw_media_config_t cfg = {.w3_address = "127.0.20.3",
                              .rtp_address = "127.0.20.3",
                              .port_min = 31310,
                              .port_max = 31319,
                              .workers = 1,
                              .io = AGW_IO_URING};
    agw_media_t *m = agw_media_new(&cfg, NULL);
    bool ok = m != NULL;
    agw_media_free(m);
    return ok;
}

int main(void)
{
    rt_log_set_all_levels(LOG_ERR);
    RUN(lifecycle_and_fingerprint);
    RUN(configure_hops);
    RUN(io_path_selection);
    bool uring = uring_available();
    for (int pass = 0; pass < (uring ? 2 : 1); pass++) {
        io_path = pass ? AGW_IO_URING : AGW_IO_EPOLL;
        io_expected = pass ? "io_uring" : "epoll";
        fprintf(stderr, "  I/O path: %s\n", io_expected);
        RUN(relay_agw_answers_active);
        RUN(relay_agw_answers_passive);
        RUN(relay_aes_cm_32);
        RUN(argument_errors);
        RUN(port_exhaustion_and_reuse);
    }
    RUN(config_table);
    UNIT_END("eims-agw/media");
}
