/* repl.c - the interactive read-eval-print loop, with libedit for editing.
 *
 * As in lua.c: a line is first tried as `return <line>` so a bare expression
 * prints its value; an incomplete chunk continues on the next line; errors
 * print and the loop goes on; end of input (Ctrl-D) leaves. Values print
 * through luadock.pretty when that module exists, else with tostring.
 * History is kept in ~/.luadock_history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>
#include <lauxlib.h>
#include "repl.h"

#define EOF_MARK "<eof>"

static char history_path[1024];

static char *read_line(const char *prompt)
{
    return readline(prompt);
}

static int incomplete(lua_State *L, int status)
{
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        size_t lmark = sizeof(EOF_MARK) - 1;
        if (lmsg >= lmark && strcmp(msg + lmsg - lmark, EOF_MARK) == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

/* Try `return line`; on success the chunk is on the stack. */
static int try_return(lua_State *L, const char *line)
{
    const char *code = lua_pushfstring(L, "return %s;", line);
    int status = luaL_loadbuffer(L, code, strlen(code), "=stdin");
    lua_remove(L, -2);
    if (status != LUA_OK)
        lua_pop(L, 1);
    return status;
}

/* Load a statement, reading more lines while it is incomplete. The text
 * read so far is kept in `buf`. Returns -1 at end of input. */
static int load_statement(lua_State *L, luaL_Buffer *unused, char **text)
{
    (void)unused;
    char *line = read_line("> ");
    if (!line)
        return -1;
    if (try_return(L, line) == LUA_OK) {
        *text = line;
        return LUA_OK;
    }
    size_t len = strlen(line);
    char *acc = malloc(len + 1);
    if (!acc) {
        free(line);
        return -1;
    }
    memcpy(acc, line, len + 1);
    free(line);
    for (;;) {
        int status = luaL_loadbuffer(L, acc, strlen(acc), "=stdin");
        if (!incomplete(L, status)) {
            *text = acc;
            return status;
        }
        char *more = read_line(">> ");
        if (!more) {
            *text = acc;
            lua_pushliteral(L, "incomplete statement at end of input");
            return LUA_ERRSYNTAX;
        }
        size_t alen = strlen(acc), mlen = strlen(more);
        char *grown = realloc(acc, alen + mlen + 2);
        if (!grown) {
            free(more);
            *text = acc;
            lua_pushliteral(L, "out of memory");
            return LUA_ERRMEM;
        }
        acc = grown;
        acc[alen] = '\n';
        memcpy(acc + alen + 1, more, mlen + 1);
        free(more);
    }
}

static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0)
        return;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "luadock.pretty");
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1) &&
        lua_getfield(L, -1, "print") == LUA_TFUNCTION) {
        lua_remove(L, -2);
    } else {
        lua_settop(L, base + n);
        lua_getglobal(L, "print");
    }
    lua_insert(L, base + 1);
    ld_host_report(L, ld_host_docall(L, n, 0));
}

void ld_repl_run(lua_State *L)
{
    const char *home = getenv("HOME");
    if (home) {
        snprintf(history_path, sizeof history_path, "%s/.luadock_history", home);
        read_history(history_path);
    }
    for (;;) {
        int base = lua_gettop(L);
        char *text = NULL;
        int status = load_statement(L, NULL, &text);
        if (status == -1)
            break;
        if (text && *text)
            add_history(text);
        free(text);
        if (status == LUA_OK)
            status = ld_host_docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L, base);
        else
            ld_host_report(L, status);
        lua_settop(L, base);
    }
    if (history_path[0])
        write_history(history_path);
    fputc('\n', stdout);
}
