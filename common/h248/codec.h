/* H.248.1 (Megaco v3) text encoding, ITU-T H.248.1 Annex B / RFC 3525 ABNF: the message model,
 * the parser (long and short tokens), the printer (long or short, pretty or compact) and small
 * builders for the MG (eims-agw) and the MGC (pcscf). Pure: no I/O, no logging, no globals. */
#ifndef H248_CODEC_H
#define H248_CODEC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- H.248.8 error codes the codec reports (SPECS.md §4.4) ---------------------------------- */
enum {
    H248_ERR_SYNTAX_MESSAGE = 400, /* before a transaction id is known, or between transactions */
    H248_ERR_SYNTAX_TRANSACTION = 403, /* inside Transaction/Reply = tid { ... } outside actions */
    H248_ERR_VERSION = 406,            /* MEGACO/<v> with v outside 1..3 */
    H248_ERR_SYNTAX_ACTION = 422,      /* inside Context = cid { ... } outside commands */
    H248_ERR_SYNTAX_COMMAND = 442,     /* inside a command */
    H248_ERR_UNKNOWN_COMMAND = 443,
    H248_ERR_UNKNOWN_DESCRIPTOR = 444,
    H248_ERR_DESCRIPTOR_TWICE = 448,
    /* Valid H.248 this codec does not model: authentication header, segment replies,
     * termination id lists, Topology/ContextAttr/ContextAudit, individual audit, Embed and
     * RegulatedNotify in events, audit items in Services. (DigitMap, Mux, Modem, EventBuffer and
     * Topology descriptors in a command answer 444.) */
    H248_ERR_NOT_IMPLEMENTED = 501,
};

/* ---- Limits enforced by the parser --------------------------------------------------------- */
typedef struct {
    size_t max_message; /* whole message, bytes (default 65507: one UDP datagram) */
    unsigned max_depth; /* brace nesting (default 12; the deepest legal use here is 7) */
    unsigned max_items; /* entries in any one list: transactions, actions, commands, ... (256) */
    size_t max_token;   /* one token / unquoted value (default 256) */
    size_t max_quoted;  /* one quoted string (default 2048) */
    size_t max_octets;  /* one Local/Remote octet string (default 16384) */
} h248_limits;

void h248_limits_default(h248_limits *lim);

/* ---- Model -------------------------------------------------------------------------------- */

/* ContextID = UINT32 / "*" / "-" / "$" (Annex B.2). */
typedef enum { H248_CTX_NUM, H248_CTX_NULL, H248_CTX_CHOOSE, H248_CTX_ALL } h248_ctx_kind;
typedef struct {
    h248_ctx_kind kind;
    uint32_t num; /* H248_CTX_NUM only */
} h248_ctx_id;

static inline h248_ctx_id h248_ctx_num(uint32_t n)
{
    h248_ctx_id c = {H248_CTX_NUM, n};
    return c;
}
static inline h248_ctx_id h248_ctx_special(h248_ctx_kind k)
{
    h248_ctx_id c = {k, 0};
    return c;
}

/* VALUE = quotedString / 1*(SafeChar). text is without the quotes. */
typedef struct {
    char *text;
    bool quoted;
} h248_value;

/* parmValue relation: "=", "#" (not equal), ">" and "<"; NONE for a bare name (KeepActive,
 * a statistic without value, a name in an audit). */
typedef enum { H248_REL_NONE, H248_REL_EQ, H248_REL_NE, H248_REL_GT, H248_REL_LT } h248_rel;
/* alternativeValue forms: VALUE, "[" V *("," V) "]", "[" V ":" V "]", "{" V *("," V) "}". */
typedef enum { H248_VF_SINGLE, H248_VF_SQUARE, H248_VF_RANGE, H248_VF_BRACE } h248_vform;

