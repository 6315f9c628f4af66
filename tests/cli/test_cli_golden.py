"""A fixed list of CLI commands prints exactly the output stored in tests/cli/golden/.

Why: the command line is a contract users script against (reports diffed in CI,
replay commands pasted into bug reports). Restructuring the code must not change
a byte of it; when a change means to, regenerate the files and review the diff:

    STMCHECK_REGOLDEN=1 python -m pytest tests/cli/test_cli_golden.py

Commands run in-process through the installed `stmcheck` entry point. `elapsed`
(the one field that varies between runs) is dropped from JSON output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from importlib.metadata import entry_points

import pytest
from click.testing import CliRunner

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
ROOT = os.path.dirname(os.path.dirname(HERE))
REGOLDEN = os.environ.get("STMCHECK_REGOLDEN") == "1"
HAVE_CC = any(shutil.which(cc) for cc in (os.environ.get("CC") or "cc", "gcc", "clang"))

# Every shipped design as of this list (not read from the registry: a design
# added later gets its own line here, with its golden file).
DESIGNS = [
    "global-lock", "locks-naive", "tl2", "tl2-no-read-validation", "norec", "eager-aggressive", "locks-ordered",
    "lazy", "lazy-incremental", "gencounter", "tl2-no-commit-validation", "lazy-unlocked-commit",
    "locks-early-release", "gencounter-racy", "tl2-readonly-unchecked", "norec-no-revalidation",
    "tl2-borrowed-clock", "eager", "eager+aggressive", "eager+passive", "eager+polite", "eager+karma",
    "eager+polka", "eager+timestamp", "eager-no-undo", "dstm", "dstm+aggressive", "dstm+passive",
    "dstm+timestamp", "dstm+polite", "dstm+karma", "dstm+polka", "tl2-quiescent", "dstm-no-loser-wait",
    "native-tl2", "native-norec", "native-tl2-no-read-validation", "native-tl2-no-commit-validation",
    "eager+any", "dstm+any",
]

QUEUE_OK = {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
    {"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 4, "result": None},
    {"client": 1, "op": "dequeue", "args": [], "call": 2, "return": 7, "result": 1},
    {"client": 2, "op": "dequeue", "args": [], "call": 3, "return": None, "result": None}]}
QUEUE_BAD = {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
    {"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 1, "result": None},
    {"client": 0, "op": "enqueue", "args": [2], "call": 2, "return": 3, "result": None},
    {"client": 1, "op": "dequeue", "args": [], "call": 4, "return": 5, "result": 2}]}

COMMANDS = {
    **{f"explore-{d}": ["explore", d, "--threads", "2", "--max-executions", "1000"] for d in DESIGNS},
    "explore-json-tl2-no-read-validation": ["explore", "tl2-no-read-validation", "--json"],
    "explore-object-bank": ["explore", "tl2-no-read-validation", "--object", "bank", "--max-executions", "1000"],
    "replay-locks-naive-swap": ["replay", "locks-naive", "--workload", "swap", "--threads", "2", "--txns", "1",
                                "--schedule", "1*6,2"],
    "replay-json-tl2": ["replay", "tl2-no-read-validation", "--schedule", "2*5,1", "--json"],
    "check-write-skew": ["check", "write-skew.json"],
    "check-json-write-skew": ["check", "write-skew.json", "--json"],
    "check-lin-ok": ["check", "queue-ok.json", "-c", "linearizability"],
    "check-lin-bad": ["check", "queue-bad.json", "-c", "linearizability"],
    "check-lin-json-bad": ["check", "queue-bad.json", "-c", "linearizability", "--json"],
    "list": ["list"],
    "list-json": ["list", "--json"],
    "matrix-tl2-transfer": ["matrix", "--designs", "tl2,locks-naive", "--workloads", "transfer", "--threads", "2",
                            "--no-write"],
}


def _main():
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "stmcheck"]
    return ep.load()


def _scrub(text: str) -> str:
    """Drop what varies between runs of the same command: elapsed seconds in JSON."""
    text = re.sub(r'\n\s*"elapsed": [0-9.e-]+,?', "", text)
    return text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with the input files under short relative names (paths appear in reports)."""
    d = tmp_path_factory.mktemp("golden")
    (d / "queue-ok.json").write_text(json.dumps(QUEUE_OK))
    (d / "queue-bad.json").write_text(json.dumps(QUEUE_BAD))
    shutil.copy(os.path.join(ROOT, "examples", "write-skew.json"), d / "write-skew.json")
    return d


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_output_is_unchanged(name, workdir, monkeypatch):
    if name.startswith("explore-native") and not HAVE_CC:
        pytest.skip("no C compiler: native designs cannot be built here")
    monkeypatch.chdir(workdir)
    result = CliRunner(env={"COLUMNS": "100"}).invoke(_main(), COMMANDS[name], catch_exceptions=False)
    got = f"$ stmcheck {' '.join(COMMANDS[name])}\nexit {result.exit_code}\n" + _scrub(result.output)
    path = os.path.join(GOLDEN, name + ".txt")
    if REGOLDEN:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
    with open(path, encoding="utf-8") as f:
        want = f.read()
    assert got == want
