"""Designs that try to end, flood or outlast stmcheck: each is a `crash` counterexample
or a bounded run, never a silent exit, a traceback or memory without bound."""

from __future__ import annotations

import tracemalloc

import pytest
from click.testing import CliRunner

import stmcheck
from stmcheck.checker import api
from stmcheck.checker.cli import main
from user_designs import with_variants

HOSTILE = with_variants('''
    class ExitZero(GlobalLock):
        def read(self, tx, key):
            yield self.cells[key].load()
            sys.exit(0)


    class ExitOne(GlobalLock):
        def commit(self, tx):
            sys.exit(1)
            yield


    class RaisesGeneratorExit(GlobalLock):
        def read(self, tx, key):
            yield self.cells[key].load()
            raise GeneratorExit


    class RaisesKeyboardInterrupt(GlobalLock):
        def read(self, tx, key):
            yield self.cells[key].load()
            raise KeyboardInterrupt


    class LoopsInCommit(GlobalLock):
        def commit(self, tx):
            while True:
                yield self.cells["a0"].load()
''')


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    (tmp_path / "hostile.py").write_text(HOSTILE)
    monkeypatch.chdir(tmp_path)
    return "hostile.py"


@pytest.mark.parametrize("name, error", [("ExitZero", "SystemExit: 0"), ("ExitOne", "SystemExit: 1"),
                                         ("RaisesGeneratorExit", "GeneratorExit"),
                                         ("RaisesKeyboardInterrupt", "KeyboardInterrupt")])
def test_exits_and_interrupts_raised_by_a_design_are_crashes(hostile, name, error):
    r = CliRunner().invoke(main, ["explore", f"{hostile}:{name}", "-q"])
    assert r.exit_code == 1, r.output
    assert "VIOLATION: CRASH" in r.output and error in r.output and "replay: stmcheck replay" in r.output


def _peak_bytes(design, steps: int) -> int:
    ex = api.make_explorer(api.prepare(design, max_steps=steps), max_executions=1)
    tracemalloc.start()
    try:
        out = ex.explore()
        return tracemalloc.get_traced_memory()[1], out
    finally:
        tracemalloc.stop()


def test_memory_grows_linearly_with_steps_that_never_commit(hostile):
    """A thread that steps without restarting used to cost memory quadratic in its steps
    (each remembered state held its own copy of the thread's growing position)."""
    design = stmcheck.load_design(f"{hostile}:LoopsInCommit")[0]
    small, out = _peak_bytes(design, 1500)
    large, _ = _peak_bytes(design, 3000)
    assert out.violations and out.violations[0].suspected     # a run past --max-steps without a commit
    assert large < 2.6 * small, (small, large)


@pytest.mark.parametrize("schedule", ["1*300000000", "1*99999999999999999999", "2*1000,1*1001"])
def test_a_schedule_longer_than_an_execution_is_refused_before_it_is_spelled_out(schedule):
    r = CliRunner().invoke(main, ["replay", "tl2", "--schedule", schedule])
    assert r.exit_code == 2 and r.output.count("\n") == 1
    assert "more than the 2,000 an execution may take" in r.output
