/* fuzz_json.c - libFuzzer target for JSON <-> Lua conversion in luadock.core
 * (bindings/ljsontext.c: text to Lua values; bindings/ljson.c: cJSON trees to
 * Lua and Lua values to cJSON). An input starting with byte 0xFF is a small
 * program building a Lua value (integers and floats of any bits, strings with
 * NULs and invalid UTF-8, tables nested up to thousands of levels, marks,
 * cycles) that is then encoded; any other input is JSON text, read by both
 * paths (ld_lua_push_json_text, and cJSON's parser + ld_lua_push_json), which
 * must agree on whether it is JSON, where it ends and on the value. A value
 * that encodes must print to text that reads back and (when it holds no null,
 * which reads back as a hole) encodes to the same JSON, object members in any
 * order; one that does not encode gives a message.
 * Everything runs under lua_pcall: an error raised out of the conversions is
 * a failure. One Lua state serves every input, each in a new thread of it
 * that is dropped afterwards, so no value lives on. It must not load any
 * engine-facing code path.
 */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>
#include "../support/same_lua_value.h"
#include "fuzz.h"
#include "lbind.h"

int luaopen_luadock_core(lua_State *L);

static lua_State *main_state;
/* the thread of the input being run: a new one per input, so every input
 * starts from the same small stack whatever ran before (a stack that has to
 * move halfway is what found the ljsontext bug) */
static lua_State *L;

/* 1 when the tree holds a null: it reads back as nil, a hole, which an
 * array or a table of only that item cannot give back (STYLE.md's rule). */
static int has_null(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return 1;
    for (const cJSON *c = v->child; c; c = c->next)
        if (has_null(c))
            return 1;
    return 0;
}

/* The value at idx encodes, or gives a message; its text reads back and,
 * without nulls, encodes to the same JSON. */
static void round_trip(int idx)
{
    char msg[300];
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L);
    cJSON *first = ld_lua_to_json(L, idx, msg, sizeof msg);
    FUZZ_CHECK(lua_gettop(L) == top);
    if (!first) {
        FUZZ_CHECK(msg[0] != '\0');
        return;
    }
    char *text = cJSON_PrintUnformatted(first);
    FUZZ_CHECK(text != NULL);
    size_t used = 0, len = strlen(text);
    FUZZ_CHECK(ld_lua_push_json_text(L, text, len, &used) == 1);
    FUZZ_CHECK(used == len);
    cJSON *second = has_null(first) ? NULL : ld_lua_to_json(L, -1, msg, sizeof msg);
    if (has_null(first)) {
        cJSON_Delete(first);
        cJSON_free(text);
        lua_settop(L, top);
        return;
    }
    if (!second)
        fprintf(stderr, "re-encoding %.200s failed: %s\n", text, msg);
    FUZZ_CHECK(second != NULL);
    FUZZ_CHECK(cJSON_Compare(first, second, 1));
    cJSON_Delete(first);
    cJSON_Delete(second);
    cJSON_free(text);
    lua_settop(L, top);
}

/* JSON text: both readers agree, then the round trip. */
static void text_mode(const char *text, size_t len)
{
    int top = lua_gettop(L);
    const char *end = NULL;
    cJSON *doc = len ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
    size_t used = 0;
    int ok = ld_lua_push_json_text(L, text, len, &used);
    /* cJSON skips a BOM only when 2 more bytes follow it, so it refuses a BOM
     * and one digit ("\xEF\xBB\xBF" "0"), which the text reader takes: a
     * quirk of cJSON's, harmless, found by this target and kept apart */
    if (len == 4 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 && !doc && ok) {
        lua_settop(L, top);
        return;
    }
    FUZZ_CHECK(!doc == !ok);
    if (!ok) {
        FUZZ_CHECK(lua_gettop(L) == top);
        return;
    }
    FUZZ_CHECK(lua_gettop(L) == top + 1);
    FUZZ_CHECK((size_t)(end - text) == used);
    ld_lua_push_json(L, doc);
    cJSON_Delete(doc);
    FUZZ_CHECK(same_lua_value(L, -1, -2));
    round_trip(-1);
    lua_settop(L, top);
}

