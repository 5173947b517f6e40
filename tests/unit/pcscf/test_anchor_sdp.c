/* Parse once (pcscf/anchor_sdp.c): each text is classified once, by content; a strict success
 * answers a lenient look-up; failures are remembered too; the least recently used entry goes
 * first and what the caller holds is never evicted. */
#include "pcscf/anchor_sdp.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

static const char *PHONE = "v=0\r\n"
                           "o=- 1 2 IN IP4 10.0.0.9\r\n"
                           "s=-\r\n"
                           "c=IN IP4 10.0.0.9\r\n"
                           "t=0 0\r\n"
                           "m=audio 4000 RTP/AVP 0\r\n"
                           "a=sendonly\r\n";

static const char *NO_ORIGIN = "v=0\r\n"
                               "c=IN IP4 10.0.0.2\r\n"
                               "m=audio 50000 RTP/AVP 8\r\n";

static const char *TEMPLATE = "v=0\r\n"
                              "c=IN IP4 $\r\n"
                              "m=audio $ RTP/AVP 0\r\n";

TEST(parsed_once_by_content)
{
    anchor_sdps *c = anchor_sdps_new();
    sdpx_status st = SDPX_E_INVAL;
    const sdpx_info *a = anchor_sdps_get(c, PHONE, 0, &st);
    CHECK(a != NULL);
    CHECK_INT(st, SDPX_OK);
    CHECK_INT(a->dir, SDPX_DIR_SENDONLY);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", PHONE);
    CHECK(anchor_sdps_get(c, copy, 0, NULL) == a); /* another pointer, same text */
    CHECK(anchor_sdps_get(c, PHONE, SDPX_F_LENIENT, NULL) == a);
    CHECK_INT(anchor_sdps_parsed(c), 1);
    /* a lenient entry does not answer a strict look-up */
    CHECK(anchor_sdps_get(c, NO_ORIGIN, SDPX_F_LENIENT, NULL) != NULL);
    CHECK(anchor_sdps_get(c, NO_ORIGIN, 0, &st) == NULL);
    CHECK_INT(st, SDPX_E_SYNTAX);
    CHECK(anchor_sdps_get(c, NO_ORIGIN, 0, &st) == NULL); /* the failure is remembered */
    CHECK_INT(st, SDPX_E_SYNTAX);
    CHECK_INT(anchor_sdps_parsed(c), 3);
    /* templates are their own entries */
    const sdpx_info *t = anchor_sdps_get(c, TEMPLATE, SDPX_F_TEMPLATE, NULL);
    CHECK(t != NULL && t->port_choose);
    CHECK(anchor_sdps_get(c, TEMPLATE, SDPX_F_LENIENT, &st) == NULL);
    CHECK(anchor_sdps_get(c, NULL, 0, &st) == NULL);
    CHECK_INT(st, SDPX_E_INVAL);
    anchor_sdps_free(c);
    anchor_sdps_free(NULL);
}

TEST(least_recently_used_goes)
{
    anchor_sdps *c = anchor_sdps_new();
    char texts[ANCHOR_SDPS_SLOTS + 1][128];
    const sdpx_info *held = NULL;
    for (int i = 0; i <= ANCHOR_SDPS_SLOTS; i++) {
        snprintf(texts[i], sizeof texts[i], "v=0\r\nc=IN IP4 10.0.0.%d\r\nm=audio %d RTP/AVP 0\r\n",
                 i + 1, 4000 + i);
        const sdpx_info *in = anchor_sdps_get(c, texts[i], SDPX_F_LENIENT, NULL);
        CHECK(in != NULL);
        if (i == 0) held = in;
        /* the first one stays in use: the second one is the oldest when the cache is full */
        CHECK(anchor_sdps_get(c, texts[0], SDPX_F_LENIENT, NULL) == held);
    }
    CHECK_INT(anchor_sdps_parsed(c), ANCHOR_SDPS_SLOTS + 1);
    CHECK_INT(held->port, 4000);
    CHECK(anchor_sdps_get(c, texts[ANCHOR_SDPS_SLOTS], SDPX_F_LENIENT, NULL) != NULL);
    CHECK_INT(anchor_sdps_parsed(c), ANCHOR_SDPS_SLOTS + 1);
    const sdpx_info *again = anchor_sdps_get(c, texts[1], SDPX_F_LENIENT, NULL); /* was evicted */
    CHECK(again != NULL && again->port == 4001);
    CHECK_INT(anchor_sdps_parsed(c), ANCHOR_SDPS_SLOTS + 2);
    anchor_sdps_free(c);
}

int main(void)
{
    RUN(parsed_once_by_content);
    RUN(least_recently_used_goes);
    UNIT_END("test_anchor_sdp");
}
