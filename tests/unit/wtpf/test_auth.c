/* Unit tests of the wtpf's authentication (wtpf/auth.c): password hashes, signed tokens with an
 * expiry, and the throttle of failed logins. */
#include <glib.h>

#include "unit.h"
#include "wtpf/auth.h"

TEST(password_hash_and_verify)
{
    char *h = auth_hash_password("alice-lab", NULL);
    CHECK(h != NULL);
    if (!h) return;
    CHECK(g_str_has_prefix(h, "$y$") || g_str_has_prefix(h, "$6$")); /* salted slow KDF */
    CHECK(auth_verify_password("alice-lab", h));
    CHECK(!auth_verify_password("alice-lab ", h));
    CHECK(!auth_verify_password("", h));
    char *h2 = auth_hash_password("alice-lab", NULL);
    CHECK(strcmp(h, h2) != 0); /* a new salt each time */
    CHECK(auth_verify_password("alice-lab", h2));
    g_free(h2);
    g_free(h);
    /* the lab configuration's hash (etc/lab/wtpf.conf) */
    CHECK(auth_verify_password(
        "bob-lab", "$y$j9T$QArJTsYaQKv.cFuhHgmMQ0$HvMg2sej/sofwxIngTnamHmd09OgTjjCBnOjfc.UVb6"));
    /* sha512-crypt hashes are accepted too */
    CHECK(auth_verify_password("secret",
                               "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDe"
                               "hy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"));
    CHECK(!auth_verify_password("secret", "plain"));
    CHECK(!auth_verify_password("secret", "$6$"));
    CHECK(!auth_verify_password("secret", NULL));
}

TEST(token_roundtrip_and_expiry)
{
    auth_key k;
    CHECK(
        auth_key_from_hex(&k, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
    char *t = auth_token_issue(&k, "alice", 1000);
    char *user = NULL;
    int64_t exp = 0;
    CHECK_INT(auth_token_check(&k, t, 999, &user, &exp), AUTH_TOKEN_OK);
    CHECK_STR(user, "alice");
    CHECK_INT(exp, 1000);
    g_free(user);
    CHECK_INT(auth_token_check(&k, t, 1000, &user, NULL), AUTH_TOKEN_EXPIRED);
    CHECK(user == NULL);
    /* another key: refused */
    auth_key k2 = k;
    k2.key[0] ^= 1;
    CHECK_INT(auth_token_check(&k2, t, 0, &user, NULL), AUTH_TOKEN_BAD_SIG);
    /* any change to the claims or the signature is refused */
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == '.') continue;
        char *m = g_strdup(t);
        m[i] = m[i] == 'A' ? 'B' : 'A';
        auth_token_status st = auth_token_check(&k, m, 0, &user, NULL);
        CHECK(st != AUTH_TOKEN_OK);
        g_free(user);
        user = NULL;
        g_free(m);
    }
    g_free(t);
}

TEST(token_malformed)
{
    auth_key k;
    auth_key_random(&k);
    char *user = NULL;
    const char *bad[] = {NULL, "", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", "dGVzdA.dGVzdA"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        CHECK(auth_token_check(&k, bad[i], 0, &user, NULL) != AUTH_TOKEN_OK);
        CHECK(user == NULL);
    }
    GString *big = g_string_new(NULL);
    for (int i = 0; i < 300; i++)
        g_string_append_c(big, 'A');
    CHECK_INT(auth_token_check(&k, big->str, 0, &user, NULL), AUTH_TOKEN_MALFORMED);
    g_string_free(big, TRUE);
    CHECK(!auth_key_from_hex(&k, "00"));
    CHECK(
        !auth_key_from_hex(&k, "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
}

TEST(throttle_locks_and_backs_off)
{
    auth_throttle_cfg cfg = {.max_failures = 3, .window = 60, .lockout = 10, .lockout_max = 35};
    auth_throttle *t = auth_throttle_new(&cfg);
    CHECK_INT(auth_throttle_check(t, "user:bob", 100), 0);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 100), 0);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 101), 0);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 102), 10); /* third failure: locked 10 s */
    CHECK_INT(auth_throttle_check(t, "user:bob", 105), 7);
    CHECK_INT(auth_throttle_check(t, "user:alice", 105), 0); /* others unaffected */
    CHECK_INT(auth_throttle_check(t, "user:bob", 112), 0);
    /* three more failures: the lockout doubles, up to lockout_max */
    auth_throttle_fail(t, "user:bob", 113);
    auth_throttle_fail(t, "user:bob", 113);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 113), 20);
    auth_throttle_fail(t, "user:bob", 140);
    auth_throttle_fail(t, "user:bob", 140);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 140), 35);
    /* a success forgets everything */
    auth_throttle_ok(t, "user:bob");
    CHECK_INT(auth_throttle_check(t, "user:bob", 141), 0);
    CHECK_INT(auth_throttle_fail(t, "user:bob", 141), 0);
    /* failures outside the window do not add up */
    auth_throttle_fail(t, "src:1.2.3.4", 200);
    auth_throttle_fail(t, "src:1.2.3.4", 201);
    CHECK_INT(auth_throttle_fail(t, "src:1.2.3.4", 300), 0);
    auth_throttle_free(t);
}

TEST(throttle_table_is_bounded)
{
    auth_throttle_cfg cfg = {
        .max_failures = 3, .window = 60, .lockout = 10, .lockout_max = 60, .max_entries = 100};
    auth_throttle *t = auth_throttle_new(&cfg);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        g_snprintf(key, sizeof key, "src:10.0.%d.%d", i / 256, i % 256);
        auth_throttle_fail(t, key, 1000 + i / 100);
    }
    CHECK(auth_throttle_size(t) <= 100);
    auth_throttle_free(t);
}

int main(void)
{
    RUN(password_hash_and_verify);
    RUN(token_roundtrip_and_expiry);
    RUN(token_malformed);
    RUN(throttle_locks_and_backs_off);
    RUN(throttle_table_is_bounded);
    UNIT_END("wtpf/auth");
}
