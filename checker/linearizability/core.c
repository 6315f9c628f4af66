/* The native linearizability search (see native.py, which builds and loads it).

   It is the algorithm of `linearizability.search_python`, step for step, with
   the data structures a C program would use:

   - the linearized set is a bitset with an incrementally maintained Zobrist hash
     (a random 64-bit word per operation, XORed in and out), so memoizing a
     configuration costs O(1) unless two configurations share the hash; the memo
     stores each configuration's full bitset, so a hash collision never merges
     two different configurations;
   - states are small integers, and the next state comes from a *kernel*:
     0. callback: Python interns every state it sees and answers
        `trans(state, op)` (the next state id, -1 when the spec rejects, <= -2
        when the spec raised); answers are cached in a hash map so Python is
        asked once per (state, operation) pair. Any spec works this way.
     1. register / cas-register: states are ids of interned values; read, write
        and cas run in C.
     2. one key of `kv`: states are strings kept as chains (previous string,
        appended piece) with a polynomial hash; equal strings are interned to one
        id (hash first, then a byte-by-byte comparison, so the memo is exact),
        and `append` costs O(1) instead of a copy.

   The functions Python calls (lin_new, lin_run, lin_result, lin_free) are
   declared for cffi in native.py (CDEF). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*lin_trans_fn)(int state, int op);

static double lin_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t lin_mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* ---- kernel 0: (state, op) -> next state, answered by Python and cached ---- */
typedef struct { uint64_t *keys; int *vals; size_t cap, len; } tmap;

static int tmap_grow(tmap *t) {
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    uint64_t *nk = calloc(ncap, sizeof *nk);
    int *nv = malloc(ncap * sizeof *nv);
    if (!nk || !nv) { free(nk); free(nv); return -1; }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i]) continue;
        size_t j = lin_mix(t->keys[i]) & (ncap - 1);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = t->keys[i];
        nv[j] = t->vals[i];
    }
    free(t->keys); free(t->vals);
    t->keys = nk; t->vals = nv; t->cap = ncap;
    return 0;
}

static int tmap_step(tmap *t, int state, int op, lin_trans_fn trans) {
    uint64_t key = (((uint64_t)(uint32_t)state << 32) | (uint32_t)op) + 1;
    size_t j = 0;
    if (t->cap) {
        j = lin_mix(key) & (t->cap - 1);
        while (t->keys[j]) {
            if (t->keys[j] == key) return t->vals[j];
            j = (j + 1) & (t->cap - 1);
        }
    }
    int v = trans(state, op);
    if (v < -1) return -2;
    if ((t->len + 1) * 2 > t->cap) {
        if (tmap_grow(t)) return -3;
        j = lin_mix(key) & (t->cap - 1);
        while (t->keys[j]) j = (j + 1) & (t->cap - 1);
    }
    t->keys[j] = key;
    t->vals[j] = v;
    t->len++;
    return v;
}

/* ---- kernel 2: interned strings as chains (parent, piece) ---- */
#define LIN_B 0x100000001B3ULL
typedef struct {
    int nstr;
    const unsigned char *bytes; const long long *off; const int *len;
    uint64_t *phash, *ppow;          /* per piece: hash, B^len */
    int *base_node;                  /* piece -> node of the string equal to it, or -1 */
    size_t nn, ncap;
    uint64_t *h; int *parent; int *piece; long long *slen;
    uint32_t *slots; size_t nslots;
} strtab;

/* Does chain x spell r[0..len)? (the caller checked the lengths are equal) */
static int chain_eq_bytes(const strtab *s, int x, const unsigned char *r, long long len) {
    long long end = len;
    while (x >= 0) {
        int p = s->piece[x];
        long long pl = s->len[p];
        if (pl > end || memcmp(s->bytes + s->off[p], r + end - pl, (size_t)pl) != 0) return 0;
        end -= pl;
        x = s->parent[x];
    }
    return end == 0;
}

/* Do chains x and y spell the same string? Walks both from their ends. */
static int chain_eq(const strtab *s, int x, int y) {
    long long ix = 0, iy = 0;                  /* bytes left in the current piece */
    const unsigned char *px = 0, *py = 0;
    for (;;) {
        while (ix == 0 && x >= 0) {
            int p = s->piece[x];
            px = s->bytes + s->off[p]; ix = s->len[p]; x = s->parent[x];
        }
        while (iy == 0 && y >= 0) {
            int p = s->piece[y];
            py = s->bytes + s->off[p]; iy = s->len[p]; y = s->parent[y];
        }
        if (ix == 0 || iy == 0) return ix == 0 && iy == 0;
        long long k = ix < iy ? ix : iy;
        if (memcmp(px + ix - k, py + iy - k, (size_t)k) != 0) return 0;
        ix -= k; iy -= k;
    }
}

