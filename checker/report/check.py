"""Output of `stmcheck check`: verdicts, the anomaly, the cycle, the events behind it.

Also what several files given to one `stmcheck check` add to their reports: a
one-line summary after the human reports, and one JSON object holding every
file's own `--json` object, so a consumer can tell the files apart.
"""

from __future__ import annotations

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
                return f"{t.id} (thread {t.thread}) {kind} {key} = {show_value(value)}"
    return None


def new_console() -> "Console":
    """The console every human report of one command writes to."""
    from rich.console import Console
    return Console(highlight=False)


def to_json(history: History, results: list[Result]) -> dict:
    """The contract's `--json` object for one transaction history."""
    return {"history": history.counts(), "results": [r.to_json() for r in results]}


def print_report(path: str, history: History, results: list[Result], console: "Console | None" = None) -> None:
    from rich.markup import escape
    console = console or new_console()
    c = history.counts()
    console.print(f"[bold]{escape(path)}[/]: {c['transactions']} transactions "
                  f"({c['committed']} committed, {c['aborted']} aborted, {c['live']} live), {history.events} events")
    for r in results:
        if r.holds:
            how = {"witness": "a candidate order", "graph": "the dependency graph", "z3": "z3"}.get(r.decided_by, "")
            order = ", ".join(str(i) for i in r.order[:12]) + (" ..." if len(r.order) > 12 else "")
            console.print(f"  [green]HOLDS[/]      {r.criterion}  [dim](witness from {how}: {escape(order)})[/]")
        elif r.holds is None:
            console.print(f"  [yellow]UNKNOWN[/]    {r.criterion}: {escape(r.explanation or '')}")
        else:
            console.print(f"  [red]VIOLATED[/]   {r.criterion}: [bold]{escape(r.anomaly or '')}[/]")
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
        console.print(f"[bold red]{escape(r.anomaly or 'violation')}[/] ({escape(names)})")
        if r.cycle:
            console.print(f"  cycle: [bold]{escape(render_cycle(r.cycle))}[/]")
        console.print(f"  {escape(r.explanation or '')}")
        events = involved_events(history, r)
        if events:
            console.print("  events:")
            for i in events[:20]:
                text = describe_event(history, i)
                if text:
                    console.print(f"    {i:>6}  {escape(text)}")


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
