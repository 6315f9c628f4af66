"""`stmcheck --help` and `stmcheck list` start without the solver or the graph library.

Why: importing z3 and networkx costs more than most commands' own work
(checking one small history, listing the registries), and every CI step pays
it. They are imported where a check needs them, never at module level on the
way to the command line; this holds that in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("networkx", "z3")
PROBE = """
import json, sys
from stmcheck.checker.cli import main
try:
    main(sys.argv[1:], prog_name="stmcheck")
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(%r))), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"], ["explore", "--help"],
                                  ["check", "--help"]])
def test_no_solver_or_graph_library_is_imported(args):
    proc = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip(), proc.stderr          # the command did print its output
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == []


def test_a_check_does_import_them_when_it_needs_them(tmp_path):
    """The probe can see them (the test above is not vacuous): a check that needs the graph does."""
    doc = {"format": "stmcheck.history/1", "initial": {"x": 1, "y": 1}, "events": [
        {"thread": 1, "txn": "T1", "op": "begin"}, {"thread": 2, "txn": "T2", "op": "begin"},
        {"thread": 1, "txn": "T1", "op": "read", "key": "x", "value": 1},
        {"thread": 2, "txn": "T2", "op": "read", "key": "y", "value": 1},
        {"thread": 1, "txn": "T1", "op": "write", "key": "y", "value": 0},
        {"thread": 2, "txn": "T2", "op": "write", "key": "x", "value": 0},
        {"thread": 1, "txn": "T1", "op": "commit"}, {"thread": 2, "txn": "T2", "op": "commit"}]}
    path = tmp_path / "skew.json"
    path.write_text(json.dumps(doc))
    proc = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), "check", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert "G2-item" in proc.stdout
    assert "networkx" in json.loads(proc.stderr.strip().splitlines()[-1])
