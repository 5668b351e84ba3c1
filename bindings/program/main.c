/* main.c - the luadock executable: runs Lua scripts against Docker, or the REPL.
 *
 * Modelled on lua.c: all work runs inside one protected call, a message
 * handler adds a traceback (except to engine and argument errors, which a
 * user reads best as one line at their own call), and SIGINT and SIGTERM
 * become a Lua error through a hook that lets shielded clean-up finish
 * (bindings/lsignal.c). The Lua modules of scripts/ are embedded and
 * preloaded, and the friendly module is the global `docker`. The program
 * links libcurl, cJSON and Lua only: the tar module and the line editor are
 * loaded from files beside it (or installed) on first use, which keeps a
 * script's start-up to what libcurl costs.
 * Usage is in usage() below and in the README.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lualib.h>
#include "alloc.h"
#include "embedded.h"
#include "lbind.h"
#include "program.h"

static const char *progname = "luadock";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s [options] [script [args...]]\n"
            "  script       run this Lua file ('-' or nothing on a pipe: standard input)\n"
            "  -e CODE      run CODE\n"
            "  -l [G=]MOD   require MOD into the global G (default: the global MOD)\n"
            "               (all -e and -l run in the order given, then the script)\n"
            "  -i           open the REPL after running the script or -e code\n"
            "  -H HOST      the engine to use (like DOCKER_HOST: unix:///path, tcp://host:port)\n"
            "  --traceback  print a stack traceback with every error (or LUADOCK_TRACEBACK=1)\n"
            "  -v, --version  print the version\n"
            "  -h, --help     print this help\n"
            "With no script on a terminal, the REPL opens. The module is the global\n"
            "`docker` (also require \"luadock\").\n"
            "Errors go to stderr and exit 1. An engine error, or a wrong argument to\n"
            "docker, is one line naming the script's line that made the call:\n"
            "  %s: app.lua:12: 404 No such container: web (GET /containers/web/json)\n"
            "An error in the script's own Lua (error(), indexing nil...) also prints a\n"
            "stack traceback.\n"
            "In the REPL: Tab completes names, fields, and (inside a string) container,\n"
            "image, volume and network names; Ctrl-C cancels the running call; Ctrl-D\n"
            "leaves. History: $LUADOCK_HISTORY (empty: none), else ~/.luadock_history.\n",
            progname, progname);
}

/* --traceback or LUADOCK_TRACEBACK: every error gets its traceback. */
static int always_traceback;
/* See ld_host_set_where (program.h). */
static const char *tail_where;

void ld_host_set_where(const char *where)
{
    tail_where = where;
}

/* A frame is luadock's own when its chunk is one of the embedded modules;
 * any other frame with a line (a file, -e code, the REPL's stdin) is the
 * user's. */
static int own_source(const char *source)
{
    for (const ld_embedded_script *s = ld_embedded_scripts; s->module; s++)
        if (strcmp(source, s->chunkname) == 0)
            return 1;
    return 0;
}

/* Writes "file:line: " of the innermost frame of the user's code into where
 * ("" when there is none) and returns whether the innermost Lua frame, the
 * one that raised, is luadock's own. C frames have no line and are skipped.
 * When a tail call replaced the user's frame, tail_where stands in for it. */
static int error_frames(lua_State *L, char *where, size_t size)
{
    lua_Debug ar;
    int raiser_own = -1, tail = 0;
    where[0] = '\0';
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Slt", &ar);
        tail |= ar.istailcall;
        if (ar.currentline <= 0)
            continue;
        int own = own_source(ar.source);
        if (raiser_own < 0)
            raiser_own = own;
        if (!own) {
            snprintf(where, size, "%s:%d: ", ar.short_src, ar.currentline);
            return raiser_own == 1;
        }
    }
    if (tail && tail_where)
        snprintf(where, size, "%s", tail_where);
    return raiser_own == 1;
}

/* Is the value at idx a docker.Error (metatable from luadock.base.errors)? */
static int is_docker_error(lua_State *L, int idx)
{
    int top = lua_gettop(L), yes = 0;
    if (lua_getmetatable(L, idx)) {
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        if (lua_getfield(L, -1, "luadock.base.errors") == LUA_TTABLE &&
            lua_getfield(L, -1, "Error") == LUA_TTABLE)
            yes = lua_rawequal(L, -1, top + 1);
    }
    lua_settop(L, top);
    return yes;
}

