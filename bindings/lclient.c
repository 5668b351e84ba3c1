/* lclient.c - the luadock.client userdata and the Engine operations on it.
 *
 * Every operation in the core's tables becomes a method named by its
 * operationId, all served by one generic function (l_op): the ops have the
 * same shape (path arguments, optional body, query, call options), so one
 * careful argument checker serves them all instead of sixty copies. An
 * ordinary call is started, then driven by call_k, which blocks, or yields
 * to the event loop inside a coroutine the loop owns (lloop.c).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "lbind.h"

typedef struct lclient {
    ld_client *c;
} lclient;

static ld_client *check_client(lua_State *L, int idx)
{
    lclient *lc = luaL_checkudata(L, idx, LD_CLIENT_MT);
    if (!lc->c)
        luaL_error(L, "attempt to use a closed luadock client");
    return lc->c;
}

static const char *opt_string_field(lua_State *L, int idx, const char *field, const char *fn)
{
    const char *s = NULL;
    int t = lua_getfield(L, idx, field);
    if (t == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "bad argument #1 to '%s' (field '%s': string expected, got %s)", fn,
                   field, luaL_typename(L, -1));
    lua_pop(L, 1);
    return s;   /* still anchored in the options table */
}

/* The tls field of core.new: nil (the environment's rules), false (off)
 * or { ca=, cert=, key=, verify= } (on; verify defaults to true). The
 * table stays on the stack so its strings stay anchored. */
static void tls_field(lua_State *L, ld_tls_opts *tls)
{
    int t = lua_getfield(L, 1, "tls");
    if (t == LUA_TNIL)
        return;
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        tls->mode = LD_TLS_OFF;
        return;
    }
    if (t != LUA_TTABLE)
        luaL_error(L, "bad argument #1 to 'new' (field 'tls': false or table expected, got %s)",
                   t == LUA_TBOOLEAN ? "true" : luaL_typename(L, -1));
    int idx = lua_gettop(L);
    tls->mode = LD_TLS_ON;
    tls->ca = opt_string_field(L, idx, "ca", "new");
    tls->cert = opt_string_field(L, idx, "cert", "new");
    tls->key = opt_string_field(L, idx, "key", "new");
    t = lua_getfield(L, idx, "verify");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN)
        luaL_error(L, "bad argument #1 to 'new' (field 'tls.verify': boolean expected, got %s)",
                   luaL_typename(L, -1));
    tls->no_verify = t == LUA_TBOOLEAN && !lua_toboolean(L, -1);
    lua_pop(L, 1);
}

/* core.new{ host=, api_version=, timeout=, tls= } -> client | nil, msg, code, detail */
static int l_new(lua_State *L)
{
    ld_client_opts opts = {0};
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        opts.host = opt_string_field(L, 1, "host", "new");
        opts.api_version = opt_string_field(L, 1, "api_version", "new");
        tls_field(L, &opts.tls);
        if (lua_getfield(L, 1, "timeout") != LUA_TNIL) {
            if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0)
                return luaL_error(L, "bad argument #1 to 'new' (field 'timeout': positive "
                                  "number expected, got %s)", luaL_typename(L, -1));
            opts.timeout = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
    }
    lclient *lc = lua_newuserdatauv(L, sizeof *lc, 0);
    lc->c = NULL;
    luaL_setmetatable(L, LD_CLIENT_MT);
    ld_error err;
    ld_error_clear(&err);
    if (ld_client_new(&opts, &lc->c, &err) != 0)
        return ld_lua_push_error(L, &err);
    return 1;
}

/* cli:api_version() -> "1.41" | nil, msg, code, detail */
static int l_api_version(lua_State *L)
{
    ld_error err;
    ld_error_clear(&err);
    const char *v = ld_client_api_version(check_client(L, 1), &err);
    if (!v)
        return ld_lua_push_error(L, &err);
    lua_pushstring(L, v);
    return 1;
}

/* cli:host() -> "unix:///var/run/docker.sock" */
static int l_host(lua_State *L)
{
    lua_pushstring(L, ld_client_host(check_client(L, 1))->normalized);
    return 1;
}

