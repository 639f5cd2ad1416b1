/* replay.c — the CLI's replay loop shared by sim, compare and sweep. */
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cli.h"

#define REPLAY_BATCH 4096

/* See cli.h. */
void cli_spin_pause(void)
{
#ifdef __SSE2__
    _mm_pause(); /* x86: tells the core this is a wait loop (and leaves the sibling thread room) */
#endif
}

/* Streams every record of t through h in batches; returns MH_OK, a reader error, or MH_EINTR
 * when a signal asked us to stop. *records (if non-NULL) receives the count replayed. */
int cli_replay(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err)
{
    mh_rec *buf = malloc(REPLAY_BATCH * sizeof *buf);
    uint64_t total = 0;
    int rc = MH_OK;
    if (!buf)
        return mh_error_set(err, MH_ENOMEM, "replay buffer: out of memory");
    for (;;) {
        size_t n = 0;
        rc = mh_trace_read(t, buf, REPLAY_BATCH, &n, err);
        if (rc != MH_OK || n == 0)
            break;
        mh_hier_access(h, buf, n);
        total += n;
        if (cli_interrupted()) {
            rc = mh_error_set(err, MH_EINTR, "interrupted after %llu records", (unsigned long long)total);
            break;
        }
    }
    free(buf);
    if (records)
        *records = total;
    return rc;
}

/* Loads a config and applies "key=value" overrides (validated together, the last of a repeated
 * key winning); returns MH_OK or the first error. */
int cli_load_config(const char *path, char **sets, int nsets, mh_config **out, mh_error *err)
{
    mh_config *c = NULL;
    int rc = mh_config_load(path, &c, err);
    if (rc == MH_OK && nsets > 0)
        rc = cli_apply_sets(c, sets, nsets, err);
    if (rc != MH_OK) {
        mh_config_free(c);
        return rc;
    }
    *out = c;
    return MH_OK;
}
