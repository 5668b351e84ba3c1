/* process.c - run a program with some bytes on its stdin and collect its
 * stdout and stderr, bounded in size and in time.
 *
 * Made for credential helpers (docker-credential-<name> get): the program is
 * looked up on PATH and started with posix_spawnp (no shell), in a process
 * group of its own so that a timeout or a cancel kills whatever it started
 * too; it gets our environment, stdin is closed once the input is written,
 * every other descriptor of ours is closed in the child. The caller blocks
 * until the program exits, the deadline passes or ld_cancel() is called;
 * then whatever is left of its group is killed with SIGKILL (before the
 * program is reaped, so its id cannot have been reused) and the program is
 * reaped. No zombie and no process of the group is left on any path. This file must not print anything: a helper's output
 * can hold secrets, so only the caller decides what to show.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "luadock.h"

extern char **environ;

#define SLICE_MS 100            /* poll slice, so a cancel is noticed */
#define LINGER_SECONDS 1.0      /* after exit, how long a process that left its group
                                   (setsid) may hold the pipes */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Write to a pipe whose reader may be gone, without dying of SIGPIPE in
 * stock lua5.4 (which does not ignore it): the signal is blocked for the
 * write and, if the write raised it, taken back before unblocking. */
static ssize_t write_no_sigpipe(int fd, const char *data, size_t len)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = write(fd, data, len);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}

static int make_pipe(int fds[2], ld_error *err)
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        ld_error_set(err, LD_E_IO, "cannot make a pipe: %s", strerror(errno));
        err->os_errno = errno;
        return -1;
    }
    return 0;
}

/* Start argv[0] with stdin from in_r, stdout to out_w, stderr to err_w. */
static int spawn(const char *const *argv, int in_r, int out_w, int err_w, pid_t *pid,
                 ld_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, in_r, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, 1);
    posix_spawn_file_actions_adddup2(&fa, err_w, 2);
    /* the engine's socket and anything else of ours stays with us */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);   /* the host ignores it; a helper should not */
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        err->os_errno = rc;
        if (rc == ENOENT)
            ld_error_set(err, LD_E_IO, "%s: executable file not found in $PATH", argv[0]);
        else
            ld_error_set(err, LD_E_IO, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return 0;
}

/* Kill the program's group and reap the program (blocking: SIGKILL cannot
 * be ignored, so this is short). */
static void kill_and_reap(pid_t pid, int *wstatus)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);   /* in case it left its group */
    while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR) {
    }
}

/* 1 when the program has ended, leaving it unreaped (a zombie). */
static int has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Read what is there into b, keeping at most cap bytes; returns 1 at EOF,
 * 0 otherwise; *over is set when more than cap bytes came. */
static int drain(int fd, ld_buf *b, size_t cap, int *over, int *nomem)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0)
        return 1;
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : 1;
    size_t keep = (size_t)n;
    if (b->len + keep > cap) {
        keep = cap - b->len;
        *over = 1;
    }
    if (keep && ld_buf_append(b, chunk, keep) != 0)
        *nomem = 1;
    return 0;
}

static void set_exit(ld_run_result *res, int wstatus)
{
    if (WIFEXITED(wstatus)) {
        res->exited = 1;
        res->status = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        res->signal = WTERMSIG(wstatus);
    }
}

