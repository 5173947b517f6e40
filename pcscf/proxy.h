/* The stateful proxy (RFC 3261 §16) on sofia-sip's nta: server transactions for every request
 * that is not ours to absorb, client transactions per target (parallel forking), response
 * selection (§16.7), CANCEL propagation, Via/Record-Route/Route/Max-Forwards handling, loop
 * detection (§16.3 item 4 with the branch hash of §16.6 item 8), 420 for unknown Proxy-Require
 * tags, identity (PPI -> PAI, PAI trust) and charging-vector rules on originating requests, and
 * terminating routing by LIR to registered contacts, GIN-registered PBX ranges and static
 * trunks. ACKs for 2xx and stray responses are forwarded statelessly. */
#ifndef PCSCF_PROXY_H
#define PCSCF_PROXY_H

#include "pcscf/pcscf.h"

/* Creates the proxy on p->agent's traffic (the agent's message callback must call
 * pcscf_proxy_on_message). */
pcscf_proxy_t *pcscf_proxy_new(pcscf_t *p);
/* Pending transactions are answered 503 and dropped, branches cancelled. */
void pcscf_proxy_free(pcscf_proxy_t *px);

/* nta_message_f for the agent: requests outside any transaction and stray responses. */
int pcscf_proxy_on_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg, sip_t *sip);

unsigned pcscf_proxy_pending(const pcscf_proxy_t *px);
/* Graceful stop: every call's AGW context is released now (the Subtracts go out). */
void pcscf_proxy_release_media(pcscf_proxy_t *px);
unsigned pcscf_proxy_dialogs(const pcscf_proxy_t *px);

#endif
