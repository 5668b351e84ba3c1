/* test_json.c - unit tests of the JSON <-> Lua rules of luadock.core.
 *
 * Runs a real lua_State with luadock.core loaded (no engine is contacted)
 * and checks STYLE.md's rules through core.json_encode / core.json_decode
 * and through ld_lua_push_json / ld_lua_to_json directly: null -> nil,
 * integral numbers -> integers (floats where an integer cannot hold them),
 * {} vs core.array{} vs decoded empty arrays, sequences vs objects, and the
 * refusals (mixed keys, holes, cycles, depth over 128, NaN/inf, NUL bytes,
 * functions) with messages naming where the bad value was found.
 */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <string.h>
#include "check.h"
#include "lbind.h"

static lua_State *L;

/* Run a chunk; its first result as a string (tostring), or "ERR: message".
 * The result lives in a static buffer until the next call. */
static const char *eval(const char *code)
{
    static char out[4096];
    int top = lua_gettop(L);
    if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        snprintf(out, sizeof out, "ERR: %s", lua_tostring(L, -1));
    } else {
        size_t len;
        const char *s = luaL_tolstring(L, -1, &len);
        snprintf(out, sizeof out, "%s", s);
        lua_pop(L, 1);
    }
    lua_settop(L, top);
    return out;
}

/* 1 if eval(code) contains `part`. */
static int eval_has(const char *code, const char *part)
{
    const char *r = eval(code);
    if (strstr(r, part))
        return 1;
    fprintf(stderr, "  [%s] gave [%s], wanted [%s] in it\n", code, r, part);
    return 0;
}

static void test_decode_numbers(void)
{
    CHECK_STR_EQ(eval("return math.type(core.json_decode('42'))"), "integer");
    CHECK_STR_EQ(eval("return core.json_decode('42')"), "42");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('-7'))"), "integer");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('1.5'))"), "float");
    CHECK_STR_EQ(eval("return core.json_decode('1.5')"), "1.5");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('1e2'))"), "integer");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('0'))"), "integer");
    /* a size above 2^32 (cJSON's valueint saturates; valuedouble is right) */
    CHECK_STR_EQ(eval("local v = core.json_decode('{\"Size\":5368709120}').Size "
                      "return math.type(v) .. ' ' .. v"), "integer 5368709120");
    /* at and beyond 2^63: floats, no overflowing conversion (UBSan watches) */
    CHECK_STR_EQ(eval("return math.type(core.json_decode('9223372036854775807'))"), "float");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('9223372036854775808'))"), "float");
    CHECK_STR_EQ(eval("return core.json_decode('9223372036854775808') == 2^63"), "true");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('18446744073709551616'))"), "float");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('1e19'))"), "float");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('-1e300'))"), "float");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('-9223372036854777856'))"), "float");
    /* -2^63 itself is an integer */
    CHECK_STR_EQ(eval("local v = core.json_decode('-9223372036854775808') "
                      "return math.type(v) .. ' ' .. tostring(v == math.mininteger)"),
                 "integer true");
    CHECK_STR_EQ(eval("return math.type(core.json_decode('[1e400]')[1])"), "float");

    /* the same through ld_lua_push_json with numbers cJSON cannot parse */
    static const struct { double d; int integer; } nums[] = {
        {5368709120.0, 1},  {-1.0, 1},     {0.5, 0},
        {9223372036854775808.0, 0},        {-9223372036854775808.0, 1},
        {1e300, 0},         {-1e300, 0},   {INFINITY, 0}, {-INFINITY, 0}, {NAN, 0},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        cJSON *n = cJSON_CreateNumber(nums[i].d);
        ld_lua_push_json(L, n);
        CHECK_INT_EQ(lua_isinteger(L, -1), nums[i].integer);
        if (nums[i].integer)
            CHECK(lua_tointeger(L, -1) == (lua_Integer)nums[i].d);
        else if (!isnan(nums[i].d))
            CHECK(lua_tonumber(L, -1) == nums[i].d);
        lua_pop(L, 1);
        cJSON_Delete(n);
    }
}

