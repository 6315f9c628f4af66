"""`stmcheck check FILE --criterion linearizability`: exit codes, JSON, and bad input.

Bad input must end in exit 2 and exactly one line on stderr,
`stmcheck: error: <file>: ...`, naming the operation or line at fault; never
a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stmcheck.checker.linearizability import search as lin
from stmcheck.checker.linearizability import native as native
from stmcheck.checker.cli.check import run_linearizability
from stmcheck.models.opformats import parse_ophistory, read_ophistory

# A user-written spec, loaded by path as from the command line.
CASES = Path(__file__).parents[1] / "linearizability" / "test_lin_cases.py"

OK = {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
    {"client": 0, "op": "enqueue", "args": [1], "call": 0, "return": 4, "result": None},
    {"client": 1, "op": "dequeue", "args": [], "call": 2, "return": 7, "result": 1},
    {"client": 2, "op": "dequeue", "args": [], "call": 3, "return": None, "result": None}]}
BAD = {"format": "stmcheck.ophistory/1", "model": "register", "initial": 0, "operations": [
    {"client": 0, "op": "write", "args": [1], "call": 0, "return": 1, "result": None},
    {"client": 1, "op": "read", "args": [], "call": 2, "return": 3, "result": 0}]}


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def ops_doc(ops, model="register", **extra):
    return {"format": "stmcheck.ophistory/1", "model": model, "operations": ops, **extra}


def op(**kw):
    base = {"client": 0, "op": "read", "args": [], "call": 0, "return": 1, "result": None}
    base.update(kw)
    return base


JEPSEN = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\n"

BAD_INPUTS = {
    "missing-file": (None, {}, "no such file"),
    "not-json": ("{\"format\": ", {}, "not valid JSON"),
    "wrong-format": ({"format": "stmcheck.history/1", "events": []}, {}, "expected \"stmcheck.ophistory/1\""),
    "unknown-model": (ops_doc([], model="btree"), {}, "unknown model 'btree'"),
    "unknown-model-option": (OK, {"model": "btree"}, "unknown model 'btree'"),
    "unknown-format-option": (OK, {"fmt": "csv"}, "unknown format 'csv'"),
    "model-conflict": (OK, {"model": "stack"}, "the file names model 'queue' but --model says 'stack'"),
    "no-model": ({"format": "stmcheck.ophistory/1", "operations": []}, {}, "give --model NAME"),
    "jepsen-without-model": (JEPSEN, {}, "a Jepsen log does not name its model"),
    "unknown-field": (ops_doc([op(), op(client=1, retrun=3)]), {}, "operation 1: unknown field 'retrun'"),
    "missing-call": (ops_doc([{"client": 0, "op": "read", "return": 1}]), {}, "operation 0: missing 'call'"),
    "return-before-call": (ops_doc([op(call=5, **{"return": 2})]), {}, "operation 0: returns at 2, before"),
    "unknown-op": (ops_doc([op(op="pop")]), {}, "operation 0: model register has no operation 'pop'"),
    "arity": (ops_doc([op(op="write", args=[1, 2])]), {}, "operation 0: write takes 1 argument, got 2"),
    "time-not-number": (ops_doc([op(call="0")]), {}, "operation 0: \"call\" must be a number"),
    "bool-time": (ops_doc([op(call=True)]), {}, "operation 0: \"call\" must be a number"),
    "pending-with-result": (ops_doc([op(result=3, **{"return": None})]), {}, "operation 0: has a \"result\""),
    "kv-non-string": (ops_doc([op(op="put", args=["k", 1])], model="kv"), {}, "operation 0: put takes a string"),
    "counter-initial": (ops_doc([], model="counter", initial="x"), {}, "\"initial\": the initial value of a counter"),
    "args-not-list": (ops_doc([op(args=5)]), {}, "operation 0: \"args\" must be a list"),
    "not-object": (ops_doc([[1, 2]]), {}, "operation 0: must be a JSON object"),
    "empty": ("", {}, "empty file"),
    "binary": (b"\xff\xfe\x00\x01", {}, "not UTF-8"),
    "edn-unbalanced": ("{:process 0, :type :invoke, :f :read, :value nil\n", {"model": "register"},
                       "is never closed"),
    "edn-orphan-completion": ("{:process 0, :type :ok, :f :read, :value 3}\n", {"model": "register"},
                              "line 1: process 0 completes :read but has no operation in progress"),
    "jepsen-orphan": ("INFO  jepsen.util - 3\t:ok\t:write\t1\n", {"model": "register"},
                      "line 1: process 3 completes :write but has no operation in progress"),
    "jepsen-wrong-model": (JEPSEN.replace(":read\tnil", ":cas\t[1 2]"), {"model": "register"},
                           "line 1: model register has no operation 'cas'"),
    "unrecognisable": ("hello world\n", {}, "cannot tell the format"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2(name, tmp_path, capsys):
    content, options, message = BAD_INPUTS[name]
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, f"{name}.txt", content)
    code = run_linearizability(path, options.get("model"), options.get("fmt"), None, False)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"stmcheck: error: {path}: "), lines[0]
    assert message in lines[0], lines[0]


def test_holds_json(tmp_path, capsys):
    code = run_linearizability(write(tmp_path, "ok.json", OK), None, None, None, True)
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    r = doc["results"][0]
    assert r["criterion"] == "linearizability" and r["holds"] is True
    assert r["order"] == [0, 1]  # the pending dequeue need not take effect
    assert doc["history"]["pending"] == 1


def test_violated_json(tmp_path, capsys):
    code = run_linearizability(write(tmp_path, "bad.json", BAD), None, None, None, True)
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert code == 1
    assert r["holds"] is False and r["prefix"] == [0] and r["unplaceable"] == 1
    assert r["operation"]["op"] == "read" and r["state"] == 1
    assert "would return 1" in r["explanation"]


def test_human_report(tmp_path, capsys):
    assert run_linearizability(write(tmp_path, "bad.json", BAD), None, None, None, False) == 1
    out = capsys.readouterr().out
    assert "violated" in out and "longest linearizable prefix" in out and "cannot be placed" in out
    assert run_linearizability(write(tmp_path, "ok.json", OK), None, None, None, False) == 0
    assert "holds" in capsys.readouterr().out


def test_timeout_exit_3(tmp_path, capsys):
    ops = [op(client=c, op="add", args=[1], call=0, **{"return": 100}) for c in range(40)]
    ops.append(op(client=99, op="get", call=101, result=-1, **{"return": 102}))
    path = write(tmp_path, "slow.json", ops_doc(ops, model="counter"))
    code = run_linearizability(path, None, None, 0.05, True)
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert code == 3 and r["holds"] is None


def test_formats_are_recognised_and_forced(tmp_path):
    edn = ("[{:process 0 :type :invoke :f :write :value 1}\n {:process 0 :type :ok :f :write :value 1}\n"
           " {:process 1 :type :invoke :f :cas :value [1 2]}\n {:process 1 :type :fail :f :cas :value [1 2]}\n"
           " {:process 2 :type :invoke :f :read :value nil}\n {:process 2 :type :info :f :read :value nil}\n"
           " {:process :nemesis :type :info :f :start :value nil}\n"
           " {:process 3 :type :invoke :f :read :value nil}\n {:process 3 :type :ok :f :read :value 1}]\n")
    h = read_ophistory(write(tmp_path, "h.edn", edn), model="cas-register")
    assert h.source == "edn" and [o.op for o in h.operations] == ["write", "read", "read"]  # failed cas dropped
    assert h.operations[1].ret is None and h.operations[2].result == 1
    assert lin.check_linearizability(h).holds is True
    kv = ('{:process 0, :type :invoke, :f :append, :key "k", :value "x"}\n'
          '{:process 0, :type :ok, :f :append, :key "k", :value "x"}\n'
          '{:process 1, :type :invoke, :f :get, :key "k", :value nil}\n'
          '{:process 1, :type :ok, :f :get, :key "k", :value "x"}\n')
    h = read_ophistory(write(tmp_path, "kv.txt", kv))
    assert h.model == "kv" and h.source == "porcupine-kv" and h.operations[1].result == "x"
    log = ("INFO  jepsen.util - 0\t:invoke\t:write\t3\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
           "INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\nINFO  jepsen.util - 0\t:info\t:write\t:timed-out\n"
           "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]\nINFO  jepsen.util - 2\t:fail\t:cas\t[3 4]\n")
    h = read_ophistory(write(tmp_path, "etcd.log", log), model="cas-register")
    assert h.source == "jepsen"
    write_op, read_op, cas_op = h.operations
    assert write_op.ret is None and read_op.ret == 3 and repr(read_op.result) == "unknown"
    assert cas_op.result is not None and lin.check_linearizability(h).holds is True
    reuse = ("INFO  jepsen.util - 0\t:invoke\t:write\t3\nINFO  jepsen.util - 0\t:info\t:write\t:timed-out\n"
             "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t3\n")
    h = read_ophistory(write(tmp_path, "reuse.log", reuse), model="register")
    assert [o.client for o in h.operations] == [0, "0.1"]  # the crashed write may still be in flight
    assert lin.check_linearizability(h).holds is True
    path = write(tmp_path, "forced.txt", json.dumps(OK))
    assert read_ophistory(path, fmt="ophistory").model == "queue"


@pytest.mark.parametrize("engine", ["python"] + (["native"] if native.available() else []))
def test_paused_search_resumes_exactly(engine):
    """Taking turns between parts must not change the search: pausing every 7 steps."""
    ops = [op(client=c, op="write", args=[c % 3], call=c, **{"return": c + 5}) for c in range(8)]
    ops += [op(client=10 + c, op="read", call=c + 2, result=(c * 2) % 3, **{"return": c + 4}) for c in range(6)]
    part = lin.split(parse_ophistory(json.dumps(ops_doc(ops)), "x.json"))[0]
    whole = lin.search_python(part)
    make = lin.PythonSearch if engine == "python" else native.NativeSearch
    searcher = make(part)
    out, calls = None, 0
    while out is None:
        out, calls = searcher.run(None, 7), calls + 1
    assert calls > 3
    assert (out.holds, out.order, out.prefix, out.blocked, out.explored) == \
        (whole.holds, whole.order, whole.prefix, whole.blocked, whole.explored)


def _cli(*args):
    return subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_through_the_real_cli(tmp_path):
    ok = write(tmp_path, "ok.json", OK)
    bad = write(tmp_path, "bad.json", BAD)
    r = _cli("check", ok, "--criterion", "linearizability", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["results"][0]["holds"] is True
    r = _cli("check", bad, "-c", "linearizability")
    assert r.returncode == 1 and "violated" in r.stdout
    r = _cli("check", str(tmp_path / "nope.json"), "-c", "linearizability")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_user_spec_from_the_command_line(tmp_path, capsys):
    doc = {"format": "stmcheck.ophistory/1", "operations": [
        op(op="write", args=[3], call=0, **{"return": 1}), op(client=1, op="write", args=[2], call=2, **{"return": 3}),
        op(client=2, op="read", call=4, result=3, **{"return": 5})]}
    path = write(tmp_path, "max.json", doc)
    assert run_linearizability(path, f"{CASES}:MaxRegister", None, None, True) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["order"] == [0, 1, 2]
    assert run_linearizability(path, "no_such_module:Spec", None, None, True) == 2
    assert "cannot load model 'no_such_module:Spec'" in capsys.readouterr().err


def test_json_of_an_operation_whose_result_was_lost(tmp_path):
    from stmcheck.checker.report.linearizability import to_json
    log = "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n"
    h = read_ophistory(write(tmp_path, "t.log", log), model="register")
    doc = to_json(h, lin.LinResult(False, prefix=[], unplaceable=0, state=None, explanation="x"))
    text = json.dumps(doc)
    assert '"result_unknown": true' in text and doc["results"][0]["operation"]["text"] == "read() -> ?"
