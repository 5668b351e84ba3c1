/* luadock.h - the public C API of the luadock core.
 *
 * The core speaks the Docker Engine HTTP API over a unix socket or tcp using
 * libcurl (multi interface) and cJSON. It knows paths, queries, timeouts,
 * streams and error classification; it knows nothing about Lua and must never
 * include a Lua header, so a C program can use it alone (see examples/c/).
 *
 * Conventions: functions return 0 on success and -1 on failure, filling the
 * caller's ld_error. Memory handed to the caller says who frees it.
 */
#ifndef LUADOCK_H
#define LUADOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LD_VERSION "0.1.0"
#define LD_API_MIN "1.41"     /* oldest Engine API we speak */
#define LD_API_MAX "1.56"     /* newest Engine API we know */
#define LD_DEFAULT_HOST "unix:///var/run/docker.sock"
#define LD_DEFAULT_TIMEOUT 60.0            /* seconds, like docker-py */
#define LD_BODY_CAP ((size_t)64 << 20)     /* cap on a non-streaming body */

/* ---- errors ---------------------------------------------------------- */

typedef enum ld_errcode {
    LD_OK = 0,
    LD_E_HTTP,        /* the engine answered with an error status */
    LD_E_CONNECT,     /* no engine at the address (ENOENT, ECONNREFUSED, ...) */
    LD_E_PERMISSION,  /* EACCES on the socket */
    LD_E_TIMEOUT,     /* no response headers in time, or a deadline passed */
    LD_E_PROTOCOL,    /* malformed response (bad JSON, bad frame type, ...) */
    LD_E_TRUNCATED,   /* the stream ended in the middle of a message */
    LD_E_CANCELED,    /* ld_cancel() was called while waiting */
    LD_E_API_VERSION, /* API version unsupported or too new/old */
    LD_E_TOO_LARGE,   /* a response body exceeded LD_BODY_CAP */
    LD_E_ARG,         /* the caller passed something invalid */
    LD_E_NOMEM,
    LD_E_IO,          /* a local file could not be read */
    LD_E_TLS          /* TLS set-up, handshake or certificate failure */
} ld_errcode;

typedef struct ld_error {
    ld_errcode code;
    long status;          /* HTTP status, or 0 */
    int os_errno;         /* errno behind a connection failure, or 0 */
    char message[1024];   /* the engine's own message where it gave one */
    char method[8];
    char path[512];
} ld_error;

/* The API.md error kind for an error: "not_found", "conflict", "bad_request",
 * "server", "connection", "permission", "timeout", "api_version", "auth",
 * "protocol", "truncated", "canceled", "tls", "io". Never NULL.
 * Same as ld_error_kind_of(err->code, err->status, err->message, 0). */
const char *ld_error_kind(const ld_error *err);

/* ld_error_kind_of flag: the failure is a registry call's (pull, push, build,
 * an error event of their progress streams), whose text alone tells that an
 * image is missing ("manifest unknown", "not found", ...). */
#define LD_KIND_REGISTRY 1
/* The kind of a failure known by its code, HTTP status and text; status 0
 * with LD_E_HTTP is the engine's error event inside a 200 stream. The one
 * place kinds are decided (a 403 is "permission", a registry's refusal of
 * credentials "auth"); see error.c. Never NULL. */
const char *ld_error_kind_of(ld_errcode code, long status, const char *message, int flags);
/* A stable name for the code: "HTTP", "CONNECT", "PERMISSION", "TIMEOUT", ... */
const char *ld_error_code_name(ld_errcode code);
/* The code ld_error_code_name names; LD_E_PROTOCOL for a name it never gives. */
ld_errcode ld_error_code_from_name(const char *name);
void ld_error_set(ld_error *err, ld_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ld_error_clear(ld_error *err);
/* Record which request failed (method and path). */
void ld_error_where(ld_error *err, const char *method, const char *path);

/* Ask every waiting call to stop with LD_E_CANCELED (async-signal-safe: it
 * only sets a flag). ld_cancel_reset() clears it. */
void ld_cancel(void);
void ld_cancel_reset(void);
int ld_cancel_requested(void);

double ld_now(void);   /* monotonic seconds (clock.c) */

/* ---- growable buffer and query encoding ------------------------------ */

typedef struct ld_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len, cap;
} ld_buf;

