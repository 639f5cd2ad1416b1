/* fuzz_din.c — libFuzzer harness: the din trace reader (named format, then detection). */
#include "fuzz_trace.h"

/* Always as "din"; when the first byte is even, also through format detection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace_one(data, size, "din");
    if (size > 0 && (data[0] & 1) == 0)
        fuzz_trace_one(data, size, NULL);
    return 0;
}
