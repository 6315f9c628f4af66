"""`stmcheck bench fuzz`: does hypothesis, searching programs (`stmcheck.fuzz`), find every
shipped broken variant's bug, within what budget, and how small is the program it shrinks to?

For each broken variant (`bugs.VARIANTS`, plus the deadlocking and the livelocking
designs): `fuzz` over programs of 2 threads x 1 transaction, then, if nothing was
found, 3 threads x 2 transactions, each at most `EXAMPLES` programs (derandomized:
the same table on every machine, times aside). Native designs run only the bank
workload, not generated programs: left out, and said so. Written to reports/fuzz.md.
"""

from __future__ import annotations

import os
import time

import click

from ..gate.programs import fuzz
from .bugs import VARIANTS

EXAMPLES = 200
SHAPES = ((2, 1), (3, 2))           # (threads, transactions each), smallest first
EXTRA = {"locks-naive": "deadlock", "eager-aggressive": "livelock"}


def fuzz_rows(designs) -> list:
    rows = []
    for design in designs:
        start, row = time.monotonic(), None
        tried_all = 0
        for threads, txns in SHAPES:
            program, result, tried = fuzz(design, examples=EXAMPLES, threads=threads, txns=txns)
            tried_all += tried
            if program is not None:
                kinds = sorted({str(v.kind) for v in result.violations})
                row = (design, f"{threads} x {txns}", tried_all, program.name, ", ".join(kinds))
                break
        rows.append((row or (design, "-", tried_all, "not found", "-")) + (time.monotonic() - start,))
    return rows


@click.command("fuzz")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR")
@click.option("--designs", metavar="LIST", help="Comma list (default: every broken variant but the native ones).")
def fuzz_bench(out_dir, designs):
    """Hypothesis-searched programs against every broken variant: writes DIR/fuzz.md."""
    names = designs.split(",") if designs else \
        [d for d in list(VARIANTS) + list(EXTRA) if not d.startswith("native-")]
    rows = fuzz_rows(names)
    lines = ["# Broken variants found by hypothesis-searched programs (`stmcheck bench fuzz`)", "",
             f"`stmcheck.fuzz(design, examples={EXAMPLES}, threads, txns)`: programs of 2 threads x 1 "
             f"transaction, then 3 x 2 if none failed; the program is the minimal one hypothesis shrank to "
             f"(replay it with `--workload` and that name). Native designs run only the bank workload and "
             f"are left out.", "",
             "| design | shape | programs tried | minimal failing program | found | seconds |",
             "|---|---|---|---|---|---|"]
    for design, shape, tried, program, kinds, seconds in rows:
        shown = f"`{program}`" if program != "not found" else program
        lines.append(f"| {design} | {shape} | {tried} | {shown} | {kinds} | {seconds:.1f} |")
    found = sum(r[3] != "not found" for r in rows)
    lines += ["", f"{found} of {len(rows)} found."]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "fuzz.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    click.echo("\n".join(lines))