static int strtab_rehash(strtab *s, size_t nslots) {
    uint32_t *ns = calloc(nslots, sizeof *ns);
    if (!ns) return -1;
    for (size_t e = 0; e < s->nn; e++) {
        size_t j = lin_mix(s->h[e]) & (nslots - 1);
        while (ns[j]) j = (j + 1) & (nslots - 1);
        ns[j] = (uint32_t)(e + 1);
    }
    free(s->slots);
    s->slots = ns; s->nslots = nslots;
    return 0;
}

/* The node of string (parent + piece); parent -1 means the piece alone. -3 out of memory. */
static int strtab_intern(strtab *s, int parent, int piece) {
    if (parent < 0 && s->base_node[piece] >= 0) return s->base_node[piece];
    if (s->nn == s->ncap) {
        size_t nc = s->ncap ? s->ncap * 2 : 1024;
        uint64_t *h = realloc(s->h, nc * sizeof *h); if (!h) return -3; s->h = h;
        int *pa = realloc(s->parent, nc * sizeof *pa); if (!pa) return -3; s->parent = pa;
        int *pi = realloc(s->piece, nc * sizeof *pi); if (!pi) return -3; s->piece = pi;
        long long *sl = realloc(s->slen, nc * sizeof *sl); if (!sl) return -3; s->slen = sl;
        s->ncap = nc;
    }
    if ((s->nn + 1) * 2 > s->nslots && strtab_rehash(s, s->nslots ? s->nslots * 2 : 4096)) return -3;
    size_t e = s->nn;
    uint64_t ph = parent >= 0 ? s->h[parent] : 0;
    long long pl = parent >= 0 ? s->slen[parent] : 0;
    s->h[e] = ph * s->ppow[piece] + s->phash[piece];
    s->slen[e] = pl + s->len[piece];
    s->parent[e] = parent; s->piece[e] = piece;
    size_t j = lin_mix(s->h[e]) & (s->nslots - 1);
    while (s->slots[j]) {
        size_t o = s->slots[j] - 1;
        if (s->h[o] == s->h[e] && s->slen[o] == s->slen[e] && chain_eq(s, (int)o, (int)e)) {
            if (parent < 0) s->base_node[piece] = (int)o;
            return (int)o;
        }
        j = (j + 1) & (s->nslots - 1);
    }
    s->slots[j] = (uint32_t)(e + 1);
    s->nn++;
    if (parent < 0) s->base_node[piece] = (int)e;
    return (int)e;
}

static int strtab_init(strtab *s, int nstr, const unsigned char *bytes, const long long *off, const int *len) {
    memset(s, 0, sizeof *s);
    s->nstr = nstr; s->bytes = bytes; s->off = off; s->len = len;
    s->phash = malloc((size_t)(nstr + 1) * sizeof(uint64_t));
    s->ppow = malloc((size_t)(nstr + 1) * sizeof(uint64_t));
    s->base_node = malloc((size_t)(nstr + 1) * sizeof(int));
    if (!s->phash || !s->ppow || !s->base_node) return -1;
    for (int p = 0; p < nstr; p++) {
        uint64_t h = 0, pw = 1;
        for (int k = 0; k < len[p]; k++) { h = h * LIN_B + bytes[off[p] + k]; pw *= LIN_B; }
        s->phash[p] = h; s->ppow[p] = pw; s->base_node[p] = -1;
    }
    return 0;
}

static void strtab_free(strtab *s) {
    free(s->phash); free(s->ppow); free(s->base_node);
    free(s->h); free(s->parent); free(s->piece); free(s->slen); free(s->slots);
}

static long long strtab_copy(const strtab *s, int x, unsigned char *out, long long cap) {
    long long n = s->slen[x];
    if (n > cap) return -1;
    long long end = n;
    while (x >= 0) {
        int p = s->piece[x];
        end -= s->len[p];
        memcpy(out + end, s->bytes + s->off[p], (size_t)s->len[p]);
        x = s->parent[x];
    }
    return n;
}

/* ---- the memo: a set of (linearized bitset, state) ---- */
typedef struct {
    int W;
    size_t len, cap;
    uint64_t *hash; int *state; uint64_t *bits;
    uint32_t *slots; size_t nslots;
} memo;

