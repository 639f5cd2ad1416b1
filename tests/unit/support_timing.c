/* support_timing.c — see support_timing.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support_timing.h"

/* The shared analytic machine (see the header). */
void support_timing_config(mh_config *c, const char *source)
{
    memset(c, 0, sizeof *c);
    strcpy(c->name, "test");
    snprintf(c->source, sizeof c->source, "%s", source);
    c->frequency_ghz = 1.0;
    c->nlevels = 3;
    const double lat[3] = {4, 12, 40};
    const uint64_t size[3] = {32768, 524288, 4194304};
    for (int i = 0; i < 3; i++) {
        mh_level_cfg *l = &c->level[i];
        snprintf(l->name, sizeof l->name, "L%d", i + 1);
        l->size = size[i];
        l->ways = 8;
        l->line = 64;
        l->sets = (uint32_t)(size[i] / (8 * 64));
        l->latency = lat[i];
        l->next = i < 2 ? i + 1 : -1;
        l->mshrs = 16;
    }
    c->ram.latency_ns = 100;
}

/* Creates a timing model or fails the test. */
mh_timing *support_timing_make(const mh_config *c)
{
    mh_timing *t = NULL;
    mh_error err = {0, ""};
    if (mh_timing_create(c, &t, &err) != MH_OK)
        fail_msg("mh_timing_create: %s", err.msg);
    return t;
}
