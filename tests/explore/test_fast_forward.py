"""Fast-forward (runtime.py, `Run._fast_forward`): a run of the state-graph search replays the
path to the state it expands without the chooser, the state logs or the interning of positions
at every step; positions are interned once the replay ends (`_settle`).

It must change nothing but the time: the same graph (states, transitions, runs, steps), the
same verdicts and counterexamples, and whole state logs wherever they are read (`Run.enabled_log`),
compared with the same search that takes every step the ordinary way. Designs with stamps
and checkpoints (tl2, dstm, eager-aggressive), cyclic programs, and random small programs.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.runtime import Run
from stmcheck.checker.explore.starvation import liveness
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.explore.strategies.replay import Replay, needed_prefix

from test_explore_dpor import toy_or_shipped
from test_explore_dpor_cache import PROGRAMS, Verdicts, on_random_programs, scripted


@pytest.fixture(autouse=True)
def _replayed(monkeypatch):
    """Every run replays its path from the start (no design is resumable): a resumed run has no path to
    fast-forward (test_resume.py compares the two)."""
    monkeypatch.setattr(Run, "resumable", property(lambda self: False))


def _search(monkeypatch, fast: bool, design, workload, criterion="opacity"):
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(Run, "_fast_forward", lambda self, path, taken: True)   # the chooser takes every step
        g = GraphSearch(max_states=60_000)
        ex = api.make_explorer(api.prepare(design, workload), g, criterion=criterion, explorer_cls=Verdicts,
                               max_executions=None, time_limit=300, stop_at_first=False)
        ex.finals = set()
        out = ex.explore()
        found = sorted((v.kind, tuple(v.run.schedule)) for v in out.violations)
        return (out.states, g.transitions, out.executions, out.steps, out.exhausted,
                ex.finals, found), out


@pytest.mark.parametrize("design,workload", [
    ("tl2", "transfer"), ("tl2-borrowed-clock", "write-skew"), ("dstm+karma", "write-skew"),
    ("dstm", "write-skew"), ("eager-aggressive", "transfer"), ("gencounter-racy", "counter"),
    ("norec", "swap"), ("lazy-unlocked-commit", "counter"),
])
def test_fast_forward_builds_the_same_graph(monkeypatch, design, workload):
    fast, out = _search(monkeypatch, True, design, workload)
    slow, _ = _search(monkeypatch, False, design, workload)
    assert fast == slow
    assert fast[2] > 1 and fast[0] > 50        # runs did replay to states
    for v in out.violations:                     # a report reads whole logs
        assert None not in v.run.enabled_log and None not in v.run.pending_log
        assert len(v.run.enabled_log) == len(v.run.pending_log) >= len(v.run.schedule)
        needed_prefix(v.run)


def test_a_counterexample_found_after_a_fast_forward_has_its_logs_filled(monkeypatch):
    """tl2-no-read-validation breaks opacity in a run that replayed its way to the state it
    expanded: its logs, filled in when read (not before), are those of the same schedule run
    step by step."""
    g = GraphSearch(max_states=60_000)
    ex = api.make_explorer(api.prepare("tl2-no-read-validation", "transfer"), g, criterion="opacity",
                           max_executions=None, time_limit=300, stop_at_first=False)
    v = next(v for v in ex.explore().violations if v.kind == "opacity" and v.run.skipped)
    assert None in v.run._enabled              # nothing read them yet
    again = Run(v.run._design_cls, v.run.workload, len(v.run.schedule) + 1)
    again.execute(Replay(v.run.schedule, then_stop=True))
    n = len(v.run.enabled_log)
    assert v.run.enabled_log == again.enabled_log[:n]
    assert _steps(v.run.pending_log) == _steps(again.pending_log[:n])


def _steps(log):
    """A pending log as comparable values (each run has Step objects of its own)."""
    return [tuple(None if s is None else (s.op, getattr(s.obj, "name", None)) for s in p) for p in log]


@pytest.mark.parametrize("design,workload,states", [
    # gencounter-racy's graph has no end (stamps): replayed the ordinary way, its paths grow
    # long (5,000 states 0.3 s, 20,000 states 22 s)
    ("gencounter-racy", "counter", 5_000), ("dstm+passive", "counter", 20_000),
    ("eager-aggressive", "write-skew", 20_000)])
def test_fast_forward_keeps_liveness_verdicts(monkeypatch, design, workload, states):
    """Cyclic programs: the same starvation and livelock verdicts, on graphs of the same size."""
    out = {}
    for fast in (True, False):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(Run, "_fast_forward", lambda self, path, taken: True)
            setup = api.prepare(design, workload, threads=2)
            out[fast] = liveness(setup.design_cls, setup.workload, states)
    assert out[True] == out[False]


@on_random_programs(25, HealthCheck.function_scoped_fixture)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "tl2", "dstm"]),
       criterion=st.sampled_from(["serializability", "strict-serializability", "opacity"]))
def test_fast_forward_on_random_programs(monkeypatch, tmp_path_factory, programs, design, criterion):
    name = toy_or_shipped(tmp_path_factory, design)
    fast, _ = _search(monkeypatch, True, name, scripted(programs, design, 1), criterion)
    slow, _ = _search(monkeypatch, False, name, scripted(programs, design, 1), criterion)
    assert fast == slow
