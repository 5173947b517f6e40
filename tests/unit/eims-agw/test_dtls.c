/* Unit tests of the DTLS-SRTP pieces: certificate fingerprints (SDP syntax, computation, loading
 * from PEM), an in-memory DTLS handshake between two agw_dtls endpoints in both roles with each
 * SRTP profile, fingerprint mismatch, a lost ClientHello retransmitted on the owner's timer, and
 * SRTP/SRTCP protect/unprotect including AEAD_AES_128_GCM with keys given directly. */
#include <glib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "eims-agw/cert.h"
#include "eims-agw/dtls.h"
#include "eims-agw/srtp_ctx.h"
#include "unit.h"

static agw_cert_t *cert_a, *cert_b;

TEST(fingerprint_syntax)
{
    agw_fingerprint_t fp, fp2;
    const char *hex = "D2:CD:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:"
                      "60:71:82:93:A4:B5:C6:B1";
    CHECK(agw_fingerprint_parse("sha-256", hex, &fp));
    CHECK_INT(fp.alg, GNUTLS_DIG_SHA256);
    CHECK_INT(fp.len, 32);
    char out[200];
    CHECK_STR(agw_fingerprint_hex(&fp, out, sizeof out), hex);
    /* case-insensitive algorithm and digits (RFC 8122 §5 says uppercase; be liberal) */
    gchar *lower = g_ascii_strdown(hex, -1);
    CHECK(agw_fingerprint_parse("SHA-256", lower, &fp2));
    CHECK(agw_fingerprint_equal(&fp, &fp2));
    g_free(lower);
    char attr[256];
    snprintf(attr, sizeof attr, "sha-256 %s\r\n", hex);
    CHECK(agw_fingerprint_parse_attr(attr, &fp2));
    CHECK(agw_fingerprint_equal(&fp, &fp2));
    /* malformed */
    CHECK(!agw_fingerprint_parse("sha-256", "D2:CD", &fp2));    /* too short */
    CHECK(!agw_fingerprint_parse("md5", hex, &fp2));            /* unknown hash */
    CHECK(!agw_fingerprint_parse("sha-1", hex, &fp2));          /* length mismatch */
    CHECK(!agw_fingerprint_parse("sha-256", "D2CD0A1B", &fp2)); /* no colons */
    CHECK(!agw_fingerprint_parse("sha-256", "D2:CD:", &fp2));   /* trailing colon */
    CHECK(!agw_fingerprint_parse("sha-256", "G2:CD", &fp2));
    CHECK(!agw_fingerprint_parse_attr("sha-256", &fp2));
    /* one byte differs */
    fp2 = fp;
    fp2.md[31] ^= 1;
    CHECK(!agw_fingerprint_equal(&fp, &fp2));
    fp2 = fp;
    fp2.alg = GNUTLS_DIG_SHA384;
    CHECK(!agw_fingerprint_equal(&fp, &fp2));
}

TEST(generated_certificate)
{
    /* The fingerprint we put in SDP is SHA-256 over the DER certificate GnuTLS presents. */
    const char *fp = agw_cert_fingerprint(cert_a);
    CHECK_INT(strlen(fp), 32 * 3 - 1);
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    CHECK(gnutls_certificate_get_x509_crt(agw_cert_credentials(cert_a), 0, &list, &n) >= 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        uint8_t md[32];
        size_t ml = sizeof md;
        CHECK(gnutls_x509_crt_get_fingerprint(list[0], GNUTLS_DIG_SHA256, md, &ml) >= 0);
        CHECK_MEM(md, agw_cert_fingerprint_raw(cert_a)->md, 32);
        /* ECDSA P-256 */
        unsigned bits = 0;
        CHECK_INT(gnutls_x509_crt_get_pk_algorithm(list[0], &bits), GNUTLS_PK_ECDSA);
        CHECK_INT(bits, 256);
        gnutls_x509_crt_deinit(list[0]);
        gnutls_free(list);
    }
    CHECK(strcmp(agw_cert_fingerprint(cert_a), agw_cert_fingerprint(cert_b)) != 0);
    agw_fingerprint_t f1;
    CHECK(agw_cert_fingerprint_alg(cert_a, GNUTLS_DIG_SHA1, &f1));
    CHECK_INT(f1.len, 20);
}