int ld_buf_append(ld_buf *b, const void *data, size_t len);
int ld_buf_appends(ld_buf *b, const char *s);
int ld_buf_appendf(ld_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ld_buf_consume(ld_buf *b, size_t n);   /* drop n bytes from the front */
void ld_buf_free(ld_buf *b);

/* Append key=value to a query string, percent-encoding both (RFC 3986
 * unreserved characters stay as they are) and adding '&' between pairs. */
int ld_query_add(ld_buf *query, const char *key, const char *value, size_t value_len);
/* Append "/" and one percent-encoded path segment ("/", ":" and "@" stay,
 * since image references carry them). */
int ld_path_add_segment(ld_buf *path, const char *segment);

/* Base64 (RFC 4648): `url` selects the URL-safe alphabet (X-Registry-Auth).
 * Decoding accepts both alphabets, with or without padding, and fails on
 * anything else (-1; -2 when memory ran out). Both append to `out`. */
int ld_base64_encode(ld_buf *out, const unsigned char *data, size_t len, int url);
int ld_base64_decode(ld_buf *out, const char *text, size_t len);

/* ---- DOCKER_HOST ----------------------------------------------------- */

typedef enum { LD_HOST_UNIX, LD_HOST_TCP, LD_HOST_SSH } ld_host_kind;

typedef struct ld_host {
    ld_host_kind kind;
    char socket_path[108];   /* unix: the socket file; ssh: the remote one, "" = default */
    char hostname[256];      /* tcp, ssh: name or address (IPv6 without brackets) */
    int port;                /* tcp; ssh: 0 = ssh's own choice */
    char user[128];          /* ssh: login name, "" = ssh's own choice */
    char base_path[256];     /* tcp: optional path prefix, "" or "/x" */
    char normalized[512];    /* the address as the docker CLI would print it */
} ld_host;

/* Parse an address the way the docker CLI does: "" means the default socket,
 * "unix://" the default path, "tcp://" localhost:2375, "tcp://:2376",
 * "[::1]:5555" (a bare host:port is tcp), "ssh://[user@]host[:port][/path]"
 * (no password, query or fragment; the host may not start with '-').
 * Fails with LD_E_ARG otherwise. */
int ld_host_parse(const char *spec, ld_host *out, ld_error *err);

/* ---- client and requests ---------------------------------------------- */

typedef struct ld_client ld_client;

/* TLS for tcp:// engines (ignored for unix://). LD_TLS_FROM_ENV reads the
 * docker CLI's variables: a non-empty DOCKER_TLS_VERIFY ("0" too) means TLS
 * with verification, a non-empty DOCKER_TLS alone TLS without it; the files
 * are ca.pem (required), cert.pem and key.pem (each dropped if missing) in
 * DOCKER_CERT_PATH, else $DOCKER_CONFIG, else ~/.docker. With TLS on and no
 * address at all, the engine is tcp://localhost:2376. */
typedef enum ld_tls_mode { LD_TLS_FROM_ENV = 0, LD_TLS_OFF, LD_TLS_ON } ld_tls_mode;

typedef struct ld_tls_opts {
    ld_tls_mode mode;
    const char *ca;           /* PEM CA bundle the engine is checked against;
                                 NULL: the system's (LD_TLS_ON only) */
    const char *cert, *key;   /* PEM client certificate and key: both or neither */
    int no_verify;            /* 1: do not check the engine's certificate */
} ld_tls_opts;

typedef struct ld_client_opts {
    const char *host;         /* NULL: $DOCKER_HOST, else LD_DEFAULT_HOST */
    const char *api_version;  /* NULL: $DOCKER_API_VERSION, else negotiated */
    double timeout;           /* seconds for non-streaming calls; 0 = default */
    ld_tls_opts tls;          /* zeroed: from the environment */
} ld_client_opts;

int ld_client_new(const ld_client_opts *opts, ld_client **out, ld_error *err);
void ld_client_free(ld_client *c);
const ld_host *ld_client_host(const ld_client *c);
double ld_client_timeout(const ld_client *c);
/* The TLS settings in use (mode LD_TLS_ON, the files found), or NULL when the
 * client speaks plain HTTP. Lives as long as the client. */
const ld_tls_opts *ld_client_tls(const ld_client *c);
/* The API version in use ("1.41"); negotiates with GET /_ping on first use.
 * Returns NULL on failure. The string lives as long as the client. */
const char *ld_client_api_version(ld_client *c, ld_error *err);

typedef struct ld_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* unversioned, already escaped: "/containers/x/json" */
    const char *query;         /* encoded "a=1&b=2", or NULL */
    const char *body;          /* request body, or NULL */
    size_t body_len;
    const char *body_file;     /* or: stream the body from this file */
    const char *content_type;  /* default "application/json" when there is a body */
    const char *const *headers;/* extra "Name: value" lines, NULL-terminated */
    double timeout;            /* response-header timeout: 0 = client default, <0 none */
    double deadline;           /* whole-call limit in seconds, 0 = none */
    int unversioned;           /* 1: no /vX.Y prefix (for /_ping) */
    int shielded;              /* 1: clean-up work: ld_cancel() does not stop it
                                  (bound it with timeout/deadline instead) */
} ld_request;

