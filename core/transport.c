/* transport.c - one HTTP transfer to the engine on its client's curl multi
 * handle (connections are kept alive and reused).
 *
 * ld_xfer_start sets a transfer up without waiting (a client without an API
 * version first sends GET /_ping in the same transfer); ld_xfer_step drives
 * it for a bounded time and enforces the response-header timeout, deadlines
 * and ld_cancel(); ld_xfer_finish turns a finished one into a response.
 * Callbacks only record; nothing here may longjmp or yield across curl. The
 * URL and the connection's options are client.c's (ld_client_prepare). It
 * calls only down (client.c, curl_error.c, request.c): whole calls and the
 * event loop's wait are call.c's, above it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"

#define POLL_SLICE_MS 200   /* how often a wait looks at cancel and timeouts */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    ld_xfer *x = ud;
    size_t len = size * nmemb;
    if (x->streaming && x->body.len >= LD_STREAM_HIGH_WATER) {
        x->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (!x->streaming && x->body.len + len > LD_BODY_CAP) {
        x->too_large = 1;
        return 0;
    }
    if (ld_buf_append(&x->body, data, len) != 0) {
        /* curl would call it "Failure writing output": say what it is */
        x->oom = 1;
        return 0;
    }
    return len;
}

static void header_value(char *dst, size_t cap, const char *line, size_t len, size_t name_len)
{
    const char *v = line + name_len;
    size_t n = len - name_len;
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    ld_xfer *x = ud;
    size_t len = size * nmemb;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->headers_done = 0;
        x->content_type[0] = '\0';
    } else if (len > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
        header_value(x->content_type, sizeof x->content_type, line, len, 13);
    } else if (len > 12 && strncasecmp(line, "Api-Version:", 12) == 0) {
        header_value(x->api_version, sizeof x->api_version, line, len, 12);
    } else if (len > 29 && strncasecmp(line, "X-Docker-Container-Path-Stat:", 29) == 0) {
        header_value(x->path_stat, sizeof x->path_stat, line, len, 29);
    } else if ((len == 2 && line[0] == '\r') || (len == 1 && line[0] == '\n')) {
        if (x->status >= 200 || x->status == 101)
            x->headers_done = 1;
    }
    return len;
}

static size_t on_upload(char *buf, size_t size, size_t nmemb, void *ud)
{
    ld_xfer *x = ud;
    size_t want = size * nmemb;
    if (x->upload) {
        size_t n = fread(buf, 1, want, x->upload);
        return n == 0 && ferror(x->upload) ? CURL_READFUNC_ABORT : n;
    }
    size_t left = x->upload_len - x->upload_pos;
    size_t n = left < want ? left : want;
    memcpy(buf, x->upload_mem + x->upload_pos, n);
    x->upload_pos += n;
    return n;
}

static int set_body(ld_xfer *x, const ld_request *req, ld_error *err)
{
    CURL *e = x->easy;
    const char *ctype = req->content_type ? req->content_type : "application/json";
    if (req->body_file) {
        x->upload = fopen(req->body_file, "rb");
        if (!x->upload) {
            ld_error_set(err, LD_E_IO, "cannot open %s: %s", req->body_file, strerror(errno));
            return -1;
        }
        fseeko(x->upload, 0, SEEK_END);
        off_t size = ftello(x->upload);
        rewind(x->upload);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
    } else if (req->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        /* curl copies the body: if that copy fails, no body may go out */
        if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body) != CURLE_OK)
            return -1;
    } else {
        if (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0)
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        return 0;
    }
    char line[160];
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    struct curl_slist *h = curl_slist_append(x->headers, line);
    if (h)
        x->headers = h;
    return h ? 0 : -1;
}

static int set_options(ld_xfer *x, const ld_request *req, ld_error *err)
{
    ld_client *c = x->client;
    CURL *e = x->easy;
    if (ld_client_prepare(c, e, req, 0, err) != 0)
        return -1;
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    /* A stalled body on an ordinary call is a timeout too. */
    if (!x->streaming && x->header_timeout > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(x->header_timeout + 0.999));
    }
    x->headers = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *more = x->headers ? curl_slist_append(x->headers, *h) : NULL;
        if (!more) {
            ld_error_set(err, LD_E_NOMEM, "out of memory");
            return -1;
        }
        x->headers = more;
    }
    if (!x->headers || set_body(x, req, err) != 0) {
        if (err->code == LD_OK)
            ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    return 0;
}

