/* topo.c — the machine's topology through hwloc: caches above one PU, NUMA, memory, pinning. */
#include <errno.h>
#include <stdarg.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topo.h"

#define TOPO_MAX_CACHES 16

struct topo {
    hwloc_topology_t h;                    /* the loaded hwloc topology */
    int live;                              /* 1: this machine (pinning allowed), 0: XML */
    char source[256];                      /* "this machine" or the XML path, for messages */
    hwloc_obj_t pu;                        /* reference PU: the caches are those above it */
    topo_cache cache[TOPO_MAX_CACHES];     /* caches above pu, by depth, i before d before unified */
    size_t ncache;                         /* entries used in cache[] */
    double ghz;                            /* nominal frequency, 0 unknown */
    const char *ghz_source;                /* where ghz came from, for config comments */
    topo_tlbs tlbs;                        /* data TLBs: this machine's CPUID, or none (XML) */
};

/* Order within one depth: instruction, data, unified. */
static int type_rank(int type)
{
    return type == TOPO_CACHE_INSTRUCTION ? 0 : type == TOPO_CACHE_DATA ? 1 : 2;
}

/* Names a level: "L1d", "L1i", "L1" (unified), "L2", "L2d" ... */
static void cache_name(char *buf, size_t n, int depth, int type)
{
    const char *suffix = type == TOPO_CACHE_DATA ? "d" : type == TOPO_CACHE_INSTRUCTION ? "i" : "";
    if (depth >= 2 && type == TOPO_CACHE_UNIFIED)
        suffix = "";
    snprintf(buf, n, "L%d%s", depth, suffix);
}

/* Converts one hwloc cache object into a topo_cache. */
static void cache_from_obj(const struct topo *t, hwloc_obj_t o, topo_cache *c)
{
    const struct hwloc_cache_attr_s *a = &o->attr->cache;
    memset(c, 0, sizeof *c);
    c->depth = (int)a->depth;
    c->type = a->type == HWLOC_OBJ_CACHE_DATA ? TOPO_CACHE_DATA
              : a->type == HWLOC_OBJ_CACHE_INSTRUCTION ? TOPO_CACHE_INSTRUCTION
                                                       : TOPO_CACHE_UNIFIED;
    c->size = a->size;
    c->line = a->linesize;
    c->ways = a->associativity;
    c->sharing = o->cpuset ? (unsigned)hwloc_bitmap_weight(o->cpuset) : 1;
    int nb = hwloc_get_nbobjs_by_depth(t->h, o->depth);
    c->instances = nb > 0 ? (unsigned)nb : 1;
    const char *inc = hwloc_obj_get_info_by_name(o, "Inclusive");
    c->inclusive = inc ? (atoi(inc) != 0) : -1;
    cache_name(c->name, sizeof c->name, c->depth, c->type);
}

/* qsort order: depth, then instruction/data/unified. */
static int cache_cmp(const void *a, const void *b)
{
    const topo_cache *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth - y->depth;
    return type_rank(x->type) - type_rank(y->type);
}

/* Rebuilds t->cache from the caches above t->pu. */
static void collect_caches(struct topo *t)
{
    t->ncache = 0;
    for (hwloc_obj_t o = t->pu ? t->pu->parent : NULL; o; o = o->parent) {
        if (!hwloc_obj_type_is_cache(o->type) || t->ncache == TOPO_MAX_CACHES)
            continue;
        cache_from_obj(t, o, &t->cache[t->ncache++]);
    }
    qsort(t->cache, t->ncache, sizeof t->cache[0], cache_cmp);
}

/* Reads "cpu MHz" from /proc/cpuinfo; 0 when absent. */
static double read_cpuinfo_ghz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    double mhz = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu MHz", 7)) {
            const char *colon = strchr(line, ':');
            if (colon)
                mhz = strtod(colon + 1, NULL);
            break;
        }
    fclose(f);
    return mhz / 1000.0;
}

/* Parses the nominal frequency from a model string such as "... @ 2.80GHz"; 0 when absent. */
static double model_ghz(const char *model)
{
    const char *at = model ? strrchr(model, '@') : NULL;
    char *end = NULL;
    double v = at ? strtod(at + 1, &end) : 0;
    return v > 0 && end && !strncmp(end, "GHz", 3) ? v : 0;
}

