"""`stmcheck conform NATIVE MODEL`: does the C code implement the design that was model-checked?

The comparison is checker/native/conform.py's; this module parses options,
runs it over the executions and prints the first divergence.

Exit 0: every execution agrees; 1: a divergence; 2: usage error (including a
native core that cannot be built here).
"""

from __future__ import annotations

import json
import sys

import click

from stmcheck.models.machine import Machine
from stmcheck.models.workloads import WORKLOADS

from .. import api
from ..native.conform import compare
from ..report.conform import divergence_json, divergence_text
from .options import check_design_name, fail


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
@click.option("--max-steps", type=click.IntRange(10), default=2000, show_default=True,
              help="Steps per execution on either side.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout: the run's settings under `implementation` (the native "
                   "design) and `model`, `conforms`, and the first divergence (null when all agree).")
def conform(native, model, executions, seed, threads, txns, workload, keys, max_steps, as_json):
    """Run the same random schedules on a native (C) design and on its Python model.

    \b
    Examples:
      stmcheck conform native-tl2 tl2 --executions 500 --seed 1
      stmcheck conform native-norec norec --threads 2 --txns 3
    \b
    Exit status: 0 every execution agrees, 1 a divergence (shown with its
    schedule and both histories), 2 usage error.
    """
    check_design_name(native)
    check_design_name(model)
    try:
        setup = api.prepare(native, workload, threads=threads, txns=txns, keys=keys)
        model_cls = api.prepare(model, workload, threads=threads, txns=txns, keys=keys).design_cls
    except api.UsageError as exc:
        fail(str(exc))
    native_cls, wl = setup.design_cls, setup.workload
    try:  # build errors (no compiler), non-integer keys: say so before running anything
        native_cls(Machine(), dict(wl.keys), threads)
    except Exception as exc:
        fail(f"{native}: {exc}")
    ctx = {"native": native, "model": model, "workload": workload, "threads": threads, "txns": txns}
    if not as_json:
        click.echo(f"stmcheck conform {native} {model}: {workload}, {threads} threads, {txns} transaction(s) "
                   f"each, {executions} random schedules from seed {seed}")
    steps = 0
    divergence = None
    for i in range(executions):
        d, n = compare(native_cls, model_cls, wl, seed * 1_000_003 + i, max_steps)
        steps += n
        if d is not None:
            d["execution"] = i
            divergence = d
            break
    if as_json:
        doc = {"implementation": native, "model": model, "workload": workload, "threads": threads, "txns": txns,
               "executions": executions, "seed": seed, "conforms": divergence is None, "steps": steps,
               "divergence": divergence_json(divergence, ctx) if divergence is not None else None}
        click.echo(json.dumps(doc, indent=2, default=str))
    elif divergence is not None:
        click.echo(divergence_text(divergence, ctx))
    else:
        click.echo(f"conforms: all {executions} executions agree ({steps} steps; same steps, histories, "
                   f"outcomes and final states)")
    sys.exit(1 if divergence is not None else 0)