static void test_decode_values(void)
{
    CHECK_STR_EQ(eval("local t = core.json_decode('{\"a\":null,\"b\":1}') "
                      "return tostring(t.a) .. ' ' .. tostring(t.b)"), "nil 1");
    CHECK_STR_EQ(eval("return select('#', core.json_decode('null')) .. ' ' .. "
                      "tostring(core.json_decode('null'))"), "1 nil");
    CHECK_STR_EQ(eval("return tostring(core.json_decode('true')) .. tostring(core.json_decode('false'))"),
                 "truefalse");
    CHECK_STR_EQ(eval("local t = core.json_decode('[10,\"x\",[true]]') "
                      "return #t .. t[2] .. tostring(t[3][1])"), "3xtrue");
    CHECK_STR_EQ(eval("local t = core.json_decode('{\"HostConfig\":{\"Memory\":0}}') "
                      "return math.type(t.HostConfig.Memory)"), "integer");

    /* malformed text: nil, message (not an error raised) */
    static const char *const bad[] = {"{", "", "[1,]", "{\"a\"}", "nul", "[1 2]", "'x'",
                                      "{\"a\":1} trailing", "[1]]", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lua_getglobal(L, "core");
        lua_getfield(L, -1, "json_decode");
        lua_pushstring(L, bad[i]);
        int rc = lua_pcall(L, 1, 2, 0);
        CHECK_INT_EQ(rc, LUA_OK);
        if (rc == LUA_OK) {
            if (!lua_isnil(L, -2))
                fprintf(stderr, "  json_decode accepted [%s]\n", bad[i]);
            CHECK(lua_isnil(L, -2));
            CHECK(lua_type(L, -1) == LUA_TSTRING && strstr(lua_tostring(L, -1), "malformed"));
        }
        lua_settop(L, 0);
    }
    /* whitespace around a value is fine */
    CHECK_STR_EQ(eval("return core.json_decode(' \\n{\"a\":1}\\r\\n ').a"), "1");
    /* cJSON's nesting limit is 1000 */
    CHECK_STR_EQ(eval("return type(core.json_decode(string.rep('[', 1000) .. string.rep(']', 1000)))"),
                 "table");
    CHECK(eval_has("return select(2, core.json_decode(string.rep('[', 1001) .. "
                   "string.rep(']', 1001)))", "malformed"));
}

static void test_encode_shapes(void)
{
    CHECK_STR_EQ(eval("return core.json_encode({})"), "{}");
    CHECK_STR_EQ(eval("return core.json_encode(core.array{})"), "[]");
    CHECK_STR_EQ(eval("return core.json_encode(core.array{1, 2})"), "[1,2]");
    CHECK_STR_EQ(eval("return core.json_encode(core.object{})"), "{}");
    CHECK_STR_EQ(eval("return core.json_encode({1, 'two', true, {x = 1}})"),
                 "[1,\"two\",true,{\"x\":1}]");
    CHECK_STR_EQ(eval("return core.json_encode({name = 'web'})"), "{\"name\":\"web\"}");
    CHECK_STR_EQ(eval("return core.json_encode({a = {b = {c = 1}}})"),
                 "{\"a\":{\"b\":{\"c\":1}}}");
    CHECK_STR_EQ(eval("return core.json_encode({Cmd = {'sh', '-c', 'echo hi'}})"),
                 "{\"Cmd\":[\"sh\",\"-c\",\"echo hi\"]}");
    CHECK_STR_EQ(eval("return core.json_encode(5368709120)"), "5368709120");
    CHECK_STR_EQ(eval("return core.json_encode(1.5)"), "1.5");
    CHECK_STR_EQ(eval("return core.json_encode(nil)"), "null");
    CHECK_STR_EQ(eval("return core.json_encode(false)"), "false");
    CHECK_STR_EQ(eval("return core.json_encode('a\"b\\\\c\\n')"), "\"a\\\"b\\\\c\\n\"");

    /* decoded empty arrays come back marked and encode as [] again;
     * decoded empty objects stay {} */
    CHECK_STR_EQ(eval("return core.json_encode(core.json_decode('[]'))"), "[]");
    CHECK_STR_EQ(eval("local t = core.json_decode('{\"a\":[],\"b\":{}}') "
                      "return core.json_encode(t.a) .. core.json_encode(t.b)"), "[]{}");
    CHECK_STR_EQ(eval("return core.json_encode(core.json_decode('{\"Env\":[]}'))"),
                 "{\"Env\":[]}");
    CHECK_STR_EQ(eval("return core.json_encode(core.json_decode('[[],{},[[]]]'))"),
                 "[[],{},[[]]]");

    /* the same table twice (not a cycle) is fine */
    CHECK_STR_EQ(eval("local x = {1} return core.json_encode({x, x, {x}})"), "[[1],[1],[[1]]]");
}

