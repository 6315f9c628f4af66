"""`stmcheck stress` of a design that ends its own process before any commit is not
"clean": zero committed transactions means nothing was checked."""

from __future__ import annotations

import subprocess
import sys

import pytest

from native_designs import EXITS
from stmcheck.implementations.native.loader import available

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"native core unavailable: {REASON}")


def test_a_design_that_exits_in_read_is_not_clean(tmp_path):
    source = tmp_path / "exits.c"
    source.write_text(EXITS)
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", "stress",
                           f"{source}:exits", "--seconds", "2", "--threads", "2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "clean" not in proc.stdout.split("verdict", 1)[1]
    assert "no transaction committed" in proc.stdout
