/* test_request_target.c - unit tests of the one request-target builder
 * (core/client.c: ld_build_target), which both the transfers' URLs and the
 * hand-written request line of hijacked attach/exec connections use: the
 * tcp base path, the API version prefix (absent for /_ping), the path and
 * the query. Makes clients without connecting: no engine, no Lua.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "internal.h"

static void target_of(const char *host, const char *version, const ld_request *req,
                      const char *want)
{
    ld_client_opts opts = {.host = host, .api_version = version};
    opts.tls.mode = LD_TLS_OFF;
    ld_client *c = NULL;
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_client_new(&opts, &c, &err), 0);
    if (!c)
        return;
    ld_buf out = {0};
    CHECK_INT_EQ(ld_build_target(c, req, &out, &err), 0);
    CHECK_STR_EQ(out.data, want);
    ld_buf_free(&out);
    ld_client_free(c);
}

int main(void)
{
    const ld_request list = {.method = "GET", .path = "/containers/json", .query = "all=1"};
    const ld_request attach = {.method = "POST", .path = "/containers/web/attach",
                               .query = "stream=1&stdin=1"};
    const ld_request bare = {.method = "GET", .path = "/info", .query = ""};
    target_of("unix:///var/run/docker.sock", "1.41", &list, "/v1.41/containers/json?all=1");
    target_of("tcp://example.invalid:2375/base", "1.44", &list,
              "/base/v1.44/containers/json?all=1");
    target_of("tcp://[::1]:2375", "v1.43", &attach,
              "/v1.43/containers/web/attach?stream=1&stdin=1");
    target_of("tcp://example.invalid:2375/base", "1.41", &ld_ping_request, "/base/_ping");
    target_of("unix:///var/run/docker.sock", "1.41", &bare, "/v1.41/info");   /* no "?" */
    CHECK_DONE();
}
