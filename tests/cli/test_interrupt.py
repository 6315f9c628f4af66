"""^C ends a run with the shell's convention (130), not exit 1 ("violation found") or a traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time


def test_interrupt_exits_130_with_one_line():
    proc = subprocess.Popen([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", "explore",
                             "tl2", "--threads", "3", "--max-executions", "10000000", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)   # past start-up: the search is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "stmcheck: interrupted"
