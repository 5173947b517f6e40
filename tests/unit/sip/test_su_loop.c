/* sip/su_loop.c: sofia-sip timers on the GLib loop fire on time without the loop spinning
 * through their last millisecond (su_glib's prepare() truncates to ms and reported "ready"
 * early: hundreds of empty poll() calls per timer before the fix). */
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_wait.h>

#include "sip/su_loop.h"
#include "unit.h"

static unsigned polls;
static gint counting_poll(GPollFD *fds, guint n, gint timeout)
{
    polls++;
    return g_poll(fds, n, timeout);
}

typedef struct {
    su_timer_t *t;
    int left;
    gint64 armed_us, late_max_us, early_min_us;
    GMainLoop *loop;
} chain;

#define STEP_MS 7

static void on_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
    chain *c = (chain *)arg;
    gint64 now = g_get_monotonic_time();
    gint64 off = now - c->armed_us - STEP_MS * 1000;
    if (off > c->late_max_us) c->late_max_us = off;
    if (off < c->early_min_us) c->early_min_us = off;
    (void)m;
    if (--c->left == 0) {
        g_main_loop_quit(c->loop);
        return;
    }
    c->armed_us = g_get_monotonic_time();
    su_timer_set(t, on_timer, arg);
}

TEST(timers_fire_without_spinning)
{
    su_init();
    su_root_t *root = su_glib_root_create(NULL);
    GSource *gs = sip_su_loop_attach(root);
    CHECK(gs != NULL);
    chain c = {.left = 5, .late_max_us = G_MININT64, .early_min_us = G_MAXINT64};
    c.loop = g_main_loop_new(NULL, FALSE);
    c.t = su_timer_create(su_root_task(root), STEP_MS);
    g_main_context_set_poll_func(NULL, counting_poll);
    c.armed_us = g_get_monotonic_time();
    su_timer_set(c.t, on_timer, (su_timer_arg_t *)&c);
    g_main_loop_run(c.loop);
    g_main_context_set_poll_func(NULL, g_poll);
    CHECK_INT(c.left, 0);
    /* never before the due time (sofia-sip has ms resolution: allow its rounding), and late by
     * at most the 1 ms hold plus scheduling (generous: sanitizers, shared CPU) */
    CHECK(c.early_min_us > -1000);
    CHECK(c.late_max_us < 50000);
    /* ~3 polls per timer (sleep, the 1 ms hold, dispatch); the spin made hundreds */
    fprintf(stderr, "  5 timers: %u polls, late by at most %lld us\n", polls,
            (long long)c.late_max_us);
    CHECK(polls <= 5 * 6);
    su_timer_destroy(c.t);
    g_main_loop_unref(c.loop);
    g_source_destroy(gs);
    su_root_destroy(root);
    su_deinit();
}

int main(void)
{
    RUN(timers_fire_without_spinning);
    UNIT_END("sip/su_loop");
}
