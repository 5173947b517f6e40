/* sofia-sip's su_root as a GLib source (su_glib), with two fixes applied from the outside
 * (sofia-sip itself is not patched):
 *
 * - GLib blocks a source that cannot recurse while it dispatches: it takes each of its poll fds
 *   out of the context's poll set and puts them back afterwards, and each change writes the
 *   context's wakeup eventfd (then the next poll returns at once and reads it). The su_root
 *   source holds every sofia-sip socket. Neither the pcscf nor the wtpf iterates the main context
 *   from inside an su_root callback, so the source is marked can-recurse and is never blocked.
 *
 * - su_glib's prepare() converts the time to the next sofia-sip timer to milliseconds by
 *   truncation (su_timer_next_expires()), so during the last millisecond before a timer is due
 *   it reports "ready now", the dispatch finds nothing expired, and the loop spins (poll with a
 *   0 timeout, prepare, check, dispatch) until the timer is really due: measured in the pcscf at 300
 *   calls/s, ~90 idle loop iterations per call. The wrapper below turns the first "ready now" that
 *   comes from a timer into "wait 1 ms" and lets the next one through, so a timer fires at most
 *   ~1 ms after its due time (sofia-sip's timers have millisecond resolution anyway). Sockets
 *   are unaffected: their readiness goes through check(), which is not wrapped; a pending
 *   su_msg (cross-thread message) waits the same <= 1 ms. */
#include "su_loop.h"

#include <sofia-sip/su_glib.h>

static GSourceFuncs su_funcs;      /* su_glib's own */
static GSourceFuncs wrapped_funcs; /* the same, prepare() replaced */
static gint64 hold_until_us;       /* 0: not holding back a "ready now" (one su_root per process) */

static gboolean prepare(GSource *gs, gint *timeout)
{
    gint tout = -1;
    gboolean ready = su_funcs.prepare(gs, &tout);
    if (!ready || tout != 0) {
        hold_until_us = 0;
        *timeout = tout;
        return ready;
    }
    gint64 now = g_source_get_time(gs);
    if (!hold_until_us) hold_until_us = now + 1000;
    if (now < hold_until_us) {
        *timeout = (gint)((hold_until_us - now + 999) / 1000);
        return FALSE;
    }
    hold_until_us = 0;
    *timeout = 0;
    return TRUE;
}

GSource *sip_su_loop_attach(su_root_t *root)
{
    GSource *gs = su_glib_root_gsource(root);
    if (!gs) return NULL;
    su_funcs = *gs->source_funcs;
    wrapped_funcs = su_funcs;
    wrapped_funcs.prepare = prepare;
    g_source_set_funcs(gs, &wrapped_funcs);
    g_source_set_can_recurse(gs, TRUE);
    g_source_attach(gs, NULL);
    return gs;
}
