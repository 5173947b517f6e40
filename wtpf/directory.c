/* WIC users and groups from the wtpf configuration (see directory.h). */
#include "wtpf/directory.h"

#include <string.h>

static const rt_cfg_key_t div_keys[] = {
    {"unconditional", RT_CFG_STRING, "\"\"", 0, 128,
     "divert every call to this user, group or number", NULL, 0, NULL},
    {"busy", RT_CFG_STRING, "\"\"", 0, 128,
     "divert when every client rejected the call or the user is at max_calls", NULL, 0, NULL},
    {"no_answer", RT_CFG_STRING, "\"\"", 0, 128,
     "divert when nobody answered within no_answer_timeout", NULL, 0, NULL},
    {"no_answer_timeout", RT_CFG_INT, "20", 1, 600, "seconds of ringing before no_answer", NULL, 0,
     NULL},
    {"offline", RT_CFG_STRING, "\"\"", 0, 128, "divert when nobody is logged in", NULL, 0, NULL},
    {NULL}};

const rt_cfg_key_t wtpf_dir_rule_keys[] = {
    {"match", RT_CFG_STRING, "\"prefix\"", 0, 0,
     "prefix: replace a leading prefix; regex: "
     "whole-number regular expression (PCRE) with \\\\1 references",
     NULL, 0, "prefix|regex"},
    {"pattern", RT_CFG_STRING, NULL, 1, 256, "prefix or regular expression", NULL, RT_CFG_REQUIRED,
     NULL},
    {"replace", RT_CFG_STRING, NULL, 0, 256, "replacement", NULL, RT_CFG_REQUIRED, NULL},
    {NULL}};

const rt_cfg_key_t wtpf_dir_user_keys[] = {
    {"name", RT_CFG_STRING, NULL, 1, 64, "login name: letters, digits, . _ -", NULL,
     RT_CFG_REQUIRED, NULL},
    {"password_hash", RT_CFG_STRING, NULL, 1, 512,
     "crypt(3) hash of the password (yescrypt or sha512-crypt): `wtpf --hash-password`", NULL,
     RT_CFG_REQUIRED, NULL},
    {"number", RT_CFG_STRING, NULL, 2, 32, "E.164 number inside the PBX range (+...)", NULL,
     RT_CFG_REQUIRED, NULL},
    {"display_name", RT_CFG_STRING, "\"\"", 0, 128, "display name on outgoing calls", NULL, 0,
     NULL},
    {"max_calls", RT_CFG_INT, "4", 0, 100,
     "calls in progress before the user is busy (0: no "
     "limit)",
     NULL, 0, NULL},
    {"transform", RT_CFG_LIST, NULL, 0, 0, "called-number transformation rules (first match)",
     wtpf_dir_rule_keys, 0, NULL},
    {"diversion", RT_CFG_GROUP, NULL, 0, 0, "call diversion", div_keys, 0, NULL},
    {NULL}};

const rt_cfg_key_t wtpf_dir_group_keys[] = {
    {"name", RT_CFG_STRING, NULL, 1, 64, "group name", NULL, RT_CFG_REQUIRED, NULL},
    {"number", RT_CFG_STRING, NULL, 2, 32, "E.164 number that rings every logged-in member at once",
     NULL, RT_CFG_REQUIRED, NULL},
    {"display_name", RT_CFG_STRING, "\"\"", 0, 128, "display name", NULL, 0, NULL},
    {"members", RT_CFG_STRLIST, NULL, 0, 0, "user names", NULL, RT_CFG_REQUIRED, NULL},
    {"transform", RT_CFG_LIST, NULL, 0, 0, "transformation rules for members' calls",
     wtpf_dir_rule_keys, 0, NULL},
    {"diversion", RT_CFG_GROUP, NULL, 0, 0, "call diversion of the group number", div_keys, 0,
     NULL},
    {NULL}};

static void user_free(gpointer p)
{
    wtpf_user *u = p;
    g_free(u->name);
    g_free(u->password_hash);
    g_free(u->number);
    g_free(u->display_name);
    if (u->rules) g_ptr_array_unref(u->rules);
    for (int i = 0; i < SVC_DIV_COUNT; i++)
        g_free(u->div.target[i]);
    g_ptr_array_unref(u->groups);
    g_free(u);
}

static void group_free(gpointer p)
{
    wtpf_group *g = p;
    g_free(g->name);
    g_free(g->number);
    g_free(g->display_name);
    g_ptr_array_unref(g->members);
    if (g->rules) g_ptr_array_unref(g->rules);
    for (int i = 0; i < SVC_DIV_COUNT; i++)
        g_free(g->div.target[i]);
    g_free(g);
}

void wtpf_dir_free(wtpf_dir *d)
{
    if (!d) return;
    g_hash_table_unref(d->user_by_name);
    g_hash_table_unref(d->group_by_name);
    g_hash_table_unref(d->user_by_number);
    g_hash_table_unref(d->group_by_number);
    g_ptr_array_unref(d->groups);
    g_ptr_array_unref(d->users);
    g_ptr_array_unref(d->rules);
    g_free(d);
}

