/* test_demux.c - unit tests of the multiplexed stdout/stderr frame demuxer.
 *
 * Feeds a recorded-style stream (stdout and stderr frames, an empty frame, a
 * 100 KB frame, a type-0 frame) whole, byte by byte, split at every point into
 * two parts and at many points into three, and checks that the pieces come out
 * in order with identical per-stream contents whatever the split. Also checks
 * that truncation is reported at every prefix length, that unknown frame types
 * are protocol errors, that a header claiming 4 GiB is streamed through
 * without buffering, and that a callback's non-zero result stops feeding.
 * Pure: no engine, no Lua.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "luadock.h"

/* ---- building streams ------------------------------------------------- */

typedef struct frame {
    int type;          /* as written in the header */
    size_t off, len;   /* payload position in the stream */
} frame;

typedef struct stream {
    ld_buf bytes;
    frame frames[16];
    int nframes;
} stream;

static void add_frame(stream *s, int type, const void *payload, size_t len)
{
    unsigned char h[8] = {(unsigned char)type, 0, 0, 0, (unsigned char)(len >> 24),
                          (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                          (unsigned char)len};
    ld_buf_append(&s->bytes, h, sizeof h);
    frame *f = &s->frames[s->nframes++];
    f->type = type;
    f->off = s->bytes.len;
    f->len = len;
    ld_buf_append(&s->bytes, payload, len);
}

static ld_stream_id id_of(int type)
{
    return type == 2 ? LD_STDERR : type == 3 ? LD_SYSERR : LD_STDOUT;
}

#define BIG (100 * 1024)

/* The recorded-style stream; with_big adds the 100 KB frame. */
static void make_stream(stream *s, int with_big)
{
    static const char bin[] = {'b', 0, 'i', '\n', (char)0xff, 'n'};
    memset(s, 0, sizeof *s);
    add_frame(s, 1, "hello ", 6);
    add_frame(s, 2, "warning: low disk\n", 18);
    add_frame(s, 1, "", 0);
    add_frame(s, 0, "type zero is stdout\n", 20);
    add_frame(s, 2, "", 0);
    if (with_big) {
        char *big = malloc(BIG);
        for (size_t i = 0; i < BIG; i++)
            big[i] = (char)(i * 7 + i / 251);
        add_frame(s, 1, big, BIG);
        free(big);
    }
    add_frame(s, 2, "e", 1);
    add_frame(s, 1, bin, sizeof bin);
    add_frame(s, 2, "bye\n", 4);
}

/* Expected contents of one stream id, concatenated. */
static void expected_of(const stream *s, ld_stream_id id, ld_buf *out)
{
    for (int i = 0; i < s->nframes; i++)
        if (id_of(s->frames[i].type) == id)
            ld_buf_append(out, s->bytes.data + s->frames[i].off, s->frames[i].len);
}

/* Expected transcript: runs of one id merged, as "id:len;". */
static void expected_runs(const stream *s, ld_buf *out)
{
    int last = 0;
    size_t run = 0;
    for (int i = 0; i < s->nframes; i++) {
        int id = (int)id_of(s->frames[i].type);
        if (s->frames[i].len == 0)
            continue;
        if (id != last && run) {
            ld_buf_appendf(out, "%d:%zu;", last, run);
            run = 0;
        }
        last = id;
        run += s->frames[i].len;
    }
    if (run)
        ld_buf_appendf(out, "%d:%zu;", last, run);
}

/* ---- collecting what the demuxer hands out ---------------------------- */

typedef struct collect {
    ld_buf out[4];        /* by ld_stream_id */
    ld_buf runs;          /* "id:len;" with adjacent pieces of one id merged */
    int last_id;
    size_t run;
    int calls, empty_calls, bad_id;
    const char *lo, *hi;  /* the chunk being fed */
    int outside;          /* pieces not pointing into the chunk being fed */
    int stop_after;       /* return 7 from this call on (0: never) */
} collect;

static void collect_init(collect *c)
{
    memset(c, 0, sizeof *c);
}

static void collect_close(collect *c)
{
    if (c->run)
        ld_buf_appendf(&c->runs, "%d:%zu;", c->last_id, c->run);
    c->run = 0;
}

static void collect_free(collect *c)
{
    for (int i = 0; i < 4; i++)
        ld_buf_free(&c->out[i]);
    ld_buf_free(&c->runs);
}

static int on_piece(void *ud, ld_stream_id id, const char *data, size_t len)
{
    collect *c = ud;
    c->calls++;
    if (len == 0)
        c->empty_calls++;
    if (id != LD_STDOUT && id != LD_STDERR && id != LD_SYSERR) {
        c->bad_id++;
        return 0;
    }
    if (c->lo && (data < c->lo || data + len > c->hi))
        c->outside++;
    ld_buf_append(&c->out[id], data, len);
    if ((int)id != c->last_id && c->run) {
        ld_buf_appendf(&c->runs, "%d:%zu;", c->last_id, c->run);
        c->run = 0;
    }
    c->last_id = (int)id;
    c->run += len;
    return c->stop_after && c->calls >= c->stop_after ? 7 : 0;
}

static int feed(ld_demux *d, collect *c, const char *p, size_t n, ld_error *err)
{
    c->lo = p;
    c->hi = p + n;
    return ld_demux_feed(d, p, n, on_piece, c, err);
}

/* Feed the stream in parts cut at cuts[0..ncuts-1] (ascending). */
static int feed_split(const stream *s, const size_t *cuts, int ncuts, collect *c, ld_error *err)
{
    ld_demux d;
    ld_demux_init(&d);
    size_t at = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : s->bytes.len;
        int rc = feed(&d, c, s->bytes.data + at, end - at, err);
        if (rc != 0)
            return rc;
        at = end;
    }
    collect_close(c);
    return ld_demux_finish(&d, err);
}

