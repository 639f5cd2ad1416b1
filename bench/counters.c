/* counters.c — PAPI event sets: availability checks with reasons, one set per ctr_set, or
 * groups of events taking turns by repetition when they do not fit the counters at once. */
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "counters_perf.h"

#define CTR_NAME_MAX 64
#define CTR_REASON_MAX 320
#define CTR_MAX_GROUPS 8          /* event groups at most (one repetition each, in turn) */

enum { BACKEND_NONE, BACKEND_PAPI, BACKEND_PERF };

/* One requested event. */
typedef struct ctr_event {
    char name[CTR_NAME_MAX];      /* as requested */
    int available;                /* counted (by PAPI or perf_event_open) */
    int hardware;                 /* 1 PMU event, 0 kernel software event */
    int backend;                  /* BACKEND_*: who counts it */
    int fd;                       /* perf_event_open fd for BACKEND_PERF, else -1 */
    int same_as;                  /* index of an earlier request of the same name (read there), else -1 */
    int group;                    /* PAPI: its event group, -1 = in every group (software events) */
    int pos;                      /* PAPI: its position in its group's event set */
    char reason[CTR_REASON_MAX];  /* why unavailable, "" when available */
    char note[CTR_REASON_MAX];    /* how it is counted when not through PAPI, else "" */
} ctr_event;

struct ctr_set {
    ctr_event *ev;                /* requested events, in order */
    size_t n;                     /* number of requested events */
    size_t navail;                /* available events (PAPI set + perf fds) */
    int set[CTR_MAX_GROUPS];      /* PAPI event set of each group */
    int ngroups;                  /* groups built; 0 = nothing counted through PAPI */
    int cur;                      /* the group the next (or running) repetition counts */
    int running;                  /* between ctr_start and ctr_stop */
    long long *raw;               /* values from PAPI_stop, in the running set's order */
};

const char *const ctr_default_events[] = {
    "PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_L3_TCM", "PAPI_TOT_CYC", "PAPI_TOT_INS",
    "perf::PAGE-FAULTS", "perf::MINOR-FAULTS", "perf::MAJOR-FAULTS", "perf::TASK-CLOCK",
};

/* Number of default events. */
size_t ctr_default_count(void)
{
    return sizeof ctr_default_events / sizeof ctr_default_events[0];
}

/* 1 if name is a PMU event, 0 for a perf:: kernel software event. */
static int is_hardware_name(const char *name)
{
    return ctr_perf_sw_config(name) < 0;
}

/* PAPI's reason for disabling its perf_event component, or NULL when enabled or unknown. */
static const char *component_disabled(void)
{
    if (PAPI_is_initialized() == PAPI_NOT_INITED)
        return NULL;
    int cidx = PAPI_get_component_index("perf_event");
    const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
    return ci && ci->disabled ? ci->disabled_reason : NULL;
}

/* PAPI cannot count e (why: PAPI call `what` returned code): software events fall back to a
 * direct perf_event_open counter; anything else is marked unavailable with PAPI's reason. */
static void perf_fallback(ctr_event *e, const char *what, int code)
{
    char papi[200];
    const char *why = component_disabled();
    snprintf(papi, sizeof papi, "%s: %s (%d)%s%.100s%s", what, PAPI_strerror(code), code,
             why ? " [PAPI perf_event component disabled: " : "", why ? why : "", why ? "]" : "");
    e->available = 0;
    e->backend = BACKEND_NONE;
    long long config = ctr_perf_sw_config(e->name);
    if (config < 0) {
        snprintf(e->reason, CTR_REASON_MAX, "%s%s", papi,
                 code == PAPI_ENOEVNT ? "; no hardware PMU event for it on this machine" : "");
        return;
    }
    int user_only = 0;
    int fd = ctr_perf_open(config, &user_only);
    if (fd < 0) {
        snprintf(e->reason, CTR_REASON_MAX, "%s; perf_event_open: %s", papi, strerror(-fd));
        return;
    }
    e->fd = fd;
    e->available = 1;
    e->backend = BACKEND_PERF;
    snprintf(e->note, CTR_REASON_MAX, "PAPI: %s; counted with perf_event_open%s", papi,
             user_only ? " (user space only)" : "");
}

/* PAPI failed for the whole set: every PAPI-backed event falls back or becomes unavailable. */
static void mark_all(ctr_set *s, const char *what, int code)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].backend == BACKEND_PAPI)
            perf_fallback(&s->ev[i], what, code);
}

