/* Unit tests of the wtpf's third-party service decisions (wtpf/services.c) and of the directory
 * they are configured in (wtpf/directory.c). */
#include <glib.h>

#include "unit.h"
#include "wtpf/directory.h"
#include "wtpf/services.h"

static GPtrArray *rules(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)svc_rule_free);
}

static void add(GPtrArray *a, svc_match m, const char *p, const char *r)
{
    svc_rule *rule = svc_rule_new(m, p, r, NULL);
    CHECK(rule != NULL);
    if (rule) g_ptr_array_add(a, rule);
}

static void check_transform(GPtrArray **lists, unsigned n, const char *in, const char *want,
                            const char *rule_pattern)
{
    const svc_rule *applied = (const svc_rule *)1;
    char *out = svc_transform(lists, n, in, &applied);
    CHECK_STR(out, want);
    if (rule_pattern)
        CHECK(applied && strcmp(applied->pattern, rule_pattern) == 0);
    else
        CHECK(applied == NULL);
    g_free(out);
}

TEST(transform_prefix_and_regex_first_match_wins)
{
    GPtrArray *user = rules(), *group = rules(), *global = rules();
    add(user, SVC_MATCH_PREFIX, "9", "");                        /* outside line */
    add(group, SVC_MATCH_REGEX, "1([0-9]{2})", "+331400001\\1"); /* extensions */
    add(global, SVC_MATCH_PREFIX, "00", "+");                    /* international */
    add(global, SVC_MATCH_PREFIX, "0", "+33");                   /* national */
    GPtrArray *lists[] = {user, group, global};
    check_transform(lists, 3, "101", "+33140000101", "1([0-9]{2})");
    check_transform(lists, 3, "1010", "1010", NULL); /* regex is anchored */
    check_transform(lists, 3, "0150000201", "+33150000201", "0");
    check_transform(lists, 3, "0049301234", "+49301234", "00");  /* order: 00 before 0 */
    check_transform(lists, 3, "90150000201", "0150000201", "9"); /* one rule only, not chained */
    check_transform(lists, 3, "+33150000201", "+33150000201", NULL);
    GPtrArray *none[] = {NULL, user};
    check_transform(none, 2, "9123", "123", "9"); /* NULL lists are skipped */
    g_ptr_array_unref(user);
    g_ptr_array_unref(group);
    g_ptr_array_unref(global);
}

TEST(transform_rule_errors)
{
    GError *err = NULL;
    CHECK(svc_rule_new(SVC_MATCH_REGEX, "([0-9]", "x", &err) == NULL);
    CHECK(err != NULL);
    g_clear_error(&err);
    CHECK(svc_rule_new(SVC_MATCH_REGEX, "([0-9])", "\\", &err) == NULL); /* bad replacement */
    g_clear_error(&err);
    svc_rule *r = svc_rule_new(SVC_MATCH_PREFIX, "([", "x", &err); /* prefixes are literal */
    CHECK(r != NULL);
    svc_rule_free(r);
}

TEST(number_validity)
{
    CHECK(svc_number_valid("+33150000201"));
    CHECK(svc_number_valid("101"));
    CHECK(svc_number_valid("*21#"));
    CHECK(svc_number_valid("sip:bob@example.com"));
    CHECK(svc_number_valid("tel:+33150000201"));
    CHECK(!svc_number_valid(""));
    CHECK(!svc_number_valid("+"));
    CHECK(!svc_number_valid("12a"));
    CHECK(!svc_number_valid("+33 1"));
    CHECK(!svc_number_valid("sip:"));
    CHECK(!svc_number_valid("sip:a b@c"));
    CHECK(!svc_number_valid("sip:a>@c"));
    CHECK(!svc_number_valid("123456789012345678901234567890123")); /* 33 digits */
}

TEST(diversion_targets_and_causes)
{
    svc_diversion d = {.target = {NULL, "bob", "", "+33150000201"}, .no_answer_timeout = 5};
    CHECK(svc_divert_target(&d, SVC_DIV_UNCONDITIONAL) == NULL);
    CHECK_STR(svc_divert_target(&d, SVC_DIV_BUSY), "bob");
    CHECK(svc_divert_target(&d, SVC_DIV_NO_ANSWER) == NULL); /* "" = not configured */
    CHECK_STR(svc_divert_target(&d, SVC_DIV_OFFLINE), "+33150000201");
    CHECK(svc_divert_target(NULL, SVC_DIV_BUSY) == NULL);
    CHECK_INT(svc_div_cause(SVC_DIV_UNCONDITIONAL), 302);
    CHECK_INT(svc_div_cause(SVC_DIV_BUSY), 486);
    CHECK_INT(svc_div_cause(SVC_DIV_NO_ANSWER), 408);
    CHECK_INT(svc_div_cause(SVC_DIV_OFFLINE), 503);
    CHECK_STR(svc_div_cond_name(SVC_DIV_NO_ANSWER), "no_answer");
}

