/* lcore.c - luaopen_luadock_core: the module table of luadock.core.
 *
 * Registers the client, stream and JSON parts and the few process utilities
 * scripts need and Lua lacks (a monotonic clock, sleep, pid checks). The
 * contract is bindings/CORE-API.md. Tar archives are not in this module's
 * link (libarchive, with libxml2 and ICU behind it, would double the start-up
 * of every program): core.tar and its siblings resolve to luadock.core_tar on
 * first use.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lbind.h"

/* core.clock() -> monotonic seconds */
static int l_clock(lua_State *L)
{
    lua_pushnumber(L, ld_now());
    return 1;
}

/* core.sleep(seconds) -> true | nil, "canceled" | nil, msg (past a shield's deadline) */
static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s < 1e9, 1, "seconds must be between 0 and 1e9");
    struct timespec end, now;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)s;
    end.tv_nsec += (long)((s - (lua_Number)(time_t)s) * 1e9);
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    double shield_end;
    int shielded = ld_lua_shielded(L, &shield_end);
    for (;;) {
        if (!shielded && ld_cancel_requested()) {
            luaL_pushfail(L);
            lua_pushliteral(L, "canceled");
            return 2;
        }
        if (shielded && ld_now() >= shield_end) {   /* a clean-up's sleep is bounded too */
            luaL_pushfail(L);
            lua_pushliteral(L, "the clean-up's time limit has passed");
            return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            break;
        /* in slices, so a cancel (Ctrl-C) is noticed */
        struct timespec slice = {0, 100000000L};
        long left_ns = (long)(end.tv_sec - now.tv_sec) * 1000000000L + end.tv_nsec - now.tv_nsec;
        if (left_ns < slice.tv_nsec)
            slice.tv_nsec = left_ns;
        nanosleep(&slice, NULL);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* core.parse_host(spec) -> table | nil, msg */
static int l_parse_host(lua_State *L)
{
    ld_host h;
    ld_error err;
    ld_error_clear(&err);
    if (ld_host_parse(luaL_optstring(L, 1, ""), &h, &err) != 0) {
        luaL_pushfail(L);
        lua_pushstring(L, err.message);
        return 2;
    }
    lua_createtable(L, 0, 6);
    lua_pushstring(L, h.kind == LD_HOST_UNIX ? "unix" : h.kind == LD_HOST_SSH ? "ssh" : "tcp");
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, h.normalized);
    lua_setfield(L, -2, "normalized");
    if (h.kind == LD_HOST_UNIX) {
        lua_pushstring(L, h.socket_path);
        lua_setfield(L, -2, "socket_path");
    } else {   /* tcp and ssh ("" or 0 where an ssh URL leaves it to ssh) */
        lua_pushstring(L, h.hostname);
        lua_setfield(L, -2, "hostname");
        lua_pushinteger(L, h.port);
        lua_setfield(L, -2, "port");
        if (h.kind == LD_HOST_SSH) {
            lua_pushstring(L, h.user);
            lua_setfield(L, -2, "user");
            lua_pushstring(L, h.socket_path);   /* the remote socket */
            lua_setfield(L, -2, "socket_path");
        } else {
            lua_pushstring(L, h.base_path);
            lua_setfield(L, -2, "base_path");
        }
    }
    return 1;
}

/* core.cancel() / core.cancel_reset() */
/* core.error_kind(code, message[, "registry"]) -> kind. code: an HTTP status,
 * a code name ("CONNECT", ...) or nil (an error event inside a stream). The
 * kind is core/error.c's decision; Lua only reads it. */
static int l_error_kind(lua_State *L)
{
    static const char *const contexts[] = {"engine", "registry", NULL};
    ld_errcode code = LD_E_HTTP;
    long status = 0;
    if (lua_isinteger(L, 1))
        status = (long)lua_tointeger(L, 1);
    else if (!lua_isnoneornil(L, 1))
        code = ld_error_code_from_name(luaL_checkstring(L, 1));
    const char *message = luaL_optstring(L, 2, "");
    int registry = luaL_checkoption(L, 3, "engine", contexts) == 1;
    lua_pushstring(L, ld_error_kind_of(code, status, message, registry ? LD_KIND_REGISTRY : 0));
    return 1;
}

static int l_cancel(lua_State *L) { (void)L; ld_cancel(); return 0; }
static int l_cancel_reset(lua_State *L) { (void)L; ld_cancel_reset(); return 0; }

/* core.pid() -> integer */
static int l_pid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)getpid());
    return 1;
}

/* core.pid_alive(pid) -> boolean */
static int l_pid_alive(lua_State *L)
{
    lua_Integer pid = luaL_checkinteger(L, 1);
    luaL_argcheck(L, pid > 0 && pid < 1 << 22, 1, "not a process id");
    lua_pushboolean(L, kill((pid_t)pid, 0) == 0 || errno == EPERM);
    return 1;
}

/* core.isatty(fd) -> boolean (1: stdout, 2: stderr, 0: stdin) */
static int l_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd < 1024, 1, "not a file descriptor");
    lua_pushboolean(L, isatty((int)fd));
    return 1;
}

