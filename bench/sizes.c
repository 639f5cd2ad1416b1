/* sizes.c — the --sizes parser (fuzzed by issue 8) and the log2 size ladder. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sizes.h"

/* Ladder point k of steps per doubling from lo: lo * 2^(k/steps), rounded down to 64 bytes. */
static size_t ladder_point(size_t lo, unsigned k, unsigned steps)
{
    if (k == 0)
        return lo;
    double v = (double)lo * exp2((double)k / (double)steps);
    size_t s = (size_t)(v + 1e-6);
    s -= s % BENCH_SIZE_MIN;
    return s < BENCH_SIZE_MIN ? BENCH_SIZE_MIN : s;
}

/* Fills out with lo..hi (both included), steps points per doubling. */
size_t bench_size_ladder(size_t lo, size_t hi, unsigned steps, size_t *out, size_t cap)
{
    size_t n = 0;
    if (steps == 0 || lo == 0 || hi < lo)
        return 0;
    for (unsigned k = 0; n < cap; k++) {
        size_t s = ladder_point(lo, k, steps);
        if (s > hi)
            break;
        if (n == 0 || s > out[n - 1])
            out[n++] = s;
    }
    size_t top = hi - hi % BENCH_SIZE_MIN;
    if (n < cap && n > 0 && out[n - 1] < top && top >= lo)
        out[n++] = top; /* the end point is always measured */
    return n;
}

/* Parses one SIZE of item `item` from [s, end); *v gets bytes. Returns MH_OK or MH_EINVAL. */
static int parse_one(const char *text, int item, const char *s, const char *end, size_t *v, mh_error *err)
{
    const char *p = s;
    while (p < end && isspace((unsigned char)*p))
        p++;
    const char *digits = p;
    unsigned long long x = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        if (x <= BENCH_SIZE_LIMIT) /* beyond the limit x only has to stay "too large" */
            x = x * 10 + (unsigned long long)(*p - '0');
        p++;
    }
    int len = (int)(end - s);
    if (p == digits)
        return mh_error_set(err, MH_EINVAL,
                            "--sizes \"%s\": item %d: \"%.*s\" is not a size (expected e.g. 4096, 64K, 16M, 1G)",
                            text, item, len, s);
    unsigned shift = 0;
    if (p < end && strchr("kKmMgGtT", *p)) {
        shift = (*p == 'k' || *p == 'K') ? 10 : (*p == 'm' || *p == 'M') ? 20 : (*p == 'g' || *p == 'G') ? 30 : 40;
        p++;
        if (p < end && *p == 'i')
            p++;
        if (p < end && (*p == 'B' || *p == 'b'))
            p++;
    } else if (p < end && (*p == 'B' || *p == 'b')) {
        p++;
    }
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p != end)
        return mh_error_set(err, MH_EINVAL,
                            "--sizes \"%s\": item %d: \"%.*s\" is not a size (expected e.g. 4096, 64K, 16M, 1G)",
                            text, item, len, s);
    if (x > (BENCH_SIZE_LIMIT >> shift))
        return mh_error_set(err, MH_EINVAL, "--sizes \"%s\": item %d: \"%.*s\" is too large (at most 1T)",
                            text, item, len, s);
    x <<= shift;
    if (x == 0)
        return mh_error_set(err, MH_EINVAL, "--sizes \"%s\": item %d: size must be > 0", text, item);
    if (x < BENCH_SIZE_MIN)
        return mh_error_set(err, MH_EINVAL,
                            "--sizes \"%s\": item %d: size %llu is below one cache line (%d bytes)", text,
                            item, x, BENCH_SIZE_MIN);
    *v = (size_t)x;
    return MH_OK;
}

/* Parses POINTS_PER_DOUBLING (1..64) of a range item. */
static int parse_steps(const char *text, int item, const char *s, const char *end, unsigned *steps,
                       mh_error *err)
{
    unsigned v = 0;
    const char *p = s;
    while (p < end && isdigit((unsigned char)*p) && v <= 64)
        v = v * 10 + (unsigned)(*p++ - '0');
    if (p == s || p != end || v < 1 || v > 64)
        return mh_error_set(err, MH_EINVAL,
                            "--sizes \"%s\": item %d: points per doubling \"%.*s\" must be 1..64", text, item,
                            (int)(end - s), s);
    *steps = v;
    return MH_OK;
}

/* Appends item [s, end) (SIZE or LO:HI[:STEPS]) to list (capacity BENCH_SIZES_MAX). */
static int parse_item(const char *text, int item, const char *s, const char *end, size_t *list, size_t *n,
                      mh_error *err)
{
    const char *c1 = memchr(s, ':', (size_t)(end - s));
    size_t lo, hi;
    unsigned steps = BENCH_LADDER_STEPS;
    int rc;
    if (!c1) {
        if ((rc = parse_one(text, item, s, end, &lo, err)) != MH_OK)
            return rc;
        if (*n >= BENCH_SIZES_MAX)
            return mh_error_set(err, MH_EINVAL, "--sizes \"%s\": more than %d sizes", text, BENCH_SIZES_MAX);
        list[(*n)++] = lo;
        return MH_OK;
    }
    const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
    const char *hend = c2 ? c2 : end;
    if ((rc = parse_one(text, item, s, c1, &lo, err)) != MH_OK ||
        (rc = parse_one(text, item, c1 + 1, hend, &hi, err)) != MH_OK ||
        (c2 && (rc = parse_steps(text, item, c2 + 1, end, &steps, err)) != MH_OK))
        return rc;
    if (lo > hi)
        return mh_error_set(err, MH_EINVAL, "--sizes \"%s\": item %d: range start %zu > end %zu", text, item,
                            lo, hi);
    size_t got = bench_size_ladder(lo, hi, steps, list + *n, BENCH_SIZES_MAX - *n);
    if (got == BENCH_SIZES_MAX - *n && list[*n + got - 1] < hi - hi % BENCH_SIZE_MIN)
        return mh_error_set(err, MH_EINVAL, "--sizes \"%s\": more than %d sizes", text, BENCH_SIZES_MAX);
    *n += got;
    return MH_OK;
}

/* Parses the whole --sizes value. */
int bench_parse_sizes(const char *text, size_t **out, size_t *n, mh_error *err)
{
    if (!text)
        return mh_error_set(err, MH_EINVAL, "--sizes: missing value");
    size_t *list = malloc(BENCH_SIZES_MAX * sizeof *list), cnt = 0;
    if (!list)
        return mh_error_set(err, MH_ENOMEM, "--sizes: out of memory");
    const char *s = text;
    int item = 1, rc = MH_OK;
    for (;;) {
        const char *end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        const char *q = s;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q == end) {
            rc = mh_error_set(err, MH_EINVAL,
                              "--sizes \"%s\": item %d is empty (expected e.g. 16K:64M or 4K,8K,1M)", text, item);
            break;
        }
        if ((rc = parse_item(text, item, s, end, list, &cnt, err)) != MH_OK)
            break;
        if (!*end)
            break;
        s = end + 1;
        item++;
    }
    if (rc != MH_OK) {
        free(list);
        return rc;
    }
    *out = list;
    *n = cnt;
    return MH_OK;
}
