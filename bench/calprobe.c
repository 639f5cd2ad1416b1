/* calprobe.c — machine probes of `memhier calibrate` that are not latencies: how many memory
 * records the load pipes take per cycle, and how many bytes per ns each level streams to the core.
 * Neither runs a held-out kernel: the load probe re-reads one L1-resident block with 16
 * independent loads per iteration; the bandwidth probe reads every byte of each line with 16-byte
 * vector loads (AVX2 where present) into four accumulators (what "bandwidth" means for a link), where the held-out
 * stream/stride kernels make one scalar access per 8 bytes or per stride. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "kernels.h"

/* qsort order for doubles. */
static int probe_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n values (sorted in place). */
static double probe_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, probe_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#if defined(__x86_64__)
/* ns per iteration of 16 independent 8-byte loads from p (8 registers, two each) and i++; cmp+jne. */
static double loads_ns(const uint64_t *p, uint64_t n)
{
    uint64_t a, b, c, d, e, f, g, h, i = 0;
    double t0 = (double)bench_now_ns();
    __asm__ volatile("1:\n\t"
                     "mov 0(%[p]), %[a]\n\tmov 8(%[p]), %[b]\n\tmov 16(%[p]), %[c]\n\tmov 24(%[p]), %[d]\n\t"
                     "mov 32(%[p]), %[e]\n\tmov 40(%[p]), %[f]\n\tmov 48(%[p]), %[g]\n\tmov 56(%[p]), %[h]\n\t"
                     "mov 64(%[p]), %[a]\n\tmov 72(%[p]), %[b]\n\tmov 80(%[p]), %[c]\n\tmov 88(%[p]), %[d]\n\t"
                     "mov 96(%[p]), %[e]\n\tmov 104(%[p]), %[f]\n\tmov 112(%[p]), %[g]\n\tmov 120(%[p]), %[h]\n\t"
                     "add $1, %[i]\n\tcmp %[n], %[i]\n\tjne 1b"
                     : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d), [e] "=&r"(e), [f] "=&r"(f),
                       [g] "=&r"(g), [h] "=&r"(h), [i] "+r"(i)
                     : [p] "r"(p), [n] "r"(n) : "cc", "memory");
    return ((double)bench_now_ns() - t0) / (double)n;
}
#endif

/* Cycles per memory record the load pipes take: median over trials of the 16-load loop's time
 * per load at ghz (the loop's add; cmp; jne run on the ALUs alongside). */
int cal_mem_cpi_probe(double ghz, double *mem_cpi, mh_error *err)
{
#if defined(__x86_64__)
    enum { TRIALS = 201 };
    (void)err;
    static uint64_t block[16] __attribute__((aligned(64)));
    double v[TRIALS];
    for (int t = 0; t < TRIALS; t++)
        v[t] = loads_ns(block, 4096);
    *mem_cpi = probe_median(v, TRIALS) * ghz / 16.0;
    return MH_OK;
#else
    (void)ghz, (void)mem_cpi;
    return mh_error_set(err, MH_EUNSUPPORTED, "calibrate: the load-pipe probe needs x86-64: mem_cpi kept");
#endif
}

typedef long long probe_v2 __attribute__((vector_size(16)));   /* one SSE2 register */
typedef long long probe_v4 __attribute__((vector_size(32)));   /* one AVX2 register */

/* Repetitions of a sweep over `lines` lines that make at least 65536 lines (the clock's cost
 * then stays negligible). */
static size_t sweep_reps(size_t lines)
{
    return (65536 + lines - 1) / lines;
}

/* ns per 64-byte line of read sweeps over `lines` lines at p, every byte read with 16-byte loads
 * into 4 accumulators. */