TEST(history_info_chain)
{
    svc_history h;
    svc_history_init(&h);
    CHECK(svc_history_format(&h) == NULL);
    svc_history_start(&h, "sip:+33140000101@ims.lab;user=phone");
    svc_history_divert(&h, "sip:+33140000102@ims.lab;user=phone", SVC_DIV_BUSY);
    svc_history_divert(&h, "sip:+33150000201@ims.lab;user=phone", SVC_DIV_NO_ANSWER);
    char *s = svc_history_format(&h);
    /* RFC 7044: Reason on the entry left, index n.1 with mp=n; RFC 4458 cause on the target */
    CHECK_STR(s, "<sip:+33140000101@ims.lab;user=phone?Reason=SIP%3Bcause%3D486>;index=1, "
                 "<sip:+33140000102@ims.lab;user=phone;cause=486?Reason=SIP%3Bcause%3D408>"
                 ";index=1.1;mp=1, "
                 "<sip:+33150000201@ims.lab;user=phone;cause=408>;index=1.1.1;mp=1.1");
    g_free(s);
    CHECK(svc_history_has(&h, "sip:+33140000102@ims.lab;user=phone"));
    CHECK(!svc_history_has(&h, "sip:+33140000103@ims.lab;user=phone"));
    CHECK_INT(svc_history_len(&h), 3);
    svc_history_clear(&h);
}

TEST(history_info_continues_received_entries)
{
    svc_history h;
    svc_history_init(&h);
    CHECK_INT(svc_history_parse(&h, "<sip:a@x?Reason=SIP%3Bcause%3D302>;index=1, "
                                    "<sip:b@x;cause=302>;index=1.1;mp=1, garbage, <sip:c@x>"),
              2);
    svc_history_start(&h, "sip:+33140000101@ims.lab;user=phone");
    svc_history_divert(&h, "sip:+33140000102@ims.lab;user=phone", SVC_DIV_UNCONDITIONAL);
    char *s = svc_history_format(&h);
    CHECK(strstr(s, "<sip:a@x?Reason=SIP%3Bcause%3D302>;index=1, ") == s);
    CHECK(strstr(s, "<sip:b@x;cause=302>;index=1.1;mp=1, ") != NULL); /* URI kept as is */
    CHECK(strstr(s, "<sip:+33140000101@ims.lab;user=phone?Reason=SIP%3Bcause%3D302>;index=2, "));
    CHECK(strstr(s, ";cause=302>;index=2.1;mp=2"));
    g_free(s);
    svc_history_clear(&h);
    /* bounded: a peer cannot make us keep thousands of entries */
    svc_history_init(&h);
    GString *big = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append_printf(big, "%s<sip:x@y>;index=1", i ? "," : "");
    CHECK(svc_history_parse(&h, big->str) <= 32);
    g_string_free(big, TRUE);
    svc_history_clear(&h);
}

TEST(simultaneous_ringing_selection)
{
    svc_member m[] = {{"alice", 1, 0, 1}, {"bob", 2, 1, 1}, {"carol", 0, 0, 0}, {"dave", 1, 3, 0}};
    GArray *out = g_array_new(FALSE, FALSE, sizeof(unsigned));
    CHECK_INT(svc_ring_select(m, 4, out), SVC_RING_OK);
    CHECK_INT(out->len, 2); /* alice, and dave (no limit); bob is at his limit, carol offline */
    CHECK_INT(g_array_index(out, unsigned, 0), 0);
    CHECK_INT(g_array_index(out, unsigned, 1), 3);
    g_array_set_size(out, 0);
    CHECK_INT(svc_ring_select(&m[1], 1, out), SVC_RING_BUSY);
    CHECK_INT(svc_ring_select(&m[2], 1, out), SVC_RING_OFFLINE);
    CHECK_INT(svc_ring_select(m, 0, out), SVC_RING_OFFLINE);
    CHECK_INT(out->len, 0);
    g_array_unref(out);
}

static const rt_cfg_key_t keys[] = {
    {"services", RT_CFG_GROUP, NULL, 0, 0, "",
     (const rt_cfg_key_t[]){{"transform", RT_CFG_LIST, NULL, 0, 0, "", wtpf_dir_rule_keys, 0, NULL},
                            {NULL}},
     0, NULL},
    {"users", RT_CFG_LIST, NULL, 0, 0, "", wtpf_dir_user_keys, 0, NULL},
    {"groups", RT_CFG_LIST, NULL, 0, 0, "", wtpf_dir_group_keys, 0, NULL},
    {NULL}};

