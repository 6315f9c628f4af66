"""Hypothesis-drawn transaction programs (`stmcheck.programs`) and `stmcheck.fuzz`."""

import pytest
from hypothesis import given, settings

import stmcheck
from stmcheck.models.workloads import make_workload
from stmcheck.models.workloads.random_programs import GivenPrograms, decode


@settings(max_examples=60, deadline=None)
@given(stmcheck.programs(threads=3, txns=2, keys=3))
def test_a_program_is_rebuilt_from_its_name(workload):
    """The name is the program: replay commands and shrinking rebuild it from the name alone."""
    again = make_workload(workload.name, workload.threads, workload.txns)
    assert again.name == workload.name and again.keys == workload.keys
    assert [[label for label, _ in again.program(t)] for t in again.programs] == \
           [[label for label, _ in workload.program(t)] for t in workload.programs]


@settings(max_examples=15, deadline=None)
@given(stmcheck.programs(threads=2, txns=1))
def test_users_own_given_test_global_lock_is_correct_on_any_program(workload):
    """As a user writes it: the global lock passes on every program (a differential oracle: it
    serializes by construction)."""
    stmcheck.explore("global-lock", workload).assert_correct()


def test_fuzz_finds_a_minimal_program_that_breaks_a_design():
    program, result, tried = stmcheck.fuzz("tl2-no-read-validation", examples=40, threads=2, txns=1)
    assert program is not None and result.violations
    ops = sum(len(ops) for thread in decode(program.name[len("programs:"):])[0] for ops in thread)
    assert program.threads == 2 and ops <= 3        # shrunk: a reader reading twice, a writer
    again = stmcheck.replay("tl2-no-read-validation", result.violations[0].schedule, program.name,
                            threads=program.threads)
    assert again.violation is not None


def test_fuzz_finds_nothing_in_a_correct_design():
    program, result, tried = stmcheck.fuzz("global-lock", examples=5, threads=2, txns=1)
    assert program is None and result is None and tried == 5


@pytest.mark.parametrize("spec", ["", "0.0", "0.0_r2", "0.0_x0", "a_r0", "0.0_w0"])
def test_bad_program_names_are_clear_errors(spec):
    with pytest.raises(ValueError, match="programs:"):
        make_workload("programs:" + spec, 1)


def test_given_programs_need_operations():
    with pytest.raises(ValueError, match="non-empty"):
        GivenPrograms([[[]]], {"r0": 0})


def test_the_fuzz_command_prints_the_minimal_program_and_its_counterexample():
    from click.testing import CliRunner
    from stmcheck.checker.cli import main
    r = CliRunner().invoke(main, ["fuzz", "tl2-no-read-validation", "--examples", "60"])
    assert r.exit_code == 1, r.output
    name = r.output.split("shrunk to ")[1].split()[0]
    assert name.startswith("programs:") and "VIOLATION" in r.output
    assert f"stmcheck replay tl2-no-read-validation --workload {name}" in r.output
    ok = CliRunner().invoke(main, ["fuzz", "global-lock", "--examples", "3"])
    assert ok.exit_code == 0 and "no failing program among 3 tried" in ok.output
