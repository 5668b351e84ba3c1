/* volumes.c - the Engine's volume endpoints (operationIds Volume*).
 *
 * Data only; see ops.c for how an op is called.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_volume_ops[] = {
    {"volume_list", "GET", "/volumes", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"volume_create", "POST", "/volumes/create", "", LD_BODY_JSON, LD_RESP_JSON, 0},
    {"volume_inspect", "GET", "/volumes/{name}", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"volume_delete", "DELETE", "/volumes/{name}", "force", LD_BODY_NONE, LD_RESP_NONE, 0},
    {"volume_prune", "POST", "/volumes/prune", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
