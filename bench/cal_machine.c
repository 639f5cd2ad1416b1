/* cal_machine.c — the machine probes of `memhier calibrate` that are not latency ladders, applied
 * to the calibrated config: the load pipes' rate (mem_cpi), the first-level DTLB's entries and the
 * second-level TLB's latency (a one-line-per-page chase), each link's bandwidth (link chases),
 * RAM's (a read sweep), each lower level's set_gap (a one-set chase) and the last level's and
 * RAM's latency spread (a chase prefetching ahead). None of them runs a held-out kernel (see
 * calprobe.c, cal_chains.c and cal_spread.c). */
#include <stdio.h>
#include <string.h>

#include "calibrate.h"
#include "config_int.h"
#include "topo.h"

/* mh_config_set with a number value. */
static int set_val(mh_config *c, const char *key, double v, mh_error *err)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", v);
    return mh_config_set(c, key, buf, err);
}

/* Folds probe p into m->tlb: the larger first-level reach wins, with its second-level latency;
 * the smallest reach and the ladder count accumulate. Returns 1 when p's reach is the new best. */
static int fold_tlb(cal_machine *m, const cal_tlb_out *p)
{
    cal_tlb_out *t = &m->tlb;
    int first = t->ladders == 0, better = p->l1_entries > t->l1_entries;
    uint32_t low = first || p->l1_low < t->l1_low ? p->l1_low : t->l1_low;
    unsigned ladders = t->ladders + p->ladders;
    if (first || better)
        *t = *p;
    t->l1_low = low;
    t->ladders = ladders;
    return first || better;
}

/* Ways for a first-level DTLB of entries: see calibrate.h. */
unsigned cal_tlb_ways(unsigned entries, unsigned want)
{
    return topo_tlb_ways(entries, want, entries);
}

/* TLB probe: sets tlb.L1d.entries (and its ways when the old count no longer gives a power-of-two
 * set count) and tlb.L2.latency in c, from the probe with the largest reach so far. */
static int apply_tlb(mh_config *c, cal_machine *m, mh_error *err)
{
    mh_error e = {0};
    cal_tlb_out p;
    char eb[32], wb[32];
    if (cal_tlb_probe(c->frequency_ghz, &p, &e) != MH_OK)
        return e.code == MH_EUNSUPPORTED ? MH_OK : mh_error_set(err, e.code, "%s", e.msg);
    if (!fold_tlb(m, &p))
        return MH_OK;
    int rc = MH_OK;
    const mh_tlb_cfg *t1 = &c->tlb[0];
    if (m->tlb.l1_entries && t1->present) {
        unsigned ent = m->tlb.l1_entries;
        unsigned ways = cal_tlb_ways(ent, t1->ways == t1->entries ? ent : t1->ways);
        const char *keys[2] = {"tlb.L1d.entries", "tlb.L1d.ways"}, *vals[2] = {eb, wb};
        snprintf(eb, sizeof eb, "%u", ent);
        snprintf(wb, sizeof wb, ways == ent ? "full" : "%u", ways);
        rc = mh_config_set_many(c, keys, vals, 2, err);
        m->tlb1_set = rc == MH_OK;
        m->tlb1_ways = ways;
    }
    if (rc == MH_OK && m->tlb.l2_latency > 0 && c->tlb[1].present) {
        rc = set_val(c, "tlb.L2.latency", m->tlb.l2_latency, err);
        m->tlb2_set = rc == MH_OK;
    }
    return rc;
}

/* See calibrate.h. */
uint32_t cal_tlb2_entries(uint32_t reach, uint32_t entries, uint32_t ways, uint32_t *fit_ways)
{
    if (!reach || reach >= entries || (ways != entries && reach < ways))
        return 0;
    *fit_ways = ways == entries ? reach : cal_tlb_ways(reach, ways);
    return reach;
}

/* Second-level TLB probe: shrinks tlb.L2.entries to the reach the probe shows when that is below
 * the configured size (a probe can miss a step, never invent a larger TLB), at the configured ways
 * or more (a power-of-two set count); a fully associative one stays so. */
