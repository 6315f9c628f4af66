"""Output meant for machines and logs: no wrapping when piped, no timings when asked.

A CI log reads `stmcheck check` through a pipe: a report wrapped at 80
columns there breaks sentences and numbers ("10 \\nevents"). And the README
promises the same output for the same command, byte for byte: `--no-timings`
drops the one thing that varies (elapsed seconds, rates) so that promise holds
for `--json` too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRITE_SKEW = os.path.join(REPO, "examples", "write-skew.json")
HAVE_CC = any(shutil.which(cc) for cc in (os.environ.get("CC") or "cc", "gcc", "clang"))

QUEUE_BAD = {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
    {"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 1, "result": None},
    {"client": 0, "op": "enqueue", "args": [2], "call": 2, "return": 3, "result": None},
    {"client": 1, "op": "dequeue", "args": [], "call": 4, "return": 5, "result": 2}]}


def piped(*args) -> str:
    """The command as a real process whose stdout is a pipe, as in CI (no COLUMNS given)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def test_check_does_not_wrap_when_piped():
    out = piped("check", WRITE_SKEW)
    # the explanation is one sentence pair on one line, whatever its length
    line = next(ln for ln in out.splitlines() if "overwrote it" in ln)
    assert line.rstrip().endswith("no order can place them all."), out
    assert len(line) > 80
    first = out.splitlines()[0]
    assert re.search(r"\d+ events$", first), first


def test_linearizability_report_does_not_wrap_when_piped(tmp_path):
    path = tmp_path / "queue-bad-with-a-long-name-so-the-first-line-is-long.json"
    path.write_text(json.dumps(QUEUE_BAD))
    out = piped("check", str(path), "-c", "linearizability")
    first = out.splitlines()[0]
    assert first.endswith("(ophistory)"), out
    assert any(len(ln) > 80 for ln in out.splitlines())


def twice(*args) -> tuple[str, str]:
    outs = []
    for _ in range(2):
        result = CliRunner().invoke(main, list(args), prog_name="stmcheck")
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 1), result.output
        outs.append(result.stdout)
    return outs[0], outs[1]


def test_explore_json_without_timings_is_the_same_bytes_twice():
    a, b = twice("explore", "tl2", "--json", "--no-timings", "--max-executions", "300")
    assert a == b and '"elapsed"' not in a
    assert '"elapsed"' in twice("explore", "tl2", "--json", "--max-executions", "30")[0]


def test_check_json_without_timings_is_the_same_bytes_twice(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps(QUEUE_BAD))
    a, b = twice("check", str(path), "-c", "linearizability", "--json", "--no-timings")
    assert a == b and "elapsed" not in a
    assert "elapsed" in twice("check", str(path), "-c", "linearizability", "--json")[0]
    a, b = twice("check", WRITE_SKEW, "--json", "--no-timings")
    assert a == b


def test_replay_accepts_no_timings():
    a, b = twice("replay", "tl2-no-read-validation", "--schedule", "2*5,1", "--json", "--no-timings")
    assert a == b


def test_matrix_without_timings_is_the_same_bytes_twice(tmp_path):
    args = ["matrix", "--designs", "locks-naive", "--workloads", "transfer", "--threads", "2", "--json",
            "--no-timings", "--no-write"]
    a, b = twice(*args)
    assert a == b and '"seconds"' not in a
    CliRunner().invoke(main, ["matrix", "--designs", "locks-naive", "--workloads", "transfer", "--threads", "2",
                              "--write", "--no-timings", "--out", str(tmp_path)])
    md = (tmp_path / "matrix.md").read_text()
    assert "| seconds |" not in md and "seconds depend on the machine" not in md
    assert all("seconds" not in c for c in json.loads((tmp_path / "matrix.json").read_text())["cells"])


@pytest.mark.skipif(not HAVE_CC, reason="no C compiler: native designs cannot be built here")
def test_stress_without_timings_prints_no_seconds_or_rates():
    result = CliRunner().invoke(main, ["stress", "native-tl2", "--threads", "2", "--seconds", "1", "--json",
                                       "--no-timings"])
    doc = json.loads(result.stdout)
    assert not {"run_seconds", "check_seconds", "commits_per_s", "aborts_per_s"} & set(doc)
    text = CliRunner().invoke(main, ["stress", "native-tl2", "--threads", "2", "--seconds", "1",
                                     "--no-timings"]).stdout
    assert "/s" not in text and " s of running" not in text and "checked in" not in text


def test_readme_names_the_flag_next_to_the_promise():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    paragraph = next(p for p in readme.split("\n\n") if "byte for byte" in p)
    assert "--no-timings" in paragraph


def test_a_long_search_in_a_log_shows_it_moving_apart_from_the_report(monkeypatch):
    """Off a terminal, `explore` writes a progress line a minute on stderr (here every run): never
    into the report, nor into what the design printed (captured while it runs); --no-timings,
    whose output is the same bytes every time, and --quiet write none."""
    import importlib
    cli_explore = importlib.import_module("stmcheck.checker.cli.explore")
    monkeypatch.setitem(cli_explore._Progress.EVERY, "lines", 0.0)
    monkeypatch.setattr(cli_explore._Progress, "AFTER", 0.0)
    runner = CliRunner()
    shown = runner.invoke(main, ["explore", "dstm"])
    ticks = [ln for ln in shown.stderr.splitlines() if ln.startswith("exploring: ")]
    states = [int(ln.split()[1].replace(",", "")) for ln in ticks]
    assert len(states) > 10 and states[0] < states[-1] and "exploring" not in shown.stdout
    assert "2,513 states" in shown.stdout
    for quiet in ("--no-timings", "--quiet"):
        assert "exploring" not in runner.invoke(main, ["explore", "dstm", quiet]).stderr
