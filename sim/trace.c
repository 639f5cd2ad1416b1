/* trace.c — trace format registry, detection from content, buffered input and the
 * mh_trace_* / mh_meta_* API. Format specifics live in trace_<format>.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_int.h"

/* The readers, in detection order. */
static const mh_reader_fmt *const readers[] = {
    &mh_reader_mht, &mh_reader_lackey, &mh_reader_xdin, &mh_reader_din,
};
#define NREADERS (sizeof readers / sizeof readers[0])

#define SNIFF_BYTES 4096

const uint8_t mh_hexval[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* ---- metadata ---- */

/* Sets key to value, replacing an existing key; MH_EINVAL when too long, MH_ENOMEM when full. */
int mh_meta_set(mh_meta *m, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value), i;
    if (kl == 0 || kl >= sizeof m->kv[0].key || vl >= sizeof m->kv[0].value)
        return MH_EINVAL;
    for (i = 0; i < m->n && strcmp(m->kv[i].key, key) != 0; i++)
        ;
    if (i == m->n) {
        if (m->n >= MH_META_MAX)
            return MH_ENOMEM;
        m->n++;
    }
    memcpy(m->kv[i].key, key, kl + 1);
    memcpy(m->kv[i].value, value, vl + 1);
    return MH_OK;
}

/* Returns the value of key, or NULL when absent. */
const char *mh_meta_get(const mh_meta *m, const char *key)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->kv[i].key, key) == 0)
            return m->kv[i].value;
    return NULL;
}

/* ---- small parsing helpers shared by the text readers ---- */

/* Parses len chars of hex (optional 0x): 0 ok, -1 not hex, -2 more than 64 bits. */
int mh_parse_hex(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = mh_hexval[(uint8_t)s[i]];
        if (!d)
            return -1;
        if (v >> 60)
            return -2;
        v = (v << 4) | (d - 1);
    }
    *out = v;
    return 0;
}