/* A property, event/signal parameter, statistic or extension, kept generically so that unknown
 * packages round-trip. Names that are H.248 tokens in that position (Stream, KeepActive,
 * SignalType, Duration, NotifyCompletion, ...) are stored in their long form, as are their
 * token values (Brief, TimeOut, ...); the printer emits the configured form. */
typedef struct {
    char *name;        /* "ipdc/realm", "rtp/ps", "Stream", "tl", "X-foo" */
    h248_rel rel;      /* NONE: no value */
    h248_vform form;   /* meaningful when rel != NONE */
    GPtrArray *values; /* h248_value*; 1 for SINGLE, 2 for RANGE, >=1 otherwise */
} h248_prop;

typedef enum {
    H248_MODE_NONE = 0,
    H248_MODE_SENDONLY,
    H248_MODE_RECVONLY,
    H248_MODE_SENDRECV,
    H248_MODE_INACTIVE,
    H248_MODE_LOOPBACK
} h248_mode;

typedef struct {
    h248_mode mode;    /* NONE: absent */
    int reserve_value; /* -1 absent, 0 OFF, 1 ON */
    int reserve_group; /* -1 absent, 0 OFF, 1 ON */
    GPtrArray *props;  /* h248_prop* (package properties, e.g. tman/sdr) */
} h248_local_control;

/* One stream. has_id false: the stream parameters appear directly in Media (single stream). */
typedef struct {
    bool has_id;
    uint16_t id;
    h248_local_control *local_control; /* NULL: absent */
    /* SDP as an opaque octet string (Annex B.2 octetString): "\}" unescaped, leading and trailing
     * whitespace removed (SPECS.md §4.4), so the last line has no line terminator. NULL: absent,
     * "": an empty descriptor. */
    char *local;
    char *remote;
    GPtrArray *statistics; /* h248_prop*, NULL: absent */
} h248_stream;

typedef enum {
    H248_SS_NONE = 0,
    H248_SS_TEST,
    H248_SS_OUT_OF_SERVICE,
    H248_SS_IN_SERVICE
} h248_svc_state;
typedef enum { H248_BUF_NONE = 0, H248_BUF_OFF, H248_BUF_LOCKSTEP } h248_buffer;

typedef struct {
    h248_svc_state service_state;
    h248_buffer buffer;
    GPtrArray *props; /* h248_prop* (e.g. ipdc/realm) */
} h248_term_state;

typedef struct {
    h248_term_state *term_state; /* NULL: absent */
    GPtrArray *streams;          /* h248_stream*, at most one without id (printed first) */
} h248_media;

/* A requested event, observed event or signal (or a SignalList = id { signals }). */
typedef struct h248_event {
    char *timestamp;   /* observed events: "YYYYMMDDThhmmssss" or NULL */
    char *name;        /* pkgdName, "hangterm/thb"; NULL for a signal list */
    GPtrArray *params; /* h248_prop* */
    bool is_list;      /* signals: SignalList = list_id { list } */
    uint16_t list_id;
    GPtrArray *list; /* h248_event* */
} h248_event;

#define H248_REQID_NONE (-1) /* "Events" with no "= id { }": clears the descriptor */
#define H248_REQID_ALL (-2)  /* "*" */
typedef struct {
    int64_t request_id; /* Events/ObservedEvents; unused (NONE) for Signals */
    GPtrArray *items;   /* h248_event* */
} h248_event_list;

typedef struct {
    unsigned code; /* 1*4DIGIT */
    char *text;    /* quotedString content (no '"'), NULL: absent */
} h248_error;

typedef enum {
    H248_SCM_NONE = 0,
    H248_SCM_FAILOVER,
    H248_SCM_FORCED,
    H248_SCM_GRACEFUL,
    H248_SCM_RESTART,
    H248_SCM_DISCONNECTED,
    H248_SCM_HANDOFF,
    H248_SCM_EXTENSION /* method_ext holds "X-..." */
} h248_sc_method;

