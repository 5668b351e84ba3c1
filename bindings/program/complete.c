/* complete.c - Tab completion for the REPL: the candidates, from Lua.
 *
 * The line editor (lineedit.so) finds the word before the cursor (word
 * breaks: ld_complete_word_breaks; `.`, `:` and the characters of container
 * and image names are part of a word) and asks ld_complete_matches for
 * replacements of it. The choice of candidates is Lua's:
 * luadock.text.complete.candidates(text_before_cursor, word) returns the list.
 * It runs under lua_pcall, so nothing longjmps across libedit, and a failure
 * of any kind offers no completion instead of printing an error. No libedit
 * here: this file runs inside the editor's callback but does not link it.
 */
#include <stdlib.h>
#include <string.h>
#include "lbind.h"
#include "program.h"

#define MAX_MATCHES 1000

static lua_State *complete_L;

/* Everything that ends a Lua name or a string's content. */
const char ld_complete_word_breaks[] = " \t\n\"'`<>=;|&{}()[],+*%^~#!\\";

typedef struct request {
    const char *line, *word;
    size_t point;
} request;

/* (request) -> array of strings: the candidates, validated and capped so
 * the unprotected part below reads them without any chance of an error.
 * The strings are made here, under the pcall, as making one can raise. */
static int call_candidates(lua_State *L)
{
    const request *r = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushlstring(L, r->line, r->point);
    lua_pushstring(L, r->word);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "luadock.text.complete");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "candidates");
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    lua_newtable(L);
    if (!lua_istable(L, -2))
        return 1;
    lua_Integer n = 0, len = luaL_len(L, -2);
    for (lua_Integer i = 1; i <= len && n < MAX_MATCHES; i++) {
        if (lua_geti(L, -2, i) == LUA_TSTRING)
            lua_rawseti(L, -2, ++n);
        else
            lua_pop(L, 1);
    }
    return 1;
}

static void free_matches(char **m)
{
    for (size_t i = 0; m && m[i]; i++)
        free(m[i]);
    free(m);
}

/* readline's match array: [0] the longest common prefix, then the matches,
 * then NULL; all malloc'd, libedit frees them. */
static char **to_matches(lua_State *L, int idx)
{
    size_t n = (size_t)lua_rawlen(L, idx);
    if (n == 0)
        return NULL;
    char **m = calloc(n + 2, sizeof *m);
    if (!m)
        return NULL;
    size_t common = 0;
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i);
        m[i] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (!m[i])
            goto fail;
        if (i == 1) {
            common = strlen(m[1]);
        } else {
            size_t k = 0;
            while (k < common && m[1][k] == m[i][k])
                k++;
            common = k;
        }
    }
    m[0] = strndup(m[1], common);
    if (m[0])
        return m;
fail:
    for (size_t i = 0; i <= n; i++)
        free(m[i]);
    free(m);
    return NULL;
}

char **ld_complete_matches(const char *line, size_t point, const char *word, int *reprep)
{
    lua_State *L = complete_L;
    if (!L || !lua_checkstack(L, 8))
        return NULL;
    int top = lua_gettop(L);
    char **matches = NULL;
    request r = {line, word, point};
    lua_pushcfunction(L, call_candidates);
    lua_pushlightuserdata(L, &r);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK)
        matches = to_matches(L, -1);
    lua_settop(L, top);
    if (ld_cancel_requested()) {
        /* Ctrl-C while the engine was asked: libedit's signal handler put
         * the terminal in cooked mode and no read saw the signal; take it
         * as "never mind this completion" and keep editing the line */
        ld_cancel_reset();
        *reprep = 1;
        free_matches(matches);
        matches = NULL;
    }
    return matches;
}

void ld_complete_install(lua_State *L)
{
    complete_L = L;
}
