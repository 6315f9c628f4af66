/* itm_bank.c: the bank workload written with GCC's transactional memory
 * (`gcc -fgnu-tm`, `__transaction_atomic`), run by libitm under the method
 * named by ITM_DEFAULT_METHOD (serialirr, gl_wt, ml_wt, ...).
 *
 *   itm_bank THREADS ACCOUNTS SECONDS PER_THREAD_CAP SEED AUDIT_PCT NOISE_PPM > out.bin
 *
 * NOISE_PPM: the chance per million logged operations that the thread yields
 * its CPU or spins briefly right there, inside the transaction (noise
 * injection: without it, short transactions on few cores hardly overlap).
 *
 * Every attempt is recorded through `transaction_pure` functions: they run
 * uninstrumented and are never rolled back, so an aborted attempt's reads
 * stay in the log. libitm restarts an aborted transaction by jumping back to
 * its beginning, with no hook in between, so an attempt is opened by the
 * first statement of the body: if the thread's previous attempt is still
 * open, it must have aborted; its end is stamped now (after the abort,
 * hence late: real-time order is weakened, never invented), and the new
 * attempt's begin is stamped just after. A retry's begin is thus stamped
 * after libitm's internal begin but before the body's first data access, so
 * every observation of the attempt follows its stamp. The first attempt's
 * begin is stamped before the transaction statement.
 *
 * Output (native endian int64): a header {magic, threads, accounts,
 * commits, aborts, elapsed_ns, 0, 0}, counts[threads], initial[accounts],
 * final[accounts], then each thread's events (struct stm_event).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stm_api.h"

#define SCALE 1000000000LL
#define PAD 8          /* one account per cache line */
#define HEADROOM 4096  /* events kept free for the retries of the last transaction */

enum { BEGIN = 0, READ = 1, WRITE = 2, COMMIT = 3, ABORT = 4 };

typedef struct tlog {
    stm_event *buf;
    int64_t n, cap;
    int thread, open;
    int64_t attempt, pre, last, commits, aborts;
    uint64_t rng, noise_rng;
    pthread_t pt;
} tlog;

