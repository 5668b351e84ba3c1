/* check.h - the tiny assertion kit of luadock's C unit tests (tests/unit/test_*.c).
 *
 * Each test file is one program: it includes this header once, calls the CHECK
 * macros (which count passes and failures, print "file:line: ..." for a failure
 * and carry on), and ends main with CHECK_DONE(), which prints the closing
 * "N passed, N failed" line and returns 1 from main if anything failed or
 * nothing was checked. It holds no test logic of its own and must stay usable
 * from plain C11 without Lua.
 */
#ifndef LUADOCK_CHECK_H
#define LUADOCK_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed_ __attribute__((unused));
static int check_failed_ __attribute__((unused));

#define CHECK_FAIL_(...)                                    \
    do {                                                    \
        check_failed_++;                                    \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);     \
        fprintf(stderr, __VA_ARGS__);                       \
        fputc('\n', stderr);                                \
    } while (0)

/* CHECK(cond): cond is true. */
#define CHECK(cond)                                         \
    do {                                                    \
        if (cond) check_passed_++;                          \
        else CHECK_FAIL_("CHECK(%s) failed", #cond);        \
    } while (0)

/* CHECK_STR_EQ(actual, expected): equal C strings (two NULLs are equal). */
#define CHECK_STR_EQ(a, b)                                                      \
    do {                                                                        \
        const char *check_a_ = (a), *check_b_ = (b);                            \
        if (check_a_ == check_b_ ||                                             \
            (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0))          \
            check_passed_++;                                                    \
        else                                                                    \
            CHECK_FAIL_("CHECK_STR_EQ(%s, %s) failed: \"%s\" != \"%s\"", #a, #b, \
                        check_a_ ? check_a_ : "(NULL)",                         \
                        check_b_ ? check_b_ : "(NULL)");                        \
    } while (0)

/* CHECK_INT_EQ(actual, expected): equal integers (compared as long long). */
#define CHECK_INT_EQ(a, b)                                                      \
    do {                                                                        \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);         \
        if (check_a_ == check_b_) check_passed_++;                              \
        else CHECK_FAIL_("CHECK_INT_EQ(%s, %s) failed: %lld != %lld", #a, #b,   \
                         check_a_, check_b_);                                   \
    } while (0)

/* CHECK_MEM_EQ(actual, actual_len, expected, expected_len): equal byte strings,
 * for data with NULs (stream frames, JSON with embedded zeros). */
#define CHECK_MEM_EQ(a, alen, b, blen)                                          \
    do {                                                                        \
        size_t check_al_ = (size_t)(alen), check_bl_ = (size_t)(blen);          \
        if (check_al_ == check_bl_ &&                                           \
            (check_al_ == 0 || memcmp((a), (b), check_al_) == 0))               \
            check_passed_++;                                                    \
        else CHECK_FAIL_("CHECK_MEM_EQ(%s, %s) failed (lengths %zu and %zu)",   \
                         #a, #b, check_al_, check_bl_);                         \
    } while (0)

/* CHECK_DONE(): the last statement of main; returns 1 from it on any failure,
 * and also when no check ran at all: a program whose checks were all skipped
 * (a loop over an empty table, an early return left in) has tested nothing. */
#define CHECK_DONE()                                                            \
    do {                                                                        \
        printf("%d passed, %d failed\n", check_passed_, check_failed_);         \
        if (check_passed_ + check_failed_ == 0)                                 \
            fprintf(stderr, "%s: no check ran\n", __FILE__);                    \
        fflush(stdout);                                                         \
        return check_failed_ || check_passed_ == 0 ? 1 : 0;                     \
    } while (0)

#endif
