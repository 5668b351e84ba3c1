/* fuzz_untar.c - libFuzzer target for tar extraction and its path checks
 * (ld_tar_extract, core/tar/archive.c: clean_name, the rebasing under the
 * destination's real path, links, the rename options). The first byte picks
 * the options (bit 0: no_overwrite_dir_nondir, bit 1: rename "." to "new",
 * bit 2: rename "top" to "new"), the rest is the tar. Each input extracts
 * into a fresh folder "d1/d2/dest" inside a private sandbox folder beside an
 * empty folder "outside"; afterwards every level must hold only its one
 * folder and "outside" nothing (so a write through "..", a link or a symlink
 * up to three levels up shows), and the skipped count must be the sum of its
 * reasons. The sandbox is under
 * $TMPDIR (else /dev/shm or /tmp) and removed at exit. It must not touch
 * anything outside its sandbox, nor keep state between inputs besides it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "luadock.h"

static char sandbox[PATH_MAX];
static char dest[PATH_MAX];

/* Removes path and everything below it, making folders writable first (the
 * tar may set mode 000). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *dir = opendir(path);
        if (dir) {
            struct dirent *de;
            while ((de = readdir(dir)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                char sub[PATH_MAX];
                if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) < (int)sizeof sub)
                    remove_tree(sub);
            }
            closedir(dir);
        }
        FUZZ_CHECK(rmdir(path) == 0);
    } else {
        FUZZ_CHECK(unlink(path) == 0);
    }
}

static void remove_sandbox(void)
{
    if (sandbox[0])
        remove_tree(sandbox);
}

static void make_sandbox(void)
{
    fuzz_make_sandbox(sandbox, sizeof sandbox, "untar");
    atexit(remove_sandbox);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/outside", sandbox);
    FUZZ_CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/d1", sandbox);
    FUZZ_CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/d1/d2", sandbox);
    FUZZ_CHECK(mkdir(path, 0700) == 0);
    snprintf(dest, sizeof dest, "%s/d1/d2/dest", sandbox);
}

/* 1 when the folder sandbox+sub holds exactly the names a and b (either
 * may be NULL: one name, or none) */
static int holds_only(const char *sub, const char *a, const char *b)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", sandbox, sub);
    DIR *dir = opendir(path);
    FUZZ_CHECK(dir != NULL);
    int found = 0, others = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((a && strcmp(de->d_name, a) == 0) || (b && strcmp(de->d_name, b) == 0))
            found++;
        else
            others++;
    }
    closedir(dir);
    return !others && found == !!a + !!b;
}

static int sandbox_clean(void)
{
    return holds_only("", "d1", "outside") && holds_only("/d1", "d2", NULL) &&
           holds_only("/d1/d2", "dest", NULL) && holds_only("/outside", NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sandbox[0])
        make_sandbox();
    if (size == 0)
        return 0;
    ld_untar_opts opts = {0};
    opts.no_overwrite_dir_nondir = data[0] & 1;
    if (data[0] & 2) {
        opts.rename_from = ".";
        opts.rename_to = "new";
    } else if (data[0] & 4) {
        opts.rename_from = "top";
        opts.rename_to = "new";
    }
    FUZZ_CHECK(mkdir(dest, 0700) == 0);
    ld_untar_stats st;
    ld_error err;
    ld_error_clear(&err);
    int rc = ld_tar_extract((const char *)data + 1, size - 1, dest, &opts, &st, &err);
    if (rc != 0)
        FUZZ_CHECK(err.code == LD_E_PROTOCOL || err.code == LD_E_IO || err.code == LD_E_NOMEM);
    FUZZ_CHECK(st.skipped == st.devices + st.fifos + st.sockets + st.unsafe + st.other);
    FUZZ_CHECK(sandbox_clean());
    remove_tree(dest);
    return 0;
}
