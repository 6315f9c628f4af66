"""`stmcheck check FILE -c linearizability --html OUT`: the operation history drawn as Porcupine does,
one lane per client and a bar per operation, the unplaceable one marked, the order numbered.

The pages are read back with the standard library (html.parser, xml.etree) and checked against the
verdict the CLI prints with --json, so a bar in the wrong lane or a wrong number fails here."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
from stmcheck.checker.linearizability.search import LinResult
from stmcheck.checker.report import html_linearizability as lin_html
from stmcheck.models.opformats import parse_ophistory

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
PORCUPINE = ROOT.parent / "shared" / "data" / "porcupine"
CAS = ["-c", "linearizability", "--model", "cas-register"]


class _Page(HTMLParser):
    """Tags, external references, and the operations table's rows: (class, cells)."""

    def __init__(self):
        super().__init__()
        self.tags, self.external, self.rows = [], [], []
        self._in_ops = self._cell = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.external += [a[k] for k in ("src", "href") if a.get(k)]
        if tag == "table":
            self._in_ops = "ops" in (a.get("class") or "")
        elif tag == "tr" and self._in_ops:
            self.rows.append((a.get("class"), []))
        elif tag == "td" and self._in_ops:
            self._cell = True
            self.rows[-1][1].append("")

    def handle_endtag(self, tag):
        self._cell = self._cell and tag != "td"
        self._in_ops = self._in_ops and tag != "table"

    def handle_data(self, data):
        if self._cell:
            self.rows[-1][1][-1] += data


def _read(path: Path):
    text = path.read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(text)
    (svg,) = [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", text, re.S)]
    return text, parser, svg


def _bars(svg) -> dict:
    """data-index -> (classes, lane's client, order number or None) of every operation bar."""
    out = {}
    for lane in svg.iter(f"{SVG}g"):
        if lane.get("class") != "lane":
            continue
        for g in lane.iter(f"{SVG}g"):
            if "op" in (g.get("class") or "").split():
                order = [t.text for t in g.iter(f"{SVG}text") if t.get("class") == "order"]
                out[int(g.get("data-index"))] = (set(g.get("class").split()), lane.get("data-client"),
                                                 int(order[0]) if order else None)
    return out


def _lanes(svg) -> list:
    return [g.get("data-client") for g in svg.iter(f"{SVG}g") if g.get("class") == "lane"]


def _run(args, tmp_path, name="p.html"):
    out = tmp_path / name
    r = CliRunner().invoke(main, ["check", *map(str, args), "--html", str(out)])
    doc = json.loads(CliRunner().invoke(main, ["check", *map(str, args), "--json"]).output)
    return r, out, doc["results"][0]


def test_a_violation_marks_the_unplaceable_operation_and_numbers_the_prefix(tmp_path):
    r, out, verdict = _run([EXAMPLES / "cas-register-bad.log", *CAS], tmp_path)
    plain = CliRunner().invoke(main, ["check", str(EXAMPLES / "cas-register-bad.log"), *CAS])
    assert r.exit_code == 1 == plain.exit_code and r.output == plain.output     # the report is unchanged
    text, page, svg = _read(out)
    assert "script" not in page.tags and page.external == []                   # self-contained
    assert _lanes(svg) == ["0", "1", "2"]                                       # one lane per client
    bars = _bars(svg)
    assert sorted(bars) == [0, 1, 2, 3, 4]                                      # a bar per operation
    assert [i for i, b in bars.items() if "unplaceable" in b[0]] == [verdict["unplaceable"]] == [4]
    assert bars[4][1] == "1" and bars[4][2] is None                             # in client 1's lane, no number
    assert {i: b[2] for i, b in bars.items() if b[2]} == {i: k for k, i in enumerate(verdict["prefix"], 1)}
    assert [t.text for t in svg.iter(f"{SVG}text") if t.text and "returns" in t.text] == ["#4 returns"]
    assert verdict["explanation"] in text.replace("&gt;", ">")
    assert re.search(r'<pre class="state">3</pre>', text)                       # the state after the prefix
    assert len(re.findall(r"<li>", text)) == 4                                  # the prefix, listed in order
    marked = [cells for cls, cells in page.rows if cls == "unplaceable"]
    assert marked == [["4", "1", "9", "10", "read()", "1", ""]]
    assert [cells[0] for _, cells in page.rows[1:]] == ["0", "1", "2", "3", "4"]


def test_a_linearizable_history_numbers_its_bars_in_linearization_order(tmp_path):
    r, out, verdict = _run([EXAMPLES / "cas-register-ok.log", *CAS], tmp_path)
    assert r.exit_code == 0
    text, page, svg = _read(out)
    assert 'class="verdict-holds"' in text and "unplaceable" not in text.split("<svg")[1]
    bars = _bars(svg)
    assert len(_lanes(svg)) == 3 and sorted(bars) == list(range(7))
    assert {i: b[2] for i, b in bars.items() if b[2]} == {i: k for k, i in enumerate(verdict["order"], 1)}
    assert [i for i, b in bars.items() if "pending" in b[0]] == [5]              # write(5) never returned
    assert [cells[-1] for _, cells in page.rows[1:]] == [str(verdict["order"].index(i) + 1) for i in range(7)]


def test_a_client_with_overlapping_operations_gets_two_tracks_in_its_lane(tmp_path):
    doc = {"format": "stmcheck.ophistory/1", "model": "register", "initial": 0, "operations": [
        {"client": "a", "op": "write", "args": [1], "call": 0, "return": 2, "result": None},
        {"client": "b", "op": "read", "args": [], "call": 1, "return": 3, "result": 1},
        {"client": "b", "op": "read", "args": [], "call": 1.5, "return": 4, "result": 1},
        {"client": "c", "op": "write", "args": [2], "call": 4, "return": None, "result": None},
        {"client": "b", "op": "read", "args": [], "call": 5, "return": 6, "result": 0}]}
    path = tmp_path / "h.json"
    path.write_text(json.dumps(doc))
    r, out, verdict = _run([path, "-c", "linearizability"], tmp_path)
    assert r.exit_code == 1 and verdict["unplaceable"] == 4
    _, _, svg = _read(out)
    assert _lanes(svg) == ['"a"', '"b"', '"c"']
    bars = _bars(svg)
    assert [bars[i][1] for i in range(5)] == ['"a"', '"b"', '"b"', '"c"', '"b"']
    ys = {int(g.get("data-index")): float(g.find(f"{SVG}rect").get("y"))
          for g in svg.iter(f"{SVG}g") if g.get("data-index")}
    assert ys[1] != ys[2] and ys[4] in (ys[1], ys[2])                            # overlap: 2 tracks, reused
    assert "pending" in bars[3][0] and bars[3][2] == 4                           # linearized, never returned


def test_a_partitioned_history_draws_the_failing_part_and_says_what_was_left_out(tmp_path):
    ops = [("p", "append", ["k", "b"], 0, 1, None), ("q", "append", ["k", "c"], 2, 3, None),
           ("r", "get", ["k"], 4, 5, "ac"), ("p", "put", ["other", "1"], 0, 6, None),
           ("q", "get", ["other"], 7, 8, "1")]
    doc = {"format": "stmcheck.ophistory/1", "model": "kv", "initial": {"k": "a"}, "operations": [
        {"client": c, "op": o, "args": a, "call": s, "return": e, "result": x} for c, o, a, s, e, x in ops]}
    path = tmp_path / "kv.json"
    path.write_text(json.dumps(doc))
    r, out, verdict = _run([path, "-c", "linearizability"], tmp_path)
    assert r.exit_code == 1 and verdict["partition"] == "k"
    text, page, svg = _read(out)
    assert sorted(_bars(svg)) == [0, 1, 2] and len(page.rows) == 4              # key "other" left out
    assert "partition: <code>&quot;k&quot;</code>" in text and "Left out: 2" in text


def test_a_big_history_is_cut_to_what_the_violation_rests_on(tmp_path):
    rows = []
    for i in range(400):                  # 4 clients write then read back, one after another
        rows.append({"client": i % 4, "op": "write", "args": [i], "call": 4 * i, "return": 4 * i + 1, "result": None})
        rows.append({"client": i % 4, "op": "read", "args": [], "call": 4 * i + 2, "return": 4 * i + 3,
                     "result": i if i != 350 else -1})
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"format": "stmcheck.ophistory/1", "model": "register", "operations": rows}))
    r, out, verdict = _run([path, "-c", "linearizability"], tmp_path)
    assert r.exit_code == 1 and verdict["unplaceable"] == 701
    text, _, svg = _read(out)
    bars = _bars(svg)
    assert 701 in bars and len(bars) == 1 + lin_html.CONTEXT                     # it and the prefix's last 30
    assert set(verdict["prefix"][-lin_html.CONTEXT:]) <= set(bars)
    assert "The history has 800 operations" in text and f"Left out: {800 - len(bars)}" in text


