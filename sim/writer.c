/* writer.c — trace writer registry, buffered output to "PATH.tmp.PID" and the
 * mh_writer_* API: the file appears under PATH only when mh_writer_close succeeds. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tmpfile_int.h"
#include "trace_int.h"

#ifndef MH_VERSION_STRING
#define MH_VERSION_STRING "unknown"
#endif

/* The writers. */
static const mh_writer_fmt *const writers[] = {&mh_writer_fmt_mht, &mh_writer_fmt_din};
#define NWRITERS (sizeof writers / sizeof writers[0])

/* Writes n bytes with write(2), retrying short writes and EINTR. */
static int out_raw(mh_out *o, const char *p, size_t n, mh_error *err)
{
    while (n) {
        ssize_t r = write(o->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return mh_error_set(err, MH_EIO, "%s: write failed: %s", o->path,
                                r < 0 ? strerror(errno) : "no progress");
        p += r;
        n -= (size_t)r;
    }
    return MH_OK;
}

/* Writes out the buffer. */
int mh_out_flush(mh_out *o, mh_error *err)
{
    int rc = out_raw(o, o->buf, o->len, err);
    o->len = 0;
    return rc;
}

/* Appends n bytes; large pieces bypass the buffer. */
int mh_out_write(mh_out *o, const void *p, size_t n, mh_error *err)
{
    if (o->len + n <= MH_OUT_BUF) {
        memcpy(o->buf + o->len, p, n);
        o->len += n;
        return MH_OK;
    }
    int rc = mh_out_flush(o, err);
    if (rc)
        return rc;
    if (n >= MH_OUT_BUF / 2)
        return out_raw(o, p, n, err);
    memcpy(o->buf, p, n);
    o->len = n;
    return MH_OK;
}

/* Frees w and its state (the file is left as it is). */
static void writer_free(mh_writer *w)
{
    if (w->fmt)
        w->fmt->free(w);
    if (!w->out.is_stdout && w->out.fd >= 0)
        close(w->out.fd);
    free(w->out.buf);
    free(w);
}

/* Opens the temporary file (or stdout for "-"). */
static int out_open(mh_out *o, const char *path, mh_error *err)
{
    o->fd = -1;
    if (strcmp(path, "-") == 0) {
        o->is_stdout = 1;
        o->fd = 1;
        snprintf(o->path, sizeof o->path, "<stdout>");
        return MH_OK;
    }
    if (strlen(path) >= sizeof o->path)
        return mh_error_set(err, MH_EINVAL, "%.64s...: path longer than %zu bytes", path,
                            sizeof o->path - 1);
    snprintf(o->path, sizeof o->path, "%s", path);
    if (mh_path_special(path)) { /* /dev/null, a FIFO: a rename would replace it */
        o->in_place = 1;
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0)
            return mh_error_set(err, MH_EIO, "%s: cannot open: %s", path, strerror(errno));
        return MH_OK;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (o->fd < 0)
        return mh_error_set(err, MH_EIO, "%s: cannot create %s: %s", path, o->tmp, strerror(errno));
    return MH_OK;
}

/* Adds "created" (UTC) and "version" to a copy of the caller's metadata when absent. */
static void default_meta(mh_meta *m, const mh_meta *given)
{
    if (given)
        *m = *given;
    else
        memset(m, 0, sizeof *m);
    if (!mh_meta_get(m, "created")) {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        if (gmtime_r(&now, &tm) && strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
            (void)mh_meta_set(m, "created", ts);
    }
    if (!mh_meta_get(m, "version"))
        (void)mh_meta_set(m, "version", MH_VERSION_STRING);
}

/* Creates a writer for format ("mht" or "din") at path ("-" = stdout). */
int mh_writer_open(const char *path, const char *format, const mh_meta *meta, mh_writer **out,
                   mh_error *err)
{
    const mh_writer_fmt *f = NULL;
    for (size_t i = 0; i < NWRITERS; i++)
        if (strcmp(writers[i]->name, format) == 0)
            f = writers[i];
    if (!f)
        return mh_error_set(err, MH_EINVAL, "unknown output trace format '%s', expected mht or din",
                            format);
    mh_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->out.buf = malloc(MH_OUT_BUF))) {
        free(w);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory for the writer", path);
    }
    int rc = out_open(&w->out, path, err);
    if (rc) {
        writer_free(w);
        return rc;
    }
    mh_meta m;
    default_meta(&m, meta);
    rc = f->open(w, &m, err);
    w->fmt = f;
    if (rc) {
        mh_writer_abort(w);
        return rc;
    }
    *out = w;
    return MH_OK;
}

/* Appends n records; a failure repeats on every later call. */
int mh_writer_set(mh_writer *w, const char *key, const char *value, mh_error *err)
{
    if (!w || !key || !value)
        return mh_error_set(err, MH_EINVAL, "mh_writer_set: writer, key and value must not be NULL");
    if (w->records)
        return mh_error_set(err, MH_EINVAL, "%s: option %s set after %llu records, must come before the first",
                            w->out.path, key, (unsigned long long)w->records);
    if (!w->fmt->set)
        return mh_error_set(err, MH_EINVAL, "%s: %s writer: unknown option '%s' (it has none)", w->out.path,
                            w->fmt->name, key);
    return w->fmt->set(w, key, value, err);
}

int mh_writer_write(mh_writer *w, const mh_rec *recs, size_t n, mh_error *err)
{
    if (w->status) {
        if (err)
            *err = w->saved;
        return w->status;
    }
    int rc = w->fmt->write(w, recs, n, &w->saved);
    if (rc) {
        w->status = w->saved.code = rc;
        if (err)
            *err = w->saved;
        return rc;
    }
    w->records += n;
    return MH_OK;
}

/* Finishes the format, flushes, fsyncs and renames over path; frees w in every case. */
int mh_writer_close(mh_writer *w, mh_error *err)
{
    int rc = w->status;
    if (rc && err)
        *err = w->saved;
    if (!rc)
        rc = w->fmt->finish(w, err);
    if (!rc)
        rc = mh_out_flush(&w->out, err);
    if (!rc && !w->out.is_stdout && !w->out.in_place && fsync(w->out.fd) != 0)
        rc = mh_error_set(err, MH_EIO, "%s: fsync failed: %s", w->out.path, strerror(errno));
    if (!rc && !w->out.is_stdout) {
        int fd = w->out.fd;
        w->out.fd = -1;
        if (close(fd) != 0)
            rc = mh_error_set(err, MH_EIO, "%s: close failed: %s", w->out.path, strerror(errno));
        else if (!w->out.in_place && rename(w->out.tmp, w->out.path) != 0)
            rc = mh_error_set(err, MH_EIO, "%s: cannot rename %s: %s", w->out.path, w->out.tmp,
                              strerror(errno));
    }
    if (rc) {
        mh_writer_abort(w);
        return rc;
    }
    writer_free(w);
    return MH_OK;
}

/* Removes the temporary file and frees w; NULL is a no-op. */
void mh_writer_abort(mh_writer *w)
{
    if (!w)
        return;
    if (!w->out.is_stdout && w->out.tmp[0])
        unlink(w->out.tmp);
    writer_free(w);
}
