/* vmem_int.h — simulated virtual memory (sim/vmem.c): a page table (flat hash of page numbers)
 * over a fixed number of physical page frames (RAM capacity / page_size) with LRU or clock
 * replacement. Tells the timing model about minor faults (first touch), major faults (touch of a
 * page that was paged out) and dirty pages written to disk on eviction. */
#ifndef MH_VMEM_INT_H
#define MH_VMEM_INT_H

#include "config_int.h"

typedef struct mh_vmem mh_vmem;

/* What a touch found. */
enum mh_vm_result {
    MH_VM_HIT = 0,     /* page resident */
    MH_VM_MINOR = 1,   /* first touch: a fresh zero page, no disk read */
    MH_VM_MAJOR = 2    /* page had been evicted: read back from disk */
};

/* Builds an empty page table from c (capacity 0 = unlimited frames: no replacement). */
int mh_vmem_create(const mh_ram_cfg *c, mh_vmem **out, mh_error *err);
/* Touches the page of addr (write = 1 marks it dirty); returns an mh_vm_result. *wrote_out is set
 * to 1 when making room evicted a dirty page (a disk write), else left alone.
 * Returns -1 only when the page table could not grow (out of memory); the touch is then a hit. */
int mh_vmem_touch(mh_vmem *v, uint64_t addr, int write, int *wrote_out);
/* Makes every page overlapping [addr, addr + len) resident and clean without counting a fault
 * (pages the process had touched before the trace began), evicting as a touch would. Returns 0,
 * or -1 when the page table could not grow (pages marked so far stay resident). */
int mh_vmem_preload(mh_vmem *v, uint64_t addr, uint64_t len);
/* Number of page frames (0 = unlimited). */
uint64_t mh_vmem_frames(const mh_vmem *v);
/* Frees v; NULL is a no-op. */
void mh_vmem_destroy(mh_vmem *v);

#endif
