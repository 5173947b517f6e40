/* The HSS side of Cx (TS 29.228 §6 procedures, TS 29.229 encoding): UAR, MAR, SAR and LIR in,
 * answers out. Pure request -> answer logic over the subscriber store; no I/O. */
#ifndef HSS_CX_SERVER_H
#define HSS_CX_SERVER_H
#include "diameter/codec.h"
#include "diameter/cx.h"
#include "subscribers.h"

typedef struct {
    hss_store_t *store;
    dia_node node;           /* our Origin-Host / Origin-Realm */
    const char *server_name; /* S-CSCF name offered when none is assigned (may be NULL) */
} hss_cx_t;

/* Builds the answer to a decoded Cx (or unknown) request. `result` receives a short label for
 * metrics and logs ("2001", "exp-5001", ...), at least 16 bytes. Never returns NULL. */
dia_msg *hss_cx_handle(hss_cx_t *cx, const dia_msg *req, char *result, size_t result_len);

#endif
