"""Every input error is one line, `stmcheck: error: ...`, exit 2; non-finite numbers are input errors.

A script that calls several subcommands reads their stderr the same way:
click's own four-line usage errors (Usage / Try / blank / Error) were the
odd ones out. `nan` and `inf` are floats Python parses, but no budget: a
`--time-limit nan` silently removed the bound and `--timeout inf` crashed.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main

SUBCOMMANDS = ["explore", "replay", "check", "matrix", "list", "conform", "stress", "bench"]


def run(*args):
    result = CliRunner().invoke(main, list(args), prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stmcheck: error: "), result.stderr
    assert "Traceback" not in result.output and "Usage:" not in result.output
    return lines[0]


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_an_unknown_option_is_one_line(sub):
    line = one_line_error(run(sub, "--bogus"))
    assert "--bogus" in line and f"stmcheck {sub} --help" in line


@pytest.mark.parametrize("args", [
    ["explore", "tl2", "--threads", "0"],
    ["explore"],
    ["replay", "tl2"],
    ["check"],
    ["check", "x.json", "-c", "nonsense"],
    ["matrix", "--threads", "4"],
    ["list", "nonsense"],
    ["conform", "native-tl2"],
    ["stress", "native-tl2", "--threads", "x"],
    ["bench", "nonsense"],
    ["nonsense"],
    ["explore", "tl2", "--strategy", "dpor", "--max-states", "100"],   # dpor counts executions
    ["explore", "tl2", "--max-states", "0"],
])
def test_bad_values_and_missing_arguments_are_one_line(args):
    one_line_error(run(*args))


@pytest.mark.parametrize("args", [
    ["explore", "tl2", "--time-limit", "nan"],
    ["explore", "tl2", "--time-limit", "inf"],
    ["check", "x.json", "--timeout", "nan"],
    ["check", "x.json", "--timeout", "inf"],
    ["stress", "native-tl2", "--seconds", "nan"],
    ["stress", "native-tl2", "--timeout", "inf"],
    ["stress", "native-tl2", "--noise", "nan"],
])
def test_non_finite_numbers_are_rejected(args):
    line = one_line_error(run(*args))
    assert "finite" in line, line


def test_help_is_unchanged():
    result = run("explore", "--help")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: stmcheck explore [OPTIONS] IMPL")
    result = run("--help")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: stmcheck [OPTIONS] COMMAND [ARGS]...")
