/* W8 peer table (see peers.h). */
#include "pcscf/peers.h"

#include <string.h>

#include "pcscf/uri.h"

struct pcscf_peers {
    GPtrArray *peers; /* pcscf_peer_t*, owned */
};

const rt_cfg_key_t pcscf_peer_keys[] = {
    {"name", RT_CFG_STRING, NULL, 1, 64, "peer name (logs, metrics)", NULL, RT_CFG_REQUIRED, NULL},
    {"address", RT_CFG_STRING, NULL, 1, 64, "source IP address of the peer's SIP requests", NULL,
     RT_CFG_REQUIRED, NULL},
    {"port", RT_CFG_INT, "5060", 1, 65535, "the peer's SIP port (static routes)", NULL, 0, NULL},
    {"transport", RT_CFG_STRING, "\"udp\"", 0, 0, "transport toward the peer (static routes)", NULL,
     0, "udp|tcp|tls"},
    {"mode", RT_CFG_STRING, "\"registration\"", 0, 0,
     "registration: RFC 6140 GIN REGISTER; static: configured ranges, no REGISTER", NULL, 0,
     "registration|static"},
    {"trusted", RT_CFG_BOOL, "true", 0, 0,
     "inside the trust domain: P-Asserted-Identity within its ranges is kept (RFC 3325)", NULL, 0,
     NULL},
    {"privileged_sender", RT_CFG_BOOL, "false", 0, 0,
     "may assert identities outside its ranges (diverted calls keep the caller's identity)", NULL,
     0, NULL},
    {"webrtc", RT_CFG_BOOL, "true", 0, 0, "its SDP is WebRTC media: anchor calls in the AGW", NULL,
     0, NULL},
    {"impi", RT_CFG_STRING, NULL, 1, 256,
     "IMPI for a REGISTER without Authorization (registration mode)", NULL, 0, NULL},
    {"identity", RT_CFG_STRING, NULL, 1, 256,
     "static mode: the PBX subscription's default IMPU (loaded from the HSS when provisioned)",
     NULL, 0, NULL},
    {"ranges", RT_CFG_STRLIST, NULL, 0, 0,
     "static mode: IMPUs and wildcarded ranges (tel:+3314000!.*!) routed to this peer", NULL, 0,
     NULL},
    {NULL}};

static void peer_free(gpointer p)
{
    pcscf_peer_t *peer = p;
    g_free(peer->name);
    g_free(peer->address);
    g_free(peer->transport);
    g_free(peer->impi);
    g_free(peer->identity);
    pcscf_idset_free(peer->ranges);
    pcscf_idset_free(peer->profile);
    g_free(peer);
}

static char *dup_or_null(const char *s)
{
    return s ? g_strdup(s) : NULL;
}

void pcscf_peers_check(const config_t *cfg, GString *errors)
{
    config_setting_t *list = config_lookup(cfg, "peers");
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; list && i < config_setting_length(list); i++) {
        config_setting_t *e = config_setting_get_elem(list, i);
        const char *addr = rt_cfg_member_str(e, "address");
        const char *mode = rt_cfg_member_str(e, "mode");
        bool is_static = mode && strcmp(mode, "static") == 0;
        if (addr && g_hash_table_contains(seen, addr))
            rt_cfg_error(errors, e, "peers: address %s listed twice", addr);
        else if (addr)
            g_hash_table_add(seen, (gpointer)addr);
        if (addr && !g_hostname_is_ip_address(addr))
            rt_cfg_error(errors, e, "peers: address must be an IP address, not '%s'", addr);
        config_setting_t *ranges = config_setting_get_member(e, "ranges");
        if (is_static && !rt_cfg_member_str(e, "identity") &&
            (!ranges || config_setting_length(ranges) == 0))
            rt_cfg_error(errors, e, "peers: a static peer needs identity and/or ranges");
        for (int r = 0; ranges && r < config_setting_length(ranges); r++) {
            const char *uri = config_setting_get_string_elem(ranges, r);
            pcscf_idset_t *t = pcscf_idset_new();
            if (!uri || !pcscf_idset_add(t, uri, false))
                rt_cfg_error(errors, ranges, "peers: range '%s' is not a URI or wildcard",
                             uri ? uri : "");
            pcscf_idset_free(t);
        }
        const char *id = rt_cfg_member_str(e, "identity");
        char *canon = id ? pcscf_uri_canon(id) : NULL;
        if (id && (!canon || pcscf_impu_is_wildcard(id)))
            rt_cfg_error(errors, e, "peers: identity '%s' must be a sip:, sips: or tel: URI", id);
        g_free(canon);
    }
    g_hash_table_destroy(seen);
}

