/* support_timing.h — helpers for the timing-model tests (test_timing, test_timing_core): the
 * analytic machine they share and model creation. */
#ifndef SUPPORT_TIMING_H
#define SUPPORT_TIMING_H

#include "timing_int.h"

/* Fills c with three cache levels (latency 4, 12, 40 cycles; 32K/512K/4M, 8 ways, 64-byte lines,
 * 16 MSHRs) over RAM of 100 ns at 1 GHz; no TLB, pages, rows or bandwidth limits; base_cpi 0:
 * every quantity a test derives from it is a plain sum. source names the test in messages. */
void support_timing_config(mh_config *c, const char *source);
/* Creates a timing model for c; fails the test with the library's message on error. */
mh_timing *support_timing_make(const mh_config *c);

#endif
