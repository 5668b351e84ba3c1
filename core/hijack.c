/* hijack.c - bidirectional attach/exec connections (stdin in, output out).
 *
 * libcurl has no API for an HTTP upgrade that keeps writing, so the request
 * is written by hand over a CONNECT_ONLY connection, the status line and
 * headers are parsed here, and stdin EOF is a shutdown(SHUT_WR) half-close,
 * as the docker CLI does. Over TLS, curl only connects and tlsconn.c runs
 * the session, since the half-close is then a close_notify alert, which
 * curl cannot send alone. Bytes that follow the headers in the first read
 * already belong to the stream. While stdin is written, output that arrives
 * is buffered so that a process echoing its input cannot deadlock us. Reads
 * try the connection before polling the socket: TLS may hold decrypted bytes
 * the socket no longer shows. The URL, request-target and curl options are
 * client.c's, the same as every transfer's, so the two ways to reach the
 * engine cannot drift apart. It calls down only (call.c for the API version,
 * client.c, tlsconn.c); stream_transfer.c calls it for reads and closes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "internal.h"

#define HEADER_CAP 65536

static int fail_where(ld_stream *s, ld_error *err)
{
    if (s->client->host.kind == LD_HOST_SSH && (err->code == LD_E_CONNECT ||
        err->code == LD_E_PROTOCOL || err->code == LD_E_TRUNCATED))
        ld_ssh_explain(s->client, CURLE_GOT_NOTHING, err);   /* ssh's own words */
    ld_error_where(err, s->method, s->path);
    return -1;
}

/* Wait until the socket is readable (or writable); -2 on timeout. */
static int wait_fd(ld_stream *s, short events, double until, ld_error *err)
{
    for (;;) {
        if (!s->shielded && ld_cancel_requested()) {
            ld_error_set(err, LD_E_CANCELED, "canceled");
            return fail_where(s, err);
        }
        double left = until > 0 ? until - ld_now() : 0.2;
        if (until > 0 && left <= 0)
            return -2;
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd p = {.fd = s->fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR) {
            ld_error_set(err, LD_E_CONNECT, "poll failed: %s", strerror(errno));
            return fail_where(s, err);
        }
    }
}

/* Read what is available into s->pending: 1 read, 0 EOF, -1 error. */
static int recv_some(ld_stream *s, ld_error *err)
{
    char chunk[16384];
    size_t got = 0;
    s->errbuf[0] = '\0';
    CURLcode rc = s->tls ? ld_tlsconn_recv(s->tls, chunk, sizeof chunk, &got, s->errbuf,
                                           sizeof s->errbuf)
                         : curl_easy_recv(s->raw, chunk, sizeof chunk, &got);
    if (rc == CURLE_AGAIN)
        return 1;
    if (rc != CURLE_OK) {
        const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
        if (!ld_tls_error_from_curl(err, s->client, rc, detail))
            ld_error_set(err, LD_E_TRUNCATED, "the attached stream broke: %s", detail);
        return fail_where(s, err);
    }
    if (got == 0) {
        s->eof = 1;
        return 0;
    }
    if (ld_buf_append(&s->pending, chunk, got) != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return fail_where(s, err);
    }
    return 1;
}

static int send_all(ld_stream *s, const char *data, size_t len, double until, ld_error *err)
{
    while (len > 0) {
        size_t sent = 0;
        s->errbuf[0] = '\0';
        CURLcode rc = s->tls ? ld_tlsconn_send(s->tls, data, len, &sent, s->errbuf,
                                               sizeof s->errbuf)
                             : curl_easy_send(s->raw, data, len, &sent);
        if (rc == CURLE_AGAIN) {
            /* Keep draining output so the other side can keep reading us. */
            if (!s->eof && recv_some(s, err) < 0)
                return -1;
            int w = wait_fd(s, POLLOUT | POLLIN, until, err);
            if (w == -2) {
                ld_error_set(err, LD_E_TIMEOUT, "timed out writing to the attached stream");
                return fail_where(s, err);
            }
            if (w != 0)
                return -1;
            continue;
        }
        if (rc != CURLE_OK) {
            const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
            if (!ld_tls_error_from_curl(err, s->client, rc, detail)) {
                ld_error_set(err, LD_E_CONNECT, "writing to the attached stream failed: %s",
                             detail);
                if (s->status == 0)   /* still sending the request: dropped before answering */
                    ld_error_unanswered(err, s->client, CURLE_SEND_ERROR, err->message);
            }
            return fail_where(s, err);
        }
        data += sent;
        len -= sent;
    }
    return 0;
}