def test_an_inconclusive_verdict_says_so():
    h = parse_ophistory(json.dumps({"format": "stmcheck.ophistory/1", "model": "register", "operations": [
        {"client": 0, "op": "write", "args": [1], "call": 0, "return": 1, "result": None}]}), "t.json")
    text = lin_html.lin_page("t.json", h, LinResult(None, explanation="the search ran out of time after 1 s"))
    assert 'class="verdict-unknown">inconclusive' in text and "ran out of time after 1 s" in text
    assert 'class="order"' not in text and "unplaceable" not in text.split("<svg")[1]


def test_html_still_takes_one_file():
    bad = str(EXAMPLES / "cas-register-bad.log")
    r = CliRunner().invoke(main, ["check", bad, bad, *CAS, "--html", "/dev/null"])
    assert r.exit_code == 2 and "--html draws one history" in r.output


@pytest.mark.skipif(not (PORCUPINE / "etcd" / "etcd_000.log").exists(),
                    reason="../shared/data/porcupine (Porcupine's test histories) is not here")
def test_a_porcupine_etcd_history_is_drawn_whole(tmp_path):
    r, out, verdict = _run([PORCUPINE / "etcd" / "etcd_000.log", *CAS], tmp_path)
    assert r.exit_code == 1
    _, page, svg = _read(out)
    bars = _bars(svg)
    assert len(_lanes(svg)) == 19 and sorted(bars) == list(range(85))
    assert [i for i, b in bars.items() if "unplaceable" in b[0]] == [verdict["unplaceable"]]
    assert sum(1 for b in bars.values() if "pending" in b[0]) == 16
    assert [cls for cls, _ in page.rows].count("unplaceable") == 1
