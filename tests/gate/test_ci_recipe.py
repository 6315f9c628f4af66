"""docs/ci.md's GitHub Actions recipe: the commands of its `run:` steps (all but the install)
run as they are in a fresh directory holding a design and the test file the recipe shows."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from user_designs import with_variants

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MY_STM = with_variants("class MySTM(GlobalLock):\n    pass\n")   # the shared one-lock design


def _recipe():
    with open(os.path.join(ROOT, "docs", "ci.md"), encoding="utf-8") as f:
        text = f.read()
    workflow = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    test_file = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    runs = re.findall(r"^\s*- run: (.*)$", workflow, re.M)
    return runs, test_file


def test_the_recipe_runs(tmp_path):
    runs, test_file = _recipe()
    assert runs[0].startswith("pip install") and len(runs) >= 3
    (tmp_path / "my_stm.py").write_text(MY_STM)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_stm.py").write_text(test_file)
    stmcheck = shutil.which("stmcheck") or ""
    for cmd in runs[1:]:    # the install is this environment's own
        cmd = cmd.replace("python -m pytest", f"{sys.executable} -m pytest -p no:cacheprovider -p no:xdist")
        if cmd.startswith("stmcheck ") and stmcheck:
            cmd = stmcheck + cmd[len("stmcheck"):]
        elif cmd.startswith("stmcheck "):
            cmd = f"{sys.executable} -c 'from stmcheck.checker.cli import main; main()'" + cmd[len("stmcheck"):]
        r = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (cmd, r.stdout[-3000:], r.stderr[-3000:])
    pytest_xml = ET.parse(tmp_path / "reports" / "pytest.xml").getroot()
    assert pytest_xml.find(".//testsuite").get("tests") == "3"
    explore_xml = ET.parse(tmp_path / "reports" / "explore.xml").getroot()
    assert explore_xml.get("failures") == "0" and explore_xml.get("tests") == "4"