static int apply_tlb2(mh_config *c, cal_machine *m, mh_error *err)
{
    mh_error e = {0};
    const mh_tlb_cfg *t2 = &c->tlb[1];
    if (!t2->present || !c->tlb[0].present)
        return MH_OK;
    double tlb2_ns = t2->latency / c->frequency_ghz;
    if (cal_tlb2_probe(tlb2_ns, &m->tlb2, &e) != MH_OK)
        return e.code == MH_EUNSUPPORTED || e.code == MH_ENOMEM ? MH_OK : mh_error_set(err, e.code, "%s", e.msg);
    uint32_t ways = 0, fit = cal_tlb2_entries(m->tlb2.reach, t2->entries, t2->ways, &ways);
    if (!fit)
        return MH_OK;
    char v[32], wb[32];
    const char *keys[2] = {"tlb.L2.entries", "tlb.L2.ways"}, *vals[2] = {v, wb};
    snprintf(v, sizeof v, "%u", fit);
    snprintf(wb, sizeof wb, ways == fit ? "full" : "%u", (unsigned)ways);
    int rc = mh_config_set_many(c, keys, vals, 2, err);
    m->tlb2_entries = rc == MH_OK ? fit : 0;
    m->tlb2_ways = rc == MH_OK ? ways : 0;
    return rc;
}

/* GB/s into the level above a buffer of `bytes`: the link chase (CAL_LINK_CHAINS interleaved chases
 * through every line, in a random order and in address order), one line per ns per load. */
static int link_probe(size_t bytes, double *rand_gbs, double *seq_gbs, mh_error *err)
{
    double ns[2] = {0, 0};
    int rc = MH_OK;
    for (int k = 0; rc == MH_OK && k < 2; k++)
        rc = cal_chains_probe(bytes / BENCH_LINE, BENCH_LINE, CAL_LINK_CHAINS, 5, k, &ns[k], err);
    if (rc == MH_OK) {
        *rand_gbs = ns[0] > 0 ? BENCH_LINE / ns[0] : 0;
        *seq_gbs = ns[1] > 0 ? BENCH_LINE / ns[1] : 0;
    }
    return rc;
}

/* Folds a link probe of both orders into link i (the best of each order so far); returns 1 when
 * the link's bandwidth, the slower order's, went up. */
static int fold_link(cal_machine *m, size_t i, double rand_gbs, double seq_gbs)
{
    m->link_rand_gbs[i] = rand_gbs > m->link_rand_gbs[i] ? rand_gbs : m->link_rand_gbs[i];
    m->link_seq_gbs[i] = seq_gbs > m->link_seq_gbs[i] ? seq_gbs : m->link_seq_gbs[i];
    double slower = m->link_rand_gbs[i] < m->link_seq_gbs[i] ? m->link_rand_gbs[i] : m->link_seq_gbs[i];
    int up = slower > m->link_gbs[i];
    m->link_gbs[i] = slower;
    return up;
}

/* Link chase bytes inside a level below another; see calibrate.h. */
size_t cal_link_bytes(uint64_t level, uint64_t above)
{
    if (level / 2 > 2 * above)
        return (size_t)(level / 2);
    if (level > 2 * above) /* a shrunk shared level: between twice the level above and its size */
        return (size_t)((2 * above + level) / 2 / BENCH_LINE * BENCH_LINE);
    return 0;
}

/* Bandwidth probes: a link chase inside each level below the first (cal_link_bytes) measures
 * the link above it, in both orders, and the link gets the slower (lines in address order, which
 * prefetchers fetch, and lines in a random order cross a link at different rates: on the
 * development VM 0.51-0.58 against 0.50 ns per line from L3, the best probes of two runs, where a
 * strided walk over every line took 0.61); a read sweep over 4 x the last level measures RAM
 * (streams, which its prefetchers feed, are what that bound meets). Each order keeps the best of
 * this probe and the earlier ones; c gets the link bandwidths in bytes/cycle and [RAM]
 * bandwidth_gbs. */
