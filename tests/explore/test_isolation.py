"""A design of the user's runs in a worker process: ending the process, staying inside one
of its methods, or printing does not end, stall or garble stmcheck (checker/explore/isolation.py)."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

import stmcheck
from stmcheck.checker.cli import main
from user_designs import with_variants
from stmcheck.checker.explore import isolation

pytestmark = pytest.mark.skipif(not isolation.available(), reason="no fork() here, or isolation turned off")

DESIGNS = with_variants('''
    class OsExit(GlobalLock):
        def read(self, tx, key):
            v = yield self.cells[key].load()
            if tx == 2:
                os._exit(3)
            return v


    class Spins(GlobalLock):
        def read(self, tx, key):
            v = yield self.cells[key].load()
            while tx == 2:
                pass
            return v


    class Chatty(GlobalLock):
        def read(self, tx, key):
            v = yield self.cells[key].load()
            print("read", key, v)
            return v
''')


@pytest.fixture
def designs(tmp_path, monkeypatch):
    (tmp_path / "designs.py").write_text(DESIGNS)
    monkeypatch.chdir(tmp_path)
    return "designs.py"


def test_a_design_that_ends_the_process_is_a_crash_counterexample(designs):
    r = CliRunner().invoke(main, ["explore", f"{designs}:OsExit", "-q"])
    assert r.exit_code == 1, r.output
    assert "VIOLATION: CRASH" in r.output
    assert "thread 2, after its step `load a1`: the design ended the process with exit status 3" in r.output
    replay = shlex.split(r.output.split("replay: ")[1].splitlines()[0])
    again = CliRunner().invoke(main, replay[1:])
    assert again.exit_code == 1 and "ended the process with exit status 3" in again.output


def test_a_design_that_never_returns_is_a_crash_within_the_step_timeout(designs):
    result = stmcheck.explore(f"{designs}:Spins", step_timeout=1)
    (v,) = result.violations
    assert v.kind == "crash" and "did not return within 1 s, in read (designs.py, line" in v.explanation
    assert "while tx == 2" not in v.detail["traceback"] and "designs.py" in v.detail["traceback"]
    assert v.replay.startswith(f"stmcheck replay {designs}:Spins")


def test_what_a_design_prints_is_captured_not_mixed_into_json(designs):
    r = CliRunner().invoke(main, ["explore", f"{designs}:Chatty", "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.output)                          # the output is still one JSON object
    assert "read a0 10" in doc["design_output"]
    human = CliRunner().invoke(main, ["explore", f"{designs}:Chatty", "-q"])
    assert "the design printed (" in human.output and "  | read a0 10" in human.output
    assert "\nread a0" not in human.output              # never printed outside the report


def test_an_isolated_graph_search_reports_its_states_as_one_run_here(tmp_path, monkeypatch):
    """The worker sends the state graph's counts back: a user's copy of a shipped design is
    searched to the same states, with the same coverage text."""
    (tmp_path / "mine.py").write_text("from stmcheck.implementations.tl2 import TL2\n\n\nclass Mine(TL2):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    mine, shipped = stmcheck.explore("mine.py:Mine"), stmcheck.explore("tl2")
    assert mine.states == shipped.states > 0 and mine.transitions == shipped.transitions
    assert mine.store_bytes == shipped.store_bytes and mine.exhausted
    assert mine.coverage == shipped.coverage


def test_progress_from_a_worker_has_what_a_display_reads(tmp_path, monkeypatch):
    """The CLI's progress line reads `states` (the graph search's) or the executions: a worker's
    counts must carry both names, or a user's design on a terminal ended in a traceback."""
    (tmp_path / "mine.py").write_text("from stmcheck.implementations.tl2 import TL2\n\n\nclass Mine(TL2):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    seen = []
    stmcheck.explore("mine.py:Mine", threads=3, max_states=5000, progress=lambda out: seen.append(
        (out.states, out.executions, out.histories)))
    assert seen and all(states is None and executions >= 0 for states, executions, _ in seen)


def test_shipped_designs_are_not_isolated():
    assert stmcheck.explore("tl2").design_output == ""
