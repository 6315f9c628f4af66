"""Free mode and libitm: `stmcheck stress`, the stamp merge, the missing-compiler path.

CPU-heavy: every run is a few seconds on few threads. Skipped, with the
reason, where no C compiler (or cffi, or libitm) is available.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stmcheck.checker.history.stress import check_stress
from stmcheck.implementations.native.events import FIELDS, merged_events, split_attempts
from stmcheck.implementations.native.loader import available
from stmcheck.models.formats import read_history
from stmcheck.models.history import build_history

REASON = available()
native = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")


def stmcheck(*args, env=None):
    code = "from stmcheck.checker.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _buffer(*events):
    """Flat int list of (time, key, value, thread, attempt, op) rows."""
    out = []
    for e in events:
        assert len(e) == FIELDS
        out.extend(e)
    return out


def test_merge_never_invents_real_time_order():
    # thread 0: T0.0 over [10, 20]; thread 1: T1.0 begins at 20 (same reading), T1.1 at 31
    t0 = _buffer((10, 0, 0, 0, 0, 0), (0, 1, 5, 0, 0, 1), (20, 0, 0, 0, 0, 3))
    t1 = _buffer((20, 0, 0, 1, 0, 0), (30, 0, 0, 1, 0, 4), (31, 0, 0, 1, 1, 0), (40, 0, 0, 1, 1, 3))
    events = list(merged_events(split_attempts(t0) + split_attempts(t1)))
    history = build_history(events)
    pos = {(e["txn"], e["op"]): i for i, e in enumerate(events)}
    # equal stamps say nothing: T1.0 must not follow T0.0 in real time
    assert pos[("T1.0", "begin")] < pos[("T0.0", "commit")]
    # strictly later stamps do order: T0.0 ended (20) before T1.1 began (31)
    assert pos[("T0.0", "commit")] < pos[("T1.1", "begin")]
    # a thread's own attempts stay in program order, reads inside their attempt
    assert pos[("T1.0", "abort")] < pos[("T1.1", "begin")]
    assert pos[("T0.0", "begin")] < pos[("T0.0", "read")] < pos[("T0.0", "commit")]
    assert history.counts() == {"transactions": 3, "committed": 2, "aborted": 1, "live": 0}


def test_missing_compiler_is_one_clear_line_and_exit_2():
    env = dict(os.environ, CC="/nonexistent/cc")
    proc = stmcheck("stress", "native-tl2", "--seconds", "1", env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("stmcheck: error:") and "compiler" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert stmcheck("--help", env=env).returncode == 0  # everything else still works


def test_unknown_design_is_a_usage_error():
    proc = stmcheck("stress", "no-such-design", "--seconds", "1")
    assert proc.returncode == 2 and "unknown native design" in proc.stderr


@native
@pytest.mark.parametrize("design", ["native-tl2", "native-norec"])
def test_correct_designs_stress_clean(design, tmp_path):
    keep = tmp_path / "run.jsonl"
    proc = stmcheck("stress", design, "--threads", "4", "--seconds", "3", "--json", "--keep", str(keep))
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, doc
    assert doc["verdict"] == "clean" and doc["commits"] > 0 and doc["history"]["transactions"] > 0
    kept = read_history(str(keep))  # the kept history is a well-formed stmcheck.history/1 file
    assert kept.counts()["live"] == 0
    results = check_stress(kept, ("strict-serializability", "opacity"))
    assert all(r.holds for r in results)


@native
@pytest.mark.parametrize("design", ["native-tl2-no-read-validation", "native-tl2-no-commit-validation"])
def test_broken_variants_are_caught_by_stress(design):
    proc = stmcheck("stress", design, "--threads", "8", "--seconds", "10", "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1, doc
    assert doc["verdict"] == "violated"


def _itm_reason():
    if REASON is not None:
        return REASON
    from stmcheck.implementations.native.build import NativeUnavailable, build_itm

    try:
        build_itm()
    except NativeUnavailable as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("method", ["serialirr", "gl_wt", "ml_wt"])
def test_libitm_methods_run_and_check(method):
    reason = _itm_reason()
    if reason:
        pytest.skip(f"libitm unavailable: {reason}")
    proc = stmcheck("stress", "libitm", "--method", method, "--threads", "4", "--seconds", "2", "--json")
    doc = json.loads(proc.stdout)
    assert doc["commits"] > 0
    # libitm is expected to be opaque; a violation would be a finding worth reading
    assert proc.returncode == 0, doc["problem"]
