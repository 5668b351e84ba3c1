/* error.c - ld_error values, and the one place that decides their kinds.
 *
 * Every error kind of API.md is decided by ld_error_kind_of: the bindings
 * and the Lua layer read the kind it gives (core.error_kind for the text of
 * a failure that arrives inside a stream) and never look at status codes or
 * messages themselves, so the C and the Lua sides cannot disagree again.
 * This file is a leaf of the core: it knows no client, connection or
 * transfer (a curl failure gets its words in curl_error.c).
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "internal.h"

void ld_error_clear(ld_error *err)
{
    memset(err, 0, sizeof *err);
}

void ld_error_set(ld_error *err, ld_errcode code, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void ld_error_where(ld_error *err, const char *method, const char *path)
{
    snprintf(err->method, sizeof err->method, "%s", method ? method : "");
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
}

const char *ld_error_code_name(ld_errcode code)
{
    switch (code) {
    case LD_OK: return "OK";
    case LD_E_HTTP: return "HTTP";
    case LD_E_CONNECT: return "CONNECT";
    case LD_E_PERMISSION: return "PERMISSION";
    case LD_E_TIMEOUT: return "TIMEOUT";
    case LD_E_PROTOCOL: return "PROTOCOL";
    case LD_E_TRUNCATED: return "TRUNCATED";
    case LD_E_CANCELED: return "CANCELED";
    case LD_E_API_VERSION: return "API_VERSION";
    case LD_E_TOO_LARGE: return "TOO_LARGE";
    case LD_E_ARG: return "ARG";
    case LD_E_NOMEM: return "NOMEM";
    case LD_E_IO: return "IO";
    case LD_E_TLS: return "TLS";
    }
    return "UNKNOWN";
}

static int mentions(const char *text, const char *word)
{
    return text && strcasestr(text, word) != NULL;
}

static int mentions_any(const char *text, const char *const *words)
{
    for (; *words; words++)
        if (mentions(text, *words))
            return 1;
    return 0;
}

/* A registry's refusal of credentials (or of their absence). These words are
 * never the engine's own, whatever status the engine wraps them in. */
static const char *const refusal_words[] = {"unauthorized", "authentication required", NULL};
/* A registry's denial that the engine passes on as its own failure (a 500,
 * or an error event in a push): auth too, but only when the status does not
 * name the failure already. The engine answers a pull of a repository that
 * may not exist with 404 "... denied: requested access to the resource is
 * denied": it judged that not_found, and so do we. */
static const char *const denial_words[] = {"no basic auth credentials",
                                           "access to the resource is denied", NULL};
/* A registry call's failure that says the image is not there (the engine
 * reports many as 500s or as error events, so the text is all there is). */
static const char *const missing_words[] = {"manifest unknown", "not found", "does not exist",
                                            "no such image", NULL};

const char *ld_error_kind_of(ld_errcode code, long status, const char *message, int flags)
{
    switch (code) {
    case LD_E_CONNECT: return "connection";
    case LD_E_PERMISSION: return "permission";
    case LD_E_TIMEOUT: return "timeout";
    case LD_E_PROTOCOL: case LD_E_TOO_LARGE: return "protocol";
    case LD_E_TRUNCATED: return "truncated";
    case LD_E_CANCELED: return "canceled";
    case LD_E_API_VERSION: return "api_version";
    case LD_E_TLS: return "tls";
    case LD_E_ARG: return "bad_request";
    case LD_E_IO:   /* a local file: API.md's io, or permission when it says so */
        return mentions(message, "permission denied") ? "permission" : "io";
    case LD_E_NOMEM: case LD_OK: return "server";
    case LD_E_HTTP: break;
    }
    if (status == 401 || mentions_any(message, refusal_words))
        return "auth";
    if (status == 400 && mentions(message, "client version"))
        return "api_version";
    /* The Engine's router answers a route it does not have (an endpoint newer
     * than the engine) with exactly this 404; a missing object's 404 always
     * names the object. */
    if (status == 404 && message && strcmp(message, "page not found") == 0)
        return "api_version";
    /* A swarm-only request to an engine outside a swarm (an overlay
     * network, a swarm route): 20.10 says 500, 28 says 403 or 503. It is
     * the engine's state, not the caller's permission: one kind for all. */
    if (status >= 400 && mentions(message, "not a swarm manager"))
        return "server";
    /* The Engine's 403 is "forbidden": a permission (an authorization plugin
     * said no), except for the one refusal that is about state, removing a
     * network that still has endpoints, which the docker CLI calls a
     * conflict. A registry's denial inside a 403 is auth (below). */
    if (status == 403 && mentions(message, "active endpoints"))
        return "conflict";
    /* A copy into a container whose path clashes (a folder over a file or
     * the reverse) comes as a 400 or 500: the docker CLI's conflict. */
    if (mentions(message, "cannot overwrite"))
        return "conflict";
    const char *kind;
    switch (status) {
    case 404: kind = "not_found"; break;
    case 409: kind = "conflict"; break;
    case 403: kind = "permission"; break;
    case 0: kind = "server"; break;   /* an error event inside a 200 stream */
    default: kind = status >= 500 ? "server" : "bad_request"; break;
    }
    if (strcmp(kind, "not_found") == 0 || strcmp(kind, "conflict") == 0)
        return kind;
    if (mentions_any(message, denial_words))
        return "auth";
    if ((flags & LD_KIND_REGISTRY) && strcmp(kind, "permission") != 0 &&
        mentions_any(message, missing_words))
        return "not_found";
    return kind;
}

const char *ld_error_kind(const ld_error *err)
{
    return ld_error_kind_of(err->code, err->status, err->message, 0);
}

ld_errcode ld_error_code_from_name(const char *name)
{
    for (int c = LD_OK; c <= LD_E_TLS; c++)
        if (name && strcmp(name, ld_error_code_name((ld_errcode)c)) == 0)
            return (ld_errcode)c;
    return LD_E_PROTOCOL;   /* not a core code: nothing the core could make sense of */
}

/* The engine's error body is {"message": "..."} JSON, plain text for a few
 * errors (an API version too old), or empty. */
void ld_error_from_body(ld_error *err, long status, const char *ctype, const char *body,
                        size_t len)
{
    err->code = LD_E_HTTP;
    err->status = status;
    err->message[0] = '\0';
    (void)ctype;
    if (len) {
        cJSON *doc = cJSON_ParseWithLength(body, len);
        const cJSON *msg = doc ? cJSON_GetObjectItemCaseSensitive(doc, "message") : NULL;
        if (cJSON_IsString(msg))
            snprintf(err->message, sizeof err->message, "%s", msg->valuestring);
        cJSON_Delete(doc);
        if (!err->message[0]) {
            size_t n = len < sizeof err->message - 1 ? len : sizeof err->message - 1;
            memcpy(err->message, body, n);
            err->message[n] = '\0';
            while (n && (err->message[n - 1] == '\n' || err->message[n - 1] == '\r'))
                err->message[--n] = '\0';
        }
    }
    if (!err->message[0])
        snprintf(err->message, sizeof err->message,
                 "request returned status %ld with an empty body; check that the engine "
                 "supports the requested API version", status);
    if (status == 400 && mentions(err->message, "client version"))
        err->code = LD_E_API_VERSION;
    /* Go's TLS server (dockerd with --tlsverify) answering a plain client */
    if (status == 400 && mentions(err->message, "HTTP request to an HTTPS server")) {
        err->code = LD_E_TLS;
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n, " (the engine expects TLS: set "
                 "DOCKER_TLS_VERIFY=1 or connect with tls = {...})");
    }
}
