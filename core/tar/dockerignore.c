/* dockerignore.c - .dockerignore matching with the semantics of moby's
 * patternmatcher (what the docker CLI uses for build contexts).
 *
 * A pattern is cleaned like Go's filepath.Clean (a leading "/" and "./" go,
 * "a//b/../c" becomes "a/c"); a leading "!" makes it an exception; the last
 * pattern that matches decides; a pattern that matches a parent folder of a
 * path matches the path too. Reading the file (comments, blank lines, the
 * BOM) is the Lua layer's job: this file sees pattern strings only.
 *
 * Write by hand only what no packaged library does: fnmatch(3) with
 * FNM_PATHNAME already matches "*", "?", "[...]" and "\x" without crossing
 * "/" (single segments), so a pattern is cut at each "**" and fnmatch
 * matches the pieces; only the "**" gaps (nothing, or any text ending in
 * "/"; at the end, anything) and moby's suffix rule ("**" followed by plain
 * text matches any path ending in that text) are handled here. Known
 * differences from moby's regexp translation, in patterns nobody writes on
 * purpose: "[!x]" negates (as "[^x]" does in both), and a "[...]" never
 * matches "/". Pure: no I/O, no allocation.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <string.h>
#include "luadock.h"

#define MAX_PATTERN 4096
#define MAX_PIECES 16

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Go's path.Clean on `in` into `out` (both slash-separated). Returns the
 * length, or -1 when it does not fit. */
