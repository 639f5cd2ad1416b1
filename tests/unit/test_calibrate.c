/* test_calibrate.c — the latency fit on synthetic chase ladders with known plateaus (noise and
 * outliers included), fallbacks, clamping, applying the fit to a config and writing it, and the
 * minor-fault and core probes on the real machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "config_int.h"
#include "sizes.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* Truth of the synthetic machine: L1 32K / L2 512K / L3 8M, ns per level, RAM and TLB miss. */
static const double true_ns[3] = {1.25, 3.5, 12.0};
static const double true_ram = 80.0, true_tlb = 48.0;

/* Deterministic noise in [-amp, +amp] (relative). */
static double noise(size_t i, double amp)
{
    uint64_t s = i * 0x9E3779B97F4A7C15ull + 17;
    uint64_t r = bench_rand(&s);
    return 1.0 + amp * (2.0 * (double)(r >> 11) / 9007199254740992.0 - 1.0);
}

/* Page-local ns at size: the plateau of the smallest level holding it, blended near the edges. */
static double page_ns(const cal_input *in, size_t size)
{
    for (size_t i = 0; i < in->nlevels; i++)
        if (size <= in->capacity[i]) {
            double below = i ? true_ns[i - 1] : true_ns[0];
            double frac = i && size < 2 * in->capacity[i - 1] ? (double)size / (2.0 * (double)in->capacity[i - 1]) : 1;
            return below + (true_ns[i] - below) * frac;
        }
    return true_ram + true_tlb / CAL_PAGE_LINES;
}

/* Builds the synthetic input: ladder 4K..64M (4 per doubling), noise ±amp, outliers every 7th. */
static size_t synth(cal_input *in, cal_point *page, cal_point *global, double amp, int outliers)
{
    size_t sizes[256], n = bench_size_ladder(4 * KiB, 64 * MiB, 4, sizes, 256);
    memset(in, 0, sizeof *in);
    in->nlevels = 3;
    strcpy(in->names[0], "L1d");
    strcpy(in->names[1], "L2");
    strcpy(in->names[2], "L3");
    in->capacity[0] = 32 * KiB;
    in->capacity[1] = 512 * KiB;
    in->capacity[2] = 8 * MiB;
    in->tlb2_ns = 2.0;
    for (size_t i = 0; i < n; i++) {
        double p = page_ns(in, sizes[i]), g = sizes[i] >= 4 * in->capacity[2] ? true_ram + true_tlb : p;
        double out = outliers && i % 7 == 3 ? 4.0 : 1.0; /* a descheduled repetition */
        page[i] = (cal_point){sizes[i], p * noise(i, amp) * out};
        global[i] = (cal_point){sizes[i], g * noise(i + 1000, amp)};
    }
    in->page = page;
    in->global = global;
    in->npage = in->nglobal = n;
    return n;
}

/* Exact ladder: every latency recovered exactly. */
static void test_fit_exact(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    synth(&in, page, global, 0, 0);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    for (int i = 0; i < 3; i++) {
        assert_true(f.level_points[i] >= 3);
        assert_float_equal(f.level_ns[i], true_ns[i], 1e-9);
        assert_int_equal(f.level_clamped[i], 0);
    }
    assert_true(f.ram_points >= 1 && f.tlb_points >= 1);
    assert_float_equal(f.ram_ns, true_ram, 1e-9);
    assert_float_equal(f.tlb_miss_ns, true_tlb, 1e-9);
    assert_float_equal(f.walk_ns, true_tlb - 2.0, 1e-9);
    assert_int_equal(f.level_lo[1], 64 * KiB);
    assert_int_equal(f.level_hi[1], 256 * KiB);
}

/* ±5% noise and 4x outliers: medians stay within 5% (RAM/TLB within 10%). */
static void test_fit_noisy(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    synth(&in, page, global, 0.05, 1);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(f.level_ns[i] - true_ns[i]) <= 0.05 * true_ns[i]);
    assert_true(fabs(f.ram_ns - true_ram) <= 0.10 * true_ram);
    assert_true(fabs(f.tlb_miss_ns - true_tlb) <= 0.25 * true_tlb);
}

/* No point well inside L2 (only one at 600K): the level's whole range is used. */
static void test_fit_fallback_and_missing(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[] = {{8 * KiB, 1.0}, {16 * KiB, 1.1}, {600 * KiB, 9.0}};
    cal_point global[] = {{8 * KiB, 1.0}};
    cal_fit_out f;
    synth(&in, (cal_point[256]){{0}}, (cal_point[256]){{0}}, 0, 0);
    in.page = page;
    in.npage = 3;
    in.global = global;
    in.nglobal = 1;
    in.capacity[1] = 1 * MiB;
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.level_ns[0], 1.05, 1e-9);
    assert_int_equal(f.level_points[1], 1);
    assert_float_equal(f.level_ns[1], 9.0, 1e-9);
    assert_int_equal(f.level_lo[1], 32 * KiB);
    assert_int_equal(f.level_points[2], 0); /* not measured: config value kept */
    assert_int_equal(f.ram_points, 0);
    assert_int_equal(f.tlb_points, 0);
}

/* A noisy lower level faster than the one above is raised to it and flagged. */
static void test_fit_clamp(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    size_t n = synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 1 * MiB && page[i].size <= 4 * MiB)
            page[i].ns = 2.0; /* below L2's 3.5 */
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.level_clamped[2], 1);
    assert_float_equal(f.level_ns[2], true_ns[1], 1e-9);
    assert_int_equal(cal_fit(NULL, &f, NULL), MH_EINVAL);
}

/* A shared L3 under contention: no single step, but the points rise gradually towards the
 * effective capacity (x1.15 per ladder point past 2M). The plateau is the smaller half's level,
 * not the median of the whole window (which the rise would pull up by a third). */
static void test_fit_gradual_rise(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    size_t n = synth(&in, page, global, 0, 0);
    double rise = 1.0;
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 2 * MiB && page[i].size <= 4 * MiB)
            page[i].ns = true_ns[2] * (rise *= 1.15);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.level_cut[2], 0); /* no step was found: the rise is gradual */
    assert_float_equal(f.level_ns[2], true_ns[2], 1e-9);
    assert_true(f.level_points[2] >= 4 && f.level_points[2] < 12);
}

/* A shared L3 whose effective capacity is 2M of 8M: the plateau ends at the step; a lone
 * outlier inside a plateau does not end it. */
