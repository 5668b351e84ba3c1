/* alloc.c - the allocation-failure counter of LUADOCK_ALLOC_FAIL test builds
 * (core/alloc.h); empty in every other build.
 *
 * $LUADOCK_ALLOC_FAIL_AT=N fails the Nth allocation and all later ones (0 or
 * unset: none fail); with $LUADOCK_ALLOC_FAIL_ONLY=c, only the Nth of
 * luadock's own C allocations and cJSON's (the Lua state's and libcurl's are
 * neither counted nor failed). $LUADOCK_ALLOC_COUNT set: at exit, the number of
 * allocations made is written to stderr ("luadock-alloc-count: K"), which is
 * how tests/allocfail/ learns how far a script's allocations go. The tar
 * module (luadock/core_tar.so, loaded on demand) links a copy of the core
 * and so counts its few allocations apart, against the same N. Hand-written:
 * glibc's malloc hooks are gone, and a preloaded malloc would also fail the
 * allocations of libraries whose out-of-memory paths are not luadock's to test
 * (OpenSSL, libc's stdio).
 */
#include "alloc.h"

#ifdef LUADOCK_ALLOC_FAIL
#include <stdatomic.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

static atomic_long allocations;
static long fail_at = -1;      /* -1: not read from the environment yet */
static int c_only;             /* LUADOCK_ALLOC_FAIL_ONLY=c */

static void report_count(void)
{
    fprintf(stderr, "luadock-alloc-count: %ld\n", atomic_load(&allocations));
}

static void read_env(void)
{
    const char *s = getenv("LUADOCK_ALLOC_FAIL_AT");
    fail_at = s ? atol(s) : 0;
    const char *only = getenv("LUADOCK_ALLOC_FAIL_ONLY");
    c_only = only && strcmp(only, "c") == 0;
    if (getenv("LUADOCK_ALLOC_COUNT"))
        atexit(report_count);
}

int ld_alloc_fails(void)
{
    if (fail_at < 0)
        read_env();
    long n = atomic_fetch_add(&allocations, 1) + 1;
    return fail_at > 0 && (c_only ? n == fail_at : n >= fail_at);
}

int ld_alloc_fails_lua(void)
{
    if (fail_at < 0)
        read_env();
    return c_only ? 0 : ld_alloc_fails();
}

void *ld_malloc(size_t n)
{
    return ld_alloc_fails() ? NULL : malloc(n);
}

void *ld_calloc(size_t count, size_t n)
{
    return ld_alloc_fails() ? NULL : calloc(count, n);
}

void *ld_realloc(void *p, size_t n)
{
    return ld_alloc_fails() ? NULL : realloc(p, n);
}

char *ld_strdup(const char *s)
{
    return ld_alloc_fails() ? NULL : strdup(s);
}

/* libcurl's: counted and failed in the "all" mode only */
static void *curl_malloc(size_t n)
{
    return !c_only && ld_alloc_fails() ? NULL : malloc(n);
}

static void *curl_calloc(size_t count, size_t n)
{
    return !c_only && ld_alloc_fails() ? NULL : calloc(count, n);
}

static void *curl_realloc(void *p, size_t n)
{
    return !c_only && ld_alloc_fails() ? NULL : realloc(p, n);
}

static char *curl_strdup(const char *s)
{
    return !c_only && ld_alloc_fails() ? NULL : strdup(s);
}

int ld_alloc_hook_libraries(void)
{
    if (fail_at < 0)
        read_env();
    cJSON_Hooks hooks = {ld_malloc, free};
    cJSON_InitHooks(&hooks);
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_malloc, free, curl_realloc,
                                curl_strdup, curl_calloc) == CURLE_OK ? 0 : -1;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int ld_alloc_unused;
#endif
