"""Exact answers with z3 where the graph cannot decide.

What is left after the graph's inference is a small set of choices: reads
whose value several writes produced, and pairs of writes whose order the
history does not reveal. Each transaction (and auxiliary node) gets an integer
position; every forced edge is `pos[a] < pos[b]` (difference logic, which z3
handles natively); each open choice is a disjunction, tracked so that an
unsatisfiable answer names the reads that cannot all be legal together.
"""

from __future__ import annotations

import time

from ..graphs import topological_order
from .depgraph import INIT, DepGraph


# z3 terms the encoding may build (one per ordering atom); building them is not bounded by z3's
# own timeout, so past this the answer is unknown at once (memory and time stay bounded).
TERM_LIMIT = 10_000_000


class SolverResult:
    __slots__ = ("status", "order", "core", "reads", "reason")

    def __init__(self, status, order=None, core=None, reads=(), reason=None):
        self.reason = reason   # why "unknown" came before z3 could answer (too large, out of time)
        self.status = status   # "sat", "unsat" or "unknown"
        self.order = order     # node ids in a witness order (sat)
        self.core = core       # human descriptions of the clashing reads (unsat)
        self.reads = reads     # (txn, event) of the reads in the core (unsat)


def solve(graph: DepGraph, order: list, timeout: float | None, deadline: float | None = None) -> SolverResult:
    """Decide the remaining choices; `order` is a topological order of the forced graph.
    `deadline` (time.monotonic()) bounds building the encoding too, not only z3's search."""
    import z3   # here, not at module level: most checks never reach z3, and importing it costs a start-up

    terms = len(graph.constraints) * 2 + sum(len(a.candidates) * (1 + 2 * len(graph.writers.get(a.key, ())))
                                             for a in graph.ambiguous)
    if terms > TERM_LIMIT:
        return SolverResult("unknown", reason=f"the exact search would need about {terms:,} z3 terms "
                                              f"(limit {TERM_LIMIT:,}): too many reads with several possible "
                                              f"writers")

    def late(i: int) -> bool:
        return deadline is not None and time.monotonic() > deadline

    relevant = _relevant_nodes(graph)
    pos = {}
    for v in relevant:
        pos[v] = z3.Int(f"p{v}")
    s = z3.Solver()
    if timeout is not None:
        s.set("timeout", max(1, int(timeout * 1000)))
    s.set("unsat_core", True)
    desc = graph.desc
    # Forced order among the relevant nodes: keep only covering pairs (a reaches b
    # and nothing relevant lies between) so the encoding stays near-linear.
    rel_sorted = [v for v in order if v in pos]
    rank = {v: i for i, v in enumerate(rel_sorted)}
    for a in rel_sorted:
        reach = desc[a]
        covered = 0
        for b in rel_sorted[rank[a] + 1:]:
            if (reach >> b) & 1 and not (covered >> b) & 1:
                s.add(pos[a] < pos[b])
                covered |= desc[b]
    tracked, reads = {}, {}
    for i, (x, w, b, key) in enumerate(graph.constraints):
        if late(i):
            return SolverResult("unknown")
        name = z3.Bool(f"c{i}")
        tracked[name] = _describe_pair(graph, x, w, key)
        s.assert_and_track(z3.Or(pos[x] < pos[w], pos[b] < pos[x]), name)
    for i, a in enumerate(graph.ambiguous):
        if late(i):
            return SolverResult("unknown")
        name = z3.Bool(f"r{i}")
        tracked[name] = _describe_read(graph, a)
        reads[name] = (graph.txns[a.reader], a.event)
        options = []
        writers = graph.writers.get(a.key, [])
        r = a.reader
        for c in a.candidates:
            if c is INIT:
                options.append(z3.And([pos[r] < pos[x] for x in writers if x != r]))
            else:
                options.append(z3.And([pos[c] < pos[r]] +
                                      [z3.Or(pos[x] < pos[c], pos[r] < pos[x]) for x in writers if x not in (r, c)]))
        s.assert_and_track(z3.Or(options) if options else z3.BoolVal(False), name)
    for key in getattr(graph, "versions_ambiguous", []):
        name = z3.Bool(f"v_{key}")
        tracked[name] = f"the installation order 'versions' gives for {key}"
        s.assert_and_track(_versions_constraint(graph, key, pos), name)
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            return SolverResult("unknown")
        s.set("timeout", max(1, int(left * 1000)))
    status = s.check()
    if status == z3.sat:
        model = s.model()
        value = {v: model.eval(p, model_completion=True).as_long() for v, p in pos.items()}
        return SolverResult("sat", order=_merge_order(graph, order, value))
    if status == z3.unsat:
        found = s.unsat_core()
        core = [tracked[c] for c in found if c in tracked]
        return SolverResult("unsat", core=sorted(core),
                            reads=sorted((reads[c] for c in found if c in reads), key=lambda r: r[1]))
    return SolverResult("unknown")


