"""`stmcheck bench check`: what checking a history costs, against merely parsing it.

For each size, two synthetic histories (checker/synth.py: an opaque lazy STM
on 8 threads, and the same with one stale read planted) are written as JSON
Lines, parsed with the standard `json` module (one `json.loads` per line:
the bare cost of reading the file), then read and checked by stmcheck for
strict serializability and opacity. A blind-write history as a database
records it (no real-time help, no version order) is checked for
serializability: the case Cobra (OSDI 2020) made hard. Verdicts are asserted,
so a wrong answer fails the benchmark rather than producing a fast number.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time

import click

from stmcheck.models.formats import read_history

from .criteria import OPACITY, SERIAL, STRICT, check
from .synth import inject_stale_read, simulate, simulate_database, write_jsonl


def _json_parse_seconds(path: str) -> float:
    start = time.perf_counter()
    with open(path, "rb") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - start


def _measure(path: str, events: int, criteria, expect_holds: bool) -> dict:
    parse = _json_parse_seconds(path)
    start = time.perf_counter()
    history = read_history(path)
    results = check(history, criteria)
    seconds = time.perf_counter() - start
    verdicts = {r.criterion: r.holds for r in results}
    if any(v is not expect_holds for v in verdicts.values()):
        raise click.ClickException(f"wrong verdict on {os.path.basename(path)}: {verdicts}")
    counts = history.counts()
    return {"transactions": counts["transactions"], "events": events,
            "parse": parse, "check": seconds, "ratio": seconds / parse if parse else float("inf"),
            "anomaly": ", ".join(sorted({r.anomaly for r in results if r.anomaly})) or "-"}


@click.command("check")
@click.option("--sizes", default="10000,100000,1000000", show_default=True,
              help="Comma-separated numbers of transactions.")
@click.option("--database-size", default=10000, show_default=True,
              help="Transactions in the blind-write (database) history checked for serializability.")
@click.option("--out", default="reports/check.md", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the table (Markdown).")
@click.option("--seed", default=1, show_default=True)
def check_bench(sizes, database_size, out, seed):
    """Time `stmcheck check` against a bare JSON parse at several sizes; write a table."""
    try:
        counts = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"not a list of integers: {sizes!r}", param_hint="--sizes") from None
    rows = []
    with tempfile.TemporaryDirectory(prefix="stmcheck-bench-") as tmp:
        for n in counts:
            header, events = simulate(n, seed=seed)
            events = list(events)
            path = os.path.join(tmp, f"correct-{n}.jsonl")
            written = write_jsonl(path, header, events)
            rows.append(("opaque STM", n, "strict, opacity", _measure(path, written, (STRICT, OPACITY), True)))
            click.echo(_line(rows[-1]), err=True)
            if not inject_stale_read(events, seed=seed):
                raise click.ClickException(f"could not plant an anomaly in the {n}-transaction history")
            path = os.path.join(tmp, f"anomaly-{n}.jsonl")
            written = write_jsonl(path, header, events)
            del events
            rows.append(("one stale read", n, "strict, opacity", _measure(path, written, (STRICT, OPACITY), False)))
            click.echo(_line(rows[-1]), err=True)
        if database_size:
            header, events = simulate_database(database_size, seed=seed)
            path = os.path.join(tmp, f"database-{database_size}.jsonl")
            written = write_jsonl(path, header, events)
            rows.append(("blind writes (database)", database_size, "serializability",
                         _measure(path, written, (SERIAL,), True)))
            click.echo(_line(rows[-1]), err=True)
    _write(out, rows)
    click.echo(f"wrote {out}")


def _line(row) -> str:
    name, n, crit, m = row
    return (f"{name:24} {n:>9} txns  parse {m['parse']:8.2f} s  check {m['check']:8.2f} s  "
            f"ratio {m['ratio']:5.2f}  ({crit}; {m['anomaly']})")


def _write(out: str, rows) -> None:
    lines = [
        "# `stmcheck bench check`: checking cost against a bare JSON parse",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "`parse` is one `json.loads` per line of the JSON Lines file; `check` is stmcheck reading "
        "the same file (with every well-formedness rule) and deciding the criteria. "
        "Regenerate with `stmcheck bench check`.",
        "",
        "| history | transactions | events | criteria | parse (s) | check (s) | ratio | anomaly found |",
        "|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for name, n, crit, m in rows:
        lines.append(f"| {name} | {m['transactions']:,} | {m['events']:,} | {crit} | {m['parse']:.2f} | "
                     f"{m['check']:.2f} | {m['ratio']:.2f} | {m['anomaly']} |")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
