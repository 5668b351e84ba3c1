/* replay.c - the main() of the fuzz targets' replay programs: feeds every file
 * of the folders (or the files) named on the command line to the target's
 * LLVMFuzzerTestOneInput, once each, in name order, so the seed corpus and
 * every stored crashing input run under ctest with the normal compiler (and
 * the ASan build) without clang or libFuzzer. A target reports a broken
 * property by aborting, which fails the run; a missing folder is not an
 * error (a target may have no regressions yet), but no input at all is.
 * It must not fuzz, mutate or skip inputs: it is a plain replay.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional in a target, as in libFuzzer */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *p = realloc(data, cap *= 2);
            if (!p)
                free(data);
            data = p;
        }
    }
    fclose(f);
    if (!data) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return -1;
    }
    /* an exact-size copy, so ASan sees a read past the input's end */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    memcpy(exact, data, len);
    free(data);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns how many inputs ran, or -1. */
static long run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return run_file(path) == 0 ? 1 : -1;
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        /* dot files (.gitkeep) are not inputs */
        if (de->d_name[0] == '.')
            continue;
        if (count == cap) {
            char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
            if (!p)
                break;
            names = p;
        }
        if (!(names[count] = strdup(de->d_name)))
            break;
        count++;
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);
    long ran = 0;
    for (size_t i = 0; i < count; i++) {
        size_t need = strlen(path) + strlen(names[i]) + 2;
        char *full = malloc(need);
        long r = full ? run_path((snprintf(full, need, "%s/%s", path, names[i]), full)) : -1;
        free(full);
        free(names[i]);
        if (r < 0 || ran < 0)
            ran = -1;
        else
            ran += r;
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FOLDER|FILE...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        long r = run_path(argv[i]);
        if (r < 0) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        total += r;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    printf("replay: %ld inputs, no failure\n", total);
    return 0;
}
