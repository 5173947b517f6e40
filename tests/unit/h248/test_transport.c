/* H.248 UDP transaction layer: two endpoints on loopback in one GLib loop (MGC and MG roles),
 * plus raw datagrams for duplicates, garbage and acknowledgements. */
#include <gio/gio.h>

#include "h248/transport.h"
#include "unit.h"

#define MG_ADDR "127.0.30.3"
#define MGC_ADDR "127.0.30.2"

typedef struct {
    int requests;
    int replies;
    int timeouts;
    bool delay;            /* answer later instead of at once */
    h248_tp_req_t *held;   /* request answered later */
    uint32_t last_tid;
    char last_peer[64];
    GMainLoop *loop;
} state_t;

static void mg_on_request(h248_tp_t *tp, h248_tp_req_t *req, const h248_message *m,
                          const h248_transaction *t, void *ud)
{
    state_t *s = ud;
    s->requests++;
    s->last_tid = t->id;
    g_strlcpy(s->last_peer, h248_tp_req_peer(req), sizeof s->last_peer);
    if (s->delay) {
        s->held = req;
        return;
    }
    h248_message *r = NULL;
    h248_action *a = h248_build_reply(&r, 3, h248_tp_mid(tp), t->id, h248_ctx_num(7));
    h248_build_command_reply(a, H248_CMD_ADD, "ip/w3/1", 1, "v=0\r\nc=IN IP4 127.0.30.3");
    h248_tp_reply(tp, req, r);
}

static void on_reply(const h248_message *m, const h248_transaction *t, void *ud)
{
    state_t *s = ud;
    if (t) {
        s->replies++;
        const h248_action *a = t->actions->pdata[0];
        CHECK_INT(a->ctx.num, 7);
    } else {
        s->timeouts++;
    }
    g_main_loop_quit(s->loop);
}

typedef struct {
    GMainLoop *loop;
    bool fired;
} waiter_t;

static gboolean quit_cb(gpointer ud)
{
    waiter_t *w = ud;
    w->fired = true;
    g_main_loop_quit(w->loop);
    return G_SOURCE_REMOVE;
}

/* Runs the loop for at most `ms` (a reply callback may end it sooner). */
static void run_for(GMainLoop *loop, unsigned ms)
{
    waiter_t w = {loop, false};
    guint id = g_timeout_add(ms, quit_cb, &w);
    g_main_loop_run(loop);
    if (!w.fired) g_source_remove(id);
}

static h248_message *add_request(void)
{
    h248_message *m = h248_message_new(3, "[127.0.30.2]:2944");
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, 0);
    h248_action *a = h248_transaction_add_action(t, h248_ctx_special(H248_CTX_CHOOSE));
    h248_command *c = h248_action_add_command(a, H248_CMD_ADD, "$");
    h248_stream_set_local(h248_command_stream(c, 1), "v=0\r\nc=IN IP4 $");
    return m;
}

static void make_pair(state_t *mg_state, state_t *mgc_state, h248_tp_t **mg, h248_tp_t **mgc,
                      unsigned timeout_ms)
{
    h248_tp_cfg_t c1 = {.address = MG_ADDR, .port = 0, .version = 3, .pending_after_ms = 100,
                        .retry_first_ms = 50};
    h248_tp_cfg_t c2 = {.address = MGC_ADDR, .port = 0, .version = 3,
                        .request_timeout_ms = timeout_ms, .retry_first_ms = 50};
    *mg = h248_tp_new(&c1, mg_on_request, mg_state, NULL);
    *mgc = h248_tp_new(&c2, mg_on_request, mgc_state, NULL);
    CHECK(*mg && *mgc);
}

