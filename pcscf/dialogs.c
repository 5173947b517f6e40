/* Call table (see dialogs.h). Each pcscf_call_t is created and freed here only. */
#include "pcscf/dialogs.h"

#include <sofia-sip/sip_header.h>
#include <string.h>

#include "pcscf/media.h"
#include "pcscf/sipmsg.h"
#include "runtime/log.h"

#define CALL_MAX_AGE_S (12 * 3600)
#define EARLY_MAX_AGE_S 600

struct pcscf_dialogs {
    pcscf_t *p;
    GHashTable *by_key; /* "call-id|caller-tag" -> pcscf_call_t* (owned) */
    unsigned confirmed;
    guint sweep;
    pcscf_call_end_fn end_fn;
    void *end_ud;
};

static char *key_of(const char *call_id, const char *tag)
{
    return g_strdup_printf("%s|%s", call_id, tag ? tag : "");
}

static void update(pcscf_dialogs_t *d)
{
    rt_metrics_set(d->p->metrics, "dialogs", NULL, pcscf_dialogs_count(d));
}

static void call_free(gpointer ptr)
{
    pcscf_call_t *c = ptr;
    if (c->confirmed) c->owner->confirmed--;
    pcscf_media_call_gone(c);
    if (c->anchor) anchor_free(c->anchor);
    g_free(c->key);
    g_free(c->call_id);
    g_free(c->caller_tag);
    g_free(c->callee_tag);
    g_free(c->caller_from);
    g_free(c->caller_contact);
    g_free(c->callee_to);
    g_free(c->callee_contact);
    g_strfreev(c->route_to_caller);
    g_strfreev(c->route_to_callee);
    g_free(c);
}

static gboolean on_sweep(gpointer ud)
{
    pcscf_dialogs_t *d = ud;
    gint64 now = pcscf_now_s();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, d->by_key);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        pcscf_call_t *c = v;
        gint64 age = now - c->started;
        if (c->setup_tx) continue; /* its transaction ends it */
        if ((c->confirmed && age > CALL_MAX_AGE_S) || (!c->confirmed && age > EARLY_MAX_AGE_S)) {
            LOGN(RT_SUB_SIP, c->cid, "call dropped after %" G_GINT64_FORMAT " s without BYE", age);
            rt_metrics_add(d->p->metrics, "dialogs_total", "event=\"expired\"", 1);
            g_hash_table_iter_remove(&it);
        }
    }
    update(d);
    return G_SOURCE_CONTINUE;
}

pcscf_dialogs_t *pcscf_dialogs_new(pcscf_t *p)
{
    pcscf_dialogs_t *d = g_new0(pcscf_dialogs_t, 1);
    d->p = p;
    d->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
    rt_metrics_define(p->metrics, "dialogs", "gauge", "confirmed INVITE dialogs through the pcscf");
    rt_metrics_define(p->metrics, "dialogs_total", "counter",
                      "INVITE dialogs by event (started, ended, expired)");
    update(d);
    d->sweep = g_timeout_add_seconds(60, on_sweep, d);
    return d;
}

void pcscf_dialogs_free(pcscf_dialogs_t *d)
{
    if (!d) return;
    if (d->sweep) g_source_remove(d->sweep);
    g_hash_table_destroy(d->by_key);
    g_free(d);
}

void pcscf_dialogs_set_end_fn(pcscf_dialogs_t *d, pcscf_call_end_fn fn, void *ud)
{
    d->end_fn = fn;
    d->end_ud = ud;
}

pcscf_call_t *pcscf_call_start(pcscf_dialogs_t *d, const sip_t *invite, const char *cid)
{
    if (!invite->sip_call_id || !invite->sip_from) return NULL;
    char *key = key_of(invite->sip_call_id->i_id, invite->sip_from->a_tag);
    pcscf_call_t *c = g_hash_table_lookup(d->by_key, key);
    if (c) {
        g_free(key);
        return c;
    }
    c = g_new0(pcscf_call_t, 1);
    c->owner = d;
    c->key = key;
    c->call_id = g_strdup(invite->sip_call_id->i_id);
    c->caller_tag = g_strdup(invite->sip_from->a_tag);
    g_strlcpy(c->cid, cid ? cid : "", sizeof c->cid);
    c->started = pcscf_now_s();
    c->caller_cseq = invite->sip_cseq ? invite->sip_cseq->cs_seq : 0;
    g_hash_table_insert(d->by_key, c->key, c);
    return c;
}

