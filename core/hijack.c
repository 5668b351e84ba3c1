/* hijack.c - bidirectional attach/exec connections (stdin in, output out).
 *
 * libcurl has no API for an HTTP upgrade that keeps writing, so the request
 * is written by hand over a CONNECT_ONLY connection, the status line and
 * headers are parsed here, and stdin EOF is a shutdown(SHUT_WR) half-close,
 * as the docker CLI does. Bytes that follow the headers in the first read
 * already belong to the stream. While stdin is written, output that arrives
 * is buffered so that a process echoing its input cannot deadlock us.
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
    CURLcode rc = curl_easy_recv(s->raw, chunk, sizeof chunk, &got);
    if (rc == CURLE_AGAIN)
        return 1;
    if (rc != CURLE_OK) {
        ld_error_set(err, LD_E_TRUNCATED, "the attached stream broke: %s",
                     curl_easy_strerror(rc));
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
        CURLcode rc = curl_easy_send(s->raw, data, len, &sent);
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
            ld_error_set(err, LD_E_CONNECT, "writing to the attached stream failed: %s",
                         curl_easy_strerror(rc));
            return fail_where(s, err);
        }
        data += sent;
        len -= sent;
    }
    return 0;
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
            return fail_where(s, err);
        }
        int w = wait_fd(s, POLLIN, until, err);
        if (w == -2) {
            ld_error_set(err, LD_E_TIMEOUT, "no response from the Docker daemon at %s",
                         s->client->host.normalized);
            return fail_where(s, err);
        }
        if (w != 0 || recv_some(s, err) < 0)
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

static int connect_raw(ld_stream *s, ld_error *err)
{
    ld_client *c = s->client;
    char url[600];
    snprintf(url, sizeof url, "%s/", c->url_prefix);
    s->raw = curl_easy_init();
    if (!s->raw) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    curl_easy_setopt(s->raw, CURLOPT_URL, url);
    curl_easy_setopt(s->raw, CURLOPT_CONNECT_ONLY, 1L);
    ld_client_connection_options(c, s->raw);
    CURLcode rc = curl_easy_perform(s->raw);
    if (rc != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(s->raw, CURLINFO_OS_ERRNO, &os_errno);
        ld_error_from_curl(err, c, rc, os_errno, NULL);
        return fail_where(s, err);
    }
    curl_easy_getinfo(s->raw, CURLINFO_ACTIVESOCKET, &s->fd);
    return 0;
}

int ld_stream_open_hijack(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err)
{
    *out = NULL;
    if (ld_client_ensure_version(c, err) != 0)
        return -1;
    ld_stream *s = calloc(1, sizeof *s);
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
    const char *host = c->host.kind == LD_HOST_UNIX ? "docker" : c->host.hostname;
    int rc = ld_buf_appendf(&head, "%s %s/v%s%s%s%s HTTP/1.1\r\nHost: %s\r\n"
                            "User-Agent: luadock/" LD_VERSION " (linux)\r\n"
                            "Connection: Upgrade\r\nUpgrade: tcp\r\n", req->method,
                            c->host.kind == LD_HOST_TCP ? c->host.base_path : "",
                            c->api_version, req->path, req->query ? "?" : "",
                            req->query ? req->query : "", host);
    if (req->body)
        rc |= ld_buf_appendf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                             req->content_type ? req->content_type : "application/json",
                             req->body_len);
    else
        rc |= ld_buf_appends(&head, "Content-Length: 0\r\n");
    for (const char *const *h = req->headers; h && *h; h++)
        rc |= ld_buf_appendf(&head, "%s\r\n", *h);
    rc |= ld_buf_appends(&head, "\r\n");
    if (req->body)
        rc |= ld_buf_append(&head, req->body, req->body_len);
    long header_len = -1;
    if (rc != 0)
        ld_error_set(err, LD_E_NOMEM, "out of memory");
    else if (connect_raw(s, err) == 0 && send_all(s, head.data, head.len, until, err) == 0)
        header_len = read_headers(s, until, err);
    ld_buf_free(&head);
    if (header_len < 0 || parse_headers(s, header_len, err) != 0) {
        ld_stream_close(s);
        return -1;
    }
    if (s->status != 101 && s->status != 200) {
        /* An error answer: its body is short; read to EOF (or give up). */
        while (!s->eof && wait_fd(s, POLLIN, ld_now() + 2, err) == 0 && recv_some(s, err) > 0)
            ;
        const char *body = s->pending.data ? s->pending.data : "";
        ld_error_from_body(err, s->status, s->content_type, body, s->pending.len);
        ld_error_where(err, req->method, req->path);
        ld_stream_close(s);
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
        if (timeout == 0) {   /* no waiting, but take what has arrived */
            struct pollfd p = {.fd = s->fd, .events = POLLIN};
            if (poll(&p, 1, 0) <= 0)
                return -2;
            if (recv_some(s, err) < 0)
                return -1;
            if (s->pending.len == 0 && !s->eof)
                return -2;
            continue;
        }
        int w = wait_fd(s, POLLIN, until, err);
        if (w != 0)
            return w;
        if (recv_some(s, err) < 0)
            return -1;
    }
}

void ld_hijack_close(ld_stream *s)
{
    curl_easy_cleanup(s->raw);
    s->raw = NULL;
}
