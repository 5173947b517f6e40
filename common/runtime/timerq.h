/* Timer queues on the GLib main loop: many timers, one GLib source. Timers live inside the
 * records they time (no allocation); each belongs to a queue kept in due order, and one GLib
 * timeout armed at the earliest head serves every queue. A queue whose timers all have the same
 * delay is a FIFO (start = push at the tail, O(1)); other delays are inserted in order from the
 * tail. Expired timers are stopped, then handed to their queue's callback, queue by queue in
 * index order; a callback may start or stop any timer, including its own.
 * Used where a GSource per transaction would cost an allocation, a source to check at every
 * loop iteration and a wake-up (pcscf proxy transactions, the H.248 transport). */
#ifndef RT_TIMERQ_H
#define RT_TIMERQ_H
#include <glib.h>
#include <stdbool.h>

typedef struct {
    GList link;    /* first member; link.data = the record */
    gint64 due_us; /* monotonic; 0: stopped */
    unsigned q;    /* queue while running */
} rt_timer_t;

typedef void (*rt_timer_fn)(void *record);

typedef struct rt_timerq rt_timerq_t;

/* `nq` queues, `fns[i]` called for the expired timers of queue i. */
rt_timerq_t *rt_timerq_new(unsigned nq, const rt_timer_fn *fns);
void rt_timerq_free(rt_timerq_t *tq);

/* (Re)starts `tm` in queue `q` to expire `after_us` from now. */
void rt_timer_start(rt_timerq_t *tq, rt_timer_t *tm, unsigned q, void *record, gint64 after_us);
void rt_timer_stop(rt_timerq_t *tq, rt_timer_t *tm);
static inline bool rt_timer_running(const rt_timer_t *tm)
{
    return tm->due_us != 0;
}

#endif