static double sweep_sse_ns(const char *p, size_t lines)
{
    probe_v2 a = {0, 0}, b = a, c = a, d = a;
    size_t reps = sweep_reps(lines);
    double t0 = (double)bench_now_ns();
    for (size_t r = 0; r < reps; r++) {
        for (size_t i = 0; i < lines; i++) {
            const probe_v2 *q = (const probe_v2 *)(const void *)(p + i * BENCH_LINE);
            a |= q[0];
            b |= q[1];
            c |= q[2];
            d |= q[3];
        }
        __asm__ volatile("" : "+x"(a), "+x"(b), "+x"(c), "+x"(d) : : "memory");
    }
    double t = (double)bench_now_ns() - t0;
    a |= b | c | d;
    __asm__ volatile("" : : "x"(a));
    return t / (double)(reps * lines);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same sweep with 32-byte AVX2 loads, two lines per iteration into 4 accumulators: the vector
 * ALUs then keep up with any cache level, so the time is the level's. */
__attribute__((target("avx2"))) static double sweep_avx2_ns(const char *p, size_t lines)
{
    probe_v4 a = {0, 0, 0, 0}, b = a, c = a, d = a;
    size_t reps = sweep_reps(lines), pairs = lines / 2;
    double t0 = (double)bench_now_ns();
    for (size_t r = 0; r < reps; r++) {
        for (size_t i = 0; i < pairs; i++) {
            const probe_v4 *q = (const probe_v4 *)(const void *)(p + i * 2 * BENCH_LINE);
            a |= q[0];
            b |= q[1];
            c |= q[2];
            d |= q[3];
        }
        __asm__ volatile("" : "+x"(a), "+x"(b), "+x"(c), "+x"(d) : : "memory");
    }
    double t = (double)bench_now_ns() - t0;
    a |= b | c | d;
    __asm__ volatile("" : : "x"(a));
    return t / (double)(reps * pairs * 2);
}
#endif

/* ns per line of one timed sweep: AVX2 where the CPU has it, else SSE2. */
static double sweep_ns(const char *p, size_t lines)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        return sweep_avx2_ns(p, lines);
#endif
    return sweep_sse_ns(p, lines);
}

/* Sustained read bandwidth of a working set of `bytes` (streamed through the caches above it):
 * the best bytes/ns of `trials` sweeps after one warm-up sweep. The best, not the median: the
 * shared L3 and memory channel also serve the other cores, whose traffic can only lower it. */
int cal_bandwidth_probe(size_t bytes, unsigned trials, double *gbs, mh_error *err)
{
    size_t lines = bytes / BENCH_LINE;
    if (lines < 64 || trials == 0)
        return mh_error_set(err, MH_EINVAL, "calibrate: bandwidth probe of %zu bytes: needs >= 4 KiB and trials >= 1", bytes);
    if (trials > 64)
        trials = 64;
    char *p = bench_map(lines * BENCH_LINE, 0);
    if (!p)
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the bandwidth probe", bytes);
    memset(p, 1, lines * BENCH_LINE);
    double v[64];
    (void)sweep_ns(p, lines);
    for (unsigned t = 0; t < trials; t++)
        v[t] = (double)BENCH_LINE / sweep_ns(p, lines);
    bench_unmap(p, lines * BENCH_LINE);
    *gbs = v[0];
    for (unsigned t = 1; t < trials; t++)
        *gbs = v[t] > *gbs ? v[t] : *gbs;
    return MH_OK;
}

/* ns per load of a pointer chase through `lines` lines, `per_page` (1 or 64) to a page (line i is
 * line i % 64 of page i / per_page, so the lines spread over every L1 set), in one random cycle
 * (Sattolo): with one line per page each load needs its page's translation, and no prefetcher can
 * guess the next page. Median of `trials`. */
