/* test_topo.c — hwloc topologies from the XML files in tests/topologies, the configs written for them, pinning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhier.h"
#include "topo.h"

#define TOPO_DIR "tests/topologies/"

/* Loads tests/topologies/NAME.xml or fails the test. */
static topo_t *load(const char *name)
{
    char path[256];
    topo_t *t = NULL;
    mh_error err = {0};
    snprintf(path, sizeof path, TOPO_DIR "%s.xml", name);
    int rc = topo_create_xml(path, &t, &err);
    if (rc != MH_OK)
        fail_msg("%s: %s", path, err.msg);
    return t;
}

/* Generated config text and warnings for a topology. */
typedef struct gen {
    char ini[16384];   /* the INI text written */
    char warn[4096];   /* warning lines */
    char path[256];    /* where the INI was written */
} gen;

/* Writes t's config to a temp file (topo_write_config), reads it back, checks it parses. */
static void generate(const topo_t *t, gen *g)
{
    mh_error err = {0};
    snprintf(g->path, sizeof g->path, "/tmp/mh-test-topo-%d.ini", (int)getpid());
    assert_int_equal(topo_write_config(t, g->path, "test", g->warn, sizeof g->warn, &err), MH_OK);
    FILE *f = fopen(g->path, "r");
    assert_non_null(f);
    size_t n = fread(g->ini, 1, sizeof g->ini - 1, f);
    g->ini[n] = '\0';
    fclose(f);
    mh_config *c = NULL;
    int rc = mh_config_load(g->path, &c, &err);
    if (rc != MH_OK)
        fail_msg("written config rejected by mh_config_load: %s\n%s", err.msg, g->ini);
    assert_string_equal(mh_config_name(c), "test");
    mh_config_free(c);
    unlink(g->path);
}

/* Value of [section] key in INI text ("" when absent; comments and blanks skipped). */
static const char *ini_get(const char *ini, const char *section, const char *key)
{
    static char val[128];
    char cur[64] = "";
    const char *p = ini;
    val[0] = '\0';
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (line[0] == '[')
            sscanf(line, "[%63[^]]]", cur);
        else if (line[0] != ';' && !strcmp(cur, section)) {
            char k[64], v[128];
            if (sscanf(line, "%63s = %127[^\n]", k, v) == 2 && !strcmp(k, key)) {
                snprintf(val, sizeof val, "%s", v);
                return val;
            }
        }
        p += len + (eol ? 1 : 0);
    }
    return val;
}

/* Asserts the geometry keys of one level. */
static void check_level(const gen *g, const char *sec, const char *size, const char *ways, const char *next)
{
    assert_string_equal(ini_get(g->ini, sec, "size"), size);
    assert_string_equal(ini_get(g->ini, sec, "ways"), ways);
    assert_string_equal(ini_get(g->ini, sec, "line"), "64");
    assert_string_equal(ini_get(g->ini, sec, "next"), next);
    assert_string_not_equal(ini_get(g->ini, sec, "latency"), "");
}

