/* Calls of the wtpf: the state machine between WIC sessions and W8 dialogs (see calls.h).
 *
 * Outgoing: WIC `call` -> transformation -> INVITE on W8; 18x -> `progress`, 2xx -> `answered`,
 * failure/BYE -> `ended`. Incoming: INVITE -> number -> user or group -> unconditional
 * diversion? -> ring the logged-in sessions (`incoming` to each, 180 to W8) -> first `answer`
 * wins (200 with its SDP; the others get `ended` "answered elsewhere"); busy (all rejected, or
 * at the call limit), no answer (timer) and offline (nobody logged in) divert when configured,
 * else 486 / 480 / 480. A diversion to an external number re-originates on W8 (B2BUA) with
 * History-Info. */
#include "wtpf/calls.h"

#include <string.h>

#include "runtime/log.h"

typedef enum { CALL_OUT, CALL_IN } call_dir;

typedef enum {
    CS_ROUTING,  /* incoming: choosing a target */
    CS_CALLING,  /* outgoing: INVITE sent, no final answer yet */
    CS_RINGING,  /* incoming: WIC sessions alerted */
    CS_DIVERTED, /* incoming: relayed to an outgoing W8 leg, not answered yet */
    CS_ACTIVE,   /* answered */
} call_state;

typedef struct call {
    calls_t *t;
    char cid[40];
    call_dir dir;
    call_state state;
    char *id;                              /* call id on the WIC API */
    wic_session *orig;                     /* outgoing: the calling session */
    w8_call *in;                           /* incoming: the W8 leg from the pcscf */
    w8_call *out;                          /* outgoing or diverted: the W8 leg toward the pcscf */
    char *from_uri, *from_display, *offer; /* incoming: caller and SDP offer */
    wtpf_dir_target target;                /* incoming: who is being called now */
    char *diverting_number;                /* incoming: the last number diverted from */
    GPtrArray *ringing;                    /* incoming: wic_session* alerted and not yet out */
    wic_session *answered_by;
    wtpf_user *counted; /* user whose call count includes this call */
    svc_history hist;
    unsigned hops;
    bool ring_sent; /* 180 sent on the incoming leg */
    bool was_answered;
    int end_code;
    guint timer;
    svc_div_cond timer_cond; /* what the timer means: SVC_DIV_NO_ANSWER or COUNT (give up) */
    GList link;
} call;

struct calls {
    calls_cfg cfg;
    const wtpf_dir *dir;
    wic_sessions *sessions;
    rt_metrics_t *metrics;
    w8_t *w8;
    GQueue all;             /* call.link */
    GHashTable *user_calls; /* wtpf_user* -> calls in progress (GPOINTER_TO_UINT) */
    unsigned serial;
};

static void route(call *k, wtpf_dir_target tgt);

/* ---- bookkeeping ---- */

static unsigned user_calls(calls_t *t, const wtpf_user *u)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(t->user_calls, u));
}

static void count_user(call *k, wtpf_user *u)
{
    if (k->counted || !u) return;
    k->counted = u;
    g_hash_table_insert(k->t->user_calls, u, GUINT_TO_POINTER(user_calls(k->t, u) + 1));
}

static void uncount_user(call *k)
{
    if (!k->counted) return;
    unsigned n = user_calls(k->t, k->counted);
    if (n <= 1)
        g_hash_table_remove(k->t->user_calls, k->counted);
    else
        g_hash_table_insert(k->t->user_calls, k->counted, GUINT_TO_POINTER(n - 1));
    k->counted = NULL;
}

static void tell(wic_session *s, char *json)
{
    if (s)
        wic_session_send(s, json);
    else
        g_free(json);
}

static const char *outcome(const call *k)
{
    if (k->was_answered) return "answered";
    switch (k->end_code) {
    case 487:
        return "cancelled";
    case 486:
    case 600:
    case 603:
        return "busy";
    case 408:
    case 480:
        return "unavailable";
    case 404:
    case 484:
        return "not_found";
    default:
        return "failed";
    }
}