static void test_fit_plateau_cut(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    size_t n = synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++) {
        if (page[i].size > 2 * MiB && page[i].size <= 8 * MiB)
            page[i].ns = 70.0;
        if (page[i].size == 128 * KiB)
            page[i].ns = 30.0; /* one bad L2 point */
    }
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.level_ns[2], true_ns[2], 1e-9);
    assert_true(f.level_cut[2] > 2 * MiB && f.level_cut[2] <= 3 * MiB);
    assert_int_equal(f.level_end[2], 2 * MiB); /* the last point before the step */
    assert_int_equal(f.level_points[2], 4); /* 1.19M, 1.41M, 1.68M, 2M */
    assert_float_equal(f.level_ns[1], true_ns[1], 1e-9);
    assert_int_equal(f.level_cut[1], 0);
}

/* The chase ladders measured on a 2-core VM (results/vm-20261125T154720Z/ladder.csv): hwloc says
 * L1d 48K / L2 1M / L3 32M, but the L3 behaves like ~2.5 MiB (global: 0.97 ns to 46K, 3.44 ns
 * 64K-370K, a ramp to 13.97 ns at 2M, 146 ns from 2.9M: RAM plus nested-paging walks; page-local:
 * 0.98, 2.2, up to 6.4 ns at 2.9M, 65+ ns from 4M). */
static const cal_point vm_page[] = {
    {4096, 0.9895},
    {5760, 0.9870},
    {8192, 0.9889},
    {11584, 0.9763},
    {16384, 0.9838},
    {23168, 0.9805},
    {32768, 0.9830},
    {46336, 1.0042},
    {65536, 2.2805},
    {92672, 2.1871},
    {131072, 2.2982},
    {185344, 2.2289},
    {262144, 2.2316},
    {370688, 2.2166},
    {524288, 2.2420},
    {741440, 2.4650},
    {1048576, 3.4175},
    {1482880, 5.3341},
    {2097152, 6.1595},
    {2965760, 6.3974},
    {4194304, 65.5221},
    {5931584, 66.8138},
    {8388608, 69.6540},
    {11863232, 68.9599},
    {16777216, 73.8223},
    {23726528, 71.7342},
    {33554432, 80.6161},
    {47453120, 77.2448},
    {67108864, 75.4906},
    {94906240, 73.3539},
    {134217728, 73.4661},
    {189812480, 75.1574},
    {268435456, 72.1056}
};
static const cal_point vm_global[] = {
    {4096, 0.9747},
    {5760, 0.9728},
    {8192, 0.9727},
    {11584, 0.9760},
    {16384, 0.9762},
    {23168, 0.9830},
    {32768, 0.9846},
    {46336, 1.0103},
    {65536, 3.4470},
    {92672, 3.4399},
    {131072, 3.4338},
    {185344, 3.4407},
    {262144, 3.4359},
    {370688, 3.4358},
    {524288, 3.8501},
    {741440, 4.8465},
    {1048576, 7.2720},
    {1482880, 11.7317},
    {2097152, 13.9683},
    {2965760, 145.9175},
    {4194304, 150.4446},
    {5931584, 153.0172},
    {8388608, 152.9004},
    {11863232, 154.4486},
    {16777216, 173.4961},
    {23726528, 179.2973},
    {33554432, 166.8777},
    {47453120, 172.3029},
    {67108864, 216.3358},
    {94906240, 194.3822},
    {134217728, 218.9288},
    {189812480, 230.0084},
    {268435456, 304.8250}
};

/* The VM's levels and TLBs (host.ini: tlb.L1d 64 x 4K, tlb.L2 1536 x 4K at 7 cycles; 4.027 GHz as
 * the core probe measured). */
static void vm_input(cal_input *in)
{
    memset(in, 0, sizeof *in);
    in->nlevels = 3;
    strcpy(in->names[0], "L1d");
    strcpy(in->names[1], "L2");
    strcpy(in->names[2], "L3");
    in->capacity[0] = 48 * KiB;
    in->capacity[1] = 1 * MiB;
    in->capacity[2] = 32 * MiB;
    in->tlb2_ns = 7 / 4.027;
    in->tlb1_reach = 64 * 4 * KiB;
    in->tlb2_reach = 1536 * 4 * KiB;
    in->page = vm_page;
    in->npage = sizeof vm_page / sizeof vm_page[0];
    in->global = vm_global;
    in->nglobal = sizeof vm_global / sizeof vm_global[0];
}

/* The VM ladder: L3's window (2M, 16M] holds only RAM points; the step to them is at the window's
 * first point, so L3 is the global point just below it (2M: 13.97 ns minus the tlb.L2 lookup),
 * not a RAM value; RAM comes from the page-local points >= 128M and is not raised to L3. */
static void test_fit_vm_small_l3(void **state)
{
    (void)state;
    cal_input in;
    cal_fit_out f;
    char note[512];
    vm_input(&in);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.levels_from_global, 1);
    assert_float_equal(f.level_ns[0], 0.976, 0.01);
    assert_float_equal(f.level_ns[1], 3.43, 0.02);
    assert_float_equal(f.level_ns[2], 13.9683 - 7 / 4.027, 1e-9);
    assert_true(f.level_ns[2] > 12 && f.level_ns[2] < 14); /* 12.23 ns, was 146.44 */
    assert_int_equal(f.level_points[2], 1);
    assert_int_equal(f.level_below[2], 2 * MiB);
    assert_int_equal(f.level_cut[2], 2965760);
    assert_int_equal(f.level_end[2], 2965760); /* from the page-local ladder (step at 4M) */
    assert_float_equal(f.level_step_ns[2], 145.9175 - 7 / 4.027, 1e-9);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f.level_clamped[i], 0);
    assert_int_equal(f.ram_points, 3); /* 128M, 181M, 256M */
    assert_true(f.ram_ns > 65 && f.ram_ns < 75); /* 73.47 minus its 1/64 TLB share */
    assert_true(f.tlb_miss_ns > 150 && f.tlb_miss_ns < 170);
    cal_fit_note(&in, &f, 2, 0, note, sizeof note);
    assert_non_null(strstr(note, "L3 behaves like 2 MiB..2.83 MiB here"));
    cal_fit_note(&in, &f, 1, 0, note, sizeof note);
    assert_string_equal(note, "");
    /* Page-local only (no global ladder): the L3 window (2M, 16M] is cut at 4M (65.5 ns). */
    in.nglobal = 0;
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.levels_from_global, 0);
    assert_float_equal(f.level_ns[2], 6.3974, 1e-9);
    assert_int_equal(f.level_points[2], 1);
    assert_int_equal(f.level_below[2], 0);
    assert_int_equal(f.level_cut[2], 4 * MiB);
    assert_int_equal(f.level_end[2], 2965760);
    assert_true(f.ram_ns > 70 && f.ram_ns < 75);
    cal_fit_note(&in, &f, 2, 0, note, sizeof note);
    assert_non_null(strstr(note, "plateau cut at the step to 65.52 ns at 4 MiB: L3 behaves like < 4 MiB"));
}

/* A level fitted dearer than RAM (no step to cut) is lowered to RAM and flagged; RAM keeps its
 * own fit. */
