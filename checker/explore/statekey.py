"""What a state of an execution is, for the strategies that remember states.

Two prefixes of executions with the same *future key* have the same futures:
every continuation schedule runs the same steps with the same results and ends
the same way (complete with the same final memory, deadlock, crash, a lasso,
or past `--max-steps`). With the same *history key* as well, the judges see
the same thing at the end of each continuation: the same history signature
(what the criteria, the invariant and the object checks look at) and the same
final state. `state_key` is both together; a strategy that meets a state key
it has explored already may skip the whole subtree below it.

The future key is what the runtime's own decisions depend on:
- the shared memory, and each thread's abstract position (`Run.thread_positions`:
  transaction index, results seen in its attempt (since its last checkpoint, from
  the body's reads and writes and the checkpoint's values), design-declared
  local state),
  which determine every thread's next steps (threads are deterministic);
- the lasso detector's memory (states seen at restarts since the last commit,
  each with the threads that have stepped, been enabled and committed since,
  which decide whether a return to it is a fair livelock, starvation, or an
  unfair loop to cut);
- the depth, and whether the last commit is old enough that a run stopped at
  `--max-steps` is a suspected livelock.

The history key is each thread's events in order, with, for every begin, how
many attempts of each thread had ended by then: exactly the signature's
content (attempts with their reads, writes and outcomes, and the real-time
precedences), in a form that is cheap to build.
"""

from __future__ import annotations

from stmcheck.models.history import canonical_value


def future_key(run, depth: bool = True) -> tuple:
    """Everything the rest of `run` (from its current state) depends on. Without
    `depth`: everything but the depth and the age of the last commit, which
    matter only to a run that reaches `--max-steps` (the caller's business)."""
    seen = run.lasso_states()
    lasso = ()
    if seen:
        sched, enabled = run.schedule, run.enabled_log
        commits = [(s, e["thread"]) for e, s in zip(run.events, run.event_steps) if e["op"] == "commit"]
        lasso = frozenset(
            (state, frozenset(sched[start:]), frozenset(t for e in enabled[start:] for t in e),
             frozenset(t for s, t in commits if s >= start))
            for state, start in seen.items())
    if not depth:
        return (*run.abstract_state(), lasso)
    old_commit = run.last_commit <= run.max_steps - run.max_steps // 2
    return (*run.abstract_state(), lasso, len(run.steps), old_commit)


def history_key(run) -> tuple:
    """What the judges see of the history so far, independent of the order of
    events that only independent steps separate."""
    n = run.threads
    ended = [0] * (n + 1)
    per_thread: list = [[] for _ in range(n + 1)]
    for e in run.events:
        op, t = e["op"], e["thread"]
        if op == "begin":
            per_thread[t].append((e["txn"], tuple(ended)))
        elif op == "read" or op == "write":
            per_thread[t].append((op, e["key"], canonical_value(e["value"])))  # true is not 1
        else:
            ended[t] += 1
            per_thread[t].append(op)
    return tuple(tuple(x) for x in per_thread)


def state_key(run, depth: bool = True) -> tuple:
    return future_key(run, depth), history_key(run)
