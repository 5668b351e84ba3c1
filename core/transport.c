/* transport.c - HTTP to the engine through one curl multi handle per client.
 *
 * Every request is a transfer on the client's multi handle, so connections
 * are kept alive and reused, and an event loop can drive many transfers at
 * once (ld_call_start/step/finish, and ld_wait_any over every live client).
 * Waiting happens only in ld_xfer_step and ld_wait_any; ld_xfer_step also
 * enforces the response-header timeout and deadlines and notices
 * ld_cancel(). Callbacks only record; nothing here may longjmp or yield
 * across curl.
 */
#include <errno.h>
#include <sys/select.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "internal.h"

#define POLL_SLICE_MS 200   /* how often a wait looks at cancel and timeouts */

static ld_client *live_clients;   /* every client not yet freed (one thread) */

double ld_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Strictly "<digits>.<digits>", each at most 4 digits. */
static int parse_version(const char *v, int *major, int *minor)
{
    const char *dot = strchr(v, '.');
    size_t a = dot ? strspn(v, "0123456789") : 0, b = dot ? strspn(dot + 1, "0123456789") : 0;
    if (!dot || a == 0 || a > 4 || v + a != dot || b == 0 || b > 4 || dot[1 + b] != '\0')
        return 0;
    *major = atoi(v);
    *minor = atoi(dot + 1);
    return 1;
}

static int version_cmp(const char *a, const char *b)
{
    int amaj = 0, amin = 0, bmaj = 0, bmin = 0;
    parse_version(a, &amaj, &amin);
    parse_version(b, &bmaj, &bmin);
    return amaj != bmaj ? (amaj < bmaj ? -1 : 1) : (amin < bmin ? -1 : amin > bmin);
}

int ld_client_new(const ld_client_opts *opts, ld_client **out, ld_error *err)
{
    static int curl_ready;
    ld_client_opts none = {0};
    if (!opts)
        opts = &none;
    *out = NULL;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            ld_error_set(err, LD_E_NOMEM, "curl_global_init failed");
            return -1;
        }
        curl_ready = 1;
    }
    ld_client *c = calloc(1, sizeof *c);
    if (!c) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    const char *host = opts->host ? opts->host : getenv("DOCKER_HOST");
    const char *version = opts->api_version ? opts->api_version : getenv("DOCKER_API_VERSION");
    if (ld_host_parse(host, &c->host, err) != 0) {
        free(c);
        return -1;
    }
    if (version && *version) {
        int major, minor;
        if (version[0] == 'v')
            version++;
        if (!parse_version(version, &major, &minor) || strlen(version) >= sizeof c->api_version) {
            ld_error_set(err, LD_E_ARG, "invalid API version \"%s\" (expected like \"1.41\")",
                         version);
            free(c);
            return -1;
        }
        snprintf(c->api_version, sizeof c->api_version, "%d.%d", major, minor);
        c->pinned = 1;
    }
    c->timeout = opts->timeout > 0 ? opts->timeout : LD_DEFAULT_TIMEOUT;
    if (c->host.kind == LD_HOST_UNIX) {
        snprintf(c->url_prefix, sizeof c->url_prefix, "http://docker");
    } else {
        int v6 = strchr(c->host.hostname, ':') != NULL;
        snprintf(c->url_prefix, sizeof c->url_prefix, "http://%s%s%s:%d%s", v6 ? "[" : "",
                 c->host.hostname, v6 ? "]" : "", c->host.port, c->host.base_path);
    }
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        ld_error_set(err, LD_E_NOMEM, "curl_multi_init failed");
        return -1;
    }
    c->next_live = live_clients;
    live_clients = c;
    *out = c;
    return 0;
}

static void client_destroy(ld_client *c)
{
    for (ld_client **p = &live_clients; *p; p = &(*p)->next_live)
        if (*p == c) {
            *p = c->next_live;
            break;
        }
    if (c->idle)
        curl_easy_cleanup(c->idle);
    curl_multi_cleanup(c->multi);
    free(c);
}

