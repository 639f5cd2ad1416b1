/* fuzz_lackey.c — libFuzzer harness: the lackey trace reader (named format, then detection). */
#include "fuzz_trace.h"

/* Always as "lackey"; when the first byte is even, also through format detection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace_one(data, size, "lackey");
    if (size > 0 && (data[0] & 1) == 0)
        fuzz_trace_one(data, size, NULL);
    return 0;
}
