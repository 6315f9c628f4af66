/* controlled.h: the coroutine execution shared by controlled.c (coroutines,
 * the bank-workload loop, sessions) and program.c (the Python workloads'
 * loop). Internal to the controlled library. */
#ifndef STM_CONTROLLED_H
#define STM_CONTROLLED_H

#include "stm_rt.h"

#if defined(__x86_64__) && !defined(STM_USE_UCONTEXT)
#define ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

#define STACK_SIZE (256 * 1024)

typedef struct cthread {
#ifdef ASM_SWITCH
    void *sp;
#else
    ucontext_t uc;
#endif
    char *stack;
    int finished;
    const stm_cell *obj;  /* the pending access */
    int kind, waits, op;
    stm_word mask, want, a, b, result;
    stm_wl_thread wl;
    /* session mode: one design call at a time, driven from outside */
    int idle, cmd, key, status;
    stm_word value;
    /* program mode (program.c): where the thread is, for livelock detection */
    int64_t k, tries, attempts, npos;
    uint64_t poshash;    /* hash of the results of its steps since its attempt began */
} cthread;

struct stm_exec {
    const stm_design *design;
    void *shared;
    stm_arena arena;
    int nthreads, accounts, txns, audit_pct;
    uint64_t workload_seed;
    stm_word *initial;
    cthread th[STM_MAX_THREADS];
#ifdef ASM_SWITCH
    void *sched_sp;
#else
    ucontext_t sched_uc;
#endif
    int current;
    int live;  /* shared instance and descriptors exist */
    int session;  /* threads serve design calls instead of running the workload */
    stm_rec rec;
    int64_t steps;
    /* program mode (program.c) */
    struct stm_prog *prog;
    int restarted;         /* an attempt aborted since the last state was visited */
    int64_t commits, last_commit;
    struct stm_lasso *lasso;
};

typedef struct pct_state {
    int64_t prio[STM_MAX_THREADS];
    int64_t change[16];  /* change points (step numbers), priority = index */
    int nchange;
} pct_state;
void stm_pct_init(pct_state *p, int n, int depth, int64_t k, uint64_t *rng);
int stm_pct_pick(pct_state *p, const int *en, int ne, int64_t step);

void stm_ctl_to_sched(stm_exec *ex, cthread *t);
void stm_ctl_to_thread(stm_exec *ex, int i);
void stm_program_main(stm_exec *ex, cthread *t);
void stm_program_reset(stm_exec *ex);
void stm_program_free(stm_exec *ex);

static inline int stm_ctl_enabled(const cthread *t) {
    if (t->finished)
        return 0;
    return !t->waits || (atomic_load((stm_cell *)t->obj) & t->mask) == t->want;
}

/* A step's result joins the thread's position (program.c's lasso states). */
static inline void stm_ctl_result(cthread *t, stm_word r) {
    t->result = r;
    t->poshash = (t->poshash ^ (uint64_t)r) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
    t->npos++;
}

#endif