static call *call_new(calls_t *t, call_dir dir)
{
    call *k = g_new0(call, 1);
    k->t = t;
    k->dir = dir;
    k->ringing = g_ptr_array_new();
    k->link.data = k;
    svc_history_init(&k->hist);
    g_queue_push_tail_link(&t->all, &k->link);
    return k;
}

static void unring(call *k, wic_session *s)
{
    g_ptr_array_remove(k->ringing, s);
    g_hash_table_remove(s->calls, k->id);
}

/* The one place a call is freed: the W8 legs must already be released or ended. */
static void call_free(call *k)
{
    calls_t *t = k->t;
    if (t->metrics) {
        char labels[64];
        g_snprintf(labels, sizeof labels, "direction=\"%s\",outcome=\"%s\"",
                   k->dir == CALL_OUT ? "out" : "in", outcome(k));
        rt_metrics_add(t->metrics, "calls_total", labels, 1);
    }
    LOGI(RT_SUB_MAIN, k->cid, "call %s ends: %s (%d)", k->id ? k->id : "-", outcome(k),
         k->end_code);
    if (k->timer) g_source_remove(k->timer);
    if (k->in) w8_call_set_owner(k->in, NULL);
    if (k->out) w8_call_set_owner(k->out, NULL);
    while (k->ringing->len)
        unring(k, g_ptr_array_index(k->ringing, 0));
    if (k->orig) g_hash_table_remove(k->orig->calls, k->id);
    if (k->answered_by) g_hash_table_remove(k->answered_by->calls, k->id);
    uncount_user(k);
    g_queue_unlink(&t->all, &k->link);
    g_ptr_array_unref(k->ringing);
    svc_history_clear(&k->hist);
    g_free(k->id);
    g_free(k->from_uri);
    g_free(k->from_display);
    g_free(k->offer);
    g_free(k->diverting_number);
    g_free(k);
}

static char *tel_uri(const char *number)
{
    return g_strconcat("tel:", number, NULL);
}

/* ---- outgoing calls ---- */

static void out_start(calls_t *t, wic_session *s, const wic_msg *m)
{
    wtpf_user *u = s->user;
    if (!t->w8 || !w8_ready(t->w8)) {
        tell(s, wic_build_ended(m->id, 503, "trunk not available"));
        return;
    }
    if ((t->cfg.max_calls && t->all.length >= t->cfg.max_calls) ||
        (u->max_calls && user_calls(t, u) >= u->max_calls)) {
        tell(s, wic_build_ended(m->id, 503, "too many calls"));
        return;
    }
    GPtrArray *lists[2 + 32];
    unsigned nl = wtpf_dir_rule_lists(t->dir, u, lists, G_N_ELEMENTS(lists));
    const svc_rule *rule = NULL;
    char *number = svc_transform(lists, nl, m->to, &rule);
    if (!svc_number_valid(number)) {
        tell(s, wic_build_ended(m->id, 484, "invalid number"));
        g_free(number);
        return;
    }
    call *k = call_new(t, CALL_OUT);
    rt_cid_new(k->cid, sizeof k->cid);
    k->id = g_strdup(m->id);
    k->orig = s;
    g_hash_table_insert(s->calls, g_strdup(k->id), k);
    count_user(k, u);
    if (rule)
        LOGI(RT_SUB_MAIN, k->cid, "%s dials %s -> %s (rule %s)", u->name, m->to, number,
             rule->pattern);
    char *to = w8_number_uri(w8_domain(t->w8), number);
    char *from = w8_number_uri(w8_domain(t->w8), u->number);
    char *identity = tel_uri(u->number);
    w8_out o = {.cid = k->cid,
                .to_uri = to,
                .from_uri = from,
                .from_display = *u->display_name ? u->display_name : NULL,
                .identity = identity,
                .contact_user = u->number,
                .sdp = m->sdp};
    LOGN(RT_SUB_MAIN, k->cid, "outgoing call %s: %s (session %u) -> %s", k->id, u->name, s->serial,
         to);
    k->state = CS_CALLING;
    k->out = w8_call_out(t->w8, &o, k);
    g_free(to);
    g_free(from);
    g_free(identity);
    g_free(number);
    if (!k->out) {
        k->end_code = 500;
        tell(s, wic_build_ended(k->id, 500, "cannot send INVITE"));
        call_free(k);
    }
}

