/* Logged-in WIC sessions: one per WebSocket, bound to a directory user. Speaks the JSON
 * messages of the WIC API (wic_msg.h) over its ws_conn: sends `ready` on open, parses what the
 * client sends (answering malformed messages with `error`) and hands valid messages on. The
 * table owns every session and tells its owner when one goes. */
#ifndef WTPF_WIC_SESSION_H
#define WTPF_WIC_SESSION_H

#include <glib.h>
#include <stdbool.h>

#include "runtime/metrics.h"
#include "wtpf/directory.h"
#include "wtpf/wic_msg.h"
#include "wtpf/ws_conn.h"

typedef struct wic_sessions wic_sessions;

typedef struct wic_session {
    wic_sessions *table;
    unsigned serial; /* for logs */
    wtpf_user *user;
    ws_conn *ws; /* NULL once the WebSocket is closed */
    bool closed;
    GHashTable *calls; /* WIC call id -> call (calls.c's), borrowed */
    unsigned errors;   /* malformed messages so far */
    char peer[64];
} wic_session;

typedef struct {
    /* A valid client message (call, answer, reject, hangup, dtmf). */
    void (*on_message)(void *ud, wic_session *s, const wic_msg *m);
    /* The session is going (WebSocket closed); the owner drops its references. Called from an
     * idle callback, never from inside a send. */
    void (*on_gone)(void *ud, wic_session *s);
} wic_session_cbs;

wic_sessions *wic_sessions_new(ws_hub *hub, rt_metrics_t *metrics, unsigned max_per_user,
                               unsigned max_errors);
void wic_sessions_set_cbs(wic_sessions *t, const wic_session_cbs *cbs, void *ud);
/* Frees every session (after ws_hub_close_all / when stopping), without calling on_gone. */
void wic_sessions_free(wic_sessions *t);

/* True when the user may open one more session. */
bool wic_sessions_may_open(wic_sessions *t, const wtpf_user *u);
/* Adopts an upgraded connection for user u and sends `ready`; call from the MHD upgrade
 * handler. */
wic_session *wic_sessions_open(wic_sessions *t, wtpf_user *u, const char *identity,
                               struct MHD_UpgradeResponseHandle *urh, int fd, const char *extra,
                               size_t extra_len, const char *peer);

/* The open sessions of a user (wic_session*), possibly NULL or empty. */
GPtrArray *wic_sessions_of(wic_sessions *t, const wtpf_user *u);
unsigned wic_sessions_count(const wic_sessions *t);
unsigned wic_sessions_users(const wic_sessions *t);

/* Sends a JSON text (taken over and freed); false when the session is closed. */
bool wic_session_send(wic_session *s, char *json);
/* Closes the WebSocket with a close code. */
void wic_session_close(wic_session *s, unsigned code, const char *reason);

#endif
