/* test_config.c — configuration parsing, validation messages, set, write/round-trip, clone. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_int.h"

static const char *const shipped[] = {
    "configs/zen3.ini", "configs/skylake-client.ini", "configs/small-teaching.ini",
    "configs/small-split.ini",
};
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

/* Loads path or fails the test with the error message. */
static mh_config *load_ok(const char *path)
{
    mh_config *c = NULL;
    mh_error e = {0};
    int rc = mh_config_load(path, &c, &e);
    if (rc != MH_OK)
        fail_msg("%s: %s", path, e.msg);
    return c;
}

/* Parses text or fails the test with the error message. */
static mh_config *parse_ok(const char *text)
{
    mh_config *c = NULL;
    mh_error e = {0};
    if (mh_config_parse(text, "t.ini", &c, &e) != MH_OK)
        fail_msg("%s", e.msg);
    return c;
}

/* Parses text expecting MH_ECONFIG with exactly msg. */
static void parse_bad(const char *text, const char *msg)
{
    mh_config *c = NULL;
    mh_error e = {0};
    assert_int_equal(mh_config_parse(text, "t.ini", &c, &e), MH_ECONFIG);
    assert_int_equal(e.code, MH_ECONFIG);
    assert_string_equal(e.msg, msg);
    assert_null(c);
}

/* Returns level index by name, or -1. */
static int level(const mh_config *c, const char *name)
{
    for (size_t i = 0; i < c->nlevels; i++)
        if (!strcmp(c->level[i].name, name))
            return (int)i;
    return -1;
}

/* Equal configs apart from the source (memcmp is safe: configs are calloc'ed, flat). */
static void assert_config_equal(const mh_config *a, const mh_config *b)
{
    mh_config x = *a, y = *b;
    memset(x.source, 0, sizeof x.source);
    memset(y.source, 0, sizeof y.source);
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->nlevels, b->nlevels);
    for (size_t i = 0; i < a->nlevels; i++) {
        assert_string_equal(a->level[i].name, b->level[i].name);
        assert_int_equal(a->level[i].size, b->level[i].size);
        assert_int_equal(a->level[i].ways, b->level[i].ways);
        assert_int_equal(a->level[i].sets, b->level[i].sets);
        assert_int_equal(a->level[i].next, b->level[i].next);
        assert_true(a->level[i].latency == b->level[i].latency);
    }
    assert_int_equal(memcmp(&x, &y, sizeof x), 0);
}

static void test_shipped_configs_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHIPPED; i++)
        mh_config_free(load_ok(shipped[i]));
}

static void test_zen3_fields(void **state)
{
    mh_config *c = load_ok("configs/zen3.ini");
    int l1i = level(c, "L1i"), l1d = level(c, "L1d"), l2 = level(c, "L2"), l3 = level(c, "L3");
    (void)state;
    assert_string_equal(mh_config_name(c), "zen3");
    assert_string_equal(mh_config_source(c), "configs/zen3.ini");
    assert_int_equal(c->nlevels, 4);
    assert_int_equal(l1i, 0);
    assert_int_equal(l1d, 1);
    assert_int_equal(c->ifetch, l1i);
    assert_int_equal(c->data, l1d);
    assert_int_equal(c->level[l1d].size, 32768);
    assert_int_equal(c->level[l1d].ways, 8);
    assert_int_equal(c->level[l1d].line, 64);
    assert_int_equal(c->level[l1d].sets, 64);
    assert_int_equal(c->level[l1d].next, l2);
    assert_int_equal(c->level[l1d].inclusion, MH_INC_INCLUSIVE);
    assert_int_equal(c->level[l2].size, 512 * 1024);
    assert_int_equal(c->level[l2].sets, 1024);
    assert_int_equal(c->level[l2].inclusion, MH_INC_EXCLUSIVE);
    assert_int_equal(c->level[l3].size, 32u << 20);
    assert_int_equal(c->level[l3].ways, 16);
    assert_int_equal(c->level[l3].sets, 32768);
    assert_int_equal(c->level[l3].next, -1);
    assert_true(c->level[l3].latency == 46);
    assert_true(c->tlb[0].present && c->tlb[1].present);
    assert_int_equal(c->tlb[0].ways, 64);            /* full = entries */
    assert_int_equal(c->tlb[1].entries, 2048);
    assert_true(c->tlb[MH_TLB_L1I].present);
    assert_int_equal(c->tlb[MH_TLB_L1I].entries, 64);
    assert_int_equal(c->tlb[MH_TLB_L1I].ways, 64);
    assert_int_equal(c->tlb[MH_TLB_L2I].entries, 512);
    assert_int_equal(c->tlb[MH_TLB_L2I].ways, 8);
    assert_int_equal(c->ram.page_policy, MH_PAGE_CLOCK);
    assert_true(c->ram.latency_ns == 85 && c->ram.row_hit_ns == 60);
    assert_int_equal(c->ram.row_size, 8192);
    assert_true(c->frequency_ghz == 2.6);
    mh_config_free(c);
}

