/* decode.c - incremental decoders for the bytes of the engine's streaming
 * bodies: the multiplexed stdout/stderr frame format and concatenated JSON
 * values (progress and event streams). Pure: no I/O and no transfer (the
 * transfers that bring the bytes are stream_transfer.c's).
 *
 * Both accept input split anywhere, never buffer a whole frame (memory stays
 * bounded whatever size a header claims), and report a stream that stops
 * mid-message as truncated: moby's own StdCopy drops such a tail silently,
 * which hides lost output.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>
#include "luadock.h"

void ld_demux_init(ld_demux *d)
{
    memset(d, 0, sizeof *d);
}

int ld_demux_feed(ld_demux *d, const char *data, size_t len, ld_demux_cb cb, void *ud,
                  ld_error *err)
{
    while (len > 0) {
        if (d->remaining == 0) {
            size_t want = sizeof d->header - d->header_have;
            size_t take = len < want ? len : want;
            memcpy(d->header + d->header_have, data, take);
            d->header_have += take;
            data += take;
            len -= take;
            if (d->header_have < sizeof d->header)
                return 0;
            d->header_have = 0;
            d->type = d->header[0];
            d->remaining = (uint32_t)d->header[4] << 24 | (uint32_t)d->header[5] << 16 |
                           (uint32_t)d->header[6] << 8 | (uint32_t)d->header[7];
            if (d->type > 3) {
                ld_error_set(err, LD_E_PROTOCOL, "unknown stream type %d in a multiplexed "
                             "stream", d->type);
                return -1;
            }
            continue;
        }
        size_t take = len < d->remaining ? len : d->remaining;
        ld_stream_id id = d->type == 2 ? LD_STDERR : d->type == 3 ? LD_SYSERR : LD_STDOUT;
        int rc = cb(ud, id, data, take);
        d->remaining -= (uint32_t)take;
        data += take;
        len -= take;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int ld_demux_finish(const ld_demux *d, ld_error *err)
{
    if (d->remaining == 0 && d->header_have == 0)
        return 0;
    ld_error_set(err, LD_E_TRUNCATED, "the stream ended in the middle of a frame (%s)",
                 d->header_have ? "inside a frame header" : "inside a frame's payload");
    return -1;
}

void ld_jsonsplit_init(ld_jsonsplit *s)
{
    memset(s, 0, sizeof *s);
}

void ld_jsonsplit_free(ld_jsonsplit *s)
{
    ld_buf_free(&s->carry);
}

static size_t skip_space(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)p[i]))
        i++;
    return i;
}

/* Scans the carry's new bytes; true when one of them may end the value the
 * carry starts with: a newline (which also lets a malformed line be told),
 * a closing bracket back at the top level, the end of a top-level string, or
 * any other byte at the top level (a bare number or literal). Inside a value
 * that is still open nothing can complete it, so there is no need to parse. */
static int jsonsplit_scan(ld_jsonsplit *s)
{
    int may_end = 0;
    for (; s->scan < s->carry.len; s->scan++) {
        unsigned char c = (unsigned char)s->carry.data[s->scan];
        if (c == '\n') {
            s->newline = 1;
            may_end = 1;
        }
        if (s->in_str) {
            if (s->esc)
                s->esc = 0;
            else if (c == '\\')
                s->esc = 1;
            else if (c == '"') {
                s->in_str = 0;
                may_end |= s->depth <= 0;
            }
        } else if (c == '"') {
            s->in_str = 1;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            may_end |= --s->depth <= 0;
        } else if (s->depth <= 0) {
            may_end = 1;
        }
    }
    return may_end;
}

/* Drops the first n bytes of the carry and scans what is left afresh. */
static void jsonsplit_consume(ld_jsonsplit *s, size_t n)
{
    ld_buf_consume(&s->carry, n);
    if (n == 0)
        return;
    s->scan = 0;
    s->depth = 0;
    s->in_str = s->esc = s->newline = 0;
    (void)jsonsplit_scan(s);
}

/* A value may be complete yet unparsable only at the very end of the input
 * (split mid-value), so a parse failure keeps the bytes for the next feed
 * unless a newline after the value's start shows it really is malformed. */
int ld_jsonsplit_feed(ld_jsonsplit *s, const char *data, size_t len, ld_jsonsplit_cb cb,
                      void *ud, ld_error *err)
{
    if (ld_buf_append(&s->carry, data, len) != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    int may_end = jsonsplit_scan(s) || s->pending;
    s->pending = 0;
    if (!may_end) {
        if (s->carry.len > LD_BODY_CAP) {
            ld_error_set(err, LD_E_TOO_LARGE, "a JSON value in a stream exceeds %zu bytes",
                         (size_t)LD_BODY_CAP);
            return -1;
        }
        return 0;
    }
    size_t pos = 0;
    for (;;) {
        pos += skip_space(s->carry.data + pos, s->carry.len - pos);
        if (pos >= s->carry.len)
            break;
        const char *start = s->carry.data + pos;
        size_t avail = s->carry.len - pos;
        const char *end = NULL;
        cJSON *value = cJSON_ParseWithLengthOpts(start, avail, &end, 0);
        if (!value) {
            /* Incomplete unless a whole line is there and still fails. */
            const char *nl = s->newline ? memchr(start, '\n', avail) : NULL;
            if (nl && cJSON_ParseWithLength(start, (size_t)(nl - start)) == NULL) {
                ld_error_set(err, LD_E_PROTOCOL, "malformed JSON in a stream: %.60s", start);
                return -1;
            }
            if (avail > LD_BODY_CAP) {
                ld_error_set(err, LD_E_TOO_LARGE, "a JSON value in a stream exceeds %zu bytes",
                             (size_t)LD_BODY_CAP);
                return -1;
            }
            break;
        }
        /* A bare number or literal at the end may continue in the next chunk;
         * cJSON stops a number cut inside its exponent ("1.5e") before the
         * 'e', so a tail of number characters still counts as the end. */
        if ((cJSON_IsNumber(value) || cJSON_IsBool(value) || cJSON_IsNull(value)) &&
            strspn(end, "0123456789+-.eE") == (size_t)(s->carry.data + s->carry.len - end)) {
            cJSON_Delete(value);
            break;
        }
        pos = (size_t)(end - s->carry.data);
        int rc = cb(ud, value);
        if (rc != 0) {
            jsonsplit_consume(s, pos);
            s->pending = 1;   /* what is left may hold whole values */
            return rc;
        }
    }
    jsonsplit_consume(s, pos);
    return 0;
}

int ld_jsonsplit_finish(ld_jsonsplit *s, ld_error *err)
{
    size_t n = skip_space(s->carry.data ? s->carry.data : "", s->carry.len);
    if (n == s->carry.len)
        return 0;
    ld_error_set(err, LD_E_TRUNCATED, "the stream ended inside a JSON value: %.60s",
                 s->carry.data + n);
    return -1;
}
