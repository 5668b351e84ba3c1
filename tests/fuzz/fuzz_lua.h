/* fuzz_lua.h - Lua line coverage for the fuzz targets whose code under test
 * is Lua (cron, context, credhelper). libFuzzer sees only the C that clang
 * instrumented, and Debian's liblua5.4 is not: without this, a target
 * driving Lua gets a handful of edges from its own driver and mutates
 * blind. fuzz_lua_cover(L) sets a line hook that counts every Lua line run
 * (by chunk and line) into libFuzzer's "extra counters" section, which
 * libFuzzer reads as coverage features of its own (the "ft:" figure; "cov:"
 * stays the count of instrumented C edges). In the replay programs, which
 * have no libFuzzer, the counters are written and never read. Include it
 * in one file of a program only; the hook changes nothing the Lua code sees.
 * fuzz_lua_state() makes such a target's Lua state.
 */
#ifndef LUADOCK_FUZZ_LUA_H
#define LUADOCK_FUZZ_LUA_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include "fuzz.h"

#define FUZZ_LUA_COUNTERS 16384

/* libFuzzer finds this section by its __start_/__stop_ symbols */
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t fuzz_lua_counters[FUZZ_LUA_COUNTERS];

/* ar->source points into the chunk's name, which lives as long as the
 * chunk: with the line it names one line of one file for this process. */
static void fuzz_lua_line(lua_State *L, lua_Debug *ar)
{
    if (!lua_getinfo(L, "S", ar))
        return;
    uint64_t h = (uint64_t)(uintptr_t)ar->source * 0x9E3779B97F4A7C15ull ^ (uint64_t)ar->currentline;
    h *= 0xBF58476D1CE4E5B9ull;
    uint8_t *c = &fuzz_lua_counters[(h >> 32) % FUZZ_LUA_COUNTERS];
    if (*c != 255)
        (*c)++;
}

static inline void fuzz_lua_cover(lua_State *L)
{
    lua_sethook(L, fuzz_lua_line, LUA_MASKLINE, 0);
}

/* The Lua state of a target that drives Lua: the standard libraries, line
 * coverage, the modules of the source tree (LUADOCK_SCRIPTS_DIR) on
 * package.path and, when open_core is given, luadock.core. Then runs
 * `chunk` (named `name` in messages), which returns the target's check
 * function; *check_ref is that function in the registry. */
static inline lua_State *fuzz_lua_state(const char *name, const char *chunk, size_t len,
                                        lua_CFunction open_core, int *check_ref)
{
    lua_State *L = luaL_newstate();
    FUZZ_CHECK(L != NULL);
    luaL_openlibs(L);
    fuzz_lua_cover(L);
    if (open_core) {
        luaL_requiref(L, "luadock.core", open_core, 0);
        lua_pop(L, 1);
    }
    lua_getglobal(L, "package");
    lua_pushstring(L, LUADOCK_SCRIPTS_DIR "/?.lua;" LUADOCK_SCRIPTS_DIR "/?/init.lua");
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, chunk, len, name) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
        FUZZ_CHECK(!"the target's Lua chunk loads");
    }
    *check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return L;
}

#endif
