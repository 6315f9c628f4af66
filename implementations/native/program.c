/* program.c: the explorer's own workloads, scheduled natively.
 *
 * Why: `stmcheck explore native-* --strategy random|pct` must judge the same
 * executions the Python runtime (checker/explore/runtime.py) would run through the
 * adapter (design.py), only faster. So each thread runs a *program* compiled
 * from the Python workload (straight-line transactions: reads into registers,
 * writes of register + constant), with the runtime's scheduling points and
 * rules reproduced exactly:
 *
 * - every attempt is framed by two synthetic steps, BEGIN and END (the begin
 *   event is recorded after BEGIN, commit/abort after END), and every
 *   instrumented access is one step;
 * - an aborted attempt is retried at once, and given up after `retries`
 *   retries when that is >= 0;
 * - livelock: after an abort, the state (every shared word, and each thread's
 *   transaction index, the results of its steps since its attempt began, and
 *   its try count when retries are bounded) is looked up among those seen
 *   since the last commit (liveness.py's LassoDetector). A repeated state is
 *   a lasso: fair (every thread enabled in it stepped) ends the run, unfair
 *   makes the next choice one of the starved threads;
 * - `max_steps`: the run stops when that many steps were taken.
 *
 * So a schedule drawn here replays step for step in the Python runtime, and
 * a violation found here is reported from that replay. Events are recorded
 * with the runtime's ids: thread t+1, attempt counted from 1 over the thread.
 */
#include <stdlib.h>
#include <string.h>

#include "controlled.h"

enum { P_READ = 0, P_WRITE = 1, P_END = 2 };
enum { RANDOM = 0, PCT = 1, REPLAY = 2 };
#define MAX_REGS 16

typedef struct stm_prog {
    int64_t *ops;     /* quads (kind, key, register, constant); P_END closes a transaction */
    int64_t *starts;  /* thread i's quads are [starts[i], starts[i+1]) */
    int64_t retries;  /* < 0: retry forever */
} stm_prog;

typedef struct stm_lasso {
    int64_t n, cap, width;  /* states seen since the last commit, words per state */
    uint64_t *hash;
    int64_t *depth, *pool, *scratch;
    uint64_t *enlog;        /* enabled threads (bit mask) at each state of the run */
    int64_t enlog_cap;
    int64_t start, end;     /* the last lasso found */
} stm_lasso;

static void *grow(void *p, int64_t *cap, int64_t need, size_t size) {
    if (need <= *cap)
        return p;
    int64_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *cap = c;
    return realloc(p, (size_t)c * size);
}

stm_exec *stm_program_new(const char *design, int threads, int nkeys, const int64_t *initial,
                          const int64_t *ops, int64_t nquads, const int64_t *starts, int64_t retries) {
    stm_exec *ex = stm_exec_new(design, threads, nkeys, 0, 0, 0);
    if (!ex)
        return NULL;
    memcpy(ex->initial, initial, sizeof(int64_t) * (size_t)nkeys);
    stm_prog *p = calloc(1, sizeof *p);
    p->ops = malloc(sizeof(int64_t) * (size_t)(4 * nquads + 4));
    memcpy(p->ops, ops, sizeof(int64_t) * (size_t)(4 * nquads));
    p->starts = malloc(sizeof(int64_t) * (size_t)(threads + 1));
    memcpy(p->starts, starts, sizeof(int64_t) * (size_t)(threads + 1));
    p->retries = retries;
    ex->prog = p;
    ex->lasso = calloc(1, sizeof(stm_lasso));
    return ex;
}

void stm_program_reset(stm_exec *ex) {
    ex->restarted = 0;
    ex->commits = ex->last_commit = 0;
    if (ex->lasso)
        ex->lasso->n = 0;
}

void stm_program_free(stm_exec *ex) {
    if (ex->prog) {
        free(ex->prog->ops);
        free(ex->prog->starts);
        free(ex->prog);
        ex->prog = NULL;
    }
    if (ex->lasso) {
        stm_lasso *l = ex->lasso;
        free(l->hash);
        free(l->depth);
        free(l->pool);
        free(l->scratch);
        free(l->enlog);
        free(l);
        ex->lasso = NULL;
    }
}