/* Give x its easy handle for req and add it to the client's multi handle. */
static int xfer_send(ld_xfer *x, const ld_request *req, ld_error *err)
{
    ld_client *c = x->client;
    if (c->idle) {
        x->easy = c->idle;
        c->idle = NULL;
        curl_easy_reset(x->easy);
    } else {
        x->easy = curl_easy_init();
    }
    if (!x->easy || set_options(x, req, err) != 0 ||
        curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        if (err->code == LD_OK)
            ld_error_set(err, LD_E_NOMEM, "could not start the request (out of memory)");
        ld_error_where(err, req->method, req->path);
        return -1;
    }
    return 0;
}

/* Starts the request, or, while the client's API version is unknown, a
 * GET /_ping whose answer ld_xfer_step turns into the version before it
 * sends the request itself: nothing here waits. */
int ld_xfer_start(ld_client *c, const ld_request *req, int streaming, ld_xfer **out,
                  ld_error *err)
{
    *out = NULL;
    ld_xfer *x = ld_calloc(1, sizeof *x);
    if (!x) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    x->client = c;
    c->xfers++;
    x->streaming = streaming;
    x->started = ld_now();
    x->header_timeout = req->timeout == 0 ? c->timeout : req->timeout;
    x->deadline = req->deadline > 0 ? x->started + req->deadline : 0;
    x->shielded = req->shielded;
    snprintf(x->method, sizeof x->method, "%s", req->method);
    snprintf(x->path, sizeof x->path, "%s", req->path);
    int rc;
    if (!req->unversioned && !c->api_version[0]) {
        x->later = ld_save_request(req);
        rc = x->later ? ld_xfer_start(c, &ld_ping_request, 0, &x->ping, err) : -1;
        if (rc == 0)
            x->ping->shielded = x->shielded;
        if (!x->later)
            ld_error_set(err, LD_E_NOMEM, "out of memory");
        if (rc != 0)
            ld_error_where(err, req->method, req->path);
    } else {
        rc = xfer_send(x, req, err);
    }
    if (rc != 0) {
        ld_xfer_free(x);
        return -1;
    }
    *out = x;
    return 0;
}

void ld_client_collect(ld_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        ld_xfer *done = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
        if (done) {
            done->done = 1;
            done->result = msg->data.result;
        }
    }
}

static int give_up(ld_xfer *x, ld_errcode code, const char *why, ld_error *err)
{
    if (x->easy)
        curl_multi_remove_handle(x->client->multi, x->easy);
    x->done = 1;
    x->timed_out = 1;
    x->result = CURLE_ABORTED_BY_CALLBACK;
    ld_error_set(err, code, "%s", why);
    ld_error_where(err, x->method, x->path);
    return -1;
}

static int negotiate_step(ld_xfer *x, double wait, ld_error *err);

int ld_xfer_step(ld_xfer *x, double wait, ld_error *err)
{
    ld_client *c = x->client;
    double now = ld_now();
    if (!x->shielded && ld_cancel_requested())
        return give_up(x, LD_E_CANCELED, "canceled", err);
    if (c->closing)
        return give_up(x, LD_E_CANCELED, "the client was closed", err);
    if (!x->headers_done && x->header_timeout > 0 && now - x->started > x->header_timeout) {
        char why[256];
        snprintf(why, sizeof why, "no response from the Docker daemon at %s within %g s",
                 c->host.normalized, x->header_timeout);
        return give_up(x, LD_E_TIMEOUT, why, err);
    }
    if (x->deadline > 0 && now > x->deadline) {
        char why[256];
        snprintf(why, sizeof why, "the call did not finish within %g s",
                 x->deadline - x->started);
        return give_up(x, LD_E_TIMEOUT, why, err);
    }
    if (x->ping)
        return negotiate_step(x, wait, err);
    int running = 0;
    curl_multi_perform(c->multi, &running);
    ld_client_collect(c);
    if (x->done || (x->streaming && x->body.len > 0))
        return 0;
    int ms = POLL_SLICE_MS;
    if (wait >= 0 && wait * 1000 < ms)
        ms = (int)(wait * 1000);
    curl_multi_poll(c->multi, NULL, 0, ms, NULL);
    curl_multi_perform(c->multi, &running);
    ld_client_collect(c);
    return 0;
}

