"""Bad input while reading histories: exit 2 and one line, never a traceback, never a wrong verdict.

`stmcheck check` promises (shared/spec/histories.md): bad input is exit 2
with one line on stderr naming the file, the line and the reason; `--json`
output is valid JSON; no verdict is given on input that was not read as
written. These tests feed it what real files contain when something went
wrong (numbers JSON allows but a double cannot hold, nesting, lone
surrogates, special files, cut lines), check that violations found in a file
can be found in it again (event index and line), that operation histories
treat `client` as a label, and end with a small fuzzer.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import H
from stmcheck.checker.cli import main
from stmcheck.checker.linearizability import search as lin_search
from stmcheck.models import formats, jsonl_fast
from stmcheck.models.formats import read_history, write_history
from stmcheck.models.history import EventLines, HistoryError, build_history
from stmcheck.models.opformats import parse_ophistory, read_ophistory

needs_fast = pytest.mark.skipif(not jsonl_fast.available(), reason="no C compiler or cffi: the fast path is off")

HEAD = json.dumps({"format": "stmcheck.history/1", "initial": {"x": 0}})
BEGIN = '{"thread": 1, "txn": "T1", "op": "begin"}'
COMMIT = '{"thread": 1, "txn": "T1", "op": "commit"}'
BIG = "1" * 5001   # over Python's 4,300-digit limit for int("...")


def event(op, value=None, key="x", thread=1, txn="T1", raw_value=None):
    """One JSON Lines event; `raw_value` is put in verbatim (numbers JSON allows but Python may not)."""
    e = {"thread": thread, "txn": txn, "op": op}
    if op in ("read", "write"):
        e["key"] = key
        e["value"] = value
    text = json.dumps(e)
    if raw_value is not None:
        text = text.replace('"value": null', f'"value": {raw_value}')
    return text


def write_lines(path, *lines, newline_at_end=True) -> str:
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8", errors="surrogatepass")
    return str(path)


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as any JSON consumer other than Python's would."""
    def refuse(name):
        raise ValueError(f"{name} in --json output")
    return json.loads(text, parse_constant=refuse)


def run(*args):
    result = CliRunner().invoke(main, ["check", *args], prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"the command raised {result.exception!r}")
    return result


def assert_bad(result, *words) -> str:
    """Exit 2, nothing on stdout, one line on stderr naming `words`; the line, without its prefix."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("stmcheck: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0][len("stmcheck: error: "):]


def read_outcome(path, fast):
    try:
        read_history(path, fast=fast)
        return "ok"
    except HistoryError as exc:
        return str(exc)


def both_readers_say(path) -> str:
    """The Python reader's message, after checking the fast reader gives the same one."""
    slow = read_outcome(path, fast=False)
    assert read_outcome(path, fast=True) == slow
    return slow


# --- violations cite the event and its line -------------------------------------------------

def test_report_cites_event_and_line_in_json_lines(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, "", "   ", event("read", 5), COMMIT)
    for fast in (True, False):
        history = read_history(path, fast=fast)
        assert [history.line_of(i) for i in range(3)] == [2, 5, 6]
    result = run(path)
    assert result.exit_code == 1
    assert "event 1, line 5" in result.stdout           # the events list
    assert "(event 1, line 5)" in result.stdout         # the explanation
    doc = json.loads(run(path, "--json").stdout)        # --json keeps its fields as they were
    assert "line" not in json.dumps(doc["results"][0]["explanation"])


def test_report_cites_event_and_line_in_a_document(tmp_path):
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "examples", "write-skew.json")
    history = read_history(example)
    assert [history.line_of(i) for i in range(10)] == list(range(5, 15))
    result = run(example)
    assert result.exit_code == 1
    for i, line in ((3, 8), (4, 9), (6, 11), (7, 12)):
        assert f"event {i}, line {line}" in result.stdout, result.stdout


