"""Finding, rendering and naming a dependency cycle.

The graph may hold thousands of edges on a cycle; a person needs the shortest
and simplest one. Cycles are searched in layers of increasing permissiveness
(Elle does the same): write-write only (G0), then with write-read (G1c), then
with exactly one anti-dependency (G-single), then any number (G2-item), then
with a thread's own order, then with real time. The first layer that holds a
cycle names the anomaly; within it the shortest cycle found is reported.

The graph toolkit (checker/graphs.py) finds the strongly connected
components of each layer; the shortest cycle inside a component is a 0-1 breadth-first search
written here, because auxiliary nodes (barriers, time points) must cost
nothing (a chain of time points is one real-time edge to a reader) and because
filtered networkx views were measured at 30x the cost of plain adjacency lists
on 10^4-node components.
"""

from __future__ import annotations

from collections import deque

from stmcheck.models.history import COMMITTED

from ..graphs import strongly_connected
from .depgraph import TXN, DepGraph
from .results import Edge

# Budget of nodes visited by shortest-cycle searches per layer: the search
# tries more start nodes in small components and fewer in huge ones.
VISIT_BUDGET = 400_000
MIN_STARTS = 4

_WW, _WR, _RW = frozenset({"ww"}), frozenset({"ww", "wr"}), frozenset({"rw", "rw>"})
# Where two kinds of edge join the same pair, the cycle shows the more specific one.
_SPECIFIC = {"ww": 0, "wr": 1, "rw": 2, "rw>": 2, "po": 3, "rt": 4}
_ANY_RW = frozenset({"ww", "wr", "rw", "rw>"})
_LAYERS = (
    ("G0", _WW),
    ("G1c", _WR),
    ("G-single", None),
    ("G2-item", _ANY_RW),
    ("po", _ANY_RW | {"po"}),
    ("real-time", _ANY_RW | {"po", "rt"}),
)


def find_cycle(graph: DepGraph, cyclic: list, hints=()) -> list[Edge]:
    """The simplest, shortest cycle among `cyclic` nodes, as edges between transactions.

    `hints` are transaction nodes likely to lie on a cycle (where a candidate
    order failed); searches start there first.
    """
    members = set(cyclic)
    edges = [(a, b, kind) for a in cyclic for b in graph.succ[a] if b in members
             for kind, _key in graph.edges_between(a, b)]
    # Every cycle of every layer below lies inside one strongly connected component of all
    # the edges: what lies on none (most of `cyclic`: what a topological order leaves
    # downstream of a cycle) is dropped once here, not in each layer (the 1,000-transaction
    # history with one stale read, opacity: 1,650 nodes left, 275 on cycles; 13 -> 5 ms).
    core = set().union(*_components([(a, b) for a, b, _kind in edges]))
    edges = [e for e in edges if e[0] in core and e[1] in core]
    hints = [h for h in hints if h in members]
    for _name, kinds in _LAYERS:
        if kinds is None:
            found = _single_rw_cycle(graph, edges, hints)
            if found:
                path, hop = found
                return _collapse(graph, path, lambda a, b: _RW if (a, b) in hop else _WR)
        else:
            path = _shortest_in_layer(graph, [(a, b) for a, b, k in edges if k in kinds], hints)
            if path:
                return _collapse(graph, path, lambda a, b, kinds=kinds: kinds)
    raise AssertionError("cyclic nodes without a cycle")  # topological_order left them, so a cycle exists


def _components(pairs: list) -> list[set]:
    return [c for c in strongly_connected(pairs) if len(c) > 1]


def _adjacency(pairs, keep) -> dict:
    adj: dict = {}
    for a, b in pairs:
        if a in keep and b in keep:
            adj.setdefault(a, []).append(b)
    return adj