static wtpf_dir *load(const char *text, GString *errors)
{
    config_t cfg;
    config_init(&cfg);
    wtpf_dir *d = NULL;
    if (rt_cfg_load_string(&cfg, text, "t.conf", keys, errors))
        d = wtpf_dir_load(&cfg, "+3314000", errors);
    config_destroy(&cfg);
    return d;
}

TEST(directory_lookups_and_rule_lists)
{
    GString *e = g_string_new(NULL);
    wtpf_dir *d = load(
        "services = { transform = ( { pattern = \"0\"; replace = \"+33\"; } ); };\n"
        "users = ( { name = \"alice\"; password_hash = \"$y$x\"; number = \"+33140000101\";\n"
        "            transform = ( { match = \"prefix\"; pattern = \"9\"; replace = \"\"; } );\n"
        "            diversion = { busy = \"bob\"; no_answer = \"+33150000201\";\n"
        "                          no_answer_timeout = 7; }; },\n"
        "          { name = \"bob\"; password_hash = \"$y$y\"; number = \"+33140000102\"; } );\n"
        "groups = ( { name = \"cc\"; number = \"+33140000100\"; members = [\"alice\", \"bob\"];\n"
        "             diversion = { offline = \"alice\"; }; } );\n",
        e);
    CHECK_STR(e->str, "");
    CHECK(d != NULL);
    if (!d) return;
    wtpf_user *a = wtpf_dir_user(d, "alice");
    CHECK(a && a->groups->len == 1 && a->max_calls == 4);
    CHECK_STR(svc_divert_target(&a->div, SVC_DIV_BUSY), "bob");
    CHECK_INT(a->div.no_answer_timeout, 7);
    wtpf_dir_target t = wtpf_dir_by_number(d, "+33140000100");
    CHECK(t.kind == DIR_GROUP && t.group->members->len == 2);
    CHECK(wtpf_dir_by_number(d, "+33140000199").kind == DIR_NONE);
    CHECK(wtpf_dir_resolve(d, "bob").kind == DIR_USER);
    CHECK(wtpf_dir_resolve(d, "cc").kind == DIR_GROUP);
    CHECK(wtpf_dir_resolve(d, "+33140000101").kind == DIR_USER);
    t = wtpf_dir_resolve(d, "+33150000201");
    CHECK(t.kind == DIR_EXTERNAL && strcmp(t.number, "+33150000201") == 0);
    GPtrArray *lists[8];
    unsigned n = wtpf_dir_rule_lists(d, a, lists, 8);
    CHECK_INT(n, 3); /* own, group's, global */
    char *out = svc_transform(lists, n, "90150000201", NULL);
    CHECK_STR(out, "0150000201"); /* the user's rule wins, the global one does not chain */
    g_free(out);
    out = svc_transform(lists, n, "0150000201", NULL);
    CHECK_STR(out, "+33150000201");
    g_free(out);
    wtpf_dir_free(d);
    g_string_free(e, TRUE);
}

TEST(directory_semantic_errors)
{
    GString *e = g_string_new(NULL);
    wtpf_dir *d = load(
        "users = ( { name = \"al ice\"; password_hash = \"plain\"; number = \"+33150000101\"; },\n"
        "          { name = \"bob\"; password_hash = \"$y$y\"; number = \"33140000102\";\n"
        "            diversion = { busy = \"no such thing\"; }; },\n"
        "          { name = \"bob\"; password_hash = \"$y$y\"; number = \"+33140000103\"; } );\n"
        "groups = ( { name = \"g\"; number = \"+33140000103\"; members = [\"zed\"]; } );\n",
        e);
    CHECK(d == NULL);
    CHECK(strstr(e->str, ":1: users: name \"al ice\""));
    CHECK(strstr(e->str, "not a crypt(3) hash"));
    CHECK(strstr(e->str, "outside the PBX range"));
    CHECK(strstr(e->str, ":2: users: bob: number \"33140000102\" is not E.164"));
    CHECK(strstr(e->str, "duplicate name \"bob\""));
    CHECK(strstr(e->str, "groups: number +33140000103 already used"));
    CHECK(strstr(e->str, "unknown member \"zed\""));
    CHECK(strstr(e->str, "diversion.busy: \"no such thing\" is no user, group or number"));
    g_string_free(e, TRUE);
}

int main(void)
{
    RUN(transform_prefix_and_regex_first_match_wins);
    RUN(transform_rule_errors);
    RUN(number_validity);
    RUN(diversion_targets_and_causes);
    RUN(history_info_chain);
    RUN(history_info_continues_received_entries);
    RUN(simultaneous_ringing_selection);
    RUN(directory_lookups_and_rule_lists);
    RUN(directory_semantic_errors);
    UNIT_END("wtpf/services");
}