@pytest.mark.parametrize("indent", [None, 1, 4])
def test_document_event_lines_match_the_layout(tmp_path, indent):
    doc = H("1:T1 b", "1:T1 r x 0", "2:T2 b", "1:T1 w x 1", "1:T1 c", "2:T2 r x 1", "2:T2 a",
            initial={"x": 0})
    text = json.dumps(doc, indent=indent)
    path = tmp_path / "h.json"
    path.write_text(text)
    history = read_history(str(path))
    starts, pos = [], text.index('"events"')
    for _ in doc["events"]:
        pos = text.index('{"thread"' if indent is None else "{", pos + 1)
        starts.append(text.count("\n", 0, pos) + 1)
        pos = text.index("}", pos)
    assert [history.line_of(i) for i in range(len(doc["events"]))] == starts


def test_bad_event_in_a_document_names_its_line(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps(H("1:T1 b", "1:T1 c", "1:T1 r x 0"), indent=1))
    with pytest.raises(HistoryError) as info:
        read_history(str(path))
    assert str(info.value).startswith(f"{path}: line 15: event 2: ")


def test_history_built_in_memory_has_no_lines():
    history = build_history(H("1:T1 b", "1:T1 c")["events"])
    assert history.line_of(0) is None


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=300), st.integers(0, 300))
def test_event_lines_remember_any_layout(gaps, split):
    one, many, line, want = EventLines(), EventLines(), 1, []
    for i, gap in enumerate(gaps):
        line += gap
        one.note(i, line)
        want.append(line)
    split = min(split, len(want))
    many.note_all(0, want[:split])
    many.note_all(split, want[split:])
    for lines in (one, many):
        assert [lines.line(i) for i in range(len(want))] == want
        assert lines.line(len(want)) is None


def test_event_lines_cost_nothing_per_event_for_json_lines():
    lines = EventLines()
    line = 1
    for i in range(1_000_000):
        line += 2 if i % 100_000 == 7 else 1   # a blank line now and then
        lines.note(i, line)
    assert lines.nbytes() < 1000
    assert lines.line(999_999) == line


def test_event_lines_stay_small_when_events_span_varying_lines():
    lines = EventLines()
    line = 1
    for i in range(100_000):
        line += 5 + (i * 7919) % 3
        lines.note(i, line)
    assert lines.nbytes() <= 4 * 100_000
    assert lines.line(99_999) == line


@needs_fast
def test_fast_reader_lines_agree(tmp_path):
    rows = [HEAD]
    for t in range(50):
        rows += [event("begin", txn=t), "" if t % 7 == 0 else None, event("write", t, txn=t), event("commit", txn=t)]
    path = write_lines(tmp_path / "h.jsonl", *[r for r in rows if r is not None])
    fast, slow = read_history(path, fast=True), read_history(path, fast=False)
    assert [fast.line_of(i) for i in range(fast.events)] == [slow.line_of(i) for i in range(slow.events)]


# --- numbers Python cannot read, nesting, lone surrogates ----------------------------------

@pytest.mark.parametrize("where", ["time", "value", "thread", "txn", "key"])
def test_huge_integer_in_json_lines(tmp_path, where):
    third = {"time": COMMIT.replace("}", f', "time": {BIG}}}'),
             "value": event("write", raw_value=BIG),
             "thread": f'{{"thread": {BIG}, "txn": "T2", "op": "begin"}}',
             "txn": f'{{"thread": 2, "txn": {BIG}, "op": "begin"}}',
             "key": event("read", 0).replace('"x"', BIG)}[where]
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, third, COMMIT)
    message = both_readers_say(path)
    assert "4300 digits" in message and "line 3" in message, message
    assert_bad(run(path), "4300 digits", "line 3")


@pytest.mark.parametrize("where", ["initial", "value", "versions"])
def test_huge_integer_in_a_document(tmp_path, where):
    doc = H("1:T1 b", "1:T1 w x 0", "1:T1 c", initial={"x": 0}, versions={"x": [0]})
    text = json.dumps(doc, indent=1)
    text = {"initial": text.replace('"x": 0', f'"x": {BIG}', 1),
            "value": text.replace('"value": 0', f'"value": {BIG}'),
            "versions": text.replace('[\n   0\n  ]', f'[{BIG}]')}[where]
    assert BIG in text
    path = tmp_path / "h.json"
    path.write_text(text)
    line = 1 + text[:text.index(BIG)].count("\n")
    assert_bad(run(str(path)), "4300 digits", f"line {line}")


