/* set.c — parsing of "--set section.key=value[,value...]" options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Splits "L1d.size=16K" into key (cap bytes) and *value (inside spec); MH_EINVAL when malformed. */
static int split_set(const char *spec, char *key, size_t cap, const char **value, mh_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= cap || !memchr(spec, '.', (size_t)(eq - spec)))
        return mh_error_set(err, MH_EINVAL, "--set %s: expected SECTION.KEY=VALUE, e.g. L1d.size=16K", spec);
    memcpy(key, spec, (size_t)(eq - spec));
    key[eq - spec] = '\0';
    *value = eq + 1;
    return MH_OK;
}

/* Applies "key=value" specs to c at once (validated together); returns MH_OK or the first error. */
int cli_apply_sets(mh_config *c, char *const *specs, int n, mh_error *err)
{
    enum { MAX_SETS = 64 };
    char keys[MAX_SETS][256];
    const char *kp[MAX_SETS], *vp[MAX_SETS];
    if (n > MAX_SETS)
        return mh_error_set(err, MH_EINVAL, "--set given %d times, at most %d", n, MAX_SETS);
    for (int i = 0; i < n; i++) {
        int rc = split_set(specs[i], keys[i], sizeof keys[i], &vp[i], err);
        if (rc != MH_OK)
            return rc;
        kp[i] = keys[i];
    }
    return mh_config_set_many(c, kp, vp, (size_t)n, err);
}

/* Splits "L1d.size=16K" and applies it to c; returns MH_OK or MH_EINVAL/MH_ECONFIG with context. */
int cli_apply_set(mh_config *c, const char *spec, mh_error *err)
{
    char key[256];
    const char *value = NULL;
    int rc = split_set(spec, key, sizeof key, &value, err);
    return rc == MH_OK ? mh_config_set(c, key, value, err) : rc;
}

/* Parses a count option's value: decimal digits with an optional K, M or G (10^3, 10^6, 10^9, as
 * gen --records takes them); MH_OK with *out in [min, max], else MH_EINVAL naming opt and the range. */
int cli_parse_count(const char *s, const char *opt, uint64_t min, uint64_t max, uint64_t *out, mh_error *err)
{
    char *end;
    errno = 0;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    uint64_t mul = 1;
    if (s[0] >= '0' && s[0] <= '9' && *end) {
        const char *u = strchr("kKmMgG", *end);
        mul = !u ? 0 : u - "kKmMgG" < 2 ? 1000 : u - "kKmMgG" < 4 ? 1000000 : 1000000000;
        end += mul != 0;
    }
    if (s[0] < '0' || s[0] > '9' || errno || *end || !mul || v > max / mul || v * mul < min)
        return mh_error_set(err, MH_EINVAL, "%s \"%s\": must be a count from %llu to %llu (K, M, G: 10^3, 10^6, 10^9)",
                            opt, s, (unsigned long long)min, (unsigned long long)max);
    *out = v * mul;
    return MH_OK;
}

/* Parses a --jobs value: an integer 1..256; returns MH_OK or MH_EINVAL with the allowed range. */
int cli_parse_jobs(const char *s, unsigned *out, mh_error *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 256)
        return mh_error_set(err, MH_EINVAL, "--jobs %s, must be an integer from 1 to 256", s);
    *out = (unsigned)v;
    return MH_OK;
}
