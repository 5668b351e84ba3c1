/* same_lua_value.h - whether two Lua values are the same in every way a user
 * can see, for the C tests of JSON <-> Lua conversion (tests/unit/
 * test_jsontext.c and tests/fuzz/fuzz_json.c, which compare what two readers
 * or a round trip gave): the type; for numbers the integer or float subtype
 * and the float's bits (so -0.0 differs from 0.0, and a NaN is the same NaN);
 * the bytes of strings; for tables the metatable (the empty-array mark),
 * the length, and every key and value in the same pairs order, compared
 * alike. Lua itself has only rawequal (identity for tables), and no packaged
 * library compares values this way, hence this header. Header-only (one
 * static function) so each test program builds it in without a library.
 * It reads the values only; it may raise (luaL_checkstack) when tables nest
 * deeper than the state's stack can follow, so call it under a protected
 * call where that can happen.
 */
#ifndef LUADOCK_SAME_LUA_VALUE_H
#define LUADOCK_SAME_LUA_VALUE_H

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

/* 1 when the values at stack indexes a and b of L are the same, else 0;
 * leaves the stack as it found it. */
static int same_lua_value(lua_State *L, int a, int b)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    int t = lua_type(L, a);
    if (t != lua_type(L, b))
        return 0;
    switch (t) {
    case LUA_TNIL:
        return 1;
    case LUA_TBOOLEAN:
        return lua_toboolean(L, a) == lua_toboolean(L, b);
    case LUA_TNUMBER: {
        if (lua_isinteger(L, a) != lua_isinteger(L, b))
            return 0;
        if (lua_isinteger(L, a))
            return lua_tointeger(L, a) == lua_tointeger(L, b);
        lua_Number x = lua_tonumber(L, a), y = lua_tonumber(L, b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    case LUA_TSTRING: {
        size_t la, lb;
        const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    case LUA_TTABLE:
        break;
    default:
        return 0;
    }
    luaL_checkstack(L, 8, "nested too deeply to compare");
    int ma = lua_getmetatable(L, a), mb = lua_getmetatable(L, b);
    int ok = ma == mb && (!ma || lua_rawequal(L, -1, -2));
    lua_pop(L, ma + mb);
    if (!ok || lua_rawlen(L, a) != lua_rawlen(L, b))
        return 0;
    /* both tables walked side by side: the same keys, in the same pairs
     * order, each with the same value */
    int top = lua_gettop(L);
    lua_pushnil(L);
    lua_pushnil(L);
    for (;;) {
        int ka = top + 1, kb = top + 2;
        lua_pushvalue(L, ka);
        int more_a = lua_next(L, a);          /* key, value of a */
        lua_pushvalue(L, kb);
        int more_b = lua_next(L, b);          /* key, value of b */
        if (more_a != more_b || !more_a) {
            ok = more_a == more_b;
            break;
        }
        /* stack: ka kb keyA valA keyB valB */
        if (!same_lua_value(L, -4, -2) || !same_lua_value(L, -3, -1)) {
            ok = 0;
            break;
        }
        lua_copy(L, ka + 2, ka);   /* the keys just seen: the next round's start */
        lua_copy(L, ka + 4, kb);
        lua_settop(L, kb);
    }
    lua_settop(L, top);
    return ok;
}

#endif
