"""The fold of views over places in C (foldcore.c) against the Python loop it replaces.

Both must give the same fold, state for state: the same states met, dropped and counted,
the same transitions, the same ends to judge (schedules, in order), the same bound and
the same views (the bytes too, but where C keeps a crowded place's states side by side:
more there); on designs that hold and designs that break, with covered views and
without, with every criterion at once (the matrix's view), and when the fold stops at its
first violation or at its state bound."""

from __future__ import annotations

import gc

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.strategies import views_after
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.explore.strategies.views_after import ViewsAfterPlaces

from test_explore_dpor_cache import PROGRAMS, Scripted
from test_graph_search import _exhaust

pytestmark = pytest.mark.skipif(views_after.native() is None,
                                reason=f"the C fold cannot be built here: {views_after._library.error}")


def _graph(design, workload, threads, criterion, cover=True):
    """Graph search `GraphSearch(cover)` run to the end (`_exhaust`), views after places;
    criterion "all": every criterion at once, the matrix's view."""
    g = GraphSearch(cover=cover)
    every = criterion == "all"
    _exhaust(design, workload, threads, g, "opacity" if every else criterion, exact_histories=every)
    assert g.product is not None and g.views_after is not None
    return g


def _fold(g, native, max_states=10**9, stop_at_first=False, forget=False, chain_max=views_after.CHAIN_MAX):
    f = ViewsAfterPlaces(g, g.product, g.cover, max_states, stop_at_first, native=native, chain_max=chain_max)
    if forget:
        f._judged = set()       # as if no run had ended yet: every kind of end is a candidate
    f.run()
    return f.met, f.states, f.dropped, f.transitions, f.candidates, f.bounded, f.views, f.nbytes()


def _same_fold(c, py):
    """The C fold's answer is the Python fold's; its bytes are as many, or more where a place's
    states became a crowd (foldcore.c)."""
    assert c[:-1] == py[:-1]
    assert c[-1] >= py[-1] > 0


@pytest.mark.parametrize("design,workload,threads,criterion,cover", [
    ("tl2", "transfer", 3, "opacity", True),
    ("tl2", "transfer", 3, "opacity", False),
    ("tl2", "write-skew", 2, "strict-serializability", True),
    ("tl2-no-read-validation", "transfer", 2, "opacity", True),
    ("lazy-unlocked-commit", "transfer", 2, "all", True),
    ("tl2-no-commit-validation", "write-skew", 3, "serializability", True),
    ("norec", "counter", 3, "all", False),
    ("eager-aggressive", "write-skew", 2, "opacity", True),
])
def test_the_c_fold_is_the_python_fold(design, workload, threads, criterion, cover):
    g = _graph(design, workload, threads, criterion, cover)
    c, py = _fold(g, native=True), _fold(g, native=False)
    _same_fold(c, py)
    _same_fold(_fold(g, native=True, chain_max=1), py)     # every place's states a crowd at once
    assert c[1] == g.states and c[3] == g.transitions      # and the search's own fold is that one
    if cover and design == "tl2" and threads == 3:
        assert c[2] > 0                                     # states dropped: the covering path ran


@pytest.mark.parametrize("stop_at_first,max_states", [(True, 10**9), (False, 500)])
def test_the_c_fold_stops_where_the_python_fold_stops(stop_at_first, max_states):
    """At the first violating end (the explorer stops there), and at the state bound."""
    g = _graph("tl2-no-read-validation", "transfer", 3, "opacity")
    c = _fold(g, True, max_states, stop_at_first, forget=True)
    py = _fold(g, False, max_states, stop_at_first, forget=True)
    _same_fold(c, py)
    _same_fold(_fold(g, True, max_states, stop_at_first, forget=True, chain_max=1), py)
    if stop_at_first:
        assert c[4] and c[1] < g.states and c[5] is None
    else:
        assert c[5] == "max-states 500" and c[1] == 500


def test_an_error_in_a_view_reaches_the_caller():
    """A view that raises inside a C callback is raised to the caller, not lost in C."""
    g = _graph("tl2", "transfer", 2, "opacity")

    class Broken(type(g.product)):
        def after(self, view, events):
            raise ValueError("broken view")

    view = Broken.__new__(Broken)
    view.__dict__.update(g.product.__dict__)
    with pytest.raises(ValueError, match="broken view"):
        ViewsAfterPlaces(g, view, True, 10**9, False, native=True).run()