/* 1 when c's output matches the stream's expected output exactly. */
static int matches(const stream *s, collect *c)
{
    int ok = c->bad_id == 0 && c->empty_calls == 0 && c->outside == 0;
    for (int id = LD_STDOUT; id <= LD_SYSERR; id++) {
        ld_buf want = {0};
        expected_of(s, (ld_stream_id)id, &want);
        ok = ok && want.len == c->out[id].len &&
             (want.len == 0 || memcmp(want.data, c->out[id].data, want.len) == 0);
        ld_buf_free(&want);
    }
    ld_buf runs = {0};
    expected_runs(s, &runs);
    ok = ok && runs.len == c->runs.len && memcmp(runs.data, c->runs.data, runs.len) == 0;
    ld_buf_free(&runs);
    return ok;
}

/* ---- a cheap checker for the 100 KB stream at every split point ------- */

/* Walks the expected payload bytes in stream order; every piece must be the
 * next bytes of the current frame with that frame's id. */
typedef struct cursor {
    const stream *s;
    int frame;
    size_t done;          /* bytes of the current frame already seen */
    int errors;
} cursor;

static int on_piece_cursor(void *ud, ld_stream_id id, const char *data, size_t len)
{
    cursor *k = ud;
    while (k->frame < k->s->nframes && k->done == k->s->frames[k->frame].len) {
        k->frame++;
        k->done = 0;
    }
    if (k->frame >= k->s->nframes || len == 0) {
        k->errors++;
        return 0;
    }
    const frame *f = &k->s->frames[k->frame];
    const char *want = k->s->bytes.data + f->off + k->done;
    if (id != id_of(f->type) || len > f->len - k->done ||
        (data != want && memcmp(data, want, len) != 0))
        k->errors++;
    k->done += len;
    return 0;
}

