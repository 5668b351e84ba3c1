/* fuzz.h - what every fuzz target in tests/fuzz/ shares: the libFuzzer entry
 * point's prototype, FUZZ_CHECK (a broken property aborts, which libFuzzer
 * reports as a crash and the replay program as a failed run), and the chunk
 * reader that turns the front of an input into the sizes a stream is split
 * at, and the private folder of the targets that write files. Targets must stay deterministic and keep no state between inputs that
 * changes what an input does; nothing here may contact an engine.
 */
#ifndef LUADOCK_FUZZ_H
#define LUADOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__,        \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* The split of a stream: the first byte's low 4 bits say how many chunk
 * sizes follow (one byte each, 0 = an empty feed); the rest of the input is
 * the stream, whose remainder after the listed chunks is one last chunk. */
typedef struct fuzz_chunks {
    const uint8_t *sizes;
    size_t nsizes;
    const uint8_t *stream;
    size_t len;
} fuzz_chunks;

static inline fuzz_chunks fuzz_chunks_read(const uint8_t *data, size_t size)
{
    fuzz_chunks c = {data, 0, data, 0};
    if (size == 0)
        return c;
    size_t n = data[0] & 15;
    if (n > size - 1)
        n = size - 1;
    c.sizes = data + 1;
    c.nsizes = n;
    c.stream = data + 1 + n;
    c.len = size - 1 - n;
    return c;
}

/* Makes a private folder luadock-fuzz-<name>-XXXXXX into `out` (PATH_MAX
 * bytes), under $TMPDIR, else /dev/shm when writable (files there cost no
 * disk writes at thousands of runs a second), else /tmp. */
static inline void fuzz_make_sandbox(char *out, size_t cap, const char *name)
{
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (!base || !*base)
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                       access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(out, cap, "%s/luadock-fuzz-%s-XXXXXX", base, name);
    FUZZ_CHECK(mkdtemp(out) != NULL);
}

#endif
