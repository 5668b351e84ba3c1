/* ops.c - the registry of Engine operations and building their paths.
 *
 * Each area file (system.c, containers.c, images.c) declares its endpoints
 * as data: operationId, method, path template, allowed query names, body and
 * response kinds. Everything generic about calling them lives here and in
 * the bindings, so adding an endpoint is one line in its area's table.
 */
#include <string.h>
#include "luadock.h"

static const ld_op *const areas[] = {ld_system_ops, ld_container_ops, ld_image_ops,
                                     ld_exec_ops,   ld_volume_ops,    ld_network_ops};

void ld_op_each(void (*fn)(void *ud, const ld_op *op), void *ud)
{
    for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++)
        for (const ld_op *op = areas[a]; op->name; op++)
            fn(ud, op);
}

const ld_op *ld_op_find(const char *name)
{
    for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++)
        for (const ld_op *op = areas[a]; op->name; op++)
            if (strcmp(op->name, name) == 0)
                return op;
    return NULL;
}

int ld_op_path_arity(const ld_op *op)
{
    int n = 0;
    for (const char *p = op->path; *p; p++)
        n += *p == '{';
    return n;
}

int ld_op_has_query(const ld_op *op, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = op->query; p && *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : p + n;
    }
    return 0;
}

/* "..", "." and empty components would let an argument reach another
 * endpoint once the path is normalised, so they are refused. */
static int safe_segment(const char *s)
{
    if (!*s)
        return 0;
    for (const char *p = s;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!slash)
            return 1;
        p = slash + 1;
    }
}

int ld_op_path(const ld_op *op, const char *const *args, int nargs, ld_buf *out, ld_error *err)
{
    int used = 0;
    for (const char *p = op->path; *p;) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (used >= nargs || !close) {
                ld_error_set(err, LD_E_ARG, "%s: missing path argument", op->name);
                return -1;
            }
            if (!safe_segment(args[used])) {
                ld_error_set(err, LD_E_ARG, "%s: invalid name or id \"%s\"", op->name,
                             args[used]);
                return -1;
            }
            /* the template already has the '/' before {x} */
            if (out->len && out->data[out->len - 1] == '/')
                out->len--;
            if (ld_path_add_segment(out, args[used++]) != 0)
                goto nomem;
            p = close + 1;
        } else {
            const char *next = strchr(p, '{');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            if (ld_buf_append(out, p, n) != 0)
                goto nomem;
            p += n;
        }
    }
    return 0;
nomem:
    ld_error_set(err, LD_E_NOMEM, "out of memory");
    return -1;
}
