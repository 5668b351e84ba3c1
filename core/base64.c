/* base64.c - RFC 4648 base64, standard and URL-safe alphabets.
 *
 * The engine wants X-Registry-Auth as base64url JSON and sends archive stat
 * headers as base64 JSON. Neither libcurl nor cJSON exports a codec, and
 * glibc has none, so this small one is written here; it is pure and decodes
 * defensively (any byte outside the alphabets fails).
 */
#include <string.h>
#include "luadock.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int ld_base64_encode(ld_buf *out, const unsigned char *data, size_t len, int url)
{
    const char *abc = url ? url_alphabet : std_alphabet;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (unsigned)data[i + 1] << 8;
        if (n > 2)
            v |= data[i + 2];
        char quad[4] = {abc[v >> 18 & 63], abc[v >> 12 & 63], n > 1 ? abc[v >> 6 & 63] : '=',
                        n > 2 ? abc[v & 63] : '='};
        if (ld_buf_append(out, quad, 4) != 0)
            return -1;
    }
    if (!out->data)
        return ld_buf_append(out, "", 0);
    return 0;
}

static int sextet(char ch)
{
    const char *p = ch ? strchr(std_alphabet, ch) : NULL;
    if (p)
        return (int)(p - std_alphabet);
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

int ld_base64_decode(ld_buf *out, const char *text, size_t len)
{
    while (len && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        size_t n = len - i < 4 ? len - i : 4;
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++) {
            int s = k < n ? sextet(text[i + k]) : 0;
            if (s < 0)
                return -1;
            v = v << 6 | (unsigned)s;
        }
        unsigned char bytes[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8),
                                  (unsigned char)v};
        if (ld_buf_append(out, bytes, n - 1) != 0)
            return -2;   /* out of memory: not to be read as invalid text */
    }
    if (!out->data)
        return ld_buf_append(out, "", 0) != 0 ? -2 : 0;
    return 0;
}
