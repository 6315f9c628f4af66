/* tl2.c: Transactional Locking II (Dice, Shalev and Shavit, DISC 2006).
 *
 * The same algorithm, access for access, as the Python model
 * implementations/tl2.py (so that the two can be compared schedule by
 * schedule): a global version clock; per key a versioned write-lock
 * (version << 1 | locked) and a value. read: load the lock word (abort if
 * locked or newer than the snapshot rv), load the value, load the lock word
 * again (abort if it changed: the post-read validation). write: buffer.
 * commit (writers only): lock the write set in key order (load, then CAS;
 * a held lock aborts), take wv from the clock with fetch-and-add, validate
 * the read set (unlocked or ours, version <= rv), write back, release with
 * version wv. abort: restore the locks taken; if the attempt failed on a
 * held lock, wait (STM_AWAIT) until it is released before retrying, which
 * is what keeps two committers from aborting each other forever.
 *
 * Broken variants:
 * - `native-tl2-no-read-validation` leaves out the post-read load of the
 *   lock word (as the Python `tl2-no-read-validation`): a zombie attempt can
 *   see one key before a commit and another after it; commit-time
 *   validation still protects the committed ones. Opacity is violated.
 * - `native-tl2-no-commit-validation` leaves out commit-time read-set
 *   validation: a transaction whose reads were overwritten still commits,
 *   losing an update (serializability violated; the bank workload then
 *   creates or destroys money).
 */
#include <stdlib.h>

#include "stm.h"

#define STRIDE 8  /* lock and value of a key share one 64-byte line */

typedef struct tl2_shared {
    stm_cell *clock;
    stm_cell *cells;
    int nkeys;
    int post_read;   /* re-load the lock word after reading a value */
    int validate;    /* validate the read set at commit */
} tl2_shared;

typedef struct wentry {
    int key;
    int locked;
    stm_word value;
    stm_word old;  /* the lock word before we took it */
} wentry;

typedef struct tl2_tx {
    tl2_shared *s;
    stm_cell *blocked_by;  /* the lock that made this attempt fail, if any */
    stm_word rv;
    int nr, nw, rcap, wcap;
    int *rset;
    wentry *wset;
} tl2_tx;

static inline stm_cell *lock_of(tl2_shared *s, int k) { return &s->cells[k * STRIDE]; }
static inline stm_cell *value_of(tl2_shared *s, int k) { return &s->cells[k * STRIDE + 1]; }

static void *create_common(int nkeys, const stm_word *initial, int post_read, int validate) {
    tl2_shared *s = calloc(1, sizeof *s);
    s->clock = stm_cells(STRIDE);
    s->cells = stm_cells(nkeys * STRIDE);
    s->nkeys = nkeys;
    s->post_read = post_read;
    s->validate = validate;
    for (int k = 0; k < nkeys; k++)
        atomic_store(value_of(s, k), initial[k]);  /* before any thread runs */
    return s;
}

static void *tl2_create(int nkeys, const stm_word *initial, int nthreads) {
    (void)nthreads;
    return create_common(nkeys, initial, 1, 1);
}

static void *tl2_nrv_create(int nkeys, const stm_word *initial, int nthreads) {
    (void)nthreads;
    return create_common(nkeys, initial, 0, 1);
}

static void *tl2_ncv_create(int nkeys, const stm_word *initial, int nthreads) {
    (void)nthreads;
    return create_common(nkeys, initial, 1, 0);
}

static void tl2_destroy(void *shared) { free(shared); }

static stm_word tl2_peek(void *shared, int k) { return atomic_load(value_of(shared, k)); }

static void *tl2_thread_init(void *shared, int thread) {
    (void)thread;
    tl2_tx *tx = calloc(1, sizeof *tx);
    tx->s = shared;
    tx->rcap = tx->wcap = 16;
    tx->rset = malloc(sizeof(int) * (size_t)tx->rcap);
    tx->wset = malloc(sizeof(wentry) * (size_t)tx->wcap);
    return tx;
}

static void tl2_thread_fini(void *p) {
    tl2_tx *tx = p;
    free(tx->rset);
    free(tx->wset);
    free(tx);
}

static void tl2_begin(void *p) {
    tl2_tx *tx = p;
    tx->nr = tx->nw = 0;
    tx->blocked_by = NULL;
    tx->rv = STM_LOAD(tx->s->clock);
}

static wentry *find_write(tl2_tx *tx, int k) {
    for (int i = 0; i < tx->nw; i++)
        if (tx->wset[i].key == k)
            return &tx->wset[i];
    return NULL;
}

