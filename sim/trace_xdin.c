/* trace_xdin.c — DineroIV extended din: `TYPE ADDRESS SIZE [ignored...]` per line,
 * TYPE one of r w i m c v, ADDRESS and SIZE hex (optional 0x). Addresses are kept exact. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"

/* Reader state. */
typedef struct xdin_state {
    uint64_t line;   /* number of the next line (1-based) */
} xdin_state;

/* Sets up the reader. */
static int xdin_open(mh_trace *t, mh_error *err)
{
    xdin_state *x = calloc(1, sizeof *x);
    if (!x)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", t->name);
    x->line = 1;
    t->priv = x;
    return MH_OK;
}

/* Maps an access type letter to an op; -1 when unknown. */
static int xdin_op(const char *f, size_t len)
{
    if (len != 1)
        return -1;
    switch (f[0]) {
    case 'r': return MH_OP_READ;
    case 'w': return MH_OP_WRITE;
    case 'i': return MH_OP_IFETCH;
    case 'm': return MH_OP_MISC;
    case 'c': return MH_OP_COPYBACK;
    case 'v': return MH_OP_INVALIDATE;
    default: return -1;
    }
}

/* Parses one line; *p advances past its '\n'. */
static int xdin_line(mh_trace *t, const char **p, const char *end, mh_rec *r, mh_error *err)
{
    unsigned long long ln = ((xdin_state *)t->priv)->line;
    const char *s = *p, *f, *fa;
    size_t len, lena;
    uint64_t addr, size;
    char q[48];
    if (!(f = mh_field(&s, &len)))
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: empty line, expected 'TYPE ADDRESS SIZE'",
                            t->name, ln);
    int op = xdin_op(f, len);
    if (op < 0)
        return mh_error_set(err, MH_EFORMAT,
                            "%s:%llu: unknown access type '%s', expected r, w, i, m, c or v",
                            t->name, ln, mh_quote(q, sizeof q, f, len));
    if (!(fa = mh_field(&s, &lena)))
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: missing address, expected 'TYPE ADDRESS SIZE'",
                            t->name, ln);
    int rc = mh_parse_hex(fa, lena, &addr);
    if (rc)
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: %s address '%s', expected %s", t->name, ln,
                            rc == -1 ? "non-hex" : "over-long", mh_quote(q, sizeof q, fa, lena),
                            rc == -1 ? "hex digits (optional 0x)" : "at most 16 hex digits");
    if (!(f = mh_field(&s, &len)))
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: missing size, expected 'TYPE ADDRESS SIZE'",
                            t->name, ln);
    if (mh_parse_hex(f, len, &size) != 0 || size == 0 || size > 0xffff)
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: bad size '%s', expected hex 1 to ffff",
                            t->name, ln, mh_quote(q, sizeof q, f, len));
    r->addr = addr;
    r->gap = 0;
    r->size = (uint16_t)size;
    r->op = (uint8_t)op;
    r->flags = 0;
    *p = (const char *)memchr(s, '\n', (size_t)(end - s)) + 1;
    return MH_OK;
}

/* Fills buf with up to cap records. */
static int xdin_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err)
{
    xdin_state *x = t->priv;
    mh_in *in = &t->in;
    size_t k = 0;
    while (k < cap) {
        int rc = mh_in_lines(in, x->line, err);
        if (rc)
            return rc;
        if (in->pos == in->lend)
            break;
        const char *p = in->buf + in->pos, *end = in->buf + in->lend;
        while (k < cap && p < end) {
            rc = xdin_line(t, &p, end, &buf[k], err);
            if (rc)
                break;
            k++;
            x->line++;
        }
        in->pos = (size_t)(p - in->buf);
        if (rc)
            return rc;
    }
    *n = k;
    return MH_OK;
}

const mh_reader_fmt mh_reader_xdin = {
    "xdin", "DineroIV extended din: 'r|w|i|m|c|v ADDRESS SIZE' per line, hex",
    0, xdin_open, xdin_read, mh_trace_free_priv,
};
