/* H.248 text codec: the SPECS.md §4.5 worked example and the other vectors parse to the expected
 * fields, print back (long/short, pretty/compact) and re-parse to the same model; builders emit
 * the example's bytes; SDP escaping and trimming; invalid models are refused by the printer. */
#include "h248/codec.h"
#include "h248_vectors.h"
#include "unit.h"

static const h248_test_vector *vec(const char *name)
{
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++)
        if (strcmp(h248_test_vectors[i].name, name) == 0) return &h248_test_vectors[i];
    fprintf(stderr, "no vector %s\n", name);
    abort();
}

/* Parses from an exact-size heap copy, so that ASan sees any read past the end. */
static h248_message *parse_exact(const char *text, size_t len, h248_parse_error *err)
{
    char *copy = g_malloc(len ? len : 1);
    memcpy(copy, text, len);
    h248_message *m = h248_parse(copy, len, NULL, err);
    g_free(copy);
    return m;
}

static h248_message *parse_ok(const char *text)
{
    h248_parse_error err = {0};
    h248_message *m = parse_exact(text, strlen(text), &err);
    if (!m)
        fprintf(stderr, "  parse failed: %u at %u:%u: %s\n", err.code, err.line, err.column,
                err.text);
    return m;
}

static h248_message *parse_vec(const char *name)
{
    return parse_ok(vec(name)->text);
}

static char *print_with(const h248_message *m, bool short_tokens, bool compact)
{
    h248_print_opts o = {.short_tokens = short_tokens, .compact = compact};
    return h248_print_str(m, &o, NULL);
}

static h248_command *cmd_at(const h248_message *m, guint t, guint a, guint c)
{
    h248_transaction *tr = g_ptr_array_index(m->transactions, t);
    h248_action *ac = g_ptr_array_index(tr->actions, a);
    return g_ptr_array_index(ac->commands, c);
}

static h248_action *action_at(const h248_message *m, guint t, guint a)
{
    h248_transaction *tr = g_ptr_array_index(m->transactions, t);
    return g_ptr_array_index(tr->actions, a);
}

static h248_stream *stream_at(const h248_command *c, guint i)
{
    return g_ptr_array_index(c->media->streams, i);
}

/* Text with the leading white space of every line removed. */
static char *unindent(const char *s)
{
    GString *o = g_string_new(NULL);
    bool bol = true;
    for (; *s; s++) {
        if (bol && (*s == ' ' || *s == '\t')) continue;
        g_string_append_c(o, *s);
        bol = *s == '\n';
    }
    return g_string_free(o, FALSE);
}

TEST(t_every_vector_round_trips)
{
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++) {
        const h248_test_vector *v = &h248_test_vectors[i];
        h248_message *m = parse_ok(v->text);
        CHECK(m != NULL);
        if (!m) {
            fprintf(stderr, "  vector %s\n", v->name);
            continue;
        }
        for (int form = 0; form < 4; form++) {
            char *s = print_with(m, form & 1, form & 2);
            CHECK(s != NULL);
            if (!s) continue;
            h248_message *m2 = parse_ok(s);
            CHECK(m2 != NULL);
            CHECK(h248_message_equal(m, m2));
            /* Printing is stable: the re-parsed model prints to the same bytes. */
            char *s2 = m2 ? print_with(m2, form & 1, form & 2) : NULL;
            CHECK(s2 && strcmp(s, s2) == 0);
            if (!m2 || !h248_message_equal(m, m2))
                fprintf(stderr, "  vector %s form %d:\n%s", v->name, form, s);
            g_free(s);
            g_free(s2);
            h248_message_free(m2);
        }
        h248_message_free(m);
    }
}

/* The pretty long form reproduces SPECS.md §4.5 byte for byte, except that the '}' closing a
 * Local/Remote descriptor sits at column 0 (so the octet string is exactly the SDP), and except
 * the one-liners of the spec that exceed 80 columns. */
TEST(t_spec_example_printed_bytes)
{
    static const char *identical[] = {
        "spec1_sc_restart",     "spec2_sc_reply",     "spec5_modify_reply", "spec6_subtract_all",
        "spec6_subtract_reply", "spec8_notify_reply", "sc_forced",          "pending",
        "response_ack",         "two_transactions",   "message_error",      "imm_ack_reply"};
    for (size_t i = 0; i < G_N_ELEMENTS(identical); i++) {
        h248_message *m = parse_vec(identical[i]);
        char *s = m ? h248_print_str(m, NULL, NULL) : NULL;
        CHECK_STR(s, vec(identical[i])->text);
        g_free(s);
        h248_message_free(m);
    }
    static const char *with_sdp[] = {"spec3_add_reserve", "spec4_add_reply", "spec5_modify_core"};
    for (size_t i = 0; i < G_N_ELEMENTS(with_sdp); i++) {
        h248_message *m = parse_vec(with_sdp[i]);
        char *s = m ? h248_print_str(m, NULL, NULL) : NULL;
        char *a = unindent(s ? s : ""), *b = unindent(vec(with_sdp[i])->text);
        CHECK_STR(a, b);
        CHECK(s && strstr(s, "a=rtpmap:101 telephone-event/8000\n}") != NULL);
        g_free(a);
        g_free(b);
        g_free(s);
        h248_message_free(m);
    }
}

