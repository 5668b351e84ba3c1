/* lbind.h - what the binding files of luadock.core share.
 *
 * The bindings check arguments, fill core structs, call the core and push
 * results; URL building and status logic stay in core/.
 */
#ifndef LUADOCK_LBIND_H
#define LUADOCK_LBIND_H

#include <signal.h>
#include <lauxlib.h>
#include <lua.h>
#include "luadock.h"

#define LD_CLIENT_MT "luadock.client"
#define LD_STREAM_MT "luadock.stream"
#define LD_CALL_MT "luadock.call"
#define LD_ARRAY_MT "luadock.array"
#define LD_OBJECT_MT "luadock.object"

typedef enum { LD_MODE_MUX, LD_MODE_RAW, LD_MODE_JSON } ld_stream_mode;

/* ljson.c */
void ld_lua_push_json(lua_State *L, const cJSON *value);
/* Encode the value at idx; on failure returns NULL and raises nothing:
 * the message is written to errbuf. */
cJSON *ld_lua_to_json(lua_State *L, int idx, char *errbuf, size_t errlen);
int ld_lua_json_open(lua_State *L);

/* ljsontext.c: push the JSON value at the start of text (len bytes) as
 * ld_lua_push_json would push cJSON's tree of it, without building the tree;
 * returns 1, or 0 with nothing pushed when the text is malformed. *used (may
 * be NULL) gets how many bytes the value took. Holds nothing outside Lua: a
 * memory error raised inside leaks nothing. */
int ld_lua_push_json_text(lua_State *L, const char *text, size_t len, size_t *used);
/* A JSON number as STYLE.md says: an integer when integral and in range. */
void ld_lua_push_json_number(lua_State *L, double d);

/* lowned.c: what a binding holds across calls that can raise, anchored in
 * a userdata (liolib's order: the userdata first, then the resource). */
typedef struct ld_lua_owned {
    ld_buf a, b;          /* byte buffers (a request's path and query, a tar) */
    char *text;           /* a printed JSON body (cJSON_free) */
    ld_response resp;     /* a finished call's response */
} ld_lua_owned;
/* Push an empty ld_lua_owned whose __gc frees whatever it then holds. */
ld_lua_owned *ld_lua_owned_push(lua_State *L);
/* Free what it holds now; the userdata stays, empty. Never raises. */
void ld_lua_owned_free(ld_lua_owned *o);
/* Push nil, message, code, detail; returns 4. */
int ld_lua_push_error(lua_State *L, const ld_error *err);

/* lclient.c */
int ld_lua_client_open(lua_State *L);

/* lstream.c */
/* Push a luadock.stream userdata (metatable and __gc set) that owns no
 * stream yet, and return its slot: the caller opens the core stream into
 * it, and pops the userdata if that fails. */
ld_stream **ld_lua_new_stream(lua_State *L, ld_stream_mode mode);
/* The core stream of the luadock.stream at idx (NULL once closed). */
ld_stream *ld_lua_stream_of(lua_State *L, int idx);
int ld_lua_stream_open(lua_State *L);

/* lloop.c: cooperative waiting inside coroutines the event loop owns */
void ld_lua_loop_open(lua_State *L);
/* 1 when L is a coroutine of the loop that may yield here. */
int ld_lua_cooperative(lua_State *L);
/* Yield core.IO and fd (-1: a transfer of some client) to the loop;
 * resumes in k with ctx. */
int ld_lua_yield_io(lua_State *L, int fd, lua_KContext ctx, lua_KFunction k);
/* The abort message the loop resumed a waiting call with, or NULL (top is
 * the stack top before the yield). */
const char *ld_lua_abort_message(lua_State *L, int top);

/* lsignal.c: SIGINT/SIGTERM as a Lua error; shields for clean-up */
void ld_lua_signal_open(lua_State *L);
/* Catch SIGINT and SIGTERM for L's main thread / stop and forget them. */
void ld_lua_interrupts_arm(lua_State *L);
void ld_lua_interrupts_disarm(void);
/* Forget a caught signal and clear the cancel flag (the next chunk starts clean). */
void ld_lua_interrupts_reset(void);
/* Install handler for SIGINT and SIGTERM (each blocks both while it runs);
 * the previous actions go to old_int / old_term when not NULL. */
void ld_lua_catch_signals(void (*handler)(int), struct sigaction *old_int,
                          struct sigaction *old_term);
/* Push "SIGINT", "SIGTERM" or nil. */
void ld_lua_push_signal_name(lua_State *L, int sig);
/* Push the registry table at key (weak keys), made on first use. */
void ld_lua_weak_keys(lua_State *L, const void *key);
/* 1 when thread L is inside a shield; *deadline is its end (ld_now() seconds). */
int ld_lua_shielded(lua_State *L, double *deadline);

/* larchive.c is the module luadock.core_tar (luaopen_luadock_core_tar), built
 * on its own so that libarchive loads only when a tar is made or read; lcore.c
 * resolves core.tar, core.untar, core.path_type and core.ignore_match to it
 * on first use. */
#define LD_TAR_MODULE "luadock.core_tar"
int luaopen_luadock_core_tar(lua_State *L);

/* lprocess.c: core.run_program into the table on top */
void ld_lua_process_open(lua_State *L);

int luaopen_luadock_core(lua_State *L);

#endif
