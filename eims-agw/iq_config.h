/* Configuration of the eims-agw daemon: the "iq" group (H.248 transport, association with the
 * MGC, profile, command options) next to the media engine's "media" group (agw_media_cfg_keys,
 * owned by the engine), and how each part's settings are read from a loaded configuration. */
#ifndef AGW_IQ_CONFIG_H
#define AGW_IQ_CONFIG_H
#include <glib.h>
#include <libconfig.h>

#include "h248/transport.h"
#include "iq_cmd.h"
#include "iq_mg.h"
#include "runtime/config.h"

/* Keys of the "iq" group. */
extern const rt_cfg_key_t iq_cfg_keys[];

/* The daemon's whole key table: "iq" and the engine's "media" group. */
const rt_cfg_key_t *iq_daemon_keys(void);

/* Semantic checks of the "iq" group (numeric addresses, profile syntax) plus the engine's. */
void iq_cfg_check(const config_t *cfg, GString *errors);

/* Settings read from a loaded configuration; strings point into `cfg`. */
typedef struct {
    h248_tp_cfg_t tp;
    iq_mg_cfg mg;
    iq_cmd_cfg cmd;
    unsigned max_contexts;
} iq_settings;

void iq_cfg_read(const config_t *cfg, iq_settings *out);

/* H.248.1 Annex B: profile = NAME "/" 1*2DIGIT, NAME = ALPHA *63(ALPHA / DIGIT / "_"). */
bool iq_profile_valid(const char *profile);

#endif
