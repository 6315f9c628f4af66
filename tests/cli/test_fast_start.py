"""`stmcheck --help` and `stmcheck list` start without the solver, the graph library or hypothesis.

Why: importing z3 and networkx costs more than most commands' own work
(checking one small history, listing the registries), and every CI step pays
it. z3 is imported where a check needs it, never at module level on the way
to the command line; networkx not at all (the tests' oracle); hypothesis where
programs are drawn (`stmcheck fuzz`, `stmcheck.programs`: it was a third of
`import stmcheck`, 0.2 s); this holds that in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("networkx", "z3", "hypothesis")
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
    """The probe can see them (the test above is not vacuous): a check that needs the solver
    imports z3. (networkx is the tests' oracle: no command imports it, checker/graphs.py.)"""
    ev = [("1", "T1", "begin", None, None), ("2", "T2", "begin", None, None), ("3", "T3", "begin", None, None),
          ("1", "T1", "write", "x", 5), ("2", "T2", "write", "x", 5), ("2", "T2", "write", "y", 1),
          ("1", "T1", "read", "y", 1), ("3", "T3", "read", "x", 5), ("3", "T3", "read", "y", 0),
          ("1", "T1", "commit", None, None), ("2", "T2", "commit", None, None), ("3", "T3", "commit", None, None)]
    events = [{"thread": int(t), "txn": txn, "op": op, **({"key": k, "value": v} if k else {})}
              for t, txn, op, k, v in ev]
    doc = {"format": "stmcheck.history/1", "initial": {"x": 0, "y": 0}, "events": events}
    path = tmp_path / "ambiguous.json"          # T3's x=5 has two writers: the graph cannot decide
    path.write_text(json.dumps(doc))
    proc = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), "check", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert "Decided exactly by z3" in proc.stdout
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == ["z3"]
