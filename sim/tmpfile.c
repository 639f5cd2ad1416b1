/* tmpfile.c — result files written under a temporary name and renamed when complete, so a
 * failed or interrupted run never leaves a partial file where a result is expected. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhier.h"
#include "tmpfile_int.h"

/* Existing non-regular files are written in place. */
int mh_path_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

/* Creates path's temporary sibling "path.tmp.<pid>" (its name goes to tmp[n]), or opens an
 * existing special file in place (tmp = ""); returns the stream, or NULL with err set (MH_EIO). */
FILE *mh_tmpfile_open(const char *path, char *tmp, size_t n, mh_error *err)
{
    int special = mh_path_special(path);
    if (special)
        snprintf(tmp, n, "%s", ""); /* commit then only closes */
    else
        snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    const char *name = special ? path : tmp;
    FILE *f = fopen(name, "w");
    if (!f)
        mh_error_set(err, MH_EIO, "%s: cannot create: %s", name, strerror(errno));
    return f;
}

/* Closes f; when ok, flushes, syncs and renames tmp over path, else (or on any failure) removes
 * tmp. Returns MH_OK, or MH_EIO (err set only when ok: a failure the caller did not expect). */
int mh_tmpfile_commit(FILE *f, const char *tmp, const char *path, int ok, mh_error *err)
{
    int bad = ferror(f) | (fflush(f) != 0) | (fsync(fileno(f)) != 0 && errno != EINVAL);
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!tmp[0]) /* a special file, written in place */
        return !ok ? MH_EIO : !bad ? MH_OK : mh_error_set(err, MH_EIO, "%s: cannot write: %s", path, strerror(e));
    if (ok && !bad) {
        if (rename(tmp, path) == 0)
            return MH_OK;
        e = errno;
    }
    unlink(tmp);
    if (!ok)
        return MH_EIO;
    return mh_error_set(err, MH_EIO, "%s: cannot write: %s", path, strerror(e));
}
