/* fuzz_trace.h — shared body of the trace-reader fuzz harnesses (header-only, static).
 * The input bytes go to a memfd, the reader opens it through /proc/self/fd/N (a fresh
 * file offset each time), every record is read in small batches and replayed through a
 * tiny two-level hierarchy, so the readers and the record validation/line-splitting in the
 * hierarchy both see hostile input. */
#ifndef MH_FUZZ_TRACE_H
#define MH_FUZZ_TRACE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The teaching config, embedded so a harness needs no file next to it. */
static const char fuzz_config_text[] =
    "[hierarchy]\nname = fuzz\nifetch = L1\ndata = L1\nfrequency_ghz = 1.0\nbase_cpi = 1\n"
    "[L1]\nsize = 128\nways = 2\nline = 16\npolicy = lru\nwrite = back\nallocate = yes\n"
    "inclusion = nine\nlatency = 1\nnext = L2\n"
    "[L2]\nsize = 512\nways = 4\nline = 16\npolicy = lru\nwrite = back\nallocate = yes\n"
    "inclusion = nine\nlatency = 10\n"
    "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\nbandwidth_gbs = 0\n";

/* Writes data to a fresh memfd and prints its /proc path into path; returns the fd or -1. */
static int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

/* Opens the bytes as format (NULL = detect), reads every record and replays them. */
static int fuzz_trace_one(const uint8_t *data, size_t size, const char *format)
{
    static mh_config *cfg;
    char path[64];
    mh_error err = {0};
    mh_trace *t = NULL;
    mh_hier *h = NULL;
    mh_rec buf[61];   /* odd batch size: records cross buffer boundaries */
    if (!cfg && mh_config_parse(fuzz_config_text, "fuzz.ini", &cfg, &err) != MH_OK)
        abort();      /* the embedded config must parse */
    int fd = fuzz_memfd(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    int rc = format ? mh_trace_open_format(path, format, &t, &err) : mh_trace_open(path, &t, &err);
    if (rc == MH_OK && mh_hier_create(cfg, NULL, &h, &err) != MH_OK)
        abort();
    while (rc == MH_OK) {
        size_t n = 0;
        rc = mh_trace_read(t, buf, sizeof buf / sizeof buf[0], &n, &err);
        if (rc != MH_OK || n == 0)
            break;
        for (size_t i = 0; i < n; i++)   /* the readers' contract: valid ops, size >= 1 */
            if (buf[i].op >= MH_OP_COUNT || buf[i].size == 0)
                abort();
        mh_hier_access(h, buf, n);
    }
    if (rc != MH_OK && (rc >= 0 || err.msg[0] == '\0'))
        abort();      /* every failure is a negative code with a message */
    if (t)
        (void)mh_trace_format(t), (void)mh_trace_meta(t);
    mh_hier_destroy(h);
    mh_trace_close(t);
    close(fd);
    return 0;
}

#endif
