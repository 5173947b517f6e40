/* libsrtp2's own cost per 172-byte RTP packet (160-byte G.711 payload), on one core, through the
 * engine's SRTP wrapper: protect and unprotect for each profile of the table. The media benchmark
 * adds this to the plain-relay baseline to get its target. Prints one JSON object.
 *   agw_srtp_cost [--packets N] */
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

int main(int argc, char **argv)
{
    unsigned n = 200000;
    if (argc == 3 && strcmp(argv[1], "--packets") == 0) n = (unsigned)atoi(argv[2]);
    if (!agw_srtp_global_init()) return 1;
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
