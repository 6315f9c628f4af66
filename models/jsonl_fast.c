/* The fast path for reading stmcheck.history/1 JSON Lines (see jsonl_fast.py).

   It reads the events of a file (from an offset: the header line is read in
   Python), checks every well-formedness rule, interns thread ids, txn ids,
   keys and string values, and hands back compact arrays: transactions in
   begin order, and their operations grouped per transaction.

   It accepts a line only where it is sure the Python reader accepts it and
   reads the same thing: plain objects of the event fields, each once;
   strings without control characters; ids and keys without escapes;
   integers of at most 18 digits. A value it cannot represent exactly (a
   float, a longer integer, a string with escapes) is kept as its JSON token
   for Python's json module to decode. Anything else (including any error of
   the history itself, a number the Python reader refuses or might: a long
   integer (Python limits the digits it converts), a float near or beyond
   the range of a double, and a line longer than the caller's limit) makes it give up
   (JR_FALLBACK) and the caller reads the whole file with the Python reader,
   whose messages are the contract.

   It also records the line each event starts on, as runs (first event, its
   line, lines per event), the same runs the Python reader's EventLines keeps. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JR_OK 0
#define JR_FALLBACK 1
#define JR_NOMEM 2
#define JR_IO 3

typedef struct {
    char *bytes;            /* arena: string bytes, or 8-byte ints */
    uint64_t len, cap;
    int64_t *off;           /* per entry: arena offset (strings) or the int value */
    uint32_t *slen;         /* per entry: string length */
    uint8_t *tag;           /* per entry: 0 int, 1 string, 2 non-ASCII string */
    uint64_t n, ncap;
    uint32_t *slots;        /* open addressing: entry + 1, 0 empty */
    uint64_t nslots;
} jr_table;

typedef struct {
    int64_t events, txns, ops, line;   /* line: where the fast path gave up (1-based) */
    const char *reason;
    jr_table threads, ids, keys, strings, raws;  /* raws: JSON tokens of odd values */
    /* transactions, begin order */
    uint32_t *t_thread, *t_begin;
    int64_t *t_end;                    /* -1: live */
    uint8_t *t_status;                 /* 0 live, 1 committed, 2 aborted */
    uint8_t *t_reread;                 /* 1: reads a key it wrote earlier */
    uint64_t *t_ops;                   /* txns + 1 offsets into the grouped ops */
    uint64_t tcap;
    /* operations grouped by transaction */
    uint8_t *g_kind, *g_vtag;          /* kind 0 read 1 write; vtag 0 int 1 string 2 null 3 true 4 false 5 raw */
    uint32_t *g_key, *g_idx;
    int64_t *g_val;                    /* int value, or index into strings or raws */
    int64_t nonint;                    /* operations whose value is not an int */
    /* operations in event order (freed once grouped) */
    uint32_t *o_txn, *o_key, *o_idx;
    uint8_t *o_kind, *o_vtag;
    int64_t *o_val;
    uint64_t ocap;
    int32_t *running;                  /* per thread: its live txn, or -1 */
    uint64_t rcap;
    /* event lines, as runs: events l_start[k].. start on l_first[k], l_step[k] lines apart (-1: one event) */
    int64_t *l_start, *l_first, *l_step;
    uint64_t nruns, lcap;
} jr_result;

static uint64_t hash_bytes(uint8_t tag, const char *p, uint64_t n) {
    uint64_t h = 0xcbf29ce484222325ULL ^ tag;
    for (uint64_t i = 0; i < n; i++) { h ^= (uint8_t)p[i]; h *= 0x100000001b3ULL; }
    h ^= h >> 29; h *= 0xbf58476d1ce4e5b9ULL; h ^= h >> 32;
    return h;
}

static int grow(void **p, uint64_t *cap, uint64_t need, uint64_t size) {
    if (need <= *cap) return 0;
    uint64_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return -1;
    *p = q; *cap = c;
    return 0;
}

/* Several arrays sharing one capacity. */
static int grow_same(uint64_t *cap, uint64_t need, int k, void ***ps, const uint64_t *sizes) {
    if (need <= *cap) return 0;
    uint64_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    for (int i = 0; i < k; i++) {
        void *q = realloc(*ps[i], c * sizes[i]);
        if (!q) return -1;
        *ps[i] = q;
    }
    *cap = c;
    return 0;
}

