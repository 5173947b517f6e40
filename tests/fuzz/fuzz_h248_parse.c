/* libFuzzer target for the H.248 text codec: parse arbitrary bytes; whatever parses must print
 * (in every token/layout form), parse back to an equal model, and print identically again. */
#include "h248/codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_form(const h248_message *m, bool short_tokens, bool compact)
{
    h248_print_opts o = {.short_tokens = short_tokens, .compact = compact};
    size_t n1 = 0, n2 = 0;
    char *s1 = h248_print_str(m, &o, &n1);
    if (!s1) abort(); /* a parsed model must always be printable */
    h248_parse_error err;
    h248_message *m2 = h248_parse(s1, n1, NULL, &err);
    if (!m2) abort(); /* our own output must parse */
    if (!h248_message_equal(m, m2)) abort();
    char *s2 = h248_print_str(m2, &o, &n2);
    if (!s2 || n1 != n2 || memcmp(s1, s2, n1) != 0) abort();
    g_free(s1);
    g_free(s2);
    h248_message_free(m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    h248_parse_error err;
    h248_message *m = h248_parse((const char *)data, size, NULL, &err);
    if (!m) {
        if (err.offset > size || err.code < 400 || err.code > 501) abort();
        return 0;
    }
    check_form(m, false, false);
    check_form(m, true, true);
    check_form(m, true, false);
    h248_message_free(m);
    return 0;
}
