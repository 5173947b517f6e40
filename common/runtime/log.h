/* Logging for every daemon: syslog levels, per-subsystem thresholds, a correlation-id field.
 * In the foreground lines go to stderr, otherwise to a configured file (reopened on SIGHUP) or syslog. */
#ifndef RT_LOG_H
#define RT_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

typedef enum {
    RT_SUB_MAIN = 0,
    RT_SUB_CFG,
    RT_SUB_ADMIN,
    RT_SUB_SIP,
    RT_SUB_IQ,
    RT_SUB_CX,
    RT_SUB_ICE,
    RT_SUB_DTLS,
    RT_SUB_SRTP,
    RT_SUB_RTP,
    RT_SUB_WS,
    RT_SUB_HTTP,
    RT_SUB_COUNT
} rt_sub_t;

/* Output target; file may be NULL (stderr when foreground, else syslog). */
int rt_log_open(const char *ident, bool foreground, const char *file);
int rt_log_reopen(void);
void rt_log_close(void);

/* Level names are syslog's: emerg alert crit err warning notice info debug. -1 if unknown. */
int rt_log_level_from_name(const char *name);
const char *rt_log_level_name(int level);
int rt_log_sub_from_name(const char *name);
const char *rt_log_sub_name(rt_sub_t sub);
void rt_log_set_level(rt_sub_t sub, int level);
void rt_log_set_all_levels(int level);
bool rt_log_enabled(rt_sub_t sub, int level);

void rt_log(int level, rt_sub_t sub, const char *cid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rt_logv(int level, rt_sub_t sub, const char *cid, const char *fmt, va_list ap);

#define RT_LOG(lvl, sub, cid, ...)                                                               \
    do {                                                                                         \
        if (rt_log_enabled((sub), (lvl))) rt_log((lvl), (sub), (cid), __VA_ARGS__);              \
    } while (0)
#define LOGE(sub, cid, ...) RT_LOG(LOG_ERR, sub, cid, __VA_ARGS__)
#define LOGW(sub, cid, ...) RT_LOG(LOG_WARNING, sub, cid, __VA_ARGS__)
#define LOGN(sub, cid, ...) RT_LOG(LOG_NOTICE, sub, cid, __VA_ARGS__)
#define LOGI(sub, cid, ...) RT_LOG(LOG_INFO, sub, cid, __VA_ARGS__)
#define LOGD(sub, cid, ...) RT_LOG(LOG_DEBUG, sub, cid, __VA_ARGS__)

/* A new random correlation id (16 hex chars) written to buf (>= 17 bytes). */
void rt_cid_new(char *buf, unsigned len);

#endif
