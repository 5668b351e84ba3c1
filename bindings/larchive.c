/* larchive.c - the module luadock.core_tar: tar archives, host path kinds and
 * .dockerignore matching (tar, untar, path_type, ignore_match) over
 * core/tar/. It is a module of its own, loaded on first use through
 * core.tar & co. (lcore.c), so that only a program that makes or reads a tar
 * maps libarchive. It must not use any binding but lowned.c (it is linked
 * without the rest of luadock.core).
 *
 * Thin like the other bindings: check the arguments, fill the core's
 * options, call it, push the result. Pattern lists are checked here so a bad
 * pattern raises at once; everything that touches the disk is the core's.
 */
#include <string.h>
#include "lbind.h"

/* The strings of the array at idx (nil allowed) as a NULL-terminated array
 * kept in a userdata pushed on the stack (so nothing leaks on an error);
 * the strings stay anchored in the array. Raises naming fname, arg, field. */
static const char *const *check_patterns(lua_State *L, int idx, const char *fname, int arg,
                                         const char *field)
{
    idx = lua_absindex(L, idx);
    if (lua_isnil(L, idx)) {
        lua_pushnil(L);
        return NULL;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "bad argument #%d to '%s' (field '%s': array of strings expected, got %s)",
                   arg, fname, field, luaL_typename(L, idx));
    lua_Integer n = luaL_len(L, idx);
    if (n < 0 || n > 100000)
        luaL_error(L, "bad argument #%d to '%s' (field '%s': too many patterns)", arg, fname,
                   field);
    const char **list = lua_newuserdatauv(L, sizeof *list * (size_t)(n + 1), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
            luaL_error(L, "bad argument #%d to '%s' (field '%s': item %d is a %s, not a string)",
                       arg, fname, field, (int)i, luaL_typename(L, -1));
        list[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    list[n] = NULL;
    ld_error err;
    ld_error_clear(&err);
    if (ld_ignore_check(list, &err) != 0)
        luaL_error(L, "bad argument #%d to '%s' (field '%s': %s)", arg, fname, field,
                   err.message);
    return list;
}

/* The string field `field` of the table at idx, or NULL when nil; it stays
 * anchored in the table. It must be one path segment (or "." when dot_ok):
 * a name the core puts in place of another. Raises naming fname, arg and
 * field. */
static const char *opt_segment(lua_State *L, int idx, const char *field, const char *fname,
                               int arg, int dot_ok)
{
    /* raw: the string then stays anchored in the table after the pop (an
     * __index could hand out a string nothing else holds) */
    lua_pushstring(L, field);
    int t = lua_rawget(L, idx);
    if (t != LUA_TNIL && t != LUA_TSTRING)
        luaL_error(L, "bad argument #%d to '%s' (field '%s': string expected, got %s)", arg,
                   fname, field, luaL_typename(L, -1));
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (s && (!*s || strchr(s, '/') || strcmp(s, "..") == 0 || (!dot_ok && strcmp(s, ".") == 0)))
        luaL_error(L, "bad argument #%d to '%s' (field '%s': one path segment expected, got \"%s\")",
                   arg, fname, field, s);
    return s;
}

/* core.tar(path[, { exclude = {patterns...}, keep_root = false, name = nil }])
 *   -> tar bytes | nil, msg, code, detail */
static int l_tar(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ld_tar_opts opts = {0};
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "exclude");
        opts.exclude = check_patterns(L, -1, "tar", 2, "exclude");
        lua_getfield(L, 2, "keep_root");
        opts.keep_root = lua_toboolean(L, -1);
        opts.name = opt_segment(L, 2, "name", "tar", 2, 0);
    }
    ld_lua_owned *own = ld_lua_owned_push(L);
    ld_error err;
    ld_error_clear(&err);
    if (ld_tar_create(path, &opts, &own->a, &err) != 0) {
        ld_lua_owned_free(own);
        return ld_lua_push_error(L, &err);
    }
    lua_pushlstring(L, own->a.data, own->a.len);
    ld_lua_owned_free(own);
    return 1;
}

static void set_count(lua_State *L, const char *field, size_t n)
{
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, field);
}

/* core.untar(bytes, dest_dir[, { rename_from=, rename_to=, no_overwrite_dir_nondir= }])
 *   -> { files=, skipped=, devices=, fifos=, sockets=, unsafe=, other= }
 *    | nil, msg, code, detail */
static int l_untar(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    const char *dest = luaL_checkstring(L, 2);
    ld_untar_opts opts = {0};
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        opts.rename_from = opt_segment(L, 3, "rename_from", "untar", 3, 1);
        opts.rename_to = opt_segment(L, 3, "rename_to", "untar", 3, 0);
        if (!opts.rename_from != !opts.rename_to)
            luaL_error(L, "bad argument #3 to 'untar' (fields 'rename_from' and 'rename_to' "
                          "go together)");
        lua_getfield(L, 3, "no_overwrite_dir_nondir");
        opts.no_overwrite_dir_nondir = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    ld_untar_stats st;
    ld_error err;
    ld_error_clear(&err);
    if (ld_tar_extract(data, len, dest, &opts, &st, &err) != 0)
        return ld_lua_push_error(L, &err);
    lua_createtable(L, 0, 7);
    set_count(L, "files", st.files);
    set_count(L, "skipped", st.skipped);
    set_count(L, "devices", st.devices);
    set_count(L, "fifos", st.fifos);
    set_count(L, "sockets", st.sockets);
    set_count(L, "unsafe", st.unsafe);
    set_count(L, "other", st.other);
    return 1;
}

/* core.path_type(path[, follow]) -> "missing" | "file" | "dir" | "symlink" |
 *   "fifo" | "socket" | "char_device" | "block_device"[, real_path]
 *   | nil, msg, code, detail. lstat, or stat when follow (then the real path
 *   of an existing path comes second). */
static int l_path_type(lua_State *L)
{
    static const char *const names[] = {"missing", "file", "dir", "symlink", "fifo",
                                        "socket", "char_device", "block_device"};
    const char *path = luaL_checkstring(L, 1);
    int follow = lua_toboolean(L, 2);
    ld_path_kind kind;
    ld_lua_owned *own = ld_lua_owned_push(L);
    ld_error err;
    ld_error_clear(&err);
    if (ld_path_stat(path, follow, &kind, follow ? &own->a : NULL, &err) != 0) {
        ld_lua_owned_free(own);
        return ld_lua_push_error(L, &err);
    }
    lua_pushstring(L, names[kind]);
    if (own->a.data)
        lua_pushlstring(L, own->a.data, own->a.len);
    else
        lua_pushnil(L);
    ld_lua_owned_free(own);
    return 2;
}

/* core.ignore_match(patterns, path) -> boolean (true: excluded) */
static int l_ignore_match(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *path = luaL_checkstring(L, 2);
    const char *const *list = check_patterns(L, 1, "ignore_match", 1, "patterns");
    lua_pushboolean(L, ld_ignore_match(list, path));
    return 1;
}

int luaopen_luadock_core_tar(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"tar", l_tar},
        {"untar", l_untar},
        {"path_type", l_path_type},
        {"ignore_match", l_ignore_match},
        {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
