/* H.248 text codec: the token table (long and short forms) and the lexical validators shared by
 * the parser (parse*.c) and the printer (print.c). H.248.1 Annex B.2 / RFC 3525 §B.2. */
#include "h248/codec_int.h"

#include <string.h>

typedef struct {
    const char *lng;
    const char *shrt;     /* NULL: the token has no short form */
    const char *alias[2]; /* older spellings still accepted on input */
} tok_def;

/* Annex B.2 token definitions (H.248.1 v3, with the SPA* renames of its corrigendum). */
static const tok_def tok_table[TK__COUNT] = {
    [TK_ADD] = {"Add", "A", {0}},
    [TK_AUDIT] = {"Audit", "AT", {0}},
    [TK_AUDITCAP] = {"AuditCapability", "AC", {0}},
    [TK_AUDITVALUE] = {"AuditValue", "AV", {0}},
    [TK_AUTH] = {"Authentication", "AU", {0}},
    [TK_BOTH] = {"Both", "B", {0}},
    [TK_BOTHWAY] = {"Bothway", "BW", {0}},
    [TK_BRIEF] = {"Brief", "BR", {0}},
    [TK_BUFFER] = {"Buffer", "BF", {0}},
    [TK_CTX] = {"Context", "C", {0}},
    [TK_CTXAUDIT] = {"ContextAudit", "CA", {0}},
    [TK_CTXATTR] = {"ContextAttr", "CT", {0}},
    [TK_DIGITMAP] = {"DigitMap", "DM", {0}},
    [TK_DIRECTION] = {"SPADirection", "SPADI", {"Direction", "DI"}},
    [TK_DISCONNECTED] = {"Disconnected", "DC", {0}},
    [TK_DELAY] = {"Delay", "DL", {0}},
    [TK_DURATION] = {"Duration", "DR", {0}},
    [TK_EMBED] = {"Embed", "EM", {0}},
    [TK_EMERGENCY] = {"Emergency", "EG", {0}},
    [TK_EMERGENCYOFF] = {"EmergencyOff", "EGO", {0}},
    [TK_ERROR] = {"Error", "ER", {0}},
    [TK_EVENTBUFFER] = {"EventBuffer", "EB", {0}},
    [TK_EVENTS] = {"Events", "E", {0}},
    [TK_EXTERNAL] = {"External", "EX", {0}},
    [TK_FAILOVER] = {"Failover", "FL", {0}},
    [TK_FORCED] = {"Forced", "FO", {0}},
    [TK_GRACEFUL] = {"Graceful", "GR", {0}},
    [TK_HANDOFF] = {"HandOff", "HO", {0}},
    [TK_IEPS] = {"IEPSCall", "IEPS", {0}},
    [TK_IMMACK] = {"ImmAckRequired", "IA", {0}},
    [TK_INACTIVE] = {"Inactive", "IN", {0}},
    [TK_INTERNAL] = {"Internal", "IT", {0}},
    [TK_INTSIGDELAY] = {"Intersignal", "SPAIS", {0}},
    [TK_INSVC] = {"InService", "IV", {0}},
    [TK_INTBYEVENT] = {"IntByEvent", "IBE", {0}},
    [TK_INTBYSIGDESCR] = {"IntBySigDescr", "IBS", {0}},
    [TK_ITERATION] = {"Iteration", "IR", {0}},
    [TK_KEEPACTIVE] = {"KeepActive", "KA", {0}},
    [TK_LOCAL] = {"Local", "L", {0}},
    [TK_LOCALCONTROL] = {"LocalControl", "O", {0}},
    [TK_LOCKSTEP] = {"LockStep", "SP", {0}},
    [TK_LOOPBACK] = {"Loopback", "LB", {0}},
    [TK_MEDIA] = {"Media", "M", {0}},
    [TK_MEGACO] = {"MEGACO", "!", {0}},
    [TK_SEGMENT] = {"Segment", "SM", {0}},
    [TK_METHOD] = {"Method", "MT", {0}},
    [TK_MGCID] = {"MgcIdToTry", "MG", {0}},
    [TK_MODE] = {"Mode", "MO", {0}},
    [TK_MODIFY] = {"Modify", "MF", {0}},
    [TK_MODEM] = {"Modem", "MD", {0}},
    [TK_MOVE] = {"Move", "MV", {0}},
    [TK_MUX] = {"Mux", "MX", {0}},
    [TK_NEVERNOTIFY] = {"NeverNotify", "NBNN", {0}},
    [TK_NOTIFY] = {"Notify", "N", {0}},
    [TK_NOTIFYCOMPLETION] = {"NotifyCompletion", "NC", {0}},
    [TK_NOTIFYIMMEDIATE] = {"ImmediateNotify", "NBIN", {0}},
    [TK_NOTIFYREGULATED] = {"RegulatedNotify", "NBRN", {0}},
    [TK_OBSERVEDEVENTS] = {"ObservedEvents", "OE", {0}},
    [TK_OFF] = {"OFF", NULL, {0}},
    [TK_ON] = {"ON", NULL, {0}},
    [TK_ONOFF] = {"OnOff", "OO", {0}},
    [TK_OTHERREASON] = {"OtherReason", "OR", {0}},
    [TK_OUTOFSVC] = {"OutOfService", "OS", {0}},
    [TK_PACKAGES] = {"Packages", "PG", {0}},
    [TK_PENDING] = {"Pending", "PN", {0}},
    [TK_PRIORITY] = {"Priority", "PR", {0}},
    [TK_PROFILE] = {"Profile", "PF", {0}},
    [TK_REASON] = {"Reason", "RE", {0}},
    [TK_RECVONLY] = {"ReceiveOnly", "RC", {0}},
    [TK_REPLY] = {"Reply", "P", {0}},
    [TK_RESETEVENTS] = {"ResetEventsDescriptor", "RSE", {0}},
    [TK_RESTART] = {"Restart", "RS", {0}},
    [TK_REMOTE] = {"Remote", "R", {0}},
    [TK_REQUESTID] = {"SPARequestID", "SPARQ", {"RequestID", "RQ"}},
    [TK_RESERVEDGROUP] = {"ReservedGroup", "RG", {0}},
    [TK_RESERVEDVALUE] = {"ReservedValue", "RV", {0}},
    [TK_SENDONLY] = {"SendOnly", "SO", {0}},
    [TK_SENDRECV] = {"SendReceive", "SR", {0}},
    [TK_SERVICES] = {"Services", "SV", {0}},
    [TK_SERVICESTATES] = {"ServiceStates", "SI", {0}},
    [TK_SERVICECHANGEINC] = {"ServiceChangeInc", "SIC", {0}},
    [TK_SERVICECHANGE] = {"ServiceChange", "SC", {0}},
    [TK_SERVICECHANGEADDRESS] = {"ServiceChangeAddress", "AD", {0}},
    [TK_SIGNALLIST] = {"SignalList", "SL", {0}},
    [TK_SIGNALS] = {"Signals", "SG", {0}},
    [TK_SIGNALTYPE] = {"SignalType", "SY", {0}},
    [TK_STATS] = {"Statistics", "SA", {0}},
    [TK_STREAM] = {"Stream", "ST", {0}},
    [TK_SUBTRACT] = {"Subtract", "S", {0}},
    [TK_TERMSTATE] = {"TerminationState", "TS", {0}},
    [TK_TEST] = {"Test", "TE", {0}},
    [TK_TIMEOUT] = {"TimeOut", "TO", {0}},
    [TK_TOPOLOGY] = {"Topology", "TP", {0}},
    [TK_TRANS] = {"Transaction", "T", {0}},
    [TK_RESPONSEACK] = {"TransactionResponseAck", "K", {0}},
    [TK_VERSION] = {"Version", "V", {0}},
    [TK_END] = {"END", NULL, {0}},
};