static void table_free(jr_table *t) {
    free(t->bytes); free(t->off); free(t->slen); free(t->tag); free(t->slots);
    memset(t, 0, sizeof *t);
}

static int table_rehash(jr_table *t) {
    uint64_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s) return -1;
    for (uint64_t e = 0; e < t->n; e++) {
        uint64_t h;
        if (t->tag[e] == 0) h = hash_bytes(0, (const char *)&t->off[e], 8);
        else h = hash_bytes(1, t->bytes + t->off[e], t->slen[e]);
        uint64_t i = h & (ns - 1);
        while (s[i]) i = (i + 1) & (ns - 1);
        s[i] = (uint32_t)(e + 1);
    }
    free(t->slots); t->slots = s; t->nslots = ns;
    return 0;
}

/* Entry of (int v) or (string p[0:n]) in t; adds it unless `find_only`. -1: absent; -2: no memory. */
static int64_t table_get(jr_table *t, int is_str, int64_t v, const char *p, uint64_t n, int ascii, int find_only) {
    if ((t->n + 1) * 2 > t->nslots && table_rehash(t)) return -2;
    uint64_t h = is_str ? hash_bytes(1, p, n) : hash_bytes(0, (const char *)&v, 8);
    uint64_t i = h & (t->nslots - 1);
    for (;;) {
        uint32_t s = t->slots[i];
        if (!s) break;
        uint64_t e = s - 1;
        if (is_str) {
            if (t->tag[e] != 0 && t->slen[e] == n && memcmp(t->bytes + t->off[e], p, n) == 0) return (int64_t)e;
        } else if (t->tag[e] == 0 && t->off[e] == v) {
            return (int64_t)e;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    if (find_only) return -1;
    if (t->n >= 0xfffffff0u) return -2;
    uint64_t e = t->n;
    uint64_t cap = t->ncap;
    void **ps[3] = {(void **)&t->off, (void **)&t->slen, (void **)&t->tag};
    uint64_t sizes[3] = {8, 4, 1};
    if (grow_same(&cap, e + 1, 3, ps, sizes)) return -2;
    t->ncap = cap;
    if (is_str) {
        if (grow((void **)&t->bytes, &t->cap, t->len + n + 1, 1)) return -2;
        memcpy(t->bytes + t->len, p, n);
        t->off[e] = (int64_t)t->len; t->slen[e] = (uint32_t)n; t->tag[e] = ascii ? 1 : 2;
        t->len += n;
    } else {
        t->off[e] = v; t->slen[e] = 0; t->tag[e] = 0;
    }
    t->n++;
    t->slots[i] = (uint32_t)(e + 1);
    return (int64_t)e;
}

/* ---- one JSON value ---- */

enum { V_NONE, V_INT, V_STR, V_NULL, V_TRUE, V_FALSE, V_FLOAT, V_RAW };  /* FLOAT, RAW: s, n span the token */

typedef struct {
    int type;
    int64_t i;
    const char *s;
    uint64_t n;
    int ascii;
} jvalue;

static inline const char *ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* A string without control characters; p at the opening quote. NULL: give up. With
   escapes it is V_RAW, its token (quotes included) left for Python to decode. */
static const char *parse_string(const char *p, const char *end, jvalue *v) {
    const char *q = p, *s = ++p;
    int ascii = 1, escaped = 0;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c < 0x20) return NULL;
        if (c == '\\') {  /* json checks the escape; a byte it hides still counts for ASCII-ness */
            escaped = 1;
            if (p + 1 < end && (unsigned char)p[1] >= 0x80) ascii = 0;
            p += 2;
            continue;
        }
        if (c >= 0x80) ascii = 0;
        p++;
    }
    if (p >= end) return NULL;
    if (escaped) { v->type = V_RAW; v->s = q; v->n = (uint64_t)(p + 1 - q); }
    else { v->type = V_STR; v->s = s; v->n = (uint64_t)(p - s); }
    v->ascii = ascii;
    return p + 1;
}

#define MAX_INT_DIGITS 640    /* the least limit Python's int("...") can be given: beyond it, Python decides */
#define SAFE_EXPONENT 300     /* |x| within 1e-300..1e300 is a finite, nonzero double */

/* JSON number grammar exactly; ints of at most 18 digits become V_INT, the rest V_FLOAT
   (decoded by Python as values; accepted for "time", where the value is not used).
   NULL (give up) for a number Python might refuse: an integer of more than
   MAX_INT_DIGITS digits, a float whose magnitude is not safely inside a double's range. */
