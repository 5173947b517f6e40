/* Logging backend: one line per event, "time node[pid]: level sub [cid] text".
 * Thresholds are per subsystem; the process holds a single log target (set up once by daemon.c). */
#include "runtime/log.h"

#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"emerg", "alert", "crit",   "err",
                                          "warning", "notice", "info", "debug"};
static const char *const sub_names[RT_SUB_COUNT] = {
    "main", "cfg", "admin", "sip", "iq", "cx", "ice", "dtls", "srtp", "rtp", "ws", "http"};

/* Process-wide log target: logging is the one facility every module reaches without a context. */
static struct {
    char ident[64];
    bool foreground;
    char *file;
    FILE *fp;
    int levels[RT_SUB_COUNT];
    pthread_mutex_t lock;
} lg = {.ident = "suite", .foreground = true, .lock = PTHREAD_MUTEX_INITIALIZER,
        .levels = {LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO,
                   LOG_INFO, LOG_INFO, LOG_INFO, LOG_INFO}};

int rt_log_open(const char *ident, bool foreground, const char *file)
{
    g_strlcpy(lg.ident, ident, sizeof lg.ident);
    lg.foreground = foreground;
    g_free(lg.file);
    lg.file = (file && *file) ? g_strdup(file) : NULL;
    if (lg.file) return rt_log_reopen();
    if (!foreground) openlog(lg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    return 0;
}

int rt_log_reopen(void)
{
    if (!lg.file) return 0;
    FILE *fp = fopen(lg.file, "a");
    if (!fp) return -1;
    setvbuf(fp, NULL, _IOLBF, 0);
    pthread_mutex_lock(&lg.lock);
    FILE *old = lg.fp;
    lg.fp = fp;
    pthread_mutex_unlock(&lg.lock);
    if (old) fclose(old);
    return 0;
}

void rt_log_close(void)
{
    if (lg.fp) fclose(lg.fp);
    lg.fp = NULL;
    g_clear_pointer(&lg.file, g_free);
    if (!lg.foreground) closelog();
}

int rt_log_level_from_name(const char *name)
{
    for (int i = 0; i < 8; i++)
        if (strcasecmp(name, level_names[i]) == 0) return i;
    if (strcasecmp(name, "error") == 0) return LOG_ERR;
    if (strcasecmp(name, "warn") == 0) return LOG_WARNING;
    return -1;
}

const char *rt_log_level_name(int level)
{
    return (level >= 0 && level < 8) ? level_names[level] : "?";
}

int rt_log_sub_from_name(const char *name)
{
    for (int i = 0; i < RT_SUB_COUNT; i++)
        if (strcmp(name, sub_names[i]) == 0) return i;
    return -1;
}

const char *rt_log_sub_name(rt_sub_t sub)
{
    return (sub < RT_SUB_COUNT) ? sub_names[sub] : "?";
}

void rt_log_set_level(rt_sub_t sub, int level)
{
    if (sub < RT_SUB_COUNT) lg.levels[sub] = level;
}

void rt_log_set_all_levels(int level)
{
    for (int i = 0; i < RT_SUB_COUNT; i++) lg.levels[i] = level;
}

bool rt_log_enabled(rt_sub_t sub, int level)
{
    return sub < RT_SUB_COUNT && level <= lg.levels[sub];
}

void rt_logv(int level, rt_sub_t sub, const char *cid, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* Never let peer-supplied text break the one-event-one-line rule. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    char cidf[48] = "";
    if (cid && *cid) snprintf(cidf, sizeof cidf, "[%s] ", cid);
    if (!lg.fp && !lg.foreground) {
        syslog(level, "%s %s%s", rt_log_sub_name(sub), cidf, msg);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char tbuf[32];
    strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&lg.lock);
    FILE *out = lg.fp ? lg.fp : stderr;
    fprintf(out, "%s.%03ldZ %s[%d]: %s %s %s%s\n", tbuf, ts.tv_nsec / 1000000, lg.ident,
            (int)getpid(), rt_log_level_name(level), rt_log_sub_name(sub), cidf, msg);
    pthread_mutex_unlock(&lg.lock);
}

void rt_log(int level, rt_sub_t sub, const char *cid, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_logv(level, sub, cid, fmt, ap);
    va_end(ap);
}

void rt_cid_new(char *buf, unsigned len)
{
    snprintf(buf, len, "%08x%08x", g_random_int(), g_random_int());
}
