/* cmd_detect.c — `memhier detect [-o FILE] [--xml topo.xml] [--name NAME]`: print the topology, write a config. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "topo.h"

/* Prints usage to f. */
static void detect_usage(FILE *f)
{
    fprintf(f, "usage: memhier detect [-o FILE] [--xml TOPOLOGY.xml] [--name NAME]\n"
               "  Prints the cache topology hwloc finds (caches, sharing, NUMA, memory) and writes a\n"
               "  memhier config for it: to FILE with -o (written atomically), else to stdout (the\n"
               "  summary then goes to stderr). --xml reads an hwloc XML export (lstopo --of xml)\n"
               "  instead of this machine; --name sets [hierarchy] name (default host).\n"
               "  Values hwloc cannot tell get documented defaults and a WARNING line.\n");
}

/* Parses options into *out, *xml, *name; returns -1 for help, 0 ok, 2 usage error. */
static int detect_args(int argc, char **argv, const char **out, const char **xml, const char **name)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return -1;
        const char **dst = !strcmp(a, "-o") ? out : !strcmp(a, "--xml") ? xml : !strcmp(a, "--name") ? name : NULL;
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
    return 0;
}

/* Loads the topology, prints the summary and warnings, writes the config. */
int cmd_detect(int argc, char **argv)
{
    const char *out = NULL, *xml = NULL, *name = NULL;
    int a = detect_args(argc, argv, &out, &xml, &name);
    if (a) {
        detect_usage(a < 0 ? stdout : stderr);
        return a < 0 ? MH_EXIT_OK : MH_EXIT_USAGE;
    }
    topo_t *t = NULL;
    mh_error err = {0};
    int rc = xml ? topo_create_xml(xml, &t, &err) : topo_create(&t, &err);
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
