/* sofia-sip's su_root on the GLib main loop, without its two per-event costs (see su_loop.c). */
#ifndef SIP_SU_LOOP_H
#define SIP_SU_LOOP_H

#include <glib.h>
#include <sofia-sip/su_wait.h>

/* Creates the su_root's GSource, attaches it to the default main context and returns it (the
 * caller destroys it with g_source_destroy() before su_root_destroy()). */
GSource *sip_su_loop_attach(su_root_t *root);

#endif