static int apply_bandwidth(mh_config *c, const cal_input *in, cal_machine *m, mh_error *err)
{
    char key[64];
    double gbs = 0, seq = 0;
    int rc = MH_OK;
    for (size_t i = 1; rc == MH_OK && i < in->nlevels && i < CAL_MAX_LEVELS; i++) {
        size_t bytes = cal_link_bytes(in->capacity[i], in->capacity[i - 1]);
        if (!bytes)
            continue;
        rc = link_probe(bytes, &gbs, &seq, err);
        if (rc == MH_OK) {
            (void)fold_link(m, i - 1, gbs, seq);
            snprintf(key, sizeof key, "%s.bandwidth", in->names[i - 1]);
            rc = set_val(c, key, m->link_gbs[i - 1] / c->frequency_ghz, err);
        }
    }
    if (rc == MH_OK && in->nlevels) {
        rc = cal_bandwidth_probe((size_t)(4 * in->capacity[in->nlevels - 1]), 5, &gbs, err);
        if (rc == MH_OK) {
            m->ram_gbs_low = m->bw_probes == 0 || gbs < m->ram_gbs_low ? gbs : m->ram_gbs_low;
            m->ram_gbs = gbs > m->ram_gbs ? gbs : m->ram_gbs;
            rc = set_val(c, "RAM.bandwidth_gbs", m->ram_gbs, err);
        }
    }
    m->bw_probes += rc == MH_OK;
    return rc;
}

/* One-set chases: for each data-path level below the first that can hold more lines of one entry
 * set than the level above, the chase through such lines; sets the level's set_gap in cycles from
 * the median of its probes so far. The median, not the best: where the level below the first is
 * physically indexed, how many of the lines it holds depends on the pages the probe got (on the
 * development VM the probes inside L3 read 2.7..3.4 ns, and the strided walk 3.2..3.5). */
static int apply_set_gaps(mh_config *c, cal_machine *m, mh_error *err)
{
    uint32_t sets[CAL_MAX_LEVELS] = {0}, ways[CAL_MAX_LEVELS] = {0};
    int idx[CAL_MAX_LEVELS] = {0};
    size_t n = 0;
    for (int lv = c->data; lv >= 0 && n < CAL_MAX_LEVELS; lv = c->level[lv].next, n++) {
        idx[n] = lv;
        sets[n] = c->level[lv].sets;
        ways[n] = c->level[lv].ways;
    }
    int rc = MH_OK;
    const size_t stride = (size_t)sets[0] * c->level[c->data].line;
    for (size_t i = 1; rc == MH_OK && i < n; i++) {
        size_t lines = cal_set_lines(sets[0], sets, ways, i);
        double ns = 0;
        if (!lines || (rc = cal_chains_probe(lines, stride, CAL_SET_CHAINS, 5, 0, &ns, err)) != MH_OK)
            continue;
        if (m->set_probes[i] <= CAL_MAX_ROUNDS)
            m->set_probe[i][m->set_probes[i]++] = ns;
        double v[CAL_MAX_ROUNDS + 1];
        memcpy(v, m->set_probe[i], sizeof v);
        m->set_ns[i] = cal_median(v, (size_t)m->set_probes[i]);
        m->set_lines[i] = lines;
        char key[64];
        snprintf(key, sizeof key, "%s.set_gap", c->level[idx[i]].name);
        rc = set_val(c, key, m->set_ns[i] * c->frequency_ghz, err);
    }
    m->set_stride = stride;
    return rc;
}

/* Medians of the first n probes of the plain and prefetching walks a and b (CAL_MAX_ROUNDS + 1
 * slots each; copied, since cal_median sorts). */
static void probe_medians(const double *a, const double *b, int n, double *ma, double *mb)
{
    double x[CAL_MAX_ROUNDS + 1], y[CAL_MAX_ROUNDS + 1];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    *ma = cal_median(x, (size_t)n);
    *mb = cal_median(y, (size_t)n);
}

/* Runs the spread chase over `bytes` at distance dist once more, appends its plain and prefetching
 * walks to the series plain and pf (*n kept so far, fewer than CAL_MAX_ROUNDS + 1) and sets
 * *mp and *mpf to their medians. MH_OK, or the probe's error with nothing changed. */
