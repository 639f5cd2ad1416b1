/* error.c — status codes, error context and record-op names. */
#include <stdarg.h>
#include <stdio.h>

#include "memhier.h"

/* Returns a static description of code; never NULL. */
const char *mh_strerror(int code)
{
    switch (code) {
    case MH_OK: return "success";
    case MH_ENOMEM: return "out of memory";
    case MH_EINVAL: return "invalid argument";
    case MH_ECONFIG: return "invalid configuration";
    case MH_EIO: return "input/output error";
    case MH_EFORMAT: return "malformed trace";
    case MH_ECORRUPT: return "corrupt or truncated trace";
    case MH_ENOTFOUND: return "not found";
    case MH_EUNSUPPORTED: return "not supported";
    case MH_EINTR: return "interrupted";
    default: return "unknown error";
    }
}

/* Fills err (when non-NULL) and returns code, so callers can `return mh_error_set(...)`. */
int mh_error_set(mh_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Returns the name of a record op, or "?" when out of range. */
const char *mh_op_name(int op)
{
    static const char *const names[MH_OP_COUNT] = {
        "read", "write", "ifetch", "misc", "prefetch", "copyback", "invalidate",
    };
    return (op >= 0 && op < MH_OP_COUNT) ? names[op] : "?";
}
