/* libFuzzer target for the WIC message codec: arbitrary text parsed as a client or a server
 * message. Whatever parses must build again and parse back to the same message; whatever fails
 * must yield a clean reason and an error answer that parses. The Makefile builds fuzz targets
 * from the sources under common/<mod>/ only, so the codec (json-glib only) is included here. */
#include "../../wtpf/wic_msg.c"

#include <stdint.h>
#include <stdlib.h>

static void same(const wic_msg *a, const wic_msg *b)
{
    if (a->type != b->type || a->code != b->code || g_strcmp0(a->id, b->id) ||
        g_strcmp0(a->to, b->to) || g_strcmp0(a->sdp, b->sdp) || g_strcmp0(a->digits, b->digits) ||
        g_strcmp0(a->user, b->user) || g_strcmp0(a->uri, b->uri) || g_strcmp0(a->from, b->from) ||
        g_strcmp0(a->reason, b->reason))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    wic_dir dir = (data[0] & 1) ? WIC_FROM_SERVER : WIC_FROM_CLIENT;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    wic_msg m;
    wic_error e;
    wic_err err = wic_msg_parse(text, len, dir, &m, &e);
    if (err == WIC_OK) {
        if (wic_msg_type_dir(m.type) != dir) abort();
        char *again = wic_msg_build(&m);
        if (!again) abort();
        wic_msg m2;
        if (wic_msg_parse(again, strlen(again), dir, &m2, &e) != WIC_OK) abort();
        same(&m, &m2);
        wic_msg_clear(&m2);
        g_free(again);
        wic_msg_clear(&m);
        return 0;
    }
    if (e.err != err || !e.reason[0] || !g_utf8_validate(e.reason, -1, NULL)) abort();
    for (const char *p = e.reason; *p; p++)
        if ((unsigned char)*p < 0x20) abort();
    if (m.id || m.to || m.sdp || m.digits || m.user || m.uri || m.from || m.reason) abort();
    char *answer = wic_build_parse_error(&e);
    if (!answer) abort();
    wic_msg back;
    if (wic_msg_parse(answer, strlen(answer), WIC_FROM_SERVER, &back, NULL) != WIC_OK ||
        back.type != WIC_MSG_ERROR || back.code != wic_err_status(err) ||
        g_strcmp0(back.id, e.id[0] ? e.id : NULL))
        abort();
    wic_msg_clear(&back);
    g_free(answer);
    return 0;
}