static int walk_probe(size_t bytes, unsigned dist, double *plain, double *pf, int *n, double *mp, double *mpf,
                      mh_error *err)
{
    double a = 0, b = 0;
    int rc = cal_spread_probe(bytes, dist, 5, &a, &b, err);
    if (rc != MH_OK)
        return rc;
    plain[*n] = a;
    pf[(*n)++] = b;
    probe_medians(plain, pf, *n, mp, mpf);
    return MH_OK;
}

/* Spread probe: the spread chase inside the last cache level (cal_link_bytes: above what the level
 * before holds); the medians of all its probes' plain and prefetching walks give the fit, and c
 * gets it as that level's spread and as RAM's (memory's is not probed apart). */
static int apply_spread(mh_config *c, const cal_input *in, cal_machine *m, mh_error *err)
{
    size_t last = in->nlevels - 1;
    size_t bytes = in->nlevels > 1 ? cal_link_bytes(in->capacity[last], in->capacity[last - 1]) : 0;
    if (!bytes || m->spread_probes > CAL_MAX_ROUNDS)
        return MH_OK;
    int rc = walk_probe(bytes, CAL_SPREAD_DIST, m->spread_plain, m->spread_pf, &m->spread_probes,
                        &m->spread_lat_ns, &m->spread_walk_ns, err);
    if (rc != MH_OK)
        return rc;
    m->spread_hit_ns = c->level[c->data].latency / c->frequency_ghz;
    m->spread = cal_spread_fit(m->spread_lat_ns, m->spread_hit_ns, CAL_SPREAD_DIST, m->spread_walk_ns);
    m->spread_bytes = bytes;
    char key[64];
    snprintf(key, sizeof key, "%s.spread", in->names[last]);
    rc = set_val(c, key, m->spread, err);
    return rc == MH_OK ? set_val(c, "RAM.spread", m->spread, err) : rc;
}

/* Software prefetch probe: the spread probe's walks inside the second data-path level when a
 * level follows it (the last level's fill times are its spread's), CAL_SWPF_DIST ahead; the
 * medians of all its probes give that level's swpf_extra (cal_swpf_extra_fit). */
static int apply_swpf(mh_config *c, const cal_input *in, cal_machine *m, mh_error *err)
{
    size_t bytes = in->nlevels > 2 ? cal_swpf_bytes(in->capacity[1], in->capacity[0]) : 0;
    if (!bytes || m->swpf_probes > CAL_MAX_ROUNDS)
        return MH_OK;
    int rc = walk_probe(bytes, CAL_SWPF_DIST, m->swpf_plain, m->swpf_pf, &m->swpf_probes, &m->swpf_plain_ns,
                        &m->swpf_pf_ns, err);
    if (rc != MH_OK)
        return rc;
    m->swpf_ns = cal_swpf_extra_fit(m->swpf_plain_ns, m->swpf_pf_ns,
                                    c->level[c->data].latency / c->frequency_ghz, CAL_SWPF_DIST);
    m->swpf_bytes = bytes;
    char key[64];
    snprintf(key, sizeof key, "%s.swpf_extra", in->names[1]);
    return set_val(c, key, m->swpf_ns * c->frequency_ghz, err);
}

/* Moves the machine probes' cycle values from clock `from` to `to` GHz; see calibrate.h. */
int cal_machine_reclock(mh_config *c, cal_machine *m, double from, double to, mh_error *err)
{
    char key[64];
    double k = to / from;
    int rc = MH_OK;
    if (m->mem_cpi > 0) {
        m->mem_cpi *= k;
        rc = set_val(c, "hierarchy.mem_cpi", m->mem_cpi, err);
    }
    if (rc == MH_OK && m->tlb2_set) {
        m->tlb.l2_latency *= k;
        rc = set_val(c, "tlb.L2.latency", m->tlb.l2_latency, err);
    }
    for (size_t i = 0; rc == MH_OK && i + 1 < m->nlevels; i++) {
        if (m->link_gbs[i] <= 0)
            continue;
        snprintf(key, sizeof key, "%s.bandwidth", m->names[i]);
        rc = set_val(c, key, m->link_gbs[i] / to, err);
    }
    for (size_t i = 1; rc == MH_OK && i < m->nlevels && i < CAL_MAX_LEVELS; i++) {
        if (m->set_ns[i] <= 0)
            continue;
        snprintf(key, sizeof key, "%s.set_gap", m->names[i]);
        rc = set_val(c, key, m->set_ns[i] * to, err);
    }
    if (rc == MH_OK && m->swpf_probes > 0 && m->nlevels > 1) {
        snprintf(key, sizeof key, "%s.swpf_extra", m->names[1]);
        rc = set_val(c, key, m->swpf_ns * to, err);
    }
    return rc;
}

