/* prefetch.c — hardware prefetchers: a registry {name, observe, help} of policies that watch one
 * level's demand stream (line numbers) and propose lines to fetch. No PC is known, so the stride
 * and stream detectors keep a small table of concurrent streams, matched by address.
 * degree = lines proposed per trigger (0 -> 1); distance = how far ahead of the demand the first
 * proposal is, in lines (next-line, stream) or strides (stride) (0 -> 1). Lines already proposed
 * for a stream are not proposed again; the hierarchy drops proposals already cached. */
#include <stdlib.h>
#include <string.h>

#include "prefetch_int.h"

#define NSTREAMS 8              /* concurrent streams tracked by stride and stream */
#define MAX_STRIDE 1024         /* largest stride learnt, in lines (64 KiB at 64-byte lines) */
#define STREAM_WINDOW 16        /* stream: accesses this many lines past the head still advance it */
#define STREAM_START 1          /* stream: an access to the line next to the first sets its direction */
#define PF_PAGE 4096            /* prefetches stay inside the 4 KiB page of the access, as in hardware */
#define NREGIONS 16             /* region: recently touched regions tracked */
#define REGION_MAX 64           /* region: most lines in a region (a 64-bit map) */

/* One tracked region (spatial prefetcher). */
typedef struct region {
    uint64_t tag;               /* region number + 1 (0 = free) */
    uint64_t touched;           /* lines accessed, one bit each */
    uint64_t proposed;          /* lines proposed */
} region;

/* One tracked stream. */
typedef struct stream {
    int valid;                  /* entry in use */
    uint64_t last;              /* last line seen (stream: head) */
    int64_t stride;             /* lines between accesses (stream: direction +1/-1, 0 = unknown) */
    uint64_t next;              /* stride: last + stride (last while the stride is unknown) */
    int conf;                   /* times the stride repeated */
    uint64_t pf_upto;           /* furthest line proposed so far (in the stride direction) */
    int pf_any;                 /* pf_upto is meaningful */
} stream;

typedef size_t (*observe_fn)(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max);

struct mh_pf {
    int kind;                   /* enum mh_prefetcher */
    observe_fn observe;         /* from the registry */
    uint32_t degree;            /* lines per trigger */
    uint32_t distance;          /* lines/strides ahead */
    uint64_t last_line;         /* next-line: last line triggered on */
    uint64_t page_lines;        /* lines per PF_PAGE (0 when unknown or lines are a page or larger) */
    stream s[NSTREAMS];         /* stride/stream tables */
    uint32_t rr;                /* round-robin replacement cursor */
    uint32_t region_lines;      /* region: lines per region (64, or a 4 KiB page's when fewer) */
    region r[NREGIONS];         /* region: the table */
};

/* Proposes the lines at line + step*(distance .. distance+degree-1), skipping those the stream
 * already proposed; returns how many went to out. */
static size_t propose(mh_pf *p, stream *e, uint64_t line, int64_t step, uint64_t *out, size_t max)
{
    size_t n = 0;
    for (uint32_t k = 0; k < p->degree && n < max; k++) {
        uint64_t target = line + (uint64_t)(step * (int64_t)(p->distance + k));
        if (step > 0 ? target < line : target > line) break;   /* ran off either end of memory */
        if (p->page_lines && target / p->page_lines != line / p->page_lines)
            break;  /* hardware prefetches stop at the 4 KiB page: physical pages are not contiguous */
        if (e && e->pf_any && (step > 0 ? target <= e->pf_upto : target >= e->pf_upto)) continue;
        out[n++] = target;
        if (e) { e->pf_upto = target; e->pf_any = 1; }
    }
    return n;
}

/* next-line: every access to a new line proposes the lines just after it. */
static size_t observe_next_line(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max)
{
    (void)miss;
    if (line == p->last_line) return 0;
    p->last_line = line;
    return propose(p, NULL, line, 1, out, max);
}

