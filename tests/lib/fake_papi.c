/* fake_papi.c — a stand-in for libpapi with a simulated PMU, so that the hardware-counter path
 * (presets available, counters running out, event groups, PAPI's own errors) runs on a machine
 * without one. Linked into test_counters_pmu in place of -lpapi, and built as a shared object
 * that tests/integration/counters_pmu.sh preloads into bin/memhier. Test code only: the library
 * and the tool never use it.
 *
 * What it models, after PAPI 7's documented behaviour:
 * - presets PAPI_L1_DCM, PAPI_L2_DCM, PAPI_L3_TCM, PAPI_TOT_CYC, PAPI_TOT_INS, PAPI_L1_ICM,
 *   PAPI_L2_ICM, PAPI_TLB_DM and PAPI_BR_MSP are hardware events; FAKE_PAPI_ABSENT (comma-separated names) removes some
 *   (PAPI_query_named_event: PAPI_ENOEVNT), as on a CPU without that event;
 * - perf::PAGE-FAULTS, perf::MINOR-FAULTS, perf::MAJOR-FAULTS and perf::TASK-CLOCK are software
 *   events, counted for real (getrusage and the thread's CPU clock) and needing no counter;
 * - FAKE_PAPI_COUNTERS hardware counters (default 4): adding one more hardware event to a set,
 *   or an event already in the set, fails with PAPI_ECNFLCT (memhier does not multiplex, so
 *   neither does the fake);
 * - FAKE_PAPI_INIT_FAIL makes PAPI_library_init fail with PAPI_ECMP (PAPI stays uninitialised);
 * - FAKE_PAPI_SETS event sets at most alive at once (default 64; past them PAPI_ENOMEM);
 * - one running event set per thread (PAPI_start on a second: PAPI_EISRUN);
 * - the hardware counts are made up from the thread's CPU time t (ns), so that they are positive,
 *   grow with the work and are exactly known: TOT_CYC = 3 t (a 3 GHz clock), TOT_INS = 2 TOT_CYC,
 *   L1_DCM = TOT_CYC / 16, L2_DCM = TOT_CYC / 64, L3_TCM = TOT_CYC / 256, L1_ICM = TOT_CYC / 1024,
 *   L2_ICM = TOT_CYC / 2048, TLB_DM = TOT_CYC / 4096, BR_MSP = TOT_CYC / 8
 *   (FAKE_PAPI_CYCLES_PER_NS replaces the 3). */
#include <papi.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FAKE_SETS 64            /* event sets alive at once */
#define FAKE_EVENTS 32          /* events per set */

/* One event this PMU knows. */
typedef struct fake_event {
    const char *name;           /* PAPI's name */
    int code;                   /* event code (presets: PAPI's own) */
    int hardware;               /* takes a counter */
    long long mul, div;         /* hardware: TOT_CYC * mul / div (software: see value_of) */
} fake_event;

static const fake_event events[] = {
    {"PAPI_L1_DCM", PAPI_L1_DCM, 1, 1, 16},      {"PAPI_L2_DCM", PAPI_L2_DCM, 1, 1, 64},
    {"PAPI_L3_TCM", PAPI_L3_TCM, 1, 1, 256},     {"PAPI_TOT_CYC", PAPI_TOT_CYC, 1, 1, 1},
    {"PAPI_TOT_INS", PAPI_TOT_INS, 1, 2, 1},     {"PAPI_L1_ICM", PAPI_L1_ICM, 1, 1, 1024},
    {"PAPI_TLB_DM", PAPI_TLB_DM, 1, 1, 4096},    {"perf::PAGE-FAULTS", 0x40000001, 0, 0, 1},
    {"perf::MINOR-FAULTS", 0x40000002, 0, 0, 1}, {"perf::MAJOR-FAULTS", 0x40000003, 0, 0, 1},
    {"perf::TASK-CLOCK", 0x40000004, 0, 0, 1},   {"PAPI_BR_MSP", PAPI_BR_MSP, 1, 1, 8},
    {"PAPI_L2_ICM", PAPI_L2_ICM, 1, 1, 2048},
};
#define NEVENTS (sizeof events / sizeof events[0])

