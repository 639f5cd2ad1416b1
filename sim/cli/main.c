/* main.c — memhier's command dispatcher: one table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef MH_VERSION_STRING
#define MH_VERSION_STRING "unknown"
#endif

/* The compiler that built this binary: a run folder names it even when measured elsewhere. */
#if defined(__clang__)
#define CLI_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define CLI_COMPILER "gcc " __VERSION__
#else
#define CLI_COMPILER "an unknown C compiler"
#endif

static const mh_cmd commands[] = {
    {"sim", cmd_sim, "replay traces through a configured hierarchy and print statistics"},
    {"compare", cmd_compare, "compare several configs on the same traces, side by side"},
    {"sweep", cmd_sweep, "vary config keys (--set L1d.size=8K,16K,...) and report miss-ratio curves"},
    {"gen", cmd_gen, "generate a synthetic trace (seq, stride, random, stack, ifetch, mixed)"},
    {"info", cmd_info, "show a trace's format, metadata and record counts"},
    {"convert", cmd_convert, "convert a trace between formats (din, xdin, lackey -> mht, din)"},
    {"detect", cmd_detect, "print the cache topology (hwloc) and write a config for it"},
    {"counters", cmd_counters, "list the PAPI events this machine can count, and why not"},
    {"bench", cmd_bench, "run the benchmark kernels over a size ladder (CSV; --capture DIR for traces)"},
    {"capture", cmd_capture, "record a program's memory accesses via Valgrind Lackey: capture -o F.mht -- prog"},
    {"calibrate", cmd_calibrate, "fit latencies from the chase ladder: calibrate -c host.ini -o calibrated.ini"},
    {"validate", cmd_validate, "held-out kernels: measured vs simulated: validate -c calibrated.ini --out RUN_DIR"},
    {"revalidate", cmd_revalidate, "a validate run's points replayed on another config: revalidate -c CFG RUN_DIR"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: memhier COMMAND [options]   (memhier COMMAND --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
}

/* Maps a library status to an exit status: 2 bad input, 1 runtime failure. */
int cli_exit_code(int status)
{
    switch (status) {
    case MH_OK: return MH_EXIT_OK;
    case MH_EINVAL: case MH_ECONFIG: case MH_EFORMAT: case MH_ECORRUPT: case MH_ENOTFOUND:
        return MH_EXIT_USAGE;
    case MH_EINTR: return 130;
    default: return MH_EXIT_RUNTIME;
    }
}

/* Prints err and returns its exit status. */
int cli_fail(const mh_error *err)
{
    fprintf(stderr, "memhier: %s\n", err->msg[0] ? err->msg : mh_strerror(err->code));
    return cli_exit_code(err->code);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MH_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return MH_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("memhier %s\nbuilt with %s\n", MH_VERSION_STRING, CLI_COMPILER);
        return MH_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "memhier: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MH_EXIT_USAGE;
}