def test_deep_nesting(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    doc = tmp_path / "deep.json"
    doc.write_text('{"format": "stmcheck.history/1", "events": ' + deep + "}")
    assert_bad(run(str(doc)), "nested")
    lines = write_lines(tmp_path / "deep.jsonl", HEAD, BEGIN, event("write", raw_value=deep))
    assert "line 3" in assert_bad(run(lines), "nested")
    assert both_readers_say(lines) != "ok"


@pytest.mark.parametrize("where", ["key", "value", "txn", "thread"])
def test_lone_surrogate_is_shown_escaped(tmp_path, where):
    ev = {"key": [BEGIN, event("read", 5).replace('"x"', '"\\ud800"'), COMMIT],
          "value": [BEGIN, event("read", raw_value='"\\ud800"'), COMMIT],
          "txn": [event("begin", txn="@"), event("read", 5, txn="@"), event("commit", txn="@")],
          "thread": [event("begin", thread="@"), event("read", 5, thread="@"), event("commit", thread="@")]}[where]
    ev = [e.replace('"@"', '"\\ud800"') for e in ev]
    path = write_lines(tmp_path / "h.jsonl", HEAD, *ev)
    result = run(path)
    assert result.exit_code == 1, result.stdout
    assert "\\ud800" in result.stdout
    strict_json(run(path, "--json").stdout)
    # a real process: a terminal's stdout is strict UTF-8
    p = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main(prog_name='stmcheck')",
                        "check", path], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr


@needs_fast
def test_both_readers_agree_on_a_huge_time(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, COMMIT.replace("}", f', "time": {BIG}}}'))
    assert "4300 digits" in both_readers_say(path)


def ophistory(*ops, model="register", **extra) -> str:
    return json.dumps({"format": "stmcheck.ophistory/1", "model": model, "operations": list(ops), **extra})


def opdoc(client=0, op="read", args=(), call=0, ret=1, result=None) -> dict:
    return {"client": client, "op": op, "args": list(args), "call": call, "return": ret, "result": result}


def lin(path, *more):
    return run(str(path), "-c", "linearizability", *more)


def put(tmp_path, name, text) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


@pytest.mark.parametrize("name,text,words", [
    ("big-arg.json", ophistory(opdoc(op="write", args=["@"])).replace('"@"', BIG), ["4300 digits"]),
    ("big-call.json", ophistory(opdoc(call="@")).replace('"@"', BIG), ["4300 digits"]),
    ("huge-call.json", ophistory(opdoc(call="@")).replace('"@"', "1" + "0" * 400), ['"call" must be a number']),
    ("deep.json", ophistory(opdoc(op="write", args=["@"])).replace('"@"', "[" * 100_000 + "]" * 100_000),
     ["nested"]),
    ("deep-ok-for-json.json", ophistory(opdoc(op="write", args=["@"])).replace('"@"', "[" * 900 + "]" * 900),
     ["nested"]),
    ("big.edn", f"{{:process 0, :type :invoke, :f :write, :value {BIG}}}\n"
                f"{{:process 0, :type :ok, :f :write, :value {BIG}}}\n", ["line 1", "4300 digits"]),
    ("deep.edn", "{:process 0, :type :invoke, :f :write, :value " + "[" * 100_000 + "]" * 100_000 + "}\n",
     ["line 1", "nested"]),
    ("big.log", f"INFO  jepsen.util - 0\t:invoke\t:write\t{BIG}\nINFO  jepsen.util - 0\t:ok\t:write\t{BIG}\n",
     ["line 1", "4300 digits"]),
    ("unicode-digit.log", "INFO  jepsen.util - 0\t:invoke\t:write\t\u00b2\n"
                          "INFO  jepsen.util - 0\t:ok\t:write\t\u00b2\n", None),
])
def test_operation_histories_numbers_and_nesting(tmp_path, name, text, words):
    path = put(tmp_path, name, text)
    result = lin(path, *(["--model", "register"] if name.endswith((".edn", ".log")) else []))
    if words is None:
        assert result.exit_code in (0, 2) and "Traceback" not in result.stderr
        return
    message = assert_bad(result, *words)
    assert "ValueError" not in message and "RecursionError" not in message