static bool name_ok(const char *s)
{
    if (!*s) return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-') return false;
    return true;
}

static bool e164_ok(const char *s)
{
    if (s[0] != '+' || !s[1]) return false;
    for (const char *p = s + 1; *p; p++)
        if (!g_ascii_isdigit(*p)) return false;
    return strlen(s) <= 16;
}

static GPtrArray *load_rules(const config_setting_t *list, GString *errors)
{
    GPtrArray *rules = g_ptr_array_new_with_free_func((GDestroyNotify)svc_rule_free);
    for (int i = 0; list && i < config_setting_length(list); i++) {
        config_setting_t *e = config_setting_get_elem(list, i);
        const char *match = rt_cfg_member_str(e, "match");
        GError *err = NULL;
        svc_rule *r =
            svc_rule_new(g_strcmp0(match, "regex") == 0 ? SVC_MATCH_REGEX : SVC_MATCH_PREFIX,
                         rt_cfg_member_str(e, "pattern"), rt_cfg_member_str(e, "replace"), &err);
        if (!r) {
            rt_cfg_error(errors, e, "transform rule: %s", err->message);
            g_error_free(err);
            continue;
        }
        g_ptr_array_add(rules, r);
    }
    return rules;
}

static void load_div(const config_setting_t *parent, svc_diversion *div)
{
    config_setting_t *s = config_setting_get_member(parent, "diversion");
    static const char *const keys[SVC_DIV_COUNT] = {"unconditional", "busy", "no_answer",
                                                    "offline"};
    for (int i = 0; i < SVC_DIV_COUNT; i++) {
        const char *v = s ? rt_cfg_member_str(s, keys[i]) : NULL;
        div->target[i] = v && *v ? g_strdup(v) : NULL;
    }
    div->no_answer_timeout = s ? (unsigned)rt_cfg_member_int(s, "no_answer_timeout", 20) : 20;
}

static void check_div(const wtpf_dir *d, const config_setting_t *parent, const svc_diversion *div,
                      GString *errors)
{
    config_setting_t *s = config_setting_get_member(parent, "diversion");
    for (int i = 0; i < SVC_DIV_COUNT; i++) {
        const char *t = div->target[i];
        if (!t) continue;
        wtpf_dir_target r = wtpf_dir_resolve(d, t);
        if (r.kind == DIR_EXTERNAL && !svc_number_valid(t))
            rt_cfg_error(errors, s, "diversion.%s: \"%s\" is no user, group or number",
                         svc_div_cond_name(i), t);
    }
}

