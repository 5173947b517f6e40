/* Owned by the media-anchoring module (pcscf/anchor*, pcscf/iq_*)
 * A fake eIMS-AGW (H.248 MG) for the anchor unit tests: a real H.248 transport on loopback that
 * registers with ServiceChange, answers Add by filling the "$" of the Local templates, answers
 * Modify/Subtract/AuditValue, can fail, stay silent, send Notify and restart. Every request it
 * receives is kept as printed text for the assertions. Shared by tests/unit/pcscf/test_anchor*.c.
 */
#ifndef TEST_ANCHOR_MG_H
#define TEST_ANCHOR_MG_H

#include <glib.h>
#include <string.h>

#include "h248/codec.h"
#include "h248/transport.h"
#include "pcscf/anchor.h"
#include "runtime/log.h"

#define MG_ACCESS_ADDR "127.0.0.1"
#define MG_CORE_ADDR "127.0.0.2"
#define MG_FP                                                                                      \
    "4A:1F:6B:0E:9C:22:31:7D:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AB:CD:EF:01:23:45:"   \
    "67:9C"

typedef enum {
    MG_OK = 0,
    MG_SILENT,      /* no reply at all */
    MG_TRANS_ERROR, /* Reply = tid { Error = code } */
    MG_CMD2_ERROR,  /* context made, second command fails with `code` */
    MG_NO_LOCAL,    /* Add replies without Local */
} mg_behavior;

typedef struct {
    h248_tp_t *tp;
    unsigned mgc_port;
    GPtrArray *reqs; /* char*: every request received, printed with long tokens */
    uint32_t next_ctx;
    unsigned next_term;
    unsigned ufrag_gen;
    mg_behavior on_add, on_modify, on_subtract, on_audit;
    unsigned code;
    int sc_replies; /* ServiceChange replies received */
    char *sc_reply; /* the last one, printed */
    int notify_replies;
    char *notify_reply;
} fake_mg;

static inline void mg_wait_ms(int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE)) {
        }
        g_usleep(500);
    }
}

#define WAIT_FOR(cond, ms)                                                                         \
    do {                                                                                           \
        gint64 _end = g_get_monotonic_time() + (gint64)(ms)*1000;                                  \
        while (!(cond) && g_get_monotonic_time() < _end) {                                         \
            while (g_main_context_iteration(NULL, FALSE)) {                                        \
            }                                                                                      \
            if (!(cond)) g_usleep(300);                                                            \
        }                                                                                          \
    } while (0)

/* Fills the "$" of an Iq Local template like an AGW would. */
static inline char *mg_fill(fake_mg *mg, const char *tmpl, bool w3, unsigned n)
{
    GString *o = g_string_new(NULL);
    char **lines = g_strsplit(tmpl, "\n", -1);
    const char *addr = w3 ? MG_ACCESS_ADDR : MG_CORE_ADDR;
    unsigned port = (w3 ? 40000 : 50000) + 2 * n;
    for (char **l = lines; *l; l++) {
        char *line = g_strchomp(g_strdup(*l)); /* drop \r */
        if (!*line) {
            g_free(line);
            continue;
        }
        if (g_str_has_prefix(line, "m=audio $")) {
            g_string_append_printf(o, "m=audio %u%s\r\n", port, line + 9);
        } else if (g_str_has_prefix(line, "a=ice-ufrag:$")) {
            g_string_append_printf(o, "a=ice-ufrag:ag%02u\r\n", mg->ufrag_gen);
        } else if (g_str_has_prefix(line, "a=ice-pwd:$")) {
            g_string_append_printf(o, "a=ice-pwd:q8Lw2n0YvB1sT6cE4hJ9r%03u\r\n", mg->ufrag_gen);
        } else if (g_str_has_prefix(line, "a=fingerprint:sha-256 $")) {
            g_string_append_printf(o, "a=fingerprint:sha-256 %s\r\n", MG_FP);
        } else if (g_str_has_suffix(line, " $")) {
            line[strlen(line) - 1] = 0;
            g_string_append_printf(o, "%s%s\r\n", line, addr);
        } else {
            g_string_append_printf(o, "%s\r\n", line);
        }
        g_free(line);
    }
    g_strfreev(lines);
    if (w3 && !strstr(o->str, "a=candidate"))
        g_string_append_printf(o,
                               "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n"
                               "a=end-of-candidates\r\n",
                               addr, port);
    if (w3) mg->ufrag_gen++;
    return g_string_free(o, FALSE);
}

