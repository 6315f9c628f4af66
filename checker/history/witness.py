"""Witness orders: the linear-time legality check, and cheap candidate orders.

`verify_order` is the definition of the criteria in executable form: given a
total order it replays the transactions against one memory and checks every
read. It is both the fast path (most correct histories are serializable in
the order their transactions committed, so trying a few such orders settles
them without any graph) and the final gate every "holds" passes through.
"""

from __future__ import annotations

from itertools import islice
from operator import attrgetter

from stmcheck.models.history import COMMITTED, READ, WRITE, History, JsonBool, same_value
from stmcheck.models.terms import Criterion

OPACITY = Criterion.OPACITY
STRICT = Criterion.STRICT_SERIALIZABILITY
SESSION = Criterion.SESSION_SERIALIZABILITY
SERIAL = Criterion.SERIALIZABILITY

_END = attrgetter("end")


class Scope:
    """What a criterion speaks of: which transactions are ordered, and which
    extra order (real time, per-thread program order) the order must extend."""

    __slots__ = ("criterion", "all_txns", "real_time", "program_order")

    def __init__(self, criterion: str):
        self.criterion = criterion
        self.all_txns = criterion == OPACITY
        self.real_time = criterion in (OPACITY, STRICT)
        self.program_order = criterion == SESSION

    def members(self, history: History) -> list:
        if self.all_txns:
            return history.txns
        return [t for t in history.txns if t.status == COMMITTED]


def verify_order(history: History, order: list, criterion: str) -> str | None:
    """None when `order` (transaction ids) is a witness for `criterion`; else why not."""
    scope = Scope(criterion)
    members = scope.members(history)
    by_id = {t.id: t for t in members}
    if len(order) != len(members) or set(order) != set(by_id):
        return f"the order must list exactly the {len(members)} transactions {criterion} speaks of"
    return _replay(history, [by_id[i] for i in order], scope)


def _replay(history: History, txns: list, scope: Scope) -> str | None:
    return _replay_at(history, txns, scope)[1]


def _replay_at(history: History, txns: list, scope: Scope) -> tuple:
    """(None, None) when the order is legal, else (the Txn where it fails, why)."""
    state = dict(history.initial)
    versions = history.versions
    open_keys = history.versions_open
    installed: dict = {}
    max_begin = -1
    last_begin: dict = {}
    real_time, program_order = scope.real_time, scope.program_order
    state_get = state.get
    for t in txns:
        if real_time:
            if t.end is not None and t.end < max_begin:
                return t, f"{t.id} ended before a transaction placed earlier began (real-time order)"
            if t.begin > max_begin:
                max_begin = t.begin
        if program_order:
            prev = last_begin.get(t.thread)
            if prev is not None and prev > t.begin:
                return t, f"{t.id} is placed after a later transaction of thread {t.thread}"
            last_begin[t.thread] = t.begin
        own = None
        for kind, key, value, idx in t.ops:
            if kind is WRITE:
                if own is None:
                    own = {}
                own[key] = value
            else:
                expected = own[key] if own is not None and key in own else state_get(key)
                # same_value(expected, value), inlined: this loop runs once per read of the history
                if expected is not value and (expected != value or type(expected) is JsonBool
                                              or type(value) is JsonBool):
                    return t, f"{t.id} read {key}={_fmt(value)} at event {idx} where the order gives {_fmt(expected)}"
        if own is not None and t.status == COMMITTED:
            for key, value in own.items():
                if versions is not None and key in versions:
                    n = installed.get(key, 0)
                    listed = versions[key]
                    if n < len(listed):
                        wrong = not same_value(listed[n], value)
                    else:  # past a known beginning of the order (versions_open) any write may follow
                        wrong = key not in open_keys
                    if wrong:
                        return t, f"{t.id} installs {key}={_fmt(value)} out of the order 'versions' gives"
                    installed[key] = n + 1
                state[key] = value
    return None, None


def _fmt(value) -> str:
    from .results import show_value
    return show_value(value)


def candidate_orders(history: History, criterion: str):
    """A few orders that are witnesses for most correct histories.

    Committed transactions by commit event; the others (opacity only) at their
    last read of a value they did not write themselves (where an STM that
    validates its reads last knew the world consistent), at their begin, or at
    their end. Each respects real-time order because a transaction's place
    lies inside its own [begin, end] interval.
    """
    scope = Scope(criterion)
    members = scope.members(history)
    if not scope.all_txns:
        yield sorted(members, key=_END)
        yield members  # begin order
        return

    def last_external_read(t):
        idx = t.begin
        written = None
        for kind, key, _, i in t.ops:
            if kind is READ:
                if written is None or key not in written:
                    idx = i
            else:
                if written is None:
                    written = set()
                written.add(key)
        return idx

    seen = set()
    for place in (last_external_read, lambda t: t.begin, lambda t: t.end if t.end is not None else t.begin):
        # Sort positions by precomputed keys (stable, so the same order as sorting
        # the transactions by key): no Python call per committed transaction.
        keys = [t.end if t.status == COMMITTED else place(t) for t in members]
        order = [members[i] for i in sorted(range(len(members)), key=keys.__getitem__)]
        sig = tuple(t.index for t in order) if len(order) < 64 else None
        if sig is not None:
            if sig in seen:
                continue
            seen.add(sig)
        yield order
    yield members


def first_candidate(history: History, criterion: str) -> list:
    """The commit-order candidate: the preferred shape of any witness."""
    return next(iter(candidate_orders(history, criterion)))


def try_candidates(history: History, criterion: str, start: int = 0, stop: int | None = None):
    """(the first candidate order that is a witness, as Txns, or None; the Txns where candidates failed).

    Where a candidate fails tells where a violation is likely to be. `start`
    and `stop` select a slice of the candidates (large histories try the
    first alone, then look for a violation, then the rest).
    """
    scope = Scope(criterion)
    failed = []
    for order in islice(candidate_orders(history, criterion), start, stop):
        t, _ = _replay_at(history, order, scope)
        if t is None:
            return order, failed
        failed.append(t)
    return None, failed
