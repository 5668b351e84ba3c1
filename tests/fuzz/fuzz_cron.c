/* fuzz_cron.c - libFuzzer target for the cron parser and its next-fire search
 * (scripts/luadock/loop/cron.lua), driven from C through a Lua state that
 * loads the module from the source tree (LUADOCK_SCRIPTS_DIR). The input's
 * first line is the spec; 4 bytes after it, if there, move the start time
 * from 2023-11-14 by up to 136 years. Properties, checked in Lua: parse
 * either returns a schedule or raises an argument error ("bad argument"),
 * never a Lua runtime error; next(t) is an integer after t or the stated
 * "no fire time" error; for a cron (not @every) schedule, next(next(t) - 1)
 * is next(t) again. TZ is UTC, so no DST rule applies. It must not load
 * anything beyond cron.lua and the base/ helpers it needs, nor keep state
 * between inputs besides the Lua state and its module cache.
 */
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>
#include "fuzz.h"
#include "fuzz_lua.h"

static const char check_chunk[] =
    "local cron = require 'luadock.loop.cron'\n"
    "return function(spec, t)\n"
    "  local ok, S = pcall(cron.parse, spec)\n"
    "  if not ok then\n"
    "    local msg = tostring(S)\n"
    "    assert(msg:find('bad argument', 1, true), 'parse raised: ' .. msg)\n"
    "    return\n"
    "  end\n"
    "  assert(type(tostring(S)) == 'string')\n"
    "  local ok2, n = pcall(S.next, S, t)\n"
    "  if not ok2 then\n"
    "    local msg = tostring(n)\n"
    "    assert(msg:find('has no fire time', 1, true), 'next raised: ' .. msg)\n"
    "    return\n"
    "  end\n"
    "  assert(math.type(n) == 'integer' and n > t, 'next(t) is not after t')\n"
    "  if not S.every then\n"
    "    local again = S:next(n - 1)\n"
    "    assert(again == n, ('next(%d) = %d but next(%d) = %s'):format(t, n, n - 1,\n"
    "                                                              tostring(again)))\n"
    "  end\n"
    "end\n";

static lua_State *L;
static int check_ref;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        setenv("TZ", "UTC", 1);
        L = fuzz_lua_state("=fuzz_cron", check_chunk, sizeof check_chunk - 1, NULL, &check_ref);
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t spec_len = nl ? (size_t)(nl - data) : size;
    lua_Integer t = 1700000000;
    if (nl && size - spec_len - 1 >= 4) {
        uint32_t add;
        memcpy(&add, nl + 1, sizeof add);
        t += (lua_Integer)add;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
    lua_pushlstring(L, (const char *)data, spec_len);
    lua_pushinteger(L, t);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_cron: %s\n", lua_tostring(L, -1));
        FUZZ_CHECK(!"a cron property holds");
    }
    lua_settop(L, 0);
    return 0;
}
