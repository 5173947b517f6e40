/* Table-driven validation of libconfig trees. The table is the single description of a node's
 * configuration: the loader, --check-config and the sample file all read it. */
#include "runtime/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const rt_cfg_key_t log_levels_keys[] = {
    {"*", RT_CFG_STRING, NULL, 0, 0, "level for one subsystem", NULL, 0,
     "emerg|alert|crit|err|warning|notice|info|debug"},
    {NULL}};
static const rt_cfg_key_t log_keys[] = {
    {"level", RT_CFG_STRING, "\"info\"", 0, 0, "default threshold (syslog level names)", NULL, 0,
     "emerg|alert|crit|err|warning|notice|info|debug"},
    {"file", RT_CFG_STRING, "\"\"", 0, 4096,
     "log file (reopened on SIGHUP); empty: stderr with -f, else syslog", NULL, 0, NULL},
    {"levels", RT_CFG_MAP, NULL, 0, 0,
     "per-subsystem thresholds: main cfg admin sip iq cx ice dtls srtp rtp ws http",
     log_levels_keys, 0, NULL},
    {NULL}};
static const rt_cfg_key_t admin_keys[] = {
    {"enabled", RT_CFG_BOOL, "true", 0, 0, "serve /health and /metrics", NULL, 0, NULL},
    {"address", RT_CFG_STRING, "\"127.0.0.1\"", 0, 64, "admin HTTP listen address", NULL, 0, NULL},
    {"port", RT_CFG_INT, "9090", 0, 65535, "admin HTTP port (0: any)", NULL, 0, NULL},
    {NULL}};
const rt_cfg_key_t rt_cfg_common_keys[] = {
    {"log", RT_CFG_GROUP, NULL, 0, 0, "logging", log_keys, 0, NULL},
    {"admin", RT_CFG_GROUP, NULL, 0, 0, "operator HTTP endpoint", admin_keys, 0, NULL},
    {NULL}};

static const char *type_name(rt_cfg_type_t t)
{
    static const char *const n[] = {"integer", "boolean", "float",  "string",
                                    "array of strings", "group", "list of groups", "group"};
    return n[t];
}

static const char *src_file(const config_setting_t *s, const char *fallback)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : fallback;
}

void rt_cfg_error(GString *errors, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_printf(errors, "%s:%u: ", src_file(s, "config"),
                           s ? config_setting_source_line(s) : 0);
    g_string_append_vprintf(errors, fmt, ap);
    g_string_append_c(errors, '\n');
    va_end(ap);
}

