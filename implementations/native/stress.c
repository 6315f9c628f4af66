/* stress.c: free mode. The workload runs on real pthreads with the
 * instrumentation compiled out; each thread records into its own slice of
 * the caller's buffer (no shared recording state, so recording adds no
 * synchronisation that could hide a bug), stamped as workload.c explains.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "stm_rt.h"

#if defined(STM_NOISE) && STM_NOISE
static uint32_t noise_ppm;
static _Thread_local uint64_t noise_rng;

void stm_noise(void) {
    uint64_t r = stm_rng_next(&noise_rng);
    if ((uint32_t)(r % 1000000) >= noise_ppm)
        return;
    if (r & (1ULL << 40)) {
        sched_yield();  /* let another runnable thread in, mid-transaction */
    } else {
        for (int i = (int)((r >> 41) % 2000); i > 0; i--)
            stm_cpu_relax_();
    }
}
#endif

typedef struct sthread {
    stm_wl_thread wl;
    stm_rec rec;
    pthread_t pt;
    atomic_int *go;
    atomic_int *done;
} sthread;

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *stress_main(void *p) {
    sthread *st = p;
#if defined(STM_NOISE) && STM_NOISE
    noise_rng = stm_seed_mix(st->wl.rng, 0x401 + (uint64_t)st->wl.thread);
#endif
    while (!atomic_load(st->go))  /* start together: contention from the first txn */
        ;
    stm_workload_run(&st->wl);
    atomic_fetch_add(st->done, 1);
    return NULL;
}

int stm_stress_run(const char *design, int threads, int accounts, int64_t *state,
                   uint64_t seed, double seconds, int audit_pct, stm_event *events,
                   int64_t per_thread_cap, int64_t *counts, int64_t *attempt_base,
                   int64_t *stats, int noise) {
    const stm_design *d = stm_find_design(design);
    if (!d || threads < 1 || threads > STM_MAX_THREADS || accounts < 1)
        return -1;
#if defined(STM_NOISE) && STM_NOISE
    noise_ppm = noise < 0 ? 0 : (uint32_t)noise;
#else
    (void)noise;
#endif
    stm_arena arena;
    stm_arena_begin(&arena);
    void *shared = d->create(accounts, state, threads);
    stm_arena_end();
    atomic_int go = 0, done = 0, stop = 0;
    sthread *ts = calloc((size_t)threads, sizeof *ts);
    for (int i = 0; i < threads; i++) {
        sthread *st = &ts[i];
        st->rec.buf = events + (int64_t)i * per_thread_cap;
        st->rec.cap = per_thread_cap;
        st->wl.d = d;
        st->wl.tx = d->thread_init(shared, i);
        st->wl.thread = i;
        st->wl.accounts = accounts;
        st->wl.audit_pct = audit_pct;
        st->wl.txns = -1;
        st->wl.stop = &stop;
        st->wl.rng = stm_seed_mix(seed, (uint64_t)i);
        st->wl.attempt = attempt_base[i];
        st->wl.rec = &st->rec;
        st->go = &go;
        st->done = &done;
        pthread_create(&st->pt, NULL, stress_main, st);
    }
    int64_t start = mono_ns();
    atomic_store(&go, 1);
    int64_t limit = start + (int64_t)(seconds * 1e9);
    struct timespec nap = {0, 1000000};
    while (atomic_load(&done) < threads && mono_ns() < limit)
        nanosleep(&nap, NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(ts[i].pt, NULL);
    stats[2] = mono_ns() - start;
    stats[0] = stats[1] = 0;
    for (int i = 0; i < threads; i++) {
        stats[0] += ts[i].wl.commits;
        stats[1] += ts[i].wl.aborts;
        counts[i] = ts[i].rec.n;
        attempt_base[i] = ts[i].wl.attempt;
        d->thread_fini(ts[i].wl.tx);
    }
    for (int k = 0; k < accounts; k++)
        state[k] = d->peek(shared, k);
    d->destroy(shared);
    stm_arena_free(&arena);
    free(ts);
    return 0;
}
