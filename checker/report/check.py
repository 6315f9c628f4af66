"""Output of `stmcheck check`: verdicts, the anomaly, the cycle, the events behind it.

Also what several files given to one `stmcheck check` add to their reports: a
one-line summary after the human reports, and one JSON object holding every
file's own `--json` object, so a consumer can tell the files apart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stmcheck.models.history import COMMITTED, READ, WRITE, History

from ..history.results import Result, render_cycle, show_value

if TYPE_CHECKING:   # rich is imported when a report is printed: `--json` and `--help` do not pay for it
    from rich.console import Console


def involved_events(history: History, result: Result) -> list[int]:
    """The event indices a person needs to see to believe the verdict."""
    events = set(result.events)
    if result.cycle:
        by_id = history.by_id()
        for e in result.cycle:
            src, dst = by_id[e.src], by_id[e.dst]
            if e.kind == "wr":
                events.update(_ops(src, WRITE, e.key)[-1:])
                events.update(_ops(dst, READ, e.key)[:1])
            elif e.kind == "rw":
                events.update(_ops(src, READ, e.key)[:1])
                events.update(_ops(dst, WRITE, e.key)[-1:])
            elif e.kind == "ww":
                events.update(_ops(src, WRITE, e.key)[-1:])
                events.update(_ops(dst, WRITE, e.key)[-1:])
            else:
                if src.end is not None:
                    events.add(src.end)
                events.add(dst.begin)
    return sorted(events)


def _ops(txn, kind, key) -> list[int]:
    return [i for k, kk, _, i in txn.ops if k is kind and kk == key]


def describe_event(history: History, index: int) -> str | None:
    for t in history.txns:
        if t.begin == index:
            return f"{t.id} (thread {t.thread}) begin"
        if t.end == index:
            return f"{t.id} (thread {t.thread}) {'commit' if t.status == COMMITTED else 'abort'}"
        for kind, key, value, i in t.ops:
            if i == index:
                return f"{t.id} (thread {t.thread}) {kind} key {key} = {show_value(value)}"
    return None


def printable(text: str) -> str:
    """`text` with lone surrogates (a JSON "\\ud800", an undecodable file name) written as
    `\\ud800`: a terminal's UTF-8 cannot encode them, and a report must not crash on them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_CITED_EVENT = re.compile(r"(?:\(|\bat )event (\d+)\b")


def cite_lines(history: History, text: str) -> str:
    """Where the history was read from a file, "(event 306)" becomes "(event 306, line 308)":
    violations name events by index, a reader looks for them by line."""
    if history.lines is None:
        return text

    def add(m):
        line = history.line_of(int(m.group(1)))
        return m.group(0) if line is None else f"{m.group(0)}, line {line}"
    return _CITED_EVENT.sub(add, text)


def _event_rows(history: History, events: list[int]) -> list[str]:
    """The events list: "event 3, line 8  T1 (thread 1) read ..." for a file, else the index alone."""
    rows = [(i, describe_event(history, i)) for i in events]
    rows = [(i, text) for i, text in rows if text]
    if history.lines is None:
        return [f"{i:>6}  {text}" for i, text in rows]
    labels = [f"event {i}, line {history.line_of(i)}" for i, _ in rows]
    width = max((len(label) for label in labels), default=0)
    return [f"{label:<{width}}  {text}" for label, (_, text) in zip(labels, rows)]


def new_console() -> "Console":
    """The console every human report of one command writes to.

    Lines are wrapped to the width of a terminal only: piped into a CI log or a
    file, rich would wrap at 80 columns and break sentences and numbers apart
    ("10 \\nevents"), so there each line is written whole."""
    from rich.console import Console
    console = Console(highlight=False)
    console.soft_wrap = not console.is_terminal
    return console


def elle_anomaly(history: History, r: Result) -> str | None:
    """For a history read from Elle's format, Elle's name for a violation where it differs
    from stmcheck's (G-nonadjacent, dirty-update, G-single-realtime, ...)."""
    if history.source != "elle" or r.holds is not False:
        return None
    for f in history.findings:
        if (f.anomaly, f.explanation) == (r.anomaly, r.explanation):
            return f.elle if f.elle != f.anomaly else None
    from stmcheck.models.elle import elle_name
    return elle_name(r.anomaly, [e.kind for e in r.cycle] if r.cycle else None)


