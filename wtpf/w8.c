/* W8: SIP toward the pcscf with sofia-sip's nua on the GLib main loop (see w8.h). */
#define NUA_MAGIC_T struct w8
#define NUA_HMAGIC_T struct w8_call
#include "wtpf/w8.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <netdb.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/url.h>
#include <string.h>

#include "runtime/log.h"
#include "sip/su_loop.h"

struct w8_call {
    w8_t *w;
    nua_handle_t *nh;
    void *owner; /* calls.c's call; NULL once released */
    char cid[40];
    bool incoming;
    bool answered;       /* 2xx sent or received */
    bool ended;          /* the owner was told (or released it) */
    bool auth_tried;     /* one Digest retry per INVITE */
    bool hangup_pending; /* released before the answer: BYE a late 2xx */
    char *local_sdp;     /* what we sent (offer or answer), for re-INVITEs */
    GQueue dtmf;         /* digits (GUINT_TO_POINTER(char)) still to send */
    bool info_busy;      /* an INFO is in progress */
    GList link;
};

struct w8 {
    w8_cfg cfg;
    char *listen, *pcscf, *domain, *impi, *password, *impu, *realm, *ua, *corr;
    char *contact_host;     /* host:port of our listen URI */
    char *registrar;        /* sip:<domain> */
    GPtrArray *pcscf_addrs; /* numeric addresses of the pcscf */
    w8_events ev;
    void *ud;
    rt_metrics_t *metrics;
    su_root_t *root;
    GSource *su_source; /* the su_root on the GLib loop (sip/su_loop.c) */
    nua_t *nua;
    GQueue calls;
    /* registration */
    w8_reg_state reg;
    nua_handle_t *reg_nh;
    unsigned reg_auth_tries;
    unsigned retry_delay;
    guint retry_id;
    /* keepalive toward the pcscf */
    nua_handle_t *ka_nh;
    guint ka_id;
    bool pcscf_down;
    /* shutdown */
    bool stopping, nua_down;
    void (*done)(void *ud);
    void *done_ud;
    guint stop_guard;
};

static void reg_start(w8_t *w);

/* ---- helpers ---- */

static const char *hdr_find(sip_t const *sip, const char *name)
{
    for (sip_unknown_t const *u = sip ? sip->sip_unknown : NULL; u; u = u->un_next)
        if (u->un_name && g_ascii_strcasecmp(u->un_name, name) == 0) return u->un_value;
    return NULL;
}

/* A display name made safe for a quoted-string. */
static char *quote_display(const char *d)
{
    if (!d || !*d) return NULL;
    GString *s = g_string_new("\"");
    for (const char *p = d; *p; p++)
        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) g_string_append_c(s, *p);
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

char *w8_number_uri(const char *domain, const char *number)
{
    if (!number) return NULL;
    if (g_str_has_prefix(number, "sip:") || g_str_has_prefix(number, "sips:") ||
        g_str_has_prefix(number, "tel:"))
        return g_strdup(number);
    if (number[0] == '+') return g_strdup_printf("sip:%s@%s;user=phone", number, domain);
    return g_strdup_printf("sip:%s@%s", number, domain);
}

static char *clean_number(const char *s, size_t n)
{
    GString *o = g_string_new(NULL);
    for (size_t i = 0; i < n && s[i]; i++) {
        char c = s[i];
        if (c == ';' || c == '@' || c == '?') break;
        if (c == '-' || c == '.' || c == '(' || c == ')') continue; /* RFC 3966 visual separators */
        g_string_append_c(o, c);
    }
    if (!o->len) {
        g_string_free(o, TRUE);
        return NULL;
    }
    return g_string_free(o, FALSE);
}

char *w8_uri_number(const char *uri)
{
    if (!uri) return NULL;
    const char *lt = strchr(uri, '<');
    if (lt) uri = lt + 1;
    if (g_str_has_prefix(uri, "tel:")) return clean_number(uri + 4, strlen(uri + 4));
    const char *p = NULL;
    if (g_str_has_prefix(uri, "sip:"))
        p = uri + 4;
    else if (g_str_has_prefix(uri, "sips:"))
        p = uri + 5;
    if (!p) return NULL;
    const char *at = strchr(p, '@');
    if (!at) return NULL;
    return clean_number(p, (size_t)(at - p));
}

static char *url_number(url_t const *u)
{
    if (!u) return NULL;
    if (u->url_type == url_tel && u->url_host)
        return clean_number(u->url_host, strlen(u->url_host));
    if (u->url_user && *u->url_user) return clean_number(u->url_user, strlen(u->url_user));
    return NULL;
}