/* BEGIN and END: scheduling points that touch nothing (always enabled). */
static void synthetic(int kind) {
    stm_point(NULL, kind, 0, 0, 0);
    stm_point_done(0);
}

void stm_program_main(stm_exec *ex, cthread *t) {
    const stm_design *d = ex->design;
    const stm_prog *p = ex->prog;
    int me = (int)(t - ex->th);
    void *tx = t->wl.tx;
    stm_rec *rec = &ex->rec;
    int64_t th = me + 1;
    const int64_t *op = p->ops + 4 * p->starts[me], *end = p->ops + 4 * p->starts[me + 1];
    for (int64_t k = 0; op < end; k++) {
        const int64_t *body = op;
        while (op[0] != P_END)
            op += 4;
        const int64_t *stop = op;
        op += 4;
        t->k = k;
        for (int64_t tries = 1;; tries++) {
            stm_word regs[MAX_REGS] = {0};
            t->tries = tries;
            int64_t at = ++t->attempts;
            t->npos = 0;
            t->poshash = 0;
            synthetic(STM_ACC_READ);
            stm_rec_push(rec, 0, th, at, EV_BEGIN, 0, 0);
            d->begin(tx);
            const int64_t *q;
            for (q = body; q < stop; q += 4) {
                stm_word v;
                if (q[0] == P_READ) {
                    if (d->read(tx, (int)q[1], &v) != STM_OK)
                        break;
                    stm_rec_push(rec, 0, th, at, EV_READ, q[1], v);
                    regs[q[2]] = v;
                } else {
                    v = (q[2] >= 0 ? regs[q[2]] : 0) + q[3];
                    if (d->write(tx, (int)q[1], v) != STM_OK)
                        break;
                    stm_rec_push(rec, 0, th, at, EV_WRITE, q[1], v);
                }
            }
            int ok = 0;
            if (q == stop) {
                t->wl.committing = 1;
                ok = d->commit(tx) == STM_OK;
                t->wl.committing = 0;
            }
            if (!ok)
                d->abort(tx);
            synthetic(STM_ACC_WRITE);
            stm_rec_push(rec, 0, th, at, ok ? EV_COMMIT : EV_ABORT, 0, 0);
            if (ok) {
                ex->commits++;
                ex->last_commit = ex->steps;
                ex->lasso->n = 0;
                break;
            }
            ex->restarted = 1;
            if (p->retries >= 0 && tries > p->retries)
                break;
        }
    }
}

static uint64_t hash_words(const int64_t *w, int64_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int64_t i = 0; i < n; i++)
        h = (h ^ (uint64_t)w[i]) * 0x100000001b3ULL;
    return h;
}

/* 1 when the current state was seen since the last commit (l->start set). */
static int lasso_visit(stm_exec *ex, int64_t depth) {
    stm_lasso *l = ex->lasso;
    int64_t cells = stm_session_cells(ex), width = cells + 4 * ex->nthreads;
    if (width != l->width) {
        l->n = 0;
        l->width = width;
        free(l->scratch);
        l->scratch = malloc(sizeof(int64_t) * (size_t)width);
    }
    int64_t *s = l->scratch;
    stm_session_values(ex, s, cells);
    for (int i = 0; i < ex->nthreads; i++) {
        const cthread *t = &ex->th[i];
        int64_t *w = s + cells + 4 * i;
        w[0] = t->finished ? -1 : t->k;
        w[1] = t->finished || ex->prog->retries < 0 ? 0 : t->tries;
        w[2] = t->finished ? 0 : t->npos;
        w[3] = t->finished ? 0 : (int64_t)t->poshash;
    }
    uint64_t h = hash_words(s, width);
    for (int64_t i = 0; i < l->n; i++)
        if (l->hash[i] == h && !memcmp(l->pool + i * width, s, sizeof(int64_t) * (size_t)width)) {
            l->start = l->depth[i];
            l->end = depth;
            return 1;
        }
    int64_t cap = l->cap;
    l->hash = grow(l->hash, &cap, l->n + 1, sizeof(uint64_t));
    cap = l->cap;
    l->depth = grow(l->depth, &cap, l->n + 1, sizeof(int64_t));
    cap = l->cap;
    l->pool = grow(l->pool, &cap, l->n + 1, sizeof(int64_t) * (size_t)width);
    l->cap = cap;
    l->hash[l->n] = h;
    l->depth[l->n] = depth;
    memcpy(l->pool + l->n * width, s, sizeof(int64_t) * (size_t)width);
    l->n++;
    return 0;
}

