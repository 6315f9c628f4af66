"""`stmcheck explore IMPL` and `stmcheck replay IMPL --schedule S`.

Exit 0: no violation (the report says whether the space was exhausted or which
bound applied); 1: a violation (shrunk, explained, with its replay command);
2: usage error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import json
import sys
import time

import click

from stmcheck.implementations.registry import DESIGNS, DesignError, load_design
from stmcheck.implementations.contention import MANAGERS
from stmcheck.models.workloads.objects import OBJECTS, make_object_workload
from stmcheck.models.workloads import DEFAULT_WORKLOAD, WORKLOADS, make_workload, workload_class

from ..history.criteria import CRITERIA
from ..explore.engine import CyclicExplorer, Explorer, Outcome
from ..native.loop import native_plan
from ..report.explore import as_json, human, timeline, violation_lines
from ..explore.shrink import shrink_all as shrink
from ..explore.strategies import STRATEGIES, make_strategy
from ..explore.strategies.replay import Replay, ScheduleError, decode

DEFAULT_MAX_EXECUTIONS = 6000
DEFAULT_TIME_LIMIT = 50.0
DEFAULT_MAX_STEPS = 2000


def _fail(message: str):
    click.echo(f"stmcheck: error: {message}", err=True)
    sys.exit(2)


def _workload_name(ctx, param, value):
    """Validate --workload by name (click.Choice cannot spell random:SEED)."""
    try:
        workload_class(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def workload_options(f):
    for opt in reversed([
        click.option("--threads", "-n", type=click.IntRange(1, 16), default=2, show_default=True,
                     help="Simulated threads."),
        click.option("--workload", "-w", default=DEFAULT_WORKLOAD, show_default=True, callback=_workload_name,
                     metavar="[" + "|".join(WORKLOADS) + "|random:SEED]",
                     help="The transaction program each thread runs (`stmcheck list` describes them); "
                          "random:SEED picks the generated programs (random = random:0; --seed seeds "
                          "the strategies, not the programs)."),
        click.option("--object", "obj", type=click.Choice(list(OBJECTS)), default=None,
                     help="Instead of a workload: concurrent method calls on transactional objects, "
                          "each call one transaction; checks linearizability too."),
        click.option("--txns", "-k", type=click.IntRange(1, 100), default=1, show_default=True,
                     help="Transactions per thread."),
        click.option("--keys", "-m", type=click.IntRange(1, 100), default=None,
                     help="Accounts (transfer), counters (counter), keys in pairs (write-skew, even), "
                          "keys per dict (dict-update), set values 1..M (intset), list length "
                          "(ww-pathology), keys (random); default 2, but 1 for counter and 3 for intset."),
        click.option("--retries", type=click.IntRange(0), default=None,
                     help="Give a transaction up after this many retries (default: retry forever)."),
        click.option("--max-steps", type=click.IntRange(10), default=DEFAULT_MAX_STEPS, show_default=True,
                     help="Steps per execution; a longer run without a commit is a suspected livelock."),
        click.option("--cyclic", is_flag=True,
                     help="Run each thread's program over and over, to find starvation (a fair loop in which one "
                          "thread never commits while others do); histories are then not judged."),
    ]):
        f = opt(f)
    return f


def _setup(impl, workload, threads, txns, keys, retries=None, obj=None):
    try:
        design_cls, entry = load_design(impl)
    except DesignError as exc:
        _fail(str(exc))
    preflight = getattr(design_cls, "preflight", None)   # a design that needs a build (native) says why it can't
    problem = preflight() if callable(preflight) else None
    if problem:
        _fail(f"{impl}: {problem}")
    if obj is not None:
        return design_cls, *_setup_object(impl, entry, obj, workload, threads, txns, keys, retries)
    try:
        wl = make_workload(workload, threads, txns, keys, retries)
    except ValueError as exc:
        _fail(str(exc))
    ctx = {"impl": impl, "workload": workload, "threads": threads, "txns": txns, "keys": keys, "retries": retries,
           "keys_used": wl.options().get("keys"), "workload_about": wl.about,
           "about": f"{entry.name}: {entry.about}" if entry else f"user design {impl}",
           "expected": entry.expected.get(workload) if entry and retries is None else None}
    return design_cls, wl, ctx


def _setup_object(impl, entry, obj, workload, threads, txns, keys, retries):
    """`--object KIND`: the object workload and the report context (no --workload, no --keys)."""
    source = click.get_current_context().get_parameter_source("workload")
    if source is not None and source.name != "DEFAULT":
        _fail("--object and --workload exclude each other: an object run is its own workload")
    if keys is not None:
        _fail("--keys does not apply to --object (each object has its own keys)")
    try:
        wl = make_object_workload(obj, threads, txns, retries)
    except ValueError as exc:
        _fail(str(exc))
    ctx = {"impl": impl, "workload": obj, "object": obj, "spec": wl.spec, "threads": threads, "txns": txns,
           "keys": None, "retries": retries, "keys_used": None, "workload_about": wl.about,
           "about": f"{entry.name}: {entry.about}" if entry else f"user design {impl}", "expected": None}
    return wl, ctx


class _Progress:
    """A rich progress line on stderr, only on a terminal, only after a second."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.live = None

    def __call__(self, out: Outcome):
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < 1.0 or now - self.last < 0.25:
            return
        self.last = now
        if self.live is None:
            from rich.console import Console
            from rich.live import Live
            self.live = Live(console=Console(stderr=True), transient=True, auto_refresh=False)
            self.live.start()
        rate = out.executions / max(now - self.start, 1e-9)
        self.live.update(f"exploring: {out.executions} executions, {out.histories} distinct histories, "
                         f"{rate:,.0f} executions/s", refresh=True)

    def close(self):
        if self.live is not None:
            self.live.stop()


