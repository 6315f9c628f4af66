"""A cycle is named by the most specific class it shows, whichever edge between two
transactions was found first: a write-read edge beside a read-write one between the
same pair makes a lost update G-single, not G2-item."""

from __future__ import annotations

import pytest

import stmcheck
from dsl import H
from stmcheck.checker.history.depgraph import DepGraph
from stmcheck.checker.history.readsources import ReadIndex
from stmcheck.checker.history.witness import Scope
from stmcheck.models.history import build_history


def lost_update(x: str, a0: str, a1: str) -> dict:
    """T1 reads x (which T2 overwrites: rw T1->T2) and writes a0, which T2 reads (wr T1->T2);
    T2 reads a1, which T1 then overwrites (rw T2->T1). The simplest cycle has one rw edge."""
    return H("1:T1 b", "2:T2 b", f"1:T1 r {x} 0", f"1:T1 w {a0} 1", f"2:T2 r {a0} 1", f"2:T2 r {a1} 0",
             f"2:T2 w {x} 1", f"1:T1 w {a1} 1", "1:T1 c", "2:T2 c", initial={x: 0, a0: 0, a1: 0})


@pytest.mark.parametrize("names", [("x", "a0", "a1"), ("a0", "x", "y"), ("z", "b", "a"), ("k9", "k1", "k5")])
def test_a_lost_update_with_one_anti_dependency_is_g_single(names):
    x, a0, a1 = names
    for r in stmcheck.check(lost_update(x, a0, a1)):
        assert r.holds is False and r.anomaly == "G-single", (r.criterion, r.anomaly, r.cycle)
        assert sorted((e.kind, e.key) for e in r.cycle) == [("rw", a1), ("wr", a0)]


@pytest.mark.parametrize("first, second", [("rw", "wr"), ("wr", "rw"), ("ww", "rw")])
def test_the_graph_keeps_every_kind_of_edge_between_two_transactions(first, second):
    history = build_history(lost_update("x", "a0", "a1")["events"], {"x": 0, "a0": 0, "a1": 0})
    graph = DepGraph(history, Scope("serializability"), list(history.txns), ReadIndex(history))
    assert graph.add_edge(0, 1, first, "k1") is True
    assert graph.add_edge(0, 1, second, "k2") is False          # no new order: the pair is joined already
    assert graph.add_edge(0, 1, second, "k3") is False
    assert graph.edges_between(0, 1) == [(first, "k1"), (second, "k2")]
    assert list(graph.succ[0]) == [1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_weaker_criterion_is_decided_in_the_window_of_a_stronger_ones_cycle(seed, monkeypatch):
    """Opacity is decided first; naming its violation decides serializability and strict
    serializability. The stale read's cycle (rw, then real time) lies among committed
    transactions: strict serializability's is found in the window of that cycle, with no
    graph of the whole history, and the results are those of the whole graph."""
    from stmcheck.checker.bench.synth import inject_stale_read, simulate
    from stmcheck.checker.history import criteria

    _header, events = simulate(300, seed=seed)
    events = list(events)
    assert inject_stale_read(events, seed=seed)
    history = build_history(events, {})
    wanted = ("strict-serializability", "opacity")
    calls = []
    graph = criteria._Checker._graph

    def recorded(self, criterion, scope, txns, hints, whole):
        calls.append((criterion, len(txns), whole))
        return graph(self, criterion, scope, txns, hints, whole)

    monkeypatch.setattr(criteria._Checker, "_graph", recorded)
    fast = criteria.check(history, wanted)
    assert [r.holds for r in fast] == [False, False]
    strict_calls = [c for c in calls if c[0] == "strict-serializability"]
    assert strict_calls and all(not whole and n < 10 for _c, n, whole in strict_calls), calls
    monkeypatch.setattr(criteria._Checker, "_stronger_cycle", lambda *args: None)
    slow = criteria.check(history, wanted)
    assert [(r.anomaly, r.cycle, r.explanation) for r in fast] == [(r.anomaly, r.cycle, r.explanation) for r in slow]
