/* config_check.c — whole-config validation after parsing: level geometry, entry levels and
 * next chains (missing names, cycles, unreachable levels), depth-derived defaults, inclusion,
 * TLB and RAM consistency. Every message names the line of the key at fault. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"

/* Key indices of the level and TLB tables (kept in step with config_keys.c by lookups). */
#define KEY(kind, name) mh_cfg_key_find(kind, name)

/* Returns the section of level i. */
static mh_cfg_sec *level_sec(mh_cfg_ctx *x, int i)
{
    for (size_t j = 0; j < x->nsec; j++)
        if (x->sec[j].kind == MH_SEC_LEVEL && x->sec[j].index == i)
            return &x->sec[j];
    return NULL;
}

/* Returns the first section of a kind, or NULL. */
static mh_cfg_sec *kind_sec(mh_cfg_ctx *x, int kind)
{
    for (size_t j = 0; j < x->nsec; j++)
        if (x->sec[j].kind == kind)
            return &x->sec[j];
    return NULL;
}

/* Returns the line of key k of s when given, else the section header's line. */
static int line_of(const mh_cfg_sec *s, int k)
{
    return s->given[k] ? s->keyline[k] : s->line;
}

/* Writes "L1i, L1d, L2" into buf. */
static void level_list(const mh_config *c, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < c->nlevels; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? ", " : "", c->level[i].name);
}

/* Reports a key that is required but absent. */
static int missing(mh_cfg_ctx *x, mh_cfg_sec *s, const char *key)
{
    size_t n;
    const mh_cfg_key *t = mh_cfg_keys(s->kind, &n);
    return mh_cfg_fail(x, s->line, s, -1, "missing required key %s (%s)", key,
                       t[KEY(s->kind, key)].help);
}

/* Checks size = sets * ways * line with a power-of-two set count; fills ways and sets. */
static int check_geometry(mh_cfg_ctx *x, mh_cfg_sec *s, mh_level_cfg *l)
{
    int ksize = KEY(MH_SEC_LEVEL, "size"), kways = KEY(MH_SEC_LEVEL, "ways");
    uint64_t lines;
    static const char *const req[] = {"size", "ways", "line"};
    for (int i = 0; i < 3; i++)
        if (!s->given[KEY(MH_SEC_LEVEL, req[i])])
            return missing(x, s, req[i]);
    if (l->size % l->line)
        return mh_cfg_fail(x, s->keyline[ksize], s, ksize, "must be a multiple of line (%u)", l->line);
    lines = l->size / l->line;
    if (l->fully_assoc) {
        if (lines > UINT32_MAX)
            return mh_cfg_fail(x, s->keyline[kways], s, kways, "too many lines for full (%llu)",
                               (unsigned long long)lines);
        l->ways = (uint32_t)lines;
    }
    if (l->ways > lines)
        return mh_cfg_fail(x, s->keyline[kways], s, kways, "must be <= size / line = %llu",
                           (unsigned long long)lines);
    if (lines % l->ways)
        return mh_cfg_fail(x, s->keyline[ksize], s, ksize,
                           "must be sets * ways * line, a multiple of ways * line = %llu",
                           (unsigned long long)l->ways * l->line);
    if (!mh_is_pow2(lines / l->ways))
        return mh_cfg_fail(x, s->keyline[ksize], s, ksize,
                           "gives %llu sets (size / (ways * line)), must give a power of two",
                           (unsigned long long)(lines / l->ways));
    if (lines / l->ways > UINT32_MAX)  /* sets are 32-bit: say so rather than wrap to 0 */
        return mh_cfg_fail(x, s->keyline[ksize], s, ksize, "gives %llu sets, must give at most 2^32 - 1",
                           (unsigned long long)(lines / l->ways));
    l->sets = (uint32_t)(lines / l->ways);
    return MH_OK;
}

/* Checks every cache level's geometry and policy constraints, in file order. */
static int check_levels(mh_cfg_ctx *x)
{
    int kpol = KEY(MH_SEC_LEVEL, "policy");
    for (size_t i = 0; i < x->c->nlevels; i++) {
        mh_cfg_sec *s = level_sec(x, (int)i);
        mh_level_cfg *l = &x->c->level[i];
        if (check_geometry(x, s, l) != MH_OK)
            return MH_ECONFIG;
        if (l->policy == MH_POL_PLRU && !mh_is_pow2(l->ways))
            return mh_cfg_fail(x, s->keyline[kpol], s, kpol,
                               "needs a power-of-two number of ways (ways = %u)", l->ways);
    }
    return MH_OK;
}

