/* counters.h — hardware and software event counters through PAPI.
 * A ctr_set holds the requested events; each is checked with PAPI_query_named_event and
 * marked available or not (with PAPI's reason). Unavailable events never read as 0: their
 * value is CTR_NOT_MEASURED. All available events are counted in ONE PAPI event set per
 * repetition when they fit the counters; otherwise the hardware events are split into groups
 * (each with the software events) that take turns, one group per repetition, and ctr_groups()
 * says how many: a repetition reads CTR_NOT_MEASURED for the events of the groups not counting.
 * perf:: software events PAPI cannot offer (its perf_event component is disabled when libpfm4
 * has no model of the CPU, as on this VM) are counted with perf_event_open directly; ctr_backend
 * and ctr_note say so. */
#ifndef MH_COUNTERS_H
#define MH_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memhier.h"

typedef struct ctr_set ctr_set;

/* Value reported for an event that could not be measured. */
#define CTR_NOT_MEASURED (-1LL)

/* The default event list: PAPI presets then perf:: software events (9 names). */
extern const char *const ctr_default_events[];
/* Number of entries in ctr_default_events. */
size_t ctr_default_count(void);

/* Creates a set for names[0..n-1] (NULL/0: the default list). Initialises PAPI once per process.
 * Never fails for unavailable events or a missing PAPI: those events are marked unavailable with
 * the reason. Fails only on bad arguments (MH_EINVAL) or memory (MH_ENOMEM). */
int ctr_create(const char *const *names, size_t n, ctr_set **out, mh_error *err);
/* Frees s (stops counting if running); NULL is a no-op. */
void ctr_destroy(ctr_set *s);

/* Number of requested events (available or not). */
size_t ctr_count(const ctr_set *s);
/* Name of event i as requested. */
const char *ctr_name(const ctr_set *s, size_t i);
/* 1 if event i is counted, 0 if not. */
int ctr_available(const ctr_set *s, size_t i);
/* Why event i is unavailable (PAPI_strerror text plus context); "" when available. */
const char *ctr_reason(const ctr_set *s, size_t i);
/* 1 if event i is a hardware (PMU) event, 0 software (perf:: kernel events, e.g. page faults). */
int ctr_is_hardware(const ctr_set *s, size_t i);
/* Who counts event i: "papi", "perf_event_open" (software event PAPI could not offer) or "none". */
const char *ctr_backend(const ctr_set *s, size_t i);
/* For an available event not counted by PAPI: PAPI's reason and how it is counted; else "". */
const char *ctr_note(const ctr_set *s, size_t i);
/* Number of available events. */
size_t ctr_available_count(const ctr_set *s);
/* Event groups that take turns, one per repetition (ctr_start counts the next): 1 when every
 * available event is counted in each repetition, more when the counters are too few, 0 when
 * PAPI counts nothing (perf_event_open may still count software events in every repetition). */
int ctr_groups(const ctr_set *s);
/* Event i's group (0 .. ctr_groups - 1) when there are several; -1 when it is counted in every
 * repetition (one group, software events, perf_event_open) or not at all. */
int ctr_group_of(const ctr_set *s, size_t i);

/* Prints one line per unavailable event ("counter NAME not measured: REASON") to f, and one
 * when the hardware events take turns in groups: call once per run. */
void ctr_report_unavailable(const ctr_set *s, FILE *f);

/* Starts counting (one repetition). With no available events this is a no-op returning MH_OK. */
int ctr_start(ctr_set *s, mh_error *err);
/* Stops counting; values[i] (ctr_count entries) gets event i's count for the repetition, or
 * CTR_NOT_MEASURED for unavailable events. */
int ctr_stop(ctr_set *s, long long *values, mh_error *err);

#endif
