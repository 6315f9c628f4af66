"""Reading and writing `stmcheck.history/1` files, and every kind of bad input.

Bad input must end in a `HistoryError` whose text names the file, the
0-based event index where there is one, and what is wrong.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from dsl import H
from stmcheck.models.formats import read_history, write_history
from stmcheck.models.history import HistoryError, build_history, json_value
from generated_histories import histories

SPEC_EXAMPLE = {
    "format": "stmcheck.history/1",
    "initial": {"x": 0, "y": 0},
    "events": [
        {"thread": 1, "txn": "T1", "op": "begin"},
        {"thread": 1, "txn": "T1", "op": "read", "key": "x", "value": 0},
        {"thread": 2, "txn": "T2", "op": "begin"},
        {"thread": 1, "txn": "T1", "op": "write", "key": "x", "value": 1},
        {"thread": 1, "txn": "T1", "op": "commit"},
        {"thread": 2, "txn": "T2", "op": "read", "key": "x", "value": 1},
        {"thread": 2, "txn": "T2", "op": "abort"},
    ],
}


def write_json(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def write_jsonl(path, doc):
    head = {k: v for k, v in doc.items() if k != "events"}
    lines = [json.dumps(head)] + [json.dumps(e) for e in doc["events"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def as_doc(history) -> dict:
    """A history back in the document shape, for comparing."""
    doc = {"initial": {k: json_value(v) for k, v in history.initial.items()},
           "events": history.events_in_order()}
    if history.versions is not None:
        doc["versions"] = {k: [json_value(v) for v in vs] for k, vs in history.versions.items()}
    return doc


def canonical(doc) -> str:
    """Documents compared as JSON text (so true and 1 stay apart), keys as the reader keeps them."""
    events = [dict(e, key=str(e["key"])) if "key" in e else dict(e) for e in doc["events"]]
    for e in events:
        e.pop("time", None)
    out = {"initial": {str(k): v for k, v in doc.get("initial", {}).items()}, "events": events}
    if doc.get("versions") is not None:
        out["versions"] = {str(k): v for k, v in doc["versions"].items()}
    return json.dumps(out, sort_keys=True)


# --- reading and writing -----------------------------------------------------------

@pytest.mark.parametrize("writer", [write_json, write_jsonl], ids=["json", "jsonl"])
def test_read_spec_example(tmp_path, writer):
    h = read_history(writer(tmp_path / ("h.json" if writer is write_json else "h.jsonl"), SPEC_EXAMPLE))
    assert h.counts() == {"transactions": 2, "committed": 1, "aborted": 1, "live": 0}
    t1, t2 = h.txns
    assert (t1.id, t1.thread, t1.status, t1.begin, t1.end) == ("T1", 1, "committed", 0, 4)
    assert (t2.id, t2.thread, t2.status, t2.begin, t2.end) == ("T2", 2, "aborted", 2, 6)
    assert [(k, key, v, i) for k, key, v, i in t1.ops] == [("read", "x", 0, 1), ("write", "x", 1, 3)]
    assert h.initial == {"x": 0, "y": 0} and h.versions is None and h.events == 7


def test_pretty_printed_and_single_line_documents_read_alike(tmp_path):
    a = tmp_path / "pretty.json"
    a.write_text(json.dumps(SPEC_EXAMPLE, indent=2), encoding="utf-8")
    b = tmp_path / "oneline.json"
    b.write_text(json.dumps(SPEC_EXAMPLE), encoding="utf-8")
    c = tmp_path / "events-first.json"
    c.write_text(json.dumps({"events": SPEC_EXAMPLE["events"], "initial": {"x": 0, "y": 0},
                             "format": "stmcheck.history/1"}), encoding="utf-8")
    docs = {canonical(as_doc(read_history(str(p)))) for p in (a, b, c)}
    assert docs == {canonical(SPEC_EXAMPLE)}


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_round_trip_spec_example(tmp_path, suffix):
    h = build_history(SPEC_EXAMPLE["events"], SPEC_EXAMPLE["initial"])
    path = str(tmp_path / ("out" + suffix))
    write_history(h, path)
    text = open(path, encoding="utf-8").read()
    if suffix == ".jsonl":
        lines = text.splitlines()
        assert json.loads(lines[0])["format"] == "stmcheck.history/1"
        assert "events" not in json.loads(lines[0])
        assert [json.loads(x) for x in lines[1:]] == SPEC_EXAMPLE["events"]
    else:
        assert json.loads(text)["events"] == SPEC_EXAMPLE["events"]
    assert canonical(as_doc(read_history(path))) == canonical(SPEC_EXAMPLE)


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(doc=histories(max_txns=6, ambiguous=True))
def test_round_trip_generated(tmp_path, doc):
    """Both spellings keep every event, value (true stays true, null stays null), initial
    value and versions list."""
    built = build_history(doc["events"], doc.get("initial"), doc.get("versions"))
    expected = canonical(doc)
    assert canonical(as_doc(built)) == expected
    for suffix in (".json", ".jsonl"):
        path = str(tmp_path / ("rt" + suffix))
        write_history(built, path)
        again = read_history(path)
        assert canonical(as_doc(again)) == expected
        assert again.counts() == built.counts()
        assert [t.id for t in again.txns] == [t.id for t in built.txns]
        assert again.events == len(doc["events"])


def test_versions_and_values_survive_jsonl(tmp_path):
    doc = H("1:T1 b", "1:T1 w x true", "1:T1 w y null", "1:T1 w z 1.5", "1:T1 c",
            "2:T2 b", "2:T2 w x 1", "2:T2 c", initial={"x": False, "w": "s"},
            versions={"x": [True, 1], "y": [None], "z": [1.5]})
    path = write_jsonl(tmp_path / "v.jsonl", doc)
    h = read_history(path)
    assert canonical(as_doc(h)) == canonical(doc)
    out = str(tmp_path / "w.jsonl")
    write_history(h, out)
    assert canonical(as_doc(read_history(out))) == canonical(doc)


def test_blank_lines_in_jsonl_are_ignored(tmp_path):
    path = tmp_path / "b.jsonl"
    head = json.dumps({"format": "stmcheck.history/1", "initial": {"x": 0}})
    events = [json.dumps(e) for e in SPEC_EXAMPLE["events"]]
    path.write_text(head + "\n\n" + "\n".join(events[:3]) + "\n   \n" + "\n".join(events[3:]) + "\n")
    assert read_history(str(path)).counts()["transactions"] == 2


def test_header_only_jsonl_is_an_empty_history(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"format": "stmcheck.history/1", "initial": {"x": 1}}) + "\n")
    h = read_history(str(path))
    assert h.txns == [] and h.initial == {"x": 1} and h.events == 0


def test_time_field_is_accepted_and_never_orders(tmp_path):
    events = [dict(e, time=100 - i) for i, e in enumerate(SPEC_EXAMPLE["events"])]
    h = read_history(write_json(tmp_path / "t.json", dict(SPEC_EXAMPLE, events=events)))
    assert [t.begin for t in h.txns] == [0, 2]


def test_live_transaction_and_ids_of_both_kinds(tmp_path):
    doc = H("1:1 b", "t:T b", "1:1 w x 1", "1:1 c", "t:T r x 1")
    h = read_history(write_json(tmp_path / "l.json", doc))
    assert [(t.id, t.thread, t.status) for t in h.txns] == [(1, 1, "committed"), ("T", "t", "live")]
    assert h.txns[1].end is None


def test_integer_keys_meet_string_keys(tmp_path):
    doc = {"format": "stmcheck.history/1", "initial": {"7": 1}, "events": [
        {"thread": 1, "txn": 1, "op": "begin"},
        {"thread": 1, "txn": 1, "op": "read", "key": 7, "value": 1}]}
    h = read_history(write_json(tmp_path / "k.json", doc))
    assert h.txns[0].ops[0][1] == "7" and h.initial == {"7": 1}


# --- bad input ----------------------------------------------------------------------

def doc_with(events, **header):
    return dict({"format": "stmcheck.history/1", "events": events}, **header)


B = {"thread": 1, "txn": "T1", "op": "begin"}
R = {"thread": 1, "txn": "T1", "op": "read", "key": "x", "value": 0}
W = {"thread": 1, "txn": "T1", "op": "write", "key": "x", "value": 1}
C = {"thread": 1, "txn": "T1", "op": "commit"}
A = {"thread": 1, "txn": "T1", "op": "abort"}


def ev(base, **change):
    out = dict(base)
    for k, v in change.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


DROP = object()

# (name, events, index of the bad event, words the message must contain)
BAD_EVENTS = [
    ("event-not-object", [B, 5], 1, ["object"]),
    ("event-is-list", [B, [1, 2]], 1, ["object"]),
    ("no-thread", [B, ev(R, thread=DROP)], 1, ["thread"]),
    ("no-txn", [ev(B, txn=DROP)], 0, ["txn"]),
    ("no-op", [B, ev(R, op=DROP)], 1, ["op"]),
    ("unknown-op", [B, ev(R, op="upsert")], 1, ["upsert"]),
    ("op-not-string", [B, ev(R, op=3)], 1, ["op"]),
    ("thread-bool", [ev(B, thread=True)], 0, ["thread"]),
    ("thread-float", [ev(B, thread=1.5)], 0, ["thread"]),
    ("thread-null", [ev(B, thread=None)], 0, ["thread"]),
    ("txn-list", [ev(B, txn=[1])], 0, ["txn"]),
    ("txn-bool", [ev(B, txn=False)], 0, ["txn"]),
    ("read-no-key", [B, ev(R, key=DROP)], 1, ["key"]),
    ("read-no-value", [B, ev(R, value=DROP)], 1, ["value"]),
    ("write-no-value", [B, ev(W, value=DROP)], 1, ["value"]),
    ("key-bool", [B, ev(R, key=True)], 1, ["key"]),
    ("key-null", [B, ev(R, key=None)], 1, ["key"]),
    ("key-float", [B, ev(R, key=1.5)], 1, ["key"]),
    ("value-list", [B, ev(W, value=[1])], 1, ["value"]),
    ("value-object", [B, ev(R, value={"a": 1})], 1, ["value"]),
    ("begin-with-key", [ev(B, key="x")], 0, ["begin"]),
    ("commit-with-value", [B, ev(C, value=1)], 1, ["commit"]),
    ("abort-with-key", [B, ev(A, key="x", value=1)], 1, ["abort"]),
    ("time-not-number", [B, ev(R, time="noon")], 1, ["time"]),
    ("time-bool", [ev(B, time=True)], 0, ["time"]),
    ("read-before-begin", [R], 0, ["T1", "begin"]),
    ("commit-before-begin", [C], 0, ["T1", "begin"]),
    ("read-after-commit", [B, C, R], 2, ["T1", "commit"]),
    ("write-after-abort", [B, A, W], 2, ["T1", "abort"]),
    ("commit-twice", [B, C, C], 2, ["T1"]),
    ("abort-after-commit", [B, C, A], 2, ["T1"]),
    ("begin-twice", [B, C, B], 2, ["T1", "twice"]),
    ("retry-reuses-txn-after-abort", [B, A, B], 2, ["T1"]),
    ("overlap-on-thread", [B, ev(B, txn="T2")], 1, ["T1", "T2"]),
    ("nested-begin-after-ops", [B, W, ev(B, txn="T2"), C], 2, ["thread"]),
    ("event-on-other-thread", [B, ev(W, thread=2)], 1, ["thread"]),
    ("commit-on-other-thread", [B, ev(C, thread=2)], 1, ["thread"]),
]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize("name,events,index,words", BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
def test_bad_event(tmp_path, suffix, name, events, index, words):
    doc = doc_with(events)
    if suffix == ".json":
        path = write_json(tmp_path / ("bad" + suffix), doc)
    else:
        path = write_jsonl(tmp_path / ("bad" + suffix), doc)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    err = info.value
    text = str(err)
    assert err.index == index
    assert path in text
    assert f"event {index}" in text
    for word in words:
        assert word.lower() in text.lower(), (word, text)
    assert "\n" not in text


def test_bad_event_through_build_history():
    with pytest.raises(HistoryError) as info:
        build_history([B, W, ev(B, txn="T2")])
    assert info.value.index == 2 and "event 2" in str(info.value)


# (name, file bytes, words the message must contain)
BAD_FILES = [
    ("empty", b"", ["empty"]),
    ("whitespace-only", b"  \n\n \t\n", ["empty"]),
    ("not-json", b"hello, world\n", ["JSON"]),
    ("truncated", json.dumps(SPEC_EXAMPLE).encode()[:-20], ["JSON"]),
    ("top-level-list", b"[1, 2, 3]", ["object"]),
    ("top-level-string", b'"stmcheck.history/1"', ["object"]),
    ("no-format", json.dumps({"events": []}).encode(), ["format"]),
    ("wrong-format", json.dumps({"format": "stmcheck.history/2", "events": []}).encode(),
     ["stmcheck.history/2"]),
    ("ophistory-format", json.dumps({"format": "stmcheck.ophistory/1", "operations": []}).encode(),
     ["format"]),
    ("format-not-string", json.dumps({"format": 1, "events": []}).encode(), ["format"]),
    ("no-events", json.dumps({"format": "stmcheck.history/1", "initial": {}}, indent=1).encode(),
     ["events"]),
    ("events-not-list", json.dumps({"format": "stmcheck.history/1", "events": {"a": 1}}).encode(),
     ["events"]),
    ("initial-not-object", json.dumps(doc_with([], initial=[1])).encode(), ["initial"]),
    ("initial-value-list", json.dumps(doc_with([], initial={"x": [1]})).encode(), ["initial"]),
    ("versions-not-object", json.dumps(doc_with([], versions=[1])).encode(), ["versions"]),
    ("versions-not-list", json.dumps(doc_with([], versions={"x": 1})).encode(), ["versions"]),
    ("versions-value-object", json.dumps(doc_with([], versions={"x": [{}]})).encode(), ["versions"]),
    ("nan-value", json.dumps(doc_with([B, ev(W, value=1)])).replace('"value": 1', '"value": NaN')
     .encode(), ["NaN"]),
    ("infinity-initial", b'{"format": "stmcheck.history/1", "initial": {"x": Infinity}, "events": []}',
     ["Infinity"]),
    ("binary-junk", bytes(range(256)) * 4, ["UTF-8"]),
    ("nul-bytes", b"\x00\x00\x00\x00", []),
    ("gzip-magic", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", []),
    ("latin-1", '{"format": "stmcheck.history/1", "initial": {"x": "café"}, "events": []}'
     .encode("latin-1"), ["UTF-8"]),
    ("utf-16", json.dumps(SPEC_EXAMPLE).encode("utf-16"), []),
]


@pytest.mark.parametrize("name,data,words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file(tmp_path, name, data, words):
    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    with pytest.raises(HistoryError) as info:
        read_history(str(path))
    text = str(info.value)
    assert str(path) in text
    for word in words:
        assert word.lower() in text.lower(), (word, text)
    assert "\n" not in text and len(text) < 400


# JSON Lines specific: (name, lines after the header, words, event index or None)
BAD_LINES = [
    ("line-not-json", [json.dumps(B), "{oops"], ["line 3"], None),
    ("line-truncated", [json.dumps(B), json.dumps(W)[:-5]], ["line 3"], None),
    ("line-nan", [json.dumps(B), json.dumps(W).replace('"value": 1', '"value": NaN')], ["line 3"], None),
    ("line-latin-1", [json.dumps(B), json.dumps(ev(W, value="é")).replace("\\u00e9", "\udce9")],
     ["UTF-8", "line 3"], None),
    ("line-bad-event", [json.dumps(B), json.dumps(C), json.dumps(W)], ["line 4", "event 2"], 2),
]


@pytest.mark.parametrize("name,lines,words,index", BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_bad_jsonl_line(tmp_path, name, lines, words, index):
    path = tmp_path / f"{name}.jsonl"
    head = json.dumps({"format": "stmcheck.history/1"})
    path.write_bytes(("\n".join([head] + lines) + "\n").encode("utf-8", "surrogateescape"))
    with pytest.raises(HistoryError) as info:
        read_history(str(path))
    text = str(info.value)
    assert str(path) in text
    assert info.value.index == index
    for word in words:
        assert word.lower() in text.lower(), (word, text)


def test_jsonl_bad_header(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps({"format": "stmcheck.history/9"}) + "\n" + json.dumps(B) + "\n")
    with pytest.raises(HistoryError) as info:
        read_history(str(path))
    assert "stmcheck.history/9" in str(info.value) and str(path) in str(info.value)


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.json")
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert path in str(info.value) and "no such file" in str(info.value).lower()


def test_directory(tmp_path):
    with pytest.raises(HistoryError) as info:
        read_history(str(tmp_path))
    assert str(tmp_path) in str(info.value) and "directory" in str(info.value)


def test_unreadable_file(tmp_path):
    import os
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(SPEC_EXAMPLE))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything (root)")
        with pytest.raises(HistoryError) as info:
            read_history(str(path))
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o600)


# versions must list exactly the committed final writes (no event index: the file is at fault)
BAD_VERSIONS = [
    ("too-few", {"x": [1]}, ["x"]),
    ("too-many", {"x": [1, 2, 3]}, ["x"]),
    ("unknown-value", {"x": [1, 9]}, ["9"]),
    ("aborted-write-listed", {"x": [1, 2, 5]}, ["x"]),
    ("intermediate-write-listed", {"x": [0, 2]}, ["x"]),
    ("true-is-not-1", {"x": [True, 2]}, ["x"]),
    ("key-nobody-wrote", {"y": [1]}, ["y"]),
]


@pytest.mark.parametrize("name,versions,words", BAD_VERSIONS, ids=[b[0] for b in BAD_VERSIONS])
def test_versions_must_match_committed_writes(tmp_path, name, versions, words):
    doc = H("1:T1 b", "1:T1 w x 0", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 w x 2", "2:T2 c",
            "3:T3 b", "3:T3 w x 5", "3:T3 a", versions=versions)
    path = write_json(tmp_path / "v.json", doc)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    text = str(info.value)
    assert path in text and "versions" in text
    for word in words:
        assert word in text


@pytest.mark.parametrize("versions", [{"x": [1, 2]}, {"x": [2, 1]}, {"x": [2, 1], "y": []}, {}])
def test_good_versions(tmp_path, versions):
    doc = H("1:T1 b", "1:T1 w x 0", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 w x 2", "2:T2 c",
            "3:T3 b", "3:T3 w x 5", "3:T3 a", versions=versions)
    assert read_history(write_json(tmp_path / "v.json", doc)).versions == versions
