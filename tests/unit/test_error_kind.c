/* test_error_kind.c - unit tests of the one place error kinds are decided
 * (core/error.c: ld_error_kind_of, ld_error_kind, ld_error_code_from_name).
 *
 * The Lua layer reads these kinds (detail.kind, core.error_kind) and decides
 * none, so every rule it used to hold is pinned here: status kinds, the 403
 * decision (the Engine's "forbidden" is permission, a registry's denial is
 * auth), the words of a registry refusal, the 404 the engine judged
 * not_found, the registry context's "missing image" words, and error events
 * that carry no status. Pure: no engine, no Lua.
 */
#include <string.h>
#include "check.h"
#include "luadock.h"

static const char *http(long status, const char *message)
{
    return ld_error_kind_of(LD_E_HTTP, status, message, 0);
}

static const char *registry(long status, const char *message)
{
    return ld_error_kind_of(LD_E_HTTP, status, message, LD_KIND_REGISTRY);
}

static void status_kinds(void)
{
    CHECK_STR_EQ(http(404, "No such container: web"), "not_found");
    CHECK_STR_EQ(http(409, "Conflict. The container name is already in use"), "conflict");
    CHECK_STR_EQ(http(400, "invalid reference format"), "bad_request");
    CHECK_STR_EQ(http(422, "unprocessable"), "bad_request");
    CHECK_STR_EQ(http(500, "driver failed"), "server");
    CHECK_STR_EQ(http(503, "unavailable"), "server");
    CHECK_STR_EQ(http(401, "whatever"), "auth");
    CHECK_STR_EQ(http(400, "client version 1.12 is too old. Minimum supported API version "
                           "is 1.24"), "api_version");
    CHECK_STR_EQ(http(500, "client version"), "server");   /* only a 400 says so */
    /* the router's 404 for a route the engine does not have (B.3 #8) */
    CHECK_STR_EQ(http(404, "page not found"), "api_version");
    CHECK_STR_EQ(http(404, "No such image: page not found"), "not_found");
}

static void forbidden(void)
{
    /* the Engine's 403: an authorization plugin said no */
    CHECK_STR_EQ(http(403, "authorization denied by plugin opa: request rejected"),
                 "permission");
    /* a network still in use is a state conflict, as the docker CLI says */
    CHECK_STR_EQ(http(403, "error while removing network: network n id 1 has active "
                           "endpoints"), "conflict");
    /* a registry's refusal that comes back as a 403 is auth */
    CHECK_STR_EQ(http(403, "denied: requested access to the resource is denied"), "auth");
    CHECK_STR_EQ(http(403, "unauthorized: authentication required"), "auth");
    /* a copy's folder/non-folder clash: 20.10 says 500, 28 says 400 */
    CHECK_STR_EQ(http(500, "Error processing tar file(exit status 1): cannot overwrite "
                           "directory \"/d\" with non-directory \"/d\""), "conflict");
    CHECK_STR_EQ(http(400, "cannot overwrite non-directory \"/f\" with directory \"/f\""),
                 "conflict");
    /* outside a swarm: 28's 403 for an overlay network is the engine's state */
    CHECK_STR_EQ(http(403, "This node is not a swarm manager. Use \"docker swarm init\" or "
                           "\"docker swarm join\" to connect this node to swarm and try again."),
                 "server");
    /* registry words of a missing image do not turn a 403 into not_found */
    CHECK_STR_EQ(registry(403, "repository does not exist"), "permission");
}

static void refusals(void)
{
    /* 20.10 reports a registry's refusal as a 500 */
    CHECK_STR_EQ(http(500, "Head https://r/v2/x/manifests/1: unauthorized: incorrect "
                           "username or password"), "auth");
    CHECK_STR_EQ(http(500, "Get https://r/v2/: no basic auth credentials"), "auth");
    CHECK_STR_EQ(http(500, "denied: requested access to the resource is denied"), "auth");
    CHECK_STR_EQ(http(409, "authentication required"), "auth");   /* never the engine's own */
    /* the engine judged this one not_found: it may be a missing repository */
    CHECK_STR_EQ(http(404, "pull access denied for never, repository does not exist or may "
                           "require 'docker login': denied: requested access to the resource "
                           "is denied"), "not_found");
    /* case does not matter */
    CHECK_STR_EQ(http(500, "UNAUTHORIZED"), "auth");
}

