/* Parse once: every text function of sdp_rewrite.h and its _info twin (the same SDP classified
 * beforehand) give the same bytes or the same error, on browser, phone and AGW fixtures. */
#include "unit.h"
#include "sip/sdp_rewrite.h"
#include "sdp_fixtures.h"

#include <stdlib.h>
#include <string.h>

#define LEN(s) (s), strlen(s)

static sdpx_info parse(const char *s, unsigned flags)
{
    sdpx_info in;
    sdpx_status st = sdpx_classify(s, strlen(s), flags, &in);
    CHECK_INT(st, SDPX_OK);
    return in;
}

/* Same status, and same bytes on success. */
static void same(sdpx_status st1, char *o1, sdpx_status st2, char **po2)
{
    char *o2 = *po2; /* read after the call that filled it (argument order is unspecified) */
    CHECK_INT(st1, st2);
    if (st1 == SDPX_OK) CHECK_STR(o1, o2);
    else CHECK(!o1 && !o2);
    free(o1);
    free(o2);
}

static const char *const SOURCES[] = {FX_CHROMIUM_OFFER, FX_CHROME_AV_OFFER, FX_FIREFOX_OFFER,
                                      FX_PHONE_OFFER, FX_PHONE_OFFER_PT77, FX_PHONE_ANSWER,
                                      FX_CHROME_ANSWER};

TEST(iq_descriptors)
{
    sdpx_iq_params ps[] = {{.setup = SDPX_SETUP_NONE}, {.setup = SDPX_SETUP_PASSIVE, .full_ice = true, .ipv6 = true},
                           {.filter = {.allow_opus = true}}};
    for (size_t i = 0; i < sizeof SOURCES / sizeof *SOURCES; i++) {
        sdpx_info in = parse(SOURCES[i], 0);
        for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
            char *a = NULL, *b = NULL;
            sdpx_status s1 = sdpx_iq_w3_local(LEN(SOURCES[i]), &ps[k], &a);
            same(s1, a, sdpx_iq_w3_local_info(&in, &ps[k], &b), &b);
            s1 = sdpx_iq_rtp_local(LEN(SOURCES[i]), &ps[k], &a);
            same(s1, a, sdpx_iq_rtp_local_info(&in, &ps[k], &b), &b);
        }
        char *a = NULL, *b = NULL;
        sdpx_status s1 = sdpx_iq_w3_remote(LEN(SOURCES[i]), NULL, &a);
        same(s1, a, sdpx_iq_w3_remote_info(&in, NULL, &b), &b);
        s1 = sdpx_iq_rtp_remote(LEN(SOURCES[i]), NULL, &a);
        same(s1, a, sdpx_iq_rtp_remote_info(&in, NULL, &b), &b);
        sdpx_info_clear(&in);
    }
}

TEST(rewrites)
{
    sdpx_ims_params ip = {.addr = "127.0.10.5", .port = 30000, .o_version_add = 1};
    sdpx_wic_params wp = {.o_version_add = 2, .msid = "s t"};
    for (size_t i = 0; i < sizeof SOURCES / sizeof *SOURCES; i++) {
        sdpx_info src = parse(SOURCES[i], 0);
        char *a = NULL, *b = NULL;
        sdpx_status s1 = sdpx_to_ims_offer(LEN(SOURCES[i]), &ip, &a);
        same(s1, a, sdpx_to_ims_offer_info(&src, &ip, &b), &b);
        /* as an answer to the phone's offer */
        sdpx_info off = parse(FX_PHONE_OFFER, 0);
        s1 = sdpx_to_ims_answer(LEN(SOURCES[i]), LEN(FX_PHONE_OFFER), &ip, &a);
        same(s1, a, sdpx_to_ims_answer_info(&src, &off, &ip, &b), &b);
        /* toward a WIC with either AGW Local, and as the answer to each browser offer */
        const char *locals[] = {FX_AGW_LOCAL_OFFER, FX_AGW_LOCAL_ANSWER};
        for (size_t l = 0; l < 2; l++) {
            sdpx_info agw = parse(locals[l], SDPX_F_TEMPLATE);
            s1 = sdpx_to_wic_offer(LEN(SOURCES[i]), LEN(locals[l]), &wp, &a);
            same(s1, a, sdpx_to_wic_offer_info(&src, &agw, &wp, &b), &b);
            for (size_t w = 0; w < 3; w++) {
                sdpx_info wo = parse(SOURCES[w], 0);
                s1 = sdpx_to_wic_answer(LEN(SOURCES[i]), LEN(locals[l]), LEN(SOURCES[w]), &wp, &a);
                same(s1, a, sdpx_to_wic_answer_info(&src, &agw, &wo, &wp, &b), &b);
                sdpx_info_clear(&wo);
            }
            sdpx_info_clear(&agw);
        }
        sdpx_info_clear(&off);
        sdpx_info_clear(&src);
    }
}

TEST(bad_arguments)
{
    char *out = (char *)"x";
    sdpx_iq_params p = {0};
    CHECK_INT(sdpx_iq_w3_local_info(NULL, &p, &out), SDPX_E_INVAL);
    CHECK(out == NULL);
    CHECK_INT(sdpx_iq_rtp_remote_info(NULL, NULL, &out), SDPX_E_INVAL);
    sdpx_ims_params ip = {.addr = "127.0.10.5", .port = 30000};
    CHECK_INT(sdpx_to_ims_offer_info(NULL, &ip, &out), SDPX_E_INVAL);
    sdpx_wic_params wp = {0};
    CHECK_INT(sdpx_to_wic_offer_info(NULL, NULL, &wp, &out), SDPX_E_INVAL);
}

int main(void)
{
    RUN(iq_descriptors);
    RUN(rewrites);
    RUN(bad_arguments);
    UNIT_END("test_sdp_info_twins");
}
