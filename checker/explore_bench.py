"""`stmcheck bench explore`: the explorer's figures, written to reports/explore.md.

Measures (1) throughput of `tl2` with 2 and 3 threads: executions and steps
per second, both for the whole pipeline (DPOR + judging every history) and for
the runtime alone; (2) executions DPOR needs against plain enumeration of every
interleaving on configurations small enough to count (a plain run that hits its
budget gives a lower bound, shown as `> N`); (3) executions each strategy needs
to find each shipped bug; (4) the wall time of the README's main command.
Timings vary with the machine; counts do not.
"""

from __future__ import annotations

import os
import statistics
import time

import click

from stmcheck.implementations.registry import load_design
from stmcheck.models.workloads import Workload, make_workload

from .explore_engine import Explorer
from .shrink import shrink
from .strategies import make_strategy
from .strategies.random_walk import RandomWalk


class ReadVsIncrement(Workload):
    """A `tl2` configuration small enough to enumerate every interleaving: thread 1
    reads x once, thread 2 increments it, one attempt each (`retries=0`). Even
    2 x 1 `counter` on tl2 has millions of interleavings."""

    name = "read-vs-increment"
    default_keys, min_keys = 1, 1

    def build(self):
        self.keys = {"x": 0}

        def reader(tx):
            yield from tx.read("x")

        def increment(tx):
            v = yield from tx.read("x")
            yield from tx.write("x", v + 1)

        self.programs = {1: [("read x", reader)], 2: [("x += 1", increment)]}


def _explorer(design, workload, threads, txns, strategy, max_executions, time_limit=120.0, stop=True, **kw):
    cls, _ = load_design(design)
    wl = ReadVsIncrement(2, retries=0) if workload == ReadVsIncrement.name else make_workload(workload, threads, txns)
    return Explorer(cls, wl, make_strategy(strategy, **kw), max_executions=max_executions,
                    time_limit=time_limit, stop_at_first=stop)


def _throughput(threads, executions):
    ex = _explorer("tl2", "transfer", threads, 1, "dpor", executions)
    t0 = time.perf_counter()
    out = ex.explore()
    dt = time.perf_counter() - t0
    # the runtime alone: random schedules, nothing judged
    rw = RandomWalk(1)
    steps, t1 = 0, time.perf_counter()
    for _ in range(executions):
        run = ex.new_run().execute(rw)
        steps += len(run.steps)
    dt2 = time.perf_counter() - t1
    return out.executions / dt, out.steps / dt, executions / dt2, steps / dt2


def _compare(design, workload, threads, txns, budget):
    d = _explorer(design, workload, threads, txns, "dpor", budget, stop=False).explore()
    p = _explorer(design, workload, threads, txns, "plain", budget, stop=False).explore()
    same = "yes" if d.exhausted and p.exhausted and d.signatures == p.signatures else "n/a"
    return d, p, same


def _count(out):
    return f"{out.executions:,}" if out.exhausted else f"> {out.executions:,}"


def _to_find(design, workload, strategy, seeds, budget):
    found = []
    for seed in seeds:
        out = _explorer(design, workload, 2, 1, strategy, budget, seed=seed).explore()
        found.append(out.executions if out.violations else None)
    hits = [f for f in found if f is not None]
    if not hits:
        return f"not found in {budget:,} (x{len(seeds)} seeds)"
    med = statistics.median(hits)
    text = f"{med:g}" + (f" (median of {len(seeds)} seeds)" if len(seeds) > 1 else "")
    if len(hits) < len(found):
        text += f"; missed by {len(found) - len(hits)} seed(s) within {budget:,}"
    return text


