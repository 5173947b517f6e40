/* The pcscf node's context: one per daemon, passed explicitly to every part (proxy, registrar
 * procedure, Cx client, peers, media anchoring). main.c builds it from the configuration. */
#ifndef PCSCF_PCSCF_H
#define PCSCF_PCSCF_H

#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/su_wait.h>

#include "pcscf/anchor.h"
#include "pcscf/auth.h"
#include "pcscf/cx_client.h"
#include "pcscf/peers.h"
#include "pcscf/registrar.h"
#include "runtime/config.h"
#include "runtime/daemon.h"
#include "runtime/metrics.h"

typedef struct pcscf_proxy pcscf_proxy_t;
typedef struct pcscf_regproc pcscf_regproc_t;

/* Settings read once from the configuration (strings owned here). */
typedef struct {
    char *address;      /* SIP listen address: Via, Record-Route, Path, Service-Route host */
    unsigned port;      /* UDP and TCP */
    unsigned tls_port;  /* 0: no TLS */
    char *tls_dir;      /* sofia-sip certificate directory (agent.pem, cafile.pem) */
    char *domain;       /* home domain */
    char **local_names; /* domain, aliases, address: hosts that mean "us" */
    unsigned max_forwards;
    unsigned invite_timeout_s; /* RFC 3261 §16.6 Timer C */
    bool reject_foreign_pai;
    char *orig_ioi; /* RFC 7315 orig-ioi (the home domain) */
    /* registrar */
    char *digest_realm;
    unsigned min_expires, max_expires, default_expires, nonce_lifetime;
} pcscf_settings_t;

typedef struct pcscf {
    rt_daemon_t *d;
    rt_metrics_t *metrics;
    pcscf_settings_t set;
    su_root_t *root;
    GSource *su_source;
    nta_agent_t *agent;
    pcscf_proxy_t *proxy;
    pcscf_regproc_t *regproc;
    pcscf_registrar_t *reg;
    pcscf_nonces_t *nonces;
    pcscf_cx_t *cx;
    pcscf_peers_t *peers;
    pcscf_iq_cfg_t iq_cfg; /* read from the "iq" group; pcscf_iq_new() keeps pointers into it */
    pcscf_iq_t *iq;        /* Iq MGC endpoint; NULL: media anchoring off */
    bool stopping;
} pcscf_t;

extern const rt_cfg_key_t pcscf_keys[];
void pcscf_check_config(const config_t *cfg, GString *errors);
void pcscf_settings_load(pcscf_settings_t *s, const config_t *cfg);
void pcscf_settings_clear(pcscf_settings_t *s);

/* 16 random bytes (GLib's generator, seeded per process). */
void pcscf_random16(unsigned char out[16]);
/* Counts a server transaction's final response: sip_transactions_total{method,class}. */
void pcscf_count_tx(pcscf_t *p, const char *method, int status);

#endif