static int tl2_read(void *p, int k, stm_word *out) {
    tl2_tx *tx = p;
    wentry *w = find_write(tx, k);
    if (w) {
        *out = w->value;
        return STM_OK;
    }
    stm_cell *lock = lock_of(tx->s, k);
    stm_word pre = STM_LOAD(lock);
    if (pre & 1) {
        tx->blocked_by = lock;
        return STM_ABORTED;
    }
    if ((pre >> 1) > tx->rv)
        return STM_ABORTED;  /* newer than our snapshot */
    stm_word v = STM_LOAD(value_of(tx->s, k));
    if (tx->s->post_read && STM_LOAD(lock) != pre)
        return STM_ABORTED;  /* changed while we read it */
    int seen = 0;
    for (int i = 0; i < tx->nr; i++)
        seen |= tx->rset[i] == k;
    if (!seen) {
        if (tx->nr == tx->rcap) {
            tx->rcap *= 2;
            tx->rset = realloc(tx->rset, sizeof(int) * (size_t)tx->rcap);
        }
        tx->rset[tx->nr++] = k;
    }
    *out = v;
    return STM_OK;
}

static int tl2_write(void *p, int k, stm_word v) {
    tl2_tx *tx = p;
    wentry *w = find_write(tx, k);
    if (!w) {
        if (tx->nw == tx->wcap) {
            tx->wcap *= 2;
            tx->wset = realloc(tx->wset, sizeof(wentry) * (size_t)tx->wcap);
        }
        w = &tx->wset[tx->nw++];
        w->key = k;
        w->locked = 0;
    }
    w->value = v;
    return STM_OK;
}

static void release(tl2_tx *tx) {
    for (int i = 0; i < tx->nw; i++)
        if (tx->wset[i].locked) {
            STM_STORE(lock_of(tx->s, tx->wset[i].key), tx->wset[i].old);
            tx->wset[i].locked = 0;
        }
}

static void sort_writes(tl2_tx *tx) {  /* key order: as the model, and deadlock-free */
    for (int i = 1; i < tx->nw; i++)
        for (int j = i; j > 0 && tx->wset[j - 1].key > tx->wset[j].key; j--) {
            wentry x = tx->wset[j];
            tx->wset[j] = tx->wset[j - 1];
            tx->wset[j - 1] = x;
        }
}

static int tl2_commit(void *p) {
    tl2_tx *tx = p;
    tl2_shared *s = tx->s;
    if (tx->nw == 0)
        return STM_OK;  /* read-only: every read was validated against rv */
    sort_writes(tx);
    for (int i = 0; i < tx->nw; i++) {
        wentry *w = &tx->wset[i];
        stm_cell *lock = lock_of(s, w->key);
        stm_word l = STM_LOAD(lock);
        if ((l & 1) || !STM_CAS(lock, &l, l | 1)) {
            tx->blocked_by = lock;
            return STM_ABORTED;  /* abort() restores the locks taken */
        }
        w->old = l;
        w->locked = 1;
    }
    stm_word wv = STM_FETCH_ADD(s->clock, 1) + 1;
    if (s->validate) {
        for (int i = 0; i < tx->nr; i++) {
            int k = tx->rset[i];
            stm_word l = STM_LOAD(lock_of(s, k));
            if (l & 1) {
                wentry *w = find_write(tx, k);
                if (!w || !w->locked) {
                    tx->blocked_by = lock_of(s, k);
                    return STM_ABORTED;  /* locked by another committer */
                }
                l = w->old;
            }
            if ((l >> 1) > tx->rv)
                return STM_ABORTED;
        }
    }
    for (int i = 0; i < tx->nw; i++)
        STM_STORE(value_of(s, tx->wset[i].key), tx->wset[i].value);
    for (int i = 0; i < tx->nw; i++) {
        STM_STORE(lock_of(s, tx->wset[i].key), wv << 1);
        tx->wset[i].locked = 0;
    }
    return STM_OK;
}

static void tl2_abort(void *p) {
    tl2_tx *tx = p;
    release(tx);
    if (tx->blocked_by)
        STM_AWAIT(tx->blocked_by, 1, 0);  /* retrying before it is free would only fail again */
    tx->blocked_by = NULL;
    tx->nr = tx->nw = 0;
}

const stm_design stm_tl2 = {
    "native-tl2", tl2_create, tl2_destroy, tl2_peek, tl2_thread_init, tl2_thread_fini,
    tl2_begin, tl2_read, tl2_write, tl2_commit, tl2_abort,
};

const stm_design stm_tl2_no_read_validation = {
    "native-tl2-no-read-validation", tl2_nrv_create, tl2_destroy, tl2_peek, tl2_thread_init,
    tl2_thread_fini, tl2_begin, tl2_read, tl2_write, tl2_commit, tl2_abort,
};

const stm_design stm_tl2_no_commit_validation = {
    "native-tl2-no-commit-validation", tl2_ncv_create, tl2_destroy, tl2_peek, tl2_thread_init,
    tl2_thread_fini, tl2_begin, tl2_read, tl2_write, tl2_commit, tl2_abort,
};
