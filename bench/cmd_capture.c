/* cmd_capture.c — `memhier capture -o prog.mht -- ./prog args`: runs the program under
 * Valgrind Lackey with its trace on a pipe, reads the pipe with the library's lackey reader
 * and writes the records with the trace writer (temporary file renamed on success). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef MH_VERSION_STRING
#define MH_VERSION_STRING "unknown"
#endif

#define CAP_BATCH 4096
#define CAP_GRACE_MS 2000 /* a stopped program gets this long to exit on SIGTERM before SIGKILL */

static volatile sig_atomic_t capture_signal; /* SIGINT/SIGTERM received */

/* Remembers the signal; the copy loop notices and aborts. */
static void capture_on_signal(int sig)
{
    capture_signal = sig;
}

/* Options of one capture. */
typedef struct capture_opts {
    const char *out, *format, *valgrind;
    uint64_t records;      /* budget, 0 = unlimited */
    int no_ifetch;         /* drop I records, fold them into gaps */
    char **prog;           /* program and its arguments */
    char prog_path[4096];  /* where PATH found prog[0] */
} capture_opts;

/* Prints usage. */
static void capture_usage(FILE *f)
{
    fprintf(f, "usage: memhier capture -o OUT.mht [--records N] [--no-ifetch] [--format mht|din] -- PROG [ARGS...]\n"
               "  Records PROG's instruction fetches, loads and stores with valgrind --tool=lackey.\n"
               "  --records N   stop after N records (default: no limit)\n"
               "  --no-ifetch   drop instruction fetches; their count becomes each record's gap\n"
               "  env MH_VALGRIND overrides the valgrind binary (default: valgrind from PATH)\n");
}

/* 1 when an executable named name is found in PATH (or name contains '/' and is executable). */
static int in_path(const char *name, char *found, size_t cap)
{
    if (strchr(name, '/')) {
        snprintf(found, cap, "%s", name);
        return access(name, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(found, cap, "%.*s/%s", (int)len, p, name);
        if (access(found, X_OK) == 0)
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* 1 when the file at path starts with "#!" (a script: Lackey then traces its interpreter). */
static int is_script(const char *path)
{
    char head[2] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, 2, f) : 0;
    if (f)
        fclose(f);
    return got == 2 && head[0] == '#' && head[1] == '!';
}

/* Parses argv (argv[0] = "capture"); returns MH_OK, 1 for --help, or MH_EINVAL. */
static int capture_parse(int argc, char **argv, capture_opts *o, mh_error *err)
{
    o->format = "mht";
    o->valgrind = getenv("MH_VALGRIND") ? getenv("MH_VALGRIND") : "valgrind";
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (!strcmp(a, "--no-ifetch")) {
            o->no_ifetch = 1;
            continue;
        }
        if (strcmp(a, "-o") && strcmp(a, "--records") && strcmp(a, "--format"))
            return mh_error_set(err, MH_EINVAL, "capture: unknown option '%s' (memhier capture --help)", a);
        if (!v)
            return mh_error_set(err, MH_EINVAL, "capture: option %s needs a value", a);
        i++;
        if (!strcmp(a, "-o")) {
            o->out = v;
        } else if (!strcmp(a, "--format")) {
            if (strcmp(v, "mht") && strcmp(v, "din"))
                return mh_error_set(err, MH_EINVAL, "capture: --format %s, must be mht or din", v);
            o->format = v;
        } else if (cli_parse_count(v, "capture: --records", 1, UINT64_MAX, &o->records, err) != MH_OK) {
            return MH_EINVAL;
        }
    }
    if (!o->out)
        return mh_error_set(err, MH_EINVAL, "capture: -o OUT is required (memhier capture -o prog.mht -- prog)");
    if (i >= argc - 1)
        return mh_error_set(err, MH_EINVAL, "capture: no program after '--' (memhier capture -o prog.mht -- prog)");
    o->prog = argv + i + 1;
    char vg[4096];
    if (!in_path(o->valgrind, vg, sizeof vg))
        return mh_error_set(err, MH_EUNSUPPORTED, "capture: %s not found in PATH; install valgrind", o->valgrind);
    if (!in_path(o->prog[0], o->prog_path, sizeof o->prog_path))
        return mh_error_set(err, MH_EINVAL, "capture: program '%s' not found or not executable", o->prog[0]);
    return MH_OK;
}

/* Forks valgrind with its log (the trace) on a pipe; *rfd is the read end. */
static int spawn(const capture_opts *o, pid_t *pid, int *rfd, mh_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return mh_error_set(err, MH_EIO, "capture: pipe: %s", strerror(errno));
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    *pid = fork();
    if (*pid < 0) {
        close(fds[0]), close(fds[1]);
        return mh_error_set(err, MH_EIO, "capture: fork: %s", strerror(errno));
    }
    if (*pid == 0) {
        size_t n = 0;
        while (o->prog[n])
            n++;
        char **args = calloc(n + 6, sizeof *args), logfd[32];
        if (!args)
            _exit(127);
        snprintf(logfd, sizeof logfd, "--log-fd=%d", fds[1]);
        args[0] = (char *)o->valgrind;
        args[1] = "--tool=lackey";
        args[2] = "--trace-mem=yes";
        args[3] = logfd;
        memcpy(args + 4, o->prog, n * sizeof *args);
        execvp(o->valgrind, args);
        _exit(127);
    }
    close(fds[1]);
    *rfd = fds[0];
    return MH_OK;
}

/* Builds the trace metadata. */
static void capture_meta(const capture_opts *o, mh_meta *m)
{
    char cmd[224] = "", when[32], host[64] = "";
    size_t len = 0;
    for (char **a = o->prog; *a && len < sizeof cmd - 1; a++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, "%s%s", a == o->prog ? "" : " ", *a);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(host, sizeof host - 1);
    memset(m, 0, sizeof *m);
    mh_meta_set(m, "source", "valgrind lackey");
    mh_meta_set(m, "command", cmd);
    mh_meta_set(m, "ifetch", o->no_ifetch ? "folded into gaps" : "recorded");
    mh_meta_set(m, "host", host);
    mh_meta_set(m, "created", when);
    mh_meta_set(m, "version", MH_VERSION_STRING);
}

/* Drops ifetch records, putting the instructions between data records into gap. */
static size_t fold_ifetch(mh_rec *r, size_t n, uint32_t *pending)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].op == MH_OP_IFETCH) {
            (*pending)++;
            continue;
        }
        r[m] = r[i];
        r[m].gap = *pending > 0 ? *pending - 1 : 0; /* the accessing instruction itself is not a gap */
        *pending = 0;
        m++;
    }
    return m;
}

