/* program.h - what the parts of the luadock executable share: main.c (the
 * host: options, the protected call, error reports), repl.c (the loop),
 * complete.c (Tab candidates from Lua) and files.c (the files the program
 * ships beside itself). The line editor is not linked in: see lineedit.h.
 * Nothing here is part of luadock.core.
 */
#ifndef LUADOCK_PROGRAM_H
#define LUADOCK_PROGRAM_H

#include <stddef.h>
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

/* Tab completion (complete.c): candidates from the Lua function
 * luadock.text.complete.candidates, called under lua_pcall on the L given to
 * ld_complete_install. ld_complete_matches has lineedit.h's ld_complete_fn
 * shape: the readline match array for the word before point, or NULL. */
void ld_complete_install(lua_State *L);
extern const char ld_complete_word_breaks[];
char **ld_complete_matches(const char *line, size_t point, const char *word, int *reprep);

/* Read-eval-print until end of input. */
void ld_repl_run(lua_State *L);

/* files.c: the path of a file the program ships (a module it loads on
 * demand). Looked for first at build_rel under the folder of the running
 * executable (a build tree: build/luadock beside build/lua/...), then at
 * the absolute installed path. 0 with path filled, or -1 with path holding
 * a message naming both places. */
int ld_program_file(const char *build_rel, const char *installed, char *path, size_t size);

#endif
