/* workload.c: the bank workload every native design runs, with its recording.
 *
 * Each transaction is either a transfer (read `from`, read `to`, and if
 * `from` holds enough, write both) or, audit_pct percent of the time, an
 * audit that reads up to three accounts. A transaction is retried after an
 * abort until it commits; every attempt is recorded.
 *
 * Where the stamps go (free mode) is what keeps real-time order honest: the
 * begin stamp is read before begin() is called, with a fence so that none of
 * begin's accesses can be performed before the clock is read; the
 * commit/abort stamp is read after the call returned, behind a full fence so
 * that the commit's stores are globally visible before the clock is read.
 * A thread's stamps strictly increase (we re-read the clock until it moves),
 * so sorting by stamp never puts a thread's begin before its previous end.
 */
#include <sched.h>
#include <time.h>

#include "stm_rt.h"

#if STM_CONTROLLED
#define STAMP_BEFORE(w) (*(w)->rec->clock)
#define STAMP_AFTER(w) (*(w)->rec->clock)
#else
static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void full_fence(void) {
#if defined(__x86_64__)
    /* Intel SDM: MFENCE;LFENCE before RDTSC makes all earlier loads and
     * stores globally visible before the counter is read. */
    __asm__ __volatile__("mfence; lfence" ::: "memory");
#else
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

static inline int64_t fresh_stamp(stm_wl_thread *w) {
    int64_t t = now_ns();
    while (t <= w->last_stamp)
        t = now_ns();
    w->last_stamp = t;
    return t;
}

static int64_t STAMP_BEFORE(stm_wl_thread *w) {
    int64_t t = fresh_stamp(w);
    full_fence();  /* LFENCE after the read: later accesses wait for it */
    return t;
}

static int64_t STAMP_AFTER(stm_wl_thread *w) {
    full_fence();
    return fresh_stamp(w);
}
#endif

static inline int64_t tag_of(const stm_wl_thread *w) {
    return (int64_t)(w->thread + 1) * 10000000LL + w->attempt % 10000000LL;
}

static inline int64_t balance_of(stm_word v) {
    /* floor division: balances stay >= 0 in this workload, but be exact */
    int64_t q = v / STM_TAG_SCALE;
    return (v % STM_TAG_SCALE < 0) ? q - 1 : q;
}

typedef struct plan {
    int n;          /* accounts to read */
    int keys[3];
    int transfer;   /* keys[0] -> keys[1] */
    int amount;
} plan;

static plan draw_plan(stm_wl_thread *w) {
    plan p = {0};
    uint64_t r = stm_rng_next(&w->rng);
    int m = w->accounts;
    if (m >= 2 && (int)(r % 100) >= w->audit_pct) {
        p.transfer = 1;
        p.n = 2;
        p.keys[0] = (int)(stm_rng_next(&w->rng) % (uint64_t)m);
        p.keys[1] = (int)(stm_rng_next(&w->rng) % (uint64_t)(m - 1));
        if (p.keys[1] >= p.keys[0])
            p.keys[1]++;
        p.amount = 1 + (int)(stm_rng_next(&w->rng) % 5);
    } else {
        p.n = m < 3 ? m : 3;
        for (int i = 0; i < p.n; i++) {
            int k;
            int fresh;
            do {
                k = (int)(stm_rng_next(&w->rng) % (uint64_t)m);
                fresh = 1;
                for (int j = 0; j < i; j++)
                    fresh &= p.keys[j] != k;
            } while (!fresh);
            p.keys[i] = k;
        }
    }
    return p;
}

/* One attempt; STM_OK when it committed. */
static int attempt(stm_wl_thread *w, const plan *p) {
    const stm_design *d = w->d;
    int64_t th = w->thread, at = w->attempt;
    stm_word v[3];
    stm_rec_push(w->rec, STAMP_BEFORE(w), th, at, EV_BEGIN, 0, 0);
    d->begin(w->tx);
    for (int i = 0; i < p->n; i++) {
        if (d->read(w->tx, p->keys[i], &v[i]) != STM_OK)
            goto aborted;
        stm_rec_push(w->rec, 0, th, at, EV_READ, p->keys[i], v[i]);
    }
    if (p->transfer && balance_of(v[0]) >= p->amount) {
        int64_t tag = tag_of(w);
        stm_word nf = (balance_of(v[0]) - p->amount) * STM_TAG_SCALE + tag;
        stm_word nt = (balance_of(v[1]) + p->amount) * STM_TAG_SCALE + tag;
        if (d->write(w->tx, p->keys[0], nf) != STM_OK)
            goto aborted;
        stm_rec_push(w->rec, 0, th, at, EV_WRITE, p->keys[0], nf);
        if (d->write(w->tx, p->keys[1], nt) != STM_OK)
            goto aborted;
        stm_rec_push(w->rec, 0, th, at, EV_WRITE, p->keys[1], nt);
    }
    w->committing = 1;
    int rc = d->commit(w->tx);
    w->committing = 0;
    if (rc != STM_OK)
        goto aborted;
    stm_rec_push(w->rec, STAMP_AFTER(w), th, at, EV_COMMIT, 0, 0);
    return STM_OK;
aborted:
    d->abort(w->tx);
    stm_rec_push(w->rec, STAMP_AFTER(w), th, at, EV_ABORT, 0, 0);
    return STM_ABORTED;
}

static int must_stop(stm_wl_thread *w) {
    if (w->stop && atomic_load_explicit(w->stop, memory_order_relaxed))
        return 1;
    /* free mode: stop at a boundary rather than record half an attempt */
    return !w->rec->grow && w->rec->n + STM_MAX_EVENTS_PER_ATTEMPT > w->rec->cap;
}

/* Free mode: exponential backoff after an abort (a contention manager, as
 * any real STM runtime has). Without it a thread whose conflicting partner
 * was descheduled while holding locks retries in a tight loop and fills its
 * buffer with aborts. Controlled mode needs none: the scheduler decides. */
static void backoff(int retries) {
#if STM_CONTROLLED
    (void)retries;
#else
    int n = 1 << (retries < 10 ? retries : 10);
    for (int i = 0; i < n; i++)
        stm_cpu_relax_();
    if (retries > 3)
        sched_yield();
#endif
}

void stm_workload_run(stm_wl_thread *w) {
    for (int64_t i = 0; w->txns < 0 || i < w->txns; i++) {
        if (must_stop(w))
            return;
        plan p = draw_plan(w);
        for (int retries = 0;; retries++) {
            int rc = attempt(w, &p);
            w->attempt++;
            if (rc == STM_OK) {
                w->commits++;
                break;
            }
            w->aborts++;
            if (must_stop(w))
                return;
            backoff(retries);
        }
    }
}
