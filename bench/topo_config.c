/* topo_config.c — turns a hwloc topology into a memhier INI config (issue 2 keys + issue 4 sections).
 * hwloc gives geometry only; everything it does not say gets a documented default, written as a
 * "; WARNING" comment in the file and returned to the caller as a warning line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "topo.h"

#define PLAN_MAX 16
#define DEFAULT_LINE 64u
#define DEFAULT_GHZ 3.0
#define TLB_N 3 /* TLB sections written always, slots MH_TLB_L1D..L1I ([tlb.L2i] only where CPUID
                   describes one) */

/* One level as it will be written. */
typedef struct plan_level {
    const topo_cache *src;   /* the hwloc cache it comes from (NULL: synthesized default) */
    char name[8];            /* section name */
    int depth;               /* 1..n */
    int type;                /* topo_cache_type */
    uint64_t size;           /* bytes */
    unsigned line;           /* bytes, power of two */
    uint32_t ways;           /* ways (== lines when full) */
    int full;                /* fully associative */
    int next;                /* index into plan, -1 = memory */
    const char *inclusion;   /* relation to next: inclusive | nine */
} plan_level;

/* Warning sink: the caller's buffer plus the lines to repeat as INI comments. */
typedef struct warnings {
    char *buf;               /* caller's buffer, may be NULL */
    size_t size;             /* its size */
    size_t used;             /* chars written so far */
    char lines[24][200];     /* copies for the INI header */
    size_t n;                /* lines used */
} warnings;

/* Records one warning line. */
static void warn(warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(warnings *w, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w->n < sizeof w->lines / sizeof w->lines[0])
        memcpy(w->lines[w->n++], line, sizeof line);
    if (w->buf && w->used < w->size) {
        int k = snprintf(w->buf + w->used, w->size - w->used, "%s\n", line);
        w->used += k > 0 ? (size_t)k : 0;
        if (w->used >= w->size)
            w->used = w->size;
    }
}

/* Default size by depth when hwloc gives none. */
static uint64_t default_size(int depth)
{
    static const uint64_t sz[] = {32u << 10, 512u << 10, 8u << 20, 64u << 20};
    return sz[depth >= 1 && depth <= 4 ? depth - 1 : 3];
}

/* Default ways by depth when hwloc reports associativity 0 (unknown). */
static uint32_t default_ways(int depth)
{
    return depth <= 2 ? 8 : 16;
}

/* Default hit latency in cycles by depth (replaced by memhier calibrate). */
static double default_latency(int depth)
{
    static const double lat[] = {4, 14, 46, 70};
    return lat[depth >= 1 && depth <= 4 ? depth - 1 : 3];
}

/* 1 if x is a power of two. */
static int is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* Formats bytes with a K/M/G suffix when exact. */
static void fmt_size(char *buf, size_t n, uint64_t b)
{
    if (b && b % (1ULL << 30) == 0)
        snprintf(buf, n, "%lluG", (unsigned long long)(b >> 30));
    else if (b && b % (1ULL << 20) == 0)
        snprintf(buf, n, "%lluM", (unsigned long long)(b >> 20));
    else if (b && b % 1024 == 0)
        snprintf(buf, n, "%lluK", (unsigned long long)(b >> 10));
    else
        snprintf(buf, n, "%llu", (unsigned long long)b);
}

