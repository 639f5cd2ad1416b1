/* cli.h — the memhier command table and helpers shared by command front ends. */
#ifndef MH_CLI_H
#define MH_CLI_H

#include "memhier.h"

/* Exit statuses: 0 ok, 1 runtime failure, 2 bad input/usage; 130/143 interrupted. */
enum { MH_EXIT_OK = 0, MH_EXIT_RUNTIME = 1, MH_EXIT_USAGE = 2 };

/* One subcommand: `memhier NAME args...`; fn gets argv with argv[0] = NAME. */
typedef struct mh_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} mh_cmd;

/* Maps a library status to an exit status (2 for bad input, 1 otherwise). */
int cli_exit_code(int status);
/* Prints "memhier: <msg>" for err to stderr and returns cli_exit_code(err->code). */
int cli_fail(const mh_error *err);

int cmd_sim(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