/* Reads a kHz value from a sysfs file and returns GHz; 0 when absent. */
static double sysfs_ghz(const char *path)
{
    FILE *f = fopen(path, "r");
    double khz = 0;
    if (f) {
        if (fscanf(f, "%lf", &khz) != 1)
            khz = 0;
        fclose(f);
    }
    return khz / 1e6;
}

/* Sets t->ghz: model string, else (live) cpufreq base/max, else /proc/cpuinfo; 0 = unknown. */
static void find_frequency(struct topo *t)
{
    static const char *const sysfs[] = {"/sys/devices/system/cpu/cpu0/cpufreq/base_frequency",
                                        "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"};
    t->ghz = model_ghz(topo_cpu_model(t));
    t->ghz_source = "the CPU model string";
    for (size_t i = 0; i < 2 && t->ghz <= 0 && t->live; i++) {
        t->ghz = sysfs_ghz(sysfs[i]);
        t->ghz_source = sysfs[i];
    }
    if (t->ghz <= 0 && t->live) {
        t->ghz = read_cpuinfo_ghz();
        t->ghz_source = "/proc/cpuinfo";
    }
    if (t->ghz <= 0)
        t->ghz_source = "unknown";
}

/* Common create path: init, filters, optional XML source, load, collect. */
static int topo_open(const char *xml, topo_t **out, mh_error *err)
{
    struct topo *t = calloc(1, sizeof *t);
    if (!t)
        return mh_error_set(err, MH_ENOMEM, "topology: out of memory");
    snprintf(t->source, sizeof t->source, "%s", xml ? xml : "this machine");
    if (hwloc_topology_init(&t->h) < 0) {
        free(t);
        return mh_error_set(err, MH_EUNSUPPORTED, "hwloc_topology_init failed: %s", strerror(errno));
    }
    hwloc_topology_set_icache_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_ALL);
    hwloc_topology_set_cache_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_ALL);
    if (xml && hwloc_topology_set_xml(t->h, xml) < 0) {
        int e = errno;
        hwloc_topology_destroy(t->h);
        free(t);
        return mh_error_set(err, e == ENOENT ? MH_ENOTFOUND : MH_EFORMAT,
                            "%s: cannot use as hwloc XML topology: %s, expected an lstopo --of xml export", xml, strerror(e));
    }
    if (hwloc_topology_load(t->h) < 0) { /* hwloc builds differ in which step rejects a bad file */
        int e = errno;
        hwloc_topology_destroy(t->h);
        free(t);
        if (xml)
            return mh_error_set(err, MH_EFORMAT, "%s: cannot use as hwloc XML topology: %s, expected an lstopo "
                                "--of xml export", xml, strerror(e));
        return mh_error_set(err, MH_EUNSUPPORTED, "this machine: hwloc could not load the topology: %s", strerror(e));
    }
    t->live = hwloc_topology_is_thissystem(t->h) && !xml;
    t->pu = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PU, 0);
    find_frequency(t);
    collect_caches(t);
    if (t->live)
        (void)topo_tlb_cpuid(&t->tlbs);
    else
        snprintf(t->tlbs.source, sizeof t->tlbs.source, "an hwloc XML topology does not describe TLBs");
    *out = t;
    return MH_OK;
}

/* Loads the live machine's topology (instruction caches included). */
int topo_create(topo_t **out, mh_error *err)
{
    if (!out)
        return mh_error_set(err, MH_EINVAL, "topo_create: out is NULL");
    return topo_open(NULL, out, err);
}

/* Loads a topology from an hwloc XML file. */
int topo_create_xml(const char *path, topo_t **out, mh_error *err)
{
    if (!out || !path)
        return mh_error_set(err, MH_EINVAL, "topo_create_xml: path and out are required");
    return topo_open(path, out, err);
}

/* Frees t; NULL is a no-op. */
void topo_destroy(topo_t *t)
{
    if (!t)
        return;
    hwloc_topology_destroy(t->h);
    free(t);
}

