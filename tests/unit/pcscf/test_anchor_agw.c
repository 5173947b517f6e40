/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * The MGC's AGW registry against fake AGWs on loopback: ServiceChange registration and its
 * reply, restart and Forced (calls lose their media), Graceful (no new calls), least-loaded
 * choice, keep-alive audits and down/back detection, Notify dispatch, the "iq" config group. */
#include "pcscf/anchor.h"
#include "pcscf/iq_mgc.h"
#include "test_anchor_mg.h"
#include "unit.h"

typedef struct {
    int calls;
    anchor_status st;
} res_t;

static void on_sdp(anchor_t *a, anchor_status st, const char *sdp, const char *detail, void *ud)
{
    res_t *r = ud;
    r->calls++;
    r->st = st;
}

typedef struct {
    int lost, media;
    char event[64], side[16], detail[64];
    bool free_it;
} ev_res_t;

static void on_event(anchor_t *a, const anchor_event_t *ev, void *ud)
{
    ev_res_t *r = ud;
    if (ev->type == ANCHOR_EV_AGW_LOST) r->lost++;
    if (ev->type == ANCHOR_EV_MEDIA) {
        r->media++;
        g_strlcpy(r->event, ev->event, sizeof r->event);
        g_strlcpy(r->side, ev->side, sizeof r->side);
        g_strlcpy(r->detail, ev->detail ? ev->detail : "", sizeof r->detail);
    }
    if (r->free_it) anchor_free(a); /* the SIP core ends the call from the callback */
}

typedef struct {
    int n;
    pcscf_agw_state last;
} agw_res_t;

static void on_agw(pcscf_iq_t *iq, const pcscf_agw_info_t *info, void *ud)
{
    agw_res_t *r = ud;
    r->n++;
    r->last = info->state;
}

static pcscf_iq_t *mgc_new(unsigned timeout_ms, unsigned audit_ms)
{
    pcscf_iq_cfg_t c = {.address = "127.0.0.1",
                        .profile = "lab_iq/1",
                        .request_timeout_ms = timeout_ms,
                        .retry_first_ms = 50,
                        .audit_interval_ms = audit_ms,
                        .max_timeouts = 2,
                        .cid_property = "wtpf/cid"};
    return pcscf_iq_new(&c, NULL);
}

/* One anchored call up to the Add reply. */
static anchor_t *call(pcscf_iq_t *iq, const char *cid, ev_res_t *ev)
{
    char *offer = read_testdata("chromium-156-audio-offer.sdp");
    anchor_t *a = anchor_new(iq, cid, on_event, ev);
    res_t r = {0};
    if (anchor_offer_from_wic(a, offer, on_sdp, &r) == ANCHOR_OK) WAIT_FOR(r.calls, 2000);
    g_free(offer);
    return a;
}

