/* test_dockerignore.c - unit tests of the .dockerignore matcher
 * (core/tar/dockerignore.c): the examples of Docker's documentation (temp files
 * one and two levels down, "temp?", every .go file at any depth, "*.md" with
 * "!README.md", last match wins), folder exclusion and exceptions below it, pattern cleaning (leading
 * "/" and "./", "..", trailing "/"), most of moby/patternmatcher's own
 * TestMatches table (MatchesOrParentMatches semantics), when a walk must
 * descend into an excluded folder, and the patterns Go refuses. Pure: no
 * engine, no Lua, no files.
 */
#include <stddef.h>
#include "check.h"
#include "luadock.h"

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})
#define EXCLUDED(pats, path) CHECK_INT_EQ(ld_ignore_match(pats, path), 1)
#define KEPT(pats, path) CHECK_INT_EQ(ld_ignore_match(pats, path), 0)

static void test_docs_examples(void)
{
    /* one level down only */
    EXCLUDED(P("*/temp*"), "somedir/temporary.txt");
    EXCLUDED(P("*/temp*"), "somedir/temp");
    KEPT(P("*/temp*"), "temp");
    KEPT(P("*/temp*"), "a/b/temporary.txt");
    KEPT(P("*/temp*"), "somedir/attemp");
    /* two levels down */
    EXCLUDED(P("*/*/temp*"), "somedir/subdir/temporary.txt");
    KEPT(P("*/*/temp*"), "somedir/temporary.txt");
    /* "temp?": one character, not "/" */
    EXCLUDED(P("temp?"), "tempa");
    EXCLUDED(P("temp?"), "tempb");
    KEPT(P("temp?"), "temp");
    KEPT(P("temp?"), "tempab");
    KEPT(P("temp?"), "dir/tempa");
    /* any depth, including the root */
    EXCLUDED(P("**/*.go"), "main.go");
    EXCLUDED(P("**/*.go"), "cmd/tool/main.go");
    KEPT(P("**/*.go"), "main.go.txt");
    KEPT(P("**/*.go"), "cmd/README");
    /* exceptions */
    EXCLUDED(P("*.md", "!README.md"), "CHANGES.md");
    KEPT(P("*.md", "!README.md"), "README.md");
    KEPT(P("*.md", "!README.md"), "docs/x.md");   /* "*" stays in the root */
    /* the last match wins */
    const char *const *a = P("*.md", "!README*.md", "README-secret.md");
    EXCLUDED(a, "CHANGES.md");
    KEPT(a, "README.md");
    KEPT(a, "README-public.md");
    EXCLUDED(a, "README-secret.md");
    const char *const *b = P("*.md", "README-secret.md", "!README*.md");
    KEPT(b, "README-secret.md");
    KEPT(b, "README.md");
    EXCLUDED(b, "other.md");
    /* an exception before any match does nothing */
    EXCLUDED(P("!fileutils.go", "*.go"), "fileutils.go");
    KEPT(P("*.go", "!fileutils.go"), "fileutils.go");
    /* no patterns, and the context itself */
    KEPT(P(NULL), "anything");
    KEPT(NULL, "anything");
    KEPT(P("*"), ".");
    KEPT(P("**"), "");
}

static void test_folders(void)
{
    /* a pattern matching a folder excludes everything below it */
    EXCLUDED(P("docs"), "docs");
    EXCLUDED(P("docs"), "docs/a/b/c.txt");
    KEPT(P("docs"), "docsy");
    KEPT(P("docs"), "src/docs");
    EXCLUDED(P("*/node_modules"), "web/node_modules/x/y.js");
    EXCLUDED(P("**/node_modules"), "a/b/node_modules/x.js");
    EXCLUDED(P("**/node_modules"), "node_modules/x.js");
    /* ...unless an exception re-includes part of it */
    KEPT(P("docs", "!docs/README.md"), "docs/README.md");
    KEPT(P("docs/", "!docs/README.md"), "docs/README.md");
    KEPT(P("docs/*", "!docs/README.md"), "docs/README.md");
    EXCLUDED(P("docs", "!docs/README.md"), "docs/other.md");
    /* moby's multi-pattern cases */
    KEPT(P("**", "!util/docker/web"), "util/docker/web/foo");
    EXCLUDED(P("**", "!util/docker/web", "util/docker/web/foo"), "util/docker/web/foo");
    KEPT(P("**", "!dist/*.whl"), "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl");
}

