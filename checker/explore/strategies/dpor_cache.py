"""DPOR that remembers the states it has explored (stateful DPOR).

Why: on TL2 with two transactions per thread, step-level DPOR runs hundreds of
thousands of executions, each a distinct Mazurkiewicz trace, yet most of them
meet again in the same state with the same history so far (a reader that saw
lock version 1 or 2 aborts the same way; the clock value one attempt sampled
is overwritten by the next). Below such a state everything was explored
already: the same continuations, the same signatures and final states.

How: at every state where more than one thread can move and one is about to
begin an attempt (`_between_attempts`: where runs meet again), the state's key
is looked up among the states whose exploration has finished. The key is what
the run's future depends on (`statekey.future_key`: shared memory, thread
positions, lasso record) and what the judges need of the history so far: all
of it (`statekey.history_key`), or, when the explorer says its judges are
opacity or strict serializability and the invariant, only what those can
still tell apart (`witnesskey.WitnessKey`: every way a witness order of the
history so far could have begun). A hit ends the run there (`stopped`), under
two conditions that keep DPOR sound with state caching (the problem of Yang,
Chen, Gopalakrishnan and Kirby, "Efficient stateful dynamic partial order
reduction", SPIN 2008):

1. Sleep sets: the state was explored with a sleep set contained in the
   current one (what was asleep then is asleep now, so nothing that this
   visit would explore was left out then).
2. Races into the remembered subtree: the current prefix may race with steps
   below the state, which the earlier visit analysed against its own prefix
   only. Each remembered state keeps a *summary*: every step any thread had
   pending at any state of its subtree (object, write). On a hit, every step
   of the prefix that is dependent with a summary step of another thread, and
   does not happen before that thread's position, is treated as a race, all
   of them (not only the latest), and at the state before it every thread
   that may start the reversal is added to the backtrack set (the exact
   initials of the prefix part, plus every thread that does not step between
   the two). Over-approximating races only adds exploration.

Backtrack points below a state come from races between steps that are both
below it, which do not depend on the prefix: the earlier visit found them.
The key leaves the depth out: only states whose exploration has finished are
in the cache, so a state still on the current path (a loop) is never a hit;
and a hit counts only when no run below the state could reach `--max-steps`
from either visit (`reach`), since the step bound is the one thing the depth
changes. Under `--preemptions` nothing is remembered (the preemption budget
left is not part of the key).
"""

from __future__ import annotations

from stmcheck.models.machine import BEGIN

from .dpor import DPOR, _initials, _partners
from ..statekey import future_key, history_key


class _Access:
    """A step of the remembered subtree, as the race analysis sees it."""
    __slots__ = ("objs", "write")

    def __init__(self, objs, write):
        self.objs, self.write = objs, write


class CachedDPOR(DPOR):
    about = "dynamic partial-order reduction with sleep sets: exhaustive, says when the space is covered"

    def __init__(self, preemptions: int | None = None):
        super().__init__(preemptions=preemptions)
        self.remember = preemptions is None
        self.cache: dict = {}   # state key -> [(sleep set, summary, reach, depth)] of finished states
        self.hit = None         # (summary, reach) of the finished state the current run stopped at
        self.hits = 0           # executions ended at a finished state
        self.summaries: dict = {}  # value -> its one copy (`_one`)
        self.history_view = history_key  # the history part of the key; the explorer may coarsen it

    def judge_histories_by(self, view) -> None:
        """Key states by `view(run)` instead of the whole history so far: the explorer's
        word that its judges cannot tell apart histories with equal views (`witnesskey`)."""
        self.history_view = view

    def pick(self, run, enabled):
        d = len(run.schedule)
        key = None
        if d >= len(self.stack) and self.remember and len(enabled) > 1 and _between_attempts(run):
            key = future_key(run, depth=False), self.history_view(run)
            sleep = self.stack[d - 1].child_sleep if d else frozenset()
            limit = run.max_steps
            for old_sleep, summary, reach, then in self.cache.get(key, ()):
                if old_sleep <= sleep and d + reach < limit and then + reach < limit:
                    self.hit = summary, reach
                    self.hits += 1
                    return None
        t = super().pick(run, enabled)
        if key is not None:
            node = self.stack[d]
            node.key, node.summary = key, set()
        return t

    def finish(self, run):
        tclock, steps, access, clocks = self._races(run)
        hit, self.hit = self.hit, None
        if hit:
            self._summary_races(run, hit[0], tclock, steps, access, clocks)
        self._summarise(run, hit)
        self._backtrack(run)

    def _summarise(self, run, hit):
        """Add to each remembered node of the stack the steps pending in this run at or below it."""
        if not self.remember:
            return
        stack, log = self.stack, run.pending_log
        acc = set(hit[0]) if hit else set()
        end = len(log) - 1 + (hit[1] if hit else 0)   # the depth of the deepest state this run stands for
        for d in range(len(log) - 1, -1, -1):
            for t, s in enumerate(log[d]):
                if s is not None:
                    acc.add((t, s.objs, s.write))
            node = stack[d] if d < len(stack) else None
            if node is not None and node.summary is not None:
                node.summary |= acc
                node.reach = max(node.reach, end - d)

    def _summary_races(self, run, hit, tclock, steps, access, clocks):
        sched = run.schedule
        k = len(steps)
        stack = self.stack
        threads = range(1, run.threads + 1)
        for p, objs, write in hit:
            for i in _partners(p, _Access(objs, write), tclock[p], steps, sched, access):
                initials, _, _ = _initials(i, k, sched, clocks)
                between = set(sched[i + 1:k])
                cands = set(initials) | {q for q in threads if q not in between}
                node = stack[i]
                found = [q for q in node.enabled if q in cands] or list(node.enabled)
                self._add(node, i, [q for q in found if q not in node.sleep])

    def _popped(self, d):
        for depth, node in enumerate(self.stack[d:], d):
            if node.key is not None:
                summary = self._one(frozenset(node.summary))
                self.cache.setdefault(self._compact(node.key), []).append((node.sleep, summary, node.reach, depth))

    def _one(self, x):
        """One copy of each equal value (keys and summaries share most of their parts)."""
        return self.summaries.setdefault(x, x)

    def _compact(self, key):
        (mem, positions, lasso), history = key
        one = self._one
        return (one(mem), one(tuple(one(p) for p in positions)), one(lasso)), one(tuple(one(h) for h in history))


def _between_attempts(run) -> bool:
    """Some thread is about to begin an attempt (where runs that took different paths meet again)."""
    return any(s is not None and s.op == BEGIN for s in run.pending_log[-1])