/* Returns the load-to-use latency in ns of the data path's level i (0 = the data entry level) in c,
 * or 0 when the path is shorter. */
static double path_latency_ns(const mh_config *c, size_t i)
{
    int lv = c->data;
    for (size_t k = 0; k < i && lv >= 0; k++)
        lv = c->level[lv].next;
    return lv >= 0 && c->frequency_ghz > 0 ? c->level[lv].latency / c->frequency_ghz : 0;
}

/* Takes the address order's rate for links whose random chase met the core's miss queue; see
 * calibrate.h. */
int cal_machine_mlp_links(mh_config *c, cal_machine *m, double inflight, mh_error *err)
{
    char key[64];
    int rc = MH_OK;
    m->mlp_lines = inflight > 0 ? inflight : 0;
    for (size_t i = 0; rc == MH_OK && inflight > 0 && i + 1 < m->nlevels && i < CAL_MAX_LEVELS; i++) {
        double rnd = m->link_rand_gbs[i], seq = m->link_seq_gbs[i];
        double lines = rnd * path_latency_ns(c, i + 1) / BENCH_LINE;   /* GB/s x ns = bytes */
        if (rnd <= 0 || seq <= rnd || lines < CAL_MLP_SHARE * inflight)
            continue;
        m->link_mlp[i] = lines;
        m->link_gbs[i] = seq;
        snprintf(key, sizeof key, "%s.bandwidth", m->names[i]);
        rc = set_val(c, key, seq / c->frequency_ghz, err);
    }
    return rc;
}

/* Re-probes links into levels the fit resized; see calibrate.h. */
int cal_machine_relink(mh_config *c, cal_machine *m, const uint64_t *probed, int probes, mh_error *err)
{
    char key[64];
    cal_input in = {0};
    int rc = cal_levels_from_config(c, &in, err);
    for (size_t i = 1; rc == MH_OK && i < in.nlevels && i < CAL_MAX_LEVELS; i++) {
        size_t bytes = cal_link_bytes(in.capacity[i], in.capacity[i - 1]);
        if (in.capacity[i] == probed[i] || !bytes)
            continue;
        int up = 0;                              /* a chase past the level only reads slower */
        for (int k = 0; rc == MH_OK && k < probes; k++) {
            double gbs = 0, seq = 0;
            rc = link_probe(bytes, &gbs, &seq, err);
            up |= rc == MH_OK && fold_link(m, i - 1, gbs, seq);
        }
        if (rc != MH_OK || !up)
            continue;
        m->link_resized[i - 1] = in.capacity[i];
        snprintf(key, sizeof key, "%s.bandwidth", in.names[i - 1]);
        rc = set_val(c, key, m->link_gbs[i - 1] / c->frequency_ghz, err);
    }
    size_t last = in.nlevels - 1;
    if (rc == MH_OK && in.nlevels > 1 && in.capacity[last] != probed[last] && m->spread_probes > 0) {
        m->spread_probes = 0;            /* those chased past what the level holds: mostly memory */
        m->spread_resized = 1;
        for (int k = 0; rc == MH_OK && k < probes; k++)
            rc = apply_spread(c, &in, m, err);
    }
    return rc;
}

/* Probes the TLB and the link and RAM bandwidths again, keeping the best of all probes (see
 * calibrate.h). */
