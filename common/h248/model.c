/* H.248 message model: construction, destruction, comparison and the builders the MG
 * (eims-agw) and MGC (pcscf) use to answer and originate transactions. */
#include "h248/codec_int.h"

#include <string.h>

/* ---- Constructors and destructors ---- */

static void value_free(gpointer p)
{
    h248_value *v = p;
    if (!v) return;
    g_free(v->text);
    g_free(v);
}

h248_prop *h248_prop_new(const char *name, size_t len)
{
    h248_prop *p = g_new0(h248_prop, 1);
    p->name = g_strndup(name, len);
    p->values = g_ptr_array_new_with_free_func(value_free);
    return p;
}

void h248_prop_add_value(h248_prop *p, const char *text, size_t len, bool quoted)
{
    h248_value *v = g_new0(h248_value, 1);
    v->text = g_strndup(text, len);
    v->quoted = quoted;
    g_ptr_array_add(p->values, v);
}

void h248_prop_free(h248_prop *p)
{
    if (!p) return;
    g_free(p->name);
    g_ptr_array_unref(p->values);
    g_free(p);
}

GPtrArray *h248_prop_list_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)h248_prop_free);
}

h248_event *h248_event_new(void)
{
    return g_new0(h248_event, 1);
}

void h248_event_free(h248_event *e)
{
    if (!e) return;
    g_free(e->timestamp);
    g_free(e->name);
    if (e->params) g_ptr_array_unref(e->params);
    if (e->list) g_ptr_array_unref(e->list);
    g_free(e);
}

h248_event_list *h248_event_list_new(int64_t request_id)
{
    h248_event_list *l = g_new0(h248_event_list, 1);
    l->request_id = request_id;
    l->items = g_ptr_array_new_with_free_func((GDestroyNotify)h248_event_free);
    return l;
}

void h248_event_list_free(h248_event_list *l)
{
    if (!l) return;
    g_ptr_array_unref(l->items);
    g_free(l);
}

h248_local_control *h248_local_control_new(void)
{
    h248_local_control *lc = g_new0(h248_local_control, 1);
    lc->reserve_value = -1;
    lc->reserve_group = -1;
    return lc;
}

void h248_local_control_free(h248_local_control *lc)
{
    if (!lc) return;
    if (lc->props) g_ptr_array_unref(lc->props);
    g_free(lc);
}

h248_stream *h248_stream_new(bool has_id, uint16_t id)
{
    h248_stream *s = g_new0(h248_stream, 1);
    s->has_id = has_id;
    s->id = id;
    return s;
}

void h248_stream_free(h248_stream *s)
{
    if (!s) return;
    h248_local_control_free(s->local_control);
    g_free(s->local);
    g_free(s->remote);
    if (s->statistics) g_ptr_array_unref(s->statistics);
    g_free(s);
}

h248_term_state *h248_term_state_new(void)
{
    return g_new0(h248_term_state, 1);
}

void h248_term_state_free(h248_term_state *ts)
{
    if (!ts) return;
    if (ts->props) g_ptr_array_unref(ts->props);
    g_free(ts);
}

h248_media *h248_media_new(void)
{
    h248_media *m = g_new0(h248_media, 1);
    m->streams = g_ptr_array_new_with_free_func((GDestroyNotify)h248_stream_free);
    return m;
}

void h248_media_free(h248_media *m)
{
    if (!m) return;
    h248_term_state_free(m->term_state);
    g_ptr_array_unref(m->streams);
    g_free(m);
}

h248_service_change *h248_service_change_new(void)
{
    h248_service_change *sc = g_new0(h248_service_change, 1);
    sc->delay = -1;
    return sc;
}

void h248_service_change_free(h248_service_change *sc)
{
    if (!sc) return;
    g_free(sc->method_ext);
    g_free(sc->reason);
    g_free(sc->address);
    g_free(sc->mgc_id);
    g_free(sc->profile);
    g_free(sc->timestamp);
    if (sc->extensions) g_ptr_array_unref(sc->extensions);
    g_free(sc);
}

h248_error *h248_error_new(unsigned code, const char *text)
{
    h248_error *e = g_new0(h248_error, 1);
    e->code = code;
    if (text) {
        e->text = g_strdup(text);
        /* quotedString cannot carry DQUOTE nor control characters (Annex B.2). */
        for (char *c = e->text; *c; c++)
            if (*c == '"')
                *c = '\'';
            else if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
                *c = ' ';
    }
    return e;
}

void h248_error_free(h248_error *e)
{
    if (!e) return;
    g_free(e->text);
    g_free(e);
}