/* serviceChangeDescriptor / serviceChangeReplyDescriptor (Annex B.2). */
typedef struct {
    h248_sc_method method;
    char *method_ext;
    char *reason;          /* VALUE content, e.g. "901 Cold Boot"; printed quoted */
    int64_t delay;         /* -1 absent */
    char *address;         /* ServiceChangeAddress: mId or port, verbatim */
    char *mgc_id;          /* MgcIdToTry: mId, verbatim */
    char *profile;         /* "name/version", the node's configured profile (SPECS.md §4.1) */
    int version;           /* 0 absent, else 1..99 */
    char *timestamp;       /* NULL absent */
    bool incomplete;       /* ServiceChangeInc */
    GPtrArray *extensions; /* h248_prop* named X-... / X+...; NULL or empty: none */
} h248_service_change;

/* Audit items (auditItem tokens in Audit{}, or bare auditReturnItem tokens in replies). */
enum {
    H248_AUDIT_MEDIA = 1u << 0,
    H248_AUDIT_MODEM = 1u << 1,
    H248_AUDIT_MUX = 1u << 2,
    H248_AUDIT_EVENTS = 1u << 3,
    H248_AUDIT_SIGNALS = 1u << 4,
    H248_AUDIT_DIGITMAP = 1u << 5,
    H248_AUDIT_STATISTICS = 1u << 6,
    H248_AUDIT_OBSERVED_EVENTS = 1u << 7,
    H248_AUDIT_PACKAGES = 1u << 8,
    H248_AUDIT_EVENT_BUFFER = 1u << 9,
};

typedef enum {
    H248_CMD_ADD,
    H248_CMD_MODIFY,
    H248_CMD_SUBTRACT,
    H248_CMD_MOVE,
    H248_CMD_AUDIT_VALUE,
    H248_CMD_AUDIT_CAP,
    H248_CMD_NOTIFY,
    H248_CMD_SERVICE_CHANGE
} h248_cmd_type;

/* A command request or a command reply; both carry the same descriptors in text encoding. */
typedef struct {
    h248_cmd_type type;
    bool optional;       /* "O-" prefix */
    bool wildcard_reply; /* "W-" prefix */
    char *term_id;       /* "ROOT", "$", "*", "ip/access/1", "ip/..." */
    h248_media *media;
    h248_event_list *events;
    h248_event_list *signals;
    h248_event_list *observed_events;
    GPtrArray *statistics; /* h248_prop*, NULL: absent */
    GPtrArray *packages;   /* char* "name-version", NULL: absent */
    h248_service_change *services;
    bool has_audit;        /* Audit { items } present */
    unsigned audit;        /* H248_AUDIT_* in Audit{} */
    unsigned audit_return; /* bare H248_AUDIT_* tokens in a reply body (Media, Packages, ...) */
    h248_error *error;
} h248_command;

typedef struct {
    h248_ctx_id ctx;
    int priority;        /* -1 absent, else 0..65535 (UINT16; H.248.1 uses 0..15) */
    int emergency;       /* -1 absent, 0 EmergencyOff, 1 Emergency */
    int ieps;            /* -1 absent, 0 OFF, 1 ON */
    GPtrArray *commands; /* h248_command* */
    h248_error *error;   /* replies: action-level error */
} h248_action;

typedef enum {
    H248_TR_REQUEST,
    H248_TR_REPLY,
    H248_TR_PENDING,
    H248_TR_RESPONSE_ACK
} h248_trans_kind;

typedef struct {
    uint32_t first, last; /* a single id has first == last */
} h248_ack_range;

typedef struct {
    h248_trans_kind kind;
    uint32_t id;             /* not used by RESPONSE_ACK */
    bool imm_ack_required;   /* reply */
    uint16_t segment_number; /* reply: 0 absent (Reply = tid/seg[/END]) */
    bool segment_complete;   /* reply: "/END" */
    GPtrArray *actions;      /* h248_action* (request, reply) */
    h248_error *error;       /* reply: transaction-level error (then no actions) */
    GArray *acks;            /* h248_ack_range (RESPONSE_ACK) */
} h248_transaction;

