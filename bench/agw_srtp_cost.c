/* libsrtp2's own cost per 172-byte RTP packet (160-byte G.711 payload), on one core, through the
 * engine's SRTP wrapper: protect and unprotect for each profile of the table. The media benchmark
 * adds this to the plain-relay baseline to get its target. Prints one JSON object.
 *   agw_srtp_cost [--packets N]
 * With --sessions N: AES_CM_128_HMAC_SHA1_80 only, N live sessions in the process as in an
 * engine with N W3 terminations (one outbound and one inbound libsrtp2 session each, one SSRC
 * each way), packets interleaved over the sessions as the relay sees them: measures how the
 * cost grows with the number of live sessions (Debian's libsrtp2 does its crypto in NSS).
 *   agw_srtp_cost --sessions N [--rounds R] */
#include <glib.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eims-agw/srtp_ctx.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void keys(agw_srtp_keys_t *a, agw_srtp_keys_t *b, unsigned profile)
{
    memset(a, 0, sizeof *a);
    a->profile = profile;
    gnutls_rnd(GNUTLS_RND_NONCE, a->tx_key, sizeof a->tx_key);
    gnutls_rnd(GNUTLS_RND_NONCE, a->rx_key, sizeof a->rx_key);
    *b = *a;
    memcpy(b->rx_key, a->tx_key, sizeof b->rx_key);
    memcpy(b->tx_key, a->rx_key, sizeof b->tx_key);
}

static void rtp(uint8_t *x, unsigned seq, uint32_t ssrc)
{
    memset(x, 0x5a, 172);
    x[0] = 0x80;
    x[1] = 0;
    x[2] = (uint8_t)(seq >> 8);
    x[3] = (uint8_t)seq;
    x[4] = (uint8_t)(seq >> 24);
    x[5] = (uint8_t)(seq >> 16);
    x[8] = (uint8_t)(ssrc >> 24);
    x[9] = (uint8_t)(ssrc >> 16);
    x[10] = (uint8_t)(ssrc >> 8);
    x[11] = (uint8_t)ssrc;
}

#define PKTCAP (172 + AGW_SRTP_OVERHEAD + 160)

static int many_sessions(unsigned n, unsigned rounds)
{
    agw_srtp_t *eng = calloc(n, sizeof *eng);
    uint8_t(*in)[PKTCAP] = malloc((size_t)n * rounds * PKTCAP);
    int *inlen = malloc((size_t)n * rounds * sizeof *inlen);
    const char *err;
    /* the far end's packets are made first, with its sessions freed before timing, so only the
     * engine side's N sessions are alive while we measure */
    for (unsigned i = 0; i < n; i++) {
        agw_srtp_keys_t a, b;
        agw_srtp_t far;
        keys(&a, &b, AGW_SRTP_AES128_CM_SHA1_80);
        if (!agw_srtp_init(&eng[i], &a, &err) || !agw_srtp_init(&far, &b, &err)) return 1;
        for (unsigned r = 0; r < rounds; r++) {
            size_t k = (size_t)i * rounds + r;
            rtp(in[k], r, 0x20000000u | i);
            inlen[k] = 172;
            agw_srtp_protect(&far, in[k], &inlen[k], false);
        }
        agw_srtp_clear(&far);
    }
    uint8_t out[PKTCAP];
    double tp = 0, tu = 0;
    unsigned ok = 0;
    /* one round = one packet each way per session, in session order (timed per round: reading
     * the CPU clock costs a system call) */
    for (unsigned r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (unsigned i = 0; i < n; i++) {
            size_t k = (size_t)i * rounds + r;
            ok += agw_srtp_unprotect(&eng[i], in[k], &inlen[k], false) == 0;
        }
        double t1 = now_ns();
        for (unsigned i = 0; i < n; i++) {
            rtp(out, r, 0x10000000u | i);
            int l = 172;
            agw_srtp_protect(&eng[i], out, &l, false);
        }
        tp += now_ns() - t1;
        tu += t1 - t0;
    }
    double pk = (double)n * rounds;
    printf("{\"sessions\":%u,\"rounds\":%u,\"profile\":\"SRTP_AES128_CM_HMAC_SHA1_80\","
           "\"protect_us\":%.3f,\"unprotect_us\":%.3f,\"ok\":%u}\n",
           n, rounds, tp / pk / 1000, tu / pk / 1000, ok);
    for (unsigned i = 0; i < n; i++)
        agw_srtp_clear(&eng[i]);
    free(eng);
    free(in);
    free(inlen);
    return ok == n * rounds ? 0 : 1;
}

int main(int argc, char **argv)
{
    unsigned n = 200000, sessions = 0, rounds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--packets") == 0) n = (unsigned)atoi(argv[i + 1]);
        if (strcmp(argv[i], "--sessions") == 0) sessions = (unsigned)atoi(argv[i + 1]);
        if (strcmp(argv[i], "--rounds") == 0) rounds = (unsigned)atoi(argv[i + 1]);
    }
    if (!agw_srtp_global_init()) return 1;
    if (sessions) return many_sessions(sessions, rounds ? rounds : 1 + 200000 / sessions);
    printf("{\"packets\":%u", n);
    uint8_t(*pkts)[172 + AGW_SRTP_OVERHEAD + 160] = malloc((size_t)n * sizeof *pkts);
    int *lens = malloc(n * sizeof *lens);
    for (unsigned p = 0; p < AGW_SRTP_PROFILE_COUNT; p++) {
        agw_srtp_keys_t a, b;
        memset(&a, 0, sizeof a);
        a.profile = p;
        gnutls_rnd(GNUTLS_RND_NONCE, a.tx_key, sizeof a.tx_key);
        gnutls_rnd(GNUTLS_RND_NONCE, a.rx_key, sizeof a.rx_key);
        b = a;
        memcpy(b.rx_key, a.tx_key, sizeof b.rx_key);
        memcpy(b.tx_key, a.rx_key, sizeof b.tx_key);
        agw_srtp_t sa, sb;
        const char *err;
        if (!agw_srtp_init(&sa, &a, &err) || !agw_srtp_init(&sb, &b, &err)) return 1;
        for (unsigned i = 0; i < n; i++) {
            uint8_t *x = pkts[i];
            memset(x, 0x5a, 172);
            x[0] = 0x80;
            x[1] = 0;
            x[2] = (uint8_t)(i >> 8);
            x[3] = (uint8_t)i;
            x[4] = (uint8_t)(i >> 24);
            x[5] = (uint8_t)(i >> 16);
            x[8] = 0x12;
            x[11] = 0x34;
            lens[i] = 172;
        }
        /* sequence numbers wrap every 65536 packets: keep the ROC estimate happy by sending in
         * order, which is what we do */
        double t0 = now_ns();
        for (unsigned i = 0; i < n; i++)
            agw_srtp_protect(&sa, pkts[i], &lens[i], false);
        double t1 = now_ns();
        unsigned ok = 0;
        for (unsigned i = 0; i < n; i++)
            ok += agw_srtp_unprotect(&sb, pkts[i], &lens[i], false) == 0;
        double t2 = now_ns();
        printf(",\"%s\":{\"protect_us\":%.3f,\"unprotect_us\":%.3f,\"ok\":%u}",
               agw_srtp_profile_info(p)->name, (t1 - t0) / n / 1000, (t2 - t1) / n / 1000, ok);
        agw_srtp_clear(&sa);
        agw_srtp_clear(&sb);
    }
    printf("}\n");
    free(pkts);
    free(lens);
    return 0;
}