/* Fills size/line/ways of p from its cache, with defaults and warnings for the unknown. */
static void plan_geometry(plan_level *p, const topo_cache *c, warnings *w)
{
    p->size = c->size;
    p->line = c->line;
    if (!p->size) {
        p->size = default_size(p->depth);
        warn(w, "%s: size unknown, using default %llu bytes", p->name, (unsigned long long)p->size);
    }
    if (!is_pow2(p->line)) {
        warn(w, "%s: line size %s, using default %u", p->name, p->line ? "not a power of two" : "unknown",
             DEFAULT_LINE);
        p->line = DEFAULT_LINE;
    }
    if (p->size % p->line) {
        uint64_t s = p->size - p->size % p->line;
        warn(w, "%s: size %llu is not a multiple of the %u-byte line, rounded down to %llu", p->name,
             (unsigned long long)p->size, p->line, (unsigned long long)(s ? s : p->line));
        p->size = s ? s : p->line;
    }
    uint64_t lines = p->size / p->line;
    if (c->ways < 0) {
        p->full = 1;
        p->ways = (uint32_t)lines;
        return;
    }
    uint32_t want = (uint32_t)c->ways;
    if (want == 0) {
        want = default_ways(p->depth);
        warn(w, "%s: associativity unknown (hwloc 0), using default %u ways", p->name, want);
    }
    /* sets must be a power of two: the largest power of two dividing lines with ways >= want */
    uint64_t sets = 1;
    while (lines % (sets * 2) == 0 && lines / (sets * 2) >= want)
        sets *= 2;
    p->ways = (uint32_t)(lines / sets);
    if (p->ways != want)
        warn(w, "%s: %u ways x %u-byte lines does not give a power-of-two set count for %llu bytes "
             "(sliced/hashed cache?), modelled as %u ways x %llu sets", p->name, want, p->line,
             (unsigned long long)p->size, p->ways, (unsigned long long)sets);
}

/* Index of the level below plan[i] (smallest deeper depth; i-caches prefer i-caches), or -1. */
static int plan_next(const plan_level *plan, size_t n, size_t i)
{
    int best = -1;
    for (size_t j = 0; j < n; j++) {
        if (plan[j].depth <= plan[i].depth)
            continue;
        if (plan[j].type == TOPO_CACHE_INSTRUCTION && plan[i].type != TOPO_CACHE_INSTRUCTION)
            continue;
        if (best < 0 || plan[j].depth < plan[best].depth ||
            (plan[j].depth == plan[best].depth && plan[i].type == TOPO_CACHE_INSTRUCTION &&
             plan[j].type == TOPO_CACHE_INSTRUCTION))
            best = (int)j;
    }
    if (best >= 0 && plan[best].type == TOPO_CACHE_INSTRUCTION && plan[i].type != TOPO_CACHE_INSTRUCTION)
        return -1;
    return best;
}

/* Builds the level plan from t; returns the number of levels. */
static size_t plan_build(const topo_t *t, plan_level *plan, warnings *w)
{
    static const topo_cache fallback = {"L1d", 1, TOPO_CACHE_DATA, 32u << 10, 64, 8, 1, 1, -1};
    size_t n = 0;
    for (size_t i = 0; i < topo_cache_count(t) && n < PLAN_MAX; i++) {
        const topo_cache *c = topo_cache_get(t, i);
        plan[n] = (plan_level){.src = c, .depth = c->depth, .type = c->type};
        snprintf(plan[n].name, sizeof plan[n].name, "%s", c->name);
        plan_geometry(&plan[n], c, w);
        n++;
    }
    if (n == 0) {
        warn(w, "no caches reported by hwloc, using a default 32K 8-way L1d with 64-byte lines");
        plan[0] = (plan_level){.src = &fallback, .depth = 1, .type = TOPO_CACHE_DATA};
        snprintf(plan[0].name, sizeof plan[0].name, "L1d");
        plan_geometry(&plan[0], &fallback, w);
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        plan[i].next = plan_next(plan, n, i);
        plan[i].inclusion = "nine";
        if (plan[i].next < 0)
            continue;
        int inc = plan[plan[i].next].src->inclusive;
        if (inc > 0)
            plan[i].inclusion = "inclusive";
        else if (inc < 0)
            warn(w, "%s: inclusiveness of %s unknown, using inclusion = nine", plan[i].name, plan[plan[i].next].name);
    }
    return n;
}

/* Index of the entry level for instruction fetches (want_i) or data. */
static size_t plan_entry(const plan_level *plan, size_t n, int want_i)
{
    int min_depth = plan[0].depth;
    for (size_t i = 0; i < n; i++)
        if (plan[i].depth == min_depth && (plan[i].type == TOPO_CACHE_INSTRUCTION) == want_i)
            return i;
    for (size_t i = 0; i < n; i++)
        if (plan[i].depth == min_depth && plan[i].type != TOPO_CACHE_INSTRUCTION)
            return i;
    return 0;
}

