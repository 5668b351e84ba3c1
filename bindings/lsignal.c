/* lsignal.c - interruption and shields: what makes clean-up hold when a
 * script is interrupted.
 *
 * SIGINT and SIGTERM: the first one cancels every waiting Engine call
 * (ld_cancel) and raises "interrupted!" / "terminated!" at the next Lua
 * instruction of the main thread (a hook, as lua.c does), so `<close>`
 * values and pcall-based clean-up run. The host arms this around each chunk
 * it runs; under stock lua5.4, `require "luadock"` arms it for the rest of the
 * process (core.catch_interrupts), replacing lua.c's own SIGINT handler, and
 * entering a shield takes it back if lua.c put its own in place again.
 *
 * A shield (core.shield_set, used through luadock.base.shield) marks a thread as
 * doing clean-up until an absolute deadline: its calls ignore the cancel
 * flag (the binding gives them the deadline instead), the hook does not
 * raise inside it but waits until the shield is left, and signals that come
 * while a shield is up, before its deadline, are held, never fatal.
 * Outside shields, the interruption error is raised once; further signals
 * do not raise it again (that would abort the clean-up the first one
 * started). The way out of a
 * process that catches the error and goes on, or is stuck in C: a third
 * signal, or a second one when the first has not reached Lua within 1 s,
 * ends the process as the default action would.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lbind.h"

static const char shields_key = 's';   /* registry: weak-keyed thread -> deadline */
static const char sentinel_key = 'g';  /* registry: disarms at lua_close */

static lua_State *main_L;                    /* whose hook the handler sets */
static volatile sig_atomic_t caught;         /* the first signal, or 0 */
static volatile sig_atomic_t received;       /* signals since the last reset */
static volatile sig_atomic_t hook_pending;   /* the hook is set and has not run */
static volatile sig_atomic_t deferred;       /* it ran inside a shield: raise later */
static volatile sig_atomic_t shield_count;   /* threads inside a shield */
static volatile double shield_until;         /* the latest deadline of those shields */
static struct timespec armed_at;
static int installed, wanted;                /* armed now / for the whole process */

static void arm_hook(void);

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    hook_pending = 0;
    double deadline;
    if (ld_lua_shielded(L, &deadline)) {
        deferred = 1;
        return;
    }
    luaL_error(L, caught == SIGTERM ? "terminated!" : "interrupted!");
}

static void arm_hook(void)
{
    hook_pending = 1;
    clock_gettime(CLOCK_MONOTONIC, &armed_at);
    lua_sethook(main_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

static double monotonic(const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static int pending_too_long(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return hook_pending && monotonic(&now) - monotonic(&armed_at) >= 1.0;
}

/* A shield holds signals only until its deadline: one that is never left
 * (a coroutine abandoned inside it) or overruns cannot make the process
 * impossible to stop. */
static int shield_holds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return shield_count > 0 && monotonic(&now) < shield_until;
}

static void die_by(int sig)
{
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_signal(int sig)
{
    int saved_errno = errno;
    received++;
    ld_cancel();
    if (!caught) {
        caught = sig;
        arm_hook();
    } else if (shield_holds()) {
        static const char msg[] = "luadock: cleaning up first (bounded by its own time limit)\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
            /* nothing to do: the message is a courtesy */
        }
    } else if (received >= 3 || pending_too_long()) {
        die_by(sig);
    }
    errno = saved_errno;
}

void ld_lua_catch_signals(void (*handler)(int), struct sigaction *old_int,
                          struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);   /* one handler at a time for both */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

void ld_lua_interrupts_arm(lua_State *L)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    main_L = lua_tothread(L, -1);
    lua_pop(L, 1);
    ld_lua_catch_signals(on_signal, NULL, NULL);
    installed = 1;
}

void ld_lua_interrupts_reset(void)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    if (main_L && lua_gethook(main_L) == stop_hook)
        lua_sethook(main_L, NULL, 0, 0);
    caught = received = hook_pending = deferred = 0;
    shield_count = 0;   /* between chunks no shield is up; a leaked one is forgotten */
    shield_until = 0;
    ld_cancel_reset();
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void ld_lua_interrupts_disarm(void)
{
    if (!installed)
        return;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    installed = 0;
    ld_lua_interrupts_reset();
}

/* Deadline of L's shield: 1 and *deadline (ld_now() seconds) when shielded. */
int ld_lua_shielded(lua_State *L, double *deadline)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &shields_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushthread(L);
    int on = lua_rawget(L, -2) == LUA_TNUMBER;
    if (on)
        *deadline = lua_tonumber(L, -1);
    lua_pop(L, 2);
    return on;
}

