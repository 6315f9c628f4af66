"""The report of `stmcheck check FILE --criterion linearizability`: human text and `--json`.

Kept apart from the transaction report because operation histories, their
formats and their report have nothing in common with transaction histories
except the exit-code contract. Reading, checking and exit codes are the front
end's (`checker/cli/check.py`); this module only renders a verdict.
"""

from __future__ import annotations

from stmcheck.models.opformats import OpHistory
from stmcheck.models.specs import UNKNOWN, show, thaw
from stmcheck.models.terms import Criterion

from ..linearizability.search import LinResult
from . import timings
from .check import new_console, printable

CRITERION = Criterion.LINEARIZABILITY


def op_json(history: OpHistory, index: int) -> dict:
    o = history.operations[index]
    doc = {"index": o.index, "client": o.client, "op": o.op, "args": thaw(o.args),
           "call": o.call, "return": o.ret, "result": None, "text": history.describe(o)}
    if o.result is UNKNOWN:
        doc["result_unknown"] = True  # an import's timed-out read: it returned, nobody saw what
    elif o.ret is not None:
        doc["result"] = thaw(o.result)
    return doc


def to_json(history: OpHistory, result: LinResult) -> dict:
    r: dict = {"criterion": CRITERION, "holds": result.holds, "model": history.model}
    if result.holds:
        r["order"] = result.order
    elif result.holds is False:
        r["prefix"] = result.prefix
        r["unplaceable"] = result.unplaceable
        r["operation"] = op_json(history, result.unplaceable)
        r["state"] = history.spec.state_json(result.state)
        if result.partition is not None:
            r["partition"] = thaw(result.partition)
    r["explanation"] = result.explanation
    r["partitions"] = result.partitions
    r["explored"] = result.explored
    if timings():
        r["elapsed"] = round(result.elapsed, 6)
    r["engine"] = result.engine
    return {"history": history.counts(), "results": [r]}


def _escape(text: str) -> str:
    """Rich markup escaped, lone surrogates written as escapes (see `check.printable`)."""
    from rich.markup import escape
    return escape(printable(text))


def _line(history: OpHistory, index: int) -> str:
    o = history.operations[index]
    ret = "pending" if o.ret is None else f"{o.ret:g}"
    return f"#{o.index:<4} client {_escape(show(o.client)):<6} [{o.call:g}, {ret}]  {_escape(history.describe(o))}"


def print_report(path: str, history: OpHistory, result: LinResult, console=None) -> None:
    """The human report (rich is imported here only: `--json` runs do not pay for it)."""
    console = console or new_console()
    c = history.counts()
    console.print(f"[bold]{_escape(path)}[/]: {c['operations']} operations ({c['completed']} completed, "
                  f"{c['pending']} pending) by {c['clients']} client{'s' if c['clients'] != 1 else ''}, model [bold]{history.model}[/] "
                  f"({c['format']})")
    parts = f", {result.partitions} independent parts" if result.partitions > 1 else ""
    if result.holds:
        order = result.order
        shown = " ".join(f"#{i}" for i in order[:20]) + (" ..." if len(order) > 20 else "")
        console.print(f"  [green]✓ linearizability holds[/]{parts}; linearization: {shown}")
        return
    if result.holds is None:
        console.print(f"  [yellow]? linearizability inconclusive[/]: {_escape(result.explanation)}")
        return
    console.print(f"  [red]✗ linearizability violated[/]{parts}")
    console.print(f"  {_escape(result.explanation)}")
    prefix = result.prefix
    console.print(f"  longest linearizable prefix found ({len(prefix)} operations"
                  f"{', last 10' if len(prefix) > 10 else ''}):")
    for i in prefix[-10:]:
        console.print(f"    {_line(history, i)}")
    console.print("  cannot be placed:")
    console.print(f"    [red]{_line(history, result.unplaceable)}[/]")
