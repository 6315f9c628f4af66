"""`stmcheck bench native`: speed of the native core, written to reports/native.md.

Tables: `stmcheck explore NATIVE --threads 3 --strategy random|pct` in steps
per second (the C scheduling loop alone; the child process that runs it and
drops executions whose verdict is known; end to end with every distinct
history judged), against the Python `tl2` under the same command; free-mode
commits per second on 1, 2, 4 and 8 real threads (recording on, no noise, no
checking); libitm commits per second per method. Figures depend on the
machine and its load; the report states both. The hand-written sections of
the report, from "## Conformance" on, are kept as they are.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time

import click

from stmcheck.implementations.native.build import NativeUnavailable
from stmcheck.implementations.native.program import loop_rate, run_program
from stmcheck.implementations.native.stress import ITM_METHODS, itm_round, native_throughput
from .. import api
from ..explore.engine import Explorer
from ..explore.strategies import make_strategy
from ..native.loop import native_plan, same_verdict

DESIGNS = ("native-tl2", "native-norec")
THREADS = (1, 2, 4, 8)
KEEP_FROM = "## Conformance"
CONFIG = {"threads": 3, "txns": 1}  # the command measured: stmcheck explore native-tl2 --threads 3 --strategy random


def _explorer(design: str, strategy: str, executions: int) -> Explorer:
    setup = api.prepare(design, "transfer", threads=CONFIG["threads"], txns=CONFIG["txns"])
    return api.make_explorer(setup, strategy, max_executions=executions, time_limit=600)


def controlled_rows(executions: int, judged: int) -> list:
    """Per design and strategy: (design, strategy, C loop steps/s, loop + child steps/s,
    end-to-end steps/s, executions, distinct histories)."""
    rows = []
    for design in DESIGNS:
        for strategy in ("random", "pct"):
            explorer = _explorer(design, strategy, judged)
            plan = native_plan(explorer, strategy)
            steps, seconds = loop_rate(plan.design, plan.program, strategy, executions)
            t0, child = time.perf_counter(), 0
            for batch in run_program(plan.design, plan.program, strategy, judged, key=same_verdict):
                child += batch.repeat_steps + (batch.execution.steps if batch.execution else 0)
            child_rate = child / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            out = plan.explore(explorer)
            e2e = out.steps / (time.perf_counter() - t0)
            rows.append((design, strategy, steps / seconds, child_rate, e2e, out.executions, out.histories))
    return rows


def python_rates(executions: int):
    """(runtime alone, end to end, None) steps/s of the Python `tl2` under the same command,
    or (None, None, why not)."""
    try:
        explorer = _explorer("tl2", "random", executions)
        walk = make_strategy("random", seed=1)
        steps, t0 = 0, time.perf_counter()
        for _ in range(executions):
            steps += len(explorer.new_run().execute(walk).steps)
        alone = steps / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = explorer.explore()
        return alone, out.steps / (time.perf_counter() - t0), None
    except Exception as exc:  # the Python explorer's API may move; the bench must not break
        return None, None, f"{type(exc).__name__}: {exc}"


def free_rows(seconds: float) -> list:
    rows = []
    for design in DESIGNS:
        for n in THREADS:
            commits, aborts, elapsed = native_throughput(design, n, seconds)
            rows.append((design, n, commits / elapsed, aborts / elapsed))
    return rows


def itm_rows(seconds: float) -> list:
    rows = []
    for method in ITM_METHODS:
        for n in THREADS:
            rnd = itm_round(method, n, seconds, accounts=10, max_txns=400_000)
            rows.append((method, n, rnd.commits / rnd.seconds, rnd.aborts / rnd.seconds))
    return rows


def _machine() -> str:
    try:
        cc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        cc = "unknown compiler"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} at start, {cc}, "
            f"Python {platform.python_version()}")


def _controlled_lines(controlled, python_rate) -> list:
    out = ["## Controlled mode: `stmcheck explore`, scheduling loop in C", "",
           "| design | strategy | steps/s, C loop alone | steps/s, loop + child | steps/s, end to end "
           "| executions | distinct histories |", "|---|---|---:|---:|---:|---:|---:|"]
    for design, strategy, loop, child, e2e, n, hist in controlled:
        out.append(f"| {design} | {strategy} | {loop:,.0f} | {child:,.0f} | {e2e:,.0f} | {n:,} | {hist:,} |")
    alone, e2e_py, why = python_rate
    row = next((r for r in controlled if r[0] == "native-tl2" and r[1] == "random"), None)
    if alone and row:
        py = (f"Python `tl2`, same command (`stmcheck explore tl2 --threads 3 --strategy random`): "
              f"{alone:,.0f} steps/s in the Python runtime alone, {e2e_py:,.0f} steps/s end to end. "
              f"native-tl2's C loop runs {row[2] / alone:,.0f}x the steps/s of the Python runtime; end to "
              f"end, `explore native-tl2` runs {row[4] / e2e_py:,.1f}x the steps/s of `explore tl2`.")
    else:
        py = f"Python `tl2` not measured: {why}"
    return out + [
        "", "C loop alone: executions scheduled, run and recorded natively, nothing sent or judged. Loop + "
        "child: the child process running the loop also computes each history's signature and sends only "
        "executions whose (signature, final state) is new, the parent idle. End to end: the explorer "
        "judging what the child sends (a `History` built and checked once per distinct history), parent "
        "and child in parallel. Steps include the runtime's BEGIN/END steps, as in the Python runtime.",
        "", py, "",
        "Where the time goes: the C loop is a small share (first column). The child spends most of its "
        "time in Python, per execution: copying the events out, computing the signature key "
        "(`checker/native/loop.py`: `same_verdict`) and pickling what is new. The parent, per distinct history, turns "
        "the events into the runtime's event dicts, builds a `History` (HistoryBuilder.add, per event) and "
        "checks it. Under random about half of the executions of 3 threads x 1 transfer have a new history "
        "(far fewer under pct), so end-to-end speed is set by the number of distinct histories and the "
        "Python cost of judging one, not by the C loop.", ""]


def render(machine, controlled, free, itm, itm_error, python_rate=(None, None, "not measured")) -> str:
    out = ["# Native core benchmarks", "", f"Machine: {machine}.", "",
           "Generated by `stmcheck bench native`. Controlled mode: the explorer's transfer workload, "
           f"{CONFIG['threads']} threads x {CONFIG['txns']} transaction, as `stmcheck explore NATIVE --threads 3 "
           "--strategy random|pct` runs it (default budget of executions); free mode: bank transfers (10% "
           "audits) on 10 accounts.", ""]
    out += _controlled_lines(controlled, python_rate)
    out += ["## Free mode (pthreads, recording on, no noise, no checking)", "",
            "| design | threads | commits/s | aborts/s |", "|---|---:|---:|---:|"]
    for design, n, c, a in free:
        out.append(f"| {design} | {n} | {c:,.0f} | {a:,.0f} |")
    out += ["", "## libitm (gcc -fgnu-tm, ITM_DEFAULT_METHOD)", ""]
    if itm_error:
        out.append(f"Not measured: {itm_error}")
    else:
        out += ["| method | threads | commits/s | aborts/s |", "|---|---:|---:|---:|"]
        for method, n, c, a in itm:
            out.append(f"| {method} | {n} | {c:,.0f} | {a:,.0f} |")
    out += ["", "With 2 CPUs, runs with more threads than CPUs measure time-slicing as much as the STM.", ""]
    return "\n".join(out)


def _kept(path: str) -> str:
    """The hand-written sections of the existing report (from KEEP_FROM on), or nothing."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ""
    i = text.find(KEEP_FROM)
    return "\n" + text[i:] if i >= 0 else ""


@click.command("native")
@click.option("--executions", default=20000, show_default=True, help="Executions for the C loop alone.")
@click.option("--judged", default=6000, show_default=True,
              help="Executions explored end to end (the explorer's default budget).")
@click.option("--seconds", default=0.5, show_default=True, help="Length of each free-mode and libitm run.")
@click.option("--out", default="reports/native.md", show_default=True, type=click.Path(dir_okay=False))
def native(executions, judged, seconds, out):
    """Benchmark the native core (controlled, free mode, libitm) into reports/native.md."""
    machine = _machine()
    try:
        controlled = controlled_rows(executions, judged)
        free = free_rows(seconds)
    except NativeUnavailable as exc:
        click.echo(f"stmcheck: error: {exc}", err=True)
        raise SystemExit(2)
    itm, itm_error = [], None
    try:
        itm = itm_rows(seconds)
    except NativeUnavailable as exc:
        itm_error = str(exc)
    text = render(machine, controlled, free, itm, itm_error, python_rates(min(judged, 2000))) + _kept(out)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(text)
