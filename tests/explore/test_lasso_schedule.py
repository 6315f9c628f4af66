"""Lassos as schedules: `PREFIX (LOOP)*` is printed for a proven livelock and replayed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore.strategies.replay import ScheduleError, decode, encode_lasso

THREADS = st.lists(st.integers(1, 3), max_size=30)


@given(prefix=THREADS, loop=THREADS.filter(bool), times=st.integers(1, 3))
def test_a_lasso_reads_back_as_its_prefix_and_loop(prefix, loop, times):
    text = encode_lasso(prefix + loop, len(prefix), len(prefix) + len(loop))
    assert decode(text) == prefix + loop
    assert decode(text + str(times)) == prefix + loop * times


@pytest.mark.parametrize("text", ["1,2 (", "(1*2", "1 ()*", "1 (2)*0", "(1)(2)*", "1 (2)*x"])
def test_malformed_lassos_are_usage_errors(text):
    with pytest.raises(ScheduleError):
        decode(text)


def test_a_lasso_longer_than_the_step_bound_is_refused_before_it_is_spelled():
    with pytest.raises(ScheduleError, match="cannot fit"):
        decode("1 (2*1000)*99999999999", limit=2000)


def test_tl2_livelock_on_write_skew_is_a_short_report_that_replays():
    cli = [sys.executable, "-c", "from stmcheck.checker.cli import main; main()"]
    out = subprocess.run(cli + ["explore", "tl2", "--workload", "write-skew"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert "VIOLATION: LIVELOCK" in lines
    assert len(lines) <= 60
    replay = next(ln for ln in lines if ln.startswith("replay: ")).removeprefix("replay: ")
    assert ")*'" in replay
    schedule = replay.split("--schedule ", 1)[1].strip("'")
    again = api.replay("tl2", schedule, "write-skew")
    assert again.violation is not None and again.violation.kind == "livelock"
    assert again.violation.lasso is not None
