/* ljson.c - converting between cJSON values and Lua values.
 *
 * Rules (STYLE.md): JSON null -> nil; integral numbers -> integers; empty
 * arrays come back marked so they encode as [] again; a Lua table encodes as
 * an array when its keys are exactly 1..n or it carries the array mark, else
 * as an object (empty -> {}). Cycles, depth over 128, non-finite numbers,
 * NUL bytes in strings and values JSON cannot hold are refused with a
 * message naming where they were found. Encoding never raises: it runs
 * protected, and a memory error halfway frees the tables begun so far (each
 * one is attached to its parent only when complete, so they are listed in
 * the encoder until then). Text is read
 * into Lua values by ljsontext.c (core.json_decode and the engine's answers
 * go that way); ld_lua_push_json here is for trees the core already parsed
 * (JSON-lines streams).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lbind.h"

#define MAX_DEPTH 128

void ld_lua_push_json(lua_State *L, const cJSON *v)
{
    const cJSON *item;
    int n = 0;
    switch (v->type & 0xFF) {
    case cJSON_String:
        lua_pushstring(L, v->valuestring);
        break;
    case cJSON_Number:
        ld_lua_push_json_number(L, v->valuedouble);
        break;
    case cJSON_True:
    case cJSON_False:
        lua_pushboolean(L, (v->type & 0xFF) == cJSON_True);
        break;
    case cJSON_Array:
        luaL_checkstack(L, 4, "JSON too deeply nested");
        for (item = v->child; item; item = item->next)
            n++;
        lua_createtable(L, n, 0);
        n = 0;
        for (item = v->child; item; item = item->next) {
            ld_lua_push_json(L, item);
            lua_rawseti(L, -2, ++n);
        }
        if (n == 0)
            luaL_setmetatable(L, LD_ARRAY_MT);
        break;
    case cJSON_Object:
        luaL_checkstack(L, 4, "JSON too deeply nested");
        /* sized up front: growing a table key by key costs rehashes */
        for (item = v->child; item; item = item->next)
            n++;
        lua_createtable(L, 0, n);
        for (item = v->child; item; item = item->next) {
            ld_lua_push_json(L, item);
            lua_setfield(L, -2, item->string);
        }
        break;
    default:
        lua_pushnil(L);
    }
}

typedef struct encoder {
    lua_State *L;
    int path;            /* stack index of the table of tables being encoded */
    char *err;
    size_t errlen;
    int index;           /* the value to encode */
    cJSON *result;
    cJSON *open[MAX_DEPTH];   /* the table begun at each depth, not yet attached */
} encoder;

static cJSON *fail(encoder *e, const char *where, const char *fmt, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(e->err, e->errlen, "%s%s%s", msg, where[0] ? " at " : "", where);
    return NULL;
}

static cJSON *encode(encoder *e, int idx, int depth, const char *where);

/* 1: an array of n items; 0: an object; -1: keys of both kinds. */
static int table_shape(lua_State *L, int idx, lua_Integer *n)
{
    if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
        const char *name = lua_tostring(L, -1);
        int marked = name && strcmp(name, LD_ARRAY_MT) == 0 ? 1
                   : name && strcmp(name, LD_OBJECT_MT) == 0 ? 0 : 2;
        lua_pop(L, 1);
        if (marked != 2) {
            *n = (lua_Integer)lua_rawlen(L, idx);
            return marked;
        }
    }
    lua_Integer count = 0, max = 0;
    int strings = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            count++;
            if (lua_tointeger(L, -1) > max)
                max = lua_tointeger(L, -1);
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            strings++;
        } else {
            lua_pop(L, 1);
            return -1;
        }
    }
    *n = max;
    if (count && strings)
        return -1;
    if (count && count != max)
        return -2;
    return count > 0;
}

static cJSON *encode_table(encoder *e, int idx, int depth, const char *where)
{
    lua_State *L = e->L;
    /* the outermost table is depth 0: 128 levels are depths 0..127 */
    if (depth >= MAX_DEPTH)
        return fail(e, where, "%s", "nesting deeper than 128 levels");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, e->path) != LUA_TNIL) {
        lua_pop(L, 1);
        return fail(e, where, "%s", "a table that contains itself (cycle)");
    }
    lua_pop(L, 1);
    lua_Integer n = 0;
    int shape = table_shape(L, idx, &n);
    if (shape < 0)
        return fail(e, where, "%s", shape == -1 ? "a table mixing array items and named "
                    "fields" : "an array with holes");
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, e->path);
    cJSON *out = shape ? cJSON_CreateArray() : cJSON_CreateObject();
    e->open[depth] = out;
    char sub[256];
    if (shape) {
        for (lua_Integer i = 1; out && i <= n; i++) {
            lua_rawgeti(L, idx, i);
            snprintf(sub, sizeof sub, "%s[%lld]", where, (long long)i);
            cJSON *item = encode(e, lua_gettop(L), depth + 1, sub);
            lua_pop(L, 1);
            if (!item) {
                cJSON_Delete(out);
                out = e->open[depth] = NULL;
            } else {
                cJSON_AddItemToArray(out, item);
            }
        }
    } else {
        lua_pushnil(L);
        while (out && lua_next(L, idx)) {
            lua_pushvalue(L, -2);   /* a copy: tostring must not touch lua_next's key */
            size_t keylen;
            const char *key = lua_tolstring(L, -1, &keylen);
            snprintf(sub, sizeof sub, "%s.%s", where, key ? key : "?");
            cJSON *item = key && strlen(key) == keylen
                              ? encode(e, lua_gettop(L) - 1, depth + 1, sub)
                              : fail(e, where, "%s", "a key that is not a plain string");
            /* cJSON copies the key; when that copy fails the item is not
             * added and is ours to free (it leaked before) */
            if (item && !cJSON_AddItemToObject(out, key, item)) {
                cJSON_Delete(item);
                item = fail(e, where, "%s", "out of memory");
            }
            lua_pop(L, 2);
            if (!item) {
                lua_pop(L, 1);
                cJSON_Delete(out);
                out = e->open[depth] = NULL;
            }
        }
    }
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, e->path);
    e->open[depth] = NULL;   /* the caller attaches it (or frees it) before any Lua call */
    return out;
}