/* Returns the next field of a '\n'-terminated line and its length; NULL at the line end. */
const char *mh_field(const char **p, size_t *len)
{
    const char *s = *p, *e;
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    if (*s == '\n') {
        *p = s;
        return NULL;
    }
    for (e = s; *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n'; e++)
        ;
    *p = e;
    *len = (size_t)(e - s);
    return s;
}

/* Copies a field for a message: at most 40 chars, non-printables shown as '?'. */
const char *mh_quote(char *dst, size_t dstlen, const char *s, size_t len)
{
    size_t n = len < 40 ? len : 40, i;
    if (n + 4 > dstlen)
        n = dstlen - 4;
    for (i = 0; i < n; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n < len && i + 3 < dstlen) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
    return dst;
}

/* ---- buffered input ---- */

/* Reads more bytes into the buffer tail; sets eof on end of input. */
static int in_more(mh_in *in, mh_error *err)
{
    if (in->pos > 0 && in->pos == in->len) {
        in->pos = in->len = in->lend = 0;
    } else if (in->len == MH_IN_BUF && in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->lend = in->lend > in->pos ? in->lend - in->pos : 0;
        in->pos = 0;
    }
    for (;;) {
        ssize_t r = read(in->fd, in->buf + in->len, MH_IN_BUF - in->len);
        if (r > 0) {
            in->len += (size_t)r;
            return MH_OK;
        }
        if (r == 0) {
            in->eof = 1;
            return MH_OK;
        }
        if (errno != EINTR)
            return mh_error_set(err, MH_EIO, "%s: read failed: %s", in->name, strerror(errno));
    }
}

/* Fills the buffer until want unread bytes are there or input ends. */
int mh_in_peek(mh_in *in, size_t want, mh_error *err)
{
    while (in->len - in->pos < want && !in->eof && in->len < MH_IN_BUF) {
        int rc = in_more(in, err);
        if (rc)
            return rc;
    }
    return MH_OK;
}

/* Copies up to n bytes into dst, reading large remainders straight from the file. */
int mh_in_read(mh_in *in, void *dst, size_t n, size_t *got, mh_error *err)
{
    char *d = dst;
    size_t done = 0;
    while (done < n) {
        size_t have = in->len - in->pos;
        if (have) {
            size_t k = have < n - done ? have : n - done;
            memcpy(d + done, in->buf + in->pos, k);
            in->pos += k;
            done += k;
            continue;
        }
        if (in->eof)
            break;
        in->pos = in->len = in->lend = 0;
        if (n - done >= MH_IN_BUF / 2) {
            ssize_t r = read(in->fd, d + done, n - done);
            if (r > 0)
                done += (size_t)r;
            else if (r == 0)
                in->eof = 1;
            else if (errno != EINTR)
                return mh_error_set(err, MH_EIO, "%s: read failed: %s", in->name,
                                    strerror(errno));
            continue;
        }
        int rc = in_more(in, err);
        if (rc)
            return rc;
    }
    *got = done;
    return MH_OK;
}

/* Makes [pos, lend) whole lines ending in '\n'; pos == lend afterwards at end of input. */
int mh_in_lines(mh_in *in, uint64_t line, mh_error *err)
{
    if (in->pos < in->lend)
        return MH_OK;
    for (;;) {
        const char *nl = in->len > in->pos ? memrchr(in->buf + in->pos, '\n', in->len - in->pos) : NULL;
        if (nl) {
            in->lend = (size_t)(nl - in->buf) + 1;
            return MH_OK;
        }
        if (in->eof) {
            if (in->len > in->pos)   /* last line without '\n': the buffer has room for one */
                in->buf[in->len++] = '\n';
            in->lend = in->len;
            return MH_OK;
        }
        if (in->pos == 0 && in->len == MH_IN_BUF)
            return mh_error_set(err, MH_EFORMAT, "%s:%llu: line longer than %u bytes, expected one record per line",
                                in->name, (unsigned long long)line, MH_IN_BUF);
        int rc = in_more(in, err);
        if (rc)
            return rc;
    }
}

/* ---- detection ---- */

/* Returns the reader for the buffered first bytes, or NULL when none fits. */
static const mh_reader_fmt *detect(const char *b, size_t n)
{
    size_t m = n < sizeof mh_mht_magic ? n : sizeof mh_mht_magic;
    if (n >= 4 && memcmp(b, mh_mht_magic, m) == 0)
        return &mh_reader_mht;
    if (n == 0)
        return &mh_reader_din;   /* empty input: an empty trace */
    const char *e = b + n, *p = b;
    while (p < e && (*p == '\n' || *p == '\r'))   /* skip blank lines for sniffing only */
        p++;
    if (e - p >= 3) {
        if ((p[0] == '=' && p[1] == '=' && p[2] >= '0' && p[2] <= '9') ||
            (p[0] == '-' && p[1] == '-' && p[2] >= '0' && p[2] <= '9'))
            return &mh_reader_lackey;
        if ((p[0] == 'I' && p[1] == ' ' && p[2] == ' ') ||
            (p[0] == ' ' && (p[1] == 'L' || p[1] == 'S' || p[1] == 'M') && p[2] == ' '))
            return &mh_reader_lackey;
    }
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (e - p >= 2 && (p[1] == ' ' || p[1] == '\t')) {
        if (strchr("rwimcv", p[0]) && p[0])
            return &mh_reader_xdin;
        if (p[0] >= '0' && p[0] <= '5')
            return &mh_reader_din;
    }
    return NULL;
}

/* ---- the API ---- */

/* Allocates a trace handle and opens path ("-" = stdin) for reading. */
static int trace_new(const char *path, mh_trace **out, mh_error *err)
{
    mh_trace *t = calloc(1, sizeof *t);
    if (!t || !(t->in.buf = malloc(MH_IN_BUF + 1))) {
        free(t);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory for the trace buffer", path);
    }
    int is_stdin = strcmp(path, "-") == 0;
    snprintf(t->name, sizeof t->name, "%s", is_stdin ? "<stdin>" : path);
    t->in.name = t->name;
    if (is_stdin) {
        t->in.fd = 0;
    } else {
        t->in.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (t->in.fd < 0) {
            int e = errno;
            free(t->in.buf);
            free(t);
            /* A path that does not exist is the caller's bad input (exit 2), like a missing config. */
            return mh_error_set(err, e == ENOENT || e == ENOTDIR ? MH_ENOTFOUND : MH_EIO, "%s: cannot open: %s",
                                path, strerror(e));
        }
        t->in.own_fd = 1;
    }
    *out = t;
    return MH_OK;
}

/* Runs the format's open; on failure frees t. */
static int trace_start(mh_trace *t, const mh_reader_fmt *f, mh_trace **out, mh_error *err)
{
    t->fmt = f;
    int rc = f->open(t, err);
    if (rc) {
        mh_trace_close(t);
        return rc;
    }
    *out = t;
    return MH_OK;
}

/* Opens path ("-" = stdin); the format is detected from its first bytes. */
int mh_trace_open(const char *path, mh_trace **out, mh_error *err)
{
    mh_trace *t;
    int rc = trace_new(path, &t, err);
    if (rc)
        return rc;
    rc = mh_in_peek(&t->in, SNIFF_BYTES, err);
    const mh_reader_fmt *f = rc ? NULL : detect(t->in.buf, t->in.len);
    if (!rc && !f)
        rc = mh_error_set(err, MH_EFORMAT,
                          "%s: cannot detect trace format (expected din, xdin, lackey or mht)",
                          t->name);
    if (rc) {
        mh_trace_close(t);
        return rc;
    }
    return trace_start(t, f, out, err);
}

/* Opens path with the named format, without detection. */
int mh_trace_open_format(const char *path, const char *format, mh_trace **out, mh_error *err)
{
    const mh_reader_fmt *f = NULL;
    for (size_t i = 0; i < NREADERS; i++)
        if (strcmp(readers[i]->name, format) == 0)
            f = readers[i];
    if (!f)
        return mh_error_set(err, MH_EINVAL, "unknown trace format '%s', expected din, xdin, lackey or mht",
                            format);
    mh_trace *t;
    int rc = trace_new(path, &t, err);
    if (rc)
        return rc;
    return trace_start(t, f, out, err);
}

/* Reads up to cap records; *n = 0 at the end. A failure repeats on every later call. */
int mh_trace_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err)
{
    if (t->status) {
        if (err)
            *err = t->saved;
        return t->status;
    }
    if (cap == 0)
        return mh_error_set(err, MH_EINVAL, "%s: read with an empty buffer", t->name);
    size_t got = 0;
    int rc = t->fmt->read(t, buf, cap, &got, &t->saved);
    if (rc) {
        t->status = t->saved.code = rc;
        if (err)
            *err = t->saved;
        return rc;
    }
    *n = got;
    return MH_OK;
}

/* Returns the format name. */
const char *mh_trace_format(const mh_trace *t)
{
    return t->fmt->name;
}

/* Returns the metadata (empty unless the format has a header). */
const mh_meta *mh_trace_meta(const mh_trace *t)
{
    return &t->meta;
}

/* 1 when the format records dependency flags and instruction gaps. */
int mh_trace_has_timing_info(const mh_trace *t)
{
    return t->fmt->timing;
}

/* Closes the trace and frees everything; NULL is a no-op. */
void mh_trace_close(mh_trace *t)
{
    if (!t)
        return;
    if (t->fmt && t->fmt->close)
        t->fmt->close(t);
    if (t->in.own_fd)
        close(t->in.fd);
    free(t->in.buf);
    free(t);
}

/* A reader's close for state that is one malloc'd block: frees t->priv. */
void mh_trace_free_priv(mh_trace *t)
{
    free(t->priv);
    t->priv = NULL;
}