/* Resolves key k of s (a level name, or "memory" when allow_mem) into *idx. */
static int resolve(mh_cfg_ctx *x, mh_cfg_sec *s, int k, int allow_mem, int *idx)
{
    char names[400];
    const char *v = s->keyval[k];
    if (allow_mem && !strcasecmp(v, "memory")) {
        *idx = -1;
        return MH_OK;
    }
    for (size_t i = 0; i < x->c->nlevels; i++)
        if (!strcasecmp(x->c->level[i].name, v)) {
            *idx = (int)i;
            return MH_OK;
        }
    level_list(x->c, names, sizeof names);
    return mh_cfg_fail(x, s->keyline[k], s, k, "no such level; levels are %s%s", names,
                       allow_mem ? " (or memory)" : "");
}

/* Resolves [hierarchy] data/ifetch and every level's next. */
static int resolve_refs(mh_cfg_ctx *x)
{
    mh_cfg_sec *h = kind_sec(x, MH_SEC_HIER);
    int kd = KEY(MH_SEC_HIER, "data"), ki = KEY(MH_SEC_HIER, "ifetch"), kn = KEY(MH_SEC_LEVEL, "next");
    if (x->c->nlevels == 0)
        return mh_cfg_fail(x, x->lines, NULL, -1,
                           "no cache level section; define at least one, e.g. [L1] with size, "
                           "ways and line");
    if (!h)
        return mh_cfg_fail(x, x->lines, NULL, -1,
                           "no [hierarchy] section; it must give data = <entry level>");
    if (!h->given[kd])
        return mh_cfg_fail(x, h->line, h, -1,
                           "missing required key data (the level that receives loads and stores)");
    if (resolve(x, h, kd, 0, &x->c->data) != MH_OK)
        return MH_ECONFIG;
    x->c->ifetch = x->c->data;
    if (h->given[ki] && resolve(x, h, ki, 0, &x->c->ifetch) != MH_OK)
        return MH_ECONFIG;
    for (size_t i = 0; i < x->c->nlevels; i++) {
        mh_cfg_sec *s = level_sec(x, (int)i);
        if (s->given[kn] && resolve(x, s, kn, 1, &x->c->level[i].next) != MH_OK)
            return MH_ECONFIG;
    }
    return MH_OK;
}

/* Finds a next cycle; reports it at the next key of its last member in file order. */
static int check_cycles(mh_cfg_ctx *x)
{
    const mh_config *c = x->c;
    int kn = KEY(MH_SEC_LEVEL, "next");
    for (size_t i = 0; i < c->nlevels; i++) {
        int p = (int)i, last, steps;
        char path[400];
        for (steps = 0; p >= 0 && steps < (int)c->nlevels; steps++)
            p = c->level[p].next;
        if (p < 0)
            continue;
        last = p;   /* p is on the cycle: find its member that comes last in the file */
        for (int q = c->level[p].next; q != p; q = c->level[q].next)
            last = q > last ? q : last;
        p = c->level[last].next;
        snprintf(path, sizeof path, "%s", c->level[p].name);
        for (int q = c->level[p].next;; q = c->level[q].next) {
            snprintf(path + strlen(path), sizeof path - strlen(path), " -> %s", c->level[q].name);
            if (q == p)
                break;
        }
        mh_cfg_sec *s = level_sec(x, last);
        return mh_cfg_fail(x, s->keyline[kn], s, kn,
                           "forms a cycle %s; the last level must omit next (= main memory)", path);
    }
    return MH_OK;
}

/* Marks levels reachable from entry e with their depth (the smallest over both entries). */
static void walk_depth(const mh_config *c, int e, int *depth)
{
    for (int d = 0; e >= 0; e = c->level[e].next, d++)
        if (depth[e] < 0 || d < depth[e])
            depth[e] = d;
}

/* Rejects unreachable levels and fills latency and mshrs defaults from depth. */
static int check_reach(mh_cfg_ctx *x)
{
    mh_config *c = x->c;
    int depth[MH_MAX_LEVELS];
    static const double lat[] = {4, 14, 40};
    for (size_t i = 0; i < c->nlevels; i++)
        depth[i] = -1;
    walk_depth(c, c->data, depth);
    walk_depth(c, c->ifetch, depth);
    for (size_t i = 0; i < c->nlevels; i++) {
        mh_level_cfg *l = &c->level[i];
        if (depth[i] < 0)
            return mh_cfg_fail(x, level_sec(x, (int)i)->line, level_sec(x, (int)i), -1,
                               "is not reachable from ifetch (%s) or data (%s) through next; "
                               "point a next at it or remove it",
                               c->level[c->ifetch].name, c->level[c->data].name);
        if (l->latency < 0)
            l->latency = lat[depth[i] < 2 ? depth[i] : 2];
        if (l->mshrs == 0)
            l->mshrs = (int)i == c->data ? 16 : 8;
    }
    return MH_OK;
}