/* Reads the "; expect: MESSAGE" first line of a bad config into buf. */
static void expected_msg(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, (int)n, f));
    fclose(f);
    assert_int_equal(strncmp(buf, "; expect: ", 10), 0);
    memmove(buf, buf + 10, strlen(buf + 10) + 1);
    buf[strcspn(buf, "\n")] = '\0';
}

static void test_bad_files_exact_messages(void **state)
{
    glob_t g;
    (void)state;
    assert_int_equal(glob("tests/bad/config-*.ini", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 36);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char want[600];
        mh_config *c = NULL;
        mh_error e = {0};
        char err_path[512], side[600] = "";
        FILE *f;
        expected_msg(g.gl_pathv[i], want, sizeof want);
        snprintf(err_path, sizeof err_path, "%s.err", g.gl_pathv[i]);   /* sidecar for CLI tests */
        f = fopen(err_path, "r");
        assert_non_null(f);
        assert_non_null(fgets(side, sizeof side, f));
        fclose(f);
        assert_string_equal(side, want);
        assert_int_equal(mh_config_load(g.gl_pathv[i], &c, &e), MH_ECONFIG);
        assert_null(c);
        if (strcmp(e.msg, want))
            fail_msg("%s:\n  got  %s\n  want %s", g.gl_pathv[i], e.msg, want);
    }
    globfree(&g);
}

static void test_missing_file(void **state)
{
    mh_config *c = NULL;
    mh_error e = {0};
    (void)state;
    assert_int_equal(mh_config_load("tests/bad/no-such-file.ini", &c, &e), MH_ENOTFOUND);
    assert_string_equal(e.msg, "tests/bad/no-such-file.ini: No such file or directory");
}

#define MIN_L1 "[hierarchy]\ndata = L1\n[L1]\nsize = 1K\nways = 2\nline = 64\n"

static void test_syntax_conveniences(void **state)
{
    (void)state;
    /* comments (; and #, whole-line and inline), indentation, CRLF, a BOM, any case */
    mh_config *c = parse_ok("\xEF\xBB\xBF; top\r\n# hash\r\n  [Hierarchy]  ; inline\r\n"
                            "   DATA = l1   # inline hash\r\n[L1]\r\n\tsize = 2k\r\n"
                            "ways = FULL ; all lines in one set\r\nline = 64\r\npolicy = PLRU\r\n");
    assert_int_equal(c->nlevels, 1);
    assert_int_equal(c->data, 0);
    assert_int_equal(c->level[0].size, 2048);
    assert_int_equal(c->level[0].ways, 32);
    assert_int_equal(c->level[0].sets, 1);
    assert_true(c->level[0].fully_assoc);
    assert_int_equal(c->level[0].policy, MH_POL_PLRU);
    mh_config_free(c);
}