@click.command("explore")
@click.option("--out", "out_path", default="reports/explore.md", show_default=True, help="Where to write the table.")
@click.option("--quick", is_flag=True, help="Smaller budgets (for a smoke test).")
def explore_bench(out_path, quick):
    """Explorer throughput, DPOR against plain enumeration, executions to find each bug."""
    scale = 0.1 if quick else 1.0
    lines = ["# `stmcheck bench explore`", "",
             "Written by `stmcheck bench explore`. Counts are deterministic; rates depend on the machine "
             f"(this run: {os.cpu_count()} CPUs, shared).", ""]

    click.echo("throughput ...", err=True)
    lines += ["## Throughput of `tl2` (transfer, 1 transaction per thread)", "",
              "| threads | executions/s (DPOR + judging) | steps/s (DPOR + judging) | executions/s (runtime only) "
              "| steps/s (runtime only) |", "|---|---|---|---|---|"]
    for threads in (2, 3):
        n = max(50, int((200 if threads == 2 else 3000) * scale))
        a, b, c, d = _throughput(threads, n)
        lines.append(f"| {threads} | {a:,.0f} | {b:,.0f} | {c:,.0f} | {d:,.0f} |")
    lines += ["", "(2 threads: DPOR exhausts the space in fewer executions than the budget, so its rate includes "
              "the start-up.)", ""]

    click.echo("DPOR against plain enumeration ...", err=True)
    budget = int(40000 * scale) or 1000
    lines += ["## DPOR against plain enumeration", "",
              f"Plain enumeration runs every interleaving (budget {budget:,} executions; `> N` means it did not "
              "finish). \"same histories\": both exhausted and found exactly the same set of distinct histories.", "",
              "| design | workload | threads x txns | DPOR executions | plain executions | ratio | same histories |",
              "|---|---|---|---|---|---|---|"]
    for design, workload, threads, txns in [("global-lock", "counter", 2, 1), ("global-lock", "transfer", 2, 1),
                                            ("global-lock", "counter", 2, 2), ("global-lock", "transfer", 2, 2),
                                            ("global-lock", "counter", 3, 1), ("tl2", "counter", 2, 1),
                                            ("tl2", "transfer", 2, 1), ("tl2", ReadVsIncrement.name, 2, 1)]:
        d, p, same = _compare(design, workload, threads, txns, budget)
        ratio = (f"1/{p.executions / d.executions:,.0f}" if p.exhausted else
                 f"< 1/{p.executions / d.executions:,.0f}") if d.exhausted else "n/a"
        lines.append(f"| {design} | {workload} | {threads} x {txns} | {_count(d)} | {_count(p)} | {ratio} | {same} |")
    lines += ["", f"`{ReadVsIncrement.name}`: thread 1 reads x, thread 2 increments it, one attempt each (a tl2 "
              "configuration small enough to enumerate).", ""]
    big = max(1000, int(5000 * scale))
    d = _explorer("tl2", "transfer", 2, 2, "dpor", big, stop=False).explore()
    verb = "exhausts in" if d.exhausted else "does not exhaust within"
    lines += [f"`tl2` transfer 2 x 2: DPOR {verb} {d.executions:,} "
              f"executions ({d.histories:,} distinct histories so far). DPOR wastes nothing here: on tl2 each "
              "execution it runs is a distinct Mazurkiewicz trace under step-level dependence and none is blocked "
              "by its sleep set (tests/test_explore_dpor_tl2.py checks this on 2 x 1). What is large is the number "
              "of traces itself; wakeup trees (optimal DPOR) cannot reduce it, a coarser equivalence "
              "(reads-from) could.", ""]

    click.echo("executions to find each bug ...", err=True)
    seeds = list(range(5))
    bb = max(500, int(5000 * scale))
    lines += ["## Executions each strategy needs to find each shipped bug (2 threads, 1 transaction each)", "",
              "| design | workload | bug | dpor | random | pct (depth 3) | pct (depth 6) |", "|---|---|---|---|---|---|---|"]
    for design, workload, bug in [("locks-naive", "swap", "deadlock"), ("locks-naive", "transfer", "deadlock"),
                                  ("tl2-no-read-validation", "transfer", "opacity"),
                                  ("eager-aggressive", "transfer", "livelock")]:
        row = [_to_find(design, workload, "dpor", [0], bb), _to_find(design, workload, "random", seeds, bb)]
        for depth in (3, 6):
            found = []
            for seed in seeds:
                out = _explorer(design, workload, 2, 1, "pct", bb, seed=seed, depth=depth).explore()
                found.append(out.executions if out.violations else None)
            hits = [f for f in found if f is not None]
            row.append(f"{statistics.median(hits):g} ({len(hits)}/{len(seeds)} seeds)" if hits
                       else f"not found in {bb:,} (x{len(seeds)} seeds)")
        lines.append(f"| {design} | {workload} | {bug} | " + " | ".join(row) + " |")
    lines.append("")

    click.echo("the card command ...", err=True)
    from .explore_cli import DEFAULT_MAX_EXECUTIONS, DEFAULT_MAX_STEPS, DEFAULT_TIME_LIMIT
    t0 = time.perf_counter()
    cls, _ = load_design("tl2")
    ex = Explorer(cls, make_workload("transfer", 3, 1), make_strategy("dpor"), max_executions=DEFAULT_MAX_EXECUTIONS,
                  time_limit=DEFAULT_TIME_LIMIT, max_steps=DEFAULT_MAX_STEPS)
    out = ex.explore()
    [shrink(ex, v) for v in out.violations]
    dt = time.perf_counter() - t0
    lines += ["## The README's main command", "",
              f"`stmcheck explore tl2 --threads 3`: {dt:.1f} s wall time here; {out.executions:,} executions, "
              f"{out.histories:,} distinct histories, {len(out.violations)} violations; bounds: "
              f"{', '.join(out.bounds) or 'none (exhausted)'}.", ""]

    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    click.echo("\n".join(lines))
    click.echo(f"written to {out_path}", err=True)
