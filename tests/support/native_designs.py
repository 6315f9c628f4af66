"""C designs used by the native tests (not shipped)."""

import textwrap

# Segfaults on a commit when someone else committed since this attempt began:
# exercises crash reporting in native exploration, stress and isolation.
CRASHY = textwrap.dedent("""
    #include <stdlib.h>
    #include "stm.h"
    /* A design that segfaults on its first commit after someone else's. */
    typedef struct { stm_cell *v; stm_cell *commits; } S;
    static void *create(int n, const stm_word *init, int t) {
        (void)t; S *s = calloc(1, sizeof *s); s->v = stm_cells(n); s->commits = stm_cells(1);
        for (int k = 0; k < n; k++) atomic_store(&s->v[k], init[k]);
        return s;
    }
    static void destroy(void *s) { free(s); }
    static stm_word peek(void *s, int k) { return atomic_load(&((S *)s)->v[k]); }
    typedef struct { S *s; stm_word seen; } T;
    static void *tinit(void *s, int i) { (void)i; T *t = calloc(1, sizeof *t); t->s = s; return t; }
    static void tfini(void *t) { free(t); }
    static void begin(void *p) { T *t = p; t->seen = STM_LOAD(t->s->commits); }
    static int rd(void *p, int k, stm_word *out) { T *t = p; *out = STM_LOAD(&t->s->v[k]); return STM_OK; }
    static int wr(void *p, int k, stm_word v) { T *t = p; STM_STORE(&t->s->v[k], v); return STM_OK; }
    static int commit(void *p) {
        T *t = p;
        if (STM_FETCH_ADD(t->s->commits, 1) != t->seen) *(volatile int *)0 = 1;
        return STM_OK;
    }
    static void ab(void *p) { (void)p; }
    const stm_design crashy = {"crashy", create, destroy, peek, tinit, tfini, begin, rd, wr, commit, ab};
""")


# Calls exit(0) in its first read: the recording process ends "successfully" with no transaction.
EXITS = CRASHY.replace("#include <stdlib.h>", "#include <stdlib.h>\n#include <unistd.h>").replace(
    "static int rd(void *p, int k, stm_word *out) { T *t = p; *out",
    "static int rd(void *p, int k, stm_word *out) { T *t = p; exit(0); *out").replace(
    '"crashy", create', '"exits", create').replace("const stm_design crashy", "const stm_design exits")


# Spins forever in its first read: the recording process never sends a round nor dies.
SPINS = CRASHY.replace(
    "static int rd(void *p, int k, stm_word *out) { T *t = p; *out",
    "static int rd(void *p, int k, stm_word *out) { T *t = p; for (;;) {} *out").replace(
    '"crashy", create', '"spins", create').replace("const stm_design crashy", "const stm_design spins")