pcscf_call_t *pcscf_call_by_key(pcscf_dialogs_t *d, const char *key)
{
    return g_hash_table_lookup(d->by_key, key);
}

pcscf_call_t *pcscf_call_find(pcscf_dialogs_t *d, const sip_t *sip)
{
    if (!sip->sip_call_id) return NULL;
    const char *tags[2] = {sip->sip_from ? sip->sip_from->a_tag : NULL,
                           sip->sip_to ? sip->sip_to->a_tag : NULL};
    for (int i = 0; i < 2; i++) {
        if (!tags[i]) continue;
        char *key = key_of(sip->sip_call_id->i_id, tags[i]);
        pcscf_call_t *c = g_hash_table_lookup(d->by_key, key);
        g_free(key);
        if (c) return c;
    }
    return NULL;
}

static char *header_str(const void *h)
{
    if (!h) return NULL;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char *s = sip_header_as_string(home, (const sip_header_t *)h);
    char *out = s ? g_strdup(s) : NULL;
    su_home_deinit(home);
    return out;
}

void pcscf_call_confirmed(pcscf_call_t *c, const sip_t *invite, const sip_t *resp,
                          char **route_to_caller, char **route_to_callee)
{
    if (c->confirmed) return;
    c->confirmed = true;
    c->owner->confirmed++;
    g_free(c->callee_tag);
    c->callee_tag = g_strdup(resp->sip_to ? resp->sip_to->a_tag : NULL);
    c->caller_from = header_str(invite->sip_from);
    c->caller_contact = invite->sip_contact ? pcscf_url_str(invite->sip_contact->m_url) : NULL;
    c->callee_to = header_str(resp->sip_to);
    c->callee_contact = resp->sip_contact ? pcscf_url_str(resp->sip_contact->m_url) : NULL;
    c->route_to_caller = route_to_caller ? g_strdupv(route_to_caller) : NULL;
    c->route_to_callee = route_to_callee ? g_strdupv(route_to_callee) : NULL;
    rt_metrics_add(c->owner->p->metrics, "dialogs_total", "event=\"started\"", 1);
    LOGI(RT_SUB_SIP, c->cid, "dialog confirmed%s", c->anchor ? " (media anchored)" : "");
    update(c->owner);
}

void pcscf_call_seen_request(pcscf_call_t *c, const sip_t *req)
{
    if (!req->sip_cseq || !req->sip_from || !req->sip_from->a_tag) return;
    uint32_t seq = req->sip_cseq->cs_seq;
    if (c->caller_tag && strcmp(req->sip_from->a_tag, c->caller_tag) == 0) {
        if (seq > c->caller_cseq) c->caller_cseq = seq;
    } else if (seq > c->callee_cseq) {
        c->callee_cseq = seq;
    }
}

void pcscf_call_end(pcscf_call_t *c, const char *why)
{
    pcscf_dialogs_t *d = c->owner;
    if (c->confirmed) {
        rt_metrics_add(d->p->metrics, "dialogs_total", "event=\"ended\"", 1);
        LOGI(RT_SUB_SIP, c->cid, "dialog ended (%s)", why);
    } else {
        LOGD(RT_SUB_SIP, c->cid, "call attempt over (%s)", why);
    }
    g_hash_table_remove(d->by_key, c->key); /* frees c */
    update(d);
}

void pcscf_dialogs_release_media(pcscf_dialogs_t *d)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, d->by_key);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        pcscf_call_t *c = v;
        pcscf_media_call_gone(c);
        if (c->anchor) anchor_free(c->anchor);
        c->anchor = NULL;
    }
}

unsigned pcscf_dialogs_count(const pcscf_dialogs_t *d)
{
    return d->confirmed;
}

unsigned pcscf_dialogs_calls(const pcscf_dialogs_t *d)
{
    return g_hash_table_size(d->by_key);
}

void pcscf_dialogs_end_call(pcscf_call_t *c, const char *reason)
{
    if (c->owner->end_fn) c->owner->end_fn(c, reason, c->owner->end_ud);
}

pcscf_t *pcscf_dialogs_node(const pcscf_dialogs_t *d)
{
    return d->p;
}