static uint64_t memo_key(uint64_t h, int state) {
    return lin_mix(h ^ ((uint64_t)(uint32_t)state * 0xD6E8FEB86659FD93ULL));
}

static int memo_rehash(memo *c, size_t nslots) {
    uint32_t *ns = calloc(nslots, sizeof *ns);
    if (!ns) return -1;
    for (size_t e = 0; e < c->len; e++) {
        size_t j = memo_key(c->hash[e], c->state[e]) & (nslots - 1);
        while (ns[j]) j = (j + 1) & (nslots - 1);
        ns[j] = (uint32_t)(e + 1);
    }
    free(c->slots);
    c->slots = ns; c->nslots = nslots;
    return 0;
}

/* 1 if added, 0 if already present, -1 out of memory */
static int memo_add(memo *c, uint64_t h, int state, const uint64_t *bits) {
    int W = c->W;
    if ((c->len + 1) * 2 > c->nslots) {
        if (memo_rehash(c, c->nslots ? c->nslots * 2 : 4096)) return -1;
    }
    size_t j = memo_key(h, state) & (c->nslots - 1);
    while (c->slots[j]) {
        size_t e = c->slots[j] - 1;
        if (c->hash[e] == h && c->state[e] == state &&
            memcmp(c->bits + e * (size_t)W, bits, (size_t)W * sizeof(uint64_t)) == 0)
            return 0;
        j = (j + 1) & (c->nslots - 1);
    }
    if (c->len == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 1024;
        if (ncap > 0xFFFFFFF0u) return -1;
        uint64_t *nh = realloc(c->hash, ncap * sizeof *nh);
        if (!nh) return -1;
        c->hash = nh;
        int *nst = realloc(c->state, ncap * sizeof *nst);
        if (!nst) return -1;
        c->state = nst;
        uint64_t *nb = realloc(c->bits, ncap * (size_t)W * sizeof *nb);
        if (!nb) return -1;
        c->bits = nb;
        c->cap = ncap;
    }
    size_t e = c->len++;
    c->hash[e] = h;
    c->state[e] = state;
    memcpy(c->bits + e * (size_t)W, bits, (size_t)W * sizeof(uint64_t));
    c->slots[j] = (uint32_t)(e + 1);
    return 1;
}

/* ---- one step of the specification ---- */
typedef struct {
    int kernel;
    lin_trans_fn trans;
    tmap tm;
    const int *kind, *a, *b, *res;
    strtab st;
} spec_ctx;

/* next state, -1 rejected, -2 Python error, -3 out of memory */
static int next_state(spec_ctx *k, int state, int i) {
    int r = k->res[i];
    if (r == -2) return -1;                      /* a result the spec can never give */
    switch (k->kernel) {
    case 1:                                      /* register, cas-register */
        switch (k->kind[i]) {
        case 0: return (r == -1 || r == state) ? state : -1;              /* read */
        case 1: return k->a[i];                                            /* write */
        default: {                                                         /* cas */
            int swapped = (state == k->a[i]);
            if (r != -1 && r != swapped) return -1;
            return swapped ? k->b[i] : state;
        }
        }
    case 2:                                      /* one key of kv */
        switch (k->kind[i]) {
        case 0: {                                                          /* get */
            if (r == -1) return state;
            if (r < 0) return -1;
            const strtab *s = &k->st;
            if (s->slen[state] != s->len[r] || s->h[state] != s->phash[r]) return -1;
            return chain_eq_bytes(s, state, s->bytes + s->off[r], s->len[r]) ? state : -1;
        }
        case 1: return strtab_intern(&k->st, -1, k->a[i]);                 /* put */
        default: return strtab_intern(&k->st, state, k->a[i]);             /* append */
        }
    default:
        return tmap_step(&k->tm, state, i, k->trans);
    }
}

/* The whole search, resumable: lin_run continues where the last call paused. */
typedef struct lin_ctx lin_ctx;
struct lin_ctx {
    int n, m, W, head, tail;
    int *ev_op; unsigned char *ev_call, *completed;
    int *nxt, *prv, *call_node, *ret_node, *stack_op, *stack_state;
    uint64_t *zob, *lin;
    int *kind, *a, *b, *res;
    unsigned char *bytes; long long *off; int *len;
    spec_ctx k;
    memo cache;
    long long steps;
    int state, depth, best_len, remaining, node, finished, final_rc;
    uint64_t h;
    int best_blocked, best_state, *best_prefix;
};