static inline const char *mg_local(const h248_command *c)
{
    if (!c->media || !c->media->streams) return NULL;
    for (guint i = 0; i < c->media->streams->len; i++) {
        const h248_stream *s = c->media->streams->pdata[i];
        if (s->local) return s->local;
    }
    return NULL;
}

static void mg_on_request(h248_tp_t *tp, h248_tp_req_t *req, const h248_message *msg,
                          const h248_transaction *t, void *ud)
{
    fake_mg *mg = ud;
    char *txt = h248_print_str(msg, NULL, NULL);
    g_ptr_array_add(mg->reqs, txt);
    h248_message *reply = NULL;
    mg_behavior b = MG_OK;
    const h248_action *a0 = t->actions->len ? t->actions->pdata[0] : NULL;
    const h248_command *c0 = a0 && a0->commands->len ? a0->commands->pdata[0] : NULL;
    if (c0) {
        switch (c0->type) {
        case H248_CMD_ADD:
            b = mg->on_add;
            break;
        case H248_CMD_MODIFY:
            b = mg->on_modify;
            break;
        case H248_CMD_SUBTRACT:
            b = mg->on_subtract;
            break;
        case H248_CMD_AUDIT_VALUE:
            b = mg->on_audit;
            break;
        default:
            break;
        }
    }
    if (b == MG_SILENT) return; /* the transport's Pending timer is effectively off */
    if (b == MG_TRANS_ERROR) {
        h248_tp_reply(
            tp, req,
            h248_build_error_reply(3, h248_tp_mid(tp), t->id, mg->code, "Insufficient resources"));
        return;
    }
    for (guint i = 0; i < t->actions->len; i++) {
        const h248_action *a = t->actions->pdata[i];
        h248_ctx_id ctx = a->ctx;
        if (ctx.kind == H248_CTX_CHOOSE) ctx = h248_ctx_num(mg->next_ctx++);
        h248_action *ra = reply ? h248_transaction_add_action(reply->transactions->pdata[0], ctx)
                                : h248_build_reply(&reply, 3, h248_tp_mid(tp), t->id, ctx);
        unsigned w3_added = 0; /* WIC to WIC: the second W3 of an action is ip/access2/<ctx> */
        for (guint j = 0; j < a->commands->len; j++) {
            const h248_command *c = a->commands->pdata[j];
            if (b == MG_CMD2_ERROR && j == 1) {
                h248_command *rc = h248_action_add_command(ra, c->type, "$");
                h248_command_set_error(rc, mg->code, "Insufficient resources");
                continue;
            }
            switch (c->type) {
            case H248_CMD_ADD: {
                const char *l = mg_local(c);
                bool w3 = l && strstr(l, "UDP/TLS");
                unsigned n = mg->next_term++;
                char id[32];
                /* one access and one core termination per context: named after it */
                g_snprintf(id, sizeof id, "ip/%s/%u",
                           w3 ? (w3_added++ ? "access2" : "access") : "core", ctx.num);
                char *filled = l && b != MG_NO_LOCAL ? mg_fill(mg, l, w3, n) : NULL;
                h248_build_command_reply(ra, H248_CMD_ADD, id, 1, filled);
                g_free(filled);
                break;
            }
            case H248_CMD_MODIFY: {
                const char *l = mg_local(c);
                char *filled = l && strstr(l, "$") ? mg_fill(mg, l, true, 0) : NULL;
                h248_build_command_reply(ra, H248_CMD_MODIFY, c->term_id, 1, filled);
                g_free(filled);
                break;
            }
            case H248_CMD_SUBTRACT: {
                const char *names[] = {"rtp/ps", "rtp/pr"};
                const char *v1[] = {"1500", "1498"}, *v2[] = {"1497", "1501"};
                char t1[32], t2[32];
                g_snprintf(t1, sizeof t1, "ip/access/%u", ctx.num);
                g_snprintf(t2, sizeof t2, "ip/core/%u", ctx.num);
                h248_build_subtract_reply(ra, t1, names, v1, 2);
                h248_build_subtract_reply(ra, t2, names, v2, 2);
                break;
            }
            default:
                h248_action_add_command(ra, c->type, c->term_id);
                break;
            }
        }
    }
    h248_tp_reply(tp, req, reply);
}

