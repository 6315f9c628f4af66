"""A segfault in a native design driven by the Python explorer is a `crash`
counterexample with its schedule, not the death of stmcheck.

The adapter (implementations/native/design.py) runs the C session in a worker
process (worker.py); a crashing design kills the worker, the design call that
was running raises NativeCrash, the runtime reports the run as a crash, and
the next session starts a new worker.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from native_designs import CRASHY
from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")

api = pytest.importorskip("stmcheck.checker.api", reason="the Python explorer is not installed")



@pytest.fixture
def crashy(tmp_path):
    source = tmp_path / "crashy.c"
    source.write_text(CRASHY)
    return source


def _explore(cls, strategy, executions=300):
    ex = api.make_explorer(api.prepare(cls, "transfer"), strategy, seed=0, max_executions=executions, time_limit=60)
    return ex, ex.explore()


@pytest.mark.parametrize("strategy", ["dpor", "random"])
def test_a_segfault_is_a_crash_counterexample(crashy, strategy):
    from stmcheck.implementations.native.design import NativeDesign

    cls = type("Crashy", (NativeDesign,), {"native": f"{crashy}:crashy", "isolated": True})
    ex, out = _explore(cls, strategy)
    assert out.violations, "the crash was not found"
    v = out.violations[0]
    assert v.kind == "crash" and "SIGSEGV" in v.explanation
    assert v.run.schedule, "the crashing run keeps its schedule"
    # the schedule reproduces the crash, and the explorer is still alive to say so
    from stmcheck.checker.explore.strategies.replay import Replay
    run = ex.new_run()
    run.execute(Replay(list(v.run.schedule)))
    assert run.outcome == "crash" and "SIGSEGV" in run.detail["error"]
    # and a healthy native design still runs afterwards (a new worker)
    from stmcheck.implementations.native.design import NativeTL2
    _, ok = _explore(NativeTL2, "random", executions=20)
    assert not ok.violations


def test_the_cli_reports_the_crash_and_exits_1(crashy, tmp_path):
    design = tmp_path / "crashy_design.py"
    design.write_text("from stmcheck.implementations.native.design import NativeDesign\n\n"
                      f"class Crashy(NativeDesign):\n    native = {str(crashy) + ':crashy'!r}\n")
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", "explore",
                           f"{design}:Crashy", "--strategy", "random", "--max-executions", "300", "-q"],
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "crash" in out and "SIGSEGV" in out, out
    assert "stmcheck replay" in out, out


def test_worker_and_in_process_sessions_agree():
    from stmcheck.implementations.native.design import InProcessSession
    from stmcheck.implementations.native.worker import IsolatedSession

    a = IsolatedSession("native-tl2", 2, [10, 10])
    b = InProcessSession("native-tl2", 2, [10, 10])
    assert a.values == b.values
    ra, rb = a.call(0, 0), b.call(0, 0)  # begin: parks at the clock load
    assert ra == rb and ra[0] == 0
    assert a.resume(0) == b.resume(0)
    a.close()
    b.close()


def test_a_forked_child_gets_its_own_worker():
    """A session opened in a forked copy of this process never talks over the parent's pipes."""
    import os

    from stmcheck.implementations.native.worker import IsolatedSession

    parent = IsolatedSession("native-tl2", 2, [10, 10])
    before = parent.call(0, 0)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            child = IsolatedSession("native-tl2", 2, [10, 10])
            code = 0 if child.worker is not parent.worker and child.call(0, 0) == before else 1
            parent.close()  # must not free the parent's session in the parent's worker
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert parent.resume(0)[0] == 1  # the parent's session is intact: begin completes
    parent.close()


def test_a_search_in_a_worker_steps_c_in_process_and_reports_its_crash(crashy):
    """`stmcheck.explore` runs a native design's whole search in a worker, whose C side then steps in
    that process (no request and reply per step): a segfault ends the worker, and the search's
    report is a crash counterexample with a replay command, the parent alive."""
    import stmcheck
    from stmcheck.implementations.native.design import NativeDesign

    cls = type("Crashy", (NativeDesign,), {"native": f"{crashy}:crashy"})
    r = stmcheck.explore(cls, "transfer", strategy="dpor", max_executions=300)
    assert r.violations and r.violations[0].kind == "crash"
    assert "SIGSEGV" in r.violations[0].explanation and "stmcheck replay" in r.violations[0].replay


def test_shipped_native_designs_are_searched_in_a_worker_with_the_same_graph(monkeypatch):
    """native-tl2 is searched in a worker (`native_code`), stepping C in-process there; its graph is
    the one a search in this process, a request and a reply per step, builds."""
    import stmcheck

    assert api._isolated(api.prepare("native-tl2", "transfer"))
    worker = stmcheck.explore("native-tl2", "transfer", threads=2)
    monkeypatch.setattr(api.isolation, "available", lambda: False)      # this process, C in its own worker
    here = stmcheck.explore("native-tl2", "transfer", threads=2)
    assert worker.exhausted and here.exhausted
    assert (worker.states, worker.transitions) == (here.states, here.transitions)
