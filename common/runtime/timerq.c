/* Timer queues (see timerq.h). */
#include "runtime/timerq.h"

struct rt_timerq {
    unsigned nq;
    GQueue *q; /* rt_timer_t links, earliest first */
    rt_timer_fn *fns;
    guint tick;         /* the GLib timeout (0: not armed) */
    gint64 tick_due_us; /* when it fires */
};

static gint64 due_of(const GList *l)
{
    return ((const rt_timer_t *)(const void *)l)->due_us;
}

static gboolean on_tick(gpointer ud);

/* Arms the GLib timeout at the earliest due time, unless it already fires no later. */
static void arm(rt_timerq_t *tq)
{
    gint64 earliest = 0;
    for (unsigned i = 0; i < tq->nq; i++)
        if (tq->q[i].head && (!earliest || due_of(tq->q[i].head) < earliest))
            earliest = due_of(tq->q[i].head);
    if (!earliest) return; /* nothing to wait for; an armed timeout just finds nothing */
    if (tq->tick && tq->tick_due_us <= earliest) return;
    if (tq->tick) g_source_remove(tq->tick);
    gint64 wait_us = earliest - g_get_monotonic_time();
    tq->tick = g_timeout_add(wait_us <= 0 ? 0 : (guint)((wait_us + 999) / 1000), on_tick, tq);
    tq->tick_due_us = earliest;
}

static gboolean on_tick(gpointer ud)
{
    rt_timerq_t *tq = ud;
    tq->tick = 0;
    gint64 now = g_get_monotonic_time();
    for (unsigned i = 0; i < tq->nq; i++) {
        GList *head;
        /* A callback may stop or restart other timers: always re-read the head. A timer it
         * restarts is due later than now, so the loop ends. */
        while ((head = tq->q[i].head) && due_of(head) <= now) {
            rt_timer_t *tm = (rt_timer_t *)(void *)head;
            void *record = head->data;
            rt_timer_stop(tq, tm);
            tq->fns[i](record);
        }
    }
    arm(tq);
    return G_SOURCE_REMOVE;
}

rt_timerq_t *rt_timerq_new(unsigned nq, const rt_timer_fn *fns)
{
    rt_timerq_t *tq = g_new0(rt_timerq_t, 1);
    tq->nq = nq;
    tq->q = g_new0(GQueue, nq);
    tq->fns = g_memdup2(fns, nq * sizeof *fns);
    return tq;
}

void rt_timerq_free(rt_timerq_t *tq)
{
    if (!tq) return;
    if (tq->tick) g_source_remove(tq->tick);
    g_free(tq->q);
    g_free(tq->fns);
    g_free(tq);
}

void rt_timer_start(rt_timerq_t *tq, rt_timer_t *tm, unsigned q, void *record, gint64 after_us)
{
    rt_timer_stop(tq, tm);
    tm->link.data = record;
    tm->link.prev = tm->link.next = NULL;
    tm->due_us = g_get_monotonic_time() + (after_us > 0 ? after_us : 0);
    if (!tm->due_us) tm->due_us = 1; /* 0 means stopped */
    tm->q = q;
    /* From the tail: a queue of one delay is a FIFO, so the new timer goes last at once. */
    GList *after = tq->q[q].tail;
    while (after && due_of(after) > tm->due_us)
        after = after->prev;
    g_queue_insert_after_link(&tq->q[q], after, &tm->link); /* NULL: at the head */
    arm(tq);
}

void rt_timer_stop(rt_timerq_t *tq, rt_timer_t *tm)
{
    if (!tm->due_us) return;
    g_queue_unlink(&tq->q[tm->q], &tm->link);
    tm->due_us = 0;
}