static long *accounts;
static int naccounts, audit_pct;
static uint32_t noise_ppm;
static atomic_int go, stop;
static __thread tlog *me;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void full_fence(void) {
#if defined(__x86_64__)
    __asm__ __volatile__("mfence; lfence" ::: "memory");
#else
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

static int64_t fresh(tlog *l) {
    int64_t t = now_ns();
    while (t <= l->last)
        t = now_ns();
    return l->last = t;
}

static int64_t stamp_before(tlog *l) {
    int64_t t = fresh(l);
    full_fence();
    return t;
}

static int64_t stamp_after(tlog *l) {
    full_fence();
    return fresh(l);
}

static void push(tlog *l, int64_t time, int op, int64_t key, int64_t value) {
    if (l->n == l->cap) {
        fprintf(stderr, "itm_bank: event buffer overflow (one transaction retried too often)\n");
        exit(3);
    }
    l->buf[l->n++] = (stm_event){time, key, value, l->thread, l->attempt, op};
}

__attribute__((transaction_pure)) static void attempt_start(void) {
    tlog *l = me;
    if (l->open) {
        push(l, stamp_after(l), ABORT, 0, 0);
        l->aborts++;
        l->attempt++;
        push(l, stamp_before(l), BEGIN, 0, 0);
    } else {
        push(l, l->pre, BEGIN, 0, 0);
        l->open = 1;
    }
}

static uint64_t rng_next(uint64_t *s);

__attribute__((transaction_pure)) static void log_op(int op, int key, long value) {
    push(me, 0, op, key, value);
    if (noise_ppm) {
        uint64_t r = rng_next(&me->noise_rng);
        if ((uint32_t)(r % 1000000) < noise_ppm) {
            if (r & (1ULL << 40))
                sched_yield();
            else
                for (int i = (int)((r >> 41) % 2000); i > 0; i--)
                    __asm__ __volatile__("" ::: "memory");
        }
    }
}

__attribute__((transaction_pure)) static long current_tag(void) {
    return (long)(me->thread + 1) * 10000000L + (long)(me->attempt % 10000000L);
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void transfer(int from, int to, long amount) {
    __transaction_atomic {
        attempt_start();
        long f = accounts[from * PAD];
        log_op(READ, from, f);
        long t = accounts[to * PAD];
        log_op(READ, to, t);
        if (f / SCALE >= amount) {
            long tag = current_tag();
            long nf = (f / SCALE - amount) * SCALE + tag;
            long nt = (t / SCALE + amount) * SCALE + tag;
            accounts[from * PAD] = nf;
            log_op(WRITE, from, nf);
            accounts[to * PAD] = nt;
            log_op(WRITE, to, nt);
        }
    }
}

static void audit(const int *keys, int n) {
    __transaction_atomic {
        attempt_start();
        for (int i = 0; i < n; i++) {
            long v = accounts[keys[i] * PAD];
            log_op(READ, keys[i], v);
        }
    }
}

static void *worker(void *p) {
    tlog *l = me = p;
    while (!atomic_load(&go))
        ;
    int m = naccounts;
    while (!atomic_load_explicit(&stop, memory_order_relaxed) && l->n + HEADROOM <= l->cap) {
        int audit_now = m < 2 || (int)(rng_next(&l->rng) % 100) < audit_pct;
        int keys[3], n = m < 3 ? m : 3;
        long amount = 1 + (long)(rng_next(&l->rng) % 5);
        keys[0] = (int)(rng_next(&l->rng) % (uint64_t)m);
        for (int i = 1; i < n; i++) {
            int fresh_key;
            do {
                keys[i] = (int)(rng_next(&l->rng) % (uint64_t)m);
                fresh_key = 1;
                for (int j = 0; j < i; j++)
                    fresh_key &= keys[j] != keys[i];
            } while (!fresh_key);
        }
        l->pre = stamp_before(l);
        if (audit_now)
            audit(keys, n);
        else
            transfer(keys[0], keys[1], amount);
        push(l, stamp_after(l), COMMIT, 0, 0);
        l->open = 0;
        l->commits++;
        l->attempt++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: itm_bank THREADS ACCOUNTS SECONDS PER_THREAD_CAP SEED AUDIT_PCT NOISE_PPM\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    naccounts = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int64_t cap = atoll(argv[4]) + HEADROOM;
    uint64_t seed = strtoull(argv[5], NULL, 10);
    audit_pct = atoi(argv[6]);
    noise_ppm = (uint32_t)atoi(argv[7]);
    if (threads < 1 || threads > 256 || naccounts < 1) {
        fprintf(stderr, "itm_bank: bad THREADS or ACCOUNTS\n");
        return 2;
    }
    accounts = aligned_alloc(64, sizeof(long) * PAD * (size_t)naccounts);
    int64_t *initial = malloc(sizeof(int64_t) * (size_t)naccounts);
    for (int k = 0; k < naccounts; k++)
        initial[k] = accounts[k * PAD] = 100 * SCALE;
    tlog *logs = calloc((size_t)threads, sizeof *logs);
    for (int i = 0; i < threads; i++) {
        logs[i].buf = malloc(sizeof(stm_event) * (size_t)cap);
        logs[i].cap = cap;
        logs[i].thread = i;
        logs[i].rng = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1;
        logs[i].noise_rng = logs[i].rng ^ 0x401;
        if (!logs[i].buf) {
            fprintf(stderr, "itm_bank: out of memory\n");
            return 2;
        }
        pthread_create(&logs[i].pt, NULL, worker, &logs[i]);
    }
    int64_t start = now_ns(), limit = start + (int64_t)(seconds * 1e9);
    atomic_store(&go, 1);
    struct timespec nap = {0, 1000000};
    for (;;) {
        int running = 0;
        for (int i = 0; i < threads; i++)
            running += logs[i].n + HEADROOM <= logs[i].cap;
        if (!running || now_ns() >= limit)
            break;
        nanosleep(&nap, NULL);
    }
    atomic_store(&stop, 1);
    int64_t commits = 0, aborts = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(logs[i].pt, NULL);
        commits += logs[i].commits;
        aborts += logs[i].aborts;
    }
    int64_t header[8] = {0x49544d31, threads, naccounts, commits, aborts, now_ns() - start, 0, 0};
    fwrite(header, sizeof header, 1, stdout);
    for (int i = 0; i < threads; i++)
        fwrite(&logs[i].n, sizeof(int64_t), 1, stdout);
    fwrite(initial, sizeof(int64_t), (size_t)naccounts, stdout);
    for (int k = 0; k < naccounts; k++) {
        int64_t v = accounts[k * PAD];
        fwrite(&v, sizeof v, 1, stdout);
    }
    for (int i = 0; i < threads; i++)
        fwrite(logs[i].buf, sizeof(stm_event), (size_t)logs[i].n, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