/* Number of cache levels above the reference PU. */
size_t topo_cache_count(const topo_t *t)
{
    return t ? t->ncache : 0;
}

/* Cache i, or NULL when out of range. */
const topo_cache *topo_cache_get(const topo_t *t, size_t i)
{
    return t && i < t->ncache ? &t->cache[i] : NULL;
}

/* The first data or unified cache at depth, or NULL. */
const topo_cache *topo_cache_at(const topo_t *t, int depth)
{
    for (size_t i = 0; t && i < t->ncache; i++)
        if (t->cache[i].depth == depth && t->cache[i].type != TOPO_CACHE_INSTRUCTION)
            return &t->cache[i];
    return NULL;
}

/* Size of the deepest data/unified cache above the reference PU. */
uint64_t topo_llc_bytes(const topo_t *t)
{
    for (size_t i = t ? t->ncache : 0; i-- > 0;)
        if (t->cache[i].type != TOPO_CACHE_INSTRUCTION)
            return t->cache[i].size;
    return 0;
}

/* Number of NUMA nodes (>= 1). */
int topo_numa_nodes(const topo_t *t)
{
    int n = t ? hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_NUMANODE) : 0;
    return n > 0 ? n : 1;
}

/* Total memory in bytes: see topo.h. */
uint64_t topo_pick_memory(uint64_t hwloc_bytes, uint64_t kernel_bytes)
{
    return kernel_bytes > hwloc_bytes + hwloc_bytes / 10 ? kernel_bytes : hwloc_bytes;
}

/* Memory hwloc's NUMA nodes hold (0 if unknown). */
uint64_t topo_hwloc_memory(const topo_t *t)
{
    hwloc_obj_t root = t ? hwloc_get_root_obj(t->h) : NULL;
    return root ? root->total_memory : 0;
}

/* Memory the kernel of this machine reports (0 for an XML topology or if unknown). */
uint64_t topo_kernel_memory(const topo_t *t)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return t && t->live && pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

/* Total memory in bytes: see topo.h. */
uint64_t topo_memory_bytes(const topo_t *t)
{
    return topo_pick_memory(topo_hwloc_memory(t), topo_kernel_memory(t));
}

/* Number of cores (falls back to PUs when hwloc reports no cores). */
int topo_cores(const topo_t *t)
{
    int n = t ? hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_CORE) : 0;
    return n > 0 ? n : topo_pus(t);
}

/* Number of PUs. */
int topo_pus(const topo_t *t)
{
    int n = t ? hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU) : 0;
    return n > 0 ? n : 1;
}

/* CPU model from hwloc's CPUModel info (first package, then root). */
const char *topo_cpu_model(const topo_t *t)
{
    if (!t)
        return "";
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, 0);
    const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (!m)
        m = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t->h), "CPUModel");
    return m ? m : "";
}

/* Nominal frequency (model string, else /proc/cpuinfo when live), 0 unknown. */
double topo_frequency_ghz(const topo_t *t)
{
    return t ? t->ghz : 0;
}

/* Where topo_frequency_ghz came from. */
const char *topo_frequency_source(const topo_t *t)
{
    return t ? t->ghz_source : "unknown";
}

/* See topo.h. */
const topo_tlbs *topo_get_tlbs(const topo_t *t)
{
    return &t->tlbs;
}

/* See topo.h. */
void topo_set_tlbs(topo_t *t, const topo_tlbs *tlbs)
{
    if (t && tlbs)
        t->tlbs = *tlbs;
}

/* Formats bytes as "48K", "1M", "1280K" or plain bytes. */
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

