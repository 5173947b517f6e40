/* SIP Digest of the pcscf registrar: RFC 2617 §3.5 vector, RFC 2069 mode, parameter parsing,
 * and the nonce store's freshness, replay and wrong-password rules. */
#include "pcscf/auth.h"
#include "unit.h"

static const unsigned char R1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const unsigned char R2[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

TEST(rfc2617_example)
{
    /* RFC 2617 §3.5: Mufasa / "Circle Of Life" at testrealm@host.com. */
    char ha1[33], resp[33];
    pcscf_digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
    CHECK_STR(ha1, "939e7578ed9e3c518a452acee763bce9");
    CHECK(pcscf_digest_response(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
                                "auth", "GET", "/dir/index.html", resp));
    CHECK_STR(resp, "6629fae49393a05397450978507c4ef1");
}

TEST(rfc2069_without_qop)
{
    /* RFC 2069 §2.4 example computed without qop: MD5(HA1:nonce:HA2). */
    char ha1[33], resp[33];
    pcscf_digest_ha1("Mufasa", "testrealm@host.com", "CircleOfLife", ha1);
    CHECK(pcscf_digest_response(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL, "GET",
                                "/dir/index.html", resp));
    CHECK_STR(resp, "1949323746fe6a43ef61f9606e7febea");
    CHECK(!pcscf_digest_response(ha1, "n", "00000001", "c", "auth-int", "GET", "/", resp));
}

TEST(lab_ha1_matches_hss)
{
    /* The HSS stores MD5(impi:realm:password); the lab's phone 201. */
    char ha1[33], expect[33];
    pcscf_digest_ha1("+33150000201@ims.lab", "ims.lab", "phone201-lab", ha1);
    pcscf_md5_hex("+33150000201@ims.lab:ims.lab:phone201-lab", expect);
    CHECK_STR(ha1, expect);
}

TEST(parse_params)
{
    const char *params[] = {"username=\"pbx@ims.lab\"",
                            "realm=\"ims.lab\"",
                            "nonce=\"abc+/=\"",
                            "uri=\"sip:ims.lab\"",
                            "response=\"0123456789abcdef0123456789abcdef\"",
                            "algorithm=MD5",
                            "cnonce=\"xyz\"",
                            "qop=auth",
                            "nc=00000001",
                            NULL};
    pcscf_digest_creds c;
    CHECK(pcscf_digest_parse(params, &c));
    CHECK_STR(c.username, "pbx@ims.lab");
    CHECK_STR(c.nonce, "abc+/=");
    CHECK_STR(c.qop, "auth");
    CHECK_STR(c.nc, "00000001");
    CHECK_STR(c.algorithm, "MD5");
    pcscf_digest_creds_clear(&c);
    const char *missing[] = {"username=\"a\"", "realm=\"r\"", "nonce=\"\"", NULL};
    CHECK(!pcscf_digest_parse(missing, &c));
    pcscf_digest_creds_clear(&c);
}

static void make_creds(pcscf_digest_creds *c, const char *nonce, const char *password,
                       const char *nc)
{
    char ha1[33], resp[33];
    pcscf_digest_ha1("+33150000201@ims.lab", "ims.lab", password, ha1);
    pcscf_digest_response(ha1, nonce, nc, "cn0", "auth", "REGISTER", "sip:ims.lab", resp);
    memset(c, 0, sizeof *c);
    c->username = g_strdup("+33150000201@ims.lab");
    c->realm = g_strdup("ims.lab");
    c->nonce = g_strdup(nonce);
    c->uri = g_strdup("sip:ims.lab");
    c->response = g_strdup(resp);
    c->cnonce = g_strdup("cn0");
    c->qop = g_strdup("auth");
    c->nc = g_strdup(nc);
}

TEST(nonce_store)
{
    char ha1[33];
    pcscf_digest_ha1("+33150000201@ims.lab", "ims.lab", "phone201-lab", ha1);
    pcscf_nonces_t *s = pcscf_nonces_new(300);
    char *n1 = g_strdup(pcscf_nonce_issue(s, "+33150000201@ims.lab", "ims.lab", ha1, R1, 1000));
    char *n2 = g_strdup(pcscf_nonce_issue(s, "+33150000201@ims.lab", "ims.lab", ha1, R2, 1000));
    CHECK(strcmp(n1, n2) != 0); /* fresh per challenge */

    pcscf_digest_creds c;
    make_creds(&c, n1, "phone201-lab", "00000001");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1001), PCSCF_AUTH_OK);
    /* same nonce count again: replay */
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1002), PCSCF_AUTH_REPLAY);
    pcscf_digest_creds_clear(&c);
    /* re-registration with the next count */
    make_creds(&c, n1, "phone201-lab", "00000002");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1100), PCSCF_AUTH_OK);
    pcscf_digest_creds_clear(&c);
    /* expired */
    make_creds(&c, n1, "phone201-lab", "00000003");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1301), PCSCF_AUTH_UNKNOWN_NONCE);
    pcscf_digest_creds_clear(&c);
    /* wrong password withdraws the nonce */
    make_creds(&c, n2, "wrong", "00000001");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1001), PCSCF_AUTH_BAD_RESPONSE);
    pcscf_digest_creds_clear(&c);
    make_creds(&c, n2, "phone201-lab", "00000002");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1001), PCSCF_AUTH_UNKNOWN_NONCE);
    pcscf_digest_creds_clear(&c);
    /* a nonce we never issued */
    make_creds(&c, "forged", "phone201-lab", "00000001");
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1001), PCSCF_AUTH_UNKNOWN_NONCE);
    /* other user */
    g_free(c.nonce);
    c.nonce = g_strdup(pcscf_nonce_issue(s, "pbx@ims.lab", "ims.lab", ha1, R2, 1000));
    CHECK_INT(pcscf_nonce_verify(s, &c, "REGISTER", 1001), PCSCF_AUTH_BAD_USER);
    pcscf_digest_creds_clear(&c);
    CHECK_INT(pcscf_nonces_expire(s, 5000), 0);
    pcscf_nonces_free(s);
    g_free(n1);
    g_free(n2);
}

int main(void)
{
    RUN(rfc2617_example);
    RUN(rfc2069_without_qop);
    RUN(lab_ha1_matches_hss);
    RUN(parse_params);
    RUN(nonce_store);
    UNIT_END("pcscf/auth");
}