static bool ieq(const char *a, const char *word, size_t len)
{
    return a && strlen(a) == len && g_ascii_strncasecmp(a, word, len) == 0;
}

bool h248_tok_is(h248_tok t, const char *word, size_t len)
{
    if (t <= TK_NONE || t >= TK__COUNT) return false;
    const tok_def *d = &tok_table[t];
    return ieq(d->lng, word, len) || ieq(d->shrt, word, len) || ieq(d->alias[0], word, len) ||
           ieq(d->alias[1], word, len);
}

h248_tok h248_tok_find(const h248_tok *candidates, const char *word, size_t len)
{
    for (; *candidates != TK_NONE; candidates++)
        if (h248_tok_is(*candidates, word, len)) return *candidates;
    return TK_NONE;
}

const char *h248_tok_str(h248_tok t, bool short_form)
{
    if (t <= TK_NONE || t >= TK__COUNT) return "?";
    if (short_form && tok_table[t].shrt) return tok_table[t].shrt;
    return tok_table[t].lng;
}

const char *h248_tok_long(h248_tok t)
{
    return h248_tok_str(t, false);
}

/* ---- Character classes (Annex B.2) ---- */

bool h248_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool h248_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* SafeChar = DIGIT / ALPHA / "+" / "-" / "&" / "!" / "_" / "/" / "'" / "?" / "@" / "^" / "`" /
 *            "~" / "*" / "$" / "\" / "(" / ")" / "%" / "|" / "." */
