/* fuzz_split.c — libFuzzer harness, differential: a hierarchy split into parts (mh_hier_split)
 * and replayed part by part, in an order the input picks, must end with exactly the statistics
 * of one in-order replay (mh_hier_access), before and after a flush.
 * Replayed through tags (mh_part_tag) or, with the top bit of the eighth byte, through lists
 * dealt to the parts (mh_part_deal).
 * Input: 8 bytes of shape (geometry, policies, inclusion, write modes, parts, order), then
 * records of 8 bytes each (op, size, address within a small window so sets collide). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"
#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096 /* records per input */
#define MAX_PARTS 4

static const char *const policies[] = {"lru", "fifo", "plru", "srrip"};
static const char *const inclusions[] = {"nine", "inclusive", "exclusive"};

/* The config the shape bytes s[0..8) describe: split L1i/L1d (or unified) over L2 over L3. */
static mh_config *shape_config(const uint8_t *s)
{
    char text[1024];
    unsigned l1ways = 1u << (s[0] & 3), l1line = 16u << ((s[0] >> 2) & 1), l1sets = 2u << ((s[0] >> 3) & 3);
    unsigned l2ways = 1u << (s[1] & 3), l2sets = 8u << ((s[1] >> 2) & 3);
    unsigned l3ways = 2u << (s[2] & 3), l3sets = 16u << ((s[2] >> 2) & 3);
    unsigned l2line = l1line << ((s[1] >> 4) & 1), l3line = l2line;
    int unified = s[3] & 1;
    const char *p1 = policies[(s[3] >> 1) & 3], *p2 = policies[(s[3] >> 3) & 3], *p3 = policies[(s[3] >> 5) & 3];
    const char *i1 = inclusions[s[4] % 3], *i2 = inclusions[(s[4] / 3) % 3];
    const char *wb = s[4] & 0x40 ? "through" : "back", *alloc = s[4] & 0x80 ? "no" : "yes";
    int n = snprintf(text, sizeof text,
                     "[hierarchy]\nname = f\nifetch = %s\ndata = L1d\n"
                     "[L1d]\nsize = %u\nways = %u\nline = %u\npolicy = %s\nwrite = %s\nallocate = %s\n"
                     "inclusion = %s\nnext = L2\n",
                     unified ? "L1d" : "L1i", l1sets * l1ways * l1line, l1ways, l1line, p1, wb, alloc, i1);
    if (!unified)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "[L1i]\nsize = %u\nways = %u\nline = %u\npolicy = %s\ninclusion = %s\nnext = L2\n",
                      l1sets * l1ways * l1line, l1ways, l1line, p1, i1);
    snprintf(text + n, sizeof text - (size_t)n,
             "[L2]\nsize = %u\nways = %u\nline = %u\npolicy = %s\ninclusion = %s\nnext = L3\n"
             "[L3]\nsize = %u\nways = %u\nline = %u\npolicy = %s\n",
             l2sets * l2ways * l2line, l2ways, l2line, p2, i2, l3sets * l3ways * l3line, l3ways, l3line, p3);
    mh_config *c = NULL;
    mh_error err = {0};
    return mh_config_parse(text, "fuzz.ini", &c, &err) == MH_OK ? c : NULL;
}

/* Replays recs through the parts: stretch by stretch, parts in an order rotated by `rot`, the
 * spanning record by part `rot` (mod the parts). */
static void replay_parts(mh_hier_part **p, unsigned np, const mh_rec *recs, size_t n, unsigned rot)
{
    uint8_t tag[MAX_RECS];
    mh_part_tag(p[0], recs, n, tag);
    for (size_t i = 0; i < n;) {
        size_t stop = n;
        for (unsigned k = 0; k < np; k++) {
            unsigned q = (k + rot) % np;
            size_t got = i + mh_part_replay(p[q], recs + i, tag + i, n - i);
            if (k > 0 && got != stop)
                abort(); /* every part stops at the same spanning record */
            stop = got;
        }
        if (stop == n)
            break;
        if (tag[stop] != MH_PART_SHARED)
            abort();
        mh_part_replay_shared(p[(stop + rot) % np], &recs[stop]);
        i = stop + 1;
    }
}

/* The same through per-part lists: recs dealt out (mh_part_deal; a spanning record into every
 * list), then stretch by stretch each part replays its list (mh_part_replay_own), parts in an
 * order rotated by `rot`, the spanning record by part `rot` + its number (mod the parts). */
static void replay_dealt(mh_hier_part **p, unsigned np, const mh_rec *recs, size_t n, unsigned rot)
{
    static mh_rec lists[MAX_PARTS][MAX_RECS];
    mh_rec *out[MAX_PARTS];
    size_t len[MAX_PARTS] = {0}, at[MAX_PARTS] = {0};
    for (unsigned k = 0; k < MAX_PARTS; k++)
        out[k] = lists[k];
    for (size_t i = 0; i < n;) {
        i += mh_part_deal(p[i % np], recs + i, n - i, out, len);
        for (unsigned k = 0; i < n && k < np; k++)
            out[k][len[k]++] = recs[i];
        i += i < n;
    }
    for (unsigned shared = 0;; shared++) {
        for (unsigned k = 0; k < np; k++) {
            unsigned q = (k + rot) % np;
            at[q] += mh_part_replay_own(p[q], out[q] + at[q], len[q] - at[q]);
        }
        for (unsigned k = 1; k < np; k++) /* every part stops at the same spanning record */
            if ((at[k] == len[k]) != (at[0] == len[0]) || (at[k] < len[k] && out[k][at[k]].addr != out[0][at[0]].addr))
                abort();
        if (at[0] == len[0])
            break;
        mh_part_replay_shared(p[(shared + rot) % np], &out[0][at[0]]);
        for (unsigned k = 0; k < np; k++)
            at[k]++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_rec recs[MAX_RECS];
    size_t n;
    mh_config *c = fuzz_input(data, size, shape_config, recs, MAX_RECS, &n);
    if (!c)
        return 0;
    mh_hier_opts o = {0, 0, data[5] & 1};
    mh_hier *a = NULL, *b = NULL;
    mh_error err = {0};
    if (mh_hier_create(c, &o, &a, &err) != MH_OK || mh_hier_create(c, &o, &b, &err) != MH_OK)
        abort();
    unsigned np = data[6] & 1 ? 4 : 2, rot = data[7] % MAX_PARTS;
    size_t warm = n ? data[5] % (n + 1) : 0;
    mh_hier_access(a, recs, n);
    mh_hier_access(b, recs, warm);
    mh_hier_part *p[MAX_PARTS] = {0};
    int rc = mh_hier_split(b, np, p, &err);
    if (rc == MH_OK) {
        if (data[7] & 0x80)
            replay_dealt(p, np, recs + warm, n - warm, rot);
        else
            replay_parts(p, np, recs + warm, n - warm, rot);
        mh_hier_join(b, p, np);
    } else if (rc == MH_EUNSUPPORTED && err.msg[0]) {
        mh_hier_access(b, recs + warm, n - warm); /* too few common set-index bits: not split */
    } else {
        abort();
    }
    fuzz_same(a, b);
    mh_hier_flush(a);
    mh_hier_flush(b);
    fuzz_same(a, b);
    mh_hier_destroy(a);
    mh_hier_destroy(b);
    mh_config_free(c);
    return 0;
}