TEST(certificate_from_pem_files)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_init(&key);
    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    gnutls_x509_crt_init(&crt);
    gnutls_x509_crt_set_version(crt, 3);
    uint8_t serial[4] = {1, 2, 3, 4};
    gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    gnutls_x509_crt_set_activation_time(crt, time(NULL) - 100);
    gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 3600);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "lab", 3);
    gnutls_x509_crt_set_key(crt, key);
    CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) >= 0);
    gnutls_datum_t cpem, kpem;
    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem);
    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem);
    gchar *dir = g_dir_make_tmp("agw-cert-XXXXXX", NULL);
    gchar *cf = g_build_filename(dir, "cert.pem", NULL),
          *kf = g_build_filename(dir, "key.pem", NULL);
    g_file_set_contents(cf, (const char *)cpem.data, cpem.size, NULL);
    g_file_set_contents(kf, (const char *)kpem.data, kpem.size, NULL);
    GError *err = NULL;
    agw_cert_t *c = agw_cert_load(cf, kf, &err);
    CHECK(c != NULL);
    if (c) {
        uint8_t md[32];
        size_t ml = sizeof md;
        gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &ml);
        CHECK_MEM(md, agw_cert_fingerprint_raw(c)->md, 32);
        agw_cert_free(c);
    }
    /* a missing file is an error, not a crash */
    CHECK(agw_cert_load("/nonexistent/c.pem", "/nonexistent/k.pem", &err) == NULL);
    CHECK(err != NULL);
    g_clear_error(&err);
    g_unlink(cf);
    g_unlink(kf);
    g_rmdir(dir);
    g_free(cf);
    g_free(kf);
    g_free(dir);
    gnutls_free(cpem.data);
    gnutls_free(kpem.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

/* ---- in-memory DTLS between two endpoints --------------------------------------------------- */

typedef struct {
    GQueue q;      /* GBytes datagrams waiting for this endpoint */
    int drop_next; /* drop this many datagrams sent toward this endpoint */
    unsigned received;
} pipe_end;

static void send_to(void *ud, const uint8_t *buf, size_t len)
{
    pipe_end *to = ud;
    if (to->drop_next > 0) {
        to->drop_next--;
        return;
    }
    g_queue_push_tail(&to->q, g_bytes_new(buf, len));
}

static void drain(pipe_end *p)
{
    GBytes *b;
    while ((b = g_queue_pop_head(&p->q)))
        g_bytes_unref(b);
}

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static int64_t wait_until(int64_t t)
{
    int64_t n = now_ms();
    if (t > n) g_usleep((gulong)(t - n) * 1000);
    return now_ms();
}

/* Delivers datagrams both ways and fires timers on a simulated clock until both sides settle. */
static void pump(agw_dtls_t *c, pipe_end *to_c, agw_dtls_t *s, pipe_end *to_s, int64_t *now)
{
    for (int round = 0; round < 200; round++) {
        bool moved = false;
        GBytes *b;
        while ((b = g_queue_pop_head(&to_s->q))) {
            gsize n;
            const uint8_t *d = g_bytes_get_data(b, &n);
            agw_dtls_input(s, d, n, *now);
            to_s->received++;
            g_bytes_unref(b);
            moved = true;
        }
        while ((b = g_queue_pop_head(&to_c->q))) {
            gsize n;
            const uint8_t *d = g_bytes_get_data(b, &n);
            agw_dtls_input(c, d, n, *now);
            to_c->received++;
            g_bytes_unref(b);
            moved = true;
        }
        bool settled =
            agw_dtls_state(c) != AGW_DTLS_HANDSHAKING && agw_dtls_state(s) != AGW_DTLS_HANDSHAKING;
        if (settled && g_queue_is_empty(&to_c->q) && g_queue_is_empty(&to_s->q)) return;
        if (!moved) {
            /* nothing in flight: wait for the next retransmission (GnuTLS keeps its own clock, so
             * the wait is real) */
            int64_t dc = agw_dtls_deadline(c), ds = agw_dtls_deadline(s), next = -1;
            if (dc >= 0) next = dc;
            if (ds >= 0 && (next < 0 || ds < next)) next = ds;
            if (next < 0) return;
            *now = wait_until(next);
            agw_dtls_timer(c, *now);
            agw_dtls_timer(s, *now);
        }
    }
}

static agw_dtls_t *endpoint(agw_cert_t *mine, agw_cert_t *peer, bool client, unsigned profiles,
                            pipe_end *out)
{
    agw_dtls_params_t p = {.cred = agw_cert_credentials(mine),
                           .client = client,
                           .profiles = profiles,
                           .send = send_to,
                           .ud = out,
                           .timeout_ms = 8000};
    p.remote_fp = *agw_cert_fingerprint_raw(peer);
    const char *err = NULL;
    agw_dtls_t *d = agw_dtls_new(&p, &err);
    if (!d) fprintf(stderr, "  agw_dtls_new: %s\n", err);
    return d;
}

static void srtp_round_trip(const agw_srtp_keys_t *ka, const agw_srtp_keys_t *kb)
{
    agw_srtp_t a, b;
    const char *err = NULL;
    CHECK(agw_srtp_init(&a, ka, &err));
    CHECK(agw_srtp_init(&b, kb, &err));
    uint8_t pkt[256 + AGW_SRTP_OVERHEAD], orig[256];
    for (int i = 0; i < 172; i++)
        orig[i] = (uint8_t)i;
    orig[0] = 0x80;
    orig[1] = 0;
    memcpy(pkt, orig, 172);
    int len = 172;
    CHECK_INT(agw_srtp_protect(&a, pkt, &len, false), 0);
    CHECK(len > 172);
    CHECK(memcmp(pkt + 12, orig + 12, 160) != 0); /* payload encrypted */
    CHECK_INT(agw_srtp_unprotect(&b, pkt, &len, false), 0);
    CHECK_INT(len, 172);
    CHECK_MEM(pkt, orig, 172);
    /* RTCP the other way: an RR */
    uint8_t rr[64 + AGW_SRTP_OVERHEAD] = {0x81, 201, 0, 7, 0, 0, 0, 1, 1, 2, 3, 4};
    int rl = 32;
    CHECK_INT(agw_srtp_protect(&b, rr, &rl, true), 0);
    CHECK_INT(agw_srtp_unprotect(&a, rr, &rl, true), 0);
    CHECK_INT(rl, 32);
    CHECK_INT(rr[1], 201);
    agw_srtp_clear(&a);
    agw_srtp_clear(&b);
}

static void handshake_case(bool agw_is_client, agw_srtp_profile_t want, unsigned client_mask)
{
    pipe_end to_c = {G_QUEUE_INIT, 0, 0}, to_s = {G_QUEUE_INIT, 0, 0};
    int64_t now = now_ms();
    agw_dtls_t *c = endpoint(agw_is_client ? cert_a : cert_b, agw_is_client ? cert_b : cert_a, true,
                             client_mask, &to_s);
    agw_dtls_t *s = endpoint(agw_is_client ? cert_b : cert_a, agw_is_client ? cert_a : cert_b,
                             false, AGW_SRTP_MASK_ALL, &to_c);
    CHECK(c && s);
    if (!c || !s) return;
    agw_dtls_start(s, now); /* no-op for the server */
    CHECK(g_queue_is_empty(&to_c.q));
    agw_dtls_start(c, now);
    CHECK(!g_queue_is_empty(&to_s.q));
    CHECK(agw_dtls_is_client_hello(g_bytes_get_data(g_queue_peek_head(&to_s.q), NULL),
                                   g_bytes_get_size(g_queue_peek_head(&to_s.q))));
    pump(c, &to_c, s, &to_s, &now);
    CHECK_INT(agw_dtls_state(c), AGW_DTLS_CONNECTED);
    CHECK_INT(agw_dtls_state(s), AGW_DTLS_CONNECTED);
    agw_srtp_keys_t kc, ks;
    CHECK(agw_dtls_srtp_keys(c, &kc));
    CHECK(agw_dtls_srtp_keys(s, &ks));
    CHECK_INT(kc.profile, want);
    CHECK_INT(ks.profile, want);
    const agw_srtp_profile_info_t *pi = agw_srtp_profile_info(want);
    CHECK_MEM(kc.tx_key, ks.rx_key, pi->key_len + pi->salt_len);
    CHECK_MEM(kc.rx_key, ks.tx_key, pi->key_len + pi->salt_len);
    CHECK(memcmp(kc.tx_key, kc.rx_key, pi->key_len) != 0);
    srtp_round_trip(&kc, &ks);
    drain(&to_c);
    drain(&to_s);
    agw_dtls_free(c);
    agw_dtls_free(s);
}

TEST(handshake_agw_client_aes_cm_80)
{
    handshake_case(true, AGW_SRTP_AES128_CM_SHA1_80, AGW_SRTP_MASK_ALL);
}
TEST(handshake_agw_server_aes_cm_80)
{
    handshake_case(false, AGW_SRTP_AES128_CM_SHA1_80, AGW_SRTP_MASK_ALL);
}
TEST(handshake_aes_cm_32)
{
    handshake_case(true, AGW_SRTP_AES128_CM_SHA1_32, AGW_SRTP_MASK(AGW_SRTP_AES128_CM_SHA1_32));
    handshake_case(false, AGW_SRTP_AES128_CM_SHA1_32, AGW_SRTP_MASK(AGW_SRTP_AES128_CM_SHA1_32));
}

static void mismatch_case(bool client_has_wrong_fp)
{
    pipe_end to_c = {G_QUEUE_INIT, 0, 0}, to_s = {G_QUEUE_INIT, 0, 0};
    int64_t now = now_ms(), start = now;
    agw_dtls_params_t p = {.cred = agw_cert_credentials(cert_a),
                           .client = true,
                           .profiles = AGW_SRTP_MASK_ALL,
                           .send = send_to,
                           .ud = &to_s};
    p.remote_fp = *agw_cert_fingerprint_raw(cert_b);
    if (client_has_wrong_fp) p.remote_fp.md[0] ^= 0x80;
    const char *err;
    agw_dtls_t *c = agw_dtls_new(&p, &err);
    agw_dtls_params_t q = {.cred = agw_cert_credentials(cert_b),
                           .client = false,
                           .profiles = AGW_SRTP_MASK_ALL,
                           .send = send_to,
                           .ud = &to_c};
    q.remote_fp = *agw_cert_fingerprint_raw(cert_a);
    if (!client_has_wrong_fp) q.remote_fp.md[5] ^= 0x01;
    agw_dtls_t *s = agw_dtls_new(&q, &err);
    agw_dtls_start(c, now);
    pump(c, &to_c, s, &to_s, &now);
    agw_dtls_t *wrong = client_has_wrong_fp ? c : s, *other = client_has_wrong_fp ? s : c;
    CHECK_INT(agw_dtls_state(wrong), AGW_DTLS_FAILED);
    CHECK_STR(agw_dtls_reason(wrong), "certificate fingerprint mismatch");
    /* the bad_certificate alert makes the other side fail at once, not after its timeout */
    CHECK_INT(agw_dtls_state(other), AGW_DTLS_FAILED);
    CHECK(strstr(agw_dtls_reason(other), "alert received") != NULL);
    CHECK(now_ms() - start < 900);
    agw_srtp_keys_t k;
    CHECK(!agw_dtls_srtp_keys(wrong, &k)); /* no keys for an unverified peer */
    drain(&to_c);
    drain(&to_s);
    agw_dtls_free(c);
    agw_dtls_free(s);
}

TEST(fingerprint_mismatch_fails_handshake)
{
    mismatch_case(true);  /* the AGW as client checks the server's certificate */
    mismatch_case(false); /* the AGW as server checks the client's certificate */
}

TEST(lost_client_hello_retransmitted)
{
    pipe_end to_c = {G_QUEUE_INIT, 0, 0}, to_s = {G_QUEUE_INIT, 1, 0}; /* first CH lost */
    int64_t now = now_ms();
    agw_dtls_t *c = endpoint(cert_a, cert_b, true, AGW_SRTP_MASK_ALL, &to_s);
    agw_dtls_t *s = endpoint(cert_b, cert_a, false, AGW_SRTP_MASK_ALL, &to_c);
    agw_dtls_start(c, now);
    CHECK(g_queue_is_empty(&to_s.q));
    int64_t dl = agw_dtls_deadline(c);
    CHECK(dl > now && dl <= now + 1000);
    agw_dtls_timer(c, dl - 1); /* not yet */
    CHECK(g_queue_is_empty(&to_s.q));
    pump(c, &to_c, s, &to_s, &now);
    CHECK(now >= dl);
    CHECK_INT(agw_dtls_state(c), AGW_DTLS_CONNECTED);
    CHECK_INT(agw_dtls_state(s), AGW_DTLS_CONNECTED);
    drain(&to_c);
    drain(&to_s);
    agw_dtls_free(c);
    agw_dtls_free(s);
}

TEST(handshake_timeout)
{
    pipe_end to_s = {G_QUEUE_INIT, 1000, 0}; /* the peer never hears us */
    agw_dtls_params_t p = {.cred = agw_cert_credentials(cert_a),
                           .client = true,
                           .profiles = AGW_SRTP_MASK_ALL,
                           .send = send_to,
                           .ud = &to_s,
                           .timeout_ms = 1500};
    p.remote_fp = *agw_cert_fingerprint_raw(cert_b);
    const char *err;
    agw_dtls_t *c = agw_dtls_new(&p, &err);
    int64_t start = now_ms(), now = start;
    agw_dtls_start(c, now);
    for (int i = 0; i < 20 && agw_dtls_state(c) == AGW_DTLS_HANDSHAKING; i++) {
        now = wait_until(agw_dtls_deadline(c));
        agw_dtls_timer(c, now);
    }
    CHECK_INT(agw_dtls_state(c), AGW_DTLS_FAILED);
    CHECK_STR(agw_dtls_reason(c), "handshake timeout");
    CHECK(now - start >= 1500 && now - start < 1600); /* at the limit, not the next resend */
    CHECK(to_s.drop_next < 1000);                     /* it did retransmit */
    CHECK(agw_dtls_unanswered(c));                    /* nothing ever came back */
    agw_dtls_free(c);
}

static agw_dtls_t *client_with(unsigned timeout_ms, bool from_answer, pipe_end *out)
{
    agw_dtls_params_t p = {.cred = agw_cert_credentials(cert_a),
                           .client = true,
                           .profiles = AGW_SRTP_MASK_ALL,
                           .send = send_to,
                           .ud = out,
                           .timeout_ms = timeout_ms,
                           .limit_from_answer = from_answer};
    p.remote_fp = *agw_cert_fingerprint_raw(cert_b);
    const char *err;
    return agw_dtls_new(&p, &err);
}

/* keeps only the newest datagram, like a W3 termination holding the latest early ClientHello */
static void keep_latest(pipe_end *p)
{
    while (g_queue_get_length(&p->q) > 1)
        g_bytes_unref(g_queue_pop_head(&p->q));
}

TEST(restarted_client_completes_with_the_latest_held_hello)
{
    /* the peer is not ready: the first association times out unanswered, a second one (new
     * ClientHello, new random) is made; the peer, once ready, answers the latest ClientHello */
    pipe_end to_c = {G_QUEUE_INIT, 0, 0}, to_s = {G_QUEUE_INIT, 0, 0};
    int64_t now = now_ms();
    agw_dtls_t *c1 = client_with(1000, true, &to_s);
    agw_dtls_start(c1, now);
    for (int i = 0; i < 10 && agw_dtls_state(c1) == AGW_DTLS_HANDSHAKING; i++)
        agw_dtls_timer(c1, now = wait_until(agw_dtls_deadline(c1)));
    CHECK_INT(agw_dtls_state(c1), AGW_DTLS_FAILED);
    CHECK(agw_dtls_unanswered(c1));
    keep_latest(&to_s);
    GBytes *old = g_queue_peek_head(&to_s.q);
    CHECK(old != NULL &&
          agw_dtls_is_client_hello(g_bytes_get_data(old, NULL), g_bytes_get_size(old)));
    agw_dtls_t *c2 = client_with(1000, true, &to_s);
    agw_dtls_start(c2, now);
    keep_latest(&to_s);
    GBytes *hello = g_queue_peek_head(&to_s.q);
    CHECK(hello != NULL && !g_bytes_equal(hello, old)); /* a new ClientHello */
    agw_dtls_t *s = endpoint(cert_b, cert_a, false, AGW_SRTP_MASK_ALL, &to_c);
    pump(c2, &to_c, s, &to_s, &now);
    CHECK_INT(agw_dtls_state(c2), AGW_DTLS_CONNECTED);
    CHECK_INT(agw_dtls_state(s), AGW_DTLS_CONNECTED);
    CHECK(!agw_dtls_unanswered(c2));
    drain(&to_c);
    drain(&to_s);
    agw_dtls_free(c1);
    agw_dtls_free(c2);
    agw_dtls_free(s);
}

/* The peer answers 700 ms into a 1200 ms limit and the first datagram of our next flight is
 * lost, so the handshake needs one retransmission (1 s) and ends ~1700 ms after the start. */
static void late_answer_case(bool from_answer)
{
    pipe_end to_c = {G_QUEUE_INIT, 0, 0}, to_s = {G_QUEUE_INIT, 0, 0};
    int64_t now = now_ms(), start = now;
    agw_dtls_t *c = client_with(1200, from_answer, &to_s);
    agw_dtls_start(c, now);
    to_s.drop_next = 1;
    now = wait_until(start + 700);
    agw_dtls_t *s = endpoint(cert_b, cert_a, false, AGW_SRTP_MASK_ALL, &to_c);
    pump(c, &to_c, s, &to_s, &now);
    if (from_answer) {
        CHECK_INT(agw_dtls_state(c), AGW_DTLS_CONNECTED); /* limit counted from 700 ms */
        CHECK_INT(agw_dtls_state(s), AGW_DTLS_CONNECTED);
        CHECK(now - start > 1200);
    } else {
        CHECK_INT(agw_dtls_state(c), AGW_DTLS_FAILED); /* limit counted from the start */
        CHECK_STR(agw_dtls_reason(c), "handshake timeout");
        CHECK(!agw_dtls_unanswered(c)); /* the peer had answered: a real failure */
    }
    drain(&to_c);
    drain(&to_s);
    agw_dtls_free(c);
    agw_dtls_free(s);
}

TEST(limit_from_the_first_answer)
{
    late_answer_case(true);
    late_answer_case(false);
}

TEST(gcm_not_negotiable_with_this_gnutls)
{
    agw_dtls_params_t p = {.cred = agw_cert_credentials(cert_a),
                           .client = true,
                           .profiles = AGW_SRTP_MASK(AGW_SRTP_AEAD_AES_128_GCM)};
    p.remote_fp = *agw_cert_fingerprint_raw(cert_b);
    const char *err = NULL;
    CHECK(agw_dtls_new(&p, &err) == NULL);
    CHECK(err != NULL);
    CHECK(!agw_srtp_profile_info(AGW_SRTP_AEAD_AES_128_GCM)->dtls_negotiable);
    CHECK_INT(agw_srtp_profile_by_name("SRTP_AES128_CM_HMAC_SHA1_80")->iana, 1);
    CHECK_INT(agw_srtp_profile_by_iana(7)->id, AGW_SRTP_AEAD_AES_128_GCM);
}

static void random_keys(agw_srtp_profile_t prof, agw_srtp_keys_t *a, agw_srtp_keys_t *b)
{
    memset(a, 0, sizeof *a);
    a->profile = prof;
    gnutls_rnd(GNUTLS_RND_NONCE, a->tx_key, sizeof a->tx_key);
    gnutls_rnd(GNUTLS_RND_NONCE, a->rx_key, sizeof a->rx_key);
    b->profile = prof;
    memcpy(b->tx_key, a->rx_key, sizeof b->tx_key);
    memcpy(b->rx_key, a->tx_key, sizeof b->rx_key);
}

TEST(srtp_profiles_direct_keys)
{
    for (unsigned p = 0; p < AGW_SRTP_PROFILE_COUNT; p++) {
        agw_srtp_keys_t a, b;
        random_keys(p, &a, &b);
        srtp_round_trip(&a, &b);
    }
    /* tag lengths on the wire: 10 (AES-CM _80), 4 (_32), 16 (GCM) */
    static const int tag[] = {10, 4, 16};
    for (unsigned p = 0; p < AGW_SRTP_PROFILE_COUNT; p++) {
        agw_srtp_keys_t a, b;
        random_keys(p, &a, &b);
        agw_srtp_t sa;
        const char *err;
        CHECK(agw_srtp_init(&sa, &a, &err));
        uint8_t pkt[64 + AGW_SRTP_OVERHEAD] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9};
        int len = 32;
        CHECK_INT(agw_srtp_protect(&sa, pkt, &len, false), 0);
        CHECK_INT(len, 32 + tag[p]);
        agw_srtp_clear(&sa);
    }
}

