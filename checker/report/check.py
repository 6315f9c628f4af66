"""Human output of `stmcheck check`: verdicts, the anomaly, the cycle, the events behind it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from stmcheck.models.history import COMMITTED, READ, WRITE, History

from ..history.results import Result, render_cycle, show_value


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


def print_report(path: str, history: History, results: list[Result], console: Console | None = None) -> None:
    console = console or Console(highlight=False)
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
