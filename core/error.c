/* error.c - ld_error values: their codes, kinds and the engine's error bodies.
 *
 * Classification into API.md's error kinds happens here and only here, so
 * the bindings and the Lua layer never look at status codes themselves.
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
    return strcasestr(text, word) != NULL;
}

const char *ld_error_kind(const ld_error *err)
{
    switch (err->code) {
    case LD_E_CONNECT: return "connection";
    case LD_E_PERMISSION: return "permission";
    case LD_E_TIMEOUT: return "timeout";
    case LD_E_PROTOCOL: case LD_E_TOO_LARGE: return "protocol";
    case LD_E_TRUNCATED: return "truncated";
    case LD_E_CANCELED: return "canceled";
    case LD_E_API_VERSION: return "api_version";
    case LD_E_TLS: return "tls";
    case LD_E_ARG: return "bad_request";
    case LD_E_IO: case LD_E_NOMEM: case LD_OK: return "server";
    case LD_E_HTTP: break;
    }
    /* The engine reports registry auth failures as 500 (seen on 20.10). */
    if (err->status == 401 || mentions(err->message, "unauthorized") ||
        mentions(err->message, "authentication required"))
        return "auth";
    if (err->status == 400 && mentions(err->message, "client version"))
        return "api_version";
    switch (err->status) {
    case 404: return "not_found";
    case 409: return "conflict";
    case 400: return "bad_request";
    case 403: return "permission";
    default: return err->status >= 500 ? "server" : "bad_request";
    }
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