typedef struct ld_response {
    long status;
    char *body;                /* NUL-terminated, malloc'd; free with ld_response_free */
    size_t len;
    char content_type[128];
    char api_version[16];      /* the Api-Version header, if any */
    char path_stat[2048];      /* X-Docker-Container-Path-Stat (base64 JSON), if any */
} ld_response;

/* Perform a request and collect the whole body (at most LD_BODY_CAP bytes).
 * A status >= 400 fails with LD_E_HTTP and the engine's message; 304 is a
 * success with an empty body. */
int ld_client_call(ld_client *c, const ld_request *req, ld_response *resp, ld_error *err);
void ld_response_free(ld_response *resp);

/* The same call in pieces, for an event loop that runs several at once
 * (ld_client_call is start, step until done, finish). A call copies what
 * it needs from the request, which may be freed once ld_call_start returns. */
typedef struct ld_xfer ld_call;
int ld_call_start(ld_client *c, const ld_request *req, ld_call **out, ld_error *err);
/* Drive the call (and the client's other transfers) for at most `wait`
 * seconds (< 0: until it is done). Returns 1 when done, 0 when not yet,
 * -1 on a timeout or cancel (err filled). The call must still be freed. */
int ld_call_step(ld_call *call, double wait, ld_error *err);
/* A done call's response, as ld_client_call gives it; frees the call. */
int ld_call_finish(ld_call *call, ld_response *resp, ld_error *err);
void ld_call_free(ld_call *call);

/* Wait up to `timeout` seconds until a socket of any live client's
 * transfers, or one of the `nfds` descriptors in `fds`, is readable or
 * writable as curl wants, or curl has a timer due. Returns 0, or -1 when a
 * signal interrupted the wait. */
int ld_wait_any(double timeout, const int *fds, int nfds);

/* ---- streams --------------------------------------------------------- */

typedef struct ld_stream ld_stream;

/* Start a streaming request; returns once the response headers arrived.
 * An error status fails here with the engine's message. */
int ld_stream_open(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err);
/* The same in pieces, for an event loop: start, then call ld_stream_opening
 * until it returns 1 (open), 0 (not yet, after at most `wait` seconds; < 0
 * waits) or -1 (failed: err filled; close the stream). Each call drives the
 * transfer at least once, a zero wait too: only these calls move it past the
 * API-version ping to its own request, not a loop's ld_wait_any. */
int ld_stream_start(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err);
int ld_stream_opening(ld_stream *s, double wait, ld_error *err);
/* Open a hijacked (bidirectional) connection: attach or exec start with
 * stdin. The request is written by hand over a raw connection. */
int ld_stream_open_hijack(ld_client *c, const ld_request *req, ld_stream **out, ld_error *err);
/* Read body bytes. Returns the count (> 0), 0 at a clean end, -1 on error,
 * -2 when `timeout` seconds passed without data (timeout < 0 waits forever). */
