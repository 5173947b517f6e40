/* Prints the H.248 test messages as our codec encodes them, separated by lines "---": every
 * vector of tests/unit/h248/h248_vectors.h re-encoded in long/pretty and short/compact form,
 * then the builders' messages. Feeds tests/component/test_h248_tshark.py and the fuzz corpus.
 * Usage: h248_vectors [--raw] [--all]
 *   --raw: the vectors' input bytes, unchanged (fuzz seed corpus)
 *   --all: include the vectors tshark 4.0 cannot dissect (parameter relations, value lists) */
#include "h248/codec.h"
#include "tests/unit/h248/h248_vectors.h"

#include <stdio.h>
#include <string.h>

static int emit(const h248_message *m, bool short_tokens, bool compact)
{
    h248_print_opts o = {.short_tokens = short_tokens, .compact = compact};
    char *s = h248_print_str(m, &o, NULL);
    if (!s) return 1;
    printf("%s---\n", s);
    g_free(s);
    return 0;
}

static int emit_built(h248_message *m)
{
    int rc = emit(m, false, false);
    h248_message_free(m);
    return rc;
}

static int builders(void)
{
    const char *mg = "[127.0.10.3]:2944", *mgc = "[127.0.10.2]:2944";
    int rc = 0;
    rc |= emit_built(h248_build_service_change(3, mg, 1, "ROOT", H248_SCM_RESTART, "901 Cold Boot",
                                               3, "lab_iq/1"));
    rc |= emit_built(h248_build_service_change_reply(3, mgc, 1, "ROOT", 3, "lab_iq/1"));

    h248_message *m = NULL;
    h248_action *a = h248_build_reply(&m, 3, mg, 1001, h248_ctx_num(17));
    h248_build_command_reply(a, H248_CMD_ADD, "ip/access/1", 1,
                             "v=0\r\nc=IN IP4 127.0.10.3\r\nm=audio 40000 UDP/TLS/RTP/SAVPF 0\r\n"
                             "a=ice-ufrag:aG7k\r\na=setup:active\r\n");
    h248_build_command_reply(a, H248_CMD_ADD, "ip/core/2", 1,
                             "v=0\nc=IN IP4 127.0.10.3\nm=audio 50000 RTP/AVP 0 101\n");
    rc |= emit_built(m);

    m = NULL;
    a = h248_build_reply(&m, 3, mg, 1003, h248_ctx_num(17));
    const char *names[] = {"rtp/ps", "rtp/pr"}, *values[] = {"1500", "1498"};
    h248_build_subtract_reply(a, "ip/access/1", names, values, 2);
    rc |= emit_built(m);

    rc |= emit_built(
        h248_build_error_reply(3, mg, 1004, 411, "The transaction refers to an unknown ContextId"));
    rc |= emit_built(h248_build_message_error(3, mg, 400, "Syntax error in message"));

    m = NULL;
    h248_event *e = h248_build_notify(&m, 3, mg, 20, h248_ctx_num(17), "ip/access/1", 7,
                                      "20251124T10153000", "hangterm/thb");
    (void)e;
    rc |= emit_built(m);
    rc |= emit_built(h248_build_pending(3, mg, 1001));
    return rc;
}

int main(int argc, char **argv)
{
    bool raw = false, all = false;
    for (int i = 1; i < argc; i++) {
        raw |= strcmp(argv[i], "--raw") == 0;
        all |= strcmp(argv[i], "--all") == 0;
    }
    int rc = 0;
    for (size_t i = 0; i < H248_N_TEST_VECTORS; i++) {
        const h248_test_vector *v = &h248_test_vectors[i];
        if (!v->wireshark && !all) continue;
        if (raw) {
            printf("%s---\n", v->text);
            continue;
        }
        h248_parse_error err;
        h248_message *m = h248_parse(v->text, strlen(v->text), NULL, &err);
        if (!m) {
            fprintf(stderr, "%s: %u at %u:%u: %s\n", v->name, err.code, err.line, err.column,
                    err.text);
            rc = 1;
            continue;
        }
        rc |= emit(m, false, false);
        rc |= emit(m, true, true);
        h248_message_free(m);
    }
    if (!raw) rc |= builders();
    return rc;
}