int cal_machine_again(mh_config *c, cal_machine *m, mh_error *err)
{
    cal_input in = {0};
    int rc = apply_tlb(c, m, err);
    if (rc == MH_OK)
        rc = cal_levels_from_config(c, &in, err);
    if (rc == MH_OK)
        rc = apply_bandwidth(c, &in, m, err);
    if (rc == MH_OK)
        rc = apply_set_gaps(c, m, err);
    if (rc == MH_OK)
        rc = apply_swpf(c, &in, m, err);
    return rc == MH_OK ? apply_spread(c, &in, m, err) : rc;
}

/* Runs the machine probes at c's frequency_ghz and writes their results into c. */
int cal_machine_probe(mh_config *c, cal_machine *m, mh_error *err)
{
    mh_error e = {0};
    memset(m, 0, sizeof *m);
    if (cal_mem_cpi_probe(c->frequency_ghz, &m->mem_cpi, &e) == MH_OK) {
        int rc = set_val(c, "hierarchy.mem_cpi", m->mem_cpi, err);
        if (rc != MH_OK)
            return rc;
    } else {
        m->mem_cpi = 0;
    }
    int rc = apply_tlb(c, m, err);
    cal_input in = {0};
    if (rc == MH_OK)
        rc = apply_tlb2(c, m, err);
    if (rc == MH_OK)
        rc = cal_levels_from_config(c, &in, err);
    if (rc == MH_OK)
        rc = apply_bandwidth(c, &in, m, err);
    if (rc == MH_OK)
        rc = apply_set_gaps(c, m, err);
    if (rc == MH_OK)
        rc = apply_swpf(c, &in, m, err);
    if (rc == MH_OK)
        rc = apply_spread(c, &in, m, err);
    m->nlevels = in.nlevels;
    for (size_t i = 0; i < in.nlevels; i++)
        snprintf(m->names[i], sizeof m->names[i], "%s", in.names[i]);
    return rc;
}