/* Drive the GET /_ping ahead of x; once answered, set the client's version
 * and send x's own request. A failure is x's, reported with x's path. */
static int negotiate_step(ld_xfer *x, double wait, ld_error *err)
{
    ld_xfer *ping = x->ping;
    int rc = ld_xfer_step(ping, wait, err);
    if (rc == 0 && !ping->done)
        return 0;
    ld_response resp;
    x->ping = NULL;
    if (rc == 0)
        rc = ld_xfer_finish(ping, &resp, err);   /* frees ping */
    else
        ld_xfer_free(ping);
    if (rc == 0) {
        rc = ld_client_set_version(x->client, &resp, err);
        ld_response_free(&resp);
    }
    if (rc == 0)
        rc = xfer_send(x, &x->later->req, err);
    ld_saved_free(x->later);
    x->later = NULL;
    if (rc != 0) {
        x->done = 1;
        x->timed_out = 1;   /* nothing to reuse, nothing more to read */
        x->result = CURLE_ABORTED_BY_CALLBACK;
        ld_error_where(err, x->method, x->path);
        return -1;
    }
    return 0;
}

int ld_xfer_check(ld_xfer *x, ld_error *err)
{
    if (x->too_large) {
        ld_error_set(err, LD_E_TOO_LARGE, "the response body exceeds %zu bytes",
                     (size_t)LD_BODY_CAP);
    } else if (x->oom) {
        ld_error_set(err, LD_E_NOMEM, "out of memory (reading the response)");
    } else if (x->result != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
        ld_error_from_curl(err, x->client, x->result, os_errno, x->errbuf);
        /* not even a status line came back (unless curl ran out of memory:
         * then the engine was never asked, and curl's words say so) */
        if (x->status == 0 && x->result != CURLE_OUT_OF_MEMORY)
            ld_error_unanswered(err, x->client, x->result, x->errbuf);
    } else {
        return 0;
    }
    ld_error_where(err, x->method, x->path);
    return -1;
}

int ld_xfer_finish(ld_xfer *x, ld_response *resp, ld_error *err)
{
    memset(resp, 0, sizeof *resp);
    if (ld_xfer_check(x, err) != 0) {
        ld_xfer_free(x);
        return -1;
    }
    resp->status = x->status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", x->content_type);
    snprintf(resp->api_version, sizeof resp->api_version, "%s", x->api_version);
    snprintf(resp->path_stat, sizeof resp->path_stat, "%s", x->path_stat);
    if (x->status >= 400) {
        ld_error_from_body(err, x->status, x->content_type, x->body.data, x->body.len);
        ld_error_where(err, x->method, x->path);
        ld_xfer_free(x);
        return -1;
    }
    resp->body = x->body.data ? x->body.data : ld_calloc(1, 1);
    resp->len = x->body.len;
    x->body.data = NULL;
    x->body.len = x->body.cap = 0;
    ld_xfer_free(x);
    if (!resp->body) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

void ld_response_free(ld_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}

void ld_xfer_free(ld_xfer *x)
{
    if (!x)
        return;
    ld_client *c = x->client;
    if (x->easy) {
        curl_multi_remove_handle(c->multi, x->easy);
        if (x->done && x->result == CURLE_OK && !c->idle)
            c->idle = x->easy;
        else
            curl_easy_cleanup(x->easy);
    }
    ld_xfer_free(x->ping);
    ld_saved_free(x->later);
    curl_slist_free_all(x->headers);
    if (x->upload)
        fclose(x->upload);
    ld_buf_free(&x->body);
    free(x);
    if (--c->xfers == 0 && c->closing)
        ld_client_destroy(c);
}

