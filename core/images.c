/* images.c - the Engine's image endpoints (operationIds Image*).
 *
 * Data only; see ops.c for how an op is called. image_create is both pull
 * (fromImage) and import (fromSrc=- with a tar body); like push, load and
 * build its answer is a progress stream whose errors arrive inside a 200
 * response. `waits` marks the ones that take as long as the work takes.
 */
#include <stddef.h>
#include "luadock.h"

const ld_op ld_image_ops[] = {
    {"image_list", "GET", "/images/json", "all filters shared-size digests", LD_BODY_NONE,
     LD_RESP_JSON, 0},
    {"image_create", "POST", "/images/create",
     "fromImage fromSrc repo tag message changes platform", LD_BODY_TAR, LD_RESP_JSONLINES,
     1},
    {"image_inspect", "GET", "/images/{name}/json", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"image_history", "GET", "/images/{name}/history", "", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"image_tag", "POST", "/images/{name}/tag", "repo tag", LD_BODY_NONE, LD_RESP_NONE, 0},
    {"image_delete", "DELETE", "/images/{name}", "force noprune", LD_BODY_NONE, LD_RESP_JSON,
     0},
    {"image_prune", "POST", "/images/prune", "filters", LD_BODY_NONE, LD_RESP_JSON, 0},
    {"image_push", "POST", "/images/{name}/push", "tag", LD_BODY_NONE, LD_RESP_JSONLINES, 1},
    {"image_get", "GET", "/images/{name}/get", "", LD_BODY_NONE, LD_RESP_RAW, 0},
    {"image_get_all", "GET", "/images/get", "names", LD_BODY_NONE, LD_RESP_RAW, 0},
    {"image_load", "POST", "/images/load", "quiet", LD_BODY_TAR, LD_RESP_JSONLINES, 1},
    {"image_build", "POST", "/build",
     "dockerfile t extrahosts remote q nocache cachefrom pull rm forcerm memory memswap "
     "cpushares cpusetcpus cpuperiod cpuquota buildargs shmsize squash labels networkmode "
     "platform target outputs version",
     LD_BODY_TAR, LD_RESP_JSONLINES, 1},
    {"build_prune", "POST", "/build/prune", "keep-storage all filters", LD_BODY_NONE,
     LD_RESP_JSON, 1},
    {"image_commit", "POST", "/commit", "container repo tag comment author pause changes",
     LD_BODY_JSON, LD_RESP_JSON, 1},
    {"image_search", "GET", "/images/search", "term limit filters", LD_BODY_NONE, LD_RESP_JSON,
     0},
    {NULL, NULL, NULL, NULL, LD_BODY_NONE, LD_RESP_NONE, 0},
};