/* Take what curl has (1 if bytes came or the end, 0 if nothing yet, -1). */
static int recv_progress(ld_stream *s, ld_error *err)
{
    size_t before = s->pending.len;
    if (recv_some(s, err) < 0)
        return -1;
    return s->pending.len > before || s->eof;
}

/* Read up to the end of the headers; returns the header length or -1. */
static long read_headers(ld_stream *s, double until, ld_error *err)
{
    for (;;) {
        char *end = s->pending.data ? strstr(s->pending.data, "\r\n\r\n") : NULL;
        if (end)
            return (long)(end - s->pending.data) + 4;
        if (s->eof || s->pending.len > HEADER_CAP) {
            ld_error_set(err, LD_E_PROTOCOL, s->eof ? "the engine closed the connection "
                         "before answering" : "response headers too large");
            if (s->eof && s->pending.len == 0)
                ld_error_unanswered(err, s->client, CURLE_GOT_NOTHING, err->message);
            return fail_where(s, err);
        }
        int got = recv_progress(s, err);
        if (got != 0) {
            if (got < 0 && s->pending.len == 0)   /* e.g. dropped after the TLS handshake */
                ld_error_unanswered(err, s->client, CURLE_RECV_ERROR, err->message);
            if (got < 0)
                return -1;
            continue;
        }
        int w = wait_fd(s, POLLIN, until, err);
        if (w == -2) {
            ld_error_set(err, LD_E_TIMEOUT, "no response from the Docker daemon at %s",
                         s->client->host.normalized);
            return fail_where(s, err);
        }
        if (w != 0)
            return -1;
    }
}

static int parse_headers(ld_stream *s, long header_len, ld_error *err)
{
    const char *p = s->pending.data;
    if (sscanf(p, "HTTP/%*d.%*d %ld", &s->status) != 1) {
        ld_error_set(err, LD_E_PROTOCOL, "malformed status line from the engine");
        return fail_where(s, err);
    }
    const char *line = strstr(p, "\r\n");
    while (line && line < p + header_len - 2) {
        line += 2;
        if (strncasecmp(line, "Content-Type:", 13) == 0) {
            const char *v = line + 13;
            while (*v == ' ')
                v++;
            const char *eol = strstr(v, "\r\n");
            int n = eol ? (int)(eol - v) : 0;
            snprintf(s->content_type, sizeof s->content_type, "%.*s", n, v);
        }
        line = strstr(line, "\r\n");
    }
    ld_buf_consume(&s->pending, (size_t)header_len);
    return 0;
}

static int connect_raw(ld_stream *s, const ld_request *req, double until, ld_error *err)
{
    ld_client *c = s->client;
    s->raw = curl_easy_init();
    if (!s->raw) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    if (ld_client_prepare(c, s->raw, req, 1, err) != 0)
        return -1;
    curl_easy_setopt(s->raw, CURLOPT_ERRORBUFFER, s->errbuf);
    CURLcode rc = curl_easy_perform(s->raw);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(s->raw, CURLINFO_ACTIVESOCKET, &s->fd);
        if (c->tls.mode == LD_TLS_ON)
            rc = ld_tlsconn_open(c, s->fd, until > 0 ? until : ld_now() + c->timeout,
                                 s->shielded, &s->tls, s->errbuf, sizeof s->errbuf);
    }
    if (rc != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(s->raw, CURLINFO_OS_ERRNO, &os_errno);
        ld_error_from_curl(err, c, rc, os_errno, s->errbuf);
        return fail_where(s, err);
    }
    return 0;
}

/* The request as curl would write it: the same request-target
 * (ld_build_target), Host (the URL's authority) and User-Agent, plus the
 * upgrade the engine needs to keep the connection both ways. */