/* ---- incoming calls ---- */

static const svc_diversion *target_div(wtpf_dir_target tgt)
{
    if (tgt.kind == DIR_USER) return &tgt.user->div;
    if (tgt.kind == DIR_GROUP) return &tgt.group->div;
    return NULL;
}

static const char *target_name(wtpf_dir_target tgt)
{
    if (tgt.kind == DIR_USER) return tgt.user->name;
    if (tgt.kind == DIR_GROUP) return tgt.group->name;
    return tgt.number ? tgt.number : "?";
}

/* Ends the incoming leg with a failure; the call goes. */
static void in_fail(call *k, int code, const char *phrase)
{
    while (k->ringing->len) {
        wic_session *s = g_ptr_array_index(k->ringing, 0);
        tell(s, wic_build_ended(k->id, code, phrase));
        unring(k, s);
    }
    k->end_code = code;
    if (k->in) w8_call_reject(k->in, code, phrase);
    k->in = NULL;
    call_free(k);
}

/* Takes the diversion for cond toward `to`; false when it would loop or go too far. */
static bool divert(call *k, const char *to, svc_div_cond cond, wtpf_dir_target *tgt)
{
    calls_t *t = k->t;
    wtpf_dir_target next = wtpf_dir_resolve(t->dir, to);
    char *uri = w8_number_uri(w8_domain(t->w8), next.number);
    bool ok = k->hops < SVC_DIV_MAX_HOPS && !svc_history_has(&k->hist, uri);
    if (!ok) {
        LOGW(RT_SUB_MAIN, k->cid, "diversion %s of %s to %s refused: loop or too many hops",
             svc_div_cond_name(cond), target_name(k->target), to);
    } else {
        LOGN(RT_SUB_MAIN, k->cid, "call diverted (%s) from %s to %s", svc_div_cond_name(cond),
             target_name(k->target), target_name(next));
        svc_history_divert(&k->hist, uri, cond);
        k->hops++;
        g_free(k->diverting_number);
        k->diverting_number = g_strdup(k->target.number);
        *tgt = next;
        if (t->metrics) {
            char labels[48];
            g_snprintf(labels, sizeof labels, "condition=\"%s\"", svc_div_cond_name(cond));
            rt_metrics_add(t->metrics, "diversions_total", labels, 1);
        }
    }
    g_free(uri);
    return ok;
}

/* Diverted to a number outside the wtpf: a new INVITE on W8 with the caller's offer. */
static void divert_out(call *k, const char *number)
{
    calls_t *t = k->t;
    char *to = w8_number_uri(w8_domain(t->w8), number);
    char *identity = t->cfg.divert_assert_caller || !k->diverting_number
                         ? g_strdup(k->from_uri)
                         : tel_uri(k->diverting_number);
    char *hi = svc_history_format(&k->hist);
    w8_out o = {.cid = k->cid,
                .to_uri = to,
                .from_uri = k->from_uri,
                .from_display = k->from_display,
                .identity = identity,
                .contact_user = k->diverting_number,
                .sdp = k->offer,
                .history_info = hi};
    k->state = CS_DIVERTED;
    k->out = w8_ready(t->w8) ? w8_call_out(t->w8, &o, k) : NULL;
    LOGN(RT_SUB_MAIN, k->cid, "incoming call re-originated toward %s", to);
    g_free(to);
    g_free(identity);
    g_free(hi);
    if (!k->out) in_fail(k, 503, "Service Unavailable");
}

static gboolean on_timer(gpointer p);

static void arm_timer(call *k, unsigned seconds, svc_div_cond cond)
{
    if (k->timer) g_source_remove(k->timer);
    k->timer = seconds ? g_timeout_add_seconds(seconds, on_timer, k) : 0;
    k->timer_cond = cond;
}