/* A chain of n nested tables: nest(1) is {}, nest(2) is {{}}. */
static const char *const NEST =
    "local function nest(n) local t = {} local cur = t "
    "for i = 2, n do local c = {} cur[1] = c cur = c end return t end ";

static void test_encode_refusals(void)
{
    char code[512];

    /* depth: 128 nested tables encode, 129 do not */
    snprintf(code, sizeof code, "%s return core.json_encode(nest(128)) == "
             "string.rep('[', 127) .. '{}' .. string.rep(']', 127)", NEST);
    CHECK_STR_EQ(eval(code), "true");
    snprintf(code, sizeof code, "%s return select(2, pcall(core.json_encode, nest(129)))", NEST);
    CHECK(eval_has(code, "128"));
    snprintf(code, sizeof code, "%s return select(2, pcall(core.json_encode, nest(5000)))", NEST);
    CHECK(eval_has(code, "128"));
    /* what json_decode builds deeper than that cannot be encoded back */
    CHECK(eval_has("return select(2, pcall(core.json_encode, core.json_decode(string.rep('[', 200)"
                   " .. string.rep(']', 200))))", "128"));

    /* cycles */
    CHECK(eval_has("local t = {} t.self = t return select(2, pcall(core.json_encode, t))",
                   "cycle"));
    CHECK(eval_has("local a = {} a[1] = {a} return select(2, pcall(core.json_encode, a))",
                   "cycle"));
    CHECK(eval_has("local a = {b = {}} a.b.c = {d = a} return select(2, pcall(core.json_encode, a))",
                   "(cycle) at .b.c.d"));

    /* mixed keys and holes */
    CHECK(eval_has("return select(2, pcall(core.json_encode, {1, 2, a = 3}))", "mixing"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {1, nil, 3}))", "holes"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {[2] = 'x'}))", "holes"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {x = {[1] = 1, [5] = 5}}))",
                   "holes at .x"));
    CHECK(eval_has("return tostring(pcall(core.json_encode, {[0] = 1}))", "false"));
    CHECK(eval_has("return tostring(pcall(core.json_encode, {[1.5] = 1}))", "false"));
    CHECK(eval_has("return tostring(pcall(core.json_encode, {[true] = 1}))", "false"));

    /* numbers JSON cannot hold */
    CHECK(eval_has("return select(2, pcall(core.json_encode, 0/0))", "not finite"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, math.huge))", "not finite"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {x = {1, -math.huge}}))",
                   "not finite (NaN or inf) at .x[2]"));

    /* NUL bytes */
    CHECK(eval_has("return select(2, pcall(core.json_encode, 'a\\0b'))", "NUL"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {k = {'ok', 'a\\0b'}}))",
                   "NUL byte at .k[2]"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {['a\\0b'] = 1}))",
                   "not a plain string"));

    /* values JSON has no notion of */
    CHECK(eval_has("return select(2, pcall(core.json_encode, print))", "function"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {f = print}))", "function value"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, coroutine.create(print)))",
                   "thread"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {io.stdout}))", "userdata"));

    /* the path names where the bad value is */
    CHECK(eval_has("return select(2, pcall(core.json_encode, {a = {b = {1, print}}}))",
                   "at .a.b[2]"));
    CHECK(eval_has("return select(2, pcall(core.json_encode, {{}, {{x = {0/0}}}}))",
                   "at [2][1].x[1]"));

    /* the message is one clean error, and the state stays usable */
    CHECK(eval_has("return select(2, pcall(core.json_encode, {f = print}))",
                   "cannot encode as JSON"));
    CHECK_STR_EQ(eval("return core.json_encode({1})"), "[1]");
}

