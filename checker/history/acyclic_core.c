/* The acyclicity search of checker/history/acyclic.py (`_Search.run`), step for step in C.
 *
 * Why: on the check benchmark's database histories of 10^5 transactions the search's
 * depth-first walks (`against`), reorderings (`place`) and scans of broken constraints
 * (`broken`) were four fifths of its time in Python. This file does the same steps in
 * the same order: the same walks over the same successor lists (forced edges, then the
 * derived ones, then the decided ones, as `_Search.out` keeps them), the same decisions,
 * conflicts and reasons, so it returns the same order, the same derived edges and the same
 * number of conflicts as the Python loop (tests/history/test_units.py compares them), which
 * stays the reference and runs where no C compiler is at hand.
 *
 * Reasons (sets of decision levels) are sorted arrays in an arena that only grows during a
 * search (a reason is compared by identity, as Python compares its frozensets with `is`).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int32_t i32;
typedef int64_t i64;

enum { NEARER = 0, FIRST_ORDER = 1 };
enum { R_NONE = 0, R_SAT = 1, R_CYCLE = 2, R_NOMEM = -1 };
enum { WW = 0, RW = 1 };

/* ---- growable arrays ---------------------------------------------------------------- */

typedef struct { i32 *a; i32 n, cap; } vec;

static int vreserve(vec *v, i64 need) {
    if (need <= v->cap) return 0;
    i64 c = v->cap ? v->cap : 4;
    while (c < need) c *= 2;
    i32 *p = realloc(v->a, (size_t)c * sizeof(i32));
    if (!p) return -1;
    v->a = p;
    v->cap = (i32)c;
    return 0;
}

static int vpush(vec *v, i32 x) {
    if (v->n == v->cap && vreserve(v, (i64)v->n + 1)) return -1;
    v->a[v->n++] = x;
    return 0;
}

static int vinsert(vec *v, i32 at, i32 x) {
    if (vpush(v, 0)) return -1;
    memmove(v->a + at + 1, v->a + at, (size_t)(v->n - 1 - at) * sizeof(i32));
    v->a[at] = x;
    return 0;
}

static void vdel(vec *v, i32 at) {
    memmove(v->a + at, v->a + at + 1, (size_t)(v->n - at - 1) * sizeof(i32));
    v->n--;
}

/* ---- a hash map from a node pair to a number (open addressing, tombstones) ---------- */

typedef struct { uint64_t *k; i64 *v; uint8_t *st; i64 cap, used; } hmap;   /* st: 0 empty, 1 full, 2 gone */

