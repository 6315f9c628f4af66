"""The Python API (`import stmcheck`): its surface, its results, its errors.

The CLI is built on these calls (tests/cli/test_cli_golden.py holds its output
fixed); here the calls themselves are held to what their docstrings promise.
"""

from __future__ import annotations

import json
import os

import pytest

import stmcheck
from stmcheck.checker.explore.strategies.random_walk import RandomWalk
from user_designs import GLOBAL_LOCK

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRITE_SKEW = os.path.join(ROOT, "examples", "write-skew.json")



def test_the_surface_is_small_and_every_name_is_there():
    assert 15 <= len(stmcheck.__all__) <= 25
    for name in stmcheck.__all__:
        assert getattr(stmcheck, name) is not None, name
    assert {"explore", "replay", "check", "check_linearizability", "read_history", "Machine", "Abort",
            "wait_any", "Spec", "Workload", "DESIGNS", "load_design"} <= set(stmcheck.__all__)


def test_a_clean_exhausted_search_holds():
    r = stmcheck.explore("tl2", "transfer", threads=2)
    assert r.verdict == stmcheck.Verdict.HOLDS == "holds"
    assert r.exhausted and r.coverage == "exhausted" and r.violations == []
    assert r.executions > r.histories > 0 and r.steps > r.executions
    assert r.config.design == "tl2" and r.config.threads == 2 and r.strategy == "graph"
    assert r.states > 0 and r.transitions >= r.states - 1     # the default: the state graph, all of it


def test_a_bounded_search_is_unknown_and_says_which_bound():
    r = stmcheck.explore("tl2", "transfer", threads=2, max_executions=5)
    assert r.verdict == stmcheck.Verdict.UNKNOWN and not r.exhausted
    assert r.bounds == ["max-executions 5"] and r.coverage == "bounded: max-executions 5"


def test_a_violation_carries_its_schedule_history_explanation_and_replay():
    r = stmcheck.explore("tl2-no-read-validation")
    assert r.verdict == stmcheck.Verdict.VIOLATED
    (v,) = r.violations
    assert v.kind == stmcheck.Kind.OPACITY and v.explanation
    assert v.history["format"] == "stmcheck.history/1" and v.history["events"]
    assert v.replay.startswith("stmcheck replay tl2-no-read-validation --workload transfer")
    assert {x.criterion: x.holds for x in v.results} == {"serializability": True,
                                                          "strict-serializability": True, "opacity": False}
    again = stmcheck.replay("tl2-no-read-validation", v.schedule)
    assert again.violation.kind == v.kind and again.run.events == v.run.events
    from_text = stmcheck.replay("tl2-no-read-validation", v.replay.split("--schedule ")[1].strip("'"))
    assert from_text.run.events == v.run.events


def test_every_violation_when_asked():
    first = stmcheck.explore("tl2-no-read-validation", shrink=False)
    every = stmcheck.explore("tl2-no-read-validation", stop_at_first=False, shrink=False)
    assert len(first.violations) == 1 and len(every.violations) > 1
    assert every.exhausted and every.executions > first.executions
    assert all(v.kind == "opacity" for v in every.violations)


def test_a_design_as_a_class_or_as_its_file(tmp_path, monkeypatch):
    path = tmp_path / "mine.py"
    path.write_text(GLOBAL_LOCK)
    monkeypatch.chdir(tmp_path)
    by_name = stmcheck.explore("mine.py:GlobalLock", "swap", threads=3)
    cls, entry = stmcheck.load_design("mine.py:GlobalLock")
    by_class = stmcheck.explore(cls, "swap", threads=3)
    assert entry is None and by_class.config.design == "mine.py:GlobalLock"
    assert (by_name.verdict, by_name.executions, by_name.histories) == \
        (by_class.verdict, by_class.executions, by_class.histories) == ("holds", by_name.executions,
                                                                          by_name.histories)


def test_a_strategy_object_and_a_workload_object():
    wl = stmcheck.WORKLOADS["counter"](2, 1)
    r = stmcheck.explore("tl2", wl, strategy=RandomWalk(3), max_executions=20)
    assert r.strategy == "random" and r.strategy_desc == "random (seed 3)"
    assert r.config.workload == "counter" and r.executions == 20 and r.verdict == "unknown"


@pytest.mark.parametrize("call, message", [
    (lambda: stmcheck.explore("no-such-design"), "unknown design 'no-such-design'"),
    (lambda: stmcheck.explore("tl2", "no-such-workload"), "unknown workload 'no-such-workload'"),
    (lambda: stmcheck.explore("tl2", strategy="bfs"), "unknown strategy 'bfs'"),
    (lambda: stmcheck.explore("tl2", criterion="snapshot"), "unknown criterion 'snapshot'"),
    (lambda: stmcheck.explore("tl2", object="dict", keys=3), "--keys does not apply to --object"),
    (lambda: stmcheck.explore(42), "a design is a name, path/to/file.py:Class or a class"),
    (lambda: stmcheck.explore(dict), "the design lacks begin, read, write, commit, abort"),
    (lambda: stmcheck.replay("tl2", "1*x"), "schedule"),
    (lambda: stmcheck.check(42), "check() takes a History"),
    (lambda: stmcheck.check(WRITE_SKEW, ["opacity", "fast"]), "unknown criterion 'fast'"),
])
def test_bad_input_is_a_usage_error_with_one_line(call, message):
    with pytest.raises(stmcheck.UsageError) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


def test_check_takes_a_path_a_document_or_a_history():
    with open(WRITE_SKEW, encoding="utf-8") as f:
        doc = json.load(f)
    by_path = stmcheck.check(WRITE_SKEW)
    by_doc = stmcheck.check(doc)
    by_history = stmcheck.check(stmcheck.read_history(WRITE_SKEW))
    assert [r.to_json() for r in by_path] == [r.to_json() for r in by_doc] == [r.to_json() for r in by_history]
    assert [(r.criterion, r.holds, r.anomaly) for r in by_path] == [
        ("serializability", False, "G2-item"), ("strict-serializability", False, "G2-item"),
        ("opacity", False, "G2-item")]
    (one,) = stmcheck.check(WRITE_SKEW, "serializability")
    assert one.criterion == stmcheck.Criterion.SERIALIZABILITY and one.holds is False


def test_check_linearizability_reads_a_path_or_takes_a_history(tmp_path):
    ops = [{"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 1, "result": None},
           {"client": 1, "op": "dequeue", "args": [], "call": 2, "return": 3, "result": 2}]
    path = tmp_path / "queue.json"
    path.write_text(json.dumps({"format": "stmcheck.ophistory/1", "operations": ops}))
    bad = stmcheck.check_linearizability(str(path), model="queue")
    assert bad.holds is False and bad.unplaceable == 1 and bad.prefix == [0]
    ops[1]["result"] = 1
    path.write_text(json.dumps({"format": "stmcheck.ophistory/1", "model": "queue", "operations": ops}))
    good = stmcheck.check_linearizability(stmcheck.read_ophistory(str(path)))
    assert good.holds is True and good.order == [0, 1]


def test_the_facade_loads_as_a_lone_file():
    """pytest loads the checkout's __init__.py on its own (module "__init__", no package) when the
    folder's name is no identifier, as in `git clone ... stmcheck-main`: the facade must still
    import, so every test does not fail at collection."""
    import importlib.util
    import os
    import stmcheck
    path = os.path.join(os.path.dirname(stmcheck.__file__), "__init__.py")
    spec = importlib.util.spec_from_file_location("__init__", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.explore is stmcheck.explore and module.DESIGNS is stmcheck.DESIGNS
