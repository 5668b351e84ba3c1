/* test_jsonsplit.c - unit tests of the concatenated-JSON stream splitter.
 *
 * Progress and event streams are JSON values back to back: with no separator,
 * with "\n" or "\r\n", split anywhere across reads. Checks that the same
 * values come out in the same order however the input is cut (at every byte
 * position into two feeds, and byte by byte), that errorDetail objects pass
 * through, that a malformed line is a protocol error, that a partial value at
 * the end is reported as truncated while a whitespace-only tail is fine, and
 * that a callback's non-zero result stops the feed. Pure: no engine, no Lua.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "luadock.h"

/* Values received, printed unformatted, each followed by '\n'. */
typedef struct got {
    ld_buf text;
    int count;
    int stop_at;    /* return 5 from this value on (0: never) */
} got;

static int on_value(void *ud, cJSON *value)
{
    got *g = ud;
    char *s = cJSON_PrintUnformatted(value);
    ld_buf_appends(&g->text, s ? s : "(print failed)");
    ld_buf_append(&g->text, "\n", 1);
    cJSON_free(s);
    cJSON_Delete(value);
    g->count++;
    return g->stop_at && g->count >= g->stop_at ? 5 : 0;
}

/* Feed text in parts cut at cuts[] (ascending), then finish. Returns the
 * first non-zero result, or finish's. */
static int run_split(const char *text, size_t len, const size_t *cuts, int ncuts, got *g,
                     ld_error *err)
{
    ld_jsonsplit s;
    ld_jsonsplit_init(&s);
    ld_error_clear(err);
    size_t at = 0;
    int rc = 0;
    for (int i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        rc = ld_jsonsplit_feed(&s, text + at, end - at, on_value, g, err);
        at = end;
    }
    if (rc == 0)
        rc = ld_jsonsplit_finish(&s, err);
    ld_jsonsplit_free(&s);
    return rc;
}

static int run_whole(const char *text, got *g, ld_error *err)
{
    return run_split(text, strlen(text), NULL, 0, g, err);
}

/* 0 failures when text gives `want` fed whole, split at every position into
 * two feeds, and byte by byte. */
