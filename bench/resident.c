/* resident.c — resident-page snapshots (mincore over /proc/self/maps) and the TRACE.resident
 * sidecar that carries the pages of a captured trace that were resident before its setup, and
 * the pages its setup touched first. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "resident.h"

#define RES_CHUNK 65536u /* pages per mincore call (its vector is mapped: off the heap and the stack) */
#define RES_BATCH 65536u /* records per trace read */

/* One run of pages: [start, end) in bytes, page-aligned. */
typedef struct page_run {
    uint64_t start, end;
} page_run;

struct bench_pages {
    page_run *run;      /* ascending, disjoint, not adjacent; mmap'd, never from the malloc heap */
    size_t n, cap;      /* runs used / allocated */
    uint64_t page;      /* page size in bytes */
    bench_pages *setup; /* pages the point's setup touched first (none of run's), or NULL */
};

/* Anonymous zeroed memory outside the malloc heap: a snapshot must not move the heap it
 * snapshots, nor change malloc's mmap threshold for the kernels that follow. NULL on failure. */
static void *map_bytes(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* Appends [start, end) after the last run (merging when adjacent); MH_ENOMEM on failure. */
static int add_run(bench_pages *p, uint64_t start, uint64_t end)
{
    if (p->n && p->run[p->n - 1].end == start) {
        p->run[p->n - 1].end = end;
        return MH_OK;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 4096;
        void *g = p->run ? mremap(p->run, p->cap * sizeof *p->run, cap * sizeof *p->run, MREMAP_MAYMOVE)
                         : map_bytes(cap * sizeof *p->run);
        if (!g || g == MAP_FAILED)
            return MH_ENOMEM;
        p->run = g;
        p->cap = cap;
    }
    p->run[p->n++] = (page_run){start, end};
    return MH_OK;
}

/* Adds the resident pages of mapping [lo, hi) (vec: RES_CHUNK bytes of scratch). */
static int scan_mapping(bench_pages *p, uint64_t lo, uint64_t hi, unsigned char *vec)
{
    for (uint64_t a = lo; a < hi;) {
        uint64_t len = hi - a < (uint64_t)RES_CHUNK * p->page ? hi - a : (uint64_t)RES_CHUNK * p->page;
        if (mincore((void *)(uintptr_t)a, (size_t)len, vec) != 0)
            return MH_OK; /* unmapped meanwhile or not a normal mapping: nothing resident to report */
        for (uint64_t k = 0; k < len / p->page; k++)
            if ((vec[k] & 1) && add_run(p, a + k * p->page, a + (k + 1) * p->page) != MH_OK)
                return MH_ENOMEM;
        a += len;
    }
    return MH_OK;
}

/* Snapshot of this process's resident private writable pages. */
int bench_pages_snapshot(bench_pages **out, mh_error *err)
{
    *out = NULL;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return mh_error_set(err, MH_EIO, "/proc/self/maps: %s", strerror(errno));
    bench_pages *p = calloc(1, sizeof *p);
    unsigned char *vec = map_bytes(RES_CHUNK);
    int rc = p && vec ? MH_OK : MH_ENOMEM;
    char line[4352];
    if (p)
        p->page = (uint64_t)sysconf(_SC_PAGESIZE);
    if (vec)
        memset(vec, 0, RES_CHUNK); /* resident before any mapping is scanned */
    while (rc == MH_OK && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3 && perms[1] == 'w' && perms[3] == 'p')
            rc = scan_mapping(p, lo, hi, vec);
    }
    fclose(f);
    if (vec)
        munmap(vec, RES_CHUNK);
    if (rc != MH_OK) {
        bench_pages_free(p);
        return mh_error_set(err, rc, "resident pages: out of memory");
    }
    *out = p;
    return MH_OK;
}

/* Pages in p. */
uint64_t bench_pages_count(const bench_pages *p)
{
    uint64_t n = 0;
    for (size_t i = 0; p && i < p->n; i++)
        n += (p->run[i].end - p->run[i].start) / p->page;
    return n;
}