TEST(t_spec1_service_change)
{
    h248_message *m = parse_vec("spec1_sc_restart");
    CHECK(m != NULL);
    if (!m) return;
    CHECK_INT(m->version, 3);
    CHECK_STR(m->mid, "[127.0.2.1]:2944");
    CHECK_INT(m->transactions->len, 1);
    h248_transaction *t = g_ptr_array_index(m->transactions, 0);
    CHECK_INT(t->kind, H248_TR_REQUEST);
    CHECK_INT(t->id, 1);
    CHECK_INT(action_at(m, 0, 0)->ctx.kind, H248_CTX_NULL);
    h248_command *c = cmd_at(m, 0, 0, 0);
    CHECK_INT(c->type, H248_CMD_SERVICE_CHANGE);
    CHECK(h248_term_is_root(c->term_id));
    CHECK(c->services != NULL);
    if (c->services) {
        CHECK_INT(c->services->method, H248_SCM_RESTART);
        CHECK_STR(c->services->reason, "901 Cold Boot");
        CHECK_INT(c->services->version, 3);
        CHECK_STR(c->services->profile, "lab_iq/1");
        CHECK_INT(c->services->delay, -1);
    }
    h248_message_free(m);

    m = parse_vec("spec2_sc_reply");
    CHECK(m != NULL);
    if (!m) return;
    t = g_ptr_array_index(m->transactions, 0);
    CHECK_INT(t->kind, H248_TR_REPLY);
    c = cmd_at(m, 0, 0, 0);
    CHECK(c->services && c->services->method == H248_SCM_NONE && c->services->version == 3);
    h248_message_free(m);
}

static const char spec3_local_access[] = "v=0\n"
                                         "o=- 0 0 IN IP4 $\n"
                                         "s=-\n"
                                         "t=0 0\n"
                                         "a=ice-lite\n"
                                         "m=audio $ UDP/TLS/RTP/SAVPF 0 126\n"
                                         "c=IN IP4 $\n"
                                         "a=rtcp-mux\n"
                                         "a=ice-ufrag:$\n"
                                         "a=ice-pwd:$\n"
                                         "a=fingerprint:sha-256 $\n"
                                         "a=setup:active\n"
                                         "a=rtpmap:0 PCMU/8000\n"
                                         "a=rtpmap:126 telephone-event/8000";

TEST(t_spec3_add_reserve)
{
    h248_message *m = parse_vec("spec3_add_reserve");
    CHECK(m != NULL);
    if (!m) return;
    CHECK_STR(m->mid, "[127.0.3.1]:2944");
    h248_transaction *t = g_ptr_array_index(m->transactions, 0);
    CHECK_INT(t->id, 1001);
    h248_action *a = action_at(m, 0, 0);
    CHECK_INT(a->ctx.kind, H248_CTX_CHOOSE);
    CHECK_INT(a->commands->len, 2);
    h248_command *acc = cmd_at(m, 0, 0, 0), *core = cmd_at(m, 0, 0, 1);
    CHECK_INT(acc->type, H248_CMD_ADD);
    CHECK_STR(acc->term_id, "$");
    CHECK(acc->media && acc->media->term_state);
    if (!acc->media || !core->media) goto out;
    h248_prop *realm = h248_props_find(acc->media->term_state->props, "ipdc/realm");
    CHECK(realm && realm->rel == H248_REL_EQ);
    CHECK_STR(h248_prop_value(realm), "access");
    CHECK(realm && ((h248_value *)g_ptr_array_index(realm->values, 0))->quoted);
    CHECK_INT(acc->media->streams->len, 1);
    h248_stream *s = stream_at(acc, 0);
    CHECK(s->has_id && s->id == 1);
    CHECK(s->local_control && s->local_control->mode == H248_MODE_SENDRECV);
    CHECK_STR(s->local, spec3_local_access);
    CHECK(s->remote &&
          g_str_has_prefix(s->remote, "v=0\no=- 4611731400430051336 2 IN IP4 127.0.0.1\n"));
    CHECK(s->remote && g_str_has_suffix(s->remote, "\na=rtpmap:126 telephone-event/8000"));
    CHECK(s->remote &&
          strstr(s->remote, "a=fingerprint:sha-256 D2:CD:E4:B6:25:31:C3:2F:05:75:F5:AD:"
                            "8B:13:6E:77:F2:F9:EE:C7:A8:D3:FE:10:4E:51:24:87:DA:E4:53:B1\n"));
    s = stream_at(core, 0);
    CHECK(s->local_control && s->local_control->mode == H248_MODE_RECVONLY);
    CHECK_STR(s->local,
              "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000");
    CHECK(s->remote == NULL);
    CHECK_STR(h248_prop_value(h248_props_find(core->media->term_state->props, "IPDC/Realm")),
              "core");
out:
    h248_message_free(m);
}

