"""Small things users stumbled on: help text, suggestions, JSON keys, wording.

Each is a sentence a user read and misread (or could not read at all): an
option without help, a model list that forgot two models, 36 names dumped for
one typo, a key called `impl` here and `implementation` there, "1 retries", a
transaction id lower-cased, "read 3" where 3 is a key, a bank state missing
the accounts that hold nothing.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from stmcheck.checker.cli.check import check
from stmcheck.checker.cli.explore import explore
from stmcheck.implementations.registry import DESIGNS
from stmcheck.models.specs import SPECS

HAVE_CC = any(shutil.which(cc) for cc in (os.environ.get("CC") or "cc", "gcc", "clang"))


def run(*args):
    result = CliRunner().invoke(main, list(args), prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _param(command, name):
    return next(p for p in command.params if p.name == name)


def test_budget_options_have_help():
    for name in ("max_executions", "time_limit"):
        assert (_param(explore, name).help or "").strip(), name
    text = run("explore", "--help").stdout
    for option in ("--max-executions", "--time-limit"):
        block = text.split(option, 1)[1].split("\n  -", 1)[0]
        assert len(block.split()) > 4, block


def test_check_help_lists_every_model_of_the_registry():
    text = _param(check, "model").help
    for name in SPECS:
        assert name in text, name
    assert "list" in SPECS and "dict" in SPECS


def test_a_misspelt_design_gets_the_closest_names_not_all_of_them():
    result = run("explore", "tl3")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("stmcheck: error: unknown design 'tl3'")
    assert "tl2" in line and "stmcheck list designs" in line
    assert sum(name in line.split() or f"{name}," in line for name in DESIGNS) <= 5, line
    for args in (["replay", "norecc", "--schedule", "1"], ["matrix", "--designs", "tl2,lazyy"],
                 ["conform", "native-tl2", "tl22"]):
        result = run(*args)
        assert result.exit_code == 2 and "did you mean" in result.stderr and "stmcheck list designs" in result.stderr


def test_a_name_nothing_is_close_to_points_to_the_list():
    line = run("explore", "zzzzzz").stderr.strip()
    assert "stmcheck list designs" in line and "global-lock" not in line


@pytest.mark.skipif(not HAVE_CC, reason="no C compiler: native designs cannot be built here")
def test_conform_json():
    result = run("conform", "native-tl2", "tl2", "--executions", "2", "--threads", "2", "--txns", "1", "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["conforms"] is True and doc["divergence"] is None
    assert doc["implementation"] == "native-tl2" and doc["model"] == "tl2" and doc["executions"] == 2
    result = run("conform", "native-tl2", "norec", "--executions", "3", "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["conforms"] is False
    d = doc["divergence"]
    assert {"execution", "seed", "why", "schedule", "index", "model", "native", "replay"} <= set(d)
    assert d["model"]["events"] and "outcome" in d["native"]


@pytest.mark.skipif(not HAVE_CC, reason="no C compiler: native designs cannot be built here")
def test_stress_json_has_the_common_implementation_key():
    doc = json.loads(run("stress", "native-tl2", "--threads", "2", "--seconds", "0.5", "--json").stdout)
    assert doc["implementation"] == "native-tl2" and doc["impl"] == "native-tl2"
    assert "implementation" in _param(__import__("stmcheck.checker.cli.stress", fromlist=["stress"]).stress,
                                      "as_json").help


def test_every_command_json_names_the_implementation():
    doc = json.loads(run("explore", "tl2", "--json", "--max-executions", "5").stdout)
    assert doc["implementation"] == "tl2"
    doc = json.loads(run("replay", "tl2", "--schedule", "1", "--json").stdout)
    assert doc["implementation"] == "tl2"


REAL_TIME_INFERRED = {"format": "stmcheck.history/1", "initial": {"x": 0, "y": 0}, "events": [
    {"thread": 2, "txn": "T2.1", "op": "begin"}, {"thread": 3, "txn": "T3.1", "op": "begin"},
    {"thread": 2, "txn": "T2.1", "op": "write", "key": "y", "value": 0},
    {"thread": 3, "txn": "T3.1", "op": "write", "key": "x", "value": 2},
    {"thread": 2, "txn": "T2.1", "op": "commit"}, {"thread": 1, "txn": "T1.1", "op": "begin"},
    {"thread": 3, "txn": "T3.1", "op": "read", "key": "y", "value": 0},
    {"thread": 1, "txn": "T1.1", "op": "write", "key": "y", "value": 1},
    {"thread": 1, "txn": "T1.1", "op": "read", "key": "x", "value": 0},
    {"thread": 3, "txn": "T3.1", "op": "write", "key": "y", "value": 1},
    {"thread": 3, "txn": "T3.1", "op": "commit"}, {"thread": 1, "txn": "T1.1", "op": "commit"}]}


def test_a_transaction_id_keeps_its_case_in_an_explanation(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps(REAL_TIME_INFERRED))
    doc = json.loads(run("check", str(path), "-c", "strict-serializability", "--json").stdout)
    text = doc["results"][0]["explanation"]
    assert "with real time, T1.1 read" in text, text


def test_stress_report_says_key_where_it_means_a_key():
    from stmcheck.checker.native.stress import Summary
    from stmcheck.checker.report.stress import summary_lines
    s = Summary()
    s.rounds, s.commits, s.verdict = 1, 10, "violated"
    cycle = [{"from": "T0.15", "to": "T1.4", "kind": "rw", "key": 3},
             {"from": "T1.4", "to": "T0.15", "kind": "wr", "key": 1}]
    s.problem = {"round": 0, "results": [
        {"criterion": "opacity", "holds": False, "anomaly": "G-single", "cycle": cycle,
         "explanation": "T0.15 read 3 before T1.4 overwrote it; T0.15 read 1 as written by T1.4. Around this "
                        "cycle each transaction must come before the next, so no order can place them all."}],
        "cycle": "T0.15 -rw(3)-> T1.4 -wr(1)-> T0.15"}
    text = "\n".join(summary_lines("native-x", "", s, None))
    assert "T0.15 read key 3 before T1.4 overwrote it" in text
    assert "T0.15 read key 1 as written by T1.4" in text
    assert "read 3" not in text


def test_check_events_say_key_and_value(tmp_path):
    doc = {"format": "stmcheck.history/1", "initial": {"3": 0}, "events": [
        {"thread": 0, "txn": "T0.15", "op": "begin"},
        {"thread": 0, "txn": "T0.15", "op": "read", "key": 3, "value": 7},
        {"thread": 0, "txn": "T0.15", "op": "commit"}]}
    path = tmp_path / "h.json"
    path.write_text(json.dumps(doc))
    out = run("check", str(path)).stdout
    assert "T0.15 (thread 0) read key 3 = 7" in out


def test_bank_state_shows_every_account_zero_ones_too():
    bank = SPECS["bank"]
    state = bank.init({"a": 1, "b": 0, "c": 2})
    assert bank.state_json(state) == {"a": 1, "b": 0, "c": 2}
    _, state = bank.step(state, "transfer", ["a", "b", 1])
    assert bank.state_json(state) == {"a": 0, "b": 1, "c": 2}
    out = run("explore", "tl2-no-read-validation", "--object", "bank", "--max-executions", "1000").stdout
    assert 'the state is {"a0": 0, "a1": 2}' in out, out
