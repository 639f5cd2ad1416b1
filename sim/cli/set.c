/* set.c — parsing of "--set section.key=value[,value...]" options. */
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