static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t pair(i32 a, i32 b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

static int hinit(hmap *h, i64 cap) {
    i64 c = 16;
    while (c < cap * 2) c *= 2;
    h->k = malloc((size_t)c * sizeof(uint64_t));
    h->v = malloc((size_t)c * sizeof(i64));
    h->st = calloc((size_t)c, 1);
    h->cap = c;
    h->used = 0;
    return (h->k && h->v && h->st) ? 0 : -1;
}

static void hfree(hmap *h) { free(h->k); free(h->v); free(h->st); }

static i64 hslot(const hmap *h, uint64_t key) {   /* the slot holding key, or -1 */
    i64 m = h->cap - 1, i = (i64)(mix(key) & (uint64_t)m);
    while (h->st[i]) {
        if (h->st[i] == 1 && h->k[i] == key) return i;
        i = (i + 1) & m;
    }
    return -1;
}

static int hget(const hmap *h, uint64_t key, i64 *out) {
    i64 i = hslot(h, key);
    if (i < 0) return 0;
    if (out) *out = h->v[i];
    return 1;
}

static int hput(hmap *h, uint64_t key, i64 val);

static int hgrow(hmap *h) {
    hmap old = *h;
    i64 live = 0;
    for (i64 i = 0; i < old.cap; i++) live += old.st[i] == 1;
    if (hinit(h, live + 1 > old.cap / 4 ? old.cap : live + 1)) { hfree(h); *h = old; return -1; }
    for (i64 i = 0; i < old.cap; i++)
        if (old.st[i] == 1) hput(h, old.k[i], old.v[i]);
    hfree(&old);
    return 0;
}

static int hput(hmap *h, uint64_t key, i64 val) {   /* insert or replace */
    i64 at = hslot(h, key);
    if (at >= 0) { h->v[at] = val; return 0; }
    if ((h->used + 1) * 10 > h->cap * 7 && hgrow(h)) return -1;
    i64 m = h->cap - 1, i = (i64)(mix(key) & (uint64_t)m);
    while (h->st[i] == 1) i = (i + 1) & m;
    if (h->st[i] == 0) h->used++;
    h->st[i] = 1;
    h->k[i] = key;
    h->v[i] = val;
    return 0;
}

static void hdel(hmap *h, uint64_t key) {
    i64 i = hslot(h, key);
    if (i >= 0) h->st[i] = 2;
}

/* ---- what every phase of one search reads (acyclic.py `_Fixed`) -------------------- */

typedef struct fixed {
    i32 n;
    i32 *fout_off, *fout;          /* forced successors, in the graph's order */
    i32 *fin_off, *fin;            /* forced predecessors */
    hmap forced;                   /* (a, b) of every forced edge */
    i32 nkeys;
    i32 *xs_off, *xs;              /* per key: its x nodes */
    i32 *iv_off;                   /* per key: its intervals */
    i32 *iv_w, *iv_b, *iv_mode;    /* per interval: w, b, 0: x but those in its set, 1: x in its set */
    i32 *set_off, *set;            /* per interval: its set of nodes, sorted */
    i32 *kof_off, *kof;            /* per node: the keys it is an x, w or b of */
} fixed;

static i32 *copy32(const i32 *src, i64 n) {
    i32 *p = malloc((size_t)(n ? n : 1) * sizeof(i32));
    if (p && n) memcpy(p, src, (size_t)n * sizeof(i32));
    return p;
}

void acy_fixed_free(fixed *f) {
    if (!f) return;
    free(f->fout_off); free(f->fout); free(f->fin_off); free(f->fin);
    hfree(&f->forced);
    free(f->xs_off); free(f->xs); free(f->iv_off); free(f->iv_w); free(f->iv_b); free(f->iv_mode);
    free(f->set_off); free(f->set); free(f->kof_off); free(f->kof);
    free(f);
}

fixed *acy_fixed_new(int n, const i32 *fout_off, const i32 *fout, int nkeys, const i32 *xs_off,
                     const i32 *xs, const i32 *iv_off, const i32 *iv_w, const i32 *iv_b,
                     const i32 *iv_mode, const i32 *set_off, const i32 *set) {
    fixed *f = calloc(1, sizeof(fixed));
    if (!f) return NULL;
    f->n = n;
    f->nkeys = nkeys;
    i64 nedges = fout_off[n], nxs = xs_off[nkeys], niv = iv_off[nkeys], nset = set_off[niv];
    f->fout_off = copy32(fout_off, n + 1);
    f->fout = copy32(fout, nedges);
    f->xs_off = copy32(xs_off, nkeys + 1);
    f->xs = copy32(xs, nxs);
    f->iv_off = copy32(iv_off, nkeys + 1);
    f->iv_w = copy32(iv_w, niv);
    f->iv_b = copy32(iv_b, niv);
    f->iv_mode = copy32(iv_mode, niv);
    f->set_off = copy32(set_off, niv + 1);
    f->set = copy32(set, nset);
    f->fin_off = calloc((size_t)n + 1, sizeof(i32));
    f->fin = malloc((size_t)(nedges ? nedges : 1) * sizeof(i32));
    f->kof_off = calloc((size_t)n + 1, sizeof(i32));
    i64 nkof = nxs + 2 * niv;
    f->kof = malloc((size_t)(nkof ? nkof : 1) * sizeof(i32));
    i32 *fill = calloc((size_t)n + 1, sizeof(i32));
    if (!f->fout_off || !f->fout || !f->xs_off || !f->xs || !f->iv_off || !f->iv_w || !f->iv_b ||
        !f->iv_mode || !f->set_off || !f->set || !f->fin_off || !f->fin || !f->kof_off || !f->kof ||
        !fill || hinit(&f->forced, nedges + 1)) {
        free(fill);
        acy_fixed_free(f);
        return NULL;
    }
    /* predecessors by a counting sort; their order is never read (`place` takes them as a set) */
    for (i64 e = 0; e < nedges; e++) f->fin_off[fout[e] + 1]++;
    for (i32 v = 0; v < n; v++) f->fin_off[v + 1] += f->fin_off[v];
    memcpy(fill, f->fin_off, (size_t)n * sizeof(i32));
    for (i32 a = 0; a < n; a++)
        for (i32 e = fout_off[a]; e < fout_off[a + 1]; e++) {
            f->fin[fill[fout[e]]++] = a;
            if (hput(&f->forced, pair(a, fout[e]), 1)) { free(fill); acy_fixed_free(f); return NULL; }
        }
    /* the keys of each node: as x, as the w or b of an interval (duplicates do no harm) */
    memset(fill, 0, (size_t)(n + 1) * sizeof(i32));
    for (i64 i = 0; i < nxs; i++) f->kof_off[xs[i] + 1]++;
    for (i64 j = 0; j < niv; j++) { f->kof_off[iv_w[j] + 1]++; f->kof_off[iv_b[j] + 1]++; }
    for (i32 v = 0; v < n; v++) f->kof_off[v + 1] += f->kof_off[v];
    memcpy(fill, f->kof_off, (size_t)n * sizeof(i32));
    for (i32 k = 0; k < nkeys; k++) {
        for (i32 i = xs_off[k]; i < xs_off[k + 1]; i++) f->kof[fill[xs[i]]++] = k;
        for (i32 j = iv_off[k]; j < iv_off[k + 1]; j++) {
            f->kof[fill[iv_w[j]]++] = k;
            f->kof[fill[iv_b[j]]++] = k;
        }
    }
    free(fill);
    return f;
}

/* ---- one phase of the search (acyclic.py `_Search`) ---------------------------------- */

typedef struct search {
    fixed *f;
    int phase;
    i32 n;
    i32 *pos, *first;
    vec *out, *into;               /* a list not owned yet (cap 0) is the forced one (`_own`) */
    i32 *nderived;
    hmap derived;                  /* (a, b) -> its index in the der_* lists */
    vec der_a, der_b, der_kind, der_key;
    hmap why;                      /* (a, b) -> the offset of its reason in the arena */
    i32 *arena; i64 arena_n, arena_cap;   /* a reason: its size, then its levels in order */
    i64 nlevels_cap, next_level;
    uint8_t *lv_alive;
    i32 *lv_c;                     /* 4 per level: the constraint x, w, b, key */
    i32 *lv_side;                  /* 3 per level: its other side: from, to, kind */
    vec *dependents;               /* per level: (a, b, reason) of the edges whose reason holds it */
    i64 conflicts;
    uint8_t *dirty; vec dirty_list;
    uint8_t *moved; vec moved_list;
    vec *by_place;                 /* per key: its x nodes as `broken` last sorted them */
    i32 *mark, stamp;              /* depth-first walks */
    i32 *parent, *lvmark, lvstamp;
    vec stack, ahead[2], back, tmp, work, found, at, keys;
    i64 work_head;
} search;

static i32 nforced(const search *s, i32 v) { return s->f->fout_off[v + 1] - s->f->fout_off[v]; }

static const i32 *olist(const search *s, i32 v, i32 *len) {
    if (s->out[v].cap) { *len = s->out[v].n; return s->out[v].a; }
    *len = nforced(s, v);
    return s->f->fout + s->f->fout_off[v];
}

static const i32 *ilist(const search *s, i32 v, i32 *len) {
    if (s->into[v].cap) { *len = s->into[v].n; return s->into[v].a; }
    *len = s->f->fin_off[v + 1] - s->f->fin_off[v];
    return s->f->fin + s->f->fin_off[v];
}

static vec *own(vec *lists, const i32 *off, const i32 *flat, i32 v) {
    vec *l = &lists[v];
    if (!l->cap) {
        i32 len = off[v + 1] - off[v];
        if (vreserve(l, len + 1)) return NULL;
        if (len) memcpy(l->a, flat + off[v], (size_t)len * sizeof(i32));
        l->n = len;
    }
    return l;
}

void acy_search_free(search *s) {
    if (!s) return;
    if (s->out) for (i32 v = 0; v < s->n; v++) { free(s->out[v].a); free(s->into[v].a); }
    free(s->out); free(s->into);
    free(s->pos); free(s->first); free(s->nderived);
    hfree(&s->derived); hfree(&s->why);
    free(s->der_a.a); free(s->der_b.a); free(s->der_kind.a); free(s->der_key.a);
    free(s->arena);
    if (s->dependents) for (i64 l = 0; l < s->nlevels_cap; l++) free(s->dependents[l].a);
    free(s->dependents); free(s->lv_alive); free(s->lv_c); free(s->lv_side);
    free(s->dirty); free(s->dirty_list.a); free(s->moved); free(s->moved_list.a);
    if (s->by_place) for (i32 k = 0; k < s->f->nkeys; k++) free(s->by_place[k].a);
    free(s->by_place);
    free(s->mark); free(s->parent); free(s->lvmark);
    free(s->stack.a); free(s->ahead[0].a); free(s->ahead[1].a); free(s->back.a); free(s->tmp.a);
    free(s->work.a); free(s->found.a); free(s->at.a); free(s->keys.a);
    free(s);
}

search *acy_search_new(fixed *f, const i32 *order, int phase) {
    search *s = calloc(1, sizeof(search));
    if (!s) return NULL;
    i32 n = f->n;
    s->f = f;
    s->phase = phase;
    s->n = n;
    s->pos = malloc((size_t)(n ? n : 1) * sizeof(i32));
    s->first = malloc((size_t)(n ? n : 1) * sizeof(i32));
    s->out = calloc((size_t)n + 1, sizeof(vec));
    s->into = calloc((size_t)n + 1, sizeof(vec));
    s->nderived = calloc((size_t)n + 1, sizeof(i32));
    s->arena_cap = 1024;
    s->arena = malloc((size_t)s->arena_cap * sizeof(i32));
    s->dirty = malloc((size_t)f->nkeys + 1);
    s->moved = calloc((size_t)n + 1, 1);
    s->by_place = calloc((size_t)f->nkeys + 1, sizeof(vec));
    s->mark = calloc((size_t)n + 1, sizeof(i32));
    s->parent = malloc((size_t)(n ? n : 1) * sizeof(i32));
    if (!s->pos || !s->first || !s->out || !s->into || !s->nderived || !s->arena || !s->dirty ||
        !s->moved || !s->by_place || !s->mark || !s->parent || hinit(&s->derived, 64) || hinit(&s->why, 64)) {
        acy_search_free(s);
        return NULL;
    }
    for (i32 i = 0; i < n; i++) s->pos[order[i]] = i;
    memcpy(s->first, s->pos, (size_t)n * sizeof(i32));
    s->arena[0] = 0;               /* offset 0: the empty reason */
    s->arena_n = 1;
    memset(s->dirty, 1, (size_t)f->nkeys + 1);   /* every key is looked at first */
    for (i32 k = 0; k < f->nkeys; k++)
        if (vpush(&s->dirty_list, k)) { acy_search_free(s); return NULL; }
    return s;
}

/* -- reasons ---------------------------------------------------------------------------- */

static i64 store_reason(search *s, const i32 *levels, i32 k) {   /* levels sorted, distinct */
    if (!k) return 0;
    if (s->arena_n + k + 1 > s->arena_cap) {
        i64 c = s->arena_cap;
        while (s->arena_n + k + 1 > c) c *= 2;
        i32 *p = realloc(s->arena, (size_t)c * sizeof(i32));
        if (!p) return -1;
        s->arena = p;
        s->arena_cap = c;
    }
    i64 at = s->arena_n;
    s->arena[at] = k;
    memcpy(s->arena + at + 1, levels, (size_t)k * sizeof(i32));
    s->arena_n += k + 1;
    return at;
}

static int cmp32(const void *x, const void *y) {
    i32 a = *(const i32 *)x, b = *(const i32 *)y;
    return (a > b) - (a < b);
}

/* The union of reasons a and b (offsets). */
static i64 unite(search *s, i64 a, i64 b) {
    if (!a) return b;
    if (!b || a == b) return a;
    i32 na = s->arena[a], nb = s->arena[b];
    s->tmp.n = 0;
    if (vreserve(&s->tmp, (i64)na + nb)) return -1;
    const i32 *x = s->arena + a + 1, *y = s->arena + b + 1;
    i32 i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        if (x[i] < y[j]) s->tmp.a[k++] = x[i++];
        else if (y[j] < x[i]) s->tmp.a[k++] = y[j++];
        else { s->tmp.a[k++] = x[i++]; j++; }
    }
    while (i < na) s->tmp.a[k++] = x[i++];
    while (j < nb) s->tmp.a[k++] = y[j++];
    return store_reason(s, s->tmp.a, k);
}