bool h248_is_safe_char(unsigned char c)
{
    if (h248_is_alpha(c) || h248_is_digit(c)) return true;
    return c && strchr("+-&!_/'?@^`~*$\\()%|.", c) != NULL;
}

/* ---- Validators ---- */

bool h248_parse_uint(const char *s, size_t len, unsigned max_digits, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > max_digits) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!h248_is_digit((unsigned char)s[i])) return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max) return false;
    if (out) *out = v;
    return true;
}

/* NAME = ALPHA *63(ALPHA / DIGIT / "_") */
bool h248_valid_name(const char *s, size_t len)
{
    if (len == 0 || len > 64 || !h248_is_alpha((unsigned char)s[0])) return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!h248_is_alpha(c) && !h248_is_digit(c) && c != '_') return false;
    }
    return true;
}

/* pkgdName = (PackageName SLASH ItemID) / (PackageName SLASH "*") / ("*" SLASH "*") */
bool h248_valid_pkgd_name(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    if (!slash) return false;
    size_t plen = (size_t)(slash - s), ilen = len - plen - 1;
    const char *item = slash + 1;
    if (plen == 1 && s[0] == '*') return ilen == 1 && item[0] == '*';
    if (!h248_valid_name(s, plen)) return false;
    if (ilen == 1 && item[0] == '*') return true;
    return h248_valid_name(item, ilen);
}

/* TerminationID = "ROOT" / pathNAME / "$" / "*"
 * pathNAME = ["*"] NAME *("/" / "*" / ALPHA / DIGIT / "_" / "$") ["@" pathDomainName]
 * pathDomainName = (ALPHA / DIGIT / "*") *63(ALPHA / DIGIT / "-" / "*" / ".")
 * SPECS.md §4.4: at most 64 characters. */
bool h248_valid_term_id(const char *s, size_t len)
{
    if (len == 0 || len > 64) return false;
    if (len == 1 && (s[0] == '$' || s[0] == '*')) return true;
    size_t i = 0;
    if (s[0] == '*') i++;
    if (i >= len || !h248_is_alpha((unsigned char)s[i])) return false;
    for (i++; i < len && s[i] != '@'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!h248_is_alpha(c) && !h248_is_digit(c) && !strchr("/*_$", c)) return false;
    }
    if (i == len) return true;
    i++; /* '@' */
    if (i >= len) return false;
    unsigned char c0 = (unsigned char)s[i];
    if (!h248_is_alpha(c0) && !h248_is_digit(c0) && c0 != '*') return false;
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!h248_is_alpha(c) && !h248_is_digit(c) && !strchr("-*.", c)) return false;
    }
    return true;
}

bool h248_valid_safe_value(const char *s, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++)
        if (!h248_is_safe_char((unsigned char)s[i])) return false;
    return true;
}

/* quotedString = DQUOTE *(SafeChar / RestChar / LWSP) DQUOTE: printable ASCII except DQUOTE,
 * plus HTAB/CR/LF; octets >= 0x80 are accepted for UTF-8 text. */