ssize_t ld_stream_read(ld_stream *s, char *buf, size_t n, double timeout, ld_error *err);
/* Hijacked streams only: write to the process's stdin, then half-close. */
int ld_stream_write(ld_stream *s, const char *data, size_t len, ld_error *err);
int ld_stream_close_write(ld_stream *s, ld_error *err);
long ld_stream_status(const ld_stream *s);
const char *ld_stream_content_type(const ld_stream *s);
/* X-Docker-Container-Path-Stat of the response (base64 JSON), or "". */
const char *ld_stream_path_stat(const ld_stream *s);
/* The socket of a hijacked stream (what an event loop waits on), else -1:
 * other streams are transfers that ld_wait_any already watches. */
int ld_stream_fd(const ld_stream *s);
void ld_stream_close(ld_stream *s);

/* ---- stream decoders (pure, incremental) ---------------------------- */

/* The engine's multiplexed frame format: [type,0,0,0,size_be32] payload.
 * Types 0 and 1 are stdout, 2 stderr, 3 a system error. Payload pieces are
 * passed through as they arrive, never buffered whole. */
typedef enum { LD_STDOUT = 1, LD_STDERR = 2, LD_SYSERR = 3 } ld_stream_id;
typedef int (*ld_demux_cb)(void *ud, ld_stream_id id, const char *data, size_t len);

typedef struct ld_demux {
    unsigned char header[8];
    size_t header_have;
    uint32_t remaining;        /* payload bytes left in the current frame */
    int type;
} ld_demux;

void ld_demux_init(ld_demux *d);
/* Feed bytes; calls cb for each payload piece. Returns 0, -1 on a bad frame
 * type (err filled, LD_E_PROTOCOL), or the callback's non-zero result. */
int ld_demux_feed(ld_demux *d, const char *data, size_t len, ld_demux_cb cb, void *ud,
                  ld_error *err);
/* 0 when the input ended on a frame boundary, else -1 with LD_E_TRUNCATED. */
int ld_demux_finish(const ld_demux *d, ld_error *err);

/* Concatenated JSON values (progress and event streams): values may be
 * separated by whitespace or nothing, and split anywhere across chunks. */
typedef struct cJSON cJSON;
typedef int (*ld_jsonsplit_cb)(void *ud, cJSON *value);  /* takes ownership */

typedef struct ld_jsonsplit {
    ld_buf carry;
    /* A scan of the carry's bytes up to `scan` (strings, nesting, newlines):
     * the carry is parsed again only when a new byte may end its value, so a
     * value arriving in many chunks costs linear time, not quadratic. */
    size_t scan;
    long depth;
    int in_str, esc, newline, pending;
} ld_jsonsplit;

void ld_jsonsplit_init(ld_jsonsplit *s);
int ld_jsonsplit_feed(ld_jsonsplit *s, const char *data, size_t len, ld_jsonsplit_cb cb,
                      void *ud, ld_error *err);
int ld_jsonsplit_finish(ld_jsonsplit *s, ld_error *err);  /* leftover non-space: truncated */
void ld_jsonsplit_free(ld_jsonsplit *s);

/* ---- .dockerignore (dockerignore.c) ---------------------------------- */

/* `patterns` is a NULL-terminated array of .dockerignore lines (comments and
 * blank lines already dropped; a leading "!" marks an exception); `path` is
 * slash-separated and relative to the context. Moby's semantics: patterns
 * are cleaned ("/a", "./a" mean "a"), "*", "?" and "[...]" stay within one
 * segment, "**" spans any number of segments, a pattern that matches a
 * parent folder matches everything below it, the last matching pattern
 * wins. Returns 1 if the path is excluded. */
int ld_ignore_match(const char *const *patterns, const char *path);
/* 1 if an exception could re-include something below the excluded folder
 * `dir`, so a walk must still descend into it (without adding `dir`). */
int ld_ignore_descend(const char *const *patterns, const char *dir);
/* 0, or -1 (LD_E_ARG) naming the first pattern Go would refuse ("!" alone,
 * an unclosed "[", a trailing "\"). */
