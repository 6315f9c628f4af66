"""Linearizability checking: Wing & Gong's search with Lowe's memoization.

A history is linearizable when every completed operation (and any subset of
the pending ones) can be given a point inside its `[call, return]` interval
so that, taken in the order of those points, the operations are a legal run
of the sequential specification. The search here is the one of Wing & Gong
(1993) as improved by Lowe (2017) and used by Porcupine:

- Events (calls and returns) sit in a doubly linked list sorted by time, with
  a call before a return at the same instant (closed intervals: touching
  operations are concurrent).
- Scanning from the head, a call whose operation the specification accepts
  in the current state is *linearized*: its call and return are lifted out of
  the list, the operation is pushed on a stack and the scan restarts at the
  head. Reaching a return means the operation that returns there can no longer
  be placed: undo the last choice (pop, unlift) and try the next call after it.
- Lowe's memoization: a configuration is (set of linearized operations,
  state). Reaching a configuration seen before cannot succeed (it failed the
  first time, or the search would have stopped), so it is skipped. This cache
  is what turns an exponential search into one bounded by the number of
  distinct configurations.
- P-compositionality (Horn & Kroening 2015): when the specification partitions
  operations (`kv` per key, `set` per element), each part is checked alone;
  the history is linearizable iff every part is, and a global witness is
  rebuilt from the parts. One violated part decides, and parts differ wildly
  in cost (in Porcupine's c50-bad some keys fail in 10^4 steps, others take
  10^7), so the searches are resumable and take turns, each round giving every
  unfinished part a step budget twice the last: the cheapest violation is
  found first, as Porcupine finds it by running parts in parallel, and no step
  is repeated.
- Pending operations (`return: null`) have no return event: they may be
  linearized at any point after their call with any result, or never. The
  search succeeds as soon as every completed operation is placed.

When the search fails, the deepest stack reached is the *longest linearizable
prefix found*, and the operation whose return stopped the scan there is the
one that cannot be placed.

`PythonSearch` below is the readable reference; `native` (native.py)
runs the same algorithm in C (built with cffi on first use) and is tested
against it. `check_linearizability` picks the native core when it is
available.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from stmcheck.models.opformats import OpHistory
from stmcheck.models.specs import UNKNOWN, show

from .base import REJECT, Outcome, Part, StepLimit, Timeout, event_list, transition

_CHECK_EVERY = 4096
FIRST_ROUND_STEPS = 20_000
MAX_SLICE_STEPS = 2_000_000  # C returns to Python at least this often, so Ctrl-C works


@dataclass
class LinResult:
    """The verdict on a whole history; indices are `Operation.index` values."""

    holds: bool | None
    order: list[int] | None = None
    prefix: list[int] | None = None
    unplaceable: int | None = None
    state: object = None
    partition: object = None
    partitions: int = 1
    explanation: str = ""
    explored: int = 0
    elapsed: float = 0.0
    engine: str = "python"


class PythonSearch:
    """The reference search on one part (see the module docstring), resumable.

    `run(deadline, max_steps)` returns the Outcome, or None when it paused
    after `max_steps` more steps (call `run` again to continue); it raises
    Timeout when the deadline passes. Pausing lets `check_linearizability`
    share time between the parts of a history.
    """

    def __init__(self, part: Part):
        self.part = part
        self.explored = 0
        self._stop = -1
        self._deadline = None
        self._gen = self._search()

    def run(self, deadline: float | None = None, max_steps: int | None = None) -> Outcome | None:
        self._deadline = deadline
        self._stop = -1 if max_steps is None else self.explored + max_steps
        return next(self._gen)

    def _search(self):
        part = self.part
        ops = part.ops
        n = len(ops)
        events = event_list(ops)
        m = len(events)
        head, tail = 0, m + 1
        nxt = list(range(1, m + 2)) + [tail]
        prv = [0] + list(range(0, m + 1))
        node_op = [-1] * (m + 2)
        is_call = [False] * (m + 2)
        call_node = [0] * n
        ret_node = [-1] * n
        for k, (_, kind, i) in enumerate(events, 1):
            node_op[k] = i
            if kind == 0:
                is_call[k] = True
                call_node[i] = k
            else:
                ret_node[i] = k
        trans = [transition(part.spec, o) for o in ops]
        completed = [0 if o.ret is None else 1 for o in ops]
        bits = [1 << i for i in range(n)]

        state, lin = part.init, 0
        remaining = sum(completed)
        stack: list[tuple[int, object]] = []
        cache: set = set()
        best_len, best = -1, None
        explored = 0
        stop, deadline = self._stop, self._deadline
        node = nxt[head]
        while remaining:
            if explored == stop:
                self.explored = explored
                yield None
                stop, deadline = self._stop, self._deadline
            explored += 1
            if explored % _CHECK_EVERY == 0 and deadline is not None and time.monotonic() > deadline:
                self.explored = explored
                raise Timeout(explored)
            i = node_op[node]
            if is_call[node]:
                new = trans[i](state)
                if new is not REJECT:
                    key = (lin | bits[i], new)
                    if key not in cache:
                        cache.add(key)
                        stack.append((i, state))
                        state, lin = new, key[0]
                        c, r = call_node[i], ret_node[i]
                        nxt[prv[c]] = nxt[c]
                        prv[nxt[c]] = prv[c]
                        if r >= 0:
                            nxt[prv[r]] = nxt[r]
                            prv[nxt[r]] = prv[r]
                        remaining -= completed[i]
                        node = nxt[head]
                        continue
                node = nxt[node]
                continue
            # a return: operation i can no longer be placed here
            if len(stack) > best_len:
                best_len = len(stack)
                best = ([j for j, _ in stack], i, state)
            if not stack:
                break
            j, state = stack.pop()
            lin ^= bits[j]
            c, r = call_node[j], ret_node[j]
            if r >= 0:
                nxt[prv[r]] = r
                prv[nxt[r]] = r
            nxt[prv[c]] = c
            prv[nxt[c]] = c
            remaining += completed[j]
            node = nxt[c]
        self.explored = explored
        if not remaining:
            yield Outcome(True, order=[j for j, _ in stack], explored=explored)
        else:
            prefix, blocked, blocked_state = best
            yield Outcome(False, prefix=prefix, blocked=blocked, blocked_state=blocked_state,
                          explored=explored)


def search_python(part: Part, deadline: float | None = None, max_steps: int | None = None) -> Outcome:
    """Run the reference search on one part to the end (StepLimit after max_steps)."""
    searcher = PythonSearch(part)
    out = searcher.run(deadline, max_steps)
    if out is None:
        raise StepLimit(searcher.explored)
    return out


# --- partitions and the whole-history verdict -----------------------------------

def split(history: OpHistory, partition: bool = True) -> list[Part]:
    """The parts to check: one per partition key when the spec partitions every operation."""
    spec, ops = history.spec, history.operations
    init = spec.init(history.initial)
    if partition and ops:
        keys = [spec.partition(o.op, o.args) for o in ops]
        if all(k is not None for k in keys):
            groups: dict = {}
            for k, o in zip(keys, ops):
                groups.setdefault(k, []).append(o)
            return [Part(k, g, spec.restrict(init, k), spec) for k, g in groups.items()]
    return [Part(None, list(ops), init, spec)]


def _engine(name: str):
    """(searcher class, engine name): `native` when asked for or, for `auto`, when it builds."""
    if name == "python":
        return PythonSearch, "python"
    try:
        from . import native as native
    except ImportError:
        if name == "native":
            raise
        return PythonSearch, "python"
    if name == "native" or native.available():
        return native.NativeSearch, "native"
    return PythonSearch, "python"


def check_linearizability(history: OpHistory, timeout: float | None = None, engine: str = "auto",
                          partition: bool = True) -> LinResult:
    """Decide whether `history` is linearizable; `holds is None` when `timeout` ran out."""
    searcher, engine_name = _engine(engine)  # may build the native core: not part of the budget
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    parts = split(history, partition)
    outcomes = []
    timed_out = None
    searchers = [(part, searcher(part)) for part in sorted(parts, key=lambda p: len(p.ops))]
    waiting = searchers
    budget = FIRST_ROUND_STEPS
    while waiting and timed_out is None:
        again = []
        for part, search in waiting:
            try:
                out = search.run(deadline, budget)
            except Timeout:
                timed_out = part
                break
            if out is None:
                again.append((part, search))
            elif out.holds is False:
                explored = sum(s.explored for _, s in searchers)
                return _violation(history, part, out, len(parts), explored, start, engine_name)
            else:
                outcomes.append((part, out))
        waiting, budget = again, min(budget * 2, MAX_SLICE_STEPS)
    explored = sum(s.explored for _, s in searchers)
    rank = {id(p): k for k, p in enumerate(parts)}
    outcomes.sort(key=lambda po: rank[id(po[0])])
    elapsed = time.monotonic() - start
    if timed_out is not None:
        where = f" (on {show(timed_out.key)})" if timed_out.key is not None else ""
        return LinResult(None, partitions=len(parts), explored=explored, elapsed=elapsed, engine=engine_name,
                         explanation=f"the search ran out of time after {timeout:g} s{where} "
                                     f"and {explored} steps; no verdict")
    order = merge_orders(outcomes)
    return LinResult(True, order=order, partitions=len(parts), explored=explored, elapsed=elapsed,
                     engine=engine_name,
                     explanation=f"all {sum(1 for o in history.operations if o.ret is not None)} completed "
                                 f"operations linearized")


def merge_orders(outcomes) -> list[int]:
    """One global linearization from per-part ones.

    Each part's order gets linearization points: the i-th operation at
    max(its call, the previous point), which lies inside its interval because
    the order respects real time. Sorting all points is then a valid global
    order: an operation that returned before another was called gets a
    strictly smaller point (closed intervals, strict precedence).
    """
    points = []
    for p, (part, out) in enumerate(outcomes):
        t = float("-inf")
        for rank, j in enumerate(out.order):
            op = part.ops[j]
            t = max(t, op.call)
            points.append((t, p, rank, op.index))
    points.sort()
    return [idx for *_, idx in points]


def _violation(history, part, out, nparts, explored, start, engine_name) -> LinResult:
    spec = history.spec
    prefix = [part.ops[j].index for j in out.prefix]
    op = part.ops[out.blocked]
    state = out.blocked_state
    where = f"on {show(part.key)}, " if part.key is not None else ""
    desc = history.describe(op)
    result, _ = spec.step(state, op.op, op.args)
    shown = json.dumps(spec.state_json(state), ensure_ascii=False)
    count = f"{len(prefix)} operation{'s' if len(prefix) != 1 else ''}"
    if op.ret is not None and op.result is not UNKNOWN and not spec.matches(result, op.result):
        explanation = (f"{where}operation {op.index} ({desc}, client {show(op.client)}) must take effect "
                       f"before it returns, but after the longest linearizable prefix found ({count}) "
                       f"the state is {shown}, where it would return {show(result)}; no other order "
                       f"of the operations before its return fixes that (the search tried them all)")
    else:
        explanation = (f"{where}operation {op.index} ({desc}, client {show(op.client)}) must take effect "
                       f"before it returns; it fits the state {shown} after the longest "
                       f"linearizable prefix found ({count}), but every way of placing it and the "
                       f"operations it overlaps leads to a dead end (the search tried them all)")
    return LinResult(False, prefix=prefix, unplaceable=op.index, state=state, partition=part.key,
                     partitions=nparts, explanation=explanation, explored=explored,
                     elapsed=time.monotonic() - start, engine=engine_name)
