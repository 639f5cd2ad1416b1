/* config_keys.c — the key tables of every section kind, their defaults, and how one value is
 * parsed into (and formatted from) struct mh_config. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"

static const char *const policy_names[] = {"lru", "fifo", "random", "plru", "srrip", "brrip", NULL};
static const char *const write_names[] = {"through", "back", NULL};
static const char *const yesno_names[] = {"no", "yes", NULL};
static const char *const incl_names[] = {"nine", "inclusive", "exclusive", NULL};
static const char *const pf_names[] = {"none", "next-line", "stride", "stream", "region", NULL};
static const char *const page_pol_names[] = {"lru", "clock", NULL};
static const char *const walk_names[] = {"fixed", "cached", "nested", NULL};

#define K(name, type, st, field, names, help) {name, type, offsetof(st, field), names, help}

static const mh_cfg_key hier_keys[] = {
    K("name", MH_T_NAME, mh_config, name, NULL, "must be up to 63 characters without ; # [ ] ="),
    K("ifetch", MH_T_REF, mh_config, ifetch, NULL, "must name a cache level"),
    K("data", MH_T_REF, mh_config, data, NULL, "must name a cache level"),
    K("frequency_ghz", MH_T_DBLPOS, mh_config, frequency_ghz, NULL, "must be a number > 0"),
    K("base_cpi", MH_T_DBL0, mh_config, base_cpi, NULL, "must be a number >= 0"),
    K("walk", MH_T_ENUM, mh_config, walk, walk_names, "must be fixed, cached or nested"),
    K("walk_latency", MH_T_DBL0, mh_config, walk_latency, NULL, "must be a number >= 0"),
    K("induction_latency", MH_T_DBL0, mh_config, induction_latency, NULL, "must be a number >= 0 (cycles, 0 = off)"),
    K("mem_cpi", MH_T_DBL0, mh_config, mem_cpi, NULL, "must be a number >= 0 (cycles per record, 0 = base_cpi)"),
    K("rob", MH_T_U64, mh_config, rob, NULL, "must be an integer >= 0 (reorder-buffer entries, 0 = unbounded)"),
    K("store_queue", MH_T_U64, mh_config, store_queue, NULL, "must be an integer from 0 to 65536 (stores waiting for their lines, 0 = unbounded)"),
    K("walkers", MH_T_U64, mh_config, walkers, NULL, "must be an integer from 0 to 64 (page walks in flight, 0 = unbounded)"),
};

static const mh_cfg_key level_keys[] = {
    K("size", MH_T_SIZE, mh_level_cfg, size, NULL,
      "must be a size in bytes >= 1 with optional K/M/G suffix (e.g. 32K)"),
    K("ways", MH_T_WAYS, mh_level_cfg, ways, NULL, "must be an integer >= 1 or full"),
    K("line", MH_T_POW2, mh_level_cfg, line, NULL, "must be a power of two (bytes)"),
    K("policy", MH_T_ENUM, mh_level_cfg, policy, policy_names,
      "must be one of lru, fifo, random, plru, srrip, brrip"),
    K("write", MH_T_ENUM, mh_level_cfg, write_back, write_names, "must be back or through"),
    K("allocate", MH_T_ENUM, mh_level_cfg, allocate, yesno_names, "must be yes or no"),
    K("inclusion", MH_T_ENUM, mh_level_cfg, inclusion, incl_names,
      "must be inclusive, exclusive or nine"),
    K("latency", MH_T_DBL0, mh_level_cfg, latency, NULL, "must be a number >= 0"),
    K("next", MH_T_REF, mh_level_cfg, next, NULL, "must name a cache level or memory"),
    K("seed", MH_T_U64, mh_level_cfg, seed, NULL, "must be an integer >= 0"),
    K("mshrs", MH_T_COUNT, mh_level_cfg, mshrs, NULL, "must be an integer >= 1"),
    K("bandwidth", MH_T_DBL0, mh_level_cfg, bandwidth, NULL, "must be a number >= 0"),
    K("set_gap", MH_T_DBL0, mh_level_cfg, set_gap, NULL, "must be a number >= 0 (cycles, 0 = no limit)"),
    K("spread", MH_T_FRAC, mh_level_cfg, spread, NULL, "must be a number >= 0 and < 1 (fraction of latency, 0 = fixed)"),
    K("swpf_extra", MH_T_DBL0, mh_level_cfg, swpf_extra, NULL, "must be a number >= 0 (cycles, 0 = none)"),
    K("prefetcher", MH_T_ENUM, mh_level_cfg, prefetcher, pf_names,
      "must be one of none, next-line, stride, stream, region"),
    K("degree", MH_T_COUNT, mh_level_cfg, pf_degree, NULL, "must be an integer >= 1"),
    K("distance", MH_T_COUNT, mh_level_cfg, pf_distance, NULL, "must be an integer >= 1"),
    K("cross_pages", MH_T_ENUM, mh_level_cfg, pf_cross, yesno_names, "must be yes or no"),
};

static const mh_cfg_key tlb_keys[] = {
    K("entries", MH_T_COUNT, mh_tlb_cfg, entries, NULL, "must be an integer >= 1"),
    K("ways", MH_T_WAYS, mh_tlb_cfg, ways, NULL, "must be an integer >= 1 or full"),
    K("page_size", MH_T_PAGE, mh_tlb_cfg, page_size, NULL, "must be a power of two from 4K to 1G"),
    K("latency", MH_T_DBL0, mh_tlb_cfg, latency, NULL, "must be a number >= 0"),
};

static const mh_cfg_key ram_keys[] = {
    K("latency_ns", MH_T_DBL0, mh_ram_cfg, latency_ns, NULL, "must be a number >= 0"),
    K("row_hit_ns", MH_T_DBL0, mh_ram_cfg, row_hit_ns, NULL, "must be a number >= 0"),
    K("spread", MH_T_FRAC, mh_ram_cfg, spread, NULL, "must be a number >= 0 and < 1 (fraction of latency, 0 = fixed)"),
    K("bandwidth_gbs", MH_T_DBL0, mh_ram_cfg, bandwidth_gbs, NULL, "must be a number >= 0"),
    K("row_size", MH_T_POW2SZ, mh_ram_cfg, row_size, NULL,
      "must be a power of two (bytes, K/M suffixes)"),
    K("banks", MH_T_COUNT, mh_ram_cfg, banks, NULL, "must be an integer >= 1"),
    K("capacity", MH_T_SIZE0, mh_ram_cfg, capacity, NULL,
      "must be a size in bytes (K/M/G suffixes), 0 = unlimited"),
    K("page_size", MH_T_PAGE, mh_ram_cfg, page_size, NULL, "must be a power of two from 4K to 1G"),
    K("page_policy", MH_T_ENUM, mh_ram_cfg, page_policy, page_pol_names, "must be lru or clock"),
    K("minor_fault_ns", MH_T_DBL0, mh_ram_cfg, minor_fault_ns, NULL, "must be a number >= 0"),
};

static const mh_cfg_key disk_keys[] = {
    K("latency_us", MH_T_DBL0, mh_disk_cfg, latency_us, NULL, "must be a number >= 0"),
    K("bandwidth_mbs", MH_T_DBL0, mh_disk_cfg, bandwidth_mbs, NULL, "must be a number >= 0"),
};

#define NKEYS(a) (sizeof a / sizeof a[0])

/* Returns the key table of a section kind and its length. */
const mh_cfg_key *mh_cfg_keys(int kind, size_t *n)
{
    if (mh_cfg_tlb_slot(kind) >= 0) {
        *n = NKEYS(tlb_keys);
        return tlb_keys;
    }
    switch (kind) {
    case MH_SEC_HIER: *n = NKEYS(hier_keys); return hier_keys;
    case MH_SEC_LEVEL: *n = NKEYS(level_keys); return level_keys;
    case MH_SEC_RAM: *n = NKEYS(ram_keys); return ram_keys;
    default: *n = NKEYS(disk_keys); return disk_keys;
    }
}

