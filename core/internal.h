/* internal.h - what the core's own files share and users of luadock.h do not.
 *
 * The client and transfer structures live here so that transport.c (curl
 * multi transfers) and hijack.c (raw bidirectional connections) can share
 * them. Nothing here may depend on Lua.
 *
 * Calls go one way, down this list (a file calls only files listed before it
 * or its own level), and the declarations below follow it:
 *   leaves      clock.c cancel.c buf.c base64.c error.c request.c decode.c
 *               docker_host.c ops.c and the area tables; process.c
 *   connection  tls.c tlsconn.c ssh.c, then curl_error.c (their failures' words)
 *   client      client.c: address, version, URL and curl options of a request
 *   transfer    transport.c: one transfer on the multi handle
 *   call        call.c: whole calls, the blocking version ping, ld_wait_any
 *   hijack      hijack.c: raw two-way connections (attach/exec stdin)
 *   stream      stream_transfer.c: ld_stream_*, over a transfer or a hijack
 * (core/tar/: archive.c and dockerignore.c, a library of their own above these.)
 */
#ifndef LUADOCK_INTERNAL_H
#define LUADOCK_INTERNAL_H

#include <curl/curl.h>
#include "luadock.h"
#include "alloc.h"

struct ld_client {
    ld_host host;
    CURLM *multi;              /* every transfer of this client runs here */
    CURL *idle;                /* a finished easy handle kept for reuse */
    double timeout;
    char api_version[16];      /* "" until negotiated or pinned */
    int pinned;                /* api_version came from the user */
    char authority[300];       /* the URL's host[:port]: "docker" (unix, ssh) or "host:port" */
    ld_tls_opts tls;           /* mode LD_TLS_ON with the files in use, else LD_TLS_OFF */
    struct ld_client *next_live;   /* the list ld_wait_any watches */
    int xfers;                 /* transfers not yet freed: they keep it alive */
    int closing;               /* ld_client_free was called while xfers > 0 */
    struct ld_ssh *ssh;        /* ssh:// only: its ssh processes (ssh.c), or NULL */
};

/* One transfer on the client's multi handle. */
typedef struct ld_xfer {
    ld_client *client;
    CURL *easy;
    struct curl_slist *headers;
    ld_buf body;               /* response bytes not yet handed out */
    int streaming;             /* 1: body is consumed as it arrives */
    int paused;                /* the write callback paused the transfer */
    int headers_done;          /* final response headers have arrived */
    int done;                  /* curl reported the transfer finished */
    int too_large;
    int oom;                   /* a body append failed (reported as out of memory) */
    CURLcode result;
    long status;
    char content_type[128];
    char api_version[16];
    char path_stat[2048];
    double started;            /* ld_now() when it started */
    double header_timeout;     /* <= 0: none */
    double deadline;           /* absolute ld_now() limit, 0: none */
    int timed_out;             /* 1: we gave up waiting (header timeout or deadline) */
    int shielded;              /* 1: ld_cancel() does not stop it (ld_request.shielded) */
    FILE *upload;              /* body_file being sent */
    const char *upload_mem;    /* body bytes being sent */
    size_t upload_len, upload_pos;
    char method[8];
    char path[512];
    char errbuf[CURL_ERROR_SIZE];
    struct ld_xfer *ping;      /* negotiating the API version first, or NULL */
    struct ld_saved_request *later;   /* the request to send once it is known */
} ld_xfer;

/* A streaming response: either a transfer on the client's multi handle, or
 * a hijacked raw connection (attach/exec with stdin). */
struct ld_stream {
    ld_client *client;
    ld_xfer *xfer;             /* multi-handle stream, or NULL */
    CURL *raw;                 /* hijacked connection, or NULL */
    curl_socket_t fd;
    ld_buf pending;            /* hijack: received bytes not yet read */
    int eof;
    int opening;               /* started; response headers not yet there */
    int shielded;              /* hijack: ld_cancel() does not stop it */
    long status;
    char content_type[128];
    char path_stat[2048];
    char method[8];
    char path[512];
    char errbuf[CURL_ERROR_SIZE];   /* hijack: curl's words for a failure */
    struct ld_tlsconn *tls;    /* hijack of a TLS client: our own TLS session */
};

#define LD_STREAM_HIGH_WATER ((size_t)1 << 20)  /* pause a stream holding this much */


/* ---- leaves ---- */

/* error.c: an error status's body ({"message": ...}, text or nothing) */
void ld_error_from_body(ld_error *err, long status, const char *ctype, const char *body,
                        size_t len);

/* request.c: a request kept while the API version is negotiated ahead of
 * it (every string copied; free with ld_saved_free). */
typedef struct ld_saved_request {
    ld_request req;
    char method[8];
    char *strings[6];          /* path, query, body, body_file, content_type, headers */
    const char *headers[17];
} ld_saved_request;
ld_saved_request *ld_save_request(const ld_request *req);
void ld_saved_free(ld_saved_request *sr);

/* ---- connection ---- */