/* Index of the first run ending after addr, or p->n. */
static size_t run_after(const bench_pages *p, uint64_t addr)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->run[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the run holding addr, or p->n. */
static size_t find_run(const bench_pages *p, uint64_t addr)
{
    size_t i = run_after(p, addr);
    return i < p->n && p->run[i].start <= addr ? i : p->n;
}

/* 1 when addr's page is in p. */
int bench_pages_has(const bench_pages *p, uint64_t addr)
{
    return p && find_run(p, addr) < p->n;
}

/* p's setup runs, created empty (with p's page size) on first use; NULL when out of memory. */
static bench_pages *setup_runs(bench_pages *p)
{
    if (!p->setup && (p->setup = calloc(1, sizeof *p->setup)) != NULL)
        p->setup->page = p->page;
    return p->setup;
}

/* Adds the pages of [lo, hi) that p does not hold to p's setup runs. */
int bench_pages_add_setup(bench_pages *p, uint64_t lo, uint64_t hi, mh_error *err)
{
    bench_pages *s = setup_runs(p);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "setup pages: out of memory");
    uint64_t from = lo / p->page * p->page;
    if (s->n && from < s->run[s->n - 1].end)
        from = s->run[s->n - 1].end; /* spans given out of order or overlapping: only new pages */
    for (uint64_t a = from; a < hi && a >= from; a += p->page)
        if (!bench_pages_has(p, a) && add_run(s, a, a + p->page) != MH_OK)
            return mh_error_set(err, MH_ENOMEM, "setup pages: out of memory at 0x%llx", (unsigned long long)a);
    return MH_OK;
}

/* p's setup pages, or NULL. */
const bench_pages *bench_pages_setup(const bench_pages *p)
{
    return p ? p->setup : NULL;
}

/* Marks in bits (one per page of snap, runs in order; base[i] = first bit of run i) the pages
 * of [addr, addr + size) that snap holds. */
static void mark(const bench_pages *snap, const uint64_t *base, uint8_t *bits, uint64_t addr, uint32_t size)
{
    uint64_t last = addr + (size ? size - 1 : 0);
    if (last < addr)
        last = UINT64_MAX;
    for (uint64_t pg = addr / snap->page; pg <= last / snap->page; pg++) {
        size_t i = find_run(snap, pg * snap->page);
        if (i < snap->n) {
            uint64_t b = base[i] + (pg * snap->page - snap->run[i].start) / snap->page;
            bits[b / 8] |= (uint8_t)(1u << (b % 8));
        }
        if (pg == UINT64_MAX / snap->page)
            break;
    }
}

/* Reads the trace at path, marking the pages of snap its records touch. */
static int mark_trace(const bench_pages *snap, const uint64_t *base, uint8_t *bits, const char *path,
                      mh_error *err)
{
    mh_trace *t = NULL;
    int rc = mh_trace_open(path, &t, err);
    mh_rec *buf = rc == MH_OK ? malloc(RES_BATCH * sizeof *buf) : NULL;
    if (rc == MH_OK && !buf)
        rc = mh_error_set(err, MH_ENOMEM, "%s: out of memory", path);
    size_t got = 0;
    while (rc == MH_OK && (rc = mh_trace_read(t, buf, RES_BATCH, &got, err)) == MH_OK && got)
        for (size_t i = 0; i < got; i++)
            if (buf[i].op < MH_KINDS)
                mark(snap, base, bits, buf[i].addr, buf[i].size);
    free(buf);
    mh_trace_close(t);
    return rc;
}

/* Writes the marked pages as runs to f, then the setup's first touches as `setup` runs. */
static void write_runs(FILE *f, const bench_pages *snap, const uint64_t *base, const uint8_t *bits)
{
    fprintf(f, "# memhier resident pages: pages of the trace resident before its point's setup; "
               "setup: pages the setup touched first\n");
    fprintf(f, "page_size %" PRIu64 "\n", snap->page);
    for (size_t i = 0; snap->setup && i < snap->setup->n; i++)
        fprintf(f, "setup 0x%" PRIx64 " %" PRIu64 "\n", snap->setup->run[i].start,
                (snap->setup->run[i].end - snap->setup->run[i].start) / snap->page);
    for (size_t i = 0; i < snap->n; i++) {
        uint64_t pages = (snap->run[i].end - snap->run[i].start) / snap->page, from = 0;
        for (uint64_t k = 0; k <= pages; k++) {
            uint64_t b = base[i] + k;
            int set = k < pages && (bits[b / 8] >> (b % 8) & 1);
            if (set && !from)
                from = k + 1;
            if (!set && from) {
                fprintf(f, "0x%" PRIx64 " %" PRIu64 "\n", snap->run[i].start + (from - 1) * snap->page, k - from + 1);
                from = 0;
            }
        }
    }
}