static int line_chase_ns(size_t lines, size_t per_page, unsigned trials, uint64_t seed, double *ns, mh_error *err)
{
    size_t pages = (lines + per_page - 1) / per_page;
    size_t len = pages * BENCH_PAGE, *order = malloc(lines * sizeof *order);
    char *p = bench_map(len, 0);
    if (!p || !order) {
        bench_unmap(p, len);
        free(order);
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the TLB probe", len);
    }
    for (size_t i = 0; i < lines; i++)
        order[i] = i;
    for (size_t i = lines - 1; i > 0; i--) {                 /* Sattolo: one cycle through all */
        size_t j = (size_t)(bench_rand(&seed) % i), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < lines; i++) {                     /* line order[i] points to order[i+1] */
        size_t a = order[i], b = order[(i + 1) % lines];
        *(char **)(void *)(p + a / per_page * BENCH_PAGE + (a % 64) * BENCH_LINE) =
            p + b / per_page * BENCH_PAGE + (b % 64) * BENCH_LINE;
    }
    free(order);
    double v[64];
    size_t loads = lines < 65536 ? 65536 : lines;
    char *q = p;                                              /* line 0 is at offset 0 */
    for (size_t k = 0; k < lines; k++)                        /* warm: every line once */
        q = *(char **)(void *)q;
    if (trials > 64)
        trials = 64;
    for (unsigned t = 0; t < trials; t++) {
        double t0 = (double)bench_now_ns();
        for (size_t k = 0; k < loads; k++)
            q = *(char **)(void *)q;
        v[t] = ((double)bench_now_ns() - t0) / (double)loads;
    }
    __asm__ volatile("" : : "r"(q));
    bench_unmap(p, len);
    *ns = probe_median(v, trials);
    return MH_OK;
}

/* ns per load of a chase through `pages` pages, one line per page (line_chase_ns). */
static int page_chase_ns(size_t pages, unsigned trials, uint64_t seed, double *ns, mh_error *err)
{
    return line_chase_ns(pages, 1, trials, seed, ns, err);
}

/* The first-level reach of one TLB ladder (see calibrate.h). */
uint32_t cal_tlb_reach(const size_t *pages, const double *ns, size_t n, double *base_ns)
{
    if (n < 4)
        return 0;
    double base = (ns[0] + ns[1] + ns[2]) / 3, top = base + CAL_TLB_STEP_NS;
    size_t reach = 0;
    for (size_t i = 0; i < n && (ns[i] < top || (i + 1 < n && ns[i + 1] < top)); i++)
        reach = pages[i];
    if (base_ns)
        *base_ns = base;
    return reach && reach < pages[n - 1] ? (uint32_t)reach : 0;
}

/* TLB probe (a chase, see page_chase_ns) over a ladder of page counts, run CAL_TLB_PASSES times.
 * The first-level DTLB's entries: the largest reach any one ladder shows (cal_tlb_reach). A slow
 * spell, or another thread sharing the core's DTLB (an SMT sibling on a shared host), can only
 * make the time rise earlier, never later: one run's median ladder once read 72 entries where
 * the others read 96. The second-level TLB's latency: the median rise, over the per-count medians
 * of the ladders, for counts from 1.5x that reach to 512 pages (whose lines all still sit in
 * L1d). The second level's size: cal_tlb2_probe, which subtracts the data's cost (here its step
 * blurs into the lines leaving L1d). Zeros where no step shows. */