h248_command *h248_command_new(h248_cmd_type type)
{
    h248_command *c = g_new0(h248_command, 1);
    c->type = type;
    return c;
}

void h248_command_free(h248_command *c)
{
    if (!c) return;
    g_free(c->term_id);
    h248_media_free(c->media);
    h248_event_list_free(c->events);
    h248_event_list_free(c->signals);
    h248_event_list_free(c->observed_events);
    if (c->statistics) g_ptr_array_unref(c->statistics);
    if (c->packages) g_ptr_array_unref(c->packages);
    h248_service_change_free(c->services);
    h248_error_free(c->error);
    g_free(c);
}

h248_action *h248_action_new(h248_ctx_id ctx)
{
    h248_action *a = g_new0(h248_action, 1);
    a->ctx = ctx;
    a->priority = -1;
    a->emergency = -1;
    a->ieps = -1;
    a->commands = g_ptr_array_new_with_free_func((GDestroyNotify)h248_command_free);
    return a;
}

void h248_action_free(h248_action *a)
{
    if (!a) return;
    g_ptr_array_unref(a->commands);
    h248_error_free(a->error);
    g_free(a);
}

h248_transaction *h248_transaction_new(h248_trans_kind kind, uint32_t id)
{
    h248_transaction *t = g_new0(h248_transaction, 1);
    t->kind = kind;
    t->id = id;
    t->actions = g_ptr_array_new_with_free_func((GDestroyNotify)h248_action_free);
    if (kind == H248_TR_RESPONSE_ACK) t->acks = g_array_new(FALSE, FALSE, sizeof(h248_ack_range));
    return t;
}

void h248_transaction_free(h248_transaction *t)
{
    if (!t) return;
    g_ptr_array_unref(t->actions);
    h248_error_free(t->error);
    if (t->acks) g_array_unref(t->acks);
    g_free(t);
}

h248_message *h248_message_new(unsigned version, const char *mid)
{
    h248_message *m = g_new0(h248_message, 1);
    m->version = version;
    m->mid = g_strdup(mid ? mid : "");
    m->transactions = g_ptr_array_new_with_free_func((GDestroyNotify)h248_transaction_free);
    return m;
}

void h248_message_free(h248_message *m)
{
    if (!m) return;
    g_free(m->mid);
    h248_error_free(m->error);
    g_ptr_array_unref(m->transactions);
    g_free(m);
}

/* ---- Construction helpers ---- */

h248_transaction *h248_message_add_transaction(h248_message *m, h248_trans_kind kind, uint32_t id)
{
    h248_transaction *t = h248_transaction_new(kind, id);
    g_ptr_array_add(m->transactions, t);
    return t;
}

void h248_transaction_ack_range(h248_transaction *t, uint32_t first, uint32_t last)
{
    if (!t->acks) t->acks = g_array_new(FALSE, FALSE, sizeof(h248_ack_range));
    h248_ack_range r = {first, last};
    g_array_append_val(t->acks, r);
}

h248_transaction *h248_message_add_response_ack(h248_message *m, uint32_t first, uint32_t last)
{
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_RESPONSE_ACK, 0);
    h248_transaction_ack_range(t, first, last);
    return t;
}

h248_action *h248_transaction_add_action(h248_transaction *t, h248_ctx_id ctx)
{
    h248_action *a = h248_action_new(ctx);
    g_ptr_array_add(t->actions, a);
    return a;
}

h248_command *h248_action_add_command(h248_action *a, h248_cmd_type type, const char *term_id)
{
    h248_command *c = h248_command_new(type);
    c->term_id = g_strdup(term_id);
    g_ptr_array_add(a->commands, c);
    return c;
}

h248_media *h248_command_media(h248_command *c)
{
    if (!c->media) c->media = h248_media_new();
    return c->media;
}

h248_stream *h248_media_stream(h248_media *m, uint16_t id)
{
    bool has_id = id != 0;
    for (guint i = 0; i < m->streams->len; i++) {
        h248_stream *s = g_ptr_array_index(m->streams, i);
        if (s->has_id == has_id && s->id == id) return s;
    }
    h248_stream *s = h248_stream_new(has_id, id);
    if (has_id)
        g_ptr_array_add(m->streams, s);
    else
        g_ptr_array_insert(m->streams, 0, s);
    return s;
}

h248_stream *h248_command_stream(h248_command *c, uint16_t id)
{
    return h248_media_stream(h248_command_media(c), id);
}

h248_local_control *h248_stream_local_control(h248_stream *s)
{
    if (!s->local_control) s->local_control = h248_local_control_new();
    return s->local_control;
}

