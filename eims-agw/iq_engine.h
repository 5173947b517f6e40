/* The Iq control's media plane is the eIMS-AGW media engine (media.h): this adapter implements
 * iq_media on agw_media_t (contexts, W3 and RTP terminations, statistics) and turns the engine's
 * events into iq_media_event for the context table. */
#ifndef AGW_IQ_ENGINE_H
#define AGW_IQ_ENGINE_H
#include <glib.h>

#include "iq_media.h"
#include "media.h"

typedef struct iq_engine iq_engine;

/* Starts the engine with `cfg` (its on_event/event_ud are replaced by the adapter's). */
iq_engine *iq_engine_new(const agw_media_config_t *cfg, GError **err);
/* Frees the engine (every context left) and the adapter. */
void iq_engine_free(iq_engine *e);
iq_media iq_engine_media(iq_engine *e);
agw_media_t *iq_engine_agw(iq_engine *e);
/* Where events go: fn(term_ud, ev, detail, ud) on the main loop. */
void iq_engine_set_event_fn(iq_engine *e, iq_media_event_fn fn, void *ud);

#endif