def test_operation_history_lone_surrogates(tmp_path):
    text = ophistory(opdoc(client="\ud800", op="write", args=["\udc00"]), opdoc(client=1, call=2, ret=3,
                                                                              result="x"))
    path = put(tmp_path, "h.json", text)
    result = lin(path)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "\\ud800" in result.stdout or "\\udc00" in result.stdout
    strict_json(lin(path, "--json").stdout)


# --- huge floats: infinity is no JSON value --------------------------------------------------

def test_two_infinities_are_not_the_same_value(tmp_path):
    doc = tmp_path / "h.json"
    doc.write_text('{"format": "stmcheck.history/1", "initial": {"x": 0}, "events": ['
                   '{"thread": 1, "txn": "T1", "op": "begin"},'
                   '{"thread": 1, "txn": "T1", "op": "write", "key": "x", "value": 1e400},'
                   '{"thread": 1, "txn": "T1", "op": "commit"},'
                   '{"thread": 2, "txn": "T2", "op": "begin"},'
                   '{"thread": 2, "txn": "T2", "op": "read", "key": "x", "value": 2e400},'
                   '{"thread": 2, "txn": "T2", "op": "commit"}]}')
    assert_bad(run(str(doc)), "1e400", "line 1")


@pytest.mark.parametrize("raw", ["1e400", "-2e400", "1" * 400 + ".0", "NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ["value", "time", "initial"])
def test_non_finite_numbers_in_json_lines(tmp_path, raw, where):
    head = HEAD.replace('"x": 0', f'"x": {raw}') if where == "initial" else HEAD
    last = (COMMIT.replace("}", f', "time": {raw}}}') if where == "time"
            else event("write", raw_value=raw) if where == "value" else COMMIT)
    path = write_lines(tmp_path / "h.jsonl", head, BEGIN, last)
    message = both_readers_say(path)
    assert message != "ok" and (where == "initial" or "line 3" in message), message
    assert_bad(run(path))


def test_non_finite_numbers_through_the_api():
    with pytest.raises(HistoryError):
        build_history([{"thread": 1, "txn": 1, "op": "begin"},
                       {"thread": 1, "txn": 1, "op": "write", "key": "x", "value": float("inf")}])
    with pytest.raises(HistoryError):
        build_history([], initial={"x": float("nan")})


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("where", ["args", "result", "initial", "call"])
def test_non_finite_numbers_in_operation_histories(tmp_path, raw, where):
    text = ophistory(opdoc(op="write", args=["@args"], ret=1), opdoc(client=1, call="@call", ret=3, result="@result"),
                     initial="@initial")
    defaults = {"args": "1", "result": "1", "initial": "0", "call": "2"}
    for name, value in defaults.items():
        text = text.replace(f'"@{name}"', raw if name == where else value)
    path = put(tmp_path, "h.json", text)
    message = assert_bad(lin(path))
    assert "ValueError" not in message
    assert lin(path, "--json").stdout == ""


@pytest.mark.parametrize("text", [
    "{:process 0, :type :invoke, :f :write, :value 1e400}\n{:process 0, :type :ok, :f :write, :value 1e400}\n",
    "INFO  jepsen.util - 0\t:invoke\t:write\t1e400\nINFO  jepsen.util - 0\t:ok\t:write\t1e400\n",
])
def test_non_finite_numbers_in_imports(tmp_path, text):
    assert_bad(lin(put(tmp_path, "h.log", text), "--model", "register"), "line 1")


# --- special files and size limits -------------------------------------------------------------

def run_process(*args, timeout=60):
    """`stmcheck check` in a child with 2 GB of address space: an unbounded read fails, not the machine."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    code = "from stmcheck.checker.cli import main; main(prog_name='stmcheck')"
    start = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code, "check", *args], capture_output=True, text=True,
                       timeout=timeout, preexec_fn=limit)
    return p, time.monotonic() - start


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("extra", [[], ["-c", "linearizability", "--model", "register"]])
def test_dev_zero_is_refused(extra):
    p, seconds = run_process("/dev/zero", "--timeout", "5", *extra)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p.stderr[-500:]
    assert "/dev/zero" in p.stderr and "character device" in p.stderr
    assert seconds < 30


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("extra", [[], ["-c", "linearizability"]])
def test_fifo_without_a_writer(tmp_path, extra):
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    p, seconds = run_process(fifo, *extra, timeout=60)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p.stderr[-500:]
    assert fifo in p.stderr and "no writer" in p.stderr
    assert seconds < 30


def _feed(fifo, data, hold=None):
    """Write `data` into the FIFO from a thread, then keep it open until `hold` (an Event) is set."""
    def writer():
        with open(fifo, "wb") as out:
            out.write(data)
            out.flush()
            if hold is not None:
                hold.wait(30)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("kind", ["jsonl", "json", "ophistory"])
def test_fifo_with_a_writer_is_read(tmp_path, kind):
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    if kind == "ophistory":
        data, args = ophistory(opdoc(op="write", args=[1]), opdoc(client=1, call=2, ret=3, result=1)), ["-c", "linearizability"]
    elif kind == "json":
        data, args = json.dumps(H("1:T1 b", "1:T1 r x 0", "1:T1 c", initial={"x": 0})), []
    else:
        data, args = "\n".join([HEAD, BEGIN, event("read", 0), COMMIT]) + "\n", []
    thread = _feed(fifo, data.encode())
    result = run(fifo, *args)
    thread.join(10)
    assert result.exit_code == 0, (result.stdout, result.stderr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_with_a_silent_writer_honours_the_timeout(tmp_path):
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    hold = threading.Event()
    thread = _feed(fifo, (HEAD + "\n").encode(), hold=hold)
    start = time.monotonic()
    try:
        message = assert_bad(run(fifo, "--timeout", "1"), fifo, "timeout")
        assert time.monotonic() - start < 6, message
    finally:
        hold.set()
        thread.join(10)


def test_json_lines_line_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "MAX_LINE_BYTES", 1000)
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, event("write", "v" * 2000), COMMIT)
    message = both_readers_say(path)
    assert "line 3" in message and "1000 bytes" in message, message
    assert_bad(run(path), "line 3")
    ok = write_lines(tmp_path / "ok.jsonl", HEAD, BEGIN, event("write", "v" * 900), COMMIT)
    assert both_readers_say(ok) == "ok"


def test_document_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "MAX_DOCUMENT_BYTES", 1000)
    doc = json.dumps(H("1:T1 b", "1:T1 w x " + json.dumps("v" * 2000), "1:T1 c"))
    one_line = put(tmp_path, "h.json", doc)
    assert "1000 bytes" in assert_bad(run(one_line))
    ops = put(tmp_path, "ops.json", ophistory(opdoc(op="write", args=["v" * 2000])))
    assert "1000 bytes" in assert_bad(lin(ops))


# --- messages ----------------------------------------------------------------------------------

def test_read_after_commit_message(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, COMMIT, event("read", 0))
    message = both_readers_say(path)
    assert message.endswith("has a read after its commit"), message


def test_abort_after_the_end_message(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, COMMIT, event("abort"))
    assert both_readers_say(path).endswith("line 4: event 2: transaction 'T1' has an abort after it already ended")


def test_unterminated_string_message(tmp_path):
    path = put(tmp_path, "h.json", '{"format": "stmcheck.history/1", "events": [{"thread": 1, "txn": "T1", "op": "beg')
    message = assert_bad(run(path))
    assert "at at" not in message and "Unterminated string starting at line 1 column" in message, message


def test_truncated_json_lines_line_is_reported_where_it_ends(tmp_path):
    cut = event("write", 1)[:-1]
    path = write_lines(tmp_path / "h.jsonl", HEAD, BEGIN, cut, COMMIT)
    message = assert_bad(run(path), "line 3")
    assert f"column {len(cut) + 1}" in message and "column 1" not in message.replace(f"column {len(cut) + 1}", ""), message


@pytest.mark.parametrize("model", ["queue", "stack", "list", "set"])
def test_initial_error_names_its_model(tmp_path, model):
    path = put(tmp_path, "h.json", ophistory(model=model, initial=5))
    message = assert_bad(lin(path), "initial")
    assert f"of a {model} must be" in message, message


# --- a client is a label ---------------------------------------------------------------------------

@pytest.mark.parametrize("ops,holds", [
    ([opdoc(op="write", args=[1], call=0, ret=5), opdoc(call=3, ret=6, result=1)], True),
    ([opdoc(op="write", args=[1], call=0, ret=5), opdoc(call=1, ret=2, result=7)], False),
    ([opdoc(op="write", args=[1], call=0, ret=None), opdoc(call=3, ret=4, result=1)], True),
    ([opdoc(op="write", args=[1], call=0, ret=None), opdoc(call=3, ret=4, result=0),
      opdoc(call=5, ret=6, result=1), opdoc(call=7, ret=8, result=0)], False),
])
def test_one_client_may_overlap_itself(tmp_path, ops, holds):
    path = put(tmp_path, "h.json", ophistory(*ops, initial=0))
    result = lin(path)
    assert result.exit_code == (0 if holds else 1), (result.stdout, result.stderr)


JEPSEN_OVERLAP = ("INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                  "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                  "INFO  jepsen.util - 0\t:ok\t:read\t{}\n")
EDN_OVERLAP = ("{{:process 0, :type :invoke, :f :write, :value 1}}\n"
               "{{:process 0, :type :invoke, :f :read, :value nil}}\n"
               "{{:process 0, :type :ok, :f :read, :value {}}}\n")
KV_OVERLAP = ('{{:process 0, :type :invoke, :f :put, :key "k", :value "a"}}\n'
              '{{:process 0, :type :invoke, :f :get, :key "k", :value nil}}\n'
              '{{:process 0, :type :ok, :f :get, :key "k", :value {}}}\n')


@pytest.mark.parametrize("fmt,text,model,seen,unseen", [
    ("jepsen", JEPSEN_OVERLAP, "register", "1", "2"),
    ("edn", EDN_OVERLAP, "register", "1", "2"),
    ("porcupine-kv", KV_OVERLAP, "kv", '"a"', '"b"'),
])
def test_imports_let_a_process_call_again_while_pending(tmp_path, fmt, text, model, seen, unseen):
    good = put(tmp_path, "good.log", text.format(seen))
    bad = put(tmp_path, "bad.log", text.format(unseen))
    for path, code in ((good, 0), (bad, 1)):
        result = lin(path, "--model", model, "--format", fmt)
        assert result.exit_code == code, (fmt, path, result.stdout, result.stderr)
    history = read_ophistory(good, fmt=fmt, model=model)
    assert history.operations[0].ret is None and history.operations[1].ret is not None


@st.composite
def overlapping_histories(draw, model):
    """Histories whose clients overlap themselves: any intervals, clients drawn from two labels."""
    diff = _lin_differential()
    n = draw(st.integers(1, 7))
    ops = []
    for _ in range(n):
        call = draw(st.integers(0, 8))
        ret = None if draw(st.integers(0, 4)) == 0 else call + draw(st.integers(0, 4))
        name, args_st = draw(st.sampled_from(diff.OPS[model]))
        ops.append({"client": draw(st.integers(0, 1)), "op": name, "args": draw(args_st), "call": call,
                    "return": ret, "result": None})
    points = []
    for i, o in enumerate(ops):
        hi = o["return"] if o["return"] is not None else o["call"] + 4
        if o["return"] is not None or draw(st.booleans()):
            points.append((o["call"] + draw(st.integers(0, 8)) * (hi - o["call"]) / 8, i))
    state = diff.initial_state(model, diff.INITIAL.get(model))
    for _, i in sorted(points):
        result, state = diff.apply(model, state, ops[i]["op"], ops[i]["args"])
        ops[i]["result"] = result
    done = [i for i, o in enumerate(ops) if o["return"] is not None]
    if done and draw(st.integers(0, 2)):
        ops[draw(st.sampled_from(done))]["result"] = draw(diff.RANDOM_RESULT[model])
    for o in ops:
        if o["return"] is None:
            o["result"] = None
    doc = {"format": "stmcheck.ophistory/1", "model": model, "operations": ops}
    if model in diff.INITIAL:
        doc["initial"] = diff.INITIAL[model]
    return doc


def _lin_differential():
    """tests/linearizability/test_lin_differential.py, loaded by path: its oracle and engines
    are reused here, whichever test files this process collected."""
    import importlib.util
    name = "test_lin_differential"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(__file__), "..", "linearizability", f"{name}.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


@pytest.mark.parametrize("model", ["register", "cas-register", "queue", "kv"])
def test_search_is_exact_when_clients_overlap_themselves(model):
    diff = _lin_differential()

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(overlapping_histories(model))
    def check(doc):
        diff.check_all_engines(doc)
    check()


def test_overlapping_generator_overlaps():
    diff = _lin_differential()
    seen = {"overlap": 0, True: 0, False: 0}

    @settings(max_examples=80, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(overlapping_histories("register"))
    def check(doc):
        ops = doc["operations"]
        seen[diff.oracle(doc)] += 1
        for a in ops:
            for b in ops:
                if a is not b and a["client"] == b["client"] and a["call"] <= b["call"] and (
                        a["return"] is None or a["return"] >= b["call"]):
                    seen["overlap"] += 1
                    return
    check()
    assert seen["overlap"] > 20 and seen[True] > 10 and seen[False] > 10, seen


def test_parse_accepts_overlap_in_ophistory():
    history = parse_ophistory(ophistory(opdoc(call=0, ret=5, result=0), opdoc(call=3, ret=6, result=0),
                                        initial=0), "h.json")
    assert lin_search.check_linearizability(history).holds is True


# --- a fuzzer -----------------------------------------------------------------------------------

# Raw JSON text for the fields of generated histories: plain values and the odd ones a
# file may hold (numbers beyond a double or beyond Python's digits, lone surrogates,
# rich markup, deep nesting).
ODD = ["1e400", "-2e400", "1e-400", "1.7976931348623157e308", "5e-324", "NaN", "Infinity", BIG, "9" * 4300,
       "1" * 400, "99999999999999999999", "-0", "-0.0", '"\\ud800"', '"\\udc00x"', '"\\u0000"', '"[red]x[/]"',
       '"\\\\"', '"' + "v" * 300 + '"', "[" * 90 + "]" * 90, "[" * 5000 + "]" * 5000]
PLAIN = ["0", "1", "2", "1.5", '"x"', '"y"', "null", "true", "false", '"T1"']
LISTS = ["[]", "[1]", '["x"]', '[1, "a"]', '{"a": 1}', "[[1]]"]


def raw(draw, *groups) -> str:
    """One raw JSON token: odd one time in six."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(ODD))
    return draw(st.sampled_from([v for g in groups for v in g]))


@st.composite
def transaction_history(draw, lines=None):
    """A history, well-formed in shape, with odd tokens in any field; a document or JSON Lines
    (`lines`: which one, or None for either)."""
    ids = [raw(draw, [str(i), f'"T{i}"']) for i in range(draw(st.integers(1, 3)))]
    keys = [raw(draw, ['"x"', '"y"', "1"]) for _ in range(2)]
    events = []
    for i, txn in enumerate(ids):
        thread = raw(draw, ["1", "2", '"t"'])
        base = f'"thread": {thread}, "txn": {txn}'
        events.append(f'{{{base}, "op": "begin"}}')
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(["read", "write"]))
            events.append(f'{{{base}, "op": "{op}", "key": {draw(st.sampled_from(keys))}, '
                          f'"value": {raw(draw, PLAIN)}}}')
        end = draw(st.sampled_from(["commit", "commit", "abort", None]))
        if end:
            time_ = f', "time": {raw(draw, ["1", "2.5"])}' if draw(st.booleans()) else ""
            events.append(f'{{{base}, "op": "{end}"{time_}}}')
    if draw(st.booleans()):  # interleave the transactions a little
        events.sort(key=lambda e: draw(st.integers(0, 3)))
    initial = ", ".join(f"{k if k.startswith(chr(34)) else json.dumps(k)}: {raw(draw, PLAIN)}" for k in keys[:1])
    head = f'"format": "stmcheck.history/1", "initial": {{{initial}}}'
    if draw(st.booleans()) if lines is None else lines:
        return "h.jsonl", "\n".join([f"{{{head}}}"] + events) + "\n"
    return "h.json", f'{{{head}, "events": [\n' + ",\n".join(events) + "\n]}"


@st.composite
def operation_history(draw):
    """An operation history with odd tokens in any field: ophistory JSON, EDN or a Jepsen log."""
    form = draw(st.sampled_from(["ops.json", "ops.json", "ops.edn", "ops.log"]))
    ops = []
    for i in range(draw(st.integers(1, 4))):
        write = draw(st.booleans())
        ret = draw(st.sampled_from([None, "x"]))
        ops.append((raw(draw, ["0", "1", '"c"']), write, raw(draw, PLAIN, LISTS), raw(draw, ["0", "1", "2"]), ret))
    if form == "ops.json":
        rows = []
        for client, write, value, call, ret in ops:
            returns = "null" if ret is None else raw(draw, ["3", "4", "5"])
            args, result = (f"[{value}]", "null") if write else ("[]", "null" if ret is None else value)
            rows.append(f'{{"client": {client}, "op": "{"write" if write else "read"}", "args": {args}, '
                        f'"call": {call}, "return": {returns}, "result": {result}}}')
        initial = f', "initial": {raw(draw, PLAIN, LISTS)}' if draw(st.booleans()) else ""
        return form, ('{"format": "stmcheck.ophistory/1", "model": "register"' + initial +
                      ', "operations": [' + ", ".join(rows) + "]}")
    lines = []
    for client, write, value, call, ret in ops:
        f = ":write" if write else ":read"
        proc = client if client.isdigit() else "0"
        for typ in ("invoke",) + (() if ret is None else ("ok",)):
            v = value if write or typ == "ok" else "nil"
            if form == "ops.edn":
                lines.append(f"{{:process {proc}, :type :{typ}, :f {f}, :value {v}}}")
            else:
                lines.append(f"INFO  jepsen.util - {proc}\t:{typ}\t{f}\t{v}")
    return form, "\n".join(lines) + "\n"


TOKENS = ["1e400", "NaN", "-Infinity", BIG, '"\\ud800"', "[" * 2000, "]", "{", "}", '"', ",", ":", "\n", "\n\n",
          "null", "-0", '"time": 1e999, ', "\\", "\x00", "\u00e9", "\ufeff", '"op": "begin", ', ":invoke", "nil"]


@st.composite
def mutants(draw):
    """A generated history, and in one case out of four its text cut, dropped into or overwritten."""
    name, text = draw(st.one_of(transaction_history(), operation_history()))
    if draw(st.integers(0, 3)) == 3:
        pos = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["cut", "delete", "insert", "overwrite"]))
        if how == "cut":
            text = text[:pos]
        elif how == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)):]
        elif how == "insert":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        else:
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos + draw(st.integers(1, 10)):]
    return name, text


