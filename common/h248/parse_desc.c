/* H.248 text parser, descriptors: Media (LocalControl, Local/Remote octet strings,
 * TerminationState, Stream), Events, Signals, ObservedEvents, Statistics, Audit, Packages,
 * Services and Error, per the H.248.1 Annex B.2 ABNF (RFC 3525, v3). */
#include "h248/parse_int.h"

/* ---- Descriptors ---- */

/* errorDescriptor = ErrorToken EQUAL ErrorCode LBRKT [quotedString] RBRKT; ErrorCode = 1*4DIGIT */
bool h248_p_error_desc(parser *p, h248_error **out)
{
    uint64_t code;
    if (!equal_uint(p, 4, 9999, &code, "error code")) return false;
    *out = h248_error_new((unsigned)code, NULL);
    if (!open_brace(p)) return false;
    if (peek(p) == '"') {
        const char *s = NULL;
        size_t n = 0;
        if (!quoted(p, &s, &n)) return false;
        (*out)->text = g_strndup(s, n);
    }
    return close_brace(p);
}

/* octetString inside Local/Remote: ends at the first unescaped '}'; "\}" stands for '}'.
 * SPECS.md §4.4: leading LWSP belongs to LBRKT, trailing whitespace is trimmed. */
static bool octets(parser *p, char **out)
{
    if (!open_brace(p)) return false;
    skip_lwsp(p);
    GString *s = g_string_new(NULL);
    size_t i = p->pos;
    for (;;) {
        if (i >= p->len) {
            g_string_free(s, TRUE);
            return FAIL(p, 0, p->pos, "truncated: unterminated Local/Remote descriptor");
        }
        char c = p->buf[i];
        if (c == '}') break;
        if (c == '\0') {
            g_string_free(s, TRUE);
            return FAIL(p, 0, i, "NUL octet in Local/Remote descriptor");
        }
        if (c == '\\' && i + 1 < p->len && p->buf[i + 1] == '}') {
            c = '}';
            i++;
        }
        g_string_append_c(s, c);
        i++;
        if (s->len > p->lim.max_octets) {
            g_string_free(s, TRUE);
            return FAIL(p, 0, p->pos, "Local/Remote longer than %zu bytes", p->lim.max_octets);
        }
    }
    p->pos = i + 1;
    p->depth--;
    *out = h248_octets_trim(s->str, s->len);
    g_string_free(s, TRUE);
    return true;
}

bool h248_p_dup_desc(parser *p, const word_t *w)
{
    return FAIL(p, H248_ERR_DESCRIPTOR_TWICE, w->at, "%.*s descriptor appears twice",
                (int)MIN(w->n, 32), w->s);
}

/* localControlDescriptor = LocalControlToken LBRKT localParm *(COMMA localParm) RBRKT
 * localParm = streamMode / propertyParm / reservedValueMode / reservedGroupMode */