TEST(registration_reply)
{
    pcscf_iq_t *iq = mgc_new(1000, 0);
    agw_res_t ar = {0};
    pcscf_iq_set_agw_cb(iq, on_agw, &ar);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    CHECK(mg_register(mg));
    /* H.248.1 §7.2.8 / SPECS.md §4.5 (2) */
    CHECK(mg->sc_reply && strstr(mg->sc_reply, "Reply = "));
    CHECK(mg->sc_reply && strstr(mg->sc_reply, "Context = -"));
    CHECK(mg->sc_reply && strstr(mg->sc_reply, "ServiceChange = ROOT"));
    CHECK(mg->sc_reply && strstr(mg->sc_reply, "Version = 3"));
    CHECK(mg->sc_reply && strstr(mg->sc_reply, "Profile = lab_iq/1"));
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    CHECK_INT(ar.n, 1);
    CHECK_INT(ar.last, PCSCF_AGW_IN_SERVICE);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(unregistered_requests_refused)
{
    pcscf_iq_t *iq = mgc_new(1000, 0);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    mg_notify(mg, 17, "ip/access/17", "hangterm/thb");
    WAIT_FOR(mg->notify_replies, 2000);
    CHECK(mg->notify_reply && strstr(mg->notify_reply, "Error = 402"));
    mg_free(mg);
    pcscf_iq_free(iq);
}

/* A cold/warm boot ServiceChange from a known AGW: its calls have lost their media. */
TEST(restart_ends_calls)
{
    pcscf_iq_t *iq = mgc_new(2000, 0);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    ev_res_t e1 = {0}, e2 = {0};
    anchor_t *a1 = call(iq, "rs-1", &e1);
    anchor_t *a2 = call(iq, "rs-2", &e2);
    e2.free_it = true;
    CHECK_INT(anchor_context_id(a1), 17);
    CHECK_INT(anchor_context_id(a2), 18);
    mg_service_change(mg, H248_SCM_RESTART, "902 Warm Boot");
    WAIT_FOR(e1.lost && e2.lost, 2000);
    CHECK_INT(e1.lost, 1);
    CHECK_INT(e2.lost, 1);
    CHECK_INT(anchor_context_id(a1), 0);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1); /* back at once: it registered again */
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(a1, "v=0", on_sdp, &r), ANCHOR_E_AGW_LOST);
    anchor_free(a1); /* no Subtract for a context the AGW forgot */
    mg_wait_ms(30);
    CHECK_INT(mg_count(mg, "Subtract"), 0);
    /* a re-registration without a boot reason (e.g. 900 Service Restored) keeps calls */
    ev_res_t e3 = {0};
    anchor_t *a3 = call(iq, "rs-3", &e3);
    mg_service_change(mg, H248_SCM_DISCONNECTED, "900 Service Restored");
    mg_wait_ms(50);
    CHECK_INT(e3.lost, 0);
    CHECK(anchor_context_id(a3) != 0);
    anchor_free(a3);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(forced_and_graceful)
{
    pcscf_iq_t *iq = mgc_new(2000, 0);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    ev_res_t e1 = {0};
    anchor_t *a1 = call(iq, "gr-1", &e1);
    mg_service_change(mg, H248_SCM_GRACEFUL, "905 Termination taken out of service");
    WAIT_FOR(pcscf_iq_agws_in_service(iq) == 0, 2000);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    CHECK_INT(e1.lost, 0); /* existing calls stay */
    char *offer = read_testdata("chromium-156-audio-offer.sdp");
    anchor_t *b = anchor_new(iq, "gr-2", NULL, NULL);
    res_t r = {0};
    CHECK_INT(anchor_offer_from_wic(b, offer, on_sdp, &r), ANCHOR_E_NO_AGW);
    anchor_free(b);
    mg_service_change(mg, H248_SCM_FORCED, "905 Termination taken out of service");
    WAIT_FOR(e1.lost, 2000);
    CHECK_INT(e1.lost, 1);
    anchor_free(a1);
    g_free(offer);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(least_loaded)
{
    pcscf_iq_t *iq = mgc_new(2000, 0);
    fake_mg *m1 = mg_new(pcscf_iq_port(iq)), *m2 = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(m1));
    CHECK(mg_register(m2));
    CHECK_INT(pcscf_iq_agws_in_service(iq), 2);
    ev_res_t e = {0};
    anchor_t *a[4];
    for (int i = 0; i < 4; i++) {
        char cid[16];
        g_snprintf(cid, sizeof cid, "ll-%d", i);
        a[i] = call(iq, cid, &e);
    }
    CHECK_INT(mg_count(m1, "Add = $"), 2);
    CHECK_INT(mg_count(m2, "Add = $"), 2);
    CHECK(g_strcmp0(anchor_agw_mid(a[0]), anchor_agw_mid(a[1])) != 0);
    /* free both calls of one AGW: the next two calls go there */
    const char *mid0 = h248_tp_mid(m1->tp);
    for (int i = 0; i < 4; i++)
        if (g_strcmp0(anchor_agw_mid(a[i]), mid0) == 0) {
            anchor_free(a[i]);
            a[i] = NULL;
        }
    WAIT_FOR(mg_count(m1, "Subtract") == 2, 2000);
    anchor_t *b1 = call(iq, "ll-b1", &e), *b2 = call(iq, "ll-b2", &e);
    CHECK_STR(anchor_agw_mid(b1), mid0);
    CHECK_STR(anchor_agw_mid(b2), mid0);
    for (int i = 0; i < 4; i++)
        anchor_free(a[i]);
    anchor_free(b1);
    anchor_free(b2);
    WAIT_FOR(mg_count(m1, "Subtract") == 4 && mg_count(m2, "Subtract") == 2, 2000);
    mg_free(m1);
    mg_free(m2);
    pcscf_iq_free(iq);
}

/* 29.334 Table 5.12.3: MGC-driven keep-alive; silence takes the AGW down, an answer brings it
 * back and the contexts given up meanwhile are subtracted. */
