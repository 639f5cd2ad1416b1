/* fuzz_sizes.c — libFuzzer harness: the --sizes parser (bench_parse_sizes). */
#include <stdlib.h>
#include <string.h>

#include "sizes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Accepted lists hold 1..BENCH_SIZES_MAX sizes, each a line or more and at most the limit. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    size_t *sizes = NULL, n = 0;
    mh_error err = {0};
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int rc = bench_parse_sizes(text, &sizes, &n, &err);
    if (rc == MH_OK) {
        if (n == 0 || n > BENCH_SIZES_MAX || !sizes)
            abort();
        for (size_t i = 0; i < n; i++)
            if (sizes[i] < BENCH_SIZE_MIN || sizes[i] > BENCH_SIZE_LIMIT)
                abort();
        free(sizes);
    } else if (rc >= 0 || err.msg[0] == '\0') {
        abort();
    }
    free(text);
    return 0;
}
