/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * Drives the pcscf's media-anchoring module (pcscf/anchor.h) without the SIP core, for the
 * component tests (tests/component/test_pcscf_iq*.py): starts the Iq MGC endpoint, waits for an
 * AGW to register, runs one call and prints what the SIP core would forward, in blocks:
 *   REGISTERED <mid>
 *   STEP <step> <status> <sip code> [retry-after]
 *   --- SDP TOWARD IMS --- ... --- END ---      (and TOWARD WIC)
 *   EVENT AGW_LOST <cid> <detail> | EVENT MEDIA <cid> <event> <side>
 *   RELEASED <status> <access sent> <access received> <core sent> <core received>
 *   DONE
 * Scenarios: "originating" (default), "terminating", "wait-event" (originating, then waits for an
 * AGW event: restart, silence, Notify). Exit status 0 when every step went as the scenario
 * expects, 1 otherwise. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcscf/anchor.h"
#include "runtime/log.h"

static const char *DEFAULT_IMS_ANSWER = "v=0\r\n"
                                        "o=phone 1000 1 IN IP4 127.0.22.20\r\n"
                                        "s=-\r\n"
                                        "c=IN IP4 127.0.22.20\r\n"
                                        "t=0 0\r\n"
                                        "m=audio 30000 RTP/AVP 0 126\r\n"
                                        "a=rtpmap:0 PCMU/8000\r\n"
                                        "a=rtpmap:126 telephone-event/8000\r\n"
                                        "a=fmtp:126 0-15\r\n"
                                        "a=ptime:20\r\n"
                                        "a=sendrecv\r\n";

static const char *DEFAULT_IMS_OFFER = "v=0\r\n"
                                       "o=phone 2000 1 IN IP4 127.0.22.20\r\n"
                                       "s=-\r\n"
                                       "c=IN IP4 127.0.22.20\r\n"
                                       "t=0 0\r\n"
                                       "m=audio 30002 RTP/AVP 8 0 101\r\n"
                                       "a=rtpmap:8 PCMA/8000\r\n"
                                       "a=rtpmap:0 PCMU/8000\r\n"
                                       "a=rtpmap:101 telephone-event/8000\r\n"
                                       "a=ptime:20\r\n";

typedef struct {
    pcscf_iq_t *iq;
    GMainLoop *loop;
    const char *scenario;
    char *offer, *answer;
    anchor_t *a;
    bool ok;
    bool event_seen, started;
    guint timer;
} drive_t;

static void finish(drive_t *d, bool ok);

static void print_sdp(const char *title, const char *sdp)
{
    printf("--- SDP TOWARD %s ---\n", title);
    for (const char *p = sdp; *p; p++)
        if (*p != '\r') putchar(*p);
    if (sdp[0] && sdp[strlen(sdp) - 1] != '\n') putchar('\n');
    printf("--- END ---\n");
    fflush(stdout);
}

static void print_step(drive_t *d, const char *step, anchor_status st)
{
    unsigned ra = 0;
    int code = anchor_sip_status(d->iq, st, &ra);
    printf("STEP %s %s %d", step, st == ANCHOR_OK ? "ok" : anchor_strerror(st), code);
    if (ra) printf(" %u", ra);
    printf("\n");
    fflush(stdout);
}

static void drained(void *ud)
{
    drive_t *d = ud;
    g_main_loop_quit(d->loop);
}

static void on_released(anchor_t *a, anchor_status st, const anchor_stats_t *s, void *ud)
{
    drive_t *d = ud;
    printf("RELEASED %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
           " %" G_GINT64_FORMAT "\n",
           st == ANCHOR_OK ? "ok" : anchor_strerror(st), s->access_sent, s->access_received,
           s->core_sent, s->core_received);
    fflush(stdout);
    finish(d, st == ANCHOR_OK);
}

static void release(drive_t *d)
{
    if (anchor_release(d->a, on_released, d) != ANCHOR_OK) finish(d, false);
}

