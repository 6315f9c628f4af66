/* stm_rt.h: internals shared by the controlled and the free runtime:
 * the cell arena, the design registry, event recording, the bank workload. */
#ifndef STM_RT_H
#define STM_RT_H

#include "stm.h"
#include "stm_api.h"

#define STM_MAX_THREADS 64

/* Values in the bank workload: balance * STM_TAG_SCALE + tag, where the tag
 * names the writing attempt ((thread+1) * 10^7 + attempt mod 10^7; 0 for the
 * initial value). Why: every written value is then unique per key, so the
 * checker ties each read to exactly one writer instead of searching among
 * equal balances; the balance stays readable in the decimal digits. */
#define STM_TAG_SCALE 1000000000LL
#define STM_INITIAL_BALANCE 100
#define STM_MAX_EVENTS_PER_ATTEMPT 8

enum { EV_BEGIN = 0, EV_READ = 1, EV_WRITE = 2, EV_COMMIT = 3, EV_ABORT = 4 };

/* Arena of shared cells for one design instance (see stm_cells). */
typedef struct stm_arena {
    char *blocks[16];
    int64_t first_id[16];
    int64_t used[16], cap[16];
    int nblocks;
} stm_arena;
void stm_arena_begin(stm_arena *a);   /* make `a` the target of stm_cells() */
void stm_arena_end(void);
void stm_arena_free(stm_arena *a);
int64_t stm_arena_id(const stm_arena *a, const void *addr);

const stm_design *stm_find_design(const char *name);

/* An event buffer. Controlled mode: one buffer shared by every coroutine,
 * growable, stamped with the step counter `*clock`. Free mode: one per
 * thread, fixed capacity, stamped with the monotonic clock. */
typedef struct stm_rec {
    stm_event *buf;
    int64_t n, cap;
    int grow;
    const int64_t *clock;
} stm_rec;
void stm_rec_push(stm_rec *r, int64_t time, int64_t thread, int64_t attempt, int op,
                  int64_t key, int64_t value);

/* One thread of the bank workload. */
typedef struct stm_wl_thread {
    const stm_design *d;
    void *tx;
    int thread, accounts, audit_pct;
    int64_t txns;            /* transactions to commit; < 0: until *stop */
    atomic_int *stop;        /* free mode: set when time is up */
    uint64_t rng;
    int64_t attempt;         /* attempts made so far (ids and tags) */
    stm_rec *rec;
    int64_t last_stamp;      /* free mode: stamps strictly increase per thread */
    int64_t commits, aborts;
    int committing;          /* inside commit(): its writes may be visible */
} stm_wl_thread;
void stm_workload_run(stm_wl_thread *w);
uint64_t stm_rng_next(uint64_t *s);
uint64_t stm_seed_mix(uint64_t a, uint64_t b);
stm_word stm_initial_value(int key);

#endif
