/* fuzz_docker_host.c - libFuzzer target for the DOCKER_HOST parser
 * (ld_host_parse, core/docker_host.c): unix://, tcp://, bare host:port and
 * ssh:// addresses, as a C string (an embedded NUL ends it, as getenv would).
 * Properties: a failure is LD_E_ARG with a message; a success fills only
 * terminated fields, a port in 0..65535, and a normalized address that parses
 * again to the same address (what `docker context` and error lines print must
 * mean the same engine). It must not keep state between inputs.
 */
#include <string.h>
#include "fuzz.h"
#include "luadock.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    FUZZ_CHECK(spec != NULL);
    memcpy(spec, data, size);
    spec[size] = '\0';
    ld_host host, again;
    ld_error err;
    ld_error_clear(&err);
    if (ld_host_parse(spec, &host, &err) != 0) {
        FUZZ_CHECK(err.code == LD_E_ARG);
        FUZZ_CHECK(err.message[0] != '\0');
        free(spec);
        return 0;
    }
    FUZZ_CHECK(host.kind == LD_HOST_UNIX || host.kind == LD_HOST_TCP || host.kind == LD_HOST_SSH);
    FUZZ_CHECK(TERMINATED(host.socket_path) && TERMINATED(host.hostname) &&
               TERMINATED(host.user) && TERMINATED(host.base_path) &&
               TERMINATED(host.normalized));
    FUZZ_CHECK(host.port >= 0 && host.port <= 65535);
    FUZZ_CHECK(host.normalized[0] != '\0');
    if (host.kind == LD_HOST_SSH)
        FUZZ_CHECK(host.hostname[0] != '\0' && host.hostname[0] != '-');
    ld_error_clear(&err);
    FUZZ_CHECK(ld_host_parse(host.normalized, &again, &err) == 0);
    FUZZ_CHECK(again.kind == host.kind);
    FUZZ_CHECK(again.port == host.port);
    FUZZ_CHECK(strcmp(again.normalized, host.normalized) == 0);
    FUZZ_CHECK(strcmp(again.hostname, host.hostname) == 0);
    FUZZ_CHECK(strcmp(again.socket_path, host.socket_path) == 0);
    FUZZ_CHECK(strcmp(again.user, host.user) == 0);
    FUZZ_CHECK(strcmp(again.base_path, host.base_path) == 0);
    free(spec);
    return 0;
}
