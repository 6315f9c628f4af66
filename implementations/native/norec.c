/* norec.c: NOrec (Dalessandro, Spear and Scott, PPoPP 2010).
 *
 * No ownership records: one global sequence lock (odd while a writer is
 * writing back), a value-logged read set, a buffered write set. A read
 * returns a value only once the sequence lock is unchanged since the
 * snapshot; otherwise the transaction revalidates by value (every logged
 * read still holds) and moves its snapshot forward. Commit of a writer takes
 * the sequence lock by CAS from its snapshot (revalidating when someone
 * committed in between), writes back, and releases it at snapshot + 2.
 *
 * Waiting for an even sequence lock uses STM_AWAIT: under the scheduler a
 * waiting thread is simply not enabled, instead of spinning through steps.
 */
#include <stdlib.h>

#include "stm.h"

typedef struct norec_shared {
    stm_cell *seq;
    stm_cell *values;
    int nkeys;
} norec_shared;

typedef struct kv {
    int key;
    stm_word value;
} kv;

typedef struct norec_tx {
    norec_shared *s;
    stm_word snapshot;
    int nr, nw, rcap, wcap;
    kv *rset, *wset;
} norec_tx;

static void *norec_create(int nkeys, const stm_word *initial, int nthreads) {
    (void)nthreads;
    norec_shared *s = calloc(1, sizeof *s);
    s->seq = stm_cells(8);  /* a line of its own */
    s->values = stm_cells(nkeys);
    s->nkeys = nkeys;
    for (int k = 0; k < nkeys; k++)
        atomic_store(&s->values[k], initial[k]);
    return s;
}

static void norec_destroy(void *shared) { free(shared); }

static stm_word norec_peek(void *shared, int k) {
    return atomic_load(&((norec_shared *)shared)->values[k]);
}

static void *norec_thread_init(void *shared, int thread) {
    (void)thread;
    norec_tx *tx = calloc(1, sizeof *tx);
    tx->s = shared;
    tx->rcap = tx->wcap = 16;
    tx->rset = malloc(sizeof(kv) * (size_t)tx->rcap);
    tx->wset = malloc(sizeof(kv) * (size_t)tx->wcap);
    return tx;
}

static void norec_thread_fini(void *p) {
    norec_tx *tx = p;
    free(tx->rset);
    free(tx->wset);
    free(tx);
}

static void norec_begin(void *p) {
    norec_tx *tx = p;
    tx->nr = tx->nw = 0;
    tx->snapshot = STM_AWAIT(tx->s->seq, 1, 0);
}

/* Wait for a quiescent moment at which every logged read still holds; that
 * moment becomes the new snapshot. */
static int validate(norec_tx *tx) {
    for (;;) {
        stm_word t = STM_AWAIT(tx->s->seq, 1, 0);
        for (int i = 0; i < tx->nr; i++)
            if (STM_LOAD(&tx->s->values[tx->rset[i].key]) != tx->rset[i].value)
                return STM_ABORTED;
        if (STM_LOAD(tx->s->seq) == t) {
            tx->snapshot = t;
            return STM_OK;
        }
    }
}

static kv *find(kv *set, int n, int k) {
    for (int i = n - 1; i >= 0; i--)
        if (set[i].key == k)
            return &set[i];
    return NULL;
}

static int norec_read(void *p, int k, stm_word *out) {
    norec_tx *tx = p;
    kv *w = find(tx->wset, tx->nw, k);
    if (w) {
        *out = w->value;
        return STM_OK;
    }
    stm_word v = STM_LOAD(&tx->s->values[k]);
    while (STM_LOAD(tx->s->seq) != tx->snapshot) {
        if (validate(tx) != STM_OK)
            return STM_ABORTED;
        v = STM_LOAD(&tx->s->values[k]);
    }
    if (tx->nr == tx->rcap) {
        tx->rcap *= 2;
        tx->rset = realloc(tx->rset, sizeof(kv) * (size_t)tx->rcap);
    }
    tx->rset[tx->nr++] = (kv){k, v};
    *out = v;
    return STM_OK;
}

static int norec_write(void *p, int k, stm_word v) {
    norec_tx *tx = p;
    kv *w = find(tx->wset, tx->nw, k);
    if (w) {
        w->value = v;
        return STM_OK;
    }
    if (tx->nw == tx->wcap) {
        tx->wcap *= 2;
        tx->wset = realloc(tx->wset, sizeof(kv) * (size_t)tx->wcap);
    }
    tx->wset[tx->nw++] = (kv){k, v};
    return STM_OK;
}

static int norec_commit(void *p) {
    norec_tx *tx = p;
    if (tx->nw == 0)
        return STM_OK;  /* read-only: consistent at its last snapshot */
    for (;;) {
        stm_word expected = tx->snapshot;
        if (STM_CAS(tx->s->seq, &expected, tx->snapshot + 1))
            break;
        if (validate(tx) != STM_OK)
            return STM_ABORTED;
    }
    for (int i = 0; i < tx->nw; i++)
        STM_STORE(&tx->s->values[tx->wset[i].key], tx->wset[i].value);
    STM_STORE(tx->s->seq, tx->snapshot + 2);
    return STM_OK;
}

static void norec_abort(void *p) {
    norec_tx *tx = p;
    tx->nr = tx->nw = 0;
}

const stm_design stm_norec = {
    "native-norec", norec_create, norec_destroy, norec_peek, norec_thread_init,
    norec_thread_fini, norec_begin, norec_read, norec_write, norec_commit, norec_abort,
};
