/* kernel_prefetch.c — the heap traversal with __builtin_prefetch of the node D ahead, reached
 * through a per-node jump pointer (set up once, so the prefetch address costs one load from
 * the line already being visited). D = 0 loads the jump pointer but issues no prefetch, so
 * every distance makes the same loads and only the prefetch differs. */
#include "objgraph.h"

/* Prefetch point: the heap graph with jump pointers D = p->param ahead. */
int bench_prefetch_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    if (p->param < 0)
        return mh_error_set(err, MH_EINVAL, "prefetch: distance = %ld, must be >= 0", p->param);
    return bench_heap_build(p, p->param, state, info, err, "prefetch");
}

/* Native repetition. */
uint64_t bench_prefetch_run(void *state)
{
    bench_heap_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 1, s->dist, NULL);
}

/* Recorded repetition. */
uint64_t bench_prefetch_capture(void *state, bench_cap *cap)
{
    bench_heap_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 1, s->dist, cap);
}

/* Frees the point. */
int bench_prefetch_teardown(void *state, bench_metrics *m, mh_error *err)
{
    return bench_heap_free(state, m, err, "prefetch");
}