static void *lin_dup(const void *src, size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (p && bytes) memcpy(p, src, bytes);
    return p;
}

void lin_free(lin_ctx *x) {
    if (!x) return;
    free(x->ev_op); free(x->ev_call); free(x->completed);
    free(x->nxt); free(x->prv); free(x->call_node); free(x->ret_node);
    free(x->stack_op); free(x->stack_state); free(x->zob); free(x->lin); free(x->best_prefix);
    free(x->kind); free(x->a); free(x->b); free(x->res);
    free(x->k.tm.keys); free(x->k.tm.vals);
    if (x->k.kernel == 2) strtab_free(&x->k.st);
    free(x->bytes); free(x->off); free(x->len);
    free(x->cache.hash); free(x->cache.state); free(x->cache.bits); free(x->cache.slots);
    free(x);
}

lin_ctx *lin_new(int n, int m, const int *ev_op, const unsigned char *ev_call,
                 const unsigned char *completed, int init, lin_trans_fn trans, int kernel,
                 const int *op_kind, const int *op_a, const int *op_b, const int *op_res,
                 int nstr, const unsigned char *str_bytes, const long long *str_off, const int *str_len) {
    lin_ctx *x = calloc(1, sizeof *x);
    if (!x) return 0;
    size_t N = (size_t)n + 1, M = (size_t)m + 2;
    long long total = 0;
    for (int p = 0; p < nstr; p++) total += str_len[p];
    x->n = n; x->m = m; x->W = (n + 63) / 64 + 1; x->head = 0; x->tail = m + 1;
    x->ev_op = lin_dup(ev_op, (size_t)m * sizeof(int));
    x->ev_call = lin_dup(ev_call, (size_t)m);
    x->completed = lin_dup(completed, (size_t)n);
    x->kind = lin_dup(op_kind, (size_t)n * sizeof(int));
    x->a = lin_dup(op_a, (size_t)n * sizeof(int));
    x->b = lin_dup(op_b, (size_t)n * sizeof(int));
    x->res = lin_dup(op_res, (size_t)n * sizeof(int));
    x->bytes = lin_dup(str_bytes, (size_t)total);
    x->off = lin_dup(str_off, (size_t)nstr * sizeof(long long));
    x->len = lin_dup(str_len, (size_t)nstr * sizeof(int));
    x->nxt = malloc(M * sizeof(int)); x->prv = malloc(M * sizeof(int));
    x->call_node = malloc(N * sizeof(int)); x->ret_node = malloc(N * sizeof(int));
    x->stack_op = malloc(N * sizeof(int)); x->stack_state = malloc(N * sizeof(int));
    x->best_prefix = malloc(N * sizeof(int));
    x->zob = malloc(N * sizeof(uint64_t)); x->lin = calloc((size_t)x->W, sizeof(uint64_t));
    if (!x->ev_op || !x->ev_call || !x->completed || !x->kind || !x->a || !x->b || !x->res || !x->bytes ||
        !x->off || !x->len || !x->nxt || !x->prv || !x->call_node || !x->ret_node || !x->stack_op ||
        !x->stack_state || !x->best_prefix || !x->zob || !x->lin) { lin_free(x); return 0; }
    x->k.kernel = kernel; x->k.trans = trans;
    x->k.kind = x->kind; x->k.a = x->a; x->k.b = x->b; x->k.res = x->res;
    x->cache.W = x->W;
    x->state = init;
    if (kernel == 2) {
        if (strtab_init(&x->k.st, nstr, x->bytes, x->off, x->len)) { lin_free(x); return 0; }
        x->state = strtab_intern(&x->k.st, -1, init);
        if (x->state < 0) { lin_free(x); return 0; }
    }
    for (int v = 0; v <= m + 1; v++) { x->nxt[v] = v + 1; x->prv[v] = v - 1; }
    x->nxt[x->tail] = x->tail; x->prv[x->head] = x->head;
    for (int i = 0; i < n; i++) { x->ret_node[i] = -1; x->zob[i] = lin_mix(0xA5A5A5A5ULL + (uint64_t)i * 7919u); }
    for (int v = 1; v <= m; v++) {
        int i = x->ev_op[v - 1];
        if (x->ev_call[v - 1]) x->call_node[i] = v; else x->ret_node[i] = v;
    }
    for (int i = 0; i < n; i++) x->remaining += x->completed[i];
    x->best_len = -1; x->best_blocked = -1; x->best_state = x->state;
    x->node = x->nxt[x->head];
    return x;
}