h248_term_state *h248_media_term_state(h248_media *m)
{
    if (!m->term_state) m->term_state = h248_term_state_new();
    return m->term_state;
}

static bool is_lwsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *h248_octets_trim(const char *s, size_t len)
{
    size_t b = 0, e = len;
    while (b < e && is_lwsp(s[b]))
        b++;
    while (e > b && is_lwsp(s[e - 1]))
        e--;
    return g_strndup(s + b, e - b);
}

void h248_stream_set_local(h248_stream *s, const char *sdp)
{
    g_free(s->local);
    s->local = sdp ? h248_octets_trim(sdp, strlen(sdp)) : NULL;
}

void h248_stream_set_remote(h248_stream *s, const char *sdp)
{
    g_free(s->remote);
    s->remote = sdp ? h248_octets_trim(sdp, strlen(sdp)) : NULL;
}

h248_prop *h248_props_add(GPtrArray **list, const char *name, const char *value, bool quoted)
{
    if (!*list) *list = h248_prop_list_new();
    h248_prop *p = h248_prop_new(name, strlen(name));
    if (value) {
        p->rel = H248_REL_EQ;
        p->form = H248_VF_SINGLE;
        h248_prop_add_value(p, value, strlen(value), quoted);
    }
    g_ptr_array_add(*list, p);
    return p;
}

h248_prop *h248_props_find(const GPtrArray *list, const char *name)
{
    if (!list) return NULL;
    for (guint i = 0; i < list->len; i++) {
        h248_prop *p = g_ptr_array_index((GPtrArray *)list, i);
        if (g_ascii_strcasecmp(p->name, name) == 0) return p;
    }
    return NULL;
}

const char *h248_prop_value(const h248_prop *p)
{
    if (!p || !p->values || p->values->len == 0) return NULL;
    return ((h248_value *)g_ptr_array_index(p->values, 0))->text;
}

static h248_event_list *event_list_get(h248_event_list **slot, int64_t request_id)
{
    if (!*slot)
        *slot = h248_event_list_new(request_id);
    else
        (*slot)->request_id = request_id;
    return *slot;
}

h248_event_list *h248_command_events(h248_command *c, int64_t request_id)
{
    return event_list_get(&c->events, request_id);
}

h248_event_list *h248_command_observed_events(h248_command *c, int64_t request_id)
{
    return event_list_get(&c->observed_events, request_id);
}

h248_event_list *h248_command_signals(h248_command *c)
{
    return event_list_get(&c->signals, H248_REQID_NONE);
}

h248_event *h248_event_list_add(h248_event_list *l, const char *name)
{
    h248_event *e = h248_event_new();
    e->name = g_strdup(name);
    g_ptr_array_add(l->items, e);
    return e;
}

h248_service_change *h248_command_services(h248_command *c)
{
    if (!c->services) c->services = h248_service_change_new();
    return c->services;
}

void h248_command_set_error(h248_command *c, unsigned code, const char *text)
{
    h248_error_free(c->error);
    c->error = h248_error_new(code, text);
}

void h248_command_add_statistic(h248_command *c, const char *name, const char *value)
{
    h248_props_add(&c->statistics, name, value, false);
}

h248_transaction *h248_message_find_transaction(const h248_message *m, h248_trans_kind kind,
                                                uint32_t id)
{
    for (guint i = 0; m && i < m->transactions->len; i++) {
        h248_transaction *t = g_ptr_array_index(m->transactions, i);
        if (t->kind == kind && t->id == id) return t;
    }
    return NULL;
}

const char *h248_cmd_name(h248_cmd_type t)
{
    static const char *const names[] = {"Add",    "Modify",       "Subtract",
                                        "Move",   "AuditValue",   "AuditCapability",
                                        "Notify", "ServiceChange"};
    return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "?";
}

bool h248_term_is_root(const char *term_id)
{
    return term_id && g_ascii_strcasecmp(term_id, "ROOT") == 0;
}

/* ---- Equality ---- */

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static guint plen(const GPtrArray *a)
{
    return a ? a->len : 0;
}

typedef bool (*item_eq_fn)(const void *a, const void *b);

/* Lists where NULL and empty mean the same thing. */
static bool list_eq(const GPtrArray *a, const GPtrArray *b, item_eq_fn eq)
{
    if (plen(a) != plen(b)) return false;
    for (guint i = 0; i < plen(a); i++)
        if (!eq(g_ptr_array_index((GPtrArray *)a, i), g_ptr_array_index((GPtrArray *)b, i)))
            return false;
    return true;
}

/* Lists whose presence is meaningful (Statistics, Packages). */
static bool opt_list_eq(const GPtrArray *a, const GPtrArray *b, item_eq_fn eq)
{
    if (!a || !b) return a == b;
    return list_eq(a, b, eq);
}