int ld_ignore_check(const char *const *patterns, ld_error *err);

/* ---- tar archives (archive.c, libarchive) ---------------------------- */

typedef struct ld_tar_opts {
    const char *const *exclude;  /* .dockerignore patterns (see above), or NULL */
    int keep_root;               /* a folder's entries go under its own name, as
                                    `docker cp dir ctr:/dst` makes /dst/dir */
    const char *name;            /* or NULL: the name the file or folder itself
                                    is stored under, instead of its own (one
                                    path segment); implies keep_root, also for
                                    "dir/." (`docker cp dir/. ctr:/new`) */
} ld_tar_opts;

/* Append to `out` a tar (pax, ustar where it fits) of a file or folder.
 * Symlinks are stored as symlinks and never followed (except a path ending
 * in "/" that names a symlink to a folder: the folder, as the docker CLI
 * does); hard links inside the tree are stored once; modes and mtimes are
 * kept; owners are numeric 0:0 with no names. A folder's entries are
 * relative to it (a build context) unless keep_root or name; a single file
 * is stored under its base name (or name). Sockets are left out. Fails with
 * LD_E_IO (unreadable path) or LD_E_ARG (bad pattern or name). */
int ld_tar_create(const char *path, const ld_tar_opts *opts, ld_buf *out, ld_error *err);
/* ld_tar_create with only exclude patterns. */
int ld_tar_from_path(const char *path, const char *const *exclude_patterns, ld_buf *out,
                     ld_error *err);

typedef struct ld_untar_stats {
    size_t files;     /* entries written: files, folders, symlinks, hard links */
    size_t skipped;   /* entries left out, for any of the reasons below */
    size_t devices;   /* character and block devices */
    size_t fifos;
    size_t sockets;
    size_t unsafe;    /* absolute or ".." names, links leaving dest_dir, writes
                         through a symlink, hard links that cannot be made */
    size_t other;     /* entry types this extractor does not know */
} ld_untar_stats;

typedef struct ld_untar_opts {
    /* Both or neither: entries under the top-level name rename_from ("."
     * for a folder's contents, as "dir/." is sent) land under rename_to (one
     * path segment) instead, the way `docker cp ctr:/src /new` creates /new;
     * entries outside rename_from are skipped as unsafe. */
    const char *rename_from, *rename_to;
    int no_overwrite_dir_nondir; /* a folder never replaces a non-folder nor
                                    the reverse: fail with LD_E_IO and a message
                                    starting "cannot overwrite" (docker cp's rule) */
} ld_untar_opts;

/* Extract a tar held in memory under the existing folder dest_dir, treating
 * it as hostile: nothing is written outside dest_dir, owners are not
 * restored, modes are masked with 0777 (no setuid, setgid or sticky bits)
 * and the umask applies, devices, fifos and sockets are skipped. opts may be
 * NULL. Skipped entries are counted in *stats (may be NULL). Fails with
 * LD_E_ARG (dest_dir is not a folder, bad opts), LD_E_PROTOCOL (not a tar)
 * or LD_E_IO (a write failed). */
int ld_tar_extract(const char *data, size_t len, const char *dest_dir, const ld_untar_opts *opts,
                   ld_untar_stats *stats, ld_error *err);

typedef enum ld_path_kind {
    LD_PATH_MISSING, LD_PATH_FILE, LD_PATH_DIR, LD_PATH_SYMLINK, LD_PATH_FIFO,
    LD_PATH_SOCKET, LD_PATH_CHAR_DEVICE, LD_PATH_BLOCK_DEVICE
} ld_path_kind;

/* What is at a host path: lstat, or stat when follow (a dangling symlink is
 * then LD_PATH_MISSING). ENOENT gives LD_PATH_MISSING; other failures
 * (ENOTDIR, EACCES, ...) return -1 with LD_E_IO. With follow and real_path
 * not NULL, an existing path's resolved absolute path is appended to it. */
int ld_path_stat(const char *path, int follow, ld_path_kind *kind, ld_buf *real_path,
                 ld_error *err);