/* Writes one cache level section. */
static void write_level(FILE *f, const plan_level *plan, size_t i)
{
    const plan_level *p = &plan[i];
    char sz[32];
    fmt_size(sz, sizeof sz, p->size);
    fprintf(f, "\n[%s]\n", p->name);
    if (p->src)
        fprintf(f, "; hwloc: %s, shared by %u PU(s), %u instance(s)\n",
                p->type == TOPO_CACHE_DATA ? "data" : p->type == TOPO_CACHE_INSTRUCTION ? "instruction" : "unified",
                p->src->sharing, p->src->instances);
    fprintf(f, "size = %s\n", sz);
    if (p->full)
        fprintf(f, "ways = full\n");
    else
        fprintf(f, "ways = %u\n", p->ways);
    fprintf(f, "line = %u\n", p->line);
    fprintf(f, "; policy, write and allocate are not reported by hwloc: common defaults\n");
    fprintf(f, "policy = lru\nwrite = back\nallocate = yes\n");
    fprintf(f, "inclusion = %s\n", p->inclusion);
    fprintf(f, "; default latency (cycles), not measured: memhier calibrate replaces it\n");
    fprintf(f, "latency = %g\n", default_latency(p->depth));
    if (p->next >= 0) {
        /* fill bandwidth from the next cache: a line per cycle into L1, half a line into L2
         * (x86 cores of the last decade); the last level is bounded by [RAM] bandwidth_gbs */
        fprintf(f, "; default fill bandwidth (bytes/cycle from %s), not measured\nbandwidth = %u\n",
                plan[p->next].name, p->depth <= 1 ? p->line : p->line / 2);
        fprintf(f, "next = %s\n", plan[p->next].name);
    }
}

/* The TLBs to write, by config slot (mh_cfg_tlb_names): CPUID's where it describes them, else the
 * documented defaults of an AMD Zen core (fully associative L1 DTLB and ITLB, 2048-entry L2) or of
 * a common Intel core, with one warning naming the sections that got them and why. */
static void tlb_plan(const topo_t *t, warnings *w, topo_tlb out[TLB_N], int cpuid[TLB_N])
{
    const char *model = topo_cpu_model(t);
    int amd = model && strstr(model, "AMD");
    const topo_tlbs *c = topo_get_tlbs(t);
    const topo_tlb def[TLB_N] = {amd ? (topo_tlb){64, 64, 0, 0} : (topo_tlb){64, 4, 4, 4},
                                 amd ? (topo_tlb){2048, 8, 8, 8} : (topo_tlb){1536, 12, 12, 12},
                                 amd ? (topo_tlb){64, 64, 0, 0} : (topo_tlb){128, 8, 8, 8}};
    const topo_tlb *got[TLB_N] = {&c->l1d, &c->l2, &c->l1i};
    char miss[64] = "";
    int nmiss = 0;
    for (int i = 0; i < TLB_N; i++) {
        cpuid[i] = got[i]->entries > 0;
        out[i] = cpuid[i] ? *got[i] : def[i];
        nmiss += !cpuid[i];
    }
    for (int i = 0, k = 0; i < TLB_N; i++)   /* "[a]", "[a] and [b]", "[a], [b] and [c]" */
        if (!cpuid[i])
            snprintf(miss + strlen(miss), sizeof miss - strlen(miss), "%s[%s]",
                     !k++ ? "" : k == nmiss ? " and " : ", ", mh_cfg_tlb_names[i]);
    if (nmiss)
        warn(w, "%s: %s: defaults of %s written", miss, c->source, amd ? "an AMD Zen core" : "a common Intel core");
}