static const rt_cfg_key_t *find_key(const rt_cfg_key_t *keys, const rt_cfg_key_t *keys2,
                                    const char *name)
{
    for (const rt_cfg_key_t *k = keys; k && k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    for (const rt_cfg_key_t *k = keys2; k && k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

static bool in_choices(const char *choices, const char *v)
{
    gchar **c = g_strsplit(choices, "|", -1);
    bool ok = false;
    for (gchar **p = c; *p && !ok; p++) ok = strcmp(*p, v) == 0;
    g_strfreev(c);
    return ok;
}

static void validate_group(config_setting_t *grp, const rt_cfg_key_t *keys,
                           const rt_cfg_key_t *keys2, const char *path, GString *errors);

static void validate_value(config_setting_t *s, const rt_cfg_key_t *k, const char *path,
                           GString *errors)
{
    int t = config_setting_type(s);
    switch (k->type) {
    case RT_CFG_INT: {
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) break;
        long long v = config_setting_get_int64(s);
        if (v < k->min || v > k->max)
            rt_cfg_error(errors, s, "%s: value %lld out of range [%lld, %lld]", path, v, k->min,
                         k->max);
        return;
    }
    case RT_CFG_BOOL:
        if (t == CONFIG_TYPE_BOOL) return;
        break;
    case RT_CFG_FLOAT: {
        if (t != CONFIG_TYPE_FLOAT && t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) break;
        double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                          : (double)config_setting_get_int64(s);
        if (v < (double)k->min || v > (double)k->max)
            rt_cfg_error(errors, s, "%s: value %g out of range [%lld, %lld]", path, v, k->min,
                         k->max);
        return;
    }
    case RT_CFG_STRING: {
        if (t != CONFIG_TYPE_STRING) break;
        const char *v = config_setting_get_string(s);
        if (k->max > 0 && (long long)strlen(v) > k->max)
            rt_cfg_error(errors, s, "%s: string longer than %lld characters", path, k->max);
        else if (k->choices && !in_choices(k->choices, v))
            rt_cfg_error(errors, s, "%s: \"%s\" is not one of %s", path, v, k->choices);
        return;
    }
    case RT_CFG_STRLIST: {
        if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) break;
        for (int i = 0; i < config_setting_length(s); i++) {
            config_setting_t *e = config_setting_get_elem(s, i);
            if (config_setting_type(e) != CONFIG_TYPE_STRING)
                rt_cfg_error(errors, e, "%s[%d]: expected a string", path, i);
        }
        return;
    }
    case RT_CFG_GROUP:
        if (t != CONFIG_TYPE_GROUP) break;
        validate_group(s, k->sub, NULL, path, errors);
        return;
    case RT_CFG_MAP:
        if (t != CONFIG_TYPE_GROUP) break;
        for (int i = 0; i < config_setting_length(s); i++) {
            config_setting_t *e = config_setting_get_elem(s, i);
            gchar *p = g_strdup_printf("%s.%s", path, config_setting_name(e));
            validate_value(e, &k->sub[0], p, errors);
            g_free(p);
        }
        return;
    case RT_CFG_LIST:
        if (t != CONFIG_TYPE_LIST) break;
        for (int i = 0; i < config_setting_length(s); i++) {
            config_setting_t *e = config_setting_get_elem(s, i);
            gchar *p = g_strdup_printf("%s[%d]", path, i);
            if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                rt_cfg_error(errors, e, "%s: expected a group { ... }", p);
            else
                validate_group(e, k->sub, NULL, p, errors);
            g_free(p);
        }
        return;
    }
    rt_cfg_error(errors, s, "%s: wrong type, expected %s", path, type_name(k->type));
}

/* Adds the default of `k` under `grp`; the default text is parsed by libconfig itself. */
static void add_default(config_setting_t *grp, const rt_cfg_key_t *k)
{
    config_t tmp;
    config_init(&tmp);
    gchar *txt = g_strdup_printf("v = %s;", k->def);
    if (config_read_string(&tmp, txt)) {
        config_setting_t *v = config_lookup(&tmp, "v");
        int t = config_setting_type(v);
        config_setting_t *n = config_setting_add(grp, k->name, t);
        if (n) switch (t) {
            case CONFIG_TYPE_INT: config_setting_set_int(n, config_setting_get_int(v)); break;
            case CONFIG_TYPE_INT64: config_setting_set_int64(n, config_setting_get_int64(v)); break;
            case CONFIG_TYPE_FLOAT: config_setting_set_float(n, config_setting_get_float(v)); break;
            case CONFIG_TYPE_BOOL: config_setting_set_bool(n, config_setting_get_bool(v)); break;
            case CONFIG_TYPE_STRING: config_setting_set_string(n, config_setting_get_string(v)); break;
            default: break;
            }
    }
    g_free(txt);
    config_destroy(&tmp);
}

static void validate_group(config_setting_t *grp, const rt_cfg_key_t *keys,
                           const rt_cfg_key_t *keys2, const char *path, GString *errors)
{
    for (int i = 0; i < config_setting_length(grp); i++) {
        config_setting_t *s = config_setting_get_elem(grp, i);
        const char *name = config_setting_name(s);
        gchar *p = *path ? g_strdup_printf("%s.%s", path, name) : g_strdup(name);
        const rt_cfg_key_t *k = find_key(keys, keys2, name);
        if (!k)
            rt_cfg_error(errors, s, "unknown key '%s'", p);
        else
            validate_value(s, k, p, errors);
        g_free(p);
    }
    /* Missing keys: required ones are errors; defaults and empty groups are filled in so that
     * node code reads every documented key without checking for its presence. */
    const rt_cfg_key_t *tables[2] = {keys, keys2};
    for (int ti = 0; ti < 2; ti++)
        for (const rt_cfg_key_t *k = tables[ti]; k && k->name; k++) {
            if (config_setting_get_member(grp, k->name)) continue;
            if (k->flags & RT_CFG_REQUIRED) {
                gchar *p = *path ? g_strdup_printf("%s.%s", path, k->name) : g_strdup(k->name);
                rt_cfg_error(errors, grp, "missing required key '%s'", p);
                g_free(p);
            } else if (k->type == RT_CFG_GROUP) {
                config_setting_t *n = config_setting_add(grp, k->name, CONFIG_TYPE_GROUP);
                gchar *p = *path ? g_strdup_printf("%s.%s", path, k->name) : g_strdup(k->name);
                if (n) validate_group(n, k->sub, NULL, p, errors);
                g_free(p);
            } else if (k->def) {
                add_default(grp, k);
            }
        }
}

static bool finish_load(config_t *cfg, int ok, const char *name, const rt_cfg_key_t *node_keys,
                        GString *errors)
{
    if (!ok) {
        g_string_append_printf(errors, "%s:%d: %s\n",
                               config_error_file(cfg) ? config_error_file(cfg) : name,
                               config_error_line(cfg), config_error_text(cfg));
        return false;
    }
    gsize before = errors->len;
    validate_group(config_root_setting(cfg), rt_cfg_common_keys, node_keys, "", errors);
    return errors->len == before;
}

bool rt_cfg_load(config_t *cfg, const char *path, const rt_cfg_key_t *node_keys, GString *errors)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        g_string_append_printf(errors, "%s:0: cannot open: %s\n", path, g_strerror(errno));
        return false;
    }
    fclose(fp);
    gchar *dir = g_path_get_dirname(path);
    config_set_include_dir(cfg, dir);
    g_free(dir);
    return finish_load(cfg, config_read_file(cfg, path), path, node_keys, errors);
}