/* Keeps the pages of snap the trace touches, as trace_path.resident. */
int bench_resident_write(const bench_pages *snap, const char *trace_path, uint64_t *kept, mh_error *err)
{
    uint64_t total = bench_pages_count(snap);
    uint64_t *base = malloc((snap->n ? snap->n : 1) * sizeof *base);
    uint8_t *bits = calloc(total / 8 + 1, 1);
    int rc = base && bits ? MH_OK : mh_error_set(err, MH_ENOMEM, "%s: out of memory", trace_path);
    for (size_t i = 0, b = 0; rc == MH_OK && i < snap->n; b += (snap->run[i].end - snap->run[i].start) / snap->page, i++)
        base[i] = b;
    if (rc == MH_OK)
        rc = mark_trace(snap, base, bits, trace_path, err);
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s.resident", trace_path);
    FILE *f = rc == MH_OK ? mh_tmpfile_open(path, tmp, sizeof tmp, err) : NULL;
    if (rc == MH_OK && !f)
        rc = MH_EIO;
    if (f) {
        write_runs(f, snap, base, bits);
        rc = mh_tmpfile_commit(f, tmp, path, 1, err);
    }
    *kept = 0;
    for (uint64_t b = 0; rc == MH_OK && b < total; b++)
        *kept += bits[b / 8] >> (b % 8) & 1;
    free(base);
    free(bits);
    return rc;
}

/* Parses one `0xADDR PAGES` line of file:lineno into p. */
static int parse_run(bench_pages *p, const char *s, const char *file, unsigned lineno, mh_error *err)
{
    char *end;
    errno = 0;
    unsigned long long a = strtoull(s, &end, 16), n;
    int ok = !errno && strncmp(s, "0x", 2) == 0 && *end == ' ';
    if (ok) {
        const char *s2 = end + 1;
        n = strtoull(s2, &end, 10);
        ok = !errno && s2[0] >= '0' && s2[0] <= '9' && (*end == '\n' || *end == 0) && n >= 1;
    }
    if (!ok)
        return mh_error_set(err, MH_EFORMAT, "%s:%u: expected '0xADDR PAGES' (hex address, pages >= 1)", file, lineno);
    if (a % p->page || n > (UINT64_MAX - a) / p->page || (p->n && a < p->run[p->n - 1].end))
        return mh_error_set(err, MH_EFORMAT,
                            "%s:%u: run 0x%llx + %llu pages must be page-aligned (%llu), ascending and "
                            "disjoint, within the address space", file, lineno, a, n, (unsigned long long)p->page);
    if (add_run(p, a, a + n * p->page) != MH_OK)
        return mh_error_set(err, MH_ENOMEM, "%s:%u: out of memory", file, lineno);
    return MH_OK;
}

/* Parses the `page_size N` line (a power of two, 512..1G). */
static int parse_page(bench_pages *p, const char *s, const char *file, unsigned lineno, mh_error *err)
{
    unsigned long long v = 0;
    char extra = '\n';
    int got = sscanf(s, "page_size %llu%c", &v, &extra);
    if (got < 1 || extra != '\n' || v < 512 || v > (1ull << 30) || (v & (v - 1)))
        return mh_error_set(err, MH_EFORMAT, "%s:%u: expected 'page_size N' (a power of two, 512..1G)", file, lineno);
    p->page = v;
    return MH_OK;
}