TEST(srtp_forgery_and_replay_refused)
{
    agw_srtp_keys_t a, b;
    random_keys(AGW_SRTP_AES128_CM_SHA1_80, &a, &b);
    agw_srtp_t sa, sb;
    const char *err;
    agw_srtp_init(&sa, &a, &err);
    agw_srtp_init(&sb, &b, &err);
    uint8_t pkt[200 + AGW_SRTP_OVERHEAD] = {0x80, 0, 0, 5, 0, 0, 3, 0, 0xca, 0xfe, 0, 1};
    int len = 172;
    agw_srtp_protect(&sa, pkt, &len, false);
    uint8_t copy[sizeof pkt];
    memcpy(copy, pkt, sizeof pkt);
    int l2 = len;
    pkt[40] ^= 1; /* tampered payload */
    CHECK(agw_srtp_unprotect(&sb, pkt, &l2, false) == srtp_err_status_auth_fail);
    l2 = len;
    CHECK_INT(agw_srtp_unprotect(&sb, copy, &l2, false), 0);
    memcpy(copy, pkt, sizeof pkt);
    copy[40] ^= 1; /* restore the original bytes, now a replay */
    l2 = len;
    CHECK(agw_srtp_unprotect(&sb, copy, &l2, false) == srtp_err_status_replay_fail);
    /* random bytes shaped like RTP */
    uint8_t junk[172 + AGW_SRTP_OVERHEAD];
    gnutls_rnd(GNUTLS_RND_NONCE, junk, sizeof junk);
    junk[0] = 0x80;
    junk[1] = 0;
    l2 = 172;
    CHECK(agw_srtp_unprotect(&sb, junk, &l2, false) != 0);
    agw_srtp_clear(&sa);
    agw_srtp_clear(&sb);
}

