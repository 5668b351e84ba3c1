/* fuzz_demux.c - libFuzzer target for the multiplexed-frame demuxer
 * (ld_demux_*, core/decode.c): the input's front chooses how the stream is
 * split (fuzz.h), and the split feed must give exactly what one whole feed
 * gives: the same stdout/stderr/system-error bytes in the same order, the
 * same failure, the same truncation verdict. Pieces are never empty and never
 * run past a frame. It must not keep state between inputs.
 */
#include <string.h>
#include "fuzz.h"
#include "luadock.h"

typedef struct transcript {
    ld_buf bytes;      /* each run of one stream: its id byte, then the bytes */
    int last_id;
} transcript;

static int collect(void *ud, ld_stream_id id, const char *data, size_t len)
{
    transcript *t = ud;
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(id == LD_STDOUT || id == LD_STDERR || id == LD_SYSERR);
    if ((int)id != t->last_id) {
        char mark[2] = {'\0', (char)id};
        FUZZ_CHECK(ld_buf_append(&t->bytes, mark, 2) == 0);
        t->last_id = (int)id;
    }
    FUZZ_CHECK(ld_buf_append(&t->bytes, data, len) == 0);
    return 0;
}

/* Feeds the stream (in the chunks, or whole); returns 0, -1 on a bad frame,
 * -2 when it ended mid-frame. */
static int run(const fuzz_chunks *c, int split, transcript *t)
{
    ld_demux d;
    ld_error err;
    ld_demux_init(&d);
    const char *p = (const char *)c->stream;
    size_t left = c->len;
    for (size_t i = 0; split && i < c->nsizes; i++) {
        size_t n = c->sizes[i] < left ? c->sizes[i] : left;
        if (ld_demux_feed(&d, p, n, collect, t, &err) != 0) {
            FUZZ_CHECK(err.code == LD_E_PROTOCOL);
            return -1;
        }
        FUZZ_CHECK(d.header_have < sizeof d.header);
        p += n;
        left -= n;
    }
    if (ld_demux_feed(&d, p, left, collect, t, &err) != 0) {
        FUZZ_CHECK(err.code == LD_E_PROTOCOL);
        return -1;
    }
    if (ld_demux_finish(&d, &err) != 0) {
        FUZZ_CHECK(err.code == LD_E_TRUNCATED);
        return -2;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_chunks c = fuzz_chunks_read(data, size);
    transcript whole = {{0}, 0}, split = {{0}, 0};
    int rw = run(&c, 0, &whole), rs = run(&c, 1, &split);
    FUZZ_CHECK(rw == rs);
    FUZZ_CHECK(whole.bytes.len == split.bytes.len);
    FUZZ_CHECK(whole.bytes.len == 0 ||
               memcmp(whole.bytes.data, split.bytes.data, whole.bytes.len) == 0);
    /* payload bytes never outnumber the stream's */
    FUZZ_CHECK(whole.bytes.len <= 2 * c.len);
    ld_buf_free(&whole.bytes);
    ld_buf_free(&split.bytes);
    return 0;
}
