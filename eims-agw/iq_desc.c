/* Reading a command's descriptors and writing Statistics, per the MG profile (see iq_desc.h). */
#include "iq_desc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/log.h"

/* Packages whose properties the MG accepts in TerminationState/LocalControl; those it does not
 * act on are ignored (QoS marking, gate and traffic management belong to a later milestone). */
static const char *const accepted_prop_pkgs[] = {"ipdc", "hangterm", "wtpf", "tman", "ds",
                                                 "gm",   "ipnapt",   "rtp",  "nt",   NULL};

/* Events per termination (docs/IQ-PROFILE.md; names other than adid/hangterm provisional). */
static const char *const term_events[] = {"adid/ipstop", "hangterm/thb", "ice/cfail", "dtls/fail",
                                          NULL};
static const char *const known_pkgs[] = {"adid", "hangterm", "ice", "dtls", "it", NULL};

bool iq_err_set(iq_err *e, unsigned code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    for (char *p = e->text; *p; p++)
        if (*p == '"' || (unsigned char)*p < 0x20) *p = '\'';
    return false;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && g_ascii_strncasecmp(*list, s, n) == 0) return true;
    return false;
}

static bool in_list_z(const char *const *list, const char *s)
{
    return in_list(list, s, strlen(s));
}

void iq_desc_clear(iq_desc *d)
{
    if (d->events) g_ptr_array_unref(d->events);
    d->events = NULL;
}

static bool read_props(const char *cid_property, const GPtrArray *props, iq_desc *d, iq_err *e)
{
    for (guint i = 0; props && i < props->len; i++) {
        const h248_prop *p = props->pdata[i];
        const char *v = h248_prop_value(p);
        if (g_ascii_strcasecmp(p->name, "ipdc/realm") == 0) {
            d->realm = v;
        } else if (cid_property && g_ascii_strcasecmp(p->name, cid_property) == 0) {
            d->cid = v;
        } else if (g_ascii_strcasecmp(p->name, "hangterm/timerx") == 0) {
            char *end = NULL;
            long n = v ? strtol(v, &end, 10) : -1;
            if (!v || end == v || *end || n < 0 || n > 86400)
                return iq_err_set(e, 449, "hangterm/timerx value %s not supported", v ? v : "");
            d->timerx = (int)n;
        } else {
            const char *slash = strchr(p->name, '/');
            if (!slash || !in_list(accepted_prop_pkgs, p->name, (size_t)(slash - p->name)))
                return iq_err_set(e, 445, "Unsupported or Unknown Property %s", p->name);
            LOGD(RT_SUB_IQ, NULL, "property %s ignored", p->name);
        }
    }
    return true;
}

static bool uint_param(const h248_prop *p, unsigned max, unsigned *out)
{
    const char *v = h248_prop_value(p);
    char *end = NULL;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    if (!v || end == v || *end || n > max || p->rel != H248_REL_EQ) return false;
    *out = (unsigned)n;
    return true;
}

static bool read_events(const h248_event_list *l, bool root, iq_desc *d, iq_err *e)
{
    d->has_events = true;
    if (l->request_id == H248_REQID_NONE || !l->items || l->items->len == 0) return true;
    if (l->request_id < 0 || l->request_id > 0xFFFFFFFFll)
        return iq_err_set(e, 442, "Events need a RequestID");
    d->rid = (uint32_t)l->request_id;
    d->events = g_ptr_array_new_with_free_func(iq_armed_event_free);
    for (guint i = 0; i < l->items->len; i++) {
        const h248_event *ev = l->items->pdata[i];
        const char *name = ev->name ? ev->name : "";
        const char *slash = strchr(name, '/');
        if (!slash || !in_list(known_pkgs, name, (size_t)(slash - name)))
            return iq_err_set(e, 440, "Unsupported or Unknown Package in %s", name);
        bool ok = root ? g_ascii_strcasecmp(name, "it/ito") == 0 : in_list_z(term_events, name);
        if (!ok)
            return iq_err_set(e, 451, "No such event %s (on %s)", name,
                              root ? "ROOT" : "termination");
        iq_armed_event *a = g_new0(iq_armed_event, 1);
        a->name = g_ascii_strdown(name, -1);
        g_ptr_array_add(d->events, a);
        for (guint k = 0; ev->params && k < ev->params->len; k++) {
            const h248_prop *p = ev->params->pdata[k];
            unsigned n;
            if (g_ascii_strcasecmp(a->name, "adid/ipstop") == 0 &&
                g_ascii_strcasecmp(p->name, "dt") == 0) {
                /* H.248.40 detection time (ms in this profile) */
                if (!uint_param(p, 86400000u, &n))
                    return iq_err_set(e, 449, "adid/ipstop dt not supported");
                a->detect_ms = n;
            } else if (g_ascii_strcasecmp(a->name, "adid/ipstop") == 0 &&
                       g_ascii_strcasecmp(p->name, "dir") == 0) {
                /* direction: this MG watches what it receives */
            } else if (root && g_ascii_strcasecmp(p->name, "mit") == 0) {
                /* H.248.14: maximum inactivity time in units of 10 ms */
                if (!uint_param(p, 8640000u, &n))
                    return iq_err_set(e, 449, "it/ito mit not supported");
                a->detect_ms = n * 10;
            } else {
                return iq_err_set(e, 446, "Unsupported or Unknown Parameter %s of %s", p->name,
                                  name);
            }
        }
    }
    return true;
}

