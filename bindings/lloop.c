/* lloop.c - what luadock.loop (scripts/luadock/loop/init.lua) needs from C.
 *
 * The loop runs tasks as coroutines it "owns" (core.own). A Engine call or a
 * stream read made inside an owned coroutine does not block: the binding
 * starts the transfer and yields core.IO (plus a socket for hijacked
 * streams) until the transfer has news, and the loop waits for all of them
 * at once with core.wait. Anywhere else, including coroutines the user made,
 * calls block as before. Resuming a yielded call with a string aborts it
 * with that message (kind "canceled"): that is how the loop stops a job that
 * ran past its max_runtime.
 *
 * Signals: core.trap_signals(true) turns the first SIGINT or SIGTERM into a
 * flag the loop polls (core.signaled), so the running job can finish; a
 * second one restores the previous handlers and is delivered to them (the
 * host then raises "interrupted!", stock lua5.4 dies as usual). The handler
 * also writes a byte to a pipe that core.wait watches (the self-pipe trick),
 * so a signal that lands just before the wait still ends it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lbind.h"

static const char owned_key = 'o';   /* registry: weak-keyed set of threads */
static const char io_marker = 'i';   /* what a waiting call yields */

int ld_lua_cooperative(lua_State *L)
{
    if (!lua_isyieldable(L))
        return 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &owned_key);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushthread(L);
    int owned = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return owned;
}

int ld_lua_yield_io(lua_State *L, int fd, lua_KContext ctx, lua_KFunction k)
{
    lua_pushlightuserdata(L, (void *)&io_marker);
    lua_pushinteger(L, fd);
    return lua_yieldk(L, 2, ctx, k);
}

const char *ld_lua_abort_message(lua_State *L, int top)
{
    return lua_gettop(L) > top && lua_type(L, top + 1) == LUA_TSTRING
               ? lua_tostring(L, top + 1) : NULL;
}

/* core.own(co, true|false): whether calls in coroutine co may yield */
static int l_own(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTHREAD);
    int on = lua_toboolean(L, 2);
    ld_lua_weak_keys(L, &owned_key);
    lua_pushvalue(L, 1);
    if (on)
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    return 0;
}

static int wake_pipe[2] = {-1, -1};   /* written by the signal handler */

/* core.wait(timeout, [fd...]) -> true | false (a signal interrupted it) */
static int l_wait(lua_State *L)
{
    lua_Number timeout = luaL_checknumber(L, 1);
    int fds[65], n = 0;
    for (int i = 2; i <= lua_gettop(L) && n < 64; i++)
        fds[n++] = (int)luaL_checkinteger(L, i);
    if (wake_pipe[0] >= 0)
        fds[n++] = wake_pipe[0];
    int interrupted = ld_wait_any(timeout < 0 ? 0 : timeout, fds, n) != 0;
    char drain[64];
    while (wake_pipe[0] >= 0 && read(wake_pipe[0], drain, sizeof drain) > 0)
        interrupted = 1;
    lua_pushboolean(L, !interrupted);
    return 1;
}

/* core.walltime() -> seconds since the epoch, with fractions */
static int l_walltime(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

static struct sigaction saved_int, saved_term;
static volatile sig_atomic_t trapped, caught;

static void restore_signals(void)
{
    sigaction(SIGINT, &saved_int, NULL);
    sigaction(SIGTERM, &saved_term, NULL);
    trapped = 0;
}

static void on_trapped_signal(int sig)
{
    int saved_errno = errno;
    if (caught) {   /* the second one: hand it to whoever had it before */
        restore_signals();
        raise(sig);
    } else {
        caught = sig;
        if (wake_pipe[1] >= 0 && write(wake_pipe[1], "!", 1) < 0) {
            /* full pipe: a wake-up is pending anyway */
        }
    }
    errno = saved_errno;
}

static void close_wake_pipe(void)
{
    for (int i = 0; i < 2; i++) {
        if (wake_pipe[i] >= 0)
            close(wake_pipe[i]);
        wake_pipe[i] = -1;
    }
}

/* POSIX pipe and fcntl rather than Linux's pipe2: the process has one
 * thread, so no exec can come between the two calls. */
static int open_wake_pipe(void)
{
    if (pipe(wake_pipe) != 0) {
        wake_pipe[0] = wake_pipe[1] = -1;
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK) != 0)
            return -1;
    return 0;
}

/* core.trap_signals(on) */
static int l_trap_signals(lua_State *L)
{
    int on = lua_toboolean(L, 1);
    if (on && !trapped) {
        if (open_wake_pipe() != 0)
            close_wake_pipe();   /* then only EINTR wakes the wait */
        caught = 0;
        ld_lua_catch_signals(on_trapped_signal, &saved_int, &saved_term);
        trapped = 1;
    } else if (!on) {
        if (trapped)   /* else a second signal restored them already */
            restore_signals();
        close_wake_pipe();
        caught = 0;
    }
    return 0;
}

/* core.signaled() -> "SIGINT" | "SIGTERM" | nil: caught while trapped */
static int l_signaled(lua_State *L)
{
    ld_lua_push_signal_name(L, caught);
    return 1;
}

void ld_lua_loop_open(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"own", l_own}, {"wait", l_wait}, {"walltime", l_walltime},
        {"trap_signals", l_trap_signals}, {"signaled", l_signaled}, {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
    lua_pushlightuserdata(L, (void *)&io_marker);
    lua_setfield(L, -2, "IO");
}
