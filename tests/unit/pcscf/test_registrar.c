/* The registrar's location service: storing bindings, lookups by identity (distinct first,
 * then wildcard ranges of a GIN registration), by source flow and by W8 peer, expiry and the
 * report of registrations that expired, removal on RTR. */
#include "pcscf/registrar.h"
#include "unit.h"

static int expired;
static char last_expired[64];

static void on_expired(const pcscf_registration_t *r, void *ud)
{
    (void)ud;
    expired++;
    g_strlcpy(last_expired, r->impu, sizeof last_expired);
}

static GPtrArray *one(const char *uri, gint64 expires, const char *ip, unsigned port, bool bnc)
{
    GPtrArray *b = g_ptr_array_new();
    g_ptr_array_add(b, pcscf_binding_new(uri, "", expires, "udp", ip, port, NULL, bnc, "c1", 1));
    return b;
}

static pcscf_idset_t *set_of(const char *const *uris)
{
    pcscf_idset_t *s = pcscf_idset_new();
    for (; *uris; uris++)
        pcscf_idset_add(s, *uris, false);
    return s;
}

TEST(store_and_lookup)
{
    rt_metrics_t *m = rt_metrics_new("pcscf_");
    pcscf_registrar_t *reg = pcscf_registrar_new(m, on_expired, NULL);
    static const char *const phone[] = {"sip:+33150000201@ims.lab", "tel:+33150000201", NULL};
    static const char *const pbx[] = {"sip:+33140000000@ims.lab", "tel:+33140000000",
                                      "tel:+3314000!.*!", NULL};
    CHECK(pcscf_registrar_store(reg, "+33150000201@ims.lab", "sip:+33150000201@IMS.lab",
                                set_of(phone), one("sip:p@127.0.0.20", 100, "127.0.0.20", 5060, 0),
                                NULL) != NULL);
    pcscf_registration_t *g =
        pcscf_registrar_store(reg, "pbx@ims.lab", "sip:+33140000000@ims.lab", set_of(pbx),
                              one("sip:127.0.0.1;bnc", 200, "127.0.0.1", 5060, 1), "wtpf");
    CHECK(g && g->gin);
    CHECK_INT(pcscf_registrar_count(reg), 2);
    CHECK_INT(rt_metrics_get(m, "registrations", NULL), 2);

    bool wild = true;
    pcscf_registration_t *r = pcscf_registrar_lookup(reg, "tel:+33150000201", &wild);
    CHECK(r && !wild && strcmp(r->impi, "+33150000201@ims.lab") == 0);
    r = pcscf_registrar_lookup(reg, "sip:+33140000101@ims.lab;user=phone", &wild);
    CHECK(r == g && wild);
    CHECK(pcscf_registrar_lookup(reg, "tel:+33160000000", NULL) == NULL);
    CHECK(pcscf_registrar_find(reg, "sip:+33150000201@ims.lab;transport=udp") != NULL);
    CHECK(pcscf_registrar_by_source(reg, "127.0.0.20", 5060, NULL) != NULL);
    CHECK(pcscf_registrar_by_source(reg, "127.0.0.20", 40000, "sip:+33150000201@ims.lab") != NULL);
    CHECK(pcscf_registrar_by_source(reg, "127.0.0.21", 5060, NULL) == NULL);
    CHECK(pcscf_registrar_by_peer(reg, "wtpf") == g);

    /* re-registration keeps the implicit set when no new one is given */
    r = pcscf_registrar_store(reg, "+33150000201@ims.lab", "sip:+33150000201@ims.lab", NULL,
                              one("sip:p@127.0.0.20", 300, "127.0.0.20", 5060, 0), NULL);
    CHECK(r && pcscf_idset_match(r->ids, "tel:+33150000201"));
    CHECK_INT(pcscf_registrar_count(reg), 2);

    /* expiry: the PBX (200) first, then the phone (300) */
    pcscf_registrar_expire(reg, 150);
    CHECK_INT(expired, 0);
    pcscf_registrar_expire(reg, 250);
    CHECK_INT(expired, 1);
    CHECK_STR(last_expired, "sip:+33140000000@ims.lab");
    CHECK(pcscf_registrar_lookup(reg, "tel:+33140000101", NULL) == NULL);
    CHECK_INT(pcscf_registrar_binding_count(reg), 1);

    /* RTR by IMPI */
    char *impus[] = {NULL};
    CHECK_INT(pcscf_registrar_remove_matching(reg, "+33150000201@ims.lab", impus), 1);
    CHECK_INT(pcscf_registrar_count(reg), 0);
    CHECK_INT(rt_metrics_get(m, "bindings", NULL), 0);

    /* an empty binding list removes */
    pcscf_registrar_store(reg, "x@ims.lab", "sip:x@ims.lab", NULL,
                          one("sip:x@127.0.0.9", 100, "127.0.0.9", 5060, 0), NULL);
    CHECK(pcscf_registrar_store(reg, "x@ims.lab", "sip:x@ims.lab", NULL, g_ptr_array_new(), NULL) ==
          NULL);
    CHECK(!pcscf_registrar_remove(reg, "sip:x@ims.lab"));
    pcscf_registrar_free(reg);
    rt_metrics_free(m);
}

int main(void)
{
    RUN(store_and_lookup);
    UNIT_END("pcscf/registrar");
}
