/* controlled.c: controlled mode. The workload's threads run as coroutines in
 * one OS thread; each instrumented access parks the running coroutine and
 * returns to the scheduler, which picks who moves next. A step is one shared
 * access plus the private computation up to the next one.
 *
 * Why coroutines with a hand-written switch: a step costs two context
 * switches of a few nanoseconds (no system call, unlike swapcontext, which
 * saves the signal mask), so whole executions are scheduled natively at
 * millions of steps per second. Other architectures fall back to ucontext.
 *
 * Determinism: a thread's program depends only on the workload seed, and
 * the schedule only on the strategy's seed, so (seeds, schedule) replays.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlled.h"

#ifdef ASM_SWITCH
/* Save callee-saved registers on the current stack, store its pointer in
 * *save, switch to `to`, restore that context's registers and return there. */
void stm_ctx_switch(void **save, void *to);
__asm__(".text\n"
        ".p2align 4\n"
        ".globl stm_ctx_switch\n"
        ".hidden stm_ctx_switch\n"
        ".type stm_ctx_switch,@function\n"
        "stm_ctx_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size stm_ctx_switch, .-stm_ctx_switch\n");
#endif

/* The execution being stepped on this OS thread. */
static _Thread_local stm_exec *g_ex;

static void to_sched(stm_exec *ex, cthread *t) {
#ifdef ASM_SWITCH
    stm_ctx_switch(&t->sp, ex->sched_sp);
#else
    swapcontext(&t->uc, &ex->sched_uc);
#endif
}

static void to_thread(stm_exec *ex, int i) {
    cthread *t = &ex->th[i];
    ex->current = i;
    g_ex = ex;
#ifdef ASM_SWITCH
    stm_ctx_switch(&ex->sched_sp, t->sp);
#else
    swapcontext(&ex->sched_uc, &t->uc);
#endif
}

static void session_main(stm_exec *ex, cthread *t);

static void coro_entry(void) {
    stm_exec *ex = g_ex;
    cthread *t = &ex->th[ex->current];
    if (ex->session)
        session_main(ex, t);  /* never returns */
    if (ex->prog)
        stm_program_main(ex, t);
    else
        stm_workload_run(&t->wl);
    t->finished = 1;
    to_sched(ex, t);
    abort();  /* a finished coroutine is never resumed */
}

static void coro_init(stm_exec *ex, cthread *t) {
#ifdef ASM_SWITCH
    (void)ex;
    uintptr_t top = ((uintptr_t)t->stack + STACK_SIZE) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = NULL;               /* keeps rsp = 8 mod 16 at coro_entry, as after a call */
    *--sp = (void *)coro_entry; /* where stm_ctx_switch's ret lands */
    for (int i = 0; i < 6; i++)
        *--sp = NULL;           /* rbp rbx r12..r15 */
    t->sp = sp;
#else
    getcontext(&t->uc);
    t->uc.uc_stack.ss_sp = t->stack;
    t->uc.uc_stack.ss_size = STACK_SIZE;
    t->uc.uc_link = &ex->sched_uc;
    makecontext(&t->uc, coro_entry, 0);
#endif
}

void stm_point(const stm_cell *c, int kind, int op, stm_word a, stm_word b) {
    stm_exec *ex = g_ex;
    cthread *t = &ex->th[ex->current];
    t->obj = c;
    t->kind = kind;
    t->op = op;
    t->a = a;
    t->b = b;
    t->waits = 0;
    to_sched(ex, t);
}

void stm_point_done(stm_word result) {
    stm_ctl_result(&g_ex->th[g_ex->current], result);
}

stm_word stm_await_point(const stm_cell *c, stm_word mask, stm_word want) {
    stm_exec *ex = g_ex;
    cthread *t = &ex->th[ex->current];
    t->obj = c;
    t->kind = STM_ACC_READ;
    t->op = STM_OP_AWAIT;
    t->waits = 1;
    t->a = t->mask = mask;
    t->b = t->want = want;
    to_sched(ex, t);
    /* only resumed once the condition held, and nobody ran since */
    stm_ctl_result(t, atomic_load((stm_cell *)c));
    return t->result;
}

