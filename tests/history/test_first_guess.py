"""The first guess of a serial order where the history's own order says little of it
(criteria.py `_Checker._guess`, depgraph.py `DepGraph.midpoint_rank`): a log laid out
round-robin over sessions, as Cobra's importer lays out logs without a clock.

Checked against the brute-force oracle with the guess taken on every history (the verdict and
the witness must not depend on it), and for what makes it a guess worth taking: an order of
the forced graph, chosen where the file order goes against that graph and not elsewhere.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stmcheck.checker.bench.synth import ANOMALIES, simulate_rmw_database
from stmcheck.checker.history import criteria
from stmcheck.checker.history.depgraph import DepGraph
from stmcheck.checker.history.witness import SERIAL, Scope
from stmcheck.models.history import build_history

import oracle


def _mix(txns: int, seed: int, anomaly=None, timed=False, keys=4, hot=2):
    _, events = simulate_rmw_database(txns, keys=keys, hot=hot, clients=3, timed=timed, anomaly=anomaly, seed=seed)
    return {"format": "stmcheck.history/1", "initial": {}, "events": events}


def _graph(history):
    checker = criteria._Checker(history, None)
    scope = Scope(SERIAL)
    return checker, scope, DepGraph(history, scope, scope.members(history), checker.index).build()


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])   # (one setattr)
@given(seed=st.integers(0, 2**32), txns=st.integers(2, 7), anomaly=st.sampled_from((None,) + ANOMALIES))
def test_the_verdict_and_witness_do_not_depend_on_the_guess(monkeypatch, seed, txns, anomaly):
    """With the midpoint guess taken on every history, serializability is still the oracle's,
    and every witness replays."""
    try:
        doc = _mix(txns, seed, anomaly)
    except (ValueError, StopIteration):   # too small to hold that anomaly
        doc = _mix(txns, seed)
    monkeypatch.setattr(criteria, "UNTIMED_SHARE", 0.0)
    real = DepGraph.midpoint_rank

    def counted(graph, *args):
        found = real(graph, *args)
        GUESSED[found is not None] += 1
        return found
    monkeypatch.setattr(DepGraph, "midpoint_rank", counted)
    expected, _ = oracle.decide(oracle.parse(doc), oracle.SERIAL)
    result, = criteria.check(build_history(doc["events"], doc["initial"]), (SERIAL,))
    assert result.holds == expected, doc
    if result.holds:
        assert oracle.check_witness(oracle.parse(doc), oracle.SERIAL, result.order) is None, doc
    VERDICTS[result.holds] += 1


GUESSED = {True: 0, False: 0}     # midpoint orders made, and refused (program order against the graph)
VERDICTS = {True: 0, False: 0}


def test_the_guess_was_exercised(monkeypatch):
    """Run after the property: the guess led the search on many histories of both verdicts (run
    here when the property ran in another worker process)."""
    if not sum(VERDICTS.values()):
        test_the_verdict_and_witness_do_not_depend_on_the_guess(monkeypatch)
    assert GUESSED[True] >= 30 and VERDICTS[True] >= 20 and VERDICTS[False] >= 20, (GUESSED, VERDICTS)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(seed=st.integers(0, 2**32), txns=st.integers(5, 60))
def test_the_midpoint_order_is_an_order_of_the_forced_graph(seed, txns):
    """Along every forced edge (and each thread's order) the earliest place grows and the latest
    place shrinks, so the midpoint ranks every edge forward: an order the priority order can
    follow without a conflict with the graph."""
    history = build_history(**{k: v for k, v in _mix(txns, seed).items() if k != "format"})
    checker, _, graph = _graph(history)
    extra = graph.thread_edges()
    rank = graph.midpoint_rank(checker._rank(SERIAL), extra)
    assert rank is not None       # (each session runs in the serial order: no cycle with program order)
    place = [rank[t.index] for t in graph.txns]
    n = len(graph.txns)
    for a in range(n):
        for b in list(graph.succ[a]) + list(extra.get(a, ())):
            if b < n:
                assert place[a] < place[b], (a, b)


def test_the_guess_is_taken_where_the_file_order_goes_against_the_graph():
    """The benchmark's mix laid out round-robin goes against its forced graph on 10% of the
    edges or more; laid out in time, it does not."""
    untimed = build_history(**{k: v for k, v in _mix(2000, 1, keys=200, hot=8).items() if k != "format"})
    timed = build_history(**{k: v for k, v in _mix(2000, 1, timed=True, keys=200, hot=8).items() if k != "format"})
    shares = {}
    for name, history in (("untimed", untimed), ("timed", timed)):
        checker, scope, graph = _graph(history)
        shares[name] = graph.against(checker._rank(SERIAL))
        guess = checker._guess(SERIAL, scope, graph)
        assert (guess is checker._rank(SERIAL)) == (name == "timed"), shares
    assert shares["untimed"] >= criteria.UNTIMED_SHARE > shares["timed"], shares
