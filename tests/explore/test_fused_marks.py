"""Fused marks (runtime.py): the graph search takes an attempt's BEGIN with its first step and
its END with its last, and must find what the search with every mark a step of its own finds.

Compared on the state graph itself, both ways: for every way a run ended, its final state
and what failed (opacity, or the criterion a random case draws), whether a livelock
was proven, and on cyclic programs the starvation and livelock verdicts; the fused graph
must be smaller. Random small programs (hypothesis) cover shapes nobody wrote by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore import runtime
from stmcheck.checker.explore.runtime import Run
from stmcheck.checker.explore.starvation import liveness
from stmcheck.checker.explore.strategies.replay import Replay
from stmcheck.checker.explore.strategies.graph import GraphSearch

from test_explore_dpor import toy_or_shipped
from test_explore_dpor_cache import PROGRAMS, Verdicts, on_random_programs, scripted


def _graph(monkeypatch, fused, design, workload, criterion="opacity"):
    monkeypatch.setattr(runtime, "FUSE_MARKS", fused)
    # every view expanded: with covered views, which passing finals are met depends on the order
    # the two searches meet states in (tests/explore/test_graph_search.py compares them)
    g = GraphSearch(max_states=100_000, cover=False)
    ex = api.make_explorer(api.prepare(design, workload), g, criterion=criterion, explorer_cls=Verdicts,
                           max_executions=None, time_limit=300, stop_at_first=False)
    ex.finals = set()
    out = ex.explore()
    assert out.exhausted, "the configuration must be small enough to exhaust"
    return g.states, ex.finals, g._livelock() is not None


def _agree(monkeypatch, design, workload, criterion="opacity"):
    """`workload`: a name, or a function building the workload (each search gets its own)."""
    wl = (lambda: workload) if isinstance(workload, str) else workload
    fused = _graph(monkeypatch, True, design, wl(), criterion)
    plain = _graph(monkeypatch, False, design, wl(), criterion)
    assert fused[1:] == plain[1:]
    assert fused[0] <= plain[0]
    return fused, plain


@pytest.mark.parametrize("design,workload", [
    ("tl2", "transfer"), ("tl2", "write-skew"), ("tl2-no-read-validation", "transfer"),
    ("tl2-no-commit-validation", "write-skew"), ("tl2-borrowed-clock", "write-skew"),
    ("tl2-readonly-unchecked", "write-skew"), ("norec", "counter"), ("norec-no-revalidation", "write-skew"),
    ("lazy", "write-skew"), ("lazy-unlocked-commit", "counter"), ("gencounter", "dict-update"),
    ("gencounter-racy", "counter"), ("global-lock", "swap"), ("locks-naive", "swap"),
    ("locks-ordered", "transfer"), ("locks-early-release", "counter"), ("eager-aggressive", "write-skew"),
    ("eager", "swap"), ("eager+karma", "counter"), ("eager-no-undo", "transfer"), ("dstm", "counter"),
    ("dstm+passive", "write-skew"),
])
def test_fused_marks_find_what_every_mark_finds(monkeypatch, design, workload):
    (states, finals, _), (plain_states, _, _) = _agree(monkeypatch, design, workload)
    assert finals and states < plain_states


@on_random_programs(30, HealthCheck.function_scoped_fixture)
@given(programs=PROGRAMS, design=st.sampled_from(["NoSync", "CasCommit", "global-lock", "tl2", "locks-naive"]),
       criterion=st.sampled_from(["serializability", "strict-serializability", "opacity"]))
def test_fused_marks_on_random_programs(monkeypatch, tmp_path_factory, programs, design, criterion):
    name = toy_or_shipped(tmp_path_factory, design)
    _agree(monkeypatch, name, lambda: scripted(programs, design, 1), criterion)


@pytest.mark.parametrize("design,workload", [("gencounter", "dict-update"), ("lazy", "random"), ("tl2", "write-skew"),
                                             ("eager-aggressive", "write-skew"), ("global-lock", "transfer")])
def test_fused_marks_keep_liveness_verdicts(monkeypatch, design, workload):
    """On cyclic programs (every thread runs its program forever) the fused graph proves the same
    starvation and livelock verdicts, and its witnesses replay with every step named."""
    out = {}
    for fused in (True, False):
        monkeypatch.setattr(runtime, "FUSE_MARKS", fused)
        setup = api.prepare(design, workload, threads=2)
        live = liveness(setup.design_cls, setup.workload, 20_000)
        out[fused] = live
    assert out[True]["complete"] == out[False]["complete"]
    for kind in ("starvation", "livelock"):
        assert out[True][kind] == out[False][kind]
    assert out[True]["states"] < out[False]["states"]
    for kind in ("starvation", "livelock"):
        w = out[True].get(kind + "_witness")
        if w is not None:
            run = Run(setup.design_cls, setup.workload, 5000, cyclic=True)
            run.execute(Replay(w["prefix"] + w["loop"] * 2, strict=True))
            assert run.outcome == kind