static void set_reg(w8_t *w, w8_reg_state st)
{
    if (w->reg == st) return;
    LOGN(RT_SUB_SIP, NULL, "registration: %s -> %s", w8_reg_name(w->reg), w8_reg_name(st));
    w->reg = st;
    if (w->metrics)
        rt_metrics_set(w->metrics, "registration_state", NULL, st == W8_REG_REGISTERED ? 1 : 0);
    if (w->ev.reg_changed) w->ev.reg_changed(w->ud, st);
}

static void count_reg(w8_t *w, const char *result)
{
    if (!w->metrics) return;
    char labels[48];
    g_snprintf(labels, sizeof labels, "result=\"%s\"", result);
    rt_metrics_add(w->metrics, "registrations_total", labels, 1);
}

/* ---- calls ---- */

static w8_call *call_new(w8_t *w, nua_handle_t *nh, bool incoming, const char *cid)
{
    w8_call *c = g_new0(w8_call, 1);
    c->w = w;
    c->nh = nh;
    c->incoming = incoming;
    g_strlcpy(c->cid, cid ? cid : "", sizeof c->cid);
    if (!c->cid[0]) rt_cid_new(c->cid, sizeof c->cid);
    g_queue_init(&c->dtmf);
    c->link.data = c;
    g_queue_push_tail_link(&w->calls, &c->link);
    return c;
}

/* Tells the owner once that the call is over. */
static void call_ended(w8_call *c, int code, const char *reason)
{
    if (c->ended) return;
    c->ended = true;
    void *owner = c->owner;
    c->owner = NULL;
    if (owner && c->w->ev.ended) {
        c->owner = owner; /* the handler reads it through w8_call_owner */
        c->w->ev.ended(c->w->ud, c, code, reason);
        c->owner = NULL;
    }
}

static void call_free(w8_call *c)
{
    w8_t *w = c->w;
    call_ended(c, 500, "call state lost");
    g_queue_unlink(&w->calls, &c->link);
    if (c->nh) {
        nua_handle_bind(c->nh, NULL);
        nua_handle_destroy(c->nh);
    }
    g_queue_clear(&c->dtmf);
    g_free(c->local_sdp);
    g_free(c);
}

void *w8_call_owner(const w8_call *c)
{
    return c->owner;
}

void w8_call_set_owner(w8_call *c, void *owner)
{
    c->owner = owner;
}

const char *w8_call_cid(const w8_call *c)
{
    return c->cid;
}

static char *our_contact(w8_t *w, const char *user)
{
    if (user && *user) return g_strdup_printf("<sip:%s@%s>", user, w->contact_host);
    return g_strdup_printf("<sip:%s>", w->contact_host);
}

