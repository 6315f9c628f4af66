"""`stmcheck check FILE FILE ...`: several files in one process.

What is pinned here: one file prints exactly what it printed before several
were allowed (the golden outputs); several files print each file's report in
turn, unchanged, then a summary; a bad file is one line on stderr and does not
stop the others; `--json` is one object in which files can be told apart; the
exit status is the worst file's, ranked 2 (bad) > 1 (violated) > 3
(inconclusive) > 0 (holds).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dsl import H
from stmcheck.checker.cli import main
from stmcheck.checker.cli.check import SEVERITY, worst
from stmcheck.checker.linearizability import search as lin
from stmcheck.models.opformats import parse_ophistory

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(HERE, "golden")
WRITE_SKEW = os.path.join(REPO, "examples", "write-skew.json")
DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "porcupine"))
EXPECTED = os.path.join(DATA, "expected.json")

HOLDS = H("1:T1 b", "1:T1 r x 0", "2:T2 b", "1:T1 w x 1", "1:T1 c", "2:T2 r x 1", "2:T2 a",
          initial={"x": 0, "y": 0})
STALE = H("1:T1 b", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 r x 0", "2:T2 c", initial={"x": 0})

# Operation histories: one per outcome. SLOW is 40 concurrent increments and a
# read no order explains: the search cannot finish, so any budget runs out.
QUEUE_OK = {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
    {"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 4, "result": None},
    {"client": 1, "op": "dequeue", "args": [], "call": 2, "return": 7, "result": 1}]}
REGISTER_BAD = {"format": "stmcheck.ophistory/1", "model": "register", "initial": 0, "operations": [
    {"client": 0, "op": "write", "args": [1], "call": 0, "return": 1, "result": None},
    {"client": 1, "op": "read", "args": [], "call": 2, "return": 3, "result": 0}]}
SLOW = {"format": "stmcheck.ophistory/1", "model": "counter", "operations": [
    *({"client": c, "op": "add", "args": [1], "call": 0, "return": 100, "result": None} for c in range(40)),
    {"client": 99, "op": "get", "args": [], "call": 101, "return": 102, "result": -1}]}
BUDGET = "0.3"  # seconds: SLOW always runs out, the small ones never come near it

LIN_FILES = {"ok": (QUEUE_OK, 0), "violated": (REGISTER_BAD, 1), "slow": (SLOW, 3), "missing": (None, 2)}


def _runner(**kw) -> CliRunner:
    try:
        return CliRunner(mix_stderr=False, **kw)  # click 8.1 mixes the streams unless told
    except TypeError:
        return CliRunner(**kw)  # click >= 8.2 always keeps stderr apart


def run(*args):
    result = _runner(env={"COLUMNS": "100"}).invoke(main, ["check", *args], prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"the command raised {result.exception!r}")
    return result


def put(directory, name, doc) -> str:
    path = directory / name
    if doc is not None:
        path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


@pytest.fixture
def lin_files(tmp_path):
    """One operation history per outcome, named after it, and the search warmed up
    (a first use may build the C core: that must not eat a file's budget)."""
    doc = json.dumps(QUEUE_OK)
    lin.check_linearizability(parse_ophistory(doc, "warm.json"))
    return {name: put(tmp_path, f"{name}.json", doc) for name, (doc, _) in LIN_FILES.items()}


def summary_line(files, hold, violated, inconclusive, bad, code):
    return (f"{files} file{'s' if files != 1 else ''}: {hold} hold, {violated} violated, "
            f"{inconclusive} inconclusive, {bad} bad input; exit {code}")


# --- one file: exactly the old output ----------------------------------------------------

def _golden(name):
    with open(os.path.join(GOLDEN, name + ".txt"), encoding="utf-8") as f:
        command, code, output = f.read().split("\n", 2)
    return command.split()[3:], int(code.split()[1]), output  # "$ stmcheck check ARGS..."


def _scrub(text: str) -> str:
    return re.sub(r'\n\s*"elapsed": [0-9.e-]+,?', "", text)


GOLDEN_CHECKS = ["check-write-skew", "check-json-write-skew", "check-lin-ok", "check-lin-bad",
                 "check-lin-json-bad"]


@pytest.fixture
def golden_dir(tmp_path, monkeypatch):
    """The golden inputs under the short names the golden outputs show."""
    from test_cli_golden import QUEUE_BAD, QUEUE_OK as GOLDEN_QUEUE_OK
    put(tmp_path, "queue-ok.json", GOLDEN_QUEUE_OK)
    put(tmp_path, "queue-bad.json", QUEUE_BAD)
    shutil.copy(WRITE_SKEW, tmp_path / "write-skew.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", GOLDEN_CHECKS)
def test_one_file_prints_the_golden_output(name, golden_dir):
    args, code, want = _golden(name)
    result = run(*args)
    assert (result.exit_code, _scrub(result.stdout)) == (code, want)
    assert result.stderr == ""


@pytest.mark.parametrize("name", [n for n in GOLDEN_CHECKS if "json" not in n])
def test_several_files_print_each_report_unchanged(name, golden_dir):
    """Twice the same file: its one-file report twice, a blank line between, then the summary."""
    args, code, want = _golden(name)
    path = args[0]
    result = run(path, *args[1:], path)
    assert result.exit_code == code
    ok, violated = (2, 0) if code == 0 else (0, 2)
    assert result.stdout == f"{want}\n{want}\n{summary_line(2, ok, violated, 0, 0, code)}\n"


@pytest.mark.parametrize("name", [n for n in GOLDEN_CHECKS if "json" in n])
def test_several_files_json_holds_each_files_object(name, golden_dir):
    args, code, want = _golden(name)
    path = args[0]
    doc = json.loads(run(path, *args[1:], path).stdout)
    one = json.loads(want)
    for entry in doc["files"]:
        entry.pop("file"), entry.pop("exit")
        for r in entry["results"]:
            r.pop("elapsed", None)
        assert entry == one


# --- mixed verdicts and the exit ranking -----------------------------------------------

def test_mixed_verdicts_human(lin_files):
    order = ["violated", "ok", "missing", "slow"]
    result = run(*(lin_files[n] for n in order), "-c", "linearizability", "--timeout", BUDGET)
    assert result.exit_code == 2
    out = result.stdout
    starts = [out.index(f"{lin_files[n]}: ") for n in ("violated", "ok", "slow")]
    assert starts == sorted(starts), "reports are printed in the order the files were given"
    assert "✗ linearizability violated" in out and "✓ linearizability holds" in out
    assert "? linearizability inconclusive" in out
    assert out.endswith(summary_line(4, 1, 1, 1, 1, 2) + "\n")
    assert lin_files["missing"] + ": " not in out
    assert result.stderr == f"stmcheck: error: {lin_files['missing']}: no such file\n"


def test_mixed_verdicts_json(lin_files):
    order = ["ok", "slow", "violated", "missing"]
    result = run(*(lin_files[n] for n in order), "-c", "linearizability", "--timeout", BUDGET, "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["exit"] == 2
    assert [e["file"] for e in doc["files"]] == [lin_files[n] for n in order]
    assert [e["exit"] for e in doc["files"]] == [LIN_FILES[n][1] for n in order]
    assert [e["results"][0]["holds"] for e in doc["files"][:3]] == [True, None, False]
    assert doc["summary"] == {"files": 4, "hold": 1, "violated": 1, "inconclusive": 1, "bad": 1}


@pytest.mark.parametrize("names,code", [
    (["ok", "ok"], 0),
    (["ok", "slow"], 3),
    (["slow", "violated"], 1),
    (["violated", "slow"], 1),
    (["violated", "missing"], 2),
    (["missing", "violated"], 2),
    (["slow", "missing", "ok"], 2),
], ids=lambda v: "-".join(v) if isinstance(v, list) else str(v))
def test_exit_is_the_worst_file(lin_files, names, code):
    result = run(*(lin_files[n] for n in names), "-c", "linearizability", "--timeout", BUDGET)
    assert result.exit_code == code


def test_ranking_over_every_combination():
    """Bad input is never hidden by a violation, nor a violation by an inconclusive file."""
    assert SEVERITY == (0, 3, 1, 2)
    for n in range(1, 4):
        for codes in itertools.product((0, 1, 2, 3), repeat=n):
            want = 2 if 2 in codes else 1 if 1 in codes else 3 if 3 in codes else 0
            assert worst(codes) == want, codes
    assert worst([]) == 0


# --- a bad file among good ones ----------------------------------------------------------

def test_bad_file_does_not_stop_the_others(tmp_path):
    good = put(tmp_path, "good.json", HOLDS)
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    broken = put(tmp_path, "broken.json", H("1:T1 b", "1:T1 w x 1", "1:T1 c", "1:T1 a"))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    stale = put(tmp_path, "stale.json", STALE)
    result = run(good, str(junk), broken, str(deep), stale)
    assert result.exit_code == 2
    assert result.stdout.index(f"{good}: ") < result.stdout.index(f"{stale}: ")
    assert result.stdout.endswith(summary_line(5, 1, 1, 0, 3, 2) + "\n")
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and "Traceback" not in result.stderr
    for line, path in zip(lines, (str(junk), broken, str(deep))):
        assert line.startswith(f"stmcheck: error: {path}: "), line
    assert "event 3" in lines[1] and "nested too deeply" in lines[2]


def test_bad_file_in_json(tmp_path):
    good = put(tmp_path, "good.json", HOLDS)
    missing = str(tmp_path / "missing.json")
    result = run(missing, good, "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 2
    bad, ok = doc["files"]
    assert bad == {"file": missing, "exit": 2, "error": f"{missing}: no such file"}
    assert ok["file"] == good and ok["exit"] == 0
    assert result.stderr == f"stmcheck: error: {missing}: no such file\n"


def test_only_bad_files(tmp_path):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    result = run(a, b)
    assert result.exit_code == 2
    assert result.stdout == summary_line(2, 0, 0, 0, 2, 2) + "\n"
    assert len(result.stderr.splitlines()) == 2


def test_usage_errors_still_stop_at_once(tmp_path):
    good = put(tmp_path, "good.json", HOLDS)
    result = run(good, good, "--model", "register")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "stmcheck: error: --model applies only to --criterion linearizability\n"


# --- the --json shape ----------------------------------------------------------------------

def test_json_shape(tmp_path):
    paths = [put(tmp_path, "holds.json", HOLDS), WRITE_SKEW, str(tmp_path / "missing.json"),
             put(tmp_path, "stale.json", STALE)]
    result = run(*paths, "-c", "serializability", "-c", "strict-serializability", "--json")
    doc = json.loads(result.stdout)
    assert list(doc) == ["files", "summary", "exit"]
    assert doc["exit"] == result.exit_code == 2
    assert doc["summary"] == {"files": 4, "hold": 1, "violated": 2, "inconclusive": 0, "bad": 1}
    assert [e["file"] for e in doc["files"]] == paths
    assert [e["exit"] for e in doc["files"]] == [0, 1, 2, 1]
    for path, entry in zip(paths, doc["files"]):
        if entry["exit"] == 2:
            assert list(entry) == ["file", "exit", "error"]
            continue
        assert list(entry) == ["file", "exit", "history", "results"]
        alone = run(path, "-c", "serializability", "-c", "strict-serializability", "--json")
        assert {k: v for k, v in entry.items() if k not in ("file", "exit")} == json.loads(alone.stdout)
        assert entry["exit"] == alone.exit_code


def test_one_file_json_is_not_wrapped(tmp_path):
    doc = json.loads(run(put(tmp_path, "h.json", HOLDS), "--json").stdout)
    assert list(doc) == ["history", "results"]


# --- as a real process ------------------------------------------------------------------------

def run_process(*args):
    code = "import sys; from stmcheck.checker.cli import main; main(prog_name='stmcheck')"
    return subprocess.run([sys.executable, "-c", code, "check", *args], capture_output=True,
                          text=True, timeout=300)


def test_process_streams(tmp_path):
    good = put(tmp_path, "good.json", HOLDS)
    missing = str(tmp_path / "missing.json")
    p = run_process(good, missing, WRITE_SKEW)
    assert p.returncode == 2
    assert p.stderr == f"stmcheck: error: {missing}: no such file\n"
    assert good in p.stdout and WRITE_SKEW in p.stdout and "G2-item" in p.stdout
    assert p.stdout.rstrip("\n").endswith(summary_line(3, 1, 1, 0, 1, 2))


def _porcupine_expected() -> dict:
    if not os.path.exists(EXPECTED):
        return {}
    with open(EXPECTED) as handle:
        return json.load(handle)


PORCUPINE = ["etcd/etcd_000.log", "etcd/etcd_002.log", "etcd/etcd_005.log", "etcd/etcd_007.log",
             "etcd/etcd_040.log", "etcd/etcd_080.log"]


@pytest.mark.skipif(not _porcupine_expected(),
                    reason=f"Porcupine's test histories are not available here ({DATA} is absent)")
def test_porcupine_etcd_logs_in_one_process():
    """A handful of Porcupine's etcd logs in one command get Porcupine's verdicts."""
    want = _porcupine_expected()
    names = [n for n in PORCUPINE if n in want and os.path.exists(os.path.join(DATA, n))]
    if len(names) < 2:
        pytest.skip(f"fewer than two of {PORCUPINE} are in {DATA}")
    paths = [os.path.join(DATA, n) for n in names]
    p = run_process(*paths, "-c", "linearizability", "--model", "cas-register", "--json")
    doc = json.loads(p.stdout)
    assert p.stderr == ""
    assert [e["file"] for e in doc["files"]] == paths
    assert [e["results"][0]["holds"] for e in doc["files"]] == [want[n] for n in names]
    assert p.returncode == doc["exit"] == (0 if all(want[n] for n in names) else 1)
    p = run_process(*paths, "-c", "linearizability", "--model", "cas-register")
    holding = sum(want[n] for n in names)
    assert p.stdout.rstrip("\n").endswith(
        summary_line(len(names), holding, len(names) - holding, 0, 0, p.returncode))