def _shortest_in_layer(graph: DepGraph, pairs: list, hints) -> list | None:
    best = None
    for comp in _components(pairs):
        adj = _adjacency(pairs, comp)
        txns = sorted(v for v in comp if graph.kind[v] == TXN)
        starts = [h for h in hints if h in comp] + txns
        budget = max(MIN_STARTS, VISIT_BUDGET // max(1, len(comp)))
        for s in list(dict.fromkeys(starts))[:budget]:
            path = _bfs_path(graph, adj, s, s)
            if path and (best is None or _cost(graph, path) < _cost(graph, best)):
                best = path
                if _cost(graph, best)[0] <= 2:
                    return best
    return best


def _single_rw_cycle(graph: DepGraph, edges: list, hints) -> tuple | None:
    """A cycle with exactly one anti-dependency: an rw hop a->x closed by ww/wr edges x->...->a.
    (the path, the node pairs of the hop)."""
    within = set().union(*_components([(a, b) for a, b, k in edges if k in _ANY_RW]) or [set()])
    if not within:
        return None
    base = _adjacency([(a, b) for a, b, k in edges if k in _WR], within)
    succ: dict = {}
    for a, b, k in edges:
        if a in within and b in within:
            succ.setdefault(a, []).append((b, k))
    firsts = [h for h in hints if h in within] + sorted(v for v in within if graph.kind[v] == TXN)
    best = None
    visited_budget = VISIT_BUDGET
    for a in dict.fromkeys(firsts):
        for hop in _rw_hops(graph, succ, a):
            back = _bfs_path(graph, base, hop[-1], a)
            visited_budget -= len(within) // 8 + 1
            if back:
                path = hop + back[1:]
                if best is None or _cost(graph, path) < _cost(graph, best[0]):
                    best = path, set(zip(hop, hop[1:]))
            if visited_budget <= 0:
                return best
    return best


def _rw_hops(graph, succ, a):
    """Paths a->x (directly, or through one barrier) that form one anti-dependency."""
    for b, kind in succ.get(a, ()):
        if kind == "rw" and graph.kind[b] == TXN:
            yield [a, b]
        elif kind == "rw>":
            for x, k2 in succ.get(b, ()):
                if k2 == "rw" and graph.kind[x] == TXN and x != a:
                    yield [a, b, x]


def _bfs_path(graph: DepGraph, adj: dict, source, target) -> list | None:
    """Shortest path source -> ... -> target (a cycle when source == target).

    0-1 BFS: stepping onto an auxiliary node costs nothing, onto a transaction
    one; nodes leave the deque in non-decreasing cost, so the first edge found
    into `target` closes a cheapest path.
    """
    kind = graph.kind
    parent = {source: None}
    dist = {source: 0}
    queue = deque([source])
    while queue:
        v = queue.popleft()
        d = dist[v]
        for b in adj.get(v, ()):
            if b == target:
                path = [b]
                while v is not None:
                    path.append(v)
                    v = parent[v]
                path.reverse()
                return path
            nd = d + (kind[b] == TXN)
            if b not in dist or nd < dist[b]:
                dist[b] = nd
                parent[b] = v
                if nd == d:
                    queue.appendleft(b)
                else:
                    queue.append(b)
    return None


def _cost(graph, path) -> tuple:
    return (sum(1 for v in path[1:] if graph.kind[v] == TXN), len(path))


def _collapse(graph: DepGraph, path: list, allowed) -> list[Edge]:
    """Turn a node path (first == last) into edges between transactions, folding aux nodes;
    each pair shown by its most specific kind of edge among `allowed(a, b)`."""
    cycle = path[:-1]
    start = next(i for i, v in enumerate(cycle) if graph.kind[v] == TXN)
    cycle = cycle[start:] + cycle[:start] + [cycle[start]]
    edges = []
    i = 0
    while i < len(cycle) - 1:
        a, b = cycle[i], cycle[i + 1]
        kinds = allowed(a, b)
        kind, key = min((e for e in graph.edges_between(a, b) if e[0] in kinds),
                        key=lambda e: _SPECIFIC.get(e[0], 9), default=graph.succ[a][b])
        j = i + 1
        while graph.kind[cycle[j]] != TXN:
            j += 1
        if kind == "rw>":
            kind = "rw"
        edges.append(Edge(graph.txns[a].id, graph.txns[cycle[j]].id, kind, key))
        i = j
    return edges


def classify(cycle: list[Edge], statuses: dict) -> str:
    """Adya's class of a cycle (plus `real-time`, and `inconsistent-read` for opacity-only cycles)."""
    if any(statuses.get(e.src) != COMMITTED for e in cycle):
        return "inconsistent-read"
    kinds = [e.kind for e in cycle]
    if "rt" in kinds:
        return "real-time"
    rw = kinds.count("rw")
    if rw == 0:
        return "G0" if all(k == "ww" for k in kinds if k != "po") else "G1c"
    return "G-single" if rw == 1 else "G2-item"


def explain(cycle: list[Edge], graph: DepGraph) -> str:
    """One or two plain sentences: what each edge means, and why no order fits."""
    by_id = {t.id: t for t in graph.txns}
    phrases = [_phrase(e, by_id) for e in cycle]
    if len(phrases) > 6:
        phrases = phrases[:5] + [f"... ({len(phrases) - 5} more steps)"]
    head = "; ".join(phrases)
    return f"{head[0].upper()}{head[1:]}. Around this cycle each transaction must come before the next, so no order can place them all."


def _phrase(e: Edge, by_id) -> str:
    if e.kind == "wr":
        return f"{e.dst} read {e.key} as written by {e.src}"
    if e.kind == "rw":
        return f"{e.src} read {e.key} before {e.dst} overwrote it"
    if e.kind == "ww":
        return f"{e.src} wrote {e.key} before {e.dst} did"
    if e.kind == "po":
        return f"{e.src} ran before {e.dst} on thread {by_id[e.src].thread}"
    ended = "committed" if by_id[e.src].status == COMMITTED else "ended"
    return f"{e.src} {ended} before {e.dst} began"
