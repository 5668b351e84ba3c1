/* floor_common.h — what the two C floors (floor.c, floor_flows.c) share: a
 * growing body buffer for libcurl's write callback, the monotonic clock and
 * the one way to fail. Header-only (static functions) so each floor still
 * builds with one cc command; it must stay libcurl + libc only.
 */
#ifndef FLOOR_COMMON_H
#define FLOOR_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

/* the program's name in failure messages; each floor sets it in main */
static const char *floor_name = "floor";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s%s%s\n", floor_name, what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* CURLOPT_WRITEFUNCTION: append to the buf in ud, kept NUL-terminated */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    size_t len = size * n;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + len + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return len;
}

#endif