/* Returns the index of key in the table of kind, or -1 (case-insensitive). */
int mh_cfg_key_find(int kind, const char *key)
{
    size_t n;
    const mh_cfg_key *t = mh_cfg_keys(kind, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(t[i].name, key))
            return (int)i;
    return -1;
}

/* Returns the struct a section's keys are stored in. */
void *mh_cfg_base(mh_config *c, const mh_cfg_sec *s)
{
    if (mh_cfg_tlb_slot(s->kind) >= 0)
        return &c->tlb[mh_cfg_tlb_slot(s->kind)];
    switch (s->kind) {
    case MH_SEC_HIER: return c;
    case MH_SEC_LEVEL: return &c->level[s->index];
    case MH_SEC_RAM: return &c->ram;
    default: return &c->disk;
    }
}

/* Fills the defaults of a freshly created section; latency and mshrs of a level stay
 * negative/zero here and are derived from its depth by mh_cfg_check. */
void mh_cfg_defaults(mh_config *c, const mh_cfg_sec *s)
{
    mh_level_cfg *l;
    mh_tlb_cfg *t;
    switch (s->kind) {
    case MH_SEC_LEVEL:
        l = &c->level[s->index];
        snprintf(l->name, sizeof l->name, "%s", s->name);
        l->policy = MH_POL_LRU;
        l->write_back = 1;
        l->allocate = 1;
        l->inclusion = MH_INC_NINE;
        l->latency = -1;
        l->next = -1;
        l->seed = 1;
        l->prefetcher = MH_PF_NONE;
        l->pf_degree = 1;
        l->pf_distance = 1;
        break;
    case MH_SEC_TLB1: case MH_SEC_TLB2: case MH_SEC_TLBI: case MH_SEC_TLBI2: {
        int second = s->kind == MH_SEC_TLB2 || s->kind == MH_SEC_TLBI2;
        t = &c->tlb[mh_cfg_tlb_slot(s->kind)];
        t->present = 1;
        t->entries = s->kind == MH_SEC_TLB2 ? 1024 : s->kind == MH_SEC_TLBI2 ? 512 : 64;
        t->ways = second ? 8 : 0;    /* 0 = full, fixed up by the check */
        t->page_size = 4096;
        t->latency = s->kind == MH_SEC_TLB2 ? 7 : second ? 1 : 0;   /* tlb.L2i: a front end hides it */
        break;
    }
    default:
        break;
    }
}

