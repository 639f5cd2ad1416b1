/* fuzz_set.c — libFuzzer harness: the --set parser (cli_apply_set, then mh_config_set, and
 * cli_apply_sets, then mh_config_set_many).
 * Input: one or more specs separated by newlines, applied in order to the teaching config;
 * a failed set must leave the config unchanged (its INI text identical). The same specs applied
 * at once must leave a failed config unchanged too, and when every one-at-a-time set succeeded
 * they must succeed and give the same config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_limits.h"
#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int cli_apply_set(mh_config *c, const char *spec, mh_error *err);   /* sim/cli/set.c */
int cli_apply_sets(mh_config *c, char *const *specs, int n, mh_error *err);

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

#define MAX_SPECS 64 /* cli_apply_sets' limit */

/* Applies specs[0..n) to c at once: a failure must leave c unchanged; when every one-at-a-time
 * set succeeded (all_ok), success is required and c must equal seq. */
static void check_together(mh_config *c, char **specs, int n, int all_ok, const mh_config *seq)
{
    mh_error err = {0};
    char *before = ini_of(c);
    int rc = cli_apply_sets(c, specs, n, &err);
    char *after = ini_of(c), *want = seq ? ini_of(seq) : NULL;
    if (rc != MH_OK && (rc >= 0 || err.msg[0] == '\0'))
        abort();
    if (rc != MH_OK && before && after && strcmp(before, after) != 0)
        abort();   /* a rejected set of overrides changed the config */
    if (all_ok && n <= MAX_SPECS && rc != MH_OK)
        abort();   /* valid one at a time, so valid together */
    if (all_ok && rc == MH_OK && after && want && strcmp(after, want) != 0)
        abort();   /* together and one at a time disagree */
    free(before);
    free(after);
    free(want);
}

/* Applies each line of the input as a --set spec, then all of them at once. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mh_config *c = NULL, *c2 = NULL;
    mh_error err = {0};
    char *specs[MAX_SPECS + 1];
    int n = 0, all_ok = 1;
    if (mh_config_parse(base_text, "fuzz.ini", &c, &err) != MH_OK || !(c2 = mh_config_clone(c)))
        abort();
    char *text = malloc(size + 1), *copy = malloc(size + 1);
    if (!text || !copy) {
        free(text);
        free(copy);
        mh_config_free(c);
        mh_config_free(c2);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    memcpy(copy, text, size + 1);
    for (char *save = NULL, *spec = strtok_r(copy, "\n", &save); spec; spec = strtok_r(NULL, "\n", &save))
        if (n <= MAX_SPECS)
            specs[n++] = spec;
    for (char *save = NULL, *spec = strtok_r(text, "\n", &save); spec; spec = strtok_r(NULL, "\n", &save)) {
        char *before = ini_of(c);
        int rc = cli_apply_set(c, spec, &err);
        if (rc != MH_OK) {
            all_ok = 0;
            if (rc >= 0 || err.msg[0] == '\0')
                abort();
            char *after = ini_of(c);
            if (before && after && strcmp(before, after) != 0)
                abort();   /* a rejected --set changed the config */
            free(after);
        }
        free(before);
    }
    if (n > 0)
        check_together(c2, specs, n, all_ok, c);
    free(text);
    free(copy);
    mh_hier *h = NULL;
    if (fuzz_config_small(c) && mh_hier_create(c, NULL, &h, &err) == MH_OK)
        mh_hier_destroy(h);
    mh_config_free(c);
    mh_config_free(c2);
    return 0;
}
