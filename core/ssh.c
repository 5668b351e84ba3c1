/* ssh.c - ssh:// engines: every connection is one OpenSSH `ssh` process.
 *
 * As the docker CLI does, each connection libcurl opens runs
 *   ssh [-l user] [-p port] "-o ConnectTimeout=30" -T -- host "docker system dial-stdio"
 * (with `docker '--host=unix://<path>' ...` when the URL names a socket) and
 * talks HTTP over its stdin and stdout: a socketpair whose other end libcurl
 * takes as an already-connected socket. ssh gets its own session (no
 * terminal, so it never prompts), dies with us (PR_SET_PDEATHSIG), and its
 * stderr is kept so that a failure says what ssh said. The process is reaped
 * when libcurl closes the connection, which may happen after the request's
 * easy handle is gone (connections live in the multi's cache), so the state
 * here is counted: the client holds one reference and each live connection
 * one. No shell is run locally: execvp with an argument array; nothing here
 * may prompt, block without a bound, or leave a process behind. Two quirks
 * of libcurl 7.88 (Debian 12) are worked around: see full_listener and
 * name_peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define STDERR_KEEP 4096       /* bytes of ssh's stderr kept (the last ones) */
#define REAP_GRACE_MS 3000     /* wait this long for an exit before SIGKILL */

typedef struct ssh_conn {
    curl_socket_t fd;          /* our end of the socketpair (libcurl's socket) */
    pid_t pid;
    int err_fd;                /* read end of ssh's stderr, -1 when closed */
    ld_buf err_text;
    int reaped;
    struct ssh_conn *next;
} ssh_conn;

struct ld_ssh {
    int refs;                  /* the client's, plus one per live connection */
    ld_host host;              /* the command's argv points into this copy */
    ld_ssh_command cmd;
    char name[80];             /* per client abstract socket name: libcurl keys its
                                  connection cache on it, and resolves no host name */
    int listen_fd, filler_fd;  /* that socket, its queue kept full (see full_listener) */
    ssh_conn *conns;
    char failure[700];         /* what the last ssh that failed said, or "" */
};

static int safe_word(const char *w)
{
    if (!*w)
        return 0;
    for (; *w; w++)
        if (!(('a' <= *w && *w <= 'z') || ('A' <= *w && *w <= 'Z') ||
              ('0' <= *w && *w <= '9') || strchr("_./-", *w)))
            return 0;
    return 1;
}

/* Append one word to the remote command, POSIX-quoted unless plain. */
static int add_word(char *dst, size_t cap, const char *w)
{
    size_t n = strlen(dst);
    if (n && n + 1 < cap)
        dst[n++] = ' ';
    if (safe_word(w)) {
        n += (size_t)snprintf(dst + n, n < cap ? cap - n : 0, "%s", w);
    } else {
        if (n < cap)
            dst[n++] = '\'';
        for (; *w && n + 5 < cap; w++) {
            if (*w == '\'') {
                memcpy(dst + n, "'\\''", 4);
                n += 4;
            } else {
                dst[n++] = *w;
            }
        }
        if (*w || n + 2 > cap)
            return -1;
        dst[n++] = '\'';
    }
    if (n >= cap)
        return -1;
    dst[n] = '\0';
    return 0;
}

int ld_ssh_command_build(const ld_host *h, ld_ssh_command *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    int i = 0, rc = add_word(cmd->remote, sizeof cmd->remote, "docker");
    cmd->argv[i++] = "ssh";
    if (h->user[0]) {
        cmd->argv[i++] = "-l";
        cmd->argv[i++] = h->user;
    }
    if (h->port) {
        snprintf(cmd->port, sizeof cmd->port, "%d", h->port);
        cmd->argv[i++] = "-p";
        cmd->argv[i++] = cmd->port;
    }
    cmd->argv[i++] = "-o ConnectTimeout=30";
    cmd->argv[i++] = "-T";
    cmd->argv[i++] = "--";
    cmd->argv[i++] = h->hostname;
    cmd->argv[i++] = cmd->remote;
    if (h->socket_path[0]) {
        char flag[128];
        snprintf(flag, sizeof flag, "--host=unix://%s", h->socket_path);
        rc |= add_word(cmd->remote, sizeof cmd->remote, flag);
    }
    rc |= add_word(cmd->remote, sizeof cmd->remote, "system");
    rc |= add_word(cmd->remote, sizeof cmd->remote, "dial-stdio");
    return rc;
}

static void drain_stderr(ssh_conn *k)
{
    char chunk[1024];
    while (k->err_fd >= 0) {
        ssize_t n = read(k->err_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(k->err_fd);
                k->err_fd = -1;
            }
            break;
        }
        ld_buf_append(&k->err_text, chunk, (size_t)n);
        if (k->err_text.len > STDERR_KEEP)
            ld_buf_consume(&k->err_text, k->err_text.len - STDERR_KEEP);
    }
}