static bool value_eq(const void *pa, const void *pb)
{
    const h248_value *a = pa, *b = pb;
    return a->quoted == b->quoted && str_eq(a->text, b->text);
}

static bool prop_eq(const void *pa, const void *pb)
{
    const h248_prop *a = pa, *b = pb;
    if (!str_eq(a->name, b->name) || a->rel != b->rel) return false;
    if (a->rel == H248_REL_NONE) return true;
    return a->form == b->form && list_eq(a->values, b->values, value_eq);
}

static bool cstr_eq(const void *a, const void *b)
{
    return str_eq(a, b);
}

static bool error_eq(const h248_error *a, const h248_error *b)
{
    if (!a || !b) return a == b;
    return a->code == b->code && str_eq(a->text, b->text);
}

static bool lc_eq(const h248_local_control *a, const h248_local_control *b)
{
    if (!a || !b) return a == b;
    return a->mode == b->mode && a->reserve_value == b->reserve_value &&
           a->reserve_group == b->reserve_group && list_eq(a->props, b->props, prop_eq);
}

static bool stream_eq(const void *pa, const void *pb)
{
    const h248_stream *a = pa, *b = pb;
    return a->has_id == b->has_id && a->id == b->id && lc_eq(a->local_control, b->local_control) &&
           str_eq(a->local, b->local) && str_eq(a->remote, b->remote) &&
           opt_list_eq(a->statistics, b->statistics, prop_eq);
}

static bool media_eq(const h248_media *a, const h248_media *b)
{
    if (!a || !b) return a == b;
    const h248_term_state *x = a->term_state, *y = b->term_state;
    if (!x || !y) {
        if (x != y) return false;
    } else if (x->service_state != y->service_state || x->buffer != y->buffer ||
               !list_eq(x->props, y->props, prop_eq)) {
        return false;
    }
    return list_eq(a->streams, b->streams, stream_eq);
}

static bool event_eq(const void *pa, const void *pb)
{
    const h248_event *a = pa, *b = pb;
    return str_eq(a->timestamp, b->timestamp) && str_eq(a->name, b->name) &&
           list_eq(a->params, b->params, prop_eq) && a->is_list == b->is_list &&
           a->list_id == b->list_id && list_eq(a->list, b->list, event_eq);
}

static bool evlist_eq(const h248_event_list *a, const h248_event_list *b)
{
    if (!a || !b) return a == b;
    return a->request_id == b->request_id && list_eq(a->items, b->items, event_eq);
}

static bool sc_eq(const h248_service_change *a, const h248_service_change *b)
{
    if (!a || !b) return a == b;
    return a->method == b->method && str_eq(a->method_ext, b->method_ext) &&
           str_eq(a->reason, b->reason) && a->delay == b->delay && str_eq(a->address, b->address) &&
           str_eq(a->mgc_id, b->mgc_id) && str_eq(a->profile, b->profile) &&
           a->version == b->version && str_eq(a->timestamp, b->timestamp) &&
           a->incomplete == b->incomplete && list_eq(a->extensions, b->extensions, prop_eq);
}

static bool command_eq(const void *pa, const void *pb)
{
    const h248_command *a = pa, *b = pb;
    return a->type == b->type && a->optional == b->optional &&
           a->wildcard_reply == b->wildcard_reply && str_eq(a->term_id, b->term_id) &&
           media_eq(a->media, b->media) && evlist_eq(a->events, b->events) &&
           evlist_eq(a->signals, b->signals) && evlist_eq(a->observed_events, b->observed_events) &&
           opt_list_eq(a->statistics, b->statistics, prop_eq) &&
           opt_list_eq(a->packages, b->packages, cstr_eq) && sc_eq(a->services, b->services) &&
           a->has_audit == b->has_audit && a->audit == b->audit &&
           a->audit_return == b->audit_return && error_eq(a->error, b->error);
}

static bool action_eq(const void *pa, const void *pb)
{
    const h248_action *a = pa, *b = pb;
    return a->ctx.kind == b->ctx.kind && a->ctx.num == b->ctx.num && a->priority == b->priority &&
           a->emergency == b->emergency && a->ieps == b->ieps &&
           list_eq(a->commands, b->commands, command_eq) && error_eq(a->error, b->error);
}

static bool acks_eq(const GArray *a, const GArray *b)
{
    guint na = a ? a->len : 0, nb = b ? b->len : 0;
    if (na != nb) return false;
    return na == 0 || memcmp(a->data, b->data, na * sizeof(h248_ack_range)) == 0;
}

