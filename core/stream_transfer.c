/* stream_transfer.c - streaming responses read piece by piece (logs, events,
 * progress, attach): the transfers behind an ld_stream. The bytes they bring
 * are decoded elsewhere (decode.c), by whoever reads them.
 *
 * A stream is a transfer on the client's multi handle whose body is handed
 * out as it arrives; when the reader falls behind, the transfer is paused
 * (back-pressure) instead of buffering without bound. Hijacked connections
 * (hijack.c) share the same read/close entry points, so this file is the top
 * of the core's transfer layers: it calls transport.c and hijack.c, and
 * nothing below calls it.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static ld_stream *stream_new(ld_client *c, const ld_request *req)
{
    ld_stream *s = ld_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->client = c;
    s->fd = CURL_SOCKET_BAD;
    snprintf(s->method, sizeof s->method, "%s", req->method);
    snprintf(s->path, sizeof s->path, "%s", req->path);
    return s;
}

int ld_stream_start(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err)
{
    ld_xfer *x;
    *out = NULL;
    if (ld_xfer_start(c, req, 1, &x, err) != 0)
        return -1;
    ld_stream *s = stream_new(c, req);
    if (!s) {
        ld_xfer_free(x);
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    s->xfer = x;
    s->opening = 1;
    *out = s;
    return 0;
}

int ld_stream_opening(ld_stream *s, double wait, ld_error *err)
{
    ld_xfer *x = s->xfer;
    if (!s->opening)
        return 1;
    double until = wait >= 0 ? ld_now() + wait : 0;
    /* Every call steps the transfer at least once, also with a zero wait:
     * only ld_xfer_step moves a transfer from its API-version ping to its
     * own request, which ld_wait_any's curl_multi_perform never does. */
    int stepped = 0;
    for (;;) {
        /* An error status: its body is small; read all of it, then report. */
        if (x->headers_done && x->status >= 400)
            x->streaming = 0;
        int ready = x->status >= 400 ? x->done : x->headers_done || x->done;
        if (ready)
            break;
        double left = until - ld_now();
        if (wait >= 0 && left <= 0 && stepped)
            return 0;
        if (ld_xfer_step(x, wait < 0 ? -1 : left > 0 ? left : 0, err) != 0)
            return -1;
        stepped = 1;
    }
    if (!x->headers_done || x->status >= 400) {
        if (x->headers_done && x->done && x->result == CURLE_OK) {
            ld_error_from_body(err, x->status, x->content_type, x->body.data, x->body.len);
            ld_error_where(err, s->method, s->path);
        } else if (ld_xfer_check(x, err) == 0) {
            ld_error_set(err, LD_E_PROTOCOL, "the engine ended the response before its headers");
            ld_error_where(err, s->method, s->path);
        }
        return -1;
    }
    s->opening = 0;
    s->status = x->status;
    snprintf(s->content_type, sizeof s->content_type, "%s", x->content_type);
    snprintf(s->path_stat, sizeof s->path_stat, "%s", x->path_stat);
    return 1;
}

int ld_stream_open(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err)
{
    ld_stream *s;
    if (ld_stream_start(c, req, &s, err) != 0)
        return -1;
    if (ld_stream_opening(s, -1, err) != 1) {
        ld_stream_close(s);
        *out = NULL;
        return -1;
    }
    *out = s;
    return 0;
}

ssize_t ld_stream_read(ld_stream *s, char *buf, size_t n, double timeout, ld_error *err)
{
    if (s->raw)
        return ld_hijack_read(s, buf, n, timeout, err);
    ld_xfer *x = s->xfer;
    double until = timeout >= 0 ? ld_now() + timeout : 0;
    int stepped = 0;   /* a zero timeout still drives the transfer once */
    for (;;) {
        if (x->body.len > 0) {
            size_t take = x->body.len < n ? x->body.len : n;
            memcpy(buf, x->body.data, take);
            ld_buf_consume(&x->body, take);
            if (x->paused && x->body.len < LD_STREAM_HIGH_WATER / 2) {
                x->paused = 0;
                curl_easy_pause(x->easy, CURLPAUSE_CONT);
            }
            return (ssize_t)take;
        }
        if (x->done) {
            if (x->timed_out) {
                ld_error_set(err, LD_E_CANCELED, "the stream was abandoned earlier");
                ld_error_where(err, s->method, s->path);
                return -1;
            }
            return ld_xfer_check(x, err) == 0 ? 0 : -1;
        }
        double left = -1;
        if (timeout >= 0) {
            left = until - ld_now();
            if (left <= 0 && stepped)
                return -2;
            if (left < 0)
                left = 0;
        }
        if (ld_xfer_step(x, left, err) != 0)
            return -1;
        stepped = 1;
    }
}

long ld_stream_status(const ld_stream *s) { return s->status; }
const char *ld_stream_content_type(const ld_stream *s) { return s->content_type; }
const char *ld_stream_path_stat(const ld_stream *s) { return s->path_stat; }
int ld_stream_fd(const ld_stream *s) { return s->raw ? (int)s->fd : -1; }

void ld_stream_close(ld_stream *s)
{
    if (!s)
        return;
    if (s->raw)
        ld_hijack_close(s);
    if (s->xfer) {
        /* An unfinished stream's connection cannot be reused. */
        if (!s->xfer->done) {
            curl_multi_remove_handle(s->client->multi, s->xfer->easy);
            s->xfer->result = CURLE_ABORTED_BY_CALLBACK;
            s->xfer->done = 1;
        }
        ld_xfer_free(s->xfer);
    }
    ld_buf_free(&s->pending);
    free(s);
}
