"""The graph toolkit: topological orders, the cycles behind a failed one, and
strongly connected components, for every part of the checker that needs them.

Nodes are the integers 0..n-1 and a graph is its successor lists
(`succ[v]` iterates v's successors; a list of dicts or of lists both do).

`topological_order` is Kahn's algorithm, written here by hand because it
lies on the hot path of `stmcheck check` (the forced dependency graph of a
whole history, `history/depgraph.py`) and of `stmcheck stress` (the exactly
known graph of a stress history, `history/stress.py`), where networkx was
measured several times slower (figures in its docstring). `cycle_among`
reads a cycle off what Kahn's algorithm could not place, in linear time.

Strongly connected components come from networkx (`strongly_connected`):
off the hot path, so the declared dependency is used rather than a copy of
Tarjan's algorithm. networkx is imported inside the function that uses it,
never at module level, so commands that need no graph do not pay for it.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush


def topological_order(succ, priority=None, extra=None):
    """Kahn's algorithm: `(order, None)`, or `(None, stuck)` when the graph has a cycle.

    `stuck` lists, in increasing order, the nodes Kahn's algorithm could not
    place: exactly those on a cycle or reachable from one (`cycle_among`
    finds a cycle among them).

    How a ready node (every predecessor placed) is chosen:
    - `priority` None: the node made ready last goes first (a stack; at the
      start, the lowest-numbered node), the cheapest choice when any
      topological order will do;
    - otherwise `priority[v]` is v's heap entry, a tuple whose last item is
      v: the ready node with the smallest entry goes first (so a caller
      states its preference, and the trailing node number breaks ties).

    `extra` maps a node to more successors (edges that hold for this order
    only); they count exactly as the edges of `succ`.

    Hand-written rather than networkx because it is on the hot path. Medians
    of 5 runs (one core, Python 3.11, networkx 3.6; each variant including
    building what it needs from the same adjacency), on the forced graph
    of a 10^4-transaction blind-write history (`bench/synth.py`
    `simulate_database`, 25,720 nodes, 86,573 edges), where `stmcheck check`
    orders that graph about 30 times:
      any order: this 0.016 s, `networkx.topological_sort` 0.13 s;
      by priority: this 0.036 s, `networkx.lexicographical_topological_sort` 0.15 s;
    and on a recorded 208,664-transaction `stmcheck stress native-tl2` history
    (610,012 nodes with its time points, 1,442,551 edges), by priority:
      this 0.70 s, `networkx.lexicographical_topological_sort` 3.6 s.
    """
    if extra:
        succ = [list(s) + list(extra[v]) if v in extra else s for v, s in enumerate(succ)]
    n = len(succ)
    indeg = [0] * n
    for s in succ:
        for b in s:
            indeg[b] += 1
    order = []
    place = order.append
    if priority is None:
        ready = [v for v in range(n) if indeg[v] == 0]
        ready.reverse()
        pop, push = ready.pop, ready.append
        while ready:
            v = pop()
            place(v)
            for b in succ[v]:
                indeg[b] -= 1
                if indeg[b] == 0:
                    push(b)
    else:
        ready = [priority[v] for v in range(n) if indeg[v] == 0]
        heapify(ready)
        while ready:
            v = heappop(ready)[-1]
            place(v)
            for b in succ[v]:
                indeg[b] -= 1
                if indeg[b] == 0:
                    heappush(ready, priority[b])
    if len(order) == n:
        return order, None
    return None, [v for v in range(n) if indeg[v] > 0]


def cycle_among(succ, stuck) -> list:
    """A cycle through nodes that `topological_order` could not place, in edge order.

    Each stuck node keeps a stuck predecessor (its in-degree never reached
    zero), so walking from predecessor to predecessor must revisit a node;
    the walk between the two visits, reversed, is a cycle. The predecessor
    kept for a node is the first found scanning `stuck` in the order given
    and each one's successors in `succ` order; the walk starts at the first
    node that scan reaches. Linear in the stuck part of the graph.
    """
    members = set(stuck)
    pred: dict = {}
    for a in stuck:
        for b in succ[a]:
            if b in members and b not in pred:
                pred[b] = a
    v = next(iter(pred))
    seen: dict = {}
    walk = []
    while v not in seen:
        seen[v] = len(walk)
        walk.append(v)
        v = pred[v]
    loop = walk[seen[v]:]
    loop.reverse()
    return loop


def strongly_connected(edges, nodes=()) -> list[set]:
    """The strongly connected components (networkx), singletons included.

    The order is fixed, so callers that take the first component that
    qualifies stay deterministic: Tarjan's (a depth-first search from each
    node in turn, `nodes` first in the order given and then the others as
    `edges` first name them, following each node's edges in the order
    given), which completes a component only after every component it
    reaches, so they come out sinks first.
    """
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return list(nx.strongly_connected_components(g))
