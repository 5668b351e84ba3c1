/* test_jsontext.c - the one-pass JSON text reader of luadock.core
 * (ld_lua_push_json_text) against the path it replaced: cJSON's parser and
 * ld_lua_push_json of its tree. For every input both must agree on whether
 * the text is JSON, on where the value ends, and on the Lua value itself
 * (types, integer or float, bytes, keys, the empty-array mark), so users
 * cannot tell which path read an engine's answer. Inputs: hand-picked edge
 * cases (escapes, surrogates, NULs, numbers, nesting limits, tables larger
 * than what the reader holds on the stack) and, from a fixed seed, random
 * documents and random damage to them. No engine is contacted.
 */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include "../support/same_lua_value.h"
#include "check.h"
#include "lbind.h"

int luaopen_luadock_core(lua_State *L);

static lua_State *L;

static int compared;

/* Read text both ways; 1 when they agree. */
static int agree(const char *text, size_t len)
{
    int top = lua_gettop(L);
    const char *end = NULL;
    cJSON *doc = len ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
    size_t used = 0;
    int ok = ld_lua_push_json_text(L, text, len, &used);
    int result;
    if (!doc || !ok) {
        result = !doc && !ok && lua_gettop(L) == top;
    } else {
        ld_lua_push_json(L, doc);
        result = (size_t)(end - text) == used && same_lua_value(L, -1, -2);
    }
    cJSON_Delete(doc);
    lua_settop(L, top);
    compared++;
    return result;
}

#define AGREE(s) CHECK(agree((s), sizeof(s) - 1))

static void edge_cases(void)
{
    static const char *const cases[] = {
        "null", "true", "false", "nul", "tru", "fals", "nullx", "truex", "0", "-0", "1", "-1",
        "007", "1.5", "-2.25e3", "1e400", "-1e400", "1e-400", "1.", ".5", "-", "--1", "+1",
        "1e", "1e+", "1E2", "1.0", "123456789012345", "1234567890123456", "-123456789012345",
        "12345678901234567", "9007199254740993", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "1+2", "1-", "0x10", "1.5.5",
        "1234567890123456789012345678901234567890123456789012345678901234567890",
        "\"\"", "\"abc\"", "\"a\\\"b\"", "\"\\\\\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\x\"",
        "\"\\u0041\"", "\"\\u00e9\"", "\"\\u20ac\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"",
        "\"\\ud83dx\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\uZZZZ\"", "\"a\\u0000b\"",
        "\"\\u12\"", "\"\\u", "\"abc", "\"abc\\", "\"\\\"", "\"\x01\x7f\xff\"", "\xEF\xBB\xBF{}",
        "\xEF\xBB\xBF", " \t\r\n\x01 1", "[]", "[ ]", "{}", "{ }", "[1,]", "[,1]", "[1 2]",
        "[1,,2]", "[null]", "[1,null]", "[null,null,3]", "{\"a\":null}", "{\"a\":1,\"a\":null}",
        "{\"a\":null,\"a\":2}", "{\"a\":1,\"a\":2}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\"}",
        "{\"\":[]}", "{\"x\\u0000y\":1}", "{\"k\":{\"k\":{\"k\":[[],{}]}}}", "[1]]", "{} x", "[",
        "{", "]", "}", ":", ",", "[\"a\"", "{\"a\":", "{\"a\":1", "[[[[]]]]", "{\"a\":[{\"b\":[]}]}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (!agree(cases[i], strlen(cases[i])))
            CHECK_FAIL_("the two readers disagree on case %zu: %s", i, cases[i]);
    AGREE("[1,\0 2]");
    AGREE("\"a\0b\"");
    AGREE("\0");
    AGREE("1\0");
}

/* nesting around the limit, and tables around the reader's held-value size */
static void big_cases(void)
{
    static char buf[1 << 16];
    for (int depth = 998; depth <= 1002; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++) buf[n++] = i % 2 ? '[' : '[';
        for (int i = 0; i < depth; i++) buf[n++] = ']';
        CHECK(agree(buf, n));
        n = 0;
        for (int i = 0; i < depth; i++) n += (size_t)sprintf(buf + n, "{\"k\":");
        buf[n++] = '1';
        for (int i = 0; i < depth; i++) buf[n++] = '}';
        CHECK(agree(buf, n));
    }
    static const int sizes[] = {0, 1, 255, 256, 257, 511, 512, 513, 1000, 3000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = 0;
        buf[n++] = '[';
        for (int i = 0; i < sizes[s]; i++)
            n += (size_t)sprintf(buf + n, "%s%s", i ? "," : "", i % 7 == 3 ? "null" : "\"v\"");
        buf[n++] = ']';
        CHECK(agree(buf, n));
        n = 0;
        buf[n++] = '{';
        for (int i = 0; i < sizes[s]; i++)   /* every 10th key repeats an earlier one */
            n += (size_t)sprintf(buf + n, "%s\"k%d\":%s", i ? "," : "", i % 10 == 9 ? i / 2 : i,
                                 i % 7 == 3 ? "null" : "1.5");
        buf[n++] = '}';
        CHECK(agree(buf, n));
    }
}

