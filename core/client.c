/* client.c - a client: its address, its curl multi handle, its API version,
 * and the one place a request's URL and its connection's curl options are
 * made.
 *
 * A client is made from DOCKER_HOST (or the caller's address). Its API version
 * is pinned by the user or taken from a GET /_ping answer (LD_API_MIN up to
 * LD_API_MAX), which the transfers send (transport.c, call.c): nothing here
 * makes a request. Every live client is on one list, which ld_wait_any
 * (call.c) watches; a client freed while transfers are pending lives on until
 * the last of them is freed (transport.c). TLS settings are resolved here once
 * (tls.c) and applied to every connection, a hijacked one included (hijack.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static ld_client *live_clients;   /* every client not yet freed (one thread) */

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
            ld_error_set(err, LD_E_NOMEM, "curl_global_init failed (out of memory)");
            return -1;
        }
        curl_ready = 1;
    }
    ld_client *c = ld_calloc(1, sizeof *c);
    if (!c) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    const char *host = opts->host ? opts->host : getenv("DOCKER_HOST");
    const char *version = opts->api_version ? opts->api_version : getenv("DOCKER_API_VERSION");
    int tls = ld_tls_wanted(&opts->tls);
    c->tls.mode = LD_TLS_OFF;
    /* the docker CLI: no address and TLS on means localhost:2376 */
    if (tls && (!host || host[strspn(host, " \t\r\n")] == '\0'))
        host = "tcp://localhost:2376";
    if (ld_host_parse(host, &c->host, err) != 0) {
        free(c);
        return -1;
    }
    if (tls && c->host.kind == LD_HOST_TCP && ld_tls_resolve(&opts->tls, &c->tls, err) != 0) {
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
            ld_tls_release(&c->tls);
            free(c);
            return -1;
        }
        snprintf(c->api_version, sizeof c->api_version, "%d.%d", major, minor);
        c->pinned = 1;
    }
    c->timeout = opts->timeout > 0 ? opts->timeout : LD_DEFAULT_TIMEOUT;
    if (c->host.kind != LD_HOST_TCP) {
        snprintf(c->authority, sizeof c->authority, "docker");
    } else {
        int v6 = strchr(c->host.hostname, ':') != NULL;
        snprintf(c->authority, sizeof c->authority, "%s%s%s:%d", v6 ? "[" : "",
                 c->host.hostname, v6 ? "]" : "", c->host.port);
    }
    c->multi = curl_multi_init();
    if (!c->multi) {
        ld_tls_release(&c->tls);
        free(c);
        ld_error_set(err, LD_E_NOMEM, "curl_multi_init failed (out of memory)");
        return -1;
    }
    c->next_live = live_clients;
    live_clients = c;
    *out = c;
    return 0;
}

void ld_client_destroy(ld_client *c)
{
    for (ld_client **p = &live_clients; *p; p = &(*p)->next_live)
        if (*p == c) {
            *p = c->next_live;
            break;
        }
    if (c->idle)
        curl_easy_cleanup(c->idle);
    curl_multi_cleanup(c->multi);
    ld_tls_release(&c->tls);
    ld_ssh_release(c->ssh);   /* after the cleanup: it closes the connections */
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
        ld_client_destroy(c);
}

const ld_host *ld_client_host(const ld_client *c) { return &c->host; }
double ld_client_timeout(const ld_client *c) { return c->timeout; }
const ld_tls_opts *ld_client_tls(const ld_client *c)
{
    return c->tls.mode == LD_TLS_ON ? &c->tls : NULL;
}

/* Take the version from a GET /_ping response (the engine's, capped at
 * LD_API_MAX; refused below LD_API_MIN). */
int ld_client_set_version(ld_client *c, const ld_response *resp, ld_error *err)
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

const ld_request ld_ping_request = {.method = "GET", .path = "/_ping", .unversioned = 1};

int ld_build_target(ld_client *c, const ld_request *req, ld_buf *out, ld_error *err)
{
    int rc = ld_buf_appends(out, c->host.kind == LD_HOST_TCP ? c->host.base_path : "");
    if (!req->unversioned)
        rc |= ld_buf_appendf(out, "/v%s", c->api_version);
    rc |= ld_buf_appends(out, req->path);
    if (req->query && *req->query)
        rc |= ld_buf_appendf(out, "?%s", req->query);
    if (rc != 0) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* How every connection to the engine is made, for the transfers on the
 * multi handle (transport.c) and the hijacked ones (hijack.c) alike: the
 * URL, the socket or address, no proxy, http only (https and the TLS files
 * for a TLS client's transfers), the connect timeout, and who is calling
 * (the docker CLI sends Docker-Client/<version>, docker-py
 * docker-sdk-python/<version>). A raw connection is only connected by curl
 * (CONNECT_ONLY); over TLS its session is tlsconn.c's, so curl speaks plain
 * TCP to the same address. */
int ld_client_prepare(ld_client *c, CURL *e, const ld_request *req, int raw, ld_error *err)
{
    int tls = c->tls.mode == LD_TLS_ON && !raw;
    ld_buf url = {0};
    if (ld_buf_appendf(&url, "%s://%s", tls ? "https" : "http", c->authority) != 0 ||
        ld_build_target(c, req, &url, err) != 0) {
        ld_buf_free(&url);
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    /* curl copies the strings it is given, and a copy that fails leaves the
     * option unset: an unset socket path would send the request over TCP to
     * host "docker", an unset NOPROXY through a proxy. Those results count. */
    int bad = curl_easy_setopt(e, CURLOPT_URL, url.data) != CURLE_OK;
    ld_buf_free(&url);
    if (raw)
        curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, tls ? "https" : "http") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, LD_USER_AGENT) != CURLE_OK;
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout * 1000));
    if (c->host.kind == LD_HOST_SSH)
        ld_ssh_connection_options(c, e);
    else if (c->host.kind == LD_HOST_UNIX)
        bad |= curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->host.socket_path) != CURLE_OK;
    else
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (tls)
        ld_tls_connection_options(&c->tls, e);
    if (bad) {
        ld_error_set(err, LD_E_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

ld_client *ld_clients_live(void) { return live_clients; }