static void finish(drive_t *d, bool ok)
{
    d->ok = ok;
    if (d->timer) g_source_remove(d->timer);
    d->timer = 0;
    anchor_free(d->a);
    d->a = NULL;
    printf("DONE %s\n", ok ? "ok" : "failed");
    fflush(stdout);
    pcscf_iq_drain(d->iq, 3000, drained, d);
}

static void on_event(anchor_t *a, const anchor_event_t *ev, void *ud)
{
    drive_t *d = ud;
    if (ev->type == ANCHOR_EV_AGW_LOST)
        printf("EVENT AGW_LOST %s %s\n", anchor_cid(a), ev->detail ? ev->detail : "");
    else
        printf("EVENT MEDIA %s %s %s\n", anchor_cid(a), ev->event, ev->side);
    fflush(stdout);
    d->event_seen = true;
    if (g_strcmp0(d->scenario, "wait-event") == 0) {
        if (ev->type == ANCHOR_EV_AGW_LOST)
            finish(d, true); /* the SIP core would BYE both sides; nothing to release */
        else
            release(d);
    }
}

static gboolean on_timeout(gpointer ud)
{
    drive_t *d = ud;
    d->timer = 0;
    printf("TIMEOUT\n");
    finish(d, false);
    return G_SOURCE_REMOVE;
}

static void on_answer_done(anchor_t *a, anchor_status st, const char *sdp, const char *detail,
                           void *ud)
{
    drive_t *d = ud;
    bool orig = g_strcmp0(d->scenario, "terminating") != 0;
    print_step(d, orig ? "answer_from_ims" : "answer_from_wic", st);
    if (st != ANCHOR_OK) {
        printf("DETAIL %s\n", detail ? detail : "");
        finish(d, false);
        return;
    }
    print_sdp(orig ? "WIC" : "IMS", sdp);
    if (g_strcmp0(d->scenario, "wait-event") == 0) {
        printf("WAITING\n");
        fflush(stdout);
        return;
    }
    release(d);
}

static void on_offer_done(anchor_t *a, anchor_status st, const char *sdp, const char *detail,
                          void *ud)
{
    drive_t *d = ud;
    bool orig = g_strcmp0(d->scenario, "terminating") != 0;
    print_step(d, orig ? "offer_from_wic" : "offer_from_ims", st);
    if (st != ANCHOR_OK) {
        printf("DETAIL %s\n", detail ? detail : "");
        finish(d, false);
        return;
    }
    printf("CONTEXT %u %s\n", anchor_context_id(a), anchor_agw_mid(a));
    print_sdp(orig ? "IMS" : "WIC", sdp);
    anchor_status s2 = orig ? anchor_answer_from_ims(a, d->answer, on_answer_done, d)
                            : anchor_answer_from_wic(a, d->answer, on_answer_done, d);
    if (s2 != ANCHOR_OK) {
        print_step(d, orig ? "answer_from_ims" : "answer_from_wic", s2);
        finish(d, false);
    }
}

static void start_call(drive_t *d)
{
    bool orig = g_strcmp0(d->scenario, "terminating") != 0;
    d->a = anchor_new(d->iq, "c0ffee0000000001", on_event, d);
    anchor_status st = orig ? anchor_offer_from_wic(d->a, d->offer, on_offer_done, d)
                            : anchor_offer_from_ims(d->a, d->offer, on_offer_done, d);
    if (st != ANCHOR_OK) {
        print_step(d, orig ? "offer_from_wic" : "offer_from_ims", st);
        finish(d, false);
    }
}

static void on_agw(pcscf_iq_t *iq, const pcscf_agw_info_t *info, void *ud)
{
    drive_t *d = ud;
    const char *st = info->state == PCSCF_AGW_IN_SERVICE ? "in_service"
                     : info->state == PCSCF_AGW_DRAINING ? "draining"
                                                         : "down";
    printf("AGW %s %s load %u\n", info->mid, st, info->load);
    fflush(stdout);
    if (!d->started && info->state == PCSCF_AGW_IN_SERVICE) {
        d->started = true;
        printf("REGISTERED %s\n", info->mid);
        fflush(stdout);
        start_call(d);
    }
}

