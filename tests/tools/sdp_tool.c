/* sdp_tool: runs the pcscf's SDP rewrites (common/sip/sdp_rewrite.h) from the command line, so
 * that tests (e.g. a browser test feeding the answer to Chromium) and humans can see the result.
 * Reads one SDP on stdin; other SDPs come from files. Prints the result on stdout. */
#include "sip/sdp_rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    fputs("usage: sdp_tool [--opus] [--version-add N] MODE ARGS < SDP\n"
          "  classify                         print what the SDP is\n"
          "  to-ims PORT ADDR                 WebRTC offer -> RTP/AVP offer\n"
          "  to-ims-answer PORT ADDR IMSOFFER WebRTC answer -> RTP/AVP answer to IMSOFFER\n"
          "  to-wic AGWLOCAL WICOFFER         IMS answer -> WebRTC answer to WICOFFER\n"
          "  to-wic-offer AGWLOCAL            IMS offer -> WebRTC offer\n"
          "  iq-w3-local | iq-rtp-local       Iq Local templates ($) from the SDP\n"
          "  iq-w3-remote | iq-rtp-remote     Iq Remote descriptors from the SDP\n",
          stderr);
}

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return NULL;
            }
            b = nb;
        }
    }
    if (b) {
        *len = n;
        b[n < cap ? n : cap - 1] = '\0';
    }
    return b;
}

static char *slurp_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    char *b = slurp(f, len);
    fclose(f);
    return b;
}

static void print_info(const sdpx_info *in)
{
    static const char *kinds[] = {"none", "rtp", "webrtc", "other"};
    printf("kind: %s\nm-lines: %zu (audio at %d)\n", kinds[in->kind], in->n_mlines, in->audio);
    if (in->audio < 0) return;
    printf("proto: %s\naddr: %s\nport: %u\ndirection: %s\n", in->proto, in->addr ? in->addr : "-",
           in->port, sdpx_dir_name(in->dir));
    for (size_t i = 0; i < in->n_codecs; i++)
        printf("codec: %u %s/%u/%u%s%s\n", in->codecs[i].pt, in->codecs[i].name, in->codecs[i].rate,
               in->codecs[i].channels, in->codecs[i].fmtp ? " fmtp " : "",
               in->codecs[i].fmtp ? in->codecs[i].fmtp : "");
    printf("ice: %s %s%s\n", in->ice_ufrag ? in->ice_ufrag : "-", in->ice_pwd ? in->ice_pwd : "-",
           in->ice_lite ? " lite" : "");
    printf("candidates: %zu%s\n", in->n_cands, in->end_of_candidates ? " (end)" : "");
    printf("fingerprint: %s %s\nsetup: %s\nrtcp-mux: %s\nmid: %s\nbundle: %s\n",
           in->fp_hash ? in->fp_hash : "-", in->fp_value ? in->fp_value : "-",
           sdpx_setup_name(in->setup) ? sdpx_setup_name(in->setup) : "-",
           in->rtcp_mux ? "yes" : "no", in->mid ? in->mid : "-", in->bundle ? in->bundle : "-");
}

int main(int argc, char **argv)
{
    sdpx_codec_filter filter = {0};
    unsigned vadd = 0;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--opus"))
            filter.allow_opus = true;
        else if (!strcmp(argv[i], "--version-add") && i + 1 < argc)
            vadd = (unsigned)strtoul(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (i >= argc) {
        usage();
        return 2;
    }
    const char *mode = argv[i++];
    int nargs = argc - i;
    char **a = argv + i;
    size_t len = 0, l2 = 0, l3 = 0;
    char *in = slurp(stdin, &len), *f2 = NULL, *f3 = NULL, *out = NULL;
    if (!in) return 1;
    sdpx_status st = SDPX_E_INVAL;
    sdpx_ims_params ip = {.filter = filter, .o_version_add = vadd};
    sdpx_wic_params wp = {.filter = filter, .o_version_add = vadd};
    sdpx_iq_params qp = {.filter = filter};

    if (!strcmp(mode, "classify") && nargs == 0) {
        sdpx_info info;
        st = sdpx_classify(in, len, 0, &info);
        if (st == SDPX_OK) print_info(&info);
        sdpx_info_clear(&info);
    } else if (!strcmp(mode, "to-ims") && nargs == 2) {
        ip.port = (unsigned)strtoul(a[0], NULL, 10);
        ip.addr = a[1];
        st = sdpx_to_ims_offer(in, len, &ip, &out);
    } else if (!strcmp(mode, "to-ims-answer") && nargs == 3 && (f2 = slurp_path(a[2], &l2))) {
        ip.port = (unsigned)strtoul(a[0], NULL, 10);
        ip.addr = a[1];
        st = sdpx_to_ims_answer(in, len, f2, l2, &ip, &out);
    } else if (!strcmp(mode, "to-wic") && nargs == 2 && (f2 = slurp_path(a[0], &l2)) &&
               (f3 = slurp_path(a[1], &l3))) {
        st = sdpx_to_wic_answer(in, len, f2, l2, f3, l3, &wp, &out);
    } else if (!strcmp(mode, "to-wic-offer") && nargs == 1 && (f2 = slurp_path(a[0], &l2))) {
        st = sdpx_to_wic_offer(in, len, f2, l2, &wp, &out);
    } else if (!strcmp(mode, "iq-w3-local") && nargs == 0) {
        st = sdpx_iq_w3_local(in, len, &qp, &out);
    } else if (!strcmp(mode, "iq-rtp-local") && nargs == 0) {
        st = sdpx_iq_rtp_local(in, len, &qp, &out);
    } else if (!strcmp(mode, "iq-w3-remote") && nargs == 0) {
        st = sdpx_iq_w3_remote(in, len, NULL, &out);
    } else if (!strcmp(mode, "iq-rtp-remote") && nargs == 0) {
        st = sdpx_iq_rtp_remote(in, len, NULL, &out);
    } else {
        usage();
        free(in);
        free(f2);
        free(f3);
        return 2;
    }
    if (out) fputs(out, stdout);
    if (st != SDPX_OK) fprintf(stderr, "sdp_tool: %s: %s\n", mode, sdpx_strerror(st));
    free(out);
    free(in);
    free(f2);
    free(f3);
    return st == SDPX_OK ? 0 : 1;
}