static inline fake_mg *mg_new(unsigned mgc_port)
{
    fake_mg *mg = g_new0(fake_mg, 1);
    mg->mgc_port = mgc_port;
    mg->reqs = g_ptr_array_new_with_free_func(g_free);
    mg->next_ctx = 17;
    mg->next_term = 1;
    h248_tp_cfg_t c = {.address = "127.0.0.1",
                       .port = 0,
                       .version = 3,
                       .retry_first_ms = 100,
                       .request_timeout_ms = 1000,
                       .pending_after_ms = 600000};
    mg->tp = h248_tp_new(&c, mg_on_request, mg, NULL);
    return mg;
}

static inline void mg_free(fake_mg *mg)
{
    h248_tp_free(mg->tp);
    g_ptr_array_free(mg->reqs, TRUE);
    g_free(mg->sc_reply);
    g_free(mg->notify_reply);
    g_free(mg);
}

static void mg_on_sc_reply(const h248_message *msg, const h248_transaction *t, void *ud)
{
    fake_mg *mg = ud;
    if (!msg) return;
    g_free(mg->sc_reply);
    mg->sc_reply = h248_print_str(msg, NULL, NULL);
    mg->sc_replies++;
}

static inline void mg_service_change(fake_mg *mg, h248_sc_method method, const char *reason)
{
    h248_message *m = h248_build_service_change(3, h248_tp_mid(mg->tp), 0, "ROOT", method, reason,
                                                3, "threegiq/1");
    h248_tp_request(mg->tp, "127.0.0.1", mg->mgc_port, m, mg_on_sc_reply, mg);
}

static inline bool mg_register(fake_mg *mg)
{
    int before = mg->sc_replies;
    mg_service_change(mg, H248_SCM_RESTART, "901 Cold Boot");
    WAIT_FOR(mg->sc_replies > before, 2000);
    return mg->sc_replies > before;
}

static void mg_on_notify_reply(const h248_message *msg, const h248_transaction *t, void *ud)
{
    fake_mg *mg = ud;
    if (!msg) return;
    g_free(mg->notify_reply);
    mg->notify_reply = h248_print_str(msg, NULL, NULL);
    mg->notify_replies++;
}

static inline void mg_notify(fake_mg *mg, uint32_t ctx, const char *term, const char *event)
{
    h248_message *m = NULL;
    h248_build_notify(&m, 3, h248_tp_mid(mg->tp), 0, h248_ctx_num(ctx), term, 7,
                      "20251124T10153000", event);
    h248_tp_request(mg->tp, "127.0.0.1", mg->mgc_port, m, mg_on_notify_reply, mg);
}

/* The last request received, or NULL. */
static inline const char *mg_last(const fake_mg *mg)
{
    return mg->reqs->len ? mg->reqs->pdata[mg->reqs->len - 1] : NULL;
}

static inline int mg_count(const fake_mg *mg, const char *needle)
{
    int n = 0;
    for (guint i = 0; i < mg->reqs->len; i++)
        if (strstr(mg->reqs->pdata[i], needle)) n++;
    return n;
}

static inline char *read_testdata(const char *name)
{
    const char *dirs[] = {"../shared/testdata", "../../shared/testdata", "/work/shared/testdata"};
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *p = g_build_filename(dirs[i], name, NULL);
        char *txt = NULL;
        if (g_file_get_contents(p, &txt, NULL, NULL)) {
            g_free(p);
            return txt;
        }
        g_free(p);
    }
    return NULL;
}

#endif
