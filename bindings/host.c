/* host.c - the luadock executable: runs Lua scripts against Docker, or the REPL.
 *
 * Modelled on lua.c: all work runs inside one protected call, a message
 * handler adds a traceback, and SIGINT becomes a Lua error through a hook
 * (and cancels any call waiting on the engine). The Lua modules of scripts/
 * are embedded and preloaded, and the friendly module is the global `docker`.
 * Usage is in usage() below and in the README.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lualib.h>
#include "embedded.h"
#include "lbind.h"
#include "repl.h"

static const char *progname = "luadock";
static lua_State *global_L;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s [options] [script [args...]]\n"
            "  script       run this Lua file ('-' or nothing on a pipe: standard input)\n"
            "  -e CODE      run CODE\n"
            "  -i           open the REPL after running the script or -e code\n"
            "  -H HOST      the engine to use (like DOCKER_HOST: unix:///path, tcp://host:port)\n"
            "  -v, --version  print the version\n"
            "  -h, --help     print this help\n"
            "With no script on a terminal, the REPL opens. The module is the global\n"
            "`docker` (also require \"luadock\").\n"
            "In the REPL: Tab completes names, fields, and (inside a string) container,\n"
            "image, volume and network names; Ctrl-C cancels the running call; Ctrl-D\n"
            "leaves. History: $LUADOCK_HISTORY (empty: none), else ~/.luadock_history.\n",
            progname);
}

static volatile sig_atomic_t caught_signal;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, caught_signal == SIGTERM ? "terminated!" : "interrupted!");
}

/* SIGINT and SIGTERM become a Lua error at the next instruction (so
 * `<close>` values and pcall-based clean-up run) and cancel any call that
 * waits on the engine; a second one of the same kind kills the process. */
static void on_signal(int sig)
{
    int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    signal(sig, SIG_DFL);
    caught_signal = sig;
    ld_cancel();
    lua_sethook(global_L, stop_hook, mask, 1);
}

/* The message handler: a docker.Error or any value with __tostring keeps its
 * text, and a traceback follows. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int ld_host_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    global_L = L;
    ld_cancel_reset();
    caught_signal = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int status = lua_pcall(L, narg, nres, base);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* a Ctrl-C whose hook never fired (the call ended inside C) must not
     * interrupt the next statement */
    if (lua_gethook(L) == stop_hook)
        lua_sethook(L, NULL, 0, 0);
    ld_cancel_reset();
    lua_remove(L, base);
    return status;
}

/* Error texts can carry bytes from the engine (names, log lines): control
 * characters other than newline and tab, and UTF-8 C1 controls, are written
 * escaped so they cannot drive the terminal. */
static void write_escaped(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fprintf(out, "\\u{%x}", *++p);
        else
            fputc(*p, out);
    }
}

int ld_host_report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg)
            msg = "(error without a message)";
        /* a docker.Error already reads "luadock: ..." */
        if (strncmp(msg, "luadock: ", 9) != 0)
            fprintf(stderr, "%s: ", progname);
        write_escaped(stderr, msg);
        fputc('\n', stderr);
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

static int embedded_loader(lua_State *L)
{
    const ld_embedded_script *s = lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbuffer(L, (const char *)s->code, s->len, s->chunkname) != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, s->module);
    lua_call(L, 1, 1);
    return 1;
}

static void preload_modules(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_luadock_core);
    lua_setfield(L, -2, "luadock.core");
    for (const ld_embedded_script *s = ld_embedded_scripts; s->module; s++) {
        lua_pushlightuserdata(L, (void *)s);
        lua_pushcclosure(L, embedded_loader, 1);
        lua_setfield(L, -2, s->module);
    }
    lua_pop(L, 1);
}

/* arg table as in lua.c: script at 0, its arguments at 1.., options below 0 */
static void create_arg_table(lua_State *L, char **argv, int argc, int script)
{
    lua_createtable(L, argc - script, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int run_chunk(lua_State *L, int status, int nargs)
{
    if (status == LUA_OK) {
        status = ld_host_docall(L, nargs, 0);
    } else {
        lua_pop(L, nargs);
    }
    return ld_host_report(L, status);
}

static int run_script(lua_State *L, const char *file, char **args, int nargs)
{
    const char *name = file && strcmp(file, "-") != 0 ? file : NULL;
    int status = luaL_loadfile(L, name);
    for (int i = 0; i < nargs; i++)
        lua_pushstring(L, args[i]);
    return run_chunk(L, status, nargs);
}

static int load_docker_global(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "luadock");
    int status = ld_host_docall(L, 1, 1);
    if (status == LUA_OK)
        lua_setglobal(L, "docker");
    return ld_host_report(L, status);
}

typedef struct options {
    const char *code, *host;
    int interactive, script;
} options;

/* Returns 0, or 2 for a usage error, or 1 when the process should just exit 0. */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("luadock %s (%s; Engine API %s to %s)\n", LD_VERSION, LUA_RELEASE,
                   LD_API_MIN, LD_API_MAX);
            return 1;
        } else if (strcmp(a, "-i") == 0) {
            o->interactive = 1;
        } else if ((strcmp(a, "-e") == 0 || strcmp(a, "-H") == 0) && i + 1 < argc) {
            *(a[1] == 'e' ? &o->code : &o->host) = argv[++i];
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s'\n", progname, a);
            usage(stderr);
            return 2;
        }
    }
    o->script = i < argc ? i : 0;
    return 0;
}

static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    options *o = lua_touserdata(L, 3);
    luaL_openlibs(L);
    preload_modules(L);
    create_arg_table(L, argv, argc, o->script ? o->script : argc);
    if (load_docker_global(L) != LUA_OK)
        return 0;
    if (o->code && run_chunk(L, luaL_loadbuffer(L, o->code, strlen(o->code), "=(command line)"),
                             0) != LUA_OK)
        return 0;
    if (o->script) {
        if (run_script(L, argv[o->script], argv + o->script + 1, argc - o->script - 1) != LUA_OK)
            return 0;
    } else if (!o->code && !o->interactive) {
        if (isatty(STDIN_FILENO))
            o->interactive = 1;
        else if (run_script(L, NULL, NULL, 0) != LUA_OK)
            return 0;
    }
    if (o->interactive)
        ld_repl_run(L);
    lua_pushboolean(L, 1);
    return 1;
}

int main(int argc, char **argv)
{
    options o;
    if (argv[0] && argv[0][0])
        progname = "luadock";
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (o.host && setenv("DOCKER_HOST", o.host, 1) != 0) {
        fprintf(stderr, "%s: cannot set DOCKER_HOST\n", progname);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create the Lua state: not enough memory\n", progname);
        return 1;
    }
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    lua_pushlightuserdata(L, &o);
    int status = lua_pcall(L, 3, 1, 0);
    int ok = status == LUA_OK && lua_toboolean(L, -1);
    if (status != LUA_OK)
        ld_host_report(L, status);
    lua_close(L);
    return ok ? 0 : 1;
}