/* Records the error for key k: what, or the table's "must be ..." text. */
static int bad(mh_cfg_ctx *x, mh_cfg_sec *s, int k, int line, const char *what)
{
    size_t n;
    return mh_cfg_fail(x, line, s, k, "%s", what ? what : mh_cfg_keys(s->kind, &n)[k].help);
}

/* Parses an integer-valued type into *v; returns NULL or the "must be" text. */
static const char *parse_int(int type, const char *val, uint64_t *v)
{
    int size_syntax = type == MH_T_SIZE || type == MH_T_SIZE0 || type == MH_T_PAGE ||
                      type == MH_T_POW2SZ;
    if ((size_syntax ? mh_parse_size(val, v) : mh_parse_u64(val, v)) != 0)
        return "syntax";
    if ((type == MH_T_COUNT || type == MH_T_POW2 || type == MH_T_WAYS) && *v > UINT32_MAX)
        return "must be <= 4294967295";
    if (type != MH_T_U64 && type != MH_T_SIZE0 && *v == 0)
        return "must be >= 1";
    if ((type == MH_T_POW2 || type == MH_T_POW2SZ || type == MH_T_PAGE) && !mh_is_pow2(*v))
        return type == MH_T_PAGE ? "must be a power of two from 4K to 1G" : "must be a power of two";
    if (type == MH_T_PAGE && (*v < 4096 || *v > (UINT64_C(1) << 30)))
        return "must be a power of two from 4K to 1G";
    return NULL;
}

/* Stores an integer of a given type into the field at p. */
static void store_int(int type, void *p, uint64_t v)
{
    if (type == MH_T_COUNT || type == MH_T_POW2 || type == MH_T_WAYS)
        *(uint32_t *)p = (uint32_t)v;
    else
        *(uint64_t *)p = v;
}

/* Parses an enum name; returns its index or -1. */
static int parse_enum(const char *const *names, const char *val)
{
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(names[i], val))
            return i;
    return -1;
}

/* Checks the hierarchy name: printable, no INI punctuation, fits. */
static int name_ok(const char *val, size_t cap)
{
    if (strlen(val) >= cap)
        return 0;
    for (const char *p = val; *p; p++)
        if ((unsigned char)*p < 0x20 || strchr(";#[]=", *p))
            return 0;
    return 1;
}

/* Parses "full" for a ways key (stored as 0 until the check knows the line count). */
static int parse_full(mh_cfg_sec *s, void *base, const char *val)
{
    if (strcasecmp(val, "full"))
        return 0;
    if (s->kind == MH_SEC_LEVEL) {
        ((mh_level_cfg *)base)->fully_assoc = 1;
        ((mh_level_cfg *)base)->ways = 0;
    } else {
        ((mh_tlb_cfg *)base)->ways = 0;
    }
    return 1;
}