/* Alerts every open session of the chosen members; false when none could be alerted. */
static bool alert(call *k, wtpf_user *const *users, const GArray *chosen)
{
    calls_t *t = k->t;
    for (guint i = 0; i < chosen->len; i++) {
        wtpf_user *u = users[g_array_index(chosen, unsigned, i)];
        GPtrArray *ss = wic_sessions_of(t->sessions, u);
        for (guint j = 0; ss && j < ss->len; j++) {
            wic_session *s = g_ptr_array_index(ss, j);
            if (s->closed || g_hash_table_contains(s->calls, k->id)) continue;
            g_hash_table_insert(s->calls, g_strdup(k->id), k);
            g_ptr_array_add(k->ringing, s);
            tell(s, wic_build_incoming(k->id, k->from_uri, k->offer));
        }
    }
    return k->ringing->len > 0;
}

static void route(call *k, wtpf_dir_target tgt)
{
    calls_t *t = k->t;
    for (;;) {
        k->target = tgt;
        k->state = CS_ROUTING;
        if (tgt.kind == DIR_EXTERNAL) {
            divert_out(k, tgt.number);
            return;
        }
        const svc_diversion *div = target_div(tgt);
        const char *to = svc_divert_target(div, SVC_DIV_UNCONDITIONAL);
        if (to) {
            if (divert(k, to, SVC_DIV_UNCONDITIONAL, &tgt)) continue;
            in_fail(k, 482, "Loop Detected");
            return;
        }
        /* Simultaneous ringing: the user, or every logged-in member of the group. */
        wtpf_user *single[1] = {tgt.user};
        wtpf_user *const *users =
            tgt.kind == DIR_USER ? single : (wtpf_user *const *)tgt.group->members->pdata;
        unsigned n = tgt.kind == DIR_USER ? 1 : tgt.group->members->len;
        svc_member *members = g_new0(svc_member, n ? n : 1);
        for (unsigned i = 0; i < n; i++) {
            GPtrArray *ss = wic_sessions_of(t->sessions, users[i]);
            members[i] = (svc_member){.name = users[i]->name,
                                      .sessions = ss ? ss->len : 0,
                                      .calls = user_calls(t, users[i]),
                                      .max_calls = users[i]->max_calls};
        }
        GArray *chosen = g_array_new(FALSE, FALSE, sizeof(unsigned));
        svc_ring_result r = svc_ring_select(members, n, chosen);
        g_free(members);
        if (r == SVC_RING_OK && alert(k, users, chosen)) {
            g_array_unref(chosen);
            k->state = CS_RINGING;
            LOGN(RT_SUB_MAIN, k->cid, "incoming call %s for %s rings %u session(s)", k->id,
                 target_name(tgt), k->ringing->len);
            if (!k->ring_sent && k->in) w8_call_progress(k->in, 180);
            k->ring_sent = true;
            if (svc_divert_target(div, SVC_DIV_NO_ANSWER))
                arm_timer(k, div->no_answer_timeout, SVC_DIV_NO_ANSWER);
            else
                arm_timer(k, t->cfg.ring_timeout, SVC_DIV_COUNT);
            return;
        }
        g_array_unref(chosen);
        svc_div_cond cond = r == SVC_RING_BUSY ? SVC_DIV_BUSY : SVC_DIV_OFFLINE;
        LOGI(RT_SUB_MAIN, k->cid, "%s is %s", target_name(tgt),
             cond == SVC_DIV_BUSY ? "busy" : "not logged in");
        to = svc_divert_target(div, cond);
        if (to && divert(k, to, cond, &tgt)) continue;
        if (cond == SVC_DIV_BUSY)
            in_fail(k, 486, "Busy Here");
        else
            in_fail(k, 480, "Temporarily Unavailable");
        return;
    }
}

/* Nobody rings any more (all rejected, timed out or logged out): divert or fail. */
static void ringing_over(call *k, svc_div_cond cond, int code, const char *phrase)
{
    if (k->timer) g_source_remove(k->timer);
    k->timer = 0;
    wtpf_dir_target tgt;
    const char *to = svc_divert_target(target_div(k->target), cond);
    if (to && divert(k, to, cond, &tgt)) {
        route(k, tgt);
        return;
    }
    in_fail(k, code, phrase);
}