TEST(t_spec4_to_8)
{
    h248_message *m = parse_vec("spec4_add_reply");
    CHECK(m != NULL);
    if (m) {
        h248_action *a = action_at(m, 0, 0);
        CHECK(a->ctx.kind == H248_CTX_NUM && a->ctx.num == 17);
        CHECK_STR(cmd_at(m, 0, 0, 0)->term_id, "ip/access/1");
        CHECK_STR(cmd_at(m, 0, 0, 1)->term_id, "ip/core/2");
        const char *local = stream_at(cmd_at(m, 0, 0, 0), 0)->local;
        CHECK(local &&
              strstr(local, "\na=candidate:1 1 udp 2130706431 127.0.2.1 40000 typ host\n"));
        h248_message_free(m);
    }
    m = parse_vec("spec5_modify_core");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK_INT(c->type, H248_CMD_MODIFY);
        CHECK_STR(stream_at(c, 0)->remote, "v=0\nc=IN IP4 127.0.4.1\nm=audio 30000 RTP/AVP 0 "
                                           "101\na=rtpmap:101 telephone-event/8000");
        h248_message_free(m);
    }
    m = parse_vec("spec5_modify_reply");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->type == H248_CMD_MODIFY && !c->media && !c->error && !c->statistics);
        h248_message_free(m);
    }
    m = parse_vec("spec6_subtract_all");
    if (m) {
        CHECK_STR(cmd_at(m, 0, 0, 0)->term_id, "*");
        CHECK_INT(cmd_at(m, 0, 0, 0)->type, H248_CMD_SUBTRACT);
        h248_message_free(m);
    }
    m = parse_vec("spec6_subtract_reply");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 1);
        CHECK(c->statistics && c->statistics->len == 2);
        CHECK_STR(h248_prop_value(h248_props_find(c->statistics, "rtp/ps")), "1498");
        CHECK_STR(h248_prop_value(h248_props_find(c->statistics, "rtp/pr")), "1500");
        h248_message_free(m);
    }
    m = parse_vec("spec7_error_transaction");
    if (m) {
        h248_transaction *t = g_ptr_array_index(m->transactions, 0);
        CHECK(t->kind == H248_TR_REPLY && t->id == 1004 && t->actions->len == 0);
        CHECK(t->error && t->error->code == 411);
        CHECK_STR(t->error ? t->error->text : NULL,
                  "The transaction refers to an unknown ContextId");
        h248_message_free(m);
    }
    m = parse_vec("spec7_error_command");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->error && c->error->code == 435);
        CHECK_STR(c->term_id, "ip/core/9");
        h248_message_free(m);
    }
    m = parse_vec("spec8_notify");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK_INT(c->type, H248_CMD_NOTIFY);
        CHECK(c->observed_events && c->observed_events->request_id == 7);
        h248_event *e = c->observed_events ? g_ptr_array_index(c->observed_events->items, 0) : NULL;
        CHECK_STR(e ? e->timestamp : NULL, "20251124T10153000");
        CHECK_STR(e ? e->name : NULL, "hangterm/thb");
        h248_message_free(m);
    }
}