static void test_defaults(void **state)
{
    mh_config *c = parse_ok("[hierarchy]\nifetch = I\ndata = D\n"
                            "[I]\nsize = 1K\nways = 2\nline = 64\nnext = L2\n"
                            "[D]\nsize = 1K\nways = 2\nline = 64\nnext = L2\n"
                            "[L2]\nsize = 8K\nways = 4\nline = 64\nnext = L3\n"
                            "[L3]\nsize = 64K\nways = 8\nline = 64\nnext = L4\n"
                            "[L4]\nsize = 1M\nways = 16\nline = 64\n");
    (void)state;
    assert_string_equal(c->name, "t");          /* from the source name */
    assert_true(c->frequency_ghz == 3.0 && c->base_cpi == 0.5);
    assert_int_equal(c->walk, MH_WALK_FIXED);
    assert_true(c->walk_latency == 30);
    assert_true(c->level[0].latency == 4 && c->level[1].latency == 4);
    assert_true(c->level[2].latency == 14 && c->level[3].latency == 40 && c->level[4].latency == 40);
    assert_int_equal(c->level[1].mshrs, 16);      /* the data entry level */
    assert_int_equal(c->level[0].mshrs, 8);
    assert_int_equal(c->level[2].mshrs, 8);
    assert_int_equal(c->level[0].policy, MH_POL_LRU);
    assert_true(c->level[0].write_back && c->level[0].allocate);
    assert_int_equal(c->level[0].inclusion, MH_INC_NINE);
    assert_int_equal(c->level[0].seed, 1);
    assert_true(c->level[0].bandwidth == 0);
    assert_int_equal(c->level[0].prefetcher, MH_PF_NONE);
    assert_int_equal(c->level[0].pf_degree, 1);
    assert_int_equal(c->level[0].pf_distance, 1);
    assert_false(c->tlb[0].present || c->tlb[1].present);
    assert_true(c->ram.latency_ns == 80 && c->ram.row_hit_ns == 80);
    assert_true(c->ram.bandwidth_gbs == 25);
    assert_int_equal(c->ram.row_size, 8192);
    assert_int_equal(c->ram.banks, 16);
    assert_int_equal(c->ram.capacity, 0);
    assert_int_equal(c->ram.page_size, 4096);
    assert_int_equal(c->ram.page_policy, MH_PAGE_LRU);
    assert_true(c->ram.minor_fault_ns == 500);
    assert_true(c->disk.latency_us == 100 && c->disk.bandwidth_mbs == 2000);
    mh_config_free(c);

    c = parse_ok(MIN_L1 "[tlb.L1d]\n[tlb.L2]\n");   /* unified: ifetch = data; TLB defaults */
    assert_int_equal(c->ifetch, 0);
    assert_true(c->tlb[0].present && c->tlb[1].present);
    assert_int_equal(c->tlb[0].entries, 64);
    assert_int_equal(c->tlb[0].ways, 64);
    assert_int_equal(c->tlb[1].entries, 1024);
    assert_int_equal(c->tlb[1].ways, 8);
    assert_int_equal(c->tlb[1].page_size, 4096);
    assert_true(c->tlb[0].latency == 0 && c->tlb[1].latency == 7);
    mh_config_free(c);
}

static void test_string_errors(void **state)
{
    (void)state;
    parse_bad(MIN_L1 "seed = -1\n", "t.ini:7: [L1] seed = -1, must be an integer >= 0");
    parse_bad(MIN_L1 "mshrs = 99999999999\n", "t.ini:7: [L1] mshrs = 99999999999, must be <= 4294967295");
    parse_bad(MIN_L1 "bandwidth = nan\n", "t.ini:7: [L1] bandwidth = nan, must be a number >= 0");
    parse_bad(MIN_L1 "set_gap = -2\n", "t.ini:7: [L1] set_gap = -2, must be a number >= 0 (cycles, 0 = no limit)");
    parse_bad(MIN_L1 "spread = 1\n", "t.ini:7: [L1] spread = 1, must be a number >= 0 and < 1 (fraction of latency, 0 = fixed)");
    parse_bad(MIN_L1 "spread = -0.1\n", "t.ini:7: [L1] spread = -0.1, must be a number >= 0 and < 1 (fraction of latency, 0 = fixed)");
    parse_bad(MIN_L1 "next = L1\n",
              "t.ini:7: [L1] next = L1, forms a cycle L1 -> L1; the last level must omit next (= main memory)");
    parse_bad(MIN_L1 "[memory]\n",
              "t.ini:7: [memory] unknown section; allowed: hierarchy, tlb.L1d, tlb.L2, tlb.L1i, tlb.L2i, RAM, disk, or a "
              "cache level name (a letter, then letters, digits, _ or -; at most 31 characters)");
    parse_bad(MIN_L1 "[RAM]\nrow_size = 3000\n", "t.ini:8: [RAM] row_size = 3000, must be a power of two");
    parse_bad(MIN_L1 "[RAM]\npage_policy = fifo\n", "t.ini:8: [RAM] page_policy = fifo, must be lru or clock");
    parse_bad(MIN_L1 "[disk]\nlatency_us = x\n", "t.ini:8: [disk] latency_us = x, must be a number >= 0");
    parse_bad("[hierarchy]\ndata = L1\nwalk = slow\n[L1]\nsize = 1K\nways = 2\nline = 64\n",
              "t.ini:3: [hierarchy] walk = slow, must be fixed, cached or nested");
    parse_bad("[hierarchy]\ndata = L1\nname = a;b\n[L1]\nsize = 1K\nways = 2\nline = 64\n",
              "t.ini:3: [hierarchy] name = a;b, must be up to 63 characters without ; # [ ] =");
    parse_bad(MIN_L1 "[tlb.L1d]\nentries = 4\nways = 8\n",
              "t.ini:9: [tlb.L1d] ways = 8, must be <= entries (4)");
    parse_bad(MIN_L1 "size = 2K\n", "t.ini:7: [L1] size = 2K, duplicate key (first on line 4)");
}