TEST(request_reply_and_duplicate)
{
    state_t mgs = {0}, mgcs = {0};
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    mgs.loop = mgcs.loop = loop;
    h248_tp_t *mg, *mgc;
    make_pair(&mgs, &mgcs, &mg, &mgc, 2000);
    uint32_t tid = h248_tp_request(mgc, MG_ADDR, h248_tp_port(mg), add_request(), on_reply,
                                   &mgcs);
    CHECK(tid != 0);
    run_for(loop, 2000);
    CHECK_INT(mgcs.replies, 1);
    CHECK_INT(mgs.requests, 1);
    CHECK_INT(mgs.last_tid, tid);
    /* A retransmitted request (same tid, same source) gets the cached reply, not a new call. */
    GSocket *raw = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, NULL);
    GInetAddress *ia = g_inet_address_new_from_string("127.0.30.9");
    GSocketAddress *la = g_inet_socket_address_new(ia, 0);
    g_socket_bind(raw, la, TRUE, NULL);
    GInetAddress *mga = g_inet_address_new_from_string(MG_ADDR);
    GSocketAddress *to = g_inet_socket_address_new(mga, (guint16)h248_tp_port(mg));
    const char *req = "MEGACO/3 [127.0.30.9]:2944\nTransaction = 4242 { Context = $ { "
                      "Add = $ } }";
    g_socket_send_to(raw, to, req, strlen(req), NULL, NULL);
    run_for(loop, 150);
    g_socket_send_to(raw, to, req, strlen(req), NULL, NULL);
    run_for(loop, 150);
    CHECK_INT(mgs.requests, 2);
    char buf[4096];
    g_socket_set_blocking(raw, FALSE);
    int got = 0;
    gssize n;
    while ((n = g_socket_receive(raw, buf, sizeof buf - 1, NULL, NULL)) > 0) {
        buf[n] = 0;
        CHECK(strstr(buf, "Reply = 4242") != NULL);
        got++;
    }
    CHECK_INT(got, 2);
    /* Garbage gets an error answer (400 or 403-class), and the MG keeps serving. */
    const char *bad = "MEGACO/3 [127.0.30.9]:2944\nTransaction = 77 { Context = $ { Add = $ {";
    g_socket_send_to(raw, to, bad, strlen(bad), NULL, NULL);
    run_for(loop, 150);
    n = g_socket_receive(raw, buf, sizeof buf - 1, NULL, NULL);
    CHECK(n > 0);
    if (n > 0) {
        buf[n] = 0;
        CHECK(strstr(buf, "Reply = 77") != NULL);
        CHECK(strstr(buf, "Error = 4") != NULL);
    }
    const char *junk = "\x01\x02 not megaco at all";
    g_socket_send_to(raw, to, junk, strlen(junk), NULL, NULL);
    run_for(loop, 150);
    n = g_socket_receive(raw, buf, sizeof buf - 1, NULL, NULL);
    CHECK(n > 0);
    if (n > 0) {
        buf[n] = 0;
        CHECK(strstr(buf, "Error = 400") != NULL);
    }
    g_object_unref(to);
    g_object_unref(mga);
    g_object_unref(la);
    g_object_unref(ia);
    g_object_unref(raw);
    h248_tp_free(mg);
    h248_tp_free(mgc);
    g_main_loop_unref(loop);
}

TEST(pending_extends_and_timeout)
{
    state_t mgs = {0}, mgcs = {0};
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    mgs.loop = mgcs.loop = loop;
    mgs.delay = true;
    h248_tp_t *mg, *mgc;
    /* The MGC gives up after 400 ms without Pending; the MG sends Pending every 100 ms. */
    make_pair(&mgs, &mgcs, &mg, &mgc, 400);
    h248_tp_request(mgc, MG_ADDR, h248_tp_port(mg), add_request(), on_reply, &mgcs);
    run_for(loop, 900);
    CHECK_INT(mgcs.timeouts, 0);
    CHECK_INT(mgcs.replies, 0);
    CHECK_INT(mgs.requests, 1); /* retransmissions were absorbed as duplicates */
    CHECK(mgs.held != NULL);
    if (mgs.held) {
        h248_message *r = NULL;
        h248_action *a = h248_build_reply(&r, 3, h248_tp_mid(mg), mgs.last_tid, h248_ctx_num(7));
        h248_build_command_reply(a, H248_CMD_ADD, "ip/w3/1", 1, NULL);
        h248_tp_reply(mg, mgs.held, r);
    }
    run_for(loop, 500);
    CHECK_INT(mgcs.replies, 1);
    /* Nobody listening: the request times out once. */
    h248_tp_request(mgc, "127.0.30.77", 2944, add_request(), on_reply, &mgcs);
    run_for(loop, 1500);
    CHECK_INT(mgcs.timeouts, 1);
    h248_tp_free(mg);
    h248_tp_free(mgc);
    g_main_loop_unref(loop);
}

TEST(reply_cache_expires)
{
    state_t mgs = {0};
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    mgs.loop = loop;
    h248_tp_cfg_t c = {.address = MG_ADDR, .port = 0, .version = 3, .reply_cache_ms = 200};
    h248_tp_t *mg = h248_tp_new(&c, mg_on_request, &mgs, NULL);
    GSocket *raw = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, NULL);
    GInetAddress *mga = g_inet_address_new_from_string(MG_ADDR);
    GSocketAddress *to = g_inet_socket_address_new(mga, (guint16)h248_tp_port(mg));
    const char *req = "MEGACO/3 [127.0.30.9]:2944\nTransaction = 55 { Context = $ { Add = $ } }";
    g_socket_send_to(raw, to, req, strlen(req), NULL, NULL);
    run_for(loop, 100);
    g_socket_send_to(raw, to, req, strlen(req), NULL, NULL); /* within the cache: replayed */
    run_for(loop, 100);
    CHECK_INT(mgs.requests, 1);
    run_for(loop, 1200); /* past reply_cache_ms and a sweep */
    g_socket_send_to(raw, to, req, strlen(req), NULL, NULL); /* a new request again */
    run_for(loop, 100);
    CHECK_INT(mgs.requests, 2);
    g_object_unref(to);
    g_object_unref(mga);
    g_object_unref(raw);
    h248_tp_free(mg);
    g_main_loop_unref(loop);
}

int main(void)
{
    RUN(request_reply_and_duplicate);
    RUN(pending_extends_and_timeout);
    RUN(reply_cache_expires);
    UNIT_END("h248/transport");
}