static int clean_path(const char *in, size_t len, char *out, size_t cap)
{
    if (len + 2 > cap)
        return -1;
    int rooted = len > 0 && in[0] == '/';
    size_t o = 0, dotdot = 0;   /* dotdot: where ".." can no longer back up */
    if (rooted) {
        out[o++] = '/';
        dotdot = 1;
    }
    size_t i = rooted ? 1 : 0;
    while (i < len) {
        if (in[i] == '/') {
            i++;
        } else if (in[i] == '.' && (i + 1 == len || in[i + 1] == '/')) {
            i++;
        } else if (in[i] == '.' && in[i + 1] == '.' && (i + 2 == len || in[i + 2] == '/')) {
            i += 2;
            if (o > dotdot) {
                o--;
                while (o > dotdot && out[o] != '/')
                    o--;
            } else if (!rooted) {
                if (o > 0)
                    out[o++] = '/';
                out[o++] = '.';
                out[o++] = '.';
                dotdot = o;
            }
        } else {
            if ((rooted && o != 1) || (!rooted && o != 0))
                out[o++] = '/';
            while (i < len && in[i] != '/')
                out[o++] = in[i++];
        }
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return (int)o;
}

/* Clean one raw pattern the way the docker CLI reads .dockerignore and then
 * builds its matcher. Returns 1 (usable; *exception set), 0 (nothing to
 * match: blank) or -1 (too long, or a lone "!"). */
static int clean_pattern(const char *raw, char *out, size_t cap, int *exception)
{
    size_t len = strlen(raw);
    while (len && is_space(raw[len - 1]))
        len--;
    while (len && is_space(*raw)) {
        raw++;
        len--;
    }
    if (len == 0)
        return 0;
    *exception = raw[0] == '!';
    if (*exception) {
        raw++;
        len--;
        while (len && is_space(*raw)) {
            raw++;
            len--;
        }
        if (len == 0)
            return -1;
    }
    int n = clean_path(raw, len, out, cap);
    if (n < 0)
        return -1;
    if (n > 1 && out[0] == '/')
        memmove(out, out + 1, (size_t)n);   /* "/a" means "a" in a context */
    return 1;
}

/* A cleaned pattern cut at each "**" into pieces that fnmatch can take
 * (moby turns "**" into: nothing or any text ending in "/", and at the end
 * of the pattern into any text at all). */
typedef struct pattern {
    char buf[MAX_PATTERN];
    const char *piece[MAX_PIECES];
    size_t slashes[MAX_PIECES];   /* "/" in a piece = "/" in the text it matches */
    int n;            /* pieces; n - 1 "**" between them */
    int exception;
    int suffix;       /* moby's suffix match: "**" then text without wildcards */
} pattern;

static int has_wildcards(const char *s)
{
    return strpbrk(s, "*?[\\") != NULL;
}

/* 1 usable, 0 blank, -1 bad. */
static int load_pattern(const char *raw, pattern *p)
{
    int rc = clean_pattern(raw, p->buf, sizeof p->buf, &p->exception);
    if (rc <= 0)
        return rc;
    p->suffix = strncmp(p->buf, "**", 2) == 0 && !has_wildcards(p->buf + 2);
    p->n = 0;
    char *s = p->buf;
    p->piece[p->n++] = s;
    while (*s) {
        if (*s == '\\' && s[1]) {
            s += 2;
        } else if (s[0] == '*' && s[1] == '*') {
            if (p->n == MAX_PIECES)
                return -1;
            *s = '\0';
            s += 2;
            if (*s == '/')
                s++;   /* "**" eats the "/" after it */
            p->piece[p->n++] = s;
        } else {
            s++;
        }
    }
    for (int i = 0; i < p->n; i++) {
        p->slashes[i] = 0;
        for (const char *c = p->piece[i]; *c; c++)
            p->slashes[i] += *c == '/';
    }
    return 1;
}

/* fnmatch of `pat` against path[from, to) (FNM_PATHNAME: "*", "?" and
 * "[...]" never match "/"). */
static int fn_range(const char *pat, char *path, size_t from, size_t to)
{
    char saved = path[to];
    path[to] = '\0';
    int ok = fnmatch(pat, path + from, FNM_PATHNAME) == 0;
    path[to] = saved;
    return ok;
}

/* The (piece, start) pairs already known not to match, for one path and
 * length: without them a pattern of many "**" tries every way of cutting a
 * deep path again and again, exponential in the "**" count (tests/fuzz found
 * a 385-byte .dockerignore that took minutes); with them each pair is
 * tried once. */
typedef struct memo {
    uint64_t failed[MAX_PIECES][MAX_PATTERN / 64 + 1];
    size_t swept[MAX_PIECES];   /* piece i failed at every folder start after this */
} memo;

/* Pieces pi.. against path[from, len). Between two pieces the path may hold
 * nothing or anything that ends with "/"; after the last "**", anything. */
static int match_pieces(const pattern *p, int pi, char *path, size_t from, size_t len, memo *m)
{
    if (pi == p->n - 1)
        return fn_range(p->piece[pi], path, from, len);
    uint64_t bit = (uint64_t)1 << (from % 64);
    if (m->failed[pi][from / 64] & bit)
        return 0;
    int last_gap = pi + 1 == p->n - 1 && p->piece[pi + 1][0] == '\0';
    size_t seen = 0;
    for (size_t k = from; k <= len; k++) {
        /* wildcards never match "/": the piece's text has its slash count */
        if (k > from && path[k - 1] == '/')
            seen++;
        if (seen > p->slashes[pi])
            break;
        if (seen < p->slashes[pi] || !fn_range(p->piece[pi], path, from, k))
            continue;
        if (last_gap)
            return 1;   /* trailing "**": ".*" */
        /* The next piece starts right at k or at a folder start after it.
         * A sweep of the folder starts goes to the end of the path and, when
         * it fails, fails for every later k too: m->swept keeps where the
         * earliest failed sweep began, so each folder start is tried once
         * per piece. Without it the sweeps were quadratic in the path
         * (tests/fuzz: a 4 KB path with 600 folders took minutes). */
        if (match_pieces(p, pi + 1, path, k, len, m))
            return 1;
        for (size_t j = k + 1; j <= len && j <= m->swept[pi + 1]; j++)
            if (path[j - 1] == '/' && match_pieces(p, pi + 1, path, j, len, m))
                return 1;
        if (k < m->swept[pi + 1])
            m->swept[pi + 1] = k;
    }
    m->failed[pi][from / 64] |= bit;
    return 0;
}

/* One pattern against path[0, len). */
static int match_one(const pattern *p, char *path, size_t len)
{
    if (p->suffix) {   /* moby: HasSuffix, and "**" "/foo" also matches "foo" */
        const char *sfx = p->buf + 2;
        size_t n = strlen(sfx);
        if (n <= len && memcmp(path + len - n, sfx, n) == 0)
            return 1;
        return sfx[0] == '/' && n - 1 == len && memcmp(path, sfx + 1, len) == 0;
    }
    memo m;
    for (int i = 0; i < p->n; i++) {
        memset(m.failed[i], 0, (len / 64 + 1) * sizeof m.failed[i][0]);
        m.swept[i] = len;
    }
    return match_pieces(p, 0, path, 0, len, &m);
}

/* The pattern matches the path or one of its parent folders. */
static int matches_or_parent(const pattern *p, char *path)
{
    size_t len = strlen(path);
    if (match_one(p, path, len))
        return 1;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/' && match_one(p, path, i))
            return 1;
    return 0;
}

static int load_path(const char *path, char *out, size_t cap)
{
    while (*path == '/')
        path++;
    return clean_path(path, strlen(path), out, cap) < 0 ? -1 : 0;
}

int ld_ignore_match(const char *const *patterns, const char *path)
{
    if (!patterns || !path)
        return 0;
    char file[MAX_PATTERN];
    pattern p;
    if (load_path(path, file, sizeof file) != 0 || strcmp(file, ".") == 0)
        return 0;   /* the context itself is never excluded */
    int matched = 0;
    for (size_t i = 0; patterns[i]; i++) {
        if (load_pattern(patterns[i], &p) != 1)
            continue;
        /* an exception can only undo a match, a pattern only make one */
        if (p.exception != matched)
            continue;
        if (matches_or_parent(&p, file))
            matched = !p.exception;
    }
    return matched;
}

/* Could the exception match something strictly below `dir` (or one of its
 * parents, which re-includes its contents)? Conservative: any "**" may; else
 * segment by segment, only a segment that cannot match says no. */
static int may_reach_below(const pattern *p, const char *dir)
{
    if (p->n > 1 || p->suffix)
        return 1;
    const char *ps = p->buf, *ds = dir;
    char pseg[MAX_PATTERN], dseg[MAX_PATTERN];
    while (*ps && *ds) {
        size_t pn = strcspn(ps, "/"), dn = strcspn(ds, "/");
        memcpy(pseg, ps, pn);
        pseg[pn] = '\0';
        memcpy(dseg, ds, dn);
        dseg[dn] = '\0';
        if (fnmatch(pseg, dseg, 0) != 0)
            return 0;
        ps += pn + (ps[pn] == '/');
        ds += dn + (ds[dn] == '/');
    }
    return 1;
}

int ld_ignore_descend(const char *const *patterns, const char *dir)
{
    if (!patterns || !dir)
        return 0;
    char d[MAX_PATTERN];
    pattern p;
    if (load_path(dir, d, sizeof d) != 0)
        return 1;
    for (size_t i = 0; patterns[i]; i++)
        if (load_pattern(patterns[i], &p) == 1 && p.exception && may_reach_below(&p, d))
            return 1;
    return 0;
}

/* Go's filepath.Match syntax errors: an unclosed "[", a trailing "\". */
static int bad_glob(const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') {
            if (!*++s)
                return 1;
        } else if (*s == '[') {
            s++;
            if (*s == '^' || *s == '!')
                s++;
            if (*s == ']')
                s++;   /* a leading "]" is a member */
            while (*s && *s != ']')
                s += (*s == '\\' && s[1]) ? 2 : 1;
            if (!*s)
                return 1;
        }
    }
    return 0;
}

int ld_ignore_check(const char *const *patterns, ld_error *err)
{
    if (!patterns)
        return 0;
    for (size_t i = 0; patterns[i]; i++) {
        pattern p;
        int rc = load_pattern(patterns[i], &p);
        if (rc < 0 || (rc == 1 && bad_glob(patterns[i]))) {
            ld_error_set(err, LD_E_ARG, "bad .dockerignore pattern \"%.200s\"%s", patterns[i],
                         rc < 0 ? "" : " (unclosed \"[\" or trailing \"\\\")");
            return -1;
        }
    }
    return 0;
}