static void test_limits(void **state)
{
    char text[4096] = "[hierarchy]\ndata = C0\n", line[300];
    (void)state;
    for (int i = 0; i <= MH_MAX_LEVELS; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 "[C%d]\nsize = 1K\nways = 2\nline = 64\nnext = C%d\n", i, i + 1);
    parse_bad(text, "t.ini:83: [C16] too many cache levels (at most 16)");
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    snprintf(text, sizeof text, MIN_L1 "name = %s\n", line);
    parse_bad(text, "t.ini:7: line too long (at most 197 characters)");
    snprintf(text, sizeof text, "[%.40s]\n", line);
    parse_bad(text, "t.ini:1: [xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx] unknown section; allowed: hierarchy, "
                    "tlb.L1d, tlb.L2, tlb.L1i, tlb.L2i, RAM, disk, or a cache level name (a letter, then letters, digits, "
                    "_ or -; at most 31 characters)");
}

static void test_set(void **state)
{
    mh_config *c = load_ok("configs/zen3.ini");
    int l1d = level(c, "L1d");
    mh_error e = {0};
    (void)state;
    assert_int_equal(mh_config_set(c, "L1d.size", "64K", &e), MH_OK);
    assert_int_equal(c->level[l1d].size, 65536);
    assert_int_equal(c->level[l1d].sets, 128);
    assert_string_equal(mh_config_source(c), "configs/zen3.ini");
    assert_int_equal(mh_config_set(c, "l1d.WAYS", " full ", &e), MH_OK);
    assert_int_equal(c->level[l1d].ways, 1024);
    assert_int_equal(mh_config_set(c, "hierarchy.frequency_ghz", "3.5", &e), MH_OK);
    assert_true(c->frequency_ghz == 3.5);
    assert_int_equal(mh_config_set(c, "L1d.prefetcher", "stride", &e), MH_OK);
    assert_int_equal(c->level[l1d].prefetcher, MH_PF_STRIDE);
    assert_int_equal(mh_config_set(c, "RAM.capacity", "1G", &e), MH_OK);
    assert_int_equal(c->ram.capacity, 1u << 30);
    assert_int_equal(mh_config_set(c, "L3.next", "memory", &e), MH_OK);
    assert_int_equal(c->level[level(c, "L3")].next, -1);
    mh_config_free(c);

    c = load_ok("configs/small-teaching.ini");     /* no TLB sections: set creates one */
    assert_int_equal(mh_config_set(c, "tlb.L1d.entries", "16", &e), MH_OK);
    assert_true(c->tlb[0].present);
    assert_int_equal(c->tlb[0].entries, 16);
    assert_int_equal(c->tlb[0].ways, 16);
    assert_false(c->tlb[MH_TLB_L1I].present);
    assert_int_equal(mh_config_set(c, "tlb.L1i.ways", "4", &e), MH_OK);   /* the ITLB's defaults, 4 ways */
    assert_true(c->tlb[MH_TLB_L1I].present);
    assert_int_equal(c->tlb[MH_TLB_L1I].entries, 64);
    assert_int_equal(c->tlb[MH_TLB_L1I].ways, 4);
    assert_int_equal(c->tlb[MH_TLB_L1I].page_size, 4096);
    assert_int_equal(mh_config_set(c, "tlb.L2i.entries", "256", &e), MH_OK);
    assert_true(c->tlb[MH_TLB_L2I].present);
    assert_int_equal(c->tlb[MH_TLB_L2I].ways, 8);
    assert_true(c->tlb[MH_TLB_L2I].latency == 1);
    mh_config_free(c);
    c = load_ok("configs/small-teaching.ini");     /* a second level without its first: refused */
    assert_int_equal(mh_config_set(c, "tlb.L2i.entries", "256", &e), MH_ECONFIG);
    assert_non_null(strstr(e.msg, "[tlb.L2i] needs a [tlb.L1i] section"));
    mh_config_free(c);
}