static const char *parse_number(const char *p, const char *end, jvalue *v) {
    const char *start = p;
    int neg = 0, isfloat = 0, nonzero = 0;
    int64_t x = 0, digits = 0, lead = 0, exp = 0;  /* lead: decimal exponent of the first nonzero digit */
    if (p < end && *p == '-') { neg = 1; p++; }
    if (p >= end) return NULL;
    if (*p == '0') {
        p++; digits = 1;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 18) x = x * 10 + (*p - '0');
            digits++; p++;
        }
        nonzero = 1; lead = digits - 1;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        for (int64_t k = 1; p < end && *p >= '0' && *p <= '9'; k++, p++)
            if (!nonzero && *p != '0') { nonzero = 1; lead = -k; }
        isfloat = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (p >= end || *p < '0' || *p > '9') return NULL;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < 100000000) exp = exp * 10 + (*p - '0');
        if (eneg) exp = -exp;
        isfloat = 1;
    }
    if (!isfloat && digits > MAX_INT_DIGITS) return NULL;
    if (isfloat && nonzero && (lead + exp > SAFE_EXPONENT || lead + exp < -SAFE_EXPONENT)) return NULL;
    if (isfloat || digits > 18) { v->type = V_FLOAT; v->s = start; v->n = (uint64_t)(p - start); v->ascii = 1; return p; }
    v->type = V_INT; v->i = neg ? -x : x;
    return p;
}

static const char *parse_value(const char *p, const char *end, jvalue *v) {
    if (p >= end) return NULL;
    switch (*p) {
    case '"': return parse_string(p, end, v);
    case 't': if (end - p >= 4 && memcmp(p, "true", 4) == 0) { v->type = V_TRUE; return p + 4; } return NULL;
    case 'f': if (end - p >= 5 && memcmp(p, "false", 5) == 0) { v->type = V_FALSE; return p + 5; } return NULL;
    case 'n': if (end - p >= 4 && memcmp(p, "null", 4) == 0) { v->type = V_NULL; return p + 4; } return NULL;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) return parse_number(p, end, v);
        return NULL;
    }
}

enum { F_THREAD, F_TXN, F_OP, F_KEY, F_VALUE, F_TIME, NFIELDS };
enum { OP_BEGIN, OP_READ, OP_WRITE, OP_COMMIT, OP_ABORT };

static int field_of(const char *s, uint64_t n) {
    switch (n) {
    case 2: return memcmp(s, "op", 2) == 0 ? F_OP : -1;
    case 3: return memcmp(s, "txn", 3) == 0 ? F_TXN : (memcmp(s, "key", 3) == 0 ? F_KEY : -1);
    case 4: return memcmp(s, "time", 4) == 0 ? F_TIME : -1;
    case 5: return memcmp(s, "value", 5) == 0 ? F_VALUE : -1;
    case 6: return memcmp(s, "thread", 6) == 0 ? F_THREAD : -1;
    default: return -1;
    }
}

static int op_of(const jvalue *v) {
    if (v->type != V_STR) return -1;
    switch (v->n) {
    case 4: return memcmp(v->s, "read", 4) == 0 ? OP_READ : -1;
    case 5:
        if (memcmp(v->s, "begin", 5) == 0) return OP_BEGIN;
        if (memcmp(v->s, "write", 5) == 0) return OP_WRITE;
        if (memcmp(v->s, "abort", 5) == 0) return OP_ABORT;
        return -1;
    case 6: return memcmp(v->s, "commit", 6) == 0 ? OP_COMMIT : -1;
    default: return -1;
    }
}

#define GIVE_UP(why) do { r->reason = (why); return JR_FALLBACK; } while (0)

static int64_t intern_id(jr_table *t, const jvalue *v, int find_only) {
    if (v->type == V_INT) return table_get(t, 0, v->i, NULL, 0, 1, find_only);
    return table_get(t, 1, 0, v->s, v->n, v->ascii, find_only);
}

static int same_id(const jr_table *t, int64_t e, const jvalue *v) {
    if (v->type == V_INT) return t->tag[e] == 0 && t->off[e] == v->i;
    return t->tag[e] != 0 && t->slen[e] == v->n && memcmp(t->bytes + t->off[e], v->s, v->n) == 0;
}

