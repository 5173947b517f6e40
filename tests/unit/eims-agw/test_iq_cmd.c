/* Iq command semantics on the MG against a fake media plane: the SPECS.md §4.5 call (Add W3 +
 * RTP with "$" templates, Modify, AuditValue, Subtract with statistics), the error codes of the
 * profile, events and Notify. Requests are H.248 text as an MGC sends it; replies are checked as
 * printed on the wire and parsed back. */
#include <glib.h>

#include "eims-agw/iq_cmd.h"
#include "h248/codec.h"
#include "runtime/log.h"
#include "unit.h"

#define MID "[127.0.2.1]:2944"
#define FP                                                                                         \
    "4A:1F:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:"   \
    "CC:9C"

/* ---- fake media plane ---- */
typedef struct {
    unsigned ports_left;
    unsigned next_port;
    int terms, ctxs, joins, unjoins;
    iq_term_conf last; /* strings not kept */
    bool last_has_remote;
    unsigned fail_configure; /* error code to return once */
    bool init_had_remote;
    size_t init_codecs;
    bool last_remote_changed;
} fake_t;

typedef struct {
    iq_term_kind kind;
    unsigned port;
} fake_term;

static void *f_ctx_new(void *be, uint32_t id, const char *cid)
{
    fake_t *f = be;
    f->ctxs++;
    return g_strdup(cid);
}
static void f_ctx_free(void *be, void *ctx)
{
    fake_t *f = be;
    f->ctxs--;
    g_free(ctx);
}
static void *f_term_new(void *be, void *ctx, iq_term_kind kind, const iq_term_init *init, void *ud,
                        iq_transport *out, unsigned *code, const char **reason)
{
    fake_t *f = be;
    f->init_had_remote = init->remote != NULL;
    f->init_codecs = init->template ? init->template->n_codecs : 0;
    if (!f->ports_left) {
        *code = 510;
        *reason = "no free port in 20000-29999";
        return NULL;
    }
    f->ports_left--;
    fake_term *t = g_new0(fake_term, 1);
    t->kind = kind;
    t->port = f->next_port;
    f->next_port += 2;
    g_strlcpy(out->addr, kind == IQ_TERM_W3 ? "127.0.2.1" : "127.0.2.2", sizeof out->addr);
    out->port = t->port;
    out->rtcp_port = kind == IQ_TERM_W3 ? t->port : t->port + 1;
    if (kind == IQ_TERM_W3) {
        g_strlcpy(out->ice_ufrag, "aG7k", sizeof out->ice_ufrag);
        g_strlcpy(out->ice_pwd, "q8Lw2n0YvB1sT6cE4hJ9rU3k", sizeof out->ice_pwd);
    }
    f->terms++;
    return t;
}
static bool f_fp(void *be, const char *alg, char *out, size_t cap)
{
    if (g_ascii_strcasecmp(alg, "sha-256")) return false;
    g_strlcpy(out, FP, cap);
    return true;
}
static unsigned f_conf(void *be, void *term, const iq_term_conf *c, const char **reason)
{
    fake_t *f = be;
    if (f->fail_configure) {
        unsigned code = f->fail_configure;
        f->fail_configure = 0;
        *reason = "refused by the fake";
        return code;
    }
    f->last = *c;
    f->last_has_remote = c->remote_sdp != NULL;
    f->last_remote_changed = c->remote_changed;
    return 0;
}
static unsigned f_join(void *be, void *ctx, void *a, void *b, const char **reason)
{
    fake_t *f = be;
    if (b)
        f->joins++;
    else
        f->unjoins++;
    return 0;
}
static void f_stats(void *be, void *term, iq_stats *s)
{
    fake_term *t = term;
    iq_stats_unknown(s);
    s->packets_sent = 1500;
    s->packets_received = 1498;
    s->octets_sent = 258000;
    s->octets_received = 257656;
    s->lost_received = 2;
    s->jitter_received_ms = t->kind == IQ_TERM_W3 ? 3.5 : 1.25;
}
static void f_term_free(void *be, void *term, iq_stats *final)
{
    fake_t *f = be;
    if (final) f_stats(be, term, final);
    f->terms--;
    g_free(term);
}
static const iq_media_ops fake_ops = {f_ctx_new, f_ctx_free,  f_term_new, f_fp, f_conf, f_join,
                                      f_stats,   f_term_free, NULL,       NULL, NULL};

