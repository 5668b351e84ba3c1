/* ljsontext.c - JSON text straight to Lua values, for the engine's answers.
 *
 * One pass over the text, no cJSON tree and no malloc per node: the Lua
 * values are made as the text is read. It accepts exactly what cJSON's parser
 * accepts and gives what ld_lua_push_json (ljson.c) gives for cJSON's tree of
 * the same text: the same leniency for numbers, a string cut at its first NUL
 * as a C string would be, duplicate keys where the last wins, the 1000-level
 * nesting limit, tables sized alike (so `#` with holes and the pairs order are
 * the same); tests/unit/test_jsontext.c holds the two paths side by side.
 * Values wait on the Lua stack until their table's size is known; nothing is
 * held outside Lua across a call that can raise, so a memory error halfway
 * leaks nothing. It must not grow rules of its own: STYLE.md's JSON rules
 * live in ljson.c.
 * Written by hand because no packaged library does this: cJSON only builds
 * its tree (two thirds of an inspect's client-side work went to building,
 * pushing and freeing it), and Debian's lua-cjson 2.1 gives null as a
 * sentinel value and every number as a float, against STYLE.md's nil and
 * integers.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "lbind.h"

/* JSON numbers are doubles (as cJSON reads them); an integral one in range
 * becomes a Lua integer. Shared with ljson.c. */
void ld_lua_push_json_number(lua_State *L, double d)
{
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(lua_Integer)d)
        lua_pushinteger(L, (lua_Integer)d);
    else
        lua_pushnumber(L, d);
}

#define NESTING_LIMIT 1000 /* cJSON's CJSON_NESTING_LIMIT */
#define HELD_MAX 256       /* values waiting on the stack before a table is made */

typedef struct decoder {
    lua_State *L;
    const char *p, *end;
    int depth;
    char point; /* the locale's decimal point, as cJSON's strtod needs it */
} decoder;

static int decode_value(decoder *d);

static void skip_space(decoder *d)
{
    while (d->p < d->end && (unsigned char)*d->p <= 32)
        d->p++;
}

static unsigned hex4(const char *s)
{
    unsigned h = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
        if (v == 16)
            return 0; /* as cJSON: a bad digit reads as \u0000 */
        h = (h << 4) | v;
    }
    return h;
}

/* \uXXXX (or a surrogate pair) at s, before end, as UTF-8 at out; returns
 * the escape's length, 0 when malformed. */
static int utf16_escape(const char *s, const char *end, char **out)
{
    if (end - s < 6)
        return 0;
    unsigned long cp = hex4(s + 2);
    int used = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - (s + 6) < 6 || s[6] != '\\' || s[7] != 'u')
            return 0;
        unsigned lo = hex4(s + 8);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
        used = 12;
    }
    unsigned char *o = (unsigned char *)*out;
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *out = (char *)o;
    return used;
}

static int decode_string(decoder *d)
{
    const char *s = d->p + 1, *q = s;
    int escaped = 0;
    while (q < d->end && *q != '"') {
        if (*q == '\\') {
            if (q + 1 >= d->end)
                return 0;
            q++;
            escaped = 1;
        }
        q++;
    }
    if (q >= d->end)
        return 0;
    d->p = q + 1;
    if (!escaped) {
        const char *nul = memchr(s, '\0', (size_t)(q - s));
        lua_pushlstring(d->L, s, (size_t)((nul ? nul : q) - s));
        return 1;
    }
    /* escapes only shrink the text: its length is room enough */
    luaL_Buffer b;
    char *start = luaL_buffinitsize(d->L, &b, (size_t)(q - s));
    char *o = start;
    while (s < q) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        int used = 2;
        switch (s[1]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case '"': case '\\': case '/': *o++ = s[1]; break;
        case 'u':
            used = utf16_escape(s, q, &o);
            if (!used)
                goto bad;
            break;
        default:
            goto bad;
        }
        s += used;
    }
    const char *nul = memchr(start, '\0', (size_t)(o - start));
    luaL_pushresultsize(&b, (size_t)((nul ? nul : o) - start));
    return 1;