w8_call *w8_call_out(w8_t *w, const w8_out *o, void *owner)
{
    if (w->stopping) return NULL;
    char *disp = quote_display(o->from_display);
    char *from = g_strdup_printf("%s%s<%s>", disp ? disp : "", disp ? " " : "", o->from_uri);
    char *to = g_strdup_printf("<%s>", o->to_uri);
    char *contact = our_contact(w, o->contact_user);
    /* RFC 3325 §9.2 (PAI, static mode: we are trusted) / §9.3 (PPI, registration mode: the
     * pcscf asserts it after checking it against the registered range). */
    GString *extra = g_string_new(NULL);
    g_string_append_printf(extra, "%s: <%s>",
                           w->cfg.mode == W8_MODE_STATIC ? "P-Asserted-Identity"
                                                         : "P-Preferred-Identity",
                           o->identity);
    if (w->corr && *w->corr) g_string_append_printf(extra, "\r\n%s: %s", w->corr, o->cid);
    if (o->history_info) g_string_append_printf(extra, "\r\nHistory-Info: %s", o->history_info);
    url_t *ruri = NULL;
    su_home_t *home = su_home_new(sizeof(su_home_t));
    ruri = url_make(home, o->to_uri);
    w8_call *c = NULL;
    if (ruri) {
        nua_handle_t *nh =
            nua_handle(w->nua, NULL, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
        c = call_new(w, nh, false, o->cid);
        c->owner = owner;
        c->local_sdp = g_strdup(o->sdp);
        nua_handle_bind(nh, c);
        nua_invite(nh, NUTAG_URL(ruri), SIPTAG_CONTACT_STR(contact),
                   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(o->sdp),
                   SIPTAG_HEADER_STR(extra->str), TAG_END());
        LOGI(RT_SUB_SIP, c->cid, "INVITE %s from %s (%s)", o->to_uri, o->from_uri, o->identity);
    } else {
        LOGW(RT_SUB_SIP, o->cid, "cannot parse Request-URI %s", o->to_uri);
    }
    su_home_unref(home);
    g_string_free(extra, TRUE);
    g_free(disp);
    g_free(from);
    g_free(to);
    g_free(contact);
    return c;
}

/* nua keeps the phrase pointer until it sends the response, later: only static text. */
static const char *static_phrase(int code)
{
    const char *p = sip_status_phrase(code);
    return p ? p : code >= 600 ? "Global Failure" : code >= 500 ? "Server Failure" : "Failure";
}

void w8_call_progress(w8_call *c, int code)
{
    if (!c->incoming || c->answered || c->ended) return;
    nua_respond(c->nh, code, static_phrase(code), TAG_END());
}

void w8_call_answer(w8_call *c, const char *sdp)
{
    if (!c->incoming || c->answered || c->ended) return;
    c->answered = true;
    g_free(c->local_sdp);
    c->local_sdp = g_strdup(sdp);
    nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    LOGI(RT_SUB_SIP, c->cid, "200 OK sent");
}

void w8_call_reject(w8_call *c, int code, const char *phrase)
{
    c->owner = NULL;
    c->ended = true;
    if (code < 300 || code > 699) code = 500;
    if (c->incoming && !c->answered) {
        LOGI(RT_SUB_SIP, c->cid, "INVITE answered %d %s", code, phrase ? phrase : "");
        nua_respond(c->nh, code, static_phrase(code), TAG_END());
    } else {
        w8_call_hangup(c);
    }
}

void w8_call_hangup(w8_call *c)
{
    c->owner = NULL;
    c->ended = true;
    if (c->incoming && !c->answered) {
        nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
    } else if (c->answered) {
        LOGI(RT_SUB_SIP, c->cid, "BYE");
        nua_bye(c->nh, TAG_END());
    } else {
        LOGI(RT_SUB_SIP, c->cid, "CANCEL");
        c->hangup_pending = true;
        nua_cancel(c->nh, TAG_END());
    }
}

static void send_next_dtmf(w8_call *c)
{
    if (c->info_busy || g_queue_is_empty(&c->dtmf)) return;
    char d = (char)GPOINTER_TO_UINT(g_queue_pop_head(&c->dtmf));
    char body[64];
    g_snprintf(body, sizeof body, "Signal=%c\r\nDuration=160\r\n", d);
    c->info_busy = true;
    nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body),
             TAG_END());
}

bool w8_call_dtmf(w8_call *c, const char *digits)
{
    if (!c->answered || c->ended) return false;
    for (const char *p = digits; *p; p++)
        g_queue_push_tail(&c->dtmf, GUINT_TO_POINTER((guint)*p));
    send_next_dtmf(c);
    return true;
}

/* ---- nua events for calls ---- */

/* The pcscf's addresses, resolved once at start (its URI may name a host). */
static void resolve_pcscf(w8_t *w)
{
    const char *p = strchr(w->pcscf, ':');
    p = p ? p + 1 : w->pcscf;
    char *host = g_strndup(p, strcspn(p, ":;>"));
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) == 0) {
        for (struct addrinfo *a = res; a; a = a->ai_next) {
            char txt[NI_MAXHOST];
            if (getnameinfo(a->ai_addr, a->ai_addrlen, txt, sizeof txt, NULL, 0, NI_NUMERICHOST) ==
                0)
                g_ptr_array_add(w->pcscf_addrs, g_strdup(txt));
        }
        freeaddrinfo(res);
    }
    if (!w->pcscf_addrs->len)
        LOGW(RT_SUB_SIP, NULL, "cannot resolve the pcscf's host %s: INVITEs will be refused", host);
    g_free(host);
}

/* RFC 3325 trust: only the pcscf may send us calls (it asserts the callers' identities). */
static bool from_pcscf(w8_t *w)
{
    msg_t *m = nua_current_request(w->nua);
    su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;
    if (!ai || !ai->ai_addr) return false;
    char host[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, host, sizeof host, NULL, 0,
                    NI_NUMERICHOST) != 0)
        return false;
    for (guint i = 0; i < w->pcscf_addrs->len; i++)
        if (strcmp(host, g_ptr_array_index(w->pcscf_addrs, i)) == 0) return true;
    return false;
}