/* ---- harness ---- */
typedef struct {
    fake_t fake;
    iq_table *tb;
    iq_cmd *cmd;
    rt_metrics_t *metrics;
    int sc_calls;
    h248_sc_method sc_method;
    int ito_calls;
    bool ito_armed;
    unsigned ito_ms;
} env_t;

static void on_sc(void *ud, const h248_service_change *sc)
{
    env_t *e = ud;
    e->sc_calls++;
    e->sc_method = sc->method;
}
static void on_ito(void *ud, bool armed, uint32_t rid, unsigned ms)
{
    env_t *e = ud;
    e->ito_calls++;
    e->ito_armed = armed;
    e->ito_ms = ms;
}

static void env_init(env_t *e, unsigned ports)
{
    memset(e, 0, sizeof *e);
    e->fake.ports_left = ports;
    e->fake.next_port = 20000;
    e->metrics = rt_metrics_new("agw_");
    iq_media m = {&fake_ops, &e->fake};
    e->tb = iq_table_new(&m, 100, e->metrics);
    iq_cmd_cfg cfg = {.access_realm = "access",
                      .core_realm = "core",
                      .cid_property = "wtpf/cid",
                      .no_media_ms = 30000,
                      .notify_unarmed = true};
    iq_cmd_hooks h = {on_sc, on_ito};
    e->cmd = iq_cmd_new(e->tb, &cfg, &h, e, e->metrics);
}

static void env_done(env_t *e)
{
    iq_cmd_free(e->cmd);
    iq_table_free(e->tb);
    CHECK_INT(e->fake.terms, 0);
    CHECK_INT(e->fake.ctxs, 0);
    rt_metrics_free(e->metrics);
}

/* Executes request text; returns the printed reply (g_free) and its parse in *rep. */
static char *run(env_t *e, const char *req, h248_message **rep)
{
    h248_parse_error pe;
    h248_message *m = h248_parse(req, strlen(req), NULL, &pe);
    if (!m) {
        fprintf(stderr, "  request does not parse: %s (line %u)\n", pe.text, pe.line);
        CHECK(m != NULL);
        return g_strdup("");
    }
    h248_message *r = iq_cmd_execute(e->cmd, m->transactions->pdata[0], 3, MID);
    h248_message_free(m);
    char *txt = h248_print_str(r, NULL, NULL);
    CHECK(txt != NULL);
    h248_message_free(r);
    if (!txt) return g_strdup("");
    h248_message *back = h248_parse(txt, strlen(txt), NULL, &pe);
    CHECK(back != NULL);
    if (rep)
        *rep = back;
    else if (back)
        h248_message_free(back);
    return txt;
}

static const h248_command *reply_cmd(const h248_message *r, unsigned action, unsigned cmd)
{
    const h248_transaction *t = r->transactions->pdata[0];
    if (action >= t->actions->len) return NULL;
    const h248_action *a = t->actions->pdata[action];
    return cmd < a->commands->len ? a->commands->pdata[cmd] : NULL;
}

