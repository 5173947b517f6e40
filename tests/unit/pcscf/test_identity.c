/* Identity rules of the pcscf: URI canonical forms, wildcard sets, the PPI -> PAI assertion,
 * the PAI trust policy for W8 peers, P-Charging-Vector policy, and User-Data parsing. */
#include "pcscf/identity.h"
#include "pcscf/uri.h"
#include "pcscf/user_data.h"
#include "unit.h"

TEST(uri_helpers)
{
    char *u = pcscf_uri_from_nameaddr("\"Alice <x>\" <sip:alice@IMS.lab;user=phone>;tag=1");
    CHECK_STR(u, "sip:alice@IMS.lab;user=phone");
    g_free(u);
    u = pcscf_uri_from_nameaddr("tel:+33140000101;tag=x");
    CHECK_STR(u, "tel:+33140000101");
    g_free(u);
    CHECK(pcscf_uri_from_nameaddr("<sip:a@b") == NULL);

    char **l = pcscf_split_list("<sip:a@b>, \"x,y\" <tel:+1;p=1>,<sip:c@d;q=\"1,2\">,");
    CHECK_INT(g_strv_length(l), 3);
    CHECK_STR(l[1], "\"x,y\" <tel:+1;p=1>");
    g_strfreev(l);

    char *c = pcscf_uri_canon("SIP:+33150000201@IMS.Lab:5060;user=phone?x=y");
    CHECK_STR(c, "sip:+33150000201@ims.lab");
    g_free(c);
    c = pcscf_uri_canon("tel:+33-1-40.00(01)01;phone-context=x");
    CHECK_STR(c, "tel:+33140000101");
    g_free(c);
    c = pcscf_uri_canon("sip:[::1]:5060");
    CHECK_STR(c, "sip:[::1]");
    g_free(c);
    CHECK(pcscf_uri_canon("mailto:a@b") == NULL);
    CHECK(pcscf_uri_canon("sip:@") == NULL);

    char *n = pcscf_uri_number("sip:+33140000101@ims.lab;user=phone");
    CHECK_STR(n, "+33140000101");
    g_free(n);
    CHECK(pcscf_uri_number("sip:alice@ims.lab") == NULL);
    CHECK(pcscf_uri_number("tel:5551234;phone-context=ims.lab") == NULL);
}

static pcscf_idset_t *pbx_set(void)
{
    pcscf_idset_t *s = pcscf_idset_new();
    CHECK(pcscf_idset_add(s, "sip:+33140000000@ims.lab", false));
    CHECK(pcscf_idset_add(s, "tel:+33140000000", false));
    CHECK(pcscf_idset_add(s, "tel:+3314000!.*!", false));
    return s;
}

TEST(idset_wildcards)
{
    pcscf_idset_t *s = pbx_set();
    CHECK(pcscf_idset_match(s, "tel:+33140000101") != NULL);
    CHECK(pcscf_idset_match(s, "tel:+33140000101")->wildcard);
    /* a sip URI with a global number matches the tel wildcard */
    CHECK(pcscf_idset_match(s, "sip:+33140000102@ims.lab;user=phone") != NULL);
    CHECK(pcscf_idset_match(s, "tel:+33150000201") == NULL);
    /* the regex is anchored: no match on a longer prefix */
    CHECK(pcscf_idset_match(s, "tel:+4433140000101") == NULL);
    CHECK(!pcscf_idset_match(s, "sip:+33140000000@IMS.LAB")->wildcard);
    CHECK_STR(pcscf_idset_default(s), "sip:+33140000000@ims.lab");
    char *pau = pcscf_idset_p_associated_uri(s);
    CHECK_STR(pau, "<sip:+33140000000@ims.lab>, <tel:+33140000000>, <tel:+3314000!.*!>");
    g_free(pau);
    pcscf_idset_t *c = pcscf_idset_copy(s);
    CHECK(pcscf_idset_match(c, "tel:+33140000999") != NULL);
    pcscf_idset_free(c);
    pcscf_idset_free(s);

    pcscf_idset_t *b = pcscf_idset_new();
    CHECK(!pcscf_idset_add(b, "tel:+331!4(!", false)); /* bad regex */
    CHECK(!pcscf_idset_add(b, "tel:+331!4", false));   /* unbalanced */
    CHECK(pcscf_idset_add(b, "sip:barred@ims.lab", true));
    CHECK(pcscf_idset_add(b, "sip:ok@ims.lab", false));
    CHECK_STR(pcscf_idset_default(b), "sip:ok@ims.lab");
    pau = pcscf_idset_p_associated_uri(b);
    CHECK_STR(pau, "<sip:ok@ims.lab>");
    g_free(pau);
    pcscf_idset_free(b);
}

