/* kernel_stack.c — recursion whose frames hold a local array: each word is stored on the way
 * down and loaded on the way up, so the real stack is reused LIFO. The depth is guarded
 * against RLIMIT_STACK: a point whose frames would not fit is refused, never run. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "kernels.h"

#define STACK_GAP 3          /* objdump: `mov %rax,(%rdx,%rax,8); add; cmp; jne` down, `add (%rdx),%rax; add; cmp; jne` up */
/* A frame's own instructions (objdump of stack_native, loops aligned as the Makefile builds the
 * kernels; callgrind: 4.625 instructions per access at 32 words, 40 per frame beyond the loops).
 * Before a frame's first store: the caller's `cmp; jbe; sub; xor; call`, the callee's prologue,
 * the shape's loads and probe test, VLA allocation and loop setup, and the loop's alignment
 * padding (28). Before its first load: the callee's epilogue and `ret`, this loop's test, setup and
 * padding (12); in the deepest frame, `cmp; jbe; xor; jmp`, the setup and padding (9).
 * tests/integration/kernel_icount.sh checks them. */
#define STACK_GAP_ENTER (STACK_GAP + 28)
#define STACK_GAP_RETURN (STACK_GAP + 12)
#define STACK_GAP_BOTTOM (STACK_GAP + 9)
#define STACK_OVERHEAD 128   /* bytes a frame costs beyond its array (saved regs, return address, VLA alignment) */
#define STACK_MARGIN (512u << 10) /* stack kept free for the harness, libc and STACK_ALIGN */
#define STACK_NO_LIMIT ((size_t)1 << 30) /* cap used when RLIMIT_STACK is unlimited */
#define STACK_ALIGN 4096     /* a recursion starts up to this far below its caller, to begin at the anchor */

/* The frame shape one recursion uses. */
typedef struct stack_shape {
    size_t words;      /* words each frame stores and loads */
    size_t alloc;      /* words of each frame's array (>= words: pads this function's frame) */
    uintptr_t *probe;  /* setup only: probe[depth] = the frame's array address; else NULL */
} stack_shape;

/* One stack point. */
typedef struct stack_state {
    stack_shape native;  /* shape of the timed recursion */
    stack_shape capture; /* shape of the recorded one: frames padded to the same size */
    unsigned depth;      /* recursion depth */
    uint64_t passes;     /* descents per repetition */
    size_t frame_bytes;  /* stack bytes per frame of both (0: they could not be made equal) */
    uintptr_t anchor;    /* where every recursion starts: set by the first one run (0 before) */
} stack_state;

typedef uint64_t (*stack_fn)(unsigned depth, const stack_shape *sh, bench_cap *cap);

/* The frame body: stores going down, recursion, loads coming up. */
BENCH_ALWAYS_INLINE uint64_t stack_frame(uint64_t *local, unsigned depth, const stack_shape *sh,
                                         bench_cap *cap, stack_fn next)
{
    const size_t words = sh->words;
    if (sh->probe)
        sh->probe[depth] = (uintptr_t)local;
    bench_cur cur = bench_cur_begin(cap); /* ended before the call: the callee records too */
    for (size_t i = 0; i < words; i++) {
        BENCH_PUT(cap, cur, &local[i], 8, MH_OP_WRITE, 0, i ? STACK_GAP : STACK_GAP_ENTER);
        local[i] = depth + i;
    }
    bench_cur_end(cap, cur);
    BENCH_ESCAPE(local); /* the stores must reach the stack; loads below cannot be folded */
    uint64_t sum = depth > 1 ? next(depth - 1, sh, cap) : 0;
    BENCH_BARRIER();
    cur = bench_cur_begin(cap);
    for (size_t i = 0; i < words; i++) {
        BENCH_PUT(cap, cur, &local[i], 8, MH_OP_READ, 0,
                  i ? STACK_GAP : depth > 1 ? STACK_GAP_RETURN : STACK_GAP_BOTTOM);
        sum += local[i];
    }
    bench_cur_end(cap, cur);
    return sum;
}

/* Native frame (noinline: every level is a real frame). */
static __attribute__((noinline)) uint64_t stack_native(unsigned depth, const stack_shape *sh, bench_cap *cap)
{
    (void)cap;
    uint64_t local[sh->alloc];
    return stack_frame(local, depth, sh, NULL, stack_native);
}

/* Recording frame. */
static __attribute__((noinline)) uint64_t stack_capture(unsigned depth, const stack_shape *sh, bench_cap *cap)
{
    uint64_t local[sh->alloc];
    return stack_frame(local, depth, sh, cap, stack_capture);
}

