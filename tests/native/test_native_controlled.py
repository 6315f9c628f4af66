"""Native core, controlled mode: build, step API, native random/PCT exploration, crashes.

Skipped, with the reason, where no C compiler (or cffi) is available.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from native_designs import CRASHY
from stmcheck.checker.history.criteria import check
from stmcheck.implementations.native.loader import available
from stmcheck.models.history import build_history

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

CRITERIA = ("strict-serializability", "opacity")


def _violations(execution):
    return [r for r in check(execution.history(), CRITERIA) if r.holds is False]


def test_builds_into_the_cache_not_the_tree():
    from stmcheck.implementations.native.build import HERE, build

    paths = build()
    for path in paths.values():
        assert os.path.exists(path)
        assert not os.path.abspath(path).startswith(HERE)
    assert not [f for f in os.listdir(HERE) if f.endswith((".so", ".o"))]


def test_step_api_runs_every_thread_to_completion():
    from stmcheck.implementations.native.controlled import NativeExecution

    ex = NativeExecution("native-tl2", threads=3, accounts=3, txns=2, workload_seed=4)
    rng = random.Random(4)  # (strict round-robin livelocks TL2: it is not livelock-free)
    try:
        first = ex.access(0)
        assert first.obj >= 0 and first.kind in ("read", "write") and first.enabled
        while not all(ex.access(i).finished for i in range(3)):
            enabled = ex.enabled()
            assert enabled, "native-tl2 never blocks"
            assert ex.steps < 5000
            ex.step(rng.choice(enabled))
        assert ex.steps > 0
        history = ex.history()
        assert history.counts()["committed"] == 6
        assert all(r.holds for r in check(history, CRITERIA))
        money = sum(v // 10 ** 9 for v in ex.final())
        assert money == 300
        with pytest.raises(ValueError):
            ex.step(0)  # finished threads are not enabled
    finally:
        ex.close()


def test_natively_recorded_history_is_well_formed():
    from stmcheck.implementations.native.controlled import explore

    execution = next(explore("native-norec", "random", executions=1, seed=3))
    history = execution.history()
    rebuilt = build_history(history.events_in_order(), history.initial)
    assert rebuilt.counts() == history.counts()
    assert history.counts()["live"] == 0


@pytest.mark.parametrize("design", ["native-tl2", "native-norec"])
@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_correct_designs_are_clean(design, strategy):
    from stmcheck.implementations.native.controlled import explore

    outcomes = set()
    for execution in explore(design, strategy, executions=60, seed=11):
        outcomes.add(execution.outcome)
        assert execution.outcome in ("done", "step-bound")  # PCT can starve a TL2 retry loop
        assert not _violations(execution), execution.schedule_string
    assert "done" in outcomes


@pytest.mark.parametrize("design, strategy", [
    ("native-tl2-no-commit-validation", "random"),   # lost update: serializability
    ("native-tl2-no-commit-validation", "pct"),
    ("native-tl2-no-read-validation", "pct"),        # zombie reads: a window random rarely hits
])
def test_broken_variants_are_caught_and_replay(design, strategy):
    from stmcheck.implementations.native.controlled import explore

    found = None
    for execution in explore(design, strategy, executions=300, seed=1):
        if _violations(execution):
            found = execution
            break
    assert found is not None, f"{strategy} missed the bug of {design} in 300 executions"
    again = next(explore(design, "replay", executions=1, seed=1, replay=found.schedule))
    assert again.outcome == found.outcome
    assert again.events == found.events  # same schedule, same history
    assert _violations(again)


def test_native_loop_counts_the_steps_it_runs():
    """The bank workload's loop alone runs exactly the steps its recorded executions take."""
    from stmcheck.implementations.native.controlled import explore, loop_rate

    steps, seconds = loop_rate("native-tl2", "random", executions=50, threads=3)
    assert steps == sum(ex.steps for ex in explore("native-tl2", "random", executions=50, threads=3))
    assert steps > 0 and seconds > 0




def test_a_crashing_user_design_is_reported_not_suffered(tmp_path):
    from stmcheck.implementations.native.controlled import explore

    source = tmp_path / "crashy.c"
    source.write_text(CRASHY)
    results = list(explore(f"{source}:crashy", "random", executions=50, seed=0))
    crash = results[-1]
    assert crash.outcome == "crash" and "SIGSEGV" in crash.crash
    assert crash.schedule, "the schedule prefix of the crashing run is kept"
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", "stress",
                           f"{source}:crashy", "--seconds", "2", "--threads", "4"], capture_output=True, text=True)
    assert proc.returncode == 1 and "CRASH" in proc.stdout, proc.stdout + proc.stderr