static i64 without(search *s, i64 a, i32 level) {
    i32 na = s->arena[a];
    s->tmp.n = 0;
    if (vreserve(&s->tmp, na)) return -1;
    i32 k = 0;
    for (i32 i = 0; i < na; i++)
        if (s->arena[a + 1 + i] != level) s->tmp.a[k++] = s->arena[a + 1 + i];
    return store_reason(s, s->tmp.a, k);
}

/* -- the incremental order -------------------------------------------------------------- */

static int is_fixed_edge(const search *s, i32 u, i32 v) {
    return hget(&s->f->forced, pair(u, v), NULL) || hget(&s->derived, pair(u, v), NULL);
}

/* The reason of the path parent[] leads along from v back to the walk's start. */
static i64 path_reason(search *s, i32 v) {
    s->lvstamp++;
    if (s->lvstamp == 0x7fffffff) { memset(s->lvmark, 0, (size_t)s->nlevels_cap * sizeof(i32)); s->lvstamp = 1; }
    s->tmp.n = 0;
    i32 u = s->parent[v];
    while (u >= 0) {
        if (!is_fixed_edge(s, u, v)) {
            i64 r = 0;
            hget(&s->why, pair(u, v), &r);
            for (i32 i = 0; i < s->arena[r]; i++) {
                i32 l = s->arena[r + 1 + i];
                if (s->lvmark[l] != s->lvstamp) {
                    s->lvmark[l] = s->lvstamp;
                    if (vpush(&s->tmp, l)) return -1;
                }
            }
        }
        v = u;
        u = s->parent[u];
    }
    qsort(s->tmp.a, (size_t)s->tmp.n, sizeof(i32), cmp32);
    return store_reason(s, s->tmp.a, s->tmp.n);
}

