/* Location service of the registrar role (see registrar.h). */
#include "pcscf/registrar.h"

#include <string.h>

#include "pcscf/uri.h"
#include "runtime/log.h"

struct pcscf_registrar {
    GPtrArray *regs;     /* pcscf_registration_t*, owned */
    GHashTable *by_impu; /* canonical registered IMPU -> registration (borrowed) */
    rt_metrics_t *metrics;
    pcscf_reg_expired_cb on_expired;
    void *ud;
    guint tick;
};

gint64 pcscf_now_s(void)
{
    return g_get_monotonic_time() / G_USEC_PER_SEC;
}

pcscf_binding_t *pcscf_binding_new(const char *uri, const char *params, gint64 expires,
                                   const char *proto, const char *src_ip, unsigned src_port,
                                   char **path, bool bnc, const char *call_id, uint32_t cseq)
{
    pcscf_binding_t *b = g_new0(pcscf_binding_t, 1);
    b->uri = g_strdup(uri);
    b->params = g_strdup(params ? params : "");
    b->expires = expires;
    b->proto = g_strdup(proto);
    b->src_ip = g_strdup(src_ip);
    b->src_port = src_port;
    b->path = path ? g_strdupv(path) : NULL;
    b->bnc = bnc;
    b->call_id = g_strdup(call_id);
    b->cseq = cseq;
    return b;
}

pcscf_binding_t *pcscf_binding_copy(const pcscf_binding_t *b)
{
    return pcscf_binding_new(b->uri, b->params, b->expires, b->proto, b->src_ip, b->src_port,
                             b->path, b->bnc, b->call_id, b->cseq);
}

void pcscf_binding_free(pcscf_binding_t *b)
{
    if (!b) return;
    g_free(b->uri);
    g_free(b->params);
    g_free(b->proto);
    g_free(b->src_ip);
    g_strfreev(b->path);
    g_free(b->call_id);
    g_free(b);
}

static void registration_free(gpointer p)
{
    pcscf_registration_t *r = p;
    g_free(r->impi);
    g_free(r->impu);
    pcscf_idset_free(r->ids);
    g_ptr_array_free(r->bindings, TRUE);
    g_free(r->peer);
    g_free(r);
}

static void update_gauges(pcscf_registrar_t *reg)
{
    rt_metrics_set(reg->metrics, "registrations", NULL, reg->regs->len);
    rt_metrics_set(reg->metrics, "bindings", NULL, pcscf_registrar_binding_count(reg));
}

static gboolean on_tick(gpointer ud)
{
    pcscf_registrar_expire(ud, pcscf_now_s());
    return G_SOURCE_CONTINUE;
}

pcscf_registrar_t *pcscf_registrar_new(rt_metrics_t *metrics, pcscf_reg_expired_cb cb, void *ud)
{
    pcscf_registrar_t *reg = g_new0(pcscf_registrar_t, 1);
    reg->regs = g_ptr_array_new_with_free_func(registration_free);
    reg->by_impu = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    reg->metrics = metrics;
    reg->on_expired = cb;
    reg->ud = ud;
    rt_metrics_define(metrics, "registrations", "gauge", "registered IMPUs (registrations)");
    rt_metrics_define(metrics, "bindings", "gauge", "contacts bound to registrations");
    update_gauges(reg);
    reg->tick = g_timeout_add_seconds(1, on_tick, reg);
    return reg;
}

void pcscf_registrar_free(pcscf_registrar_t *reg)
{
    if (!reg) return;
    if (reg->tick) g_source_remove(reg->tick);
    g_hash_table_destroy(reg->by_impu);
    g_ptr_array_free(reg->regs, TRUE);
    g_free(reg);
}

static char *key_of(const char *impu)
{
    char *c = pcscf_uri_canon(impu);
    if (!c) return g_ascii_strdown(impu, -1);
    char *k = g_ascii_strdown(c, -1);
    g_free(c);
    return k;
}

pcscf_registration_t *pcscf_registrar_find(pcscf_registrar_t *reg, const char *impu)
{
    char *k = key_of(impu);
    pcscf_registration_t *r = g_hash_table_lookup(reg->by_impu, k);
    g_free(k);
    return r;
}

pcscf_registration_t *pcscf_registrar_lookup(pcscf_registrar_t *reg, const char *uri,
                                             bool *wildcard)
{
    pcscf_registration_t *wild = NULL;
    for (guint i = 0; i < reg->regs->len; i++) {
        pcscf_registration_t *r = reg->regs->pdata[i];
        if (r->bindings->len == 0) continue;
        const pcscf_identity_t *id = pcscf_idset_match(r->ids, uri);
        if (!id || id->barred) continue;
        if (!id->wildcard) {
            if (wildcard) *wildcard = false;
            return r;
        }
        if (!wild) wild = r;
    }
    if (wildcard) *wildcard = wild != NULL;
    return wild;
}

