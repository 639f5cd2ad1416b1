/* cmd_counters.c — `memhier counters [EVENT...]`: which events this machine can count, and why not. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "counters.h"

/* Prints usage to f. */
static void counters_usage(FILE *f)
{
    fprintf(f, "usage: memhier counters [EVENT...]\n"
               "  Lists each PAPI event (default: the memhier event list) as available yes/no,\n"
               "  hardware or software, who counts it (papi, or perf_event_open for software events\n"
               "  PAPI cannot offer) and PAPI's reason when it cannot be counted. When the hardware\n"
               "  events do not fit the counters together, each one's group is shown: the groups take\n"
               "  turns, one per repetition.\n");
}

/* Lists the events with availability, kind and reason; exit 0 even when none are available. */
int cmd_counters(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            counters_usage(stdout);
            return MH_EXIT_OK;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "memhier counters: unknown option '%s'\n", argv[i]);
            counters_usage(stderr);
            return MH_EXIT_USAGE;
        }
    }
    ctr_set *s = NULL;
    mh_error err = {0};
    int rc = ctr_create((const char *const *)(argv + 1), (size_t)(argc - 1), &s, &err);
    if (rc != MH_OK) {
        fprintf(stderr, "memhier counters: %s\n", err.msg);
        return cli_exit_code(rc);
    }
    printf("%-22s %-9s %-8s %-15s %s\n", "event", "available", "kind", "counted by", "reason / note");
    for (size_t i = 0; i < ctr_count(s); i++) {
        int ok = ctr_available(s, i);
        const char *why = ok ? ctr_note(s, i) : ctr_reason(s, i);
        char by[32];
        int g = ctr_group_of(s, i);
        if (g >= 0)
            snprintf(by, sizeof by, "papi, group %d", g + 1);
        else
            snprintf(by, sizeof by, "%s", ctr_backend(s, i));
        printf("%-22s %-9s %-8s %-15s %s\n", ctr_name(s, i), ok ? "yes" : "no",
               ctr_is_hardware(s, i) ? "hardware" : "software", by, why[0] ? why : "-");
    }
    printf("%zu of %zu events available", ctr_available_count(s), ctr_count(s));
    if (ctr_groups(s) > 1)
        printf(" (more hardware events than counters: %d groups, counted in turn, one per repetition)",
               ctr_groups(s));
    printf("\n");
    ctr_destroy(s);
    return MH_EXIT_OK;
}
