"""`stmcheck bench gil`: the GIL question's verdicts for every design, written to reports/gil.md.

For each shipped design that can run them (docs/gil.md): on the four programs with
steps outside transactions or I/O inside one (privatize, publish, print-counter,
print-in-batch; 2 threads, `--criterion gil`, every counterexample looked for), the
kinds found, each cell beside the registry's expectation (`OUTSIDE_EXPECTED`); and
the two progress properties on transfer (`explore --progress`: the state graph of
cyclic programs, at most `progress.DEFAULT_STATES` states). Counts are deterministic; the seconds are
this machine's.
"""

from __future__ import annotations

import os
import time

import click

from stmcheck.implementations.registry import DESIGNS, expected_kinds, outside_expectation
from stmcheck.models.workloads import OUTSIDE_WORKLOADS

from .. import api
from ..explore.progress import DEFAULT_STATES

PROGRESS_WORKLOAD = "transfer"
PROGRESS_STATES = DEFAULT_STATES
MARK = {"holds": "+", "violated": "x", "unknown": "?"}


def row(design: str) -> dict:
    """One design's cells: {workload: (kinds found, states, matches the registry)}, its progress."""
    start = time.monotonic()
    cells = {}
    for w in OUTSIDE_WORKLOADS:
        expected = outside_expectation(design, w)
        if expected is None:
            cells[w] = None
            continue
        r = api.explore(design, w, threads=2, stop_at_first=False, shrink=False)
        kinds = tuple(sorted({str(v.kind) for v in r.violations}))
        cells[w] = (kinds, r.states, r.exhausted, kinds == expected_kinds(expected))
    p = api.progress(design, PROGRESS_WORKLOAD, max_states=PROGRESS_STATES).progress
    return {"design": design, "cells": cells, "progress": p, "seconds": time.monotonic() - start}


def table(rows: list) -> str:
    head = ["design", *OUTSIDE_WORKLOADS, "obstruction-free", "survives a stopped thread", "seconds"]
    out = ["# The GIL question: verdicts of every design",
           "",
           "Written by `stmcheck bench gil` (docs/gil.md defines every column). The four program columns: "
           "2 threads, `--criterion gil`, every counterexample looked for; a cell names the kinds found "
           "(`clean`: none, the search exhausted), then the states of the graph; `(!)` marks a cell that "
           "differs from the registry's expectation (`OUTSIDE_EXPECTED`), `n/a` a design that cannot run "
           "steps outside transactions. The progress columns: `explore --progress` on "
           f"{PROGRESS_WORKLOAD}, the state graph of cyclic programs (at most {PROGRESS_STATES:,} states): "
           "`+` holds, `x` violated (a replayable witness), `?` unknown; its states follow. Seconds are "
           "this machine's (2 shared cores).",
           "",
           "| " + " | ".join(head) + " |",
           "|" + "|".join(["---"] * (len(OUTSIDE_WORKLOADS) + 1) + ["---:"] * 3) + "|"]
    for r in rows:
        cells = []
        for w in OUTSIDE_WORKLOADS:
            c = r["cells"][w]
            if c is None:
                cells.append("n/a")
                continue
            kinds, states, exhausted, ok = c
            text = " + ".join(kinds) or ("clean" if exhausted else "unknown")
            cells.append(f"{text}, {states:,}" + ("" if ok else " (!)"))
        p = r["progress"]
        cells.append(f"{MARK[p.obstruction_free]} ({p.states:,})")
        cells.append(MARK[p.survives_stopped_thread])
        cells.append(f"{r['seconds']:.1f}")
        out.append(f"| {r['design']} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


@click.command("gil")
@click.option("--designs", default=None, metavar="LIST", help="Comma list of designs (default: every shipped one).")
@click.option("--out", "out_dir", default="reports", show_default=True, help="Directory for gil.md.")
def gil_bench(designs, out_dir):
    """The GIL question's verdicts for every design: reports/gil.md.

    \b
    Example:
      stmcheck bench gil --designs tl2,tl2-quiescent,norec
    """
    names = designs.split(",") if designs else [d for d in DESIGNS if not d.startswith("native-")]
    unknown = [d for d in names if d not in DESIGNS]
    if unknown:
        raise click.UsageError(f"unknown design(s): {', '.join(unknown)}")
    rows = []
    for d in names:
        rows.append(row(d))
        click.echo(f"{d}: {rows[-1]['seconds']:.1f} s", err=True)
    text = table(rows)
    if designs:
        click.echo(text, nl=False)
        return
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "gil.md"), "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(f"written to {os.path.join(out_dir, 'gil.md')}", err=True)
    differ = [(r["design"], w) for r in rows for w, c in r["cells"].items() if c is not None and not c[3]]
    if differ:
        click.echo("differs from the registry: " + ", ".join(f"{d} on {w}" for d, w in differ), err=True)
        raise SystemExit(1)