@click.command()
@click.argument("impl", metavar="IMPL")
@workload_options
@click.option("--strategy", "-s", type=click.Choice(STRATEGIES), default="dpor", show_default=True,
              help="dpor: exhaustive with partial-order reduction; random; pct; plain: every interleaving. "
                   "On native (C) designs, random and pct run their scheduling loop in C.")
@click.option("--criterion", "-c", type=click.Choice(CRITERIA), default="opacity", show_default=True,
              help="The consistency criterion every history must meet.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random and pct.")
@click.option("--depth", type=click.IntRange(1), default=3, show_default=True, help="Bug depth for pct.")
@click.option("--preemptions", type=click.IntRange(0), default=None,
              help="dpor/plain: bound on preemptive context switches (the result is then bounded).")
@click.option("--max-executions", type=click.IntRange(1), default=DEFAULT_MAX_EXECUTIONS, show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIME_LIMIT,
              show_default=True, metavar="SECONDS")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def explore(impl, threads, workload, obj, txns, keys, retries, max_steps, cyclic, strategy, criterion, seed, depth,
            preemptions, max_executions, time_limit, as_json_flag, quiet):
    """Run IMPL on simulated threads, explore the interleavings, judge every execution.

    \b
    IMPL is a shipped design (listed at the end) or path/to/file.py:ClassName.
    \b
    Examples:
      stmcheck explore tl2 --threads 3
      stmcheck explore locks-naive --workload swap
      stmcheck explore tl2-no-read-validation --strategy pct --seed 7
      stmcheck explore tl2 --object dict --threads 3
    \b
    Exit status: 0 no violation found, 1 a violation, 2 usage error.
    """
    design_cls, wl, ctx = _setup(impl, workload, threads, txns, keys, retries, obj)
    try:
        strat = make_strategy(strategy, seed=seed, depth=depth, preemptions=preemptions)
    except ValueError as exc:
        _fail(str(exc))
    ctx.update(strategy=strategy, strategy_desc=strat.describe(), criterion=criterion, max_steps=max_steps,
               max_steps_flag=max_steps != DEFAULT_MAX_STEPS, cyclic=cyclic)
    progress = _Progress(not quiet and not as_json_flag and sys.stderr.isatty())
    explorer = (CyclicExplorer if cyclic else Explorer)(design_cls, wl, strat, criterion=criterion, max_executions=max_executions,
                        time_limit=time_limit, max_steps=max_steps, progress=progress)
    try:
        plan = native_plan(explorer, strategy, seed=seed, depth=depth)  # C designs: the loop runs in C
    except ValueError as exc:  # the native core cannot be built here
        _fail(str(exc))
    if plan is not None:
        ctx["strategy_desc"] += plan.note
    try:
        outcome = plan.explore(explorer) if plan is not None else explorer.explore()
    finally:
        progress.close()
    outcome.violations = [shrink(explorer, v) for v in outcome.violations]
    if as_json_flag:
        doc = as_json(outcome, ctx)
        doc["native_loop"] = plan is not None
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        click.echo(human(outcome, ctx), nl=False)
    sys.exit(1 if outcome.violations else 0)