/* The software readings an event's count is the difference of. */
typedef struct reading {
    long long cpu_ns;           /* thread CPU time */
    long long minflt, majflt;   /* thread page faults */
} reading;

/* One event set. */
typedef struct fake_set {
    int used;                   /* allocated */
    int running;                /* started, not stopped */
    int n;                      /* events added */
    int ev[FAKE_EVENTS];        /* indices into events[] */
    reading start;              /* readings at PAPI_start */
} fake_set;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fake_set sets[FAKE_SETS];
static int inited;              /* PAPI_library_init succeeded */
static _Thread_local int running_set = -1;   /* the set this thread counts with */
static PAPI_component_info_t component;      /* "perf_event", enabled */

/* Index in events[] of name, or -1; names in FAKE_PAPI_ABSENT are not found. */
static int find_event(const char *name)
{
    const char *absent = getenv("FAKE_PAPI_ABSENT");
    size_t len = strlen(name);
    for (const char *p = absent; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strcspn(p, ",") == len && !strncmp(p, name, len))
            return -1;
    }
    for (size_t i = 0; i < NEVENTS; i++)
        if (!strcmp(events[i].name, name))
            return (int)i;
    return -1;
}

/* The set behind handle es, or NULL. */
static fake_set *set_of(int es)
{
    return es >= 0 && es < FAKE_SETS && sets[es].used ? &sets[es] : NULL;
}

/* Current readings of the calling thread. */
static reading read_now(void)
{
    reading r = {0, 0, 0};
    struct timespec ts;
    struct rusage ru;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        r.cpu_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        r.minflt = ru.ru_minflt;
        r.majflt = ru.ru_majflt;
    }
    return r;
}

/* The count of event e between readings a and b. */
static long long value_of(const fake_event *e, reading a, reading b)
{
    const char *f = getenv("FAKE_PAPI_CYCLES_PER_NS");
    long long per_ns = f && atoll(f) > 0 ? atoll(f) : 3;
    long long cyc = (b.cpu_ns - a.cpu_ns) * per_ns;
    if (e->hardware)
        return cyc * e->mul / e->div;
    if (!strcmp(e->name, "perf::MINOR-FAULTS"))
        return b.minflt - a.minflt;
    if (!strcmp(e->name, "perf::MAJOR-FAULTS"))
        return b.majflt - a.majflt;
    if (!strcmp(e->name, "perf::PAGE-FAULTS"))
        return b.minflt - a.minflt + b.majflt - a.majflt;
    return b.cpu_ns - a.cpu_ns;   /* perf::TASK-CLOCK, in ns */
}

/* Hardware counters in use by set s. */
static int hw_used(const fake_set *s)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += events[s->ev[i]].hardware;
    return k;
}

int PAPI_library_init(int version)
{
    if (version != PAPI_VER_CURRENT)
        return PAPI_EINVAL;
    if (getenv("FAKE_PAPI_INIT_FAIL"))
        return PAPI_ECMP;
    pthread_mutex_lock(&lock);
    inited = 1;
    strcpy(component.name, "perf_event");
    pthread_mutex_unlock(&lock);
    return PAPI_VER_CURRENT;
}

int PAPI_is_initialized(void)
{
    return inited ? PAPI_LOW_LEVEL_INITED : PAPI_NOT_INITED;
}

int PAPI_set_debug(int level)
{
    (void)level;
    return PAPI_OK;
}

int PAPI_query_named_event(const char *name)
{
    if (!inited)
        return PAPI_ENOINIT;
    return name && find_event(name) >= 0 ? PAPI_OK : PAPI_ENOEVNT;
}

int PAPI_get_component_index(const char *name)
{
    return name && !strcmp(name, "perf_event") ? 0 : PAPI_ENOCMP;
}

const PAPI_component_info_t *PAPI_get_component_info(int cidx)
{
    return cidx == 0 && inited ? &component : NULL;
}

