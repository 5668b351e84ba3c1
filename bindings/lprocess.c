/* lprocess.c - core.run_program over core/process.c: run a program (no
 * shell) with bytes on stdin and collect its outputs, bounded in size and
 * time. luadock.image.credentials runs credential helpers with it.
 *
 * The call blocks the whole Lua state (also inside docker.parallel tasks and
 * schedule jobs) for at most the timeout; a cancel (Ctrl-C) ends it sooner.
 * The outputs can hold secrets: this file returns them to its caller and
 * never puts them in an error message.
 */
#include <errno.h>
#include <string.h>
#include "lbind.h"

#define RESULT_MT "luadock.run_result"
#define MAX_ARGS 256
#define MAX_TIMEOUT 3600.0
#define MAX_OUTPUT ((lua_Integer)64 << 20)

/* __close/__gc of the holder: wipes and frees the outputs */
static int result_free(lua_State *L)
{
    ld_run_result_free(luaL_checkudata(L, 1, RESULT_MT));
    return 0;
}

/* The strings of the array at 1 as a NULL-terminated argv kept in a
 * userdata pushed on the stack; the strings stay anchored in the array. */
static const char *const *check_argv(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1, 1, "array of strings expected, got an empty table");
    luaL_argcheck(L, n <= MAX_ARGS, 1, "too many arguments");
    const char **argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(n + 1), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 1, i) != LUA_TSTRING)
            luaL_error(L, "bad argument #1 to 'run_program' (item %d: string expected, got %s)",
                       (int)i, luaL_typename(L, -1));
        size_t len;
        argv[i - 1] = lua_tolstring(L, -1, &len);
        if (strlen(argv[i - 1]) != len)
            luaL_error(L, "bad argument #1 to 'run_program' (item %d: contains a NUL byte)",
                       (int)i);
        lua_pop(L, 1);
    }
    argv[n] = NULL;
    luaL_argcheck(L, argv[0][0] != '\0', 1, "item 1: empty program name");
    return argv;
}

/* Fill opts from the table at 2 (nil allowed). Pushes one value: the input
 * string (or nil), which so stays anchored on the stack. */
static void check_opts(lua_State *L, ld_run_opts *opts)
{
    if (lua_isnoneornil(L, 2)) {
        lua_pushnil(L);
        return;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    int t = lua_getfield(L, 2, "input");
    if (t == LUA_TSTRING)
        opts->input = lua_tolstring(L, -1, &opts->input_len);
    else if (t != LUA_TNIL)
        luaL_error(L, "bad argument #2 to 'run_program' (field 'input': string expected, got %s)",
                   luaL_typename(L, -1));
    t = lua_getfield(L, 2, "timeout");
    if (t != LUA_TNIL) {
        int isnum;
        lua_Number s = lua_tonumberx(L, -1, &isnum);
        if (!isnum || !(s > 0 && s <= MAX_TIMEOUT))
            luaL_error(L, "bad argument #2 to 'run_program' (field 'timeout': seconds between 0 "
                          "and 3600 expected)");
        opts->timeout = s;
    }
    lua_pop(L, 1);
    t = lua_getfield(L, 2, "max_output");
    if (t != LUA_TNIL) {
        int isint;
        lua_Integer n = lua_tointegerx(L, -1, &isint);
        if (!isint || n < 1 || n > MAX_OUTPUT)
            luaL_error(L, "bad argument #2 to 'run_program' (field 'max_output': bytes between 1 "
                          "and 64 MiB expected)");
        opts->max_output = (size_t)n;
    }
    lua_pop(L, 1);
}

/* core.run_program(argv, { input=, timeout=10, max_output=65536 })
 *   -> { status=, signal=, stdout=, stderr=, timed_out=, too_large= }
 *    | nil, msg, code ("NOT_FOUND": not on PATH, "IO", "CANCELED", "NOMEM") */
static int l_run_program(lua_State *L)
{
    lua_settop(L, 2);
    const char *const *argv = check_argv(L);
    ld_run_opts opts = {0};
    check_opts(L, &opts);
    ld_run_result *res = lua_newuserdatauv(L, sizeof *res, 0);
    memset(res, 0, sizeof *res);
    luaL_setmetatable(L, RESULT_MT);
    lua_toclose(L, -1);
    ld_error err;
    ld_error_clear(&err);
    if (ld_run_program(argv, &opts, res, &err) != 0) {
        luaL_pushfail(L);
        lua_pushstring(L, err.message);
        if (err.code == LD_E_IO && err.os_errno == ENOENT)
            lua_pushliteral(L, "NOT_FOUND");
        else
            lua_pushstring(L, ld_error_code_name(err.code));
        return 3;
    }
    lua_createtable(L, 0, 6);
    if (res->exited) {
        lua_pushinteger(L, res->status);
        lua_setfield(L, -2, "status");
    }
    if (res->signal) {
        lua_pushinteger(L, res->signal);
        lua_setfield(L, -2, "signal");
    }
    lua_pushlstring(L, res->out.data ? res->out.data : "", res->out.len);
    lua_setfield(L, -2, "stdout");
    lua_pushlstring(L, res->err.data ? res->err.data : "", res->err.len);
    lua_setfield(L, -2, "stderr");
    lua_pushboolean(L, res->timed_out);
    lua_setfield(L, -2, "timed_out");
    lua_pushboolean(L, res->too_large);
    lua_setfield(L, -2, "too_large");
    return 1;
}

void ld_lua_process_open(lua_State *L)
{
    if (luaL_newmetatable(L, RESULT_MT)) {
        lua_pushcfunction(L, result_free);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, result_free);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_run_program);
    lua_setfield(L, -2, "run_program");
}