static int every_split(const char *text, const char *want, int want_count)
{
    size_t len = strlen(text);
    int bad = 0;
    ld_error err;
    for (size_t i = 0; i <= len; i++) {
        got g = {0};
        size_t cuts[1] = {i};
        if (run_split(text, len, cuts, 1, &g, &err) != 0 || g.count != want_count ||
            strcmp(g.text.data ? g.text.data : "", want) != 0) {
            bad++;
            fprintf(stderr, "  split at %zu: got [%s]\n", i, g.text.data ? g.text.data : "");
        }
        ld_buf_free(&g.text);
    }
    size_t *cuts = malloc((len + 1) * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    got g = {0};
    if (run_split(text, len, cuts, (int)len, &g, &err) != 0 || g.count != want_count ||
        strcmp(g.text.data ? g.text.data : "", want) != 0) {
        bad++;
        fprintf(stderr, "  byte by byte: got [%s]\n", g.text.data ? g.text.data : "");
    }
    ld_buf_free(&g.text);
    free(cuts);
    return bad;
}

static void test_concatenated(void)
{
    ld_error err;
    got g = {0};
    CHECK_INT_EQ(run_whole("{\"a\":1}{\"b\":[1,2]}{\"c\":{\"d\":\"x\"}}", &g, &err), 0);
    CHECK_INT_EQ(g.count, 3);
    CHECK_STR_EQ(g.text.data, "{\"a\":1}\n{\"b\":[1,2]}\n{\"c\":{\"d\":\"x\"}}\n");
    ld_buf_free(&g.text);

    g = (got){0};
    CHECK_INT_EQ(run_whole("{\"a\":1}\n{\"b\":2}\n", &g, &err), 0);
    CHECK_STR_EQ(g.text.data, "{\"a\":1}\n{\"b\":2}\n");
    ld_buf_free(&g.text);

    g = (got){0};
    CHECK_INT_EQ(run_whole("{\"a\":1}\r\n{\"b\":2}\r\n", &g, &err), 0);
    CHECK_STR_EQ(g.text.data, "{\"a\":1}\n{\"b\":2}\n");
    ld_buf_free(&g.text);

    /* arrays, strings and whitespace of every kind between values */
    g = (got){0};
    CHECK_INT_EQ(run_whole(" \t[1,{\"x\":null}] \r\n\n\"s\"\n{}\n[]", &g, &err), 0);
    CHECK_STR_EQ(g.text.data, "[1,{\"x\":null}]\n\"s\"\n{}\n[]\n");
    ld_buf_free(&g.text);

    /* nothing at all, and whitespace only */
    g = (got){0};
    CHECK_INT_EQ(run_whole("", &g, &err), 0);
    CHECK_INT_EQ(run_whole(" \r\n\t\n", &g, &err), 0);
    CHECK_INT_EQ(g.count, 0);
}

static void test_splits(void)
{
    /* a real pull stream shape, with a progress bar holding '>' and spaces,
     * escaped quotes, unicode, and \r\n separators on some lines */
    const char *pull =
        "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\r\n"
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1052672,\"total\":1982326},"
        "\"progress\":\"[=====>    ]  1.053MB/1.982MB\",\"id\":\"d54d5928d8af\"}\n"
        "{\"status\":\"say \\\"hi\\\" \\u00e9 \xe4\xb8\x96\"}"
        "{\"progressDetail\":{},\"aux\":{\"Tag\":\"t1\",\"Digest\":\"sha256:abc\",\"Size\":527}}\n";
    const char *want =
        "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\n"
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1052672,\"total\":1982326},"
        "\"progress\":\"[=====>    ]  1.053MB/1.982MB\",\"id\":\"d54d5928d8af\"}\n"
        "{\"status\":\"say \\\"hi\\\" \xc3\xa9 \xe4\xb8\x96\"}\n"
        "{\"progressDetail\":{},\"aux\":{\"Tag\":\"t1\",\"Digest\":\"sha256:abc\",\"Size\":527}}\n";
    CHECK_INT_EQ(every_split(pull, want, 4), 0);

    /* values with no separator at all, including scalars that must not be
     * cut short: a number split across feeds is one number */
    CHECK_INT_EQ(every_split("{\"a\":1}[2]\"x\"{\"b\":true} 123 \n", "{\"a\":1}\n[2]\n\"x\"\n"
                             "{\"b\":true}\n123\n", 5), 0);
    CHECK_INT_EQ(every_split("[true,false,null] true\nfalse\nnull\n-1.5e3\n",
                             "[true,false,null]\ntrue\nfalse\nnull\n-1500\n", 5), 0);

    /* regression: a number cut inside its exponent ("2.5e" + "-1") was handed
     * out as 2.5 and the rest then failed as malformed */
    static const char *const cut[][2] = {{"[1]2.5e", "-1\n"}, {"[1]2.5E+", "2\n"},
                                         {"[1]7e", "0 "}};
    static const char *const want_cut[] = {"[1]\n0.25\n", "[1]\n250\n", "[1]\n7\n"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        ld_jsonsplit s;
        ld_error err;
        got g = {0};
        ld_jsonsplit_init(&s);
        ld_error_clear(&err);
        CHECK_INT_EQ(ld_jsonsplit_feed(&s, cut[i][0], strlen(cut[i][0]), on_value, &g, &err), 0);
        CHECK_INT_EQ(g.count, 1);
        CHECK_INT_EQ(ld_jsonsplit_feed(&s, cut[i][1], strlen(cut[i][1]), on_value, &g, &err), 0);
        CHECK_INT_EQ(ld_jsonsplit_finish(&s, &err), 0);
        CHECK_STR_EQ(g.text.data, want_cut[i]);
        ld_jsonsplit_free(&s);
        ld_buf_free(&g.text);
    }
}

static void test_error_detail(void)
{
    const char *text =
        "{\"stream\":\"Step 1/2 : RUN false\\n\"}\n"
        "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a "
        "non-zero code: 1\"},\"error\":\"The command '/bin/sh -c false' returned a non-zero "
        "code: 1\"}\n";
    ld_error err;
    got g = {0};
    CHECK_INT_EQ(run_whole(text, &g, &err), 0);   /* the splitter does not judge content */
    CHECK_INT_EQ(g.count, 2);
    CHECK(g.text.data && strstr(g.text.data, "{\"errorDetail\":{\"code\":1,\"message\":") != NULL);
    ld_buf_free(&g.text);
    CHECK_INT_EQ(every_split(text, text, 2), 0);   /* already in printed form */
}

static int keep_value(void *ud, cJSON *value)
{
    cJSON **slot = ud;
    cJSON_Delete(*slot);
    *slot = value;
    return 0;
}

static void test_error_detail_object(void)
{
    const char *text = "{\"errorDetail\":{\"code\":1,\"message\":\"boom\"},\"error\":\"boom\"}";
    cJSON *seen = NULL;
    ld_jsonsplit s;
    ld_error err;
    ld_jsonsplit_init(&s);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_jsonsplit_feed(&s, text, 20, keep_value, &seen, &err), 0);
    CHECK(seen == NULL);
    CHECK_INT_EQ(ld_jsonsplit_feed(&s, text + 20, strlen(text) - 20, keep_value, &seen, &err), 0);
    CHECK_INT_EQ(ld_jsonsplit_finish(&s, &err), 0);
    CHECK(seen != NULL);
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(seen, "errorDetail");
    CHECK(cJSON_IsObject(detail));
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(detail, "message");
    CHECK_STR_EQ(cJSON_IsString(msg) ? msg->valuestring : NULL, "boom");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(detail, "code");
    CHECK(cJSON_IsNumber(code) && code->valuedouble == 1);
    cJSON_Delete(seen);
    ld_jsonsplit_free(&s);
}

