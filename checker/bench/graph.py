"""`stmcheck bench graph`: the state-graph search next to DPOR, on the cells that made it necessary.

Per design and workload (2 threads, 1 transaction each, retries unbounded):
the graph's states and transitions, whether it was exhausted, its states per
second, and DPOR's executions per second with the same budget of time and
whether DPOR exhausted. Counts are deterministic; rates depend on the machine.
"""

from __future__ import annotations

import os
import time

import click

from .. import api
from ..explore.strategies.graph import GraphSearch

CELLS = [("tl2", "transfer"), ("tl2", "write-skew"), ("tl2", "dict-update"), ("tl2", "intset"),
         ("tl2-borrowed-clock", "write-skew"), ("norec", "write-skew"), ("lazy", "write-skew"),
         ("gencounter", "dict-update"), ("eager-aggressive", "write-skew")]


def _graph(design, workload, budget):
    g = GraphSearch(max_states=budget)
    ex = api.make_explorer(api.prepare(design, workload), g, max_executions=None, time_limit=600,
                           stop_at_first=False, exact_histories=True)
    t0 = time.perf_counter()
    out = ex.explore()
    return out, g, time.perf_counter() - t0


def _dpor(design, workload, seconds):
    ex = api.make_explorer(api.prepare(design, workload), "dpor", max_executions=None,
                           time_limit=max(seconds, 1.0), stop_at_first=False, exact_histories=True)
    t0 = time.perf_counter()
    out = ex.explore()
    return out, time.perf_counter() - t0


@click.command("graph")
@click.option("--out", "out_path", default="reports/graph.md", show_default=True, help="Where to write the table.")
@click.option("--quick", is_flag=True, help="Smaller budgets (for a smoke test).")
def graph_bench(out_path, quick):
    """State-graph search against DPOR: states, exhaustion, states/s next to executions/s."""
    budget = 2_000 if quick else 100_000
    lines = ["# `stmcheck bench graph`", "",
             "Written by `stmcheck bench graph`. 2 threads, 1 transaction each, retries unbounded, every "
             "history judged for all three criteria (as the matrix does). The graph search "
             "(checker/explore/strategies/graph.py) expands each canonical state once; DPOR runs for as "
             "long as the graph search took (at least 1 s). Counts are deterministic; rates depend on the "
             f"machine (this run: {os.cpu_count()} CPUs, shared).", "",
             "| design | workload | graph states | transitions | exhausted | verdicts found | seconds "
             "| states/s | DPOR executions | DPOR exhausted | DPOR executions/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for design, workload in CELLS:
        click.echo(f"{design} {workload} ...", err=True)
        out, g, dt = _graph(design, workload, budget)
        found = ", ".join(sorted({str(v.kind) for v in out.violations})) or "none"
        d, ddt = _dpor(design, workload, dt)
        lines.append(f"| {design} | {workload} | {g.states:,} | {g.transitions:,} | "
                     f"{'yes' if out.exhausted else 'no: ' + ', '.join(out.bounds)} | {found} | {dt:.1f} | "
                     f"{g.states / dt:,.0f} | {d.executions:,} | {'yes' if d.exhausted else 'no'} | "
                     f"{d.executions / ddt:,.0f} |")
    lines.append("")
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    click.echo("\n".join(lines))
