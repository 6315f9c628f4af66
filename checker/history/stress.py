"""Fast witnesses for stress histories, read off an exactly known graph.

Stress histories are large, full of aborted attempts, and their end stamps
are taken after commit returns (a thread may be preempted in between), so
the general checker's cheap candidate orders (such as commit order) often
fail and it falls back to search, which is slow at this size. But in the
bank workload every transaction reads a key before writing it, and written
values are unique per key: each committed write names the version it
replaced, so the version order of every key, and with it the whole
dependency graph (ww, wr, rw), is known exactly. Adding real time, and for
opacity the aborted attempts (their reads give wr and rw edges; their
writes are seen by nobody), a topological order of that graph is a witness.

This is a sufficient test only (a history outside that shape, or with a
cycle, gets None), so the caller falls back to the full checker, and every
witness found here is still replayed by `verify_order` first.
"""

from __future__ import annotations

import bisect

from stmcheck.models.history import COMMITTED, History, same_value
from stmcheck.models.terms import Criterion

from ..graphs import cycle_among, topological_order
from .criteria import check, verify_order
from .cycles import classify
from .results import Edge, Result, render_cycle

STRICT, OPACITY = Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY
_SPECIFIC = {"ww": 0, "wr": 1, "rw": 2}   # a pair joined by several kinds shows the most specific
_FIRST = (float("-inf"),)   # a time point's sort key: before every transaction's (begin, index)


def dependency_order(history: History, aborted: bool = False):
    """`(order, cycle)`: a topological order (ids) of the dependency graph
    plus real time, or else a cycle of it (a list of Edges, a proof that no
    order exists), or `(None, None)` when the graph cannot be read off the
    history (a committed write to a key not read first, a read of a value
    nobody wrote, two writers replacing the same version).

    Members: the committed transactions, and with `aborted` every attempt.
    """
    committed = [t for t in history.txns if t.status == COMMITTED]
    members = history.txns if aborted else committed
    node = {t.id: i for i, t in enumerate(members)}   # members are the graph's nodes 0..m-1
    writer, replaced = {}, {}   # (key, value) -> node that wrote it, node that overwrote it
    for t in committed:
        me = node[t.id]
        for key, value in t.final_writes().items():
            writer[(key, value)] = me
    succ = [[] for _ in members]
    labels = {}   # (node, node) -> (kind, key) of the most specific edge found between them
    reads = [{k: v for k, v, _ in t.external_reads()} for t in members]
    for t in committed:
        me = node[t.id]
        mine = reads[me]
        for key in t.final_writes():
            if key not in mine:
                return None, None
            prev = mine[key]
            if (key, prev) in replaced:
                return None, None  # two writers replaced one version: a lost update
            replaced[(key, prev)] = me
            src = writer.get((key, prev))
            if src is not None and src != me:
                succ[src].append(me)
                _label(labels, src, me, "ww", key)
    for me, t in enumerate(members):
        for key, value in reads[me].items():
            src = writer.get((key, value))
            if src is None and not same_value(value, history.initial_value(key)):
                return None, None
            if src is not None and src != me:
                succ[src].append(me)
                _label(labels, src, me, "wr", key)
            nxt = replaced.get((key, value))
            if nxt is not None and nxt != me:
                succ[me].append(nxt)
                _label(labels, me, nxt, "rw", key)
    return _topological(members, succ, labels)


def _label(labels: dict, a: int, b: int, kind: str, key) -> None:
    """Name the edge a -> b by its most specific kind, so that a cycle is named by the most
    specific class it shows (a write-read beside a read-write makes G-single, not G2-item)."""
    old = labels.get((a, b))
    if old is None or _SPECIFIC[kind] < _SPECIFIC[old[0]]:
        labels[(a, b)] = (kind, key)


def _topological(members: list, succ: list, labels: dict):
    """Kahn's algorithm (`graphs.topological_order`) over the graph `succ`
    plus real time, encoded by a chain of time points (one per end, in
    order, after the members): A -> time(A.end) -> ... -> B exactly when
    A.end < B.begin, in O(n) edges instead of O(n^2). Ready time points go
    first, so every transaction that real time allows is ready before the
    next is chosen; among those, ties go to the earliest begin: a
    transaction takes effect after it begins, while its end stamp may be
    late."""
    ends = sorted(t.end for t in members if t.end is not None)
    m, n = len(members), len(ends)
    time_out = [[] for _ in range(n)]   # time point m + i
    for i, t in enumerate(members):
        if t.end is not None:
            succ[i].append(m + bisect.bisect_left(ends, t.end))
        j = bisect.bisect_left(ends, t.begin)
        if j:
            time_out[j - 1].append(i)
    for i in range(n - 1):
        time_out[i].append(m + i + 1)
    succ += time_out
    priority = [(t.begin, t.index) for t in members] + [_FIRST] * n
    order, stuck = topological_order(succ, priority)
    if order is not None:
        return [members[v].id for v in order if v < m], None
    return None, _cycle(members, labels, cycle_among(succ, stuck))


def _cycle(members, labels, loop) -> list:
    """The cycle `loop` (nodes, in edge order) as Edges between transactions:
    runs through time points become `rt` edges."""
    m = len(members)
    start = next(i for i, v in enumerate(loop) if v < m)
    loop = loop[start:] + loop[:start]
    txns = [(i, v) for i, v in enumerate(loop) if v < m]
    out = []
    for j, (i, a) in enumerate(txns):
        k, b = txns[(j + 1) % len(txns)]
        if (k - i) % len(loop) == 1 and (a, b) in labels:
            kind, key = labels[(a, b)]
            out.append(Edge(members[a].id, members[b].id, kind, key))
        else:
            out.append(Edge(members[a].id, members[b].id, "rt"))
    return out


def check_stress(history: History, criteria, timeout=None) -> list:
    """`check`, with strict serializability and opacity first decided from
    `dependency_order`: a witness (replayed by `verify_order`) or a cycle."""
    done = {}
    statuses = {t.id: t.status for t in history.txns}
    for criterion, aborted in ((STRICT, False), (OPACITY, True)):
        if criterion not in criteria:
            continue
        order, cycle = dependency_order(history, aborted)
        if order is not None and verify_order(history, order, criterion) is None:
            done[criterion] = Result(criterion, True, order=order, decided_by="dependency-order")
        elif cycle:
            text = (f"The dependency graph, read off unique values and real time, has the cycle "
                    f"{render_cycle(cycle)}: each transaction must come before the next, so no order "
                    f"can place them all.")
            done[criterion] = Result(criterion, False, anomaly=classify(cycle, statuses), cycle=cycle,
                                     explanation=text, decided_by="dependency-order")
    rest = [c for c in criteria if c not in done]
    if rest:
        done.update(zip(rest, check(history, rest, timeout=timeout)))
    return [done[c] for c in criteria]
