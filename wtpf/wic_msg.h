/* WIC API messages (DESIGN.md "WIC API"): the JSON objects exchanged over the WebSocket between a
 * browser client and the wtpf. Pure codec on json-glib: text in, a struct out with a precise
 * error, and a builder for every message type, both directions. */
#ifndef WIC_MSG_H
#define WIC_MSG_H

#include <stddef.h>

/* Bounds on what a peer may send; builders refuse to produce anything outside them. */
#define WIC_ID_MAX 64      /* call id: 1..64 visible ASCII characters */
#define WIC_TO_MAX 128     /* called party: 1..128 visible ASCII characters */
#define WIC_FROM_MAX 256   /* calling party: 1..256 bytes, no control characters */
#define WIC_USER_MAX 64    /* ready.user: visible ASCII */
#define WIC_URI_MAX 256    /* ready.uri: visible ASCII */
#define WIC_SDP_MAX 65536  /* SDP: 1 byte to 64 KiB */
#define WIC_DIGITS_MAX 32  /* dtmf.digits: 1..32 of 0-9 * # A-D */
#define WIC_REASON_MAX 256 /* ended/error reason: 0..256 bytes, no control characters */
#define WIC_TEXT_MAX 98304 /* a whole message: a 64 KiB SDP once JSON-escaped, plus the rest */
#define WIC_DEPTH_MAX 16   /* nesting of arrays/objects (unknown members may nest) */

typedef enum {
    /* client -> wtpf */
    WIC_MSG_CALL,
    WIC_MSG_ANSWER,
    WIC_MSG_REJECT,
    WIC_MSG_HANGUP,
    WIC_MSG_DTMF,
    /* wtpf -> client */
    WIC_MSG_READY,
    WIC_MSG_INCOMING,
    WIC_MSG_PROGRESS,
    WIC_MSG_ANSWERED,
    WIC_MSG_ENDED,
    WIC_MSG_ERROR,
    WIC_MSG_COUNT
} wic_msg_type;

/* Who sent the text being parsed: the types of the other direction are unknown types. */
typedef enum {
    WIC_FROM_CLIENT,
    WIC_FROM_SERVER,
} wic_dir;

/* A decoded message; the members its type does not carry are NULL / 0. Strings are g_malloc'd
 * and NUL-terminated; wic_msg_clear frees them. */
typedef struct {
    wic_msg_type type;
    char *id;     /* all but ready; optional in error */
    char *to;     /* call */
    char *sdp;    /* call, answer, incoming, answered */
    char *digits; /* dtmf */
    char *user;   /* ready */
    char *uri;    /* ready */
    char *from;   /* incoming */
    char *reason; /* ended, error */
    int code;     /* progress (101-199), ended and error (100-699) */
} wic_msg;

typedef enum {
    WIC_OK = 0,
    WIC_ERR_TOO_BIG,       /* the text is longer than WIC_TEXT_MAX */
    WIC_ERR_JSON,          /* not a JSON text: syntax, not UTF-8, too deep, U+0000 in a string */
    WIC_ERR_NOT_OBJECT,    /* JSON, but not an object */
    WIC_ERR_UNKNOWN_TYPE,  /* "type" names no message this direction sends */
    WIC_ERR_MISSING_FIELD, /* a required member ("type" included) is absent */
    WIC_ERR_FIELD_TYPE,    /* a member has the wrong JSON type */
    WIC_ERR_FIELD_SIZE,    /* a string member is empty or longer than its bound */
    WIC_ERR_FIELD_VALUE,   /* characters not allowed in an id/uri/name, code out of range */
    WIC_ERR_BAD_DIGITS,    /* dtmf digits outside 0-9 * # A-D */
} wic_err;

typedef struct {
    wic_err err;
    const char *field;       /* the member at fault (static string), or NULL */
    char id[WIC_ID_MAX + 1]; /* the message's id when it could be read, else "" */
    char reason[192];        /* one line for the log and for the error answer */
} wic_error;

/* Parses one text message sent by dir. On WIC_OK fills *m (release with wic_msg_clear); on error
 * leaves *m empty and fills *e. Members that the type does not define are ignored. */
wic_err wic_msg_parse(const char *text, size_t len, wic_dir dir, wic_msg *m, wic_error *e);
void wic_msg_clear(wic_msg *m);

const char *wic_msg_type_name(wic_msg_type t);
/* The direction a type travels in. */
wic_dir wic_msg_type_dir(wic_msg_type t);

/* The code put in the error answer to a message that failed to parse: 413 for WIC_ERR_TOO_BIG,
 * 501 for WIC_ERR_UNKNOWN_TYPE, 400 for the others. */
int wic_err_status(wic_err e);

/* Serializes any message: {"type": ..., members in the order of DESIGN.md}. Returns a g_malloc'd
 * JSON text, or NULL when a member breaks a bound the parser enforces (the wtpf never sends what
 * a conforming peer refuses). Free text (reason) is made valid instead: cut at WIC_REASON_MAX on a
 * character boundary, invalid UTF-8 replaced, control characters turned into spaces. */
char *wic_msg_build(const wic_msg *m);

/* wtpf -> client. id may be NULL for error only. */
char *wic_build_ready(const char *user, const char *uri);
char *wic_build_incoming(const char *id, const char *from, const char *sdp);
char *wic_build_progress(const char *id, int code);
char *wic_build_answered(const char *id, const char *sdp);
char *wic_build_ended(const char *id, int code, const char *reason);
char *wic_build_error(const char *id, int code, const char *reason);
/* The error answer to a message that failed to parse: its id when readable, wic_err_status(),
 * and e->reason. */
char *wic_build_parse_error(const wic_error *e);

/* client -> wtpf (test peers and bench clients) */
char *wic_build_call(const char *id, const char *to, const char *sdp);
char *wic_build_answer(const char *id, const char *sdp);
char *wic_build_reject(const char *id);
char *wic_build_hangup(const char *id);
char *wic_build_dtmf(const char *id, const char *digits);

#endif
