/* trace_lackey.c — output of `valgrind --tool=lackey --trace-mem=yes`:
 * "I  ADDR,SIZE" instruction fetch, " L ADDR,SIZE" load, " S ADDR,SIZE" store,
 * " M ADDR,SIZE" modify (emitted as a load then a store of the same bytes).
 * ADDR is hex, SIZE decimal. Valgrind's own lines (==PID==, --PID--, **PID**) are skipped. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"

/* Reader state. */
typedef struct lackey_state {
    uint64_t line;   /* number of the next line (1-based) */
    int pending;     /* 1: the store half of an M line is waiting in held */
    mh_rec held;     /* that store */
} lackey_state;

/* Sets up the reader. */
static int lackey_open(mh_trace *t, mh_error *err)
{
    lackey_state *l = calloc(1, sizeof *l);
    if (!l)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", t->name);
    l->line = 1;
    t->priv = l;
    return MH_OK;
}

/* 1 when the line is one of Valgrind's own messages (==123==, --123--, **123**). */
static int is_banner(const char *p)
{
    return (p[0] == '=' || p[0] == '-' || p[0] == '*') && p[1] == p[0] && p[2] >= '0' && p[2] <= '9';
}

/* Reports a malformed line, quoting it. */
static int bad_line(mh_trace *t, const char *s, const char *end, const char *what, mh_error *err)
{
    char q[48];
    size_t len = (size_t)((const char *)memchr(s, '\n', (size_t)(end - s)) - s);
    return mh_error_set(err, MH_EFORMAT,
                        "%s:%llu: malformed lackey line '%s' (%s), expected 'I  ADDR,SIZE', "
                        "' L|S|M ADDR,SIZE' or a ==PID== line",
                        t->name, (unsigned long long)((lackey_state *)t->priv)->line,
                        mh_quote(q, sizeof q, s, len), what);
}

/* Parses one line into 0, 1 or 2 records at r; *p advances past its '\n'. */
static int lackey_line(mh_trace *t, const char **p, const char *end, mh_rec *r, int *nrec,
                       mh_error *err)
{
    const char *s = *p, *q;
    int op;
    *nrec = 0;
    if (is_banner(s)) {
        *p = (const char *)memchr(s, '\n', (size_t)(end - s)) + 1;
        return MH_OK;
    }
    if (s[0] == 'I' && s[1] == ' ' && s[2] == ' ')
        op = MH_OP_IFETCH;
    else if (s[0] == ' ' && s[1] == 'L' && s[2] == ' ')
        op = MH_OP_READ;
    else if (s[0] == ' ' && s[1] == 'S' && s[2] == ' ')
        op = MH_OP_WRITE;
    else if (s[0] == ' ' && s[1] == 'M' && s[2] == ' ')
        op = -1;
    else
        return bad_line(t, s, end, "unknown kind", err);
    uint64_t a = 0, size = 0;
    unsigned v;
    for (q = s + 3; (v = mh_hexval[(uint8_t)*q]) != 0; q++) {
        if (a >> 60)
            return bad_line(t, s, end, "address over 64 bits", err);
        a = (a << 4) | (v - 1);
    }
    if (q == s + 3 || *q != ',')
        return bad_line(t, s, end, "address not hex or no ','", err);
    const char *ds = ++q;
    for (; *q >= '0' && *q <= '9'; q++) {
        size = size * 10 + (uint64_t)(*q - '0');
        if (size > 0xffff)
            return bad_line(t, s, end, "size over 65535", err);
    }
    if (*q == '\r')
        q++;
    if (q == ds || *q != '\n')
        return bad_line(t, s, end, "size not decimal", err);
    if (size == 0)
        return bad_line(t, s, end, "size 0", err);
    r[0].addr = a;
    r[0].gap = 0;
    r[0].size = (uint16_t)size;
    r[0].op = (uint8_t)(op < 0 ? MH_OP_READ : op);
    r[0].flags = 0;
    *nrec = 1;
    if (op < 0) {
        r[1] = r[0];
        r[1].op = MH_OP_WRITE;
        *nrec = 2;
    }
    *p = q + 1;
    return MH_OK;
}

/* Fills buf with up to cap records; an M line split across calls is finished first. */
static int lackey_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err)
{
    lackey_state *l = t->priv;
    mh_in *in = &t->in;
    size_t k = 0;
    if (l->pending) {
        buf[k++] = l->held;
        l->pending = 0;
    }
    while (k < cap) {
        int rc = mh_in_lines(in, l->line, err);
        if (rc)
            return rc;
        if (in->pos == in->lend)
            break;
        const char *p = in->buf + in->pos, *end = in->buf + in->lend;
        while (k < cap && p < end) {
            mh_rec two[2];
            int m;
            rc = lackey_line(t, &p, end, two, &m, err);
            if (rc)
                break;
            l->line++;
            for (int i = 0; i < m; i++) {
                if (k < cap) {
                    buf[k++] = two[i];
                } else {
                    l->held = two[i];
                    l->pending = 1;
                }
            }
        }
        in->pos = (size_t)(p - in->buf);
        if (rc)
            return rc;
    }
    *n = k;
    return MH_OK;
}

const mh_reader_fmt mh_reader_lackey = {
    "lackey", "valgrind --tool=lackey --trace-mem=yes output (M = load then store)",
    0, lackey_open, lackey_read, mh_trace_free_priv,
};
