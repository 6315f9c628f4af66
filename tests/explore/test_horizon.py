"""The horizon graph (checker/explore/horizon.py): relative stamps' differences capped, every
run's steps a path in it, so that starvation-freedom proven there holds.

Checked four ways: the ranks and the remapping against brute-force oracles (hypothesis); every
state and step of the exact graph of relative stamps (a bounded part: it has no end) found
again, capped, in the horizon graph (the over-approximation); every state a node stands for
(far differences set to many values, not only the representatives) stepped, and each
successor found among the node's edges, a check that a search with too few representatives
fails; and the verdicts: a starving cycle shows where the exact graph finds one, and a design
whose graph does not end is proven starvation-free.
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore import horizon
from stmcheck.checker.explore.runtime import STOPPED
from stmcheck.implementations.gencounter_racy import GenCounterRacy
from stmcheck.models import stamps
from stmcheck.models.machine import Abort, checkpoint


# -- ranks and remapping against oracles -------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-20, 40), min_size=1, max_size=8), st.integers(1, 5))
def test_horizon_ranks_cap_each_relative_difference(values, cap):
    d = stamps.Domain("g", 0, relative=True)
    found = [stamps.Stamp(v, d) for v in values]
    ranks = stamps.horizon_ranks(found, {}, cap)[d]
    ordered = sorted(set(values))
    assert ranks[ordered[0]] == 0
    for a, b in zip(ordered, ordered[1:]):
        assert ranks[b] - ranks[a] == min(b - a, cap)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=8), st.integers(1, 4))
def test_horizon_ranks_tell_apart_exactly_what_capped_differences_do(values, cap):
    """Two sets of stamps get the same ranks (as the sequence of their places) iff their
    neighbour differences, each capped, are the same (the oracle: the differences themselves)."""
    d = stamps.Domain("g", 0, relative=True)
    half = len(values) // 2
    sets = sorted(set(values[:half])), sorted(set(values[half:]))

    def form(vs):
        r = stamps.horizon_ranks([stamps.Stamp(v, d) for v in vs], {}, cap)[d]
        return tuple(r[v] for v in vs)

    def oracle(vs):
        return tuple(min(b - a, cap) for a, b in zip(vs, vs[1:]))
    assert (form(sets[0]) == form(sets[1])) == (oracle(sets[0]) == oracle(sets[1]))


_nested = st.recursive(st.one_of(st.integers(0, 9), st.none(), st.tuples(st.just("s"), st.integers(0, 9))),
                       lambda inner: st.one_of(st.tuples(inner, inner), st.lists(inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(_nested, st.integers(1, 50))
def test_remap_moves_every_stamp_and_nothing_else(shape, shift):
    d = stamps.Domain("g", 0, relative=True)

    def build(x, f):      # ("s", n) is a stamp of value f(n), offset 1 when n is odd
        if type(x) is tuple and x[:1] == ("s",):
            return stamps.Stamp(f(x[1]), d, x[1] % 2)
        if type(x) is tuple:
            return tuple(build(y, f) for y in x)
        if type(x) is list:
            return [build(y, f) for y in x]
        return x

    def plain(x):
        if type(x) is stamps.Stamp:
            return ("stamp", x.value, x.offset)
        if type(x) in (tuple, list):
            return (type(x).__name__, tuple(plain(y) for y in x))
        return x
    table = {d: {n: n + shift for n in range(10)}}
    assert plain(stamps.remap(build(shape, lambda n: n), table)) == plain(build(shape, lambda n: n + shift))


# -- the over-approximation ----------------------------------------------------------------------

class _Exact(horizon.HorizonGraph):
    """The graph of relative stamps itself (no difference capped: a horizon no state reaches),
    each state's key also taken capped at `cap`."""

    def __init__(self, design_cls, workload, max_states, cap):
        super().__init__(design_cls, workload, max_states)
        self.horizon, self.cap, self.capped = 10 ** 9, cap, {}

    def _key(self, run):
        key = run.abstract_state()
        if key not in self.capped:
            run.horizon = self.cap
            self.capped[key] = run.abstract_state()
            run.horizon = self.horizon
        return key


class _Kept(horizon.HorizonGraph):
    keep = True


def _setup(design, workload):
    setup = api.prepare(design, workload, threads=2)
    return setup.design_cls, setup.workload


def _unsimulated(design_cls, workload, exact_states):
    """The exact graph's steps (of its first `exact_states` states) whose capped form is not an
    edge of the horizon graph."""
    g = horizon.horizon_graph(design_cls, workload)
    assert g.complete, g.problem
    exact = _Exact(design_cls, workload, exact_states, g.horizon).build()
    node = {v: exact.capped[k] for k, v in exact._ids.items()}
    missing = []
    for u in range(exact.nodes):
        at = g._ids.get(node[u])
        if at is None:
            missing.append(("state", u))
            continue
        edges = set(g.out(at))
        missing += [("step", u, t) for t, v, c in exact.out(u) if (t, g._ids.get(node[v]), c) not in edges]
    return missing