typedef struct {
    unsigned version;        /* 1..3 */
    char *mid;               /* "[127.0.10.3]:2944", "<mg.lab>:2944", a device name */
    h248_error *error;       /* message-level error: then no transactions */
    GPtrArray *transactions; /* h248_transaction* */
} h248_message;

/* ---- Parsing ------------------------------------------------------------------------------ */
typedef struct {
    unsigned code;   /* H.248 error code the receiver should answer (H248_ERR_*) */
    size_t offset;   /* byte offset of the offending input */
    unsigned line;   /* 1-based */
    unsigned column; /* 1-based, in bytes */
    bool has_tid;    /* the error is inside a transaction whose id was read */
    uint32_t tid;
    h248_trans_kind trans_kind; /* kind of that transaction */
    unsigned version;           /* protocol version from the header, 0 if not read */
    char text[160];             /* reason, safe inside an Error quotedString (no '"') */
} h248_parse_error;

/* Parses one message (Annex B text encoding). lim may be NULL (defaults). Returns NULL and fills
 * err (if non-NULL) on failure. Never reads past buf + len; buf need not be NUL-terminated. */
h248_message *h248_parse(const char *buf, size_t len, const h248_limits *lim,
                         h248_parse_error *err);

/* ---- Printing ----------------------------------------------------------------------------- */
typedef struct {
    bool short_tokens; /* "T", "C", "A", ... instead of "Transaction", "Context", "Add" */
    bool compact;      /* no optional whitespace; default is pretty, one item per line */
} h248_print_opts;

/* Appends the encoding of m to out. opts may be NULL (long tokens, pretty). Returns false, with
 * out unchanged, if the model cannot be encoded (invalid name, value, mId, empty mandatory list).
 */
bool h248_print(const h248_message *m, const h248_print_opts *opts, GString *out);
/* Same, into a new NUL-terminated string (g_free), or NULL. */
char *h248_print_str(const h248_message *m, const h248_print_opts *opts, size_t *len_out);

/* ---- Model construction and helpers (model.c) -------------------------------------------- */
h248_message *h248_message_new(unsigned version, const char *mid);
void h248_message_free(h248_message *m);
bool h248_message_equal(const h248_message *a, const h248_message *b);

h248_transaction *h248_message_add_transaction(h248_message *m, h248_trans_kind kind, uint32_t id);
h248_transaction *h248_message_add_response_ack(h248_message *m, uint32_t first, uint32_t last);
void h248_transaction_ack_range(h248_transaction *t, uint32_t first, uint32_t last);
h248_action *h248_transaction_add_action(h248_transaction *t, h248_ctx_id ctx);
h248_command *h248_action_add_command(h248_action *a, h248_cmd_type type, const char *term_id);

h248_media *h248_command_media(h248_command *c); /* get or create */
/* Get or create the stream with this id (id 0: the id-less single-stream form). */
h248_stream *h248_media_stream(h248_media *m, uint16_t id);
h248_stream *h248_command_stream(h248_command *c, uint16_t id);
h248_local_control *h248_stream_local_control(h248_stream *s); /* get or create */
h248_term_state *h248_media_term_state(h248_media *m);         /* get or create */
/* Store SDP text, trimming leading/trailing whitespace (see h248_stream.local). */
void h248_stream_set_local(h248_stream *s, const char *sdp);
void h248_stream_set_remote(h248_stream *s, const char *sdp);
/* Append "name = value" (quoted or not) to *list (created if NULL). */
h248_prop *h248_props_add(GPtrArray **list, const char *name, const char *value, bool quoted);
h248_prop *h248_props_find(const GPtrArray *list, const char *name); /* case-insensitive */
const char *h248_prop_value(const h248_prop *p);                     /* first value or NULL */

