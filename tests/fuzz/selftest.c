/* selftest.c - a fuzz target whose one property breaks on an input starting
 * with "break": the replay program built from it must fail on selftest/ (it
 * holds such an input) and pass on selftest/pass/ (ctest fuzz.replay_fails),
 * so a stored crashing input can never replay as a pass. It tests no library
 * code and must not be fuzzed.
 */
#include <string.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CHECK(!(size >= 5 && memcmp(data, "break", 5) == 0));
    return 0;
}
