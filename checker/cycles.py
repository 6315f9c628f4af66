"""Finding, rendering and naming a dependency cycle (networkx does the graph work).

The graph may hold thousands of edges on a cycle; a person needs the shortest
and simplest one. Cycles are searched in layers of increasing permissiveness
(Elle does the same): write-write only (G0), then with write-read (G1c), then
with exactly one anti-dependency (G-single), then any number (G2-item), then
with a thread's own order, then with real time. The first layer that holds a
cycle names the anomaly; within it the shortest cycle found is reported.
"""

from __future__ import annotations

from collections import deque

import networkx as nx

from stmcheck.models.history import COMMITTED

from .depgraph import TXN, DepGraph
from .results import Edge

MAX_STARTS = 64

_LAYERS = (
    ("G0", frozenset({"ww"})),
    ("G1c", frozenset({"ww", "wr"})),
    ("G-single", None),
    ("G2-item", frozenset({"ww", "wr", "rw", "rw>"})),
    ("po", frozenset({"ww", "wr", "rw", "rw>", "po"})),
    ("real-time", frozenset({"ww", "wr", "rw", "rw>", "po", "rt"})),
)


def find_cycle(graph: DepGraph, cyclic: list) -> list[Edge]:
    """The simplest, shortest cycle among `cyclic` nodes, as edges between transactions."""
    full = nx.DiGraph()
    members = set(cyclic)
    for a in cyclic:
        for b, (kind, key) in graph.succ[a].items():
            if b in members:
                full.add_edge(a, b, kind=kind, key=key)
    for _name, kinds in _LAYERS:
        if kinds is None:
            path = _single_rw_cycle(graph, full)
        else:
            path = _shortest_in_layer(graph, full, kinds)
        if path:
            return _collapse(graph, path)
    raise AssertionError("cyclic nodes without a cycle")  # Kahn left them, so a cycle exists


def _layer_view(full: nx.DiGraph, kinds) -> nx.DiGraph:
    return nx.subgraph_view(full, filter_edge=lambda a, b: full[a][b]["kind"] in kinds)


def _shortest_in_layer(graph: DepGraph, full: nx.DiGraph, kinds) -> list | None:
    view = _layer_view(full, kinds)
    best = None
    for comp in nx.strongly_connected_components(view):
        if len(comp) < 2:
            continue
        starts = sorted(v for v in comp if graph.kind[v] == TXN)[:MAX_STARTS]
        for s in starts:
            path = _bfs_path(view, comp, s, s)
            if path and (best is None or _cost(graph, path) < _cost(graph, best)):
                best = path
    return best


def _single_rw_cycle(graph: DepGraph, full: nx.DiGraph) -> list | None:
    """A cycle with exactly one anti-dependency: an rw hop a->x closed by ww/wr edges x->...->a."""
    base = _layer_view(full, frozenset({"ww", "wr"}))
    best = None
    tried = 0
    for a in sorted(full.nodes):
        if graph.kind[a] != TXN:
            continue
        for hop in _rw_hops(graph, full, a):
            x = hop[-1]
            back = _bfs_path(base, None, x, a)
            tried += 1
            if back:
                path = hop + back[1:]
                if best is None or _cost(graph, path) < _cost(graph, best):
                    best = path
            if tried > 4 * MAX_STARTS and best:
                return best
    return best


def _rw_hops(graph, full, a):
    """Paths a->x (directly, or through one barrier) that form one anti-dependency."""
    for b in full.successors(a):
        kind = full[a][b]["kind"]
        if kind == "rw" and graph.kind[b] == TXN:
            yield [a, b]
        elif kind == "rw>":
            for x in full.successors(b):
                if full[b][x]["kind"] == "rw" and graph.kind[x] == TXN and x != a:
                    yield [a, b, x]


def _bfs_path(view, comp, source, target) -> list | None:
    """Shortest path source -> ... -> target (a cycle when source == target), within comp."""
    parent = {}
    queue = deque()
    for b in view.successors(source):
        if comp is not None and b not in comp:
            continue
        if b == target:
            return [source, target]
        if b not in parent:
            parent[b] = source
            queue.append(b)
    while queue:
        v = queue.popleft()
        for b in view.successors(v):
            if comp is not None and b not in comp:
                continue
            if b == target:
                path = [b, v]
                while v != source:
                    v = parent[v]
                    path.append(v)
                path.reverse()
                return path
            if b not in parent and b != source:
                parent[b] = v
                queue.append(b)
    return None


def _cost(graph, path) -> tuple:
    return (sum(1 for v in path[1:] if graph.kind[v] == TXN), len(path))


def _collapse(graph: DepGraph, path: list) -> list[Edge]:
    """Turn a node path (first == last) into edges between transactions, folding aux nodes."""
    cycle = path[:-1]
    start = next(i for i, v in enumerate(cycle) if graph.kind[v] == TXN)
    cycle = cycle[start:] + cycle[:start] + [cycle[start]]
    edges = []
    i = 0
    while i < len(cycle) - 1:
        a = cycle[i]
        kind, key = graph.succ[a][cycle[i + 1]]
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
