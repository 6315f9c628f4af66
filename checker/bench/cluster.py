"""`stmcheck bench cluster`: what a Ray cluster of N workers gains over one, on this machine.

Two jobs, each run with `--cluster local:N` for every N asked (a fresh local Ray instance each
time, its start counted in the wall time): a verdict matrix (a fixed subset by default, the
whole one with `--full`) and a random campaign (tl2 transfer, 3 threads, `--executions`).
Each row says its wall seconds, the speedup over one worker, and that the results were the
same (the matrix's JSON without timings; the campaign's counts and first counterexample).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import click

#: The matrix subset of the default run: every family, 2 threads and 3, about 2 minutes on one core.
SUBSET = ("global-lock,locks-naive,tl2,tl2-no-read-validation,norec,lazy,gencounter,eager,dstm,eager-aggressive",
          "transfer,swap,counter")


def _timed(args) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", *args],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise click.ClickException(f"stmcheck {' '.join(args)} failed: {proc.stderr.strip()[-400:]}")
    return seconds, proc.stdout


@click.command("cluster")
@click.option("--workers", default="1,2", show_default=True, help="Comma list of local worker counts.")
@click.option("--full", is_flag=True, help="The whole matrix (about 30 minutes on one core) instead of a subset.")
@click.option("--executions", type=click.IntRange(1), default=100_000, show_default=True,
              help="Executions of the random campaign.")
@click.option("--out", "out_path", default="reports/cluster.md", show_default=True, help="Where to write the table.")
def cluster_bench(workers, full, executions, out_path):
    """The matrix and a random campaign on a local Ray instance of 1, 2, ... workers."""
    counts = [int(n) for n in workers.split(",") if n.strip()]
    if not counts or min(counts) < 1:
        raise click.UsageError("--workers takes worker counts >= 1, e.g. 1,2")
    jobs = []
    matrix = ["matrix", "--json", "--no-timings", "-q"] + ([] if full else
                                                           ["--designs", SUBSET[0], "--workloads", SUBSET[1]])
    jobs.append(("matrix" + (" (all of it)" if full else f" ({SUBSET[0].count(',') + 1} designs x "
                                                        f"{SUBSET[1].count(',') + 1} workloads x 2, 3 threads)"),
                 matrix))
    campaign = ["explore", "tl2", "--threads", "3", "--strategy", "random", "--max-executions", str(executions),
                "--time-limit", "100000", "--json", "--no-timings", "-q"]
    jobs.append((f"random campaign (tl2 transfer, 3 threads, {executions:,} executions)", campaign))
    rows = []
    for name, args in jobs:          # --no-timings: the JSON of two runs compares whole
        seconds, out = _timed(args)
        first, here = json.loads(out), seconds
        click.echo(f"{name}, here: {seconds:.1f} s", err=True)
        rows.append((name, "here, no Ray", seconds, None, 1.0, True))
        base = None
        for n in counts:
            seconds, out = _timed(args + ["--cluster", f"local:{n}"])
            base = seconds if base is None else base
            rows.append((name, n, seconds, base / seconds, here / seconds, json.loads(out) == first))
            click.echo(f"{name}, {n} worker(s): {seconds:.1f} s", err=True)
    lines = ["# `stmcheck bench cluster`", "",
             "Written by `stmcheck bench cluster`. Each job runs with `--cluster local:N` (a local Ray "
             "instance with N workers, started and stopped by the command: its start is in the time), in a "
             f"fresh process, one after the other, on this machine ({os.cpu_count()} CPUs, shared: the "
             "figures vary with the neighbours), after the same job run here without Ray (one process). "
             f"Speedup: {counts[0]} worker(s)' seconds over N's; over here: the run here's seconds over N's. Same "
             "result: the matrix's JSON (timings left out) and the campaign's report (counts, "
             "counterexample) equal those of the run here. The matrix's cells are handed out longest "
             "first (their seconds in the last reports/matrix.json).", "",
             f"| job | workers | wall seconds | speedup over {counts[0]} worker(s) | over here | same result |",
             "|---|---:|---:|---:|---:|---|"]
    lines += [f"| {name} | {n} | {s:.1f} | {'' if x is None else f'{x:.2f}'} | {h:.2f} | {'yes' if same else 'NO'} |"
              for name, n, s, x, h, same in rows]
    lines += ["", "Not measured: a state-graph search split across workers, its bytes sent per state and its "
              "balance (not built yet: the graph search and DPOR run in one process)."]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    click.echo(f"wrote {out_path}")