/* A client closed while transfers are pending (a suspended loop task, an
 * unread stream) goes when the last of them is freed; they fail "canceled". */
void ld_client_free(ld_client *c)
{
    if (!c)
        return;
    c->closing = 1;
    if (c->xfers == 0)
        client_destroy(c);
}

const ld_host *ld_client_host(const ld_client *c) { return &c->host; }
double ld_client_timeout(const ld_client *c) { return c->timeout; }

/* Take the version from a GET /_ping response (the engine's, capped at
 * LD_API_MAX; refused below LD_API_MIN). */
static int set_version(ld_client *c, const ld_response *resp, ld_error *err)
{
    const char *server = resp->api_version[0] ? resp->api_version : LD_API_MIN;
    int major, minor;
    if (!parse_version(server, &major, &minor)) {
        ld_error_set(err, LD_E_PROTOCOL, "the engine sent an unreadable Api-Version header");
        return -1;
    }
    if (version_cmp(server, LD_API_MIN) < 0) {
        ld_error_set(err, LD_E_API_VERSION, "the engine speaks API %s; luadock needs at least %s",
                     server, LD_API_MIN);
        return -1;
    }
    snprintf(c->api_version, sizeof c->api_version, "%s",
             version_cmp(server, LD_API_MAX) > 0 ? LD_API_MAX : server);
    return 0;
}

static const ld_request PING = {.method = "GET", .path = "/_ping", .unversioned = 1};

int ld_client_ensure_version(ld_client *c, ld_error *err)
{
    if (c->api_version[0])
        return 0;
    ld_response resp = {0};
    if (ld_client_call(c, &PING, &resp, err) != 0)
        return -1;
    int rc = set_version(c, &resp, err);
    ld_response_free(&resp);
    return rc;
}

const char *ld_client_api_version(ld_client *c, ld_error *err)
{
    return ld_client_ensure_version(c, err) == 0 ? c->api_version : NULL;
}

int ld_build_url(ld_client *c, const ld_request *req, ld_buf *url, ld_error *err)
{
    int rc = ld_buf_appends(url, c->url_prefix);
    if (!req->unversioned)
        rc |= ld_buf_appendf(url, "/v%s", c->api_version);
    rc |= ld_buf_appends(url, req->path);
    if (req->query && *req->query)
        rc |= ld_buf_appendf(url, "?%s", req->query);
    if (rc != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

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
    return ld_buf_append(&x->body, data, len) == 0 ? len : 0;
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
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body);
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

static int set_options(ld_xfer *x, const ld_request *req, const char *url, ld_error *err)
{
    ld_client *c = x->client;
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout * 1000));
    if (c->host.kind == LD_HOST_UNIX)
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->host.socket_path);
    else
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
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
    ld_buf url = {0};
    if (c->idle) {
        x->easy = c->idle;
        c->idle = NULL;
        curl_easy_reset(x->easy);
    } else {
        x->easy = curl_easy_init();
    }
    if (!x->easy || ld_build_url(c, req, &url, err) != 0 ||
        set_options(x, req, url.data, err) != 0 ||
        curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        if (err->code == LD_OK)
            ld_error_set(err, LD_E_NOMEM, "could not start the request");
        ld_error_where(err, req->method, req->path);
        ld_buf_free(&url);
        return -1;
    }
    ld_buf_free(&url);
    return 0;
}

/* Starts the request, or, while the client's API version is unknown, a
 * GET /_ping whose answer ld_xfer_step turns into the version before it
 * sends the request itself: nothing here waits. */