/* Writes one TLB section: tlb (from CPUID when cpuid, else a default). */
static void write_tlb(FILE *f, const char *sec, const topo_tlb *tlb, int cpuid, const char *source, int latency)
{
    char as[32];
    topo_tlb_assoc(tlb, as, sizeof as);
    if (!cpuid)
        fprintf(f, "; default (not described: see the WARNING above)\n");
    else if (tlb->ways_lo && tlb->ways == tlb->entries)
        fprintf(f, "; from %s: %u entries, %s; no such way count gives a power-of-two set count (the\n"
                   "; config's rule): written fully associative\n", source, tlb->entries, as);
    else if (tlb->ways_lo != tlb->ways_hi)
        fprintf(f, "; from %s: %u entries, %s: %u ways, the first there with a power-of-two set count\n",
                source, tlb->entries, as, tlb->ways);
    else
        fprintf(f, "; from %s: %u entries, %s\n", source, tlb->entries, as);
    fprintf(f, "[%s]\nentries = %u\n", sec, tlb->entries);
    if (tlb->ways == tlb->entries)
        fprintf(f, "ways = full\n");
    else
        fprintf(f, "ways = %u\n", tlb->ways);
    fprintf(f, "page_size = 4K\nlatency = %d\n", latency);
}

/* Writes [tlb.*] (see tlb_plan; [tlb.L2i] only where CPUID describes an L2 ITLB), [RAM] and [disk]
 * with documented defaults. */
static void write_memory(FILE *f, const topo_t *t, const topo_tlb tlb[TLB_N], const int cpuid[TLB_N])
{
    char cap[32];
    uint64_t mem = topo_memory_bytes(t);
    fmt_size(cap, sizeof cap, mem);
    fprintf(f, "\n; TLBs (hwloc does not report them); latencies are defaults until memhier calibrate;\n"
               "; [tlb.L2] serves the misses of [tlb.L1d], and of [tlb.L1i] where no [tlb.L2i] follows\n");
    for (int i = 0; i < TLB_N; i++) {
        if (i)
            fputc('\n', f);
        write_tlb(f, mh_cfg_tlb_names[i], &tlb[i], cpuid[i], topo_get_tlbs(t)->source, i == 1 ? 7 : 1);
    }
    const topo_tlb *l2i = &topo_get_tlbs(t)->l2i;
    if (l2i->entries) {   /* 1 cycle: the decoupled front end hides most of a lookup (see README) */
        fputc('\n', f);
        write_tlb(f, mh_cfg_tlb_names[MH_TLB_L2I], l2i, 1, topo_get_tlbs(t)->source, 1);
    }
    fprintf(f, "\n; RAM: capacity from %s; timings are defaults until memhier calibrate measures them\n",
            mem != topo_hwloc_memory(t) ? "the kernel (hwloc's NUMA nodes hold less)" : "hwloc");
    fprintf(f, "[RAM]\nlatency_ns = 80\nrow_hit_ns = 50\nbandwidth_gbs = 20\nrow_size = 8K\nbanks = 16\n");
    if (mem)
        fprintf(f, "capacity = %s\n", cap);
    else
        fprintf(f, "; memory size unknown: capacity 0 = unlimited\ncapacity = 0\n");
    fprintf(f, "page_size = 4K\npage_policy = lru\nminor_fault_ns = 250\n");
    fprintf(f, "\n; disk: defaults (an SSD)\n[disk]\nlatency_us = 100\nbandwidth_mbs = 500\n");
}