/* tls.c */
int ld_tls_wanted(const ld_tls_opts *o);       /* 1: these options turn TLS on */
/* Check the files o names (or the environment's) and copy them into out. */
int ld_tls_resolve(const ld_tls_opts *o, ld_tls_opts *out, ld_error *err);
void ld_tls_release(ld_tls_opts *t);
void ld_tls_connection_options(const ld_tls_opts *t, CURL *e);
/* Word a curl failure of a TLS client as kind "tls"; 0 if it is not one. */
int ld_tls_error_from_curl(ld_error *err, const ld_client *c, CURLcode rc, const char *detail);
/* A tcp request that got no answer at all: for a plain client the port may
 * expect TLS; for a TLS client the engine may have refused its certificate
 * (or its lack of one). */
void ld_error_unanswered(ld_error *err, const ld_client *c, CURLcode rc, const char *detail);

/* tlsconn.c: TLS over a connected socket for hijacked connections; reads
 * and writes answer as curl_easy_recv/send do (CURLE_AGAIN, errbuf words). */
typedef struct ld_tlsconn ld_tlsconn;
CURLcode ld_tlsconn_open(const ld_client *c, int fd, double until, int shielded,
                         ld_tlsconn **out, char *errbuf, size_t cap);
CURLcode ld_tlsconn_recv(ld_tlsconn *tc, char *buf, size_t n, size_t *got, char *errbuf,
                         size_t cap);
CURLcode ld_tlsconn_send(ld_tlsconn *tc, const char *buf, size_t n, size_t *sent, char *errbuf,
                         size_t cap);
int ld_tlsconn_close_write(ld_tlsconn *tc, double until);   /* close_notify */
void ld_tlsconn_free(ld_tlsconn *tc);

/* ssh.c: the command an ssh:// host runs, as the docker CLI builds it:
 * ssh [-l user] [-p port] "-o ConnectTimeout=30" -T -- host "<remote>",
 * remote being "docker [--host=unix://<path>] system dial-stdio" with each
 * word POSIX-quoted. argv points into h and cmd (NULL-terminated). */
typedef struct ld_ssh_command {
    const char *argv[12];
    char port[8];
    char remote[640];
} ld_ssh_command;
int ld_ssh_command_build(const ld_host *h, ld_ssh_command *cmd);

/* ssh.c: ssh:// engines. Each connection libcurl opens for c is an ssh
 * process running `docker system dial-stdio` on the host. */
void ld_ssh_connection_options(ld_client *c, CURL *e);
/* Put the stderr of an ssh that failed into err (kind connection). */
void ld_ssh_explain(ld_client *c, CURLcode rc, ld_error *err);
/* The client's share of its ssh state (after curl_multi_cleanup). */
void ld_ssh_release(struct ld_ssh *s);

/* curl_error.c: a failed transfer or connection of c in the docker CLI's words */
void ld_error_from_curl(ld_error *err, ld_client *c, CURLcode rc, long os_errno,
                        const char *errbuf);

/* ---- client, transfer, call, hijack ---- */

/* client.c */
#define LD_USER_AGENT "luadock/" LD_VERSION " (linux)"
ld_client *ld_clients_live(void);              /* first of the live list (next_live) */
void ld_client_destroy(ld_client *c);          /* frees now; see ld_client_free */
extern const ld_request ld_ping_request;       /* GET /_ping, unversioned */
/* Take the API version from a GET /_ping response. */
int ld_client_set_version(ld_client *c, const ld_response *resp, ld_error *err);
/* Append req's request-target: [tcp base path][/v<version>]<path>[?query]. */
int ld_build_target(ld_client *c, const ld_request *req, ld_buf *out, ld_error *err);
/* Point e at req on c's engine: its URL and how it connects (address,
 * protocols, TLS, timeout, User-Agent). raw: curl only connects
 * (CONNECT_ONLY) and a TLS session is the caller's (hijack.c). */
int ld_client_prepare(ld_client *c, CURL *e, const ld_request *req, int raw, ld_error *err);

/* transport.c */
int ld_xfer_start(ld_client *c, const ld_request *req, int streaming, ld_xfer **out,
                  ld_error *err);
/* Drive the client's transfers for up to `wait` seconds (<0 forever) or until
 * `x` has news (headers, body bytes, completion). Returns 0 or -1 (err). */
int ld_xfer_step(ld_xfer *x, double wait, ld_error *err);
/* Turn a finished or failed transfer into an ld_error. Returns 0 if fine. */
int ld_xfer_check(ld_xfer *x, ld_error *err);
/* Mark the client's finished transfers done (after curl_multi_perform). */
void ld_client_collect(ld_client *c);
/* A finished transfer's response, or its failure (an error status's body
 * worded by error.c); frees x either way. ld_call_finish is this. */
int ld_xfer_finish(ld_xfer *x, ld_response *resp, ld_error *err);
void ld_xfer_free(ld_xfer *x);

/* call.c: negotiate c's API version now, blocking (GET /_ping) */
int ld_client_ensure_version(ld_client *c, ld_error *err);

/* hijack.c: the raw side of ld_stream_read and ld_stream_close */
ssize_t ld_hijack_read(ld_stream *s, char *buf, size_t n, double timeout, ld_error *err);
void ld_hijack_close(ld_stream *s);

#endif
