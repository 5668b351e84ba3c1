/* files.c - where the program finds the modules it loads only when needed
 * (luadock.core_tar for tars, lineedit.so for the REPL's line editing).
 *
 * The same executable runs from the build tree (build/luadock, modules
 * under build/) and installed (modules under the install's lib folder,
 * compiled in), so the folder of /proc/self/exe is tried first and the
 * installed path second. It must not load anything itself.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "program.h"

int ld_program_file(const char *build_rel, const char *installed, char *path, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(path, size, "%s/%s", exe, build_rel) < size &&
                access(path, R_OK) == 0)
                return 0;
        }
    }
    if ((size_t)snprintf(path, size, "%s", installed) < size && access(path, R_OK) == 0)
        return 0;
    snprintf(path, size, "neither %s/%s nor %s exists", n > 0 ? exe : "(executable's folder)",
             build_rel, installed);
    return -1;
}
