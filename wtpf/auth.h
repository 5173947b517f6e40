/* Authentication of WIC users: salted slow password hashes (crypt(3): yescrypt, or sha512-crypt
 * where yescrypt is unavailable), HMAC-SHA256 signed tokens with an expiry (GnuTLS), and the
 * throttle that slows down repeated login failures per user and per source address. Pure apart
 * from the clock the caller passes in; password checks are thread-safe (run off the loop). */
#ifndef WTPF_AUTH_H
#define WTPF_AUTH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- Passwords ---- */

/* A new crypt(3) hash of password with a random salt: yescrypt ("$y$") by default. NULL with
 * *err set if the library refuses. */
char *auth_hash_password(const char *password, GError **err);
/* Constant-time check of password against a crypt(3) hash; false for a malformed hash. */
bool auth_verify_password(const char *password, const char *hash);

/* ---- Tokens ---- */

#define AUTH_KEY_LEN 32
#define AUTH_TOKEN_MAX 256

typedef struct {
    uint8_t key[AUTH_KEY_LEN];
} auth_key;

/* Key from hex text (64 hex digits); false if malformed. */
bool auth_key_from_hex(auth_key *k, const char *hex);
void auth_key_random(auth_key *k);

typedef enum {
    AUTH_TOKEN_OK = 0,
    AUTH_TOKEN_MALFORMED, /* not a token of ours */
    AUTH_TOKEN_BAD_SIG,   /* signature does not verify */
    AUTH_TOKEN_EXPIRED,
} auth_token_status;

/* Token = base64url("v1:<user>:<expires>:<nonce>") "." base64url(HMAC-SHA256). */
char *auth_token_issue(const auth_key *k, const char *user, int64_t expires);
/* Checks signature and expiry against now; on OK, *user (g_malloc'd) and *expires are set. */
auth_token_status auth_token_check(const auth_key *k, const char *token, int64_t now, char **user,
                                   int64_t *expires);
const char *auth_token_status_name(auth_token_status s);

/* ---- Throttle of failed logins ---- */

typedef struct {
    unsigned max_failures; /* failures within window before a lockout */
    unsigned window;       /* seconds */
    unsigned lockout;      /* first lockout, seconds; doubles for each further one */
    unsigned lockout_max;  /* seconds */
    unsigned max_entries;  /* bound on the table: the oldest idle entries go first */
} auth_throttle_cfg;

typedef struct auth_throttle auth_throttle;

auth_throttle *auth_throttle_new(const auth_throttle_cfg *cfg);
void auth_throttle_free(auth_throttle *t);
/* Seconds the key remains locked out (0: may try now). Keys are "user:<name>", "src:<addr>". */
unsigned auth_throttle_check(auth_throttle *t, const char *key, int64_t now);
/* Records a failure; returns the lockout it starts (0 when none). */
unsigned auth_throttle_fail(auth_throttle *t, const char *key, int64_t now);
/* A success forgets the key's failures. */
void auth_throttle_ok(auth_throttle *t, const char *key);
unsigned auth_throttle_size(const auth_throttle *t);

#endif
