"""User code named on the command line loads by path with its folder importable, the
same way for designs (`explore path.py:Class`) and specifications (`check --model
path.py:Class`); a file that is not Python, a directory or a missing name is one
line, exit 2."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from user_designs import with_variants

DESIGN = "import sibling\n" + with_variants('''
    class G(GlobalLock):
        def write(self, tx, key, value):
            yield self.cells[key].store(value + sibling.ZERO)
''')

SPEC = textwrap.dedent('''
    import sibling
    from stmcheck.models.specs import Spec


    class MaxRegister(Spec):
        name = "max-register"
        ops = {"write": 1, "read": 0}

        def init(self, initial):
            return sibling.ZERO if initial is None else initial

        def step(self, state, op, args):
            if op == "write":
                return None, max(state, args[0])
            return state, state
''')


@pytest.fixture
def folder(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "sibling.py").write_text("ZERO = 0\n")
    (code / "mine.py").write_text(DESIGN)
    (code / "specs.py").write_text(SPEC)
    (tmp_path / "design.c").write_text("int x;\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "h.json").write_text(json.dumps({"format": "stmcheck.ophistory/1", "operations": [
        {"client": 0, "op": "write", "args": [3], "call": 0, "return": 1, "result": None},
        {"client": 1, "op": "read", "args": [], "call": 2, "return": 3, "result": 3}]}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(__import__("sys").modules, "sibling", raising=False)
    return tmp_path


def test_a_design_file_imports_a_module_next_to_it(folder):
    r = CliRunner().invoke(main, ["explore", "code/mine.py:G", "-q"])
    assert r.exit_code == 0, r.output
    assert "no violation found" in r.output


def test_a_spec_file_loads_by_path_as_designs_do(folder):
    r = CliRunner().invoke(main, ["check", "h.json", "-c", "linearizability", "--model", "code/specs.py:MaxRegister"])
    assert r.exit_code == 0, r.output
    assert "linearizability holds" in r.output


@pytest.mark.parametrize("spec, says", [
    ("design.c:X", "design.c: not a Python file (.py)"),
    ("notes.txt:X", "notes.txt: not a Python file (.py)"),
    ("code:X", "code: a directory, not a Python file"),
    ("missing.py:X", "missing.py: no such file"),
    ("code/mine.py:Nope", "code/mine.py defines no 'Nope'"),
    ("code/mine.py:sibling", "names a module, not a design class"),
])
@pytest.mark.parametrize("command", [["explore"], ["replay", "--schedule", "1"]])
def test_what_cannot_be_loaded_is_one_line(folder, spec, says, command):
    r = CliRunner().invoke(main, [command[0], spec, *command[1:]])
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and says in r.output and "Traceback" not in r.output