TEST(t_other_commands_and_descriptors)
{
    h248_message *m = parse_vec("move");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->type == H248_CMD_MOVE &&
              stream_at(c, 0)->local_control->mode == H248_MODE_INACTIVE);
        h248_message_free(m);
    }
    m = parse_vec("audit_value_root");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->type == H248_CMD_AUDIT_VALUE && c->has_audit && c->audit == 0);
        h248_message_free(m);
    }
    m = parse_vec("audit_value_reply");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->media && c->media->term_state->service_state == H248_SS_IN_SERVICE);
        CHECK(c->packages && c->packages->len == 3);
        CHECK_STR(c->packages ? g_ptr_array_index(c->packages, 1) : NULL, "hangterm-1");
        h248_message_free(m);
    }
    m = parse_vec("audit_cap");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK_INT(c->type, H248_CMD_AUDIT_CAP);
        CHECK_INT(c->audit, H248_AUDIT_MEDIA | H248_AUDIT_EVENTS | H248_AUDIT_SIGNALS |
                                H248_AUDIT_STATISTICS | H248_AUDIT_PACKAGES |
                                H248_AUDIT_OBSERVED_EVENTS);
        h248_message_free(m);
    }
    m = parse_vec("events_signals");
    if (m) {
        h248_command *c = cmd_at(m, 0, 0, 0);
        CHECK(c->events && c->events->request_id == 7 && c->events->items->len == 3);
        h248_event *e = g_ptr_array_index(c->events->items, 0);
        CHECK_STR(e->name, "hangterm/thb");
        CHECK_STR(h248_prop_value(h248_props_find(e->params, "timerx")), "30");
        e = g_ptr_array_index(c->events->items, 2);
        CHECK(h248_props_find(e->params, "KeepActive") != NULL);
        CHECK(h248_props_find(e->params, "KeepActive")->rel == H248_REL_NONE);
        CHECK(c->signals && c->signals->items->len == 2);
        e = g_ptr_array_index(c->signals->items, 0);
        h248_prop *nc = h248_props_find(e->params, "NotifyCompletion");
        CHECK(nc && nc->form == H248_VF_BRACE && nc->values->len == 2);
        CHECK_STR(h248_prop_value(h248_props_find(e->params, "SignalType")), "Brief");
        e = g_ptr_array_index(c->signals->items, 1);
        CHECK(e->is_list && e->list_id == 2 && e->list->len == 2);
        h248_message_free(m);
    }
    m = parse_vec("context_props");
    if (m) {
        h248_action *a = action_at(m, 0, 0);
        CHECK(a->priority == 3 && a->emergency == 1 && a->ieps == -1);
        h248_command *c = cmd_at(m, 0, 0, 0);
        h248_stream *s = stream_at(c, 0);
        CHECK(!s->has_id); /* stream parameters directly in Media */
        CHECK(s->local_control->reserve_value == 1 && s->local_control->reserve_group == 0);
        CHECK_STR(h248_prop_value(h248_props_find(s->local_control->props, "tman/sdr")), "64000");
        CHECK(c->media->term_state->buffer == H248_BUF_OFF);
        CHECK_STR(s->local, "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0");
        h248_message_free(m);
    }
    m = parse_vec("sc_forced");
    if (m) {
        h248_service_change *sc = cmd_at(m, 0, 0, 0)->services;
        CHECK(sc->method == H248_SCM_FORCED && sc->delay == 0);
        CHECK_STR(sc->address, "2945");
        CHECK_STR(sc->timestamp, "20251124T10153000");
        h248_message_free(m);
    }
    m = parse_vec("sc_reply_mgcid");
    if (m) {
        CHECK_STR(cmd_at(m, 0, 0, 0)->services->mgc_id, "<mgc2.ims.lab>:2944");
        h248_message_free(m);
    }
    m = parse_vec("response_ack");
    if (m) {
        h248_transaction *t = g_ptr_array_index(m->transactions, 0);
        CHECK(t->kind == H248_TR_RESPONSE_ACK && t->acks->len == 2);
        h248_ack_range r = g_array_index(t->acks, h248_ack_range, 1);
        CHECK(r.first == 1003 && r.last == 1005);
        h248_message_free(m);
    }
    m = parse_vec("imm_ack_reply");
    if (m) {
        CHECK(((h248_transaction *)g_ptr_array_index(m->transactions, 0))->imm_ack_required);
        h248_message_free(m);
    }
    m = parse_vec("two_transactions");
    if (m) {
        CHECK_INT(m->transactions->len, 2);
        CHECK(h248_message_find_transaction(m, H248_TR_REQUEST, 1008) != NULL);
        CHECK(h248_message_find_transaction(m, H248_TR_REPLY, 1008) == NULL);
        h248_message_free(m);
    }
    m = parse_vec("message_error");
    if (m) {
        CHECK(m->error && m->error->code == 400 && m->transactions->len == 0);
        h248_message_free(m);
    }
    m = parse_vec("optional_wildcard");
    if (m) {
        CHECK(cmd_at(m, 0, 0, 0)->optional && !cmd_at(m, 0, 0, 0)->wildcard_reply);
        CHECK(cmd_at(m, 0, 0, 1)->wildcard_reply && !cmd_at(m, 0, 0, 1)->optional);
        CHECK_STR(cmd_at(m, 0, 0, 1)->term_id, "ip/core/*");
        h248_message_free(m);
    }
    m = parse_vec("property_forms");
    if (m) {
        GPtrArray *p = stream_at(cmd_at(m, 0, 0, 0), 0)->local_control->props;
        CHECK(((h248_prop *)g_ptr_array_index(p, 0))->rel == H248_REL_NE);
        CHECK(((h248_prop *)g_ptr_array_index(p, 1))->form == H248_VF_SQUARE);
        CHECK(((h248_prop *)g_ptr_array_index(p, 2))->form == H248_VF_RANGE);
        CHECK(((h248_prop *)g_ptr_array_index(p, 3))->form == H248_VF_BRACE);
        CHECK(((h248_prop *)g_ptr_array_index(p, 4))->rel == H248_REL_GT);
        h248_message_free(m);
    }
    m = parse_vec("action_error");
    if (m) {
        CHECK(action_at(m, 0, 0)->error && action_at(m, 0, 0)->error->code == 411);
        h248_message_free(m);
    }
}

static const char short_tokens_long[] =
    "MEGACO/3 [127.0.10.2]:2944\n"
    "Transaction = 1011 {\n"
    " Context = $ {\n"
    "  Add = $ { Media { TerminationState { ipdc/realm = \"access\" }, Stream = 1 {\n"
    "    LocalControl { Mode = SendReceive },\n"
    "    Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n    },\n"
    "    Remote {\nv=0\nc=IN IP4 127.0.4.1\nm=audio 30000 RTP/AVP 0\n    } } } },\n"
    "  Add = $ { Media { Stream = 1 { LocalControl { Mode = ReceiveOnly } } },\n"
    "            Events = 7 { hangterm/thb } } },\n"
    " Context = 17 {\n"
    "  Modify = ip/core/2 { Signals { g/rt { SignalType = Brief } } },\n"
    "  Subtract = ip/access/1 { Audit { Media, Statistics } },\n"
    "  Notify = ip/access/1 { ObservedEvents = 7 { hangterm/thb } } } }\n";

TEST(t_short_form_input_equivalence)
{
    h248_message *s = parse_vec("short_tokens"), *l = parse_ok(short_tokens_long);
    CHECK(s && l && h248_message_equal(s, l));
    h248_message_free(s);
    h248_message_free(l);

    /* Tokens are case-insensitive; the worked example in short, lower-case form. */
    static const char lower[] = "!/3 [127.0.2.1]:2944\n"
                                "t = 1 { c = - { sc = ROOT { sv { mt = rs, re = \"901 Cold Boot\", "
                                "v = 3, pf = lab_iq/1 } } } }";
    l = parse_vec("spec1_sc_restart");
    s = parse_ok(lower);
    CHECK(s && l && h248_message_equal(s, l));
    h248_message_free(s);
    h248_message_free(l);

    /* Our short form output of message (3) is the model of the long form. */
    l = parse_vec("spec3_add_reserve");
    char *txt = l ? print_with(l, true, false) : NULL;
    CHECK(txt && g_str_has_prefix(
                     txt, "!/3 [127.0.3.1]:2944\nT = 1001 {\n  C = $ {\n    A = $ {\n      M {\n"));
    CHECK(txt && strstr(txt, "O { MO = SR }") && strstr(txt, "TS { ipdc/realm = \"access\" }"));
    s = txt ? parse_ok(txt) : NULL;
    CHECK(s && h248_message_equal(s, l));
    g_free(txt);
    h248_message_free(s);
    h248_message_free(l);
}

