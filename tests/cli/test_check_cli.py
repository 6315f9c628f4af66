"""`stmcheck check`: exit codes, the one-line error on bad input, and the `--json` shape.

Most tests run the command in-process with click's CliRunner; a few run it as
a real process (`sys.executable`, so any venv works) to see the true stderr
and exit status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest
from click.testing import CliRunner

import oracle
from dsl import H
from stmcheck.checker.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRITE_SKEW = os.path.join(REPO, "examples", "write-skew.json")
DEFAULT = {"serializability", "strict-serializability", "opacity"}
ALL = ["serializability", "session-serializability", "strict-serializability", "opacity"]

SPEC_EXAMPLE = H("1:T1 b", "1:T1 r x 0", "2:T2 b", "1:T1 w x 1", "1:T1 c", "2:T2 r x 1", "2:T2 a",
                 initial={"x": 0, "y": 0})
# Needs the exact search: T7 read x=1 from T3, so T6's blind write of x goes before T3 or
# after T7, and nothing in the history says which.
NEEDS_Z3 = H("3:3 b", "2:6 b", "1:7 b", "3:3 w x 1", "3:3 c", "1:7 r x 1", "2:6 w x 0", "2:6 c",
             "1:7 c")
STALE = H("1:T1 b", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 r x 0", "2:T2 c", initial={"x": 0})


def put(tmp_path, doc, name="h.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1 mixes the streams unless told
    except TypeError:
        return CliRunner()  # click >= 8.2 always keeps stderr apart


def run(*args):
    result = _runner().invoke(main, ["check", *args], prog_name="stmcheck")
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"the command raised {result.exception!r}")
    return result


def run_json(*args):
    result = run(*args, "--json")
    return result, json.loads(result.stdout)


def check_shape(doc, history_doc, criteria):
    """The --json object of the spec, with every witness checked by the oracle."""
    assert set(doc) == {"history", "results"}
    parsed = oracle.parse(history_doc)
    counts = {"transactions": len(parsed.txns),
              "committed": sum(t.status == "committed" for t in parsed.txns),
              "aborted": sum(t.status == "aborted" for t in parsed.txns),
              "live": sum(t.status == "live" for t in parsed.txns)}
    assert doc["history"] == counts
    assert sorted(r["criterion"] for r in doc["results"]) == sorted(criteria)
    for r in doc["results"]:
        assert r["holds"] in (True, False, None)
        if r["holds"] is True:
            assert isinstance(r["order"], list)
            assert oracle.check_witness(history_doc, r["criterion"], r["order"]) is None
            assert "anomaly" not in r and "cycle" not in r
        elif r["holds"] is False:
            assert isinstance(r["anomaly"], str) and r["anomaly"]
            assert isinstance(r["explanation"], str) and r["explanation"]
            assert "order" not in r
            for e in r.get("cycle", []):
                assert set(e) <= {"from", "to", "kind", "key"}
                assert e["kind"] in ("ww", "wr", "rw", "rt", "po")
                if e["kind"] in ("ww", "wr", "rw"):
                    assert isinstance(e["key"], str)
        else:
            assert "order" not in r and "cycle" not in r
            assert isinstance(r.get("explanation"), str)


# --- exit 0 and 1 -----------------------------------------------------------------------

def test_exit_0_all_hold(tmp_path):
    path = put(tmp_path, SPEC_EXAMPLE)
    result, doc = run_json(path)
    assert result.exit_code == 0
    assert result.stderr == ""
    check_shape(doc, SPEC_EXAMPLE, DEFAULT)
    by = {r["criterion"]: r for r in doc["results"]}
    assert by["serializability"]["order"] == ["T1"]
    assert by["opacity"]["order"] == ["T1", "T2"]  # the aborted reader saw T1's commit


def test_exit_1_write_skew_example(tmp_path):
    result, doc = run_json(WRITE_SKEW)
    assert result.exit_code == 1
    with open(WRITE_SKEW) as f:
        history_doc = json.load(f)
    check_shape(doc, history_doc, DEFAULT)
    for r in doc["results"]:
        assert r["holds"] is False and r["anomaly"] == "G2-item"
        assert {(e["from"], e["to"], e["kind"], e["key"]) for e in r["cycle"]} == {
            ("T1", "T2", "rw", "y"), ("T2", "T1", "rw", "x")}


def test_human_output_draws_the_cycle():
    result = run(WRITE_SKEW)
    assert result.exit_code == 1
    out = result.stdout
    assert "G2-item" in out
    assert "T1 -rw(y)-> T2 -rw(x)-> T1" in out or "T2 -rw(x)-> T1 -rw(y)-> T2" in out
    for c in DEFAULT:
        assert c in out


def test_human_output_when_all_hold(tmp_path):
    result = run(put(tmp_path, SPEC_EXAMPLE))
    assert result.exit_code == 0
    for c in DEFAULT:
        assert c in result.stdout
    assert "session-serializability" not in result.stdout


def test_exit_1_when_one_of_several_is_violated(tmp_path):
    path = put(tmp_path, STALE)
    result, doc = run_json(path, "-c", "serializability", "--criterion", "strict-serializability")
    assert result.exit_code == 1
    check_shape(doc, STALE, ["serializability", "strict-serializability"])
    by = {r["criterion"]: r for r in doc["results"]}
    assert by["serializability"]["holds"] is True and by["serializability"]["order"] == ["T2", "T1"]
    strict = by["strict-serializability"]
    assert strict["holds"] is False and strict["anomaly"] == "real-time"
    assert {(e["from"], e["to"], e["kind"]) for e in strict["cycle"]} == {("T1", "T2", "rt"),
                                                                          ("T2", "T1", "rw")}


@pytest.mark.parametrize("criterion,code", [("serializability", 0), ("session-serializability", 0),
                                            ("strict-serializability", 1), ("opacity", 1)])
def test_each_criterion_alone(tmp_path, criterion, code):
    result, doc = run_json(put(tmp_path, STALE), "--criterion", criterion)
    assert result.exit_code == code
    check_shape(doc, STALE, [criterion])


def test_jsonl_input(tmp_path):
    path = tmp_path / "h.jsonl"
    head = {k: v for k, v in STALE.items() if k != "events"}
    path.write_text("\n".join([json.dumps(head)] + [json.dumps(e) for e in STALE["events"]]) + "\n")
    result, doc = run_json(str(path), "-c", "strict-serializability")
    assert result.exit_code == 1
    check_shape(doc, STALE, ["strict-serializability"])


def test_generous_timeout_gives_the_exact_answer(tmp_path):
    result, doc = run_json(put(tmp_path, NEEDS_Z3), "--timeout", "60", "-c", "serializability",
                           "-c", "session-serializability", "-c", "strict-serializability",
                           "-c", "opacity")
    assert result.exit_code == 0
    check_shape(doc, NEEDS_Z3, ALL)


# --- exit 3: inconclusive ----------------------------------------------------------------

@pytest.fixture
def clock_runs_out(monkeypatch):
    """Every reading of the checker's clock is an hour after the previous one, so any
    budget is spent before the exact search starts, however fast the machine. The clock
    is replaced in every checker module that reads it (`time.monotonic` or `monotonic`)."""
    import time as real_time

    import stmcheck.checker.history.criteria  # noqa: F401  (loaded, so that it is patched)
    now = [0.0]

    def monotonic():
        now[0] += 3600.0
        return now[0]

    fake = types.SimpleNamespace(**{name: getattr(real_time, name) for name in dir(real_time)
                                    if not name.startswith("__")})
    fake.monotonic = monotonic
    patched = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("stmcheck.checker") or module is None:
            continue
        if getattr(module, "time", None) is real_time:
            monkeypatch.setattr(module, "time", fake)
            patched += 1
        if getattr(module, "monotonic", None) is real_time.monotonic:
            monkeypatch.setattr(module, "monotonic", monotonic)
            patched += 1
    assert patched, "no checker module reads the clock any more: update this fixture"


def test_exit_3_when_the_budget_runs_out(tmp_path, clock_runs_out):
    path = put(tmp_path, NEEDS_Z3)
    result, doc = run_json(path, "--timeout", "5", "-c", "serializability")
    assert result.exit_code == 3
    check_shape(doc, NEEDS_Z3, ["serializability"])
    (r,) = doc["results"]
    assert r["holds"] is None and "order" not in r and r["explanation"]


def test_exit_3_in_human_output(tmp_path, clock_runs_out):
    result = run(put(tmp_path, NEEDS_Z3), "--timeout", "5", "-c", "opacity")
    assert result.exit_code == 3
    assert "opacity" in result.stdout
    assert result.stderr == ""


def test_no_timeout_means_no_budget(tmp_path, clock_runs_out):
    """Without --timeout the clock does not matter: the answer is exact."""
    result, doc = run_json(put(tmp_path, NEEDS_Z3), "-c", "serializability")
    assert result.exit_code == 0
    assert doc["results"][0]["holds"] is True


def test_violation_wins_over_inconclusive(tmp_path, clock_runs_out):
    """A history where one criterion fails without search and another needs it: exit 1."""
    doc = H("3:3 b", "2:6 b", "1:7 b", "3:3 w x 1", "3:3 c", "1:7 r x 1", "2:6 w x 0", "2:6 c",
            "1:7 c", "4:8 b", "4:8 w y 1", "4:8 c", "5:9 b", "5:9 r y 0", "5:9 c", initial={"y": 0})
    assert oracle.decide(doc, "serializability")[0] is True
    assert oracle.decide(doc, "strict-serializability")[0] is False
    result, out = run_json(put(tmp_path, doc), "--timeout", "5", "-c", "serializability",
                           "-c", "strict-serializability")
    by = {r["criterion"]: r["holds"] for r in out["results"]}
    assert by["strict-serializability"] is False
    assert by["serializability"] in (True, None)  # True only if decided without the search
    assert result.exit_code == 1


# --- exit 2: bad input and usage errors --------------------------------------------------

def assert_one_line_error(result, path=None):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    err = result.stderr
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("stmcheck: error:"), err
    assert "Traceback" not in err
    if path is not None:
        assert path in lines[0]
    assert result.stdout == ""
    return lines[0]


BAD_INPUTS = [
    ("not-json", b"this is not json", []),
    ("empty", b"", ["empty"]),
    ("binary-junk", bytes(range(256)), ["UTF-8"]),
    ("non-utf8", '{"format": "stmcheck.history/1", "initial": {"x": "é"}, "events": []}'.encode("latin-1"),
     ["UTF-8"]),
    ("wrong-format", json.dumps({"format": "stmcheck.history/0", "events": []}).encode(), ["format"]),
    ("wrong-shape", b"[]", ["object"]),
    ("events-not-list", json.dumps({"format": "stmcheck.history/1", "events": 3}).encode(), ["events"]),
    ("event-not-object", json.dumps({"format": "stmcheck.history/1", "events": [
        {"thread": 1, "txn": 1, "op": "begin"}, "read"]}).encode(), ["event 1"]),
    ("bad-value-type", json.dumps(H("1:1 b", "1:1 w x [1]")).encode(), ["event 1", "value"]),
    ("read-before-begin", json.dumps(H("1:T1 r x 0")).encode(), ["event 0", "T1"]),
    ("event-after-commit", json.dumps(H("1:T1 b", "1:T1 c", "1:T1 w x 1")).encode(), ["event 2", "T1"]),
    ("overlap-on-thread", json.dumps(H("1:T1 b", "1:T1 r x 0", "1:T2 b")).encode(), ["event 2", "T2"]),
    ("begin-with-key", json.dumps({"format": "stmcheck.history/1", "events": [
        {"thread": 1, "txn": 1, "op": "begin", "key": "x"}]}).encode(), ["event 0"]),
    ("bad-versions", json.dumps(H("1:T1 b", "1:T1 w x 1", "1:T1 c", versions={"x": [2]})).encode(),
     ["versions"]),
]


@pytest.mark.parametrize("json_flag", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("name,data,words", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_exit_2(tmp_path, name, data, words, json_flag):
    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    result = run(str(path), *(["--json"] if json_flag else []))
    line = assert_one_line_error(result, str(path))
    for word in words:
        assert word.lower() in line.lower(), line


def test_bad_jsonl_line_exit_2(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"format": "stmcheck.history/1"}) + "\n"
                    + json.dumps({"thread": 1, "txn": 1, "op": "begin"}) + "\n"
                    + json.dumps({"thread": 1, "txn": 1, "op": "commit"}) + "\n"
                    + json.dumps({"thread": 1, "txn": 1, "op": "read", "key": "x", "value": 0}) + "\n")
    line = assert_one_line_error(run(str(path)), str(path))
    assert "event 2" in line and "line 4" in line


def test_missing_file_exit_2(tmp_path):
    path = str(tmp_path / "missing.json")
    line = assert_one_line_error(run(path), path)
    assert "no such file" in line.lower()


def test_directory_exit_2(tmp_path):
    line = assert_one_line_error(run(str(tmp_path)), str(tmp_path))
    assert "directory" in line


@pytest.mark.parametrize("args", [
    ["--criterion", "linearisability-typo"],
    ["--timeout", "0"],
    ["--timeout", "-1"],
    ["--timeout", "soon"],
    ["--no-such-option"],
], ids=["unknown-criterion", "zero-timeout", "negative-timeout", "timeout-not-number", "unknown-option"])
def test_usage_errors_exit_2(args):
    result = run(WRITE_SKEW, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert result.stdout == ""


def test_missing_history_argument_exit_2():
    result = run()
    assert result.exit_code == 2 and "Traceback" not in result.stderr


# --- as a real process ---------------------------------------------------------------------

def run_process(*args):
    code = "import sys; from stmcheck.checker.cli import main; main(prog_name='stmcheck')"
    return subprocess.run([sys.executable, "-c", code, "check", *args], capture_output=True,
                          text=True, timeout=120)


def test_process_exit_codes_and_streams(tmp_path):
    good = put(tmp_path, SPEC_EXAMPLE, "good.json")
    p = run_process(good, "--json")
    assert p.returncode == 0 and p.stderr == ""
    check_shape(json.loads(p.stdout), SPEC_EXAMPLE, DEFAULT)

    p = run_process(WRITE_SKEW)
    assert p.returncode == 1 and "G2-item" in p.stdout

    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    p = run_process(str(junk), "--json")
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stmcheck: error:") and str(junk) in lines[0]

    broken = put(tmp_path, H("1:T1 b", "1:T1 w x 1", "1:T1 c", "1:T1 a"), "broken.json")
    p = run_process(broken)
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stmcheck: error:")
    assert broken in lines[0] and "event 3" in lines[0] and "Traceback" not in p.stderr
