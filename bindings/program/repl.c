/* repl.c - the interactive read-eval-print loop.
 *
 * As in lua.c: a line is first tried as `return <line>` so a bare expression
 * prints its value; an incomplete chunk continues on the next line (prompt
 * ">> "); errors print and the loop goes on; end of input (Ctrl-D) leaves.
 * Values print through luadock.text.pretty when that module exists, else with
 * print. On a terminal, lines are edited by lineedit.so (libedit's readline
 * layer, loaded only now: a script never maps it; see lineedit.h), kept in a
 * history file ($LUADOCK_HISTORY, else ~/.luadock_history; written after
 * every statement, so any way out keeps it) and completed by complete.c.
 * Without that module the REPL still works, reading plain lines, after one
 * note saying so.
 * Ctrl-C at a prompt drops the line being typed; Ctrl-C while a statement
 * runs is main.c's business (ld_host_docall). Without a terminal, lines are
 * read plainly and there is no history. Nothing here may longjmp across
 * libedit: Lua runs only under lua_pcall.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lbind.h"
#include "lineedit.h"
#include "program.h"

#define EOF_MARK "<eof>"
#define HISTORY_MAX 1000

/* load_statement's results besides a lua_load status */
enum { READ_EOF = -1, READ_INTR = -2 };

static char history_path[4096];
static const ld_lineedit *editor;   /* lineedit.so, once loaded */
static int editing;   /* stdin is a terminal and editor is loaded */
static int as_return; /* the statement loaded is the one-line `return <line>` */

/* Ctrl-C while reading a line sets the cancel flag, which also stops an
 * engine call of a completion in progress (complete.c). */
static void on_prompt_sigint(int sig)
{
    (void)sig;
    ld_cancel();
}

/* Whatever ends the process (os.exit inside the REPL included) leaves the
 * terminal as it found it; readline restores it itself, this is a guard. */
static void restore_terminal(void)
{
    if (editing)
        editor->restore_terminal();
}

/* lineedit.so from the build tree or the install (kept loaded for good);
 * NULL, with one note on stderr, when it cannot be had. */
static const ld_lineedit *load_editor(void)
{
    static int tried;
    static const ld_lineedit *loaded;
    if (tried)
        return loaded;
    tried = 1;
    char path[4096];
    const char *why = path;
    if (ld_program_file(LUADOCK_BUILD_LIBDIR "/lineedit.so", LUADOCK_PKGLIBDIR "/lineedit.so",
                        path, sizeof path) == 0) {
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        void *sym = h ? dlsym(h, LD_LINEEDIT_SYMBOL) : NULL;
        ld_lineedit_get_fn get = NULL;
        memcpy(&get, &sym, sizeof get);   /* POSIX: a function's address, as data */
        const ld_lineedit *le = get ? get() : NULL;
        if (le && le->abi == LD_LINEEDIT_ABI)
            return loaded = le;
        why = h ? "lineedit.so is of another luadock version" : dlerror();
        if (h)
            dlclose(h);
    }
    fprintf(stderr, "luadock: no line editing, history or Tab completion (%s); "
                    "reading plain lines\n", why);
    return NULL;
}

static char *plain_read(const char *prompt)
{
    fputs(prompt, stdout);
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        clearerr(stdin);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[n - 1] = '\0';
    return line;
}

/* One line (malloc'd), or NULL at end of input or on Ctrl-C (*intr set).
 * SIGINT is caught only while reading: libedit's own handler puts the
 * terminal back, calls ours, and readline returns NULL. */
static char *read_line(const char *prompt, int *intr)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_sigint;
    sigemptyset(&sa.sa_mask);
    ld_cancel_reset();
    sigaction(SIGINT, &sa, &old);
    fflush(stdout);
    char *line = editing ? editor->readline(prompt) : plain_read(prompt);
    sigaction(SIGINT, &old, NULL);
    *intr = ld_cancel_requested();
    ld_cancel_reset();
    if (*intr) {
        free(line);
        line = NULL;
        fputc('\n', stdout);
        fflush(stdout);
    }
    return line;
}

