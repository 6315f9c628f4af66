"""`stmcheck bench graph`: the state-graph search next to DPOR, on the cells that made it necessary.

Per design, workload and thread count (1 transaction each, retries unbounded):
the graph's states and transitions, whether it was exhausted, its states per
second, what the store holds per state (`GraphStore.nbytes`), and DPOR's executions per second with the same budget of time and
whether DPOR exhausted. Counts are deterministic; rates depend on the machine.
dstm+karma counter stands for the deep graphs (retries with priorities: runs replay
long paths to the states they expand), where the replay is most of the cost.
"""

from __future__ import annotations

import os
import time

import click

from .. import api
from ..explore.strategies.graph import GraphSearch

CELLS = [("tl2", "transfer", 2), ("tl2", "write-skew", 2), ("tl2", "dict-update", 2), ("tl2", "intset", 2),
         ("tl2-borrowed-clock", "write-skew", 2), ("norec", "write-skew", 2), ("lazy", "write-skew", 2),
         ("gencounter", "dict-update", 2), ("eager-aggressive", "write-skew", 2), ("eager", "dict-update", 2),
         ("dstm", "transfer", 2), ("dstm+karma", "counter", 2), ("tl2", "transfer", 3)]
#: Judged for opacity only, as `stmcheck explore` does (its state keeps opacity's view of the history,
#: not the whole history): the card's command, `stmcheck explore tl2 --threads 3`.
OPACITY_CELLS = [("tl2", "transfer", 3)]


def _graph(design, workload, threads, budget, exact=True):
    g = GraphSearch(max_states=budget)
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), g, max_executions=None, time_limit=600,
                           stop_at_first=False, exact_histories=exact)
    t0 = time.perf_counter()
    out = ex.explore()
    return out, g, time.perf_counter() - t0


def _dpor(design, workload, threads, seconds, exact=True):
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), "dpor", max_executions=None,
                           time_limit=max(seconds, 1.0), stop_at_first=False, exact_histories=exact)
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
             "Written by `stmcheck bench graph`. 1 transaction per thread, retries unbounded, every "
             "history judged for all three criteria (as the matrix does), and the card's command, "
             "`stmcheck explore tl2 --threads 3`, judged for opacity as explore does. The graph search "
             "(checker/explore/strategies/graph.py) expands each canonical state once; DPOR runs for as "
             "long as the graph search took (at least 1 s). Counts are deterministic; rates depend on the "
             f"machine (this run: {os.cpu_count()} CPUs, shared).", "",
             "| design | workload | threads | judged | graph states | transitions | exhausted | verdicts found "
             "| seconds | states/s | stored bytes/state | DPOR executions | DPOR exhausted | DPOR executions/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cells = [(c, True) for c in CELLS] + [(c, False) for c in OPACITY_CELLS]
    for (design, workload, threads), exact in cells:
        click.echo(f"{design} {workload} {threads} threads ...", err=True)
        out, g, dt = _graph(design, workload, threads, budget if exact else 2 * budget, exact)
        found = ", ".join(sorted({str(v.kind) for v in out.violations})) or "none"
        d, ddt = _dpor(design, workload, threads, dt, exact)
        judged = "all three criteria" if exact else "opacity"
        lines.append(f"| {design} | {workload} | {threads} | {judged} | {g.states:,} | {g.transitions:,} | "
                     f"{'yes' if out.exhausted else 'no: ' + ', '.join(out.bounds)} | {found} | {dt:.1f} | "
                     f"{g.states / dt:,.0f} | {g.store_bytes() / max(g.states, 1):.0f} | {d.executions:,} | {'yes' if d.exhausted else 'no'} | "
                     f"{d.executions / ddt:,.0f} |")
    lines.append("")
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    click.echo("\n".join(lines))