/* Returns the entry to (re)use: the first free one, else round robin. */
static stream *claim(mh_pf *p)
{
    for (int i = 0; i < NSTREAMS; i++)
        if (!p->s[i].valid) return &p->s[i];
    stream *e = &p->s[p->rr];
    p->rr = (p->rr + 1) % NSTREAMS;
    return e;
}

/* stride: a stream whose predicted next line (last + stride) arrives gains confidence and, once
 * the stride has repeated, proposes lines ahead; otherwise the nearest stream relearns its stride.
 * The first stream (in table order) that the line repeats or continues decides; only when none
 * does are the distances needed (a second pass). */
static size_t observe_stride(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max)
{
    (void)miss;
    for (int i = 0; i < NSTREAMS; i++) {
        stream *e = &p->s[i];
        if (!e->valid) continue;
        if (line == e->last) return 0;                    /* same line again: no news */
        if (line == e->next) {                            /* the stride continues */
            e->last = line;
            e->next = line + (uint64_t)e->stride;
            if (e->conf < 3) e->conf++;
            return propose(p, e, line, e->stride, out, max);
        }
    }
    stream *near = NULL;
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < NSTREAMS; i++) {
        stream *e = &p->s[i];
        uint64_t d = line > e->last ? line - e->last : e->last - line;
        if (e->valid && d < best) { best = d; near = e; }
    }
    if (near && best <= MAX_STRIDE) {                     /* learn a new stride */
        near->stride = (int64_t)(line - near->last);
        near->last = line;
        near->next = line + (uint64_t)near->stride;
        near->conf = 0;
        near->pf_any = 0;
        return 0;
    }
    stream *e = claim(p);
    memset(e, 0, sizeof *e);
    e->valid = 1;
    e->last = line;
    e->next = line;
    return 0;
}

/* stream: a miss starts a stream; an access to the adjacent line fixes its direction (so a random
 * walk inside a page rarely trains it); then any access up to STREAM_WINDOW lines past the head
 * advances it and proposes lines ahead, within the page of the access. */
static size_t observe_stream(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max)
{
    for (int i = 0; i < NSTREAMS; i++) {
        stream *e = &p->s[i];
        if (!e->valid) continue;
        if (line == e->last) return 0;
        int64_t d = (int64_t)(line - e->last);
        if (e->stride == 0 && d != 0 && d >= -STREAM_START && d <= STREAM_START) {
            e->stride = d > 0 ? 1 : -1;
        } else if (e->stride == 0 || d * e->stride <= 0 || d * e->stride > STREAM_WINDOW) {
            continue;
        }
        e->last = line;
        return propose(p, e, line, e->stride, out, max);
    }
    if (!miss) return 0;
    stream *e = claim(p);
    memset(e, 0, sizeof *e);
    e->valid = 1;
    e->last = line;
    return 0;
}

/* region: each access marks its line in its region's map (64 lines, or a 4 KiB page when that
 * holds fewer, so that it never leaves the page); once distance lines of the region were
 * touched, each access proposes up to degree of its lines neither touched nor proposed yet,
 * in address order. A dense random walk through a page thus fetches the rest of the page, as
 * a spatial prefetcher does, while a walk touching few lines of each page fetches nothing. */
static size_t observe_region(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max)
{
    (void)miss;
    uint64_t tag = line / p->region_lines + 1, first = (tag - 1) * p->region_lines;
    region *e = NULL;
    for (int i = 0; i < NREGIONS && !e; i++)
        if (p->r[i].tag == tag) e = &p->r[i];
    if (!e) {                                  /* oldest first: round robin over the table */
        e = &p->r[p->rr];
        p->rr = (p->rr + 1) % NREGIONS;
        *e = (region){tag, 0, 0};
    }
    e->touched |= 1ull << (line - first);
    if ((uint32_t)__builtin_popcountll(e->touched) < p->distance)
        return 0;
    uint64_t all = p->region_lines == 64 ? UINT64_MAX : (1ull << p->region_lines) - 1;
    uint64_t left = all & ~(e->touched | e->proposed);
    size_t n = 0;
    for (; left && n < p->degree && n < max; left &= left - 1) {
        int b = __builtin_ctzll(left);
        e->proposed |= 1ull << b;
        out[n++] = first + (uint64_t)b;
    }
    return n;
}