/* Initialises PAPI once per process (PAPI keeps that state); returns PAPI_OK or the error. */
static int papi_init(void)
{
    if (PAPI_is_initialized() != PAPI_NOT_INITED)
        return PAPI_OK;
    int v = PAPI_library_init(PAPI_VER_CURRENT);
    if (v != PAPI_VER_CURRENT)
        return v < 0 ? v : PAPI_EINVAL;
    PAPI_set_debug(PAPI_QUIET);
    return PAPI_OK;
}

/* Frees every group's PAPI event set. */
static void drop_groups(ctr_set *s)
{
    for (int g = 0; g < s->ngroups; g++) {
        PAPI_cleanup_eventset(s->set[g]);
        PAPI_destroy_eventset(&s->set[g]);
    }
    s->ngroups = 0;
}

/* 1 if event i is one PAPI counts in every group: software events take no counter. */
static int in_every_group(const ctr_set *s, size_t i)
{
    return s->ev[i].backend == BACKEND_PAPI && !s->ev[i].hardware;
}

/* Adds the every-group events to set es (group g), at its first positions. In group 0 one that
 * fails falls back (perf_event_open or unavailable); in a later group a failure returns -1 (the
 * positions would no longer match group 0's). Returns how many were added. */
static int add_shared(ctr_set *s, int es, int g)
{
    int k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!in_every_group(s, i))
            continue;
        int rc = PAPI_add_named_event(es, s->ev[i].name);
        if (rc == PAPI_OK) {
            s->ev[i].available = 1;
            s->ev[i].group = -1;
            s->ev[i].pos = k++;
        } else if (g == 0) {
            perf_fallback(&s->ev[i], "PAPI_add_named_event", rc);
        } else {
            return -1;
        }
    }
    return k;
}

/* Adds to set es (group g, k events in it already) the hardware events not placed yet, in
 * request order, skipping those the counters left have no room for; returns how many it placed. */
static int add_pending(ctr_set *s, int es, int g, int k)
{
    int placed = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->ev[i].backend != BACKEND_PAPI || !s->ev[i].hardware || s->ev[i].available)
            continue;
        int rc = PAPI_add_named_event(es, s->ev[i].name);
        if (rc == PAPI_OK) {
            s->ev[i].available = 1;
            s->ev[i].group = g;
            s->ev[i].pos = k + placed++;
        } else if (rc != PAPI_ECNFLCT && rc != PAPI_ECOUNT) {
            perf_fallback(&s->ev[i], "PAPI_add_named_event", rc);
        }
    }
    return placed;
}

/* The PAPI events left unplaced (all counters taken) become unavailable, saying why. */
static void mark_unplaced(ctr_set *s, const char *why)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].backend == BACKEND_PAPI && !s->ev[i].available) {
            s->ev[i].backend = BACKEND_NONE;
            snprintf(s->ev[i].reason, CTR_REASON_MAX, "%s", why);
        }
}

/* Builds the PAPI event sets: one when the hardware events fit the counters together, else
 * groups of them (the software events in each) that ctr_start takes in turn, one per repetition.
 * PAPI's multiplexing would share the counters within a repetition instead, but a repetition
 * (often microseconds) is shorter than Linux's multiplexing interval (milliseconds), so most of
 * its scaled counts would be zeros or guesses. */
static void build_groups(ctr_set *s)
{
    int any = 0;
    for (size_t i = 0; i < s->n; i++)
        any |= s->ev[i].backend == BACKEND_PAPI;
    for (int g = 0; any && g < CTR_MAX_GROUPS; g++) {
        int es = PAPI_NULL, rc = PAPI_create_eventset(&es);
        if (rc != PAPI_OK && g == 0) {
            mark_all(s, "PAPI_create_eventset", rc);
            return;
        }
        if (rc != PAPI_OK) {
            char why[200];
            snprintf(why, sizeof why, "PAPI_create_eventset for event group %d: %s (%d)", g + 1, PAPI_strerror(rc), rc);
            mark_unplaced(s, why);
            return;
        }
        s->set[s->ngroups++] = es;
        int k = add_shared(s, es, g), placed = k < 0 ? 0 : add_pending(s, es, g, k);
        int left = 0;
        for (size_t i = 0; i < s->n; i++)
            left += s->ev[i].backend == BACKEND_PAPI && !s->ev[i].available;
        if (placed == 0 && (g > 0 || k <= 0)) { /* nothing new in a fresh set: keep none */
            s->ngroups--;
            PAPI_cleanup_eventset(es);
            PAPI_destroy_eventset(&es);
            if (!left)
                return;
            break;
        }
        if (!left)
            return;
    }
    char why[240];
    snprintf(why, sizeof why, "PAPI_add_named_event: %s (%d): no room for it in any of %d event groups",
             PAPI_strerror(PAPI_ECNFLCT), PAPI_ECNFLCT, CTR_MAX_GROUPS);
    mark_unplaced(s, why);
}

