/* cmd_detect.c — `memhier detect [-o FILE] [--xml topo.xml] [--name NAME] [--core N]`: print the
 * topology seen from one core, write a config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "topo.h"

/* Prints usage to f. */
static void detect_usage(FILE *f)
{
    fprintf(f, "usage: memhier detect [-o FILE] [--xml TOPOLOGY.xml] [--name NAME] [--core N]\n"
               "  Prints the cache topology hwloc finds (caches, sharing, NUMA, memory) and the\n"
               "  TLBs CPUID describes, and writes a memhier config for it: to FILE with -o (written\n"
               "  atomically), else to stdout (the summary then goes to stderr). --xml reads an hwloc\n"
               "  XML export (lstopo --of xml) instead of this machine; --name sets [hierarchy] name\n"
               "  (default host); --core N describes the caches (and on this machine the TLBs) of core\n"
               "  N, an hwloc logical index (default -1: the last core, where calibrate and validate\n"
               "  measure; a hybrid CPU's cores differ). Values neither can tell get documented\n"
               "  defaults and a WARNING line.\n");
}

/* Parses options into *out, *xml, *name, *core; returns -1 for help, 0 ok, 2 usage error. */
static int detect_args(int argc, char **argv, const char **out, const char **xml, const char **name, int *core)
{
    const char *cs = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return -1;
        const char **dst = !strcmp(a, "-o")       ? out
                            : !strcmp(a, "--xml")  ? xml
                            : !strcmp(a, "--name") ? name
                            : !strcmp(a, "--core") ? &cs
                                                   : NULL;
        if (!dst) {
            fprintf(stderr, "memhier detect: unknown argument '%s'\n", a);
            return MH_EXIT_USAGE;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            fprintf(stderr, "memhier detect: %s needs a value\n", a);
            return MH_EXIT_USAGE;
        }
        *dst = argv[++i];
    }
    if (cs) {
        char *end;
        errno = 0;
        long v = strtol(cs, &end, 10);
        if (*end || errno || v < -1 || v > 1 << 20) {
            fprintf(stderr, "memhier detect: --core %s: expected a core index >= 0, or -1 for the last core\n", cs);
            return MH_EXIT_USAGE;
        }
        *core = (int)v;
    }
    return 0;
}

/* Makes core `core` the one described: pinned to on this machine (its CPUID then gives the TLBs),
 * selected in an XML topology. */
static int detect_core(topo_t *t, int live, int core, mh_error *err)
{
    if (!live)
        return topo_select_core(t, core, NULL, err);
    int rc = topo_pin(t, core, NULL, err);
    if (rc == MH_EUNSUPPORTED) { /* not allowed to bind here: describe it all the same */
        fprintf(stderr, "warning: %s: describing core %d without pinning to it (its TLBs may be another core's)\n",
                err->msg, core);
        rc = topo_select_core(t, core, NULL, err);
    }
    return rc;
}

/* Loads the topology, prints the summary and warnings, writes the config. */
int cmd_detect(int argc, char **argv)
{
    const char *out = NULL, *xml = NULL, *name = NULL;
    int core = -1;
    int a = detect_args(argc, argv, &out, &xml, &name, &core);
    if (a) {
        detect_usage(a < 0 ? stdout : stderr);
        return a < 0 ? MH_EXIT_OK : MH_EXIT_USAGE;
    }
    topo_t *t = NULL;
    mh_error err = {0};
    int rc = xml ? topo_create_xml(xml, &t, &err) : topo_create(&t, &err);
    if (rc == MH_OK && (rc = detect_core(t, !xml, core, &err)) != MH_OK)
        topo_destroy(t);
    if (rc != MH_OK)
        return cli_fail(&err);
    char summary[4096], warn[4096];
    topo_summary(t, summary, sizeof summary);
    FILE *info = out ? stdout : stderr; /* keep stdout a clean INI when the config goes there */
    fputs(summary, info);
    if (out)
        rc = topo_write_config(t, out, name, warn, sizeof warn, &err);
    else
        rc = topo_config_write(t, stdout, name, warn, sizeof warn, &err);
    if (rc == MH_OK) {
        for (char *line = strtok(warn, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(info, "warning: %s\n", line);
        if (out)
            fprintf(info, "config written to %s\n", out);
    }
    topo_destroy(t);
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