static void test_fit_lowered_to_ram(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    char note[512];
    size_t n = synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 512 * KiB && page[i].size < 32 * MiB)
            page[i].ns = 100.0;
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.ram_ns, true_ram, 1e-9);
    assert_float_equal(f.level_ns[2], true_ram, 1e-9);
    assert_int_equal(f.level_clamped[2], 2);
    assert_float_equal(f.level_unclamped_ns[2], 100.0, 1e-9);
    assert_float_equal(f.level_ns[1], true_ns[1], 1e-9);
    cal_fit_note(&in, &f, 2, 0, note, sizeof note);
    assert_non_null(strstr(note, "lowered from 100.00 ns"));
}

/* Median of odd and even counts, and of nothing. */
static void test_median(void **state)
{
    (void)state;
    double a[] = {5, 1, 3}, b[] = {4, 1, 3, 2};
    assert_float_equal(cal_median(a, 3), 3, 0);
    assert_float_equal(cal_median(b, 4), 2.5, 0);
    assert_float_equal(cal_median(NULL, 0), 0, 0);
}

static const char ini[] =
    "[hierarchy]\nname = t\nifetch = L1d\ndata = L1d\nfrequency_ghz = 2.0\nbase_cpi = 0.5\n"
    "walk = fixed\nwalk_latency = 30\n"
    "[L1d]\nsize = 32K\nways = 8\nline = 64\nlatency = 4\nnext = L2\n"
    "[L2]\nsize = 512K\nways = 8\nline = 64\nlatency = 14\nnext = L3\n"
    "[L3]\nsize = 8M\nways = 16\nline = 64\nlatency = 40\n"
    "[tlb.L1d]\nentries = 64\nways = full\npage_size = 4K\nlatency = 0\n"
    "[tlb.L2]\nentries = 1024\nways = 8\npage_size = 4K\nlatency = 4\n"
    "[RAM]\nlatency_ns = 90\nrow_hit_ns = 60\npage_size = 4K\nminor_fault_ns = 500\n";

/* The fit lands in the config in cycles; the written file has the header and parses back. */
static void test_apply_and_write(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    synth(&in, page, global, 0, 0);
    assert_int_equal(cal_levels_from_config(c, &in, &err), MH_OK);
    assert_int_equal(in.nlevels, 3);
    assert_string_equal(in.names[1], "L2");
    assert_float_equal(in.tlb2_ns, 2.0, 1e-12);
    in.page = page, in.global = global;
    assert_int_equal(cal_fit(&in, &f, &err), MH_OK);
    assert_int_equal(cal_apply(c, &in, &f, 1234.5, CAL_APPLY_PF | CAL_APPLY_SIZES, &err), MH_OK);
    assert_float_equal(c->level[0].latency, 2.5, 1e-3);
    assert_float_equal(c->level[1].latency, 7.0, 1e-3);
    assert_float_equal(c->level[2].latency, 24.0, 1e-3);
    assert_float_equal(c->ram.latency_ns, 80.0, 1e-3);
    assert_float_equal(c->ram.row_hit_ns, 80.0, 1e-3);
    assert_float_equal(c->walk_latency, (48.0 - 2.0) * 2.0, 1e-2);
    assert_float_equal(c->ram.minor_fault_ns, 1234.5, 1e-3);
    assert_int_equal(c->level[2].size, 8 * MiB); /* no step: CAL_APPLY_SIZES keeps it */
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_calibrate.%ld.ini", (long)getpid());
    assert_int_equal(cal_write_config(c, "; measured by a test\n", path, &err), MH_OK);
    FILE *fp = fopen(path, "r");
    char line[128];
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof line, fp));
    assert_string_equal(line, "; measured by a test\n");
    fclose(fp);
    mh_config *back = NULL;
    assert_int_equal(mh_config_load(path, &back, &err), MH_OK);
    assert_float_equal(back->level[1].latency, 7.0, 1e-3);
    unlink(path);
    assert_int_equal(cal_write_config(c, "", "/nonexistent-dir/x.ini", &err), MH_EIO);
    mh_config_free(back);
    mh_config_free(c);
}

/* A ladder that steps at ~2.4 MiB in an 8 MiB 16-way L3: CAL_APPLY_SIZES gives the L3 2 MiB
 * (the largest 16-way, 64-byte-line size with a power-of-two set count up to the 2 MiB point before
 * the step) and the header says so; without the flag, or with no step, the size stays; a step
 * below the level above, or a fully associative level, are handled. */
static void test_apply_effective_size(void **state)
{
    (void)state;
    mh_config *c = NULL, *keep = NULL;
    mh_error err = {0};
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    char note[1024];
    size_t n = synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 2 * MiB && page[i].size <= 8 * MiB)
            page[i].ns = 70.0;
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(mh_config_parse(ini, "t.ini", &keep, &err), MH_OK);
    assert_int_equal(cal_levels_from_config(c, &in, &err), MH_OK);
    in.page = page, in.global = global;
    assert_int_equal(cal_fit(&in, &f, &err), MH_OK);
    assert_int_equal(cal_effective_size(c, &in, &f, 2), 2 * MiB);
    assert_int_equal(cal_effective_size(c, &in, &f, 1), 0); /* no step in L2 */
    assert_int_equal(cal_apply(c, &in, &f, 0, CAL_APPLY_SIZES, &err), MH_OK);
    assert_int_equal(c->level[2].size, 2 * MiB);
    assert_int_equal(c->level[2].ways, 16);
    assert_int_equal(c->level[2].sets, 2048);
    assert_int_equal(c->level[1].size, 512 * KiB);
    assert_int_equal(cal_effective_size(c, &in, &f, 2), 2 * MiB); /* same answer after applying */
    cal_fit_note(&in, &f, 2, cal_effective_size(c, &in, &f, 2), note, sizeof note);
    assert_non_null(strstr(note, "L3 behaves like < 2.38 MiB here"));
    assert_non_null(strstr(note, "(nominal 8 MiB): size = 2 MiB"));
    assert_non_null(strstr(note, "up to 2 MiB, the last page-local point\n;        before its step to 70.00 ns at 2.38 MiB"));
    cal_fit_note(&in, &f, 2, 0, note, sizeof note);
    assert_non_null(strstr(note, "(nominal 8 MiB; size key kept)"));
    assert_int_equal(cal_apply(keep, &in, &f, 0, 0u, &err), MH_OK);
    assert_int_equal(keep->level[2].size, 8 * MiB);
    /* a step below the level above: nothing to shrink to */
    f.level_end[2] = 256 * KiB;
    assert_int_equal(cal_effective_size(keep, &in, &f, 2), 0);
    /* 5.5 MiB in a fully associative 8 MiB level: any whole number of lines */
    assert_int_equal(mh_config_set(keep, "L3.ways", "full", &err), MH_OK);
    f.level_end[2] = 5 * MiB + MiB / 2 + 10;
    assert_int_equal(cal_effective_size(keep, &in, &f, 2), 5 * MiB + MiB / 2);
    /* 75 ways (a 300 MiB 20-way L3 modelled with a power-of-two set count) up to 16 MiB: 64 ways
     * hold 16 MiB where 75 hold 9.4, and cal_apply writes both keys */
    const char *k75[2] = {"L3.size", "L3.ways"}, *v75[2] = {"300M", "75"};
    assert_int_equal(mh_config_set_many(keep, k75, v75, 2, &err), MH_OK);
    in.capacity[2] = 300 * MiB;
    f.level_end[2] = 16 * MiB;
    assert_int_equal(cal_effective_size(keep, &in, &f, 2), 16 * MiB);
    assert_int_equal(cal_effective_ways(keep, &in, &f, 2), 64);
    assert_int_equal(cal_apply(keep, &in, &f, 0, CAL_APPLY_SIZES, &err), MH_OK);
    assert_int_equal(keep->level[2].size, 16 * MiB);
    assert_int_equal(keep->level[2].ways, 64);
    assert_int_equal(keep->level[2].sets, 4096);
    f.level_end[2] = 9 * MiB + MiB / 2; /* 75 ways hold more here: 9.375 MiB against 8 */
    assert_int_equal(mh_config_set_many(keep, k75, v75, 2, &err), MH_OK);
    assert_int_equal(cal_effective_ways(keep, &in, &f, 2), 75);
    assert_int_equal(cal_effective_size(keep, &in, &f, 2), 75 * 64 * 2048);
    in.capacity[2] = 8 * MiB;
    /* no step at all */
    f.level_end[2] = 0;
    assert_int_equal(cal_effective_size(keep, &in, &f, 2), 0);
    mh_config_free(keep);
    mh_config_free(c);
}