#define enabled(t) stm_ctl_enabled(t)

void stm_ctl_to_sched(stm_exec *ex, cthread *t) { to_sched(ex, t); }
void stm_ctl_to_thread(stm_exec *ex, int i) { to_thread(ex, i); }

static void teardown(stm_exec *ex) {
    if (!ex->live)
        return;
    for (int i = 0; i < ex->nthreads; i++)
        ex->design->thread_fini(ex->th[i].wl.tx);
    ex->design->destroy(ex->shared);
    stm_arena_free(&ex->arena);
    ex->live = 0;
}

stm_exec *stm_exec_new(const char *design, int threads, int accounts, int txns, int audit_pct,
                       uint64_t workload_seed) {
    const stm_design *d = stm_find_design(design);
    if (!d || threads < 1 || threads > STM_MAX_THREADS || accounts < 1)
        return NULL;
    stm_exec *ex = calloc(1, sizeof *ex);
    ex->design = d;
    ex->nthreads = threads;
    ex->accounts = accounts;
    ex->txns = txns;
    ex->audit_pct = audit_pct;
    ex->workload_seed = workload_seed;
    ex->initial = malloc(sizeof(stm_word) * (size_t)accounts);
    for (int k = 0; k < accounts; k++)
        ex->initial[k] = stm_initial_value(k);
    for (int i = 0; i < threads; i++)
        ex->th[i].stack = malloc(STACK_SIZE);
    ex->rec.grow = 1;
    ex->rec.clock = &ex->steps;
    return ex;
}

void stm_exec_free(stm_exec *ex) {
    if (!ex)
        return;
    teardown(ex);
    stm_program_free(ex);
    for (int i = 0; i < ex->nthreads; i++)
        free(ex->th[i].stack);
    free(ex->rec.buf);
    free(ex->initial);
    free(ex);
}

int stm_exec_reset(stm_exec *ex) {
    teardown(ex);
    stm_arena_begin(&ex->arena);
    ex->shared = ex->design->create(ex->accounts, ex->initial, ex->nthreads);
    stm_arena_end();
    ex->live = 1;
    ex->rec.n = 0;
    ex->steps = 0;
    stm_program_reset(ex);
    for (int i = 0; i < ex->nthreads; i++) {
        cthread *t = &ex->th[i];
        t->finished = 0;
        t->waits = 0;
        t->obj = NULL;
        memset(&t->wl, 0, sizeof t->wl);
        t->k = t->tries = t->attempts = t->npos = 0;
        t->poshash = 0;
        t->wl.d = ex->design;
        t->wl.tx = ex->design->thread_init(ex->shared, i);
        t->wl.thread = i;
        t->wl.accounts = ex->accounts;
        t->wl.audit_pct = ex->audit_pct;
        t->wl.txns = ex->txns;
        t->wl.rng = stm_seed_mix(ex->workload_seed, (uint64_t)i);
        t->wl.rec = &ex->rec;
        coro_init(ex, t);
    }
    /* Run every thread up to its first access: that part touches no shared
     * memory, so it is not a scheduling decision. */
    for (int i = 0; i < ex->nthreads; i++)
        to_thread(ex, i);
    return 0;
}

int stm_exec_step(stm_exec *ex, int i) {
    if (i < 0 || i >= ex->nthreads || !ex->live || !enabled(&ex->th[i]))
        return -1;
    ex->steps++;
    to_thread(ex, i);
    return 0;
}

void stm_exec_access(stm_exec *ex, int i, stm_access *out) {
    cthread *t = &ex->th[i];
    out->finished = t->finished;
    out->committing = t->wl.committing;
    out->enabled = ex->live && enabled(t);
    out->waits = t->waits;
    out->kind = t->kind;
    out->obj = t->obj ? stm_arena_id(&ex->arena, t->obj) : -1;
}