/* "interrupted!" or "terminated!" when msg is the error lsignal.c raised for
 * a SIGINT or SIGTERM caught during this chunk (core.interrupted() names
 * it), else NULL: a script's own error("interrupted!") stays its own. */
static const char *signal_word(lua_State *L, const char *msg)
{
    const char *word = NULL;
    int top = lua_gettop(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (msg && lua_getfield(L, -1, "luadock.core") == LUA_TTABLE &&
        lua_getfield(L, -1, "interrupted") == LUA_TFUNCTION) {
        lua_call(L, 0, 1);
        const char *sig = lua_tostring(L, -1);
        if (sig)
            word = strcmp(sig, "SIGTERM") == 0 ? "terminated!" : "interrupted!";
    }
    lua_settop(L, top);
    size_t len = word ? strlen(msg) : 0, wl = word ? strlen(word) : 0;
    return word && len >= wl && strcmp(msg + len - wl, word) == 0 ? word : NULL;
}

/* The message handler. Errors that are no fault of the script's Lua read
 * like the docker CLI's: one line naming the script's line that made the
 * call, since a traceback through luadock's modules tells a user nothing.
 * Those are docker.Errors, Ctrl-C / SIGTERM, and the argument errors
 * luadock raises: at the user's call (util.argerror), or without a position
 * (luaL_argerror in luadock.core, called by a module). Any other error (the
 * script's own, or a bug in luadock) keeps lua.c's traceback, as does every
 * error when always_traceback is set. */
static int msghandler(lua_State *L)
{
    char where[LUA_IDSIZE + 32];
    int raised_by_luadock = error_frames(L, where, sizeof where);
    const char *msg = lua_tostring(L, 1), *word;
    int brief = 1;
    if (is_docker_error(L, 1)) {
        const char *text = luaL_tolstring(L, 1, NULL);
        if (strncmp(text, "luadock: ", 9) == 0)
            text += 9;
        msg = lua_pushfstring(L, "%s%s", where, text);
    } else if ((word = signal_word(L, msg)) != NULL) {
        msg = lua_pushfstring(L, "%s%s", where, word);
    } else if (msg && raised_by_luadock && strncmp(msg, "bad argument #", 14) == 0) {
        msg = lua_pushfstring(L, "%s%s", where, msg);
    } else if (!(msg && raised_by_luadock && where[0] &&
                 strncmp(msg, where, strlen(where)) == 0)) {
        brief = 0;
        if (!msg) {
            if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
                msg = lua_tostring(L, -1);
            else
                msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
    }
    if (brief && !always_traceback) {
        lua_pushstring(L, msg);
        return 1;
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int ld_host_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    /* SIGINT/SIGTERM become "interrupted!"/"terminated!" (bindings/lsignal.c);
     * one whose error never reached Lua must not interrupt the next chunk */
    ld_lua_interrupts_reset();
    ld_lua_interrupts_arm(L);
    int status = lua_pcall(L, narg, nres, base);
    ld_lua_interrupts_disarm();
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

/* package.preload["luadock.core_tar"]: the module file beside the program
 * (build tree) or installed, through package.loadlib so that the state keeps
 * the handle as it does for any C module. */
static int load_tar_module(lua_State *L)
{
    char path[4096];
    if (ld_program_file(LUADOCK_BUILD_CDIR "/luadock/core_tar.so",
                        LUADOCK_INSTALL_CDIR "/luadock/core_tar.so", path, sizeof path) != 0)
        return luaL_error(L, "module '" LD_TAR_MODULE "' not found: %s", path);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loadlib");
    lua_pushstring(L, path);
    lua_pushliteral(L, "luaopen_luadock_core_tar");
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2))
        return luaL_error(L, "cannot load %s: %s", path, lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_pushliteral(L, LD_TAR_MODULE);
    lua_call(L, 1, 1);
    return 1;
}

static void preload_modules(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_luadock_core);
    lua_setfield(L, -2, "luadock.core");
    lua_pushcfunction(L, load_tar_module);
    lua_setfield(L, -2, LD_TAR_MODULE);
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
    const char *host;
    int interactive, has_code;
    int optend;   /* index of the first argument after the options */
    int script;   /* index of the script, 0 when there is none */
} options;

/* Options that take a value: -e CODE, -l MOD, -H HOST. */
static int takes_value(const char *a)
{
    return a[0] == '-' && (a[1] == 'e' || a[1] == 'l' || a[1] == 'H');
}

/* The value of the option at argv[*i], given as "-eCODE" or "-e CODE" (as
 * lua.c takes them); advances *i past it. NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *i)
{
    if (argv[*i][2])
        return argv[*i] + 2;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* Returns 0, or 2 for a usage error, or 1 when the process should just exit 0. */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i], *value;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--traceback") == 0) {
            always_traceback = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("luadock %s (%s; Engine API %s to %s)\n", LD_VERSION, LUA_RELEASE,
                   LD_API_MIN, LD_API_MAX);
            return 1;
        } else if (strcmp(a, "-i") == 0) {
            o->interactive = 1;
        } else if (takes_value(a) && (value = option_value(argc, argv, &i)) != NULL) {
            if (a[1] == 'H')
                o->host = value;
            o->has_code |= a[1] == 'e';
        } else {
            fprintf(stderr, takes_value(a) ? "%s: '%s' needs an argument\n"
                                           : "%s: unknown option '%s'\n", progname, a);
            usage(stderr);
            return 2;
        }
    }
    o->optend = i;
    o->script = i < argc ? i : 0;
    return 0;
}