/*
 * Runs until an answer or a limit: 1 linearizable, 0 not, -1 timeout (budget
 * seconds, when >= 0), -2 Python error, -3 out of memory, -4 paused after
 * max_steps more steps (when >= 0; call again to continue).
 */
int lin_run(lin_ctx *x, double budget, long long max_steps) {
    if (x->finished) return x->final_rc;
    double deadline = budget >= 0 ? lin_now() + budget : -1.0;
    long long stop = max_steps >= 0 ? x->steps + max_steps : -1;
    int *nxt = x->nxt, *prv = x->prv, *ev_op = x->ev_op;
    const unsigned char *ev_call = x->ev_call, *completed = x->completed;
    int state = x->state, depth = x->depth, node = x->node, remaining = x->remaining, rc;
    uint64_t h = x->h;
    long long steps = x->steps;
    while (remaining) {
        if (stop >= 0 && steps >= stop) { rc = -4; goto pause; }
        steps++;
        if (deadline >= 0 && (steps & 4095) == 0 && lin_now() > deadline) { rc = -1; goto pause; }
        int i = ev_op[node - 1];
        if (ev_call[node - 1]) {
            int ns = next_state(&x->k, state, i);
            if (ns < -1) { rc = ns; goto pause; }
            if (ns >= 0) {
                uint64_t nh = h ^ x->zob[i];
                x->lin[i >> 6] |= (uint64_t)1 << (i & 63);
                int added = memo_add(&x->cache, nh, ns, x->lin);
                if (added < 0) { x->lin[i >> 6] &= ~((uint64_t)1 << (i & 63)); rc = -3; goto pause; }
                if (added) {
                    x->stack_op[depth] = i; x->stack_state[depth] = state; depth++;
                    state = ns; h = nh;
                    int c = x->call_node[i], r = x->ret_node[i];
                    nxt[prv[c]] = nxt[c]; prv[nxt[c]] = prv[c];
                    if (r >= 0) { nxt[prv[r]] = nxt[r]; prv[nxt[r]] = prv[r]; }
                    remaining -= completed[i];
                    node = nxt[x->head];
                    continue;
                }
                x->lin[i >> 6] &= ~((uint64_t)1 << (i & 63));
            }
            node = nxt[node];
            continue;
        }
        if (depth > x->best_len) {
            x->best_len = depth;
            memcpy(x->best_prefix, x->stack_op, (size_t)depth * sizeof(int));
            x->best_blocked = i; x->best_state = state;
        }
        if (depth == 0) break;
        depth--;
        int j = x->stack_op[depth];
        state = x->stack_state[depth];
        h ^= x->zob[j];
        x->lin[j >> 6] &= ~((uint64_t)1 << (j & 63));
        int c = x->call_node[j], r = x->ret_node[j];
        if (r >= 0) { nxt[prv[r]] = r; prv[nxt[r]] = r; }
        nxt[prv[c]] = c; prv[nxt[c]] = c;
        remaining += completed[j];
        node = nxt[c];
    }
    rc = remaining ? 0 : 1;
    x->finished = 1; x->final_rc = rc;
pause:
    x->state = state; x->depth = depth; x->node = node; x->remaining = remaining; x->h = h; x->steps = steps;
    if (rc == -2 || rc == -3) { x->finished = 1; x->final_rc = rc; }
    return rc;
}

/*
 * After lin_run returned 1: out_order holds the order, out_info[0] its length.
 * After 0: out_prefix/out_info[1] the longest prefix, out_info[2] the blocked op,
 * out_info[3] the state after the prefix (kernel 2 copies that string to out_str and
 * its length to out_info[4]). Returns the number of steps taken so far.
 */
long long lin_result(lin_ctx *x, int *out_order, int *out_prefix, int *out_info,
                     unsigned char *out_str, long long out_cap) {
    memcpy(out_order, x->stack_op, (size_t)x->depth * sizeof(int));
    out_info[0] = x->depth;
    if (x->best_len > 0) memcpy(out_prefix, x->best_prefix, (size_t)x->best_len * sizeof(int));
    out_info[1] = x->best_len < 0 ? 0 : x->best_len;
    out_info[2] = x->best_blocked; out_info[3] = x->best_state; out_info[4] = -1;
    if (x->k.kernel == 2 && x->best_state >= 0)
        out_info[4] = (int)strtab_copy(&x->k.st, x->best_state, out_str, out_cap);
    return x->steps;
}