/* The registry, indexed by enum mh_prefetcher. */
static const struct {
    const char *name;
    observe_fn fn;
    const char *help;
} registry[] = {
    [MH_PF_NONE] = { "none", NULL, "no hardware prefetching" },
    [MH_PF_NEXT_LINE] = { "next-line", observe_next_line, "each new line accessed fetches the next degree lines, distance lines ahead" },
    [MH_PF_STRIDE] = { "stride", observe_stride, "per-stream constant stride (up to 1024 lines), degree strides per trigger, distance strides ahead" },
    [MH_PF_STREAM] = { "stream", observe_stream, "sequential streams started by misses, ascending or descending, degree lines distance ahead" },
    [MH_PF_REGION] = { "region", observe_region, "spatial: once distance lines of a 4 KiB page (at most 64 lines) were touched, up to degree of its other lines per access" },
};
#define NKINDS ((int)(sizeof registry / sizeof registry[0]))

/* Creates the prefetcher configured for level lc; *out = NULL when lc->prefetcher is none. */
int mh_pf_create(const mh_level_cfg *lc, mh_pf **out, mh_error *err)
{
    if (lc->prefetcher < 0 || lc->prefetcher >= NKINDS)
        return mh_error_set(err, MH_ECONFIG, "[%s] prefetcher = %d, allowed: none, next-line, stride, stream, region",
                            lc->name, lc->prefetcher);
    if (lc->prefetcher == MH_PF_NONE) { *out = NULL; return MH_OK; }
    mh_pf *p = calloc(1, sizeof *p);
    if (!p) return mh_error_set(err, MH_ENOMEM, "[%s] prefetcher: out of memory", lc->name);
    p->kind = lc->prefetcher;
    p->observe = registry[p->kind].fn;
    p->degree = lc->pf_degree ? lc->pf_degree : 1;
    p->distance = lc->pf_distance ? lc->pf_distance : 1;
    p->last_line = UINT64_MAX;
    p->page_lines = lc->line && lc->line < PF_PAGE ? PF_PAGE / lc->line : 0; /* 0: no page bound */
    p->region_lines = p->page_lines && p->page_lines < REGION_MAX ? (uint32_t)p->page_lines : REGION_MAX;
    if (lc->pf_cross) /* a prefetcher that translates through the DTLB (region keeps its page) */
        p->page_lines = 0;
    if (lc->line >= PF_PAGE) p->region_lines = 1;   /* a line as large as a page: nothing beside it */
    *out = p;
    return MH_OK;
}

/* Observes a demand access to line number `line`; writes at most max candidates to out. */
size_t mh_pf_observe(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max)
{
    return p->observe(p, line, miss, out, max);
}

/* Frees p; NULL is a no-op. */
void mh_pf_destroy(mh_pf *p)
{
    free(p);
}

/* Returns the enum mh_prefetcher value for name, or -1. */
int mh_pf_lookup(const char *name)
{
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(registry[i].name, name) == 0) return i;
    return -1;
}

/* Returns the name of an enum mh_prefetcher value ("?" when out of range). */
const char *mh_pf_name(int kind)
{
    return kind >= 0 && kind < NKINDS ? registry[kind].name : "?";
}

/* Returns the one-line help of an enum mh_prefetcher value ("" when out of range). */
const char *mh_pf_help(int kind)
{
    return kind >= 0 && kind < NKINDS ? registry[kind].help : "";
}
