/* Metrics registry behind /metrics. Families keep definition order; series live in a hash table
 * keyed by their label text. One mutex: updates are a hash lookup and an add. */
#include "runtime/metrics.h"

#include <pthread.h>
#include <string.h>

typedef struct {
    gchar *name, *type, *help;
    GHashTable *series; /* labels text -> double* */
} family_t;

typedef struct {
    rt_metrics_collect_fn fn;
    void *ud;
} collector_t;

struct rt_metrics {
    gchar *prefix;
    GPtrArray *families;
    GHashTable *by_name; /* full name -> family_t* */
    GArray *collectors;
    pthread_mutex_t lock;
};

static void family_free(gpointer p)
{
    family_t *f = p;
    g_free(f->name);
    g_free(f->type);
    g_free(f->help);
    g_hash_table_destroy(f->series);
    g_free(f);
}

rt_metrics_t *rt_metrics_new(const char *prefix)
{
    rt_metrics_t *m = g_new0(rt_metrics_t, 1);
    m->prefix = g_strdup(prefix ? prefix : "");
    m->families = g_ptr_array_new_with_free_func(family_free);
    m->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    m->collectors = g_array_new(FALSE, FALSE, sizeof(collector_t));
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void rt_metrics_free(rt_metrics_t *m)
{
    if (!m) return;
    g_hash_table_destroy(m->by_name);
    g_ptr_array_free(m->families, TRUE);
    g_array_free(m->collectors, TRUE);
    pthread_mutex_destroy(&m->lock);
    g_free(m->prefix);
    g_free(m);
}

static family_t *lookup(rt_metrics_t *m, const char *name)
{
    gchar *full = g_strconcat(m->prefix, name, NULL);
    family_t *f = g_hash_table_lookup(m->by_name, full);
    g_free(full);
    return f;
}

void rt_metrics_define(rt_metrics_t *m, const char *name, const char *type, const char *help)
{
    pthread_mutex_lock(&m->lock);
    if (!lookup(m, name)) {
        family_t *f = g_new0(family_t, 1);
        f->name = g_strconcat(m->prefix, name, NULL);
        f->type = g_strdup(type);
        f->help = g_strdup(help);
        f->series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_ptr_array_add(m->families, f);
        g_hash_table_insert(m->by_name, f->name, f);
    }
    pthread_mutex_unlock(&m->lock);
}

static double *series(family_t *f, const char *labels)
{
    const char *key = labels ? labels : "";
    double *v = g_hash_table_lookup(f->series, key);
    if (!v) {
        v = g_new0(double, 1);
        g_hash_table_insert(f->series, g_strdup(key), v);
    }
    return v;
}

void rt_metrics_add(rt_metrics_t *m, const char *name, const char *labels, double delta)
{
    if (!m) return; /* a component used without a registry counts nothing */
    pthread_mutex_lock(&m->lock);
    family_t *f = lookup(m, name);
    if (f) *series(f, labels) += delta;
    pthread_mutex_unlock(&m->lock);
}

void rt_metrics_set(rt_metrics_t *m, const char *name, const char *labels, double value)
{
    if (!m) return; /* a component used without a registry counts nothing */
    pthread_mutex_lock(&m->lock);
    family_t *f = lookup(m, name);
    if (f) *series(f, labels) = value;
    pthread_mutex_unlock(&m->lock);
}

double rt_metrics_get(rt_metrics_t *m, const char *name, const char *labels)
{
    if (!m) return 0;
    pthread_mutex_lock(&m->lock);
    family_t *f = lookup(m, name);
    double *v = f ? g_hash_table_lookup(f->series, labels ? labels : "") : NULL;
    double r = v ? *v : 0;
    pthread_mutex_unlock(&m->lock);
    return r;
}

void rt_metrics_add_collector(rt_metrics_t *m, rt_metrics_collect_fn fn, void *ud)
{
    collector_t c = {fn, ud};
    pthread_mutex_lock(&m->lock);
    g_array_append_val(m->collectors, c);
    pthread_mutex_unlock(&m->lock);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(a, b);
}

GString *rt_metrics_render(rt_metrics_t *m)
{
    for (guint i = 0; i < m->collectors->len; i++) {
        collector_t *c = &g_array_index(m->collectors, collector_t, i);
        c->fn(m, c->ud);
    }
    GString *out = g_string_new(NULL);
    pthread_mutex_lock(&m->lock);
    for (guint i = 0; i < m->families->len; i++) {
        family_t *f = g_ptr_array_index(m->families, i);
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                               f->type);
        GList *keys = g_list_sort(g_hash_table_get_keys(f->series), cmp_str);
        for (GList *l = keys; l; l = l->next) {
            const char *k = l->data;
            double v = *(double *)g_hash_table_lookup(f->series, k);
            char num[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd(num, sizeof num, "%.17g", v);
            if (*k)
                g_string_append_printf(out, "%s{%s} %s\n", f->name, k, num);
            else
                g_string_append_printf(out, "%s %s\n", f->name, num);
        }
        g_list_free(keys);
    }
    pthread_mutex_unlock(&m->lock);
    return out;
}

gchar *rt_metrics_escape(const char *v)
{
    GString *s = g_string_new(NULL);
    for (; v && *v; v++) {
        if (*v == '\\') g_string_append(s, "\\\\");
        else if (*v == '"') g_string_append(s, "\\\"");
        else if (*v == '\n') g_string_append(s, "\\n");
        else g_string_append_c(s, *v);
    }
    return g_string_free(s, FALSE);
}
