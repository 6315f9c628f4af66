/* The fold of views over a graph of places, in C (views_after.py says what it computes).

   The loop is `ViewsAfterPlaces.run_python`'s, state for state and in the same order; the
   views stay in Python. C asks `step(view, label)` (the view after a label's events: its id)
   through a callback and keeps every answer, so Python runs once per distinct pair, not once
   per transition; `end(state)` is called for each state expanded at a place with steps into
   an end, which Python judges. Whether one view covers another C decides alone: Python
   gives each view's cover form once (`fold_set_form`: a key and sorted item ids; `old`
   covers `new` when the keys are equal and old's items are among new's). A callback
   returning -1 (Python raised) stops the fold with status FOLD_ERROR.

   Every transition asks whether its target place holds the new view, or one that covers it,
   already; a place's states are a chain through the states' arrays while they are few and a
   crowd (their numbers and their views' signatures side by side) past `chain_max` (see
   fold_run). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fold_step_fn)(int view, int label);
typedef int (*fold_end_fn)(int state);

enum { FOLD_DONE = 0, FOLD_MAX_STATES = 1, FOLD_PAUSED = 2, FOLD_STOPPED = 3, FOLD_ERROR = 4, FOLD_NOMEM = 5 };

#define NODE_MASK ((1LL << 27) - 1)
#define EMPTY (-1LL)

/* An exact map from non-negative 64-bit keys to ints: open addressing, linear probing. */
typedef struct {
    int64_t *keys;
    int32_t *vals;
    int64_t mask, used;
} map;

static int map_init(map *m, int64_t size) {
    m->keys = malloc(size * sizeof(int64_t));
    m->vals = malloc(size * sizeof(int32_t));
    if (!m->keys || !m->vals) return 0;
    memset(m->keys, 0xff, size * sizeof(int64_t));
    m->mask = size - 1;
    m->used = 0;
    return 1;
}

static inline int64_t slot(int64_t key, int64_t mask) {
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
    return (int64_t)(h >> 20) & mask;
}

static inline int map_get(const map *m, int64_t key, int32_t *out) {
    int64_t i = slot(key, m->mask);
    for (;;) {
        int64_t k = m->keys[i];
        if (k == key) { *out = m->vals[i]; return 1; }
        if (k == EMPTY) return 0;
        i = (i + 1) & m->mask;
    }
}