bool h248_valid_quoted(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == 0x7f) return false;
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return false;
    }
    return true;
}

/* TimeStamp = Date "T" Time; Date = 8(DIGIT); Time = 8(DIGIT) */
bool h248_valid_timestamp(const char *s, size_t len)
{
    if (len != 17 || (s[8] != 'T' && s[8] != 't')) return false;
    for (size_t i = 0; i < 17; i++)
        if (i != 8 && !h248_is_digit((unsigned char)s[i])) return false;
    return true;
}

/* serviceChangeProfile = ProfileToken EQUAL NAME SLASH Version; Version = 1*2(DIGIT) */
bool h248_valid_profile(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    if (!slash) return false;
    size_t nlen = (size_t)(slash - s);
    return h248_valid_name(s, nlen) && h248_parse_uint(slash + 1, len - nlen - 1, 2, 99, NULL);
}

/* extensionParameter = "X" ("-" / "+") 1*6(ALPHA / DIGIT) */
bool h248_valid_extension(const char *s, size_t len)
{
    if (len < 3 || len > 8 || (s[0] != 'X' && s[0] != 'x') || (s[1] != '-' && s[1] != '+'))
        return false;
    for (size_t i = 2; i < len; i++)
        if (!h248_is_alpha((unsigned char)s[i]) && !h248_is_digit((unsigned char)s[i]))
            return false;
    return true;
}

/* packagesItem = NAME "-" UINT16 */
bool h248_valid_package_item(const char *s, size_t len)
{
    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == '-')
            return h248_valid_name(s, i - 1) && h248_parse_uint(s + i, len - i, 5, 65535, NULL);
    }
    return false;
}

static bool is_lwsp_char(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* octetString = *(nonEscapeChar); nonEscapeChar = ("\}" / %x01-7C / %x7E-FF). The model keeps it
 * trimmed and the printer needs its first byte not to start a comment (LBRKT eats LWSP). */
bool h248_valid_octets(const char *s, size_t len)
{
    if (memchr(s, '\0', len)) return false;
    if (len == 0) return true;
    if (is_lwsp_char((unsigned char)s[0]) || s[0] == ';') return false;
    return !is_lwsp_char((unsigned char)s[len - 1]);
}

static size_t scan_port(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && n < 6 && h248_is_digit((unsigned char)s[n]))
        n++;
    return h248_parse_uint(s, n, 5, 65535, NULL) ? n : 0;
}

/* mId = ((domainAddress / domainName) [":" portNumber]) / mtpAddress / deviceName
 * domainAddress = "[" (IPv4address / IPv6address) "]"
 * domainName = "<" (ALPHA / DIGIT) *63(ALPHA / DIGIT / "-" / ".") ">"
 * mtpAddress = MTPToken LBRKT 4*8(HEXDIG) RBRKT; deviceName = pathNAME */
size_t h248_scan_mid(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0) return 0;
    if (s[0] == '[' || s[0] == '<') {
        char close = s[0] == '[' ? ']' : '>';
        for (i = 1; i < len && s[i] != close; i++) {
            unsigned char c = (unsigned char)s[i];
            bool ok = s[0] == '[' ? (g_ascii_isxdigit(c) || c == ':' || c == '.')
                                  : (h248_is_alpha(c) || h248_is_digit(c) ||
                                     ((c == '-' || c == '.') && i > 1));
            if (!ok || i > 64) return 0;
        }
        if (i >= len || i == 1) return 0;
        if (s[0] == '[') { /* IPv4 needs dots and digits only; IPv6 needs a colon */
            bool colon = memchr(s + 1, ':', i - 1) != NULL;
            if (!colon) {
                unsigned parts = 0, digits = 0;
                for (size_t k = 1; k <= i; k++) {
                    if (k == i || s[k] == '.') {
                        if (digits == 0 || digits > 3) return 0;
                        parts++;
                        digits = 0;
                    } else if (h248_is_digit((unsigned char)s[k])) {
                        digits++;
                    } else {
                        return 0;
                    }
                }
                if (parts != 4) return 0;
            }
        }
        i++;
        if (i < len && s[i] == ':') {
            size_t p = scan_port(s + i + 1, len - i - 1);
            if (!p) return 0;
            i += 1 + p;
        }
        return i;
    }
    if (len >= 4 && g_ascii_strncasecmp(s, "MTP{", 4) == 0) {
        for (i = 4; i < len && g_ascii_isxdigit((unsigned char)s[i]); i++) {
        }
        if (i - 4 < 4 || i - 4 > 8 || i >= len || s[i] != '}') return 0;
        return i + 1;
    }
    while (i < len && h248_is_safe_char((unsigned char)s[i]))
        i++;
    if (i < 2 && !(i == 1 && h248_is_alpha((unsigned char)s[0]))) return 0;
    if (s[0] != '*' && !h248_is_alpha((unsigned char)s[0])) return 0;
    return h248_valid_term_id(s, i) ? i : 0;
}

