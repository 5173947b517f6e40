/* hss-stub subscriber store: provisioning checks, distinct and wildcard lookups, HA1, User-Data. */
#include "unit.h"
#include "hss-stub/subscribers.h"
#include "hss-stub/user_data.h"

static const char *lab =
    "digest_realm = \"ims.lab\";\n"
    "subscribers = (\n"
    "  { impi = \"pbx@ims.lab\"; password = \"pbx-lab\";\n"
    "    impus = ( { uri = \"sip:+33140000000@ims.lab\"; },\n"
    "              { uri = \"tel:+3314000!.*!\"; } ); },\n"
    "  { impi = \"+33150000201@ims.lab\"; password = \"phone201-lab\";\n"
    "    impus = ( { uri = \"sip:+33150000201@ims.lab\"; display_name = \"Phone <1>\"; },\n"
    "              { uri = \"tel:+33150000201\"; barred = true; } ); }\n"
    ");\n";

static hss_store_t *load(const char *text, GString *err)
{
    config_t cfg;
    config_init(&cfg);
    hss_store_t *st = NULL;
    if (config_read_string(&cfg, text)) st = hss_store_load(&cfg, err);
    else g_string_append_printf(err, "parse error line %d\n", config_error_line(&cfg));
    config_destroy(&cfg);
    return st;
}

TEST(ha1_is_rfc2617_md5)
{
    char ha1[33];
    /* RFC 2617 §3.5 example: Mufasa:testrealm@host.com:Circle Of Life */
    hss_digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
    CHECK_STR(ha1, "939e7578ed9e3c518a452acee763bce9");
}

TEST(distinct_and_wildcard_lookup)
{
    GString *e = g_string_new(NULL);
    hss_store_t *st = load(lab, e);
    CHECK_STR(e->str, "");
    CHECK_INT(hss_store_count(st), 2);
    const hss_impu_t *u = NULL, *w = NULL;
    hss_sub_t *pbx = hss_store_by_impu(st, "tel:+33140000101", &u, &w);
    CHECK(pbx != NULL && strcmp(pbx->impi, "pbx@ims.lab") == 0);
    CHECK(w != NULL && strcmp(w->uri, "tel:+3314000!.*!") == 0);
    /* sip:+digits@domain;user=phone matches the tel: wildcard. */
    CHECK(hss_store_by_impu(st, "sip:+33140000102@ims.lab;user=phone", NULL, &w) == pbx);
    CHECK(w != NULL);
    /* Distinct IMPU, case-insensitive scheme, no wildcard reported. */
    hss_sub_t *ph = hss_store_by_impu(st, "SIP:+33150000201@ims.lab", &u, &w);
    CHECK(ph != NULL && strcmp(ph->impi, "+33150000201@ims.lab") == 0);
    CHECK(w == NULL && u != NULL && strcmp(u->display_name, "Phone <1>") == 0);
    CHECK(hss_store_by_impu(st, "tel:+33150000201", &u, NULL) == ph && u->barred);
    /* Out of range and unknown. */
    CHECK(hss_store_by_impu(st, "tel:+33150000999", NULL, NULL) == NULL);
    CHECK(hss_store_by_impu(st, "tel:+331400", NULL, NULL) == NULL);
    CHECK(hss_store_by_impi(st, "pbx@ims.lab") == pbx);
    CHECK(hss_store_by_impi(st, "nobody@ims.lab") == NULL);
    char ha1[33];
    hss_digest_ha1("pbx@ims.lab", "ims.lab", "pbx-lab", ha1);
    CHECK_STR(pbx->ha1, ha1);
    hss_store_free(st);
    g_string_free(e, TRUE);
}

TEST(provisioning_errors)
{
    GString *e = g_string_new(NULL);
    hss_store_t *st = load("subscribers = (\n"
                           "  { impi = \"a\"; password = \"x\"; ha1 = \"y\"; impus = (); },\n"
                           "  { impi = \"b\"; ha1 = \"zz\"; impus = ( { uri = \"sip:b@x\"; } ); },\n"
                           "  { impi = \"c\"; password = \"p\"; impus = ( { uri = \"tel:+1!(!\"; } ); },\n"
                           "  { impi = \"d\"; password = \"p\"; impus = ( { uri = \"mailto:d\"; } ); },\n"
                           "  { impi = \"e\"; password = \"p\"; impus = ( { uri = \"tel:+1!.*\"; } ); }\n"
                           ");\n",
                           e);
    CHECK(strstr(e->str, ":2: a: give exactly one of password or ha1") != NULL);
    CHECK(strstr(e->str, ":3: b: ha1 must be 32 hex digits") != NULL);
    CHECK(strstr(e->str, "tel:+1!(!: bad regular expression") != NULL);
    CHECK(strstr(e->str, "uri must be a sip:, sips: or tel: URI") != NULL);
    CHECK(strstr(e->str, "unbalanced '!'") != NULL);
    hss_store_free(st);
    g_string_free(e, TRUE);
}

TEST(user_data_xml)
{
    GString *e = g_string_new(NULL);
    hss_store_t *st = load(lab, e);
    hss_sub_t *pbx = hss_store_by_impi(st, "pbx@ims.lab");
    gchar *xml = hss_user_data_xml(pbx, NULL);
    CHECK(strstr(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>") != NULL);
    CHECK(strstr(xml, "<IMSSubscription><PrivateID>pbx@ims.lab</PrivateID><ServiceProfile>"
                      "<PublicIdentity><Identity>sip:+33140000000@ims.lab</Identity>"
                      "</PublicIdentity><PublicIdentity><Identity>tel:+3314000!.*!</Identity>"
                      "<Extension><IdentityType>4</IdentityType><Extension><Extension>"
                      "<WildcardedIMPU>tel:+3314000!.*!</WildcardedIMPU></Extension></Extension>"
                      "</Extension></PublicIdentity></ServiceProfile></IMSSubscription>") != NULL);
    g_free(xml);
    hss_sub_t *ph = hss_store_by_impi(st, "+33150000201@ims.lab");
    xml = hss_user_data_xml(ph, NULL);
    CHECK(strstr(xml, "<DisplayName>Phone &lt;1&gt;</DisplayName>") != NULL);
    CHECK(strstr(xml, "<PublicIdentity><BarringIndication>1</BarringIndication>"
                      "<Identity>tel:+33150000201</Identity>") != NULL);
    g_free(xml);
    hss_store_free(st);
    g_string_free(e, TRUE);
}

int main(void)
{
    RUN(ha1_is_rfc2617_md5);
    RUN(distinct_and_wildcard_lookup);
    RUN(provisioning_errors);
    RUN(user_data_xml);
    UNIT_END("hss-stub/subscribers");
}
