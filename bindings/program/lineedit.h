/* lineedit.h - the line editor's interface: what repl.c asks of
 * lineedit.so, the one file that links libedit.
 *
 * libedit (with ncurses behind it) is loaded only when a REPL opens on a
 * terminal: repl.c dlopens lineedit.so and takes the table below from
 * LD_LINEEDIT_SYMBOL. A missing or older module leaves the REPL reading
 * plain lines. The module knows neither Lua nor the core: completion
 * candidates come back through the callback the program passes in.
 */
#ifndef LUADOCK_LINEEDIT_H
#define LUADOCK_LINEEDIT_H

#include <stddef.h>

/* Bumped whenever the table changes, so an old module is refused. */
#define LD_LINEEDIT_ABI 1
#define LD_LINEEDIT_SYMBOL "ld_lineedit_interface"

/* Candidates for `word`, which ends at `point` in the line being edited:
 * readline's match array ([0] the common prefix, then the matches, then
 * NULL; all malloc'd, the editor frees them) or NULL. *reprep set: a
 * Ctrl-C arrived meanwhile and put the terminal in cooked mode; the editor
 * puts it back in raw mode. */
typedef char **(*ld_complete_fn)(const char *line, size_t point, const char *word,
                                 int *reprep);

typedef struct ld_lineedit {
    int abi;   /* LD_LINEEDIT_ABI */
    /* Set up for the terminal: the program's name, the characters that end
     * a word for completion, the completer (NULL: none). */
    void (*init)(const char *name, const char *word_breaks, ld_complete_fn complete);
    /* One edited line (malloc'd), or NULL at end of input or on Ctrl-C. */
    char *(*readline)(const char *prompt);
    void (*add_history)(const char *line);
    /* Keep at most max entries; read the history file (missing is fine). */
    void (*history_load)(const char *path, int max);
    void (*history_save)(const char *path);
    /* Put the terminal back as it was (at exit, whatever way out). */
    void (*restore_terminal)(void);
} ld_lineedit;

typedef const ld_lineedit *(*ld_lineedit_get_fn)(void);
const ld_lineedit *ld_lineedit_interface(void);

#endif