h248_event_list *h248_command_events(h248_command *c, int64_t request_id);
h248_event_list *h248_command_observed_events(h248_command *c, int64_t request_id);
h248_event_list *h248_command_signals(h248_command *c);
h248_event *h248_event_list_add(h248_event_list *l, const char *name);
h248_service_change *h248_command_services(h248_command *c);
void h248_command_set_error(h248_command *c, unsigned code, const char *text);
void h248_command_add_statistic(h248_command *c, const char *name, const char *value);

h248_error *h248_error_new(unsigned code, const char *text); /* '"' in text becomes '\'' */
void h248_error_free(h248_error *e);

/* Free functions for parts (used as GPtrArray free funcs). */
void h248_prop_free(h248_prop *p);
void h248_event_free(h248_event *e);
void h248_command_free(h248_command *c);
void h248_action_free(h248_action *a);
void h248_transaction_free(h248_transaction *t);

h248_transaction *h248_message_find_transaction(const h248_message *m, h248_trans_kind kind,
                                                uint32_t id);
const char *h248_cmd_name(h248_cmd_type t); /* long token: "Add", ... */
bool h248_term_is_root(const char *term_id);

/* ---- Builders (model.c) ------------------------------------------------------------------ */
/* MG registration (SPECS.md §4.5 (1)): Transaction = tid { Context = - { ServiceChange = term {
 * Services { Method, Reason, Version, Profile } } } }. reason e.g. "901 Cold Boot"; profile
 * "name/version" from config or NULL; version 0 to omit. */
h248_message *h248_build_service_change(unsigned version, const char *mid, uint32_t tid,
                                        const char *term_id, h248_sc_method method,
                                        const char *reason, unsigned sc_version,
                                        const char *profile);
/* MGC answer to a ServiceChange: Reply = tid { Context = - { ServiceChange = term { Services {
 * Version, Profile } } } } (either may be omitted: 0 / NULL). */
h248_message *h248_build_service_change_reply(unsigned version, const char *mid, uint32_t tid,
                                              const char *term_id, unsigned sc_version,
                                              const char *profile);
/* Reply = tid { Context = ctx { } } to be filled with command replies; returns the action.
 * Creates the message in *out if *out is NULL, else appends a reply to it. */
h248_action *h248_build_reply(h248_message **out, unsigned version, const char *mid, uint32_t tid,
                              h248_ctx_id ctx);
/* Command reply carrying the termination id and, when local_sdp is non-NULL, Media { Stream =
 * stream_id { Local { sdp } } } (the Add/Modify reply of SPECS.md §4.5 (4)). */
h248_command *h248_build_command_reply(h248_action *a, h248_cmd_type type, const char *term_id,
                                       uint16_t stream_id, const char *local_sdp);
/* Subtract reply with Statistics { names[i] = values[i] }. */
h248_command *h248_build_subtract_reply(h248_action *a, const char *term_id,
                                        const char *const *names, const char *const *values,
                                        size_t n);
/* Reply = tid { Error = code { "text" } } (transaction-level error, SPECS.md §4.5 (7)). */
h248_message *h248_build_error_reply(unsigned version, const char *mid, uint32_t tid, unsigned code,
                                     const char *text);
/* Message-level error: MEGACO/v mid Error = code { "text" } (when no tid could be read). */
h248_message *h248_build_message_error(unsigned version, const char *mid, unsigned code,
                                       const char *text);
/* Transaction = tid { Context = ctx { Notify = term { ObservedEvents = reqid {
 * [timestamp:]event } } } }; returns the observed event so parameters can be added. */
h248_event *h248_build_notify(h248_message **out, unsigned version, const char *mid, uint32_t tid,
                              h248_ctx_id ctx, const char *term_id, uint32_t request_id,
                              const char *timestamp, const char *event);
/* Pending = tid { } and TransactionResponseAck { first[-last] }. */
h248_message *h248_build_pending(unsigned version, const char *mid, uint32_t tid);

#endif