/* One-line list of the caches above the reference PU. */
static void caches_line(const struct topo *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->ncache && used < n; i++) {
        char sz[32];
        fmt_size(sz, sizeof sz, t->cache[i].size);
        int w = snprintf(buf + used, n - used, "%s%s %s", i ? ", " : "", t->cache[i].name, sz);
        if (w > 0 && t->cache[i].sharing > 1 && (size_t)w < n - used)
            w += snprintf(buf + used + w, n - used - w, " (%u PUs)", t->cache[i].sharing);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* Binds the thread to set, strict first, non-strict when the OS refuses strict. */
static int bind_thread(struct topo *t, hwloc_const_cpuset_t set)
{
    if (hwloc_set_cpubind(t->h, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) == 0)
        return 0;
    return hwloc_set_cpubind(t->h, set, HWLOC_CPUBIND_THREAD);
}

/* Core object `core` (-1: the last; PUs where hwloc reports no cores), or NULL with *err set. */
static hwloc_obj_t core_obj(const struct topo *t, int core, mh_error *err)
{
    int ncores = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_CORE);
    hwloc_obj_type_t type = ncores > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n = ncores > 0 ? ncores : topo_pus(t);
    if (core < -1 || core >= n) {
        mh_error_set(err, MH_EINVAL, "core %d does not exist, allowed -1 (last) or 0..%d", core, n - 1);
        return NULL;
    }
    hwloc_obj_t c = hwloc_get_obj_by_type(t->h, type, (unsigned)(core < 0 ? n - 1 : core));
    if (!c || !c->cpuset || hwloc_bitmap_iszero(c->cpuset))
        mh_error_set(err, MH_EINVAL, "core %d: hwloc gives it no PU", core);
    return c && c->cpuset && !hwloc_bitmap_iszero(c->cpuset) ? c : NULL;
}

/* Makes the first PU of core c the reference PU: the caches are those above it. */
static void set_reference(struct topo *t, hwloc_obj_t c, topo_pinning *where)
{
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t->h, (unsigned)hwloc_bitmap_first(c->cpuset));
    if (pu) {
        t->pu = pu;
        collect_caches(t);
    }
    if (where) {
        where->core = (int)c->logical_index;
        where->pu = pu ? (int)pu->os_index : -1;
        caches_line(t, where->caches, sizeof where->caches);
    }
}

/* See topo.h. */
int topo_select_core(topo_t *t, int core, topo_pinning *where, mh_error *err)
{
    if (!t)
        return mh_error_set(err, MH_EINVAL, "topo_select_core: topology is NULL");
    hwloc_obj_t c = core_obj(t, core, err);
    if (!c)
        return MH_EINVAL;
    set_reference(t, c, where);
    return MH_OK;
}

/* Pins the calling thread to one PU of core `core` (-1 = the last core); the TLBs are then that
 * core's CPUID's (a hybrid CPU's cores differ). */
int topo_pin(topo_t *t, int core, topo_pinning *where, mh_error *err)
{
    if (!t)
        return mh_error_set(err, MH_EINVAL, "topo_pin: topology is NULL");
    if (!t->live)
        return mh_error_set(err, MH_EUNSUPPORTED, "%s: cannot pin to a topology loaded from XML", t->source);
    mh_error ce = {0};
    hwloc_obj_t c = core_obj(t, core, &ce);
    if (!c)
        return mh_error_set(err, MH_EINVAL, "pin: %s", ce.msg);
    hwloc_bitmap_t set = hwloc_bitmap_dup(c->cpuset);
    if (!set)
        return mh_error_set(err, MH_ENOMEM, "pin: cannot build the cpuset");
    hwloc_bitmap_singlify(set);
    int rc = bind_thread(t, set);
    int e = errno;
    hwloc_bitmap_free(set);
    if (rc < 0)
        return mh_error_set(err, MH_EUNSUPPORTED, "pin: hwloc_set_cpubind to core %d failed: %s",
                            (int)c->logical_index, strerror(e));
    set_reference(t, c, where);
    (void)topo_tlb_cpuid(&t->tlbs);
    return MH_OK;
}

/* See topo.h. */
int topo_reference_pu(const topo_t *t)
{
    return t && t->pu ? (int)t->pu->os_index : -1;
}