pcscf_registration_t *pcscf_registrar_by_source(pcscf_registrar_t *reg, const char *ip,
                                                unsigned port, const char *from_uri)
{
    pcscf_registration_t *exact = NULL, *by_ip = NULL;
    for (guint i = 0; i < reg->regs->len; i++) {
        pcscf_registration_t *r = reg->regs->pdata[i];
        for (guint j = 0; j < r->bindings->len; j++) {
            const pcscf_binding_t *b = r->bindings->pdata[j];
            if (g_ascii_strcasecmp(b->src_ip, ip) != 0) continue;
            bool owns_from = from_uri && pcscf_idset_match(r->ids, from_uri);
            if (b->src_port == port) {
                if (owns_from) return r;
                if (!exact) exact = r;
            } else if (owns_from && !by_ip) {
                by_ip = r;
            }
        }
    }
    return exact ? exact : by_ip;
}

pcscf_registration_t *pcscf_registrar_by_peer(pcscf_registrar_t *reg, const char *peer)
{
    for (guint i = 0; peer && i < reg->regs->len; i++) {
        pcscf_registration_t *r = reg->regs->pdata[i];
        if (r->peer && strcmp(r->peer, peer) == 0 && r->bindings->len) return r;
    }
    return NULL;
}

static void unlink_registration(pcscf_registrar_t *reg, pcscf_registration_t *r)
{
    char *k = key_of(r->impu);
    g_hash_table_remove(reg->by_impu, k);
    g_free(k);
    g_ptr_array_remove(reg->regs, r); /* frees */
}

pcscf_registration_t *pcscf_registrar_store(pcscf_registrar_t *reg, const char *impi,
                                            const char *impu, pcscf_idset_t *ids,
                                            GPtrArray *bindings, const char *peer)
{
    pcscf_registration_t *r = pcscf_registrar_find(reg, impu);
    if (!bindings || bindings->len == 0) {
        if (bindings) g_ptr_array_free(bindings, TRUE);
        pcscf_idset_free(ids);
        if (r) unlink_registration(reg, r);
        update_gauges(reg);
        return NULL;
    }
    if (!r) {
        r = g_new0(pcscf_registration_t, 1);
        r->impu = key_of(impu);
        g_ptr_array_add(reg->regs, r);
        g_hash_table_insert(reg->by_impu, g_strdup(r->impu), r);
    } else {
        g_ptr_array_free(r->bindings, TRUE);
    }
    g_free(r->impi);
    r->impi = g_strdup(impi);
    if (ids) {
        pcscf_idset_free(r->ids);
        r->ids = ids;
    }
    if (!r->ids) {
        r->ids = pcscf_idset_new();
        pcscf_idset_add(r->ids, impu, false);
    }
    g_ptr_array_set_free_func(bindings, (GDestroyNotify)pcscf_binding_free);
    r->bindings = bindings;
    r->gin = false;
    for (guint i = 0; i < bindings->len; i++)
        if (((pcscf_binding_t *)bindings->pdata[i])->bnc) r->gin = true;
    g_free(r->peer);
    r->peer = g_strdup(peer);
    update_gauges(reg);
    return r;
}

bool pcscf_registrar_remove(pcscf_registrar_t *reg, const char *impu)
{
    pcscf_registration_t *r = pcscf_registrar_find(reg, impu);
    if (!r) return false;
    unlink_registration(reg, r);
    update_gauges(reg);
    return true;
}

unsigned pcscf_registrar_remove_matching(pcscf_registrar_t *reg, const char *impi, char **impus)
{
    unsigned n = 0;
    for (guint i = reg->regs->len; i-- > 0;) {
        pcscf_registration_t *r = reg->regs->pdata[i];
        bool hit = impi && r->impi && strcmp(r->impi, impi) == 0;
        for (size_t j = 0; !hit && impus && impus[j]; j++)
            hit = pcscf_idset_match(r->ids, impus[j]) != NULL;
        if (hit) {
            unlink_registration(reg, r);
            n++;
        }
    }
    update_gauges(reg);
    return n;
}

guint pcscf_registrar_count(const pcscf_registrar_t *reg)
{
    return reg->regs->len;
}

guint pcscf_registrar_binding_count(const pcscf_registrar_t *reg)
{
    guint n = 0;
    for (guint i = 0; i < reg->regs->len; i++)
        n += ((pcscf_registration_t *)reg->regs->pdata[i])->bindings->len;
    return n;
}

GPtrArray *pcscf_registrar_all(pcscf_registrar_t *reg)
{
    return reg->regs;
}

void pcscf_registrar_expire(pcscf_registrar_t *reg, gint64 now_s)
{
    bool changed = false;
    for (guint i = reg->regs->len; i-- > 0;) {
        pcscf_registration_t *r = reg->regs->pdata[i];
        for (guint j = r->bindings->len; j-- > 0;) {
            pcscf_binding_t *b = r->bindings->pdata[j];
            if (b->expires <= now_s) {
                LOGI(RT_SUB_SIP, NULL, "binding %s of %s expired", b->uri, r->impu);
                g_ptr_array_remove_index(r->bindings, j);
                changed = true;
            }
        }
        if (r->bindings->len == 0) {
            LOGN(RT_SUB_SIP, NULL, "registration of %s expired", r->impu);
            if (reg->on_expired) reg->on_expired(r, reg->ud);
            unlink_registration(reg, r);
        }
    }
    if (changed) update_gauges(reg);
}
