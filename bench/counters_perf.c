/* counters_perf.c — perf_event_open for kernel software events (page faults, task clock). */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counters_perf.h"

/* libpfm4's perf:: names of the software events and their perf configs. */
static const struct {
    const char *name;
    long long config;
} sw_table[] = {
    {"PAGE-FAULTS", PERF_COUNT_SW_PAGE_FAULTS},         {"FAULTS", PERF_COUNT_SW_PAGE_FAULTS},
    {"MINOR-FAULTS", PERF_COUNT_SW_PAGE_FAULTS_MIN},    {"MAJOR-FAULTS", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"TASK-CLOCK", PERF_COUNT_SW_TASK_CLOCK},           {"CPU-CLOCK", PERF_COUNT_SW_CPU_CLOCK},
    {"CONTEXT-SWITCHES", PERF_COUNT_SW_CONTEXT_SWITCHES}, {"CS", PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"CPU-MIGRATIONS", PERF_COUNT_SW_CPU_MIGRATIONS},   {"MIGRATIONS", PERF_COUNT_SW_CPU_MIGRATIONS},
    {"ALIGNMENT-FAULTS", PERF_COUNT_SW_ALIGNMENT_FAULTS}, {"EMULATION-FAULTS", PERF_COUNT_SW_EMULATION_FAULTS},
};

/* Maps a perf:: software event name to its config, or -1. */
long long ctr_perf_sw_config(const char *name)
{
    if (strncmp(name, "perf::", 6))
        return -1;
    const char *base = name + 6;
    size_t len = strcspn(base, ":");
    for (size_t i = 0; i < sizeof sw_table / sizeof sw_table[0]; i++)
        if (strlen(sw_table[i].name) == len && !strncmp(base, sw_table[i].name, len))
            return sw_table[i].config;
    return -1;
}

/* perf_event_open for the calling thread on any CPU, disabled; returns fd or -errno. */
static int open_sw(long long config, int exclude_kernel)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = (unsigned long long)config;
    a.disabled = 1;
    a.exclude_kernel = (unsigned)exclude_kernel;
    a.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

/* Opens a counter, kernel included when allowed, user-only otherwise. */
int ctr_perf_open(long long config, int *user_only)
{
    int fd = open_sw(config, 0);
    *user_only = 0;
    if (fd == -EACCES || fd == -EPERM) {
        fd = open_sw(config, 1);
        *user_only = 1;
    }
    return fd;
}

/* Resets and enables fd. */
int ctr_perf_enable(int fd)
{
    if (ioctl(fd, PERF_EVENT_IOC_RESET, 0) < 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
        return -errno;
    return 0;
}

/* Disables fd and reads its count. */
int ctr_perf_read(int fd, long long *value)
{
    unsigned long long v = 0;
    if (ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) < 0)
        return -errno;
    if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
        return errno ? -errno : -EIO;
    *value = (long long)v;
    return 0;
}
