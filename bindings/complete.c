/* complete.c - Tab completion for the REPL through libedit's readline layer.
 *
 * libedit finds the word before the cursor (word breaks below: `.`, `:` and
 * the characters of container and image names are part of a word) and asks
 * complete_word for replacements of it. The choice of candidates is Lua's:
 * luadock.text.complete.candidates(text_before_cursor, word) returns the list.
 * It runs under lua_pcall, so nothing longjmps across libedit, and a failure
 * of any kind offers no completion instead of printing an error.
 */
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>
#include "lbind.h"
#include "repl.h"

#define MAX_MATCHES 1000

static lua_State *complete_L;

/* Everything that ends a Lua name or a string's content. */
static const char word_breaks[] = " \t\n\"'`<>=;|&{}()[],+*%^~#!\\";

/* (line, word) -> array of strings: the candidates, validated and capped so
 * the unprotected part below reads them without any chance of an error. */
static int call_candidates(lua_State *L)
{
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

static char **complete_word(const char *word, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;   /* never fall back to file names */
    lua_State *L = complete_L;
    if (!L || !lua_checkstack(L, 8))
        return NULL;
    int top = lua_gettop(L);
    char **matches = NULL;
    lua_pushcfunction(L, call_candidates);
    size_t point = rl_point > 0 && rl_line_buffer ? (size_t)rl_point : 0;
    if (rl_line_buffer && point > strlen(rl_line_buffer))
        point = strlen(rl_line_buffer);
    lua_pushlstring(L, rl_line_buffer ? rl_line_buffer : "", point);
    lua_pushstring(L, word);
    if (lua_pcall(L, 2, 1, 0) == LUA_OK)
        matches = to_matches(L, -1);
    lua_settop(L, top);
    if (ld_cancel_requested()) {
        /* Ctrl-C while the engine was asked: libedit's signal handler put
         * the terminal in cooked mode and no read saw the signal; take it
         * as "never mind this completion" and keep editing the line */
        ld_cancel_reset();
        rl_prep_terminal(1);
        free_matches(matches);
        matches = NULL;
    }
    return matches;
}

void ld_complete_install(lua_State *L)
{
    complete_L = L;
    rl_basic_word_break_characters = word_breaks;
    rl_completer_word_break_characters = (char *)word_breaks;
    rl_attempted_completion_function = complete_word;
    rl_completion_append_character = '\0';
}