static gboolean on_timer(gpointer p)
{
    call *k = p;
    k->timer = 0;
    bool divert_now = k->timer_cond == SVC_DIV_NO_ANSWER;
    LOGI(RT_SUB_MAIN, k->cid, "no answer from %s", target_name(k->target));
    while (k->ringing->len) {
        wic_session *s = g_ptr_array_index(k->ringing, 0);
        tell(s, wic_build_ended(k->id, 408, divert_now ? "no answer: diverted" : "no answer"));
        unring(k, s);
    }
    if (divert_now)
        ringing_over(k, SVC_DIV_NO_ANSWER, 480, "Temporarily Unavailable");
    else
        in_fail(k, 480, "Temporarily Unavailable");
    return G_SOURCE_REMOVE;
}

static void on_w8_incoming(void *ud, w8_call *c, const w8_incoming *in)
{
    calls_t *t = ud;
    if (!in->sdp) {
        LOGI(RT_SUB_MAIN, in->cid, "INVITE for %s without an SDP offer refused", in->number);
        w8_call_reject(c, 488, "Not Acceptable Here");
        return;
    }
    if (t->cfg.max_calls && t->all.length >= t->cfg.max_calls) {
        w8_call_reject(c, 503, "Service Unavailable");
        return;
    }
    wtpf_dir_target tgt = wtpf_dir_by_number(t->dir, in->number);
    if (tgt.kind == DIR_NONE) {
        LOGI(RT_SUB_MAIN, in->cid, "INVITE for unknown number %s", in->number ? in->number : "-");
        if (t->metrics)
            rt_metrics_add(t->metrics, "calls_total", "direction=\"in\",outcome=\"not_found\"", 1);
        w8_call_reject(c, 404, "Not Found");
        return;
    }
    call *k = call_new(t, CALL_IN);
    g_strlcpy(k->cid, in->cid, sizeof k->cid);
    k->id = g_strdup_printf("in-%s-%u", k->cid, ++t->serial);
    if (strlen(k->id) > WIC_ID_MAX) k->id[WIC_ID_MAX] = '\0';
    k->in = c;
    w8_call_set_owner(c, k);
    k->from_uri = g_strdup(in->from_uri ? in->from_uri : "anonymous");
    k->from_display = g_strdup(in->from_display);
    k->offer = g_strdup(in->sdp);
    svc_history_parse(&k->hist, in->history_info);
    char *uri = w8_number_uri(w8_domain(t->w8), tgt.number);
    svc_history_start(&k->hist, uri);
    g_free(uri);
    LOGN(RT_SUB_MAIN, k->cid, "incoming call %s from %s to %s (%s)", k->id, k->from_uri, tgt.number,
         target_name(tgt));
    route(k, tgt);
}

static void in_answer(call *k, wic_session *s, const char *sdp)
{
    if (k->dir != CALL_IN || k->state != CS_RINGING || !g_ptr_array_find(k->ringing, s, NULL)) {
        tell(s, wic_build_error(k->id, 409, "call is not ringing here"));
        return;
    }
    g_ptr_array_remove(k->ringing, s);
    /* Only the winner's answer reaches IMS; the others stop ringing. */
    while (k->ringing->len) {
        wic_session *o = g_ptr_array_index(k->ringing, 0);
        tell(o, wic_build_ended(k->id, 200, "answered elsewhere"));
        unring(k, o);
    }
    if (k->timer) g_source_remove(k->timer);
    k->timer = 0;
    k->answered_by = s;
    k->state = CS_ACTIVE;
    k->was_answered = true;
    count_user(k, s->user);
    LOGN(RT_SUB_MAIN, k->cid, "call %s answered by %s (session %u)", k->id, s->user->name,
         s->serial);
    w8_call_answer(k->in, sdp);
}

static void in_reject(call *k, wic_session *s, const char *why)
{
    if (k->dir != CALL_IN || k->state != CS_RINGING || !g_ptr_array_find(k->ringing, s, NULL)) {
        tell(s, wic_build_error(k->id, 409, "call is not ringing here"));
        return;
    }
    tell(s, wic_build_ended(k->id, 486, why));
    unring(k, s);
    LOGI(RT_SUB_MAIN, k->cid, "%s (session %u) rejects call %s", s->user->name, s->serial, k->id);
    if (!k->ringing->len) ringing_over(k, SVC_DIV_BUSY, 486, "Busy Here");
}

