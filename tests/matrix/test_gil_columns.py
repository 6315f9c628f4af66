"""The GIL question's three matrix columns (checker/matrix.py): gil, obstruction-free, survives a
stopped thread, and the cells of the programs with steps outside transactions.

Oracles: the GIL column against `explore --criterion gil` (a separate search, judging nothing
else), the progress columns against `progress` on the whole graph (the matrix stops its graph
early), and every witness replays to the violation it names.
"""

import pytest

from stmcheck.checker import api
from stmcheck.checker import matrix as M
from stmcheck.checker.explore.progress import both_violated, progress_of, recording_graph
from stmcheck.checker.explore.strategies.replay import decode
from stmcheck.implementations.registry import expectation_at
from stmcheck.models.terms import Property

SMALL = M.Budget(executions=(600, 50), steps=(40_000, 5_000), states=20_000, probe=(50, 5_000),
                 graph=(50_000, 12_000))


def _schedule(command: str) -> str:
    return command.split("--schedule ")[1].split("  #")[0].strip("'")


@pytest.mark.parametrize("design, workload", [("tl2", "privatize"), ("tl2-quiescent", "privatize"),
                                              ("locks-ordered", "publish"), ("norec", "print-in-batch"),
                                              ("gencounter-racy", "print-counter")])
def test_outside_cells_are_judged_by_the_gil_criterion(design, workload):
    """Their gil verdict is what explore --criterion gil finds; history, starvation and progress: n/a."""
    cell = M.run_cell(design, workload, 2, SMALL)
    assert cell.status == "ok" and M.differences(cell) == []
    for v in (Property.SERIALIZABLE, Property.OPAQUE, Property.STARVATION_FREE, Property.OBSTRUCTION_FREE,
              Property.SURVIVES_STOPPED_THREAD):
        assert cell.verdicts[v] == M.NA
    alone = api.explore(design, workload, strategy="graph", stop_at_first=False, shrink=False)
    assert alone.exhausted
    gil_found = any(v.kind == "gil" for v in alone.violations)
    assert cell.verdicts[Property.GIL] == (M.VIOLATED if gil_found else M.HOLDS)
    if gil_found:
        replayed = api.replay(design, _schedule(cell.witnesses[Property.GIL]), workload)
        assert replayed.violation is not None and replayed.violation.kind == "gil"


def test_outside_cells_need_two_threads_and_a_value_cell():
    for design, threads in (("tl2", 3), ("dstm", 2), ("native-tl2", 2)):
        cell = M.run_cell(design, "privatize", threads, SMALL)
        assert cell.status == M.NA and set(cell.verdicts.values()) == {M.NA}
        assert expectation_at(design, "privatize", threads) is None      # no expectation: nothing to hold


def test_gil_column_on_a_program_of_transactions_replays_with_its_criterion():
    """A racy design leaves a final memory no serial run leaves: the gil column says so, and its
    witness replays with --criterion gil (without it, replay would judge opacity)."""
    cell = M.run_cell("gencounter-racy", "write-skew", 2, SMALL)
    assert cell.verdicts[Property.GIL] == M.VIOLATED
    command = cell.witnesses[Property.GIL]
    assert "--criterion gil" in command
    replayed = api.replay("gencounter-racy", _schedule(command), "write-skew", criterion="gil")
    assert replayed.violation is not None and replayed.violation.kind == "gil"
    clean = M.run_cell("norec", "write-skew", 2, SMALL)
    assert clean.verdicts[Property.GIL] == M.HOLDS


@pytest.mark.parametrize("design, workload", [("tl2", "transfer"), ("global-lock", "swap"), ("eager", "counter"),
                                              ("dstm", "write-skew"), ("gencounter-racy", "write-skew"),
                                              ("lazy-unlocked-commit", "intset")])
def test_progress_columns_agree_with_the_whole_graph(design, workload):
    """The matrix stops its graph once starvation and both progress counterexamples show; its
    verdicts must be the whole graph's wherever it decides them, and never "holds" on a graph
    it did not finish."""
    cell = M.run_cell(design, workload, 2, SMALL)
    whole = api.progress(design, workload, max_states=SMALL.states).progress
    for prop, verdict in ((Property.OBSTRUCTION_FREE, whole.obstruction_free),
                          (Property.SURVIVES_STOPPED_THREAD, whole.survives_stopped_thread)):
        if cell.verdicts[prop] != M.UNKNOWN:
            assert cell.verdicts[prop] == verdict, (prop, cell.verdicts[prop], verdict)
        if cell.verdicts[prop] == M.VIOLATED:
            command = cell.witnesses[prop]
            assert "--cyclic" in command and len(decode(_schedule(command))) > 0
    assert M.differences(cell) == []


def test_a_graph_stopped_early_never_proves_progress():
    """Stopped as soon as both counterexamples show (tl2 on transfer), the graph is partial: the
    verdicts are violations, each found in the part built."""
    setup = api.prepare("tl2", "transfer", threads=2, cyclic=True)
    g = recording_graph(setup.design_cls, setup.workload, 60_000).build(stop_at_starvation=True,
                                                                       decided=both_violated)
    assert not g.complete and both_violated(g)
    found = progress_of(g)
    assert found.obstruction_free == found.survives_stopped_thread == "violated"
    racy = api.prepare("gencounter-racy", "write-skew", threads=2, cyclic=True)
    partial = recording_graph(racy.design_cls, racy.workload, 50).build()
    assert not partial.complete
    assert "holds" not in (progress_of(partial).obstruction_free, progress_of(partial).survives_stopped_thread)


def test_explore_names_the_gil_criterion_in_its_replay_command():
    r = api.explore("lazy-unlocked-commit", "transfer", criterion="gil")
    (v,) = r.violations
    assert v.kind == "gil" and "--criterion gil" in v.replay
    back = api.replay("lazy-unlocked-commit", _schedule(v.replay), "transfer", criterion="gil")
    assert back.violation.kind == "gil" and "--criterion gil" in back.violation.replay
    privatize = api.explore("tl2", "privatize")
    assert "--criterion" not in privatize.violations[0].replay     # gil is that program's own judge
