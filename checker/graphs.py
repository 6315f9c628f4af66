"""The graph toolkit: topological orders, the cycles behind a failed one, and
strongly connected components, for every part of the checker that needs them.

For the orders, nodes are the integers 0..n-1 and a graph is its successor
lists (`succ[v]` iterates v's successors; a list of dicts or of lists both
do); components take any hashable nodes, as a list of edges.

`topological_order` is Kahn's algorithm, written here by hand because it
lies on the hot path of `stmcheck check` (the forced dependency graph of a
whole history, `history/depgraph.py`) and of `stmcheck stress` (the exactly
known graph of a stress history, `history/stress.py`), where networkx was
measured 6 to 12 times slower (figures in its docstring); the z3 path
(`history/solver.py`) uses it too, rather than pay 0.3 s to import
networkx. `cycle_among` reads a cycle off what Kahn's algorithm could not
place, in linear time.

Strongly connected components are Tarjan's algorithm, written here too
(`strongly_connected`): naming the cycle of a small violated history spent
more time importing networkx than checking (figures in its docstring). On
the state graphs of `explore`, `cyclic_core` first trims what lies on no
cycle, in linear time, and `Components` finds the components of what is left
over flat arrays. networkx stays the oracle of the tests.
"""

from __future__ import annotations

from array import array
from heapq import heapify, heappop, heappush
from itertools import compress


