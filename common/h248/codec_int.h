/* Internals shared by the H.248 text codec files: the token table (long/short forms, Annex B.2)
 * and the lexical validators used both when parsing and before printing. Not a public API. */
#ifndef H248_CODEC_INT_H
#define H248_CODEC_INT_H

#include "h248/codec.h"

typedef enum {
    TK_NONE = 0,
    TK_ADD,
    TK_AUDIT,
    TK_AUDITCAP,
    TK_AUDITVALUE,
    TK_AUTH,
    TK_BOTH,
    TK_BOTHWAY,
    TK_BRIEF,
    TK_BUFFER,
    TK_CTX,
    TK_CTXAUDIT,
    TK_CTXATTR,
    TK_DIGITMAP,
    TK_DIRECTION,
    TK_DISCONNECTED,
    TK_DELAY,
    TK_DURATION,
    TK_EMBED,
    TK_EMERGENCY,
    TK_EMERGENCYOFF,
    TK_ERROR,
    TK_EVENTBUFFER,
    TK_EVENTS,
    TK_EXTERNAL,
    TK_FAILOVER,
    TK_FORCED,
    TK_GRACEFUL,
    TK_HANDOFF,
    TK_IEPS,
    TK_IMMACK,
    TK_INACTIVE,
    TK_INTERNAL,
    TK_INTSIGDELAY,
    TK_INSVC,
    TK_INTBYEVENT,
    TK_INTBYSIGDESCR,
    TK_ITERATION,
    TK_KEEPACTIVE,
    TK_LOCAL,
    TK_LOCALCONTROL,
    TK_LOCKSTEP,
    TK_LOOPBACK,
    TK_MEDIA,
    TK_MEGACO,
    TK_SEGMENT,
    TK_METHOD,
    TK_MGCID,
    TK_MODE,
    TK_MODIFY,
    TK_MODEM,
    TK_MOVE,
    TK_MUX,
    TK_NEVERNOTIFY,
    TK_NOTIFY,
    TK_NOTIFYCOMPLETION,
    TK_NOTIFYIMMEDIATE,
    TK_NOTIFYREGULATED,
    TK_OBSERVEDEVENTS,
    TK_OFF,
    TK_ON,
    TK_ONOFF,
    TK_OTHERREASON,
    TK_OUTOFSVC,
    TK_PACKAGES,
    TK_PENDING,
    TK_PRIORITY,
    TK_PROFILE,
    TK_REASON,
    TK_RECVONLY,
    TK_REPLY,
    TK_RESETEVENTS,
    TK_RESTART,
    TK_REMOTE,
    TK_REQUESTID,
    TK_RESERVEDGROUP,
    TK_RESERVEDVALUE,
    TK_SENDONLY,
    TK_SENDRECV,
    TK_SERVICES,
    TK_SERVICESTATES,
    TK_SERVICECHANGEINC,
    TK_SERVICECHANGE,
    TK_SERVICECHANGEADDRESS,
    TK_SIGNALLIST,
    TK_SIGNALS,
    TK_SIGNALTYPE,
    TK_STATS,
    TK_STREAM,
    TK_SUBTRACT,
    TK_TERMSTATE,
    TK_TEST,
    TK_TIMEOUT,
    TK_TOPOLOGY,
    TK_TRANS,
    TK_RESPONSEACK,
    TK_VERSION,
    TK_END, /* SegmentationCompleteToken */
    TK__COUNT
} h248_tok;

/* Does word[0..len) spell token t (long, short or a legacy alias), case-insensitively? */
bool h248_tok_is(h248_tok t, const char *word, size_t len);
/* First token of the TK_NONE-terminated list that matches, or TK_NONE. */
h248_tok h248_tok_find(const h248_tok *candidates, const char *word, size_t len);
const char *h248_tok_str(h248_tok t, bool short_form);
const char *h248_tok_long(h248_tok t);

/* Lexical classes (Annex B.2). */
bool h248_is_safe_char(unsigned char c);
bool h248_is_alpha(unsigned char c);
bool h248_is_digit(unsigned char c);

/* Validators of complete strings (len bytes). */
bool h248_valid_name(const char *s, size_t len);      /* NAME = ALPHA *63(ALPHA/DIGIT/"_") */
bool h248_valid_pkgd_name(const char *s, size_t len); /* pkg/item, pkg/any, any/any */
bool h248_valid_term_id(const char *s, size_t len);   /* ROOT, $, *, pathNAME (<= 64) */
bool h248_valid_safe_value(const char *s, size_t len);
bool h248_valid_quoted(const char *s, size_t len); /* quotedString content */
bool h248_valid_timestamp(const char *s, size_t len);
bool h248_valid_profile(const char *s, size_t len);      /* NAME "/" 1*2DIGIT */
bool h248_valid_extension(const char *s, size_t len);    /* "X" ("-"/"+") 1*6(ALPHA/DIGIT) */
bool h248_valid_package_item(const char *s, size_t len); /* NAME "-" UINT16 */
bool h248_valid_octets(const char *s, size_t len);       /* trimmed SDP without NUL */
/* mId grammar; returns bytes consumed from s (0 if none). */
size_t h248_scan_mid(const char *s, size_t len);
bool h248_valid_mid(const char *s, size_t len);
bool h248_valid_sc_address(const char *s, size_t len); /* mId / portNumber */

/* Unsigned decimal of at most max_digits digits and value <= max; false otherwise. */
bool h248_parse_uint(const char *s, size_t len, unsigned max_digits, uint64_t max, uint64_t *out);

/* Token-valued parameters: for a parameter named by token `param` (e.g. TK_SIGNALTYPE), the
 * candidate value tokens (TK_NONE-terminated), or NULL if its values are free VALUEs. */
const h248_tok *h248_param_value_tokens(h248_tok param);
/* Value rules of token-named parameters (bare KeepActive, SignalType = Brief, Stream = 1, ...). */
bool h248_valid_token_param(h248_tok t, const h248_prop *p);
/* The parameter-name tokens allowed in events, signals and observed events. */
extern const h248_tok h248_event_param_tokens[];
extern const h248_tok h248_signal_param_tokens[];
extern const h248_tok h248_observed_param_tokens[];

/* Constructors used by the parser and the builders (model.c). Lists start NULL. */
h248_prop *h248_prop_new(const char *name, size_t len);
void h248_prop_add_value(h248_prop *p, const char *text, size_t len, bool quoted);
h248_event *h248_event_new(void);
h248_event_list *h248_event_list_new(int64_t request_id);
void h248_event_list_free(h248_event_list *l);
h248_stream *h248_stream_new(bool has_id, uint16_t id);
void h248_stream_free(h248_stream *s);
h248_local_control *h248_local_control_new(void);
void h248_local_control_free(h248_local_control *lc);
h248_term_state *h248_term_state_new(void);
void h248_term_state_free(h248_term_state *ts);
h248_media *h248_media_new(void);
void h248_media_free(h248_media *m);
h248_service_change *h248_service_change_new(void);
void h248_service_change_free(h248_service_change *sc);
h248_command *h248_command_new(h248_cmd_type type);
h248_action *h248_action_new(h248_ctx_id ctx);
h248_transaction *h248_transaction_new(h248_trans_kind kind, uint32_t id);
GPtrArray *h248_prop_list_new(void);
/* Trim leading and trailing LWSP characters of an octet string into a new string. */
char *h248_octets_trim(const char *s, size_t len);

#endif
