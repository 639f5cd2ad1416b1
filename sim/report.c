/* report.c — statistics output: the people's table, CSV and JSON, one shape for every level. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "memhier.h"

static const char *const kind_names[MH_KINDS] = {"read", "write", "ifetch", "misc", "prefetch"};

/* Everything one report needs, gathered once. */
typedef struct rep {
    size_t n;                          /* cache levels */
    mh_level_stats lv[MH_MAX_LEVELS];  /* per-level stats */
    int timed;                         /* timing stats present */
    int itlb;                          /* the config has an instruction TLB ([tlb.L1i]) */
    int itlb2;                         /* and a second level of its own ([tlb.L2i]) */
    mh_time_stats ts;                  /* valid when timed */
} rep;

/* Sums a level's per-kind counts into one total row. */
static mh_counts total_of(const mh_level_stats *s)
{
    mh_counts t = {0};
    for (int k = 0; k < MH_KINDS; k++) {
        t.accesses += s->kind[k].accesses;
        t.hits += s->kind[k].hits;
        t.misses += s->kind[k].misses;
        t.compulsory += s->kind[k].compulsory;
        t.capacity += s->kind[k].capacity;
        t.conflict += s->kind[k].conflict;
    }
    return t;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

/* Collects stats from h into r; returns MH_OK. */
static int gather(const mh_hier *h, rep *r)
{
    memset(r, 0, sizeof *r);
    r->n = mh_hier_levels(h);
    if (r->n > MH_MAX_LEVELS)
        r->n = MH_MAX_LEVELS;
    for (size_t i = 0; i < r->n; i++)
        mh_hier_level_stats(h, i, &r->lv[i]);
    r->timed = mh_hier_time_stats(h, &r->ts) == MH_OK;
    return MH_OK;
}

/* ---------- CSV ---------- */

static const char csv_header[] =
    "level,kind,accesses,hits,misses,miss_rate,compulsory,capacity,conflict,evictions,writebacks,"
    "bytes_from_next,bytes_to_next,pf_issued,pf_useful,pf_late,pf_useless,cycles,ns,time_share\n";

static void csv_counts(FILE *f, const char *level, const char *kind, const mh_counts *c)
{
    fprintf(f, "%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64, level,
            kind, c->accesses, c->hits, c->misses, ratio(c->misses, c->accesses), c->compulsory,
            c->capacity, c->conflict);
}

/* One timing component row: accesses/hits/misses where meaningful, then cycles and share. */
static void csv_component(FILE *f, const rep *r, const char *name, uint64_t acc, uint64_t hits,
                          uint64_t misses, double cycles)
{
    double ghz = r->ts.cycles > 0 && r->ts.ns > 0 ? r->ts.cycles / r->ts.ns : 1.0;
    fprintf(f, "%s,total,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,,,,,,,,,,,,%.1f,%.1f,%.6f\n", name, acc,
            hits, misses, ratio(misses, acc), cycles, cycles / ghz, r->ts.cycles > 0 ? cycles / r->ts.cycles : 0.0);
}

static void write_csv(const rep *r, FILE *f)
{
    fputs(csv_header, f);
    for (size_t i = 0; i < r->n; i++) {
        const mh_level_stats *s = &r->lv[i];
        for (int k = 0; k < MH_KINDS; k++) {
            csv_counts(f, s->name, kind_names[k], &s->kind[k]);
            fputs(",,,,,,,,,,,\n", f);
        }
        mh_counts t = total_of(s);
        csv_counts(f, s->name, "total", &t);
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                   ",%" PRIu64,
                s->evictions, s->writebacks, s->bytes_from_next, s->bytes_to_next, s->pf_issued,
                s->pf_useful, s->pf_late, s->pf_useless);
        if (r->timed) {
            double ghz = r->ts.ns > 0 ? r->ts.cycles / r->ts.ns : 1.0;
            fprintf(f, ",%.1f,%.1f,%.6f\n", s->cycles, s->cycles / ghz,
                    r->ts.cycles > 0 ? s->cycles / r->ts.cycles : 0.0);
        } else {
            fputs(",,,\n", f);
        }
    }
    if (!r->timed)
        return;
    const mh_time_stats *t = &r->ts;
    csv_component(f, r, "RAM", t->row_hits + t->row_misses, t->row_hits, t->row_misses, t->cycles_ram);
    csv_component(f, r, "tlb.L1d", t->tlb_hits[0] + t->tlb_misses[0], t->tlb_hits[0], t->tlb_misses[0],
                  t->cycles_tlb);
    csv_component(f, r, "tlb.L2", t->tlb_hits[1] + t->tlb_misses[1], t->tlb_hits[1], t->tlb_misses[1], 0);
    if (r->itlb)
        csv_component(f, r, "tlb.L1i", t->tlb_hits[MH_TLB_L1I] + t->tlb_misses[MH_TLB_L1I], t->tlb_hits[MH_TLB_L1I],
                      t->tlb_misses[MH_TLB_L1I], 0);
    if (r->itlb2)
        csv_component(f, r, "tlb.L2i", t->tlb_hits[MH_TLB_L2I] + t->tlb_misses[MH_TLB_L2I], t->tlb_hits[MH_TLB_L2I],
                      t->tlb_misses[MH_TLB_L2I], 0);
    csv_component(f, r, "walk", t->page_walks, 0, 0, t->cycles_walk);
    csv_component(f, r, "minor_fault", t->minor_faults, 0, 0, t->cycles_minor_fault);
    csv_component(f, r, "disk", t->disk_reads + t->disk_writes, 0, t->major_faults, t->cycles_disk);
    csv_component(f, r, "compute", t->instructions, 0, 0, t->cycles_compute);
    csv_component(f, r, "all", t->records, 0, 0, t->cycles);
}