static int request_head(ld_client *c, const ld_request *req, ld_buf *head, ld_error *err)
{
    int rc = ld_buf_appendf(head, "%s ", req->method);
    if (rc != 0 || ld_build_target(c, req, head, err) != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    rc |= ld_buf_appendf(head, " HTTP/1.1\r\nHost: %s\r\nUser-Agent: " LD_USER_AGENT "\r\n"
                         "Connection: Upgrade\r\nUpgrade: tcp\r\n", c->authority);
    if (req->body)
        rc |= ld_buf_appendf(head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                             req->content_type ? req->content_type : "application/json",
                             req->body_len);
    else
        rc |= ld_buf_appends(head, "Content-Length: 0\r\n");
    for (const char *const *h = req->headers; h && *h; h++)
        rc |= ld_buf_appendf(head, "%s\r\n", *h);
    rc |= ld_buf_appends(head, "\r\n");
    if (req->body)
        rc |= ld_buf_append(head, req->body, req->body_len);
    if (rc != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* A hijacked stream that never reached its caller: ld_stream_close's work
 * for it, done here so that this file never calls up into
 * stream_transfer.c. */
static void hijack_free(ld_stream *s)
{
    ld_hijack_close(s);
    ld_buf_free(&s->pending);
    free(s);
}

int ld_stream_open_hijack(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err)
{
    *out = NULL;
    if (ld_client_ensure_version(c, err) != 0)
        return -1;
    ld_stream *s = ld_calloc(1, sizeof *s);
    ld_buf head = {0};
    if (!s) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    s->client = c;
    s->fd = CURL_SOCKET_BAD;
    s->shielded = req->shielded;
    snprintf(s->method, sizeof s->method, "%s", req->method);
    snprintf(s->path, sizeof s->path, "%s", req->path);
    double timeout = req->timeout == 0 ? c->timeout : req->timeout;
    double until = timeout > 0 ? ld_now() + timeout : 0;
    if (req->deadline > 0 && (until == 0 || ld_now() + req->deadline < until))
        until = ld_now() + req->deadline;   /* a shielded clean-up's bound, for one */
    long header_len = -1;
    if (request_head(c, req, &head, err) == 0 && connect_raw(s, req, until, err) == 0 &&
        send_all(s, head.data, head.len, until, err) == 0)
        header_len = read_headers(s, until, err);
    ld_buf_free(&head);
    if (header_len < 0 || parse_headers(s, header_len, err) != 0) {
        hijack_free(s);
        return -1;
    }
    if (s->status != 101 && s->status != 200) {
        /* An error answer: its body is short; read to EOF (or give up). */
        double give_up = ld_now() + 2;
        int got;
        while (!s->eof && (got = recv_progress(s, err)) >= 0)
            if (got == 0 && wait_fd(s, POLLIN, give_up, err) != 0)
                break;
        const char *body = s->pending.data ? s->pending.data : "";
        ld_error_from_body(err, s->status, s->content_type, body, s->pending.len);
        ld_error_where(err, req->method, req->path);
        hijack_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int ld_stream_write(ld_stream *s, const char *data, size_t len, ld_error *err)
{
    if (!s->raw) {
        ld_error_set(err, LD_E_ARG, "this stream is not attached for writing");
        return -1;
    }
    return send_all(s, data, len, 0, err);
}

int ld_stream_close_write(ld_stream *s, ld_error *err)
{
    if (!s->raw) {
        ld_error_set(err, LD_E_ARG, "this stream is not attached for writing");
        return -1;
    }
    if (s->tls && ld_tlsconn_close_write(s->tls, ld_now() + s->client->timeout) != 0) {
        ld_error_set(err, LD_E_CONNECT, "closing stdin (TLS close_notify) failed");
        return fail_where(s, err);
    }
    if (shutdown(s->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
        ld_error_set(err, LD_E_CONNECT, "closing stdin failed: %s", strerror(errno));
        return fail_where(s, err);
    }
    return 0;
}

ssize_t ld_hijack_read(ld_stream *s, char *buf, size_t n, double timeout, ld_error *err)
{
    double until = timeout >= 0 ? ld_now() + timeout : 0;
    for (;;) {
        if (s->pending.len > 0) {
            size_t take = s->pending.len < n ? s->pending.len : n;
            memcpy(buf, s->pending.data, take);
            ld_buf_consume(&s->pending, take);
            return (ssize_t)take;
        }
        if (s->eof)
            return 0;
        /* -2 ("nothing yet") only once curl itself has nothing, so a caller
         * may then wait on the socket */
        int got = recv_progress(s, err);
        if (got < 0)
            return -1;
        if (got > 0)
            continue;
        if (timeout == 0)
            return -2;
        int w = wait_fd(s, POLLIN, until, err);
        if (w != 0)
            return w;
    }
}

void ld_hijack_close(ld_stream *s)
{
    ld_tlsconn_free(s->tls);
    s->tls = NULL;
    curl_easy_cleanup(s->raw);
    s->raw = NULL;
}