static char *decide(pcscf_origin_t *o, const char *ppi, const char *pai, bool reject,
                    pcscf_pai_action *action)
{
    char *ppis[] = {(char *)ppi, NULL};
    char *pais[] = {(char *)pai, NULL};
    pcscf_pai_decision d;
    pcscf_identity_decide(o, ppi ? ppis : NULL, pai ? pais : NULL, reject, &d);
    *action = d.action;
    return d.asserted;
}

TEST(pai_rules)
{
    pcscf_idset_t *pbx = pbx_set();
    pcscf_idset_t *phone = pcscf_idset_new();
    pcscf_idset_add(phone, "sip:+33150000201@ims.lab", false);
    pcscf_idset_add(phone, "tel:+33150000201", false);
    pcscf_pai_action a;
    char *r;

    /* unknown source: everything stripped */
    pcscf_origin_t unknown = {.kind = PCSCF_ORIG_UNKNOWN};
    r = decide(&unknown, "tel:+33150000201", "tel:+33150000201", false, &a);
    CHECK_INT(a, PCSCF_PAI_STRIP);
    CHECK(r == NULL);

    /* registered phone: PPI in set asserted, outside -> default, PAI ignored */
    pcscf_origin_t ue = {.kind = PCSCF_ORIG_UE, .ids = phone};
    r = decide(&ue, "tel:+33150000201", NULL, false, &a);
    CHECK_INT(a, PCSCF_PAI_ASSERT);
    CHECK_STR(r, "tel:+33150000201");
    g_free(r);
    r = decide(&ue, "tel:+33150000202", "tel:+33150000202", false, &a);
    CHECK_INT(a, PCSCF_PAI_ASSERT);
    CHECK_STR(r, "sip:+33150000201@ims.lab");
    g_free(r);

    /* trusted WTPF: PAI in range kept, PPI in wildcard range asserted */
    pcscf_origin_t wtpf = {.kind = PCSCF_ORIG_PEER, .trusted = true, .ids = pbx};
    r = decide(&wtpf, NULL, "tel:+33140000101", false, &a);
    CHECK_INT(a, PCSCF_PAI_KEEP);
    r = decide(&wtpf, "sip:+33140000102@ims.lab;user=phone", NULL, false, &a);
    CHECK_INT(a, PCSCF_PAI_ASSERT);
    CHECK_STR(r, "sip:+33140000102@ims.lab;user=phone");
    g_free(r);
    /* foreign PAI: replaced by default, or 403 when configured */
    r = decide(&wtpf, NULL, "tel:+33150000201", false, &a);
    CHECK_INT(a, PCSCF_PAI_ASSERT);
    CHECK_STR(r, "sip:+33140000000@ims.lab");
    g_free(r);
    r = decide(&wtpf, NULL, "tel:+33150000201", true, &a);
    CHECK_INT(a, PCSCF_PAI_REJECT);
    /* privileged sender keeps a foreign PAI (diverted call) */
    pcscf_origin_t priv = wtpf;
    priv.privileged = true;
    r = decide(&priv, NULL, "tel:+33150000201", true, &a);
    CHECK_INT(a, PCSCF_PAI_KEEP);
    /* untrusted peer: its PAI is not believed, the PPI rule applies */
    pcscf_origin_t untrusted = {.kind = PCSCF_ORIG_PEER, .trusted = false, .ids = pbx};
    r = decide(&untrusted, NULL, "tel:+33140000101", false, &a);
    CHECK_INT(a, PCSCF_PAI_ASSERT);
    CHECK_STR(r, "sip:+33140000000@ims.lab");
    g_free(r);
    pcscf_origin_t untrusted_noid = {.kind = PCSCF_ORIG_PEER};
    r = decide(&untrusted_noid, NULL, "tel:+33140000101", false, &a);
    CHECK_INT(a, PCSCF_PAI_STRIP);

    /* P-Charging-Vector: kept only from trusted peers; sent only toward trusted ones */
    CHECK(pcscf_pcv_keep_received(&wtpf));
    CHECK(!pcscf_pcv_keep_received(&ue));
    CHECK(!pcscf_pcv_keep_received(&untrusted));
    CHECK(pcscf_pcv_send_to(true) && !pcscf_pcv_send_to(false));
    unsigned char rnd[16] = {0xab, 1};
    char *icid = pcscf_icid_new(rnd);
    CHECK_STR(icid, "ab010000000000000000000000000000");
    char *pcv = pcscf_pcv_format(icid, "127.0.10.2", "ims.lab");
    CHECK_STR(pcv, "icid-value=\"ab010000000000000000000000000000\";icid-generated-at=127.0.10.2;"
                   "orig-ioi=ims.lab");
    g_free(pcv);
    g_free(icid);

    pcscf_idset_free(pbx);
    pcscf_idset_free(phone);
}

