/* networks.c - the Engine's network endpoints (operationIds Network*).
 *
 * Data only; see ops.c for how an op is called.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_network_ops[] = {
    {"network_list", "GET", "/networks", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"network_inspect", "GET", "/networks/{id}", "verbose scope", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"network_delete", "DELETE", "/networks/{id}", "", LD_BODY_NONE, LD_RESP_NONE, 0},
    {"network_create", "POST", "/networks/create", "", LD_BODY_JSON, LD_RESP_JSON, 0},
    {"network_connect", "POST", "/networks/{id}/connect", "", LD_BODY_JSON, LD_RESP_NONE, 0},
    {"network_disconnect", "POST", "/networks/{id}/disconnect", "", LD_BODY_JSON, LD_RESP_NONE,
     0},
    {"network_prune", "POST", "/networks/prune", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