/* An ssh ended: if not by our hand and not cleanly, remember what it said. */
static void finished(struct ld_ssh *s, ssh_conn *k, int status, int by_us)
{
    k->reaped = 1;
    drain_stderr(k);
    if (by_us || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return;
    char said[600];
    size_t n = 0;
    const char *t = k->err_text.data ? k->err_text.data : "";
    size_t len = k->err_text.len;
    if (len > sizeof said - 1)
        t += len - (sizeof said - 1);
    for (; *t && n < sizeof said - 1; t++) {
        if (*t == '\r')
            continue;
        said[n++] = *t == '\n' ? ' ' : *t;
    }
    while (n && said[n - 1] == ' ')
        n--;
    said[n] = '\0';
    if (WIFEXITED(status))
        snprintf(s->failure, sizeof s->failure, "ssh exited with status %d%s%s",
                 WEXITSTATUS(status), n ? ": " : "", said);
    else
        snprintf(s->failure, sizeof s->failure, "ssh was killed by signal %d%s%s",
                 WTERMSIG(status), n ? ": " : "", said);
}

/* Reap ssh processes that ended on their own (a dead idle connection), and
 * keep the stderr pipes of the others from filling up (ssh would block). */
static void sweep(struct ld_ssh *s)
{
    for (ssh_conn *k = s->conns; k; k = k->next) {
        int status = 0;
        if (k->reaped)
            continue;
        drain_stderr(k);
        pid_t r = waitpid(k->pid, &status, WNOHANG);
        if (r == k->pid)
            finished(s, k, status, 0);
        else if (r < 0 && errno == ECHILD)   /* SIGCHLD ignored: reaped by the kernel */
            finished(s, k, 0, 1);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Wait up to ms for k's ssh to end: 1 ended (reaped), 0 still running. */
static int wait_exit(struct ld_ssh *s, ssh_conn *k, long ms, int by_us)
{
    for (long waited = 0;; waited += 10) {
        int status = 0;
        pid_t r = waitpid(k->pid, &status, WNOHANG);
        if (r == k->pid || (r < 0 && errno != EINTR)) {
            finished(s, k, status, by_us || r < 0);
            return 1;
        }
        if (waited >= ms)
            return 0;
        sleep_ms(10);
    }
}

/* The other end of fd has closed: ssh is on its way out by itself. */
static int peer_closed(curl_socket_t fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char ch;
    if (poll(&p, 1, 0) <= 0)
        return 0;
    return (p.revents & POLLHUP) || recv(fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void child_exec(struct ld_ssh *s, int sock, int err_fd, pid_t parent)
{
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(255);
    if (sock <= 2)
        sock = fcntl(sock, F_DUPFD, 3);
    if (err_fd <= 2)
        err_fd = fcntl(err_fd, F_DUPFD, 3);
    if (sock < 0 || err_fd < 0 || dup2(sock, 0) < 0 || dup2(sock, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(255);
    closefrom(3);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    execvp(s->cmd.argv[0], (char *const *)s->cmd.argv);
    static const char msg[] = "luadock: cannot run ssh (is OpenSSH's client installed?)\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

/* libcurl 7.88 reuses a connection only if its peer has a name (it takes
 * the "address" from getpeername, and an unnamed socketpair end has none):
 * bind ssh's end to a unique path and unlink it at once (the name stays). */
static void name_peer(int fd)
{
    static unsigned serial;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    for (int attempt = 0; attempt < 8; attempt++) {
        snprintf(a.sun_path, sizeof a.sun_path, "/tmp/.luadock-ssh-%ld-%u-%lx", (long)getpid(),
                 ++serial, (unsigned long)random());
        if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            unlink(a.sun_path);
            return;
        }
        if (errno != EADDRINUSE)
            return;
    }
}

/* CURLOPT_OPENSOCKETFUNCTION: start one ssh and hand libcurl our end. */
static curl_socket_t on_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct ld_ssh *s = clientp;
    int sv[2], ep[2];
    (void)purpose;
    (void)addr;
    sweep(s);
    s->failure[0] = '\0';
    ssh_conn *k = ld_calloc(1, sizeof *k);
    if (!k)
        return CURL_SOCKET_BAD;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        free(k);
        return CURL_SOCKET_BAD;
    }
    name_peer(sv[1]);   /* without a name it still works, without reuse */
    if (pipe2(ep, O_CLOEXEC) != 0) {
        close(sv[0]);
        close(sv[1]);
        free(k);
        return CURL_SOCKET_BAD;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(s, sv[1], ep[1], parent);
    close(sv[1]);
    close(ep[1]);
    if (pid < 0) {
        snprintf(s->failure, sizeof s->failure, "cannot start ssh: %s", strerror(errno));
        close(sv[0]);
        close(ep[0]);
        free(k);
        return CURL_SOCKET_BAD;
    }
    fcntl(ep[0], F_SETFL, O_NONBLOCK);
    fcntl(ep[0], F_SETPIPE_SZ, 1 << 20);   /* room for a chatty ssh between sweeps */
    k->fd = sv[0];
    k->pid = pid;
    k->err_fd = ep[0];
    k->next = s->conns;
    s->conns = k;
    s->refs++;
    return sv[0];
}

/* CURLOPT_SOCKOPTFUNCTION: the socket is connected already (to ssh). */
static int on_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    (void)clientp;
    (void)fd;
    (void)purpose;
    return CURL_SOCKOPT_ALREADY_CONNECTED;
}

static void unref(struct ld_ssh *s)
{
    if (--s->refs > 0)
        return;
    /* Only reached once every connection has closed, so no ssh is left. */
    if (s->filler_fd >= 0)
        close(s->filler_fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    free(s);
}

/* libcurl 7.88 (Debian 12) calls connect() even when the socket option
 * callback says CURL_SOCKOPT_ALREADY_CONNECTED (later versions do not). On
 * our connected socketpair that fails with EISCONN, unless the address is a
 * listening socket whose queue is full: Linux checks that first and answers
 * EAGAIN, which libcurl takes as "in progress"; it then finds the socket
 * writable with no error and goes on. So each client owns an abstract
 * listener with a backlog of 0 and one connection parked in it. */
static int full_listener(struct ld_ssh *s)
{
    static unsigned serial;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    for (int attempt = 0; attempt < 8; attempt++) {
        snprintf(s->name, sizeof s->name, "luadock-ssh/%ld/%u/%lx", (long)getpid(), ++serial,
                 (unsigned long)random());
        size_t len = strlen(s->name);
        memcpy(a.sun_path + 1, s->name, len);   /* sun_path[0] = 0: abstract */
        socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->listen_fd < 0)
            return -1;
        if (bind(s->listen_fd, (struct sockaddr *)&a, alen) == 0 && listen(s->listen_fd, 0) == 0) {
            s->filler_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (s->filler_fd >= 0 && connect(s->filler_fd, (struct sockaddr *)&a, alen) == 0)
                return 0;
            return -1;
        }
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    return -1;
}

/* CURLOPT_CLOSESOCKETFUNCTION: close our end and reap that ssh. If ssh
 * closed its side first it is ending by itself (a failure, or the engine
 * closing); otherwise SIGTERM, then SIGKILL after a grace period. */
static int on_close(void *clientp, curl_socket_t fd)
{
    struct ld_ssh *s = clientp;
    ssh_conn **pp = &s->conns;
    while (*pp && (*pp)->fd != fd)
        pp = &(*pp)->next;
    ssh_conn *k = *pp;
    if (!k)
        return close(fd);
    *pp = k->next;
    int gone = peer_closed(fd);
    close(fd);
    if (!k->reaped && !(gone && wait_exit(s, k, REAP_GRACE_MS, 0))) {
        kill(k->pid, SIGTERM);
        if (!wait_exit(s, k, REAP_GRACE_MS, 1)) {
            kill(k->pid, SIGKILL);
            while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
    }
    if (k->err_fd >= 0)
        close(k->err_fd);
    ld_buf_free(&k->err_text);
    free(k);
    unref(s);
    return 0;
}

void ld_ssh_connection_options(ld_client *c, CURL *e)
{
    if (!c->ssh && (c->ssh = ld_calloc(1, sizeof *c->ssh)) != NULL) {
        c->ssh->refs = 1;
        c->ssh->host = c->host;
        c->ssh->listen_fd = c->ssh->filler_fd = -1;
        ld_ssh_command_build(&c->ssh->host, &c->ssh->cmd);
        if (full_listener(c->ssh) != 0)
            c->ssh->name[0] = '\0';
    }
    /* Without the state nothing can work: a name nobody listens on fails the
     * connection at once ("connection refused"). */
    curl_easy_setopt(e, CURLOPT_ABSTRACT_UNIX_SOCKET,
                     c->ssh && c->ssh->name[0] ? c->ssh->name : "luadock-ssh/unavailable");
    if (!c->ssh || !c->ssh->name[0])
        return;
    sweep(c->ssh);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c->ssh);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c->ssh);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c->ssh);
}

void ld_ssh_explain(ld_client *c, CURLcode rc, ld_error *err)
{
    if (!c->ssh || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_ABORTED_BY_CALLBACK ||
        rc == CURLE_READ_ERROR)
        return;
    sweep(c->ssh);
    /* A connection libcurl has not closed yet: if ssh hung up, it is ending. */
    for (ssh_conn *k = c->ssh->conns; k && !c->ssh->failure[0]; k = k->next)
        if (!k->reaped && peer_closed(k->fd))
            wait_exit(c->ssh, k, 1000, 0);
    if (!c->ssh->failure[0])
        return;
    ld_error_set(err, LD_E_CONNECT, "cannot talk to the Docker daemon at %s: %s",
                 c->host.normalized, c->ssh->failure);
}

void ld_ssh_release(struct ld_ssh *s)
{
    if (s)
        unref(s);
}