def _relevant_nodes(graph: DepGraph) -> set:
    rel = set()
    for x, w, b, _ in graph.constraints:
        rel.update((x, w, b))
    for a in graph.ambiguous:
        rel.add(a.reader)
        rel.update(c for c in a.candidates if c is not INIT)
        rel.update(graph.writers.get(a.key, ()))
    for key in getattr(graph, "versions_ambiguous", []):
        rel.update(graph.writers.get(key, ()))
    return rel


def _versions_constraint(graph: DepGraph, key, pos):
    """Writers of `key` take distinct slots of the listed order, matching values, in position order.

    For a key whose list is only the known beginning (`versions_open`), the slots after
    it are open to any writer: n writers in n distinct slots fill every listed one.
    """
    import z3

    listed = graph.history.versions[key]
    writers = graph.writers.get(key, [])
    tail = range(len(listed), len(writers)) if key in graph.history.versions_open else range(0)
    slot = {x: z3.Int(f"s{x}_{key}") for x in writers}
    parts = [z3.Distinct(list(slot.values()))] if len(slot) > 1 else []
    for x in writers:
        value = graph.txns[x].final_writes()[key]
        allowed = [i for i, v in enumerate(listed) if v == value and type(v) is type(value)] + list(tail)
        parts.append(z3.Or([slot[x] == i for i in allowed]) if allowed else z3.BoolVal(False))
    for x in writers:
        for y in writers:
            if x != y:
                parts.append((slot[x] < slot[y]) == (pos[x] < pos[y]))
    return z3.And(parts)


def _merge_order(graph: DepGraph, order: list, value: dict) -> list:
    """A topological order of the forced graph that also places relevant nodes by z3's positions.

    Kahn's algorithm (`graphs.topological_order`) where, among ready nodes, a
    relevant node may go only when it is the relevant node with the smallest
    position not yet placed. So ready plain nodes go first, lowest number
    first, then the ready relevant node z3 placed first; should the relevant
    nodes then come out in any other order than z3's, one of them was not
    ready in its turn: the model does not fit the forced order.

    The graph toolkit's routine rather than networkx: on the forced graph of
    a 1,000-transaction blind-write history (`bench/synth.py`
    `simulate_database`), where z3 answers in 0.3 to 1 s, this order takes
    0.002 s and `networkx.lexicographical_topological_sort` 0.01 to 0.02 s,
    after 0.3 s to import networkx, which nothing else on this path needs.
    """
    rel_queue = sorted(value, key=lambda v: (value[v], v))
    rank = {v: i for i, v in enumerate(rel_queue)}
    priority = [rank.get(v, -1) for v in range(len(graph.kind))]   # plain nodes first
    out, _ = topological_order(graph.succ, priority)
    if out is None or [v for v in out if v in rank] != rel_queue:
        raise AssertionError("z3's model does not fit the forced order")
    return out


def _describe_read(graph: DepGraph, a) -> str:
    t = graph.txns[a.reader]
    value = next((v for k, v, e in t.external_reads() if e == a.event), None)
    from .results import show_value
    return f"{t.id} read {a.key}={show_value(value)} (event {a.event})"


def _describe_pair(graph: DepGraph, x, w, key) -> str:
    return (f"{graph.txns[x].id} wrote {key}, so it must come before {graph.txns[w].id}'s write "
            f"or after everyone who read it")