/* A step past the latency window (capacity / 2) but at most the capacity: the plateau is not cut,
 * and the level shrinks only when the last point before the step is <= capacity / 2. */
static void test_fit_step_past_window(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    char note[1024];
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    size_t n = synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 4 * MiB && page[i].size <= 8 * MiB)
            page[i].ns = 70.0; /* steps at 4.76 MiB, after the point at 4 MiB */
    assert_int_equal(cal_fit(&in, &f, &err), MH_OK);
    assert_int_equal(f.level_cut[2], 0);
    assert_float_equal(f.level_ns[2], true_ns[2], 1e-9);
    assert_int_equal(f.level_end[2], 4 * MiB);
    assert_true(f.level_exit[2] > 4 * MiB && f.level_exit[2] < 5 * MiB);
    assert_float_equal(f.level_exit_ns[2], 70.0, 1e-9);
    assert_int_equal(cal_effective_size(c, &in, &f, 2), 4 * MiB);
    cal_fit_note(&in, &f, 2, 4 * MiB, note, sizeof note);
    assert_non_null(strstr(note, "L3 holds less than half its size here (nominal 8 MiB): size = 4 MiB"));
    assert_non_null(strstr(note, "before its step to 70.00 ns at 4.76 MiB"));
    assert_non_null(strstr(note, "size = 4 MiB"));
    synth(&in, page, global, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (page[i].size > 6 * MiB && page[i].size <= 8 * MiB)
            page[i].ns = 70.0; /* the last point before the step, 5.66 MiB, is past half the level */
    assert_int_equal(cal_fit(&in, &f, &err), MH_OK);
    assert_int_equal(f.level_end[2], 0);
    assert_int_equal(cal_effective_size(c, &in, &f, 2), 0);
    cal_fit_note(&in, &f, 2, 0, note, sizeof note);
    assert_string_equal(note, "");
    mh_config_free(c);
}

/* Global clearly slower than page-local inside L2 and the DTLB reach: a prefetcher is detected;
 * asked to (--prefetchers), a config without prefetchers gets L1d stride + L2 stream; equal
 * ladders detect nothing. */
static void test_prefetch_detection(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    size_t n = synth(&in, page, global, 0, 0);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.pf_ratio, 1.0, 1e-9);
    assert_int_equal(f.prefetch_detected, 0);
    for (size_t i = 0; i < n; i++)
        if (global[i].size > 64 * KiB && global[i].size <= 256 * KiB)
            global[i].ns = 1.5 * page[i].ns;
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(cal_levels_from_config(c, &in, &err), MH_OK);
    assert_int_equal(in.tlb1_reach, 256 * KiB);
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.pf_ratio, 1 / 1.5, 1e-9);
    assert_int_equal(f.prefetch_detected, 1);
    assert_int_equal(cal_apply(c, &in, &f, 0, 0u, &err), MH_OK); /* not asked: detected only */
    assert_int_equal(c->level[0].prefetcher, MH_PF_NONE);
    assert_int_equal(cal_apply(c, &in, &f, 0, CAL_APPLY_PF, &err), MH_OK);
    assert_int_equal(c->level[0].prefetcher, MH_PF_STRIDE);
    assert_int_equal(c->level[1].prefetcher, MH_PF_STREAM);
    assert_int_equal(c->level[2].prefetcher, MH_PF_NONE);
    assert_float_equal(c->ram.minor_fault_ns, 500, 0); /* fault_ns 0: kept */
    mh_config_free(c);
}

/* The chase in address order: a prefetcher that needs the lines in order (no page-local speed-up)
 * is evidence too, compared with the page-local point nearest its size; the levels still fit from
 * the page-local ladder. */
static void test_prefetch_sequential(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    synth(&in, page, global, 0, 0);
    double l3 = page_ns(&in, 2 * MiB);
    in.seq = (cal_point){2 * MiB + 4096, 0.3 * l3};
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.prefetch_detected, 0);
    assert_int_equal(f.seq_prefetch, 1);
    assert_int_equal(f.seq_page_size, 2 * MiB);
    assert_float_equal(f.seq_ratio, 0.3 * l3 / page_ns(&in, 2 * MiB), 1e-9);
    assert_int_equal(f.levels_from_global, 0);
    assert_float_equal(f.level_ns[2], l3, 1e-9);
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(cal_levels_from_config(c, &in, &err), MH_OK);
    in.seq = (cal_point){2 * MiB, 0.3 * l3};
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(cal_apply(c, &in, &f, 0, CAL_APPLY_PF, &err), MH_OK);
    assert_int_equal(c->level[0].prefetcher, MH_PF_STRIDE);
    assert_int_equal(c->level[1].prefetcher, MH_PF_STREAM);
    in.seq.ns = 0.6 * l3; /* no faster than half: no evidence */
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.seq_prefetch, 0);
    in.seq.size = 0; /* not measured */
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_float_equal(f.seq_ratio, 0, 0);
    mh_config_free(c);
}