int ld_xfer_start(ld_client *c, const ld_request *req, int streaming, ld_xfer **out,
                  ld_error *err)
{
    *out = NULL;
    ld_xfer *x = calloc(1, sizeof *x);
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
    snprintf(x->method, sizeof x->method, "%s", req->method);
    snprintf(x->path, sizeof x->path, "%s", req->path);
    int rc;
    if (!req->unversioned && !c->api_version[0]) {
        x->later = ld_save_request(req);
        rc = x->later ? ld_xfer_start(c, &PING, 0, &x->ping, err) : -1;
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

static void collect_finished(ld_client *c)
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
    if (ld_cancel_requested())
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
    collect_finished(c);
    if (x->done || (x->streaming && x->body.len > 0))
        return 0;
    int ms = POLL_SLICE_MS;
    if (wait >= 0 && wait * 1000 < ms)
        ms = (int)(wait * 1000);
    curl_multi_poll(c->multi, NULL, 0, ms, NULL);
    curl_multi_perform(c->multi, &running);
    collect_finished(c);
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
        rc = ld_call_finish(ping, &resp, err);   /* frees ping */
    else
        ld_xfer_free(ping);
    if (rc == 0) {
        rc = set_version(x->client, &resp, err);
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
    } else if (x->result != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
        ld_error_from_curl(err, x->client, x->result, os_errno, x->errbuf);
    } else {
        return 0;
    }
    ld_error_where(err, x->method, x->path);
    return -1;
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
        client_destroy(c);
}

int ld_call_start(ld_client *c, const ld_request *req, ld_call **out, ld_error *err)
{
    return ld_xfer_start(c, req, 0, out, err);
}

int ld_call_step(ld_call *x, double wait, ld_error *err)
{
    if (x->done)
        return 1;
    double until = wait >= 0 ? ld_now() + wait : 0;
    do {
        double left = until - ld_now();
        if (ld_xfer_step(x, wait < 0 ? -1 : left > 0 ? left : 0, err) != 0)
            return -1;
    } while (!x->done && (wait < 0 || ld_now() < until));
    return x->done;
}

int ld_call_finish(ld_call *x, ld_response *resp, ld_error *err)
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
    resp->body = x->body.data ? x->body.data : calloc(1, 1);
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

void ld_call_free(ld_call *x) { ld_xfer_free(x); }

int ld_client_call(ld_client *c, const ld_request *req, ld_response *resp, ld_error *err)
{
    ld_call *x;
    memset(resp, 0, sizeof *resp);
    if (ld_call_start(c, req, &x, err) != 0)
        return -1;
    if (ld_call_step(x, -1, err) < 0) {
        ld_xfer_free(x);
        return -1;
    }
    return ld_call_finish(x, resp, err);
}

int ld_wait_any(double timeout, const int *fds, int nfds)
{
    fd_set r, w, e;
    int maxfd = -1;
    long ms = timeout < 0 ? -1 : (long)(timeout * 1000 + 0.999);   /* never spin on 0 */
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    for (ld_client *c = live_clients; c; c = c->next_live) {
        int m = -1;
        long curl_ms = -1;
        curl_multi_fdset(c->multi, &r, &w, &e, &m);
        curl_multi_timeout(c->multi, &curl_ms);
        if (m > maxfd)
            maxfd = m;
        if (curl_ms >= 0 && (ms < 0 || curl_ms < ms))
            ms = curl_ms;
    }
    for (int i = 0; i < nfds; i++)
        if (fds[i] >= 0 && fds[i] < FD_SETSIZE) {
            FD_SET(fds[i], &r);
            if (fds[i] > maxfd)
                maxfd = fds[i];
        }
    struct timeval tv, *tvp = NULL;
    if (ms >= 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        tvp = &tv;
    }
    int rc = select(maxfd + 1, &r, &w, &e, tvp) < 0 && errno == EINTR ? -1 : 0;
    /* Drive every transfer now, also those no task is reading (an unread
     * stream pauses at its high-water mark), so a ready socket or a due
     * curl timer never makes the next wait return at once again. */
    for (ld_client *c = live_clients; c; c = c->next_live) {
        int running;
        curl_multi_perform(c->multi, &running);
        collect_finished(c);
    }
    return rc;
}

void ld_response_free(ld_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}