/* `-l G=MOD` / `-l MOD`: G = require(MOD), as lua.c's -l. */
static int require_global(lua_State *L, const char *spec)
{
    const char *eq = strchr(spec, '=');
    const char *mod = eq ? eq + 1 : spec;
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = ld_host_docall(L, 1, 1);
    if (status == LUA_OK) {
        if (eq)
            lua_pushlstring(L, spec, (size_t)(eq - spec));
        else
            lua_pushstring(L, spec);
        lua_insert(L, -2);
        lua_setglobal(L, lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    return ld_host_report(L, status);
}

/* Every -e and -l in the order given, like lua.c; stops at the first error.
 * parse_args has checked that each one has its value. */
static int run_options(lua_State *L, int argc, char **argv, int optend)
{
    for (int i = 1; i < optend; i++) {
        const char *a = argv[i];
        if (!takes_value(a))
            continue;
        const char *value = option_value(argc, argv, &i);
        int status = LUA_OK;
        if (a[1] == 'e')
            status = run_chunk(L, luaL_loadbuffer(L, value, strlen(value), "=(command line)"), 0);
        else if (a[1] == 'l')
            status = require_global(L, value);
        if (status != LUA_OK)
            return status;
    }
    return LUA_OK;
}

#ifdef LUADOCK_ALLOC_FAIL
/* The Lua state's allocator in LUADOCK_ALLOC_FAIL test builds: lauxlib's,
 * plus the shared counter that fails the Nth allocation (core/alloc.h). */
static void *failing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return ld_alloc_fails_lua() ? NULL : realloc(ptr, nsize);
}
#endif

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
    if (run_options(L, argc, argv, o->optend) != LUA_OK)
        return 0;
    if (o->script) {
        if (run_script(L, argv[o->script], argv + o->script + 1, argc - o->script - 1) != LUA_OK)
            return 0;
    } else if (!o->has_code && !o->interactive) {
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
    const char *tb = getenv("LUADOCK_TRACEBACK");
    if (tb && *tb && strcmp(tb, "0") != 0)
        always_traceback = 1;
    if (o.host && setenv("DOCKER_HOST", o.host, 1) != 0) {
        fprintf(stderr, "%s: cannot set DOCKER_HOST\n", progname);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
#ifdef LUADOCK_ALLOC_FAIL
    if (ld_alloc_hook_libraries() != 0) {
        fprintf(stderr, "%s: cannot set up libcurl: not enough memory\n", progname);
        return 1;
    }
#endif
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create the Lua state: not enough memory\n", progname);
        return 1;
    }
#ifdef LUADOCK_ALLOC_FAIL
    /* after luaL_newstate, which also sets lauxlib's panic and warn functions */
    lua_setallocf(L, failing_alloc, NULL);
#endif
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