/* Hand-written Intel client: 48K/32K L1, 1.25M L2, 12M L3, 8 PUs, no warnings beyond the memory defaults. */
static void test_intel_client(void **state)
{
    (void)state;
    topo_t *t = load("intel-client");
    gen g;
    char kind[96];
    assert_int_equal(topo_core_kind(t, kind, sizeof kind), 0); /* no kinds in the file: one kind */
    assert_string_equal(kind, "");
    assert_int_equal(topo_cache_count(t), 4);
    const topo_cache *l1i = topo_cache_get(t, 0), *l1d = topo_cache_get(t, 1), *l3 = topo_cache_at(t, 3);
    assert_string_equal(l1i->name, "L1i");
    assert_int_equal(l1i->type, TOPO_CACHE_INSTRUCTION);
    assert_string_equal(l1d->name, "L1d");
    assert_int_equal(l1d->size, 48 * 1024);
    assert_int_equal(l1d->ways, 12);
    assert_int_equal(l1d->sharing, 2);
    assert_int_equal(topo_cache_at(t, 2)->size, 1280 * 1024);
    assert_int_equal(l3->sharing, 8);
    assert_int_equal(l3->instances, 1);
    assert_int_equal(l3->inclusive, 0);
    assert_int_equal(topo_llc_bytes(t), 12u << 20);
    assert_int_equal(topo_numa_nodes(t), 1);
    assert_int_equal(topo_memory_bytes(t), 16ULL << 30);
    assert_int_equal(topo_cores(t), 4);
    assert_int_equal(topo_pus(t), 8);
    assert_true(topo_frequency_ghz(t) > 2.79 && topo_frequency_ghz(t) < 2.81);
    generate(t, &g);
    assert_string_equal(ini_get(g.ini, "hierarchy", "ifetch"), "L1i");
    assert_string_equal(ini_get(g.ini, "hierarchy", "data"), "L1d");
    assert_string_equal(ini_get(g.ini, "hierarchy", "frequency_ghz"), "2.8");
    check_level(&g, "L1d", "48K", "12", "L2");
    check_level(&g, "L1i", "32K", "8", "L2");
    check_level(&g, "L2", "1280K", "10", "L3");
    check_level(&g, "L3", "12M", "12", "");
    assert_string_equal(ini_get(g.ini, "L2", "inclusion"), "nine");
    assert_string_equal(ini_get(g.ini, "RAM", "capacity"), "16G");
    assert_string_equal(ini_get(g.ini, "tlb.L1d", "entries"), "64");
    assert_string_equal(ini_get(g.ini, "disk", "latency_us"), "100");
    assert_null(strstr(g.warn, "associativity"));
    assert_non_null(strstr(g.warn, "RAM and disk timings are not reported"));
    assert_non_null(strstr(g.warn, "[tlb.L1d], [tlb.L2] and [tlb.L1i]: an hwloc XML topology does not describe TLBs"));
    topo_destroy(t);
}

/* Two sockets: 2 NUMA nodes, 128G, L3 per socket inclusive; 30M 20-way gets a power-of-two warning. */
static void test_two_socket(void **state)
{
    (void)state;
    topo_t *t = load("two-socket-server");
    gen g;
    assert_int_equal(topo_numa_nodes(t), 2);
    assert_int_equal(topo_memory_bytes(t), 128ULL << 30);
    const topo_cache *l3 = topo_cache_at(t, 3);
    assert_int_equal(l3->instances, 2);
    assert_int_equal(l3->sharing, 4);
    assert_int_equal(l3->inclusive, 1);
    generate(t, &g);
    assert_string_equal(ini_get(g.ini, "L2", "inclusion"), "inclusive");
    check_level(&g, "L3", "30M", "30", "");
    assert_non_null(strstr(g.warn, "L3: 20 ways"));
    assert_non_null(strstr(g.ini, "; WARNING: L3: 20 ways"));
    char sum[4096];
    assert_true(topo_summary(t, sum, sizeof sum) < sizeof sum);
    assert_non_null(strstr(sum, "2 NUMA node(s)"));
    assert_non_null(strstr(sum, "shared by 4 PU(s), 2 instance(s), inclusive: yes"));
    topo_destroy(t);
}

/* Arm without L3: L2 is the last level; unknown inclusiveness is warned about. */
static void test_arm_no_l3(void **state)
{
    (void)state;
    topo_t *t = load("arm-no-l3");
    gen g;
    assert_int_equal(topo_cache_count(t), 3);
    assert_null(topo_cache_at(t, 3));
    assert_int_equal(topo_llc_bytes(t), 1u << 20);
    assert_int_equal(topo_cache_at(t, 2)->inclusive, -1);
    generate(t, &g);
    check_level(&g, "L1d", "32K", "2", "L2");
    check_level(&g, "L1i", "48K", "3", "L2");
    check_level(&g, "L2", "1M", "16", "");
    assert_string_equal(ini_get(g.ini, "L3", "size"), "");
    assert_non_null(strstr(g.warn, "L1d: inclusiveness of L2 unknown, using inclusion = nine"));
    assert_non_null(strstr(g.warn, "CPU frequency unknown, using default frequency_ghz = 3"));
    topo_destroy(t);
}

