/* config_units.c — number and size syntax for configs: "32K", "0.5", powers of two. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* Returns 1 when v is a power of two (v >= 1). */
int mh_is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* Parses a plain decimal integer (digits only, no sign); *end gets the first non-digit. */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return 0;
}

/* Parses a plain non-negative decimal integer; returns 0 or -1. */
int mh_parse_u64(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t v;
    if (!s || parse_digits(s, &v, &end) || *end)
        return -1;
    *out = v;
    return 0;
}

/* Returns the shift of a binary suffix letter (K 10, M 20, G 30, T 40), or -1. */
static int suffix_shift(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    default: return -1;
    }
}

/* Parses "32K", "2M", "1G", "4096", "64KiB", "8kb"; returns 0 or -1. */
int mh_parse_size(const char *s, uint64_t *out)
{
    const char *p;
    uint64_t v;
    int shift = 0;
    if (!s || parse_digits(s, &v, &p))
        return -1;
    if (*p && suffix_shift(*p) >= 0) {
        shift = suffix_shift(*p++);
        if (!strcasecmp(p, "iB"))
            p += 2;
    }
    if (!strcasecmp(p, "B"))
        p++;
    if (*p)
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* Parses a finite decimal number (no hex, inf or nan); returns 0 or -1. */
int mh_parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (!s || !*s || strpbrk(s, "xXnNiI"))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Writes v with the largest exact binary suffix ("32K", "2M", "100"). */
void mh_format_size(uint64_t v, char *buf, size_t n)
{
    static const char suf[] = "TGMK";
    for (int i = 0; i < 4; i++) {
        int shift = 40 - 10 * i;
        if (v && (v & ((UINT64_C(1) << shift) - 1)) == 0) {
            snprintf(buf, n, "%llu%c", (unsigned long long)(v >> shift), suf[i]);
            return;
        }
    }
    snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* Writes v as an integer when it is one, else in the shortest %g form that parses back to v. */
void mh_format_double(double v, char *buf, size_t n)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}