/* mh_config_set on zen3 must fail with code and msg and leave the config unchanged. */
static void set_bad(const char *key, const char *value, int code, const char *msg)
{
    mh_config *c = load_ok("configs/zen3.ini"), *before = mh_config_clone(c);
    mh_error e = {0};
    assert_int_equal(mh_config_set(c, key, value, &e), code);
    assert_string_equal(e.msg, msg);
    assert_int_equal(memcmp(c, before, sizeof *c), 0);
    mh_config_free(before);
    mh_config_free(c);
}

static void test_set_rejects(void **state)
{
    (void)state;
    set_bad("L1d.ways", "0", MH_ECONFIG, "--set L1d.ways=0: must be >= 1");
    set_bad("L1d.line", "48", MH_ECONFIG, "--set L1d.line=48: must be a power of two");
    set_bad("L1d.policy", "mru", MH_ECONFIG,
            "--set L1d.policy=mru: must be one of lru, fifo, random, plru, srrip, brrip");
    set_bad("L1d.ways", "3", MH_ECONFIG,
            "--set L1d.ways=3: [L1d] size = 32K, must be sets * ways * line, a multiple of ways * line = 192");
    set_bad("L1d.wayz", "2", MH_ECONFIG,
            "--set L1d.wayz=2: unknown key in [L1d]; allowed: size, ways, line, policy, write, "
            "allocate, inclusion, latency, next, seed, mshrs, bandwidth, set_gap, spread, swpf_extra, prefetcher, degree, distance, cross_pages");
    set_bad("L9.ways", "2", MH_ECONFIG,
            "--set L9.ways=2: no section [L9]; sections: hierarchy, L1i, L1d, L2, L3, tlb.L1d, tlb.L2, "
            "tlb.L1i, tlb.L2i, RAM, disk");
    set_bad("hierarchy.data", "L9", MH_ECONFIG,
            "--set hierarchy.data=L9: no such level; levels are L1i, L1d, L2, L3");
    set_bad("L2.next", "memory", MH_ECONFIG,
            "--set L2.next=memory: [L3] is not reachable from ifetch (L1i) or data (L1d) through next; "
            "point a next at it or remove it");
    set_bad("L3.inclusion", "inclusive", MH_ECONFIG,
            "--set L3.inclusion=inclusive: needs a next cache level (next is main memory), must be nine");
    set_bad("L3.next", "L2", MH_ECONFIG,
            "--set L3.next=L2: forms a cycle L2 -> L3 -> L2; the last level must omit next (= main memory)");
    set_bad("RAM.latency_ns", "50", MH_ECONFIG,
            "--set RAM.latency_ns=50: [RAM] row_hit_ns = 60, must be <= latency_ns (50)");
    set_bad("ways", "2", MH_EINVAL, "--set ways=2: expected SECTION.KEY=VALUE, e.g. L1d.size=64K");
}

/* mh_config_set_many on zen3 with n overrides must fail with code and msg, config unchanged. */
static void set_many_bad(const char *const *k, const char *const *v, size_t n, int code, const char *msg)
{
    mh_config *c = load_ok("configs/zen3.ini"), *before = mh_config_clone(c);
    mh_error e = {0};
    assert_int_equal(mh_config_set_many(c, k, v, n, &e), code);
    assert_string_equal(e.msg, msg);
    assert_int_equal(memcmp(c, before, sizeof *c), 0);
    mh_config_free(before);
    mh_config_free(c);
}

