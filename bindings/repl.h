/* repl.h - the interactive loop, its completion, and the host helpers they
 * share with host.c. */
#ifndef LUADOCK_REPL_H
#define LUADOCK_REPL_H

#include <lua.h>

/* Run the function and its narg arguments below the top under the message
 * handler, with SIGINT turned into an error and a cancel of engine calls. */
int ld_host_docall(lua_State *L, int narg, int nres);
/* Print an error left by ld_host_docall on stderr; returns status. */
int ld_host_report(lua_State *L, int status);
/* The "chunk:line: " an error is placed at when the frame of the code that
 * made the failing call is gone, replaced by a tail call (the REPL runs a
 * line as `return <line>`); NULL: none. The string must outlive its use. */
void ld_host_set_where(const char *where);
/* Tab completion for readline (complete.c): candidates from the Lua
 * function luadock.text.complete.candidates, called under lua_pcall on L. */
void ld_complete_install(lua_State *L);
/* Read-eval-print until end of input. */
void ld_repl_run(lua_State *L);

#endif