TEST(t_compact_output)
{
    h248_message *m = parse_vec("spec6_subtract_reply");
    char *s = m ? print_with(m, true, true) : NULL;
    CHECK_STR(s, "!/3 [127.0.2.1]:2944\n"
                 "P=1003{C=17{S=ip/access/1{SA{rtp/ps=1500,rtp/pr=1498}},"
                 "S=ip/core/2{SA{rtp/ps=1498,rtp/pr=1500}}}}\n");
    g_free(s);
    s = m ? print_with(m, false, true) : NULL;
    CHECK(s && g_str_has_prefix(
                   s, "MEGACO/3 [127.0.2.1]:2944\nReply=1003{Context=17{Subtract=ip/access/1{"
                      "Statistics{rtp/ps=1500,rtp/pr=1498}},"));
    g_free(s);
    h248_message_free(m);
}

TEST(t_sdp_brace_escaping)
{
    h248_message *m = parse_vec("sdp_brace_escape");
    CHECK(m != NULL);
    if (!m) return;
    h248_stream *s = stream_at(cmd_at(m, 0, 0, 0), 0);
    CHECK(s->remote && strstr(s->remote, "\ns={lab}\n"));
    CHECK(s->remote && g_str_has_suffix(s->remote, "\na=x-json:{\"k\":1}"));
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "\ns={lab\\}\n") && strstr(txt, "\na=x-json:{\"k\":1\\}\n}\n"));
    g_free(txt);
    h248_message_free(m);

    /* A backslash before a brace, and a trailing backslash, survive a round trip. */
    m = h248_message_new(3, "[127.0.10.2]:2944");
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, 9);
    h248_command *c = h248_action_add_command(h248_transaction_add_action(t, h248_ctx_num(1)),
                                              H248_CMD_MODIFY, "ip/access/1");
    h248_stream_set_remote(h248_command_stream(c, 1), "v=0\na=x:\\}}{\na=y:\\");
    CHECK_STR(h248_command_stream(c, 1)->remote, "v=0\na=x:\\}}{\na=y:\\");
    txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "a=x:\\\\}\\}{\na=y:\\\n}"));
    h248_message *m2 = txt ? parse_ok(txt) : NULL;
    CHECK(h248_message_equal(m, m2));
    g_free(txt);
    h248_message_free(m);
    h248_message_free(m2);
}

TEST(t_sdp_trimming_and_line_ends)
{
    /* Indentation, blank lines and a comment-free LBRKT around the SDP are not part of it. */
    static const char in[] =
        "MEGACO/3 [127.0.10.2]:2944\nT=1{C=2{MF=a{M{L{   \r\n  v=0\r\nc=IN IP4 $\r\n"
        "   \r\n\t}}}}}";
    h248_message *m = parse_ok(in);
    CHECK(m != NULL);
    if (!m) return;
    h248_stream *s = stream_at(cmd_at(m, 0, 0, 0), 0);
    CHECK_STR(s->local, "v=0\r\nc=IN IP4 $");
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "Local {\r\nv=0\r\nc=IN IP4 $\r\n}"));
    g_free(txt);
    h248_message_free(m);

    /* Empty Local is kept as present-but-empty. */
    m = parse_ok("MEGACO/3 [127.0.10.2]:2944 T=1{C=2{MF=a{M{L{ }}}}}");
    CHECK(m && stream_at(cmd_at(m, 0, 0, 0), 0)->local &&
          !*stream_at(cmd_at(m, 0, 0, 0), 0)->local);
    txt = m ? h248_print_str(m, NULL, NULL) : NULL;
    CHECK(txt && strstr(txt, "Media { Local { } }"));
    g_free(txt);
    h248_message_free(m);
}

TEST(t_comments_and_whitespace)
{
    h248_message *a = parse_vec("comments");
    h248_message *b =
        parse_ok("MEGACO/3 [127.0.10.2]:2944 Transaction=42{Context=-{AuditValue=ROOT{Audit{}}}}");
    CHECK(a && b && h248_message_equal(a, b));
    h248_message_free(a);
    h248_message_free(b);
    /* A comment at the very end without EOL, CR-only line ends, tabs. */
    a = parse_ok("MEGACO/3\t[127.0.10.2]:2944\rTransaction\t=\r42 {Context = - {AuditValue = ROOT "
                 "{Audit {}}}} ;end");
    b = parse_vec("audit_value_root");
    CHECK(a && b);
    if (a && b) {
        g_free(b->mid);
        b->mid = g_strdup("[127.0.10.2]:2944");
        ((h248_transaction *)g_ptr_array_index(b->transactions, 0))->id = 42;
        CHECK(h248_message_equal(a, b));
    }
    h248_message_free(a);
    h248_message_free(b);
}

