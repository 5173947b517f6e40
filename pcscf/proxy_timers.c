/* The proxy's transaction timers (see proxy_int.h) on the shared timer queues
 * (runtime/timerq.h). Every timer of one kind has the same delay (Timer C: sip.invite_timeout;
 * the deadlines: Timer C + 64*T1/2 + 40 s for INVITE, 72 s for the others), so each kind is a
 * FIFO queue: starting or stopping a timer is a list link/unlink, with no GSource per
 * transaction. */
#include "pcscf/proxy_int.h"

static gint64 delay_us(const pcscf_proxy_t *px, px_tq_t q)
{
    gint64 c = (gint64)px->p->set.invite_timeout_s;
    switch (q) {
    case PX_TQ_TIMER_C:
        return c * G_USEC_PER_SEC;
    case PX_TQ_DEADLINE_INVITE:
        return (c + 64 / 2 + 40) * G_USEC_PER_SEC;
    default:
        return (gint64)(64 / 2 + 40) * G_USEC_PER_SEC;
    }
}

static void on_timer_c(void *t)
{
    px_on_timer_c(t);
}

static void on_deadline(void *t)
{
    px_on_deadline(t);
}

void px_timers_init(pcscf_proxy_t *px)
{
    static const rt_timer_fn fns[PX_TQ_COUNT] = {
        [PX_TQ_TIMER_C] = on_timer_c,
        [PX_TQ_DEADLINE_INVITE] = on_deadline,
        [PX_TQ_DEADLINE_OTHER] = on_deadline,
    };
    px->tq = rt_timerq_new(PX_TQ_COUNT, fns);
}

void px_timers_free(pcscf_proxy_t *px)
{
    rt_timerq_free(px->tq);
    px->tq = NULL;
}

void px_timer_start(ptx_t *t, rt_timer_t *tm, px_tq_t q)
{
    if (!rt_timer_running(tm)) rt_timer_start(t->px->tq, tm, q, t, delay_us(t->px, q));
}
