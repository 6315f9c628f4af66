"""Transactional objects on STM designs: linearizable on correct designs, caught on broken ones.

2 threads, exhaustive DPOR. `tl2` on `dict` is explored with `retries=2`: without
a bound, the crossing updates (disjoint write sets, each reading the other's)
can abort each other forever (a suspected livelock, reported as such); with
the bound every execution completes, so safety is checked exhaustively.
"""

import json

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from stmcheck.checker import api
from stmcheck.checker.explore.objects import check_operations, operation_rows
from stmcheck.checker.linearizability.search import check_linearizability
from stmcheck.checker.explore.shrink import shrink
from stmcheck.checker.explore.strategies.replay import Replay, decode, encode
from stmcheck.models.workloads.objects import OBJECTS
from stmcheck.models.objects import TBank, TDict, TList, result_of
from stmcheck.models.opformats import parse_ophistory
from stmcheck.models.specs import FALSE, TRUE, get_spec


def explore(design, obj, threads=2, txns=1, retries=None, **kw):
    setup = api.prepare(design, threads=threads, txns=txns, retries=retries, object=obj)
    ex = api.make_explorer(setup, "dpor", max_executions=5000, time_limit=30, **kw)
    return ex, ex.explore()


def cli(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("obj", sorted(OBJECTS))
@pytest.mark.parametrize("design", ["global-lock", "tl2"])
def test_objects_on_correct_designs_are_linearizable_exhaustively(design, obj):
    retries = 2 if (design, obj) == ("tl2", "dict") else None
    ex, out = explore(design, obj, retries=retries)
    assert not out.violations, [(v.kind, v.explanation) for v in out.violations]
    assert out.exhausted and not out.bounds
    assert out.histories >= 1 and not ex.undecided


def test_locks_naive_dict_update_deadlocks_as_in_the_post():
    _, out = explore("locks-naive", "dict")
    v = out.violations[0]
    assert v.kind == "deadlock"
    assert sorted(v.detail["cycle"]) == [1, 2]
    held = {w["thread"]: w["holds"] for w in v.detail["waits"]}
    assert any(k.startswith("lock(d2.") for k in held[1]) and any(k.startswith("lock(d1.") for k in held[2])


def test_broken_design_gives_a_linearizability_violation_with_both_views():
    ex, out = explore("tl2-no-read-validation", "bank")
    v = shrink(ex, out.violations[0])
    assert v.kind == "linearizability"
    # the transaction view: the committed total read a torn state
    verdicts = {r.criterion: r.holds for r in v.results}
    assert verdicts["serializability"] is False and verdicts["opacity"] is False
    # the operation view: an ophistory the checker alone also rejects
    ov = v.detail["operations"]
    assert ov.result.holds is False and ov.result.unplaceable is not None
    doc = ov.doc
    assert doc["format"] == "stmcheck.ophistory/1" and doc["model"] == "bank"
    again = parse_ophistory(json.dumps(doc), "ops.json")
    assert check_linearizability(again).holds is False
    totals = [o for o in doc["operations"] if o["op"] == "total" and o["client"] != "observer"]
    assert totals and totals[0]["result"] != 2
    # replay of the shrunk schedule reproduces the same execution and verdict
    run = ex.new_run().execute(Replay(decode(encode(v.schedule)), strict=True))
    assert run.events == v.run.events
    assert ex.judge(run).kind == "linearizability"


def test_cli_reports_both_views_and_the_replay_reproduces_it():
    r = cli("explore", "tl2-no-read-validation", "--object", "bank", "--quiet")
    assert r.exit_code == 1, r.output
    out = r.output
    assert "VIOLATION: LINEARIZABILITY" in out and "criteria: serializability VIOLATED" in out
    assert "timeline (schedule" in out and "operation history (bank spec" in out
    assert "CANNOT BE PLACED" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("replay: "))
    cmd = line[len("replay: "):].split()
    assert cmd[:2] == ["stmcheck", "replay"] and "--object" in cmd
    args = [a.strip("'") for a in cmd[2:]]
    rr = cli("replay", *args)
    assert rr.exit_code == 1 and "VIOLATION: LINEARIZABILITY" in rr.output
    rj = cli("replay", *args, "--json")
    doc = json.loads(rj.output)
    assert doc["object"] == "bank" and doc["violations"][0]["kind"] == "linearizability"
    assert doc["violations"][0]["linearizability"]["holds"] is False
    assert doc["violations"][0]["operation_history"]["model"] == "bank"


def test_cli_json_and_usage_errors():
    r = cli("explore", "locks-naive", "--object", "dict", "--json")
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["object"] == "dict" and doc["violations"][0]["kind"] == "deadlock"
    assert "--object dict" in doc["violations"][0]["replay"]
    ok = cli("explore", "global-lock", "--object", "list", "--threads", "3")
    assert ok.exit_code == 0 and "linearizability of every operation history against the list spec" in ok.output
    assert cli("explore", "tl2", "--object", "dict", "--workload", "swap").exit_code == 2
    assert cli("explore", "tl2", "--object", "dict", "--keys", "3").exit_code == 2
    assert cli("explore", "tl2", "--object", "nope").exit_code == 2