/* core.term_width(fd) -> columns of the terminal on fd, or nil */
static int l_term_width(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    struct winsize ws;
    luaL_argcheck(L, fd >= 0 && fd < 1024, 1, "not a file descriptor");
    if (ioctl((int)fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        luaL_pushfail(L);
    else
        lua_pushinteger(L, ws.ws_col);
    return 1;
}

/* core.hostname() -> string */
static int l_hostname(lua_State *L)
{
    char name[256] = "";
    gethostname(name, sizeof name - 1);
    lua_pushstring(L, name);
    return 1;
}

/* core.random_hex(n) -> 2n hex characters from /dev/urandom */
static int l_random_hex(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n > 0 && n <= 64, 1, "between 1 and 64 bytes");
    unsigned char raw[64];
    char hex[129];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, (size_t)n) != (ssize_t)n) {
        if (fd >= 0)
            close(fd);
        return luaL_error(L, "cannot read /dev/urandom");
    }
    close(fd);
    for (lua_Integer i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    lua_pushlstring(L, hex, (size_t)(2 * n));
    return 1;
}

/* core.base64_encode(bytes[, url]) -> text */
static int l_base64_encode(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    ld_lua_owned *own = ld_lua_owned_push(L);
    if (ld_base64_encode(&own->a, (const unsigned char *)data, len, lua_toboolean(L, 2)) != 0)
        return luaL_error(L, "out of memory");
    lua_pushlstring(L, own->a.data, own->a.len);
    ld_lua_owned_free(own);
    return 1;
}

/* core.base64_decode(text) -> bytes | nil, msg[, "NOMEM"] (either alphabet) */
static int l_base64_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    ld_lua_owned *own = ld_lua_owned_push(L);
    int rc = ld_base64_decode(&own->a, text, len);
    if (rc != 0) {
        ld_lua_owned_free(own);
        luaL_pushfail(L);
        if (rc == -2) {   /* memory, not the text: the caller must not call it invalid */
            lua_pushliteral(L, "out of memory");
            lua_pushliteral(L, "NOMEM");
            return 3;
        }
        lua_pushliteral(L, "invalid base64");
        return 2;
    }
    lua_pushlstring(L, own->a.data, own->a.len);
    ld_lua_owned_free(own);
    return 1;
}

/* core.mkdirs(path) -> true | nil, msg: like mkdir -p, new folders 0700 */
static int l_mkdirs(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, len + 1);
    memcpy(p, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            luaL_pushfail(L);
            lua_pushfstring(L, "cannot create %s: %s", p, strerror(errno));
            return 2;
        }
        p[i] = c;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* The names luadock.core_tar provides (larchive.c). */
static const char *const tar_names[] = {"tar", "untar", "path_type", "ignore_match", NULL};

/* __index of the module table: core.tar and the other tar_names require
 * luadock.core_tar on first use and are then copied into the table, so the
 * dynamic loader maps libarchive only for a program that makes or reads a
 * tar. (core, key) -> value | nil; raises when the module cannot load. */
static int l_core_index(lua_State *L)
{
    const char *key = lua_tostring(L, 2);
    int known = 0;
    for (int i = 0; key && tar_names[i]; i++)
        known |= strcmp(key, tar_names[i]) == 0;
    if (!known || lua_type(L, 2) != LUA_TSTRING)
        return 0;
    if (lua_getglobal(L, "require") != LUA_TFUNCTION)
        return luaL_error(L, "core.%s: no 'require' to load " LD_TAR_MODULE " with", key);
    lua_pushliteral(L, LD_TAR_MODULE);
    lua_call(L, 1, 1);
    for (int i = 0; tar_names[i]; i++) {
        lua_getfield(L, -1, tar_names[i]);
        lua_setfield(L, 1, tar_names[i]);
    }
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, 1);
    return 1;
}

int luaopen_luadock_core(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"clock", l_clock},         {"sleep", l_sleep},
        {"parse_host", l_parse_host}, {"error_kind", l_error_kind}, {"cancel", l_cancel},
        {"cancel_reset", l_cancel_reset}, {"pid", l_pid},
        {"pid_alive", l_pid_alive}, {"hostname", l_hostname}, {"isatty", l_isatty},
        {"term_width", l_term_width},
        {"random_hex", l_random_hex}, {"base64_encode", l_base64_encode},
        {"base64_decode", l_base64_decode}, {"mkdirs", l_mkdirs}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushliteral(L, LD_VERSION);
    lua_setfield(L, -2, "VERSION");
    lua_pushliteral(L, LD_API_MIN);
    lua_setfield(L, -2, "API_MIN");
    lua_pushliteral(L, LD_API_MAX);
    lua_setfield(L, -2, "API_MAX");
    ld_lua_json_open(L);
    ld_lua_stream_open(L);
    ld_lua_client_open(L);
    ld_lua_loop_open(L);
    ld_lua_signal_open(L);
    ld_lua_process_open(L);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_core_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    return 1;
}
