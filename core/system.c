/* system.c - the Engine's system endpoints (operationIds System*).
 *
 * Data only; see ops.c for how an op is called.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_system_ops[] = {
    {"system_ping", "GET", "/_ping", "", LD_BODY_NONE, LD_RESP_TEXT, 0},
    {"system_version", "GET", "/version", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"system_info", "GET", "/info", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"system_data_usage", "GET", "/system/df", "type", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"system_events", "GET", "/events", "since until filters", LD_BODY_NONE,
     LD_RESP_JSONLINES, 1},
    {"system_auth", "POST", "/auth", "", LD_BODY_JSON, LD_RESP_JSON, 0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