def test_operation_history_is_derived_from_the_transaction_history():
    setup = api.prepare("global-lock", txns=2, object="list")
    wl, ex = setup.workload, api.make_explorer(setup)
    run = ex.new_run().execute(Replay([1] * 200, strict=False))  # thread 1 to the end, then thread 2
    ov = check_operations(wl, run)
    ops = [o for o in ov.doc["operations"] if o["client"] != "observer"]
    assert [(o["client"], o["op"], o["result"]) for o in ops] == [
        (1, "pop", 1), (1, "append", None), (2, "append", None), (2, "pop", 21)]
    assert all(a["return"] < b["call"] for a, b in zip(ops, ops[1:]))  # sequential: real-time ordered
    final = [(o["op"], o["result"]) for o in ov.doc["operations"] if o["client"] == "observer"]
    assert final == [("len", 1), ("pop", 12), ("pop", None)]
    assert ov.result.holds is True


def test_given_up_calls_are_left_out():
    ex = api.make_explorer(api.prepare("eager-aggressive", retries=0, object="counter"), max_executions=2000)
    out = ex.explore()
    assert not out.violations, [(v.kind, v.explanation) for v in out.violations]
    assert out.exhausted


def test_result_of_replays_a_body_on_recorded_reads():
    d1 = TDict("d1", "ab", {"a": 1})
    d2 = TDict("d2", "ab", {"b": 2})
    assert result_of(d1.get("a"), [("d1.a", 5)]) == 5
    assert result_of(d1.get("b"), [("d1.b", 0)]) is None
    assert result_of(d1.update(d2), [("d2.a", 0), ("d2.b", 2)]) is None
    bank = TBank("bank", {"x": 1, "y": 0})
    assert result_of(bank.transfer("x", "y", 1), [("x", 1), ("y", 0)]) is True
    assert result_of(bank.transfer("x", "y", 2), [("x", 1)]) is False
    lst = TList("l", [1], capacity=2)
    assert result_of(lst.pop(), [("l.n", 1), ("l.0", 1)]) == 1
    with pytest.raises(ValueError):
        result_of(lst.pop(), [("l.x", 1)])
    with pytest.raises(ValueError):
        TDict("d", "a", {"a": 0})  # 0 marks absence


def test_list_and_dict_specs():
    lst = get_spec("list")
    s = lst.init([1])
    r, s = lst.step(s, "append", (2,))
    assert r is None and s == (1, 2)
    assert lst.step(s, "len", ()) == (2, s)
    assert lst.step(s, "pop", ()) == (2, (1,))
    assert lst.step((), "pop", ()) == (None, ())
    d = get_spec("dict")
    s = d.init({"d1": {"a": 1}, "d2": {"b": 2}})
    assert d.step(s, "get", ("d1", "b"))[0] is None
    _, s2 = d.step(s, "update", ("d1", "d2"))
    assert d.state_json(s2) == {"d1": {"a": 1, "b": 2}, "d2": {"b": 2}}
    _, s3 = d.step(s2, "put", ("d2", "a", 7))
    _, s4 = d.step(s3, "update", ("d1", "d2"))
    assert d.step(s4, "get", ("d1", "a"))[0] == 7
    assert TRUE != FALSE  # the bank's results are frozen booleans


def test_operation_rows_drop_nothing_on_a_complete_run():
    setup = api.prepare("tl2", threads=3, object="queue")
    wl, ex = setup.workload, api.make_explorer(setup)
    run = ex.new_run().execute(Replay([1, 2, 3] * 40, strict=False))
    rows = operation_rows(wl, run.events, run.event_steps, run.final, len(run.steps))
    assert sorted(r[0] for r in rows if r[0] != "observer") == [1, 2, 3]


PYTHON_DESIGNS = sorted(d for d, e in __import__("stmcheck.implementations.registry",
                                                 fromlist=["DESIGNS"]).DESIGNS.items()
                        if not e.module.startswith("native"))


@pytest.mark.parametrize("design", PYTHON_DESIGNS)
def test_every_design_in_the_catalogue_hosts_every_object(design):
    """No design crashes on an object (budgeted: a verdict, not a proof)."""
    for obj in sorted(OBJECTS):
        setup = api.prepare(design, object=obj, max_steps=300)
        # (a stand-in whose decisions the explorer picks: the state graph, DPOR takes no choices)
        strategy = "graph" if getattr(setup.design_cls, "chooses", False) else "dpor"
        ex = api.make_explorer(setup, strategy, max_executions=150)
        out = ex.explore()
        kinds = [v.kind for v in out.violations]
        assert "crash" not in kinds, [v.explanation for v in out.violations]
        assert out.executions >= 1


@pytest.mark.parametrize("design,obj,kind", [("eager-aggressive", "list", "livelock"),
                                              ("tl2-no-read-validation", "bank", "linearizability"),
                                              ("locks-naive", "dict", "deadlock"),
                                              ("locks-naive", "counter", "clean")])
def test_known_object_verdicts(design, obj, kind):
    _, out = explore(design, obj)
    got = out.violations[0].kind if out.violations else "clean"
    assert got == kind
