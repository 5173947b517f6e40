/* The proxy's transaction timers (see proxy_int.h). Every timer of one kind has the same delay
 * (Timer C: sip.invite_timeout; the deadlines: Timer C + 64*T1/2 + 40 s for INVITE, 72 s for
 * the others), so each kind is a FIFO in expiry order, and one GLib timer armed at the earliest
 * head serves them all. Starting or stopping a timer is a list link/unlink: no GSource per
 * transaction (a GLib timeout costs an allocation, a main-loop source to check at every
 * iteration and an eventfd write to wake the loop up). */
#include "pcscf/proxy_int.h"

static gint64 delay_us(const pcscf_proxy_t *px, px_tq_t q)
{
    gint64 c = (gint64)px->p->set.invite_timeout_s;
    switch (q) {
    case PX_TQ_TIMER_C: return c * G_USEC_PER_SEC;
    case PX_TQ_DEADLINE_INVITE: return (c + 64 / 2 + 40) * G_USEC_PER_SEC;
    default: return (gint64)(64 / 2 + 40) * G_USEC_PER_SEC;
    }
}

static gboolean on_tick(gpointer ud);

/* Arms the GLib timer at the earliest due time, unless it already fires no later. */
static void arm(pcscf_proxy_t *px)
{
    gint64 earliest = 0;
    for (int q = 0; q < PX_TQ_COUNT; q++) {
        GList *head = px->tq[q].head;
        if (!head) continue;
        gint64 due = ((const px_timer_t *)(void *)head)->due_us;
        if (!earliest || due < earliest) earliest = due;
    }
    if (!earliest) return; /* nothing to wait for; an armed timer just finds nothing */
    if (px->tick && px->tick_due_us <= earliest) return;
    if (px->tick) g_source_remove(px->tick);
    gint64 wait_us = earliest - g_get_monotonic_time();
    guint ms = wait_us <= 0 ? 0 : (guint)((wait_us + 999) / 1000);
    px->tick = g_timeout_add(ms, on_tick, px);
    px->tick_due_us = earliest;
}

static gboolean on_tick(gpointer ud)
{
    pcscf_proxy_t *px = ud;
    px->tick = 0;
    gint64 now = g_get_monotonic_time();
    for (int q = 0; q < PX_TQ_COUNT; q++) {
        GList *head;
        /* The handlers may end transactions, unlinking other entries: re-read the head. */
        while ((head = px->tq[q].head) && ((px_timer_t *)(void *)head)->due_us <= now) {
            ptx_t *t = head->data;
            px_timer_t *tm = (px_timer_t *)(void *)head;
            g_queue_unlink(&px->tq[q], head);
            tm->due_us = 0;
            if (q == PX_TQ_TIMER_C)
                px_on_timer_c(t);
            else
                px_on_deadline(t);
        }
    }
    arm(px);
    return G_SOURCE_REMOVE;
}

void px_timer_start(ptx_t *t, px_timer_t *tm, px_tq_t q)
{
    pcscf_proxy_t *px = t->px;
    if (px_timer_running(tm)) return;
    tm->link.data = t;
    tm->link.prev = tm->link.next = NULL;
    tm->due_us = g_get_monotonic_time() + delay_us(px, q);
    g_queue_push_tail_link(&px->tq[q], &tm->link);
    arm(px);
}

void px_timer_stop(ptx_t *t, px_timer_t *tm, px_tq_t q)
{
    if (!px_timer_running(tm)) return;
    g_queue_unlink(&t->px->tq[q], &tm->link);
    tm->due_us = 0;
}

void px_timers_free(pcscf_proxy_t *px)
{
    if (px->tick) g_source_remove(px->tick);
    px->tick = 0;
}
