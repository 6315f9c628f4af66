"""`stmcheck conform NATIVE MODEL`: the C designs implement their Python models.

Each native design runs the same random schedules as its Python model
(the model draws the schedule, the C design replays it step for step) and
must record the same history. Short runs: the test is that the command works
and that every shipped pair agrees; a design that does not implement the
model (a different algorithm, a dropped check) must be reported.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

main = pytest.importorskip("stmcheck.checker.cli", reason="the checker is not installed").main

DESIGN_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "implementations", "native", "design.py")

PAIRS = [  # every registered native design with its Python model
    ("native-tl2", "tl2"),
    ("native-norec", "norec"),
    ("native-tl2-no-read-validation", "tl2-no-read-validation"),
    ("native-tl2-no-commit-validation", "tl2-no-commit-validation"),
]


def _conform(*args):
    return CliRunner().invoke(main, ["conform", *args])


@pytest.mark.parametrize("native, model", PAIRS)
def test_every_native_design_conforms_to_its_model(native, model):
    r = _conform(native, model, "--executions", "40", "--seed", "1", "--threads", "3", "--txns", "2")
    assert r.exit_code == 0, r.output
    assert "conforms: all 40 executions agree" in r.output


def test_counter_workload_conforms_too():
    r = _conform("native-norec", "norec", "--workload", "counter", "--executions", "30", "--threads", "2")
    assert r.exit_code == 0, r.output


def test_every_registered_native_design_has_a_model_here():
    from stmcheck.implementations.registry import DESIGNS

    natives = {name for name, e in DESIGNS.items() if e.module.startswith("native")}
    assert natives == {n for n, _ in PAIRS}


def test_the_lost_update_variant_conforms_as_a_file_too():
    r = _conform(f"{DESIGN_PY}:NativeTL2NoCommitValidation", "tl2-no-commit-validation", "--executions", "40",
                 "--workload", "counter")
    assert r.exit_code == 0, r.output


def test_a_different_algorithm_diverges_with_a_counterexample():
    r = _conform("native-tl2", "norec", "--executions", "20")
    assert r.exit_code == 1, r.output
    out = r.output
    assert "DIVERGENCE in execution" in out and "schedule: " in out
    assert "model history (norec" in out and "native history (native-tl2" in out
    assert "stmcheck replay native-tl2" in out


def test_a_dropped_commit_validation_diverges():
    r = _conform(f"{DESIGN_PY}:NativeTL2NoCommitValidation", "tl2", "--executions", "100")
    assert r.exit_code == 1, r.output
    assert "DIVERGENCE" in r.output


def test_non_integer_workloads_are_a_usage_error():
    r = _conform("native-norec", "norec", "--workload", "swap")
    assert r.exit_code == 2
    assert "integers" in r.output


def test_first_difference():
    from stmcheck.checker.native.conform import first_difference

    assert first_difference([1, 2, 3], [1, 2, 3]) is None
    assert first_difference([1, 2, 3], [1, 5, 3]) == 1
    assert first_difference([1, 2], [1, 2, 3]) == 2
