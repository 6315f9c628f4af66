"""`stmcheck conform NATIVE MODEL`: does the C code implement the design that was model-checked?

The comparison is checker/native/conform.py's; this module parses options,
runs it over the executions and prints the first divergence.

Exit 0: every execution agrees; 1: a divergence; 2: usage error (including a
native core that cannot be built here).
"""

from __future__ import annotations

import sys

import click

from stmcheck.models.machine import Machine
from stmcheck.models.workloads import WORKLOADS

from .. import api
from ..native.conform import compare
from ..report.conform import divergence_text


def _fail(message: str):
    click.echo(f"stmcheck: error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.argument("native", metavar="NATIVE")
@click.argument("model", metavar="MODEL")
@click.option("--executions", "-e", type=click.IntRange(1), default=200, show_default=True,
              help="Random schedules to compare.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random schedules.")
@click.option("--threads", "-n", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--txns", "-k", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Transactions per thread.")
@click.option("--workload", "-w", type=click.Choice(list(WORKLOADS)), default="transfer", show_default=True,
              help="Native designs hold integers: transfer or counter.")
@click.option("--keys", "-m", type=click.IntRange(1, 100), default=None, help="Accounts or counters.")
@click.option("--max-steps", type=click.IntRange(10), default=2000, show_default=True)
def conform(native, model, executions, seed, threads, txns, workload, keys, max_steps):
    """Run the same random schedules on a native (C) design and on its Python model.

    \b
    Examples:
      stmcheck conform native-tl2 tl2 --executions 500 --seed 1
      stmcheck conform native-norec norec --threads 2 --txns 3
    \b
    Exit status: 0 every execution agrees, 1 a divergence (shown with its
    schedule and both histories), 2 usage error.
    """
    try:
        setup = api.prepare(native, workload, threads=threads, txns=txns, keys=keys)
        model_cls = api.prepare(model, workload, threads=threads, txns=txns, keys=keys).design_cls
    except api.UsageError as exc:
        _fail(str(exc))
    native_cls, wl = setup.design_cls, setup.workload
    try:  # build errors (no compiler), non-integer keys: say so before running anything
        native_cls(Machine(), dict(wl.keys), threads)
    except Exception as exc:
        _fail(f"{native}: {exc}")
    ctx = {"native": native, "model": model, "workload": workload, "threads": threads, "txns": txns}
    click.echo(f"stmcheck conform {native} {model}: {workload}, {threads} threads, {txns} transaction(s) each, "
               f"{executions} random schedules from seed {seed}")
    steps = 0
    for i in range(executions):
        d, n = compare(native_cls, model_cls, wl, seed * 1_000_003 + i, max_steps)
        steps += n
        if d is not None:
            d["execution"] = i
            click.echo(divergence_text(d, ctx))
            sys.exit(1)
    click.echo(f"conforms: all {executions} executions agree ({steps} steps; same steps, histories, "
               f"outcomes and final states)")
    sys.exit(0)
