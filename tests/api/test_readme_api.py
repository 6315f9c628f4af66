"""README.md's "Python API" example runs as it is, beside the `mydesign.py` the README shows.

Why: a documented example that no longer runs is worse than none. The two
code blocks are read from the README itself (the design written to a file,
the example executed with that folder on the path and the repository's
examples/ beside it), so the text and the test cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _blocks() -> list:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_the_python_api_example_runs(tmp_path, monkeypatch, capsys):
    blocks = _blocks()
    design = next(b for b in blocks if b.startswith("# mydesign.py"))
    example = next(b for b in blocks if "import stmcheck\n" in b and "stmcheck.explore(" in b)
    (tmp_path / "mydesign.py").write_text(design)
    shutil.copytree(os.path.join(ROOT, "examples"), tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mydesign", raising=False)
    exec(compile(example, "README.md (Python API)", "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    assert re.search(r"tl2: \d+ executions, \d+ distinct histories", out)
    assert "stmcheck replay tl2-no-read-validation --workload transfer" in out
    assert "serializability violated: G2-item" in out
