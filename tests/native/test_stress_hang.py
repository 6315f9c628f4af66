"""A native design that spins inside one call is killed and reported, never waited on forever."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from native_designs import SPINS
from stmcheck.implementations.native.isolate import NativeHang, run_isolated
from stmcheck.implementations.native.loader import available


def _sends_then_stalls():
    yield "first"
    while True:
        time.sleep(1)


def test_a_silent_child_is_killed_after_the_grace_period():
    got = []
    start = time.monotonic()
    with pytest.raises(NativeHang, match="did not return within 0.5 s"):
        for item in run_isolated(_sends_then_stalls, quiet_after=time.monotonic(), grace=0.5):
            got.append(item)
    assert got == ["first"]   # what came before the stall is kept
    assert time.monotonic() - start < 10


def _sends_large_items():
    for n in (0, 1, 3 * 1024 * 1024):
        yield b"x" * n


def test_items_of_any_size_arrive_whole():
    sizes = [len(item) for item in run_isolated(_sends_large_items, quiet_after=time.monotonic() + 30)]
    assert sizes == [0, 1, 3 * 1024 * 1024]


@pytest.mark.skipif(available() is not None, reason=f"native core unavailable: {available()}")
def test_stress_of_a_design_spinning_in_read_is_a_crash(tmp_path):
    source = tmp_path / "spins.c"
    source.write_text(SPINS)
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", "stress",
                           f"{source}:spins", "--seconds", "1", "--threads", "2", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "crash"
    assert "did not return within" in report["problem"]["crash"]