/* ---- WIC side ---- */

static void hangup(call *k, wic_session *s)
{
    if (k->dir == CALL_OUT && k->orig == s) {
        int code = k->state == CS_ACTIVE ? 200 : 487;
        k->end_code = code;
        if (k->out) w8_call_hangup(k->out);
        k->out = NULL;
        tell(s, wic_build_ended(k->id, code, "local hangup"));
        call_free(k);
    } else if (k->dir == CALL_IN && k->answered_by == s) {
        k->end_code = 200;
        if (k->in) w8_call_hangup(k->in);
        k->in = NULL;
        tell(s, wic_build_ended(k->id, 200, "local hangup"));
        call_free(k);
    } else {
        in_reject(k, s, "local hangup");
    }
}

static void dtmf(call *k, wic_session *s, const char *digits)
{
    w8_call *leg = k->dir == CALL_OUT ? k->out : k->in;
    bool mine = (k->dir == CALL_OUT && k->orig == s) || k->answered_by == s;
    if (!mine || k->state != CS_ACTIVE || !leg) {
        tell(s, wic_build_error(k->id, 409, "call is not established"));
        return;
    }
    if (!w8_call_dtmf(leg, digits)) tell(s, wic_build_error(k->id, 503, "DTMF not sent"));
}

static void on_message(void *ud, wic_session *s, const wic_msg *m)
{
    calls_t *t = ud;
    call *k = m->id ? g_hash_table_lookup(s->calls, m->id) : NULL;
    if (m->type == WIC_MSG_CALL) {
        if (k)
            tell(s, wic_build_error(m->id, 409, "call id already in use"));
        else
            out_start(t, s, m);
        return;
    }
    if (!k) {
        tell(s, wic_build_error(m->id, 404, "no such call"));
        return;
    }
    switch (m->type) {
    case WIC_MSG_ANSWER:
        in_answer(k, s, m->sdp);
        break;
    case WIC_MSG_REJECT:
        in_reject(k, s, "rejected");
        break;
    case WIC_MSG_HANGUP:
        hangup(k, s);
        break;
    case WIC_MSG_DTMF:
        dtmf(k, s, m->digits);
        break;
    default:
        tell(s, wic_build_error(m->id, 501, "not a client message"));
        break;
    }
}

static void on_gone(void *ud, wic_session *s)
{
    GList *ks = g_hash_table_get_values(s->calls);
    for (GList *l = ks; l; l = l->next) {
        call *k = l->data;
        if (k->dir == CALL_OUT && k->orig == s) {
            k->end_code = k->state == CS_ACTIVE ? 200 : 487;
            if (k->out) w8_call_hangup(k->out);
            k->out = NULL;
            call_free(k);
        } else if (k->answered_by == s) {
            k->end_code = 200;
            if (k->in) w8_call_hangup(k->in);
            k->in = NULL;
            call_free(k);
        } else if (g_ptr_array_find(k->ringing, s, NULL)) {
            unring(k, s);
            if (!k->ringing->len && k->state == CS_RINGING)
                ringing_over(k, SVC_DIV_OFFLINE, 480, "Temporarily Unavailable");
        }
    }
    g_list_free(ks);
}

const wic_session_cbs calls_session_cbs = {.on_message = on_message, .on_gone = on_gone};

/* ---- W8 side ---- */

static void w8_progress(void *ud, w8_call *c, int code)
{
    call *k = w8_call_owner(c);
    if (!k) return;
    if (k->dir == CALL_OUT && k->state == CS_CALLING)
        tell(k->orig, wic_build_progress(k->id, code));
    else if (k->dir == CALL_IN && c == k->out && k->in && (code == 180 || code == 183))
        w8_call_progress(k->in, code);
}

