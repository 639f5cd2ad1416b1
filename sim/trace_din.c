/* trace_din.c — DineroIV "din" traces: `LABEL ADDRESS [ignored...]` per line, hex.
 * Reading follows DineroIV's tracein_din: every record is 4 bytes at the address aligned
 * down to 4, the rest of a line is ignored, and an empty line is an error (DineroIV: short line). */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"

/* din label -> record op. */
static const uint8_t din_op[6] = {
    MH_OP_READ, MH_OP_WRITE, MH_OP_IFETCH, MH_OP_MISC, MH_OP_COPYBACK, MH_OP_INVALIDATE,
};

#define LABELS "0 read, 1 write, 2 ifetch, 3 misc, 4 copy-back or 5 invalidate"

/* Reader state. */
typedef struct din_state {
    uint64_t line;   /* number of the next line (1-based) */
} din_state;

/* Sets up the reader. */
static int din_open(mh_trace *t, mh_error *err)
{
    din_state *d = calloc(1, sizeof *d);
    if (!d)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", t->name);
    d->line = 1;
    t->priv = d;
    return MH_OK;
}

/* Parses one line with full checking; *p advances past its '\n'. */
static int din_line_slow(mh_trace *t, const char **p, const char *end, mh_rec *r, mh_error *err)
{
    din_state *d = t->priv;
    const char *s = *p, *f;
    size_t len;
    uint64_t v;
    char q[48];
    if (!(f = mh_field(&s, &len)))
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: empty line, expected 'LABEL ADDRESS'",
                            t->name, (unsigned long long)d->line);
    if (mh_parse_hex(f, len, &v) != 0 || v > 5)
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: unknown label '%s', expected " LABELS,
                            t->name, (unsigned long long)d->line, mh_quote(q, sizeof q, f, len));
    r->op = din_op[v];
    const char *lab = f;
    size_t lablen = len;
    if (!(f = mh_field(&s, &len)))
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: missing address after label '%s', expected 'LABEL ADDRESS'",
                            t->name, (unsigned long long)d->line, mh_quote(q, sizeof q, lab, lablen));
    int rc = mh_parse_hex(f, len, &v);
    if (rc == -1)
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: non-hex address '%s', expected hex digits (optional 0x)",
                            t->name, (unsigned long long)d->line, mh_quote(q, sizeof q, f, len));
    if (rc == -2)
        return mh_error_set(err, MH_EFORMAT, "%s:%llu: address '%s' exceeds 64 bits, expected at most 16 hex digits",
                            t->name, (unsigned long long)d->line, mh_quote(q, sizeof q, f, len));
    r->addr = v & ~(uint64_t)3;
    r->size = 4;
    r->gap = 0;
    r->flags = 0;
    *p = (const char *)memchr(s, '\n', (size_t)(end - s)) + 1;
    return MH_OK;
}

/* Parses whole lines in [*p, end) into out (at most cap); the common shape `D HEX\n` is inlined. */
static int din_parse(mh_trace *t, const char **pp, const char *end, mh_rec *out, size_t cap,
                     size_t *n, mh_error *err)
{
    din_state *d = t->priv;
    const char *p = *pp;
    size_t k = *n;
    while (k < cap && p < end) {
        const char *ls = p;
        unsigned lab = (unsigned)(uint8_t)p[0] - '0';
        if (lab <= 5 && (p[1] == ' ' || p[1] == '\t')) {
            p += 2;
            while (*p == ' ' || *p == '\t')
                p++;
            if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                p += 2;
            const char *ds = p;
            uint64_t a = 0;
            unsigned v;
            while ((v = mh_hexval[(uint8_t)*p]) != 0) {
                if (a >> 60)
                    goto slow;
                a = (a << 4) | (v - 1);
                p++;
            }
            if (p == ds)
                goto slow;
            if (*p == '\n')
                p++;
            else if (*p == ' ' || *p == '\t' || *p == '\r')
                p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
            else
                goto slow;
            out[k].addr = a & ~(uint64_t)3;
            out[k].gap = 0;
            out[k].size = 4;
            out[k].op = din_op[lab];
            out[k].flags = 0;
            k++;
            d->line++;
            continue;
        }
    slow:
        p = ls;
        int rc = din_line_slow(t, &p, end, &out[k], err);
        if (rc) {
            *pp = ls;
            *n = k;
            return rc;
        }
        k++;
        d->line++;
    }
    *pp = p;
    *n = k;
    return MH_OK;
}

/* Fills buf with up to cap records from whole buffered lines. */
static int din_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err)
{
    din_state *d = t->priv;
    mh_in *in = &t->in;
    size_t k = 0;
    while (k < cap) {
        int rc = mh_in_lines(in, d->line, err);
        if (rc)
            return rc;
        if (in->pos == in->lend)
            break;
        const char *p = in->buf + in->pos;
        rc = din_parse(t, &p, in->buf + in->lend, buf, cap, &k, err);
        in->pos = (size_t)(p - in->buf);
        if (rc)
            return rc;
    }
    *n = k;
    return MH_OK;
}

const mh_reader_fmt mh_reader_din = {
    "din", "DineroIV din: 'LABEL ADDRESS' per line, hex; every record 4 bytes at addr & ~3",
    0, din_open, din_read, mh_trace_free_priv,
};

/* ---- writer ---- */

/* record op -> din label; prefetch is written as 3 (misc: a read that triggers no prefetch). */
static const char op_label[MH_OP_COUNT] = {'0', '1', '2', '3', '3', '4', '5'};

/* Nothing to write before the records. */
static int dinw_open(mh_writer *w, const mh_meta *meta, mh_error *err)
{
    (void)w;
    (void)meta;
    (void)err;
    return MH_OK;
}

/* Formats "L hexaddr\n" per record into the output buffer. */
static int dinw_write(mh_writer *w, const mh_rec *recs, size_t n, mh_error *err)
{
    static const char hex[16] = "0123456789abcdef";
    char line[32];
    for (size_t i = 0; i < n; i++) {
        if (recs[i].op >= MH_OP_COUNT)
            return mh_error_set(err, MH_EINVAL, "%s: record %llu: op %u, expected 0..%d",
                                w->out.path, (unsigned long long)(w->records + i + 1),
                                recs[i].op, MH_OP_COUNT - 1);
        char digits[16];
        int nd = 0;
        uint64_t a = recs[i].addr;
        do {
            digits[nd++] = hex[a & 15];
            a >>= 4;
        } while (a);
        size_t len = 0;
        line[len++] = op_label[recs[i].op];
        line[len++] = ' ';
        while (nd)
            line[len++] = digits[--nd];
        line[len++] = '\n';
        int rc = mh_out_write(&w->out, line, len, err);
        if (rc)
            return rc;
    }
    return MH_OK;
}

/* Nothing to write after the records. */
static int dinw_finish(mh_writer *w, mh_error *err)
{
    (void)w;
    (void)err;
    return MH_OK;
}

/* No state to free. */
static void dinw_free(mh_writer *w)
{
    (void)w;
}

const mh_writer_fmt mh_writer_fmt_din = {
    "din", "DineroIV din text: 'LABEL hexaddr' (size, flags and gaps are dropped; prefetch -> 3 misc)",
    dinw_open, dinw_write, dinw_finish, dinw_free, NULL,
};
