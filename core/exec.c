/* exec.c - the Engine's exec endpoints (operationIds ContainerExec, Exec*).
 *
 * Data only; see ops.c for how an op is called. exec_start answers with the
 * process's output as a multiplexed stream (raw with a tty); with stdin it is
 * opened as a hijacked connection by the caller's choice.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_exec_ops[] = {
    {"container_exec", "POST", "/containers/{id}/exec", "", LD_BODY_JSON, LD_RESP_JSON, 0},
    {"exec_start", "POST", "/exec/{id}/start", "", LD_BODY_JSON, LD_RESP_MUX, 0},
    {"exec_resize", "POST", "/exec/{id}/resize", "h w", LD_BODY_NONE, LD_RESP_NONE, 0},
    {"exec_inspect", "GET", "/exec/{id}/json", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
