/* stm_api.h: what Python sees of the native runtime (read by cffi's cdef,
 * which is why this file holds plain declarations only: lines starting
 * with '#' are dropped before cdef).
 *
 * Two shared libraries export it: the controlled one (stm_exec_*) and the
 * free one (stm_stress_run); stm_design_count/stm_design_name are in both.
 */
#ifndef STM_API_H
#define STM_API_H
#include <stdint.h>

/* One recorded event. op: 0 begin, 1 read, 2 write, 3 commit, 4 abort.
 * Controlled mode: `time` is the step count and the buffer order is the
 * exact real-time order. Free mode: per-thread buffers in program order;
 * `time` is a CLOCK_MONOTONIC stamp on begin (taken before it starts) and
 * commit/abort (taken after it returns), 0 on reads and writes.
 * All fields are int64 so that Python can read a buffer with one cast. */
typedef struct stm_event {
    int64_t time;
    int64_t key;
    int64_t value;
    int64_t thread;
    int64_t attempt;
    int64_t op;
} stm_event;

/* What a thread will do when stepped next. */
typedef struct stm_access {
    int64_t obj;       /* object id: index of the shared word (see stm_cells) */
    int32_t kind;      /* 1 read, 2 write, 3 read-modify-write */
    int32_t waits;     /* 1 when the access is an STM_AWAIT */
    int32_t enabled;   /* 1 when stepping it now is possible */
    int32_t finished;  /* 1 when the thread has run all its transactions */
    int32_t committing; /* 1 while inside commit(): a cut here is commit-pending */
    int32_t pad;
} stm_access;

typedef struct stm_exec stm_exec;

int stm_design_count(void);
const char *stm_design_name(int i);

/* Controlled mode: an execution of `threads` coroutines, each running
 * `txns` bank transfers (retrying on abort) over `accounts` accounts of
 * initial balance 100. Each thread's program is drawn from workload_seed,
 * independently of the schedule. NULL when the design is unknown. */
stm_exec *stm_exec_new(const char *design, int threads, int accounts, int txns,
                       int audit_pct, uint64_t workload_seed);
void stm_exec_free(stm_exec *ex);
/* Fresh memory; every thread parked before its first access. 0 on success. */
int stm_exec_reset(stm_exec *ex);
/* Run thread t's pending access and on to its next one; -1 if not enabled. */
int stm_exec_step(stm_exec *ex, int t);
void stm_exec_access(stm_exec *ex, int t, stm_access *out);
int64_t stm_exec_steps(stm_exec *ex);
/* The events recorded so far (valid until the next reset/step). */
stm_event *stm_exec_events(stm_exec *ex, int64_t *n);
/* Committed balances (encoded words) of every account, quiescent read. */
void stm_exec_final(stm_exec *ex, int64_t *out);
/* The initial value of every account. */
void stm_exec_initial(stm_exec *ex, int64_t *out);

/* One whole execution scheduled natively (after an implicit reset).
 * strategy: 0 random, 1 PCT (depth d, expected length k), 2 replay of
 * sched[0..*sched_len) (and then random). The chosen thread of every step is
 * written to sched (capacity max_steps) and *sched_len kept current as the
 * run goes, so a crash leaves the schedule prefix behind in that buffer.
 * Returns 0 all threads finished, 1 deadlock (someone waits forever),
 * 2 the step bound was reached (livelock candidate), -1 replay diverged.
 * At the step bound the run is drained: threads inside commit() are run on
 * (lowest index first, at most max_steps more steps, so sched needs room for
 * 2 * max_steps) until none is, because a history cut inside a commit would
 * show a commit-pending transaction's writes as those of a live one. */
int stm_exec_run(stm_exec *ex, int strategy, uint64_t seed, int pct_depth, int64_t pct_k,
                 int64_t max_steps, uint8_t *sched, int64_t *sched_len);

/* Program mode (program.c): the explorer's workloads as straight-line
 * programs, scheduled natively with the Python runtime's rules. Returns 0
 * complete, 1 deadlock, 2 max-steps, 3 livelock (fair lasso), -1 the
 * replayed schedule does not fit. strategy: 0 random, 1 pct, 2 replay. */
stm_exec *stm_program_new(const char *design, int threads, int nkeys, const int64_t *initial,
                          const int64_t *ops, int64_t nquads, const int64_t *starts, int64_t retries);
int stm_program_run(stm_exec *ex, int strategy, uint64_t seed, int pct_depth, int64_t pct_k,
                    int64_t max_steps, uint8_t *sched, int64_t *sched_len);
/* last commit's step, commits, the last lasso's start and end */
void stm_program_info(stm_exec *ex, int64_t *out);

/* Session mode: design calls driven from Python, one access at a time
 * (see controlled.c). call: 0 begin, 1 read, 2 write, 3 commit, 4 abort.
 * stm_session_call/resume return 1 when the call completed, 0 when it is
 * parked at an access, whose {op, object id, a, b} stm_session_pending
 * gives (op: 1 load, 2 store(a), 3 cas(a, b), 4 fetch_add(a), 5 await
 * (value & a) == b). stm_session_status: STM_OK (0) or STM_ABORTED (1), and
 * the value a read returned. Free the session with stm_exec_free. */
stm_exec *stm_session_new(const char *design, int threads, int nkeys, const int64_t *initial);
int64_t stm_session_cells(stm_exec *ex);
void stm_session_values(stm_exec *ex, int64_t *out, int64_t n);
int stm_session_call(stm_exec *ex, int t, int call, int key, int64_t value);
int stm_session_resume(stm_exec *ex, int t, int64_t *result);
void stm_session_pending(stm_exec *ex, int t, int64_t *out);
int stm_session_status(stm_exec *ex, int t, int64_t *value);
/* Serve sessions of `design` over two pipes until rfd reaches end of file
 * (worker.py documents the protocol); 0 then, -1 on a protocol error. */
int stm_session_serve(const char *design, int rfd, int wfd);

/* Free mode: `threads` pthreads run transfers for up to `seconds`, each
 * recording into its slice events[t*per_thread_cap ...]; a thread stops at a
 * transaction boundary when its slice is nearly full. state[] holds the
 * initial values on entry and the final ones on return; attempt_base[t]
 * numbers the thread's attempts (in/out, so rounds never reuse ids or tags).
 * counts[t] = events recorded by t. stats: [0] commits [1] aborts
 * [2] elapsed ns. noise_ppm: in the library built with noise injection,
 * the chance per million shared accesses that the thread yields its CPU or
 * spins briefly (ignored elsewhere). Returns 0, or -1 for an unknown design. */
int stm_stress_run(const char *design, int threads, int accounts, int64_t *state,
                   uint64_t seed, double seconds, int audit_pct, stm_event *events,
                   int64_t per_thread_cap, int64_t *counts, int64_t *attempt_base,
                   int64_t *stats, int noise_ppm);

#endif