static bool transaction_eq(const void *pa, const void *pb)
{
    const h248_transaction *a = pa, *b = pb;
    return a->kind == b->kind && a->id == b->id && a->imm_ack_required == b->imm_ack_required &&
           a->segment_number == b->segment_number && a->segment_complete == b->segment_complete &&
           list_eq(a->actions, b->actions, action_eq) && error_eq(a->error, b->error) &&
           acks_eq(a->acks, b->acks);
}

bool h248_message_equal(const h248_message *a, const h248_message *b)
{
    if (!a || !b) return a == b;
    return a->version == b->version && str_eq(a->mid, b->mid) && error_eq(a->error, b->error) &&
           list_eq(a->transactions, b->transactions, transaction_eq);
}

/* ---- Builders ---- */

h248_message *h248_build_service_change(unsigned version, const char *mid, uint32_t tid,
                                        const char *term_id, h248_sc_method method,
                                        const char *reason, unsigned sc_version,
                                        const char *profile)
{
    h248_message *m = h248_message_new(version, mid);
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, tid);
    h248_action *a = h248_transaction_add_action(t, h248_ctx_special(H248_CTX_NULL));
    h248_command *c = h248_action_add_command(a, H248_CMD_SERVICE_CHANGE, term_id);
    h248_service_change *sc = h248_command_services(c);
    sc->method = method;
    sc->reason = g_strdup(reason);
    sc->version = (int)sc_version;
    sc->profile = g_strdup(profile);
    return m;
}

h248_message *h248_build_service_change_reply(unsigned version, const char *mid, uint32_t tid,
                                              const char *term_id, unsigned sc_version,
                                              const char *profile)
{
    h248_message *m = NULL;
    h248_action *a = h248_build_reply(&m, version, mid, tid, h248_ctx_special(H248_CTX_NULL));
    h248_command *c = h248_action_add_command(a, H248_CMD_SERVICE_CHANGE, term_id);
    if (sc_version || profile) {
        h248_service_change *sc = h248_command_services(c);
        sc->version = (int)sc_version;
        sc->profile = g_strdup(profile);
    }
    return m;
}

h248_action *h248_build_reply(h248_message **out, unsigned version, const char *mid, uint32_t tid,
                              h248_ctx_id ctx)
{
    if (!*out) *out = h248_message_new(version, mid);
    h248_transaction *t = h248_message_add_transaction(*out, H248_TR_REPLY, tid);
    return h248_transaction_add_action(t, ctx);
}

h248_command *h248_build_command_reply(h248_action *a, h248_cmd_type type, const char *term_id,
                                       uint16_t stream_id, const char *local_sdp)
{
    h248_command *c = h248_action_add_command(a, type, term_id);
    if (local_sdp) h248_stream_set_local(h248_command_stream(c, stream_id), local_sdp);
    return c;
}

h248_command *h248_build_subtract_reply(h248_action *a, const char *term_id,
                                        const char *const *names, const char *const *values,
                                        size_t n)
{
    h248_command *c = h248_action_add_command(a, H248_CMD_SUBTRACT, term_id);
    for (size_t i = 0; i < n; i++)
        h248_command_add_statistic(c, names[i], values ? values[i] : NULL);
    return c;
}

h248_message *h248_build_error_reply(unsigned version, const char *mid, uint32_t tid, unsigned code,
                                     const char *text)
{
    h248_message *m = h248_message_new(version, mid);
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REPLY, tid);
    t->error = h248_error_new(code, text);
    return m;
}

h248_message *h248_build_message_error(unsigned version, const char *mid, unsigned code,
                                       const char *text)
{
    h248_message *m = h248_message_new(version, mid);
    m->error = h248_error_new(code, text);
    return m;
}

h248_event *h248_build_notify(h248_message **out, unsigned version, const char *mid, uint32_t tid,
                              h248_ctx_id ctx, const char *term_id, uint32_t request_id,
                              const char *timestamp, const char *event)
{
    if (!*out) *out = h248_message_new(version, mid);
    h248_transaction *t = h248_message_add_transaction(*out, H248_TR_REQUEST, tid);
    h248_action *a = h248_transaction_add_action(t, ctx);
    h248_command *c = h248_action_add_command(a, H248_CMD_NOTIFY, term_id);
    h248_event *e = h248_event_list_add(h248_command_observed_events(c, request_id), event);
    e->timestamp = g_strdup(timestamp);
    return e;
}

h248_message *h248_build_pending(unsigned version, const char *mid, uint32_t tid)
{
    h248_message *m = h248_message_new(version, mid);
    h248_message_add_transaction(m, H248_TR_PENDING, tid);
    return m;
}