/* cli:tls() -> nil (plain HTTP) | { ca=, cert=, key=, verify= } (the files in use) */
static int l_tls(lua_State *L)
{
    const ld_tls_opts *t = ld_client_tls(check_client(L, 1));
    if (!t)
        return 0;
    lua_createtable(L, 0, 4);
    const char *names[3] = {"ca", "cert", "key"};
    const char *files[3] = {t->ca, t->cert, t->key};
    for (int i = 0; i < 3; i++)
        if (files[i]) {
            lua_pushstring(L, files[i]);
            lua_setfield(L, -2, names[i]);
        }
    lua_pushboolean(L, !t->no_verify);
    lua_setfield(L, -2, "verify");
    return 1;
}

/* cli:timeout() -> seconds */
static int l_timeout(lua_State *L)
{
    lua_pushnumber(L, ld_client_timeout(check_client(L, 1)));
    return 1;
}

/* cli:close() -> nothing; idempotent (also __gc and __close) */
static int l_close(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LD_CLIENT_MT);
    ld_client_free(lc->c);
    lc->c = NULL;
    return 0;
}

static int l_tostring(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LD_CLIENT_MT);
    if (lc->c)
        lua_pushfstring(L, "luadock.client (%s)", ld_client_host(lc->c)->normalized);
    else
        lua_pushliteral(L, "luadock.client (closed)");
    return 1;
}

/* Whether ld_lua_to_json (doc, err) or the printing of doc failed for want
 * of memory: that is no bad argument, and is raised as what it is. */
static int json_oom(const cJSON *doc, const char *err)
{
    return doc != NULL || strncmp(err, "out of memory", 13) == 0 ||
           strcmp(err, "not enough memory") == 0;
}

/* Append one query value: booleans, numbers, strings as text, tables as
 * JSON, and an array of strings as the key repeated (the Engine's form for
 * list parameters such as `changes`). Returns -1 when memory ran out (the
 * caller raises): a value dropped silently would send the request without
 * it (a prune without its filters). */
static int add_query_value(lua_State *L, const ld_op *op, int arg, const char *key, ld_buf *q)
{
    /* q == NULL: only check (may raise); else only build (never raises). */
    size_t len;
    const char *s;
    char err[300];
    switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
        s = lua_toboolean(L, -1) ? "1" : "0";
        return q ? ld_query_add(q, key, s, 1) : 0;
    case LUA_TNUMBER:
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &len);
        return q ? ld_query_add(q, key, s, len) : 0;
    case LUA_TTABLE:
        if (strcmp(key, "filters") != 0 && lua_rawlen(L, -1) > 0 &&
            lua_type(L, -1) == LUA_TTABLE) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, i);
                if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
                    luaL_error(L, "bad argument #%d to '%s' (query '%s': item %d is a %s)", arg,
                               op->name, key, (int)i, luaL_typename(L, -1));
                s = lua_tolstring(L, -1, &len);
                if (q && ld_query_add(q, key, s, len) != 0)
                    return -1;
                lua_pop(L, 1);
            }
            return 0;
        } else {
            cJSON *doc = ld_lua_to_json(L, -1, err, sizeof err);
            char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
            int oom = !text && json_oom(doc, err);
            cJSON_Delete(doc);
            if (!text && !oom)
                luaL_error(L, "bad argument #%d to '%s' (query '%s': %s)", arg, op->name, key,
                           err);
            int rc = !text ? -1 : q ? ld_query_add(q, key, text, strlen(text)) : 0;
            cJSON_free(text);
            return rc;
        }
    default:
        luaL_error(L, "bad argument #%d to '%s' (query '%s': %s is not a query value)", arg,
                   op->name, key, luaL_typename(L, -1));
    }
    return 0;
}

/* -1: memory ran out (the caller returns push_nomem; the stack is left as it
 * was then) */
static int build_query(lua_State *L, int arg, const ld_op *op, ld_buf *q)
{
    if (lua_isnoneornil(L, arg))
        return 0;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, arg)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "bad argument #%d to '%s' (query keys must be strings)", arg,
                       op->name);
        const char *key = lua_tostring(L, -2);
        if (!q && !ld_op_has_query(op, key))
            luaL_error(L, "bad argument #%d to '%s' (unknown query parameter '%s')", arg,
                       op->name, key);
        if (add_query_value(L, op, arg, key, q) != 0)
            return -1;
        lua_pop(L, 1);
    }
    return 0;
}

typedef struct callopts {
    double timeout, deadline;
    int raw, hijack;
    const char *body_file;
    const char *stdin_data;
    size_t stdin_len;
    const char *headers[17];
} callopts;