static void next_stamp(search *s) {
    s->stamp++;
    if (s->stamp == 0x7fffffff) { memset(s->mark, 0, (size_t)s->n * sizeof(i32)); s->stamp = 1; }
}

/* Would a -> b close a cycle? 1 with *reason set, 0 with the nodes b reaches before a's place
 * in ahead[slot] (or, with `ahead_none`, nothing to move: a is before b already), -1: no memory. */
static int against(search *s, i32 a, i32 b, int slot, i64 *reason, int *ahead_none) {
    i32 *pos = s->pos;
    i32 ub = pos[a];
    *ahead_none = 0;
    if (ub < pos[b]) { *ahead_none = 1; return 0; }
    next_stamp(s);
    vec *seen = &s->ahead[slot];
    seen->n = 0;
    s->stack.n = 0;
    s->mark[b] = s->stamp;
    s->parent[b] = -1;
    if (vpush(seen, b) || vpush(&s->stack, b)) return -1;
    while (s->stack.n) {
        i32 u = s->stack.a[--s->stack.n], len;
        const i32 *succ = olist(s, u, &len);
        for (i32 i = 0; i < len; i++) {
            i32 v = succ[i], p = pos[v];
            if (p < ub) {
                if (s->mark[v] != s->stamp) {
                    s->mark[v] = s->stamp;
                    s->parent[v] = u;
                    if (vpush(seen, v) || vpush(&s->stack, v)) return -1;
                }
            } else if (p == ub) {         /* v is a */
                s->parent[a] = u;
                i64 r = path_reason(s, a);
                if (r < 0) return -1;
                *reason = r;
                return 1;
            }
        }
    }
    return 0;
}