static void incoming_invite(w8_t *w, nua_handle_t *nh, sip_t const *sip)
{
    if (w->stopping) {
        nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    if (!from_pcscf(w)) {
        LOGW(RT_SUB_SIP, NULL, "INVITE from a source other than the pcscf refused");
        nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    const char *cid = w->corr && *w->corr ? hdr_find(sip, w->corr) : NULL;
    char cidbuf[40] = "";
    if (cid && strlen(cid) < sizeof cidbuf && strspn(cid, "0123456789abcdefABCDEF-") == strlen(cid))
        g_strlcpy(cidbuf, cid, sizeof cidbuf);
    w8_call *c = call_new(w, nh, true, cidbuf);
    nua_handle_bind(nh, c);
    char *number = url_number(sip->sip_request ? sip->sip_request->rq_url : NULL);
    if (!number && sip->sip_to) number = url_number(sip->sip_to->a_url);
    /* The caller: the asserted identity from the trusted pcscf, else From (RFC 3325 §9.1). */
    const char *pai = hdr_find(sip, "P-Asserted-Identity");
    char *from_g = NULL, *display = NULL;
    if (pai) {
        const char *lt = strchr(pai, '<'), *gt = lt ? strchr(lt, '>') : NULL;
        from_g = lt && gt ? g_strndup(lt + 1, (gsize)(gt - lt - 1)) : g_strdup(pai);
    }
    if (sip->sip_from) {
        if (!from_g) {
            su_home_t *home = su_home_new(sizeof(su_home_t));
            char *u = url_as_string(home, sip->sip_from->a_url);
            from_g = g_strdup(u);
            su_home_unref(home);
        }
        if (sip->sip_from->a_display) {
            display = g_strdup(sip->sip_from->a_display);
            g_strdelimit(display, "\"", ' ');
            g_strstrip(display);
        }
    }
    char *sdp = NULL;
    if (sip->sip_payload && sip->sip_payload->pl_len &&
        (!sip->sip_content_type || !sip->sip_content_type->c_type ||
         g_ascii_strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0))
        sdp = g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    w8_incoming in = {.cid = c->cid,
                      .number = number,
                      .from_uri = from_g,
                      .from_display = display,
                      .sdp = sdp,
                      .history_info = hdr_find(sip, "History-Info")};
    LOGI(RT_SUB_SIP, c->cid, "INVITE for %s from %s", number ? number : "?", from_g ? from_g : "?");
    w->ev.incoming(w->ud, c, &in);
    g_free(number);
    g_free(from_g);
    g_free(display);
    g_free(sdp);
}

static void reinvite(w8_call *c)
{
    /* A refresh or a change from the far end: the WIC API has no renegotiation, so the session
     * stays as it is (our last SDP again, RFC 3264 §8: same version = no change). */
    if (c->local_sdp)
        nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(c->local_sdp), TAG_END());
    else
        nua_respond(c->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
}

static void invite_response(w8_call *c, int status, const char *phrase, sip_t const *sip)
{
    w8_t *w = c->w;
    if (status < 200) {
        if (status > 100 && c->owner && w->ev.progress) w->ev.progress(w->ud, c, status);
        return;
    }
    if (status < 300) {
        c->answered = true;
        if (c->hangup_pending || !c->owner) {
            /* 2xx crossed our CANCEL: the dialog exists now, end it */
            nua_bye(c->nh, TAG_END());
            return;
        }
        char *sdp = sip && sip->sip_payload && sip->sip_payload->pl_len
                        ? g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
                        : NULL;
        LOGI(RT_SUB_SIP, c->cid, "INVITE answered %d", status);
        if (w->ev.answered) w->ev.answered(w->ud, c, sdp);
        g_free(sdp);
        return;
    }
    if ((status == 401 || status == 407) && !c->auth_tried && w->impi && *w->impi && w->password &&
        *w->password && !c->hangup_pending) {
        c->auth_tried = true;
        const char *realm = w->realm && *w->realm ? w->realm : w->domain;
        char *auth = g_strdup_printf("Digest:\"%s\":%s:%s", realm, w->impi, w->password);
        nua_authenticate(c->nh, NUTAG_AUTH(auth), TAG_END());
        g_free(auth);
        return;
    }
    LOGI(RT_SUB_SIP, c->cid, "INVITE failed: %d %s", status, phrase);
    call_ended(c, status, phrase);
}

static void on_call_state(w8_call *c, tagi_t tags[])
{
    int st = -1;
    tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
    if (st == nua_callstate_ready) c->answered = true;
    if (st == nua_callstate_terminated) {
        call_ended(c, c->answered ? 200 : 500, c->answered ? "call ended" : "call failed");
        call_free(c);
    }
}

/* ---- registration (RFC 6140) ---- */

static gboolean reg_retry(gpointer ud)
{
    w8_t *w = ud;
    w->retry_id = 0;
    reg_start(w);
    return G_SOURCE_REMOVE;
}

static void reg_drop_handle(w8_t *w)
{
    if (w->reg_nh) {
        nua_handle_destroy(w->reg_nh);
        w->reg_nh = NULL;
    }
}

static void reg_schedule(w8_t *w, unsigned delay)
{
    if (w->stopping) return;
    if (w->retry_id) g_source_remove(w->retry_id);
    LOGI(RT_SUB_SIP, NULL, "registration: next attempt in %u s", delay);
    w->retry_id = g_timeout_add_seconds(delay, reg_retry, w);
}

static void reg_failed(w8_t *w, int status, const char *phrase)
{
    LOGW(RT_SUB_SIP, NULL, "registration failed: %d %s", status, phrase);
    count_reg(w, status == 401 || status == 407 || status == 403 ? "refused" : "failed");
    reg_drop_handle(w);
    set_reg(w, W8_REG_IDLE);
    unsigned delay = w->retry_delay ? w->retry_delay : w->cfg.retry_min;
    w->retry_delay = MIN(delay * 2, w->cfg.retry_max);
    reg_schedule(w, delay);
}

static void reg_start(w8_t *w)
{
    if (w->stopping || w->cfg.mode != W8_MODE_REGISTRATION) return;
    reg_drop_handle(w); /* a fresh registration: new Call-ID */
    w->reg_auth_tries = 0;
    w->reg_nh =
        nua_handle(w->nua, NULL, SIPTAG_TO_STR(w->impu), SIPTAG_FROM_STR(w->impu), TAG_END());
    char expires[16];
    g_snprintf(expires, sizeof expires, "%u", w->cfg.expires);
    set_reg(w, W8_REG_REGISTERING);
    LOGI(RT_SUB_SIP, NULL, "REGISTER %s as %s (GIN, bnc contact)", w->registrar, w->impu);
    /* RFC 6140 §5.1: Contact without user part with "bnc", Require/Proxy-Require gin;
     * Supported: path (RFC 3327) so that the pcscf may add a Path. */
    char *contact = g_strdup_printf("<sip:%s;bnc>", w->contact_host);
    nua_register(w->reg_nh, NUTAG_REGISTRAR(w->registrar), SIPTAG_CONTACT_STR(contact),
                 SIPTAG_EXPIRES_STR(expires), SIPTAG_REQUIRE_STR("gin"),
                 SIPTAG_PROXY_REQUIRE_STR("gin"), SIPTAG_SUPPORTED_STR("path, gin"), TAG_END());
    g_free(contact);
}

static void reg_response(w8_t *w, nua_handle_t *nh, int status, const char *phrase,
                         sip_t const *sip)
{
    if (nh != w->reg_nh) return;
    if (status < 200) return;
    if (status == 401 || status == 407) {
        if (++w->reg_auth_tries > 2) {
            reg_failed(w, status, "credentials refused");
            return;
        }
        const char *realm = w->realm && *w->realm ? w->realm : NULL;
        char *challenge_realm = NULL;
        if (!realm && sip) {
            msg_auth_t const *a = status == 401 ? (msg_auth_t const *)sip->sip_www_authenticate
                                                : (msg_auth_t const *)sip->sip_proxy_authenticate;
            for (int i = 0; a && a->au_params && a->au_params[i]; i++)
                if (g_ascii_strncasecmp(a->au_params[i], "realm=", 6) == 0) {
                    challenge_realm = g_strdup(a->au_params[i] + 6);
                    g_strdelimit(challenge_realm, "\"", ' ');
                    g_strstrip(challenge_realm);
                }
        }
        char *auth = g_strdup_printf("Digest:\"%s\":%s:%s",
                                     realm             ? realm
                                     : challenge_realm ? challenge_realm
                                                       : w->domain,
                                     w->impi, w->password);
        nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
        g_free(auth);
        g_free(challenge_realm);
        return;
    }
    if (status >= 300) {
        /* 403/404 (the pcscf lost or refuses us), 408/503 (unreachable), ...: start over. */
        reg_failed(w, status, phrase);
        return;
    }
    w->reg_auth_tries = 0;
    w->retry_delay = 0;
    count_reg(w, "ok");
    if (w->reg != W8_REG_REGISTERED) {
        unsigned granted = 0;
        if (sip && sip->sip_contact && sip->sip_contact->m_expires)
            granted = (unsigned)strtoul(sip->sip_contact->m_expires, NULL, 10);
        else if (sip && sip->sip_expires)
            granted = (unsigned)sip->sip_expires->ex_delta;
        LOGN(RT_SUB_SIP, NULL, "registered as %s (%u s)", w->impu, granted);
    }
    set_reg(w, W8_REG_REGISTERED);
}

/* OPTIONS toward the pcscf: when it answers again after a silence it may have restarted and
 * lost our binding, so the registration is redone. */
static gboolean keepalive(gpointer ud)
{
    w8_t *w = ud;
    if (w->stopping) return G_SOURCE_CONTINUE;
    if (w->ka_nh) {
        /* the last OPTIONS is still unanswered: the pcscf is silent (ICMP errors are
         * rate-limited, and a transaction timeout takes 32 s) */
        if (!w->pcscf_down) LOGW(RT_SUB_SIP, NULL, "pcscf does not answer OPTIONS");
        w->pcscf_down = true;
        nua_handle_destroy(w->ka_nh);
    }
    w->ka_nh = nua_handle(w->nua, NULL, SIPTAG_TO_STR(w->pcscf), TAG_END());
    nua_options(w->ka_nh, NUTAG_URL(w->pcscf), TAG_END());
    return G_SOURCE_CONTINUE;
}

static void keepalive_response(w8_t *w, nua_handle_t *nh, int status)
{
    if (nh != w->ka_nh || status < 200) return;
    bool down = status == 408 || status == 503 || status >= 600 || status == 500;
    if (down && !w->pcscf_down)
        LOGW(RT_SUB_SIP, NULL, "pcscf does not answer OPTIONS (%d)", status);
    if (!down && w->pcscf_down) {
        LOGN(RT_SUB_SIP, NULL, "pcscf answers again: redoing the registration");
        if (w->cfg.mode == W8_MODE_REGISTRATION && w->reg != W8_REG_REGISTERING) {
            if (w->retry_id) g_source_remove(w->retry_id);
            w->retry_id = 0;
            w->retry_delay = 0;
            reg_start(w);
        }
    }
    w->pcscf_down = down;
    nua_handle_destroy(w->ka_nh);
    w->ka_nh = NULL;
}

/* ---- the nua callback ---- */

static void finish_stop(w8_t *w);

static void on_nua(nua_event_t ev, int status, char const *phrase, nua_t *nua, w8_t *w,
                   nua_handle_t *nh, w8_call *c, sip_t const *sip, tagi_t tags[])
{
    switch (ev) {
    case nua_i_invite:
        if (c)
            reinvite(c);
        else
            incoming_invite(w, nh, sip);
        break;
    case nua_r_invite:
        if (c) invite_response(c, status, phrase, sip);
        break;
    case nua_i_cancel:
        if (c) {
            LOGI(RT_SUB_SIP, c->cid, "CANCEL received");
            call_ended(c, 487, "cancelled");
        }
        break;
    case nua_i_bye:
        if (c) {
            LOGI(RT_SUB_SIP, c->cid, "BYE received");
            call_ended(c, 200, "remote hangup");
        }
        break;
    case nua_i_state:
        if (c) on_call_state(c, tags);
        break;
    case nua_r_info:
        if (c && status >= 200) {
            c->info_busy = false;
            send_next_dtmf(c);
        }
        break;
    case nua_r_register:
        reg_response(w, nh, status, phrase, sip);
        break;
    case nua_r_unregister:
        if (nh == w->reg_nh && status >= 200) {
            set_reg(w, W8_REG_STOPPED);
            if (w->stopping && !w->nua_down) finish_stop(w);
        } else if (nh == w->reg_nh && (status == 401 || status == 407)) {
            char *auth =
                g_strdup_printf("Digest:\"%s\":%s:%s", w->realm && *w->realm ? w->realm : w->domain,
                                w->impi, w->password);
            nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
            g_free(auth);
        }
        break;
    case nua_r_options:
        keepalive_response(w, nh, status);
        break;
    case nua_r_shutdown:
        if (status >= 200) {
            w->nua_down = true;
            if (w->stop_guard) g_source_remove(w->stop_guard);
            w->stop_guard = 0;
            if (w->done) w->done(w->done_ud);
            w->done = NULL;
        }
        break;
    case nua_i_error:
        LOGW(RT_SUB_SIP, c ? c->cid : NULL, "nua error %d %s", status, phrase);
        break;
    case nua_i_options:
    case nua_i_refer:
    case nua_i_publish:
    case nua_i_message:
    case nua_i_chat:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_method:
        /* Out of a call: nua has answered already (200 to OPTIONS, an error to the others);
         * the handle it made for the request is nobody's and goes. In a call: ignored. */
        if (nh && !c && nh != w->reg_nh && nh != w->ka_nh) nua_handle_destroy(nh);
        break;
    default: /* ACK, PRACK, UPDATE, INFO, responses to BYE/CANCEL: nothing to do */
        break;
    }
}

/* ---- life ---- */

const char *w8_reg_name(w8_reg_state st)
{
    switch (st) {
    case W8_REG_STATIC:
        return "static";
    case W8_REG_IDLE:
        return "unregistered";
    case W8_REG_REGISTERING:
        return "registering";
    case W8_REG_REGISTERED:
        return "registered";
    case W8_REG_STOPPED:
        return "stopped";
    }
    return "?";
}

w8_reg_state w8_reg(const w8_t *w)
{
    return w->reg;
}

bool w8_ready(const w8_t *w)
{
    return !w->stopping && (w->reg == W8_REG_STATIC || w->reg == W8_REG_REGISTERED);
}

w8_mode w8_get_mode(const w8_t *w)
{
    return w->cfg.mode;
}

const char *w8_domain(const w8_t *w)
{
    return w->domain;
}

unsigned w8_calls(const w8_t *w)
{
    return w->calls.length;
}

static bool sofia_inited;

/* sofia-sip's own log lines (transport errors and the like) go to our log, subsystem sip. */
extern su_log_t tport_log[], nta_log[], nua_log[];
static GString *sofia_line;

static void sofia_logger(void *stream, char const *fmt, va_list ap)
{
    if (!sofia_line) sofia_line = g_string_new(NULL);
    g_string_append_vprintf(sofia_line, fmt, ap);
    char *nl;
    while ((nl = strchr(sofia_line->str, '\n'))) {
        *nl = '\0';
        const char *l = g_strstrip(sofia_line->str);
        /* transport errors matter; the rest is sofia's chatter */
        if (*l && (strstr(l, "rror") || strstr(l, "refused") || strstr(l, "failed")))
            LOGI(RT_SUB_SIP, NULL, "sofia: %s", l);
        else if (*l)
            LOGD(RT_SUB_SIP, NULL, "sofia: %s", l);
        g_string_erase(sofia_line, 0, (gssize)(nl - sofia_line->str) + 1);
    }
}

w8_t *w8_new(const w8_cfg *cfg, const w8_events *ev, void *ud, rt_metrics_t *metrics, GError **err)
{
    if (!sofia_inited) {
        su_log_redirect(su_log_default, sofia_logger, NULL);
        su_log_redirect(tport_log, sofia_logger, NULL);
        su_log_redirect(nta_log, sofia_logger, NULL);
        su_log_redirect(nua_log, sofia_logger, NULL);
        su_init();
        sofia_inited = true;
    }
    w8_t *w = g_new0(w8_t, 1);
    w->cfg = *cfg;
    w->listen = g_strdup(cfg->listen);
    w->pcscf = g_strdup(cfg->pcscf);
    w->domain = g_strdup(cfg->domain);
    w->impi = g_strdup(cfg->impi);
    w->password = g_strdup(cfg->password);
    w->impu = g_strdup(cfg->impu);
    w->realm = g_strdup(cfg->realm);
    w->ua = g_strdup(cfg->user_agent);
    w->corr = g_strdup(cfg->correlation_header);
    w->registrar = g_strdup_printf("sip:%s", cfg->domain);
    const char *hp = strchr(cfg->listen, ':');
    w->contact_host = g_strdup(hp ? hp + 1 : cfg->listen);
    char *semi = strchr(w->contact_host, ';');
    if (semi) *semi = '\0';
    w->ev = *ev;
    w->ud = ud;
    w->metrics = metrics;
    g_queue_init(&w->calls);
    w->pcscf_addrs = g_ptr_array_new_with_free_func(g_free);
    resolve_pcscf(w);
    w->reg = cfg->mode == W8_MODE_STATIC ? W8_REG_STATIC : W8_REG_IDLE;
    if (metrics) {
        rt_metrics_define(metrics, "registration_state", "gauge",
                          "1 when registered with the pcscf (registration mode)");
        rt_metrics_define(metrics, "registrations_total", "counter",
                          "REGISTER transactions by result");
        rt_metrics_set(metrics, "registration_state", NULL, 0);
    }
    w->root = su_glib_root_create(w);
    if (!w->root) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "sofia-sip: cannot create su_root");
        w8_free(w);
        return NULL;
    }
    /* nua's stack runs in the GLib loop's thread, like everything else of the wtpf */
    su_root_threading(w->root, 0);
    /* attached with the su_glib timer-spin fix (sip/su_loop.c) */
    w->su_source = sip_su_loop_attach(w->root);
    if (!w->su_source) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "sofia-sip: cannot attach su_root");
        w8_free(w);
        return NULL;
    }
    w->nua = nua_create(w->root, on_nua, w, NUTAG_URL(w->listen), NUTAG_PROXY(w->pcscf),
                        SIPTAG_USER_AGENT_STR(w->ua), SIPTAG_SUPPORTED_STR("timer"),
                        SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK"),
                        NUTAG_ENABLEMESSAGE(0), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0),
                        NUTAG_AUTOACK(1), NUTAG_ENABLEINVITE(1),
                        NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate no-outbound"),
                        NUTAG_KEEPALIVE(0), NUTAG_SERVICE_ROUTE_ENABLE(1), NUTAG_PATH_ENABLE(0),
                        TAG_END());
    if (!w->nua) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "sofia-sip: cannot listen on %s",
                    w->listen);
        w8_free(w);
        return NULL;
    }
    LOGN(RT_SUB_SIP, NULL, "W8 on %s toward %s, %s mode", w->listen, w->pcscf,
         cfg->mode == W8_MODE_STATIC ? "static" : "registration");
    if (cfg->mode == W8_MODE_REGISTRATION) reg_start(w);
    if (cfg->keepalive) w->ka_id = g_timeout_add_seconds(cfg->keepalive, keepalive, w);
    return w;
}

