"""The graph toolkit (checker/graphs.py) against brute force on small random graphs.

Why: the toolkit's Kahn routine decides the witness orders `stmcheck check`
and `stmcheck stress` print, and what it cannot place is where their cycles
are read from; the choice rules (stack, priority) are part of the output, so
they are restated here the slow, obvious way and compared node by node.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stmcheck.checker.graphs import Adjacency, Components, cycle_among, cyclic_core, strongly_connected, topological_order


@st.composite
def graphs(draw, max_nodes=10, duplicates=True):
    """Successor lists on 0..n-1: dense or sparse, cyclic or not, self-loops and repeated edges."""
    n = draw(st.integers(0, max_nodes))
    if n == 0:
        return []
    node = st.integers(0, n - 1)
    pairs = draw(st.lists(st.tuples(node, node), max_size=3 * n))
    if draw(st.booleans()):
        pairs = [(a, b) for a, b in pairs if a < b]   # acyclic
    succ = [[] for _ in range(n)]
    for a, b in pairs:
        if duplicates or b not in succ[a]:
            succ[a].append(b)
    return succ


def _edges(succ, extra=None):
    out = [(a, b) for a, s in enumerate(succ) for b in s]
    for a, targets in (extra or {}).items():
        out += [(a, b) for b in targets]
    return out


def _reach(n, edges) -> list[set]:
    """reach[u]: the nodes at the end of a path of one edge or more from u."""
    reach = [set() for _ in range(n)]
    for a, b in edges:
        reach[a].add(b)
    changed = True
    while changed:
        changed = False
        for u in range(n):
            more = set().union(*(reach[v] for v in reach[u])) - reach[u] if reach[u] else set()
            if more:
                reach[u] |= more
                changed = True
    return reach


def _behind_cycles(n, edges) -> list:
    """Nodes on a cycle or reachable from one: exactly what no topological order can place."""
    reach = _reach(n, edges)
    on_cycle = {u for u in range(n) if u in reach[u]}
    return sorted(on_cycle | {v for u in on_cycle for v in reach[u]})


def _brute_order(n, edges, pick):
    """Kahn's algorithm the slow way: each step, recompute which unplaced nodes have every
    predecessor placed and let `pick(ready, placed)` choose one; stop when none is ready."""
    placed = []
    left = list(edges)
    while True:
        done = set(placed)
        ready = [v for v in range(n) if v not in done and all(b != v for _, b in left)]
        if not ready:
            return placed
        v = pick(ready, placed)
        placed.append(v)
        left = [(a, b) for a, b in left if a != v]


def _is_topological(order, n, edges) -> bool:
    pos = {v: i for i, v in enumerate(order)}
    return sorted(order) == list(range(n)) and all(pos[a] < pos[b] for a, b in edges)


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_priority_order_takes_the_smallest_ready_key_each_step(succ, data):
    n = len(succ)
    priority = [data.draw(st.integers(-1, 3)) for v in range(n)]   # many ties: the node number decides
    extra = {}
    if n and data.draw(st.booleans()):
        pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=n))
        for a, b in pairs:
            extra.setdefault(a, set()).add(b)
    edges = _edges(succ, extra)
    expected = _brute_order(n, edges, lambda ready, placed: min(ready, key=lambda v: (priority[v], v)))
    order, stuck = topological_order(succ, priority, extra)
    if len(expected) == n:
        assert stuck is None and order == expected
        assert _is_topological(order, n, edges)
    else:
        assert order is None
        assert stuck == _behind_cycles(n, edges)
        assert stuck == sorted(set(range(n)) - set(expected))


@settings(max_examples=300, deadline=None)
@given(graphs(duplicates=False))
def test_stack_order_takes_the_node_made_ready_last(succ):
    """Without a priority: lowest node first at the start, then the node made ready last
    (successors become ready in the order the placed node lists them)."""
    n = len(succ)
    edges = _edges(succ)
    stamp = {v: -v for v in range(n) if all(b != v for _, b in edges)}   # lower node: later stamp

    def pick(ready, placed):
        if placed:
            done = set(placed)
            for b in succ[placed[-1]]:
                if b not in stamp and all(a in done for a, c in edges if c == b):
                    stamp[b] = len(stamp) + n
        return max(ready, key=stamp.__getitem__)

    expected = _brute_order(n, edges, pick)
    order, stuck = topological_order(succ)
    if len(expected) == n:
        assert stuck is None and order == expected and _is_topological(order, n, edges)
    else:
        assert order is None and stuck == _behind_cycles(n, edges)


@settings(max_examples=300, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_a_cycle_is_read_off_whatever_could_not_be_placed(succ, rnd):
    _, stuck = topological_order(succ)
    if stuck is None:
        return
    scan = list(stuck)
    rnd.shuffle(scan)   # any scan order of the stuck nodes yields a cycle
    for nodes in (stuck, scan):
        loop = cycle_among(succ, nodes)
        assert loop and len(set(loop)) == len(loop) and set(loop) <= set(stuck)
        assert all(b in succ[a] for a, b in zip(loop, loop[1:] + loop[:1]))
    # the rule the stress checker's cycles depend on: predecessors are the first found
    # scanning `stuck` in order, and the walk starts where that scan first arrives
    members = set(stuck)
    pred = {}
    for a in stuck:
        for b in succ[a]:
            if b in members:
                pred.setdefault(b, a)
    walk = [next(iter(pred))]
    while pred[walk[-1]] not in walk:
        walk.append(pred[walk[-1]])
    loop = walk[walk.index(pred[walk[-1]]):][::-1]
    assert cycle_among(succ, stuck) == loop


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_strongly_connected_components_partition_and_come_sinks_first(succ, data):
    n = len(succ)
    edges = _edges(succ)
    nodes = data.draw(st.permutations(range(n)))
    comps = strongly_connected(edges, nodes)
    reach = _reach(n, edges)
    assert sorted(v for c in comps for v in c) == list(range(n))
    for c in comps:
        for u in c:
            assert c == {u} | {v for v in reach[u] if u in reach[v]}
    for i, c in enumerate(comps):   # a component reaches none listed after it
        later = set().union(*comps[i + 1:]) if i + 1 < len(comps) else set()
        assert not any(reach[u] & later for u in c)


def _tarjan(n, succ, roots):
    """Recursive Tarjan from `roots` in order: the order `strongly_connected` promises."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(u):
        index[u] = low[u] = len(index)
        stack.append(u)
        on.add(u)
        for v in succ[u]:
            if v not in index:
                visit(v)
                low[u] = min(low[u], low[v])
            elif v in on:
                low[u] = min(low[u], index[v])
        if low[u] == index[u]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == u:
                    break
            out.append(comp)

    for r in roots:
        if r not in index:
            visit(r)
    return out


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_strongly_connected_components_come_in_tarjans_order(succ, data):
    n = len(succ)
    nodes = data.draw(st.permutations(range(n)))
    assert strongly_connected(_edges(succ), nodes) == _tarjan(n, succ, nodes)


