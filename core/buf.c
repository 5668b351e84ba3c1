/* buf.c - growable byte buffers, and percent-encoding for queries and paths.
 *
 * Pure helpers with no I/O; everything that builds a URL goes through
 * ld_query_add and ld_path_add_segment so that escaping lives in one place.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "luadock.h"
#include "alloc.h"

static int buf_reserve(ld_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = ld_realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ld_buf_append(ld_buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ld_buf_appends(ld_buf *b, const char *s)
{
    return ld_buf_append(b, s, strlen(s));
}

int ld_buf_appendf(ld_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void ld_buf_consume(ld_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

void ld_buf_free(ld_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int is_unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static int percent_encode(ld_buf *b, const char *s, size_t len, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_unreserved(ch) || (ch && strchr(keep, ch))) {
            if (ld_buf_append(b, &s[i], 1) != 0)
                return -1;
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            if (ld_buf_append(b, esc, 3) != 0)
                return -1;
        }
    }
    return 0;
}

int ld_query_add(ld_buf *query, const char *key, const char *value, size_t value_len)
{
    if (query->len && ld_buf_append(query, "&", 1) != 0)
        return -1;
    if (percent_encode(query, key, strlen(key), "") != 0 || ld_buf_append(query, "=", 1) != 0)
        return -1;
    return percent_encode(query, value, value_len, "");
}

/* Image names carry '/' and ':' (registry/repo:tag); the engine's router
 * matches them unescaped, as the docker CLI sends them. */
int ld_path_add_segment(ld_buf *path, const char *segment)
{
    if (ld_buf_append(path, "/", 1) != 0)
        return -1;
    return percent_encode(path, segment, strlen(segment), "/:@");
}
