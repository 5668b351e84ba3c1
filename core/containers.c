/* containers.c - the Engine's container endpoints (operationIds Container*).
 *
 * Data only; see ops.c for how an op is called. `waits` marks calls the
 * engine holds open by design (wait, stop, restart), which get no default
 * response-header timeout.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_container_ops[] = {
    {"container_list", "GET", "/containers/json", "all limit size filters", LD_BODY_NONE,
     LD_RESP_JSON, 0},
    {"container_create", "POST", "/containers/create", "name platform", LD_BODY_JSON,
     LD_RESP_JSON, 0},
    {"container_inspect", "GET", "/containers/{id}/json", "size", LD_BODY_NONE, LD_RESP_JSON,
     0},
    {"container_top", "GET", "/containers/{id}/top", "ps_args", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"container_logs", "GET", "/containers/{id}/logs",
     "follow stdout stderr since until timestamps tail", LD_BODY_NONE, LD_RESP_MUX, 0},
    {"container_changes", "GET", "/containers/{id}/changes", "", LD_BODY_NONE, LD_RESP_JSON,
     0},
    {"container_export", "GET", "/containers/{id}/export", "", LD_BODY_NONE, LD_RESP_RAW, 0},
    {"container_stats", "GET", "/containers/{id}/stats", "stream one-shot", LD_BODY_NONE,
     LD_RESP_JSONLINES, 0},
    {"container_resize", "POST", "/containers/{id}/resize", "h w", LD_BODY_NONE, LD_RESP_NONE,
     0},
    {"container_start", "POST", "/containers/{id}/start", "detachKeys", LD_BODY_NONE,
     LD_RESP_NONE, 0},
    {"container_stop", "POST", "/containers/{id}/stop", "t signal", LD_BODY_NONE,
     LD_RESP_NONE, 1},
    {"container_restart", "POST", "/containers/{id}/restart", "t signal", LD_BODY_NONE,
     LD_RESP_NONE, 1},
    {"container_kill", "POST", "/containers/{id}/kill", "signal", LD_BODY_NONE, LD_RESP_NONE,
     0},
    {"container_update", "POST", "/containers/{id}/update", "", LD_BODY_JSON, LD_RESP_JSON, 0},
    {"container_rename", "POST", "/containers/{id}/rename", "name", LD_BODY_NONE,
     LD_RESP_NONE, 0},
    {"container_pause", "POST", "/containers/{id}/pause", "", LD_BODY_NONE, LD_RESP_NONE, 0},
    {"container_unpause", "POST", "/containers/{id}/unpause", "", LD_BODY_NONE, LD_RESP_NONE,
     0},
    {"container_attach", "POST", "/containers/{id}/attach",
     "detachKeys logs stream stdin stdout stderr", LD_BODY_NONE, LD_RESP_MUX, 0},
    {"container_wait", "POST", "/containers/{id}/wait", "condition", LD_BODY_NONE,
     LD_RESP_JSON, 1},
    {"container_delete", "DELETE", "/containers/{id}", "v force link", LD_BODY_NONE,
     LD_RESP_NONE, 0},
    {"container_archive_info", "HEAD", "/containers/{id}/archive", "path", LD_BODY_NONE,
     LD_RESP_STAT, 0},
    {"container_archive", "GET", "/containers/{id}/archive", "path", LD_BODY_NONE, LD_RESP_RAW,
     0},
    {"put_container_archive", "PUT", "/containers/{id}/archive",
     "path noOverwriteDirNonDir copyUIDGID", LD_BODY_TAR, LD_RESP_NONE, 0},
    {"container_prune", "POST", "/containers/prune", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