/* A prefetcher-assisted page-local ladder (0.6x inside the caches): the plateaus come from the
 * global ladder minus the translation cost the model adds (tlb.L2 lookup beyond the DTLB reach,
 * plus the fitted walk beyond the second-level reach), and recover the true latencies. */
static void test_levels_from_global(void **state)
{
    (void)state;
    cal_input in;
    cal_point page[256], global[256];
    cal_fit_out f;
    size_t n = synth(&in, page, global, 0, 0);
    in.tlb1_reach = 256 * KiB;
    in.tlb2_reach = 2 * MiB;
    for (size_t i = 0; i < n; i++) {
        size_t sz = page[i].size;
        if (sz >= 4 * in.capacity[2])
            continue; /* RAM points as synthesised */
        double cost = sz <= in.tlb1_reach ? 0 : sz <= in.tlb2_reach ? in.tlb2_ns : true_tlb;
        global[i].ns = page[i].ns + cost;
        page[i].ns *= 0.6;
    }
    assert_int_equal(cal_fit(&in, &f, NULL), MH_OK);
    assert_int_equal(f.prefetch_detected, 1);
    assert_int_equal(f.levels_from_global, 1);
    for (int i = 0; i < 3; i++)
        assert_float_equal(f.level_ns[i], true_ns[i], 1e-9);
    assert_float_equal(f.walk_ns, true_tlb - in.tlb2_ns, 1e-9);
}

/* First touches of fresh pages: positive cost, about one perf::MINOR-FAULTS per page. */
static void test_minor_fault_probe(void **state)
{
    (void)state;
    double ns = 0, fpp = 0;
    assert_int_equal(cal_minor_fault(64, 3, &ns, &fpp, NULL), MH_OK);
    assert_true(ns > 0);
    if (fpp >= 0)
        assert_true(fpp > 0.9 && fpp < 1.2);
    assert_int_equal(cal_minor_fault(0, 3, &ns, &fpp, NULL), MH_EINVAL);
}

/* The core probe gives a plausible clock and CPI (or says it cannot run here). */
static void test_core_probe(void **state)
{
    (void)state;
    double ghz = 0, cpi = 0;
    mh_error err = {0};
    int rc = cal_core_probe(&ghz, &cpi, &err);
    if (rc == MH_EUNSUPPORTED)
        skip();
    assert_int_equal(rc, MH_OK);
    assert_true(ghz > 0.3 && ghz < 10);
    assert_true(cpi > 0.05 && cpi < 5);
}

/* The machine probes give plausible numbers (or say they cannot run here) and refuse bad sizes. */
static void test_machine_probes(void **state)
{
    (void)state;
    mh_error err = {0};
    double gbs = 0, mem = 0;
    assert_int_equal(cal_bandwidth_probe(1 << 20, 3, &gbs, &err), MH_OK);
    assert_true(gbs > 0.1 && gbs < 10000);
    assert_int_equal(cal_bandwidth_probe(1024, 3, &gbs, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "bandwidth probe"));
    int rc = cal_mem_cpi_probe(3.0, &mem, &err);
    if (rc == MH_EUNSUPPORTED)
        skip();
    assert_int_equal(rc, MH_OK);
    assert_true(mem > 0.01 && mem < 5);
    cal_tlb_out tlb;
    assert_int_equal(cal_tlb_probe(3.0, &tlb, &err), MH_OK);
    assert_true(tlb.base_ns > 0);
    assert_true(tlb.l1_entries == 0 || (tlb.l1_entries >= 8 && tlb.l1_entries <= 512));
    assert_true(tlb.l1_entries == 0 || tlb.l1_low <= tlb.l1_entries); /* the largest ladder reach */
    assert_int_equal(tlb.ladders, CAL_TLB_PASSES);
    assert_true(tlb.l2_latency >= 0 && tlb.l2_latency < 1000);
    cal_tlb2_out t2;
    assert_int_equal(cal_tlb2_probe(2.0, &t2, &err), MH_OK);
    assert_int_equal(t2.n, CAL_TLB2_COUNTS);
    assert_true(t2.pages[0] == 256 && t2.pages[1] == 384 && t2.pages[2] == 512 && t2.pages[8] == 4096);
    assert_true(t2.tlb2_ns == 2.0 && t2.no_step <= CAL_TLB_PASSES);
    assert_true(t2.reach == 0 || (t2.reach >= 256 && t2.reach < 4096 && !t2.no_step));
    for (size_t i = 0; i < t2.n; i++)
        assert_true(t2.diff_ns[i] > -100 && t2.diff_ns[i] < 1000);
}

/* The DTLB reach of one ladder: the last count before a rise of CAL_TLB_STEP_NS over the first
 * three points' mean; one noisy point does not end it; a ladder without a step, or rising at once,
 * gives 0. */
static void test_tlb_reach(void **state)
{
    (void)state;
    const size_t pages[] = {8, 16, 24, 32, 64, 72, 80, 96, 104, 128, 256, 512};
    enum { N = sizeof pages / sizeof pages[0] };
    double ns[N], base = 0;
    for (size_t i = 0; i < N; i++)
        ns[i] = pages[i] <= 96 ? 0.94 : 2.6;
    assert_int_equal(cal_tlb_reach(pages, ns, N, &base), 96);
    assert_float_equal(base, 0.94, 1e-12);
    ns[5] = 1.9; /* one slow point at 72 pages: the reach goes on */
    assert_int_equal(cal_tlb_reach(pages, ns, N, NULL), 96);
    ns[6] = 1.9; /* two in a row: the reach ends at 64 */
    assert_int_equal(cal_tlb_reach(pages, ns, N, NULL), 64);
    for (size_t i = 0; i < N; i++)
        ns[i] = 0.94;
    assert_int_equal(cal_tlb_reach(pages, ns, N, NULL), 0); /* no step inside the ladder */
    assert_int_equal(cal_tlb_reach(pages, ns, 3, NULL), 0);  /* too short to fit */
}

/* The second-level reach of one ladder: the last count before the translation's cost rises past a
 * second-level hit + CAL_TLB2_STEP_NS; one noisy point does not end it; no step gives 0. The
 * entries written from a reach: a power-of-two set count at the ways, only ever fewer. */