pcscf_peers_t *pcscf_peers_load(const config_t *cfg)
{
    pcscf_peers_t *p = g_new0(pcscf_peers_t, 1);
    p->peers = g_ptr_array_new_with_free_func(peer_free);
    config_setting_t *list = config_lookup(cfg, "peers");
    for (int i = 0; list && i < config_setting_length(list); i++) {
        config_setting_t *e = config_setting_get_elem(list, i);
        pcscf_peer_t *peer = g_new0(pcscf_peer_t, 1);
        peer->name = g_strdup(rt_cfg_member_str(e, "name"));
        peer->address = g_strdup(rt_cfg_member_str(e, "address"));
        peer->port = (unsigned)rt_cfg_member_int(e, "port", 5060);
        peer->transport = dup_or_null(rt_cfg_member_str(e, "transport"));
        if (!peer->transport) peer->transport = g_strdup("udp");
        const char *mode = rt_cfg_member_str(e, "mode");
        peer->mode =
            mode && strcmp(mode, "static") == 0 ? PCSCF_PEER_STATIC : PCSCF_PEER_REGISTRATION;
        peer->trusted = rt_cfg_member_bool(e, "trusted", true);
        peer->privileged = rt_cfg_member_bool(e, "privileged_sender", false);
        peer->webrtc = rt_cfg_member_bool(e, "webrtc", true);
        peer->impi = dup_or_null(rt_cfg_member_str(e, "impi"));
        peer->identity = dup_or_null(rt_cfg_member_str(e, "identity"));
        peer->ranges = pcscf_idset_new();
        if (peer->identity) pcscf_idset_add(peer->ranges, peer->identity, false);
        config_setting_t *ranges = config_setting_get_member(e, "ranges");
        for (int r = 0; ranges && r < config_setting_length(ranges); r++) {
            const char *uri = config_setting_get_string_elem(ranges, r);
            if (uri) pcscf_idset_add(peer->ranges, uri, false);
        }
        g_ptr_array_add(p->peers, peer);
    }
    return p;
}

void pcscf_peers_free(pcscf_peers_t *p)
{
    if (!p) return;
    g_ptr_array_free(p->peers, TRUE);
    g_free(p);
}

guint pcscf_peers_count(const pcscf_peers_t *p)
{
    return p->peers->len;
}

pcscf_peer_t *pcscf_peers_nth(pcscf_peers_t *p, guint i)
{
    return i < p->peers->len ? p->peers->pdata[i] : NULL;
}

pcscf_peer_t *pcscf_peers_by_address(pcscf_peers_t *p, const char *ip)
{
    for (guint i = 0; ip && i < p->peers->len; i++) {
        pcscf_peer_t *peer = p->peers->pdata[i];
        if (g_ascii_strcasecmp(peer->address, ip) == 0) return peer;
    }
    return NULL;
}

pcscf_peer_t *pcscf_peers_by_name(pcscf_peers_t *p, const char *name)
{
    for (guint i = 0; name && i < p->peers->len; i++) {
        pcscf_peer_t *peer = p->peers->pdata[i];
        if (strcmp(peer->name, name) == 0) return peer;
    }
    return NULL;
}

pcscf_peer_t *pcscf_peers_static_route(pcscf_peers_t *p, const char *uri)
{
    for (guint i = 0; uri && i < p->peers->len; i++) {
        pcscf_peer_t *peer = p->peers->pdata[i];
        if (peer->mode != PCSCF_PEER_STATIC) continue;
        const pcscf_identity_t *id = pcscf_idset_match(peer->ranges, uri);
        if (!id && peer->profile) id = pcscf_idset_match(peer->profile, uri);
        if (id && !id->barred) return peer;
    }
    return NULL;
}

const pcscf_idset_t *pcscf_peer_identities(const pcscf_peer_t *peer)
{
    return peer->profile ? peer->profile : peer->ranges;
}

void pcscf_peer_set_profile(pcscf_peer_t *peer, pcscf_idset_t *profile)
{
    pcscf_idset_free(peer->profile);
    peer->profile = profile;
}