static int map_put(map *m, int64_t key, int32_t val) {
    if (10 * (m->used + 1) > 7 * (m->mask + 1)) {
        map bigger;
        if (!map_init(&bigger, 2 * (m->mask + 1))) return 0;
        for (int64_t j = 0; j <= m->mask; j++)
            if (m->keys[j] != EMPTY) {
                int64_t i = slot(m->keys[j], bigger.mask);
                while (bigger.keys[i] != EMPTY) i = (i + 1) & bigger.mask;
                bigger.keys[i] = m->keys[j];
                bigger.vals[i] = m->vals[j];
                bigger.used++;
            }
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    int64_t i = slot(key, m->mask);
    while (m->keys[i] != EMPTY) i = (i + 1) & m->mask;
    m->keys[i] = key;
    m->vals[i] = val;
    m->used++;
    return 1;
}

/* A place's states side by side, once it has more than `chain_max`: each one's number and its
   view's signature (see fold_run). */
typedef struct { uint64_t *sig; int32_t *state; int32_t n, cap; } crowd;
#define CHAIN_LIMIT 64

typedef struct fold {
    /* the graph of places (the store's arrays, read in place) */
    const int32_t *last;
    const int64_t *edge;
    const int32_t *label;
    const uint8_t *has_end;
    int nplaces;
    int covers_on;
    int32_t chain_max;          /* a place's states past this many become a crowd (covers on) */
    int64_t max_states;
    fold_step_fn step;
    fold_end_fn end;
    /* each view's cover form: its key, and its items (sorted ids) in `pool` from `items_at`;
       `sig`, a bit per item (its id hashed to one of 64): old's items are among new's only if
       old's bits are among new's, which rejects most pairs without reading their items */
    int32_t *key_of, *items_len;
    uint64_t *sig;
    int64_t *items_at, forms, forms_cap;
    int32_t *pool;
    int64_t pool_n, pool_cap;
    /* the states: (place, view), reached from parent by thread; a place's states are a chain
       (`first[u]`, each state's `next_here`) up to `chain_max` of them, then a crowd: `first[u]`
       is then -2 - its index in `crowds` */
    int32_t *place, *view_of, *parent, *next_here, *first;
    uint8_t *thread, *dead;
    crowd *crowds;
    int64_t ncrowds, crowds_cap;
    int64_t n, cap, dropped, transitions, next;   /* next: the state to expand */
    map steps;
} fold;

fold *fold_new(int nplaces, const int32_t *last, const int64_t *edge, const int32_t *label,
               const uint8_t *has_end, int covers_on, int chain_max, long long max_states,
               fold_step_fn step, fold_end_fn end) {
    if (chain_max < 1 || chain_max > CHAIN_LIMIT) return NULL;
    fold *f = calloc(1, sizeof(fold));
    if (!f) return NULL;
    f->chain_max = chain_max;
    f->last = last; f->edge = edge; f->label = label; f->has_end = has_end;
    f->nplaces = nplaces; f->covers_on = covers_on;
    f->max_states = max_states < 0x7ffffffeLL ? max_states : 0x7ffffffeLL;   /* states are int32 */
    f->step = step; f->end = end;
    f->first = malloc((size_t)(nplaces ? nplaces : 1) * sizeof(int32_t));
    if (!f->first || !map_init(&f->steps, 1 << 12)) { fold_free(f); return NULL; }
    memset(f->first, 0xff, (size_t)nplaces * sizeof(int32_t));
    return f;
}

void fold_free(fold *f) {
    if (!f) return;
    free(f->place); free(f->view_of); free(f->parent); free(f->next_here); free(f->first);
    for (int64_t c = 0; c < f->ncrowds; c++) { free(f->crowds[c].sig); free(f->crowds[c].state); }
    free(f->crowds);
    free(f->thread); free(f->dead);
    free(f->steps.keys); free(f->steps.vals);
    free(f->key_of); free(f->items_len); free(f->items_at); free(f->sig); free(f->pool);
    free(f);
}

static int grow(fold *f) {
    int64_t cap = f->cap ? 2 * f->cap : 1 << 12;
    void *p;
#define GROW(field, type) \
    if (!(p = realloc(f->field, (size_t)cap * sizeof(type)))) return 0; \
    f->field = p;
    GROW(place, int32_t) GROW(view_of, int32_t) GROW(parent, int32_t) GROW(next_here, int32_t)
    GROW(thread, uint8_t) GROW(dead, uint8_t)
#undef GROW
    f->cap = cap;
    return 1;
}

static int crowd_push(fold *f, crowd *c, uint64_t sig, int32_t s) {
    if (c->n == c->cap) {
        int32_t cap = c->cap ? 2 * c->cap : 2 * f->chain_max;
        void *a = realloc(c->sig, (size_t)cap * sizeof(uint64_t)), *b;
        if (!a) return 0;
        c->sig = a;
        if (!(b = realloc(c->state, (size_t)cap * sizeof(int32_t)))) return 0;
        c->state = b;
        c->cap = cap;
    }
    c->sig[c->n] = sig;
    c->state[c->n++] = s;
    return 1;
}

/* Place u's chain of `chained` states becomes a crowd (oldest first, as a crowd keeps them). */
static int crowd_new(fold *f, int32_t u, int32_t chained) {
    if (f->ncrowds == f->crowds_cap) {
        int64_t cap = f->crowds_cap ? 2 * f->crowds_cap : 64;
        void *p = realloc(f->crowds, (size_t)cap * sizeof(crowd));
        if (!p) return 0;
        f->crowds = p;
        f->crowds_cap = cap;
    }
    crowd *c = &f->crowds[f->ncrowds];
    memset(c, 0, sizeof *c);
    int32_t states[CHAIN_LIMIT];
    int32_t k = 0;
    for (int64_t j = f->first[u]; j >= 0 && k < chained; j = f->next_here[j]) states[k++] = (int32_t)j;
    while (k > 0) {
        int32_t j = states[--k];
        if (!crowd_push(f, c, f->sig[f->view_of[j]], j)) return 0;
    }
    f->first[u] = (int32_t)(-2 - f->ncrowds++);
    return 1;
}

/* `chained`: how many states place u's chain has (a crowd: any) */
static int add(fold *f, int32_t u, int32_t w, int32_t from, uint8_t t, int32_t chained) {
    if (f->n == f->cap && !grow(f)) return 0;
    if (f->covers_on && chained == f->chain_max && f->first[u] >= 0 && !crowd_new(f, u, chained)) return 0;
    int64_t s = f->n;
    if (f->first[u] <= -2) {
        if (!crowd_push(f, &f->crowds[-2 - f->first[u]], f->sig[w], (int32_t)s)) return 0;
        f->next_here[s] = -1;
    } else {
        f->next_here[s] = f->first[u];
        f->first[u] = (int32_t)s;
    }
    f->n++;
    f->dead[s] = 0;
    f->place[s] = u;
    f->view_of[s] = w;
    f->parent[s] = from;
    f->thread[s] = t;
    return 1;
}

/* The view after `label` from view `w`: its id, -1 when Python raised, -2 out of memory. */
int fold_step(fold *f, int w, int label) {
    int64_t key = (int64_t)w << 32 | (uint32_t)label;
    int32_t found;
    if (map_get(&f->steps, key, &found)) return found;
    found = f->step(w, label);
    if (found < 0) return -1;
    return map_put(&f->steps, key, found) ? found : -2;
}

/* View `view`'s cover form (views are given theirs in order, 0, 1, ...): 0 out of memory. */
int fold_set_form(fold *f, int view, int key, const int32_t *items, int n) {
    if (view != f->forms) return 0;
    if (f->forms == f->forms_cap) {
        int64_t cap = f->forms_cap ? 2 * f->forms_cap : 1 << 10;
        void *a = realloc(f->key_of, cap * sizeof(int32_t)), *b, *c;
        if (!a) return 0;
        f->key_of = a;
        if (!(b = realloc(f->items_len, cap * sizeof(int32_t)))) return 0;
        f->items_len = b;
        if (!(c = realloc(f->items_at, cap * sizeof(int64_t)))) return 0;
        f->items_at = c;
        if (!(c = realloc(f->sig, cap * sizeof(uint64_t)))) return 0;
        f->sig = c;
        f->forms_cap = cap;
    }
    while (f->pool_n + n > f->pool_cap) {
        int64_t cap = f->pool_cap ? 2 * f->pool_cap : 1 << 12;
        void *p = realloc(f->pool, cap * sizeof(int32_t));
        if (!p) return 0;
        f->pool = p;
        f->pool_cap = cap;
    }
    memcpy(f->pool + f->pool_n, items, (size_t)n * sizeof(int32_t));
    uint64_t sig = 0;
    for (int i = 0; i < n; i++) sig |= 1ULL << (((uint64_t)items[i] * 0x9E3779B97F4A7C15ULL) >> 58);
    f->sig[view] = sig;
    f->key_of[view] = key;
    f->items_at[view] = f->pool_n;
    f->items_len[view] = n;
    f->pool_n += n;
    f->forms++;
    return 1;
}

/* Whether view `old` covers view `new_view`: equal keys, old's items among new's (both sorted). */
static int covers(const fold *f, int32_t old, int32_t new_view) {
    if (f->key_of[old] != f->key_of[new_view] || (f->sig[old] & ~f->sig[new_view])) return 0;
    int32_t n = f->items_len[old], m = f->items_len[new_view];
    if (n > m) return 0;
    const int32_t *a = f->pool + f->items_at[old], *b = f->pool + f->items_at[new_view];
    int32_t j = 0;
    for (int32_t i = 0; i < n; i++) {
        while (j < m && b[j] < a[i]) j++;
        if (j == m || b[j] != a[i]) return 0;
        j++;
    }
    return 1;
}

/* Start from the root (place 0, view `root`), or go on where the previous call stopped, up to
   state `stop_at` (FOLD_PAUSED there, if states remain): Python looks at its clock and its
   signals between calls. */
int fold_run(fold *f, int root, long long stop_at) {
    if (f->n == 0 && !add(f, 0, root, -1, 0, 0)) return FOLD_NOMEM;
    int64_t i = f->next;
    int status = FOLD_DONE;
    for (; i < f->n; i++) {
        if (i >= stop_at) { status = FOLD_PAUSED; break; }
        if (f->dead[i]) continue;
        int32_t u = f->place[i], w = f->view_of[i];
        int64_t e = f->last[u];
        while (e >= 0) {
            int64_t x = f->edge[e];
            int w2 = fold_step(f, w, f->label[e]);
            if (w2 < 0) { status = w2 == -1 ? FOLD_ERROR : FOLD_NOMEM; goto out; }
            e = (x >> 36) - 1;
            int32_t v = (int32_t)((x >> 9) & NODE_MASK);
            f->transitions++;
            /* Is w2, or a view that covers it, at place v already? Every state there is looked
               at (it is a new state only if none matches): a few along their chain, a crowd in
               one sweep over its states' signatures, side by side (a signature with a bit w2's
               lacks rules a state out, an equal view included, without reading anything else).
               As a chain through the states' arrays every place's states cost tl2 transfer 3 x 2
               by symmetry 38.7 billion steps for 88.5 million transitions, most of its fold. */
            int64_t j = f->first[v];
            int32_t chained = 0, found = 0;
            crowd *c = NULL;
            if (j <= -2) {
                c = &f->crowds[-2 - j];
                uint64_t lacks = ~f->sig[w2];
                for (int32_t k = c->n - 1; k >= 0; k--) {
                    if (c->sig[k] & lacks) continue;
                    int32_t old = f->view_of[c->state[k]];
                    if (old == w2 || covers(f, old, w2)) { found = 1; break; }
                }
            } else {
                for (; j >= 0; j = f->next_here[j], chained++) {
                    int32_t old = f->view_of[j];
                    if (old == w2 || (f->covers_on && covers(f, old, w2))) { found = 1; break; }
                }
            }
            if (!found) {
                if (f->n - f->dropped >= f->max_states) { status = FOLD_MAX_STATES; goto out; }
                if (f->covers_on) {       /* states here not expanded yet that it covers go */
                    if (c != NULL) {
                        uint64_t has = f->sig[w2];
                        for (int32_t k = c->n - 1; k >= 0 && c->state[k] > i; k--) {
                            int32_t s2 = c->state[k];
                            if (!f->dead[s2] && !(has & ~c->sig[k]) && covers(f, w2, f->view_of[s2])) {
                                f->dead[s2] = 1;
                                f->dropped++;
                            }
                        }
                    } else {
                        for (j = f->first[v]; j > i; j = f->next_here[j]) {
                            if (!f->dead[j] && covers(f, w2, f->view_of[j])) { f->dead[j] = 1; f->dropped++; }
                        }
                    }
                }
                if (!add(f, v, w2, (int32_t)i, (uint8_t)(x & 255), chained)) { status = FOLD_NOMEM; goto out; }
            }
        }
        if (f->has_end[u]) {
            int r = f->end((int)i);
            if (r < 0) { status = FOLD_ERROR; goto out; }
            if (r) { i++; status = FOLD_STOPPED; break; }
        }
    }
out:
    f->next = i;
    return status;
}

long long fold_met(fold *f) { return f->n; }
long long fold_dropped(fold *f) { return f->dropped; }
long long fold_transitions(fold *f) { return f->transitions; }
int fold_view_of(fold *f, int state) { return f->view_of[state]; }
int fold_place_of(fold *f, int state) { return f->place[state]; }

/* The choices from the initial state to `state`, into `out` (at most `cap`): how many. */
int fold_schedule(fold *f, int state, int *out, int cap) {
    int n = 0;
    for (int64_t s = state; s > 0; s = f->parent[s]) n++;
    if (n > cap) return -n;
    int k = n;
    for (int64_t s = state; s > 0; s = f->parent[s]) out[--k] = f->thread[s];
    return n;
}

/* Bytes of the states' arrays (as many as states met), the places' heads, and the crowds (as
   much as they have room for); the memo tables, one entry per distinct pair, are not counted.
   Without crowds, what the Python loop's arrays hold too. */
long long fold_nbytes(fold *f) {
    long long total = f->n * (4 * sizeof(int32_t) + 2) + (long long)f->nplaces * sizeof(int32_t);
    for (int64_t c = 0; c < f->ncrowds; c++)
        total += (long long)sizeof(crowd) + (long long)f->crowds[c].cap * (sizeof(uint64_t) + sizeof(int32_t));
    return total;
}