/* Unknown associativity (0) and line size: defaults with warnings; -1 becomes ways = full. */
static void test_unknown_assoc(void **state)
{
    (void)state;
    topo_t *t = load("unknown-assoc");
    gen g;
    assert_int_equal(topo_cache_get(t, 0)->ways, -1);
    assert_int_equal(topo_cache_at(t, 2)->ways, 0);
    generate(t, &g);
    check_level(&g, "L1i", "32K", "full", "L2");
    check_level(&g, "L2", "512K", "8", "L3");
    check_level(&g, "L3", "6M", "24", "");
    assert_non_null(strstr(g.warn, "L2: associativity unknown (hwloc 0), using default 8 ways"));
    assert_non_null(strstr(g.warn, "L3: line size unknown, using default 64"));
    assert_non_null(strstr(g.warn, "L3: associativity unknown (hwloc 0), using default 16 ways"));
    assert_non_null(strstr(g.ini, "; WARNING: L2: associativity unknown"));
    topo_destroy(t);
}

/* A hybrid client (2 P-cores with 2 PUs, 4 E-cores sharing an L2): the caches described are the
 * selected core's, the config written follows, and topo_config_diff names what another core's
 * config gets wrong; a core that does not exist leaves the selection as it was. */
static void test_hybrid(void **state)
{
    (void)state;
    topo_t *t = load("intel-hybrid");
    topo_pinning where;
    mh_error err = {0};
    gen g;
    assert_int_equal(topo_cores(t), 6);
    assert_int_equal(topo_cache_at(t, 1)->size, 48 * 1024); /* PU 0 until a core is selected */
    generate(t, &g);
    mh_config *p = NULL;
    assert_int_equal(mh_config_parse(g.ini, "p-core.ini", &p, &err), MH_OK);
    assert_int_equal(topo_select_core(t, -1, &where, &err), MH_OK);
    assert_int_equal(where.core, 5);
    assert_int_equal(where.pu, 7);
    assert_int_equal(topo_reference_pu(t), 7);
    char kind[96];
    assert_int_equal(topo_core_kind(t, kind, sizeof kind), 2);
    assert_string_equal(kind, "IntelAtom #0, efficiency 0 of 0..1");
    assert_string_equal(where.caches, "L1i 64K, L1d 32K, L2 2M (4 PUs), L3 12M (8 PUs)");
    assert_int_equal(topo_cache_at(t, 2)->sharing, 4);
    generate(t, &g);
    check_level(&g, "L1d", "32K", "8", "L2");
    check_level(&g, "L2", "2M", "16", "L3");
    assert_non_null(strstr(g.ini, "; a hybrid CPU: the caches (and TLBs) of PU 7, IntelAtom #0"));
    char d[256];
    assert_int_equal(topo_config_diff(t, p, 2, d, sizeof d), 3);
    assert_string_equal(d, "L1i 64K here, 32K in the config; L1d 32K here, 48K in the config; "
                           "L2 2M here, 1280K in the config");
    assert_int_equal(topo_config_diff(t, p, 1, d, sizeof d), 2);
    assert_int_equal(topo_select_core(t, 0, &where, &err), MH_OK);
    topo_core_kind(t, kind, sizeof kind);
    assert_string_equal(kind, "IntelCore #1, efficiency 1 of 0..1");
    assert_int_equal(topo_config_diff(t, p, 3, d, sizeof d), 0);
    assert_string_equal(d, "");
    assert_int_equal(topo_select_core(t, 2, &where, &err), MH_OK); /* the first E-core */
    assert_int_equal(topo_select_core(t, 6, &where, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "allowed -1 (last) or 0..5"));
    assert_int_equal(topo_cache_at(t, 1)->size, 32 * 1024);        /* still core 2's */
    mh_config_free(p);
    topo_destroy(t);
}