/* Parses value for key k of section s into the config; MH_OK or MH_ECONFIG (error recorded). */
int mh_cfg_apply(mh_cfg_ctx *x, mh_cfg_sec *s, int k, const char *value, int line)
{
    size_t n;
    const mh_cfg_key *key = &mh_cfg_keys(s->kind, &n)[k];
    char *p = (char *)mh_cfg_base(x->c, s) + key->off;
    uint64_t v;
    double d;
    const char *why;
    int e;

    snprintf(s->keyval[k], sizeof s->keyval[k], "%s", value);
    s->keyline[k] = line;
    s->given[k] = 1;
    if (!*value)
        return bad(x, s, k, line, NULL);
    if (strlen(value) >= MH_CFG_VALMAX)
        return mh_cfg_fail(x, line, s, k, "value too long (max %d characters)", MH_CFG_VALMAX - 1);
    switch (key->type) {
    case MH_T_ENUM:
        if ((e = parse_enum(key->names, value)) < 0)
            return bad(x, s, k, line, NULL);
        *(int *)p = e;
        return MH_OK;
    case MH_T_DBL0: case MH_T_DBLPOS: case MH_T_FRAC:
        if (mh_parse_double(value, &d) || d < 0 || (key->type == MH_T_DBLPOS && d == 0) ||
            (key->type == MH_T_FRAC && d >= 1))
            return bad(x, s, k, line, NULL);
        *(double *)p = d;
        return MH_OK;
    case MH_T_NAME:
        if (!name_ok(value, sizeof x->c->name))
            return bad(x, s, k, line, NULL);
        snprintf(x->c->name, sizeof x->c->name, "%s", value);
        return MH_OK;
    case MH_T_REF:
        return MH_OK;   /* resolved by mh_cfg_check once every level is known */
    case MH_T_WAYS:
        if (parse_full(s, mh_cfg_base(x->c, s), value))
            return MH_OK;
        if (s->kind == MH_SEC_LEVEL)
            ((mh_level_cfg *)mh_cfg_base(x->c, s))->fully_assoc = 0;
        break;
    default:
        break;
    }
    why = parse_int(key->type, value, &v);
    if (why && !strcmp(why, "syntax"))
        return bad(x, s, k, line, NULL);
    if (why)
        return bad(x, s, k, line, why);
    store_int(key->type, p, v);
    return MH_OK;
}

/* Formats a level reference stored as an index; returns -1 for "memory" (omitted). */
static int format_ref(const mh_config *c, int idx, char *buf, size_t n)
{
    if (idx < 0 || (size_t)idx >= c->nlevels)
        return -1;
    snprintf(buf, n, "%s", c->level[idx].name);
    return 0;
}

/* Formats the stored value of key k of section s; returns 0, or -1 when it is omitted. */
int mh_cfg_format(const mh_config *c, const mh_cfg_sec *s, int k, char *buf, size_t n)
{
    size_t nk;
    const mh_cfg_key *key = &mh_cfg_keys(s->kind, &nk)[k];
    const char *p = (const char *)mh_cfg_base((mh_config *)c, s) + key->off;
    switch (key->type) {
    case MH_T_ENUM: snprintf(buf, n, "%s", key->names[*(const int *)p]); return 0;
    case MH_T_DBL0: case MH_T_DBLPOS: case MH_T_FRAC: mh_format_double(*(const double *)p, buf, n); return 0;
    case MH_T_NAME: snprintf(buf, n, "%s", c->name); return 0;
    case MH_T_REF: return format_ref(c, *(const int *)p, buf, n);
    case MH_T_COUNT: case MH_T_POW2:
        snprintf(buf, n, "%u", (unsigned)*(const uint32_t *)p);
        return 0;
    case MH_T_WAYS: {
        const mh_tlb_cfg *t = &c->tlb[s->kind == MH_SEC_LEVEL ? 0 : mh_cfg_tlb_slot(s->kind)];
        if (s->kind == MH_SEC_LEVEL ? c->level[s->index].fully_assoc : t->ways == t->entries)
            snprintf(buf, n, "full");
        else
            snprintf(buf, n, "%u", (unsigned)*(const uint32_t *)p);
        return 0;
    }
    case MH_T_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)p); return 0;
    default: mh_format_size(*(const uint64_t *)p, buf, n); return 0;
    }
}

/* Returns the kind a section name denotes, or -1 when the name is not allowed. A level name
 * starts with a letter and holds letters, digits, _ and -; "memory" and "tlb.*" are reserved. */
int mh_cfg_sec_kind(const char *name)
{
    static const struct { const char *name; int kind; } fixed[] = {
        {"hierarchy", MH_SEC_HIER}, {"tlb.L1d", MH_SEC_TLB1}, {"tlb.L2", MH_SEC_TLB2},
        {"tlb.L1i", MH_SEC_TLBI}, {"tlb.L2i", MH_SEC_TLBI2}, {"RAM", MH_SEC_RAM}, {"disk", MH_SEC_DISK},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcasecmp(name, fixed[i].name))
            return fixed[i].kind;
    if (!strcasecmp(name, "memory") || strlen(name) >= MH_NAME_MAX ||
        !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z')))
        return -1;
    for (const char *p = name; *p; p++)
        if (!(strchr("_-", *p) || (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= 'a' && *p <= 'z')))
            return -1;
    return MH_SEC_LEVEL;
}

const char *const mh_cfg_tlb_names[MH_TLBS] = {"tlb.L1d", "tlb.L2", "tlb.L1i", "tlb.L2i"};

/* See config_parse.h. */
int mh_cfg_tlb_slot(int kind)
{
    switch (kind) {
    case MH_SEC_TLB1: return MH_TLB_L1D;
    case MH_SEC_TLB2: return MH_TLB_L2;
    case MH_SEC_TLBI: return MH_TLB_L1I;
    case MH_SEC_TLBI2: return MH_TLB_L2I;
    default: return -1;
    }
}