@pytest.mark.parametrize("design,workload,threads,criterion", [
    ("tl2", "transfer", 3, "opacity"),
    ("tl2-no-read-validation", "transfer", 2, "strict-serializability"),
    ("norec", "counter", 3, "all"),
    ("lazy-unlocked-commit", "transfer", 2, "all"),
])
def test_cover_forms_decide_covers_as_the_views_do(design, workload, threads, criterion):
    """The C fold tests covers through each view's `cover_form` (equal keys, items included):
    on every pair of views the fold met with equal keys, and as many pairs with different
    ones, the same answer as the view's own `covers`."""
    g = _graph(design, workload, threads, criterion)
    view = g.product
    views = g.views_after.views
    forms = [view.cover_form(v) for v in views]
    by_key: dict = {}
    for i, (key, _) in enumerate(forms):
        by_key.setdefault(key, []).append(i)
    pairs = [(a, b) for ids in by_key.values() for a in ids for b in ids]
    pairs += [(a, (a * 7919 + 1) % len(views)) for a in range(len(views))]
    covered = 0
    for a, b in pairs:
        (ka, ia), (kb, ib) = forms[a], forms[b]
        expected = view.covers(views[a], views[b])
        assert (ka == kb and set(ia) <= set(ib)) == expected
        covered += expected and a != b
    assert covered > 0


def test_progress_goes_on_while_the_views_are_folded(monkeypatch):
    """A long fold is not silent: the explorer's progress display is called as it goes, with
    the states folded so far (more than the places the runs built). Every 1,024 states here
    (tl2 3 x 1 folds 21,319 states over 17,040 places: at the fold's own 16,384, never past
    the places)."""
    monkeypatch.setattr(views_after, "_CHUNK", 0x400)
    seen = []
    g = GraphSearch()
    ex = api.make_explorer(api.prepare("tl2", "transfer", threads=3), g, max_executions=None, time_limit=300,
                           progress=lambda out: seen.append((out.executions, out.states)))
    result = ex.explore()
    during = [states for executions, states in seen if executions == result.executions and states > g.nodes]
    assert during and during == sorted(during) and during[-1] <= result.states


@settings(max_examples=30, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs=PROGRAMS, design=st.sampled_from(["tl2", "norec", "lazy-unlocked-commit", "eager-aggressive"]),
       criterion=st.sampled_from(["opacity", "strict-serializability", "serializability", "all"]),
       cover=st.booleans())
def test_the_c_fold_is_the_python_fold_on_random_programs(programs, design, criterion, cover):
    """Random small programs (reads and writes over a few keys, two threads), every view."""
    g = _graph(design, Scripted(list(programs), retries=None if design == "tl2" else 0), 2, criterion, cover)
    py = _fold(g, native=False)
    _same_fold(_fold(g, native=True), py)
    _same_fold(_fold(g, native=True, chain_max=1), py)


@pytest.mark.parametrize("native", [True, False])
def test_a_keyboard_interrupt_while_the_views_are_folded_ends_the_search_as_one_during_the_runs(native, monkeypatch):
    """^C during the fold: the explorer returns what it explored, bounded by the interrupt,
    never "exhausted" and never a traceback (as a ^C during the runs)."""
    from stmcheck.checker.explore.engine import INTERRUPTED
    monkeypatch.setattr(views_after, "native", (lambda: None) if not native else views_after.native)
    g = GraphSearch()

    def progress(out):
        if g.views_after is not None and g.views_after.states > 0:
            raise KeyboardInterrupt

    ex = api.make_explorer(api.prepare("tl2", "transfer", threads=3), g, max_executions=None, time_limit=300,
                           progress=progress)
    ex.stop_on_interrupt = True
    result = ex.explore()
    assert not result.exhausted and INTERRUPTED in result.bounds
    assert 0 < result.states < 21_443


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("design,workload,threads", [("tl2", "transfer", 3), ("eager-aggressive", "write-skew", 2)])
def test_the_fold_leaves_no_cycles_to_collect(design, workload, threads, native):
    """The fold turns the cyclic collector off (each full collection walked its millions of
    views): that is sound only if it makes no reference cycles, which would then stay until
    the collector runs again. After a fold of designs whose views subsume aborted attempts
    (`witnesskey._subsumes`, once a recursive closure: a cycle a call), none is left."""
    g = _graph(design, workload, threads, "opacity")
    g.product.memo.clear()       # (the search folded once already: this fold computes every view again)
    g.product.closed.clear()
    gc.collect()
    assert gc.isenabled()
    _fold(g, native=native)
    assert gc.isenabled() and gc.collect() == 0