#define ADD_REQ                                                                                    \
    "MEGACO/3 [127.0.3.1]:2944\n"                                                                  \
    "Transaction = 1001 {\n"                                                                       \
    "  Context = $ {\n"                                                                            \
    "    Add = $ {\n"                                                                              \
    "      Media {\n"                                                                              \
    "        TerminationState { ipdc/realm = \"access\", wtpf/cid = \"call-42\" },\n"              \
    "        Stream = 1 {\n"                                                                       \
    "          LocalControl { Mode = SendReceive },\n"                                             \
    "          Local {\n"                                                                          \
    "v=0\n"                                                                                        \
    "o=- 0 0 IN IP4 $\n"                                                                           \
    "s=-\n"                                                                                        \
    "t=0 0\n"                                                                                      \
    "a=ice-lite\n"                                                                                 \
    "m=audio $ UDP/TLS/RTP/SAVPF 0 126\n"                                                          \
    "c=IN IP4 $\n"                                                                                 \
    "a=rtcp-mux\n"                                                                                 \
    "a=ice-ufrag:$\n"                                                                              \
    "a=ice-pwd:$\n"                                                                                \
    "a=fingerprint:sha-256 $\n"                                                                    \
    "a=setup:active\n"                                                                             \
    "a=rtpmap:0 PCMU/8000\n"                                                                       \
    "a=rtpmap:126 telephone-event/8000\n"                                                          \
    "},\n"                                                                                         \
    "          Remote {\n"                                                                         \
    "v=0\n"                                                                                        \
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\n"                                                 \
    "s=-\n"                                                                                        \
    "t=0 0\n"                                                                                      \
    "m=audio 51234 UDP/TLS/RTP/SAVPF 111 0 8 126\n"                                                \
    "c=IN IP4 127.0.1.5\n"                                                                         \
    "a=rtcp-mux\n"                                                                                 \
    "a=ice-ufrag:Bs+R\n"                                                                           \
    "a=ice-pwd:PawJZpTr+YgVYXBsI5apmBh8\n"                                                         \
    "a=fingerprint:sha-256 "                                                                       \
    "D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:"   \
    "53:B1\n"                                                                                      \
    "a=setup:actpass\n"                                                                            \
    "a=candidate:1 1 udp 2122260223 127.0.1.5 51234 typ host\n"                                    \
    "a=rtpmap:111 opus/48000/2\n"                                                                  \
    "a=rtpmap:0 PCMU/8000\n"                                                                       \
    "a=rtpmap:8 PCMA/8000\n"                                                                       \
    "a=rtpmap:126 telephone-event/8000\n"                                                          \
    "}\n"                                                                                          \
    "        }\n"                                                                                  \
    "      },\n"                                                                                   \
    "      Events = 7 { adid/ipstop { dt = 5000 }, hangterm/thb }\n"                               \
    "    },\n"                                                                                     \
    "    Add = $ {\n"                                                                              \
    "      Media {\n"                                                                              \
    "        TerminationState { ipdc/realm = \"core\" },\n"                                        \
    "        Stream = 1 {\n"                                                                       \
    "          LocalControl { Mode = ReceiveOnly },\n"                                             \
    "          Local {\n"                                                                          \
    "v=0\n"                                                                                        \
    "c=IN IP4 $\n"                                                                                 \
    "m=audio $ RTP/AVP 0 101\n"                                                                    \
    "a=rtpmap:101 telephone-event/8000\n"                                                          \
    "}\n"                                                                                          \
    "        }\n"                                                                                  \
    "      }\n"                                                                                    \
    "    }\n"                                                                                      \
    "  }\n"                                                                                        \
    "}\n"

static void do_add(env_t *e)
{
    h248_message *r = NULL;
    char *txt = run(e, ADD_REQ, &r);
    CHECK(strstr(txt, "Reply = 1001 {") != NULL);
    CHECK(strstr(txt, "Add = ip/w3/") != NULL);
    g_free(txt);
    if (r) h248_message_free(r);
}

TEST(add_fills_both_templates)
{
    env_t e;
    env_init(&e, 10);
    h248_message *r = NULL;
    char *txt = run(&e, ADD_REQ, &r);
    CHECK(strstr(txt, "Reply = 1001 {") != NULL);
    CHECK(strstr(txt, "Context = 1 {") != NULL);
    CHECK(strchr(txt, '$') == NULL);
    const h248_command *w3 = r ? reply_cmd(r, 0, 0) : NULL;
    const h248_command *rtp = r ? reply_cmd(r, 0, 1) : NULL;
    CHECK(w3 && rtp);
    if (w3 && rtp) {
        CHECK_STR(w3->term_id, "ip/w3/1");
        CHECK_STR(rtp->term_id, "ip/rtp/2");
        const h248_stream *s = w3->media->streams->pdata[0];
        CHECK_INT(s->id, 1);
        CHECK(strstr(s->local, "m=audio 20000 UDP/TLS/RTP/SAVPF 0 126") != NULL);
        CHECK(strstr(s->local, "a=ice-ufrag:aG7k") != NULL);
        CHECK(strstr(s->local, "a=fingerprint:sha-256 " FP) != NULL);
        CHECK(strstr(s->local, "a=candidate:1 1 udp 2130706431 127.0.2.1 20000 typ host\n"
                               "a=end-of-candidates") != NULL);
        s = rtp->media->streams->pdata[0];
        CHECK_STR(s->local, "v=0\nc=IN IP4 127.0.2.2\nm=audio 20002 RTP/AVP 0 101\n"
                            "a=rtpmap:101 telephone-event/8000");
    }
    /* the media plane saw both, joined, with the W3 role and the remote */
    CHECK_INT(e.fake.terms, 2);
    CHECK_INT(e.fake.joins, 1);
    CHECK_INT(e.fake.last.kind, IQ_TERM_RTP);
    CHECK_INT(e.fake.last.mode, H248_MODE_RECVONLY);
    CHECK(!e.fake.last_has_remote);
    CHECK(!e.fake.init_had_remote);
    CHECK_INT(e.fake.init_codecs, 2); /* the RTP template's PCMU and telephone-event */
    iq_context *ctx = iq_ctx_find(e.tb, 1);
    CHECK(ctx != NULL);
    if (ctx) {
        CHECK_STR(ctx->cid, "call-42");
        iq_term *t = ctx->terms[0];
        CHECK_INT(t->dtls_role, IQ_DTLS_CLIENT);
        CHECK(t->has_remote);
        CHECK_INT(t->events_rid, 7);
        CHECK(iq_term_armed(t, "adid/ipstop") != NULL);
        CHECK_INT(iq_term_armed(t, "adid/ipstop")->detect_ms, 5000);
        CHECK_STR(t->realm, "access");
    }
    CHECK_INT(rt_metrics_get(e.metrics, "iq_contexts", NULL), 1);
    CHECK_INT(rt_metrics_get(e.metrics, "iq_terminations", "kind=\"w3\""), 1);
    CHECK_INT(rt_metrics_get(e.metrics, "iq_commands_total", "command=\"Add\",result=\"ok\""), 2);
    g_free(txt);
    if (r) h248_message_free(r);
    env_done(&e);
}

TEST(modify_audit_subtract)
{
    env_t e;
    env_init(&e, 10);
    do_add(&e);
    /* SPECS.md §4.5 (5) */
    char *txt =
        run(&e,
            "MEGACO/3 [127.0.3.1]:2944\nTransaction = 1002 { Context = 1 { Modify = ip/rtp/2 {"
            " Media { Stream = 1 { LocalControl { Mode = SendReceive }, Remote {\n"
            "v=0\nc=IN IP4 127.0.4.1\nm=audio 30000 RTP/AVP 0 101\n"
            "a=rtpmap:101 telephone-event/8000\n} } } } } }",
            NULL);
    CHECK(strstr(txt, "Reply = 1002 {") != NULL);
    CHECK(strstr(txt, "Modify = ip/rtp/2") != NULL);
    CHECK(strstr(txt, "Error") == NULL);
    CHECK(strstr(txt, "Local") == NULL);
    g_free(txt);
    CHECK_INT(e.fake.last.mode, H248_MODE_SENDRECV);
    CHECK(e.fake.last_has_remote);
    CHECK(e.fake.last_remote_changed);
    CHECK_INT(e.fake.last.remote->port, 30000);

    /* keep-alive on ROOT, with the package list */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=5 { C=- { AV=ROOT { AT { Packages } } } }", NULL);
    CHECK(strstr(txt, "AuditValue = ROOT") != NULL);
    CHECK(strstr(txt, "hangterm-1") != NULL);
    g_free(txt);

    /* the termination's descriptors */
    h248_message *r = NULL;
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=6 { C=1 { AV=ip/w3/1 { AT { Media, Events } } } }",
              &r);
    const h248_command *av = r ? reply_cmd(r, 0, 0) : NULL;
    CHECK(av && av->media && av->events);
    if (av && av->media) {
        const h248_stream *s = av->media->streams->pdata[0];
        CHECK(s->local && strstr(s->local, "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9rU3k"));
        CHECK(s->remote && strstr(s->remote, "a=ice-ufrag:Bs+R"));
        CHECK_INT(s->local_control->mode, H248_MODE_SENDRECV);
        CHECK(strstr(txt, "ipdc/realm = \"access\"") != NULL);
        CHECK(strstr(txt, "wtpf/cid = \"call-42\"") != NULL);
    }
    g_free(txt);
    if (r) h248_message_free(r);

    /* listing: every context's terminations */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=7 { C=* { AV=* } }", NULL);
    CHECK(strstr(txt, "Context = 1 {") != NULL);
    CHECK(strstr(txt, "AuditValue = ip/w3/1") != NULL);
    CHECK(strstr(txt, "AuditValue = ip/rtp/2") != NULL);
    g_free(txt);

    /* SPECS.md §4.5 (6) */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nTransaction = 1003 { Context = 1 { Subtract = * } }",
              &r);
    CHECK(strstr(txt, "Subtract = ip/w3/1 {") != NULL);
    CHECK(strstr(txt, "Subtract = ip/rtp/2 {") != NULL);
    CHECK(strstr(txt, "rtp/ps = 1500") != NULL);
    CHECK(strstr(txt, "rtp/pr = 1498") != NULL);
    CHECK(strstr(txt, "nt/os = 258000") != NULL);
    CHECK(strstr(txt, "nt/or = 257656") != NULL);
    CHECK(strstr(txt, "rtp/pl = 0.13") != NULL);
    CHECK(strstr(txt, "wtpf/lr = 2") != NULL);
    CHECK(strstr(txt, "rtp/jit = 3.50") != NULL);
    CHECK(strstr(txt, "rtp/jit = 1.25") != NULL);
    CHECK(strstr(txt, "nt/dur = ") != NULL);
    if (r) {
        const h248_command *s = reply_cmd(r, 0, 0);
        CHECK(s && s->statistics && h248_props_find(s->statistics, "rtp/ps"));
        h248_message_free(r);
    }
    g_free(txt);
    CHECK(iq_ctx_find(e.tb, 1) == NULL);
    CHECK_INT(e.fake.terms, 0);
    CHECK_INT(rt_metrics_get(e.metrics, "iq_contexts", NULL), 0);
    /* gone: 411 */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=8 { C=1 { S=* } }", NULL);
    CHECK(strstr(txt, "Reply = 8 {") != NULL);
    CHECK(strstr(txt, "Error = 411") != NULL);
    g_free(txt);
    env_done(&e);
}

TEST(error_codes)
{
    env_t e;
    env_init(&e, 3);
    do_add(&e);
    char *txt;
    /* SPECS.md §4.5 (7): transaction-level 411 */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nTransaction = 1004 { Context = 99 { Modify = ip/w3/1 } }",
              NULL);
    CHECK(strstr(txt, "Reply = 1004 {\n  Error = 411 {") != NULL);
    g_free(txt);
    /* command-level 435 and 430 */
    do_add(&e); /* context 2 (ip/w3/3 only: one port left, then 510 on the RTP Add) */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=1005 { C=1 { MF=ip/w3/3 } }", NULL);
    CHECK(strstr(txt, "Modify = ip/w3/3 {") != NULL);
    CHECK(strstr(txt, "Error = 435") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=1006 { C=1 { S=ip/rtp/77 } }", NULL);
    CHECK(strstr(txt, "Error = 430") != NULL);
    g_free(txt);
    /* the second Add of context 2 ran out of ports: the first one stays (H.248.1 §8.2.2) */
    iq_context *c2 = iq_ctx_find(e.tb, 2);
    CHECK(c2 && c2->n_terms == 1);
    CHECK_INT(rt_metrics_get(e.metrics, "iq_commands_total", "command=\"Add\",result=\"510\""), 1);
    /* 510 for a new context: no context is left behind, the reply names the null context */
    txt = run(&e, ADD_REQ, NULL);
    CHECK(strstr(txt, "Context = - {") != NULL);
    CHECK(strstr(txt, "Error = 510") != NULL);
    g_free(txt);
    CHECK_INT(iq_ctx_count(e.tb), 2);
    /* 441: Add without Local */
    txt = run(
        &e, "MEGACO/3 [127.0.3.1]:2944\nT=9 { C=$ { A=$ { M { TS { ipdc/realm = \"core\" } } } } }",
        NULL);
    CHECK(strstr(txt, "Error = 441") != NULL);
    g_free(txt);
    /* 449: a Local the MG cannot honour */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=10 { C=1 { MF=ip/rtp/2 { M { ST=1 { L {\n"
              "v=0\nc=IN IP4 10.9.9.9\nm=audio $ RTP/AVP 0\n} } } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 449") != NULL);
    CHECK(strstr(txt, "10.9.9.9") != NULL);
    g_free(txt);
    /* 442: SDP that is no SDP */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=11 { C=1 { MF=ip/rtp/2 { M { ST=1 { R {\n"
              "hello world\n} } } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 442") != NULL);
    g_free(txt);
    /* 501 Move, 443 Notify, 421 Modify in Context = $, 410 $ outside Add */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=12 { C=1 { MV=ip/w3/3 } }", NULL);
    CHECK(strstr(txt, "Error = 501") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=13 { C=1 { N=ip/w3/1 { OE=1 { adid/ipstop } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 443") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=14 { C=$ { MF=ip/w3/1 } }", NULL);
    CHECK(strstr(txt, "Error = 421") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=15 { C=1 { S=$ } }", NULL);
    CHECK(strstr(txt, "Error = 410") != NULL);
    g_free(txt);
    /* events: unknown package 440, unknown event 451, bad parameter 446 */
    txt =
        run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=16 { C=1 { MF=ip/w3/1 { E=3 { foo/bar } } } }", NULL);
    CHECK(strstr(txt, "Error = 440") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=17 { C=1 { MF=ip/w3/1 { E=3 { adid/nothing } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 451") != NULL);
    g_free(txt);
    txt = run(
        &e,
        "MEGACO/3 [127.0.3.1]:2944\nT=18 { C=1 { MF=ip/w3/1 { E=3 { adid/ipstop { xx = 1 } } } } }",
        NULL);
    CHECK(strstr(txt, "Error = 446") != NULL);
    g_free(txt);
    /* unknown property 445; a QoS property of a known package is accepted */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=19 { C=1 { MF=ip/w3/1 { M { TS { zz/top = 1 } } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 445") != NULL);
    g_free(txt);
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=20 { C=1 { MF=ip/w3/1 { M { ST=1 { O { tman/sdr = "
              "12000 } } } } } }",
              NULL);
    CHECK(strstr(txt, "Error") == NULL);
    g_free(txt);
    /* the media plane refusing a Modify keeps the old state */
    e.fake.fail_configure = 449;
    txt = run(
        &e,
        "MEGACO/3 [127.0.3.1]:2944\nT=21 { C=1 { MF=ip/rtp/2 { M { ST=1 { O { MO=IN } } } } } }",
        NULL);
    CHECK(strstr(txt, "Error = 449") != NULL);
    g_free(txt);
    CHECK_INT(iq_term_find(e.tb, "ip/rtp/2")->mode, H248_MODE_RECVONLY);
    /* a failing command ends the transaction; what came before stays */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=22 { C=1 { MF=ip/rtp/2 { M { ST=1 { O { MO=SR } } } },"
              " MF=ip/w3/9, MF=ip/rtp/2 { M { ST=1 { O { MO=IN } } } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 430") != NULL);
    g_free(txt);
    CHECK_INT(iq_term_find(e.tb, "ip/rtp/2")->mode, H248_MODE_SENDRECV);
    /* optional commands do not end it */
    txt = run(&e,
              "MEGACO/3 [127.0.3.1]:2944\nT=23 { C=1 { O-MF=ip/w3/9, MF=ip/rtp/2 { M { ST=1 { O { "
              "MO=IN } } } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 430") != NULL);
    g_free(txt);
    CHECK_INT(iq_term_find(e.tb, "ip/rtp/2")->mode, H248_MODE_INACTIVE);
    /* Context = * Subtract = * clears the MG */
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=24 { C=* { S=* } }", NULL);
    CHECK(strstr(txt, "Context = 1 {") && strstr(txt, "Context = 2 {"));
    g_free(txt);
    CHECK_INT(iq_ctx_count(e.tb), 0);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=25 { C=* { AV=* } }", NULL);
    CHECK(strstr(txt, "Error = 431") != NULL);
    g_free(txt);
    env_done(&e);
}

TEST(root_commands_reach_the_association)
{
    env_t e;
    env_init(&e, 4);
    char *txt = run(&e,
                    "MEGACO/3 [127.0.3.1]:2944\nT=30 { C=- { SC=ROOT { SV { MT=RS, RE=\"901 Cold "
                    "Boot\" } } } }",
                    NULL);
    CHECK(strstr(txt, "ServiceChange = ROOT") != NULL);
    CHECK(strstr(txt, "Error") == NULL);
    g_free(txt);
    CHECK_INT(e.sc_calls, 1);
    CHECK_INT(e.sc_method, H248_SCM_RESTART);
    txt = run(
        &e, "MEGACO/3 [127.0.3.1]:2944\nT=31 { C=- { MF=ROOT { E=9 { it/ito { mit = 3000 } } } } }",
        NULL);
    CHECK(strstr(txt, "Modify = ROOT") != NULL);
    g_free(txt);
    CHECK_INT(e.ito_calls, 1);
    CHECK(e.ito_armed);
    CHECK_INT(e.ito_ms, 30000);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=32 { C=- { MF=ROOT { E=9 { adid/ipstop } } } }",
              NULL);
    CHECK(strstr(txt, "Error = 451") != NULL);
    g_free(txt);
    txt = run(&e, "MEGACO/3 [127.0.3.1]:2944\nT=33 { C=- { MF=ROOT { E } } }", NULL);
    g_free(txt);
    CHECK_INT(e.ito_calls, 2);
    CHECK(!e.ito_armed);
    env_done(&e);
}

TEST(notify_for_armed_and_unarmed_events)
{
    env_t e;
    env_init(&e, 4);
    do_add(&e);
    iq_term *w3 = iq_term_find(e.tb, "ip/w3/1"), *rtp = iq_term_find(e.tb, "ip/rtp/2");
    CHECK(w3 && rtp);
    if (!w3 || !rtp) {
        env_done(&e);
        return;
    }
    /* armed with request id 7 */
    h248_message *n = iq_cmd_notify(e.cmd, w3, IQ_EV_NO_MEDIA, false, 3, MID);
    char *txt = n ? h248_print_str(n, NULL, NULL) : NULL;
    CHECK(txt != NULL);
    if (txt) {
        CHECK(strstr(txt, "Context = 1 {") != NULL);
        CHECK(strstr(txt, "Notify = ip/w3/1 {") != NULL);
        CHECK(strstr(txt, "ObservedEvents = 7 {") != NULL);
        CHECK(strstr(txt, ":adid/ipstop") != NULL);
        h248_parse_error pe;
        h248_message *back = h248_parse(txt, strlen(txt), NULL, &pe);
        CHECK(back != NULL);
        if (back) {
            const h248_command *c = reply_cmd(back, 0, 0);
            const h248_event *ev = c->observed_events->items->pdata[0];
            CHECK_INT(strlen(ev->timestamp), 17);
            CHECK_INT(ev->timestamp[8], 'T');
            h248_message_free(back);
        }
    }
    g_free(txt);
    h248_message_free(n);
    /* not armed: request id 0 (profile: notify_unarmed) */
    n = iq_cmd_notify(e.cmd, rtp, IQ_EV_DTLS_FAILED, false, 3, MID);
    txt = n ? h248_print_str(n, NULL, NULL) : NULL;
    CHECK(txt && strstr(txt, "ObservedEvents = 0 {") && strstr(txt, "dtls/fail"));
    g_free(txt);
    h248_message_free(n);
    /* a heartbeat is only sent when armed */
    n = iq_cmd_notify(e.cmd, rtp, 0, true, 3, MID);
    CHECK(n == NULL);
    n = iq_cmd_notify(e.cmd, w3, 0, true, 3, MID);
    txt = n ? h248_print_str(n, NULL, NULL) : NULL;
    CHECK(txt && strstr(txt, "hangterm/thb"));
    g_free(txt);
    h248_message_free(n);
    CHECK_STR(iq_cmd_event_name(IQ_EV_CONSENT_LOST, false), "ice/cfail");
    env_done(&e);
}

TEST(context_and_term_ids)
{
    env_t e;
    env_init(&e, 100);
    iq_context *a = iq_ctx_new(e.tb, NULL), *b = iq_ctx_new(e.tb, "x");
    CHECK(a && b);
    CHECK_INT(a->id, 1);
    CHECK_INT(b->id, 2);
    CHECK_INT(strlen(a->cid), 16);
    unsigned code;
    const char *r;
    iq_term *t1 = iq_term_new(e.tb, a, IQ_TERM_W3, NULL, &code, &r);
    iq_term *t2 = iq_term_new(e.tb, a, IQ_TERM_RTP, NULL, &code, &r);
    CHECK(t1 && t2);
    CHECK(iq_term_new(e.tb, a, IQ_TERM_RTP, NULL, &code, &r) == NULL);
    CHECK_INT(code, 434);
    CHECK_STR(t1->name, "ip/w3/1");
    CHECK_STR(t2->name, "ip/rtp/2");
    CHECK(iq_term_find(e.tb, "ip/rtp/2") == t2);
    iq_ctx_free(e.tb, a);
    CHECK(iq_term_find(e.tb, "ip/w3/1") == NULL);
    iq_context *c = iq_ctx_new(e.tb, NULL);
    CHECK_INT(c->id, 3); /* ids are not reused at once */
    CHECK_INT(iq_ctx_count(e.tb), 2);
    env_done(&e);
}

int main(void)
{
    rt_log_set_all_levels(LOG_WARNING);
    RUN(add_fills_both_templates);
    RUN(modify_audit_subtract);
    RUN(error_codes);
    RUN(root_commands_reach_the_association);
    RUN(notify_for_armed_and_unarmed_events);
    RUN(context_and_term_ids);
    UNIT_END("test_iq_cmd");
}
