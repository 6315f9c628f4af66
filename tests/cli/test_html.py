"""`--html FILE` on explore and replay: a self-contained page (no network, no script) whose SVG
timeline draws each attempt and highlights the events the anomaly rests on."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from click.testing import CliRunner

from stmcheck.checker.cli import main

SVG = "{http://www.w3.org/2000/svg}"


class _Page(HTMLParser):
    """The page's tags, rows of the history table (highlighted or not) and its SVG source."""

    def __init__(self):
        super().__init__()
        self.tags, self.involved_rows, self.rows, self.external = [], 0, 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "tr" and self.tags.count("tr") > 1:
            self.rows += 1
            self.involved_rows += a.get("class") == "involved"
        for k in ("src", "href"):
            if a.get(k):
                self.external.append(a[k])


def _page(path):
    text = path.read_text()
    parser = _Page()
    parser.feed(text)
    svgs = [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", text, re.S)]
    return text, parser, svgs


def test_an_opacity_counterexample_is_drawn_with_its_anomaly(tmp_path):
    path = tmp_path / "x.html"
    r = CliRunner().invoke(main, ["explore", "tl2-no-read-validation", "--html", str(path)])
    assert r.exit_code == 1
    text, page, (svg,) = _page(path)
    assert "script" not in page.tags and page.external == []               # self-contained
    assert "stmcheck replay tl2-no-read-validation --workload transfer" in text
    assert "inconsistent-read" in text
    rects = svg.findall(f"{SVG}rect")
    attempts = [x for x in rects if (x.get("class") or "").startswith("attempt")]
    # T1.1 commits, T2.1 (the doomed reader) aborts, T2.2 commits
    assert sorted(x.get("class") for x in attempts) == ["attempt abort", "attempt commit", "attempt commit"]
    highlighted = [x for x in rects if x.get("class") == "involved"]
    assert len(highlighted) == 2 == page.involved_rows                    # the two reads the explanation cites
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.text]
    assert "thread 1" in labels and "thread 2" in labels


def test_a_livelock_shades_its_loop_and_a_deadlock_marks_the_blocked(tmp_path):
    lasso, dead = tmp_path / "l.html", tmp_path / "d.html"
    CliRunner().invoke(main, ["explore", "eager-aggressive", "--html", str(lasso)])
    _, _, (svg,) = _page(lasso)
    assert len(svg.findall(f"{SVG}rect[@class='loop']")) == 1
    assert any("abort" in (x.get("class") or "") for x in svg.findall(f"{SVG}rect"))
    CliRunner().invoke(main, ["explore", "locks-naive", "--workload", "swap", "--html", str(dead)])
    _, _, (svg,) = _page(dead)
    blocked = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "blocked"]
    assert len(blocked) == 2 and all("BLOCKED on" in (t.text or "") for t in blocked)


def test_replay_draws_one_execution(tmp_path):
    path = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["replay", "tl2", "--schedule", "1*3,2", "--html", str(path)])
    assert r.exit_code == 0
    text, page, (svg,) = _page(path)
    assert "outcome <b>complete</b>" in text and page.rows > 0 and page.involved_rows == 0


def test_check_draws_a_recorded_history_with_its_cycle(tmp_path):
    import os
    path = tmp_path / "c.html"
    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "write-skew.json")
    r = CliRunner().invoke(main, ["check", example, "--html", str(path)])
    assert r.exit_code == 1
    text, page, (svg,) = _page(path)
    assert "G2-item" in text and "-rw(x)-&gt;" in text
    assert page.involved_rows == 4 == len(svg.findall(f"{SVG}rect[@class='involved']"))   # 2 reads, 2 writes
    assert len(svg.findall(f"{SVG}rect[@class='attempt commit']")) == 2
    two = CliRunner().invoke(main, ["check", example, example, "--html", str(path)])
    assert two.exit_code == 2 and "--html draws one history" in two.output
