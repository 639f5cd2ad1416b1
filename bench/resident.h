/* resident.h — pages a traced point found already resident, so first-touch minor faults can be
 * simulated for the pages the process really touched first.
 *
 * Lifecycle: bench_pages_snapshot (before a point's setup) -> bench_pages_add_setup for the
 * memory the setup wrote (its kernel's `written` spans) -> capture the point's trace ->
 * bench_resident_write (keeps the snapshot's pages that the trace touches, and the setup's, in
 * TRACE.resident) -> bench_pages_free. A replay: bench_resident_load -> bench_pages_apply to a
 * fresh hierarchy -> bench_pages_free.
 *
 * TRACE.resident is text: a comment line, `page_size N`, then one `0xADDR PAGES` line per run of
 * resident pages and one `setup 0xADDR PAGES` line per run of pages the setup touched first
 * (ADDR page-aligned; each kind ascending, its runs disjoint; no page of both kinds). */
#ifndef BENCH_RESIDENT_H
#define BENCH_RESIDENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memhier.h"

typedef struct bench_pages bench_pages; /* sorted, disjoint runs of pages */

/* Records which pages of every private writable mapping of this process are resident (mincore);
 * *out is freed with bench_pages_free. MH_EIO when /proc/self/maps cannot be read, MH_ENOMEM. */
int bench_pages_snapshot(bench_pages **out, mh_error *err);
/* Number of pages in p (NULL: 0). */
uint64_t bench_pages_count(const bench_pages *p);
/* 1 when the page holding addr is in p, else 0. */
int bench_pages_has(const bench_pages *p, uint64_t addr);
/* Adds the pages of [lo, hi) that p does not hold to p's setup pages (the setup's first
 * touches); spans are best given ascending (a page before the last setup run is skipped).
 * MH_ENOMEM leaves the pages added so far. */
int bench_pages_add_setup(bench_pages *p, uint64_t lo, uint64_t hi, mh_error *err);
/* p's setup pages (runs read with bench_pages_run / bench_pages_count), or NULL when none. */
const bench_pages *bench_pages_setup(const bench_pages *p);
/* Writes trace_path + ".resident" (temporary name, renamed): the pages of snap that the trace's
 * records touch; *kept = their number. No file is left on failure. */
int bench_resident_write(const bench_pages *snap, const char *trace_path, uint64_t *kept, mh_error *err);
/* Reads trace_path + ".resident" into *out; *out = NULL (and MH_OK) when there is none. Malformed
 * lines are MH_EFORMAT naming file:line. */
int bench_resident_load(const char *trace_path, bench_pages **out, mh_error *err);
/* Reads the sidecar file at path into *out; a missing file is MH_OK with *out = NULL when
 * missing_ok, else MH_ENOTFOUND. Malformed lines are MH_EFORMAT naming path:line. */
int bench_pages_load(const char *path, int missing_ok, bench_pages **out, mh_error *err);
/* Parses sidecar text from f (name names it in messages) into *out, as bench_resident_load. */
int bench_pages_parse(FILE *f, const char *name, bench_pages **out, mh_error *err);
/* Copies run i of p ([*start, *end), bytes) out; returns 0 when there is no run i. */
int bench_pages_run(const bench_pages *p, size_t i, uint64_t *start, uint64_t *end);
/* Marks p's pages resident in h (mh_hier_resident per run); its setup pages are then touched
 * (mh_hier_touch_pages: each counts a minor fault) when setup_faults, else marked resident too.
 * p NULL: nothing. Returns MH_OK or the library's error. */
int bench_pages_apply(const bench_pages *p, mh_hier *h, int setup_faults, mh_error *err);
/* Frees p; NULL is a no-op. */
void bench_pages_free(bench_pages *p);

#endif
