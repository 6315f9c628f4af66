"""Deciding serializability, session and strict serializability, and opacity.

The pipeline for one criterion, cheapest first:

1. a read that returns a value no committed write (nor the initial state)
   produced, or an own write not read back, fails every order: G1a, G1b,
   `thin-air`, `internal`;
2. a few candidate orders (commit order and friends) are replayed; the first
   that passes is the witness (most correct histories stop here, in linear time);
3. the forced dependency graph is built and grown by inference; a cycle is a
   proof of violation, and a fully decided acyclic graph gives the witness;
4. what is still open goes to z3, bounded by the timeout.

Every "holds" is replayed by `verify_order` before it is returned.
"""

from __future__ import annotations

import time

from stmcheck.models.history import COMMITTED, History

from .cycles import classify, explain, find_cycle
from .depgraph import DepGraph
from .readsources import ReadIndex
from .results import Result, show_value
from .solver import solve
from .witness import OPACITY, SERIAL, SESSION, STRICT, Scope, _replay, try_candidates, verify_order

CRITERIA = (SERIAL, SESSION, STRICT, OPACITY)
DEFAULT_CRITERIA = (SERIAL, STRICT, OPACITY)
_STRENGTH = {SERIAL: 0, SESSION: 1, STRICT: 2, OPACITY: 3}

__all__ = ["CRITERIA", "DEFAULT_CRITERIA", "check", "verify_order"]


class Inconclusive(Exception):
    """The time budget ran out before an answer."""


def check(history: History, criteria=DEFAULT_CRITERIA, timeout: float | None = None) -> list[Result]:
    """Judge `history` against each criterion (in the order given)."""
    for c in criteria:
        if c not in _STRENGTH:
            raise ValueError(f"unknown criterion {c!r} (expected one of {', '.join(CRITERIA)})")
    checker = _Checker(history, timeout)
    done = {}
    for c in sorted(set(criteria), key=lambda c: -_STRENGTH[c]):
        done[c] = checker.result(c)
    return [done[c] for c in criteria]


class _Checker:
    def __init__(self, history: History, timeout: float | None):
        self.history = history
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self._index = None
        self.cache: dict = {}

    @property
    def index(self) -> ReadIndex:
        if self._index is None:
            self._index = ReadIndex(self.history)
        return self._index

    def result(self, criterion: str) -> Result:
        if criterion not in self.cache:
            self.cache[criterion] = self._decide(criterion)
        return self.cache[criterion]

    def _decide(self, criterion: str) -> Result:
        history = self.history
        # A stronger criterion's witness, restricted, is a witness for a weaker one.
        for c, r in self.cache.items():
            if r.holds and _STRENGTH[c] > _STRENGTH[criterion]:
                order = _restrict(history, r.order, criterion)
                if verify_order(history, order, criterion) is None:
                    return Result(criterion, True, order=order, decided_by=r.decided_by)
        internal = _internal(history)
        if internal is not None:
            return internal.copy_for(criterion)
        scope = Scope(criterion)
        witness = try_candidates(history, criterion)
        if witness is not None:
            return Result(criterion, True, order=[t.id for t in witness], decided_by="witness")
        try:
            return self._graph(criterion, scope)
        except Inconclusive:
            return Result(criterion, None, explanation=f"the time budget ({self.timeout:g} s) ran out before an answer",
                          decided_by="z3")

    def _graph(self, criterion: str, scope: Scope) -> Result:
        history = self.history
        graph = DepGraph(history, scope, scope.members(history), self.index).build()
        if graph.missing is not None:
            t, key, value, event = graph.missing
            anomaly, text, _ = self.index.explain_missing(t, key, value, event)
            if criterion == OPACITY and t.status != COMMITTED and anomaly == "thin-air":
                anomaly = "inconsistent-read"
            return Result(criterion, False, anomaly=anomaly, explanation=text, events=[event], decided_by="graph")
        order, cyclic = graph.infer(self.deadline)
        if cyclic is not None:
            cycle = find_cycle(graph, cyclic)
            statuses = {t.id: t.status for t in graph.txns}
            return Result(criterion, False, anomaly=classify(cycle, statuses), cycle=cycle,
                          explanation=explain(cycle, graph), decided_by="graph")
        decided_by = "graph"
        if graph.undecided():
            remaining = None
            if self.deadline is not None:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    raise Inconclusive()
            answer = solve(graph, order, remaining)
            if answer.status == "unknown":
                raise Inconclusive()
            if answer.status == "unsat":
                return self._unsat(criterion, answer.core)
            order = answer.order
            decided_by = "z3"
        txns = graph.txn_order(order)
        problem = _replay(history, txns, scope)
        if problem is not None:
            raise AssertionError(f"stmcheck bug: the {decided_by} witness for {criterion} fails: {problem}")
        return Result(criterion, True, order=[t.id for t in txns], decided_by=decided_by)

    def _unsat(self, criterion: str, core: list) -> Result:
        anomaly = None
        if criterion == OPACITY and self.result(STRICT).holds:
            anomaly = "inconsistent-read"
        elif criterion in (STRICT, OPACITY) and self.result(SERIAL).holds:
            anomaly = "real-time"
        shown = "; ".join(core[:6]) + (f"; and {len(core) - 6} more" if len(core) > 6 else "")
        text = (f"No order of the transactions makes all of these legal at once: {shown}. "
                f"(Decided exactly by z3: the reads' possible writers and the forced order rule out every order.)")
        return Result(criterion, False, anomaly=anomaly or "unsatisfiable", explanation=text, decided_by="z3")


def _restrict(history: History, order: list, criterion: str) -> list:
    members = {t.id for t in Scope(criterion).members(history)}
    return [i for i in order if i in members]


class _Failure:
    def __init__(self, anomaly, explanation, events):
        self.anomaly, self.explanation, self.events = anomaly, explanation, events

    def copy_for(self, criterion):
        return Result(criterion, False, anomaly=self.anomaly, explanation=self.explanation,
                      events=list(self.events), decided_by="graph")


def _internal(history: History):
    for t in history.txns:
        bad = t.internal_violation()
        if bad is not None:
            key, expected, got, event = bad
            return _Failure("internal", f"{t.id} wrote {key}={show_value(expected)} and then read it back as "
                            f"{show_value(got)} (event {event}): a transaction must see its own writes.", [event])
    return None
