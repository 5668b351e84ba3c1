/* fuzz_credhelper.c - libFuzzer target for what a docker-credential-* helper
 * prints (scripts/luadock/image/credentials.lua: helper_get, helper_list, and
 * the helper run by core.run_program, bindings/lprocess.c + core/process.c).
 * Each input is answered by a real program, docker-credential-luadock-fuzz
 * (credhelper_answer.c, the only program on PATH here), so the bytes go
 * through pipes, the output bound and the exit status as a user's helper's
 * do. Input: byte 0 picks the action (bit 0: get or list), how the helper
 * ends (bits 1-3: exit 0, 1, 0, 1, 2, 255, SIGTERM, SIGKILL) and the output
 * bound credentials.max_output (bits 4-7: n = 0 is the 64 KiB default, else
 * 8 n^2 bytes); byte 1 is how many bytes at the end go to stderr; the rest is
 * stdout. Properties, in Lua: a call returns (get: nil or credentials whose
 * fields are strings, for the asked registry; list: a table of strings to
 * strings) or raises a docker.Error of kind "auth" naming the helper, never a
 * Lua runtime error; only an answer that exited 0 within the bound gives
 * credentials; judging an answer takes under 2 s of CPU (a helper's time
 * is bounded, so what luadock does with its output must be too); the error
 * text is bounded; and the secret S3cr3t-fuzz appears in no error and no
 * credentials' tostring when the helper gave it as a secret: anywhere in an
 * answer that exited 0 or was over the bound, or in a "Secret" member of
 * either output after a failure. It must not contact an engine nor run any
 * program but the answering helper.
 */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "fuzz_lua.h"

int luaopen_luadock_core(lua_State *L);

#define SECRET "S3cr3t-fuzz"

static const char check_chunk[] =
    "local creds = require 'luadock.image.credentials'\n"
    "local errors = require 'luadock.base.errors'\n"
    "local SECRET, KEY = '" SECRET "', 'registry.fuzz.test:5000'\n"
    "local PROGRAM = 'docker-credential-luadock-fuzz'\n"
    "local LOST = {  -- run_program could not start it (a message of its own can say so too)\n"
    "  get = 'credential helper ' .. PROGRAM .. ' (registry ' .. KEY .. '): executable file not found in $PATH',\n"
    "  list = 'credential helper ' .. PROGRAM .. ': executable file not found in $PATH' }\n"
    "local function has(s, part) return s:find(part, 1, true) ~= nil end\n"
    "-- the helper gave SECRET as a secret: anywhere in an answer that exited 0\n"
    "-- or went over the bound (nothing of those is quoted), else in a\n"
    "-- \"Secret\" member of either output\n"
    "local function given(out, err, status, oversize)\n"
    "  if status == 0 or oversize then return has(out, SECRET) or has(err, SECRET) end\n"
    "  for _, text in ipairs{ out, err } do\n"
    "    for value in text:gmatch('\"Secret\"%s*:%s*\"([^\"]*)') do\n"
    "      if has(value, SECRET) then return true end\n"
    "    end\n"
    "  end\n"
    "  return false\n"
    "end\n"
    "return function(action, max_output, status, out, err)\n"
    "  creds.max_output = max_output\n"
    "  local oversize = #out > max_output or #err > max_output\n"
    "  local ok, v\n"
    "  local clock = os.clock()\n"
    "  if action == 'get' then ok, v = pcall(creds.helper_get, PROGRAM, KEY)\n"
    "  else ok, v = pcall(creds.helper_list, PROGRAM) end\n"
    "  clock = os.clock() - clock\n"
    "  assert(clock < 2, ('%d + %d bytes took %.1f s of CPU to judge'):format(#out, #err, clock))\n"
    "  if not ok then\n"
    "    assert(errors.is_error(v), action .. ' raised a Lua error: ' .. tostring(v))\n"
    "    local text = tostring(v)\n"
    "    assert(v.kind == 'auth', 'kind ' .. tostring(v.kind) .. ': ' .. text)\n"
    "    assert(v.message ~= LOST[action], 'the harness lost its helper: ' .. text)\n"
    "    assert(v.helper == PROGRAM and v.registry == (action == 'get' and KEY or nil),\n"
    "      'the error names the helper and the registry: ' .. text)\n"
    "    assert(#text <= 2000, 'an error of ' .. #text .. ' bytes')\n"
    "    if given(out, err, status, oversize) then\n"
    "      assert(not has(text, SECRET) and not has(v.message, SECRET), 'the secret is in: ' .. text)\n"
    "    end\n"
    "    return\n"
    "  end\n"
    "  assert(not oversize, 'an answer over max_output was taken')\n"
    "  if action == 'list' then\n"
    "    assert(status == 0 and type(v) == 'table', 'list gave ' .. type(v))\n"
    "    for k, u in pairs(v) do\n"
    "      assert(type(k) == 'string' and type(u) == 'string', 'list: not strings to strings')\n"
    "    end\n"
    "    return\n"
    "  end\n"
    "  if status ~= 0 then\n"
    "    assert(v == nil, 'credentials from a helper that failed')\n"
    "    return\n"
    "  end\n"
    "  if v == nil then return end\n"
    "  assert(creds.is_credentials(v), 'get gave a ' .. type(v))\n"
    "  assert(v.serveraddress == KEY, 'credentials for another registry')\n"
    "  local secret = v.password or v.identitytoken\n"
    "  assert(type(secret) == 'string', 'no secret')\n"
    "  assert((v.username == nil) == (v.password == nil) and (v.password == nil) ~= (v.identitytoken == nil),\n"
    "    'username with password, or an identity token alone')\n"
    "  assert(v.username == nil or type(v.username) == 'string', 'username')\n"
    "  local shown = tostring(v)\n"
    "  assert(type(shown) == 'string')\n"
    "  if has(secret, SECRET) and not has(v.username or '', SECRET) then\n"
    "    assert(not has(shown, SECRET), 'tostring shows the secret: ' .. shown)\n"
    "  end\n"
    "end\n";