TEST(t_unknown_packages_round_trip)
{
    static const char in[] = "MEGACO/3 <mg1.ims.lab>:2944\n"
                             "Transaction = 77 { Context = 5 { Modify = ip/access/1 {\n"
                             "  Media { TerminationState { vnd/colour = \"blue\", vnd_x/n = 5 },\n"
                             "          Stream = 2 { LocalControl { vnd/q = [a, b] }, Statistics { "
                             "vnd/bytes = 7, vnd/raw } } },\n"
                             "  Events = 3 { vnd/evt { p1 = 3, p2 = \"x y\" } },\n"
                             "  Signals { vnd/sig { level = -10 } } } } }\n";
    h248_message *m = parse_ok(in);
    CHECK(m != NULL);
    if (!m) return;
    h248_command *c = cmd_at(m, 0, 0, 0);
    CHECK_STR(m->mid, "<mg1.ims.lab>:2944");
    CHECK_STR(h248_prop_value(h248_props_find(c->media->term_state->props, "vnd/colour")), "blue");
    h248_stream *s = stream_at(c, 0);
    CHECK(s->statistics && s->statistics->len == 2);
    CHECK(h248_props_find(s->statistics, "vnd/raw")->rel == H248_REL_NONE);
    h248_event *e = g_ptr_array_index(c->events->items, 0);
    CHECK_STR(h248_prop_value(h248_props_find(e->params, "p2")), "x y");
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "vnd/colour = \"blue\"") && strstr(txt, "vnd/q = [a, b]") &&
          strstr(txt, "vnd/evt { p1 = 3, p2 = \"x y\" }") && strstr(txt, "vnd/raw"));
    h248_message *m2 = txt ? parse_ok(txt) : NULL;
    CHECK(h248_message_equal(m, m2));
    g_free(txt);
    h248_message_free(m);
    h248_message_free(m2);
}

/* ---- Builders ---- */

static void check_built_text(h248_message *m, const char *expected)
{
    char *s = h248_print_str(m, NULL, NULL);
    CHECK_STR(s, expected);
    g_free(s);
    h248_message_free(m);
}

static void check_built_model(h248_message *m, const char *vector)
{
    h248_message *ref = parse_vec(vector);
    CHECK(ref && h248_message_equal(m, ref));
    h248_message_free(ref);
    h248_message_free(m);
}

TEST(t_builders)
{
    check_built_text(h248_build_service_change(3, "[127.0.2.1]:2944", 1, "ROOT", H248_SCM_RESTART,
                                               "901 Cold Boot", 3, "lab_iq/1"),
                     vec("spec1_sc_restart")->text);
    check_built_text(
        h248_build_service_change_reply(3, "[127.0.3.1]:2944", 1, "ROOT", 3, "lab_iq/1"),
        vec("spec2_sc_reply")->text);

    /* (4): the Add reply with Local SDP (builder trims the SDP's final line end). */
    h248_message *ref = parse_vec("spec4_add_reply"), *m = NULL;
    if (ref) {
        const char *acc = stream_at(cmd_at(ref, 0, 0, 0), 0)->local;
        const char *core = stream_at(cmd_at(ref, 0, 0, 1), 0)->local;
        char *acc_nl = g_strconcat(acc, "\n", NULL);
        h248_action *a = h248_build_reply(&m, 3, "[127.0.2.1]:2944", 1001, h248_ctx_num(17));
        h248_build_command_reply(a, H248_CMD_ADD, "ip/access/1", 1, acc_nl);
        h248_build_command_reply(a, H248_CMD_ADD, "ip/core/2", 1, core);
        CHECK(h248_message_equal(m, ref));
        g_free(acc_nl);
        h248_message_free(m);
        h248_message_free(ref);
    }

    m = NULL;
    h248_action *a = h248_build_reply(&m, 3, "[127.0.2.1]:2944", 1003, h248_ctx_num(17));
    const char *names[] = {"rtp/ps", "rtp/pr"}, *v1[] = {"1500", "1498"}, *v2[] = {"1498", "1500"};
    h248_build_subtract_reply(a, "ip/access/1", names, v1, 2);
    h248_build_subtract_reply(a, "ip/core/2", names, v2, 2);
    check_built_text(m, vec("spec6_subtract_reply")->text);

    m = NULL;
    a = h248_build_reply(&m, 3, "[127.0.2.1]:2944", 1002, h248_ctx_num(17));
    h248_build_command_reply(a, H248_CMD_MODIFY, "ip/core/2", 0, NULL);
    check_built_text(m, vec("spec5_modify_reply")->text);

    check_built_model(h248_build_error_reply(3, "[127.0.2.1]:2944", 1004, 411,
                                             "The transaction refers to an unknown ContextId"),
                      "spec7_error_transaction");
    m = NULL;
    a = h248_build_reply(&m, 3, "[127.0.2.1]:2944", 1005, h248_ctx_num(17));
    h248_command_set_error(h248_build_command_reply(a, H248_CMD_MODIFY, "ip/core/9", 0, NULL), 435,
                           "Termination ID is not in specified Context");
    check_built_model(m, "spec7_error_command");

    m = NULL;
    h248_event *e = h248_build_notify(&m, 3, "[127.0.2.1]:2944", 20, h248_ctx_num(17),
                                      "ip/access/1", 7, "20251124T10153000", "hangterm/thb");
    CHECK(e != NULL);
    check_built_model(m, "spec8_notify");

    check_built_text(h248_build_pending(3, "[127.0.10.3]:2944", 1001), vec("pending")->text);
    check_built_text(
        h248_build_message_error(3, "[127.0.10.3]:2944", 400, "Syntax error in message"),
        vec("message_error")->text);
    m = h248_message_new(3, "[127.0.10.2]:2944");
    h248_transaction *t = h248_message_add_response_ack(m, 1001, 1001);
    h248_transaction_ack_range(t, 1003, 1005);
    check_built_text(m, vec("response_ack")->text);

    /* MGC side: the core Add of (3), built with the model helpers. */
    m = h248_message_new(3, "[127.0.3.1]:2944");
    t = h248_message_add_transaction(m, H248_TR_REQUEST, 1002);
    a = h248_transaction_add_action(t, h248_ctx_num(17));
    h248_command *c = h248_action_add_command(a, H248_CMD_MODIFY, "ip/core/2");
    h248_stream *s = h248_command_stream(c, 1);
    h248_stream_local_control(s)->mode = H248_MODE_SENDRECV;
    h248_stream_set_remote(s, "v=0\r\nc=IN IP4 127.0.4.1\r\nm=audio 30000 RTP/AVP 0 101\r\n"
                              "a=rtpmap:101 telephone-event/8000\r\n");
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK(txt && strstr(txt, "Remote {\r\nv=0\r\n") && strstr(txt, "telephone-event/8000\r\n}"));
    h248_message *back = txt ? parse_ok(txt) : NULL;
    CHECK(h248_message_equal(m, back));
    g_free(txt);
    h248_message_free(back);
    h248_message_free(m);
}