/* Sort nodes[0..m) by their places at[0..m) (distinct), both arrays alike: a natural merge
 * sort, since the order they were left in is mostly sorted still (few of a key's nodes move
 * between two looks), as Python's sort exploits in `broken`; qsort took a fifth of the search. */
static int sort_runs(search *s, i32 *nodes, i32 *at, i32 m) {
    i32 runs = 1;
    for (i32 i = 1; i < m; i++) runs += at[i] < at[i - 1];
    if (runs <= 1) return 0;
    s->tmp.n = 0;
    if (vreserve(&s->tmp, 2 * (i64)m)) return -1;
    i32 *tn = s->tmp.a, *ta = s->tmp.a + m;
    while (runs > 1) {
        i32 i = 0, k = 0;
        runs = 0;
        while (i < m) {
            i32 mid = i + 1;
            while (mid < m && at[mid - 1] < at[mid]) mid++;
            i32 end = mid;
            if (end < m) { end++; while (end < m && at[end - 1] < at[end]) end++; }
            i32 x = i, y = mid;
            while (x < mid && y < end) {
                if (at[x] < at[y]) { ta[k] = at[x]; tn[k++] = nodes[x++]; }
                else { ta[k] = at[y]; tn[k++] = nodes[y++]; }
            }
            while (x < mid) { ta[k] = at[x]; tn[k++] = nodes[x++]; }
            while (y < end) { ta[k] = at[y]; tn[k++] = nodes[y++]; }
            i = end;
            runs++;
        }
        memcpy(nodes, tn, (size_t)m * sizeof(i32));
        memcpy(at, ta, (size_t)m * sizeof(i32));
    }
    return 0;
}

/* Sort `nodes` by their places (`sort_runs`, reentrant: no global for a comparator). */
static int by_place_of(search *s, vec *nodes) {
    s->keys.n = 0;
    if (vreserve(&s->keys, nodes->n)) return -1;
    for (i32 i = 0; i < nodes->n; i++) s->keys.a[i] = s->pos[nodes->a[i]];
    return sort_runs(s, nodes->a, s->keys.a, nodes->n);
}

/* Reorder for a new edge a -> b (Pearce and Kelly): what reaches a from past b's place, and
 * ahead[slot], swap places. */