int ld_run_program(const char *const *argv, const ld_run_opts *opts, ld_run_result *res,
                   ld_error *err)
{
    memset(res, 0, sizeof *res);
    if (!argv || !argv[0] || !argv[0][0]) {
        ld_error_set(err, LD_E_ARG, "no program to run");
        return -1;
    }
    double timeout = opts && opts->timeout > 0 ? opts->timeout : LD_RUN_DEFAULT_TIMEOUT;
    size_t cap = opts && opts->max_output > 0 ? opts->max_output : LD_RUN_DEFAULT_MAX_OUTPUT;
    const char *input = opts && opts->input ? opts->input : "";
    size_t input_len = opts && opts->input ? opts->input_len : 0;

    int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (make_pipe(in, err) != 0 || make_pipe(out, err) != 0 || make_pipe(errp, err) != 0) {
        close_fd(&in[0]), close_fd(&in[1]), close_fd(&out[0]), close_fd(&out[1]);
        close_fd(&errp[0]), close_fd(&errp[1]);
        return -1;
    }
    /* SIGCHLD ignored (a parent can hand that down across exec) would let
     * the kernel reap the program and lose its exit status: default while
     * it runs, as before afterwards */
    struct sigaction chld_old, chld_dfl;
    memset(&chld_dfl, 0, sizeof chld_dfl);
    chld_dfl.sa_handler = SIG_DFL;
    int chld_restore = sigaction(SIGCHLD, NULL, &chld_old) == 0 && chld_old.sa_handler == SIG_IGN;
    if (chld_restore)
        sigaction(SIGCHLD, &chld_dfl, NULL);
    pid_t pid;
    int rc = spawn(argv, in[0], out[1], errp[1], &pid, err);
    close_fd(&in[0]), close_fd(&out[1]), close_fd(&errp[1]);
    if (rc != 0) {
        close_fd(&in[1]), close_fd(&out[0]), close_fd(&errp[0]);
        if (chld_restore)
            sigaction(SIGCHLD, &chld_old, NULL);
        return -1;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);
    if (input_len == 0)
        close_fd(&in[1]);

    double deadline = ld_now() + timeout, linger_end = 0;
    size_t written = 0;
    int wstatus = 0, reaped = 0, over = 0, nomem = 0, canceled = 0;
    while (in[1] >= 0 || out[0] >= 0 || errp[0] >= 0 || !reaped) {
        double now = ld_now();
        if (ld_cancel_requested()) {
            canceled = 1;
            break;
        }
        if (!reaped && now >= deadline) {   /* once reaped, the linger bounds the wait */
            res->timed_out = 1;
            break;
        }
        if (!reaped && has_exited(pid)) {
            /* its zombie keeps the id from reuse while the group is killed */
            kill(-pid, SIGKILL);   /* anything it left running in its group */
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
            }
            reaped = 1;
            linger_end = now + LINGER_SECONDS;
            close_fd(&in[1]);
        }
        if (reaped && now >= linger_end)
            break;   /* something it started holds the pipes; the answer is in */
        if (in[1] < 0 && out[0] < 0 && errp[0] < 0) {
            struct timespec pause = {0, 1000000L};   /* output closed; waiting for the exit */
            nanosleep(&pause, NULL);
            continue;
        }
        struct pollfd p[3] = {{in[1], POLLOUT, 0}, {out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
        double left_ms = (deadline - now) * 1000.0;
        int wait_ms = left_ms < SLICE_MS ? (int)left_ms + 1 : SLICE_MS;
        if (poll(p, 3, wait_ms) < 0 && errno != EINTR)
            break;
        if (in[1] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write_no_sigpipe(in[1], input + written, input_len - written);
            if (n > 0)
                written += (size_t)n;
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input_len)
                close_fd(&in[1]);   /* all given, or the program stopped reading */
        }
        if (out[0] >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) &&
            drain(out[0], &res->out, cap, &over, &nomem))
            close_fd(&out[0]);
        if (errp[0] >= 0 && (p[2].revents & (POLLIN | POLLERR | POLLHUP)) &&
            drain(errp[0], &res->err, cap, &over, &nomem))
            close_fd(&errp[0]);
        if (over || nomem)
            break;
    }
    close_fd(&in[1]), close_fd(&out[0]), close_fd(&errp[0]);
    if (!reaped)
        kill_and_reap(pid, &wstatus);
    if (chld_restore)
        sigaction(SIGCHLD, &chld_old, NULL);
    res->too_large = over;
    set_exit(res, wstatus);
    if (nomem || canceled) {
        ld_run_result_free(res);
        if (nomem)
            ld_error_set(err, LD_E_NOMEM, "out of memory reading the output of %s", argv[0]);
        else
            ld_error_set(err, LD_E_CANCELED, "canceled while waiting for %s", argv[0]);
        return -1;
    }
    return 0;
}

void ld_run_result_free(ld_run_result *res)
{
    if (!res)
        return;
    /* a helper's answer holds a secret: do not leave it in freed memory */
    if (res->out.data)
        explicit_bzero(res->out.data, res->out.cap);
    if (res->err.data)
        explicit_bzero(res->err.data, res->err.cap);
    ld_buf_free(&res->out);
    ld_buf_free(&res->err);
}
