/* request.c - a deep copy of an ld_request.
 *
 * A transfer whose client has not negotiated its API version yet sends
 * GET /_ping first (transport.c) and keeps its own request until the answer
 * is in, while the caller frees its strings as soon as ld_xfer_start
 * returns: so the request is copied, every string and header line of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void ld_saved_free(ld_saved_request *sr)
{
    if (!sr)
        return;
    for (int i = 0; i < 6; i++)
        free(sr->strings[i]);
    free(sr);
}

static char *dup_mem(const char *s, size_t len, int *fail)
{
    if (!s)
        return NULL;
    char *d = ld_malloc(len + 1);
    if (!d) {
        *fail = 1;
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

ld_saved_request *ld_save_request(const ld_request *req)
{
    ld_saved_request *sr = ld_calloc(1, sizeof *sr);
    if (!sr)
        return NULL;
    int fail = 0;
    sr->req = *req;
    snprintf(sr->method, sizeof sr->method, "%s", req->method);
    sr->req.method = sr->method;
    const char *text[5] = {req->path, req->query, req->body, req->body_file, req->content_type};
    size_t len[5] = {0};
    for (int i = 0; i < 5; i++)
        len[i] = i == 2 ? req->body_len : text[i] ? strlen(text[i]) : 0;
    for (int i = 0; i < 5; i++)
        sr->strings[i] = dup_mem(text[i], len[i], &fail);
    sr->req.path = sr->strings[0];
    sr->req.query = sr->strings[1];
    sr->req.body = sr->strings[2];
    sr->req.body_file = sr->strings[3];
    sr->req.content_type = sr->strings[4];
    /* the extra headers, packed NUL-separated into one block */
    size_t total = 0;
    int n = 0;
    for (const char *const *h = req->headers; h && *h && n < 16; h++, n++)
        total += strlen(*h) + 1;
    if (n > 0 && (sr->strings[5] = ld_malloc(total))) {
        char *p = sr->strings[5];
        for (int i = 0; i < n; i++) {
            size_t l = strlen(req->headers[i]) + 1;
            memcpy(p, req->headers[i], l);
            sr->headers[i] = p;
            p += l;
        }
    } else if (n > 0) {
        fail = 1;
    }
    sr->req.headers = n > 0 ? sr->headers : NULL;
    if (fail) {
        ld_saved_free(sr);
        return NULL;
    }
    return sr;
}
