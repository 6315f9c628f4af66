/* stm_rt.c: the cell arena, the design registry and the event recorder. */
#include <stdlib.h>
#include <string.h>

#include "stm_rt.h"

/* ---- arena ------------------------------------------------------------ */

/* The arena being filled by a design's create(). Thread-local because the
 * controlled runtime may be driven from any one Python thread. */
static _Thread_local stm_arena *current_arena;

void stm_arena_begin(stm_arena *a) {
    memset(a, 0, sizeof *a);
    current_arena = a;
}

void stm_arena_end(void) { current_arena = NULL; }

stm_cell *stm_cells(int n) {
    stm_arena *a = current_arena;
    if (!a || n <= 0)
        abort();  /* stm_cells outside create(): a design bug, fail loudly */
    int64_t bytes = ((int64_t)n * (int64_t)sizeof(stm_cell) + 63) & ~(int64_t)63;
    int b = a->nblocks - 1;
    if (b < 0 || a->used[b] + bytes > a->cap[b]) {
        if (a->nblocks == 16)
            abort();
        b = a->nblocks++;
        int64_t cap = bytes > (1 << 16) ? bytes : (1 << 16);
        a->blocks[b] = aligned_alloc(64, (size_t)cap);
        if (!a->blocks[b])
            abort();
        memset(a->blocks[b], 0, (size_t)cap);
        a->cap[b] = cap;
        a->used[b] = 0;
        a->first_id[b] = b == 0 ? 0 : a->first_id[b - 1] + a->cap[b - 1] / (int64_t)sizeof(stm_cell);
    }
    stm_cell *out = (stm_cell *)(a->blocks[b] + a->used[b]);
    a->used[b] += bytes;
    return out;
}

void stm_arena_free(stm_arena *a) {
    for (int i = 0; i < a->nblocks; i++)
        free(a->blocks[i]);
    a->nblocks = 0;
}

int64_t stm_arena_id(const stm_arena *a, const void *addr) {
    const char *p = addr;
    for (int i = 0; i < a->nblocks; i++)
        if (p >= a->blocks[i] && p < a->blocks[i] + a->cap[i])
            return a->first_id[i] + (p - a->blocks[i]) / (int64_t)sizeof(stm_cell);
    return -1;
}

/* ---- designs ---------------------------------------------------------- */

extern const stm_design stm_tl2, stm_tl2_no_read_validation, stm_tl2_no_commit_validation, stm_norec;
#ifdef STM_USER_DESIGN
/* A user's design compiled in by build.py, registered under the name "user". */
extern const stm_design STM_USER_DESIGN;
#endif

static const stm_design *const designs[] = {
    &stm_tl2, &stm_norec, &stm_tl2_no_read_validation, &stm_tl2_no_commit_validation,
#ifdef STM_USER_DESIGN
    &STM_USER_DESIGN,
#endif
};

int stm_design_count(void) { return (int)(sizeof designs / sizeof designs[0]); }

const char *stm_design_name(int i) {
    if (i < 0 || i >= stm_design_count())
        return NULL;
#ifdef STM_USER_DESIGN
    if (designs[i] == &STM_USER_DESIGN)
        return "user";
#endif
    return designs[i]->name;
}

const stm_design *stm_find_design(const char *name) {
    for (int i = 0; i < stm_design_count(); i++)
        if (strcmp(stm_design_name(i), name) == 0)
            return designs[i];
    return NULL;
}

/* ---- recording -------------------------------------------------------- */

void stm_rec_push(stm_rec *r, int64_t time, int64_t thread, int64_t attempt, int op,
                  int64_t key, int64_t value) {
    if (r->n == r->cap) {
        if (!r->grow)
            abort();  /* free mode reserves room per attempt: cannot happen */
        int64_t cap = r->cap ? r->cap * 2 : 1024;
        stm_event *buf = realloc(r->buf, (size_t)cap * sizeof *buf);
        if (!buf)
            abort();
        r->buf = buf;
        r->cap = cap;
    }
    stm_event *e = &r->buf[r->n++];
    e->time = time;
    e->thread = thread;
    e->attempt = attempt;
    e->op = op;
    e->key = key;
    e->value = value;
}

/* ---- randomness ------------------------------------------------------- */

/* splitmix64: tiny, fast, and good enough to drive schedules and workloads. */
uint64_t stm_rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t stm_seed_mix(uint64_t a, uint64_t b) {
    uint64_t s = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
    stm_rng_next(&s);
    return stm_rng_next(&s);
}

stm_word stm_initial_value(int key) {
    (void)key;
    return (stm_word)STM_INITIAL_BALANCE * STM_TAG_SCALE;
}