static void registry_context(void)
{
    CHECK_STR_EQ(registry(500, "manifest for r/x:nosuch not found: manifest unknown"),
                 "not_found");
    CHECK_STR_EQ(registry(400, "repository r/x does not exist"), "not_found");
    CHECK_STR_EQ(registry(500, "No such image: r/x:1"), "not_found");
    CHECK_STR_EQ(registry(500, "dial tcp 127.0.0.1:1: connect: connection refused"), "server");
    /* outside a registry call the same words stay the status's kind: a bind
     * source that does not exist is a bad request, not a missing image */
    CHECK_STR_EQ(http(400, "invalid mount config: bind source path does not exist: /x"),
                 "bad_request");
    CHECK_STR_EQ(http(500, "manifest unknown"), "server");
}

static void stream_events(void)
{
    /* status 0: an error event inside a 200 progress stream */
    CHECK_STR_EQ(http(0, "The command '/bin/sh -c false' returned a non-zero code: 1"),
                 "server");
    CHECK_STR_EQ(http(0, "unauthorized: authentication required"), "auth");
    CHECK_STR_EQ(http(0, "denied: requested access to the resource is denied"), "auth");
    CHECK_STR_EQ(http(0, "manifest unknown"), "server");
    CHECK_STR_EQ(registry(0, "manifest unknown"), "not_found");
    CHECK_STR_EQ(registry(0, NULL), "server");
}

static void codes(void)
{
    static const struct {
        ld_errcode code;
        const char *kind;
    } table[] = {
        {LD_E_CONNECT, "connection"}, {LD_E_PERMISSION, "permission"},
        {LD_E_TIMEOUT, "timeout"},    {LD_E_PROTOCOL, "protocol"},
        {LD_E_TOO_LARGE, "protocol"}, {LD_E_TRUNCATED, "truncated"},
        {LD_E_CANCELED, "canceled"},  {LD_E_API_VERSION, "api_version"},
        {LD_E_TLS, "tls"},            {LD_E_ARG, "bad_request"},
        {LD_E_IO, "io"},              {LD_E_NOMEM, "server"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        /* a code decides alone, whatever the text says (io: below) */
        CHECK_STR_EQ(ld_error_kind_of(table[i].code, 0, "unauthorized", LD_KIND_REGISTRY),
                     table[i].kind);
        /* and its name comes back to it */
        CHECK_INT_EQ(ld_error_code_from_name(ld_error_code_name(table[i].code)), table[i].code);
    }
    /* a local file's failure is io, or permission when the system said so */
    CHECK_STR_EQ(ld_error_kind_of(LD_E_IO, 0, "open /x: Permission denied", 0), "permission");
    CHECK_STR_EQ(ld_error_kind_of(LD_E_IO, 0, "read /x: Input/output error", 0), "io");
    CHECK_INT_EQ(ld_error_code_from_name("NOT_A_CODE"), LD_E_PROTOCOL);
    CHECK_INT_EQ(ld_error_code_from_name(NULL), LD_E_PROTOCOL);

    /* ld_error_kind is the same decision, for an ld_error */
    ld_error err;
    ld_error_clear(&err);
    ld_error_set(&err, LD_E_HTTP, "denied: requested access to the resource is denied");
    err.status = 500;
    CHECK_STR_EQ(ld_error_kind(&err), "auth");
    err.status = 404;
    CHECK_STR_EQ(ld_error_kind(&err), "not_found");
    ld_error_set(&err, LD_E_TLS, "TLS: handshake failed");
    CHECK_STR_EQ(ld_error_kind(&err), "tls");
}

int main(void)
{
    status_kinds();
    forbidden();
    refusals();
    registry_context();
    stream_events();
    codes();
    CHECK_DONE();
}
