/* runtime/timerq: queues in due order, expiry order across queues, stop, restart, callbacks
 * that restart their own timer or stop another one, all on a real GLib main loop. */
#include "runtime/timerq.h"
#include "unit.h"

typedef struct {
    rt_timer_t tm;
    int id;
} rec_t;

static rt_timerq_t *tq;
static int fired[16], nfired;
static rec_t *victim;  /* stopped by rec 1's callback when set */
static int rearm_left; /* rec 3 restarts itself this many times */

static void note(void *r)
{
    rec_t *rec = r;
    fired[nfired++] = rec->id;
    if (rec->id == 1 && victim) rt_timer_stop(tq, &victim->tm);
    if (rec->id == 3 && rearm_left-- > 0) rt_timer_start(tq, &rec->tm, 1, rec, 1000);
}

static gboolean quit(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void run_ms(unsigned ms)
{
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add(ms, quit, loop);
    g_main_loop_run(loop);
    g_main_loop_unref(loop);
}

static void reset(void)
{
    static const rt_timer_fn fns[2] = {note, note};
    if (tq) rt_timerq_free(tq);
    tq = rt_timerq_new(2, fns);
    nfired = 0;
    victim = NULL;
    rearm_left = 0;
}

TEST(expire_in_due_order_across_queues)
{
    reset();
    rec_t a = {.id = 1}, b = {.id = 2}, c = {.id = 4}, d = {.id = 5};
    /* out of order in queue 0: ordered insertion from the tail */
    rt_timer_start(tq, &a.tm, 0, &a, 30000);
    rt_timer_start(tq, &b.tm, 0, &b, 10000);
    rt_timer_start(tq, &c.tm, 0, &c, 20000);
    rt_timer_start(tq, &d.tm, 1, &d, 15000);
    CHECK(rt_timer_running(&a.tm) && rt_timer_running(&d.tm));
    run_ms(80);
    CHECK_INT(nfired, 4); /* each at its due time: 10, 15, 20, 30 ms */
    CHECK_INT(fired[0], 2);
    CHECK_INT(fired[1], 5);
    CHECK_INT(fired[2], 4);
    CHECK_INT(fired[3], 1);
    CHECK(!rt_timer_running(&a.tm) && !rt_timer_running(&d.tm));
}

TEST(stop_and_restart)
{
    reset();
    rec_t a = {.id = 1}, b = {.id = 2};
    rt_timer_start(tq, &a.tm, 0, &a, 5000);
    rt_timer_start(tq, &b.tm, 0, &b, 5000);
    rt_timer_stop(tq, &a.tm);
    rt_timer_stop(tq, &a.tm);                /* stopping a stopped timer does nothing */
    rt_timer_start(tq, &b.tm, 0, &b, 60000); /* restart: later */
    run_ms(30);
    CHECK_INT(nfired, 0);
    run_ms(60);
    CHECK_INT(nfired, 1);
    CHECK_INT(fired[0], 2);
}

TEST(callbacks_stop_others_and_restart_themselves)
{
    reset();
    rec_t a = {.id = 1}, v = {.id = 2}, r = {.id = 3};
    victim = &v;
    rearm_left = 2;
    rt_timer_start(tq, &a.tm, 0, &a, 1000);
    rt_timer_start(tq, &v.tm, 0, &v, 1000); /* due with a, after it: a's callback stops it */
    rt_timer_start(tq, &r.tm, 1, &r, 1000);
    run_ms(60);
    CHECK_INT(nfired, 4); /* a, then r three times (its first expiry and two restarts) */
    CHECK_INT(fired[0], 1);
    CHECK_INT(fired[1], 3);
    CHECK_INT(fired[3], 3);
    CHECK(!rt_timer_running(&v.tm) && !rt_timer_running(&r.tm));
}

TEST(free_with_nothing_pending_and_with_an_armed_tick)
{
    reset();
    rec_t a = {.id = 1};
    rt_timer_start(tq, &a.tm, 0, &a, 1000000);
    rt_timer_stop(tq, &a.tm);
    rt_timerq_free(tq); /* the armed GLib timeout goes with it */
    tq = NULL;
    rt_timerq_free(NULL);
    run_ms(5);
    CHECK_INT(nfired, 0);
}

int main(void)
{
    RUN(expire_in_due_order_across_queues);
    RUN(stop_and_restart);
    RUN(callbacks_stop_others_and_restart_themselves);
    RUN(free_with_nothing_pending_and_with_an_armed_tick);
    if (tq) rt_timerq_free(tq);
    UNIT_END("runtime/timerq");
}