/* Writes the INI config for t to f; warnings go to warn (may be NULL). */
int topo_config_write(const topo_t *t, FILE *f, const char *name, char *warnbuf, size_t warn_size,
                      mh_error *err)
{
    if (!t || !f)
        return mh_error_set(err, MH_EINVAL, "topo_config_write: topology and file are required");
    warnings *w = calloc(1, sizeof *w);
    plan_level plan[PLAN_MAX];
    if (!w)
        return mh_error_set(err, MH_ENOMEM, "topo_config_write: out of memory");
    w->buf = warnbuf;
    w->size = warn_size;
    if (warnbuf && warn_size)
        warnbuf[0] = '\0';
    size_t n = plan_build(t, plan, w);
    double ghz = topo_frequency_ghz(t);
    if (ghz <= 0) {
        ghz = DEFAULT_GHZ;
        warn(w, "CPU frequency unknown, using default frequency_ghz = %g", ghz);
    }
    if (topo_memory_bytes(t) != topo_hwloc_memory(t))
        warn(w, "memory: hwloc's NUMA nodes hold %llu MiB, the kernel reports %llu MiB: [RAM] capacity uses the kernel's",
             (unsigned long long)(topo_hwloc_memory(t) >> 20), (unsigned long long)(topo_kernel_memory(t) >> 20));
    topo_tlb tlb[TLB_N];
    int cpuid[TLB_N];
    tlb_plan(t, w, tlb, cpuid);
    warn(w, "RAM and disk timings are not reported by hwloc: defaults written (see comments)");
    const char *model = topo_cpu_model(t);
    fprintf(f, "; memhier config generated by `memhier detect` from hwloc (%s%s)\n", model[0] ? "CPU: " : "",
            model[0] ? model : "CPU model unknown");
    fprintf(f, "; latencies are defaults until `memhier calibrate` measures them\n");
    char kind[96];
    if (topo_core_kind(t, kind, sizeof kind) > 1)
        fprintf(f, "; a hybrid CPU: the caches (and TLBs) of PU %d, %s (`memhier detect --core N` for another)\n",
                topo_reference_pu(t), kind);
    for (size_t i = 0; i < w->n; i++)
        fprintf(f, "; WARNING: %s\n", w->lines[i]);
    fprintf(f, "\n[hierarchy]\nname = %s\nifetch = %s\ndata = %s\n", name ? name : "host",
            plan[plan_entry(plan, n, 1)].name, plan[plan_entry(plan, n, 0)].name);
    fprintf(f, "; frequency from %s\nfrequency_ghz = %.4g\n", topo_frequency_ghz(t) > 0 ? topo_frequency_source(t)
            : "nowhere: default", ghz);
    fprintf(f, "; default cycles per non-memory instruction\nbase_cpi = 0.5\n");
    for (size_t i = 0; i < n; i++)
        write_level(f, plan, i);
    write_memory(f, t, tlb, cpuid);
    free(w);
    if (ferror(f))
        return mh_error_set(err, MH_EIO, "writing the config failed: %s", strerror(errno));
    return MH_OK;
}

/* Writes the config to path through a temporary file renamed into place. */
int topo_write_config(const topo_t *t, const char *path, const char *name, char *warnbuf, size_t warn_size,
                      mh_error *err)
{
    if (!path)
        return mh_error_set(err, MH_EINVAL, "topo_write_config: path is NULL");
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", path);
    FILE *f = mh_tmpfile_open(path, tmp, len, err);
    int rc = f ? topo_config_write(t, f, name, warnbuf, warn_size, err) : MH_EIO;
    if (f) {
        int crc = mh_tmpfile_commit(f, tmp, path, rc == MH_OK, err);
        rc = rc == MH_OK ? crc : rc;
    }
    free(tmp);
    return rc;
}

/* See topo.h. */
size_t topo_config_diff(const topo_t *t, const mh_config *c, int max_depth, char *buf, size_t n)
{
    size_t found = 0, used = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; t && c && i < topo_cache_count(t); i++) {
        const topo_cache *k = topo_cache_get(t, i);
        for (size_t j = 0; k->depth <= max_depth && k->size && j < c->nlevels; j++) {
            const mh_level_cfg *l = &c->level[j];
            if (strcmp(l->name, k->name) || l->size == k->size)
                continue;
            char a[32], b[32];
            fmt_size(a, sizeof a, l->size);
            fmt_size(b, sizeof b, k->size);
            int w = snprintf(used < n ? buf + used : NULL, used < n ? n - used : 0, "%s%s %s here, %s in the config",
                             found ? "; " : "", k->name, b, a);
            used += w > 0 ? (size_t)w : 0;
            found++;
        }
    }
    return found;
}