int64_t stm_exec_steps(stm_exec *ex) { return ex->steps; }

stm_event *stm_exec_events(stm_exec *ex, int64_t *n) {
    *n = ex->rec.n;
    return ex->rec.buf;
}

void stm_exec_final(stm_exec *ex, int64_t *out) {
    for (int k = 0; k < ex->accounts; k++)
        out[k] = ex->live ? ex->design->peek(ex->shared, k) : 0;
}

void stm_exec_initial(stm_exec *ex, int64_t *out) {
    memcpy(out, ex->initial, sizeof(int64_t) * (size_t)ex->accounts);
}

/* ---- the native scheduling loop --------------------------------------- */

enum { RANDOM = 0, PCT = 1, REPLAY = 2 };


/* PCT (Burckhardt et al., ASPLOS 2010): distinct random priorities d..d+n-1,
 * d-1 change points uniform in [1, k]; the highest-priority enabled thread
 * runs, and at the j-th change point the running thread drops to priority j. */
void stm_pct_init(pct_state *p, int n, int depth, int64_t k, uint64_t *rng) {
    if (depth < 1)
        depth = 1;
    if (depth > 16)
        depth = 16;
    if (k < 1)
        k = 1;
    for (int i = 0; i < n; i++)
        p->prio[i] = depth + i;
    for (int i = n - 1; i > 0; i--) {  /* Fisher-Yates */
        int j = (int)(stm_rng_next(rng) % (uint64_t)(i + 1));
        int64_t x = p->prio[i];
        p->prio[i] = p->prio[j];
        p->prio[j] = x;
    }
    p->nchange = depth - 1;
    for (int j = 0; j < p->nchange; j++)
        p->change[j] = 1 + (int64_t)(stm_rng_next(rng) % (uint64_t)k);
}

int stm_pct_pick(pct_state *p, const int *en, int ne, int64_t step) {
    int best = en[0];
    for (int i = 1; i < ne; i++)
        if (p->prio[en[i]] > p->prio[best])
            best = en[i];
    for (int j = 0; j < p->nchange; j++)
        if (p->change[j] == step) {
            p->prio[best] = j + 1;  /* below every initial priority */
            best = en[0];
            for (int i = 1; i < ne; i++)
                if (p->prio[en[i]] > p->prio[best])
                    best = en[i];
        }
    return best;
}

int stm_exec_run(stm_exec *ex, int strategy, uint64_t seed, int pct_depth, int64_t pct_k,
                 int64_t max_steps, uint8_t *sched, int64_t *sched_len) {
    volatile uint8_t *vs = sched;
    volatile int64_t *vlen = sched_len;
    int64_t replay_n = strategy == REPLAY ? *sched_len : 0;
    uint64_t rng = stm_seed_mix(seed, 0x5eed);
    pct_state pct = {{0}, {0}, 0};
    if (strategy == PCT)
        stm_pct_init(&pct, ex->nthreads, pct_depth, pct_k, &rng);
    stm_exec_reset(ex);
    if (strategy != REPLAY)
        *vlen = 0;
    int en[STM_MAX_THREADS];
    for (;;) {
        int ne = 0, unfinished = 0;
        for (int i = 0; i < ex->nthreads; i++) {
            if (ex->th[i].finished)
                continue;
            unfinished++;
            if (enabled(&ex->th[i]))
                en[ne++] = i;
        }
        if (!unfinished)
            return 0;
        if (!ne)
            return 1;
        int pick;
        if (ex->steps >= max_steps) {
            if (ex->steps >= 2 * max_steps)
                return 2;
            pick = -1;
            for (int i = 0; i < ne && pick < 0; i++)
                if (ex->th[en[i]].wl.committing)
                    pick = en[i];
            if (pick < 0)
                return 2;
        } else if (ex->steps < replay_n) {
            pick = vs[ex->steps];
            if (pick >= ex->nthreads || !enabled(&ex->th[pick]))
                return -1;
        } else if (strategy == PCT) {
            pick = stm_pct_pick(&pct, en, ne, ex->steps + 1);
        } else {
            pick = en[ne == 1 ? 0 : stm_rng_next(&rng) % (uint64_t)ne];
        }
        /* write the choice before making it: a crash leaves its culprit */
        vs[ex->steps] = (uint8_t)pick;
        *vlen = ex->steps + 1;
        ex->steps++;
        to_thread(ex, pick);
    }
}

