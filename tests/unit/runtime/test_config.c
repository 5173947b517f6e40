/* Strict config validation: unknown keys, wrong types, ranges, required keys, defaults, file:line. */
#include "unit.h"
#include "runtime/config.h"

static const rt_cfg_key_t peer_keys[] = {
    {"name", RT_CFG_STRING, NULL, 0, 32, "peer name", NULL, RT_CFG_REQUIRED, NULL},
    {"port", RT_CFG_INT, "5060", 1, 65535, "port", NULL, 0, NULL},
    {NULL}};
static const rt_cfg_key_t keys[] = {
    {"port", RT_CFG_INT, "3868", 1, 65535, "listen port", NULL, 0, NULL},
    {"mode", RT_CFG_STRING, "\"static\"", 0, 0, "mode", NULL, 0, "static|registration"},
    {"ratio", RT_CFG_FLOAT, "0.5", 0, 1, "ratio", NULL, 0, NULL},
    {"names", RT_CFG_STRLIST, NULL, 0, 0, "names", NULL, 0, NULL},
    {"peers", RT_CFG_LIST, NULL, 0, 0, "peers", peer_keys, 0, NULL},
    {NULL}};

static bool load(const char *text, GString *err, config_t *cfg)
{
    config_init(cfg);
    return rt_cfg_load_string(cfg, text, "t.conf", keys, err);
}

TEST(defaults_are_filled)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(load("", e, &cfg));
    CHECK_INT(rt_cfg_int(&cfg, "port"), 3868);
    CHECK_STR(rt_cfg_str(&cfg, "mode"), "static");
    CHECK_STR(rt_cfg_str(&cfg, "log.level"), "info");
    CHECK_INT(rt_cfg_int(&cfg, "admin.port"), 9090);
    CHECK(rt_cfg_bool(&cfg, "admin.enabled"));
    CHECK(rt_cfg_float(&cfg, "ratio") == 0.5);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(unknown_key_has_file_and_line)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(!load("port = 1;\n\nbogus = 2;\n", e, &cfg));
    CHECK_STR(e->str, "t.conf:3: unknown key 'bogus'\n");
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(wrong_type_and_range)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(!load("port = \"x\";\nratio = 2.0;\nmode = \"bad\";\n", e, &cfg));
    CHECK(strstr(e->str, "t.conf:1: port: wrong type, expected integer") != NULL);
    CHECK(strstr(e->str, "t.conf:2: ratio: value 2 out of range [0, 1]") != NULL);
    CHECK(strstr(e->str, "t.conf:3: mode: \"bad\" is not one of static|registration") != NULL);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(nested_list_validation)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(!load("peers = ( { name = \"a\"; }, { port = 0; x = 1; } );\n", e, &cfg));
    CHECK(strstr(e->str, "peers[1].port: value 0 out of range") != NULL);
    CHECK(strstr(e->str, "unknown key 'peers[1].x'") != NULL);
    CHECK(strstr(e->str, "missing required key 'peers[1].name'") != NULL);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
    e = g_string_new(NULL);
    CHECK(load("peers = ( { name = \"a\"; } );\nlog = { levels = { sip = \"debug\"; }; };\n", e,
               &cfg));
    CHECK_STR(e->str, "");
    CHECK_INT(rt_cfg_member_int(config_setting_get_elem(config_lookup(&cfg, "peers"), 0), "port",
                                0),
              5060);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(syntax_error_reports_line)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(!load("port = 1;\nmode = ;\n", e, &cfg));
    CHECK(g_str_has_prefix(e->str, "t.conf:2: "));
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(sample_lists_every_key)
{
    GString *s = g_string_new(NULL);
    rt_cfg_print_sample(s, "node", keys);
    CHECK(strstr(s->str, "port = 3868;") != NULL);
    CHECK(strstr(s->str, "mode = \"static\";") != NULL);
    CHECK(strstr(s->str, "level = \"info\";") != NULL);
    CHECK(strstr(s->str, "# peers = ( {") != NULL);
    /* The sample itself must load. */
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(load(s->str, e, &cfg));
    CHECK_STR(e->str, "");
    config_destroy(&cfg);
    g_string_free(e, TRUE);
    g_string_free(s, TRUE);
}

int main(void)
{
    RUN(defaults_are_filled);
    RUN(unknown_key_has_file_and_line);
    RUN(wrong_type_and_range);
    RUN(nested_list_validation);
    RUN(syntax_error_reports_line);
    RUN(sample_lists_every_key);
    UNIT_END("runtime/config");
}