void ld_lua_weak_keys(lua_State *L, const void *key)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/* Under stock lua5.4, lua.c puts its own SIGINT handler in place around
 * every chunk it runs: entering a shield takes ours back. */
static void ensure_armed(lua_State *L)
{
    struct sigaction cur;
    if (sigaction(SIGINT, NULL, &cur) == 0 && cur.sa_handler != on_signal &&
        cur.sa_handler != SIG_IGN)
        ld_lua_interrupts_arm(L);
}

/* core.shield_set(deadline | nil) -> previous deadline | nil: the running
 * thread's shield (deadline in core.clock() seconds; nil leaves it). Leaving
 * the last shield of the main thread raises an interruption held meanwhile. */
static int l_shield_set(lua_State *L)
{
    int on = !lua_isnoneornil(L, 1);
    double deadline = on ? luaL_checknumber(L, 1) : 0;
    double prev;
    int was = ld_lua_shielded(L, &prev);
    ld_lua_weak_keys(L, &shields_key);
    lua_pushthread(L);
    if (on)
        lua_pushnumber(L, deadline);
    else
        lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    if (on && deadline > shield_until)
        shield_until = deadline;
    if (on && !was)
        shield_count++;
    else if (!on && was && shield_count > 0)
        shield_count--;
    if (on && wanted)
        ensure_armed(L);
    if (!on && was && deferred && L == main_L) {
        deferred = 0;
        arm_hook();
    }
    if (was)
        lua_pushnumber(L, prev);
    else
        lua_pushnil(L);
    return 1;
}

/* core.shielded([co]) -> deadline | nil */
static int l_shielded(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &shields_key) != LUA_TTABLE) {
        lua_pushnil(L);
        return 1;
    }
    if (lua_isthread(L, 1))
        lua_pushvalue(L, 1);
    else
        lua_pushthread(L);
    if (lua_rawget(L, -2) != LUA_TNUMBER) {
        lua_pushnil(L);
    }
    return 1;
}

static int l_sentinel_gc(lua_State *L)
{
    (void)L;
    wanted = 0;
    ld_lua_interrupts_disarm();
    main_L = NULL;
    return 0;
}

/* core.catch_interrupts(): arm for the rest of the process (stock lua5.4);
 * the host arms around each chunk by itself. Disarmed at lua_close. */
static int l_catch_interrupts(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &sentinel_key) == LUA_TNIL) {
        lua_newuserdatauv(L, 1, 0);
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, l_sentinel_gc);
        lua_setfield(L, -2, "__gc");
        lua_setmetatable(L, -2);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &sentinel_key);
    }
    lua_pop(L, 1);
    wanted = 1;
    if (!installed)
        ld_lua_interrupts_arm(L);
    return 0;
}

void ld_lua_push_signal_name(lua_State *L, int sig)
{
    if (sig == SIGINT)
        lua_pushliteral(L, "SIGINT");
    else if (sig == SIGTERM)
        lua_pushliteral(L, "SIGTERM");
    else
        lua_pushnil(L);
}

/* core.interrupted() -> "SIGINT" | "SIGTERM" | nil: caught since the reset */
static int l_interrupted(lua_State *L)
{
    ld_lua_push_signal_name(L, caught);
    return 1;
}

void ld_lua_signal_open(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"shield_set", l_shield_set}, {"shielded", l_shielded},
        {"catch_interrupts", l_catch_interrupts}, {"interrupted", l_interrupted},
        {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