static void test_cleaning(void)
{
    EXCLUDED(P("/a.txt"), "a.txt");
    EXCLUDED(P("./a.txt"), "a.txt");
    EXCLUDED(P("/dir/sub"), "dir/sub/x");
    EXCLUDED(P("dir//sub/"), "dir/sub/x");
    EXCLUDED(P("dir/./sub"), "dir/sub");
    EXCLUDED(P("dir/x/../sub"), "dir/sub");
    EXCLUDED(P("  spaced.txt  "), "spaced.txt");
    KEPT(P("  !  spaced.txt", "x"), "spaced.txt");
    KEPT(P("*.md", "  !README.md  "), "README.md");
    KEPT(P("", "   "), "a");
    KEPT(P("../a"), "a");   /* cannot name anything in the context */
    KEPT(P("."), "a");
    /* the path is cleaned as well */
    EXCLUDED(P("a/b"), "./a/b");
    EXCLUDED(P("a/b"), "/a//b/");
}

/* moby/patternmatcher's TestMatches, MatchesOrParentMatches column; paths
 * are cleaned here, so "file/" reads "file" and "/" is the context. */
static void test_moby_table(void)
{
    static const struct { const char *pattern, *path; int match; } t[] = {
        {"**", "file", 1}, {"**", "file/", 1}, {"**/", "file", 1}, {"**/", "file/", 1},
        {"**", "dir/file", 1}, {"**/", "dir/file", 1}, {"**", "dir/file/", 1},
        {"**/**", "dir/file", 1}, {"**/**", "dir/file/", 1},
        {"dir/**", "dir/file", 1}, {"dir/**", "dir/file/", 1},
        {"dir/**", "dir/dir2/file", 1}, {"dir/**", "dir/dir2/file/", 1},
        {"**/dir", "dir", 1}, {"**/dir", "dir/file", 1},
        {"**/dir2/*", "dir/dir2/file", 1}, {"**/dir2/*", "dir/dir2/file/", 1},
        {"**/dir2/**", "dir/dir2/dir3/file", 1}, {"**/dir2/**", "dir/dir2/dir3/file/", 1},
        {"**file", "file", 1}, {"**file", "dir/file", 1}, {"**/file", "dir/file", 1},
        {"**file", "dir/dir/file", 1}, {"**/file", "dir/dir/file", 1},
        {"**/file*", "dir/dir/file", 1}, {"**/file*", "dir/dir/file.txt", 1},
        {"**/file*txt", "dir/dir/file.txt", 1}, {"**/file*.txt", "dir/dir/file.txt", 1},
        {"**/file*.txt*", "dir/dir/file.txt", 1}, {"**/**/*.txt", "dir/dir/file.txt", 1},
        {"**/**/*.txt2", "dir/dir/file.txt", 0}, {"**/*.txt", "file.txt", 1},
        {"**/**/*.txt", "file.txt", 1}, {"a**/*.txt", "a/file.txt", 1},
        {"a**/*.txt", "a/dir/file.txt", 1}, {"a**/*.txt", "a/dir/dir/file.txt", 1},
        {"a/*.txt", "a/dir/file.txt", 0}, {"a/*.txt", "a/file.txt", 1},
        {"a/*.txt**", "a/file.txt", 1}, {"a[b-d]e", "ae", 0}, {"a[b-d]e", "ace", 1},
        {"a[b-d]e", "aae", 0}, {"a[^b-d]e", "aze", 1}, {".*", ".foo", 1}, {".*", "foo", 0},
        {"abc.def", "abcdef", 0}, {"abc.def", "abc.def", 1}, {"abc.def", "abcZdef", 0},
        {"abc?def", "abcZdef", 1}, {"abc?def", "abcdef", 0},
        {"**/foo/bar", "foo/bar", 1}, {"**/foo/bar", "dir/foo/bar", 1},
        {"**/foo/bar", "dir/dir2/foo/bar", 1}, {"abc/**", "abc", 0},
        {"abc/**", "abc/def", 1}, {"abc/**", "abc/def/ghi", 1}, {"**/.foo", ".foo", 1},
        {"**/.foo", "bar.foo", 0}, {"a(b)c/def", "a(b)c/def", 1}, {"a(b)c/def", "a(b)c/xyz", 0},
        {"a.|)$(}+{bc", "a.|)$(}+{bc", 1},
        {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 1},
        {"a\\\\", "a\\", 1}, {"a\\*b", "a*b", 1}, {"a\\*b", "ab", 0},
        /* from Go's filepath.Match tests, as moby runs them */
        {"*", "abc", 1}, {"*c", "abc", 1}, {"a*", "a", 1}, {"a*", "ab/c", 1},
        {"a*/b", "abc/b", 1}, {"a*/b", "a/c/b", 0}, {"a*b*c*d*e*/f", "axbxcxdxe/f", 1},
        {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1}, {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0},
        {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0}, {"a*b?c*x", "abxbbxdbxebxczzx", 1},
        {"a*b?c*x", "abxbbxdbxebxczzy", 0}, {"ab[c]", "abc", 1}, {"ab[b-d]", "abc", 1},
        {"ab[e-g]", "abc", 0}, {"ab[^c]", "abc", 0}, {"ab[^b-d]", "abc", 0},
        {"ab[^e-g]", "abc", 1}, {"a?b", "a/b", 0}, {"a*b", "a/b", 0}, {"*x", "xxx", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *pats[] = {t[i].pattern, NULL};
        int got = ld_ignore_match(pats, t[i].path);
        if (got != t[i].match)
            fprintf(stderr, "pattern \"%s\" path \"%s\": got %d\n", t[i].pattern, t[i].path,
                    got);
        CHECK_INT_EQ(got, t[i].match);
    }
}

static void test_descend(void)
{
    /* no exception: an excluded folder is pruned */
    CHECK_INT_EQ(ld_ignore_descend(P("docs"), "docs"), 0);
    /* an exception below it: the walk must go in */
    CHECK_INT_EQ(ld_ignore_descend(P("docs", "!docs/README.md"), "docs"), 1);
    CHECK_INT_EQ(ld_ignore_descend(P("a", "!a/b/c"), "a/b"), 1);
    CHECK_INT_EQ(ld_ignore_descend(P("a", "!a/b/c"), "a/x"), 0);
    CHECK_INT_EQ(ld_ignore_descend(P("*", "!*/keep"), "any"), 1);
    CHECK_INT_EQ(ld_ignore_descend(P("*", "!src/*.c"), "docs"), 0);
    CHECK_INT_EQ(ld_ignore_descend(P("**", "!**/keep"), "x/y"), 1);
    CHECK_INT_EQ(ld_ignore_descend(P("*", "!README.md"), "docs"), 0);
    CHECK_INT_EQ(ld_ignore_descend(NULL, "docs"), 0);
}

static void test_check(void)
{
    ld_error err;
    ld_error_clear(&err);
    CHECK_INT_EQ(ld_ignore_check(P("*.go", "!main.go", "**/x", "a[bc]d", ""), &err), 0);
    CHECK_INT_EQ(ld_ignore_check(NULL, &err), 0);
    CHECK_INT_EQ(ld_ignore_check(P("ok", "!"), &err), -1);
    CHECK_INT_EQ(err.code, LD_E_ARG);
    CHECK(strstr(err.message, "\"!\"") != NULL);
    CHECK_INT_EQ(ld_ignore_check(P("  !  "), &err), -1);
    CHECK_INT_EQ(ld_ignore_check(P("["), &err), -1);
    CHECK_INT_EQ(ld_ignore_check(P("a["), &err), -1);
    CHECK_INT_EQ(ld_ignore_check(P("[^bc"), &err), -1);
    CHECK_INT_EQ(ld_ignore_check(P("trailing\\"), &err), -1);
    CHECK(strstr(err.message, "trailing") != NULL);
    /* a lone "!" never matches anything either */
    KEPT(P("!"), "a");
}

int main(void)
{
    test_docs_examples();
    test_folders();
    test_cleaning();
    test_moby_table();
    test_descend();
    test_check();
    CHECK_DONE();
}
