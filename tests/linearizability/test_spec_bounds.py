"""`--timeout` bounds a user's specification too: a `step` that never returns ends in an
inconclusive verdict (exit 3), not a hang."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from stmcheck.checker.cli import main

LOOPY = textwrap.dedent('''
    from stmcheck.models.specs import Spec


    class Loopy(Spec):
        name = "loopy"
        ops = {"write": 1, "read": 0}

        def init(self, initial):
            return 0

        def step(self, state, op, args):
            while True:
                pass
''')


def test_a_specification_that_never_returns_is_inconclusive(tmp_path, monkeypatch):
    (tmp_path / "loopy.py").write_text(LOOPY)
    (tmp_path / "h.json").write_text(json.dumps({"format": "stmcheck.ophistory/1", "operations": [
        {"client": 0, "op": "write", "args": [3], "call": 0, "return": 1, "result": None},
        {"client": 1, "op": "read", "args": [], "call": 2, "return": 3, "result": 3}]}))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["check", "h.json", "-c", "linearizability", "--model", "loopy.py:Loopy",
                                  "--timeout", "0.5", "--json"])
    assert r.exit_code == 3, r.output
    (result,) = json.loads(r.output)["results"]
    assert result["holds"] is None and "did not return from a step" in result["explanation"]