bad:
    /* Close the buffer here: a long one is a to-be-closed box on the stack,
     * and Lua 5.4.4's lua_settop (our caller's clean-up) keeps a stale
     * stack pointer when closing it moves the stack, which left the stack
     * top garbage (found by tests/fuzz). luaL_pushresult closes it safely. */
    luaL_pushresultsize(&b, 0);
    lua_pop(d->L, 1);
    return 0;
}

static int decode_number(decoder *d)
{
    const char *p = d->p;
    size_t left = (size_t)(d->end - p), i = 0;
    /* the common case, a short plain integer, is exact without strtod */
    int neg = *p == '-';
    lua_Integer v = 0;
    for (i = (size_t)neg; i < left && i < 16 && p[i] >= '0' && p[i] <= '9'; i++)
        v = v * 10 + (p[i] - '0');
    if (i > (size_t)neg && i < 16 &&
        (i == left || !strchr("0123456789+-eE.", p[i]) || p[i] == '\0')) {
        lua_pushinteger(d->L, neg ? -v : v);
        d->p += i;
        return 1;
    }
    /* the whole run of number characters goes to strtod, however long */
    for (i = 0; i < left; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.'))
            break;
    }
    char small[64], *buf = i < sizeof small ? small : ld_malloc(i + 1);
    if (!buf)
        return 0;
    for (size_t k = 0; k < i; k++)
        buf[k] = p[k] == '.' ? d->point : p[k];
    buf[i] = '\0';
    char *after;
    double x = strtod(buf, &after);
    size_t took = (size_t)(after - buf);
    if (buf != small)
        free(buf);   /* before anything that can raise */
    if (!took)
        return 0;
    d->p += took;
    ld_lua_push_json_number(d->L, x);
    return 1;
}

/* How many more items or members follow in the array or object being read:
 * its commas at its own level up to its closing bracket. A size hint for a
 * table held values no longer fit on the stack for: sized as cJSON's count
 * sized it, the table keeps the same layout (its # border with holes, its
 * pairs order). Malformed text is the reader's business, not this one's. */
static size_t count_rest(const char *p, const char *end)
{
    size_t n = 0;
    int level = 0;
    while (p < end) {
        char c = *p++;
        if (c == '"') {
            while (p < end && *p != '"')
                p += *p == '\\' ? 2 : 1;
            p++;
        } else if (c == '[' || c == '{') {
            level++;
        } else if (c == ']' || c == '}') {
            if (level-- == 0)
                break;
        } else if (c == ',' && level == 0) {
            n++;
        }
    }
    return n;
}

/* The table at t takes the n values above it as items first..first+n-1. */
static void store_items(lua_State *L, int t, lua_Integer first, int n)
{
    for (int i = n; i > 0; i--)
        lua_rawseti(L, t, first + i - 1);
}

/* The table at t takes the n key/value pairs above it, in order (a later
 * duplicate key wins, as it did through cJSON). */
static void store_fields(lua_State *L, int t, int n)
{
    for (int i = 0; i < n; i++) {
        lua_pushvalue(L, t + 1 + 2 * i);
        lua_pushvalue(L, t + 2 + 2 * i);
        lua_rawset(L, t);
    }
    lua_settop(L, t);
}

