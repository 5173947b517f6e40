/* RFC 6455 §4.2 server handshake: request header checks and the Sec-WebSocket-Accept value. */
#include "ws/handshake.h"

#include <stdbool.h>
#include <string.h>
#include <glib.h>

void ws_accept_compute(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    guint8 digest[20];
    gsize dlen = sizeof(digest);
    GChecksum *sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sha1, (const guchar *)key, (gssize)strlen(key));
    g_checksum_update(sha1, (const guchar *)WS_GUID, (gssize)strlen(WS_GUID));
    g_checksum_get_digest(sha1, digest, &dlen);
    g_checksum_free(sha1);
    gchar *b64 = g_base64_encode(digest, dlen);
    g_strlcpy(out, b64, WS_ACCEPT_LEN + 1);
    g_free(b64);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The value without leading and trailing whitespace (RFC 9110 §5.5: OWS around field values). */
static void trimmed(const char *v, const char **start, size_t *len)
{
    if (!v) v = "";
    while (is_ows(*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && is_ows(v[n - 1]))
        n--;
    *start = v;
    *len = n;
}

/* RFC 9110 §5.6.1: a comma-separated list; true when one element equals token (case-insensitive).
 */
static bool list_has_token(const char *value, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = value ? value : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && is_ows(*p)) {
            p++;
            n--;
        }
        while (n > 0 && is_ows(p[n - 1]))
            n--;
        if (n == tlen && g_ascii_strncasecmp(p, token, tlen) == 0) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

static bool is_b64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/* RFC 6455 §4.1: the key is a base64-encoded 16-byte value: 22 characters then "==". */
static bool key_valid(const char *k, size_t n)
{
    if (n != WS_KEY_LEN || k[22] != '=' || k[23] != '=') return false;
    for (size_t i = 0; i < 22; i++)
        if (!is_b64_char(k[i])) return false;
    return true;
}

static int answer(ws_handshake *hs, int status, const char *reason)
{
    hs->status = status;
    hs->reason = reason;
    return status;
}

int ws_handshake_check(const ws_http_header *headers, size_t n, ws_handshake *hs)
{
    memset(hs, 0, sizeof(*hs));
    bool host = false, upgrade = false, connection = false;
    int keys = 0, versions = 0;
    const char *key = NULL, *version = NULL;
    size_t key_len = 0, version_len = 0;

    for (size_t i = 0; i < n; i++) {
        const char *name = headers[i].name ? headers[i].name : "";
        const char *value = headers[i].value;
        if (g_ascii_strcasecmp(name, "Host") == 0) {
            host = true;
        } else if (g_ascii_strcasecmp(name, "Upgrade") == 0) {
            upgrade = upgrade || list_has_token(value, "websocket");
        } else if (g_ascii_strcasecmp(name, "Connection") == 0) {
            connection = connection || list_has_token(value, "Upgrade");
        } else if (g_ascii_strcasecmp(name, "Sec-WebSocket-Key") == 0) {
            keys++;
            trimmed(value, &key, &key_len);
        } else if (g_ascii_strcasecmp(name, "Sec-WebSocket-Version") == 0) {
            versions++;
            trimmed(value, &version, &version_len);
        }
    }
    /* RFC 6455 §4.2.1 item 2: a Host header field. */
    if (!host) return answer(hs, 400, "missing Host header");
    /* RFC 6455 §4.2.1 items 3-4; a plain HTTP request to a WebSocket-only resource is told to
     * upgrade (RFC 9110 §15.5.22). */
    if (!upgrade) return answer(hs, 426, "Upgrade header does not list websocket");
    if (!connection) return answer(hs, 426, "Connection header does not list Upgrade");
    /* RFC 6455 §4.2.1 item 5, §11.3.1: exactly one Sec-WebSocket-Key. */
    if (keys == 0) return answer(hs, 400, "missing Sec-WebSocket-Key");
    if (keys > 1) return answer(hs, 400, "repeated Sec-WebSocket-Key");
    if (!key_valid(key, key_len))
        return answer(hs, 400, "Sec-WebSocket-Key is not base64 of 16 bytes");
    /* RFC 6455 §4.2.1 item 6, §11.3.5: exactly one Sec-WebSocket-Version; §4.4: a version we do
     * not speak gets 426 and the versions we do. */
    if (versions == 0) return answer(hs, 400, "missing Sec-WebSocket-Version");
    if (versions > 1) return answer(hs, 400, "repeated Sec-WebSocket-Version");
    if (version_len != strlen(WS_VERSION) || memcmp(version, WS_VERSION, version_len) != 0)
        return answer(hs, 426, "unsupported Sec-WebSocket-Version");

    memcpy(hs->key, key, WS_KEY_LEN);
    hs->key[WS_KEY_LEN] = '\0';
    ws_accept_compute(hs->key, hs->accept);
    return answer(hs, 101, "upgrade");
}