static void test_tlb2_reach(void **state)
{
    (void)state;
    const size_t pages[CAL_TLB2_COUNTS] = {256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096};
    double d[CAL_TLB2_COUNTS];
    for (size_t i = 0; i < CAL_TLB2_COUNTS; i++)
        d[i] = pages[i] <= 512 ? 2.7 : 20;
    assert_int_equal(cal_tlb2_reach(pages, d, CAL_TLB2_COUNTS, 2.7), 512);
    d[1] = 9; /* one slow point at 384: the reach goes on */
    assert_int_equal(cal_tlb2_reach(pages, d, CAL_TLB2_COUNTS, 2.7), 512);
    assert_int_equal(cal_tlb2_reach(pages, d, CAL_TLB2_COUNTS, 8), 512); /* a slower hit: same step */
    d[2] = 9; /* two in a row: it ends at 256 */
    assert_int_equal(cal_tlb2_reach(pages, d, CAL_TLB2_COUNTS, 2.7), 256);
    for (size_t i = 0; i < CAL_TLB2_COUNTS; i++)
        d[i] = 4.5; /* within 2 ns of the hit: no step */
    assert_int_equal(cal_tlb2_reach(pages, d, CAL_TLB2_COUNTS, 2.7), 0);
    uint32_t w = 0;
    assert_int_equal(cal_tlb2_entries(512, 1536, 12, &w), 512);   /* 32 sets x 16 */
    assert_int_equal(w, 16);
    assert_int_equal(cal_tlb2_entries(768, 1536, 12, &w), 768);
    assert_int_equal(w, 12);
    assert_int_equal(cal_tlb2_entries(2048, 3072, 12, &w), 2048); /* CPUID's 3072, 12 ways: 16 x 128 */
    assert_int_equal(w, 16);
    assert_int_equal(cal_tlb2_entries(1536, 2048, 8, &w), 1536);
    assert_int_equal(w, 12);
    assert_int_equal(cal_tlb2_entries(2048, 2048, 16, &w), 0);    /* no smaller: kept */
    assert_int_equal(cal_tlb2_entries(3072, 2048, 16, &w), 0);    /* never grown */
    assert_int_equal(cal_tlb2_entries(0, 1536, 12, &w), 0);       /* no step */
    assert_int_equal(cal_tlb2_entries(8, 1536, 12, &w), 0);       /* not even one set */
    assert_int_equal(cal_tlb2_entries(40, 64, 64, &w), 40);       /* fully associative: the reach */
    assert_int_equal(w, 40);
    assert_int_equal(cal_tlb2_entries(100, 64, 64, &w), 0);
}

/* A probed DTLB size the configured ways do not divide into a power-of-two set count gets more
 * ways, and the pair is a valid config (96 probed on an Intel default of 64 x 4-way). */
static void test_tlb_ways(void **state)
{
    (void)state;
    assert_int_equal(cal_tlb_ways(96, 4), 6);   /* 16 sets */
    assert_int_equal(cal_tlb_ways(64, 4), 4);   /* unchanged */
    assert_int_equal(cal_tlb_ways(48, 4), 6);   /* 8 sets */
    assert_int_equal(cal_tlb_ways(72, 72), 72); /* fully associative stays so */
    assert_int_equal(cal_tlb_ways(96, 64), 96); /* no power of two fits 64+ ways: full */
    assert_int_equal(cal_tlb_ways(75, 4), 75);  /* odd: full */
    const char *text = "[hierarchy]\ndata = L1d\n[L1d]\nsize = 32K\nways = 8\nline = 64\n"
                      "[tlb.L1d]\nentries = 64\nways = 4\n";
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(text, "t.text", &c, &err), MH_OK);
    const char *keys[2] = {"tlb.L1d.entries", "tlb.L1d.ways"}, *bad[1] = {"96"}, *vals[2] = {"96", "6"};
    assert_int_equal(mh_config_set_many(c, keys, bad, 1, &err), MH_ECONFIG); /* 96 / 4 = 24 sets */
    assert_int_equal(mh_config_set_many(c, keys, vals, 2, &err), MH_OK);
    mh_config_free(c);
}

/* One-set chase sizes: lines one L1 set period apart that the level above cannot hold and the
 * level can; the probe itself runs (a chase through 32 such lines) and rejects too few lines. */
static void test_set_probe(void **state)
{
    (void)state;
    const uint32_t sets[3] = {64, 1024, 8192}, ways[3] = {12, 16, 16};
    assert_int_equal(cal_set_lines(64, sets, ways, 0), 0);     /* the entry level itself */
    assert_int_equal(cal_set_lines(64, sets, ways, 1), 48);    /* L1 holds 12, L2 16 sets x 16 */
    assert_int_equal(cal_set_lines(64, sets, ways, 2), 1024);  /* L2 holds 256, L3 128 sets x 16 */
    const uint32_t flat[2] = {64, 64}, few[2] = {12, 12};
    assert_int_equal(cal_set_lines(64, flat, few, 1), 0);      /* same sets and ways: no room */
    const uint32_t s2[2] = {64, 16}, w2[2] = {8, 64};
    assert_int_equal(cal_set_lines(64, s2, w2, 1), 32);        /* fewer sets: one set of 64 ways */
    double ns = 0;
    mh_error err = {0};
    assert_int_equal(cal_chains_probe(32, 4096, CAL_SET_CHAINS, 2, 0, &ns, &err), MH_OK);
    assert_true(ns > 0.01 && ns < 1000);
    assert_int_equal(cal_chains_probe(4096 + 7, 64, CAL_LINK_CHAINS, 2, 1, &ns, &err), MH_OK);
    assert_true(ns > 0.01 && ns < 1000);
    assert_int_equal(cal_chains_probe(31, 4096, CAL_SET_CHAINS, 2, 0, &ns, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, ">= 2 lines per chase"));
    assert_int_equal(cal_chains_probe(4096, 64, CAL_CHAINS_MAX + 1, 2, 0, &ns, &err), MH_EINVAL);
}

/* The link chases' line orders: in address order, chase c takes lines c, c + k, ..., so the chases
 * stepped in turn load lines 0, 1, 2, ...; the random order visits every line once. */
static void test_chains_order(void **state)
{
    (void)state;
    enum { N = 1000, K = 64 };
    size_t order[N], per = N / K;
    cal_chains_order(N, K, 1, order);
    size_t next = 0;
    for (size_t s = 0; s < per; s++)
        for (size_t c = 0; c < K; c++)
            assert_int_equal(order[c * per + s], next++);
    for (size_t i = per * K; i < N; i++)
        assert_int_equal(order[i], i);
    cal_chains_order(N, K, 0, order);
    unsigned char seen[N] = {0};
    size_t in_place = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(order[i] < N && !seen[order[i]]);
        seen[order[i]] = 1;
        in_place += order[i] == i;
    }
    assert_true(in_place < N / 10);                   /* shuffled, not the identity */
}

/* The spread fit inverts the walk's recurrence: a walk prefetching 8 ahead is slower with spread,
 * the fit finds 0.3 back from that walk's time, 0 at or under L/D, the cap past it. The probe's
 * prefetching walk beats its plain chase, and it refuses a buffer under 2 x distance lines. */