/* This machine's export loads and writes a config the parser accepts. */
static void test_host_export(void **state)
{
    (void)state;
    topo_t *t = load("host-epyc-2core");
    gen g;
    assert_true(topo_cache_count(t) >= 3);
    assert_true(topo_llc_bytes(t) > 0);
    generate(t, &g);
    assert_string_equal(ini_get(g.ini, "hierarchy", "data"), "L1d");
    topo_destroy(t);
}

/* Errors: a missing XML file, a non-XML file, pinning an XML topology. */
static void test_errors(void **state)
{
    (void)state;
    topo_t *t = NULL;
    mh_error err = {0};
    assert_int_equal(topo_create_xml(TOPO_DIR "does-not-exist.xml", &t, &err), MH_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(err.msg, "does-not-exist.xml"));
    assert_int_not_equal(topo_create_xml("tests/unit/test_topo.c", &t, &err), MH_OK);
    assert_null(t);
    t = load("arm-no-l3");
    assert_int_equal(topo_pin(t, 0, NULL, &err), MH_EUNSUPPORTED);
    assert_int_equal(topo_write_config(t, "/nonexistent-dir/x.ini", NULL, NULL, 0, &err), MH_EIO);
    topo_destroy(t);
}

/* The live machine: caches found, pinning binds to exactly one CPU and reports it. */
static void test_live_pin(void **state)
{
    (void)state;
    topo_t *t = NULL;
    mh_error err = {0};
    topo_pinning where;
    cpu_set_t saved, now;
    assert_int_equal(topo_create(&t, &err), MH_OK);
    assert_true(topo_cache_count(t) >= 1);
    assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
    assert_int_equal(topo_pin(t, -1, &where, &err), MH_OK);
    assert_int_equal(where.core, topo_cores(t) - 1);
    assert_int_equal(sched_getaffinity(0, sizeof now, &now), 0);
    assert_int_equal(CPU_COUNT(&now), 1);
    assert_true(CPU_ISSET(where.pu, &now));
    assert_non_null(strstr(where.caches, "L1d"));
    assert_int_equal(topo_pin(t, topo_cores(t), &where, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "allowed"));
    sched_setaffinity(0, sizeof saved, &saved);
    topo_destroy(t);
}

/* Memory: the kernel's size replaces hwloc's only when hwloc's NUMA nodes hold over 10% less, and
 * only on the live machine (an XML topology is another machine). */
static void test_memory_pick(void **state)
{
    (void)state;
    const uint64_t M = 1 << 20;
    assert_true(topo_pick_memory(6874 * M, 24105 * M) == 24105 * M); /* a VM's hot-plugged memory */
    assert_true(topo_pick_memory(8192 * M, 8700 * M) == 8192 * M);   /* within 10%: hwloc's */
    assert_true(topo_pick_memory(8192 * M, 4096 * M) == 8192 * M);   /* the kernel's never lowers it */
    assert_true(topo_pick_memory(8192 * M, 0) == 8192 * M);
    assert_true(topo_pick_memory(0, 0) == 0);
    topo_t *x = load("intel-client");
    assert_true(topo_kernel_memory(x) == 0);
    assert_true(topo_memory_bytes(x) == topo_hwloc_memory(x));
    topo_destroy(x);
    topo_t *t = NULL;
    mh_error err = {0};
    assert_int_equal(topo_create(&t, &err), MH_OK);
    assert_true(topo_kernel_memory(t) > 0);
    assert_true(topo_memory_bytes(t) >= topo_hwloc_memory(t));
    assert_true(topo_memory_bytes(t) + topo_memory_bytes(t) / 10 >= topo_kernel_memory(t));
    topo_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intel_client), cmocka_unit_test(test_two_socket),
        cmocka_unit_test(test_arm_no_l3),    cmocka_unit_test(test_unknown_assoc),
        cmocka_unit_test(test_host_export),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_live_pin),     cmocka_unit_test(test_memory_pick),
        cmocka_unit_test(test_hybrid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