static void read_callopts(lua_State *L, int arg, const ld_op *op, callopts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout = op->waits ? -1 : 0;
    if (lua_isnoneornil(L, arg))
        return;
    luaL_checktype(L, arg, LUA_TTABLE);
    int t = lua_getfield(L, arg, "timeout");
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        o->timeout = -1;
    else if (t == LUA_TNUMBER && lua_tonumber(L, -1) > 0)
        o->timeout = lua_tonumber(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "bad argument #%d to '%s' (field 'timeout': positive number or false "
                   "expected)", arg, op->name);
    if (lua_getfield(L, arg, "deadline") != LUA_TNIL) {
        if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) <= 0)
            luaL_error(L, "bad argument #%d to '%s' (field 'deadline': positive number "
                       "expected)", arg, op->name);
        o->deadline = lua_tonumber(L, -1);
    }
    lua_getfield(L, arg, "raw");
    o->raw = lua_toboolean(L, -1);
    lua_getfield(L, arg, "hijack");
    o->hijack = lua_toboolean(L, -1);
    o->body_file = opt_string_field(L, arg, "body_file", op->name);
    if (lua_getfield(L, arg, "stdin") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "bad argument #%d to '%s' (field 'stdin': string expected, got %s)",
                       arg, op->name, luaL_typename(L, -1));
        o->stdin_data = lua_tolstring(L, -1, &o->stdin_len);
        o->hijack = 1;
    }
    if (lua_getfield(L, arg, "headers") == LUA_TTABLE) {
        for (int i = 0; i < 16; i++) {
            if (lua_rawgeti(L, -1, i + 1) != LUA_TSTRING) {
                lua_pop(L, 1);
                break;
            }
            o->headers[i] = lua_tostring(L, -1);   /* anchored in the options table */
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 6);
}

/* Push what a finished ordinary call returns for this op; own holds the
 * response, so a push that raises frees it. */
static int push_response(lua_State *L, const ld_op *op, ld_lua_owned *own, const char *method,
                         const char *path)
{
    ld_response *resp = &own->resp;
    ld_error err;
    ld_error_clear(&err);
    if (op->resp == LD_RESP_JSON && resp->len > 0) {
        if (!ld_lua_push_json_text(L, resp->body, resp->len, NULL)) {
            ld_error_set(&err, LD_E_PROTOCOL, "malformed JSON from the engine: %.60s",
                         resp->body);
            ld_error_where(&err, method, path);
            ld_lua_owned_free(own);
            return ld_lua_push_error(L, &err);
        }
    } else if (op->resp == LD_RESP_TEXT) {
        lua_pushlstring(L, resp->body, resp->len);
    } else if (op->resp == LD_RESP_STAT) {
        lua_pushstring(L, resp->path_stat);
    } else {
        lua_pushboolean(L, 1);
    }
    ld_lua_owned_free(own);
    return 1;
}

static ld_stream_mode stream_mode(const ld_op *op, const callopts *o)
{
    return op->resp == LD_RESP_JSONLINES ? LD_MODE_JSON
         : op->resp == LD_RESP_RAW || o->raw ? LD_MODE_RAW : LD_MODE_MUX;
}

/* Open a hijacked stream (attach/exec with stdin): done here, blocking;
 * returns the number of results pushed. */
static int push_hijack(lua_State *L, ld_client *c, const ld_op *op, ld_request *req,
                       const callopts *o)
{
    ld_error err;
    ld_error_clear(&err);
    ld_stream **s = ld_lua_new_stream(L, stream_mode(op, o));
    int rc = ld_stream_open_hijack(c, req, s, &err);
    if (rc == 0 && o->stdin_data &&
        (ld_stream_write(*s, o->stdin_data, o->stdin_len, &err) != 0 ||
         ld_stream_close_write(*s, &err) != 0)) {
        ld_stream_close(*s);
        *s = NULL;
        rc = -1;
    }
    if (rc != 0) {
        lua_pop(L, 1);
        return ld_lua_push_error(L, &err);
    }
    return 1;
}

/* Wait for the response headers of the stream at stack index ctx, like
 * call_k waits for a call: block, or yield inside a loop task. */
static int open_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int idx = (int)ctx;
    ld_stream *s = ld_lua_stream_of(L, idx);
    ld_error err;
    ld_error_clear(&err);
    const char *abort = ld_lua_abort_message(L, idx);
    int rc = -1;
    if (abort)
        ld_error_set(&err, LD_E_CANCELED, "%s", abort);
    else
        rc = ld_stream_opening(s, ld_lua_cooperative(L) ? 0 : -1, &err);
    if (rc == 0)
        return ld_lua_yield_io(L, -1, ctx, open_k);
    if (rc == 1) {
        lua_settop(L, idx);
        return 1;
    }
    lua_getfield(L, idx, "close");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 0);
    return ld_lua_push_error(L, &err);
}