wtpf_dir *wtpf_dir_load(const config_t *cfg, const char *number_prefix, GString *errors)
{
    gsize before = errors->len;
    wtpf_dir *d = g_new0(wtpf_dir, 1);
    d->users = g_ptr_array_new_with_free_func(user_free);
    d->groups = g_ptr_array_new_with_free_func(group_free);
    d->user_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    d->group_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    d->user_by_number = g_hash_table_new(g_str_hash, g_str_equal);
    d->group_by_number = g_hash_table_new(g_str_hash, g_str_equal);
    d->rules = load_rules(config_lookup(cfg, "services.transform"), errors);

    config_setting_t *users = config_lookup(cfg, "users");
    for (int i = 0; users && i < config_setting_length(users); i++) {
        config_setting_t *e = config_setting_get_elem(users, i);
        wtpf_user *u = g_new0(wtpf_user, 1);
        u->name = g_strdup(rt_cfg_member_str(e, "name"));
        u->password_hash = g_strdup(rt_cfg_member_str(e, "password_hash"));
        u->number = g_strdup(rt_cfg_member_str(e, "number"));
        u->display_name = g_strdup(rt_cfg_member_str(e, "display_name"));
        u->max_calls = (unsigned)rt_cfg_member_int(e, "max_calls", 4);
        u->rules = load_rules(config_setting_get_member(e, "transform"), errors);
        u->groups = g_ptr_array_new();
        load_div(e, &u->div);
        g_ptr_array_add(d->users, u);
        if (!name_ok(u->name))
            rt_cfg_error(errors, e, "users: name \"%s\": only letters, digits, . _ -", u->name);
        if (u->password_hash[0] != '$')
            rt_cfg_error(errors, e,
                         "users: %s: password_hash is not a crypt(3) hash (make one "
                         "with wtpf --hash-password)",
                         u->name);
        if (!e164_ok(u->number))
            rt_cfg_error(errors, e, "users: %s: number \"%s\" is not E.164 (+digits)", u->name,
                         u->number);
        else if (number_prefix && *number_prefix && !g_str_has_prefix(u->number, number_prefix))
            rt_cfg_error(errors, e, "users: %s: number %s is outside the PBX range %s", u->name,
                         u->number, number_prefix);
        if (g_hash_table_contains(d->user_by_name, u->name))
            rt_cfg_error(errors, e, "users: duplicate name \"%s\"", u->name);
        if (g_hash_table_contains(d->user_by_number, u->number))
            rt_cfg_error(errors, e, "users: duplicate number %s", u->number);
        g_hash_table_insert(d->user_by_name, u->name, u);
        g_hash_table_insert(d->user_by_number, u->number, u);
    }

    config_setting_t *groups = config_lookup(cfg, "groups");
    for (int i = 0; groups && i < config_setting_length(groups); i++) {
        config_setting_t *e = config_setting_get_elem(groups, i);
        wtpf_group *g = g_new0(wtpf_group, 1);
        g->name = g_strdup(rt_cfg_member_str(e, "name"));
        g->number = g_strdup(rt_cfg_member_str(e, "number"));
        g->display_name = g_strdup(rt_cfg_member_str(e, "display_name"));
        g->members = g_ptr_array_new();
        g->rules = load_rules(config_setting_get_member(e, "transform"), errors);
        load_div(e, &g->div);
        g_ptr_array_add(d->groups, g);
        if (!name_ok(g->name))
            rt_cfg_error(errors, e, "groups: name \"%s\": only letters, digits, . _ -", g->name);
        if (!e164_ok(g->number))
            rt_cfg_error(errors, e, "groups: %s: number \"%s\" is not E.164", g->name, g->number);
        else if (number_prefix && *number_prefix && !g_str_has_prefix(g->number, number_prefix))
            rt_cfg_error(errors, e, "groups: %s: number %s is outside the PBX range %s", g->name,
                         g->number, number_prefix);
        if (g_hash_table_contains(d->group_by_name, g->name) ||
            g_hash_table_contains(d->user_by_name, g->name))
            rt_cfg_error(errors, e, "groups: name \"%s\" already used", g->name);
        if (g_hash_table_contains(d->group_by_number, g->number) ||
            g_hash_table_contains(d->user_by_number, g->number))
            rt_cfg_error(errors, e, "groups: number %s already used", g->number);
        g_hash_table_insert(d->group_by_name, g->name, g);
        g_hash_table_insert(d->group_by_number, g->number, g);
        config_setting_t *m = config_setting_get_member(e, "members");
        for (int j = 0; m && j < config_setting_length(m); j++) {
            const char *n = config_setting_get_string_elem(m, j);
            wtpf_user *u = n ? g_hash_table_lookup(d->user_by_name, n) : NULL;
            if (!u) {
                rt_cfg_error(errors, m, "groups: %s: unknown member \"%s\"", g->name, n ? n : "?");
                continue;
            }
            if (g_ptr_array_find(g->members, u, NULL)) continue;
            g_ptr_array_add(g->members, u);
            g_ptr_array_add(u->groups, g);
        }
    }
    for (int i = 0; users && i < config_setting_length(users); i++)
        check_div(d, config_setting_get_elem(users, i),
                  &((wtpf_user *)g_ptr_array_index(d->users, i))->div, errors);
    for (int i = 0; groups && i < config_setting_length(groups); i++)
        check_div(d, config_setting_get_elem(groups, i),
                  &((wtpf_group *)g_ptr_array_index(d->groups, i))->div, errors);
    if (errors->len != before) {
        wtpf_dir_free(d);
        return NULL;
    }
    return d;
}

wtpf_user *wtpf_dir_user(const wtpf_dir *d, const char *name)
{
    return name ? g_hash_table_lookup(d->user_by_name, name) : NULL;
}

wtpf_group *wtpf_dir_group(const wtpf_dir *d, const char *name)
{
    return name ? g_hash_table_lookup(d->group_by_name, name) : NULL;
}

wtpf_dir_target wtpf_dir_by_number(const wtpf_dir *d, const char *number)
{
    wtpf_dir_target t = {.kind = DIR_NONE};
    if (!number) return t;
    if ((t.user = g_hash_table_lookup(d->user_by_number, number))) {
        t.kind = DIR_USER;
        t.number = t.user->number;
    } else if ((t.group = g_hash_table_lookup(d->group_by_number, number))) {
        t.kind = DIR_GROUP;
        t.number = t.group->number;
    }
    return t;
}

wtpf_dir_target wtpf_dir_resolve(const wtpf_dir *d, const char *target)
{
    wtpf_dir_target t = {.kind = DIR_NONE};
    if (!target || !*target) return t;
    if ((t.user = wtpf_dir_user(d, target))) {
        t.kind = DIR_USER;
        t.number = t.user->number;
        return t;
    }
    if ((t.group = wtpf_dir_group(d, target))) {
        t.kind = DIR_GROUP;
        t.number = t.group->number;
        return t;
    }
    t = wtpf_dir_by_number(d, target);
    if (t.kind != DIR_NONE) return t;
    t.kind = DIR_EXTERNAL;
    t.number = target;
    return t;
}

unsigned wtpf_dir_rule_lists(const wtpf_dir *d, const wtpf_user *u, GPtrArray **lists, unsigned cap)
{
    unsigned n = 0;
    if (n < cap) lists[n++] = u->rules;
    for (guint i = 0; i < u->groups->len && n < cap; i++)
        lists[n++] = ((wtpf_group *)g_ptr_array_index(u->groups, i))->rules;
    if (n < cap) lists[n++] = d->rules;
    return n;
}