def _named(history: History, r: Result) -> str:
    """The anomaly as the report shows it: `G2-item (Elle: G-nonadjacent)` for an Elle history."""
    elle = elle_anomaly(history, r)
    return (r.anomaly or "") + (f" (Elle: {elle})" if elle else "")


def to_json(history: History, results: list[Result]) -> dict:
    """The contract's `--json` object for one transaction history (an Elle history's
    violations also carry `elle_anomaly` where Elle's name differs)."""
    out = []
    for r in results:
        doc = r.to_json()
        elle = elle_anomaly(history, r)
        if elle:
            doc["elle_anomaly"] = elle
        out.append(doc)
    return {"history": history.counts(), "results": out}


def print_report(path: str, history: History, results: list[Result], console: "Console | None" = None) -> None:
    from rich.markup import escape as escape_markup

    def escape(text: str) -> str:
        return escape_markup(printable(text))
    console = console or new_console()
    c = history.counts()
    console.print(f"[bold]{escape(path)}[/]: {c['transactions']} transactions "
                  f"({c['committed']} committed, {c['aborted']} aborted, {c['live']} live), {history.events} events"
                  + _source_note(history))
    for r in results:
        if r.holds:
            how = {"witness": "a candidate order", "graph": "the dependency graph", "z3": "z3"}.get(r.decided_by, "")
            order = ", ".join(str(i) for i in r.order[:12]) + (" ..." if len(r.order) > 12 else "")
            console.print(f"  [green]HOLDS[/]      {r.criterion}  [dim](witness from {how}: {escape(order)})[/]")
        elif r.holds is None:
            console.print(f"  [yellow]UNKNOWN[/]    {r.criterion}: {escape(cite_lines(history, r.explanation or ''))}")
        else:
            console.print(f"  [red]VIOLATED[/]   {r.criterion}: [bold]{escape(_named(history, r))}[/]")
    shown = set()
    for r in results:
        if r.holds is not False:
            continue
        sig = (r.anomaly, r.explanation)
        if sig in shown:
            continue
        shown.add(sig)
        console.print()
        names = ", ".join(x.criterion for x in results if x.holds is False and (x.anomaly, x.explanation) == sig)
        console.print(f"[bold red]{escape(_named(history, r) or 'violation')}[/] ({escape(names)})")
        if r.cycle:
            console.print(f"  cycle: [bold]{escape(render_cycle(r.cycle))}[/]")
        console.print(f"  {escape(cite_lines(history, r.explanation or ''))}")
        events = involved_events(history, r)
        if events:
            console.print("  events:")
            for row in _event_rows(history, events[:20]):
                console.print(f"    {escape(row)}")


def _source_note(history: History) -> str:
    if history.source == "elle":
        return ", read as an Elle history"
    if history.source == "cobra":
        return ", read from Cobra logs (each client's order, no real time)"
    return ""


# --- several files in one command -------------------------------------------------------

OUTCOMES = {0: "hold", 1: "violated", 3: "inconclusive", 2: "bad"}
"""A file's exit code, named for the summary (the names are the JSON summary's keys)."""


def summary(codes: list[int]) -> dict:
    """How many files came to each outcome, in a fixed key order."""
    counts = {"files": len(codes)}
    counts.update({name: sum(c == code for c in codes) for code, name in OUTCOMES.items()})
    return counts


def summary_line(codes: list[int], worst: int) -> str:
    s = summary(codes)
    files = f"{s['files']} file{'s' if s['files'] != 1 else ''}"
    return (f"{files}: {s['hold']} hold, {s['violated']} violated, {s['inconclusive']} inconclusive, "
            f"{s['bad']} bad input; exit {worst}")


def print_summary(codes: list[int], worst: int, console: Console | None = None) -> None:
    """The last line after several files' reports, a blank line apart; `console` is None
    when no report was printed (every file was bad: their reasons are on stderr)."""
    if console is None:
        console = new_console()
    else:
        console.print()
    console.print(summary_line(codes, worst), markup=False)


def file_json(path: str, code: int, doc: dict | None = None, error: str | None = None) -> dict:
    """One file's entry: `file` and `exit` first, then its single-file object or its error."""
    entry: dict = {"file": path, "exit": code}
    if error is not None:
        entry["error"] = error
    else:
        entry.update(doc or {})
    return entry


def many_json(entries: list[dict], worst: int) -> dict:
    """The one `--json` object for several files: entries in the order given, then totals."""
    return {"files": entries, "summary": summary([e["exit"] for e in entries]), "exit": worst}
