/* alloc.h - the core's and the bindings' own allocation calls, in one place so
 * a test build can make them fail.
 *
 * In a normal build ld_malloc and friends are the C library's, nothing more.
 * With the CMake option LUADOCK_ALLOC_FAIL (tests/allocfail/) each one first
 * asks ld_alloc_fails(), which counts every allocation of the process (these,
 * the Lua state's, cJSON's and libcurl's: see ld_alloc_hook_libraries) and
 * fails the Nth and every one after it, N from $LUADOCK_ALLOC_FAIL_AT: the way
 * a real exhaustion looks, so every raise path of the bindings and the core
 * gets walked. $LUADOCK_ALLOC_FAIL_ONLY=c counts only luadock's own C
 * allocations (these and cJSON's) and fails the Nth alone: the program goes
 * on, so the error those paths return is what Lua sees. libcurl's are left
 * out there: libcurl 7.88 swallows some of its own failures (an attach sent
 * without its query string), which is not luadock's to test.
 * Frees stay plain free(). No Lua here: core/ is usable from C.
 */
#ifndef LUADOCK_ALLOC_H
#define LUADOCK_ALLOC_H

#include <stdlib.h>
#include <string.h>

#ifdef LUADOCK_ALLOC_FAIL
/* Counts one allocation; true when it must fail. */
int ld_alloc_fails(void);
/* The same for the Lua state's allocator (never fails with ONLY=c). */
int ld_alloc_fails_lua(void);
/* Routes cJSON's and libcurl's allocations through the counter; call once,
 * first thing in main (before any curl or cJSON use). 0 on success. */
int ld_alloc_hook_libraries(void);
void *ld_malloc(size_t n);
void *ld_calloc(size_t count, size_t n);
void *ld_realloc(void *p, size_t n);
char *ld_strdup(const char *s);
#else
#define ld_malloc malloc
#define ld_calloc calloc
#define ld_realloc realloc
#define ld_strdup strdup
#endif

#endif