static cJSON *encode(encoder *e, int idx, int depth, const char *where)
{
    lua_State *L = e->L;
    luaL_checkstack(L, 6, "JSON too deeply nested");
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return cJSON_CreateNull();
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER: {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d))
            return fail(e, where, "%s", "a number that is not finite (NaN or inf)");
        return cJSON_CreateNumber(d);
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (strlen(s) != len)
            return fail(e, where, "%s", "a string with a NUL byte");
        return cJSON_CreateString(s);
    }
    case LUA_TTABLE:
        return encode_table(e, idx, depth, where);
    default:
        return fail(e, where, "a %s value (JSON holds no such thing)", luaL_typename(L, idx));
    }
}

/* Under lua_pcall: (encoder, value) -> nothing; the tree goes to e->result. */
static int encode_protected(lua_State *L)
{
    encoder *e = lua_touserdata(L, 1);
    lua_newtable(L);
    e->path = lua_gettop(L);
    e->result = encode(e, 2, 0, "");
    return 0;
}

cJSON *ld_lua_to_json(lua_State *L, int idx, char *errbuf, size_t errlen)
{
    encoder e;
    memset(&e, 0, sizeof e);
    e.L = L;
    e.err = errbuf;
    e.errlen = errlen;
    errbuf[0] = '\0';
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 3)) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    lua_pushcfunction(L, encode_protected);
    lua_pushlightuserdata(L, &e);
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        /* a memory error (or the stack's limit): free the tables begun */
        for (int d = 0; d < MAX_DEPTH; d++)
            cJSON_Delete(e.open[d]);
        cJSON_Delete(e.result);
        const char *msg = lua_tostring(L, -1);
        snprintf(errbuf, errlen, "%s", msg ? msg : "out of memory");
        lua_pop(L, 1);
        return NULL;
    }
    if (!e.result && !errbuf[0])
        snprintf(errbuf, errlen, "out of memory");
    return e.result;
}

/* core.json_encode(value) -> string (raises on values JSON cannot hold) */
static int l_json_encode(lua_State *L)
{
    char err[300];
    luaL_checkany(L, 1);
    cJSON *doc = ld_lua_to_json(L, 1, err, sizeof err);
    if (!doc)
        return luaL_error(L, "cannot encode as JSON: %s", err);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return luaL_error(L, "out of memory");
    lua_pushstring(L, text);
    cJSON_free(text);
    return 1;
}

/* core.json_decode(text) -> value | nil, msg */
static int l_json_decode(lua_State *L)
{
    size_t len, used = 0;
    const char *text = luaL_checklstring(L, 1, &len);
    int ok = ld_lua_push_json_text(L, text, len, &used);
    /* the parser stops after the first value; anything but whitespace after
     * it ("{} x", "[1]]") makes the text malformed */
    const char *end = text + used;
    while (ok && end < text + len && *end && strchr(" \t\r\n", *end))
        end++;
    if (ok && end != text + len) {
        lua_pop(L, 1);
        ok = 0;
    }
    if (!ok) {
        luaL_pushfail(L);
        lua_pushstring(L, "malformed JSON");
        return 2;
    }
    return 1;
}

static int mark(lua_State *L, const char *mt)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, mt);
    return 1;
}

/* core.array(t) -> t, marked to encode as a JSON array */
static int l_array(lua_State *L) { return mark(L, LD_ARRAY_MT); }
/* core.object(t) -> t, marked to encode as a JSON object */
static int l_object(lua_State *L) { return mark(L, LD_OBJECT_MT); }

int ld_lua_json_open(lua_State *L)
{
    luaL_newmetatable(L, LD_ARRAY_MT);
    lua_pop(L, 1);
    luaL_newmetatable(L, LD_OBJECT_MT);
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"json_encode", l_json_encode}, {"json_decode", l_json_decode},
        {"array", l_array},             {"object", l_object},
        {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
    return 0;
}