/* Index of the first request of event i's name, or -1 when i is the first: PAPI refuses an event
 * twice in one set (PAPI_ECNFLCT, as if the counters ran out), so a repeat reads the first's count. */
static int first_request(const ctr_set *s, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(s->ev[j].name, s->ev[i].name))
            return (int)j;
    return -1;
}

/* A repeated request takes its first request's availability, reason and note (not its backend:
 * it owns no counter, so ctr_stop copies the first's value instead of reading one). */
static void copy_first(ctr_set *s, size_t i)
{
    if (s->ev[i].same_as < 0)
        return;
    const ctr_event *f = &s->ev[s->ev[i].same_as];
    ctr_event *e = &s->ev[i];
    e->available = f->available;
    memcpy(e->reason, f->reason, sizeof e->reason);
    memcpy(e->note, f->note, sizeof e->note);
}

/* Creates a set for names (NULL/0: the defaults); unavailable events are marked, never fatal. */
int ctr_create(const char *const *names, size_t n, ctr_set **out, mh_error *err)
{
    if (!out || (n && !names))
        return mh_error_set(err, MH_EINVAL, "ctr_create: out is NULL or names missing");
    if (!n) {
        names = ctr_default_events;
        n = ctr_default_count();
    }
    ctr_set *s = calloc(1, sizeof *s);
    if (!s || !(s->ev = calloc(n, sizeof *s->ev)) || !(s->raw = calloc(n, sizeof *s->raw))) {
        ctr_destroy(s);
        return mh_error_set(err, MH_ENOMEM, "ctr_create: out of memory");
    }
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !names[i][0] || strlen(names[i]) >= CTR_NAME_MAX) {
            ctr_destroy(s);
            return mh_error_set(err, MH_EINVAL, "counter event %zu: name empty or longer than %d characters", i,
                                CTR_NAME_MAX - 1);
        }
        snprintf(s->ev[i].name, CTR_NAME_MAX, "%s", names[i]);
        s->ev[i].hardware = is_hardware_name(names[i]);
        s->ev[i].fd = -1;
        s->ev[i].same_as = first_request(s, i);
    }
    int rc = papi_init();
    for (size_t i = 0; i < n; i++) {
        if (s->ev[i].same_as >= 0)
            continue;
        int q = rc == PAPI_OK ? PAPI_query_named_event(s->ev[i].name) : rc;
        if (q == PAPI_OK)
            s->ev[i].backend = BACKEND_PAPI;
        else
            perf_fallback(&s->ev[i], rc == PAPI_OK ? "PAPI_query_named_event" : "PAPI_library_init", q);
    }
    if (rc == PAPI_OK)
        build_groups(s);
    s->navail = 0;
    for (size_t i = 0; i < n; i++) {
        copy_first(s, i);
        s->navail += s->ev[i].available;
    }
    *out = s;
    return MH_OK;
}

/* Frees s, stopping the set if it runs. */
void ctr_destroy(ctr_set *s)
{
    if (!s)
        return;
    if (s->running && s->ngroups && s->raw)
        PAPI_stop(s->set[s->cur], s->raw);
    drop_groups(s);
    for (size_t i = 0; s->ev && i < s->n; i++)
        if (s->ev[i].fd >= 0)
            close(s->ev[i].fd);
    free(s->raw);
    free(s->ev);
    free(s);
}

/* Number of requested events. */
size_t ctr_count(const ctr_set *s)
{
    return s ? s->n : 0;
}

/* Name of event i ("" when out of range). */
const char *ctr_name(const ctr_set *s, size_t i)
{
    return s && i < s->n ? s->ev[i].name : "";
}

/* 1 if event i is counted. */
int ctr_available(const ctr_set *s, size_t i)
{
    return s && i < s->n ? s->ev[i].available : 0;
}

/* Why event i is unavailable; "" when available. */
const char *ctr_reason(const ctr_set *s, size_t i)
{
    return s && i < s->n ? s->ev[i].reason : "no such event index";
}

/* 1 for a PMU event, 0 for a software event. */
int ctr_is_hardware(const ctr_set *s, size_t i)
{
    return s && i < s->n ? s->ev[i].hardware : 0;
}

