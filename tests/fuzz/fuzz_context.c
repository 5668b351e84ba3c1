/* fuzz_context.c - libFuzzer target for docker context metadata
 * (scripts/luadock/client/endpoint.lua: meta.json reading, parse_meta, the
 * listing's natural order, load), driven from C through a Lua state with
 * luadock.core and the modules of the source tree (LUADOCK_SCRIPTS_DIR).
 * The input, cut at NUL bytes, is up to 4 meta.json files, written as
 * contexts/meta/c<i>/meta.json under a private DOCKER_CONFIG sandbox
 * ($TMPDIR, else /dev/shm or /tmp; removed at exit). Properties, in Lua:
 * endpoint.list() and endpoint.load(name) of every listed context return or
 * raise a docker.Error (never a Lua runtime error such as "attempt to index"
 * or "invalid order function"); a loaded context has a string host. It must
 * not contact an engine, nor read any configuration but its sandbox's.
 */
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "fuzz_lua.h"

#define MAX_FILES 4

int luaopen_luadock_core(lua_State *L);

static const char check_chunk[] =
    "local endpoint = require 'luadock.client.endpoint'\n"
    "local errors = require 'luadock.base.errors'\n"
    "local function polite(ok, v, what)\n"
    "  if not ok then\n"
    "    assert(errors.is_error(v), what .. ' raised: ' .. tostring(v))\n"
    "  end\n"
    "  return ok\n"
    "end\n"
    "return function()\n"
    "  local ok, list = pcall(endpoint.list)\n"
    "  if not polite(ok, list, 'list') then return end\n"
    "  for _, c in ipairs(list) do\n"
    "    assert(type(c.name) == 'string' and type(c.host) == 'string', 'a listed context')\n"
    "    if c.name ~= 'default' then\n"
    "      local ok2, ctx = pcall(endpoint.load, c.name)\n"
    "      if polite(ok2, ctx, 'load') then\n"
    "        assert(type(ctx.host) == 'string' and ctx.name == c.name, 'a loaded context')\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n";

static lua_State *L;
static int check_ref;
static char sandbox[PATH_MAX];

static void remove_sandbox(void)
{
    char path[PATH_MAX];
    for (int i = 0; i < MAX_FILES; i++) {
        snprintf(path, sizeof path, "%s/contexts/meta/c%d/meta.json", sandbox, i);
        unlink(path);
        snprintf(path, sizeof path, "%s/contexts/meta/c%d", sandbox, i);
        rmdir(path);
    }
    snprintf(path, sizeof path, "%s/contexts/meta", sandbox);
    rmdir(path);
    snprintf(path, sizeof path, "%s/contexts", sandbox);
    rmdir(path);
    rmdir(sandbox);
}

static void set_up(void)
{
    fuzz_make_sandbox(sandbox, sizeof sandbox, "context");
    atexit(remove_sandbox);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/contexts", sandbox);
    FUZZ_CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/contexts/meta", sandbox);
    FUZZ_CHECK(mkdir(path, 0700) == 0);
    /* only the sandbox decides: no address or context from the environment */
    setenv("DOCKER_CONFIG", sandbox, 1);
    unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_CONTEXT");
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_TLS");
    L = fuzz_lua_state("=fuzz_context", check_chunk, sizeof check_chunk - 1,
                       luaopen_luadock_core, &check_ref);
}

/* Writes file i's bytes, or removes it (data NULL). */
static void put(int i, const uint8_t *data, size_t len)
{
    char dir[PATH_MAX], path[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/contexts/meta/c%d", sandbox, i);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    if (!data) {
        unlink(path);
        rmdir(dir);
        return;
    }
    FUZZ_CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L)
        set_up();
    const uint8_t *p = data, *end = data + size;
    int i = 0;
    for (; i < MAX_FILES && p <= end; i++) {
        const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
        size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
        put(i, p, len);
        p += len + 1;
        if (!nul)
            break;
    }
    for (i++; i < MAX_FILES; i++)
        put(i, NULL, 0);
    /* libFuzzer's timeout alarm (SIGALRM, without SA_RESTART) would break
     * the read of the ls pipe that lists the contexts (files.lua) with EINTR,
     * which no luadock program sees (its own handlers are for SIGINT and
     * SIGTERM, which are meant to interrupt): held back while Lua runs,
     * delivered right after. */
    sigset_t alarm, old;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alarm, &old);
    lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
    int rc = lua_pcall(L, 0, 0, 0);
    if (rc != LUA_OK)
        fprintf(stderr, "fuzz_context: %s\n", lua_tostring(L, -1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    FUZZ_CHECK(rc == LUA_OK);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