TEST(user_data)
{
    /* the hss-stub's form: wildcard at the third Extension level */
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IMSSubscription><PrivateID>pbx@ims.lab"
        "</PrivateID><ServiceProfile><PublicIdentity><Identity>sip:+33140000000@ims.lab"
        "</Identity></PublicIdentity><PublicIdentity><BarringIndication>1</BarringIndication>"
        "<Identity>tel:+33140000000</Identity></PublicIdentity><PublicIdentity><Identity>"
        "tel:+3314000!.*!</Identity><Extension><IdentityType>4</IdentityType><Extension>"
        "<Extension><WildcardedIMPU>tel:+3314000!.*!</WildcardedIMPU></Extension></Extension>"
        "</Extension></PublicIdentity></ServiceProfile></IMSSubscription>";
    char *impi = NULL;
    const char *why = NULL;
    pcscf_idset_t *s = pcscf_user_data_parse(xml, strlen(xml), &impi, &why);
    CHECK(s != NULL);
    CHECK_STR(impi, "pbx@ims.lab");
    CHECK_INT(s->ids->len, 3);
    CHECK(((pcscf_identity_t *)s->ids->pdata[1])->barred);
    CHECK(pcscf_idset_match(s, "tel:+33140000555") != NULL);
    g_free(impi);
    pcscf_idset_free(s);

    /* the one-level form without Identity */
    const char *xml2 = "<IMSSubscription><ServiceProfile><PublicIdentity><Identity>sip:a@x"
                       "</Identity></PublicIdentity><PublicIdentity><Extension><IdentityType>4"
                       "</IdentityType><WildcardedIMPU>sip:!.*!@x</WildcardedIMPU></Extension>"
                       "</PublicIdentity></ServiceProfile></IMSSubscription>";
    s = pcscf_user_data_parse(xml2, strlen(xml2), NULL, &why);
    CHECK(s && pcscf_idset_match(s, "sip:bob@x"));
    pcscf_idset_free(s);

    CHECK(pcscf_user_data_parse("<x/>", 4, NULL, &why) == NULL);
    CHECK(pcscf_user_data_parse("<IMSSubscription>", 17, NULL, &why) == NULL);
    CHECK(pcscf_user_data_parse("<IMSSubscription/>", 18, NULL, &why) == NULL);
    CHECK_STR(why, "User-Data holds no public identity");
}

int main(void)
{
    RUN(uri_helpers);
    RUN(idset_wildcards);
    RUN(pai_rules);
    RUN(user_data);
    UNIT_END("pcscf/identity");
}