def test_nodes_not_on_any_edge_are_components_too():
    assert strongly_connected([(0, 1), (1, 0)], [2, 0, 1]) == [{2}, {0, 1}]
    assert strongly_connected([]) == []


def _reach_within(succ, sources, nodes):
    """The nodes of `nodes` reachable from `sources` (within `nodes`) by one edge or more."""
    seen, stack = set(), list(sources)
    while stack:
        for b in succ[stack.pop()]:
            if b in nodes and b not in seen:
                seen.add(b)
                stack.append(b)
    return seen


@settings(max_examples=400, derandomize=True, database=None, deadline=None)
@given(succ=graphs(), data=st.data())
def test_the_cyclic_core_is_what_lies_between_cycles(succ, data):
    """`cyclic_core` keeps exactly the nodes that a cycle reaches and that reach a cycle (within
    the nodes given), by brute force: a node is on a cycle when it reaches itself."""
    n = len(succ)
    nodes = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else []
    keep = set(nodes)
    on_cycle = {v for v in keep if v in _reach_within(succ, [v], keep)}
    from_cycle = _reach_within(succ, on_cycle, keep) | on_cycle
    pred = [[] for _ in range(n)]
    for a, s in enumerate(succ):
        for b in s:
            pred[b].append(a)
    to_cycle = _reach_within(pred, on_cycle, keep) | on_cycle
    core = cyclic_core(succ, nodes)
    assert core == [v for v in nodes if v in from_cycle & to_cycle]     # in the order given
    if nodes == list(range(n)):
        assert cyclic_core(succ, range(n)) == core


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=40),
       st.lists(st.integers(0, 15), max_size=6))
def test_strongly_connected_is_networkx_list_for_list(edges, nodes):
    """Our iterative Tarjan against networkx's: the same components in the same order, with
    repeated edges, self-loops, and nodes given both up front and only by their edges."""
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    assert strongly_connected(edges, nodes) == list(nx.strongly_connected_components(g))


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_components_over_arrays_are_strongly_connected_list_for_list(succ, data):
    """`Components` against `strongly_connected` and the recursive Tarjan on the edges between the
    nodes asked for: the same components in the same order, for several subsets in a row on one
    finder (its arrays are reset after each call), nodes in any order, repeated edges and
    self-loops included."""
    n = len(succ)
    finder = Components(Adjacency.of(succ))
    for _ in range(3):
        nodes = data.draw(st.lists(st.sampled_from(range(n)), unique=True) if n else st.just([]))
        keep = set(nodes)
        edges = [(a, b) for a in nodes for b in succ[a] if b in keep]
        assert [set(c) for c in finder.components(nodes)] == strongly_connected(edges, nodes)
        induced = [[b for b in succ[a] if b in keep] if a in keep else [] for a in range(n)]
        assert [set(c) for c in finder.components(nodes)] == _tarjan(n, induced, nodes)
        assert all(len(c) == len(set(c)) for c in finder.components(nodes))