/* Decimal text of an int key: the Python reader names the key str(int). */
static uint64_t int_text(int64_t x, char *buf) {
    char tmp[24];
    int n = 0, neg = x < 0;
    uint64_t u = neg ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    uint64_t k = 0;
    if (neg) buf[k++] = '-';
    while (n) buf[k++] = tmp[--n];
    return k;
}

/* Event `index` starts on `line`: extend the last run, or start a new one. */
static int note_line(jr_result *r, int64_t index, int64_t line) {
    if (r->nruns) {
        uint64_t k = r->nruns - 1;
        if (r->l_step[k] < 0) {
            if (line >= r->l_first[k]) { r->l_step[k] = line - r->l_first[k]; return JR_OK; }
        } else if (line == r->l_first[k] + (index - r->l_start[k]) * r->l_step[k]) {
            return JR_OK;
        }
    }
    void **ps[3] = {(void **)&r->l_start, (void **)&r->l_first, (void **)&r->l_step};
    uint64_t sizes[3] = {8, 8, 8};
    if (grow_same(&r->lcap, r->nruns + 1, 3, ps, sizes)) return JR_NOMEM;
    r->l_start[r->nruns] = index; r->l_first[r->nruns] = line; r->l_step[r->nruns] = -1;
    r->nruns++;
    return JR_OK;
}