def topological_order(succ, priority=None, extra=None):
    """Kahn's algorithm: `(order, None)`, or `(None, stuck)` when the graph has a cycle.

    `stuck` lists, in increasing order, the nodes Kahn's algorithm could not
    place: exactly those on a cycle or reachable from one (`cycle_among`
    finds a cycle among them).

    How a ready node (every predecessor placed) is chosen:
    - `priority` None: the node made ready last goes first (a stack; at the
      start, the lowest-numbered node), the cheapest choice when any
      topological order will do;
    - otherwise `priority[v]` is v's sort key: the ready node with the
      smallest key goes first, and of equal keys the lowest-numbered node.
      The keys are ranked once (one stable sort), so the heap holds plain
      integers: 0.048 s against 0.062 s for a heap of (key, node) tuples,
      on the first graph below once inference has grown it.

    `extra` maps a node to more successors (edges that hold for this order
    only); they count exactly as the edges of `succ`.

    Hand-written rather than networkx because it is on the hot path.
    Measured in CPU seconds, medians of 7 runs (5 for the stress graph) on
    a shared 2-core machine, Python 3.11, networkx 3.6, each variant timed
    with building what it needs from the same adjacency lists:
    - the forced graph of a 10^4-transaction blind-write history
      (`bench/synth.py` `simulate_database`; 15,004 nodes, 41,507 edges),
      which `stmcheck check` ordered 28 times when this was measured (17 in
      any order, 11 by priority in a guess-and-repair witness search since
      replaced by history/acyclic.py):
        any order: this 0.027 s, `networkx.topological_sort` 0.33 s;
        by priority: this 0.061 s (the copy it replaced 0.071 s),
        `networkx.lexicographical_topological_sort` 0.59 s;
    - the graph plus real time of a recorded 208,664-attempt
      `stmcheck stress native-tl2` history (417,328 nodes with its time
      points, 1,482,155 edges), by priority: this 1.74 s (the copy it
      replaced 2.60 s), `networkx.lexicographical_topological_sort` 11.0 s.
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
        by_rank = sorted(range(n), key=priority.__getitem__)   # stable: equal keys keep node order
        rank = [0] * n
        for r, v in enumerate(by_rank):
            rank[v] = r
        ready = [rank[v] for v in range(n) if indeg[v] == 0]
        heapify(ready)
        while ready:
            v = by_rank[heappop(ready)]
            place(v)
            for b in succ[v]:
                indeg[b] -= 1
                if indeg[b] == 0:
                    heappush(ready, rank[b])
    if len(order) == n:
        return order, None
    return None, [v for v in range(n) if indeg[v] > 0]


def cycle_among(succ, stuck, start=None) -> list:
    """A cycle through nodes that `topological_order` could not place, in edge order.

    Each stuck node keeps a stuck predecessor (its in-degree never reached
    zero), so walking from predecessor to predecessor must revisit a node;
    the walk between the two visits, reversed, is a cycle. The predecessor
    kept for a node is the first found scanning `stuck` in the order given
    and each one's successors in `succ` order; the walk starts at the first
    node that scan reaches, or at `start` (a stuck node) when given. Linear in
    the stuck part of the graph.
    """
    members = set(stuck)
    pred: dict = {}
    for a in stuck:
        for b in succ[a]:
            if b in members and b not in pred:
                pred[b] = a
    v = next(iter(pred)) if start is None else start
    seen: dict = {}
    walk = []
    while v not in seen:
        seen[v] = len(walk)
        walk.append(v)
        v = pred[v]
    loop = walk[seen[v]:]
    loop.reverse()
    return loop


class Adjacency:
    """Successor lists as two flat arrays (`targets[offsets[v]:offsets[v + 1]]` are v's):
    4 bytes an edge and 8 a node, where a list per node costs about 64 bytes and every
    node number above 256 an int object of 28. Why: on a graph of millions of states, the
    lists for the livelock look were gigabytes (tl2 3 x 2: 9.3 M states, 16.3 M edges)."""

    __slots__ = ("offsets", "targets")

    def __init__(self):
        self.offsets = array("q", [0])
        self.targets = array("i")

    def add(self, successors) -> None:
        """Append the next node's successors."""
        self.targets.extend(successors)
        self.offsets.append(len(self.targets))

    @classmethod
    def of(cls, succ) -> "Adjacency":
        adj = cls()
        for s in succ:
            adj.add(s)
        return adj

    def __len__(self) -> int:
        return len(self.offsets) - 1


def cyclic_core(succ, nodes) -> list:
    """The nodes of `nodes` that survive removing, again and again, every node without a
    predecessor or without a successor among those left (edges `succ[v]`, an `Adjacency`
    or lists, kept only between `nodes`): every node on a cycle, and the nodes on paths
    between cycles; in the order of `nodes` (a list: a set of a core of millions of states,
    sorted afterwards, was half of the livelock look on dstm+aggressive counter, 3 threads).

    Why: the state graphs of `explore`'s graph search hold their cycles (a livelock's
    candidates) in a small part of the graph (on tl2 3 x 1, none of its 87,702 states);
    trimming the rest in linear time before networkx is asked for the components took
    the eight livelock looks of `stmcheck explore tl2 --threads 3` from 2.2 s to 0.9 s
    and the command's peak memory from 215 to 91 MiB (the whole graph as a networkx
    DiGraph was that difference). It is `topological_order`'s stuck set (reachable from a
    cycle) met with the same of the reversed graph (reaching one), trimmed at once over
    flat arrays (`Adjacency`), since lists per node of a graph of millions of states are
    gigabytes.
    """
    adj = succ if isinstance(succ, Adjacency) else Adjacency.of(succ)
    off, tgt = adj.offsets, adj.targets
    n = len(adj)
    whole = nodes == range(n)
    alive = bytearray(b"\x01") * n if whole else bytearray(n)
    if not whole:
        for v in nodes:
            alive[v] = 1
    indeg, outdeg = array("i", bytes(4 * n)), array("i", bytes(4 * n))
    for u in nodes:
        for v in tgt[off[u]:off[u + 1]]:
            if alive[v]:
                outdeg[u] += 1
                indeg[v] += 1
    first = array("q", bytes(8 * (n + 1)))      # predecessors, by a counting sort
    total = 0
    for v in range(n):
        first[v] = total
        total += indeg[v]
    first[n] = total
    fill = array("q", first)
    pred = array("i", bytes(4 * total))
    for u in nodes:
        for v in tgt[off[u]:off[u + 1]]:
            if alive[v]:
                pred[fill[v]] = u
                fill[v] += 1
    del fill
    gone = [v for v in nodes if not indeg[v] or not outdeg[v]]
    for v in gone:
        alive[v] = 0

    def lose(neighbours, degree) -> None:
        """`v` is gone: each live neighbour loses one of its edges, and goes too at none left."""
        for w in neighbours:
            if alive[w]:
                degree[w] -= 1
                if not degree[w]:
                    alive[w] = 0
                    gone.append(w)

    while gone:
        v = gone.pop()
        lose(tgt[off[v]:off[v + 1]], indeg)
        lose(pred[first[v]:first[v + 1]], outdeg)
    return list(compress(nodes, alive)) if whole else [v for v in nodes if alive[v]]


class Components:
    """Tarjan's strongly connected components of subsets of one `Adjacency`, over flat arrays.

    Why: the fair-cycle look of `explore`'s graph search asked `strongly_connected` for the
    components of the cyclic core of the whole state graph (under symmetry the graph it
    stands for, six times the places with three threads), built as a dict of dicts with
    index and low dicts: dstm+aggressive on counter, 3 threads by symmetry, cut off at
    1,500,000 places (9 million states lifted), peaked at 2,245 MB there, 1,022 MB with this
    (the look 45 s against 36 s, the same lasso). Here each node costs 10 bytes of arrays,
    made once and reset after each call, whatever subsets (`components(nodes)`) are asked for.

    The order is recursive Tarjan's: roots in the order `nodes` gives, each node's successors
    in `adj`'s order (a repeated edge changes no low value), sinks first; `strongly_connected`
    numbers its nodes and asks this. tests/history/test_graphs.py checks both against a
    recursive Tarjan and networkx.
    """

    __slots__ = ("adj", "index", "low", "member", "on_stack")

    def __init__(self, adj: "Adjacency"):
        n = len(adj)
        self.adj = adj
        self.index = array("i", [-1]) * n
        self.low = array("i", bytes(4 * n))
        self.member = bytearray(n)
        self.on_stack = bytearray(n)

    def components(self, nodes) -> list[list[int]]:
        """The components of the subgraph of `nodes` (edges between them only), singletons
        included, sinks first, each a list of its nodes."""
        off, tgt = self.adj.offsets, self.adj.targets
        index, low, member, on_stack = self.index, self.low, self.member, self.on_stack
        nodes = list(nodes)
        for v in nodes:
            member[v] = 1
        count, stack, comps = 0, [], []
        frames, edges = [], []       # the depth-first path: a node, and where its edges go on

        def enter(w) -> None:
            nonlocal count
            index[w] = low[w] = count
            count += 1
            stack.append(w)
            on_stack[w] = 1
            frames.append(w)
            edges.append(off[w])

        for root in nodes:
            if index[root] >= 0:
                continue
            enter(root)
            while frames:
                v = frames[-1]
                e, end = edges[-1], off[v + 1]
                while e < end:
                    w = tgt[e]
                    e += 1
                    if not member[w]:
                        continue
                    if index[w] < 0:            # descend; v's other edges wait on its frame
                        edges[-1] = e
                        enter(w)
                        break
                    if on_stack[w] and index[w] < low[v]:
                        low[v] = index[w]
                else:                           # every edge of v followed: v is finished
                    frames.pop()
                    edges.pop()
                    if frames and low[v] < low[frames[-1]]:
                        low[frames[-1]] = low[v]
                    if low[v] == index[v]:
                        comp = []
                        while True:
                            w = stack.pop()
                            on_stack[w] = 0
                            comp.append(w)
                            if w == v:
                                break
                        comps.append(comp)
        for v in nodes:
            member[v] = 0
            index[v] = -1
        return comps


def strongly_connected(edges, nodes=()) -> list[set]:
    """The strongly connected components, singletons included.

    The order is fixed, so callers that take the first component that
    qualifies stay deterministic: Tarjan's (a depth-first search from each
    node in turn, `nodes` first in the order given and then the others as
    `edges` first name them, following each node's edges in the order
    given), which completes a component only after every component it
    reaches, so they come out sinks first (networkx's
    `strongly_connected_components` gives the same list, in the same order:
    tests/history/test_graphs.py compares them).

    Written here, iteratively, rather than taken from networkx: naming the
    cycle of a violated history calls it, and on small histories importing
    networkx was most of the check (`stmcheck check` of the 1,000-transaction
    history with one stale read: 0.15 s, 0.08 s of it that import; the
    `stmcheck bench check` rows at 10^3 transactions were 8 to 12 times a
    bare parse, reports/check.md). The nodes are numbered and the search is
    `Components`' (one Tarjan in the toolkit), the numbers named back.
    """
    edges = list(edges)
    number: dict = {}
    for v in nodes:
        number.setdefault(v, len(number))
    for x, y in edges:
        number.setdefault(x, len(number))
        number.setdefault(y, len(number))
    succ: list = [[] for _ in number]
    for x, y in edges:
        succ[number[x]].append(number[y])
    names = list(number)
    return [{names[i] for i in comp} for comp in Components(Adjacency.of(succ)).components(range(len(names)))]
