/* Strict configuration loading on libconfig: one key table per node drives validation (unknown
 * key, wrong type, out-of-range value, missing required key -> "file:line: reason"), defaults,
 * the --check-config report and the generated *.conf.sample. */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H
#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>

typedef enum {
    RT_CFG_INT,      /* int, range [min, max] */
    RT_CFG_BOOL,
    RT_CFG_FLOAT,    /* range [min, max] */
    RT_CFG_STRING,   /* max length (if max > 0); `choices` "a|b|c" restricts the value */
    RT_CFG_STRLIST,  /* array of strings, [ "a", "b" ] */
    RT_CFG_GROUP,    /* { ... } described by `sub` */
    RT_CFG_LIST,     /* ( { ... }, { ... } ), each element described by `sub` */
    RT_CFG_MAP,      /* group whose keys are free names; each value described by `sub[0]` */
} rt_cfg_type_t;

enum { RT_CFG_REQUIRED = 1 };

typedef struct rt_cfg_key {
    const char *name;
    rt_cfg_type_t type;
    const char *def; /* default, as libconfig text ("5", "true", "\"x\""); NULL: none */
    long long min, max;
    const char *doc;
    const struct rt_cfg_key *sub; /* GROUP, LIST, MAP; terminated by a {NULL} entry */
    unsigned flags;
    const char *choices;
} rt_cfg_key_t;

/* The keys every node has (log, admin); node tables list only their own keys. */
extern const rt_cfg_key_t rt_cfg_common_keys[];

/* Reads and validates `path`; on success fills defaults into `cfg` and returns true. On failure
 * appends one "file:line: reason" line per problem to `errors`. */
bool rt_cfg_load(config_t *cfg, const char *path, const rt_cfg_key_t *node_keys, GString *errors);
/* Same, from text (tests); `name` is used as the file name in messages. */
bool rt_cfg_load_string(config_t *cfg, const char *text, const char *name,
                        const rt_cfg_key_t *node_keys, GString *errors);

/* Appends "file:line: reason" for a node's own semantic checks. */
void rt_cfg_error(GString *errors, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the commented sample file for a node's table (common keys first). */
void rt_cfg_print_sample(GString *out, const char *node, const rt_cfg_key_t *node_keys);

/* Small typed getters with the path relative to `s` (NULL = root). Defaults are already filled. */
long long rt_cfg_int(const config_t *cfg, const char *path);
bool rt_cfg_bool(const config_t *cfg, const char *path);
double rt_cfg_float(const config_t *cfg, const char *path);
const char *rt_cfg_str(const config_t *cfg, const char *path); /* "" when absent */
const char *rt_cfg_member_str(const config_setting_t *s, const char *name); /* NULL when absent */
long long rt_cfg_member_int(const config_setting_t *s, const char *name, long long dflt);
bool rt_cfg_member_bool(const config_setting_t *s, const char *name, bool dflt);

#endif