TEST(t_builder_helpers)
{
    h248_message *m = h248_message_new(3, "[127.0.10.2]:2944");
    h248_transaction *t = h248_message_add_transaction(m, H248_TR_REQUEST, 5);
    h248_command *c = h248_action_add_command(
        h248_transaction_add_action(t, h248_ctx_special(H248_CTX_CHOOSE)), H248_CMD_ADD, "$");
    h248_props_add(&h248_media_term_state(h248_command_media(c))->props, "ipdc/realm", "access",
                   true);
    h248_props_add(&h248_stream_local_control(h248_command_stream(c, 1))->props, "ds/dscp", "46",
                   false);
    h248_event_list_add(h248_command_events(c, 8), "hangterm/thb");
    h248_props_add(&h248_event_list_add(h248_command_signals(c), "g/rt")->params, "SignalType",
                   "Brief", false);
    CHECK(h248_command_stream(c, 1) == h248_command_stream(c, 1));
    CHECK_INT(c->media->streams->len, 1);
    char *txt = h248_print_str(m, NULL, NULL);
    CHECK_STR(txt, "MEGACO/3 [127.0.10.2]:2944\n"
                   "Transaction = 5 {\n"
                   "  Context = $ {\n"
                   "    Add = $ {\n"
                   "      Media {\n"
                   "        TerminationState { ipdc/realm = \"access\" },\n"
                   "        Stream = 1 { LocalControl { ds/dscp = 46 } }\n"
                   "      },\n"
                   "      Events = 8 { hangterm/thb },\n"
                   "      Signals { g/rt { SignalType = Brief } }\n"
                   "    }\n"
                   "  }\n"
                   "}\n");
    g_free(txt);
    CHECK_STR(h248_cmd_name(H248_CMD_AUDIT_CAP), "AuditCapability");
    CHECK(h248_term_is_root("root") && !h248_term_is_root("$"));
    h248_error *e = h248_error_new(400, "bad \"x\"\n");
    CHECK_STR(e->text, "bad 'x' ");
    h248_error_free(e);
    h248_message_free(m);
}