static int add_event(jr_result *r, const char *p, const char *end, int64_t line) {
    jvalue f[NFIELDS];
    int seen[NFIELDS] = {0};
    p = ws(p, end);
    if (p >= end || *p != '{') GIVE_UP("not an object");
    p = ws(p + 1, end);
    if (p < end && *p == '}') GIVE_UP("empty object");
    for (;;) {
        jvalue name;
        if (p >= end || *p != '"' || !(p = parse_string(p, end, &name)) || name.type != V_STR) GIVE_UP("field name");
        int k = field_of(name.s, name.n);
        if (k < 0 || seen[k]) GIVE_UP("unknown or repeated field");
        seen[k] = 1;
        p = ws(p, end);
        if (p >= end || *p != ':') GIVE_UP("no colon");
        p = ws(p + 1, end);
        if (!(p = parse_value(p, end, &f[k]))) GIVE_UP("value");
        p = ws(p, end);
        if (p < end && *p == ',') { p = ws(p + 1, end); continue; }
        if (p < end && *p == '}') { p++; break; }
        GIVE_UP("object syntax");
    }
    if (ws(p, end) != end) GIVE_UP("text after the object");
    if (!seen[F_THREAD] || !seen[F_TXN] || !seen[F_OP]) GIVE_UP("missing field");
    if (f[F_THREAD].type != V_INT && f[F_THREAD].type != V_STR) GIVE_UP("thread type");
    if (f[F_TXN].type != V_INT && f[F_TXN].type != V_STR) GIVE_UP("txn type");
    if (seen[F_TIME] && f[F_TIME].type != V_INT && f[F_TIME].type != V_FLOAT) GIVE_UP("time type");
    int op = op_of(&f[F_OP]);
    if (op < 0) GIVE_UP("op");
    int payload = op == OP_READ || op == OP_WRITE;
    if (payload ? !(seen[F_KEY] && seen[F_VALUE]) : (seen[F_KEY] || seen[F_VALUE])) GIVE_UP("key/value presence");
    if (r->events >= 0x7ffffff0LL) GIVE_UP("too many events");  /* indices fit in int32 */
    uint32_t index = (uint32_t)r->events;

    uint64_t nthreads = r->threads.n;
    int64_t th = intern_id(&r->threads, &f[F_THREAD], 0);
    if (th < 0) return JR_NOMEM;
    if (grow((void **)&r->running, &r->rcap, (uint64_t)th + 1, sizeof(int32_t))) return JR_NOMEM;
    if ((uint64_t)th >= nthreads) r->running[th] = -1;  /* a new thread runs nothing yet */

    if (op == OP_BEGIN) {
        uint64_t before = r->ids.n;
        int64_t t = intern_id(&r->ids, &f[F_TXN], 0);
        if (t < 0) return JR_NOMEM;
        if ((uint64_t)t < before) GIVE_UP("txn begins twice");
        if (r->running[th] >= 0) GIVE_UP("thread already running");
        void **ps[5] = {(void **)&r->t_thread, (void **)&r->t_begin, (void **)&r->t_end,
                        (void **)&r->t_status, (void **)&r->t_ops};
        uint64_t sizes[5] = {4, 4, 8, 1, 8};
        if (grow_same(&r->tcap, (uint64_t)t + 2, 5, ps, sizes)) return JR_NOMEM;
        r->t_thread[t] = (uint32_t)th; r->t_begin[t] = index; r->t_end[t] = -1;
        r->t_status[t] = 0; r->t_ops[t] = 0;
        r->running[th] = (int32_t)t;
        r->txns = t + 1;
    } else {
        /* Usually the event belongs to its thread's running transaction: no hash lookup. */
        int64_t t = r->running[th];
        if (t < 0 || !same_id(&r->ids, t, &f[F_TXN])) t = intern_id(&r->ids, &f[F_TXN], 1);
        if (t == -2) return JR_NOMEM;
        if (t < 0) GIVE_UP("event before begin");
        if (r->t_end[t] >= 0) GIVE_UP("event after end");
        if (r->t_thread[t] != (uint32_t)th) GIVE_UP("thread mismatch");
        if (payload) {
            const jvalue *key = &f[F_KEY], *val = &f[F_VALUE];
            int64_t kid;
            if (key->type == V_STR) {
                kid = table_get(&r->keys, 1, 0, key->s, key->n, key->ascii, 0);
            } else if (key->type == V_INT) {
                char buf[24];
                uint64_t n = int_text(key->i, buf);
                kid = table_get(&r->keys, 1, 0, buf, n, 1, 0);
            } else {
                GIVE_UP("key type");
            }
            if (kid < 0) return JR_NOMEM;
            uint8_t vtag;
            int64_t v = 0;
            switch (val->type) {
            case V_INT: vtag = 0; v = val->i; break;
            case V_STR:
                vtag = 1;
                v = table_get(&r->strings, 1, 0, val->s, val->n, val->ascii, 0);
                if (v < 0) return JR_NOMEM;
                break;
            case V_FLOAT: case V_RAW:
                vtag = 5;
                v = table_get(&r->raws, 1, 0, val->s, val->n, val->ascii, 0);
                if (v < 0) return JR_NOMEM;
                break;
            case V_NULL: vtag = 2; break;
            case V_TRUE: vtag = 3; break;
            case V_FALSE: vtag = 4; break;
            default: GIVE_UP("value type");
            }
            uint64_t o = (uint64_t)r->ops;
            void **ps[6] = {(void **)&r->o_txn, (void **)&r->o_key, (void **)&r->o_idx,
                            (void **)&r->o_kind, (void **)&r->o_vtag, (void **)&r->o_val};
            uint64_t sizes[6] = {4, 4, 4, 1, 1, 8};
            if (grow_same(&r->ocap, o + 1, 6, ps, sizes)) return JR_NOMEM;
            r->o_txn[o] = (uint32_t)t; r->o_key[o] = (uint32_t)kid; r->o_idx[o] = index;
            r->o_kind[o] = op == OP_WRITE; r->o_vtag[o] = vtag; r->o_val[o] = v;
            if (vtag) r->nonint++;
            r->t_ops[t]++;
            r->ops++;
        } else {
            r->t_end[t] = index;
            r->t_status[t] = op == OP_COMMIT ? 1 : 2;
            r->running[th] = -1;
        }
    }
    if (note_line(r, r->events, line)) return JR_NOMEM;
    r->events++;
    return JR_OK;
}

static int blank(const char *p, const char *end) {
    for (; p < end; p++)
        if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\x0b' || *p == '\x0c')) return 0;
    return 1;
}