static const struct {
    char kind;
    unsigned char value;
} endings[8] = {{'e', 0}, {'e', 1}, {'e', 0}, {'e', 1}, {'e', 2}, {'e', 255}, {'s', 15}, {'s', 9}};

static lua_State *L;
static int check_ref;
static char sandbox[PATH_MAX], answer[PATH_MAX];

static void remove_sandbox(void)
{
    unlink(answer);
    rmdir(sandbox);
}

static void set_up(void)
{
    fuzz_make_sandbox(sandbox, sizeof sandbox, "credhelper");
    snprintf(answer, sizeof answer, "%s/answer", sandbox);
    atexit(remove_sandbox);
    /* the helper (and nothing else) on PATH; it finds its answer here */
    setenv("PATH", LUADOCK_FUZZ_HELPERS_DIR, 1);
    setenv("LUADOCK_FUZZ_ANSWER", answer, 1);
    L = fuzz_lua_state("=fuzz_credhelper", check_chunk, sizeof check_chunk - 1,
                       luaopen_luadock_core, &check_ref);
}

/* memmem is one of the calls libFuzzer watches: the words a helper's answer
 * is judged by become candidates for its mutations. Nothing else. */
static volatile size_t hints_seen;

static void hint(const uint8_t *data, size_t size)
{
    static const char *const words[] = {SECRET, "\"Secret\"", "\"Username\"", "<token>",
                                        "credentials not found in native keychain"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        hints_seen += memmem(data, size, words[i], strlen(words[i])) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!L)
        set_up();
    int list = data[0] & 1;
    int end = (data[0] >> 1) & 7;
    int n = data[0] >> 4;
    lua_Integer max_output = n ? 8 * n * n : 64 * 1024;
    size_t err_len = data[1] < size - 2 ? data[1] : size - 2;
    const uint8_t *out = data + 2;
    size_t out_len = size - 2 - err_len;
    hint(out, out_len);

    FILE *f = fopen(answer, "wb");
    FUZZ_CHECK(f != NULL);
    unsigned char head[6] = {(unsigned char)endings[end].kind, endings[end].value,
                             (unsigned char)(out_len & 255), (unsigned char)(out_len >> 8 & 255),
                             (unsigned char)(out_len >> 16 & 255), (unsigned char)(out_len >> 24)};
    FUZZ_CHECK(fwrite(head, 1, sizeof head, f) == sizeof head);
    FUZZ_CHECK(fwrite(data + 2, 1, size - 2, f) == size - 2);
    FUZZ_CHECK(fclose(f) == 0);

    lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
    lua_pushstring(L, list ? "list" : "get");
    lua_pushinteger(L, max_output);
    if (endings[end].kind == 'e')
        lua_pushinteger(L, endings[end].value);
    else
        lua_pushnil(L);
    lua_pushlstring(L, (const char *)out, out_len);
    lua_pushlstring(L, (const char *)out + out_len, err_len);
    if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_credhelper: %s\n", lua_tostring(L, -1));
        FUZZ_CHECK(!"a credential helper property holds");
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