/* ---- Engine operations ----------------------------------------------- */

typedef enum {
    LD_BODY_NONE,     /* no request body */
    LD_BODY_JSON,     /* a JSON document */
    LD_BODY_TAR       /* tar bytes or a file (application/x-tar) */
} ld_body_kind;

typedef enum {
    LD_RESP_NONE,     /* no content expected (204, 304) */
    LD_RESP_JSON,     /* one JSON document */
    LD_RESP_TEXT,     /* raw bytes returned whole */
    LD_RESP_MUX,      /* a stream: multiplexed stdout/stderr frames (raw with tty) */
    LD_RESP_JSONLINES,/* a stream: concatenated JSON values */
    LD_RESP_RAW,      /* a stream: raw bytes */
    LD_RESP_STAT      /* no body: the X-Docker-Container-Path-Stat header's value */
} ld_resp_kind;

/* One Engine endpoint, named by its operationId in snake_case. */
typedef struct ld_op {
    const char *name;      /* "container_list" */
    const char *method;    /* "GET" */
    const char *path;      /* "/containers/{id}/json"; {x} are positional args */
    const char *query;     /* space-separated query parameter names allowed */
    ld_body_kind body;
    ld_resp_kind resp;
    int waits;             /* 1: the engine waits by design; no header timeout */
} ld_op;

extern const ld_op ld_system_ops[];
extern const ld_op ld_container_ops[];
extern const ld_op ld_image_ops[];
extern const ld_op ld_exec_ops[];
extern const ld_op ld_volume_ops[];
extern const ld_op ld_network_ops[];

/* Look an operation up by name across every area; NULL if unknown. */
const ld_op *ld_op_find(const char *name);
/* Call fn for every known operation (bindings register them this way). */
void ld_op_each(void (*fn)(void *ud, const ld_op *op), void *ud);
/* How many {x} placeholders the op's path has. */
int ld_op_path_arity(const ld_op *op);
/* Build the escaped path from positional arguments. */
int ld_op_path(const ld_op *op, const char *const *args, int nargs, ld_buf *out, ld_error *err);
/* 1 if `name` is one of the op's query parameters. */
int ld_op_has_query(const ld_op *op, const char *name);

/* ---- running a program (credential helpers) -------------------------- */

#define LD_RUN_DEFAULT_TIMEOUT 10.0                 /* seconds */
#define LD_RUN_DEFAULT_MAX_OUTPUT ((size_t)64 << 10) /* bytes, per stream */

typedef struct ld_run_opts {
    const char *input;     /* written to stdin, which is then closed (NULL: none) */
    size_t input_len;
    double timeout;        /* seconds; <= 0: LD_RUN_DEFAULT_TIMEOUT */
    size_t max_output;     /* cap on stdout and on stderr; 0: LD_RUN_DEFAULT_MAX_OUTPUT */
} ld_run_opts;

typedef struct ld_run_result {
    int exited, status;    /* exited: 1 and status is the exit code */
    int signal;            /* the signal that ended it, or 0 */
    int timed_out;         /* the deadline passed: killed (SIGKILL) and reaped */
    int too_large;         /* an output passed max_output: killed and reaped */
    ld_buf out, err;       /* what it wrote, at most max_output bytes each */
} ld_run_result;

/* Run argv[0] (looked up on PATH, no shell) with argv, our environment, and
 * opts->input on stdin; blocks until it exits, the timeout passes or
 * ld_cancel() is called. The program runs in a process group of its own,
 * killed as a whole on timeout, cancel or oversize output; it is always
 * reaped. Returns 0 with res filled (also on timeout and oversize; free it
 * with ld_run_result_free), or -1: LD_E_IO when it cannot be started
 * (os_errno ENOENT: not found on PATH), LD_E_CANCELED, LD_E_NOMEM, LD_E_ARG. */
int ld_run_program(const char *const *argv, const ld_run_opts *opts, ld_run_result *res,
                   ld_error *err);
/* Wipes and frees the outputs (a helper's answer holds a secret). */
void ld_run_result_free(ld_run_result *res);

#endif
