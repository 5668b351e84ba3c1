/* lineedit.c - lineedit.so: the REPL's line editing, history and Tab
 * completion over libedit's readline layer (see lineedit.h).
 *
 * A module of its own so that libedit and ncurses are mapped only when a
 * REPL opens on a terminal, never for a script. It only adapts libedit to
 * the table in lineedit.h: no Lua and no core here (the candidates come from
 * the program's callback), and nothing may longjmp across libedit.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <editline/readline.h>
#include "lineedit.h"

static ld_complete_fn completer;
static char word_breaks[64];

/* libedit finds the word before the cursor; the callback picks the
 * candidates for it. */
static char **complete_word(const char *word, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1;   /* never fall back to file names */
    if (!completer)
        return NULL;
    const char *line = rl_line_buffer ? rl_line_buffer : "";
    size_t point = rl_point > 0 ? (size_t)rl_point : 0, len = strlen(line);
    int reprep = 0;
    char **matches = completer(line, point < len ? point : len, word, &reprep);
    if (reprep)
        rl_prep_terminal(1);
    return matches;
}

static void le_init(const char *name, const char *breaks, ld_complete_fn complete)
{
    rl_readline_name = name;
    completer = complete;
    snprintf(word_breaks, sizeof word_breaks, "%s", breaks ? breaks : " \t\n");
    rl_basic_word_break_characters = word_breaks;
    rl_completer_word_break_characters = word_breaks;
    rl_attempted_completion_function = complete_word;
    rl_completion_append_character = '\0';
    rl_initialize();
}

static char *le_readline(const char *prompt)
{
    return readline(prompt);
}

static void le_add_history(const char *line)
{
    add_history(line);
}

static void le_history_load(const char *path, int max)
{
    stifle_history(max);
    if (path && *path)
        read_history(path);
}

static void le_history_save(const char *path)
{
    if (path && *path)
        write_history(path);
}

static void le_restore_terminal(void)
{
    rl_deprep_terminal();
}

const ld_lineedit *ld_lineedit_interface(void)
{
    static const ld_lineedit table = {
        LD_LINEEDIT_ABI, le_init, le_readline, le_add_history, le_history_load,
        le_history_save, le_restore_terminal};
    return &table;
}