/* Appends the header lines saying what the machine probes measured to buf (cap bytes). */
void cal_machine_header(const cal_machine *m, double ghz, char *buf, size_t cap)
{
    size_t n = strlen(buf);
#define ADD(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__), n = n < cap ? n : cap - 1)
    ADD("; Machine probes (no held-out kernel):\n");
    if (m->mem_cpi > 0)
        ADD(";   mem_cpi = %.3f cycles per record: 16 independent loads of one L1 line pair per loop\n"
            ";        iteration (the load pipes run alongside the issue of the other instructions: base_cpi)\n", m->mem_cpi);
    if (m->tlb1_set)
        ADD(";   tlb.L1d.entries = %u: a chase with one line per page stays at %.2f ns per load up to\n"
            ";        this many pages, then rises: the largest reach of %u ladders spread over the\n"
            ";        calibration (%u..%u; a busy spell or a thread sharing the DTLB only shortens it)\n",
            m->tlb.l1_entries, m->tlb.base_ns, m->tlb.ladders, m->tlb.l1_low, m->tlb.l1_entries);
    if (m->tlb1_set && m->tlb1_ways != m->tlb.l1_entries)
        ADD(";        (tlb.L1d.ways = %u: the configured ways or more, for a power-of-two set count)\n",
            m->tlb1_ways);
    if (m->tlb2_set)
        ADD(";   tlb.L2.latency = %.2f cycles: that rise (pages past the first level's reach, lines in L1d)\n",
            m->tlb.l2_latency);
    if (m->tlb2.n) {
        ADD(";   second-level TLB reach: a chase with one line per page minus one through as many lines\n"
            ";        packed 64 to a page (ns per load, medians of %d ladders; a second-level hit is %.2f):\n"
            ";       ", CAL_TLB_PASSES, m->tlb2.tlb2_ns);
        for (size_t i = 0; i < m->tlb2.n; i++)
            ADD(" %zu: %.2f%s", m->tlb2.pages[i], m->tlb2.diff_ns[i], i + 1 < m->tlb2.n ? "," : "\n");
        if (m->tlb2_entries)
            ADD(";        -> tlb.L2.entries = %u, ways = %u: the ladders' largest reach, at the configured ways\n"
                ";        or more (a power-of-two set count)\n", m->tlb2_entries, m->tlb2_ways);
        else
            ADD(";        -> tlb.L2.entries as configured: %s\n",
                m->tlb2.reach ? "the probe's reach is no smaller" : "no step inside the probe on some ladder");
    }
    for (size_t i = 0; i + 1 < m->nlevels; i++) {
        if (m->link_gbs[i] <= 0)
            continue;
        ADD(";   %s.bandwidth = %.1f bytes/cycle: %d interleaved chases through every line inside %s,\n"
            ";        %.1f GB/s in a random order, %.1f GB/s in address order: the %s%s\n",
            m->names[i], m->link_gbs[i] / ghz, CAL_LINK_CHAINS, m->names[i + 1], m->link_rand_gbs[i],
            m->link_seq_gbs[i], m->link_mlp[i] > 0 ? "address order's" : "slower",
            m->link_resized[i] ? " (again, inside the size the ladder showed)" : "");
        if (m->link_mlp[i] > 0)
            ADD(";        (the random order kept %.1f lines in flight, the core's %.1f (>= %.0f %% of them):\n"
                ";        it met the core's miss queue, which the model bounds with the MSHRs, not the link)\n",
                m->link_mlp[i], m->mlp_lines, 100 * CAL_MLP_SHARE);
    }
    if (m->ram_gbs > 0)
        ADD(";   RAM bandwidth_gbs = %.1f: read sweep (every byte, vector loads) over 4 x the last level\n",
            m->ram_gbs);
    for (size_t i = 1; i < m->nlevels && i < CAL_MAX_LEVELS; i++)
        if (m->set_ns[i] > 0)
            ADD(";   %s.set_gap = %.1f cycles: %d interleaved chases through %zu lines %zu bytes apart (one\n"
                ";        %s set) inside %s, %.2f ns per load, the median of %d probes: misses into one L1\n"
                ";        set overlap little\n",
                m->names[i], m->set_ns[i] * ghz, CAL_SET_CHAINS, m->set_lines[i], m->set_stride, m->names[0],
                m->names[i], m->set_ns[i], m->set_probes[i]);
    if (m->spread_probes > 0 && m->nlevels > 0)
        ADD(";   %s.spread = RAM.spread = %.3f: a chase through the %zu lines of %zu KiB inside %s took\n"
            ";        %.2f ns per node, and %.2f prefetching each node %d ahead (medians of %d probes),\n"
            ";        where one fixed latency gives %.2f: the walk waits for its slower fills. The fit:\n"
            ";        fills vary uniformly by +-%.0f %% of their latency (RAM's is not probed apart)%s\n",
            m->names[m->nlevels - 1], m->spread, m->spread_bytes / BENCH_LINE, m->spread_bytes / 1024,
            m->names[m->nlevels - 1], m->spread_lat_ns, m->spread_walk_ns, CAL_SPREAD_DIST, m->spread_probes,
            cal_spread_walk(m->spread_lat_ns, m->spread_hit_ns, CAL_SPREAD_DIST, 0), 100 * m->spread,
            m->spread_resized ? "; probed\n;        again inside the size the ladder showed" : "");
    if (m->swpf_probes > 0 && m->nlevels > 1)
        ADD(";   %s.swpf_extra = %.1f cycles: the same chase through the %zu lines of %zu KiB inside %s took\n"
            ";        %.2f ns per node, and %.2f prefetching each node %d ahead (medians of %d probes): a\n"
            ";        prefetch's line came %.2f ns after its issue, %.2f more than a demand miss's (0 when\n"
            ";        the walk ran at the L1d's latency; at most the miss's own)\n",
            m->names[1], m->swpf_ns * ghz, m->swpf_bytes / BENCH_LINE, m->swpf_bytes / 1024, m->names[1],
            m->swpf_plain_ns, m->swpf_pf_ns, CAL_SWPF_DIST, m->swpf_probes, CAL_SWPF_DIST * m->swpf_pf_ns,
            m->swpf_ns);
    if (m->bw_probes > 1)
        ADD(";   bandwidths: the best of %d probes spread over the calibration (the shared L3 and memory\n"
            ";        channel serve other cores too; RAM read %.1f..%.1f GB/s)\n", m->bw_probes,
            m->ram_gbs_low, m->ram_gbs);
#undef ADD
}