def _judge(result, as_json):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2, 3), result.exit_code
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""
    elif as_json:
        strict_json(result.stdout)


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(mutants(), st.booleans())
def test_fuzz_check_never_crashes(tmp_path_factory, case, as_json):
    """Whatever the file holds: an exit status of the contract, no traceback, one line for
    bad input, and --json output any JSON parser accepts."""
    name, text = case
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    args = [str(path), "--timeout", "5"] + (["--json"] if as_json else [])
    if name.startswith("ops"):  # operation histories
        args += ["-c", "linearizability"] + (["--model", "register"] if not name.endswith(".json") else [])
    _judge(run(*args), as_json)


@needs_fast
@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(transaction_history(lines=True))
def test_fuzz_both_json_lines_readers_agree(tmp_path_factory, case):
    """The C and the Python reader of JSON Lines: the same history (values, types, lines) or
    the same message, whatever odd tokens the file holds."""
    from test_fastread import signature
    name, text = case
    path = str(tmp_path_factory.mktemp("agree") / name)
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as out:
        out.write(text)
    results = []
    for fast in (True, False):
        try:
            h = read_history(path, fast=fast)
            results.append(("ok", signature(h), [h.line_of(i) for i in range(h.events)]))
        except HistoryError as exc:
            results.append(("error", str(exc)))
    assert results[0] == results[1]
