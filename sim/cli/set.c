/* set.c — parsing of "--set section.key=value[,value...]" options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Splits "L1d.size=16K" and applies it to c; returns MH_OK or MH_EINVAL/MH_ECONFIG with context. */
int cli_apply_set(mh_config *c, const char *spec, mh_error *err)
{
    char key[256];
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof key || !memchr(spec, '.', (size_t)(eq - spec)))
        return mh_error_set(err, MH_EINVAL, "--set %s: expected SECTION.KEY=VALUE, e.g. L1d.size=16K", spec);
    memcpy(key, spec, (size_t)(eq - spec));
    key[eq - spec] = '\0';
    return mh_config_set(c, key, eq + 1, err);
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