/* Keys that only make sense together change together; one at a time they cannot. */
static void test_set_many(void **state)
{
    mh_config *c = load_ok("configs/zen3.ini");
    int l1d = level(c, "L1d");
    mh_error e = {0};
    (void)state;
    assert_int_equal(mh_config_set(c, "L1d.ways", "12", &e), MH_ECONFIG); /* 32K is not 12-way */
    const char *k1[] = {"L1d.ways", "L1d.size"}, *v1[] = {"12", "48K"};
    assert_int_equal(mh_config_set_many(c, k1, v1, 2, &e), MH_OK);
    assert_int_equal(c->level[l1d].ways, 12);
    assert_int_equal(c->level[l1d].size, 49152);
    assert_int_equal(c->level[l1d].sets, 64);
    const char *k2[] = {"tlb.L2.ways", "tlb.L2.entries"}, *v2[] = {"12", "3072"};
    assert_int_equal(mh_config_set_many(c, k2, v2, 2, &e), MH_OK);
    assert_int_equal(c->tlb[1].entries, 3072);
    assert_int_equal(c->tlb[1].ways, 12);
    const char *k3[] = {"L2.ways", "L2.latency", "l2.WAYS"}, *v3[] = {"4", "20", " 16 "};
    assert_int_equal(mh_config_set_many(c, k3, v3, 3, &e), MH_OK); /* the last of a key wins */
    assert_int_equal(c->level[level(c, "L2")].ways, 16);
    assert_true(c->level[level(c, "L2")].latency == 20);
    assert_int_equal(mh_config_set_many(c, NULL, NULL, 0, &e), MH_OK);
    mh_config_free(c);

    c = load_ok("configs/small-teaching.ini"); /* keys of a section the text lacks, repeated */
    const char *k4[] = {"tlb.L1d.entries", "tlb.L1d.entries", "tlb.L1d.ways"}, *v4[] = {"8", "32", "4"};
    assert_int_equal(mh_config_set_many(c, k4, v4, 3, &e), MH_OK);
    assert_int_equal(c->tlb[0].entries, 32);
    assert_int_equal(c->tlb[0].ways, 4);
    mh_config_free(c);

    const char *kb[] = {"L1d.ways", "L1d.size"}, *vb[] = {"12", "40K"};
    set_many_bad(kb, vb, 2, MH_ECONFIG, "--set L1d.size=40K: must be sets * ways * line, a multiple of ways * line = 768");
    const char *kc[] = {"L1d.ways", "L1d.latency"}, *vc[] = {"3", "5"};
    set_many_bad(kc, vc, 2, MH_ECONFIG, /* a key no override set is at fault: all are named */
                 "--set L1d.ways=3 --set L1d.latency=5: [L1d] size = 32K, must be sets * ways * line, a multiple of ways * line = 192");
    const char *kd[] = {"L2.latency", "RAM.latency_ns"}, *vd[] = {"20", "50"};
    set_many_bad(kd, vd, 2, MH_ECONFIG,
                 "--set L2.latency=20 --set RAM.latency_ns=50: [RAM] row_hit_ns = 60, must be <= latency_ns (50)");
    const char *ke[] = {"L1d.ways", "L9.ways"}, *ve[] = {"12", "2"};
    set_many_bad(ke, ve, 2, MH_ECONFIG,
                 "--set L9.ways=2: no section [L9]; sections: hierarchy, L1i, L1d, L2, L3, tlb.L1d, tlb.L2, "
                 "tlb.L1i, tlb.L2i, RAM, disk");
    const char *kf[] = {"L1d.ways", "ways"}, *vf[] = {"12", "2"};
    set_many_bad(kf, vf, 2, MH_EINVAL, "--set ways=2: expected SECTION.KEY=VALUE, e.g. L1d.size=64K");
}

/* Writes c to text, parses it back and checks the result equals c. */
static void roundtrip(const mh_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mh_config *back;
    assert_non_null(f);
    assert_int_equal(mh_config_write_ini(c, f), MH_OK);
    fclose(f);
    back = parse_ok(text);
    assert_config_equal(c, back);
    mh_config_free(back);
    free(text);
}

