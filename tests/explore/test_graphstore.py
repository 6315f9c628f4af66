"""The state graph's compact store (checker/explore/graphstore.py) against plain Python
containers, and its limits as bounds of the search."""

import pytest
from hypothesis import given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore import graphstore
from stmcheck.checker.explore.graphstore import GraphStore, Numbering, PositionIds, Table
from stmcheck.checker.explore.strategies.graph import GraphSearch


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 ** 63 - 1), max_size=300),
       st.lists(st.integers(min_value=0, max_value=2 ** 63 - 1), max_size=50))
def test_table_is_a_dict(keys, probes):
    """Insert distinct keys (growing the table through several sizes from a small one) and
    look up those and others: the same answers as a dict."""
    table, oracle = Table(size=4), {}
    for k in keys:
        if k not in oracle:
            oracle[k] = len(oracle)
            table.put(k, oracle[k])
    assert len(table) == len(oracle)
    for k in keys + probes:
        assert table.get(k) == oracle.get(k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 ** 63 - 1), max_size=300),
       st.lists(st.integers(min_value=0, max_value=2 ** 63 - 1), max_size=50))
def test_numbering_numbers_keys_as_a_dict_would(keys, probes):
    """Keys numbered in the order first added (through several sizes from a small one), a
    number without a key taken now and then: the same numbers as a dict."""
    numbering, oracle = Numbering(size=4), {}
    for k in keys:
        if k not in oracle:
            oracle[k] = numbering.add(k)
            assert oracle[k] == len(numbering) - 1
            if k % 5 == 0:
                numbering.add(-1)
    for k in keys + probes:
        assert numbering.get(k) == oracle.get(k)


def test_numbering_refuses_a_node_out_of_order():
    numbering = Numbering()
    numbering.put(7, 0)
    with pytest.raises(ValueError):
        numbering.put(8, 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 40)), min_size=1, max_size=40).map(tuple),
                max_size=120))
def test_position_ids_number_tuples_as_a_dict_would(positions):
    """Tuples of entries numbered apart: those whose entry numbers fit the packing (short
    tuples, few entries), those that do not (40 entries a tuple leave one bit each) and those
    of another length than the first; looked up without adding, the same answers."""
    ids, oracle, shared = PositionIds(), {}, {}
    for p in positions:
        assert ids.id(p, shared, add=False) == oracle.get(p)
        found = ids.id(p, shared)
        assert found == oracle.setdefault(p, len(oracle))
    assert len(ids) == len(oracle)
    assert all(ids.id(p, shared, add=False) == i for p, i in oracle.items())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(1, 255), st.integers(0, 9), st.booleans()),
                max_size=80))
def test_edges_come_back_in_insertion_order(edges):
    store = GraphStore()
    for n in range(10):
        store.add(n, (1, 2), n - 1, 1 if n else 0)
    for u, t, v, c in edges:
        store.add_edge(u, t, v, c)
    for u in range(10):
        assert store.out(u) == [(t, v, c) for x, t, v, c in edges if x == u]


def test_parents_enabled_and_parts_round_trip():
    store = GraphStore()
    a = store.key(("m",), ((0, 1), (0, 2)), "v")
    b = store.key(("m",), ((0, 1), (0, 3)), "v")
    assert a != b and store.key(("m",), ((0, 1), (0, 2)), "v") == a
    assert store.find(a) is None
    root = store.add(a, (1, 2), -1, 0)
    child = store.add(b, (2,), root, 1)
    assert (store.find(a), store.find(b)) == (root, child)
    assert store.parent(child) == (root, 1) and store.parent(root) == (-1, 0)
    assert store.enabled(root) == (1, 2) and store.enabled(child) == (2,)
    store.set_parent(child, root, 2)
    assert store.parent(child) == (root, 2)
    # a thread's position shared by two positions parts is numbered once
    assert list(store.positions.entries) == [(0, 1), (0, 2), (0, 3)]


def _search(design, workload, threads=2, **kw):
    g = GraphSearch(**kw)
    out = api.make_explorer(api.prepare(design, workload, threads=threads), g, stop_at_first=False,
                            max_executions=None, time_limit=None).explore()
    return g, out


def test_the_same_search_costs_the_same_bytes():
    """The figure printed on `explored:` is counted, not sampled: two runs agree on it."""
    g1, out1 = _search("tl2", "transfer")
    g2, out2 = _search("tl2", "transfer")
    assert out1.exhausted and out1.store_bytes == out2.store_bytes == g1.store_bytes() > 0
    assert out1.store_bytes < 1000 * g1.states


_PARTS = st.tuples(st.integers(0, 30), st.lists(st.integers(0, 6), min_size=2, max_size=2).map(tuple),
                   st.integers(0, 40))


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARTS, max_size=150), st.booleans(), st.integers(6, 24))
def test_keys_find_their_states_as_the_layout_widens(states, places, bits):
    """States added under a key of a few bits (fields start at bits // 3 each and are laid out
    again as a kind outgrows its field, every stored key packed anew): each state's parts find
    it, parts never stored find nothing, and a place lists exactly its states; the store is
    full only when the kinds' ids cannot fit `bits` together."""
    store, oracle, seen = GraphStore(places=places, key_bits=bits), {}, {0: set(), 1: set(), 2: set()}
    for memory, positions, view in states:
        for kind, part in enumerate((memory, positions, view)):
            seen[kind].add(part)
        try:
            key = store.key(memory, positions, view)
        except graphstore.StoreFull as exc:
            need = sum(len(parts).bit_length() for parts in seen.values())
            assert need > bits, (exc, need)
            assert "bits for a state's key" in str(exc)
            break
        assert sum(store.layout.widths) <= bits
        if (memory, positions, view) not in oracle:
            assert store.find(key) is None
            oracle[memory, positions, view] = store.add(key, (1,), -1, 0)
        for (m, p, v), node in oracle.items():
            k = store.lookup(m, p, v)
            assert k is not None and store.find(k) == node
            if places:
                assert store.view(k) == v
                at = {(n, store.views[w]) for n, w in store.at_place(k)}
                assert at == {(n, w) for (m2, p2, w), n in oracle.items() if (m2, p2) == (m, p)}
    assert store.lookup(31, (7, 7), 41) is None


