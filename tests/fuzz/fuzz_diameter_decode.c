/* libFuzzer target for the Diameter decoder: arbitrary bytes must decode or fail with a status;
 * whatever decodes must re-encode to the very same bytes and decode again to an equal tree.
 * Also exercises framing, the text dump and the error-answer builder on failures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diameter/codec.h"
#include "diameter/cx.h"

static void round_trip(const uint8_t *data, size_t size, unsigned flags)
{
    dia_decode_opts opts = {.flags = flags};
    dia_error err = DIA_ERROR_INIT;
    dia_msg *m = dia_msg_decode(data, size, &opts, &err);
    if (!m) {
        if (err.status == DIA_OK) abort();
        /* The answer to a faulty request must itself be encodable and decodable. */
        static const dia_node me = {"fuzz.example.net", "example.net"};
        dia_msg *ans = dia_error_answer_new(&err, &me);
        if (ans) {
            /* Well framed (values copied from the request may still break dictionary rules). */
            GByteArray *enc = dia_msg_encode(ans);
            if (!enc) abort();
            dia_decode_opts framing = {.flags = DIA_DEC_NO_VALIDATE};
            dia_msg *back = dia_msg_decode(enc->data, enc->len, &framing, NULL);
            GByteArray *enc2 = back ? dia_msg_encode(back) : NULL;
            if (!enc2 || enc2->len != enc->len || memcmp(enc2->data, enc->data, enc->len) != 0)
                abort();
            g_byte_array_unref(enc2);
            dia_msg_free(back);
            g_byte_array_unref(enc);
            dia_msg_free(ans);
        }
        dia_error_clear(&err);
        return;
    }
    if (err.status != DIA_OK || err.partial) abort();
    GByteArray *enc = dia_msg_encode(m);
    if (!enc) abort();
    /* Padding is zero and lengths are exact unless lenient, so the bytes come back unchanged. */
    if (!(flags & DIA_DEC_LENIENT) && (enc->len != size || memcmp(enc->data, data, size) != 0))
        abort();
    dia_msg *again = dia_msg_decode(enc->data, enc->len, &opts, NULL);
    if (!again || !dia_msg_equal(m, again)) abort();
    char *txt = dia_msg_to_string(m);
    g_free(txt);
    dia_msg_free(again);
    g_byte_array_unref(enc);
    dia_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly-sized copy so any over-read is caught even for libFuzzer's own buffers. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);

    size_t need = 0;
    dia_status fs = dia_frame_length(copy, size, 0, &need);
    if (fs == DIA_OK && (need < DIA_HDR_LEN || need > DIA_DEFAULT_MAX_MSG)) abort();

    round_trip(copy, size, 0);
    round_trip(copy, size, DIA_DEC_NO_VALIDATE);
    round_trip(copy, size, DIA_DEC_RAW);
    round_trip(copy, size, DIA_DEC_LENIENT);
    free(copy);
    return 0;
}