int main(void)
{
    GError *err = NULL;
    cert_a = agw_cert_generate("eims-agw", 30, &err);
    cert_b = agw_cert_generate("browser", 30, &err);
    if (!cert_a || !cert_b) {
        fprintf(stderr, "certificate generation: %s\n", err ? err->message : "?");
        return 1;
    }
    agw_dtls_setup_credentials(agw_cert_credentials(cert_a));
    agw_dtls_setup_credentials(agw_cert_credentials(cert_b));
    agw_srtp_global_init();
    RUN(fingerprint_syntax);
    RUN(generated_certificate);
    RUN(certificate_from_pem_files);
    RUN(handshake_agw_client_aes_cm_80);
    RUN(handshake_agw_server_aes_cm_80);
    RUN(handshake_aes_cm_32);
    RUN(fingerprint_mismatch_fails_handshake);
    RUN(lost_client_hello_retransmitted);
    RUN(handshake_timeout);
    RUN(restarted_client_completes_with_the_latest_held_hello);
    RUN(limit_from_the_first_answer);
    RUN(gcm_not_negotiable_with_this_gnutls);
    RUN(srtp_profiles_direct_keys);
    RUN(srtp_forgery_and_replay_refused);
    agw_cert_free(cert_a);
    agw_cert_free(cert_b);
    UNIT_END("eims-agw/dtls");
}
