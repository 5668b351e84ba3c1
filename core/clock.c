/* clock.c - the one clock every timeout, deadline and wait of the core reads.
 *
 * Monotonic, so a wall-clock jump (NTP, a suspended laptop) never fires or
 * postpones a timeout. It must stay a leaf: everything may call it, it calls
 * nothing of the core.
 */
#include <time.h>
#include "luadock.h"

double ld_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