static void remember(const char *line)
{
    if (editing && line[strspn(line, " \t")] != '\0')
        editor->add_history(line);
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

/* Reads and loads one statement, reading more lines while it is incomplete.
 * Returns the load status with the chunk (or the message) pushed, or
 * READ_EOF / READ_INTR with nothing pushed. End of input inside a statement
 * reports it as the syntax error it is, like lua.c. */
static int load_statement(lua_State *L)
{
    int intr;
    char *line = read_line("> ", &intr);
    if (!line)
        return intr ? READ_INTR : READ_EOF;
    remember(line);
    as_return = try_return(L, line) == LUA_OK;
    if (as_return) {
        free(line);
        return LUA_OK;
    }
    lua_pushstring(L, line);
    free(line);
    for (;;) {
        size_t len;
        const char *code = lua_tolstring(L, -1, &len);
        int status = luaL_loadbuffer(L, code, len, "=stdin");
        if (!incomplete(L, status)) {
            lua_remove(L, -2);
            return status;
        }
        char *more = read_line(">> ", &intr);
        if (!more) {
            if (intr) {
                lua_pop(L, 1);
                return READ_INTR;
            }
            code = lua_tolstring(L, -1, &len);
            status = luaL_loadbuffer(L, code, len, "=stdin");
            lua_remove(L, -2);
            return status;
        }
        remember(more);
        lua_pushliteral(L, "\n");
        lua_pushstring(L, more);
        free(more);
        lua_concat(L, 3);
    }
}

static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0)
        return;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "luadock.text.pretty");
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

/* docker.interactive = true, and `help` is docker.help when there is one;
 * done in Lua under pcall so a lazy or odd `docker` cannot break the REPL. */
static void mark_interactive(lua_State *L)
{
    static const char code[] =
        "local d = rawget(_G, 'docker')\n"
        "if type(d) == 'table' then\n"
        "  d.interactive = true\n"
        "  if rawget(_G, 'help') == nil and d.help ~= nil then help = d.help end\n"
        "end\n";
    if (luaL_loadbuffer(L, code, sizeof code - 1, "=repl") != LUA_OK ||
        lua_pcall(L, 0, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}

static void history_open(void)
{
    const char *env = getenv("LUADOCK_HISTORY"), *home = getenv("HOME");
    history_path[0] = '\0';
    if (env)   /* set but empty: no history file */
        snprintf(history_path, sizeof history_path, "%s", env);
    else if (home && *home)
        snprintf(history_path, sizeof history_path, "%s/.luadock_history", home);
    editor->history_load(history_path, HISTORY_MAX);
}

static void history_save(void)
{
    if (editing && history_path[0])
        editor->history_save(history_path);
}

void ld_repl_run(lua_State *L)
{
    static int atexit_done;
    editor = isatty(STDIN_FILENO) ? load_editor() : NULL;
    editing = editor != NULL;
    if (editing) {
        ld_complete_install(L);
        editor->init("luadock", ld_complete_word_breaks, ld_complete_matches);
        history_open();
        if (!atexit_done && atexit(restore_terminal) == 0)
            atexit_done = 1;
    }
    mark_interactive(L);
    for (;;) {
        int base = lua_gettop(L);
        int status = load_statement(L);
        if (status == READ_EOF)
            break;
        if (status == READ_INTR)
            continue;
        history_save();
        if (status == LUA_OK) {
            /* `return f(x)` is a tail call, so an error inside f finds no
             * frame of stdin; the statement is line 1 */
            ld_host_set_where(as_return ? "stdin:1: " : NULL);
            status = ld_host_docall(L, 0, LUA_MULTRET);
            ld_host_set_where(NULL);
        }
        if (status == LUA_OK)
            print_results(L, base);
        else
            ld_host_report(L, status);
        lua_settop(L, base);
        fflush(stdout);
    }
    history_save();
    fputc('\n', stdout);
    fflush(stdout);
}
