"""`stmcheck bench cluster`: what a Ray cluster of N workers gains over one, on this machine.

Three jobs, each run with `--cluster local:N` for every N asked (a fresh local Ray instance each
time, its start counted in the wall time): a verdict matrix (a fixed subset by default, the
whole one with `--full`), a random campaign (tl2 transfer, 3 threads, `--executions`) and the
state-graph search (tl2 transfer and swap, 3 threads; its own seconds without Ray's start are
shown beside the wall time). Each row says its wall seconds, the speedup over one worker, and
that the results were the same (the matrix's JSON without timings; the campaign's counts and
first counterexample; the graph's states, transitions, coverage and verdicts). Then the graph
search on more workers (`--spread`, processes on this machine: their times mean nothing on 2
cores, their traffic does): bytes sent a place and how evenly the places were spread.
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
@click.option("--spread", "spread", default="2,4,8", show_default=True,
              help="Comma list of worker counts for the graph search's traffic and balance.")
@click.option("--out", "out_path", default="reports/cluster.md", show_default=True, help="Where to write the table.")
def cluster_bench(workers, full, executions, spread, out_path):
    """The matrix, a random campaign and the graph search on a local Ray instance of 1, 2, ... workers."""
    counts, spreads = _counts(workers, "--workers"), _counts(spread, "--spread")
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
    lines += _graph_section(counts, spreads)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    click.echo(f"wrote {out_path}")


def _counts(text: str, option: str) -> list:
    try:
        counts = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise click.UsageError(f"{option} takes worker counts >= 1, e.g. 1,2")
    return counts


#: The graph search's jobs: the card's command, and a larger graph of the same design.
GRAPHS = (("tl2", "transfer"), ("tl2", "swap"))


def _graph(design: str, workload: str, n: int | None) -> tuple:
    """(wall seconds, the search's own seconds, the JSON) of one graph search, here or on local:n."""
    args = ["explore", design, "--workload", workload, "--threads", "3", "--json", "-q"]
    seconds, out = _timed(args + ([] if n is None else ["--cluster", f"local:{n}"]))
    doc = json.loads(out)
    c = doc.get("cluster") or {}
    own = doc["elapsed"] - c.get("ray_start_seconds", 0.0) - c.get("ray_stop_seconds", 0.0)
    return seconds, own, doc


def _verdicts(doc: dict) -> tuple:
    return (doc["states"], doc["transitions"], doc["exhausted"], doc["bounds"],
            sorted({v["kind"] for v in doc["violations"]}))


def _graph_section(counts: list, spreads: list) -> list:
    lines = ["", "## The state-graph search (`explore --cluster`, checker/cluster_graph.py)", "",
             "Places partitioned by a hash of their memory, runs going on through others' places, "
             "batches routed in rounds (see the module's docstring); the graph gathered and judged in "
             "the command's process. Search seconds: the command's own `elapsed` without starting and "
             "stopping Ray (actors started, rounds, gathering, judging); wall: the whole command.", "",
             f"| job | workers | wall seconds | search seconds | search speedup over {counts[0]} worker(s) "
             f"| over here | runs | same result |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for design, workload in GRAPHS:
        name = f"graph search ({design} {workload}, 3 threads)"
        wall, here, first = _graph(design, workload, None)
        click.echo(f"{name}, here: {wall:.1f} s", err=True)
        lines.append(f"| {name} | here, no Ray | {wall:.1f} | {here:.1f} |  | 1.00 | {first['executions']:,} | yes |")
        base = None
        for n in counts:
            wall, own, doc = _graph(design, workload, n)
            base = own if base is None else base
            same = "yes" if _verdicts(doc) == _verdicts(first) else "NO"
            lines.append(f"| {name} | {n} | {wall:.1f} | {own:.1f} | {base / own:.2f} | {here / own:.2f} | "
                         f"{doc['executions']:,} | {same} |")
            click.echo(f"{name}, {n} worker(s): {wall:.1f} s ({own:.1f} s search)", err=True)
    lines += ["", "Traffic and balance (processes on this machine; their times are not compared: "
              f"{os.cpu_count()} CPUs). Bytes a place: what the workers sent each other (pickled batches "
              "of successors: digest, schedule, enabled threads), over the places; balance: the largest "
              "partition's places over the mean.", "",
              "| job | workers | places | rounds | bytes sent | bytes a place | places per partition | balance |",
              "|---|---:|---:|---:|---:|---:|---|---:|"]
    for design, workload in GRAPHS:
        for n in spreads:
            _, _, doc = _graph(design, workload, n)
            c = doc["cluster"]
            places = c["places"]
            total = sum(places)
            lines.append(f"| {design} {workload}, 3 threads | {n} | {total:,} | {c['rounds']} | "
                         f"{c['bytes_sent']:,} | {c['bytes_sent'] / total:.0f} | "
                         f"{' / '.join(f'{p:,}' for p in places)} | {max(places) * len(places) / total:.2f} |")
            click.echo(f"spread {design} {workload} on {n}: {c['bytes_sent'] / total:.0f} bytes a place", err=True)
    return lines
