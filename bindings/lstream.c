/* lstream.c - the luadock.stream userdata: logs, attach, progress and events.
 *
 * A stream reads body bytes from the core and decodes them incrementally
 * (multiplexed frames, or concatenated JSON values) into a small queue, then
 * hands out one item per read. Like liolib's files: the userdata exists with
 * its metatable before the C resource is attached, and one idempotent close
 * serves close(), __gc and __close, so `break` out of a for loop closes it.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "lbind.h"

#define READ_CHUNK 65536

typedef struct item {
    int id;           /* LD_STDOUT / LD_STDERR / LD_SYSERR; 0 for JSON */
    ld_buf data;
    cJSON *json;
} item;

typedef struct lstream {
    ld_stream *s;
    ld_stream_mode mode;
    ld_demux demux;
    ld_jsonsplit split;
    item *q;
    size_t head, count, cap;
    int ended;
} lstream;

static lstream *check_stream(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LD_STREAM_MT);
}

static item *queue_push(lstream *ls)
{
    if (ls->head + ls->count == ls->cap) {
        if (ls->head > 0) {
            memmove(ls->q, ls->q + ls->head, ls->count * sizeof *ls->q);
            ls->head = 0;
        } else {
            size_t cap = ls->cap ? ls->cap * 2 : 8;
            item *q = ld_realloc(ls->q, cap * sizeof *q);
            if (!q)
                return NULL;
            ls->q = q;
            ls->cap = cap;
        }
    }
    item *it = &ls->q[ls->head + ls->count++];
    memset(it, 0, sizeof *it);
    return it;
}

static void item_free(item *it)
{
    ld_buf_free(&it->data);
    cJSON_Delete(it->json);
    it->json = NULL;
}

/* Consecutive pieces of the same stream merge into one chunk. */
static int on_frame(void *ud, ld_stream_id id, const char *data, size_t len)
{
    lstream *ls = ud;
    item *last = ls->count ? &ls->q[ls->head + ls->count - 1] : NULL;
    if (!last || last->id != (int)id) {
        last = queue_push(ls);
        if (!last)
            return -1;
        last->id = (int)id;
    }
    return ld_buf_append(&last->data, data, len);
}

static int on_json(void *ud, cJSON *value)
{
    lstream *ls = ud;
    item *it = queue_push(ls);
    if (!it) {
        cJSON_Delete(value);
        return -1;
    }
    it->json = value;
    return 0;
}

/* Read from the core until the queue has an item, the end, or timeout.
 * Returns 1 with items, 0 at the end, -1 on error, -2 on timeout. */
static int fill(lstream *ls, double timeout, ld_error *err)
{
    static char chunk[READ_CHUNK];
    while (ls->count == 0) {
        if (ls->ended || !ls->s)
            return 0;
        ssize_t n = ld_stream_read(ls->s, chunk, sizeof chunk, timeout, err);
        if (n == -2 || n == -1)
            return (int)n;
        int rc = 0;
        if (n == 0) {
            ls->ended = 1;
            if (ls->mode == LD_MODE_MUX)
                rc = ld_demux_finish(&ls->demux, err);
            else if (ls->mode == LD_MODE_JSON)
                rc = ld_jsonsplit_finish(&ls->split, err);
        } else if (ls->mode == LD_MODE_MUX) {
            rc = ld_demux_feed(&ls->demux, chunk, (size_t)n, on_frame, ls, err);
        } else if (ls->mode == LD_MODE_JSON) {
            rc = ld_jsonsplit_feed(&ls->split, chunk, (size_t)n, on_json, ls, err);
        } else {
            rc = on_frame(ls, LD_STDOUT, chunk, (size_t)n);
        }
        if (rc != 0) {
            if (err->code == LD_OK)
                ld_error_set(err, LD_E_NOMEM, "out of memory");
            return -1;
        }
    }
    return 1;
}

static int stream_error(lua_State *L, ld_error *err)
{
    return ld_lua_push_error(L, err);
}

static int read_k(lua_State *L, int status, lua_KContext ctx);

/* Read the next item for s:read; the stack is [stream, timeout, until]
 * (until: the clock time the timeout ends, < 0 none). Inside a coroutine
 * the loop owns, waiting yields to the loop instead of blocking. */
static int read_step(lua_State *L, lua_KContext ctx)
{
    lstream *ls = check_stream(L, 1);
    ld_error err;
    ld_error_clear(&err);
    const char *abort = ld_lua_abort_message(L, 3);
    if (abort) {
        ld_error_set(&err, LD_E_CANCELED, "%s", abort);
        return stream_error(L, &err);
    }
    if (!ls->s)
        return luaL_error(L, "attempt to read a closed stream");
    double until = lua_tonumber(L, 3), now = ld_now();
    int rc;
    if (ld_lua_cooperative(L)) {
        rc = fill(ls, 0, &err);
        if (rc == -2 && (until < 0 || now < until))
            return ld_lua_yield_io(L, ld_stream_fd(ls->s), ctx, read_k);
    } else {
        rc = fill(ls, until < 0 ? -1 : until > now ? until - now : 0, &err);
    }
    if (rc == -2) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (rc == -1)
        return stream_error(L, &err);
    if (rc == 0) {
        lua_pushnil(L);
        return 1;
    }
    /* the item stays queued (the userdata's to free) until it is pushed:
     * a push that raises must not take it out of anyone's hands */
    item *it = &ls->q[ls->head];
    if (it->id == LD_SYSERR) {
        ld_error_set(&err, LD_E_HTTP, "error from daemon in stream: %.900s",
                     it->data.data ? it->data.data : "");
        err.status = 500;
        item_free(it);
        ls->head++;
        ls->count--;
        return stream_error(L, &err);
    }
    int n = 1;
    if (it->json) {
        ld_lua_push_json(L, it->json);
    } else {
        lua_pushstring(L, it->id == LD_STDERR ? "stderr" : "stdout");
        lua_pushlstring(L, it->data.data ? it->data.data : "", it->data.len);
        n = 2;
    }
    item_free(it);
    ls->head++;
    ls->count--;
    return n;
}