/* ---- session mode: design calls driven one access at a time ------------ */

/* Why: the Python runtime runs its own workloads against the design
 * interface (begin/read/write/commit/abort, each a generator of steps). A
 * session gives each C thread a coroutine that executes one design call at
 * a time; every instrumented access inside the call parks it and reports
 * the access (op, object, operands), so the Python side can mirror it as a
 * machine step on a shadow cell and resume the coroutine when the runtime
 * schedules that step. */

enum { CALL_BEGIN = 0, CALL_READ = 1, CALL_WRITE = 2, CALL_COMMIT = 3, CALL_ABORT = 4 };

static void session_main(stm_exec *ex, cthread *t) {
    const stm_design *d = ex->design;
    for (;;) {
        t->idle = 1;
        to_sched(ex, t);  /* wait for a call */
        t->idle = 0;
        t->status = STM_OK;
        switch (t->cmd) {
        case CALL_BEGIN: d->begin(t->wl.tx); break;
        case CALL_READ: t->status = d->read(t->wl.tx, t->key, &t->value); break;
        case CALL_WRITE: t->status = d->write(t->wl.tx, t->key, t->value); break;
        case CALL_COMMIT: t->status = d->commit(t->wl.tx); break;
        default: d->abort(t->wl.tx); break;
        }
        ex = g_ex;
    }
}

stm_exec *stm_session_new(const char *design, int threads, int nkeys, const int64_t *initial) {
    stm_exec *ex = stm_exec_new(design, threads, nkeys, 0, 0, 0);
    if (!ex)
        return NULL;
    memcpy(ex->initial, initial, sizeof(int64_t) * (size_t)nkeys);
    ex->session = 1;
    stm_exec_reset(ex);  /* every coroutine runs to its first wait for a call */
    return ex;
}

int64_t stm_session_cells(stm_exec *ex) {
    int b = ex->arena.nblocks - 1;
    return b < 0 ? 0 : ex->arena.first_id[b] + ex->arena.used[b] / (int64_t)sizeof(stm_cell);
}

void stm_session_values(stm_exec *ex, int64_t *out, int64_t n) {
    int64_t k = 0;
    for (int b = 0; b < ex->arena.nblocks; b++) {
        stm_cell *cells = (stm_cell *)ex->arena.blocks[b];
        int64_t first = ex->arena.first_id[b], count = ex->arena.cap[b] / (int64_t)sizeof(stm_cell);
        for (int64_t i = 0; i < count && first + i < n; i++, k++)
            out[first + i] = atomic_load(&cells[i]);
    }
}

/* 1 when the call completed, 0 when it parked at an access, -1 if busy. */
int stm_session_call(stm_exec *ex, int t, int call, int key, int64_t value) {
    cthread *th = &ex->th[t];
    if (!th->idle)
        return -1;
    th->cmd = call;
    th->key = key;
    th->value = value;
    to_thread(ex, t);
    return th->idle;
}

/* Perform the parked access; *result gets what it returned. 1 completed, 0 parked again. */
int stm_session_resume(stm_exec *ex, int t, int64_t *result) {
    cthread *th = &ex->th[t];
    if (th->idle)
        return -1;
    ex->steps++;
    to_thread(ex, t);
    *result = th->result;
    return th->idle;
}

