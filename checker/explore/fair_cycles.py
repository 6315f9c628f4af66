"""Fair cycles in an explored state graph: the algorithms that decide livelock and starvation.

A graph here is any object with `nodes` (their number), `enabled(node)` (its
enabled threads), `out(node)` (its edges: [(thread, next node, commits)]) and
`parent_of(node)` ((parent node, thread), (-1, 0) for the root): the state-graph search
(`strategies/graph.py`) and the starvation graph of cyclic programs
(`starvation.py`) both are. Their own module, so that each of those imports
it and neither imports the other.
"""

from __future__ import annotations

from collections import deque

from ..graphs import Adjacency, Components, cyclic_core


def fair_component(graph, keep_edge, need=lambda t, c: True) -> list | None:
    """The nodes of a fair, strongly connected set of states (over the edges `keep_edge`
    accepts) with a kept edge that `need` accepts inside, or None.

    Only the cyclic core of the graph (`cyclic_core`) can hold such a set: the rest is
    trimmed first, in linear time; the components of what is left are found over flat arrays
    (`Components`), in Tarjan's order from the lowest-numbered state, so the component
    settled on, and with it the witness, is always the same."""
    succ = Adjacency()
    for u in range(graph.nodes):
        succ.add([v for t, v, c in graph.out(u) if keep_edge(t, c)])
    finder = Components(succ)
    work = [cyclic_core(succ, range(graph.nodes))]     # in order: Tarjan's roots lowest first
    inside = bytearray(graph.nodes)
    while work:
        nodes = work.pop()
        for comp in finder.components(nodes):
            for u in comp:
                inside[u] = 1
            stepping, wanted = set(), False
            for u in comp:
                for t, v, c in graph.out(u):
                    if inside[v] and keep_edge(t, c):
                        stepping.add(t)
                        wanted = wanted or need(t, c)
            for u in comp:
                inside[u] = 0
            if not stepping:
                continue        # a single state without a kept loop on itself
            bad = {t for u in comp for t in graph.enabled(u)} - stepping
            if not bad:
                if wanted:
                    return sorted(comp)
                continue   # fair, but without the edge asked for (nor has any part of it)
            rest = sorted(u for u in comp if not set(graph.enabled(u)) & bad)
            if rest:
                work.append(rest)
    return None


def starving(graph, threads):
    """(thread, component, edge filter) of the first of `threads` that starves on a fair cycle
    of the graph built so far (a real one, whatever is left to build), or None: a fair
    component over every edge but that thread's commits, with a commit inside."""
    for x in threads:
        keep = (lambda x: lambda t, c: not (c and t == x))(x)
        comp = fair_component(graph, keep, need=lambda t, c: c)
        if comp is not None:
            return x, comp, keep
    return None


def walk(graph, comp, keep_edge) -> tuple:
    """(entry node, schedule) of a closed walk in `comp` that takes a commit edge if there
    is one and one kept edge of every thread that steps inside `comp`: a fair loop (the
    threads enabled on it all step inside `comp`, see `fair_component`)."""
    comp = set(comp)
    inside = [(u, t, v, c) for u in sorted(comp) for t, v, c in graph.out(u) if v in comp and keep_edge(t, c)]
    wanted = [e for e in inside if e[3]][:1]
    for e in inside:
        if e[1] not in {w[1] for w in wanted}:
            wanted.append(e)
    start = _entry(graph, comp, wanted[0][0])
    sched, cur = [], start
    for u, t, v, _ in wanted + [(start, None, start, False)]:
        sched += _path(graph, comp, cur, u, keep_edge)
        if t is not None:
            sched.append(t)
        cur = v
    return start, sched


def _entry(graph, comp, node: int) -> int:
    """The first state of `comp` on the path (parent pointers) that reaches `node`: the lasso
    enters there, so that no state before it comes again in the loop (a replay proves the
    first cycle it closes, which must be the loop, not one through the prefix)."""
    chain = [node]
    while graph.parent_of(chain[-1])[0] >= 0:
        chain.append(graph.parent_of(chain[-1])[0])
    return next(u for u in reversed(chain) if u in comp)


def _path(graph, comp, a, b, keep_edge) -> list:
    if a == b:
        return []
    prev = {a: None}
    queue = deque([a])
    while queue:
        u = queue.popleft()
        for t, v, c in graph.out(u):
            if v in comp and v not in prev and keep_edge(t, c):
                prev[v] = (u, t)
                if v == b:
                    out = []
                    while prev[v] is not None:
                        v, t2 = prev[v]
                        out.append(t2)
                    return out[::-1]
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")
