/* lowned.c - C resources held by a Lua value while a binding works, and the
 * error triple every binding returns.
 *
 * liolib's order: the userdata (with its metatable and __gc) exists first,
 * then the C resource is made into it. A binding that must hold a malloc'd
 * buffer, a printed JSON body or a finished call's response across a Lua
 * call that can raise (any push can fail for memory) keeps them in an
 * ld_lua_owned pushed before they are made, and frees them as soon as it is
 * done; an error in between leaves them to __gc instead of leaking them.
 * Shared by luadock.core and the luadock.core_tar module, so it must not
 * depend on any other binding file.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include "lbind.h"

#define LD_OWNED_MT "luadock.owned"

void ld_lua_owned_free(ld_lua_owned *o)
{
    ld_buf_free(&o->a);
    ld_buf_free(&o->b);
    cJSON_free(o->text);
    o->text = NULL;
    ld_response_free(&o->resp);
}

static int owned_gc(lua_State *L)
{
    ld_lua_owned_free(luaL_checkudata(L, 1, LD_OWNED_MT));
    return 0;
}

ld_lua_owned *ld_lua_owned_push(lua_State *L)
{
    ld_lua_owned *o = lua_newuserdatauv(L, sizeof *o, 0);
    memset(o, 0, sizeof *o);
    /* __gc is in the metatable before it is set, or Lua would not mark the
     * userdata for finalization */
    if (luaL_newmetatable(L, LD_OWNED_MT)) {
        lua_pushcfunction(L, owned_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return o;
}

int ld_lua_push_error(lua_State *L, const ld_error *err)
{
    luaL_pushfail(L);
    lua_pushstring(L, err->message);
    if (err->code == LD_E_HTTP)
        lua_pushinteger(L, err->status);
    else
        lua_pushstring(L, ld_error_code_name(err->code));
    lua_createtable(L, 0, 5);
    lua_pushstring(L, ld_error_kind(err));
    lua_setfield(L, -2, "kind");
    if (err->status) {
        lua_pushinteger(L, err->status);
        lua_setfield(L, -2, "status");
    }
    lua_pushstring(L, err->message);
    lua_setfield(L, -2, "message");
    if (err->method[0]) {   /* absent when no request was made */
        lua_pushstring(L, err->method);
        lua_setfield(L, -2, "method");
        lua_pushstring(L, err->path);
        lua_setfield(L, -2, "path");
    }
    return 4;
}