class _RacyByTwo(GenCounterRacy):
    """gencounter-racy whose committers store their copy + 2: a spread of 2 (the search is run
    again with it)."""

    def commit(self, tx):
        if (yield self.generation.load()) != tx.generation:
            raise Abort("another transaction committed since this one began")
        for key, value in tx.writes.items():
            yield self.values[key].store(value)
        if tx.writes:
            yield self.generation.store(tx.generation + 2)


@pytest.mark.parametrize("design, workload", [("gencounter-racy", "counter"), ("gencounter-racy", "dict-update"),
                                              ("lazy-unlocked-commit", "counter"),
                                              ("lazy-unlocked-commit", "write-skew")])
def test_every_exact_step_is_a_step_of_the_horizon_graph(design, workload):
    assert _unsimulated(*_setup(design, workload), 6000) == []


def test_a_wider_spread_is_met_and_searched_again():
    _, workload = _setup("gencounter-racy", "counter")
    g = horizon.horizon_graph(_RacyByTwo, workload)
    assert g.complete and (g.spread, g.horizon) == (2, 3)
    assert _unsimulated(_RacyByTwo, workload, 6000) == []


def _not_among_edges(design_cls, workload, nodes: int = 400) -> int:
    """Steps of states the first `nodes` nodes with far differences stand for (each far
    difference set to H .. H + D + 2, in every combination) whose successor is not among the
    node's edges."""
    g = _Kept(design_cls, workload).build()
    assert g.complete, g.problem
    H, bad, seen = g.horizon, 0, 0
    for u in range(g.nodes):
        snap, values, far = g._snaps[u]
        if not far:
            continue
        seen += 1
        if seen > nodes:
            break
        for gaps in product(range(H, H + g.spread + 3), repeat=far):
            it, table = iter(gaps), {}
            for d, vs in values.items():
                if vs:
                    w = vs[0]
                    own = table[d] = {w: w}
                    for a, b in zip(vs, vs[1:]):
                        w += b - a if b - a < H else next(it)
                        own[b] = w
            state = snap.remapped(table)
            for t in g.enabled(u):
                run = g._run(state)
                run.execute(_Once(t))
                if run.outcome != STOPPED:
                    continue
                v = g._ids.get(run.abstract_state())
                bad += (t, v, run.commits > state.commits) not in set(g.out(u))
    assert seen, "no state with a far difference: the check checked nothing"
    return bad


class _Once:
    fuses_marks = True

    def __init__(self, t):
        self.t, self.done = t, False

    def pick(self, run, enabled):
        if self.done:
            return None
        self.done = True
        assert self.t in enabled
        return self.t


@pytest.mark.parametrize("design, workload", [("gencounter-racy", "counter"), ("lazy-unlocked-commit", "counter")])
def test_every_state_a_node_stands_for_steps_along_its_edges(design, workload):
    assert _not_among_edges(*_setup(design, workload)) == 0


def test_too_few_representatives_are_caught(monkeypatch):
    """The check above fails a search that runs a stamp-writing step from one representative only."""
    monkeypatch.setattr(horizon, "product", lambda *a, **k: iter(()))
    assert _not_among_edges(*_setup("gencounter-racy", "counter")) > 0


# -- verdicts --------------------------------------------------------------------------------------

def test_a_starving_cycle_shows_and_proves_nothing():
    """gencounter-racy starves on counter (the exact graph's witness): the horizon graph shows a
    starving cycle too, and says unknown (its cycles may be artefacts)."""
    found = horizon.verdicts(*_setup("gencounter-racy", "counter"))
    assert found["starvation"] == horizon.UNKNOWN and "starves" in found["why"]


def test_the_verdict_of_an_exact_graph_that_ends():
    """lazy-unlocked-commit on write-skew: starvation-free, as its exact graph (which ends, at
    361 states) proves in the matrix."""
    found = horizon.verdicts(*_setup("lazy-unlocked-commit", "write-skew"))
    assert found["starvation"] == horizon.HOLDS and found["why"] is None


def test_starvation_free_where_the_exact_graph_has_no_end():
    """gencounter-racy on swap: its exact graph has no end (a thread's copy falls further behind
    each round), and no thread starves (one that never commits writes nothing, and the other
    empties its list within two commits): proven here."""
    found = horizon.verdicts(*_setup("gencounter-racy", "swap"))
    assert found["starvation"] == horizon.HOLDS and found["states"] > 50_000


class _ForgetsAtCheckpoint(GenCounterRacy):
    """gencounter-racy that passes a checkpoint declaring nothing after taking its copy of the
    counter (a wrong declaration, but one the search must meet by saying it cannot go on)."""

    def begin(self, thread):
        tx = yield from super().begin(thread)
        yield checkpoint("begun")
        return tx


