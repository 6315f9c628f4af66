"""Saved searches (checker/explore/saving.py): a state-graph search saved between runs and gone
on with, in this process or another, must be the search run straight through: the same stored
graph (parents and edges, byte for byte), states, transitions and verdicts, the same first
schedule of each violation. The oracle is the straight run; where the search stops (its bound on
states, reached one or more times, or on runs) is drawn by hypothesis. Files of another search,
of other code, or of nothing are refused, saying why."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from stmcheck.checker import api, matrix
from stmcheck.checker.cli import main
from stmcheck.checker.explore import saving, symmetry
from stmcheck.checker.explore.saving import SaveError, SaveFile
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.report.explore import human

#: (design, workload, threads): by symmetry (3 threads) and not, stamps, locks, DSTM's
#: snapshots in use ("Resumed runs"), a livelock, an opacity violation.
CASES = [("tl2", "counter", 3), ("dstm", "swap", 2), ("norec", "swap", 3), ("eager+karma", "swap", 2),
         ("lazy", "counter", 3)]
_STRAIGHT: dict = {}


def _explorer(case, max_states=1_000_000, path=None, every=600.0, **options):
    design, workload, threads = case
    setup = api.prepare(design, workload, threads=threads, max_steps=matrix.MAX_STEPS)
    sym = threads == 3 and symmetry.allowed(setup.design_cls, setup.workload)
    return api.make_explorer(setup, GraphSearch(max_states=max_states, symmetry=sym), explorer_cls=matrix._Collect,
                             saving=None if path is None else SaveFile(path, every), **options)


def _seen(ex, out) -> tuple:
    """What a search found and built: compared whole between a straight run and a saved one."""
    store = ex.strategy.store
    n = len(store)
    graph = hashlib.sha256(bytes(store.parent_thread[:n]) + bytes(store.parent_node[:n]) + bytes(store.edge))
    return (out.states, out.transitions, out.exhausted, out.places_exhausted, tuple(out.bounds), graph.hexdigest(),
            sorted(ex.broken), sorted(ex.others), sorted(ex.first.items()), ex.gil_known)


def _straight(case) -> tuple:
    if case not in _STRAIGHT:
        ex = _explorer(case)
        _STRAIGHT[case] = _seen(ex, ex.explore())
    return _STRAIGHT[case]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), stops=st.lists(st.floats(0.02, 0.98), min_size=1, max_size=3))
def test_a_search_stopped_at_its_bound_and_gone_on_with_is_the_straight_search(tmp_path_factory, case, stops):
    straight = _straight(case)
    states = straight[0] if straight[3] is None else straight[3]     # (views after places: the places)
    path = tmp_path_factory.mktemp("saved") / "search.saved"
    for fraction in sorted(stops):
        ex = _explorer(case, max_states=max(1, int(fraction * states)), path=path)
        out = ex.explore()
        assert out.bounds and not out.exhausted         # stopped at its bound, saved there
    ex = _explorer(case, path=path)
    out = ex.explore()
    assert ex.saving.resumed and out.went_on
    assert _seen(ex, out) == straight


def test_a_search_stopped_by_its_runs_bound_and_saved_as_it_went_goes_on_to_the_same_end(tmp_path):
    """Saves after every run (every 0 s) while a bound on runs stops it: the last save is where it
    stopped, and going on from it gives the straight search."""
    case = ("dstm", "swap", 2)
    path = tmp_path / "search.saved"
    ex = _explorer(case, path=path, every=0.0, max_executions=100)
    out = ex.explore()
    assert out.executions == 100 and ex.saving.saves > 100 and not out.exhausted
    ex = _explorer(case, path=path)
    out = ex.explore()
    assert _seen(ex, out) == _straight(case)
    assert out.executions == 984        # every run counted, over both processes' searches
    assert 0 < out.earlier < out.elapsed    # and their seconds


def test_a_finished_search_saved_gives_its_verdicts_again_without_running(tmp_path):
    case = ("tl2", "counter", 3)
    path = tmp_path / "search.saved"
    ex = _explorer(case, path=path)
    done = ex.explore()
    again = _explorer(case, path=path)
    out = again.explore()
    assert _seen(again, out) == _seen(ex, done) == _straight(case)
    assert out.went_on and out.executions == done.executions      # no run made: the counts are the file's


def test_another_process_goes_on_from_the_file(tmp_path):
    """Across processes (another hash seed: every dict in the file is rebuilt), through the CLI: a
    search stopped at 1,000 states, then at 2,000, ends as one run straight through."""
    path = tmp_path / "search.saved"
    cmd = [sys.executable, "-c", "from stmcheck.checker.cli import main; main(prog_name='stmcheck')", "explore", "dstm", "--workload", "swap", "--json", "-q",
           "--no-timings"]

    def run(*extra, seed):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run(cmd + list(extra), capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    straight = run(seed=1)
    assert run("--max-states", "1000", "--save", str(path), seed=2)["saved"] == {"file": str(path), "went_on": False,
                                                                                 "saves": 1}
    assert run("--max-states", "2000", "--save", str(path), seed=3)["states"] == 2000
    last = run("--save", str(path), seed=4)
    assert last.pop("saved") == {"file": str(path), "went_on": True, "saves": 1}
    for k in ("executions", "steps", "distinct_histories"):      # the runs' counts differ (see saving.py)
        last.pop(k), straight.pop(k)
    assert last == straight and straight["exhausted"]


def test_files_of_another_search_other_code_or_nothing_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "search.saved"
    _explorer(("tl2", "counter", 3), path=path).explore()
    with pytest.raises(SaveError, match=r"another one: design .*TL2.* \(here .*NOrec"):
        _explorer(("norec", "counter", 3), path=path).explore()
    other = tmp_path / "transfer.saved"
    api.explore("tl2", "transfer", save=str(other))
    with pytest.raises(api.UsageError, match=r"another one: options .*'txns', 1.* \(here .*'txns', 2.*programs"):
        api.explore("tl2", "transfer", txns=2, save=str(other))       # (one workload name, two programs)
    monkeypatch.setattr(saving, "code_digest", lambda: "0" * 16)
    with pytest.raises(SaveError, match="saved by other code .* delete it to start afresh"):
        _explorer(("tl2", "counter", 3), path=path).explore()
    with pytest.raises(SaveError, match="only a state-graph search is saved, not dpor"):
        api.make_explorer(api.prepare("tl2"), "dpor", saving=SaveFile(tmp_path / "dpor.saved")).explore()
    junk = tmp_path / "junk.saved"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(SaveError, match="not a saved search"):
        _explorer(("tl2", "counter", 3), path=junk).explore()


def test_a_matrix_cell_goes_on_from_its_file_and_says_when_it_cannot(tmp_path, monkeypatch):
    """run_cell with `saves`: the 3-thread graph writes its file and a cell run again from it is the
    same cell; a file of other code makes the cell an error cell that says so, not a traceback."""
    first = matrix.run_cell("tl2", "counter", 3, saves=(str(tmp_path), 600.0))
    assert os.listdir(tmp_path) == ["tl2_counter_3.saved"]
    again = matrix.run_cell("tl2", "counter", 3, saves=(str(tmp_path), 600.0))
    plain = matrix.run_cell("tl2", "counter", 3)
    for cell in (first, again):
        cell.seconds = plain.seconds
    assert first == again == plain and "exhausted" in plain.coverage
    monkeypatch.setattr(saving, "code_digest", lambda: "0" * 16)
    stale = matrix.run_cell("tl2", "counter", 3, saves=(str(tmp_path), 600.0))
    assert stale.status == "error" and "saved by other code" in stale.note


def test_save_is_for_the_graph_search_run_here(tmp_path):
    with pytest.raises(api.UsageError, match="--save saves a state-graph search"):
        api.explore("tl2", strategy="dpor", save=str(tmp_path / "x.saved"))
    junk = tmp_path / "junk.saved"
    junk.write_text("hello")
    with pytest.raises(api.UsageError, match="not a saved search"):
        api.explore("tl2", save=str(junk))


def test_a_save_that_cannot_be_written_says_so_and_keeps_the_last_one(tmp_path):
    """A save that fails (standing for a full disk: where the file goes is a file, or its
    `.part` a directory) stops the search, saying whether an earlier save stands there."""
    (tmp_path / "file").write_text("a file, not a directory")
    with pytest.raises(SaveError, match="cannot be written .*; nothing was saved"):
        _explorer(("tl2", "counter", 3), path=tmp_path / "file" / "search.saved").explore()
    path = tmp_path / "search.saved"
    _explorer(("tl2", "counter", 3), max_states=100, path=path).explore()
    before = path.read_bytes()
    (tmp_path / "search.saved.part").mkdir()
    with pytest.raises(SaveError, match="cannot be written .*; the search saved there before stands"):
        _explorer(("tl2", "counter", 3), path=path).explore()
    assert path.read_bytes() == before


def test_a_search_stopped_by_ctrl_c_keeps_the_last_save_and_its_report_says_so(tmp_path):
    """A ^C (here: from the progress display) comes mid-run, where nothing can be saved: the file
    keeps what was there, and the report's saved: line says whether that is anything."""
    def interrupt(out):
        raise KeyboardInterrupt

    path = tmp_path / "search.saved"
    stopped = api.explore("dstm", "swap", save=str(path), progress=interrupt)
    assert stopped.saved == {"file": str(path), "went_on": False, "saves": 0} and not path.exists()
    assert "nothing saved: stopped before its first save" in human(stopped)
    api.explore("dstm", "swap", save=str(path), max_states=500)
    before = path.read_bytes()
    again = api.explore("dstm", "swap", save=str(path), progress=interrupt)
    assert again.saved["went_on"] and again.saved["saves"] == 0 and path.read_bytes() == before
    assert "not saved again: the same command goes on from where it was" in human(again)


@pytest.mark.parametrize("args,message", [
    (["explore", "tl2", "--estimate", "--save", "x.saved"], "--save does not apply to it"),
    (["explore", "tl2", "--progress", "--save", "x.saved"], "--progress's graph is not saved"),
    (["explore", "tl2", "--strategy", "dpor", "--save", "x.saved"], "--save saves a state-graph search"),
    (["explore", "tl2", "--save-every", "5"], "--save-every is how often --save saves: give --save too"),
    (["matrix", "--designs", "tl2", "--save-every", "5"], "give --save-dir too"),
])
def test_save_options_that_cannot_apply_are_usage_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args, prog_name="stmcheck")
    assert result.exit_code == 2 and message in result.output, result.output
    assert os.listdir(tmp_path) == []