/* Group the operations by transaction (a counting sort: begin order, then event order). */
static int group(jr_result *r) {
    uint64_t nt = (uint64_t)r->txns, no = (uint64_t)r->ops;
    if (!r->t_ops) {  /* no transaction at all; otherwise begin kept room for nt + 1 */
        r->t_ops = calloc(1, sizeof(uint64_t));
        if (!r->t_ops) return JR_NOMEM;
    }
    uint64_t sum = 0;
    for (uint64_t t = 0; t < nt; t++) { uint64_t c = r->t_ops[t]; r->t_ops[t] = sum; sum += c; }
    r->t_ops[nt] = sum;
    r->g_kind = malloc(no + 1); r->g_vtag = malloc(no + 1);
    r->g_key = malloc(4 * (no + 1)); r->g_idx = malloc(4 * (no + 1)); r->g_val = malloc(8 * (no + 1));
    r->t_reread = calloc(nt + 1, 1);
    uint64_t *fill = malloc(8 * (nt + 1));
    if (!r->g_kind || !r->g_vtag || !r->g_key || !r->g_idx || !r->g_val || !r->t_reread || !fill) {
        free(fill);
        return JR_NOMEM;
    }
    memcpy(fill, r->t_ops, 8 * nt);
    for (uint64_t o = 0; o < no; o++) {
        uint64_t g = fill[r->o_txn[o]]++;
        r->g_kind[g] = r->o_kind[o]; r->g_vtag[g] = r->o_vtag[o];
        r->g_key[g] = r->o_key[o]; r->g_idx[g] = r->o_idx[o]; r->g_val[g] = r->o_val[o];
    }
    free(fill);
    free(r->o_txn); free(r->o_key); free(r->o_idx); free(r->o_kind); free(r->o_vtag); free(r->o_val);
    r->o_txn = r->o_key = r->o_idx = NULL; r->o_kind = r->o_vtag = NULL; r->o_val = NULL;
    /* Which transactions read back a key they wrote (only they can be internally inconsistent). */
    for (uint64_t t = 0; t < nt; t++) {
        uint64_t a = r->t_ops[t], b = r->t_ops[t + 1];
        if (b - a > 256) { r->t_reread[t] = 1; continue; }
        for (uint64_t i = a; i < b && !r->t_reread[t]; i++) {
            if (r->g_kind[i] != 0) continue;
            for (uint64_t j = a; j < i; j++)
                if (r->g_kind[j] == 1 && r->g_key[j] == r->g_key[i]) { r->t_reread[t] = 1; break; }
        }
    }
    return JR_OK;
}

void jr_free(jr_result *r) {
    if (!r) return;
    table_free(&r->threads); table_free(&r->ids); table_free(&r->keys); table_free(&r->strings);
    table_free(&r->raws);
    free(r->t_thread); free(r->t_begin); free(r->t_end); free(r->t_status); free(r->t_reread); free(r->t_ops);
    free(r->g_kind); free(r->g_vtag); free(r->g_key); free(r->g_idx); free(r->g_val);
    free(r->o_txn); free(r->o_key); free(r->o_idx); free(r->o_kind); free(r->o_vtag); free(r->o_val);
    free(r->running);
    free(r->l_start); free(r->l_first); free(r->l_step);
    free(r);
}

/* Read the events of the file open as `fd` from byte `offset` (line number `line` + 1 onwards);
   a line longer than `max_line` bytes (without its newline) makes it give up.
   Returns a result (NULL only when out of memory); status in *status. */
jr_result *jr_read(int fd, int64_t offset, int64_t line, int64_t max_line, int *status) {
    jr_result *r = calloc(1, sizeof *r);
    if (!r) { *status = JR_NOMEM; return NULL; }
    uint64_t cap = 1 << 22, have = 0;
    char *buf = malloc(cap);
    if (!buf) { *status = JR_NOMEM; return r; }
    int rc = JR_OK, eof = 0;
    while (rc == JR_OK) {
        if (!eof) {
            if (have == cap) {
                char *b = realloc(buf, cap * 2);
                if (!b) { rc = JR_NOMEM; break; }
                buf = b; cap *= 2;
            }
            ssize_t got = pread(fd, buf + have, cap - have, (off_t)offset);
            if (got < 0) { rc = JR_IO; r->reason = "read error"; break; }
            if (got == 0) eof = 1;
            offset += got; have += (uint64_t)got;
        }
        char *p = buf, *end = buf + have;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                if (end - p > max_line) { rc = JR_FALLBACK; r->reason = "line too long"; break; }
                if (!eof) break;
                nl = end;
            }
            line++;
            if (nl - p > max_line) { rc = JR_FALLBACK; r->reason = "line too long"; break; }
            if (!blank(p, nl)) {
                rc = add_event(r, p, nl, line);
                if (rc != JR_OK) break;
            }
            p = nl < end ? nl + 1 : end;
        }
        if (rc != JR_OK) break;
        if (eof && p >= end) break;
        memmove(buf, p, (size_t)(end - p));
        have = (uint64_t)(end - p);
    }
    free(buf);
    r->line = line;
    if (rc == JR_OK) rc = group(r);
    *status = rc;
    return r;
}