class _KeepsNext(GenCounterRacy):
    """gencounter-racy whose local state keeps its copy + 1 (a new stamp made without a write)."""

    def __init__(self, machine, keys, threads):
        super().__init__(machine, keys, threads)
        self.next = {}

    def begin(self, thread):
        tx = yield from super().begin(thread)
        self.next[thread] = tx.generation + 1
        return tx

    def local_state(self, thread):
        return self.next.get(thread)

    def set_local_state(self, thread, value):
        self.next[thread] = value


def test_a_stamp_computed_in_a_local_state_decides_nothing():
    _, workload = _setup("gencounter-racy", "counter")
    found = horizon.verdicts(_KeepsNext, workload)
    assert found["starvation"] == horizon.UNKNOWN and "computed stamp" in found["why"]


def test_a_stamp_dropped_at_a_checkpoint_decides_nothing():
    _, workload = _setup("gencounter-racy", "counter")
    found = horizon.verdicts(_ForgetsAtCheckpoint, workload)
    assert found["starvation"] == horizon.UNKNOWN and "checkpoint dropped it" in found["why"]


def test_a_budget_too_small_decides_nothing():
    found = horizon.verdicts(*_setup("gencounter-racy", "swap"), max_states=2000)
    assert found["starvation"] == horizon.UNKNOWN and "more than 2,000 states" in found["why"]


# -- explore --cyclic ------------------------------------------------------------------------------

def test_explore_cyclic_asks_the_horizon_graph_where_its_graph_is_bounded():
    """`explore --cyclic` on a design with relative stamps whose graph stops at its budget says
    what the horizon graph decided (here nothing, within the same budget), in text and JSON."""
    from stmcheck.checker.report.explore import as_json, human
    result = api.explore("gencounter-racy", "swap", cyclic=True, max_states=1000)
    assert result.horizon == {"states": 1001, "horizon": 2, "starvation": "unknown", "obstruction_free": "unknown",
                              "survives_stopped_thread": "unknown", "why": "more than 1,000 states"}
    assert "horizon:   starvation not decided on the horizon graph (1,001 states" in human(result)
    assert as_json(result)["horizon"]["starvation"] == "unknown"
    assert api.explore("tl2", "swap", cyclic=True, max_states=1000).horizon is None   # no relative stamps


def test_a_proof_on_the_horizon_graph_reads_as_one():
    from stmcheck.checker.report.explore import _horizon_lines
    line, = _horizon_lines({"states": 89_379, "horizon": 2, "starvation": "holds", "why": None})
    assert line.startswith("proven:    starvation-free, on the horizon graph (89,379 states")


# -- progress ----------------------------------------------------------------------------------------

def test_progress_holds_on_the_horizon_graph_of_a_design_that_never_waits():
    """gencounter-racy on counter: each thread alone aborts at most once, then commits (its copy of
    the counter is fresh), and nobody ever waits: both progress properties proven, though it
    starves."""
    found = horizon.verdicts(*_setup("gencounter-racy", "counter"))
    assert (found["obstruction_free"], found["survives_stopped_thread"]) == ("holds", "holds")
    assert found["starvation"] == "unknown"


class _RacyLocked(GenCounterRacy):
    """gencounter-racy that takes a lock around its commit's write-back: a thread stopped
    inside it leaves the other waiting, and the other, run alone from there, waits too (the
    oracle of both progress checks, hand-derived: neither holds)."""

    def __init__(self, machine, keys, threads):
        super().__init__(machine, keys, threads)
        self.writeback = machine.lock("writeback")

    def commit(self, tx):
        if (yield self.generation.load()) != tx.generation:
            raise Abort("another transaction committed since this one began")
        yield self.writeback.acquire()
        for key, value in tx.writes.items():
            yield self.values[key].store(value)
        if tx.writes:
            yield self.generation.store(tx.generation + 1)
        yield self.writeback.release()


def test_a_thread_that_can_wait_is_not_called_obstruction_free():
    _, workload = _setup("gencounter-racy", "counter")
    found = horizon.verdicts(_RacyLocked, workload)
    assert found["starvation"] == "unknown"
    assert (found["obstruction_free"], found["survives_stopped_thread"]) == ("unknown", "unknown")


def test_a_user_design_s_horizon_graph_comes_back_from_its_worker(tmp_path):
    """A design from a file runs in a worker process (isolation.py): the horizon graph's answer
    comes back with the outcome."""
    path = tmp_path / "racy.py"
    path.write_text("from stmcheck.implementations.gencounter_racy import GenCounterRacy\n\n\n"
                    "class MyRacy(GenCounterRacy):\n    pass\n")
    result = api.explore(f"{path}:MyRacy", "swap", cyclic=True, max_states=500)
    assert result.horizon is not None and result.horizon["why"] == "more than 500 states"
