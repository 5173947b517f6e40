/* eims-agw configuration: the "iq" group next to the engine's "media" group, defaults, semantic
 * checks with file:line, and the settings handed to the transport, association and commands. */
#include <glib.h>

#include "eims-agw/iq_config.h"
#include "unit.h"

static bool load(config_t *cfg, const char *text, GString *errors)
{
    config_init(cfg);
    if (!rt_cfg_load_string(cfg, text, "agw.conf", iq_daemon_keys(), errors)) return false;
    iq_cfg_check(cfg, errors);
    return errors->len == 0;
}

TEST(lab_like_config)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(load(
        &cfg,
        "iq = { address = \"127.0.10.3\"; mgc_address = \"127.0.10.2\"; inactivity_ms = 30000; };\n"
        "media = { w3_address = \"127.0.10.3\"; rtp_address = \"127.0.10.3\"; no_media_timeout = "
        "20; };\n",
        e));
    CHECK_STR(e->str, "");
    iq_settings s;
    iq_cfg_read(&cfg, &s);
    CHECK_STR(s.tp.address, "127.0.10.3");
    CHECK_INT(s.tp.port, 2944);
    CHECK(s.tp.mid == NULL); /* "[address]:port" */
    CHECK_INT(s.tp.version, 3);
    CHECK_INT(s.tp.retry_first_ms, 250);
    CHECK_STR(s.mg.mgc_address, "127.0.10.2");
    CHECK_INT(s.mg.mgc_port, 2944);
    CHECK_STR(s.mg.profile, "threegiq/1");
    CHECK_INT(s.mg.inactivity_ms, 30000);
    CHECK_STR(s.cmd.access_realm, "access");
    CHECK_STR(s.cmd.cid_property, "wtpf/cid");
    CHECK_INT(s.cmd.no_media_ms, 20000);
    CHECK(s.cmd.notify_unarmed);
    CHECK_INT(s.max_contexts, 10000);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(refusals_with_file_and_line)
{
    config_t cfg;
    GString *e = g_string_new(NULL);
    CHECK(!load(&cfg, "iq = {\n  mgc_address = \"pcscf.ims.lab\";\n  profile = \"3gpp-iq\";\n};\n",
                e));
    CHECK(strstr(e->str, ":2: iq.mgc_address") != NULL);
    CHECK(strstr(e->str, ":3: iq.profile") != NULL);
    config_destroy(&cfg);
    g_string_truncate(e, 0);
    CHECK(!load(&cfg, "iq = { colour = \"blue\"; };\n", e));
    CHECK(strstr(e->str, "colour") != NULL);
    config_destroy(&cfg);
    g_string_truncate(e, 0);
    CHECK(!load(&cfg, "media = { port_min = 30000; port_max = 20000; };\n", e));
    CHECK(strstr(e->str, "port_max") != NULL);
    config_destroy(&cfg);
    g_string_free(e, TRUE);
}

TEST(profile_syntax)
{
    CHECK(iq_profile_valid("threegiq/1"));
    CHECK(iq_profile_valid("etsi_iq/12"));
    CHECK(!iq_profile_valid("etsi_iq/123"));
    CHECK(!iq_profile_valid("3giq/1"));
    CHECK(!iq_profile_valid("three-giq/1"));
    CHECK(!iq_profile_valid("threegiq"));
    CHECK(!iq_profile_valid("threegiq/"));
    CHECK(!iq_profile_valid("/1"));
}

int main(void)
{
    RUN(lab_like_config);
    RUN(refusals_with_file_and_line);
    RUN(profile_syntax);
    UNIT_END("test_iq_config");
}