static void test_spread_fit(void **state)
{
    (void)state;
    double w = cal_spread_walk(12, 1, 8, 0.3), w0 = cal_spread_walk(12, 1, 8, 0);
    assert_true(fabs(w0 - 1.5) < 1e-9);
    assert_true(w > 1.05 * w0);
    assert_true(fabs(cal_spread_fit(12, 1, 8, w) - 0.3) < 0.005);
    assert_true(cal_spread_fit(12, 1, 8, 1.5) == 0);
    assert_true(cal_spread_fit(12, 1, 8, 1.2) == 0);
    assert_true(cal_spread_fit(12, 1, 8, 100) == CAL_SPREAD_MAX);
    mh_error err = {0};
    double plain = 0, pf = 0;
    assert_int_equal(cal_spread_probe(1 << 20, 8, 3, &plain, &pf, &err), MH_OK);
    assert_true(plain > 0 && pf > 0 && pf < plain);
    assert_int_equal(cal_spread_probe(512, 8, 3, &plain, &pf, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "spread probe"));
}

/* A new clock moves every cycle value the machine probes derived from a time: cycles scale with the
 * clock, bytes per cycle against it. */
static void test_machine_reclock(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK); /* tlb.L2 latency 4 */
    cal_machine m = {0};
    m.mem_cpi = 0.25;
    m.tlb2_set = 1;
    m.tlb.l2_latency = 7.0;                                            /* the probe's, at 4 GHz */
    m.nlevels = 2;
    snprintf(m.names[0], sizeof m.names[0], "L1d");
    snprintf(m.names[1], sizeof m.names[1], "L2");
    m.link_gbs[0] = 220.0; /* GB/s into L1d */
    m.set_ns[1] = 1.75;    /* one-set chase held by L2 */
    assert_int_equal(cal_machine_reclock(c, &m, 4.0, 4.4, &err), MH_OK);
    assert_true(fabs(c->mem_cpi - 0.275) < 1e-3);
    assert_true(fabs(c->tlb[1].latency - 7.7) < 1e-3);
    assert_true(fabs(c->level[0].bandwidth - 50.0) < 1e-3);  /* 220 / 4.4 */
    assert_true(fabs(c->level[1].set_gap - 7.7) < 1e-3);     /* 1.75 x 4.4 */
    mh_config_free(c);
}

/* The link chase's size: half a level past twice the one above; a shrunk shared level between
 * twice the level above and its size (4 MiB under 1 MiB: 3 MiB, the VM's L3 on a busy day, whose
 * half, 2 MiB, would have been no probe); nothing where no chase fits. Then a relink of a config
 * whose L3 the fit cut to 4 MiB under a 1 MiB L2 probes inside it and raises L2's bandwidth, and
 * drops the spread probes taken past the cut for one inside it, which sets L3's and RAM's spread. */
static void test_link_bytes(void **state)
{
    (void)state;
    const uint64_t M = 1u << 20;
    assert_int_equal(cal_link_bytes(32 * M, M), 16 * M);
    assert_int_equal(cal_link_bytes(4 * M + 64, M), 2 * M + 32); /* past twice 1 MiB: half */
    assert_int_equal(cal_link_bytes(4 * M, M), 3 * M);
    assert_int_equal(cal_link_bytes(3 * M, M), 5 * M / 2);
    assert_int_equal(cal_link_bytes(2 * M, M), 0);
    assert_int_equal(cal_link_bytes(M, 2 * M), 0);
    static const char cfg[] = "[hierarchy]\nifetch = L1d\ndata = L1d\nfrequency_ghz = 4\n"
                              "[L1d]\nsize = 48K\nways = 12\nline = 64\nnext = L2\n"
                              "[L2]\nsize = 1M\nways = 16\nline = 64\nnext = L3\n"
                              "[L3]\nsize = 4M\nways = 16\nline = 64\n";
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(cfg, "t.ini", &c, &err), MH_OK);
    cal_machine m = {0};
    m.link_rand_gbs[1] = m.link_seq_gbs[1] = m.link_gbs[1] = 0.01; /* the probe past the cut L3: RAM */
    m.spread_probes = 2;                                            /* and the spread's, past it too */
    m.spread_bytes = 16 * M;
    m.spread = CAL_SPREAD_MAX;
    const uint64_t probed[3] = {48 * 1024, M, 32 * M};
    assert_int_equal(cal_machine_relink(c, &m, probed, 1, &err), MH_OK);
    assert_int_equal(m.link_resized[1], 4 * M);
    assert_true(m.link_gbs[1] > 0.01);
    assert_true(fabs(c->level[1].bandwidth - m.link_gbs[1] / 4.0) < 1e-2);
    assert_int_equal(m.spread_probes, 1);                           /* probed again, inside the 4 MiB */
    assert_true(m.spread_resized);
    assert_int_equal(m.spread_bytes, 3 * M);
    assert_true(fabs(c->level[2].spread - m.spread) < 1e-3 && fabs(c->ram.spread - m.spread) < 1e-3);
    mh_config_free(c);
}

/* A link whose random chase kept the core's misses in flight takes the address order's rate; one
 * under CAL_MLP_SHARE of them, or whose address order is the slower, keeps the slower. Figures of
 * the Zen 4 host: L3 at 14.31 ns, 79.1 GB/s random (17.7 lines), 94.6 in address order, 18.8 in
 * flight; L2 at 3.80 ns, 117.9 random (7.0 lines). */
static void test_mlp_links(void **state)
{
    (void)state;
    static const char cfg[] = "[hierarchy]\nifetch = L1d\ndata = L1d\nfrequency_ghz = 4\n"
                              "[L1d]\nsize = 32K\nways = 8\nline = 64\nlatency = 4\nnext = L2\n"
                              "[L2]\nsize = 1M\nways = 16\nline = 64\nlatency = 15.2\nnext = L3\n"
                              "[L3]\nsize = 8M\nways = 16\nline = 64\nlatency = 57.24\n";
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(cfg, "t.ini", &c, &err), MH_OK);
    cal_machine m = {0};
    m.nlevels = 3;
    snprintf(m.names[0], sizeof m.names[0], "L1d");
    snprintf(m.names[1], sizeof m.names[1], "L2");
    m.link_rand_gbs[0] = m.link_gbs[0] = 117.9;
    m.link_seq_gbs[0] = 118.2;
    m.link_rand_gbs[1] = m.link_gbs[1] = 79.1;
    m.link_seq_gbs[1] = 94.6;
    assert_int_equal(cal_machine_mlp_links(c, &m, 0, &err), MH_OK);     /* in flight unknown */
    assert_true(m.link_gbs[1] == 79.1 && m.link_mlp[1] == 0);
    assert_int_equal(cal_machine_mlp_links(c, &m, 18.8, &err), MH_OK);
    assert_true(m.link_gbs[0] == 117.9 && m.link_mlp[0] == 0);           /* 7.0 lines: the link */
    assert_true(m.link_gbs[1] == 94.6 && fabs(m.link_mlp[1] - 17.69) < 0.01);
    assert_true(fabs(c->level[1].bandwidth - 94.6 / 4) < 1e-3);
    char buf[4096] = "";
    cal_machine_header(&m, 4, buf, sizeof buf);
    assert_non_null(strstr(buf, "address order's"));
    assert_non_null(strstr(buf, "kept 17.7 lines in flight, the core's 18.8"));
    cal_machine n = m;                                                   /* 17.7 < 0.85 x 21: kept */
    n.link_gbs[1] = n.link_rand_gbs[1];
    n.link_mlp[1] = 0;
    assert_int_equal(cal_machine_mlp_links(c, &n, 21, &err), MH_OK);
    assert_true(n.link_gbs[1] == 79.1 && n.link_mlp[1] == 0);
    n.link_seq_gbs[1] = 70;                                              /* address order slower */
    assert_int_equal(cal_machine_mlp_links(c, &n, 18.8, &err), MH_OK);
    assert_true(n.link_gbs[1] == 79.1 && n.link_mlp[1] == 0);
    mh_config_free(c);
}

