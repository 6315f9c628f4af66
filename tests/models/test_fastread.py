"""The C fast path for JSON Lines (models/jsonl_fast.py) against the Python reader.

The fast path must read exactly what the Python reader reads (same ids,
threads, keys, values and their types, indices, statuses), and step aside on
anything it cannot read exactly, so that errors keep the Python reader's
messages. Hypothesis writes odd but mostly valid files (every scalar type,
escapes, non-ASCII, spacing, blank lines, field order) and odd invalid ones.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stmcheck.checker.bench.synth import inject_stale_read, simulate, simulate_database, write_jsonl
from stmcheck.models import jsonl_fast
from stmcheck.models.formats import read_history
from stmcheck.models.history import READ, WRITE, HistoryError, JsonBool

needs_fast = pytest.mark.skipif(not jsonl_fast.available(), reason="no C compiler or cffi: the fast path is off")
HEADER = {"format": "stmcheck.history/1", "initial": {}}


def typed(v):
    return (type(v).__name__, repr(v) if not isinstance(v, JsonBool) else str(v))


def signature(h):
    """Everything a History holds, values with their types (1, 1.0 and true stay apart)."""
    txns = []
    for t in h.txns:
        assert all(k is READ or k is WRITE for k, _, _, _ in t.ops)
        txns.append((typed(t.id), typed(t.thread), t.index, t.begin, t.end, t.status,
                     [(k, key, typed(v), i) for k, key, v, i in t.ops]))
    versions = None if h.versions is None else {k: [typed(v) for v in vs] for k, vs in h.versions.items()}
    return ({k: typed(v) for k, v in h.initial.items()}, versions, h.events, txns)


def outcome(path, fast):
    try:
        return "ok", signature(read_history(path, fast=fast))
    except HistoryError as exc:
        return "error", str(exc), exc.index


def fast_read(path):
    """What the fast path alone makes of the file (None: it stepped aside)."""
    with open(path, "rb") as handle:
        head = json.loads(handle.readline())
        return jsonl_fast.read(handle, head.get("initial") or {}, head.get("versions"))


@needs_fast
@pytest.mark.parametrize("kind", ["opaque", "stale-read", "repeated-values", "database"])
def test_generated_histories_read_identically(tmp_path, kind):
    if kind == "database":
        header, events = simulate_database(300, seed=3)
    else:
        header, events = simulate(300, seed=5, unique_values=kind != "repeated-values")
        events = list(events)
        if kind == "stale-read":
            assert inject_stale_read(events, seed=5)
    path = str(tmp_path / "h.jsonl")
    write_jsonl(path, header, events)
    fast = fast_read(path)
    assert fast is not None, "the fast path stepped aside on a plain history"
    assert signature(fast) == outcome(path, fast=False)[1]
    assert outcome(path, fast=True) == outcome(path, fast=False)


@needs_fast
def test_read_history_takes_the_fast_path_for_plain_files(tmp_path, monkeypatch):
    path = str(tmp_path / "h.jsonl")
    header, events = simulate(50, seed=2)
    write_jsonl(path, header, events)
    expected = outcome(path, fast=False)

    def no_python_reading(self, event):
        raise AssertionError("the Python reader was used")
    monkeypatch.setattr("stmcheck.models.history.HistoryBuilder.add", no_python_reading)
    assert outcome(path, fast=True) == expected


@needs_fast
def test_rereads_name_exactly_the_transactions_that_read_their_own_writes(tmp_path):
    events = [{"thread": 1, "txn": 1, "op": "begin"}, {"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1},
              {"thread": 1, "txn": 1, "op": "read", "key": "x", "value": 2}, {"thread": 1, "txn": 1, "op": "commit"},
              {"thread": 2, "txn": 2, "op": "begin"}, {"thread": 2, "txn": 2, "op": "read", "key": "x", "value": 1},
              {"thread": 2, "txn": 2, "op": "write", "key": "x", "value": 3}, {"thread": 2, "txn": 2, "op": "commit"}]
    path = str(tmp_path / "r.jsonl")
    write_jsonl(path, HEADER, events)
    h = fast_read(path)
    assert [t.id for t in h.rereads] == [1]
    from stmcheck.checker.history.criteria import check
    assert [r.anomaly for r in check(h, ["serializability"])] == ["internal"]


@needs_fast
@pytest.mark.parametrize("versions", [{"x": [1, 2]}, {"x": [2, 1]}, {"x": [1]}, {"x": [1, 9]}, {"y": [True]}])
def test_versions_are_checked_alike(tmp_path, versions):
    events = [{"thread": 1, "txn": 1, "op": "begin"}, {"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1},
              {"thread": 1, "txn": 1, "op": "commit"}, {"thread": 1, "txn": 2, "op": "begin"},
              {"thread": 1, "txn": 2, "op": "write", "key": "x", "value": 2}, {"thread": 1, "txn": 2, "op": "commit"}]
    path = str(tmp_path / "v.jsonl")
    write_jsonl(path, dict(HEADER, versions=versions), events)
    fast, slow = outcome(path, fast=True), outcome(path, fast=False)
    assert fast == slow
    assert fast[0] == ("ok" if versions["x" if "x" in versions else "y"] in ([1, 2], [2, 1]) else "error")


# Lines the fast path must not read itself (the Python reader accepts or rejects them).
B = '{"thread": 1, "txn": 1, "op": "begin"}'
STEP_ASIDE = {
    "bad-escape": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "a\\qb"}',
    "escape-hides-non-ascii": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "\\\u00e9"}',
    "escape-hides-control": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "\\\x01"}',
    "escaped-txn": '{"thread": 1, "txn": "\\u0031", "op": "commit"}',
    "float-key": '{"thread": 1, "txn": 1, "op": "write", "key": 1.5, "value": 1}',
    "escaped-key": '{"thread": 1, "txn": 1, "op": "write", "key": "\\u0078", "value": 1}',
    "unknown-field": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1, "note": [1]}',
    "repeated-field": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1, "value": 2}',
    "nested-value": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": [1]}',
    "bool-thread": '{"thread": true, "txn": 1, "op": "write", "key": "x", "value": 1}',
    "not-json": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1',
    "nan": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": NaN}',
    "trailing-junk": '{"thread": 1, "txn": 1, "op": "commit"} x',
    "array": '[1, 2]',
    "leading-zero": '{"thread": 01, "txn": 1, "op": "commit"}',
    "unknown-op": '{"thread": 1, "txn": 1, "op": "rollback"}',
    "missing-key": '{"thread": 1, "txn": 1, "op": "read", "value": 1}',
    "begin-with-key": '{"thread": 1, "txn": 2, "op": "begin", "key": "x"}',
    "begins-twice": B,
    "nested-begin": '{"thread": 1, "txn": 2, "op": "begin"}',
    "other-thread": '{"thread": 2, "txn": 1, "op": "commit"}',
    "string-thread": '{"thread": "1", "txn": 1, "op": "commit"}',
    "no-begin": '{"thread": 1, "txn": 7, "op": "commit"}',
    "time-string": '{"thread": 1, "txn": 1, "op": "commit", "time": "noon"}',
    "control-char": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "a\x01b"}',
    "vertical-tab": '{"thread": 1, "txn": 1, "op": "commit"}\x0b',
    "not-utf8": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "caf\udce9"}',
    "surrogate-utf8": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "\udced\udca0\udc80"}',
    "huge-float": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1E400}',   # refused: not finite
}


# Values the C scanner keeps as JSON tokens for Python's json module to decode.
READ_AS_TOKENS = {
    "float-value": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1.0}',
    "negative-zero": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": -0.0}',
    "exponent-int": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1e2}',
    "big-int": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": -123456789012345678901}',
    "escaped-string": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "a\\nb\\"c"}',
    "unicode-escape": '{"thread": 1, "txn": 1, "op": "write", "key": "x", "value": "\\u00e9\\ud800"}',
}


@needs_fast
@pytest.mark.parametrize("name", sorted(READ_AS_TOKENS))
def test_odd_values_are_decoded_by_json(tmp_path, name):
    path = tmp_path / f"{name}.jsonl"
    lines = [json.dumps(HEADER), B, READ_AS_TOKENS[name], '{"thread": 1, "txn": 1, "op": "read", "key": "x", '
             '"value": 1}', '{"thread": 1, "txn": 1, "op": "commit"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = fast_read(str(path))
    assert fast is not None
    assert ("ok", signature(fast)) == outcome(str(path), fast=False)


@needs_fast
@pytest.mark.parametrize("name", sorted(STEP_ASIDE))
def test_the_fast_path_steps_aside_and_the_python_reader_decides(tmp_path, name):
    path = tmp_path / f"{name}.jsonl"
    lines = [json.dumps(HEADER), B, STEP_ASIDE[name], '{"thread": 1, "txn": 1, "op": "commit"}']
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    assert fast_read(str(path)) is None
    assert outcome(str(path), fast=True) == outcome(str(path), fast=False)


def test_without_a_compiler_the_python_reader_reads(tmp_path, monkeypatch):
    path = str(tmp_path / "h.jsonl")
    header, events = simulate(20, seed=1)
    write_jsonl(path, header, events)
    expected = outcome(path, fast=False)
    monkeypatch.setattr(jsonl_fast, "_library", jsonl_fast._library.fresh())
    monkeypatch.setattr(jsonl_fast.cbuild, "find_compiler", lambda: None)
    assert fast_read(path) is None
    assert outcome(path, fast=True) == expected


def test_a_pipe_is_left_to_the_python_reader(tmp_path):
    fifo = str(tmp_path / "p.jsonl")
    os.mkfifo(fifo)
    text = json.dumps(HEADER) + "\n" + B + "\n"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the writer side
        with open(fifo, "w") as out:
            out.write(text)
        os._exit(0)
    try:
        h = read_history(fifo)
    finally:
        os.waitpid(pid, 0)
    assert [t.id for t in h.txns] == [1]


# Hypothesis: odd spellings of mostly valid histories, and some broken ones.
IDS = st.one_of(st.integers(-3, 3), st.integers(-2**70, 2**70), st.sampled_from(["1", "T1", "é", "a b", "x\"y"]))
SCALARS = st.one_of(st.integers(-5, 5), st.integers(-2**66, 2**66), st.floats(allow_nan=False, allow_infinity=False),
                    st.booleans(), st.none(), st.text(max_size=4), st.sampled_from([0, 1, 1.0, True, "1", -0.0]))
KEYS = st.one_of(st.sampled_from(["x", "y", "é", ""]), st.integers(-2, 2))


@st.composite
def odd_files(draw):
    """(bytes of a JSON Lines file): a small valid history spelled oddly, maybe broken."""
    threads = draw(st.lists(IDS, min_size=1, max_size=3, unique_by=lambda v: (type(v), v)))
    txn_ids = draw(st.lists(IDS, min_size=1, max_size=6, unique_by=lambda v: (type(v), v)))
    events, running, pending = [], {}, list(txn_ids)
    for _ in range(draw(st.integers(0, 20))):
        th = draw(st.integers(0, len(threads) - 1))
        if th not in running:
            if not pending:
                continue
            running[th] = pending.pop(0)
            events.append({"thread": threads[th], "txn": running[th], "op": "begin"})
            continue
        op = draw(st.sampled_from(["read", "write", "read", "commit", "abort"]))
        e = {"thread": threads[th], "txn": running[th], "op": op}
        if op in ("read", "write"):
            e["key"], e["value"] = draw(KEYS), draw(SCALARS)
        else:
            del running[th]
        if draw(st.integers(0, 9)) == 0:
            e["time"] = draw(st.one_of(st.integers(), st.floats(allow_nan=False)))
        events.append(e)
    if events and draw(st.integers(0, 3)) == 0:  # break something
        i = draw(st.integers(0, len(events) - 1))
        how = draw(st.sampled_from(["drop-field", "swap-thread", "dup", "bool-id", "junk"]))
        e = dict(events[i])
        if how == "drop-field":
            e.pop(draw(st.sampled_from(sorted(e))))
        elif how == "swap-thread":
            e["thread"] = draw(IDS)
        elif how == "bool-id":
            e["txn"] = True
        elif how == "junk":
            e["value"] = [1]
        events.insert(i, e) if how == "dup" else events.__setitem__(i, e)
    lines = [json.dumps(HEADER)]
    for e in events:
        items = list(e.items())
        if draw(st.booleans()):
            items.reverse()
        sep = draw(st.sampled_from([(", ", ": "), (",", ":"), (" ,\t", " : ")]))
        text = json.dumps(dict(items), separators=sep, ensure_ascii=draw(st.booleans()))
        lines.append(text + draw(st.sampled_from(["", " ", "\r", "\t"])))
        if draw(st.integers(0, 6)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", "\t", "\r"])))
    return ("\n".join(lines) + draw(st.sampled_from(["\n", ""]))).encode("utf-8", "surrogatepass")


@needs_fast
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=odd_files())
def test_odd_files_read_identically_on_both_paths(tmp_path, data):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(data)
    assert outcome(str(path), fast=True) == outcome(str(path), fast=False)


def test_the_benchmark_measures_each_file_in_a_fresh_process(tmp_path):
    from click.testing import CliRunner

    from stmcheck.checker.bench.check import check_bench
    out = tmp_path / "check.md"
    result = CliRunner().invoke(check_bench, ["--sizes", "300", "--database-sizes", "100", "--elle-size", "200",
                                              "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [r.split(" | ")[0] for r in rows] == ["| opaque STM", "| one stale read", "| blind writes (database)",
                                                  "| database mix", "| database mix, lost update",
                                                  "| database mix, write skew",   # no stale read fits in 100
                                                  "| database mix, untimed",
                                                  "| Elle list-append (EDN; parse: the EDN reader)"]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        parse, check, ratio, read, cpu, rss = (float(c) for c in cells[4:10])
        assert 0 <= read <= check and min(parse, ratio, cpu) >= 0 and rss > 10  # (figures rounded to 0.01)
    assert rows[0].rstrip().endswith("| - |") and not rows[1].rstrip().endswith("| - |")
