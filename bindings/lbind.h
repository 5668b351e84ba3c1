/* lbind.h - what the binding files of luadock.core share.
 *
 * The bindings check arguments, fill core structs, call the core and push
 * results; URL building and status logic stay in core/.
 */
#ifndef LUADOCK_LBIND_H
#define LUADOCK_LBIND_H

#include <lauxlib.h>
#include <lua.h>
#include "luadock.h"

#define LD_CLIENT_MT "luadock.client"
#define LD_STREAM_MT "luadock.stream"
#define LD_ARRAY_MT "luadock.array"
#define LD_OBJECT_MT "luadock.object"

typedef enum { LD_MODE_MUX, LD_MODE_RAW, LD_MODE_JSON } ld_stream_mode;

/* ljson.c */
void ld_lua_push_json(lua_State *L, const cJSON *value);
/* Encode the value at idx; on failure returns NULL and raises nothing:
 * the message is written to errbuf. */
cJSON *ld_lua_to_json(lua_State *L, int idx, char *errbuf, size_t errlen);
int ld_lua_json_open(lua_State *L);

/* lclient.c */
int ld_lua_client_open(lua_State *L);
/* Push nil, message, code, detail; returns 4. */
int ld_lua_push_error(lua_State *L, const ld_error *err);

/* lstream.c */
void ld_lua_push_stream(lua_State *L, ld_stream *s, ld_stream_mode mode);
int ld_lua_stream_open(lua_State *L);

/* larchive.c: core.tar, core.untar, core.ignore_match into the table on top */
void ld_lua_archive_open(lua_State *L);

int luaopen_luadock_core(lua_State *L);

#endif