/* ctx 1: for s:iter(), where a failure raises (also after a yield, which
 * resumes here rather than in the caller) */
static int read_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int n = read_step(L, ctx);
    if (ctx == 1 && n == 4)
        return luaL_error(L, "%s", lua_tostring(L, -3));
    return n;
}

/* s:read([timeout]) -> "stdout"|"stderr", chunk | value | nil (end)
 *                     | false (timeout) | nil, msg, code, detail */
static int l_read(lua_State *L)
{
    lstream *ls = check_stream(L, 1);
    double timeout = luaL_optnumber(L, 2, -1);
    if (!ls->s)
        return luaL_error(L, "attempt to read a closed stream");
    lua_settop(L, 2);
    lua_pushnumber(L, timeout < 0 ? -1 : ld_now() + timeout);
    return read_k(L, LUA_OK, 0);
}

static ld_stream *check_open(lua_State *L)
{
    lstream *ls = check_stream(L, 1);
    if (!ls->s)
        luaL_error(L, "attempt to use a closed stream");
    return ls->s;
}

/* s:write(data) -> true | nil, msg, code, detail (hijacked streams only) */
static int l_write(lua_State *L)
{
    ld_stream *s = check_open(L);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    ld_error err;
    ld_error_clear(&err);
    if (ld_stream_write(s, data, len, &err) != 0)
        return ld_lua_push_error(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* s:close_write() -> true | nil, msg, code, detail (stdin EOF) */
static int l_close_write(lua_State *L)
{
    ld_stream *s = check_open(L);
    ld_error err;
    ld_error_clear(&err);
    if (ld_stream_close_write(s, &err) != 0)
        return ld_lua_push_error(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* s:status() -> HTTP status */
static int l_status(lua_State *L)
{
    lua_pushinteger(L, ld_stream_status(check_open(L)));
    return 1;
}

/* s:path_stat() -> the X-Docker-Container-Path-Stat header (base64 JSON) or "" */
static int l_path_stat(lua_State *L)
{
    lua_pushstring(L, ld_stream_path_stat(check_open(L)));
    return 1;
}

/* s:close() -> nothing; idempotent (also __gc and __close) */
static int l_close(lua_State *L)
{
    lstream *ls = check_stream(L, 1);
    ld_stream_close(ls->s);
    ls->s = NULL;
    while (ls->count) {
        item_free(&ls->q[ls->head++]);
        ls->count--;
    }
    free(ls->q);
    ls->q = NULL;
    ls->cap = ls->head = 0;
    ld_jsonsplit_free(&ls->split);
    return 0;
}

/* iterator step: raises on errors, since a for loop cannot see nil, msg */
static int l_iter_step(lua_State *L)
{
    lstream *ls = check_stream(L, 1);
    if (!ls->s)
        return luaL_error(L, "attempt to read a closed stream");
    lua_settop(L, 1);
    lua_pushnil(L);
    lua_pushnumber(L, -1);
    return read_k(L, LUA_OK, 1);
}

/* s:iter() -> step, s, nil, s  (the stream closes when the loop ends) */
static int l_iter(lua_State *L)
{
    check_open(L);
    lua_pushcfunction(L, l_iter_step);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_pushvalue(L, 1);
    return 4;
}

static int l_tostring(lua_State *L)
{
    lstream *ls = check_stream(L, 1);
    lua_pushfstring(L, "luadock.stream (%s)", ls->s ? "open" : "closed");
    return 1;
}

ld_stream **ld_lua_new_stream(lua_State *L, ld_stream_mode mode)
{
    lstream *ls = lua_newuserdatauv(L, sizeof *ls, 0);
    memset(ls, 0, sizeof *ls);
    luaL_setmetatable(L, LD_STREAM_MT);
    ls->mode = mode;
    ld_demux_init(&ls->demux);
    ld_jsonsplit_init(&ls->split);
    return &ls->s;
}

ld_stream *ld_lua_stream_of(lua_State *L, int idx)
{
    return check_stream(L, idx)->s;
}

int ld_lua_stream_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"read", l_read},   {"write", l_write}, {"close_write", l_close_write},
        {"status", l_status}, {"path_stat", l_path_stat}, {"close", l_close},
        {"iter", l_iter},   {NULL, NULL}};
    static const luaL_Reg meta[] = {
        {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    luaL_newmetatable(L, LD_STREAM_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    return 0;
}