bool iq_desc_read(const h248_command *cmd, bool root, const char *cid_property, iq_desc *d,
                  iq_err *e)
{
    memset(d, 0, sizeof *d);
    d->timerx = -1;
    if (cmd->observed_events || cmd->statistics || cmd->packages || cmd->services)
        return iq_err_set(e, 447, "Descriptor not legal in %s", h248_cmd_name(cmd->type));
    if (cmd->signals && cmd->signals->items && cmd->signals->items->len > 0) {
        const h248_event *s = cmd->signals->items->pdata[0];
        const char *n = s->name ? s->name : "SignalList";
        const char *slash = strchr(n, '/');
        if (slash && in_list(known_pkgs, n, (size_t)(slash - n)))
            return iq_err_set(e, 452, "No such signal %s in this package", n);
        return iq_err_set(e, 440, "Unsupported or Unknown Package in signal %s", n);
    }
    if (cmd->media) {
        if (root) return iq_err_set(e, 447, "Media descriptor not legal on ROOT");
        if (cmd->media->term_state &&
            !read_props(cid_property, cmd->media->term_state->props, d, e))
            return false;
        const GPtrArray *st = cmd->media->streams;
        if (st && st->len > 1) return iq_err_set(e, 501, "one stream per termination");
        if (st && st->len == 1) {
            const h248_stream *s = st->pdata[0];
            d->has_stream = true;
            d->stream_id = s->has_id ? s->id : 0;
            d->local = s->local && *s->local ? s->local : NULL;
            d->remote = s->remote && *s->remote ? s->remote : NULL;
            if (s->local_control) {
                if (s->local_control->mode == H248_MODE_LOOPBACK)
                    return iq_err_set(e, 449, "Mode Loopback not supported");
                d->mode = s->local_control->mode;
                if (!read_props(cid_property, s->local_control->props, d, e)) return false;
            }
        }
    }
    if (cmd->events && !read_events(cmd->events, root, d, e)) {
        iq_desc_clear(d);
        return false;
    }
    return true;
}

static void add_stat_u(h248_command *r, const char *name, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%" G_GUINT64_FORMAT, v);
    h248_command_add_statistic(r, name, b);
}

static void add_stat_f(h248_command *r, const char *name, double v)
{
    char b[32];
    snprintf(b, sizeof b, "%.2f", v);
    h248_command_add_statistic(r, name, b);
}

/* H.248.1 Annex E.11 (nt) and E.12 (rtp) names, plus this profile's wtpf/ counts
 * (docs/IQ-PROFILE.md). */
void iq_desc_add_stats(h248_command *r, const iq_stats *s, uint64_t dur_ms)
{
    add_stat_u(r, "nt/dur", dur_ms);
    add_stat_u(r, "nt/os", s->octets_sent);
    add_stat_u(r, "nt/or", s->octets_received);
    add_stat_u(r, "rtp/ps", s->packets_sent);
    add_stat_u(r, "rtp/pr", s->packets_received);
    if (s->lost_received >= 0) {
        uint64_t expected = s->packets_received + (uint64_t)s->lost_received;
        add_stat_f(r, "rtp/pl", expected ? 100.0 * (double)s->lost_received / (double)expected : 0);
        add_stat_u(r, "wtpf/lr", (uint64_t)s->lost_received);
    }
    if (s->jitter_received_ms >= 0) add_stat_f(r, "rtp/jit", s->jitter_received_ms);
    if (s->lost_sent >= 0) add_stat_u(r, "wtpf/ls", (uint64_t)s->lost_sent);
    if (s->jitter_sent_ms >= 0) add_stat_f(r, "wtpf/js", s->jitter_sent_ms);
}