static int place(search *s, i32 a, i32 b, int slot) {
    i32 *pos = s->pos;
    i32 lb = pos[b];
    next_stamp(s);
    s->back.n = 0;
    s->stack.n = 0;
    s->mark[a] = s->stamp;
    if (vpush(&s->back, a) || vpush(&s->stack, a)) return -1;
    while (s->stack.n) {
        i32 u = s->stack.a[--s->stack.n], len;
        const i32 *pred = ilist(s, u, &len);
        for (i32 i = 0; i < len; i++) {
            i32 v = pred[i];
            if (pos[v] > lb && s->mark[v] != s->stamp) {
                s->mark[v] = s->stamp;
                if (vpush(&s->back, v) || vpush(&s->stack, v)) return -1;
            }
        }
    }
    vec *ahead = &s->ahead[slot];
    if (by_place_of(s, &s->back) || by_place_of(s, ahead)) return -1;
    i32 total = s->back.n + ahead->n;
    s->tmp.n = 0;
    if (vreserve(&s->tmp, total)) return -1;
    for (i32 i = 0; i < s->back.n; i++) s->tmp.a[i] = pos[s->back.a[i]];
    for (i32 i = 0; i < ahead->n; i++) s->tmp.a[s->back.n + i] = pos[ahead->a[i]];
    qsort(s->tmp.a, (size_t)total, sizeof(i32), cmp32);
    for (i32 i = 0; i < s->back.n; i++) pos[s->back.a[i]] = s->tmp.a[i];
    for (i32 i = 0; i < ahead->n; i++) pos[ahead->a[i]] = s->tmp.a[s->back.n + i];
    for (i32 i = 0; i < total; i++) {
        i32 v = i < s->back.n ? s->back.a[i] : ahead->a[i - s->back.n];
        if (!s->moved[v]) {
            s->moved[v] = 1;
            if (vpush(&s->moved_list, v)) return -1;
        }
    }
    return 0;
}

static int add_level_room(search *s) {
    if (s->next_level < s->nlevels_cap) return 0;
    i64 c = s->nlevels_cap ? s->nlevels_cap * 2 : 1024;
    uint8_t *alive = realloc(s->lv_alive, (size_t)c);
    if (!alive) return -1;
    s->lv_alive = alive;
    i32 *lc = realloc(s->lv_c, (size_t)c * 4 * sizeof(i32));
    if (!lc) return -1;
    s->lv_c = lc;
    i32 *ls = realloc(s->lv_side, (size_t)c * 3 * sizeof(i32));
    if (!ls) return -1;
    s->lv_side = ls;
    vec *dep = realloc(s->dependents, (size_t)c * sizeof(vec));
    if (!dep) return -1;
    memset(dep + s->nlevels_cap, 0, (size_t)(c - s->nlevels_cap) * sizeof(vec));
    s->dependents = dep;
    i32 *lm = realloc(s->lvmark, (size_t)c * sizeof(i32));
    if (!lm) return -1;
    memset(lm + s->nlevels_cap, 0, (size_t)(c - s->nlevels_cap) * sizeof(i32));
    s->lvmark = lm;
    s->nlevels_cap = c;
    return 0;
}

/* Record a -> b (placed already): forced when the reason is empty. */
static int link_edge(search *s, i32 a, i32 b, i32 kind, i64 reason, i32 key) {
    fixed *f = s->f;
    uint64_t ab = pair(a, b);
    if (!reason) {
        if (!hget(&s->derived, ab, NULL) && !hget(&f->forced, ab, NULL)) {
            if (hput(&s->derived, ab, s->der_a.n) || vpush(&s->der_a, a) || vpush(&s->der_b, b) ||
                vpush(&s->der_kind, kind) || vpush(&s->der_key, key))
                return -1;
            vec *o = own(s->out, f->fout_off, f->fout, a);
            if (!o || vinsert(o, nforced(s, a) + s->nderived[a], b)) return -1;
            s->nderived[a]++;
            vec *in = own(s->into, f->fin_off, f->fin, b);
            if (!in || vpush(in, a)) return -1;
        }
    } else if (!hget(&s->why, ab, NULL) && !hget(&s->derived, ab, NULL) && !hget(&f->forced, ab, NULL)) {
        if (hput(&s->why, ab, reason)) return -1;
        vec *o = own(s->out, f->fout_off, f->fout, a);
        if (!o || vpush(o, b)) return -1;
        vec *in = own(s->into, f->fin_off, f->fin, b);
        if (!in || vpush(in, a)) return -1;
        for (i32 i = 0; i < s->arena[reason]; i++) {
            vec *d = &s->dependents[s->arena[reason + 1 + i]];
            if (vpush(d, a) || vpush(d, b) || vpush(d, (i32)reason)) return -1;
        }
    }
    return 0;
}