static void test_write_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSHIPPED; i++) {
        mh_config *c = load_ok(shipped[i]);
        roundtrip(c);
        mh_config_free(c);
    }
    mh_config *c = parse_ok("[hierarchy]\nname = odd one\ndata = A\nbase_cpi = 0.1\nwalk = cached\n"
                            "[A]\nsize = 3K\nways = 3\nline = 64\npolicy = random\nseed = 18446744073709551615\n"
                            "latency = 1.25\nbandwidth = 0.3\nprefetcher = stream\ndegree = 4\n"
                            "distance = 16\nwrite = through\nallocate = no\nnext = B\n"
                            "[B]\nsize = 2K\nways = full\nline = 64\npolicy = brrip\n"
                            "[tlb.L1d]\nentries = 48\nways = 3\npage_size = 2M\nlatency = 0.5\n"
                            "[tlb.L1i]\nentries = 8\nways = 2\npage_size = 2M\n"
                            "[RAM]\ncapacity = 12K\nlatency_ns = 33.3\nrow_hit_ns = 11.1\n");
    assert_int_equal(c->level[0].sets, 16);
    assert_int_equal(c->tlb[0].page_size, 2u << 20);
    assert_int_equal(c->tlb[MH_TLB_L1I].entries, 8);
    assert_false(c->tlb[MH_TLB_L2].present);
    roundtrip(c);
    mh_config_free(c);
}

static void test_write_io_error(void **state)
{
    mh_config *c = load_ok("configs/small-teaching.ini");
    FILE *f = fopen("/dev/full", "w");
    (void)state;
    if (!f) {
        mh_config_free(c);
        skip();
    }
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(mh_config_write_ini(c, f), MH_EIO);
    fclose(f);
    mh_config_free(c);
}

static void test_clone_independent(void **state)
{
    mh_config *c = load_ok("configs/zen3.ini"), *d = mh_config_clone(c);
    mh_error e = {0};
    (void)state;
    assert_non_null(d);
    assert_config_equal(c, d);
    assert_int_equal(mh_config_set(d, "L2.ways", "16", &e), MH_OK);
    assert_int_equal(d->level[level(d, "L2")].ways, 16);
    assert_int_equal(c->level[level(c, "L2")].ways, 8);
    mh_config_free(c);
    assert_int_equal(d->level[level(d, "L2")].sets, 512);
    mh_config_free(d);
    mh_config_free(NULL);
}

static void test_units(void **state)
{
    uint64_t v;
    double d;
    char buf[64];
    (void)state;
    assert_int_equal(mh_parse_size("32K", &v), 0);
    assert_int_equal(v, 32768);
    assert_int_equal(mh_parse_size("2m", &v), 0);
    assert_int_equal(v, 2u << 20);
    assert_int_equal(mh_parse_size("1GiB", &v), 0);
    assert_int_equal(v, 1u << 30);
    assert_int_equal(mh_parse_size("64KB", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(mh_parse_size("100", &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(mh_parse_size("4096B", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(mh_parse_size("-1K", &v), -1);
    assert_int_equal(mh_parse_size("1.5K", &v), -1);
    assert_int_equal(mh_parse_size("32 K", &v), -1);
    assert_int_equal(mh_parse_size("99999999999999999999", &v), -1);
    assert_int_equal(mh_parse_size("16777216T", &v), -1);
    assert_int_equal(mh_parse_size("", &v), -1);
    assert_int_equal(mh_parse_double("0.5", &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(mh_parse_double("inf", &d), -1);
    assert_int_equal(mh_parse_double("0x10", &d), -1);
    assert_int_equal(mh_parse_double("1e999", &d), -1);
    mh_format_size(32768, buf, sizeof buf);
    assert_string_equal(buf, "32K");
    mh_format_size(3 << 20, buf, sizeof buf);
    assert_string_equal(buf, "3M");
    mh_format_size(1000, buf, sizeof buf);
    assert_string_equal(buf, "1000");
    mh_format_double(30, buf, sizeof buf);
    assert_string_equal(buf, "30");
    mh_format_double(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    assert_true(mh_is_pow2(64) && !mh_is_pow2(0) && !mh_is_pow2(96));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_configs_load),
        cmocka_unit_test(test_zen3_fields),
        cmocka_unit_test(test_bad_files_exact_messages),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_syntax_conveniences),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_set_rejects),
        cmocka_unit_test(test_set_many),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_write_io_error),
        cmocka_unit_test(test_clone_independent),
        cmocka_unit_test(test_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
