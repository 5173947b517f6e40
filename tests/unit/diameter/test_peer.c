/* Diameter peer layer on loopback, client and server stacks in one GLib loop: capabilities
 * exchange, request/answer matching, request timeout, reconnection after the server restarts,
 * and DPR/DPA at shutdown. */
#include <gio/gio.h>

#include "diameter/peer.h"
#include "unit.h"

#define SRV "127.0.31.4"
#define CLI "127.0.31.2"
#define PORT 38680

typedef struct {
    GMainLoop *loop;
    int opened, closed;
    int requests;
    int answers, timeouts;
    bool server_silent; /* do not answer requests */
    bool done;
} st_t;

static void srv_on_req(dia_stack_t *st, dia_peer_t *peer, const dia_msg *req, void *ud)
{
    st_t *s = ud;
    s->requests++;
    if (s->server_silent) return;
    dia_msg *a = dia_cx_answer_new(req, &dia_stack_local(st)->node);
    dia_set_result_code(a, 2001);
    dia_peer_send(peer, a);
}

static void cli_on_state(dia_stack_t *st, dia_peer_t *peer, bool open, void *ud)
{
    st_t *s = ud;
    if (open) s->opened++;
    else s->closed++;
    g_main_loop_quit(s->loop);
}

static void on_answer(const dia_msg *ans, void *ud)
{
    st_t *s = ud;
    if (ans) {
        dia_result r;
        CHECK(dia_get_result(ans, &r) && r.code == 2001);
        s->answers++;
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

static void run_for(GMainLoop *loop, unsigned ms)
{
    waiter_t w = {loop, false};
    guint id = g_timeout_add(ms, quit_cb, &w);
    g_main_loop_run(loop);
    if (!w.fired) g_source_remove(id);
}

static dia_stack_t *server_new(st_t *s)
{
    dia_local_t l = {.node = {"hss.test", "test"}, .product = "t", .address = SRV,
                     .watchdog_ms = 30000, .timeout_ms = 1000, .max_msg = 65536};
    dia_stack_t *st = dia_stack_new(&l, NULL, srv_on_req, NULL, s);
    CHECK(dia_stack_listen(st, SRV, PORT, NULL));
    return st;
}

static dia_msg *lir(dia_stack_t *cli)
{
    char *sid = dia_stack_session_id(cli);
    dia_msg *m = dia_cx_request_new(DIA_CMD_LI, sid, &dia_stack_local(cli)->node, "test", NULL,
                                    0, 0);
    dia_add_str(m->avps, DIA_AVP_PUBLIC_IDENTITY, DIA_VENDOR_3GPP, "tel:+1");
    g_free(sid);
    return m;
}

static void stopped(void *ud)
{
    ((st_t *)ud)->done = true;
}

TEST(client_server_lifecycle)
{
    st_t srv = {0}, cli = {0};
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    srv.loop = cli.loop = loop;
    dia_stack_t *server = server_new(&srv);
    dia_local_t l = {.node = {"pcscf.test", "test"}, .product = "t", .address = CLI,
                     .watchdog_ms = 30000, .timeout_ms = 300, .max_msg = 65536};
    dia_stack_t *client = dia_stack_new(&l, NULL, NULL, cli_on_state, &cli);
    dia_peer_t *p = dia_stack_connect(client, SRV, PORT);
    run_for(loop, 2000);
    CHECK_INT(cli.opened, 1);
    CHECK(dia_peer_is_open(p));
    CHECK_STR(dia_peer_name(p), "hss.test");
    CHECK(dia_stack_pick(client, NULL) == p);

    /* Request and answer, matched by Hop-by-Hop id. */
    CHECK(dia_peer_request(p, lir(client), 0, on_answer, &cli));
    run_for(loop, 2000);
    CHECK_INT(cli.answers, 1);

    /* A server that does not answer: the request times out (300 ms). */
    srv.server_silent = true;
    CHECK(dia_peer_request(p, lir(client), 0, on_answer, &cli));
    run_for(loop, 2000);
    CHECK_INT(cli.timeouts, 1);
    srv.server_silent = false;

    /* The server goes away: the client notices, then reconnects when it is back. */
    dia_stack_free(server);
    run_for(loop, 2000);
    CHECK_INT(cli.closed, 1);
    CHECK(dia_stack_pick(client, NULL) == NULL);
    /* A request while down fails at once (callers answer 503/504). */
    CHECK(!dia_peer_request(p, lir(client), 0, on_answer, &cli));
    server = server_new(&srv);
    run_for(loop, 5000);
    CHECK_INT(cli.opened, 2);
    CHECK(dia_peer_request(p, lir(client), 0, on_answer, &cli));
    run_for(loop, 2000);
    CHECK_INT(cli.answers, 2);

    /* Shutdown: DPR/DPA, then done. */
    dia_stack_shutdown(client, stopped, &cli);
    for (int i = 0; i < 50 && !cli.done; i++) run_for(loop, 50);
    CHECK(cli.done);
    dia_stack_free(client);
    dia_stack_free(server);
    g_main_loop_unref(loop);
}

int main(void)
{
    RUN(client_server_lifecycle);
    UNIT_END("diameter/peer");
}