TEST(keepalive)
{
    pcscf_iq_t *iq = mgc_new(250, 60);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    WAIT_FOR(mg_count(mg, "AuditValue = ROOT") >= 2, 2000);
    CHECK(mg_count(mg, "AuditValue = ROOT") >= 2);
    CHECK(strstr(mg_last(mg), "Context = -"));
    ev_res_t e = {0};
    anchor_t *a = call(iq, "ka-1", &e);
    CHECK_INT(anchor_context_id(a), 17);
    mg->on_audit = MG_SILENT;
    WAIT_FOR(e.lost, 3000);
    CHECK_INT(e.lost, 1);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    anchor_free(a);
    mg->on_audit = MG_OK;
    WAIT_FOR(pcscf_iq_agws_in_service(iq) == 1, 3000);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    WAIT_FOR(mg_count(mg, "Context = 17 { Subtract = * }") == 1, 2000);
    CHECK_INT(mg_count(mg, "Context = 17 { Subtract = * }"), 1);
    /* silent again without any call: still probed, and back when it answers */
    mg->on_audit = MG_SILENT;
    WAIT_FOR(pcscf_iq_agws_in_service(iq) == 0, 3000);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    mg->on_audit = MG_OK;
    WAIT_FOR(pcscf_iq_agws_in_service(iq) == 1, 3000);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    /* Forced: not probed back, only its ServiceChange brings it back */
    mg_service_change(mg, H248_SCM_FORCED, "905 Termination taken out of service");
    WAIT_FOR(pcscf_iq_agws_in_service(iq) == 0, 2000);
    int audits = mg_count(mg, "AuditValue");
    mg_wait_ms(300);
    CHECK_INT(mg_count(mg, "AuditValue"), audits);
    CHECK_INT(pcscf_iq_agws_in_service(iq), 0);
    CHECK(mg_register(mg));
    CHECK_INT(pcscf_iq_agws_in_service(iq), 1);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(notify_reaches_the_call)
{
    pcscf_iq_t *iq = mgc_new(2000, 0);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    ev_res_t e = {0};
    anchor_t *a = call(iq, "nt-1", &e);
    CHECK_INT(anchor_context_id(a), 17);
    mg_notify(mg, 17, "ip/access/17", "hangterm/thb");
    WAIT_FOR(e.media, 2000);
    CHECK_INT(e.media, 1);
    CHECK_STR(e.event, "hangterm/thb");
    CHECK_STR(e.side, "access");
    WAIT_FOR(mg->notify_replies, 2000);
    CHECK(mg->notify_reply && strstr(mg->notify_reply, "Context = 17"));
    CHECK(mg->notify_reply && strstr(mg->notify_reply, "Notify = ip/access/17"));
    CHECK(mg->notify_reply && !strstr(mg->notify_reply, "Error"));
    /* unknown context: 411 */
    mg_notify(mg, 99, "ip/access/99", "hangterm/thb");
    WAIT_FOR(mg->notify_replies == 2, 2000);
    CHECK(mg->notify_reply && strstr(mg->notify_reply, "Error = 411"));
    CHECK_INT(e.media, 1);
    /* the SIP core ends the call from the event */
    e.free_it = true;
    mg_notify(mg, 17, "ip/core/17", "nomedia/x");
    WAIT_FOR(e.media == 2, 2000);
    CHECK_STR(e.side, "core");
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(events_armed)
{
    const char *events[] = {"hangterm/thb", "ice/consent", NULL};
    pcscf_iq_cfg_t c = {.address = "127.0.0.1", .profile = "lab_iq/1", .events = events};
    pcscf_iq_t *iq = pcscf_iq_new(&c, NULL);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    ev_res_t e = {0};
    anchor_t *a = call(iq, "ev-1", &e);
    const char *add = mg_last(mg);
    CHECK(add && strstr(add, "Events = 1 {"));
    CHECK(add && strstr(add, "hangterm/thb"));
    CHECK(add && strstr(add, "ice/consent"));
    CHECK(add && !strstr(add, "wtpf/cid")); /* cid_property not configured */
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    mg_free(mg);
    pcscf_iq_free(iq);
}

static void drained(void *ud)
{
    (*(int *)ud)++;
}

TEST(drain_waits_for_subtracts)
{
    pcscf_iq_t *iq = mgc_new(2000, 0);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    ev_res_t e = {0};
    anchor_t *a = call(iq, "dr-1", &e);
    anchor_free(a);
    int done = 0;
    pcscf_iq_drain(iq, 2000, drained, &done);
    CHECK_INT(done, 0);
    WAIT_FOR(done, 2000);
    CHECK_INT(done, 1);
    CHECK_INT(mg_count(mg, "Subtract"), 1);
    mg_free(mg);
    pcscf_iq_free(iq);
}

TEST(metrics)
{
    rt_metrics_t *m = rt_metrics_new("pcscf_");
    pcscf_iq_cfg_t c = {.address = "127.0.0.1", .profile = "threegiq/1", .metrics = m};
    pcscf_iq_t *iq = pcscf_iq_new(&c, NULL);
    fake_mg *mg = mg_new(pcscf_iq_port(iq));
    CHECK(mg_register(mg));
    CHECK_INT(rt_metrics_get(m, "iq_agws", "state=\"in_service\""), 1);
    ev_res_t e = {0};
    anchor_t *a = call(iq, "mt-1", &e);
    CHECK_INT(rt_metrics_get(m, "anchor_steps_total", "step=\"offer_from_wic\",result=\"ok\""), 1);
    CHECK_INT(rt_metrics_get(m, "anchor_contexts", NULL), 1);
    CHECK_INT(rt_metrics_get(m, "iq_agw_events_total", "event=\"registered\""), 1);
    anchor_free(a);
    WAIT_FOR(mg_count(mg, "Subtract") == 1, 2000);
    CHECK_INT(rt_metrics_get(m, "anchor_contexts", NULL), 0);
    CHECK_INT(rt_metrics_get(m, "anchor_steps_total", "step=\"release\",result=\"ok\""), 1);
    GString *txt = rt_metrics_render(m);
    CHECK(strstr(txt->str, "pcscf_iq_agws{state=\"down\"} 0"));
    g_string_free(txt, TRUE);
    mg_free(mg);
    pcscf_iq_free(iq);
    rt_metrics_free(m);
}

TEST(config_group)
{
    const rt_cfg_key_t keys[] = {{"iq", RT_CFG_GROUP, NULL, 0, 0, "Iq", pcscf_iq_keys, 0, NULL},
                                 {NULL}};
    config_t cfg;
    config_init(&cfg);
    GString *err = g_string_new(NULL);
    CHECK(rt_cfg_load_string(&cfg,
                             "iq = { address = \"127.0.22.2\"; port = 2944; audit_interval = 5000;"
                             " events = [\"hangterm/thb\"]; answer_setup = \"passive\"; };",
                             "t.conf", keys, err));
    pcscf_iq_cfg_t c;
    pcscf_iq_cfg_read(&c, &cfg, "iq");
    CHECK_STR(c.address, "127.0.22.2");
    CHECK_INT(c.port, 2944);
    CHECK_STR(c.profile, "threegiq/1");
    CHECK_INT(c.audit_interval_ms, 5000);
    CHECK_INT(c.request_timeout_ms, 4000);
    CHECK_STR(c.cid_property, "wtpf/cid");
    CHECK(c.answer_passive);
    CHECK(c.events && c.events[0] && !strcmp(c.events[0], "hangterm/thb") && !c.events[1]);
    CHECK(c.mid == NULL);
    pcscf_iq_check_config(&cfg, "iq", err);
    CHECK_INT(err->len, 0);
    config_destroy(&cfg);

    config_init(&cfg);
    g_string_truncate(err, 0);
    CHECK(rt_cfg_load_string(&cfg, "iq = { address = \"agw.lab\"; profile = \"9x\"; };", "t.conf",
                             keys, err));
    pcscf_iq_check_config(&cfg, "iq", err);
    CHECK(strstr(err->str, "iq.address must be an IP address"));
    CHECK(strstr(err->str, "iq.profile must be NAME/1..99"));
    config_destroy(&cfg);
    config_init(&cfg);
    g_string_truncate(err, 0);
    CHECK(!rt_cfg_load_string(&cfg, "iq = { answer_setup = \"actpass\"; };", "t.conf", keys, err));
    config_destroy(&cfg);
    g_string_free(err, TRUE);
}

int main(void)
{
    rt_log_set_all_levels(g_getenv("ANCHOR_TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
    RUN(registration_reply);
    RUN(unregistered_requests_refused);
    RUN(restart_ends_calls);
    RUN(forced_and_graceful);
    RUN(least_loaded);
    RUN(keepalive);
    RUN(notify_reaches_the_call);
    RUN(events_armed);
    RUN(drain_waits_for_subtracts);
    RUN(metrics);
    RUN(config_group);
    UNIT_END("pcscf/anchor_agw");
}
