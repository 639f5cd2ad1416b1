/* fuzz_resident.c — libFuzzer harness: the TRACE.resident sidecar parser (bench_pages_parse). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Accepted text gives ascending, disjoint, non-empty runs (adjacent ones merged), and pages
 * exactly when it gives runs; rejected text gives a negative code and a message naming the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size ? size : 1, "r");
    if (!f)
        return 0;
    if (!size)
        fgetc(f); /* an empty stream: read the one placeholder byte away */
    bench_pages *p = NULL;
    mh_error err = {0};
    int rc = bench_pages_parse(f, "fuzz.resident", &p, &err);
    fclose(f);
    if (rc == MH_OK) {
        uint64_t s, e, prev_end = 0;
        size_t runs = 0;
        if (!p)
            abort();
        for (; bench_pages_run(p, runs, &s, &e); runs++) {
            if (e <= s || (runs && s <= prev_end))
                abort(); /* empty, overlapping, touching (unmerged) or out of order */
            prev_end = e;
        }
        if ((runs > 0) != (bench_pages_count(p) > 0))
            abort();
        bench_pages_free(p);
    } else if (rc >= 0 || p || !strstr(err.msg, "fuzz.resident")) {
        abort();
    }
    return 0;
}
