/* Minimal unit-test harness: TEST() functions, CHECK*() assertions, one summary line per binary.
 * Each binary prints "ok"/"FAIL" per test and ends with "<name>: N passed, N failed". */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int unit_failed_checks;
static int unit_passed, unit_failed;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);           \
            unit_failed_checks++;                                                                \
        }                                                                                        \
    } while (0)
#define CHECK_INT(a, b)                                                                          \
    do {                                                                                         \
        long long _a = (long long)(a), _b = (long long)(b);                                      \
        if (_a != _b) {                                                                          \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,    \
                    #a, _a, #b, _b);                                                             \
            unit_failed_checks++;                                                                \
        }                                                                                        \
    } while (0)
#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *_a = (a), *_b = (b);                                                         \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                 \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,  \
                    _a ? _a : "(null)", _b ? _b : "(null)");                                     \
            unit_failed_checks++;                                                                \
        }                                                                                        \
    } while (0)
#define CHECK_MEM(a, b, n)                                                                       \
    do {                                                                                         \
        if (memcmp((a), (b), (n)) != 0) {                                                        \
            fprintf(stderr, "  %s:%d: %s and %s differ in %zu bytes\n", __FILE__, __LINE__, #a,  \
                    #b, (size_t)(n));                                                            \
            unit_failed_checks++;                                                                \
        }                                                                                        \
    } while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                                                \
    do {                                                                                         \
        int _before = unit_failed_checks;                                                        \
        name();                                                                                  \
        if (unit_failed_checks == _before) {                                                     \
            unit_passed++;                                                                       \
            printf("ok   %s\n", #name);                                                          \
        } else {                                                                                 \
            unit_failed++;                                                                       \
            printf("FAIL %s\n", #name);                                                          \
        }                                                                                        \
    } while (0)
#define UNIT_END(suite)                                                                          \
    do {                                                                                         \
        printf("%s: %d passed, %d failed\n", (suite), unit_passed, unit_failed);                 \
        return unit_failed ? 1 : 0;                                                              \
    } while (0)

/* Hex helper for byte vectors: "01 00 00 14" -> bytes; returns length. */
static inline size_t unit_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    while (*hex && n < cap) {
        while (*hex == ' ' || *hex == '\n' || *hex == '\t') hex++;
        if (!hex[0] || !hex[1]) break;
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) break;
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}
#endif