/* ---------- table ---------- */

static void human_bytes(char *buf, size_t n, uint64_t b)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void table_row(FILE *f, const char *level, const char *kind, const mh_counts *c)
{
    fprintf(f, "%-8s %-9s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %8.3f%% %11" PRIu64 " %11" PRIu64
               " %11" PRIu64 "\n",
            level, kind, c->accesses, c->hits, c->misses, 100.0 * ratio(c->misses, c->accesses),
            c->compulsory, c->capacity, c->conflict);
}

static void table_levels(const rep *r, FILE *f)
{
    fprintf(f, "%-8s %-9s %14s %14s %12s %9s %11s %11s %11s\n", "level", "kind", "accesses", "hits",
            "misses", "miss", "compulsory", "capacity", "conflict");
    for (size_t i = 0; i < r->n; i++) {
        const mh_level_stats *s = &r->lv[i];
        for (int k = 0; k < MH_KINDS; k++)
            if (s->kind[k].accesses)
                table_row(f, s->name, kind_names[k], &s->kind[k]);
        mh_counts t = total_of(s);
        table_row(f, s->name, "total", &t);
    }
    fprintf(f, "\n%-8s %12s %12s %14s %14s %10s %10s %10s %10s\n", "level", "evictions", "writebacks",
            "from next", "to next", "pf issued", "pf useful", "pf late", "pf unused");
    for (size_t i = 0; i < r->n; i++) {
        const mh_level_stats *s = &r->lv[i];
        char a[32], b[32];
        human_bytes(a, sizeof a, s->bytes_from_next);
        human_bytes(b, sizeof b, s->bytes_to_next);
        fprintf(f, "%-8s %12" PRIu64 " %12" PRIu64 " %14s %14s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
                   " %10" PRIu64 "\n",
                s->name, s->evictions, s->writebacks, a, b, s->pf_issued, s->pf_useful, s->pf_late,
                s->pf_useless);
    }
}

static void table_share(FILE *f, const char *what, double cycles, double total)
{
    fprintf(f, "  %-12s %16.0f cycles %6.1f%%\n", what, cycles, total > 0 ? 100.0 * cycles / total : 0.0);
}

static void table_timing(const rep *r, FILE *f)
{
    const mh_time_stats *t = &r->ts;
    fprintf(f, "\nsimulated time: %.0f cycles, %.3f ms, %.3f ns/access (%" PRIu64 " records)\n", t->cycles,
            t->ns / 1e6, t->records ? t->ns / (double)t->records : 0.0, t->records);
    if (t->defaults_note)
        fprintf(f, "note: %s\n", t->defaults_note);
    fprintf(f, "stall breakdown:\n");
    for (size_t i = 0; i < r->n; i++)
        table_share(f, r->lv[i].name, r->lv[i].cycles, t->cycles);
    table_share(f, "RAM", t->cycles_ram, t->cycles);
    table_share(f, "TLB", t->cycles_tlb, t->cycles);
    table_share(f, "page walks", t->cycles_walk, t->cycles);
    table_share(f, "minor faults", t->cycles_minor_fault, t->cycles);
    table_share(f, "disk", t->cycles_disk, t->cycles);
    table_share(f, "compute", t->cycles_compute, t->cycles);
    fprintf(f, "TLB: L1 DTLB %" PRIu64 " hits %" PRIu64 " misses; ", t->tlb_hits[0], t->tlb_misses[0]);
    if (r->itlb)
        fprintf(f, "L1 ITLB %" PRIu64 " hits %" PRIu64 " misses; ", t->tlb_hits[MH_TLB_L1I],
                t->tlb_misses[MH_TLB_L1I]);
    if (r->itlb2)
        fprintf(f, "L2 ITLB %" PRIu64 " hits %" PRIu64 " misses; ", t->tlb_hits[MH_TLB_L2I],
                t->tlb_misses[MH_TLB_L2I]);
    fprintf(f, "L2 TLB %" PRIu64 " hits %" PRIu64 " misses; %" PRIu64 " page walks\n", t->tlb_hits[1],
            t->tlb_misses[1], t->page_walks);
    fprintf(f, "pages: %" PRIu64 " minor faults, %" PRIu64 " major faults, %" PRIu64 " disk reads, %" PRIu64
               " disk writes; DRAM rows %" PRIu64 " hits %" PRIu64 " misses\n",
            t->minor_faults, t->major_faults, t->disk_reads, t->disk_writes, t->row_hits, t->row_misses);
}