/* Inclusive and exclusive need a next cache level with the same line size. */
static int check_inclusion(mh_cfg_ctx *x)
{
    const mh_config *c = x->c;
    int ki = KEY(MH_SEC_LEVEL, "inclusion");
    for (size_t i = 0; i < c->nlevels; i++) {
        const mh_level_cfg *l = &c->level[i];
        mh_cfg_sec *s = level_sec(x, (int)i);
        if (l->inclusion == MH_INC_NINE)
            continue;
        if (l->next < 0)
            return mh_cfg_fail(x, line_of(s, ki), s, ki,
                               "needs a next cache level (next is main memory), must be nine");
        if (c->level[l->next].line != l->line)
            return mh_cfg_fail(x, line_of(s, ki), s, ki,
                               "needs the same line size in [%s] (%u, here %u)",
                               c->level[l->next].name, c->level[l->next].line, l->line);
    }
    return MH_OK;
}

/* Checks one TLB: ways <= entries, entries = sets * ways with a power-of-two set count. */
static int check_tlb(mh_cfg_ctx *x, mh_cfg_sec *s, mh_tlb_cfg *t)
{
    int ke = KEY(s->kind, "entries"), kw = KEY(s->kind, "ways");
    int blame = s->given[kw] ? kw : ke;
    if (t->ways == 0)
        t->ways = t->entries;
    if (t->ways > t->entries)
        return blame == kw ? mh_cfg_fail(x, s->keyline[kw], s, kw, "must be <= entries (%u)", t->entries)
                           : mh_cfg_fail(x, s->keyline[ke], s, ke, "must be >= ways (%u)", t->ways);
    if (t->entries % t->ways || !mh_is_pow2(t->entries / t->ways))
        return mh_cfg_fail(x, line_of(s, blame), s, blame,
                           "entries / ways must be a whole power of two (entries %u, ways %u)",
                           t->entries, t->ways);
    return MH_OK;
}

/* Checks the TLB sections; a second-level TLB needs its first-level one (tlb.L2 the data TLB,
 * tlb.L2i the instruction TLB; the instruction TLB alone translates fetches only). */
static int check_tlbs(mh_cfg_ctx *x)
{
    static const int kinds[MH_TLBS] = {MH_SEC_TLB1, MH_SEC_TLB2, MH_SEC_TLBI, MH_SEC_TLBI2};
    mh_cfg_sec *s1 = kind_sec(x, MH_SEC_TLB1), *s2 = kind_sec(x, MH_SEC_TLB2);
    mh_cfg_sec *i1 = kind_sec(x, MH_SEC_TLBI), *i2 = kind_sec(x, MH_SEC_TLBI2);
    if (s2 && !s1)
        return mh_cfg_fail(x, s2->line, s2, -1, "needs a [tlb.L1d] section (the first-level TLB)");
    if (i2 && !i1)
        return mh_cfg_fail(x, i2->line, i2, -1, "needs a [tlb.L1i] section (the first-level instruction TLB)");
    for (int i = 0; i < MH_TLBS; i++) {
        mh_cfg_sec *s = kind_sec(x, kinds[i]);
        if (s && check_tlb(x, s, &x->c->tlb[mh_cfg_tlb_slot(kinds[i])]) != MH_OK)
            return MH_ECONFIG;
    }
    return MH_OK;
}

/* Checks [RAM]: row hits no slower than row misses, capacity a whole number of pages. */
static int check_ram(mh_cfg_ctx *x)
{
    mh_ram_cfg *r = &x->c->ram;
    mh_cfg_sec *s = kind_sec(x, MH_SEC_RAM);
    int kh = KEY(MH_SEC_RAM, "row_hit_ns"), kl = KEY(MH_SEC_RAM, "latency_ns");
    int kc = KEY(MH_SEC_RAM, "capacity");
    char ps[32];
    if (r->row_hit_ns < 0)
        r->row_hit_ns = r->latency_ns;
    if (!s)
        return MH_OK;
    if (r->row_hit_ns > r->latency_ns)
        return s->given[kh] ? mh_cfg_fail(x, s->keyline[kh], s, kh, "must be <= latency_ns (%g)",
                                          r->latency_ns)
                            : mh_cfg_fail(x, s->keyline[kl], s, kl, "must be >= row_hit_ns (%g)",
                                          r->row_hit_ns);
    mh_format_size(r->page_size, ps, sizeof ps);
    if (r->capacity % r->page_size)
        return mh_cfg_fail(x, s->keyline[kc], s, kc, "must be a multiple of page_size (%s)", ps);
    return MH_OK;
}

/* Cross-field checks, reference resolution and derived defaults; MH_OK or MH_ECONFIG. */
int mh_cfg_check(mh_cfg_ctx *x)
{
    if (check_levels(x) || resolve_refs(x) || check_cycles(x) || check_reach(x) ||
        check_inclusion(x) || check_tlbs(x) || check_ram(x))
        return MH_ECONFIG;
    return MH_OK;
}
