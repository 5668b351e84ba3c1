/* call.c - whole calls, the API version a client needs first, and the event
 * loop's wait.
 *
 * ld_client_call is ld_call_start, ld_call_step until done, ld_call_finish;
 * an event loop uses the three pieces itself, so that many calls of many
 * clients run at once, and waits for all of them in ld_wait_any. It sits on
 * the transfers (transport.c) and nothing below calls it: a blocking call
 * that a lower file would need (the GET /_ping of ld_client_ensure_version)
 * lives here, and its callers are above (hijack.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include "internal.h"

int ld_call_start(ld_client *c, const ld_request *req, ld_call **out, ld_error *err)
{
    return ld_xfer_start(c, req, 0, out, err);
}

int ld_call_step(ld_call *x, double wait, ld_error *err)
{
    if (x->done)
        return 1;
    double until = wait >= 0 ? ld_now() + wait : 0;
    do {
        double left = until - ld_now();
        if (ld_xfer_step(x, wait < 0 ? -1 : left > 0 ? left : 0, err) != 0)
            return -1;
    } while (!x->done && (wait < 0 || ld_now() < until));
    return x->done;
}

int ld_call_finish(ld_call *x, ld_response *resp, ld_error *err)
{
    return ld_xfer_finish(x, resp, err);
}

void ld_call_free(ld_call *x) { ld_xfer_free(x); }

int ld_client_call(ld_client *c, const ld_request *req, ld_response *resp, ld_error *err)
{
    ld_call *x;
    memset(resp, 0, sizeof *resp);
    if (ld_call_start(c, req, &x, err) != 0)
        return -1;
    if (ld_call_step(x, -1, err) < 0) {
        ld_xfer_free(x);
        return -1;
    }
    return ld_call_finish(x, resp, err);
}

/* Negotiate c's API version now, blocking (a hijacked connection writes its
 * request by hand and needs the version first). */
int ld_client_ensure_version(ld_client *c, ld_error *err)
{
    if (c->api_version[0])
        return 0;
    ld_response resp = {0};
    if (ld_client_call(c, &ld_ping_request, &resp, err) != 0)
        return -1;
    int rc = ld_client_set_version(c, &resp, err);
    ld_response_free(&resp);
    return rc;
}

const char *ld_client_api_version(ld_client *c, ld_error *err)
{
    return ld_client_ensure_version(c, err) == 0 ? c->api_version : NULL;
}

int ld_wait_any(double timeout, const int *fds, int nfds)
{
    fd_set r, w, e;
    int maxfd = -1;
    long ms = timeout < 0 ? -1 : (long)(timeout * 1000 + 0.999);   /* never spin on 0 */
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    for (ld_client *c = ld_clients_live(); c; c = c->next_live) {
        int m = -1;
        long curl_ms = -1;
        curl_multi_fdset(c->multi, &r, &w, &e, &m);
        curl_multi_timeout(c->multi, &curl_ms);
        if (m > maxfd)
            maxfd = m;
        if (curl_ms >= 0 && (ms < 0 || curl_ms < ms))
            ms = curl_ms;
    }
    for (int i = 0; i < nfds; i++)
        if (fds[i] >= 0 && fds[i] < FD_SETSIZE) {
            FD_SET(fds[i], &r);
            if (fds[i] > maxfd)
                maxfd = fds[i];
        }
    struct timeval tv, *tvp = NULL;
    if (ms >= 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        tvp = &tv;
    }
    int rc = select(maxfd + 1, &r, &w, &e, tvp) < 0 && errno == EINTR ? -1 : 0;
    /* Drive every transfer now, also those no task is reading (an unread
     * stream pauses at its high-water mark), so a ready socket or a due
     * curl timer never makes the next wait return at once again. */
    for (ld_client *c = ld_clients_live(); c; c = c->next_live) {
        int running;
        curl_multi_perform(c->multi, &running);
        ld_client_collect(c);
    }
    return rc;
}
