/* test_query.c - unit tests of URL building: query pairs, path segments and
 * the operation registry.
 *
 * ld_query_add must percent-encode everything outside RFC 3986's unreserved
 * set (label values carry '&', '=', '%', '+', spaces and UTF-8) with
 * upper-case hex; ld_path_add_segment keeps '/', ':' and '@' (image
 * references) but encodes the rest; ld_op_path refuses arguments that would
 * reach another endpoint once the path is normalised ("..", ".", "",
 * "a/../b"). Also op lookup by name, query-name checks and path arity.
 * Pure: no engine, no Lua.
 */
#include <string.h>
#include "check.h"
#include "luadock.h"

/* "key=value" as ld_query_add writes it into a fresh buffer. */
static void query1(ld_buf *q, const char *key, const char *value)
{
    ld_buf_free(q);
    CHECK_INT_EQ(ld_query_add(q, key, value, strlen(value)), 0);
}

static void test_query(void)
{
    ld_buf q = {0};

    query1(&q, "all", "true");
    CHECK_STR_EQ(q.data, "all=true");
    query1(&q, "label", "a&b=c");
    CHECK_STR_EQ(q.data, "label=a%26b%3Dc");
    query1(&q, "label", "100%");
    CHECK_STR_EQ(q.data, "label=100%25");
    query1(&q, "label", "two words");
    CHECK_STR_EQ(q.data, "label=two%20words");   /* not '+' */
    query1(&q, "label", "a+b");
    CHECK_STR_EQ(q.data, "label=a%2Bb");          /* '+' would read as a space */
    query1(&q, "label", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x90\xb3");   /* café 日🐳 */
    CHECK_STR_EQ(q.data, "label=caf%C3%A9%20%E6%97%A5%F0%9F%90%B3");
    query1(&q, "x", "\xff\xfe\x80\x7f\x1f\n\t");
    CHECK_STR_EQ(q.data, "x=%FF%FE%80%7F%1F%0A%09");   /* upper-case hex */
    query1(&q, "x", "-._~AZaz09");
    CHECK_STR_EQ(q.data, "x=-._~AZaz09");              /* unreserved stay */
    query1(&q, "x", "/?#[]@!$'()*,;:");
    CHECK_STR_EQ(q.data, "x=%2F%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A");
    query1(&q, "x", "");
    CHECK_STR_EQ(q.data, "x=");

    /* the key is encoded too, and pairs are joined with '&' */
    ld_buf_free(&q);
    const char *filters = "{\"label\":[\"env=prod&x\"]}";
    CHECK_INT_EQ(ld_query_add(&q, "filters", filters, strlen(filters)), 0);
    CHECK_INT_EQ(ld_query_add(&q, "odd key&=", "v", 1), 0);
    CHECK_INT_EQ(ld_query_add(&q, "all", "1", 1), 0);
    CHECK_STR_EQ(q.data, "filters=%7B%22label%22%3A%5B%22env%3Dprod%26x%22%5D%7D"
                         "&odd%20key%26%3D=v&all=1");

    /* value_len is honoured: a NUL is encoded, not an end */
    ld_buf_free(&q);
    CHECK_INT_EQ(ld_query_add(&q, "k", "a\0b", 3), 0);
    CHECK_STR_EQ(q.data, "k=a%00b");
    CHECK_INT_EQ(q.len, 7);
    ld_buf_free(&q);
    CHECK_INT_EQ(ld_query_add(&q, "k", "abcdef", 2), 0);
    CHECK_STR_EQ(q.data, "k=ab");

    /* every byte value: unreserved as is, the rest %XX with upper-case hex */
    ld_buf_free(&q);
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    CHECK_INT_EQ(ld_query_add(&q, "b", all, sizeof all), 0);
    int bad = 0;
    size_t at = 2;
    for (int i = 0; i < 256; i++) {
        int unreserved = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
                         (i >= '0' && i <= '9') || i == '-' || i == '.' || i == '_' || i == '~';
        char want[4];
        if (unreserved)
            snprintf(want, sizeof want, "%c", i);
        else
            snprintf(want, sizeof want, "%%%02X", i);
        size_t n = strlen(want);
        if (at + n > q.len || memcmp(q.data + at, want, n) != 0)
            bad++;
        at += n;
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(at, q.len);
    ld_buf_free(&q);
}

static void segment1(ld_buf *p, const char *segment)
{
    ld_buf_free(p);
    CHECK_INT_EQ(ld_path_add_segment(p, segment), 0);
}

static void test_segments(void)
{
    ld_buf p = {0};
    segment1(&p, "web");
    CHECK_STR_EQ(p.data, "/web");
    segment1(&p, "registry.example.com:5000/team/app:1.2");
    CHECK_STR_EQ(p.data, "/registry.example.com:5000/team/app:1.2");
    segment1(&p, "busybox@sha256:0123abcd");
    CHECK_STR_EQ(p.data, "/busybox@sha256:0123abcd");
    segment1(&p, "a?b#c%d e");
    CHECK_STR_EQ(p.data, "/a%3Fb%23c%25d%20e");
    segment1(&p, "x&y=z+w");
    CHECK_STR_EQ(p.data, "/x%26y%3Dz%2Bw");
    segment1(&p, "\xc3\xa9");
    CHECK_STR_EQ(p.data, "/%C3%A9");
    segment1(&p, "%2e%2e");
    CHECK_STR_EQ(p.data, "/%252e%252e");   /* cannot be decoded back into ".." */
    segment1(&p, "");
    CHECK_STR_EQ(p.data, "/");

    /* segments append */
    ld_buf_free(&p);
    ld_buf_appends(&p, "/images");
    CHECK_INT_EQ(ld_path_add_segment(&p, "a b"), 0);
    CHECK_INT_EQ(ld_path_add_segment(&p, "json"), 0);
    CHECK_STR_EQ(p.data, "/images/a%20b/json");
    ld_buf_free(&p);
}

/* ld_op_path for one argument; returns its result, out holds the path. */
static int path1(const char *op_name, const char *arg, ld_buf *out, ld_error *err)
{
    const ld_op *op = ld_op_find(op_name);
    ld_buf_free(out);
    ld_error_clear(err);
    if (!op)
        return -99;
    const char *args[1] = {arg};
    return ld_op_path(op, args, 1, out, err);
}

static void test_op_path(void)
{
    ld_buf out = {0};
    ld_error err;

    CHECK_INT_EQ(path1("container_inspect", "web", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/web/json");
    CHECK_INT_EQ(path1("container_inspect", "0123456789ab", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/0123456789ab/json");
    CHECK_INT_EQ(path1("container_delete", "web", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/web");
    CHECK_INT_EQ(path1("image_inspect", "localhost:5000/luadock-test/busybox:1", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/images/localhost:5000/luadock-test/busybox:1/json");
    CHECK_INT_EQ(path1("image_delete", "busybox@sha256:abc", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/images/busybox@sha256:abc");
    CHECK_INT_EQ(path1("container_inspect", "a b?c#d%e", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/a%20b%3Fc%23d%25e/json");
    CHECK_INT_EQ(path1("container_inspect", "...", &out, &err), 0);   /* a name, not a step */
    CHECK_STR_EQ(out.data, "/containers/.../json");
    CHECK_INT_EQ(path1("container_inspect", "a..b", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/a..b/json");
    CHECK_INT_EQ(path1("container_inspect", "%2e%2e", &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/%252e%252e/json");

    static const char *const refused[] = {
        "..", ".", "", "a/../b", "a/./b", "../x", "x/..", "./x", "x/.",
        "a//b", "/abs", "trail/", "/", "//", "../../info",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = path1("container_inspect", refused[i], &out, &err);
        if (rc != -1)
            fprintf(stderr, "  \"%s\" accepted as %s\n", refused[i], out.data ? out.data : "");
        CHECK_INT_EQ(rc, -1);
        CHECK_INT_EQ(err.code, LD_E_ARG);
        CHECK(strstr(err.message, "container_inspect") != NULL);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", refused[i]);
        CHECK(strstr(err.message, quoted) != NULL);
    }
    /* the same rule for image names */
    CHECK_INT_EQ(path1("image_inspect", "library/../../containers/x", &out, &err), -1);
    CHECK_INT_EQ(err.code, LD_E_ARG);

    /* too few arguments */
    const ld_op *op = ld_op_find("container_inspect");
    ld_buf_free(&out);
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_op_path(op, NULL, 0, &out, &err), -1);
    CHECK_INT_EQ(err.code, LD_E_ARG);
    CHECK(strstr(err.message, "missing path argument") != NULL);

    /* no placeholders: the template as is */
    op = ld_op_find("container_list");
    ld_buf_free(&out);
    CHECK_INT_EQ(ld_op_path(op, NULL, 0, &out, &err), 0);
    CHECK_STR_EQ(out.data, "/containers/json");
    ld_buf_free(&out);
}

static void test_op_registry(void)
{
    const ld_op *op = ld_op_find("container_inspect");
    CHECK(op != NULL);
    if (op) {
        CHECK_STR_EQ(op->name, "container_inspect");
        CHECK_STR_EQ(op->method, "GET");
        CHECK_STR_EQ(op->path, "/containers/{id}/json");
        CHECK_INT_EQ(ld_op_path_arity(op), 1);
        CHECK_INT_EQ(op->resp, LD_RESP_JSON);
        CHECK_INT_EQ(ld_op_has_query(op, "size"), 1);
        CHECK_INT_EQ(ld_op_has_query(op, "all"), 0);
    }
    op = ld_op_find("container_list");
    CHECK(op != NULL);
    if (op) {
        CHECK_INT_EQ(ld_op_path_arity(op), 0);
        CHECK_INT_EQ(ld_op_has_query(op, "all"), 1);
        CHECK_INT_EQ(ld_op_has_query(op, "limit"), 1);
        CHECK_INT_EQ(ld_op_has_query(op, "filters"), 1);   /* the last name */
        CHECK_INT_EQ(ld_op_has_query(op, "al"), 0);        /* a prefix */
        CHECK_INT_EQ(ld_op_has_query(op, "alll"), 0);
        CHECK_INT_EQ(ld_op_has_query(op, "filter"), 0);
        CHECK_INT_EQ(ld_op_has_query(op, "all limit"), 0);
        CHECK_INT_EQ(ld_op_has_query(op, ""), 0);
        CHECK_INT_EQ(ld_op_has_query(op, "ALL"), 0);
    }
    op = ld_op_find("image_list");
    CHECK(op != NULL && ld_op_has_query(op, "shared-size"));
    op = ld_op_find("system_ping");
    CHECK(op != NULL);
    if (op) {
        CHECK_STR_EQ(op->path, "/_ping");
        CHECK_INT_EQ(ld_op_has_query(op, "x"), 0);
        CHECK_INT_EQ(ld_op_has_query(op, ""), 0);
    }
    op = ld_op_find("container_logs");
    CHECK(op != NULL && op->resp == LD_RESP_MUX);
    op = ld_op_find("image_create");
    CHECK(op != NULL && op->resp == LD_RESP_JSONLINES && op->waits == 1);
    op = ld_op_find("container_wait");
    CHECK(op != NULL && op->waits == 1 && strcmp(op->method, "POST") == 0);

    CHECK(ld_op_find("no_such_op") == NULL);
    CHECK(ld_op_find("") == NULL);
    CHECK(ld_op_find("container_inspec") == NULL);
    CHECK(ld_op_find("container_inspect ") == NULL);
    CHECK(ld_op_find("Container_Inspect") == NULL);
}

typedef struct every {
    int count, bad;
} every;

/* Each op visited: found by its own name (names are unique), with a path
 * whose arity matches its placeholders and that builds with that many
 * plain arguments. */
static void visit(void *ud, const ld_op *op)
{
    every *e = ud;
    e->count++;
    if (ld_op_find(op->name) != op || !op->method || op->path[0] != '/')
        e->bad++;
    int n = ld_op_path_arity(op);
    const char *args[4] = {"a", "b", "c", "d"};
    ld_buf out = {0};
    ld_error err;
    ld_error_clear(&err);
    if (n > 4 || ld_op_path(op, args, n, &out, &err) != 0 || strchr(out.data, '{') ||
        strchr(out.data, '}') || strstr(out.data, "//"))
        e->bad++;
    ld_buf_free(&out);
}

static void test_op_each(void)
{
    every e = {0, 0};
    ld_op_each(visit, &e);
    CHECK(e.count >= 30);
    CHECK_INT_EQ(e.bad, 0);
}

int main(void)
{
    test_query();
    test_segments();
    test_op_path();
    test_op_registry();
    test_op_each();
    CHECK_DONE();
}