static void w8_answered(void *ud, w8_call *c, const char *sdp)
{
    call *k = w8_call_owner(c);
    if (!k) return;
    if (!sdp || !*sdp) {
        LOGW(RT_SUB_MAIN, k->cid, "2xx without an SDP answer: hanging up");
        w8_call_hangup(c);
        if (k->dir == CALL_OUT) {
            k->out = NULL;
            k->end_code = 488;
            tell(k->orig, wic_build_ended(k->id, 488, "answer without SDP"));
            call_free(k);
        } else {
            k->out = NULL;
            in_fail(k, 488, "Not Acceptable Here");
        }
        return;
    }
    k->state = CS_ACTIVE;
    k->was_answered = true;
    if (k->dir == CALL_OUT) {
        LOGN(RT_SUB_MAIN, k->cid, "call %s answered", k->id);
        tell(k->orig, wic_build_answered(k->id, sdp));
    } else if (k->in) {
        w8_call_answer(k->in, sdp); /* B2BUA: the diverted leg's answer goes back */
    }
}

static void w8_ended(void *ud, w8_call *c, int code, const char *reason)
{
    call *k = w8_call_owner(c);
    if (!k) return;
    if (!k->was_answered) k->end_code = code;
    if (c == k->out) {
        k->out = NULL;
        if (k->dir == CALL_OUT) {
            tell(k->orig, wic_build_ended(k->id, code, reason));
        } else if (k->in) {
            if (k->state == CS_ACTIVE)
                w8_call_hangup(k->in);
            else
                w8_call_reject(k->in, code >= 300 ? code : 500, reason);
            k->in = NULL;
        }
        call_free(k);
        return;
    }
    /* the incoming leg: CANCEL, BYE or a transport failure */
    k->in = NULL;
    if (k->out) w8_call_hangup(k->out);
    k->out = NULL;
    while (k->ringing->len) {
        wic_session *s = g_ptr_array_index(k->ringing, 0);
        tell(s, wic_build_ended(k->id, code, reason));
        unring(k, s);
    }
    if (k->answered_by) tell(k->answered_by, wic_build_ended(k->id, code, reason));
    call_free(k);
}

const w8_events calls_w8_events = {
    .incoming = on_w8_incoming,
    .progress = w8_progress,
    .answered = w8_answered,
    .ended = w8_ended,
};

/* ---- table ---- */

static void collect(rt_metrics_t *m, void *ud)
{
    rt_metrics_set(m, "calls_active", NULL, calls_count(ud));
}

calls_t *calls_new(const calls_cfg *cfg, const wtpf_dir *dir, wic_sessions *sessions,
                   rt_metrics_t *metrics)
{
    calls_t *t = g_new0(calls_t, 1);
    t->cfg = *cfg;
    t->dir = dir;
    t->sessions = sessions;
    t->metrics = metrics;
    g_queue_init(&t->all);
    t->user_calls = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (metrics) {
        rt_metrics_define(metrics, "calls_active", "gauge", "calls in progress");
        rt_metrics_define(metrics, "calls_total", "counter",
                          "finished calls by direction and outcome");
        rt_metrics_define(metrics, "diversions_total", "counter", "diversions by condition");
        rt_metrics_add_collector(metrics, collect, t);
    }
    return t;
}

void calls_set_w8(calls_t *t, w8_t *w8)
{
    t->w8 = w8;
}

unsigned calls_count(const calls_t *t)
{
    return t->all.length;
}

void calls_end_all(calls_t *t)
{
    while (t->all.head) {
        call *k = t->all.head->data;
        const char *why = "service stopping";
        k->end_code = 503;
        if (k->orig) tell(k->orig, wic_build_ended(k->id, 503, why));
        if (k->answered_by) tell(k->answered_by, wic_build_ended(k->id, 503, why));
        for (guint i = 0; i < k->ringing->len; i++)
            tell(g_ptr_array_index(k->ringing, i), wic_build_ended(k->id, 503, why));
        if (k->out) w8_call_hangup(k->out);
        k->out = NULL;
        if (k->in) {
            if (k->state == CS_ACTIVE)
                w8_call_hangup(k->in);
            else
                w8_call_reject(k->in, 503, "Service Unavailable");
        }
        k->in = NULL;
        call_free(k);
    }
}

void calls_free(calls_t *t)
{
    if (!t) return;
    calls_end_all(t);
    g_hash_table_unref(t->user_calls);
    g_free(t);
}