/* ld_lua_to_json directly: NULL with a message, nothing raised, the stack
 * as it was. */
static void test_to_json_c(void)
{
    static const char *const bad[] = {
        "local t = {} t[1] = t return t",
        "return {a = 1, 2}",
        "return {x = 0/0}",
        "return {f = function() end}",
        "return {a = {b = {[3] = 1}}}",
    };
    static const char *const want[] = {"cycle", "mixing", "not finite", "function", "holes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lua_settop(L, 0);
        lua_pushliteral(L, "below");
        CHECK_INT_EQ(luaL_dostring(L, bad[i]), LUA_OK);
        int top = lua_gettop(L);
        char errbuf[256];
        cJSON *doc = ld_lua_to_json(L, -1, errbuf, sizeof errbuf);
        CHECK(doc == NULL);
        cJSON_Delete(doc);
        CHECK(strstr(errbuf, want[i]) != NULL);
        CHECK_INT_EQ(lua_gettop(L), top);
        CHECK_STR_EQ(lua_tostring(L, 1), "below");
    }
    lua_settop(L, 0);

    /* a good value: the cJSON tree is right */
    CHECK_INT_EQ(luaL_dostring(L, "return {Image = 'busybox', Cmd = {'true'}, "
                                  "Labels = core.object{}, Env = core.array{}}"), LUA_OK);
    char errbuf[256];
    cJSON *doc = ld_lua_to_json(L, -1, errbuf, sizeof errbuf);
    CHECK(doc != NULL);
    CHECK_INT_EQ(lua_gettop(L), 1);
    if (doc) {
        const cJSON *image = cJSON_GetObjectItemCaseSensitive(doc, "Image");
        CHECK_STR_EQ(cJSON_IsString(image) ? image->valuestring : NULL, "busybox");
        CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "Cmd")));
        CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "Labels")));
        CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "Env")));
        CHECK_INT_EQ(cJSON_GetArraySize(doc), 4);
        cJSON_Delete(doc);
    }
    lua_settop(L, 0);
}

static void test_unicode(void)
{
    /* \u escapes, surrogate pairs included, become UTF-8 */
    CHECK_STR_EQ(eval("return core.json_decode('\"caf\\\\u00e9 \\\\u4e16 \\\\ud83d\\\\ude00\"')"),
                 "caf\xc3\xa9 \xe4\xb8\x96 \xf0\x9f\x98\x80");
    /* UTF-8 goes out as is and comes back the same */
    CHECK_STR_EQ(eval("return core.json_encode('caf\xc3\xa9 \xe4\xb8\x96')"),
                 "\"caf\xc3\xa9 \xe4\xb8\x96\"");
    CHECK_STR_EQ(eval("local s = 'h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x90\xb3' "
                      "local t = core.json_decode(core.json_encode({[s] = {s}})) "
                      "return tostring(t[s][1] == s)"), "true");
    /* control characters are escaped, not sent raw */
    CHECK_STR_EQ(eval("return core.json_encode('\\1\\t')"), "\"\\u0001\\t\"");
}

int main(void)
{
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "luadock.core", luaopen_luadock_core, 0);
    lua_setglobal(L, "core");
    CHECK_STR_EQ(eval("return type(core.json_encode)"), "function");

    test_decode_numbers();
    test_decode_values();
    test_encode_shapes();
    test_encode_refusals();
    test_to_json_c();
    test_unicode();

    lua_close(L);
    CHECK_DONE();
}
