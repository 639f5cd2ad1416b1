/* fuzz_mht.c — libFuzzer harness: the mht trace reader (named format, then detection). */
#include "fuzz_trace.h"

/* Always as "mht"; when the first byte is even, also through format detection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace_one(data, size, "mht");
    if (size > 0 && (data[0] & 1) == 0)
        fuzz_trace_one(data, size, NULL);
    return 0;
}