static unsigned long long seed = 0x2545F4914F6CDD1DULL;
static unsigned rnd(unsigned n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)(seed % n);
}

static void gen(char *buf, size_t *n, size_t cap, int depth)
{
    static const char *const atoms[] = {
        "null", "true", "false", "0", "-0", "42", "-17", "3.25", "1e3", "-2.5E-3",
        "12345678901234567890", "\"\"", "\"plain\"", "\"esc\\n\\t\\\"\"", "\"\\u00e9\\u20ac\"",
        "\"\\ud83d\\ude00\"", "\"sha256:0123abcd\"", "\"/bin/sh\"",
    };
    if (*n + 64 >= cap)
        return;
    unsigned k = depth > 6 ? 0 : rnd(4);
    if (k < 2) {
        const char *a = atoms[rnd(sizeof atoms / sizeof *atoms)];
        size_t l = strlen(a);
        memcpy(buf + *n, a, l);
        *n += l;
    } else if (k == 2) {
        buf[(*n)++] = '[';
        unsigned items = rnd(6);
        for (unsigned i = 0; i < items && *n + 64 < cap; i++) {
            if (i) buf[(*n)++] = rnd(8) ? ',' : ' ';
            gen(buf, n, cap, depth + 1);
        }
        buf[(*n)++] = ']';
    } else {
        buf[(*n)++] = '{';
        unsigned items = rnd(6);
        for (unsigned i = 0; i < items && *n + 64 < cap; i++)
            *n += (size_t)sprintf(buf + *n, "%s \"%c%u\" : ", i ? "," : "", 'a' + rnd(3), rnd(4)),
            gen(buf, n, cap, depth + 1);
        buf[(*n)++] = '}';
    }
}

static void random_cases(void)
{
    static char buf[8192];
    static const char noise[] = "[]{},:\"\\u0e.-+ \t\n\0x";
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        gen(buf, &n, sizeof buf - 8, 0);
        if (round % 2) {   /* damage: change, drop or add a few bytes */
            for (unsigned m = 1 + rnd(3); m > 0 && n > 1; m--) {
                size_t at = rnd((unsigned)n);
                switch (rnd(3)) {
                case 0: buf[at] = noise[rnd(sizeof noise - 1)]; break;
                case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
                default: memmove(buf + at + 1, buf + at, n - at); buf[at] = noise[rnd(sizeof noise - 1)]; n++;
                }
            }
        }
        if (!agree(buf, n) && bad++ < 5)
            CHECK_FAIL_("the two readers disagree on: %.*s", (int)n, buf);
    }
    CHECK_INT_EQ(bad, 0);
}

/* The comparison itself tells apart what users can tell apart (or every
 * agree() above would pass whatever the readers gave): two Lua chunks'
 * values, same_lua_value must say `want`. */
static void compare(const char *a, const char *b, int want)
{
    CHECK(luaL_dostring(L, a) == LUA_OK && luaL_dostring(L, b) == LUA_OK);
    CHECK(lua_gettop(L) == 2);
    CHECK(same_lua_value(L, 1, 2) == want);
    CHECK(lua_gettop(L) == 2);
    lua_settop(L, 0);
}

static void comparison_cases(void)
{
    compare("return 1", "return 1", 1);
    compare("return 1", "return 1.0", 0);
    compare("return 0.0", "return -0.0", 0);
    compare("return 0/0", "return 0/0", 1);
    compare("return 'a\\0b'", "return 'a\\0c'", 0);
    compare("return true", "return 1", 0);
    compare("return {1, {x = 'y'}}", "return {1, {x = 'y'}}", 1);
    compare("return {1, {x = 'y'}}", "return {1, {x = 'z'}}", 0);
    compare("return {1, 2}", "return {1, 2, 3}", 0);
    compare("return {a = 1}", "return {a = 1, b = 2}", 0);
    compare("return {a = 1, b = 2}", "return {a = 1, b = {}}", 0);
    compare("local mt = {} return setmetatable({}, mt), setmetatable({}, mt)", "return", 1);
    compare("return setmetatable({}, {})", "return {}", 0);
}

int main(void)
{
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "luadock.core", luaopen_luadock_core, 0);
    lua_settop(L, 0);
    comparison_cases();
    edge_cases();
    big_cases();
    random_cases();
    CHECK(compared > 20000);
    lua_close(L);
    CHECK_DONE();
}