# The shipped designs, listed in --help from the registry so the list cannot go stale.
explore.help += "\n\n    \b\n    Shipped designs:\n" + "\n".join(
    f"      {name:32} {entry.about}" for name, entry in DESIGNS.items())
# Contention managers: `eager+NAME` and `dstm+NAME` (dstm: Herlihy et al.'s obstruction-free DSTM).
explore.help += ("\n\n    \b\n    Contention managers, for eager+NAME and dstm+NAME (plain eager, dstm: greedy):\n"
                 + "\n".join(f"      {name:32} {m.about}" for name, m in MANAGERS.items()))


@click.command()
@click.argument("impl", metavar="IMPL")
@workload_options
@click.option("--schedule", required=True, metavar="STRING",
              help="The schedule to run, e.g. 1*5,2*3,1 (as printed by explore).")
@click.option("--criterion", "-c", type=click.Choice(CRITERIA), default="opacity", show_default=True)
@click.option("--all-steps", is_flag=True, help="Show every step, loads included.")
@click.option("--json", "as_json_flag", is_flag=True, help="Print the execution's history and verdict as JSON.")
def replay(impl, threads, workload, obj, txns, keys, retries, max_steps, cyclic, schedule, criterion, all_steps,
           as_json_flag):
    """Re-run exactly one execution of IMPL from a schedule and print its timeline.

    After the schedule ends the run continues non-preemptively (the last thread
    keeps going while it can, else the lowest-numbered one).
    """
    design_cls, wl, ctx = _setup(impl, workload, threads, txns, keys, retries, obj)
    workload = ctx["workload"]
    ctx.update(max_steps=max_steps, max_steps_flag=max_steps != DEFAULT_MAX_STEPS, criterion=criterion, cyclic=cyclic)
    try:
        sched = decode(schedule)
    except ScheduleError as exc:
        _fail(str(exc))
    explorer = (CyclicExplorer if cyclic else Explorer)(design_cls, wl, Replay(sched), criterion=criterion,
                                                        max_steps=max_steps)
    run = explorer.new_run()
    try:
        run.execute(Replay(sched, strict=True))
    except ScheduleError as exc:
        _fail(str(exc))
    v = explorer.judge(run)
    if as_json_flag:
        from ..report.explore import violation_json
        doc = {"implementation": impl, "workload": workload, "threads": threads, "schedule": schedule,
               "outcome": run.outcome, "steps": len(run.steps), "history": run.history_doc(),
               "violations": [violation_json(_with_schedule(v, sched), ctx)] if v else []}
        if obj is not None:
            doc["object"] = obj
            if run.outcome == "complete" and (v is None or v.detail.get("operations") is None):
                doc.update(_operations_json(wl, run))
        click.echo(json.dumps(doc, indent=2, default=str))
        sys.exit(1 if v else 0)
    click.echo(f"stmcheck replay {impl}: {'object ' + obj if obj else workload}, {threads} threads, {txns} transaction(s) each; "
               f"{len(run.steps)} steps, outcome: {run.outcome}")
    if v is None:
        click.echo("verdict: no violation in this execution")
        click.echo("")
        click.echo("\n".join(timeline(run, all_steps)))
        if obj is not None and run.outcome == "complete":
            from ..explore.objects import check_operations, operation_lines
            click.echo("")
            click.echo("\n".join(operation_lines(check_operations(wl, run))))
        sys.exit(0)
    click.echo("\n".join(violation_lines(_with_schedule(v, sched), ctx, all_steps)))
    sys.exit(1)


def _operations_json(wl, run) -> dict:
    from ..explore.objects import check_operations, operation_json
    return operation_json(check_operations(wl, run))


def _with_schedule(v, sched):
    v.schedule = sched
    return v