/* Copies records from the pipe to the writer until EOF, the budget or a signal. */
static int copy_records(const capture_opts *o, int rfd, mh_writer *w, uint64_t *total, mh_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", rfd);
    mh_trace *t = NULL;
    int rc = mh_trace_open_format(path, "lackey", &t, err);
    if (rc != MH_OK)
        return rc;
    mh_rec *buf = malloc(CAP_BATCH * sizeof *buf);
    uint32_t pending = 0;
    size_t n = 0;
    if (!buf)
        rc = mh_error_set(err, MH_ENOMEM, "capture: out of memory");
    while (rc == MH_OK && !capture_signal && (rc = mh_trace_read(t, buf, CAP_BATCH, &n, err)) == MH_OK && n) {
        if (o->no_ifetch)
            n = fold_ifetch(buf, n, &pending);
        if (o->records && *total + n > o->records)
            n = (size_t)(o->records - *total);
        rc = mh_writer_write(w, buf, n, err);
        *total += n;
        if (o->records && *total >= o->records)
            break;
    }
    if (capture_signal)
        rc = mh_error_set(err, MH_EINTR, "capture: interrupted by signal %d", (int)capture_signal);
    free(buf);
    mh_trace_close(t);
    return rc;
}

/* Stops the program: SIGTERM, then SIGKILL if it has not exited after CAP_GRACE_MS (Valgrind
 * running some programs, xz among them, never acts on the SIGTERM). *st gets its wait status. */
static void stop_child(pid_t pid, int *st)
{
    kill(pid, SIGTERM);
    for (int ms = 0; ms < CAP_GRACE_MS; ms += 10) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, st, 0) < 0 && errno == EINTR)
        ;
}

/* Waits for the program to exit; a SIGINT/SIGTERM to memhier meanwhile stops it (stop_child). */
static void wait_child(pid_t pid, int *st)
{
    while (waitpid(pid, st, 0) < 0) {
        if (errno != EINTR)
            return;
        if (capture_signal) {
            stop_child(pid, st);
            return;
        }
    }
}

/* Runs the capture; returns MH_OK or an error with err filled. */
static int capture_run(const capture_opts *o, int *prog_status, uint64_t *total, mh_error *err)
{
    mh_meta meta;
    capture_meta(o, &meta);
    mh_writer *w = NULL;
    int rc = mh_writer_open(o->out, o->format, &meta, &w, err);
    if (rc != MH_OK)
        return rc;
    pid_t pid = -1;
    int rfd = -1;
    if ((rc = spawn(o, &pid, &rfd, err)) != MH_OK) {
        mh_writer_abort(w);
        return rc;
    }
    rc = copy_records(o, rfd, w, total, err);
    close(rfd);
    int st = 0;
    if (rc != MH_OK || (o->records && *total >= o->records))
        stop_child(pid, &st); /* budget reached or failure: the rest of the run is not wanted */
    else
        wait_child(pid, &st);
    if (rc == MH_OK && capture_signal)
        rc = mh_error_set(err, MH_EINTR, "capture: interrupted by signal %d", (int)capture_signal);
    *prog_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (rc == MH_OK && WIFEXITED(st) && WEXITSTATUS(st) == 127 && *total == 0)
        rc = mh_error_set(err, MH_EIO, "capture: could not run %s %s", o->valgrind, o->prog[0]);
    if (rc != MH_OK) {
        mh_writer_abort(w);
        return rc;
    }
    return mh_writer_close(w, err);
}

/* `memhier capture`: see capture_usage(). */
int cmd_capture(int argc, char **argv)
{
    capture_opts o = {0};
    mh_error err = {0};
    int rc = capture_parse(argc, argv, &o, &err);
    if (rc == 1) {
        capture_usage(stdout);
        return MH_EXIT_OK;
    }
    if (rc != MH_OK)
        return cli_fail(&err);
    if (is_script(o.prog_path)) /* e.g. pyenv's python3: a shell script that execs the interpreter */
        fprintf(stderr, "memhier: capture: warning: %s is a script: Lackey traces its interpreter running it, "
                        "not the programs it starts (name the binary to capture its accesses)\n", o.prog_path);
    struct sigaction sa = {.sa_handler = capture_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    capture_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int status = 0;
    uint64_t total = 0;
    rc = capture_run(&o, &status, &total, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == MH_EINTR) {
        fprintf(stderr, "memhier: %s\n", err.msg);
        return 128 + (int)capture_signal;
    }
    if (rc != MH_OK)
        return cli_fail(&err);
    fprintf(stderr, "memhier: capture: %llu records to %s", (unsigned long long)total, o.out);
    if (status != 0 && !(o.records && total >= o.records))
        fprintf(stderr, " (the program exited with status %d)", status);
    fputc('\n', stderr);
    return MH_EXIT_OK;
}