/* The printer refuses what would not parse back, and leaves the output untouched. */
TEST(t_printer_refuses_invalid_models)
{
    GString *out = g_string_new("keep");
    h248_message *m = h248_build_error_reply(3, "[127.0.10.3]:2944", 7, 400, "x");
    CHECK(h248_print(m, NULL, out));
    g_string_assign(out, "keep");

    g_free(m->mid);
    m->mid = g_strdup("not a mid");
    CHECK(!h248_print(m, NULL, out));
    g_free(m->mid);
    m->mid = g_strdup("[127.0.10.3]:2944");

    h248_transaction *t = g_ptr_array_index(m->transactions, 0);
    g_free(t->error->text);
    t->error->text = g_strdup("has \" quote");
    CHECK(!h248_print(m, NULL, out));
    t->error->code = 10000;
    g_free(t->error->text);
    t->error->text = NULL;
    CHECK(!h248_print(m, NULL, out));
    h248_message_free(m);

    m = h248_message_new(3, "[127.0.10.2]:2944");
    t = h248_message_add_transaction(m, H248_TR_REQUEST, 1);
    CHECK(!h248_print(m, NULL, out)); /* request without actions */
    h248_action *a = h248_transaction_add_action(t, h248_ctx_num(1));
    CHECK(!h248_print(m, NULL, out)); /* action without commands */
    h248_command *c = h248_action_add_command(a, H248_CMD_ADD, "bad id");
    CHECK(!h248_print(m, NULL, out));
    g_free(c->term_id);
    c->term_id = g_strdup("ip/access/1");
    CHECK(h248_print(m, NULL, out));
    g_string_assign(out, "keep");
    h248_props_add(&h248_stream_local_control(h248_command_stream(c, 1))->props, "noslash", "1",
                   false);
    CHECK(!h248_print(m, NULL, out));
    h248_prop *p = g_ptr_array_index(h248_command_stream(c, 1)->local_control->props, 0);
    g_free(p->name);
    p->name = g_strdup("a/b");
    ((h248_value *)g_ptr_array_index(p->values, 0))->text[0] = ' '; /* unquoted value with space */
    CHECK(!h248_print(m, NULL, out));
    ((h248_value *)g_ptr_array_index(p->values, 0))->quoted = true;
    CHECK(h248_print(m, NULL, out));
    g_string_assign(out, "keep");
    h248_command_stream(c, 1)->local = g_strdup(" v=0"); /* not trimmed: would not round-trip */
    CHECK(!h248_print(m, NULL, out));
    g_free(h248_command_stream(c, 1)->local);
    h248_command_stream(c, 1)->local = NULL;
    h248_command *n = h248_action_add_command(a, H248_CMD_NOTIFY, "ip/access/1");
    CHECK(!h248_print(m, NULL, out)); /* Notify request without ObservedEvents */
    h248_event *e = h248_event_list_add(h248_command_observed_events(n, 1), "ice/fail");
    CHECK(h248_print(m, NULL, out));
    g_string_assign(out, "keep");
    e->timestamp = g_strdup("2025-11-24");
    CHECK(!h248_print(m, NULL, out));
    CHECK_STR(out->str, "keep");
    CHECK(h248_print_str(m, NULL, NULL) == NULL);
    h248_message_free(m);
    g_string_free(out, TRUE);
}

/* Regression (found by fuzzing): an item longer than the line width is printed on one line. */
TEST(t_long_items_print)
{
    GString *text = g_string_new(NULL);
    for (int i = 0; i < 30; i++)
        g_string_append(text, "long text ");
    h248_message *m = h248_build_error_reply(3, "[127.0.10.3]:2944", 8, 400, text->str);
    char *s = h248_print_str(m, NULL, NULL);
    CHECK(s && strstr(s, text->str));
    h248_message *m2 = s ? parse_ok(s) : NULL;
    CHECK(h248_message_equal(m, m2));
    g_free(s);
    h248_message_free(m2);
    h248_message_free(m);
    g_string_free(text, TRUE);
}

TEST(t_segmented_reply_and_prefix_order)
{
    static const char in[] = "MEGACO/3 [127.0.10.3]:2944\nReply = 5/2/END { Context = 1 }\n";
    h248_message *m = parse_ok(in);
    CHECK(m != NULL);
    if (!m) return;
    h248_transaction *t = g_ptr_array_index(m->transactions, 0);
    CHECK(t->id == 5 && t->segment_number == 2 && t->segment_complete && t->actions->len == 1);
    char *s = h248_print_str(m, NULL, NULL);
    CHECK_STR(s, in);
    g_free(s);
    h248_message_free(m);

    m = parse_ok("MEGACO/3 [127.0.10.2]:2944 T = 1 { C = 1 { w-o-S = ip/* } }");
    CHECK(m && cmd_at(m, 0, 0, 0)->optional && cmd_at(m, 0, 0, 0)->wildcard_reply);
    s = m ? h248_print_str(m, NULL, NULL) : NULL;
    CHECK(s && strstr(s, "Context = 1 { O-W-Subtract = ip/* }"));
    g_free(s);
    h248_message_free(m);
}

/* What the MG does with a parse error: answer the transaction with the reported code. */
TEST(t_error_answer_from_parse_error)
{
    static const char in[] = "MEGACO/3 [127.0.10.2]:2944\nTransaction = 1234 { Context = 17 { Modify = "
                             "ip/core/2 { Media { Stream = 1 { Remote { v=0 } } }, Bogus } } }\n";
    h248_parse_error err;
    CHECK(h248_parse(in, strlen(in), NULL, &err) == NULL);
    CHECK(err.has_tid && err.trans_kind == H248_TR_REQUEST);
    h248_message *m = h248_build_error_reply(err.version, "[127.0.10.3]:2944", err.tid, err.code, err.text);
    char *s = h248_print_str(m, NULL, NULL);
    CHECK_STR(s, "MEGACO/3 [127.0.10.3]:2944\n"
                 "Reply = 1234 { Error = 444 { \"unknown descriptor (Bogus)\" } }\n");
    g_free(s);
    h248_message_free(m);
}

int main(void)
{
    RUN(t_every_vector_round_trips);
    RUN(t_spec_example_printed_bytes);
    RUN(t_spec1_service_change);
    RUN(t_spec3_add_reserve);
    RUN(t_spec4_to_8);
    RUN(t_other_commands_and_descriptors);
    RUN(t_short_form_input_equivalence);
    RUN(t_compact_output);
    RUN(t_sdp_brace_escaping);
    RUN(t_sdp_trimming_and_line_ends);
    RUN(t_comments_and_whitespace);
    RUN(t_unknown_packages_round_trip);
    RUN(t_builders);
    RUN(t_builder_helpers);
    RUN(t_printer_refuses_invalid_models);
    RUN(t_long_items_print);
    RUN(t_segmented_reply_and_prefix_order);
    RUN(t_error_answer_from_parse_error);
    UNIT_END("h248_codec");
}