static gboolean stop_guard(gpointer ud)
{
    w8_t *w = ud;
    w->stop_guard = 0;
    LOGW(RT_SUB_SIP, NULL, "SIP shutdown did not complete in time");
    if (w->done) w->done(w->done_ud);
    w->done = NULL;
    return G_SOURCE_REMOVE;
}

static void finish_stop(w8_t *w)
{
    nua_shutdown(w->nua);
}

void w8_shutdown(w8_t *w, void (*done)(void *ud), void *ud)
{
    w->stopping = true;
    w->done = done;
    w->done_ud = ud;
    if (w->retry_id) g_source_remove(w->retry_id);
    w->retry_id = 0;
    if (w->ka_id) g_source_remove(w->ka_id);
    w->ka_id = 0;
    w->stop_guard = g_timeout_add(4000, stop_guard, w);
    if (w->reg == W8_REG_REGISTERED && w->reg_nh) {
        LOGN(RT_SUB_SIP, NULL, "de-registering");
        nua_unregister(w->reg_nh, TAG_END());
        return; /* finish_stop on the answer */
    }
    finish_stop(w);
}

void w8_free(w8_t *w)
{
    if (!w) return;
    if (w->retry_id) g_source_remove(w->retry_id);
    if (w->ka_id) g_source_remove(w->ka_id);
    if (w->stop_guard) g_source_remove(w->stop_guard);
    while (w->calls.head) {
        w8_call *c = w->calls.head->data;
        c->owner = NULL;
        c->ended = true;
        call_free(c);
    }
    if (w->nua) {
        if (!w->nua_down) {
            /* nua must be shut down before it is destroyed: run the loop until it is. */
            w->done = NULL;
            nua_shutdown(w->nua);
            for (int i = 0; i < 200 && !w->nua_down; i++)
                g_main_context_iteration(NULL, FALSE), g_usleep(10000);
        }
        reg_drop_handle(w);
        if (w->ka_nh) nua_handle_destroy(w->ka_nh);
        nua_destroy(w->nua);
    }
    if (w->su_source) g_source_destroy(w->su_source);
    if (w->root) su_root_destroy(w->root);
    if (sofia_line) g_string_free(sofia_line, TRUE);
    sofia_line = NULL;
    g_free(w->listen);
    g_free(w->pcscf);
    g_free(w->domain);
    g_free(w->impi);
    g_free(w->password);
    g_free(w->impu);
    g_free(w->realm);
    g_free(w->ua);
    g_free(w->corr);
    g_free(w->registrar);
    g_free(w->contact_host);
    g_ptr_array_unref(w->pcscf_addrs);
    g_free(w);
}