/* The software prefetch's extra time: P = dist x the prefetching walk's node time, less the plain
 * walk's; nothing when the walk ran at the L1d's latency or beat P = plain; at most plain (a walk
 * whose prefetch is useless runs at its own misses). The probe's buffer: 4 x L1d inside half L2.
 * The key takes a number >= 0 only. */
static void test_swpf_fit(void **state)
{
    (void)state;
    assert_true(fabs(cal_swpf_extra_fit(3.82, 2.99, 1.08, 2) - 2.16) < 1e-9);   /* the Zen 4 host's */
    assert_true(cal_swpf_extra_fit(3.82, 1.10, 1.08, 2) == 0);                  /* at the hit bound */
    assert_true(cal_swpf_extra_fit(3.82, 1.50, 1.08, 2) == 0);                  /* P under plain */
    assert_true(cal_swpf_extra_fit(3.82, 5.00, 1.08, 2) == 3.82);               /* capped */
    assert_true(cal_swpf_extra_fit(0, 2.99, 1.08, 2) == 0 && cal_swpf_extra_fit(3.82, 2.99, 1.08, 0) == 0);
    const uint64_t K = 1024;
    assert_int_equal(cal_swpf_bytes(1024 * K, 32 * K), 128 * K);
    assert_int_equal(cal_swpf_bytes(2048 * K, 48 * K), 192 * K);
    assert_int_equal(cal_swpf_bytes(256 * K, 48 * K), 0);
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(mh_config_set(c, "L2.swpf_extra", "7.8", &err), MH_OK);
    assert_int_equal(mh_config_set(c, "L2.swpf_extra", "-1", &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "swpf_extra"));
    mh_config_free(c);
}

/* Rounds: the medians of the rounds replace the point's statistics; the spread is over the median. */
static void test_fold_rounds(void **state)
{
    (void)state;
    bench_stats st = {0};
    double med[3] = {3.0, 1.0, 2.0}, p10[3] = {2.5, 0.5, 1.5}, p90[3] = {4.0, 2.0, 3.0};
    st.ns_median = 9.0;
    assert_true(fabs(cal_fold_rounds(&st, med, p10, p90, 1)) < 1e-12); /* one round: unchanged */
    assert_true(fabs(st.ns_median - 9.0) < 1e-12);
    assert_true(fabs(cal_fold_rounds(&st, med, p10, p90, 3) - 100.0) < 1e-9); /* (3 - 1) / 2 */
    assert_true(fabs(st.ns_median - 2.0) < 1e-12);
    assert_true(fabs(st.ns_p10 - 1.5) < 1e-12);
    assert_true(fabs(st.ns_p90 - 3.0) < 1e-12);
}

/* The gN split: R + W/N recovered exactly from exact points, by least squares from noisy ones;
 * refused (r, w untouched) with one distinct N, a time <= 0 or not finite. */
static void test_split_fit(void **state)
{
    (void)state;
    const double n[4] = {1, 2, 4, 8};
    double t[4], r = -1, w = -1;
    for (int i = 0; i < 4; i++)
        t[i] = 141.0 + 19.0 / n[i];
    assert_int_equal(cal_split_fit(n, t, 4, &r, &w), 0);
    assert_true(fabs(r - 141.0) < 1e-9 && fabs(w - 19.0) < 1e-9);
    const double noisy[4] = {159.7, 151.4, 147.4, 143.2}; /* the development VM at 256 MiB */
    assert_int_equal(cal_split_fit(n, noisy, 4, &r, &w), 0);
    assert_true(r > 139 && r < 143 && w > 16 && w < 22);
    const double same[3] = {4, 4, 4}, bad[2] = {150, -1}, nan2[2] = {150, NAN};
    r = w = -7;
    assert_int_equal(cal_split_fit(same, t, 3, &r, &w), -1);
    assert_int_equal(cal_split_fit(n, bad, 2, &r, &w), -1);
    assert_int_equal(cal_split_fit(n, nan2, 2, &r, &w), -1);
    assert_int_equal(cal_split_fit(n, t, 1, &r, &w), -1);
    assert_true(r == -7 && w == -7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_fit),
        cmocka_unit_test(test_fit_exact),
        cmocka_unit_test(test_machine_probes),
        cmocka_unit_test(test_spread_fit),
        cmocka_unit_test(test_fit_noisy),
        cmocka_unit_test(test_fit_fallback_and_missing),
        cmocka_unit_test(test_fit_clamp),
        cmocka_unit_test(test_fit_plateau_cut), cmocka_unit_test(test_fit_gradual_rise),
        cmocka_unit_test(test_fit_vm_small_l3),
        cmocka_unit_test(test_fit_lowered_to_ram),
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_apply_and_write), cmocka_unit_test(test_apply_effective_size),
        cmocka_unit_test(test_fit_step_past_window),
        cmocka_unit_test(test_prefetch_detection), cmocka_unit_test(test_prefetch_sequential),
        cmocka_unit_test(test_levels_from_global),
        cmocka_unit_test(test_minor_fault_probe),
        cmocka_unit_test(test_core_probe),
        cmocka_unit_test(test_fold_rounds),
        cmocka_unit_test(test_tlb_reach),
        cmocka_unit_test(test_tlb_ways),
        cmocka_unit_test(test_tlb2_reach),
        cmocka_unit_test(test_set_probe),
        cmocka_unit_test(test_chains_order),
        cmocka_unit_test(test_machine_reclock),
        cmocka_unit_test(test_link_bytes),
        cmocka_unit_test(test_mlp_links),
        cmocka_unit_test(test_swpf_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
