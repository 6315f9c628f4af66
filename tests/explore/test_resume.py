"""Resumed runs (runtime.py, `Run.snapshot` and `_resume`; graph.py, "Resumed runs"): a run of
the state-graph search starts in the state whose edge it takes, from a snapshot kept there (each
thread restarted at its attempt's BEGIN with the design's `local_state` set back, fed the results
its steps got), instead of replaying the schedule from the initial state.

It must change nothing but the time: the same graph (states, transitions, runs), the same
verdicts and counterexamples (reported whole, from the initial state), compared with the same
search whose every run replays from the start. Designs with stamps, checkpoints and state kept
across attempts (`local_state`: dstm, eager with contention managers, locks-ordered), cyclic
programs, programs with steps outside transactions, and random small programs. A restore that
forgets part of what a thread keeps is caught.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.runtime import Run
from stmcheck.checker.explore.starvation import StateGraph, liveness_of
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.implementations.contention import Priorities
from stmcheck.implementations.locks_ordered import LocksOrdered
from stmcheck.models.misuse import DesignMisuse

from test_explore_dpor import toy_or_shipped
from test_explore_dpor_cache import PROGRAMS, Verdicts, on_random_programs, scripted


def _search(monkeypatch, resumed: bool, design, workload, criterion="opacity", threads=2):
    """The graph search's outcome, every violation's (kind, whole schedule, history), and how
    many runs were resumed."""
    with monkeypatch.context() as m:
        g = GraphSearch(max_states=60_000, resume=resumed)
        ex = api.make_explorer(api.prepare(design, workload, threads=threads), g, criterion=criterion,
                               explorer_cls=Verdicts, max_executions=None, time_limit=300, stop_at_first=False)
        ex.finals = set()
        resumes = []
        new_run = ex.new_run

        def counted(detect_lassos=None, resume=None):
            resumes.append(resume is not None)
            return new_run(detect_lassos, resume)
        m.setattr(ex, "new_run", counted)
        out = ex.explore()
        found = sorted((v.kind, tuple(v.run.schedule), repr(v.run.events)) for v in out.violations)
        for v in out.violations:                 # reported whole: from the initial state, logs and all
            assert v.run.resumed is None and len(v.run.enabled_log) >= len(v.run.schedule)
        return (out.states, g.transitions, out.executions, out.exhausted, ex.finals, found), sum(resumes)


@pytest.mark.parametrize("design,workload", [
    ("tl2", "transfer"), ("tl2-borrowed-clock", "write-skew"), ("dstm+karma", "counter"),
    ("dstm", "swap"), ("dstm+timestamp", "write-skew"), ("eager+polka", "transfer"),
    ("eager-aggressive", "transfer"), ("locks-ordered", "dict-update"), ("gencounter-racy", "swap"),
    ("norec", "swap"), ("lazy-unlocked-commit", "dict-update"), ("tl2-no-read-validation", "transfer"),
    ("locks-naive", "dict-update"),
])
def test_resumed_runs_build_the_same_graph(monkeypatch, design, workload):
    resumed, n = _search(monkeypatch, True, design, workload)
    replayed, none = _search(monkeypatch, False, design, workload)
    assert resumed == replayed
    assert none == 0                             # no run resumes where no design is resumable
    assert n > 0                                 # and some did here: the comparison compares something


def test_three_threads_and_strict_serializability(monkeypatch):
    resumed, n = _search(monkeypatch, True, "dstm+polka", "transfer", "strict-serializability", threads=3)
    assert resumed == _search(monkeypatch, False, "dstm+polka", "transfer", "strict-serializability", threads=3)[0]
    assert n > resumed[2] // 2                   # most runs resumed


@pytest.mark.parametrize("design,workload", [("dstm+passive", "write-skew"), ("tl2", "counter"),
                                             ("eager-aggressive", "write-skew"), ("locks-ordered", "transfer")])
def test_resumed_runs_keep_liveness_verdicts(design, workload):
    """Cyclic programs: the same starvation and livelock verdicts on the same whole graph (a
    bounded one may differ: resumed runs go on further, so the bound cuts elsewhere). Witnesses
    may differ (runs that go on further leave other parent paths), each a lasso replayed."""
    out = {}
    for resumed in (True, False):
        setup = api.prepare(design, workload, threads=2)
        graph = StateGraph(setup.design_cls, setup.workload, search=GraphSearch(60_000, resume=resumed)).build()
        assert graph.complete
        verdicts = {k: v for k, v in liveness_of(graph).items() if not k.endswith("_witness")}
        out[resumed] = (verdicts, graph.states, graph.search.transitions)
    assert out[True] == out[False]


@pytest.mark.parametrize("design,workload", [("tl2", "privatize"), ("tl2-quiescent", "privatize"),
                                             ("lazy", "publish"), ("norec", "print-counter"),
                                             ("eager+polka", "print-in-batch"), ("tl2-quiescent", "print-in-batch")])
def test_programs_outside_transactions_resume_alike(monkeypatch, design, workload):
    """Steps outside transactions (a segment of their own), the output log (a cell) and
    inevitable attempts (printing inside a batch): the GIL criterion's verdicts, on the same
    graph."""
    resumed, n = _search(monkeypatch, True, design, workload, "gil")
    assert resumed == _search(monkeypatch, False, design, workload, "gil")[0]
    assert n > 0


def test_a_restore_that_forgets_what_a_thread_keeps_is_caught(monkeypatch):
    """Mutation: a contention manager whose `set_local_state` leaves the priority as the last run
    left it. Resumed threads then take other steps than they took: the run says so (the design
    keeps state its restore misses) or the graph differs; never the same answer silently."""
    replayed, _ = _search(monkeypatch, False, "dstm+karma", "counter")
    monkeypatch.setattr(Priorities, "set_local_state", lambda self, thread, state: None)
    try:
        resumed, _ = _search(monkeypatch, True, "dstm+karma", "counter")
    except DesignMisuse as exc:
        assert "local_state" in str(exc)
    else:
        assert resumed != replayed


def test_a_design_without_a_restore_is_replayed(monkeypatch):
    """`local_state` without `set_local_state`: no run resumes (the search cannot set back what the
    thread keeps), with the same graph; and a native design's C memory is no part of a snapshot."""
    replayed, _ = _search(monkeypatch, False, "locks-ordered", "dict-update")
    with monkeypatch.context() as m:
        m.delattr(LocksOrdered, "set_local_state")
        found, resumes = _search(monkeypatch, True, "locks-ordered", "dict-update")
    assert resumes == 0 and found == replayed

    class Kept:
        def local_state(self, thread):
            return 0
    run = Run.__new__(Run)
    run.design = Kept()
    assert not run.resumable
    Kept.set_local_state = lambda self, thread, state: None
    assert run.resumable
    Kept.resumable = False
    assert not run.resumable


@on_random_programs(25, HealthCheck.function_scoped_fixture)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "tl2", "dstm+karma"]),
       criterion=st.sampled_from(["serializability", "strict-serializability", "opacity"]))
def test_resumed_runs_on_random_programs(monkeypatch, tmp_path_factory, programs, design, criterion):
    name = toy_or_shipped(tmp_path_factory, design)
    resumed, _ = _search(monkeypatch, True, name, scripted(programs, design, 1), criterion)
    replayed, _ = _search(monkeypatch, False, name, scripted(programs, design, 1), criterion)
    assert resumed == replayed