/* See topo.h. */
int topo_core_kind(const topo_t *t, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    int nr = t ? hwloc_cpukinds_get_nr(t->h, 0) : 0;
    if (nr < 2 || !t->pu)
        return nr < 0 ? 0 : nr;
    int k = hwloc_cpukinds_get_by_cpuset(t->h, t->pu->cpuset, 0), eff = -1;
    unsigned ninfo = 0;
    struct hwloc_info_s *info = NULL;
    if (k < 0 || hwloc_cpukinds_get_info(t->h, (unsigned)k, NULL, &eff, &ninfo, &info, 0) < 0) {
        snprintf(buf, n, "unknown (%d kinds)", nr);
        return nr;
    }
    const char *type = "kind";
    for (unsigned i = 0; i < ninfo; i++)
        if (!strcmp(info[i].name, "CoreType"))
            type = info[i].value;
    if (eff >= 0)
        snprintf(buf, n, "%s #%d, efficiency %d of 0..%d", type, k, eff, nr - 1);
    else
        snprintf(buf, n, "%s #%d of %d kinds (efficiency unknown)", type, k, nr);
    return nr;
}

/* Appends printf-style text to buf at *used, counting what would be needed. */
static void addf(char *buf, size_t n, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void addf(char *buf, size_t n, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(*used < n ? buf + *used : NULL, *used < n ? n - *used : 0, fmt, ap);
    va_end(ap);
    if (w > 0)
        *used += (size_t)w;
}

/* Writes a multi-line human summary into buf; returns chars needed (excluding NUL). */
size_t topo_summary(const topo_t *t, char *buf, size_t n)
{
    size_t used = 0;
    char sz[32];
    if (n)
        buf[0] = '\0';
    if (!t)
        return 0;
    const char *model = topo_cpu_model(t);
    addf(buf, n, &used, "source: %s\ncpu: %s, %d cores, %d PUs", t->source, model[0] ? model : "unknown",
         topo_cores(t), topo_pus(t));
    if (t->ghz > 0)
        addf(buf, n, &used, ", %.3f GHz", t->ghz);
    char kind[96];
    int kinds = topo_core_kind(t, kind, sizeof kind);
    addf(buf, n, &used, "\nmemory: %.0f MiB total, %d NUMA node(s)\n", (double)topo_memory_bytes(t) / (1 << 20),
         topo_numa_nodes(t));
    if (kinds > 1)
        addf(buf, n, &used, "core kinds: %d (a hybrid CPU: --core picks the core described); PU %u is %s\n", kinds,
             t->pu ? t->pu->os_index : 0u, kind);
    addf(buf, n, &used, "caches (seen from PU %u):\n", t->pu ? t->pu->os_index : 0u);
    for (size_t i = 0; i < t->ncache; i++) {
        const topo_cache *c = &t->cache[i];
        char ways[24];
        fmt_size(sz, sizeof sz, c->size);
        if (c->ways < 0)
            snprintf(ways, sizeof ways, "fully assoc.");
        else if (c->ways == 0)
            snprintf(ways, sizeof ways, "ways unknown");
        else
            snprintf(ways, sizeof ways, "%d-way", c->ways);
        addf(buf, n, &used, "  %-4s %-11s %6s %-12s line %-3u shared by %u PU(s), %u instance(s), inclusive: %s\n",
             c->name, c->type == TOPO_CACHE_DATA ? "data" : c->type == TOPO_CACHE_INSTRUCTION ? "instruction" : "unified",
             sz, ways, c->line, c->sharing, c->instances,
             c->inclusive < 0 ? "unknown" : c->inclusive ? "yes" : "no");
    }
    if (!t->ncache)
        addf(buf, n, &used, "  (hwloc reports no caches)\n");
    const topo_tlb *tl[4] = {&t->tlbs.l1d, &t->tlbs.l2, &t->tlbs.l1i, &t->tlbs.l2i};
    static const char *const tname[4] = {"L1 DTLB", "L2 TLB", "L1 ITLB", "L2 ITLB"};
    addf(buf, n, &used, "TLBs (4 KiB pages; %s):\n", t->tlbs.source);
    for (int i = 0; i < 4; i++) {
        if (i == 3 && !tl[i]->entries)
            continue; /* most CPUs have none: their instructions use the L2 TLB */
        char as[32];
        topo_tlb_assoc(tl[i], as, sizeof as);
        if (tl[i]->entries)
            addf(buf, n, &used, "  %-7s %5u entries, %s\n", tname[i], tl[i]->entries, as);
        else
            addf(buf, n, &used, "  %-7s not described\n", tname[i]);
    }
    return used;
}