/* Parses a `setup 0xADDR PAGES` line of file:lineno into p's setup runs. */
static int parse_setup(bench_pages *p, const char *s, const char *file, unsigned lineno, mh_error *err)
{
    bench_pages *runs = setup_runs(p);
    if (!runs)
        return mh_error_set(err, MH_ENOMEM, "%s:%u: out of memory", file, lineno);
    return parse_run(runs, s + strlen("setup "), file, lineno, err);
}

/* MH_OK when no setup page of p is one of its resident pages (a page is first touched once). */
static int check_setup(const bench_pages *p, const char *file, mh_error *err)
{
    for (size_t i = 0; p->setup && i < p->setup->n; i++) {
        page_run s = p->setup->run[i];
        size_t lo = run_after(p, s.start);
        if (lo < p->n && p->run[lo].start < s.end) {
            uint64_t a = p->run[lo].start > s.start ? p->run[lo].start : s.start;
            return mh_error_set(err, MH_EFORMAT, "%s: setup page 0x%llx is also listed as resident "
                                "before the setup", file, (unsigned long long)a);
        }
    }
    return MH_OK;
}

/* Parses a sidecar from f (name: for messages). */
int bench_pages_parse(FILE *f, const char *name, bench_pages **out, mh_error *err)
{
    char line[256];
    *out = NULL;
    bench_pages *p = calloc(1, sizeof *p);
    int rc = p ? MH_OK : mh_error_set(err, MH_ENOMEM, "%s: out of memory", name);
    unsigned lineno = 0;
    while (rc == MH_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (!p->page)
            rc = parse_page(p, line, name, lineno, err);
        else if (strncmp(line, "setup ", 6) == 0)
            rc = parse_setup(p, line, name, lineno, err);
        else
            rc = parse_run(p, line, name, lineno, err);
    }
    if (rc == MH_OK && ferror(f))
        rc = mh_error_set(err, MH_EIO, "%s: read error", name);
    if (rc == MH_OK && !p->page)
        rc = mh_error_set(err, MH_EFORMAT, "%s:%u: no 'page_size N' line", name, lineno);
    if (rc == MH_OK)
        rc = check_setup(p, name, err);
    if (rc != MH_OK) {
        bench_pages_free(p);
        return rc;
    }
    *out = p;
    return MH_OK;
}

/* Loads the sidecar file at path; a missing file is MH_OK with *out = NULL when missing_ok. */
int bench_pages_load(const char *path, int missing_ok, bench_pages **out, mh_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT && missing_ok)
        return MH_OK;
    if (!f)
        return mh_error_set(err, errno == ENOENT ? MH_ENOTFOUND : MH_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc = bench_pages_parse(f, path, out, err);
    fclose(f);
    return rc;
}

/* Loads trace_path.resident, when present. */
int bench_resident_load(const char *trace_path, bench_pages **out, mh_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.resident", trace_path);
    return bench_pages_load(path, 1, out, err);
}

/* Copies run i of p into *start and *end; 0 when i is past the last run. */
int bench_pages_run(const bench_pages *p, size_t i, uint64_t *start, uint64_t *end)
{
    if (!p || i >= p->n)
        return 0;
    *start = p->run[i].start;
    *end = p->run[i].end;
    return 1;
}

/* Marks p's runs resident in h, then touches its setup runs (or marks them resident too). */
int bench_pages_apply(const bench_pages *p, mh_hier *h, int setup_faults, mh_error *err)
{
    int rc = MH_OK;
    for (size_t i = 0; p && rc == MH_OK && i < p->n; i++)
        rc = mh_hier_resident(h, p->run[i].start, p->run[i].end - p->run[i].start, err);
    const bench_pages *s = p ? p->setup : NULL;
    for (size_t i = 0; s && rc == MH_OK && i < s->n; i++)
        rc = setup_faults ? mh_hier_touch_pages(h, s->run[i].start, s->run[i].end - s->run[i].start, err)
                          : mh_hier_resident(h, s->run[i].start, s->run[i].end - s->run[i].start, err);
    return rc;
}

/* Frees p. */
void bench_pages_free(bench_pages *p)
{
    if (!p)
        return;
    if (p->run)
        munmap(p->run, p->cap * sizeof *p->run);
    bench_pages_free(p->setup);
    free(p);
}