void stm_session_pending(stm_exec *ex, int t, int64_t *out) {
    cthread *th = &ex->th[t];
    out[0] = th->op;
    out[1] = stm_arena_id(&ex->arena, th->obj);
    out[2] = th->a;
    out[3] = th->b;
}

int stm_session_status(stm_exec *ex, int t, int64_t *value) {
    *value = ex->th[t].value;
    return ex->th[t].status;
}

/* ---- session server: sessions in a worker process (worker.py) ---------- */

/* Why in C: the worker answers one request per machine step; a C loop costs
 * a read and a write system call per step and nothing else. */

static int readn(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int writen(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void serve_answer(stm_exec *ex, int t, int done, int64_t result, int64_t *out) {
    memset(out, 0, 8 * sizeof(int64_t));
    out[0] = done;
    out[1] = result;
    if (done) {
        int64_t v;
        out[2] = stm_session_status(ex, t, &v);
        out[3] = v;
    } else {
        stm_session_pending(ex, t, out + 4);
    }
}

int stm_session_serve(const char *design, int rfd, int wfd) {
    stm_exec **sessions = NULL;
    int64_t count = 0, cap = 0;
    int rc = -1;
    for (;;) {
        int64_t req[6], out[8];
        if (readn(rfd, req, sizeof req) != 0) {
            rc = 0;  /* the parent closed the pipe */
            break;
        }
        int64_t cmd = req[0], sid = req[1];
        if (cmd == 1) {  /* NEW threads nkeys, then nkeys initial values */
            int threads = (int)req[2], nkeys = (int)req[3];
            if (nkeys < 0 || nkeys > (1 << 20))
                break;
            int64_t *initial = malloc(sizeof(int64_t) * (size_t)(nkeys + 1));
            if (readn(rfd, initial, sizeof(int64_t) * (size_t)nkeys) != 0) {
                free(initial);
                break;
            }
            stm_exec *ex = threads > 0 && threads <= STM_MAX_THREADS
                               ? stm_session_new(design, threads, nkeys, initial) : NULL;
            free(initial);
            int64_t head[2] = {-1, 0};
            if (ex) {
                if (count == cap) {
                    cap = cap ? 2 * cap : 64;
                    sessions = realloc(sessions, sizeof(stm_exec *) * (size_t)cap);
                }
                sessions[count++] = ex;
                head[0] = count;
                head[1] = stm_session_cells(ex);
            }
            if (writen(wfd, head, sizeof head) != 0)
                break;
            if (ex) {
                int64_t *values = malloc(sizeof(int64_t) * (size_t)(head[1] + 1));
                stm_session_values(ex, values, head[1]);
                int bad = writen(wfd, values, sizeof(int64_t) * (size_t)head[1]);
                free(values);
                if (bad)
                    break;
            }
            continue;
        }
        if (sid < 1 || sid > count || !sessions[sid - 1])
            break;  /* a protocol error: the worker stops, the parent reports it */
        stm_exec *ex = sessions[sid - 1];
        int t = (int)req[2];
        if (cmd == 4) {  /* FREE */
            stm_exec_free(ex);
            sessions[sid - 1] = NULL;
            continue;
        }
        if (t < 0 || t >= ex->nthreads)
            break;
        int64_t result = 0;
        int done;
        if (cmd == 2)  /* CALL t call key value */
            done = stm_session_call(ex, t, (int)req[3], (int)req[4], req[5]);
        else if (cmd == 3)  /* RESUME t */
            done = stm_session_resume(ex, t, &result);
        else
            break;
        if (done < 0)
            break;
        serve_answer(ex, t, done, result, out);
        if (writen(wfd, out, sizeof out) != 0)
            break;
    }
    for (int64_t i = 0; i < count; i++)
        if (sessions[i])
            stm_exec_free(sessions[i]);
    free(sessions);
    return rc;
}