int cal_tlb_probe(double ghz, cal_tlb_out *out, mh_error *err)
{
    static const size_t l1n[] = {8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 128, 144, 160, 192, 224, 256, 320, 384, 448, 512};
    enum { N1 = sizeof l1n / sizeof l1n[0] };
    double t1[N1], rise[N1], pass[CAL_TLB_PASSES][N1], v[CAL_TLB_PASSES];
    memset(out, 0, sizeof *out);
    int rc = MH_OK;
    for (unsigned k = 0; k < CAL_TLB_PASSES; k++)    /* whole ladders, one after another */
        for (size_t i = 0; rc == MH_OK && i < N1; i++)
            rc = page_chase_ns(l1n[i], 9, 1 + i + k * N1, &pass[k][i], err);
    if (rc != MH_OK)
        return rc;
    uint32_t reach = 0, low = UINT32_MAX;
    for (unsigned k = 0; k < CAL_TLB_PASSES; k++) {
        uint32_t r = cal_tlb_reach(l1n, pass[k], N1, NULL);
        reach = r > reach ? r : reach;
        low = r < low ? r : low;
    }
    for (size_t i = 0; i < N1; i++) {                 /* per count, the median over the ladders */
        for (unsigned k = 0; k < CAL_TLB_PASSES; k++)
            v[k] = pass[k][i];
        t1[i] = probe_median(v, CAL_TLB_PASSES);
    }
    (void)cal_tlb_reach(l1n, t1, N1, &out->base_ns);
    out->ladders = CAL_TLB_PASSES;
    if (!reach)
        return MH_OK;
    out->l1_entries = reach;
    out->l1_low = low;
    size_t nrise = 0;
    for (size_t i = 0; i < N1; i++)
        if (l1n[i] * 2 >= (size_t)reach * 3)
            rise[nrise++] = t1[i] - out->base_ns;
    out->l2_latency = nrise ? probe_median(rise, nrise) * ghz : 0;
    return MH_OK;
}

/* The second-level reach of one ladder (see calibrate.h). */
uint32_t cal_tlb2_reach(const size_t *pages, const double *diff, size_t n, double tlb2_ns)
{
    double top = tlb2_ns + CAL_TLB2_STEP_NS;
    size_t reach = 0;
    for (size_t i = 0; i < n && (diff[i] < top || (i + 1 < n && diff[i + 1] < top)); i++)
        reach = pages[i];
    return reach && reach < pages[n - 1] ? (uint32_t)reach : 0;
}

/* Second-level TLB probe (see calibrate.h): per page count, the chase with one line per page
 * minus the same number of lines packed 64 to a page (inside the first level's reach), so what
 * the data costs cancels and the translation's cost is left. */
int cal_tlb2_probe(double tlb2_ns, cal_tlb2_out *out, mh_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = CAL_TLB2_COUNTS;
    for (size_t i = 0; i < CAL_TLB2_COUNTS; i++)     /* 256, 384, 512, 768, ... 4096 */
        out->pages[i] = ((size_t)256 << i / 2) * (i % 2 ? 3 : 2) / 2;
    double pass[CAL_TLB_PASSES][CAL_TLB2_COUNTS], v[CAL_TLB_PASSES];
    int rc = MH_OK;
    for (unsigned k = 0; k < CAL_TLB_PASSES; k++)
        for (size_t i = 0; rc == MH_OK && i < CAL_TLB2_COUNTS; i++) {
            double sparse = 0, dense = 0;
            rc = line_chase_ns(out->pages[i], 1, 5, 7 + i + k * CAL_TLB2_COUNTS, &sparse, err);
            if (rc == MH_OK)
                rc = line_chase_ns(out->pages[i], 64, 5, 7 + i + k * CAL_TLB2_COUNTS, &dense, err);
            pass[k][i] = sparse - dense;
        }
    if (rc != MH_OK)
        return rc;
    uint32_t best = 0;                               /* a busy spell only shortens a ladder's reach */
    for (unsigned k = 0; k < CAL_TLB_PASSES; k++) {
        uint32_t r = cal_tlb2_reach(out->pages, pass[k], CAL_TLB2_COUNTS, tlb2_ns);
        out->no_step += !r;
        best = r > best ? r : best;
    }
    out->reach = out->no_step ? 0 : best;            /* one ladder without a step: past the probe */
    for (size_t i = 0; i < CAL_TLB2_COUNTS; i++) {
        for (unsigned k = 0; k < CAL_TLB_PASSES; k++)
            v[k] = pass[k][i];
        out->diff_ns[i] = probe_median(v, CAL_TLB_PASSES);
    }
    out->tlb2_ns = tlb2_ns;
    return MH_OK;
}
