/* cancel.c - the process-wide cancel flag (Ctrl-C, a loop's abort).
 *
 * A signal handler sets it, so setting it must stay async-signal-safe: one
 * sig_atomic_t store, nothing else. Every wait of the core (transfers,
 * hijacked connections, child programs) polls it at least every 200 ms;
 * shielded clean-up work ignores it. It must stay a leaf: it calls nothing.
 */
#include <signal.h>
#include "luadock.h"

static volatile sig_atomic_t cancel_flag;

void ld_cancel(void) { cancel_flag = 1; }
void ld_cancel_reset(void) { cancel_flag = 0; }
int ld_cancel_requested(void) { return cancel_flag != 0; }
