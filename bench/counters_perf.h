/* counters_perf.h — direct perf_event_open counting of kernel software events, used by counters.c
 * when PAPI cannot offer a perf:: software event (e.g. its perf_event component is disabled
 * because libpfm4 has no model of the CPU, as on VMs with new CPUs). Internal to bench/. */
#ifndef MH_COUNTERS_PERF_H
#define MH_COUNTERS_PERF_H

#include <stddef.h>

/* Maps "perf::MINOR-FAULTS" etc. to a perf software config; returns -1 if not a software event. */
long long ctr_perf_sw_config(const char *name);
/* Opens a disabled counter for the calling thread; returns the fd, or -errno. *user_only is
 * set to 1 when the kernel only allowed user-space counting (perf_event_paranoid). */
int ctr_perf_open(long long config, int *user_only);
/* Resets and enables fd. */
int ctr_perf_enable(int fd);
/* Disables fd and reads its count into *value; returns 0 or -errno. */
int ctr_perf_read(int fd, long long *value);

#endif
