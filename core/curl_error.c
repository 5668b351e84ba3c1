/* curl_error.c - a client's failed connection or transfer, in the docker
 * CLI's words.
 *
 * Connection failures are told apart by the OS errno behind them; a TLS
 * client's failures are worded by tls.c and an ssh:// client's get ssh's own
 * stderr (ssh.c). It sits above tls.c and ssh.c and below the transfers
 * (transport.c, hijack.c) that call it; it decides the error code only, the
 * kind follows from it in error.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

void ld_error_from_curl(ld_error *err, ld_client *c, CURLcode rc, long os_errno,
                        const char *errbuf)
{
    const char *addr = c->host.normalized;
    const char *detail = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
    err->os_errno = (int)os_errno;
    if (ld_tls_error_from_curl(err, c, rc, detail))
        return;
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        if (os_errno == EACCES)
            ld_error_set(err, LD_E_PERMISSION,
                         "permission denied while trying to connect to the Docker daemon "
                         "socket at %s: connect: permission denied (membership of the "
                         "socket's group is root-equivalent)", addr);
        else
            ld_error_set(err, LD_E_CONNECT,
                         "Cannot connect to the Docker daemon at %s. Is the docker daemon "
                         "running? (%s)", addr, os_errno ? strerror((int)os_errno) : detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        ld_error_set(err, LD_E_TIMEOUT, "timed out talking to the Docker daemon at %s (%s)",
                     addr, detail);
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
        ld_error_set(err, LD_E_TRUNCATED, "the response from %s ended early (%s)", addr,
                     detail);
        break;
    case CURLE_GOT_NOTHING:
        ld_error_set(err, LD_E_PROTOCOL, "the Docker daemon at %s closed the connection "
                     "without answering", addr);
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        ld_error_set(err, LD_E_CANCELED, "canceled");
        break;
    case CURLE_SEND_ERROR:
        ld_error_set(err, LD_E_CONNECT, "lost the connection to the Docker daemon at %s (%s)",
                     addr, detail);
        break;
    case CURLE_OUT_OF_MEMORY:   /* luadock's process, not the engine: no connection error */
        ld_error_set(err, LD_E_NOMEM, "out of memory (libcurl: %s)", detail);
        break;
    case CURLE_READ_ERROR:
        ld_error_set(err, LD_E_IO, "could not read the request body (%s)", detail);
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        ld_error_set(err, LD_E_PROTOCOL, "malformed response from %s (%s)", addr, detail);
        break;
    default:
        ld_error_set(err, LD_E_CONNECT, "error talking to the Docker daemon at %s (%s)", addr,
                     detail);
        break;
    }
    if (c->host.kind == LD_HOST_SSH)
        ld_ssh_explain(c, rc, err);   /* what ssh itself said */
}
