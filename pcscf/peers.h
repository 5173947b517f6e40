/* The W8 peer table: each WTPF (or other PBX) the pcscf serves on a business trunk, found by the
 * source address of its requests, with its mode (RFC 6140 registration or static, 23.228 Annex
 * S), trust flags and, in static mode, the PBX subscription and number ranges that give the
 * static terminating routes. */
#ifndef PCSCF_PEERS_H
#define PCSCF_PEERS_H

#include <glib.h>
#include <libconfig.h>
#include <stdbool.h>

#include "pcscf/identity.h"
#include "runtime/config.h"

typedef enum {
    PCSCF_PEER_REGISTRATION = 0, /* registers with GIN; routed through its bnc contact */
    PCSCF_PEER_STATIC,           /* never registers; routed by the configured ranges */
} pcscf_peer_mode;

typedef struct {
    char *name;
    char *address;   /* source IPv4/IPv6 address of its requests */
    unsigned port;   /* its SIP port (static routes) */
    char *transport; /* "udp", "tcp" or "tls" (static routes) */
    pcscf_peer_mode mode;
    bool trusted;           /* inside the trust domain: its PAI is believed (RFC 3325) */
    bool privileged;        /* may assert identities outside its ranges (call diversion) */
    bool webrtc;            /* its SDP describes WebRTC media: anchor in the AGW */
    char *impi;             /* IMPI used when its REGISTER has no Authorization header */
    char *identity;         /* static: the PBX subscription's default IMPU */
    pcscf_idset_t *ranges;  /* static: identity + ranges from the configuration */
    pcscf_idset_t *profile; /* static: implicit set loaded from the HSS (owned; may be NULL) */
} pcscf_peer_t;

typedef struct pcscf_peers pcscf_peers_t;

extern const rt_cfg_key_t pcscf_peer_keys[];

/* Semantic checks of the "peers" list (modes, ranges that compile, duplicate addresses). */
void pcscf_peers_check(const config_t *cfg, GString *errors);
pcscf_peers_t *pcscf_peers_load(const config_t *cfg);
void pcscf_peers_free(pcscf_peers_t *p);

guint pcscf_peers_count(const pcscf_peers_t *p);
pcscf_peer_t *pcscf_peers_nth(pcscf_peers_t *p, guint i);
/* The peer whose address is `ip` (NULL when none). */
pcscf_peer_t *pcscf_peers_by_address(pcscf_peers_t *p, const char *ip);
pcscf_peer_t *pcscf_peers_by_name(pcscf_peers_t *p, const char *name);
/* The static-mode peer whose ranges contain `uri` (a static terminating route), or NULL. */
pcscf_peer_t *pcscf_peers_static_route(pcscf_peers_t *p, const char *uri);
/* Identities a static peer may assert: the HSS profile when loaded, else its configured ranges. */
const pcscf_idset_t *pcscf_peer_identities(const pcscf_peer_t *peer);
/* Replaces the HSS profile of a static peer (takes ownership). */
void pcscf_peer_set_profile(pcscf_peer_t *peer, pcscf_idset_t *profile);

#endif
