/* fuzz_jsonsplit.c - libFuzzer target for the JSON-lines splitter
 * (ld_jsonsplit_*, core/decode.c): the input's front chooses how the stream
 * is split (fuzz.h). Whatever the split, the values given so far must be the
 * same sequence as one whole feed gives (one may stop earlier: a value that
 * spans lines is only known to be whole when it arrives whole), and when both
 * feeds succeed they give the same values. No leak, no read past the carry.
 * It must not keep state between inputs.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include "fuzz.h"
#include "luadock.h"

static int collect(void *ud, cJSON *value)
{
    ld_buf *out = ud;
    FUZZ_CHECK(value != NULL);
    char *text = cJSON_PrintUnformatted(value);
    cJSON_Delete(value);
    FUZZ_CHECK(text != NULL);
    /* NUL-separated: a printed value holds no raw NUL */
    FUZZ_CHECK(ld_buf_append(out, text, strlen(text) + 1) == 0);
    cJSON_free(text);
    return 0;
}

/* 0 when every feed and the finish succeeded, else -1. */
static int run(const fuzz_chunks *c, int split, ld_buf *out)
{
    ld_jsonsplit s;
    ld_error err;
    int rc = 0;
    ld_jsonsplit_init(&s);
    const char *p = (const char *)c->stream;
    size_t left = c->len;
    for (size_t i = 0; split && i < c->nsizes && rc == 0; i++) {
        size_t n = c->sizes[i] < left ? c->sizes[i] : left;
        rc = ld_jsonsplit_feed(&s, p, n, collect, out, &err);
        p += n;
        left -= n;
    }
    if (rc == 0)
        rc = ld_jsonsplit_feed(&s, p, left, collect, out, &err);
    if (rc == 0)
        rc = ld_jsonsplit_finish(&s, &err);
    if (rc != 0)
        FUZZ_CHECK(err.code == LD_E_PROTOCOL || err.code == LD_E_TRUNCATED);
    ld_jsonsplit_free(&s);
    return rc == 0 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_chunks c = fuzz_chunks_read(data, size);
    ld_buf whole = {0}, split = {0};
    int rw = run(&c, 0, &whole), rs = run(&c, 1, &split);
    size_t common = whole.len < split.len ? whole.len : split.len;
    FUZZ_CHECK(common == 0 || memcmp(whole.data, split.data, common) == 0);
    if (rw == 0 && rs == 0)
        FUZZ_CHECK(whole.len == split.len);
    ld_buf_free(&whole);
    ld_buf_free(&split);
    return 0;
}
