/* credhelper_answer.c - the credential helper that fuzz_credhelper.c runs:
 * built as docker-credential-luadock-fuzz (build/fuzz/helpers/), it is a real
 * program started by core.run_program, so the whole path a helper's answer
 * takes (pipes, size bound, exit status, signals) is the one users get. It
 * answers what the fuzz target wrote to the file named by
 * $LUADOCK_FUZZ_ANSWER: one byte 'e' (exit) or 's' (signal) and one byte of
 * status or signal number, 4 bytes (little-endian) of stdout length, the
 * stdout bytes, and the rest for stderr. Like a real helper it reads all of
 * stdin (the server URL) first. It is test-only, never installed, and writes
 * nothing but its two outputs.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            return;   /* the reader stopped (an answer over its bound) */
        p += n;
        len -= (size_t)n;
    }
}

int main(void)
{
    char buf[4096];
    while (read(0, buf, sizeof buf) > 0) {
    }
    const char *path = getenv("LUADOCK_FUZZ_ANSWER");
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        fputs("docker-credential-luadock-fuzz: no $LUADOCK_FUZZ_ANSWER file\n", stderr);
        return 125;
    }
    size_t cap = 1 << 16, len = 0, n;
    unsigned char *data = malloc(cap);
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(data, cap *= 2);
            if (!bigger)
                free(data);
            data = bigger;
        }
    }
    fclose(f);
    if (!data || len < 6)
        return 125;
    uint32_t out_len = (uint32_t)data[2] | (uint32_t)data[3] << 8 | (uint32_t)data[4] << 16 |
                       (uint32_t)data[5] << 24;
    if (out_len > len - 6)
        return 125;
    write_all(1, data + 6, out_len);
    write_all(2, data + 6 + out_len, len - 6 - out_len);
    int kind = data[0], value = data[1];
    free(data);
    if (kind == 's') {
        signal(value, SIG_DFL);
        raise(value);
        return 124;   /* a signal that does not kill */
    }
    return value;
}
