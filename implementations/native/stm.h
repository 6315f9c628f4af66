/* stm.h: the C interface a native STM design implements, and the one
 * instrumentation layer through which it touches shared memory.
 *
 * A design is a table of functions (struct stm_design) over word-sized keys
 * 0..nkeys-1 and word-sized values. Every shared word is an `stm_cell`
 * allocated with stm_cells() while the design's create() runs, and every
 * access to one goes through STM_LOAD / STM_STORE / STM_CAS / STM_FETCH_ADD /
 * STM_AWAIT. The same source is compiled twice:
 *
 *   - controlled mode (STM_CONTROLLED=1): each macro first parks the calling
 *     coroutine at a scheduling point, so a scheduler decides which thread's
 *     next access happens; the access is performed when the thread resumes.
 *   - free mode (STM_CONTROLLED=0): the macros are plain C11 atomics, for
 *     stress runs on real threads at full speed.
 *
 * Why one layer and not compiler instrumentation: a step is then exactly one
 * shared-memory operation on a named object, the unit the explorer
 * interleaves, and free mode pays nothing for it. A design must not touch
 * shared memory any other way (its private descriptors are ordinary memory).
 *
 * All accesses are sequentially consistent: the model checker explores
 * interleavings of an SC machine, and the free mode must not be weaker than
 * the model it is compared with.
 */
#ifndef STM_H
#define STM_H

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t stm_word;            /* a key's value: one machine word */
typedef _Atomic stm_word stm_cell;   /* one shared word */

enum { STM_OK = 0, STM_ABORTED = 1 };

/* The contract (begin/read/write/commit/abort on word-sized keys):
 *
 * create(nkeys, initial, nthreads) -> shared instance; key k starts as
 *     initial[k]. Allocate every shared word with stm_cells() here.
 * destroy(shared): free what create malloc'd (not the cells: the runtime owns them).
 * peek(shared, k): k's committed value while no transaction runs (quiescent).
 * thread_init(shared, thread) -> a private descriptor for one thread;
 * thread_fini(tx) frees it. The runtime may abandon a thread mid-transaction
 * (end of a bounded execution) and then calls only thread_fini.
 * begin(tx): start an attempt.
 * read(tx, k, &v), write(tx, k, v), commit(tx): STM_OK, or STM_ABORTED when
 *     the attempt cannot go on; the caller then calls abort(tx) once.
 * abort(tx): undo whatever the attempt still holds in shared memory (locks),
 *     and forget it; also the way to give up voluntarily. It may wait
 *     (STM_AWAIT) for the conflict to clear before the caller retries.
 *
 * A transaction reads its own earlier writes. Descriptors must not allocate
 * per transaction on a path the runtime could abandon (use buffers grown in
 * read/write and kept in the descriptor).
 */
typedef struct stm_design {
    const char *name;
    void *(*create)(int nkeys, const stm_word *initial, int nthreads);
    void (*destroy)(void *shared);
    stm_word (*peek)(void *shared, int key);
    void *(*thread_init)(void *shared, int thread);
    void (*thread_fini)(void *tx);
    void (*begin)(void *tx);
    int (*read)(void *tx, int key, stm_word *value);
    int (*write)(void *tx, int key, stm_word value);
    int (*commit)(void *tx);
    void (*abort)(void *tx);
} stm_design;

/* n zeroed shared words, 64-byte aligned, from the instance being created.
 * Their allocation order names them: object ids in step reports are indices
 * of words in the order they were allocated. */
stm_cell *stm_cells(int n);

/* Access kinds, as the scheduler sees them (a read-modify-write is a write
 * for dependency purposes, even a failed CAS). */
enum { STM_ACC_READ = 1, STM_ACC_WRITE = 2, STM_ACC_RMW = 3 };

#ifndef STM_CONTROLLED
#define STM_CONTROLLED 0
#endif

/* Operation codes a scheduling point reports (with its operands a, b), so
 * that a Python mirror of the memory can replay exactly the same access. */
enum { STM_OP_LOAD = 1, STM_OP_STORE = 2, STM_OP_CAS = 3, STM_OP_FAA = 4, STM_OP_AWAIT = 5 };

#if STM_CONTROLLED
void stm_point(const stm_cell *c, int kind, int op, stm_word a, stm_word b);
void stm_point_done(stm_word result);
stm_word stm_await_point(const stm_cell *c, stm_word mask, stm_word want);
#define STM_POINT_(c, k, op, a, b) stm_point((c), (k), (op), (a), (b))
#define STM_DONE_(r) stm_point_done(r)
#elif defined(STM_NOISE) && STM_NOISE
/* Free mode with noise injection: at random accesses the thread gives up
 * its CPU or spins a little, so that threads really interleave inside
 * transactions even on a machine with fewer cores than threads. */
void stm_noise(void);
#define STM_POINT_(c, k, op, a, b) stm_noise()
#define STM_DONE_(r) ((void)0)
#else
#define STM_POINT_(c, k, op, a, b) ((void)0)
#define STM_DONE_(r) ((void)0)
#endif

static inline stm_word stm_load_(stm_cell *c) {
    STM_POINT_(c, STM_ACC_READ, STM_OP_LOAD, 0, 0);
    stm_word v = atomic_load(c);
    STM_DONE_(v);
    return v;
}
static inline void stm_store_(stm_cell *c, stm_word v) {
    STM_POINT_(c, STM_ACC_WRITE, STM_OP_STORE, v, 0);
    atomic_store(c, v);
    STM_DONE_(0);
}
static inline int stm_cas_(stm_cell *c, stm_word *expected, stm_word desired) {
    STM_POINT_(c, STM_ACC_RMW, STM_OP_CAS, *expected, desired);
    int ok = atomic_compare_exchange_strong(c, expected, desired);
    STM_DONE_(ok);
    return ok;
}
static inline stm_word stm_fetch_add_(stm_cell *c, stm_word d) {
    STM_POINT_(c, STM_ACC_RMW, STM_OP_FAA, d, 0);
    stm_word old = atomic_fetch_add(c, d);
    STM_DONE_(old);
    return old;
}

static inline void stm_cpu_relax_(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wait until (*c & mask) == want, then return *c: one step, the load.
 * Why a primitive and not a spin loop of STM_LOADs: under the scheduler a
 * spinning thread would take endless steps; here it is simply not enabled
 * until another thread's write makes the condition true (a waiting thread
 * whose condition can never come true is a reported deadlock). */
static inline stm_word stm_await_(stm_cell *c, stm_word mask, stm_word want) {
#if STM_CONTROLLED
    return stm_await_point(c, mask, want);
#else
    stm_word v;
    /* spin a little, then yield: the thread we wait for may need our CPU */
    for (int spins = 0; ((v = atomic_load(c)) & mask) != want; spins++) {
        if (spins < 64)
            stm_cpu_relax_();
        else
            sched_yield();
    }
    return v;
#endif
}

#define STM_LOAD(c) stm_load_(c)
#define STM_STORE(c, v) stm_store_((c), (v))
#define STM_CAS(c, expected_ptr, desired) stm_cas_((c), (expected_ptr), (desired))
#define STM_FETCH_ADD(c, d) stm_fetch_add_((c), (d))
#define STM_AWAIT(c, mask, want) stm_await_((c), (mask), (want))

#endif