bool rt_cfg_load_string(config_t *cfg, const char *text, const char *name,
                        const rt_cfg_key_t *node_keys, GString *errors)
{
    int ok = config_read_string(cfg, text);
    GString *tmp = g_string_new(NULL);
    bool r = finish_load(cfg, ok, name, node_keys, tmp);
    /* Replace the "config:" placeholder (no file for string input) with `name`. */
    gchar **lines = g_strsplit(tmp->str, "\n", -1);
    for (gchar **l = lines; *l && **l; l++) {
        if (g_str_has_prefix(*l, "config:"))
            g_string_append_printf(errors, "%s%s\n", name, *l + 6);
        else
            g_string_append_printf(errors, "%s\n", *l);
    }
    g_strfreev(lines);
    g_string_free(tmp, TRUE);
    return r;
}

static void sample_keys(GString *out, const rt_cfg_key_t *keys, int depth)
{
    for (const rt_cfg_key_t *k = keys; k && k->name; k++) {
        if (strcmp(k->name, "*") == 0) continue;
        gchar *ind = g_strnfill(depth * 2, ' ');
        g_string_append_printf(out, "%s# %s (%s", ind, k->doc, type_name(k->type));
        if (k->type == RT_CFG_INT || k->type == RT_CFG_FLOAT)
            g_string_append_printf(out, ", %lld..%lld", k->min, k->max);
        if (k->choices) g_string_append_printf(out, ", one of %s", k->choices);
        if (k->flags & RT_CFG_REQUIRED) g_string_append(out, ", required");
        g_string_append(out, ")\n");
        switch (k->type) {
        case RT_CFG_GROUP:
            g_string_append_printf(out, "%s%s = {\n", ind, k->name);
            sample_keys(out, k->sub, depth + 1);
            g_string_append_printf(out, "%s};\n", ind);
            break;
        case RT_CFG_LIST:
            g_string_append_printf(out, "%s# %s = ( {\n", ind, k->name);
            sample_keys(out, k->sub, depth + 2);
            g_string_append_printf(out, "%s# } );\n", ind);
            break;
        case RT_CFG_MAP:
            g_string_append_printf(out, "%s# %s = { name = value; };\n", ind, k->name);
            break;
        default:
            if (k->def)
                g_string_append_printf(out, "%s%s%s = %s;\n", ind, depth >= 2 ? "# " : "",
                                       k->name, k->def);
            else
                g_string_append_printf(out, "%s# %s = ...;\n", ind, k->name);
        }
        g_free(ind);
    }
}

void rt_cfg_print_sample(GString *out, const char *node, const rt_cfg_key_t *node_keys)
{
    g_string_append_printf(out,
                           "# %s configuration sample (libconfig syntax), generated from the key "
                           "table by `%s --print-sample`.\n# Every key is listed with its default; "
                           "unknown keys and wrong types are refused at start.\n\n",
                           node, node);
    sample_keys(out, rt_cfg_common_keys, 0);
    sample_keys(out, node_keys, 0);
}

long long rt_cfg_int(const config_t *cfg, const char *path)
{
    config_setting_t *s = config_lookup(cfg, path);
    return s ? config_setting_get_int64(s) : 0;
}

bool rt_cfg_bool(const config_t *cfg, const char *path)
{
    int v = 0;
    config_lookup_bool(cfg, path, &v);
    return v != 0;
}

double rt_cfg_float(const config_t *cfg, const char *path)
{
    double v = 0;
    if (!config_lookup_float(cfg, path, &v)) v = (double)rt_cfg_int(cfg, path);
    return v;
}

const char *rt_cfg_str(const config_t *cfg, const char *path)
{
    const char *v = NULL;
    return config_lookup_string(cfg, path, &v) ? v : "";
}

const char *rt_cfg_member_str(const config_setting_t *s, const char *name)
{
    const char *v = NULL;
    return (s && config_setting_lookup_string(s, name, &v)) ? v : NULL;
}

long long rt_cfg_member_int(const config_setting_t *s, const char *name, long long dflt)
{
    config_setting_t *m = s ? config_setting_get_member(s, name) : NULL;
    return m ? config_setting_get_int64(m) : dflt;
}

bool rt_cfg_member_bool(const config_setting_t *s, const char *name, bool dflt)
{
    config_setting_t *m = s ? config_setting_get_member(s, name) : NULL;
    return m ? config_setting_get_bool(m) != 0 : dflt;
}