/* An ordinary call in flight: a to-be-closed userdata on the op's stack, so
 * the transfer is freed however the call ends (also when the loop closes a
 * coroutine that waits in it). */
typedef struct lcall {
    ld_call *call;
    ld_lua_owned done;     /* the response once the call hands it over */
    int turn_given;        /* yielded at least once (fairness, see call_k) */
    char method[8];
    char path[512];
} lcall;

static int l_call_close(lua_State *L)
{
    lcall *p = luaL_checkudata(L, 1, LD_CALL_MT);
    ld_call_free(p->call);
    p->call = NULL;
    ld_lua_owned_free(&p->done);
    return 0;
}

/* Drive the call whose lcall sits at stack index ctx: block, or (inside a
 * coroutine the loop owns) yield to the loop until the transfer has news.
 * A loop task yields at least once per call even when the engine answered
 * at once, so that every task gets its request out before any waits. */
static int call_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int idx = (int)ctx;
    lcall *p = lua_touserdata(L, idx);
    const ld_op *op = lua_touserdata(L, lua_upvalueindex(1));
    ld_error err;
    ld_error_clear(&err);
    const char *abort = ld_lua_abort_message(L, idx);
    int coop = !abort && ld_lua_cooperative(L);
    int rc = abort ? -1 : ld_call_step(p->call, coop ? 0 : -1, &err);
    if (rc == 0 || (rc == 1 && coop && !p->turn_given)) {
        p->turn_given = 1;
        return rc == 0 ? ld_lua_yield_io(L, -1, ctx, call_k) : lua_yieldk(L, 0, ctx, call_k);
    }
    if (abort) {
        ld_error_set(&err, LD_E_CANCELED, "%s", abort);
        ld_error_where(&err, p->method, p->path);
    }
    if (rc < 0) {
        ld_call_free(p->call);
        p->call = NULL;
        return ld_lua_push_error(L, &err);
    }
    /* the response goes straight into the call's userdata (p->done), which
     * frees it however this ends */
    ld_call *x = p->call;
    p->call = NULL;
    if (ld_call_finish(x, &p->done.resp, &err) != 0)
        return ld_lua_push_error(L, &err);
    return push_response(L, op, &p->done, p->method, p->path);
}

/* Start an ordinary call; the request may be freed once this returns 0. */
static int start_call(lua_State *L, ld_client *c, ld_request *req, ld_error *err)
{
    lcall *p = lua_newuserdatauv(L, sizeof *p, 0);
    memset(p, 0, sizeof *p);
    luaL_setmetatable(L, LD_CALL_MT);
    snprintf(p->method, sizeof p->method, "%s", req->method);
    snprintf(p->path, sizeof p->path, "%s", req->path);
    if (ld_call_start(c, req, &p->call, err) != 0)
        return -1;
    lua_toclose(L, -1);
    return 0;
}

/* Memory ran out while the request was being built: the same NOMEM failure
 * (nil, "out of memory", "NOMEM") as when the core runs out, never a "bad
 * argument" the caller did not make. */
static int push_nomem(lua_State *L, const ld_op *op)
{
    ld_error err;
    ld_error_clear(&err);
    ld_error_set(&err, LD_E_NOMEM, "out of memory");
    ld_error_where(&err, op->method, op->name);
    return ld_lua_push_error(L, &err);
}