static int decode_array(decoder *d)
{
    lua_State *L = d->L;
    if (d->depth >= NESTING_LIMIT)
        return 0;
    d->depth++;
    d->p++;
    skip_space(d);
    lua_pushnil(L); /* where the table goes */
    int t = lua_gettop(L), held = 0;
    lua_Integer stored = 0;
    if (d->p < d->end && *d->p == ']') {
        lua_createtable(L, 0, 0);
        luaL_setmetatable(L, LD_ARRAY_MT);
        lua_replace(L, t);
    } else {
        for (;;) {
            luaL_checkstack(L, 4, "JSON too deeply nested");
            skip_space(d);
            if (!decode_value(d))
                return 0;
            if (++held == HELD_MAX) {
                if (!stored) {
                    lua_createtable(L, (int)(held + count_rest(d->p, d->end)), 0);
                    lua_replace(L, t);
                }
                store_items(L, t, stored + 1, held);
                stored += held;
                held = 0;
            }
            skip_space(d);
            if (d->p < d->end && *d->p == ',') {
                d->p++;
                continue;
            }
            break;
        }
        if (d->p >= d->end || *d->p != ']')
            return 0;
        if (!stored) {
            lua_createtable(L, held, 0);
            lua_replace(L, t);
        }
        store_items(L, t, stored + 1, held);
    }
    d->p++;
    d->depth--;
    return 1;
}

static int decode_object(decoder *d)
{
    lua_State *L = d->L;
    if (d->depth >= NESTING_LIMIT)
        return 0;
    d->depth++;
    d->p++;
    skip_space(d);
    lua_pushnil(L); /* where the table goes */
    int t = lua_gettop(L), held = 0, made = 0;
    if (d->p < d->end && *d->p == '}') {
        lua_createtable(L, 0, 0);
        lua_replace(L, t);
    } else {
        for (;;) {
            luaL_checkstack(L, 6, "JSON too deeply nested");
            skip_space(d);
            if (d->p >= d->end || *d->p != '"' || !decode_string(d))
                return 0;
            skip_space(d);
            if (d->p >= d->end || *d->p != ':')
                return 0;
            d->p++;
            skip_space(d);
            if (!decode_value(d))
                return 0;
            if (++held == HELD_MAX) {
                if (!made) {
                    lua_createtable(L, 0, (int)(held + count_rest(d->p, d->end)));
                    lua_replace(L, t);
                    made = 1;
                }
                store_fields(L, t, held);
                held = 0;
            }
            skip_space(d);
            if (d->p < d->end && *d->p == ',') {
                d->p++;
                continue;
            }
            break;
        }
        if (d->p >= d->end || *d->p != '}')
            return 0;
        if (!made) {
            lua_createtable(L, 0, held);
            lua_replace(L, t);
        }
        store_fields(L, t, held);
    }
    d->p++;
    d->depth--;
    return 1;
}

static int decode_value(decoder *d)
{
    size_t left = (size_t)(d->end - d->p);
    if (!left)
        return 0;
    switch (*d->p) {
    case 'n':
        if (left < 4 || memcmp(d->p, "null", 4) != 0)
            return 0;
        lua_pushnil(d->L);
        d->p += 4;
        return 1;
    case 'f':
        if (left < 5 || memcmp(d->p, "false", 5) != 0)
            return 0;
        lua_pushboolean(d->L, 0);
        d->p += 5;
        return 1;
    case 't':
        if (left < 4 || memcmp(d->p, "true", 4) != 0)
            return 0;
        lua_pushboolean(d->L, 1);
        d->p += 4;
        return 1;
    case '"':
        return decode_string(d);
    case '[':
        return decode_array(d);
    case '{':
        return decode_object(d);
    default:
        return *d->p == '-' || (*d->p >= '0' && *d->p <= '9') ? decode_number(d) : 0;
    }
}

int ld_lua_push_json_text(lua_State *L, const char *text, size_t len, size_t *used)
{
    const struct lconv *lc = localeconv();
    decoder d = {L, text, text + len, 0, lc && lc->decimal_point ? lc->decimal_point[0] : '.'};
    int top = lua_gettop(L);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        d.p += 3;
    skip_space(&d);
    if (!decode_value(&d)) {
        lua_settop(L, top);
        return 0;
    }
    if (used)
        *used = (size_t)(d.p - text);
    return 1;
}