/* Take back decision `level` and every edge whose reason holds it, and nothing else. */
static void retract(search *s, i32 level) {
    s->lv_alive[level] = 0;
    vec *d = &s->dependents[level];
    for (i32 i = 0; i + 2 < d->n; i += 3) {
        i32 a = d->a[i], b = d->a[i + 1];
        i64 r = d->a[i + 2], cur;
        uint64_t ab = pair(a, b);
        if (hget(&s->why, ab, &cur) && cur == r) {
            vec *o = &s->out[a];
            for (i32 j = nforced(s, a) + s->nderived[a]; j < o->n; j++)
                if (o->a[j] == b) { vdel(o, j); break; }
            vec *in = &s->into[b];
            for (i32 j = 0; j < in->n; j++)
                if (in->a[j] == a) { vdel(in, j); break; }
            hdel(&s->why, ab);
        }
    }
    free(d->a);
    d->a = NULL;
    d->n = d->cap = 0;
}

static i32 bisect_right(const i32 *a, i32 lo, i32 hi, i32 x) {
    while (lo < hi) { i32 mid = lo + (hi - lo) / 2; if (x < a[mid]) hi = mid; else lo = mid + 1; }
    return lo;
}

static i32 bisect_left(const i32 *a, i32 lo, i32 hi, i32 x) {
    while (lo < hi) { i32 mid = lo + (hi - lo) / 2; if (a[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
}

static int in_set(const fixed *f, i32 j, i32 x) {
    const i32 *a = f->set + f->set_off[j];
    i32 n = f->set_off[j + 1] - f->set_off[j];
    i32 at = bisect_left(a, 0, n, x);
    return at < n && a[at] == x;
}

/* The constraints the order breaks, among the keys whose nodes moved, key by key. */
static int broken(search *s) {
    fixed *f = s->f;
    i32 *pos = s->pos;
    for (i32 i = 0; i < s->moved_list.n; i++) {
        i32 v = s->moved_list.a[i];
        s->moved[v] = 0;
        for (i32 j = f->kof_off[v]; j < f->kof_off[v + 1]; j++) {
            i32 k = f->kof[j];
            if (!s->dirty[k]) {
                s->dirty[k] = 1;
                if (vpush(&s->dirty_list, k)) return -1;
            }
        }
    }
    s->moved_list.n = 0;
    qsort(s->dirty_list.a, (size_t)s->dirty_list.n, sizeof(i32), cmp32);
    s->found.n = 0;
    for (i32 d = 0; d < s->dirty_list.n; d++) {
        i32 k = s->dirty_list.a[d];
        s->dirty[k] = 0;
        vec *placed = &s->by_place[k];
        i32 m = f->xs_off[k + 1] - f->xs_off[k];
        if (!placed->cap) {
            if (vreserve(placed, m + 1)) return -1;
            if (m) memcpy(placed->a, f->xs + f->xs_off[k], (size_t)m * sizeof(i32));
            placed->n = m;
        }
        s->at.n = 0;
        if (vreserve(&s->at, m + 1)) return -1;
        for (i32 i = 0; i < m; i++) s->at.a[i] = pos[placed->a[i]];
        if (sort_runs(s, placed->a, s->at.a, m)) return -1;
        s->at.a[m] = s->n;         /* past every place */
        for (i32 j = f->iv_off[k]; j < f->iv_off[k + 1]; j++) {
            i32 w = f->iv_w[j], b = f->iv_b[j];
            i32 start = bisect_right(s->at.a, 0, m + 1, pos[w]);
            if (!(s->at.a[start] < pos[b])) continue;
            i32 stop = bisect_left(s->at.a, start, m + 1, pos[b]);
            for (i32 i = start; i < stop; i++) {
                i32 x = placed->a[i];
                int inside = in_set(f, j, x);
                if (f->iv_mode[j] ? inside : !inside) {
                    if (vpush(&s->found, x) || vpush(&s->found, w) || vpush(&s->found, b) || vpush(&s->found, k))
                        return -1;
                }
            }
        }
    }
    s->dirty_list.n = 0;
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int work_push(search *s, const i32 *c) {
    for (int i = 0; i < 4; i++)
        if (vpush(&s->work, c[i])) return -1;
    return 0;
}

/* R_SAT, R_CYCLE, R_NONE (out of time or conflicts) or R_NOMEM; `seconds` left (< 0: no limit),
 * measured on this side's own clock. */
int acy_run(search *s, double seconds, long long max_conflicts) {
    i32 *pos = s->pos;
    double deadline = seconds < 0 ? -1.0 : now() + seconds;
    long long steps = 0;
    s->work.n = 0;
    s->work_head = 0;
    for (;;) {
        if (s->work_head == s->work.n) {
            s->work.n = 0;
            s->work_head = 0;
            if (broken(s)) return R_NOMEM;
            if (!s->found.n) return R_SAT;
            if (vreserve(&s->work, s->found.n)) return R_NOMEM;
            memcpy(s->work.a, s->found.a, (size_t)s->found.n * sizeof(i32));
            s->work.n = s->found.n;
        }
        steps++;
        if ((steps & 255) == 0 && deadline >= 0 && now() > deadline) return R_NONE;
        i32 c[4];
        memcpy(c, s->work.a + s->work_head, sizeof c);
        s->work_head += 4;
        i32 x = c[0], w = c[1], b = c[2], key = c[3];
        if (!(pos[w] < pos[x] && pos[x] < pos[b])) continue;
        i32 first[3] = {x, w, WW}, second[3] = {b, x, RW};
        int swap = s->phase == NEARER ? (pos[b] - pos[x] < pos[x] - pos[w]) : (s->first[w] < s->first[x]);
        if (swap) {
            i32 t[3];
            memcpy(t, first, sizeof t); memcpy(first, second, sizeof t); memcpy(second, t, sizeof t);
        }
        i64 r1 = 0, r2 = 0;
        int none1, none2;
        int c1 = against(s, first[0], first[1], 0, &r1, &none1);
        if (c1 < 0) return R_NOMEM;
        int c2 = against(s, second[0], second[1], 1, &r2, &none2);
        if (c2 < 0) return R_NOMEM;
        if (!c1 && !c2) {                         /* a free choice: a new decision level */
            if (add_level_room(s)) return R_NOMEM;
            i32 level = (i32)s->next_level++;
            s->lv_alive[level] = 1;
            memcpy(s->lv_c + 4 * level, c, 4 * sizeof(i32));
            memcpy(s->lv_side + 3 * level, second, 3 * sizeof(i32));
            if (!none1 && place(s, first[0], first[1], 0)) return R_NOMEM;
            i64 r = store_reason(s, &level, 1);
            if (r < 0 || link_edge(s, first[0], first[1], first[2], r, key)) return R_NOMEM;
            continue;
        }
        if (!c1 || !c2) {                         /* one side is ruled out, the other implied */
            const i32 *side = !c1 ? first : second;
            int slot = !c1 ? 0 : 1, none = !c1 ? none1 : none2;
            i64 why = !c1 ? r2 : r1;
            if (!none && place(s, side[0], side[1], slot)) return R_NOMEM;
            if (link_edge(s, side[0], side[1], side[2], why, key)) return R_NOMEM;
            continue;
        }
        /* both sides close a cycle: take back the latest decision behind them */
        i64 conflict = unite(s, r1, r2);
        if (conflict < 0) return R_NOMEM;
        i32 side[3];
        memcpy(side, first, sizeof side);
        int placed_side = 0;
        while (s->arena[conflict]) {
            s->conflicts++;
            if (s->conflicts > max_conflicts) return R_NONE;
            i32 j = s->arena[conflict + s->arena[conflict]];   /* the latest level */
            memcpy(side, s->lv_side + 3 * j, sizeof side);
            key = s->lv_c[4 * j + 3];
            retract(s, j);
            i64 rest = without(s, conflict, j);
            if (rest < 0) return R_NOMEM;
            i64 r = 0;
            int none;
            int cy = against(s, side[0], side[1], 0, &r, &none);
            if (cy < 0) return R_NOMEM;
            if (!cy) {
                if (!none && place(s, side[0], side[1], 0)) return R_NOMEM;
                if (link_edge(s, side[0], side[1], side[2], rest, key)) return R_NOMEM;
                placed_side = 1;
                break;
            }
            conflict = unite(s, rest, r);
            if (conflict < 0) return R_NOMEM;
        }
        if (!placed_side) {
            if (link_edge(s, side[0], side[1], side[2], 0, key)) return R_NOMEM;
            return R_CYCLE;                       /* forced, and it closes a cycle of forced edges */
        }
        if (work_push(s, c)) return R_NOMEM;
    }
}

long long acy_conflicts(search *s) { return s->conflicts; }
long long acy_levels(search *s) { return s->next_level; }
void acy_pos(search *s, i32 *out) { memcpy(out, s->pos, (size_t)s->n * sizeof(i32)); }
long long acy_nderived(search *s) { return s->der_a.n; }

void acy_derived(search *s, i32 *a, i32 *b, i32 *kind, i32 *key) {
    i32 n = s->der_a.n;
    memcpy(a, s->der_a.a, (size_t)n * sizeof(i32));
    memcpy(b, s->der_b.a, (size_t)n * sizeof(i32));
    memcpy(kind, s->der_kind.a, (size_t)n * sizeof(i32));
    memcpy(key, s->der_key.a, (size_t)n * sizeof(i32));
}