static int take(const uint8_t **p, const uint8_t *end, void *out, size_t n)
{
    if ((size_t)(end - *p) < n)
        return 0;
    memcpy(out, *p, n);
    *p += n;
    return 1;
}

/* A value program: each byte an operation on the Lua stack, at most 200
 * values held; the top value at the end is encoded. */
static void program_mode(const uint8_t *p, const uint8_t *end)
{
    int base = lua_gettop(L);
    while (p < end) {
        int op = *p++ % 12, held = lua_gettop(L) - base;
        if (held >= 200 && op != 4 && op != 5 && op != 6 && op != 7 && op != 8)
            break;
        luaL_checkstack(L, 4, "value program");
        switch (op) {
        case 0: {                                  /* integer, 8 bytes */
            int64_t i = 0;
            if (!take(&p, end, &i, sizeof i))
                return;
            lua_pushinteger(L, (lua_Integer)i);
            break;
        }
        case 1: {                                  /* float of any bits */
            double d = 0;
            if (!take(&p, end, &d, sizeof d))
                return;
            lua_pushnumber(L, d);
            break;
        }
        case 2: {                                  /* string: length byte, bytes */
            uint8_t n = 0;
            if (!take(&p, end, &n, 1) || (size_t)(end - p) < n)
                return;
            lua_pushlstring(L, (const char *)p, n);
            p += n;
            break;
        }
        case 3:
            lua_newtable(L);
            break;
        case 4:                                    /* t[k] = v (t k v on top) */
            if (held >= 3 && lua_istable(L, -3) && !lua_isnil(L, -2) &&
                !(lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2)))
                lua_rawset(L, -3);
            else if (held >= 2)
                lua_pop(L, 2);
            break;
        case 5:                                    /* t[#t + 1] = v */
            if (held >= 2 && lua_istable(L, -2))
                lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            else if (held >= 1)
                lua_pop(L, 1);
            break;
        case 6:
        case 7:                                    /* the array or object mark */
            if (held >= 1 && lua_istable(L, -1))
                luaL_setmetatable(L, op == 6 ? LD_ARRAY_MT : LD_OBJECT_MT);
            break;
        case 8:                                    /* a cycle: t.self = t */
            if (held >= 1 && lua_istable(L, -1)) {
                lua_pushvalue(L, -1);
                lua_setfield(L, -2, "self");
            }
            break;
        case 9: {                                  /* wrap the top in n arrays */
            uint8_t n = 0;
            if (held < 1 || !take(&p, end, &n, 1))
                return;
            for (int i = 0; i < n * 4; i++) {
                lua_createtable(L, 1, 0);
                lua_insert(L, -2);
                lua_rawseti(L, -2, 1);
            }
            break;
        }
        case 10:
            lua_pushboolean(L, p < end && (*p & 1));
            break;
        default:
            lua_pushnil(L);
        }
    }
    if (lua_gettop(L) > base)
        round_trip(-1);
}

typedef struct job {
    const uint8_t *data;
    size_t size;
} job;

static int run(lua_State *L1)
{
    job *j = lua_touserdata(L1, 1);
    lua_settop(L1, 0);
    if (j->size > 0 && j->data[0] == 0xFF)
        program_mode(j->data + 1, j->data + j->size);
    else
        text_mode((const char *)j->data, j->size);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!main_state) {
        main_state = luaL_newstate();
        FUZZ_CHECK(main_state != NULL);
        luaL_openlibs(main_state);
        luaL_requiref(main_state, "luadock.core", luaopen_luadock_core, 0);
    }
    lua_settop(main_state, 0);
    L = lua_newthread(main_state);
    job j = {data, size};
    lua_pushcfunction(L, run);
    lua_pushlightuserdata(L, &j);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        fprintf(stderr, "raised: %s\n", lua_tostring(L, -1));
        FUZZ_CHECK(!"an error was raised");
    }
    lua_settop(main_state, 0);
    L = NULL;
    lua_gc(main_state, LUA_GCCOLLECT);
    return 0;
}
