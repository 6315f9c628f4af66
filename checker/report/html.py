"""`--html FILE`: one self-contained page for a person to look at a counterexample.

Why: a timeline in a terminal is read one column at a time; a picture shows at
once which attempts overlapped, where each began, committed or aborted, and
which events the anomaly is made of (Porcupine and Elle users get a visual
history too). The page needs no network and no script: inline CSS and SVG.

What is drawn, per execution: one column per thread, one row per step that
matters (as in the text timeline), each attempt a bar from its BEGIN to its
COMMIT (green) or ABORT (red), the events the verdict rests on highlighted
(yellow, and listed), a lasso's loop shaded, a deadlock's blocked threads
marked; then the history as a table (the same events highlighted) and the
command that replays it.

Operation histories (`check -c linearizability`) get a page of their own, one lane per client:
`html_linearizability.py`, which uses the shell and styles here.
"""

from __future__ import annotations

import re
from html import escape

from stmcheck.models.history import HistoryError

from .check import involved_events
from .explore import replay_of, timeline_rows, violation_marks

_COL, _ROW, _LEFT, _TOP = 300, 18, 56, 28
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 32px; }
pre, code { font-family: ui-monospace, monospace; font-size: 13px; }
pre.replay { background: #f4f4f4; padding: 8px; white-space: pre-wrap; }
table.history { border-collapse: collapse; font-size: 13px; }
table.history td, table.history th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
tr.involved td { background: #fff2a8; }
.verdict-violated { color: #b00020; } .verdict-holds { color: #1b7f3b; } .verdict-unknown { color: #8a6d00; }
svg text { font-family: ui-monospace, monospace; font-size: 12px; }
div.lanes { overflow-x: auto; border: 1px solid #ddd; display: inline-block; max-width: 100%; }
g.op rect { stroke-width: 1.2; } g.op text.order { fill: #0b3d91; }
g.linearized rect, .key.linearized { fill: #dbe9ff; stroke: #3b6fb6; background: #dbe9ff; }
g.other rect, .key.other { fill: #eeeeee; stroke: #999; background: #eeeeee; }
g.unplaceable rect, .key.unplaceable { fill: #ffd4d4; stroke: #b00020; stroke-width: 2.5; background: #ffd4d4; }
g.pending rect { stroke-dasharray: 5 3; } .key.pending { background: #fff; border-style: dashed; }
.key { display: inline-block; width: 26px; height: 12px; border: 1px solid #888; margin: 0 4px 0 14px;
       vertical-align: -1px; }
tr.unplaceable td, span.unplaceable { background: #ffd4d4; }
ol.prefix { font-size: 14px; } ol.prefix.long { columns: 2 480px; column-gap: 56px; }
ol.prefix li { break-inside: avoid; } table.ops { margin-top: 16px; }
pre.state { background: #f4f4f4; padding: 8px; white-space: pre-wrap; max-height: 300px; overflow: auto; }
"""


def page(title: str, sections: list[str]) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n" + "\n".join(sections)
            + "\n</body></html>\n")


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# -- explore and replay -----------------------------------------------------------------------
def explore_page(result) -> str:
    c = result.config
    head = [f"<p>{escape(result.about)}</p>",
            f"<p>workload <b>{escape(c.program)}</b>, {c.threads} threads, {c.txns} transaction(s) each; "
            f"strategy {escape(result.strategy_desc)}; criterion {escape(result.criterion)}</p>",
            f"<p>verdict: <b class=\"verdict-{result.verdict}\">{result.verdict}</b> ({escape(result.coverage)})</p>"]
    sections = head + [violation_section(v, c, i) for i, v in enumerate(result.violations, 1)]
    return page(f"stmcheck explore {c.design}", sections)


def replay_page(execution) -> str:
    c, v, run = execution.config, execution.violation, execution.run
    head = [f"<p>schedule <code>{escape(','.join(map(str, execution.schedule)))}</code>; outcome "
            f"<b>{escape(run.outcome)}</b>; {len(run.steps)} steps</p>"]
    if v is not None:
        return page(f"stmcheck replay {c.design}", head + [violation_section(v, c, 1)])
    return page(f"stmcheck replay {c.design}", head + [execution_section(run, set(), {}, [])])


def violation_section(v, config, number: int) -> str:
    failing = [r for r in v.results if r.holds is False]
    # the events the verdict rests on: its cycle's and its own, and those its explanation cites
    involved = {int(n) for n in re.findall(r"\bevent (\d+)", v.explanation) if int(n) < len(v.run.events)}
    if failing:
        try:
            involved |= set(involved_events(v.run.history(), failing[0]))
        except HistoryError:
            pass
    mark, tail = violation_marks(v)
    anomaly = f"; anomaly <b>{escape(str(failing[0].anomaly))}</b>" if failing and failing[0].anomaly else ""
    parts = [f"<h2>Counterexample {number}: <span class=\"verdict-violated\">{escape(str(v.kind))}</span>"
             f"{' (suspected)' if v.suspected else ''}</h2>",
             f"<p>{escape(v.explanation)}{anomaly}</p>"]
    if failing and failing[0].cycle:
        parts.append("<p>cycle: <code>" + escape(" → ".join(f"{e.src} -{e.label()}->" for e in failing[0].cycle)
                                                + f" {failing[0].cycle[0].src}") + "</code></p>")
    parts.append(execution_section(v.run, involved, mark, tail))
    parts.append(f"<pre class=\"replay\">{escape(replay_of(v, config))}</pre>")
    return "\n".join(parts)


def execution_section(run, involved: set, mark: dict, tail: list) -> str:
    return timeline_svg(run, involved, mark, tail) + "\n" + history_table(run, involved)


def timeline_svg(run, involved: set, mark: dict, tail: list) -> str:
    """The per-thread timeline of a run as SVG: rows as in the text timeline, attempts as bars."""
    rows = timeline_rows(run, mark=mark, tail=tail, events=True)
    for r in rows:
        r["op"] = run.events[r["event"]]["op"] if r.get("event") is not None else None
    return _svg(rows, [f"thread {t}" for t in range(1, run.threads + 1)], involved)


def history_svg(history) -> tuple[str, list]:
    """The timeline of a recorded history (no steps: its events in order, one column per
    thread in order of appearance) as SVG, and its rows (the table's)."""
    rows, columns = [], {}
    for txn in history.txns:
        columns.setdefault(txn.thread, len(columns) + 1)
        col = columns[txn.thread]
        rows.append({"event": txn.begin, "thread": col, "text": f"{txn.id} BEGIN", "op": "begin"})
        for kind, key, value, event in txn.ops:
            text = f"{txn.id} read {key} = {value!r}" if kind == "read" else f"{txn.id} write {key} := {value!r}"
            rows.append({"event": event, "thread": col, "text": text, "op": kind})
        if txn.end is not None:
            op = "commit" if txn.committed else "abort"
            rows.append({"event": txn.end, "thread": col, "text": f"{txn.id} {op.upper()}", "op": op})
    rows.sort(key=lambda r: r["event"])
    for r in rows:
        r["step"] = r["event"]
    return rows, [f"thread {t}" for t in columns]


def _svg(rows: list, columns: list, involved: set) -> str:
    """Rows (`thread`: a column from 1, or None for a line across; `text`; `step`: the number on
    the left; `event`; `op`: begin, commit, abort or None) drawn one per line, attempts as bars."""
    n = len(columns)
    # a column as wide as its longest text (7.3 px a character of 12 px monospace): nothing is cut
    col = max([_COL] + [int(7.3 * len(r["text"])) + 24 for r in rows if r["thread"] is not None])
    width, height = _LEFT + n * col + 10, _TOP + len(rows) * _ROW + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">']
    for t, name in enumerate(columns, 1):
        out.append(f'<text x="{_LEFT + (t - 1) * col + 14}" y="16" font-weight="bold">{escape(name)}</text>')
    lines = [i for i, r in enumerate(rows) if r["thread"] is None]   # a lasso's start and end
    if len(lines) == 2:       # the loop shaded first, so that its rows are drawn over it
        y0, y1 = (_TOP + i * _ROW for i in lines)
        out.append(f'<rect class="loop" x="{_LEFT}" y="{y0}" width="{n * col}" height="{y1 - y0 + _ROW}" '
                   f'fill="#e8f0ff"/>')
    opened: dict = {}
    for i, r in enumerate(rows):
        y = _TOP + i * _ROW
        t, text, event, op = r["thread"], r["text"], r.get("event"), r.get("op")
        if t is None:
            out.append(f'<text class="mark" x="{_LEFT}" y="{y + 13}" fill="#1f4fb3">— {escape(text)} —</text>')
            continue
        x = _LEFT + (t - 1) * col
        if r["step"] is not None:
            out.append(f'<text x="4" y="{y + 13}" fill="#888">{r["step"]}</text>')
        if event is not None and event in involved:
            out.append(f'<rect class="involved" x="{x + 10}" y="{y + 1}" width="{col - 14}" height="{_ROW - 2}" '
                       f'fill="#fff2a8"/>')
        if op == "begin":
            opened[t] = y
        elif op in ("commit", "abort") and t in opened:
            color, y0 = ("#1b7f3b" if op == "commit" else "#b00020"), opened.pop(t)
            out.append(f'<rect class="attempt {op}" x="{x + 2}" y="{y0}" width="5" height="{y + _ROW - y0}" '
                       f'fill="{color}"/>')
        cls = f' class="event {op}"' if op else (' class="blocked"' if r["step"] is None else "")
        title = f"<title>event {event}</title>" if event is not None else ""
        out.append(f'<text{cls} x="{x + 14}" y="{y + 13}">{title}{escape(text)}</text>')
    for t, y in opened.items():   # attempts still running at the end (a deadlock, a cut run, a live one)
        out.append(f'<rect class="attempt live" x="{_LEFT + (t - 1) * col + 2}" y="{y}" width="5" '
                   f'height="{height - 10 - y}" fill="#999"/>')
    out.append("</svg>")
    return "\n".join(out)


def history_table(run, involved: set) -> str:
    out = ['<table class="history"><tr><th>#</th><th>thread</th><th>attempt</th><th>op</th><th>key</th>'
           '<th>value</th></tr>']
    for i, e in enumerate(run.events):
        cls = ' class="involved"' if i in involved else ""
        key = escape(str(e.get("key", ""))) if "key" in e else ""
        value = escape(repr(e["value"])) if "value" in e else ""
        out.append(f'<tr{cls}><td>{i}</td><td>{e["thread"]}</td><td>{escape(str(e["txn"]))}</td>'
                   f'<td>{escape(e["op"])}</td><td>{key}</td><td>{value}</td></tr>')
    out.append("</table>")
    return "\n".join(out)


# -- check ------------------------------------------------------------------------------------
def check_page(path: str, history, results) -> str:
    """A recorded history: each criterion's verdict (anomaly, cycle, explanation), the timeline
    with the events the first violated one rests on highlighted, and the events as a table."""
    failing = [r for r in results if r.holds is False]
    involved = set(involved_events(history, failing[0])) if failing else set()
    parts = []
    for r in results:
        verdict = "holds" if r.holds else "violated" if r.holds is False else "unknown"
        line = f"<p>{escape(r.criterion)}: <b class=\"verdict-{verdict}\">{verdict}</b>"
        if r.holds is False:
            line += f" ({escape(str(r.anomaly))})"
            if r.cycle:
                line += " cycle <code>" + escape(" ".join(f"{e.src} -{e.label()}->" for e in r.cycle)
                                                 + f" {r.cycle[0].src}") + "</code>"
        if r.holds is not True and r.explanation:
            line += f"<br>{escape(r.explanation)}"
        parts.append(line + "</p>")
    rows, columns = history_svg(history)
    parts.append(_svg(rows, columns, involved))
    table = ['<table class="history"><tr><th>#</th><th>thread</th><th>attempt</th><th>event</th></tr>']
    for r in rows:
        cls = ' class="involved"' if r["event"] in involved else ""
        table.append(f'<tr{cls}><td>{r["event"]}</td><td>{escape(columns[r["thread"] - 1])}</td>'
                     f'<td>{escape(r["text"].split()[0])}</td><td>{escape(r["text"])}</td></tr>')
    table.append("</table>")
    parts.append("\n".join(table))
    return page(f"stmcheck check {path}", parts)
