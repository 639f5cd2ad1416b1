/* val_clock.c — the core clock a validate run's points ran at: the core probe at the start of
 * each round and before each point's measurement, kept in RUN_DIR/clock.csv, so that validate and
 * revalidate turn simulated cycles into ns at that clock rather than at the one the config was
 * calibrated at. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Ascending order of doubles for qsort. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of the probes that read (> 0); 0 when none did (or out of memory). */
double val_clock_median(const double *ghz, size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v), med = 0;
    size_t m = 0;
    for (size_t i = 0; v && i < n; i++)
        if (ghz[i] > 0)
            v[m++] = ghz[i];
    if (m) {
        qsort(v, m, sizeof *v, cmp_double);
        med = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
    }
    free(v);
    return med;
}

/* Writes dir/clock.csv (round, GHz, cycles per independent add, busy: one row per probe; probes
 * that failed are left out) through a temporary file; MH_OK or MH_EIO with context. */
int val_clock_write(const char *dir, const int *round, const double *ghz, const double *cpi,
                    const unsigned char *busy, size_t n, mh_error *err)
{
    char path[4300], tmp[4400];
    snprintf(path, sizeof path, "%s/clock.csv", dir);
    FILE *f = mh_tmpfile_open(path, tmp, sizeof tmp, err);
    if (!f)
        return MH_EIO;
    fputs("round,frequency_ghz,base_cpi,busy\n", f);
    for (size_t i = 0; i < n; i++)
        if (ghz[i] > 0)
            fprintf(f, "%d,%.4f,%.4f,%d\n", round[i], ghz[i], cpi[i], busy ? busy[i] != 0 : 0);
    return mh_tmpfile_commit(f, tmp, path, 1, err);
}

/* Doubles v's room (*cap, from 64); the old array is freed when that fails (NULL). */
static double *grow(double *v, size_t *cap)
{
    size_t want = *cap ? 2 * *cap : 64;
    double *w = realloc(v, want * sizeof *w);
    if (!w)
        free(v);
    else
        *cap = want;
    return w;
}

/* Reads dir/clock.csv into *ghz (the median of its rounds); MH_OK with *ghz = 0 when the file
 * is absent (a run made before it existed), MH_EFORMAT naming file:line for a bad row. */
int val_clock_read(const char *dir, double *ghz, mh_error *err)
{
    char path[4300], line[256];
    double *v = NULL;
    size_t n = 0, cap = 0, ln = 0;
    int rc = MH_OK;
    *ghz = 0;
    snprintf(path, sizeof path, "%s/clock.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? MH_OK : mh_error_set(err, MH_EIO, "%s: cannot open: %s", path, strerror(errno));
    while (rc == MH_OK && fgets(line, sizeof line, f)) {
        unsigned round, busy = 0;
        double g, c;
        char extra;
        int got;
        if (++ln == 1) {
            if (strncmp(line, "round,frequency_ghz,base_cpi", 28))
                rc = mh_error_set(err, MH_EFORMAT, "%s:1: expected the header round,frequency_ghz,base_cpi[,busy]",
                                  path);
        } else if (((got = sscanf(line, "%u,%lf,%lf,%u %c", &round, &g, &c, &busy, &extra)) != 3 && got != 4) ||
                   busy > 1 || !(g > 0) || !(g < 100)) {
            rc = mh_error_set(err, MH_EFORMAT,
                              "%s:%zu: expected round,frequency_ghz,base_cpi[,busy] with 0 < GHz < 100, busy 0 or 1",
                              path, ln);
        } else if (n == cap && !(v = grow(v, &cap))) {
            rc = mh_error_set(err, MH_ENOMEM, "%s:%zu: out of memory", path, ln);
        } else {
            v[n++] = g;
        }
    }
    fclose(f);
    if (rc == MH_OK && !n)
        rc = mh_error_set(err, MH_EFORMAT, "%s: no probes", path);
    if (rc == MH_OK)
        *ghz = val_clock_median(v, n);
    free(v);
    return rc;
}