static char *slurp(const char *path)
{
    char *txt = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &txt, NULL, &err)) {
        fprintf(stderr, "anchor_drive: %s\n", err->message);
        g_error_free(err);
        exit(2);
    }
    return txt;
}

int main(int argc, char **argv)
{
    const char *address = "127.0.22.2", *offer = NULL, *answer = NULL, *log_level = "warning";
    const char *scenario = "originating";
    unsigned port = 2944, timeout_ms = 2000, audit_ms = 0, wait_ms = 10000;
    static const struct option opts[] = {{"address", required_argument, NULL, 'a'},
                                         {"port", required_argument, NULL, 'p'},
                                         {"offer", required_argument, NULL, 'o'},
                                         {"answer", required_argument, NULL, 'r'},
                                         {"scenario", required_argument, NULL, 's'},
                                         {"request-timeout", required_argument, NULL, 't'},
                                         {"audit", required_argument, NULL, 'k'},
                                         {"wait", required_argument, NULL, 'w'},
                                         {"log", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            address = optarg;
            break;
        case 'p':
            port = (unsigned)atoi(optarg);
            break;
        case 'o':
            offer = optarg;
            break;
        case 'r':
            answer = optarg;
            break;
        case 's':
            scenario = optarg;
            break;
        case 't':
            timeout_ms = (unsigned)atoi(optarg);
            break;
        case 'k':
            audit_ms = (unsigned)atoi(optarg);
            break;
        case 'w':
            wait_ms = (unsigned)atoi(optarg);
            break;
        case 'l':
            log_level = optarg;
            break;
        default:
            fprintf(stderr, "usage: anchor_drive [--address A] [--port P] [--offer FILE] "
                            "[--answer FILE] [--scenario originating|terminating|wait-event] "
                            "[--request-timeout MS] [--audit MS] [--wait MS] [--log LEVEL]\n");
            return 2;
        }
    }
    rt_log_open("anchor_drive", true, NULL);
    rt_log_set_all_levels(rt_log_level_from_name(log_level) >= 0 ? rt_log_level_from_name(log_level)
                                                                 : LOG_WARNING);
    bool orig = strcmp(scenario, "terminating") != 0;
    drive_t d = {.scenario = scenario, .ok = false};
    if (orig && !offer) {
        fprintf(stderr, "anchor_drive: --offer FILE (the WIC's offer) is required\n");
        return 2;
    }
    d.offer = offer ? slurp(offer) : g_strdup(DEFAULT_IMS_OFFER);
    d.answer = answer ? slurp(answer) : NULL;
    if (!d.answer) {
        if (orig) {
            d.answer = g_strdup(DEFAULT_IMS_ANSWER);
        } else {
            fprintf(stderr, "anchor_drive: --answer FILE (the WIC's answer) is required\n");
            return 2;
        }
    }
    pcscf_iq_cfg_t cfg = {.address = address,
                          .port = port,
                          .profile = "threegiq/1",
                          .request_timeout_ms = timeout_ms,
                          .retry_first_ms = 100,
                          .audit_interval_ms = audit_ms,
                          .max_timeouts = 2,
                          .cid_property = "wtpf/cid",
                          .retry_after_s = 5};
    GError *err = NULL;
    d.iq = pcscf_iq_new(&cfg, &err);
    if (!d.iq) {
        fprintf(stderr, "anchor_drive: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    pcscf_iq_set_agw_cb(d.iq, on_agw, &d);
    printf("LISTENING %s:%u\n", address, pcscf_iq_port(d.iq));
    fflush(stdout);
    d.loop = g_main_loop_new(NULL, FALSE);
    d.timer = g_timeout_add(wait_ms, on_timeout, &d);
    g_main_loop_run(d.loop);
    pcscf_iq_free(d.iq);
    g_main_loop_unref(d.loop);
    g_free(d.offer);
    g_free(d.answer);
    rt_log_close();
    return d.ok ? 0 : 1;
}