/* Who counts event i: "papi", "perf_event_open" or "none". */
const char *ctr_backend(const ctr_set *s, size_t i)
{
    static const char *const names[] = {"none", "papi", "perf_event_open"};
    if (!s || i >= s->n)
        return "none";
    const ctr_event *e = s->ev[i].same_as >= 0 ? &s->ev[s->ev[i].same_as] : &s->ev[i];
    return names[e->backend];
}

/* Why event i is not counted through PAPI although available; "" otherwise. */
const char *ctr_note(const ctr_set *s, size_t i)
{
    return s && i < s->n ? s->ev[i].note : "";
}

/* Number of available events. */
size_t ctr_available_count(const ctr_set *s)
{
    return s ? s->navail : 0;
}

/* Event i's group (from 0) when the groups take turns; -1 when counted in every repetition. */
int ctr_group_of(const ctr_set *s, size_t i)
{
    if (!s || i >= s->n || s->ngroups < 2)
        return -1;
    const ctr_event *e = s->ev[i].same_as >= 0 ? &s->ev[s->ev[i].same_as] : &s->ev[i];
    return e->backend == BACKEND_PAPI && e->available ? e->group : -1;
}

/* Event groups taking turns, one per repetition (1: all at once; 0: none through PAPI). */
int ctr_groups(const ctr_set *s)
{
    return s ? s->ngroups : 0;
}

/* Prints one line per unavailable event ("counter NAME not measured: REASON") to f, and one
 * saying so when the hardware events take turns in groups. */
void ctr_report_unavailable(const ctr_set *s, FILE *f)
{
    size_t hw = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        if (!s->ev[i].available)
            fprintf(f, "counter %s not measured: %s\n", s->ev[i].name, s->ev[i].reason);
        hw += s->ev[i].available && s->ev[i].hardware && s->ev[i].same_as < 0;
    }
    if (s && s->ngroups > 1)
        fprintf(f, "counters: the PMU cannot count the %zu hardware events at once: %d groups take turns, one "
                   "per repetition (the software events in each); each median is over its group's repetitions\n",
                hw, s->ngroups);
}

/* Starts one repetition. */
int ctr_start(ctr_set *s, mh_error *err)
{
    if (!s)
        return mh_error_set(err, MH_EINVAL, "ctr_start: set is NULL");
    if (s->running)
        return mh_error_set(err, MH_EINVAL, "ctr_start: counters already running");
    for (size_t i = 0; i < s->n; i++) {
        int rc = s->ev[i].backend == BACKEND_PERF ? ctr_perf_enable(s->ev[i].fd) : 0;
        if (rc < 0)
            return mh_error_set(err, MH_EUNSUPPORTED, "perf_event_open counter %s: enable failed: %s",
                                s->ev[i].name, strerror(-rc));
    }
    if (s->ngroups) {
        int rc = PAPI_start(s->set[s->cur]);
        if (rc != PAPI_OK)
            return mh_error_set(err, MH_EUNSUPPORTED, "PAPI_start: %s (%d)", PAPI_strerror(rc), rc);
    }
    s->running = 1;
    return MH_OK;
}

/* Stops the repetition; values[i] gets event i's count or CTR_NOT_MEASURED. */
int ctr_stop(ctr_set *s, long long *values, mh_error *err)
{
    if (!s || !values)
        return mh_error_set(err, MH_EINVAL, "ctr_stop: set and values are required");
    if (!s->running)
        return mh_error_set(err, MH_EINVAL, "ctr_stop: counters are not running");
    s->running = 0;
    int g = s->cur;
    if (s->ngroups) {
        int rc = PAPI_stop(s->set[g], s->raw);
        s->cur = (g + 1) % s->ngroups;
        if (rc != PAPI_OK)
            return mh_error_set(err, MH_EUNSUPPORTED, "PAPI_stop: %s (%d)", PAPI_strerror(rc), rc);
    }
    for (size_t i = 0; i < s->n; i++) {
        const ctr_event *e = &s->ev[i];
        values[i] = CTR_NOT_MEASURED;
        if (e->same_as >= 0)
            values[i] = values[e->same_as];
        else if (e->backend == BACKEND_PAPI && e->available && (e->group < 0 || e->group == g))
            values[i] = s->raw[e->pos];
        else if (s->ev[i].backend == BACKEND_PERF) {
            int rc = ctr_perf_read(s->ev[i].fd, &values[i]);
            if (rc < 0)
                return mh_error_set(err, MH_EIO, "perf_event_open counter %s: read failed: %s", s->ev[i].name,
                                    strerror(-rc));
        }
    }
    return MH_OK;
}
