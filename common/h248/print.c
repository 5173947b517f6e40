/* H.248 text printer: model -> Annex B.2 text, long or short tokens, pretty (one item per line,
 * short groups kept on one line, as in SPECS.md §4.5) or compact. The model is validated on the
 * way so that whatever is printed parses back to the same model. */
#include "h248/codec_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_WIDTH 80

/* Document tree: a head ("Add = $"), optionally followed by braces around kids or an octet
 * string (Local/Remote SDP). */
typedef struct pnode {
    GString *head;
    GPtrArray *kids;    /* NULL: no braces */
    const char *octets; /* non-NULL: braces around this octet string */
    bool multiline;     /* never on one line (Services, as in SPECS.md §4.5) */
} pnode;

typedef struct {
    bool sh;      /* short tokens */
    bool compact; /* no optional white space */
    bool bad;     /* the model cannot be encoded */
} pctx;

static void pnode_free(pnode *n)
{
    if (!n) return;
    g_string_free(n->head, TRUE);
    if (n->kids) g_ptr_array_unref(n->kids);
    g_free(n);
}

static pnode *node_new(pnode *parent, bool braces)
{
    pnode *n = g_new0(pnode, 1);
    n->head = g_string_new(NULL);
    if (braces) n->kids = g_ptr_array_new_with_free_func((GDestroyNotify)pnode_free);
    if (parent) g_ptr_array_add(parent->kids, n);
    return n;
}

static const char *tok(const pctx *pc, h248_tok t)
{
    return h248_tok_str(t, pc->sh);
}

static const char *eq(const pctx *pc)
{
    return pc->compact ? "=" : " = ";
}

