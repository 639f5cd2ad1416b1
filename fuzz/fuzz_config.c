/* fuzz_config.c — libFuzzer harness: the INI config parser (mh_config_parse) and, for
 * configs it accepts, the round trip through mh_config_write_ini and a hierarchy build
 * (skipped for huge geometries, see fuzz_limits.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_limits.h"
#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses a config; returns it or NULL, aborting on a failure without a negative code and message. */
static mh_config *parse(const char *text, const char *name)
{
    mh_config *c = NULL;
    mh_error err = {0};
    int rc = mh_config_parse(text, name, &c, &err);
    if (rc != MH_OK && (rc >= 0 || err.msg[0] == '\0' || c))
        abort();
    return rc == MH_OK ? c : NULL;
}

/* Text in, config out; an accepted config must write back to text that parses again. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    mh_config *c = parse(text, "fuzz.ini");
    free(text);
    if (!c)
        return 0;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (f && mh_config_write_ini(c, f) == MH_OK && fclose(f) == 0) {
        mh_config *again = parse(out, "roundtrip.ini");
        if (!again)
            abort();   /* what the writer wrote, the parser must read */
        mh_config_free(again);
    } else if (f) {
        fclose(f);
    }
    free(out);
    mh_config *copy = mh_config_clone(c);
    mh_hier *h = NULL;
    mh_error err = {0};
    if (copy && fuzz_config_small(copy) && mh_hier_create(copy, NULL, &h, &err) == MH_OK)
        mh_hier_destroy(h);
    mh_config_free(copy);
    mh_config_free(c);
    return 0;
}
