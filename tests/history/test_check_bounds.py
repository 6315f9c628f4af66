"""`check`'s budget covers every phase and its memory stays bounded: histories whose
values repeat across many writers (a key flipping between two values) make the exact
search quadratic; past a deadline or a size limit the answer is inconclusive, at once."""

from __future__ import annotations

import tracemalloc

import pytest

import stmcheck
from stmcheck.checker.history import solver

pytest.importorskip("z3")


def flipping(n: int, concurrent: bool, stale: int | None = None) -> dict:
    """n transactions, each reading key x and writing the other of two values; all running at
    once, or one after another (then `stale`: the index of one that reads the wrong value)."""
    events = []
    if concurrent:
        events += [{"thread": i + 1, "txn": f"T{i}", "op": "begin"} for i in range(n)]
        events += [{"thread": i + 1, "txn": f"T{i}", "op": "read", "key": "x", "value": (i // 2) % 2}
                   for i in range(n)]
        events += [{"thread": i + 1, "txn": f"T{i}", "op": "write", "key": "x", "value": (i + 1) % 2}
                   for i in range(n)]
        events += [{"thread": i + 1, "txn": f"T{i}", "op": "commit"} for i in range(n)]
    else:
        for i in range(n):
            seen = i % 2 if i != stale else (i + 1) % 2
            events += [{"thread": 1, "txn": f"T{i}", "op": "begin"},
                       {"thread": 1, "txn": f"T{i}", "op": "read", "key": "x", "value": seen},
                       {"thread": 1, "txn": f"T{i}", "op": "write", "key": "x", "value": (i + 1) % 2},
                       {"thread": 1, "txn": f"T{i}", "op": "commit"}]
    return {"format": "stmcheck.history/1", "initial": {"x": 0}, "events": events}


@pytest.fixture
def terms(monkeypatch):
    """Count the z3 terms the encoding builds (z3's own timeout does not bound building them)."""
    import z3
    built = [0]
    real = z3.Or

    def counting(*args):
        built[0] += 1
        return real(*args)

    monkeypatch.setattr(z3, "Or", counting)
    return built


def test_a_deadline_stops_the_encoding_not_only_the_solver(terms, monkeypatch):
    now = [0.0]

    def clock():                      # every reading is an hour later: the budget is spent at once
        now[0] += 3600.0
        return now[0]

    monkeypatch.setattr(solver.time, "monotonic", clock)
    monkeypatch.setattr("stmcheck.checker.history.criteria.time.monotonic", clock)
    monkeypatch.setattr("stmcheck.checker.history.depgraph.time.monotonic", clock)
    results = stmcheck.check(flipping(100, concurrent=True), timeout=5)
    assert all(r.holds is None for r in results)
    assert terms[0] < 100             # stopped at the first reading past the deadline, not after 10^5 terms


def test_a_stale_read_among_repeated_values_is_decided_without_a_huge_encoding(terms, monkeypatch):
    """Sequential transactions order every writer: a writer with another one forced between it
    and the reader cannot be the source, so inference leaves z3 almost nothing. (Naming the
    violation would try serializability, which has no real time to help: not counted here.)"""
    monkeypatch.setattr("stmcheck.checker.history.criteria.NAMING_BUDGET", 0.0)
    results = stmcheck.check(flipping(200, concurrent=False, stale=100), ["strict-serializability", "opacity"])
    assert [r.holds for r in results] == [False, False]
    assert terms[0] < 1000


def test_naming_a_violation_does_not_outlast_it(monkeypatch):
    """Naming an opacity violation decides serializability where that is cheap; without real
    time, this history's serializability is a hard search: the name gets a bounded budget,
    and an unknown leaves the violation its own name."""
    monkeypatch.setattr("stmcheck.checker.history.criteria.NAMING_BUDGET", 0.5)
    (r,) = stmcheck.check(flipping(200, concurrent=False, stale=100), ["opacity"])
    assert r.holds is False and r.anomaly != "G2-item"


def test_too_many_possible_writers_is_inconclusive_with_memory_bounded():
    tracemalloc.start()
    try:
        results = stmcheck.check(flipping(20000, concurrent=False, stale=10000), ["opacity"], timeout=600)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (r,) = results
    assert r.holds is None and "possible writer choices" in r.explanation
    assert peak < 400 * 2 ** 20, peak  # before the limit, candidate lists alone were quadratic (GBs)


def test_an_encoding_over_the_term_limit_is_unknown_before_it_is_built(terms):
    results = stmcheck.check(flipping(1000, concurrent=True), ["serializability"])
    (r,) = results
    assert r.holds is None and "z3 terms" in r.explanation and terms[0] == 0
