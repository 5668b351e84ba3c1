/* fuzz_dockerignore.c - libFuzzer target for .dockerignore matching
 * (core/tar/dockerignore.c): the input's lines are patterns (at most 64) and
 * its last line the path, as the tar walk and core.ignore_match use them:
 * ld_ignore_check first, matching only when it accepts. Properties: answers
 * are 0 or 1, the same asked twice, and with no "!" exception a path under an
 * excluded clean one is excluded too (moby's parent rule). It must not keep state
 * between inputs.
 */
#include <string.h>
#include "fuzz.h"
#include "luadock.h"

#define MAX_LINES 64

/* A path as the tar walk makes them: relative, no empty, "." or ".." segment. */
static int is_clean(const char *path)
{
    if (!*path)
        return 0;
    for (const char *seg = path;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!end)
            return 1;
        seg = end + 1;
    }
}

/* The first character after leading white space: the matcher trims a line
 * (as the docker CLI does) before it looks for "!". */
static char first_char(const char *line)
{
    while (*line == ' ' || (*line >= '\t' && *line <= '\r'))
        line++;
    return *line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *lines[MAX_LINES + 2];
    size_t n = 0;
    int exceptions = 0;
    char *p = text;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (!nl || n == MAX_LINES)
            break;
        *nl = '\0';
        exceptions |= first_char(p) == '!';
        lines[n++] = p;
        p = nl + 1;
    }
    lines[n] = NULL;
    const char *path = p;   /* the rest (up to a NUL) */
    ld_error err;
    ld_error_clear(&err);
    if (ld_ignore_check(lines, &err) != 0) {
        FUZZ_CHECK(err.code == LD_E_ARG && err.message[0] != '\0');
        free(text);
        return 0;
    }
    int m = ld_ignore_match(lines, path);
    FUZZ_CHECK(m == 0 || m == 1);
    FUZZ_CHECK(ld_ignore_match(lines, path) == m);
    int d = ld_ignore_descend(lines, path);
    FUZZ_CHECK(d == 0 || d == 1);
    if (m && !exceptions && is_clean(path) && strlen(path) < 4000) {
        char child[4096];
        snprintf(child, sizeof child, "%s/x", path);
        FUZZ_CHECK(ld_ignore_match(lines, child) == 1);
    }
    free(text);
    return 0;
}