/* One execution of the program. 0 complete, 1 deadlock, 2 max-steps,
 * 3 livelock (a fair lasso), -1 the replayed schedule does not fit. */
int stm_program_run(stm_exec *ex, int strategy, uint64_t seed, int pct_depth, int64_t pct_k,
                    int64_t max_steps, uint8_t *sched, int64_t *sched_len) {
    volatile uint8_t *vs = sched;
    volatile int64_t *vlen = sched_len;
    int64_t replay_n = strategy == REPLAY ? *sched_len : 0;
    uint64_t rng = stm_seed_mix(seed, 0x5eed);
    pct_state pct = {{0}, {0}, 0};
    if (strategy == PCT)
        stm_pct_init(&pct, ex->nthreads, pct_depth, pct_k, &rng);
    stm_exec_reset(ex);
    stm_lasso *l = ex->lasso;
    uint64_t restrict_to = 0;
    int en[STM_MAX_THREADS], ch[STM_MAX_THREADS];
    for (;;) {
        int ne = 0, unfinished = 0;
        uint64_t mask = 0;
        for (int i = 0; i < ex->nthreads; i++) {
            if (ex->th[i].finished)
                continue;
            unfinished++;
            if (stm_ctl_enabled(&ex->th[i])) {
                en[ne++] = i;
                mask |= 1ULL << i;
            }
        }
        int64_t depth = ex->steps;
        l->enlog = grow(l->enlog, &l->enlog_cap, depth + 1, sizeof(uint64_t));
        l->enlog[depth] = mask;
        if (!unfinished)
            return 0;
        if (!ne)
            return 1;
        if (ex->restarted) {
            ex->restarted = 0;
            if (lasso_visit(ex, depth)) {
                uint64_t stepped = 0, enabled = 0;
                for (int64_t i = l->start; i < depth; i++)
                    stepped |= 1ULL << vs[i];
                for (int64_t i = l->start; i <= depth; i++)
                    enabled |= l->enlog[i];
                if (!(enabled & ~stepped))
                    return 3;
                restrict_to = enabled & ~stepped;
            }
        }
        if (depth >= max_steps)
            return 2;
        int nc = 0;
        for (int i = 0; i < ne; i++)
            if (restrict_to & (1ULL << en[i]))
                ch[nc++] = en[i];
        restrict_to = 0;
        const int *c = nc ? ch : en;
        if (!nc)
            nc = ne;
        int pick;
        if (depth < replay_n) {
            pick = vs[depth];
            int fits = 0;
            for (int i = 0; i < nc; i++)
                fits |= c[i] == pick;
            if (!fits)
                return -1;
        } else if (strategy == REPLAY) {  /* non-preemptive continuation, as replay.py */
            pick = c[0];
            for (int i = 0; depth > 0 && i < nc; i++)
                if (c[i] == vs[depth - 1])
                    pick = c[i];
        } else if (strategy == PCT) {
            pick = stm_pct_pick(&pct, c, nc, depth + 1);
        } else {
            pick = c[nc == 1 ? 0 : stm_rng_next(&rng) % (uint64_t)nc];
        }
        vs[depth] = (uint8_t)pick;  /* before the step: a crash leaves its culprit */
        *vlen = depth + 1;
        ex->steps++;
        stm_ctl_to_thread(ex, pick);
    }
}

/* last commit's step, commits, and the last lasso's start and end. */
void stm_program_info(stm_exec *ex, int64_t *out) {
    out[0] = ex->last_commit;
    out[1] = ex->commits;
    out[2] = ex->lasso ? ex->lasso->start : 0;
    out[3] = ex->lasso ? ex->lasso->end : 0;
}