static void test_malformed(void)
{
    static const char *bad[] = {
        "{\"a\":1}\n{\"b\":}\n",
        "{\"a\" 1}\n",
        "hello\n{\"a\":1}\n",
        "{\"a\":1}\n{\"b\":2]\n",
        "{\"a\":1}\r\n}\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ld_error err;
        got g = {0};
        CHECK_INT_EQ(run_whole(bad[i], &g, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_PROTOCOL);
        CHECK(strstr(err.message, "malformed") != NULL);
        ld_buf_free(&g.text);
    }
    /* the good value before the bad line was delivered first */
    ld_error err;
    got g = {0};
    CHECK_INT_EQ(run_whole(bad[0], &g, &err), -1);
    CHECK_STR_EQ(g.text.data, "{\"a\":1}\n");
    ld_buf_free(&g.text);

    /* a malformed line split byte by byte is still caught, once its
     * newline arrives */
    const char *text = bad[3];
    size_t len = strlen(text);
    ld_jsonsplit s;
    ld_jsonsplit_init(&s);
    ld_error_clear(&err);
    g = (got){0};
    int rc = 0;
    size_t i;
    for (i = 0; i < len && rc == 0; i++)
        rc = ld_jsonsplit_feed(&s, text + i, 1, on_value, &g, &err);
    CHECK_INT_EQ(rc, -1);
    CHECK_INT_EQ(i, len);               /* failed on the final newline */
    CHECK_INT_EQ(err.code, LD_E_PROTOCOL);
    CHECK_INT_EQ(g.count, 1);
    ld_jsonsplit_free(&s);
    ld_buf_free(&g.text);
}

static void test_truncated(void)
{
    static const char *partial[] = {
        "{\"a\":1}\n{\"b\":",
        "{\"a\":1}\n{",
        "{\"a\":1}\n\"unterminated",
        "{\"a\":1}[1,2",
        "{\"a\":1}\n{\"b\":\"x\"",
    };
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        ld_error err;
        got g = {0};
        CHECK_INT_EQ(run_whole(partial[i], &g, &err), -1);
        CHECK_INT_EQ(err.code, LD_E_TRUNCATED);
        CHECK_STR_EQ(g.text.data, "{\"a\":1}\n");   /* the complete value came out */
        ld_buf_free(&g.text);
    }
    /* every proper prefix of one object ends truncated, the whole one not */
    const char *obj = "{\"id\":\"abc\",\"progressDetail\":{\"current\":5,\"total\":9}}";
    int bad = 0;
    for (size_t n = 1; n < strlen(obj); n++) {
        ld_error err;
        got g = {0};
        int rc = run_split(obj, n, NULL, 0, &g, &err);
        bad += rc != -1 || err.code != LD_E_TRUNCATED || g.count != 0;
        ld_buf_free(&g.text);
    }
    CHECK_INT_EQ(bad, 0);

    /* a whitespace-only tail is a clean end */
    ld_error err;
    got g = {0};
    CHECK_INT_EQ(run_whole("{\"a\":1}\n \r\n\t  \n", &g, &err), 0);
    CHECK_INT_EQ(err.code, LD_OK);
    CHECK_INT_EQ(g.count, 1);
    ld_buf_free(&g.text);
}

static void test_callback_stops(void)
{
    ld_error err;
    got g = {0};
    g.stop_at = 2;
    ld_jsonsplit s;
    ld_jsonsplit_init(&s);
    ld_error_clear(&err);
    const char *text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
    CHECK_INT_EQ(ld_jsonsplit_feed(&s, text, strlen(text), on_value, &g, &err), 5);
    CHECK_INT_EQ(g.count, 2);
    CHECK_STR_EQ(g.text.data, "{\"a\":1}\n{\"b\":2}\n");
    /* what was not handed out stays for the next feed */
    g.stop_at = 0;
    CHECK_INT_EQ(ld_jsonsplit_feed(&s, "", 0, on_value, &g, &err), 0);
    CHECK_INT_EQ(g.count, 3);
    CHECK_INT_EQ(ld_jsonsplit_finish(&s, &err), 0);
    ld_jsonsplit_free(&s);
    ld_buf_free(&g.text);
}

int main(void)
{
    test_concatenated();
    test_splits();
    test_error_detail();
    test_error_detail_object();
    test_malformed();
    test_truncated();
    test_callback_stops();
    CHECK_DONE();
}