bool h248_valid_mid(const char *s, size_t len)
{
    return len > 0 && h248_scan_mid(s, len) == len;
}

bool h248_valid_sc_address(const char *s, size_t len)
{
    return h248_valid_mid(s, len) || h248_parse_uint(s, len, 5, 65535, NULL);
}

/* ---- Token-valued parameters (Annex B.2 sigParameter / eventParameter) ---- */

static const h248_tok signal_types[] = {TK_ONOFF, TK_TIMEOUT, TK_BRIEF, TK_NONE};
static const h248_tok directions[] = {TK_EXTERNAL, TK_INTERNAL, TK_BOTH, TK_NONE};
static const h248_tok notif_reasons[] = {TK_TIMEOUT,     TK_INTBYEVENT, TK_INTBYSIGDESCR,
                                         TK_OTHERREASON, TK_ITERATION,  TK_NONE};

const h248_tok *h248_param_value_tokens(h248_tok param)
{
    switch (param) {
    case TK_SIGNALTYPE:
        return signal_types;
    case TK_DIRECTION:
        return directions;
    case TK_NOTIFYCOMPLETION:
        return notif_reasons;
    default:
        return NULL;
    }
}

const h248_tok h248_event_param_tokens[] = {TK_STREAM,          TK_KEEPACTIVE,  TK_RESETEVENTS,
                                            TK_NOTIFYIMMEDIATE, TK_NEVERNOTIFY, TK_NONE};
const h248_tok h248_signal_param_tokens[] = {TK_STREAM,           TK_SIGNALTYPE,  TK_DURATION,
                                             TK_NOTIFYCOMPLETION, TK_KEEPACTIVE,  TK_DIRECTION,
                                             TK_REQUESTID,        TK_INTSIGDELAY, TK_NONE};
const h248_tok h248_observed_param_tokens[] = {TK_STREAM, TK_NONE};

bool h248_valid_token_param(h248_tok t, const h248_prop *p)
{
    if (t == TK_KEEPACTIVE || t == TK_RESETEVENTS || t == TK_NOTIFYIMMEDIATE || t == TK_NEVERNOTIFY)
        return p->rel == H248_REL_NONE;
    if (p->rel != H248_REL_EQ || !p->values || p->values->len == 0) return false;
    if (t == TK_NOTIFYCOMPLETION ? p->form != H248_VF_BRACE : p->form != H248_VF_SINGLE)
        return false;
    const h248_tok *vt = h248_param_value_tokens(t);
    for (guint i = 0; i < p->values->len; i++) {
        const h248_value *v = g_ptr_array_index(p->values, i);
        if (v->quoted || !v->text) return false;
        size_t n = strlen(v->text);
        if (vt) {
            if (h248_tok_find(vt, v->text, n) == TK_NONE) return false;
        } else if (t == TK_REQUESTID) {
            if (!(n == 1 && v->text[0] == '*') &&
                !h248_parse_uint(v->text, n, 10, 4294967295u, NULL))
                return false;
        } else if (!h248_parse_uint(v->text, n, 5, 65535, NULL)) {
            return false;
        }
    }
    return true;
}