def test_a_layout_moves_bits_to_the_kind_that_needs_them():
    layout = graphstore.KeyLayout.even()
    assert layout.widths == (21, 21, 21)
    wider = layout.wider([3_000, 2_097_151, 1_500_000], 1)    # the 2,097,152nd positions
    assert sum(wider.widths) == 63 and wider.limits[1] > 2_097_151 and wider.limits[2] > 1_500_000
    key = layout.pack(5, 77, 9)
    assert wider.unpack(layout.repack(key, wider)) == (5, 77, 9)
    place = layout.pack(5, 77, 0) | layout.place_key
    assert layout.repack(place, wider) == wider.pack(5, 77, 0) | wider.place_key
    with pytest.raises(graphstore.StoreFull, match="more than 63 bits"):
        layout.wider([2 ** 21, 2 ** 21, 2 ** 21], 0)
    narrow = graphstore.KeyLayout.even(6).wider([2, 4, -1], 1)     # no view numbered yet: one bit
    assert narrow.widths == (2, 3, 1) and narrow.limits[2] == 1


def test_a_narrow_key_widens_to_the_same_search(monkeypatch):
    """The same graph, counts and verdicts when the key starts at 18 bits (6 a field) and is laid
    out again on the way: 436 positions on tl2 transfer, 2 threads, 3,184 on norec, 3 threads
    (where the views are folded over the places afterwards, the store keeps one view)."""
    for design, workload, threads in (("tl2", "transfer", 2), ("norec", "transfer", 3)):
        g1, out1 = _search(design, workload, threads)
        monkeypatch.setattr(graphstore, "KEY_BITS", 18)
        g2, out2 = _search(design, workload, threads)
        monkeypatch.undo()
        assert sum(g2.store.layout.widths) <= 18 and g2.store.layout.widths[1] > 9
        assert out1.exhausted and out2.exhausted
        assert (out1.states, out1.transitions, g1.nodes) == (out2.states, out2.transitions, g2.nodes)
        assert [str(v) for v in out1.violations] == [str(v) for v in out2.violations]


def test_too_many_parts_bound_the_search_instead_of_losing_states(monkeypatch):
    monkeypatch.setattr(graphstore, "KEY_BITS", 8)
    g, out = _search("tl2", "transfer")
    assert not out.exhausted
    assert any("more than 8 bits for a state's key" in b for b in out.bounds)


def test_the_figure_does_not_depend_on_string_hashing():
    """Which of two equal objects a set keeps depends on the order its strings hash in, which
    changes from process to process; the store shares equal pieces and counts by value, so
    processes with different hash seeds print the same figure."""
    import os
    import subprocess
    import sys
    code = ("from stmcheck.checker import api; from stmcheck.checker.explore.strategies.graph import GraphSearch; "
            "g = GraphSearch(); api.make_explorer(api.prepare('lazy', 'random'), g, stop_at_first=False, "
            "max_executions=None, time_limit=None).explore(); print(g.states, g.store_bytes())")
    figures = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3", "4")}
    assert len(figures) == 1, figures


def test_the_edge_queue_is_first_in_first_out_across_compactions():
    from stmcheck.checker.explore.strategies.graph import EdgeQueue
    q, model, popped, want = EdgeQueue(), [], [], []
    for i in range(20_000):
        q.append(i)
        model.append(i)
        if i % 3 == 0:               # pops lag behind pushes: the array compacts many times
            popped.append(q.popleft())
            want.append(model.pop(0))
    while q:
        popped.append(q.popleft())
        want.append(model.pop(0))
    assert popped == want == list(range(20_000)) and len(q.items) < 20_000


@pytest.mark.parametrize("idle", [7, 15])
def test_threads_beyond_eight_get_wider_waiting_masks_and_the_same_graph(idle):
    """Waiting edges are a bit per thread in `waits`: a byte up to 8 threads, wider beyond.
    Threads with nothing to run between two that do leave the graph as it is with two."""
    from test_explore_dpor_cache import Scripted
    txn = [("r", "x"), ("w", "x")]
    graphs = []
    for programs in ([[txn], [txn]], [[txn]] + [[]] * idle + [[txn]]):
        g = GraphSearch()
        out = api.make_explorer(api.prepare("tl2", Scripted(programs, retries=None)), g, max_executions=None,
                                time_limit=60).explore()
        assert out.exhausted
        graphs.append((g.states, g.transitions, g.waits.itemsize if hasattr(g.waits, "itemsize") else 1))
    assert graphs[0][:2] == graphs[1][:2] and graphs[0][2] == 1 and graphs[1][2] == (2 if idle == 7 else 8)