static void write_table(const rep *r, const mh_config *c, const mh_meta *meta, FILE *f)
{
    if (c)
        fprintf(f, "hierarchy %s (%s)\n", c->name, c->source);
    if (meta && mh_meta_get(meta, "kernel"))
        fprintf(f, "trace kernel %s\n", mh_meta_get(meta, "kernel"));
    fputc('\n', f);
    table_levels(r, f);
    if (r->timed)
        table_timing(r, f);
}

/* ---------- JSON ---------- */

/* Writes s as a JSON string literal with escapes. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_counts(FILE *f, const mh_counts *c)
{
    fprintf(f, "{\"accesses\": %" PRIu64 ", \"hits\": %" PRIu64 ", \"misses\": %" PRIu64
               ", \"miss_rate\": %.6f, \"compulsory\": %" PRIu64 ", \"capacity\": %" PRIu64
               ", \"conflict\": %" PRIu64 "}",
            c->accesses, c->hits, c->misses, ratio(c->misses, c->accesses), c->compulsory, c->capacity,
            c->conflict);
}

static void json_level(FILE *f, const mh_level_stats *s, int timed)
{
    fputs("    {\"name\": ", f);
    json_str(f, s->name);
    fputs(", \"kinds\": {", f);
    for (int k = 0; k < MH_KINDS; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", kind_names[k]);
        json_counts(f, &s->kind[k]);
    }
    mh_counts t = total_of(s);
    fputs(", \"total\": ", f);
    json_counts(f, &t);
    fprintf(f, "},\n     \"evictions\": %" PRIu64 ", \"writebacks\": %" PRIu64 ", \"bytes_from_next\": %" PRIu64
               ", \"bytes_to_next\": %" PRIu64 ", \"back_invalidations\": %" PRIu64,
            s->evictions, s->writebacks, s->bytes_from_next, s->bytes_to_next, s->back_invalidations);
    fprintf(f, ",\n     \"prefetch\": {\"issued\": %" PRIu64 ", \"fill_bytes\": %" PRIu64 ", \"useful\": %" PRIu64
               ", \"late\": %" PRIu64 ", \"useless\": %" PRIu64 "}",
            s->pf_issued, s->pf_fill_bytes, s->pf_useful, s->pf_late, s->pf_useless);
    if (timed)
        fprintf(f, ", \"cycles\": %.1f", s->cycles);
    fputs("}", f);
}

static void json_config(FILE *f, const mh_config *c)
{
    static const char *const pol[] = {"lru", "fifo", "random", "plru", "srrip", "brrip"};
    static const char *const inc[] = {"nine", "inclusive", "exclusive"};
    fputs("  \"config\": {\"name\": ", f);
    json_str(f, c->name);
    fputs(", \"source\": ", f);
    json_str(f, c->source);
    fprintf(f, ", \"ifetch\": \"%s\", \"data\": \"%s\", \"frequency_ghz\": %g, \"base_cpi\": %g, \"levels\": [",
            c->level[c->ifetch].name, c->level[c->data].name, c->frequency_ghz, c->base_cpi);
    for (size_t i = 0; i < c->nlevels; i++) {
        const mh_level_cfg *l = &c->level[i];
        fprintf(f, "%s\n    {\"name\": \"%s\", \"size\": %" PRIu64 ", \"ways\": %u, \"line\": %u, \"sets\": %u, "
                   "\"policy\": \"%s\", \"write\": \"%s\", \"allocate\": %s, \"inclusion\": \"%s\", "
                   "\"latency\": %g, \"next\": \"%s\"}",
                i ? "," : "", l->name, l->size, l->ways, l->line, l->sets,
                (l->policy >= 0 && l->policy < 6) ? pol[l->policy] : "?", l->write_back ? "back" : "through",
                l->allocate ? "true" : "false", (l->inclusion >= 0 && l->inclusion < 3) ? inc[l->inclusion] : "?",
                l->latency, l->next >= 0 ? c->level[l->next].name : "memory");
    }
    fputs("]},\n", f);
}

static void json_timing(FILE *f, const mh_time_stats *t, int itlb, int itlb2)
{
    fprintf(f, ",\n  \"timing\": {\"records\": %" PRIu64 ", \"instructions\": %" PRIu64 ", \"cycles\": %.1f, "
               "\"ns\": %.1f, \"ns_per_access\": %.4f,\n    \"stall_cycles\": {\"compute\": %.1f, \"tlb\": %.1f, "
               "\"walk\": %.1f, \"minor_fault\": %.1f, \"disk\": %.1f, \"ram\": %.1f},\n",
            t->records, t->instructions, t->cycles, t->ns, t->records ? t->ns / (double)t->records : 0.0,
            t->cycles_compute, t->cycles_tlb, t->cycles_walk, t->cycles_minor_fault, t->cycles_disk, t->cycles_ram);
    fprintf(f, "    \"tlb\": {\"L1d\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 "}, \"L2\": {\"hits\": %" PRIu64
               ", \"misses\": %" PRIu64 "}",
            t->tlb_hits[0], t->tlb_misses[0], t->tlb_hits[1], t->tlb_misses[1]);
    if (itlb)
        fprintf(f, ", \"L1i\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 "}", t->tlb_hits[MH_TLB_L1I],
                t->tlb_misses[MH_TLB_L1I]);
    if (itlb2)
        fprintf(f, ", \"L2i\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 "}", t->tlb_hits[MH_TLB_L2I],
                t->tlb_misses[MH_TLB_L2I]);
    fprintf(f, "}, \"page_walks\": %" PRIu64 ",\n", t->page_walks);
    fprintf(f, "    \"minor_faults\": %" PRIu64 ", \"major_faults\": %" PRIu64 ", \"disk_reads\": %" PRIu64
               ", \"disk_writes\": %" PRIu64 ", \"row_hits\": %" PRIu64 ", \"row_misses\": %" PRIu64,
            t->minor_faults, t->major_faults, t->disk_reads, t->disk_writes, t->row_hits, t->row_misses);
    if (t->defaults_note) {
        fputs(", \"note\": ", f);
        json_str(f, t->defaults_note);
    }
    fputs("}", f);
}

static void write_json(const rep *r, const mh_config *c, const mh_meta *meta, FILE *f)
{
    fputs("{\n", f);
    if (c)
        json_config(f, c);
    if (meta) {
        fputs("  \"trace\": {", f);
        for (size_t i = 0; i < meta->n; i++) {
            fputs(i ? ", " : "", f);
            json_str(f, meta->kv[i].key);
            fputs(": ", f);
            json_str(f, meta->kv[i].value);
        }
        fputs("},\n", f);
    }
    fputs("  \"levels\": [\n", f);
    for (size_t i = 0; i < r->n; i++) {
        json_level(f, &r->lv[i], r->timed);
        fputs(i + 1 < r->n ? ",\n" : "\n", f);
    }
    fputs("  ]", f);
    if (r->timed)
        json_timing(f, &r->ts, r->itlb, r->itlb2);
    fputs("\n}\n", f);
}

/* Writes h's statistics to f in fmt; returns MH_OK, MH_EINVAL for a bad fmt, MH_EIO on write error. */
int mh_report_write(const mh_hier *h, const mh_config *c, const mh_meta *meta, mh_format fmt, FILE *f,
                    mh_error *err)
{
    rep r;
    gather(h, &r);
    r.itlb = c && c->tlb[MH_TLB_L1I].present;
    r.itlb2 = r.itlb && c->tlb[MH_TLB_L2I].present;
    switch (fmt) {
    case MH_FMT_TABLE: write_table(&r, c, meta, f); break;
    case MH_FMT_CSV: write_csv(&r, f); break;
    case MH_FMT_JSON: write_json(&r, c, meta, f); break;
    default: return mh_error_set(err, MH_EINVAL, "report format %d, must be table, csv or json", (int)fmt);
    }
    if (ferror(f))
        return mh_error_set(err, MH_EIO, "writing the report failed: %s", strerror(errno ? errno : EIO));
    return MH_OK;
}