int PAPI_create_eventset(int *es)
{
    if (!es || *es != PAPI_NULL)
        return PAPI_EINVAL;
    if (!inited)
        return PAPI_ENOINIT;
    const char *m = getenv("FAKE_PAPI_SETS");
    int max = m && atoi(m) > 0 && atoi(m) < FAKE_SETS ? atoi(m) : FAKE_SETS;
    pthread_mutex_lock(&lock);
    int rc = PAPI_ENOMEM;
    for (int i = 0; i < max; i++)
        if (!sets[i].used) {
            memset(&sets[i], 0, sizeof sets[i]);
            sets[i].used = 1;
            *es = i;
            rc = PAPI_OK;
            break;
        }
    pthread_mutex_unlock(&lock);
    return rc;
}

int PAPI_add_named_event(int es, const char *name)
{
    fake_set *s = set_of(es);
    int e = name ? find_event(name) : -1;
    if (!s)
        return PAPI_ENOEVST;
    if (s->running)
        return PAPI_EISRUN;
    if (e < 0)
        return PAPI_ENOEVNT;
    for (int i = 0; i < s->n; i++)
        if (s->ev[i] == e)
            return PAPI_ECNFLCT;      /* already in the set */
    const char *c = getenv("FAKE_PAPI_COUNTERS");
    int counters = c && atoi(c) > 0 ? atoi(c) : 4;
    if (s->n == FAKE_EVENTS || (events[e].hardware && hw_used(s) >= counters))
        return PAPI_ECNFLCT;
    s->ev[s->n++] = e;
    return PAPI_OK;
}

int PAPI_start(int es)
{
    fake_set *s = set_of(es);
    if (!s)
        return PAPI_ENOEVST;
    if (running_set >= 0)
        return PAPI_EISRUN;           /* one running set per thread and component */
    if (s->n < 1)
        return PAPI_EINVAL;
    s->start = read_now();
    s->running = 1;
    running_set = es;
    return PAPI_OK;
}

int PAPI_stop(int es, long long *values)
{
    fake_set *s = set_of(es);
    if (!s)
        return PAPI_ENOEVST;
    if (!s->running || running_set != es)
        return PAPI_ENOTRUN;
    reading now = read_now();
    for (int i = 0; values && i < s->n; i++)
        values[i] = value_of(&events[s->ev[i]], s->start, now);
    s->running = 0;
    running_set = -1;
    return PAPI_OK;
}

int PAPI_cleanup_eventset(int es)
{
    fake_set *s = set_of(es);
    if (!s)
        return PAPI_ENOEVST;
    if (s->running)
        return PAPI_EISRUN;
    s->n = 0;
    return PAPI_OK;
}

int PAPI_destroy_eventset(int *es)
{
    fake_set *s = es ? set_of(*es) : NULL;
    if (!s)
        return PAPI_ENOEVST;
    if (s->n)
        return PAPI_EINVAL;           /* PAPI_cleanup_eventset first */
    pthread_mutex_lock(&lock);
    s->used = 0;
    pthread_mutex_unlock(&lock);
    *es = PAPI_NULL;
    return PAPI_OK;
}

char *PAPI_strerror(int code)
{
    static char *const text[] = {
        "No error", "Invalid argument", "Insufficient memory", "A System/C library call failed",
        "Not supported by component", "Access to the counters was lost or interrupted",
        "Internal error, please send mail to the developers", "Event does not exist",
        "Event exists, but cannot be counted due to counter resource limitations",
        "EventSet is currently not running", "EventSet is currently counting", "No such EventSet Available",
        "Event in argument is not a valid preset", "Hardware does not support performance counters",
        "Unknown error code", "Permission level does not permit operation", "PAPI hasn't been initialized yet",
        "Component Index isn't set", "Not supported", "Not implemented",
    };
    int i = -code;
    return i >= 0 && (size_t)i < sizeof text / sizeof text[0] ? text[i] : "Unknown error code";
}