static bool local_control(parser *p, h248_local_control *lc)
{
    static const h248_tok modes[] = {TK_SENDONLY, TK_RECVONLY, TK_SENDRECV,
                                     TK_INACTIVE, TK_LOOPBACK, TK_NONE};
    static const h248_tok items[] = {TK_MODE, TK_RESERVEDVALUE, TK_RESERVEDGROUP, TK_NONE};
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        if (!word(p, &w, "a LocalControl parameter")) return false;
        h248_tok t = h248_tok_find(items, w.s, w.n);
        if (t == TK_MODE) {
            h248_tok m;
            if (lc->mode) return FAIL(p, 0, w.at, "Mode appears twice");
            if (!equal_tok(p, modes, &m, "stream mode")) return false;
            lc->mode = m == TK_SENDONLY   ? H248_MODE_SENDONLY
                       : m == TK_RECVONLY ? H248_MODE_RECVONLY
                       : m == TK_SENDRECV ? H248_MODE_SENDRECV
                       : m == TK_INACTIVE ? H248_MODE_INACTIVE
                                          : H248_MODE_LOOPBACK;
        } else if (t == TK_RESERVEDVALUE || t == TK_RESERVEDGROUP) {
            int *slot = t == TK_RESERVEDVALUE ? &lc->reserve_value : &lc->reserve_group;
            if (*slot >= 0) return FAIL(p, 0, w.at, "%.*s appears twice", (int)w.n, w.s);
            if (!on_off(p, slot)) return false;
        } else if (!property(p, &w, &lc->props)) {
            return false;
        }
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* statisticsDescriptor = StatsToken [LBRKT statisticsParameter *(COMMA statisticsParameter) RBRKT]
 * statisticsParameter = pkgdName [EQUAL VALUE / (LSBRKT VALUE *(COMMA VALUE) RSBRKT)] */
static bool statistics(parser *p, GPtrArray **out)
{
    *out = h248_prop_list_new();
    if (peek(p) != '{') return true;
    if (!open_brace(p)) return false;
    if (accept(p, '}')) {
        p->depth--;
        return true;
    }
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        if (!word(p, &w, "a statistic name")) return false;
        if (!h248_valid_pkgd_name(w.s, w.n))
            return FAIL(p, 0, w.at, "bad statistic name (%.*s)", (int)MIN(w.n, 32), w.s);
        h248_prop *prop = h248_prop_new(w.s, w.n);
        g_ptr_array_add(*out, prop);
        if (!parm_value(p, prop, true)) return false;
        if (prop->rel != H248_REL_NONE &&
            (prop->rel != H248_REL_EQ || prop->form == H248_VF_BRACE ||
             prop->form == H248_VF_RANGE))
            return FAIL(p, 0, w.at, "bad statistic value");
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* streamParm = localDescriptor / remoteDescriptor / localControlDescriptor / statisticsDescriptor
 */
static bool stream_parm(parser *p, h248_stream *s, const word_t *w)
{
    static const h248_tok c[] = {TK_LOCAL, TK_REMOTE, TK_LOCALCONTROL, TK_STATS, TK_NONE};
    switch (h248_tok_find(c, w->s, w->n)) {
    case TK_LOCAL:
        if (s->local) return h248_p_dup_desc(p, w);
        return octets(p, &s->local);
    case TK_REMOTE:
        if (s->remote) return h248_p_dup_desc(p, w);
        return octets(p, &s->remote);
    case TK_LOCALCONTROL:
        if (s->local_control) return h248_p_dup_desc(p, w);
        s->local_control = h248_local_control_new();
        return local_control(p, s->local_control);
    case TK_STATS:
        if (s->statistics) return h248_p_dup_desc(p, w);
        return statistics(p, &s->statistics);
    default:
        return FAIL(p, H248_ERR_UNKNOWN_DESCRIPTOR, w->at, "unknown descriptor in Media (%.*s)",
                    (int)MIN(w->n, 32), w->s);
    }
}

/* terminationStateDescriptor = TerminationStateToken LBRKT terminationStateParm
 *     *(COMMA terminationStateParm) RBRKT
 * terminationStateParm = propertyParm / serviceStates / eventBufferControl */
static bool term_state(parser *p, h248_term_state *ts)
{
    static const h248_tok items[] = {TK_SERVICESTATES, TK_BUFFER, TK_NONE};
    static const h248_tok states[] = {TK_TEST, TK_OUTOFSVC, TK_INSVC, TK_NONE};
    static const h248_tok buffers[] = {TK_OFF, TK_LOCKSTEP, TK_NONE};
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        h248_tok v;
        if (!word(p, &w, "a TerminationState parameter")) return false;
        h248_tok t = h248_tok_find(items, w.s, w.n);
        if (t == TK_SERVICESTATES) {
            if (ts->service_state) return FAIL(p, 0, w.at, "ServiceStates appears twice");
            if (!equal_tok(p, states, &v, "service state")) return false;
            ts->service_state = v == TK_TEST       ? H248_SS_TEST
                                : v == TK_OUTOFSVC ? H248_SS_OUT_OF_SERVICE
                                                   : H248_SS_IN_SERVICE;
        } else if (t == TK_BUFFER) {
            if (ts->buffer) return FAIL(p, 0, w.at, "Buffer appears twice");
            if (!equal_tok(p, buffers, &v, "buffer control")) return false;
            ts->buffer = v == TK_OFF ? H248_BUF_OFF : H248_BUF_LOCKSTEP;
        } else if (!property(p, &w, &ts->props)) {
            return false;
        }
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* mediaDescriptor = MediaToken LBRKT mediaParm *(COMMA mediaParm) RBRKT
 * mediaParm = streamParm / streamDescriptor / terminationStateDescriptor
 * streamDescriptor = StreamToken EQUAL StreamID LBRKT streamParm *(COMMA streamParm) RBRKT */
static bool media(parser *p, h248_media *m)
{
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        if (!word(p, &w, "a Media parameter")) return false;
        if (h248_tok_is(TK_TERMSTATE, w.s, w.n)) {
            if (m->term_state) return h248_p_dup_desc(p, &w);
            m->term_state = h248_term_state_new();
            if (!term_state(p, m->term_state)) return false;
        } else if (h248_tok_is(TK_STREAM, w.s, w.n)) {
            uint64_t id;
            if (!equal_uint(p, 5, 65535, &id, "stream id")) return false;
            for (guint i = 0; i < m->streams->len; i++) {
                h248_stream *o = g_ptr_array_index(m->streams, i);
                if (o->has_id && o->id == id)
                    return FAIL(p, H248_ERR_DESCRIPTOR_TWICE, w.at, "Stream %u appears twice",
                                (unsigned)id);
            }
            h248_stream *s = h248_stream_new(true, (uint16_t)id);
            g_ptr_array_add(m->streams, s);
            if (!open_brace(p)) return false;
            unsigned n = 0;
            for (bool more2 = true; more2;) {
                word_t w2;
                if (!word(p, &w2, "a Stream parameter") || !stream_parm(p, s, &w2) ||
                    !list_next(p, &n, &more2))
                    return false;
            }
        } else {
            h248_stream *s = NULL;
            if (m->streams->len && !((h248_stream *)g_ptr_array_index(m->streams, 0))->has_id)
                s = g_ptr_array_index(m->streams, 0);
            if (!s) {
                s = h248_stream_new(false, 0);
                g_ptr_array_insert(m->streams, 0, s);
            }
            if (!stream_parm(p, s, &w)) return false;
        }
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* Parameters of events, signals and observed events: eventParameter / sigParameter /
 * observedEventParameter. Known tokens are stored in long form and their values checked. */
static bool event_param(parser *p, h248_event *e, const h248_tok *toks)
{
    static const h248_tok unsupported[] = {TK_EMBED, TK_DIGITMAP, TK_NOTIFYREGULATED, TK_NONE};
    word_t w;
    if (!word(p, &w, "a parameter")) return false;
    if (h248_tok_find(unsupported, w.s, w.n) != TK_NONE && toks == h248_event_param_tokens)
        return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at, "%.*s not supported", (int)w.n, w.s);
    h248_tok t = h248_tok_find(toks, w.s, w.n);
    if (t == TK_NONE && !h248_valid_name(w.s, w.n))
        return FAIL(p, 0, w.at, "bad parameter name (%.*s)", (int)MIN(w.n, 32), w.s);
    if (!e->params) e->params = h248_prop_list_new();
    h248_prop *prop = t == TK_NONE ? h248_prop_new(w.s, w.n)
                                   : h248_prop_new(h248_tok_long(t), strlen(h248_tok_long(t)));
    g_ptr_array_add(e->params, prop);
    bool bare =
        t == TK_KEEPACTIVE || t == TK_RESETEVENTS || t == TK_NOTIFYIMMEDIATE || t == TK_NEVERNOTIFY;
    if (bare) return true;
    if (!parm_value(p, prop, false)) return false;
    if (t == TK_NONE) return true;
    /* Token parameters (sigParameter, eventStream): values that are tokens in long form. */
    const h248_tok *vt = h248_param_value_tokens(t);
    for (guint i = 0; vt && i < prop->values->len; i++) {
        h248_value *v = g_ptr_array_index(prop->values, i);
        h248_tok vtok = v->quoted ? TK_NONE : h248_tok_find(vt, v->text, strlen(v->text));
        if (vtok == TK_NONE) continue;
        g_free(v->text);
        v->text = g_strdup(h248_tok_long(vtok));
    }
    if (!h248_valid_token_param(t, prop))
        return FAIL(p, 0, w.at, "bad value for %s", h248_tok_long(t));
    return true;
}

static bool event_params(parser *p, h248_event *e, const h248_tok *toks)
{
    if (peek(p) != '{') return true;
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;)
        if (!event_param(p, e, toks) || !list_next(p, &count, &more)) return false;
    return true;
}

static bool event_name(parser *p, h248_event *e, const char *what)
{
    word_t w;
    if (!word(p, &w, what)) return false;
    if (!h248_valid_pkgd_name(w.s, w.n))
        return FAIL(p, 0, w.at, "bad %s (%.*s)", what, (int)MIN(w.n, 32), w.s);
    e->name = g_strndup(w.s, w.n);
    return true;
}

/* RequestID = UINT32 / "*" */
static bool request_id(parser *p, int64_t *out)
{
    word_t w;
    uint64_t v;
    if (!word(p, &w, "a request id")) return false;
    if (w.n == 1 && w.s[0] == '*') {
        *out = H248_REQID_ALL;
        return true;
    }
    if (!h248_parse_uint(w.s, w.n, 10, 4294967295u, &v))
        return FAIL(p, 0, w.at, "bad request id (%.*s)", (int)MIN(w.n, 20), w.s);
    *out = (int64_t)v;
    return true;
}

/* eventsDescriptor = EventsToken [EQUAL RequestID LBRKT requestedEvent *(COMMA requestedEvent)
 * RBRKT]; requestedEvent = pkgdName [LBRKT eventParameter *(COMMA eventParameter) RBRKT] */
static bool events(parser *p, h248_event_list **out)
{
    *out = h248_event_list_new(H248_REQID_NONE);
    if (peek(p) != '=') return true;
    p->pos++;
    if (!request_id(p, &(*out)->request_id) || !open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        h248_event *e = h248_event_new();
        g_ptr_array_add((*out)->items, e);
        if (!event_name(p, e, "an event name") || !event_params(p, e, h248_event_param_tokens) ||
            !list_next(p, &count, &more))
            return false;
    }
    return true;
}

/* observedEventsDescriptor = ObservedEventsToken EQUAL RequestID LBRKT observedEvent
 *     *(COMMA observedEvent) RBRKT
 * observedEvent = [TimeStamp LWSP COLON] LWSP pkgdName [LBRKT observedEventParameter
 *     *(COMMA observedEventParameter) RBRKT] */
static bool observed_events(parser *p, h248_event_list **out)
{
    *out = h248_event_list_new(H248_REQID_NONE);
    if (!expect(p, '=', "'='") || !request_id(p, &(*out)->request_id) || !open_brace(p))
        return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        h248_event *e = h248_event_new();
        g_ptr_array_add((*out)->items, e);
        size_t save = p->pos;
        word_t w;
        if (!word(p, &w, "an observed event")) return false;
        if (peek(p) == ':') {
            if (!h248_valid_timestamp(w.s, w.n))
                return FAIL(p, 0, w.at, "bad timestamp (%.*s)", (int)MIN(w.n, 20), w.s);
            e->timestamp = g_strndup(w.s, w.n);
            p->pos++;
        } else {
            p->pos = save;
        }
        if (!event_name(p, e, "an event name") || !event_params(p, e, h248_observed_param_tokens) ||
            !list_next(p, &count, &more))
            return false;
    }
    return true;
}

/* signalRequest = signalName [LBRKT sigParameter *(COMMA sigParameter) RBRKT] */
static bool signal_request(parser *p, h248_event *e)
{
    return event_name(p, e, "a signal name") && event_params(p, e, h248_signal_param_tokens);
}

/* signalsDescriptor = SignalsToken [LBRKT [signalParm *(COMMA signalParm)] RBRKT]
 * signalParm = signalList / signalRequest
 * signalList = SignalListToken EQUAL signalListId LBRKT signalListParm *(COMMA signalListParm)
 *     RBRKT */
static bool signals(parser *p, h248_event_list **out)
{
    *out = h248_event_list_new(H248_REQID_NONE);
    if (peek(p) != '{') return true;
    if (!open_brace(p)) return false;
    if (accept(p, '}')) {
        p->depth--;
        return true;
    }
    unsigned count = 0;
    for (bool more = true; more;) {
        h248_event *e = h248_event_new();
        g_ptr_array_add((*out)->items, e);
        if (next_is(p, TK_SIGNALLIST)) {
            uint64_t id;
            e->is_list = true;
            e->list = g_ptr_array_new_with_free_func((GDestroyNotify)h248_event_free);
            if (!equal_uint(p, 5, 65535, &id, "signal list id") || !open_brace(p)) return false;
            e->list_id = (uint16_t)id;
            unsigned n = 0;
            for (bool more2 = true; more2;) {
                h248_event *s = h248_event_new();
                g_ptr_array_add(e->list, s);
                if (!signal_request(p, s) || !list_next(p, &n, &more2)) return false;
            }
        } else if (p->failed || !signal_request(p, e)) {
            return false;
        }
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

static const h248_tok audit_tokens[] = {TK_MEDIA,    TK_MODEM,       TK_MUX,   TK_EVENTS,
                                        TK_SIGNALS,  TK_DIGITMAP,    TK_STATS, TK_OBSERVEDEVENTS,
                                        TK_PACKAGES, TK_EVENTBUFFER, TK_NONE};

static unsigned audit_bit(h248_tok t)
{
    for (unsigned i = 0; audit_tokens[i] != TK_NONE; i++)
        if (audit_tokens[i] == t) return 1u << i;
    return 0;
}

/* auditDescriptor = AuditToken LBRKT [auditItem *(COMMA auditItem)] RBRKT */
static bool audit(parser *p, unsigned *items)
{
    if (!open_brace(p)) return false;
    if (accept(p, '}')) {
        p->depth--;
        return true;
    }
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        if (!word(p, &w, "an audit item")) return false;
        h248_tok t = h248_tok_find(audit_tokens, w.s, w.n);
        int c = peek(p);
        if (t != TK_NONE && (c == '{' || c == '='))
            return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at, "individual audit not supported");
        if (t == TK_NONE) return FAIL(p, 0, w.at, "bad audit item (%.*s)", (int)MIN(w.n, 32), w.s);
        *items |= audit_bit(t);
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* packagesDescriptor = PackagesToken LBRKT packagesItem *(COMMA packagesItem) RBRKT */
static bool packages(parser *p, GPtrArray **out)
{
    *out = g_ptr_array_new_with_free_func(g_free);
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w;
        if (!word(p, &w, "a package item")) return false;
        if (!h248_valid_package_item(w.s, w.n))
            return FAIL(p, 0, w.at, "bad package item (%.*s)", (int)MIN(w.n, 32), w.s);
        g_ptr_array_add(*out, g_strndup(w.s, w.n));
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* mId after "=", stored verbatim. */
static bool mid_value(parser *p, char **out, bool port_ok)
{
    if (!expect(p, '=', "'='")) return false;
    skip_lwsp(p);
    size_t n = h248_scan_mid(p->buf + p->pos, p->len - p->pos);
    if (n == 0 && port_ok) {
        while (p->pos + n < p->len && h248_is_digit((unsigned char)p->buf[p->pos + n]))
            n++;
        if (!h248_parse_uint(p->buf + p->pos, n, 5, 65535, NULL)) n = 0;
    }
    if (n == 0) return h248_p_fail_expected(p, p->pos, "an mId");
    *out = g_strndup(p->buf + p->pos, n);
    p->pos += n;
    return true;
}

/* serviceChangeDescriptor = ServicesToken LBRKT serviceChangeParm *(COMMA serviceChangeParm)
 * RBRKT (and serviceChangeReplyDescriptor, a subset) */
static bool services(parser *p, h248_service_change *sc)
{
    static const h248_tok items[] = {TK_METHOD, TK_REASON,  TK_DELAY,   TK_SERVICECHANGEADDRESS,
                                     TK_MGCID,  TK_PROFILE, TK_VERSION, TK_SERVICECHANGEINC,
                                     TK_NONE};
    static const h248_tok methods[] = {TK_FAILOVER,     TK_FORCED,  TK_GRACEFUL, TK_RESTART,
                                       TK_DISCONNECTED, TK_HANDOFF, TK_NONE};
    if (!open_brace(p)) return false;
    unsigned count = 0;
    for (bool more = true; more;) {
        word_t w, v;
        uint64_t n;
        if (!word(p, &w, "a ServiceChange parameter")) return false;
        h248_tok t = h248_tok_find(items, w.s, w.n);
        bool dup = (t == TK_METHOD && sc->method) || (t == TK_REASON && sc->reason) ||
                   (t == TK_DELAY && sc->delay >= 0) ||
                   (t == TK_SERVICECHANGEADDRESS && sc->address) || (t == TK_MGCID && sc->mgc_id) ||
                   (t == TK_PROFILE && sc->profile) || (t == TK_VERSION && sc->version) ||
                   (t == TK_SERVICECHANGEINC && sc->incomplete);
        if (dup) return FAIL(p, 0, w.at, "%.*s appears twice", (int)w.n, w.s);
        switch (t) {
        case TK_METHOD: {
            if (!expect(p, '=', "'='") || !word(p, &v, "a method")) return false;
            h248_tok m = h248_tok_find(methods, v.s, v.n);
            if (m == TK_NONE) {
                if (!h248_valid_extension(v.s, v.n))
                    return FAIL(p, 0, v.at, "bad method (%.*s)", (int)MIN(v.n, 20), v.s);
                sc->method = H248_SCM_EXTENSION;
                sc->method_ext = g_strndup(v.s, v.n);
            } else {
                sc->method = m == TK_FAILOVER   ? H248_SCM_FAILOVER
                             : m == TK_FORCED   ? H248_SCM_FORCED
                             : m == TK_GRACEFUL ? H248_SCM_GRACEFUL
                             : m == TK_RESTART  ? H248_SCM_RESTART
                             : m == TK_HANDOFF  ? H248_SCM_HANDOFF
                                                : H248_SCM_DISCONNECTED;
            }
            break;
        }
        case TK_REASON: {
            h248_prop *tmp = h248_prop_new("", 0);
            bool ok = expect(p, '=', "'='") && value(p, tmp);
            if (ok) sc->reason = g_strdup(h248_prop_value(tmp));
            h248_prop_free(tmp);
            if (!ok) return false;
            break;
        }
        case TK_DELAY:
            if (!equal_uint(p, 10, 4294967295u, &n, "delay")) return false;
            sc->delay = (int64_t)n;
            break;
        case TK_SERVICECHANGEADDRESS:
            if (!mid_value(p, &sc->address, true)) return false;
            break;
        case TK_MGCID:
            if (!mid_value(p, &sc->mgc_id, false)) return false;
            break;
        case TK_PROFILE:
            if (!expect(p, '=', "'='") || !word(p, &v, "a profile")) return false;
            if (!h248_valid_profile(v.s, v.n))
                return FAIL(p, 0, v.at, "bad profile (%.*s)", (int)MIN(v.n, 32), v.s);
            sc->profile = g_strndup(v.s, v.n);
            break;
        case TK_VERSION:
            if (!equal_uint(p, 2, 99, &n, "version")) return false;
            if (n == 0) return FAIL(p, 0, w.at, "bad version 0");
            sc->version = (int)n;
            break;
        case TK_SERVICECHANGEINC:
            sc->incomplete = true;
            break;
        default:
            if (h248_valid_timestamp(w.s, w.n)) {
                if (sc->timestamp) return FAIL(p, 0, w.at, "TimeStamp appears twice");
                sc->timestamp = g_strndup(w.s, w.n);
            } else if (h248_valid_extension(w.s, w.n)) {
                if (!sc->extensions) sc->extensions = h248_prop_list_new();
                h248_prop *prop = h248_prop_new(w.s, w.n);
                g_ptr_array_add(sc->extensions, prop);
                if (!parm_value(p, prop, false)) return false;
            } else if (h248_tok_find(audit_tokens, w.s, w.n) != TK_NONE) {
                return FAIL(p, H248_ERR_NOT_IMPLEMENTED, w.at,
                            "audit items in Services not supported");
            } else {
                return FAIL(p, 0, w.at, "bad ServiceChange parameter (%.*s)", (int)MIN(w.n, 32),
                            w.s);
            }
        }
        if (!list_next(p, &count, &more)) return false;
    }
    return true;
}

/* One descriptor of a command request or reply (ammParameter, auditReturnParameter, ...). */
bool h248_p_descriptor(parser *p, h248_command *c)
{
    static const h248_tok known[] = {TK_MEDIA,       TK_EVENTS,   TK_SIGNALS, TK_OBSERVEDEVENTS,
                                     TK_STATS,       TK_ERROR,    TK_AUDIT,   TK_SERVICES,
                                     TK_PACKAGES,    TK_MODEM,    TK_MUX,     TK_DIGITMAP,
                                     TK_EVENTBUFFER, TK_TOPOLOGY, TK_NONE};
    word_t w;
    if (!word(p, &w, "a descriptor")) return false;
    h248_tok t = h248_tok_find(known, w.s, w.n);
    int next = peek(p);
    bool bare = next != '{' && next != '=';
    /* auditReturnItem: a bare Media / Modem / Mux / DigitMap / ObservedEvents / Packages token. */
    if (bare && (t == TK_MEDIA || t == TK_MODEM || t == TK_MUX || t == TK_DIGITMAP ||
                 t == TK_OBSERVEDEVENTS || t == TK_PACKAGES)) {
        if (c->audit_return & audit_bit(t)) return h248_p_dup_desc(p, &w);
        c->audit_return |= audit_bit(t);
        return true;
    }
    switch (t) {
    case TK_MEDIA:
        if (c->media) return h248_p_dup_desc(p, &w);
        c->media = h248_media_new();
        return media(p, c->media);
    case TK_EVENTS:
        if (c->events) return h248_p_dup_desc(p, &w);
        return events(p, &c->events);
    case TK_SIGNALS:
        if (c->signals) return h248_p_dup_desc(p, &w);
        return signals(p, &c->signals);
    case TK_OBSERVEDEVENTS:
        if (c->observed_events) return h248_p_dup_desc(p, &w);
        return observed_events(p, &c->observed_events);
    case TK_STATS:
        if (c->statistics) return h248_p_dup_desc(p, &w);
        return statistics(p, &c->statistics);
    case TK_ERROR:
        if (c->error) return h248_p_dup_desc(p, &w);
        return h248_p_error_desc(p, &c->error);
    case TK_AUDIT:
        if (c->has_audit) return h248_p_dup_desc(p, &w);
        c->has_audit = true;
        return audit(p, &c->audit);
    case TK_SERVICES:
        if (c->services) return h248_p_dup_desc(p, &w);
        c->services = h248_service_change_new();
        return services(p, c->services);
    case TK_PACKAGES:
        if (c->packages) return h248_p_dup_desc(p, &w);
        return packages(p, &c->packages);
    case TK_NONE:
        return FAIL(p, H248_ERR_UNKNOWN_DESCRIPTOR, w.at, "unknown descriptor (%.*s)",
                    (int)MIN(w.n, 32), w.s);
    default: /* Modem, Mux, DigitMap, EventBuffer, Topology */
        return FAIL(p, H248_ERR_UNKNOWN_DESCRIPTOR, w.at, "unsupported descriptor (%s)",
                    h248_tok_long(t));
    }
}