/* cli:OP(pathargs..., [body], [query], [callopts]) -> result | nil, msg, code, detail */
static int l_op(lua_State *L)
{
    const ld_op *op = lua_touserdata(L, lua_upvalueindex(1));
    ld_client *c = check_client(L, 1);
    const char *args[4];
    int nargs = ld_op_path_arity(op), arg = 2;
    for (int i = 0; i < nargs && i < 4; i++)
        args[i] = luaL_checkstring(L, arg++);
    ld_request req = {.method = op->method};
    char err[300];
    int body_arg = op->body != LD_BODY_NONE ? arg++ : 0;
    int query_arg = arg++;
    /* arguments not given become nils, so that what is pushed below (the
     * request's holder, the results) is never read as an argument */
    lua_settop(L, arg);
    callopts o;
    read_callopts(L, arg, op, &o);
    double shield_end;
    if (ld_lua_shielded(L, &shield_end)) {   /* clean-up: not canceled, but bounded */
        double left = shield_end - ld_now();
        if (left <= 0) {
            ld_error late;
            ld_error_clear(&late);
            ld_error_set(&late, LD_E_TIMEOUT, "the clean-up's time limit has passed");
            ld_error_where(&late, op->method, op->name);
            return ld_lua_push_error(L, &late);
        }
        req.shielded = 1;
        if (o.deadline <= 0 || o.deadline > left)
            o.deadline = left;
    }
    /* every check that raises on bad input comes before anything is allocated */
    if (build_query(L, query_arg, op, NULL) != 0)
        return push_nomem(L, op);
    int json_body = body_arg && op->body == LD_BODY_JSON && !lua_isnoneornil(L, body_arg);
    if (json_body) {
        luaL_checktype(L, body_arg, LUA_TTABLE);
    } else if (body_arg && op->body == LD_BODY_TAR) {
        req.body = luaL_optlstring(L, body_arg, NULL, &req.body_len);
        req.content_type = "application/x-tar";
        req.body_file = o.body_file;
    }
    /* path (a), query (b) and the JSON body (text) until the request is made */
    ld_lua_owned *own = ld_lua_owned_push(L);
    if (build_query(L, query_arg, op, &own->b) != 0) {
        ld_lua_owned_free(own);
        return push_nomem(L, op);
    }
    if (json_body) {
        cJSON *doc = ld_lua_to_json(L, body_arg, err, sizeof err);
        own->text = doc ? cJSON_PrintUnformatted(doc) : NULL;
        int oom = !own->text && json_oom(doc, err);
        cJSON_Delete(doc);
        if (oom) {
            ld_lua_owned_free(own);
            return push_nomem(L, op);
        }
        if (!own->text)
            return luaL_error(L, "bad argument #%d to '%s' (body: %s)", body_arg, op->name, err);
        req.body = own->text;
        req.body_len = strlen(own->text);
    }
    ld_error perr;
    ld_error_clear(&perr);
    if (ld_op_path(op, args, nargs, &own->a, &perr) != 0) {
        if (perr.code != LD_E_NOMEM)
            return luaL_error(L, "bad argument #2 to '%s' (%s)", op->name, perr.message);
        ld_lua_owned_free(own);
        return push_nomem(L, op);
    }
    req.path = own->a.data;
    req.query = own->b.data;
    req.timeout = o.timeout;
    req.deadline = o.deadline;
    req.headers = o.headers;
    int streaming = op->resp == LD_RESP_MUX || op->resp == LD_RESP_JSONLINES ||
                    op->resp == LD_RESP_RAW;
    ld_error cerr;
    ld_error_clear(&cerr);
    int n;
    if (streaming && o.hijack) {
        n = push_hijack(L, c, op, &req, &o);
    } else if (streaming) {
        n = ld_stream_start(c, &req, ld_lua_new_stream(L, stream_mode(op, &o)), &cerr);
        if (n != 0)
            lua_pop(L, 1);
    } else {
        n = start_call(L, c, &req, &cerr);
    }
    /* the request is out (the core copied it); its holder stays on the
     * stack, empty, below the results */
    ld_lua_owned_free(own);
    if (streaming && o.hijack)
        return n;
    if (n != 0)
        return ld_lua_push_error(L, &cerr);
    return streaming ? open_k(L, LUA_OK, lua_gettop(L)) : call_k(L, LUA_OK, lua_gettop(L));
}

static void register_op(void *ud, const ld_op *op)
{
    lua_State *L = ud;
    lua_pushlightuserdata(L, (void *)op);
    lua_pushcclosure(L, l_op, 1);
    lua_setfield(L, -2, op->name);
}

int ld_lua_client_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"api_version", l_api_version}, {"host", l_host}, {"timeout", l_timeout},
        {"tls", l_tls},
        {"close", l_close}, {NULL, NULL}};
    static const luaL_Reg meta[] = {
        {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    luaL_newmetatable(L, LD_CALL_MT);
    lua_pushcfunction(L, l_call_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_call_close);
    lua_setfield(L, -2, "__close");
    lua_pop(L, 1);
    luaL_newmetatable(L, LD_CLIENT_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    ld_op_each(register_op, L);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_new);
    lua_setfield(L, -2, "new");
    return 0;
}