/* Leaf or container whose head is "Token" or "Token = value". */
static pnode *tnode(pctx *pc, pnode *parent, bool braces, h248_tok t, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static pnode *tnode(pctx *pc, pnode *parent, bool braces, h248_tok t, const char *fmt, ...)
{
    pnode *n = node_new(parent, braces);
    g_string_append(n->head, tok(pc, t));
    if (fmt) {
        va_list ap;
        g_string_append(n->head, eq(pc));
        va_start(ap, fmt);
        g_string_append_vprintf(n->head, fmt, ap);
        va_end(ap);
    }
    return n;
}

static bool check(pctx *pc, bool ok)
{
    if (!ok) pc->bad = true;
    return ok;
}

/* ---- Values and properties ---- */

static void append_value(pctx *pc, GString *s, const h248_value *v)
{
    size_t n = v->text ? strlen(v->text) : 0;
    if (v->quoted) {
        check(pc, v->text && h248_valid_quoted(v->text, n));
        g_string_append_printf(s, "\"%s\"", v->text ? v->text : "");
    } else {
        check(pc, v->text && h248_valid_safe_value(v->text, n));
        g_string_append(s, v->text ? v->text : "");
    }
}

typedef enum { NAME_PKGD, NAME_PARAM, NAME_EXT } name_kind;

/* propertyParm / eventOther / sigOther / statisticsParameter / extension. param_toks: the
 * token names allowed in this position (printed in the chosen form), or NULL. */
static void prop_node(pctx *pc, pnode *parent, const h248_prop *p, name_kind kind,
                      const h248_tok *param_toks, bool value_optional)
{
    pnode *n = node_new(parent, false);
    GString *s = n->head;
    size_t nlen = p->name ? strlen(p->name) : 0;
    h248_tok t = param_toks && p->name ? h248_tok_find(param_toks, p->name, nlen) : TK_NONE;
    const h248_tok *vt = t != TK_NONE ? h248_param_value_tokens(t) : NULL;
    if (t != TK_NONE) {
        check(pc, h248_valid_token_param(t, p));
        g_string_append(s, tok(pc, t));
    } else {
        check(pc, value_optional || p->rel != H248_REL_NONE);
        bool ok = p->name && (kind == NAME_PKGD    ? h248_valid_pkgd_name(p->name, nlen)
                              : kind == NAME_PARAM ? h248_valid_name(p->name, nlen)
                                                   : h248_valid_extension(p->name, nlen));
        check(pc, ok);
        g_string_append(s, p->name ? p->name : "");
    }
    if (p->rel == H248_REL_NONE) return;
    guint nv = p->values ? p->values->len : 0;
    check(pc, (unsigned)p->rel <= H248_REL_LT && (unsigned)p->form <= H248_VF_BRACE);
    const char *rel = p->rel == H248_REL_EQ   ? "="
                      : p->rel == H248_REL_NE ? "#"
                      : p->rel == H248_REL_GT ? ">"
                                              : "<";
    g_string_append_printf(s, pc->compact ? "%s" : " %s ", rel);
    if (!check(pc, nv >= 1) || !check(pc, p->form == H248_VF_SINGLE || p->rel == H248_REL_EQ) ||
        !check(pc, p->form != H248_VF_SINGLE || nv == 1) ||
        !check(pc, p->form != H248_VF_RANGE || nv == 2))
        return;
    const char *open = p->form == H248_VF_SQUARE || p->form == H248_VF_RANGE ? "["
                       : p->form == H248_VF_BRACE                            ? "{"
                                                                             : "";
    g_string_append(s, open);
    for (guint i = 0; i < nv; i++) {
        const h248_value *v = g_ptr_array_index(p->values, i);
        if (i) g_string_append(s, p->form == H248_VF_RANGE ? ":" : pc->compact ? "," : ", ");
        h248_tok vtok =
            vt && !v->quoted && v->text ? h248_tok_find(vt, v->text, strlen(v->text)) : TK_NONE;
        if (vt && check(pc, vtok != TK_NONE))
            g_string_append(s, tok(pc, vtok));
        else
            append_value(pc, s, v);
    }
    g_string_append(s, p->form == H248_VF_BRACE ? "}" : *open ? "]" : "");
}

static void props_nodes(pctx *pc, pnode *parent, const GPtrArray *props, name_kind kind,
                        const h248_tok *param_toks)
{
    for (guint i = 0; props && i < props->len; i++)
        prop_node(pc, parent, g_ptr_array_index((GPtrArray *)props, i), kind, param_toks, false);
}

static void error_node(pctx *pc, pnode *parent, const h248_error *e)
{
    check(pc, e->code <= 9999);
    pnode *n = tnode(pc, parent, true, TK_ERROR, "%u", e->code);
    if (e->text) {
        check(pc, h248_valid_quoted(e->text, strlen(e->text)));
        g_string_printf(node_new(n, false)->head, "\"%s\"", e->text);
    }
}

/* ---- Media ---- */

static void octets_node(pctx *pc, pnode *parent, h248_tok t, const char *sdp)
{
    check(pc, h248_valid_octets(sdp, strlen(sdp)));
    pnode *n = tnode(pc, parent, false, t, NULL);
    n->octets = sdp;
}

static void local_control_node(pctx *pc, pnode *parent, const h248_local_control *lc)
{
    static const h248_tok modes[] = {TK_NONE,     TK_SENDONLY, TK_RECVONLY,
                                     TK_SENDRECV, TK_INACTIVE, TK_LOOPBACK};
    pnode *n = tnode(pc, parent, true, TK_LOCALCONTROL, NULL);
    if (lc->mode) {
        check(pc, (unsigned)lc->mode < G_N_ELEMENTS(modes));
        tnode(pc, n, false, TK_MODE, "%s", tok(pc, modes[lc->mode % G_N_ELEMENTS(modes)]));
    }
    if (lc->reserve_value >= 0)
        tnode(pc, n, false, TK_RESERVEDVALUE, "%s", lc->reserve_value ? "ON" : "OFF");
    if (lc->reserve_group >= 0)
        tnode(pc, n, false, TK_RESERVEDGROUP, "%s", lc->reserve_group ? "ON" : "OFF");
    props_nodes(pc, n, lc->props, NAME_PKGD, NULL);
    check(pc, n->kids->len > 0);
}

static void statistics_node(pctx *pc, pnode *parent, const GPtrArray *stats)
{
    pnode *n = tnode(pc, parent, stats->len > 0, TK_STATS, NULL);
    for (guint i = 0; i < stats->len; i++) {
        const h248_prop *p = g_ptr_array_index((GPtrArray *)stats, i);
        check(pc, p->rel == H248_REL_NONE ||
                      (p->rel == H248_REL_EQ &&
                       (p->form == H248_VF_SINGLE || p->form == H248_VF_SQUARE)));
        prop_node(pc, n, p, NAME_PKGD, NULL, true);
    }
}

static void stream_parms(pctx *pc, pnode *n, const h248_stream *s)
{
    if (s->local_control) local_control_node(pc, n, s->local_control);
    if (s->local) octets_node(pc, n, TK_LOCAL, s->local);
    if (s->remote) octets_node(pc, n, TK_REMOTE, s->remote);
    if (s->statistics) statistics_node(pc, n, s->statistics);
}

static void media_node(pctx *pc, pnode *parent, const h248_media *m)
{
    static const h248_tok states[] = {TK_NONE, TK_TEST, TK_OUTOFSVC, TK_INSVC};
    pnode *n = tnode(pc, parent, true, TK_MEDIA, NULL);
    if (m->term_state) {
        const h248_term_state *ts = m->term_state;
        pnode *t = tnode(pc, n, true, TK_TERMSTATE, NULL);
        if (ts->service_state) {
            check(pc, (unsigned)ts->service_state < G_N_ELEMENTS(states));
            tnode(pc, t, false, TK_SERVICESTATES, "%s",
                  tok(pc, states[ts->service_state % G_N_ELEMENTS(states)]));
        }
        if (ts->buffer)
            tnode(pc, t, false, TK_BUFFER, "%s",
                  ts->buffer == H248_BUF_OFF ? "OFF" : tok(pc, TK_LOCKSTEP));
        props_nodes(pc, t, ts->props, NAME_PKGD, NULL);
        check(pc, t->kids->len > 0);
    }
    /* The id-less stream first: the parser keeps it at index 0. */
    unsigned idless = 0;
    for (guint i = 0; i < m->streams->len; i++) {
        const h248_stream *s = g_ptr_array_index(m->streams, i);
        if (!s->has_id) {
            idless++;
            stream_parms(pc, n, s);
        }
    }
    check(pc, idless <= 1);
    for (guint i = 0; i < m->streams->len; i++) {
        const h248_stream *s = g_ptr_array_index(m->streams, i);
        if (!s->has_id) continue;
        for (guint j = 0; j < i; j++) {
            const h248_stream *o = g_ptr_array_index(m->streams, j);
            check(pc, !o->has_id || o->id != s->id);
        }
        pnode *st = tnode(pc, n, true, TK_STREAM, "%u", s->id);
        stream_parms(pc, st, s);
        check(pc, st->kids->len > 0);
    }
    check(pc, n->kids->len > 0);
}

/* ---- Events, signals, observed events ---- */

static void request_id_str(pctx *pc, int64_t id, char *buf, size_t cap)
{
    if (id == H248_REQID_ALL)
        g_strlcpy(buf, "*", cap);
    else if (check(pc, id >= 0 && id <= 4294967295LL))
        snprintf(buf, cap, "%lld", (long long)id);
    else
        g_strlcpy(buf, "0", cap);
}

static void event_node(pctx *pc, pnode *parent, const h248_event *e, const h248_tok *param_toks)
{
    bool has_params = e->params && e->params->len > 0;
    pnode *n = node_new(parent, has_params);
    check(pc, e->name && h248_valid_pkgd_name(e->name, strlen(e->name)) && !e->is_list);
    if (e->timestamp) {
        check(pc, param_toks == h248_observed_param_tokens &&
                      h248_valid_timestamp(e->timestamp, strlen(e->timestamp)));
        g_string_append_printf(n->head, "%s:", e->timestamp);
    }
    g_string_append(n->head, e->name ? e->name : "");
    if (has_params) props_nodes(pc, n, e->params, NAME_PARAM, param_toks);
}

static void events_node(pctx *pc, pnode *parent, const h248_event_list *l)
{
    char id[24];
    if (l->request_id == H248_REQID_NONE) {
        check(pc, l->items->len == 0);
        tnode(pc, parent, false, TK_EVENTS, NULL);
        return;
    }
    request_id_str(pc, l->request_id, id, sizeof(id));
    pnode *n = tnode(pc, parent, true, TK_EVENTS, "%s", id);
    for (guint i = 0; i < l->items->len; i++)
        event_node(pc, n, g_ptr_array_index(l->items, i), h248_event_param_tokens);
    check(pc, l->items->len > 0);
}

static void observed_node(pctx *pc, pnode *parent, const h248_event_list *l)
{
    char id[24];
    check(pc, l->request_id != H248_REQID_NONE && l->items->len > 0);
    request_id_str(pc, l->request_id == H248_REQID_NONE ? 0 : l->request_id, id, sizeof(id));
    pnode *n = tnode(pc, parent, true, TK_OBSERVEDEVENTS, "%s", id);
    for (guint i = 0; i < l->items->len; i++)
        event_node(pc, n, g_ptr_array_index(l->items, i), h248_observed_param_tokens);
}

static void signals_node(pctx *pc, pnode *parent, const h248_event_list *l)
{
    pnode *n = tnode(pc, parent, l->items->len > 0, TK_SIGNALS, NULL);
    for (guint i = 0; i < l->items->len; i++) {
        const h248_event *e = g_ptr_array_index(l->items, i);
        if (!e->is_list) {
            check(pc, !e->timestamp);
            event_node(pc, n, e, h248_signal_param_tokens);
            continue;
        }
        pnode *sl = tnode(pc, n, true, TK_SIGNALLIST, "%u", e->list_id);
        for (guint j = 0; e->list && j < e->list->len; j++) {
            const h248_event *s = g_ptr_array_index(e->list, j);
            check(pc, !s->timestamp);
            event_node(pc, sl, s, h248_signal_param_tokens);
        }
        check(pc, sl->kids->len > 0);
    }
}

/* ---- ServiceChange ---- */

static void services_node(pctx *pc, pnode *parent, const h248_service_change *sc)
{
    static const h248_tok methods[] = {TK_NONE,    TK_FAILOVER,     TK_FORCED, TK_GRACEFUL,
                                       TK_RESTART, TK_DISCONNECTED, TK_HANDOFF};
    pnode *n = tnode(pc, parent, true, TK_SERVICES, NULL);
    n->multiline = true;
    if (sc->method == H248_SCM_EXTENSION) {
        check(pc, sc->method_ext && h248_valid_extension(sc->method_ext, strlen(sc->method_ext)));
        tnode(pc, n, false, TK_METHOD, "%s", sc->method_ext ? sc->method_ext : "");
    } else if (sc->method) {
        check(pc, (unsigned)sc->method < G_N_ELEMENTS(methods));
        tnode(pc, n, false, TK_METHOD, "%s", tok(pc, methods[sc->method % G_N_ELEMENTS(methods)]));
    }
    if (sc->reason) {
        check(pc, h248_valid_quoted(sc->reason, strlen(sc->reason)));
        tnode(pc, n, false, TK_REASON, "\"%s\"", sc->reason);
    }
    if (sc->delay >= 0) {
        check(pc, sc->delay <= 4294967295LL);
        tnode(pc, n, false, TK_DELAY, "%lld", (long long)sc->delay);
    }
    if (sc->address) {
        check(pc, h248_valid_sc_address(sc->address, strlen(sc->address)));
        tnode(pc, n, false, TK_SERVICECHANGEADDRESS, "%s", sc->address);
    }
    if (sc->mgc_id) {
        check(pc, h248_valid_mid(sc->mgc_id, strlen(sc->mgc_id)));
        tnode(pc, n, false, TK_MGCID, "%s", sc->mgc_id);
    }
    if (sc->version) {
        check(pc, sc->version >= 1 && sc->version <= 99);
        tnode(pc, n, false, TK_VERSION, "%d", sc->version);
    }
    if (sc->profile) {
        check(pc, h248_valid_profile(sc->profile, strlen(sc->profile)));
        tnode(pc, n, false, TK_PROFILE, "%s", sc->profile);
    }
    if (sc->timestamp) {
        check(pc, h248_valid_timestamp(sc->timestamp, strlen(sc->timestamp)));
        g_string_append(node_new(n, false)->head, sc->timestamp);
    }
    if (sc->incomplete) tnode(pc, n, false, TK_SERVICECHANGEINC, NULL);
    props_nodes(pc, n, sc->extensions, NAME_EXT, NULL);
    check(pc, n->kids->len > 0);
}

/* ---- Commands, actions, transactions ---- */

static const h248_tok audit_toks[] = {TK_MEDIA,    TK_MODEM,      TK_MUX,   TK_EVENTS,
                                      TK_SIGNALS,  TK_DIGITMAP,   TK_STATS, TK_OBSERVEDEVENTS,
                                      TK_PACKAGES, TK_EVENTBUFFER};

static void command_node(pctx *pc, pnode *parent, const h248_command *c, bool request)
{
    static const h248_tok names[] = {TK_ADD,        TK_MODIFY,   TK_SUBTRACT, TK_MOVE,
                                     TK_AUDITVALUE, TK_AUDITCAP, TK_NOTIFY,   TK_SERVICECHANGE};
    if (!check(pc, (unsigned)c->type < G_N_ELEMENTS(names))) return;
    check(pc, c->term_id && h248_valid_term_id(c->term_id, strlen(c->term_id)));
    pnode *n = node_new(parent, true);
    g_string_printf(n->head, "%s%s%s%s%s", c->optional ? "O-" : "", c->wildcard_reply ? "W-" : "",
                    tok(pc, names[c->type]), eq(pc), c->term_id ? c->term_id : "");
    if (c->media) media_node(pc, n, c->media);
    if (c->events) events_node(pc, n, c->events);
    if (c->signals) signals_node(pc, n, c->signals);
    if (c->observed_events) observed_node(pc, n, c->observed_events);
    if (c->statistics) statistics_node(pc, n, c->statistics);
    if (c->packages) {
        pnode *pk = tnode(pc, n, true, TK_PACKAGES, NULL);
        for (guint i = 0; i < c->packages->len; i++) {
            const char *s = g_ptr_array_index(c->packages, i);
            check(pc, s && h248_valid_package_item(s, strlen(s)));
            g_string_append(node_new(pk, false)->head, s ? s : "");
        }
        check(pc, c->packages->len > 0);
    }
    if (c->has_audit) {
        pnode *au = tnode(pc, n, true, TK_AUDIT, NULL);
        check(pc, c->audit < (1u << G_N_ELEMENTS(audit_toks)));
        for (unsigned i = 0; i < G_N_ELEMENTS(audit_toks); i++)
            if (c->audit & (1u << i)) tnode(pc, au, false, audit_toks[i], NULL);
    }
    if (c->services) services_node(pc, n, c->services);
    /* auditReturnItem: bare tokens; only those the grammar allows there. */
    const unsigned bare_ok = H248_AUDIT_MEDIA | H248_AUDIT_MODEM | H248_AUDIT_MUX |
                             H248_AUDIT_DIGITMAP | H248_AUDIT_OBSERVED_EVENTS | H248_AUDIT_PACKAGES;
    check(pc, (c->audit_return & ~bare_ok) == 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(audit_toks); i++)
        if (c->audit_return & bare_ok & (1u << i)) tnode(pc, n, false, audit_toks[i], NULL);
    if (c->error) error_node(pc, n, c->error);
    if (request && c->type == H248_CMD_NOTIFY) check(pc, c->observed_events || c->error);
    if (request && c->type == H248_CMD_SERVICE_CHANGE) check(pc, c->services != NULL);
    if (n->kids->len == 0) {
        g_ptr_array_unref(n->kids);
        n->kids = NULL;
    }
}

static void ctx_str(pctx *pc, h248_ctx_id c, char *buf, size_t cap)
{
    switch (c.kind) {
    case H248_CTX_NULL:
        g_strlcpy(buf, "-", cap);
        break;
    case H248_CTX_CHOOSE:
        g_strlcpy(buf, "$", cap);
        break;
    case H248_CTX_ALL:
        g_strlcpy(buf, "*", cap);
        break;
    case H248_CTX_NUM:
        snprintf(buf, cap, "%u", c.num);
        break;
    default:
        check(pc, false);
        g_strlcpy(buf, "-", cap);
    }
}

static void action_node(pctx *pc, pnode *parent, const h248_action *a, bool request)
{
    char cid[16];
    ctx_str(pc, a->ctx, cid, sizeof(cid));
    pnode *n = tnode(pc, parent, true, TK_CTX, "%s", cid);
    if (a->priority >= 0) {
        check(pc, a->priority <= 65535);
        tnode(pc, n, false, TK_PRIORITY, "%d", a->priority);
    }
    if (a->emergency >= 0) tnode(pc, n, false, a->emergency ? TK_EMERGENCY : TK_EMERGENCYOFF, NULL);
    if (a->ieps >= 0) tnode(pc, n, false, TK_IEPS, "%s", a->ieps ? "ON" : "OFF");
    for (guint i = 0; i < a->commands->len; i++)
        command_node(pc, n, g_ptr_array_index(a->commands, i), request);
    if (a->error) {
        check(pc, !request);
        error_node(pc, n, a->error);
    }
    if (n->kids->len == 0) {
        check(pc, !request);
        g_ptr_array_unref(n->kids);
        n->kids = NULL;
    }
}

static void transaction_node(pctx *pc, pnode *root, const h248_transaction *t)
{
    pnode *n;
    switch (t->kind) {
    case H248_TR_REQUEST:
        n = tnode(pc, root, true, TK_TRANS, "%u", t->id);
        for (guint i = 0; i < t->actions->len; i++)
            action_node(pc, n, g_ptr_array_index(t->actions, i), true);
        check(pc, t->actions->len > 0 && !t->error);
        break;
    case H248_TR_REPLY:
        n = tnode(pc, root, true, TK_REPLY, "%u", t->id);
        if (t->segment_number) {
            g_string_append_printf(n->head, "/%u", t->segment_number);
            if (t->segment_complete) g_string_append(n->head, "/END");
        }
        check(pc, t->segment_number || !t->segment_complete);
        if (t->imm_ack_required) tnode(pc, n, false, TK_IMMACK, NULL);
        if (t->error) {
            check(pc, t->actions->len == 0);
            error_node(pc, n, t->error);
        } else {
            check(pc, t->actions->len > 0);
        }
        for (guint i = 0; i < t->actions->len; i++)
            action_node(pc, n, g_ptr_array_index(t->actions, i), false);
        break;
    case H248_TR_PENDING:
        tnode(pc, root, true, TK_PENDING, "%u", t->id);
        check(pc, t->actions->len == 0 && !t->error);
        break;
    case H248_TR_RESPONSE_ACK:
        n = tnode(pc, root, true, TK_RESPONSEACK, NULL);
        for (guint i = 0; t->acks && i < t->acks->len; i++) {
            h248_ack_range r = g_array_index(t->acks, h248_ack_range, i);
            check(pc, r.first <= r.last);
            pnode *k = node_new(n, false);
            if (r.first == r.last)
                g_string_printf(k->head, "%u", r.first);
            else
                g_string_printf(k->head, "%u-%u", r.first, r.last);
        }
        check(pc, n->kids->len > 0);
        break;
    default:
        check(pc, false);
    }
}

/* ---- Rendering ---- */

static void render(const pctx *pc, const pnode *n, GString *out, unsigned indent);

static void render_octets(const pctx *pc, const pnode *n, GString *out)
{
    g_string_append(out, pc->compact ? "{" : " {");
    if (!*n->octets) {
        g_string_append(out, pc->compact ? "}" : " }");
        return;
    }
    /* SPECS.md §4.4: SDP lines at column 0, '}' escaped as "\}". The closing brace follows the
     * last line's terminator at column 0 too, so that the octet string is exactly the SDP (no
     * indentation line that SDP parsers, Wireshark's included, would flag). */
    const char *eol = strstr(n->octets, "\r\n") ? "\r\n" : "\n";
    g_string_append(out, eol);
    for (const char *c = n->octets; *c; c++) {
        if (*c == '}') g_string_append_c(out, '\\');
        g_string_append_c(out, *c);
    }
    g_string_append(out, eol);
    g_string_append_c(out, '}');
}

/* Whole node on one line; false if it contains an octet string. */
static bool render_inline(const pctx *pc, const pnode *n, GString *out, size_t budget)
{
    g_string_append_len(out, n->head->str, (gssize)n->head->len);
    if (n->octets && *n->octets) return false;
    if (n->multiline && !pc->compact) return false;
    if (n->octets) {
        g_string_append(out, pc->compact ? "{}" : " { }");
        return out->len <= budget;
    }
    if (!n->kids) return out->len <= budget;
    if (n->kids->len == 0) {
        g_string_append(out, pc->compact ? "{}" : " { }");
        return out->len <= budget;
    }
    g_string_append(out, pc->compact ? "{" : " { ");
    for (guint i = 0; i < n->kids->len; i++) {
        if (i) g_string_append(out, pc->compact ? "," : ", ");
        if (!render_inline(pc, g_ptr_array_index(n->kids, i), out, budget)) return false;
        if (out->len > budget) return false;
    }
    g_string_append(out, pc->compact ? "}" : " }");
    return out->len <= budget;
}

static void render(const pctx *pc, const pnode *n, GString *out, unsigned indent)
{
    if (n->octets) {
        g_string_append_len(out, n->head->str, (gssize)n->head->len);
        render_octets(pc, n, out);
        return;
    }
    size_t budget = pc->compact ? (size_t)-1 : (indent < LINE_WIDTH ? LINE_WIDTH - indent : 16);
    GString *line = g_string_new(NULL);
    bool fits = render_inline(pc, n, line, budget);
    if (fits || !n->kids || n->kids->len == 0) { /* a long leaf stays one line */
        g_string_append_len(out, line->str, (gssize)line->len);
        g_string_free(line, TRUE);
        return;
    }
    g_string_free(line, TRUE);
    g_string_append_len(out, n->head->str, (gssize)n->head->len);
    if (pc->compact) {
        g_string_append_c(out, '{');
        for (guint i = 0; i < n->kids->len; i++) {
            if (i) g_string_append_c(out, ',');
            render(pc, g_ptr_array_index(n->kids, i), out, 0);
        }
        g_string_append_c(out, '}');
        return;
    }
    g_string_append(out, " {\n");
    for (guint i = 0; i < n->kids->len; i++) {
        for (unsigned k = 0; k < indent + 2; k++)
            g_string_append_c(out, ' ');
        render(pc, g_ptr_array_index(n->kids, i), out, indent + 2);
        g_string_append(out, i + 1 < n->kids->len ? ",\n" : "\n");
    }
    for (unsigned k = 0; k < indent; k++)
        g_string_append_c(out, ' ');
    g_string_append_c(out, '}');
}

bool h248_print(const h248_message *m, const h248_print_opts *opts, GString *out)
{
    pctx pc = {0};
    if (opts) {
        pc.sh = opts->short_tokens;
        pc.compact = opts->compact;
    }
    if (!m) return false;
    pnode *root = node_new(NULL, true);
    check(&pc, m->version >= 1 && m->version <= 99);
    check(&pc, m->mid && h248_valid_mid(m->mid, strlen(m->mid)));
    if (m->error) {
        check(&pc, m->transactions->len == 0);
        error_node(&pc, root, m->error);
    } else {
        check(&pc, m->transactions->len > 0);
    }
    for (guint i = 0; i < m->transactions->len; i++)
        transaction_node(&pc, root, g_ptr_array_index(m->transactions, i));
    if (!pc.bad) {
        /* message = MegacopToken SLASH Version SEP mId SEP messageBody */
        g_string_append_printf(out, "%s/%u %s\n", tok(&pc, TK_MEGACO), m->version, m->mid);
        for (guint i = 0; i < root->kids->len; i++) {
            render(&pc, g_ptr_array_index(root->kids, i), out, 0);
            g_string_append_c(out, '\n');
        }
    }
    pnode_free(root);
    return !pc.bad;
}

char *h248_print_str(const h248_message *m, const h248_print_opts *opts, size_t *len_out)
{
    GString *s = g_string_new(NULL);
    if (!h248_print(m, opts, s)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    if (len_out) *len_out = s->len;
    return g_string_free(s, FALSE);
}
