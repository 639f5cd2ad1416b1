/* fuzz_set.c — libFuzzer harness: the --set parser (cli_apply_set, then mh_config_set).
 * Input: one or more specs separated by newlines, applied in order to the teaching config;
 * a failed set must leave the config unchanged (its INI text identical). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_limits.h"
#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int cli_apply_set(mh_config *c, const char *spec, mh_error *err);   /* sim/cli/set.c */

static const char base_text[] =
    "[hierarchy]\nname = fuzz\nifetch = L1i\ndata = L1d\nfrequency_ghz = 2.0\n"
    "[L1i]\nsize = 1K\nways = 2\nline = 64\nnext = L2\n"
    "[L1d]\nsize = 1K\nways = 4\nline = 64\npolicy = plru\nnext = L2\n"
    "[L2]\nsize = 8K\nways = 8\nline = 64\npolicy = srrip\ninclusion = nine\n";

/* Returns c as INI text (malloc'ed), or NULL. */
static char *ini_of(const mh_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = mh_config_write_ini(c, f);
    fclose(f);
    if (rc != MH_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Applies each line of the input as a --set spec. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mh_config *c = NULL;
    mh_error err = {0};
    if (mh_config_parse(base_text, "fuzz.ini", &c, &err) != MH_OK)
        abort();
    char *text = malloc(size + 1);
    if (!text) {
        mh_config_free(c);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *save = NULL, *spec = strtok_r(text, "\n", &save); spec; spec = strtok_r(NULL, "\n", &save)) {
        char *before = ini_of(c);
        int rc = cli_apply_set(c, spec, &err);
        if (rc != MH_OK) {
            if (rc >= 0 || err.msg[0] == '\0')
                abort();
            char *after = ini_of(c);
            if (before && after && strcmp(before, after) != 0)
                abort();   /* a rejected --set changed the config */
            free(after);
        }
        free(before);
    }
    free(text);
    mh_hier *h = NULL;
    if (fuzz_config_small(c) && mh_hier_create(c, NULL, &h, &err) == MH_OK)
        mh_hier_destroy(h);
    mh_config_free(c);
    return 0;
}
