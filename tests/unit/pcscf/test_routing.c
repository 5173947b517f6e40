/* Routing decisions of the pcscf: lookup identities, LIA results, GIN and static Request-URIs. */
#include "pcscf/routing.h"
#include "unit.h"

TEST(lookup_identity)
{
    char *s = pcscf_lookup_identity("sip:+33150000202@ims.lab;user=phone");
    CHECK_STR(s, "tel:+33150000202");
    g_free(s);
    s = pcscf_lookup_identity("tel:+33-140000101");
    CHECK_STR(s, "tel:+33140000101");
    g_free(s);
    s = pcscf_lookup_identity("sip:Alice@IMS.lab:5060;transport=tcp");
    CHECK_STR(s, "sip:Alice@ims.lab");
    g_free(s);
    CHECK(pcscf_lookup_identity("http://x") == NULL);
}

TEST(local_hosts)
{
    const char *names[] = {"ims.lab", "127.0.10.2", "::1", NULL};
    CHECK(pcscf_host_is_local("IMS.LAB", names));
    CHECK(pcscf_host_is_local("127.0.10.2", names));
    CHECK(pcscf_host_is_local("[::1]", names));
    CHECK(!pcscf_host_is_local("127.0.10.20", names));
    CHECK(!pcscf_host_is_local(NULL, names));
}

TEST(lia_actions)
{
    CHECK_INT(pcscf_lia_action(false, 2001), PCSCF_TERM_REGISTRAR);
    CHECK_INT(pcscf_lia_action(true, 2003), PCSCF_TERM_UNREGISTERED);
    CHECK_INT(pcscf_lia_action(true, 5003), PCSCF_TERM_UNREGISTERED);
    CHECK_INT(pcscf_lia_action(true, 5001), PCSCF_TERM_UNKNOWN);
    /* Result-Code 5001 is AVP_UNSUPPORTED, not USER_UNKNOWN (SPECS.md §5.2) */
    CHECK_INT(pcscf_lia_action(false, 5001), PCSCF_TERM_HSS_ERROR);
    CHECK_INT(pcscf_lia_action(false, 3002), PCSCF_TERM_HSS_ERROR);
}

TEST(gin_request_uri)
{
    char *r = pcscf_gin_request_uri("sip:127.0.10.1:5060;transport=tcp;bnc", "tel:+33140000101");
    CHECK_STR(r, "sip:+33140000101@127.0.10.1:5060;transport=tcp;user=phone");
    g_free(r);
    r = pcscf_gin_request_uri("sip:pbx.example.com;bnc;user=ip",
                              "sip:+33140000102@ims.lab;user=phone");
    CHECK_STR(r, "sip:+33140000102@pbx.example.com;user=phone");
    g_free(r);
    r = pcscf_gin_request_uri("sips:[2001:db8::1]:5061;BNC", "tel:+1-555-0100");
    CHECK_STR(r, "sips:+15550100@[2001:db8::1]:5061;user=phone");
    g_free(r);
    CHECK(pcscf_gin_request_uri("sip:127.0.10.1;bnc", "sip:alice@ims.lab") == NULL);
    CHECK(pcscf_gin_request_uri("tel:+1;bnc", "tel:+1") == NULL);
}

TEST(static_request_uri)
{
    char *r = pcscf_static_request_uri("tel:+33140000101", "127.0.10.1", 5060, "udp");
    CHECK_STR(r, "sip:+33140000101@127.0.10.1:5060;user=phone");
    g_free(r);
    r = pcscf_static_request_uri("sip:+33140000101@ims.lab", "127.0.10.1", 5070, "tcp");
    CHECK_STR(r, "sip:+33140000101@127.0.10.1:5070;user=phone;transport=tcp");
    g_free(r);
    r = pcscf_static_request_uri("sip:conf@ims.lab", "::1", 5061, "tls");
    CHECK_STR(r, "sips:conf@[::1]:5061");
    g_free(r);
}

TEST(uri_params)
{
    char *r = pcscf_uri_remove_param("sip:a@b;lr;transport=tcp;LR=1?h=1", "lr");
    CHECK_STR(r, "sip:a@b;transport=tcp?h=1");
    g_free(r);
    CHECK(pcscf_uri_has_param("sip:a@b;bnc", "bnc"));
    CHECK(pcscf_uri_has_param("sip:a@b;x=1;BNC", "bnc"));
    CHECK(!pcscf_uri_has_param("sip:a@b;bncx", "bnc"));
    CHECK(!pcscf_uri_has_param("sip:a@b?bnc", "bnc"));
}

int main(void)
{
    RUN(lookup_identity);
    RUN(local_hosts);
    RUN(lia_actions);
    RUN(gin_request_uri);
    RUN(static_request_uri);
    RUN(uri_params);
    UNIT_END("pcscf/routing");
}