/* 1 when every frame was seen whole. */
static int cursor_complete(cursor *k)
{
    while (k->frame < k->s->nframes && k->done == k->s->frames[k->frame].len) {
        k->frame++;
        k->done = 0;
    }
    return k->frame == k->s->nframes && k->errors == 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_whole_and_bytewise(void)
{
    stream s;
    make_stream(&s, 1);
    ld_error err;
    ld_error_clear(&err);

    collect c;
    collect_init(&c);
    CHECK_INT_EQ(feed_split(&s, NULL, 0, &c, &err), 0);
    CHECK(matches(&s, &c));
    CHECK_INT_EQ(c.empty_calls, 0);
    CHECK_INT_EQ(c.outside, 0);       /* pieces point into the input: nothing buffered */
    /* spot checks of the actual bytes, not only of consistency */
    CHECK(c.out[LD_STDOUT].len == 6 + 20 + BIG + 6);
    CHECK(memcmp(c.out[LD_STDOUT].data, "hello type zero is stdout\n", 26) == 0);
    CHECK_STR_EQ(c.out[LD_STDERR].data, "warning: low disk\nebye\n");
    CHECK_INT_EQ(c.out[LD_SYSERR].len, 0);
    CHECK_STR_EQ(c.runs.data, "1:6;2:18;1:102420;2:1;1:6;2:4;");
    collect_free(&c);

    /* byte by byte: every piece is one byte, the result is the same */
    ld_demux d;
    ld_demux_init(&d);
    collect_init(&c);
    int rc = 0;
    for (size_t i = 0; i < s.bytes.len && rc == 0; i++)
        rc = feed(&d, &c, s.bytes.data + i, 1, &err);
    collect_close(&c);
    CHECK_INT_EQ(rc, 0);
    CHECK_INT_EQ(ld_demux_finish(&d, &err), 0);
    CHECK(matches(&s, &c));
    CHECK_INT_EQ(c.calls, 6 + 18 + 20 + BIG + 1 + 6 + 4);
    collect_free(&c);
    ld_buf_free(&s.bytes);
}

/* Small stream: every two-part and every three-part split, outputs compared
 * byte for byte. */
static void test_small_every_split(void)
{
    stream s;
    make_stream(&s, 0);
    ld_error err;
    ld_error_clear(&err);
    size_t n = s.bytes.len;
    int bad2 = 0, bad3 = 0, count3 = 0;
    for (size_t i = 0; i <= n; i++) {
        collect c;
        collect_init(&c);
        size_t cuts[1] = {i};
        if (feed_split(&s, cuts, 1, &c, &err) != 0 || !matches(&s, &c))
            bad2++;
        collect_free(&c);
        for (size_t j = i; j <= n; j++) {
            size_t cuts3[2] = {i, j};
            collect_init(&c);
            if (feed_split(&s, cuts3, 2, &c, &err) != 0 || !matches(&s, &c))
                bad3++;
            count3++;
            collect_free(&c);
        }
    }
    CHECK_INT_EQ(bad2, 0);
    CHECK_INT_EQ(bad3, 0);
    CHECK(count3 > 1000);
    ld_buf_free(&s.bytes);
}

/* The stream with the 100 KB frame at every two-part split, and a sample of
 * three-part splits. */
static void test_big_every_split(void)
{
    stream s;
    make_stream(&s, 1);
    ld_error err;
    ld_error_clear(&err);
    size_t n = s.bytes.len;
    int bad = 0;
    for (size_t i = 0; i <= n; i++) {
        ld_demux d;
        ld_demux_init(&d);
        cursor k = {&s, 0, 0, 0};
        int rc = ld_demux_feed(&d, s.bytes.data, i, on_piece_cursor, &k, &err);
        if (rc == 0)
            rc = ld_demux_feed(&d, s.bytes.data + i, n - i, on_piece_cursor, &k, &err);
        if (rc != 0 || ld_demux_finish(&d, &err) != 0 || !cursor_complete(&k))
            bad++;
    }
    CHECK_INT_EQ(bad, 0);

    /* three parts: cuts near every frame boundary plus pseudo-random ones */
    size_t points[64];
    int np = 0;
    for (int f = 0; f < s.nframes && np < 56; f++) {
        size_t b = s.frames[f].off;   /* just after the header */
        points[np++] = b - 8;
        points[np++] = b - 3;
        points[np++] = b + (s.frames[f].len ? 1 : 0);
    }
    uint32_t seed = 12345;
    while (np < 64) {
        seed = seed * 1103515245u + 12345u;
        points[np++] = (seed >> 8) % (n + 1);
    }
    int bad3 = 0, count = 0;
    for (int a = 0; a < np; a++)
        for (int b = 0; b < np; b++) {
            if (points[a] > points[b])
                continue;
            size_t cuts[2] = {points[a], points[b]};
            collect c;
            collect_init(&c);
            if (feed_split(&s, cuts, 2, &c, &err) != 0 || !matches(&s, &c))
                bad3++;
            count++;
            collect_free(&c);
        }
    CHECK_INT_EQ(bad3, 0);
    CHECK(count > 500);
    ld_buf_free(&s.bytes);
}

/* 1 if the stream ends cleanly after exactly p bytes. */
static int is_boundary(const stream *s, size_t p)
{
    if (p == 0)
        return 1;
    for (int i = 0; i < s->nframes; i++)
        if (s->frames[i].off + s->frames[i].len == p)
            return 1;
    return 0;
}

static void test_truncation(void)
{
    stream s;
    make_stream(&s, 1);
    ld_error err;
    size_t n = s.bytes.len;

    /* every prefix length, by one demuxer fed byte by byte (finish is const) */
    ld_demux d;
    ld_demux_init(&d);
    int bad = 0, boundaries = 0;
    cursor k = {&s, 0, 0, 0};
    for (size_t p = 0; p <= n; p++) {
        if (p > 0 && ld_demux_feed(&d, s.bytes.data + p - 1, 1, on_piece_cursor, &k, &err) != 0)
            bad++;
        ld_error_clear(&err);
        int rc = ld_demux_finish(&d, &err);
        if (is_boundary(&s, p)) {
            boundaries++;
            bad += rc != 0 || err.code != LD_OK;
        } else {
            bad += rc != -1 || err.code != LD_E_TRUNCATED;
        }
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(boundaries, s.nframes + 1);
    CHECK(cursor_complete(&k));

    /* every prefix of the small stream, each fed whole to a fresh demuxer */
    stream small;
    make_stream(&small, 0);
    bad = 0;
    for (size_t p = 0; p <= small.bytes.len; p++) {
        ld_demux_init(&d);
        collect c;
        collect_init(&c);
        ld_error_clear(&err);
        if (feed(&d, &c, small.bytes.data, p, &err) != 0)
            bad++;
        int rc = ld_demux_finish(&d, &err);
        if (is_boundary(&small, p))
            bad += rc != 0;
        else
            bad += rc != -1 || err.code != LD_E_TRUNCATED;
        collect_free(&c);
    }
    CHECK_INT_EQ(bad, 0);

    /* the message says where: inside a header, inside a payload */
    ld_demux_init(&d);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_demux_feed(&d, "\x01\0\0", 3, on_piece_cursor, &k, &err), 0);
    CHECK_INT_EQ(ld_demux_finish(&d, &err), -1);
    CHECK_INT_EQ(err.code, LD_E_TRUNCATED);
    CHECK(strstr(err.message, "header") != NULL);

    ld_demux_init(&d);
    ld_error_clear(&err);
    collect c;
    collect_init(&c);
    CHECK_INT_EQ(feed(&d, &c, "\x02\0\0\0\0\0\0\x05" "abc", 11, &err), 0);
    CHECK_STR_EQ(c.out[LD_STDERR].data, "abc");   /* what did arrive is handed out */
    CHECK_INT_EQ(ld_demux_finish(&d, &err), -1);
    CHECK_INT_EQ(err.code, LD_E_TRUNCATED);
    CHECK(strstr(err.message, "payload") != NULL);
    collect_free(&c);
    ld_buf_free(&s.bytes);
    ld_buf_free(&small.bytes);
}

static void test_bad_type(void)
{
    static const int types[] = {4, 5, 127, 128, 255};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        ld_demux d;
        ld_error err;
        collect c;
        ld_demux_init(&d);
        ld_error_clear(&err);
        collect_init(&c);
        char bytes[32];
        memcpy(bytes, "\x01\0\0\0\0\0\0\x02ok", 10);
        bytes[10] = (char)types[t];
        memcpy(bytes + 11, "\0\0\0\0\0\0\x03xyz", 10);
        CHECK_INT_EQ(feed(&d, &c, bytes, 21, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_PROTOCOL);
        CHECK_STR_EQ(c.out[LD_STDOUT].data, "ok");   /* frames before it were handed out */
        CHECK_INT_EQ(c.calls, 1);                    /* nothing of the bad frame */
        collect_free(&c);

        /* the same with the bad header arriving byte by byte */
        ld_demux_init(&d);
        ld_error_clear(&err);
        collect_init(&c);
        int rc = 0;
        size_t i;
        for (i = 0; i < 21 && rc == 0; i++)
            rc = feed(&d, &c, bytes + i, 1, &err);
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(i, 18);                         /* failed on the header's last byte */
        CHECK_INT_EQ(err.code, LD_E_PROTOCOL);
        CHECK(strstr(err.message, "type") != NULL);
        collect_free(&c);
    }

    /* type 3 is a system error stream, not a protocol error */
    ld_demux d;
    ld_error err;
    collect c;
    ld_demux_init(&d);
    ld_error_clear(&err);
    collect_init(&c);
    CHECK_INT_EQ(feed(&d, &c, "\x03\0\0\0\0\0\0\x04oops", 12, &err), 0);
    CHECK_STR_EQ(c.out[LD_SYSERR].data, "oops");
    CHECK_INT_EQ(ld_demux_finish(&d, &err), 0);
    collect_free(&c);
}

/* A header claiming 4 GiB - 1 with a short payload: what arrives is passed
 * straight through (pieces point into the caller's chunk), so no allocation
 * of the claimed size can happen; the end is reported as truncated. */
static void test_huge_claim(void)
{
    ld_demux d;
    ld_error err;
    collect c;
    ld_demux_init(&d);
    ld_error_clear(&err);
    collect_init(&c);
    CHECK_INT_EQ(feed(&d, &c, "\x01\0\0\0\xff\xff\xff\xff", 8, &err), 0);
    CHECK_INT_EQ(c.calls, 0);
    CHECK(d.remaining == 0xffffffffu);
    static char chunk[1 << 16];
    memset(chunk, 'z', sizeof chunk);
    size_t total = 0;
    for (int i = 0; i < 32; i++) {
        CHECK_INT_EQ(feed(&d, &c, chunk, sizeof chunk, &err), 0);
        total += sizeof chunk;
        CHECK(c.out[LD_STDOUT].len == total);   /* handed out as it arrives */
    }
    CHECK_INT_EQ(c.outside, 0);
    CHECK(d.remaining == 0xffffffffu - total);
    CHECK_INT_EQ(ld_demux_finish(&d, &err), -1);
    CHECK_INT_EQ(err.code, LD_E_TRUNCATED);
    collect_free(&c);
}

static void test_callback_stops(void)
{
    stream s;
    make_stream(&s, 0);
    ld_demux d;
    ld_error err;
    collect c;
    ld_demux_init(&d);
    ld_error_clear(&err);
    collect_init(&c);
    c.stop_after = 2;
    CHECK_INT_EQ(feed(&d, &c, s.bytes.data, s.bytes.len, &err), 7);
    CHECK_INT_EQ(c.calls, 2);                 /* nothing after the refusing call */
    CHECK_STR_EQ(c.out[LD_STDOUT].data, "hello ");
    CHECK_STR_EQ(c.out[LD_STDERR].data, "warning: low disk\n");
    CHECK_INT_EQ(err.code, LD_OK);            /* the callback's result, not an error */
    collect_free(&c);

    /* stopping in the middle of a frame fed byte by byte */
    ld_demux_init(&d);
    collect_init(&c);
    c.stop_after = 3;
    int rc = 0;
    size_t i;
    for (i = 0; i < s.bytes.len && rc == 0; i++)
        rc = feed(&d, &c, s.bytes.data + i, 1, &err);
    CHECK_INT_EQ(rc, 7);
    CHECK_INT_EQ(i, 8 + 3);
    CHECK_STR_EQ(c.out[LD_STDOUT].data, "hel");
    collect_free(&c);
    ld_buf_free(&s.bytes);
}

int main(void)
{
    test_whole_and_bytewise();
    test_small_every_split();
    test_big_every_split();
    test_truncation();
    test_bad_type();
    test_huge_claim();
    test_callback_stops();
    CHECK_DONE();
}