/* Stack bytes one frame of fn takes with shape sh: the distance between two nested frames. */
static size_t frame_size(stack_fn fn, stack_shape sh)
{
    uintptr_t at[3] = {0, 0, 0};
    sh.probe = at;
    volatile uint64_t sink = fn(2, &sh, NULL);
    (void)sink;
    return (size_t)(at[2] - at[1]);
}

/* Pads the smaller frame of the two recursions so both take the same stack bytes per frame: the
 * trace then covers the pages the timed run touches (the recording frame keeps more registers).
 * Returns the common frame size, or 0 when padding could not make them equal. */
static size_t match_frames(stack_state *s)
{
    size_t fn = frame_size(stack_native, s->native), fc = frame_size(stack_capture, s->capture);
    if (fn < fc)
        s->native.alloc += (fc - fn) / 8;
    else
        s->capture.alloc += (fn - fc) / 8;
    fn = frame_size(stack_native, s->native);
    fc = frame_size(stack_capture, s->capture);
    return fn == fc ? fn : 0;
}

/* Returns the stack bytes this process may use (soft RLIMIT_STACK, capped when unlimited). */
static size_t stack_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return STACK_NO_LIMIT;
    return rl.rlim_cur > STACK_NO_LIMIT ? STACK_NO_LIMIT : (size_t)rl.rlim_cur;
}

/* Checks the depth against RLIMIT_STACK; the frame size comes from p->frame. */
int bench_stack_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    size_t frame = p->frame ? p->frame : 256;
    if (frame < 8 || frame % 8)
        return mh_error_set(err, MH_EINVAL, "stack: frame = %zu, must be a multiple of 8 and >= 8", frame);
    size_t depth = p->size / frame ? p->size / frame : 1;
    size_t need = depth * (frame + STACK_OVERHEAD), limit = stack_limit();
    if (depth > 1000000000u || need + STACK_MARGIN > limit)
        return mh_error_set(err, MH_EUNSUPPORTED,
                            "stack: size %zu needs about %zu bytes of stack (%zu frames of %zu + %d bytes), "
                            "RLIMIT_STACK allows %zu minus a %u-byte margin; raise it with ulimit -s",
                            p->size, need, depth, frame, STACK_OVERHEAD, limit, STACK_MARGIN);
    stack_state *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "stack: out of memory");
    s->native = s->capture = (stack_shape){frame / 8, frame / 8, NULL};
    s->depth = (unsigned)depth;
    s->frame_bytes = match_frames(s);
    s->passes = bench_laps(2 * s->native.words * depth, p->min_accesses);
    info->iters = s->native.words * depth * s->passes;
    info->accesses = 2 * info->iters;
    snprintf(info->params, sizeof info->params,
             "frame=%zu depth=%zu passes=%llu rlimit_stack=%zu stack_per_frame=%zu", frame, depth,
             (unsigned long long)s->passes, limit, s->frame_bytes);
    *state = s;
    return MH_OK;
}

/* One recursion of fn with shape sh, its frames starting at s->anchor: the timed and the recorded
 * repetitions are called from different depths (validate: the recording ~336 bytes deeper than
 * the first timed one), so without it the trace's stack pages are not the pages the first timed
 * repetition touched, and its first touches read one page off when a page boundary or a page
 * left untouched above falls between the two. The first call places the anchor half the reach
 * below itself; a call from outside the reach starts half of it below itself. */
static __attribute__((noinline)) uint64_t stack_from(stack_state *s, stack_fn fn, const stack_shape *sh,
                                                     bench_cap *cap)
{
    volatile char mark = 0;
    uintptr_t here = (uintptr_t)&mark;
    if (!s->anchor)
        s->anchor = here - STACK_ALIGN / 2;
    size_t pad = here > s->anchor && here - s->anchor <= STACK_ALIGN ? here - s->anchor : STACK_ALIGN / 2;
    char gap[pad]; /* not touched: only moves the recursion down */
    __asm__ volatile("" : : "r"(gap) : "memory");
    return fn(s->depth, sh, cap);
}

/* Native repetition. */
uint64_t bench_stack_run(void *state)
{
    stack_state *s = state;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < s->passes; i++)
        sum += stack_from(s, stack_native, &s->native, NULL);
    return sum;
}

/* Recorded repetition. */
uint64_t bench_stack_capture(void *state, bench_cap *cap)
{
    stack_state *s = state;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < s->passes && !BENCH_CAP_DONE(cap); i++)
        sum += stack_from(s, stack_capture, &s->capture, cap);
    return sum;
}

/* Frees the point. */
int bench_stack_teardown(void *state, bench_metrics *m, mh_error *err)
{
    (void)err;
    m->has = 0;
    free(state);
    return MH_OK;
}
