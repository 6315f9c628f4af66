"""`stmcheck explore IMPL` (or `--estimate`: its state graph's size first) and `stmcheck replay IMPL --schedule S`.

Exit 0: no violation (the report says whether the space was exhausted or which
bound applied), or an estimate printed; 1: a violation (shrunk, explained, with
its replay command); 2: usage error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import json
import sys
import time

import click

from stmcheck.implementations.contention import MANAGERS
from stmcheck.implementations.registry import DESIGNS
from stmcheck.models.workloads import DEFAULT_WORKLOAD, OUTSIDE_WORKLOADS, WORKLOADS, workload_class
from stmcheck.models.workloads.objects import OBJECTS

from .. import api
from ..explore.config import (DEFAULT_MAX_EXECUTIONS, DEFAULT_MAX_STEPS, DEFAULT_STEP_TIMEOUT, DEFAULT_TIME_LIMIT,
                              GRAPH_TIME_LIMIT)
from ..explore.engine import INTERRUPTED
from ..explore.estimate import DEFAULT_BUDGET
from ..explore.strategies.graph import DEFAULT_MAX_STATES, GraphSearch
from ..explore.strategies import STRATEGIES, default_strategy
from ..report import timings
from ..report.explore import (
    as_json,
    estimate_json,
    estimate_lines,
    human,
    output_lines,
    progress_json,
    progress_lines,
    render_timeline,
    timeline_rows,
    violation_json,
    violation_lines,
)
from ..report.objects import operation_json, operation_lines
from ..report.html import explore_page, replay_page
from ..report.junit import explore_suites
from .options import (FiniteFloatRange, check_design_name, fail, html_option, junit_option, no_timings_option,
                      save_every_needs, save_every_option, write_html, write_junit)

CRITERIA = [c.value for c in api.EXPLORE_CRITERIA]   # plain strings: click.Choice lists enum members by name


def _calling(progress, call):
    """`call()`; its usage error ends the command (exit 2); the progress display is closed either way."""
    try:
        return call()
    except api.UsageError as exc:
        fail(str(exc))
    finally:
        progress.close()


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
                     metavar="[" + "|".join([*WORKLOADS, *OUTSIDE_WORKLOADS]) + "|random:SEED]",
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
                          "thread never commits while others do); histories are then not judged. The state "
                          "graph of such runs is finite where the design's growing values are stamps: "
                          "exhausted, it proves the design free of deadlock, livelock and starvation."),
        click.option("--step-timeout", type=FiniteFloatRange(min=0, min_open=True), default=DEFAULT_STEP_TIMEOUT,
                     show_default=True, metavar="SECONDS",
                     help="A design of yours (not a shipped one) runs in a worker process: staying this long "
                          "inside one of its methods without a step, or ending the process, is a crash "
                          "counterexample."),
    ]):
        f = opt(f)
    return f


def _object_excludes_workload(obj) -> None:
    """`--object` is its own program: a --workload given too is a usage error."""
    source = click.get_current_context().get_parameter_source("workload")
    if obj is not None and source is not None and source.name != "DEFAULT":
        fail("--object and --workload exclude each other: an object run is its own workload")


#: What a count of the state graph (`--estimate`) has no use for: sampling, other budgets, reports of violations.
_NOT_WITH_ESTIMATE = ("cluster_spec", "symmetry", "seed", "depth", "preemptions", "max_executions", "max_states",
                      "time_limit", "wide", "junit", "html", "save_file", "save_every")


def _estimate_usage(strategy, obj) -> None:
    """`--estimate` counts the state graph: a one-line usage error for what it cannot take."""
    ctx = click.get_current_context()
    given = {}                      # option name -> how the user spelt it, for the options given
    for p in ctx.command.params:
        source = ctx.get_parameter_source(p.name)
        if source is not None and source.name != "DEFAULT":
            given[p.name] = p.opts[0]
    if "estimate" not in given:
        fail("--estimate-states is the budget of --estimate")
    for name in _NOT_WITH_ESTIMATE:
        if name in given:
            fail(f"--estimate counts the state graph and searches nothing: {given[name]} does not apply to it")
    chosen = strategy or default_strategy(obj)
    if chosen != GraphSearch.name:
        fail(f"--estimate counts the state graph (--strategy graph); this exploration would be a {chosen} search"
             + (" (--object explores with dpor unless --strategy graph)" if strategy is None else ""))


class _Progress:
    """Progress on stderr: a rich line on a terminal ("live", after a second); elsewhere ("lines":
    a CI log) a plain line a minute, so that a search that runs for an hour is seen moving; None:
    nothing (--quiet)."""

    EVERY = {"live": 0.25, "lines": 60.0}
    AFTER = 1.0       # a search over within a second shows nothing

    def __init__(self, mode: str | None):
        self.mode = mode
        self.start = time.monotonic()
        self.last = 0.0 if mode == "live" else self.start
        self.live = None
        # the stream as it is now: while designs run, what they print is captured (design_output)
        self.err = sys.stderr

    def __call__(self, out):
        if self.mode is None:
            return
        now = time.monotonic()
        if now - self.start < self.AFTER or now - self.last < self.EVERY[self.mode]:
            return
        self.last = now
        rate = (out.states if out.states is not None else out.executions) / max(now - self.start, 1e-9)
        if out.states is not None:
            text = f"{out.states:,} states, {out.executions:,} executions, {rate:,.0f} states/s"
        else:
            text = f"{out.executions} executions, {out.histories} distinct histories, {rate:,.0f} executions/s"
        if self.mode == "lines":
            click.echo(f"exploring: {text} ({now - self.start:,.0f} s)", file=self.err)
            return
        if self.live is None:
            from rich.console import Console
            from rich.live import Live
            self.live = Live(console=Console(file=self.err), transient=True, auto_refresh=False,
                             redirect_stdout=False, redirect_stderr=False)
            self.live.start()
        self.live.update(f"exploring: {text}", refresh=True)

    def close(self):
        if self.live is not None:
            self.live.stop()


@click.command()
@click.argument("impl", metavar="IMPL")
@workload_options
@click.option("--strategy", "-s", type=click.Choice(list(STRATEGIES)), default=None,
              help="; ".join(f"{name}: {s.about}" for name, s in STRATEGIES.items())
                   + ". Default: graph (dpor with --object). On native (C) designs, random and pct "
                     "run their scheduling loop in C.")
@click.option("--criterion", "-c", type=click.Choice(CRITERIA), default=None,
              help="The consistency criterion every history must meet (default: opacity); gil: instead "
                   "of the history, the run's output and final memory must be those of some run of the "
                   "same program under one global lock (the default, and only judge, of privatize, "
                   "publish and print-counter, whose steps outside transactions no history shows, and "
                   "of print-in-batch, whose I/O inside a transaction none shows either).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random and pct.")
@click.option("--depth", type=click.IntRange(1), default=3, show_default=True, help="Bug depth for pct.")
@click.option("--preemptions", type=click.IntRange(0), default=None,
              help="dpor/plain: bound on preemptive context switches (the result is then bounded).")
@click.option("--max-executions", type=click.IntRange(1), default=None,
              help=f"Stop after this many executions; the report then names this bound instead of "
                   f"saying the space was exhausted. Default: {DEFAULT_MAX_EXECUTIONS}, none for graph "
                   f"(bounded by --max-states).")
@click.option("--max-states", type=click.IntRange(1), default=None,
              help=f"graph: stop after this many distinct states (the report then names this bound). "
                   f"Default: {DEFAULT_MAX_STATES:,}.")
@click.option("--time-limit", type=FiniteFloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help=f"Stop after this many seconds (a bound the report names, like --max-executions; "
                   f"unlike it, where it stops depends on the machine). Default: {DEFAULT_TIME_LIMIT:g}, "
                   f"{GRAPH_TIME_LIMIT:g} for graph (which ends by itself where states recur).")
@click.option("--symmetry", is_flag=True,
              help="graph: keep one state of each set of states that differ only by a renaming of threads "
                   "running the same program (transfer: threads 1 and 3 of 3); the same verdicts, fewer states. "
                   "For designs that say they allow it (tl2, norec, lazy, global-lock, eager-aggressive and their "
                   "variants; eager with aggressive, passive, polite, karma, polka; dstm with every manager) on "
                   "transfer, counter, swap, write-skew and ww-pathology; checker/explore/symmetry.py says why it "
                   "is sound.")
@click.option("--estimate", is_flag=True,
              help="Search nothing: count the state graph, up to --estimate-states states, and print its size and "
                   "how long the graph search takes here; exact when the graph ends within the budget, else lower "
                   "bounds (checker/explore/estimate.py says why it counts rather than samples).")
@click.option("--estimate-states", type=click.IntRange(1), default=None, metavar="STATES",
              help=f"The budget of --estimate, in states. Default: {DEFAULT_BUDGET:,}.")
@click.option("--progress", "progress_properties", is_flag=True,
              help="Search nothing else: decide obstruction-freedom (every thread run alone from every "
                   "reachable state commits) and survival of a stopped thread (a thread that stops inside a "
                   "transaction never leaves the others waiting for ever) on the state graph of cyclic "
                   f"programs (--max-states, default {api.PROGRESS_STATES:,}); docs/gil.md defines both.")
@click.option("--cluster", "cluster_spec", metavar="ADDRESS|local[:N]",
              help="Run on a Ray cluster (pip install -e '.[cluster]'; local[:N] starts one here with N workers, "
                   "ADDRESS joins a running one). graph: the places are partitioned across the workers by a hash "
                   "of their memory, and the graph gathered here is judged as a search here judges its own: the "
                   "same places and verdicts. random and pct: the executions are split, each drawing from its "
                   "own stream: the same verdict, counts and first counterexample as a run here.")
@click.option("--save", "save_file", metavar="FILE",
              help="graph: the search saves itself in FILE every --save-every seconds and when its runs stop "
                   "(by --time-limit too), and goes on from the search saved there, if any: a search longer than "
                   "one sitting, over several, with the verdicts of one run straight through. A file saved by "
                   "other code, or of another search, is refused.")
@save_every_option("--save")
@click.option("--json", "as_json_flag", is_flag=True,
              help="Print one JSON object on stdout (with each violation's timeline as rows).")
@click.option("--wide", is_flag=True,
              help="Widen each timeline column to its longest cell instead of wrapping cells within it.")
@no_timings_option
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@junit_option
@html_option
def explore(impl, threads, workload, obj, txns, keys, retries, max_steps, cyclic, step_timeout, strategy, criterion,
            seed, depth, preemptions, max_executions, max_states, time_limit, symmetry, estimate, estimate_states,
            progress_properties, cluster_spec, save_file, save_every, as_json_flag, wide, quiet, junit, html):
    """Run IMPL on simulated threads, explore the interleavings, judge every execution.

    \b
    IMPL is a shipped design (listed at the end) or path/to/file.py:ClassName.
    \b
    Examples:
      stmcheck explore tl2 --threads 3
      stmcheck explore locks-naive --workload swap
      stmcheck explore tl2-no-read-validation --strategy pct --seed 7
      stmcheck explore tl2 --object dict --threads 3
      stmcheck explore tl2 --threads 3 --txns 2 --estimate
      stmcheck explore tl2 --threads 3 --symmetry
      stmcheck explore dstm --progress
      stmcheck explore tl2 --threads 3 --cluster local:2
      stmcheck explore tl2 --threads 3 --strategy random --max-executions 100000 --cluster local:2
      stmcheck explore dstm --threads 3 --symmetry --time-limit 3600 --save dstm3.saved   # again: goes on
    \b
    Exit status: 0 no violation found (or an estimate printed), 1 a violation (--progress: a
    progress property violated), 2 usage error,
    130 interrupted (^C: the report covers what was explored so far).
    """
    _object_excludes_workload(obj)
    check_design_name(impl)
    save_every_needs("--save", save_file)
    # (in a log, a line a minute; not with --no-timings, whose output is the same bytes every time)
    progress = _Progress(None if quiet else "live" if sys.stderr.isatty() and not as_json_flag else
                         "lines" if timings() else None)
    if progress_properties:
        if obj is not None:
            fail("--progress runs workloads, not --object programs")
        if symmetry:
            fail("--progress decides its properties on the whole graph of cyclic programs: --symmetry does not apply")
        if save_file is not None:
            fail("--save saves the state-graph search of explore; --progress's graph is not saved")
        found = _calling(progress, lambda: api.progress(
            impl, workload, threads=threads, txns=txns, keys=keys, retries=retries,
            max_states=max_states or api.PROGRESS_STATES, max_steps=max_steps))
        if as_json_flag:
            click.echo(json.dumps(progress_json(found), indent=2))
        else:
            click.echo("\n".join(progress_lines(found)))
        sys.exit(1 if "violated" in (found.progress.obstruction_free, found.progress.survives_stopped_thread)
                 else 0)
    if estimate or estimate_states is not None:
        _estimate_usage(strategy, obj)
        size = _calling(progress, lambda: api.estimate(
            impl, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=obj,
            criterion=criterion, max_steps=max_steps, budget=estimate_states or DEFAULT_BUDGET,
            progress=progress, step_timeout=step_timeout, cyclic=cyclic))
        if as_json_flag:
            click.echo(json.dumps(estimate_json(size), indent=2))
        else:
            click.echo("\n".join(estimate_lines(size)))
        if INTERRUPTED in size.stopped_by:
            click.echo("stmcheck: interrupted: the estimate above covers what was counted before ^C", err=True)
            sys.exit(130)
        sys.exit(0)
    result = _calling(progress, lambda: api.explore(
        impl, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=obj,
        strategy=strategy, criterion=criterion, seed=seed, depth=depth, preemptions=preemptions,
        max_executions=max_executions or "auto", max_states=max_states,
        time_limit=time_limit or "auto", max_steps=max_steps,
        cyclic=cyclic, progress=progress, step_timeout=step_timeout, cluster=cluster_spec, symmetry=symmetry,
        save=save_file, save_every=save_every))
    if as_json_flag:
        click.echo(json.dumps(as_json(result), indent=2, default=str))
    else:
        click.echo(human(result, wide=wide), nl=False)
    write_junit(junit, explore_suites(result))
    write_html(html, lambda: explore_page(result))
    if INTERRUPTED in result.bounds:
        click.echo("stmcheck: interrupted: the report above covers what was explored before ^C", err=True)
        sys.exit(130)
    sys.exit(1 if result.violations else 0)


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
@click.option("--criterion", "-c", type=click.Choice(CRITERIA), default=None,
              help="As explore's (default: opacity, gil for programs with steps outside transactions).")
@click.option("--all-steps", is_flag=True, help="Show every step, loads included.")
@click.option("--json", "as_json_flag", is_flag=True,
              help="Print the execution's history, timeline and verdict as JSON.")
@click.option("--wide", is_flag=True,
              help="Widen each timeline column to its longest cell instead of wrapping cells within it.")
@no_timings_option
@html_option
def replay(impl, threads, workload, obj, txns, keys, retries, max_steps, cyclic, step_timeout, schedule, criterion,
           all_steps, as_json_flag, wide, html):
    """Re-run exactly one execution of IMPL from a schedule and print its timeline.

    After the schedule ends the run continues non-preemptively (the last thread
    keeps going while it can, else the lowest-numbered one). --no-timings is
    accepted for scripts that pass it to every command: a replay prints no timings.
    """
    _object_excludes_workload(obj)
    check_design_name(impl)
    try:
        ex = api.replay(impl, schedule, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=obj,
                        criterion=criterion, max_steps=max_steps, cyclic=cyclic, step_timeout=step_timeout)
    except api.UsageError as exc:
        fail(str(exc))
    run, v, config = ex.run, ex.violation, ex.config
    write_html(html, lambda: replay_page(ex))
    if as_json_flag:
        doc = {"implementation": impl, "workload": config.program, "threads": threads, "schedule": schedule,
               "outcome": run.outcome, "steps": len(run.steps), "history": run.history_doc(),
               "timeline": timeline_rows(run, all_steps),
               "violations": [violation_json(v, config, all_steps)] if v else []}
        if obj is not None:
            doc["object"] = obj
            if ex.operations is not None:
                doc.update(operation_json(ex.operations))
        if ex.design_output:
            doc["design_output"] = ex.design_output
        click.echo(json.dumps(doc, indent=2, default=str))
        sys.exit(1 if v else 0)
    click.echo(f"stmcheck replay {impl}: {'object ' + obj if obj else workload}, {threads} threads, {txns} "
               f"transaction(s) each; {len(run.steps)} steps, outcome: {run.outcome}")
    if v is None:
        click.echo("verdict: no violation in this execution")
        click.echo("")
        click.echo("\n".join(render_timeline(timeline_rows(run, all_steps), run.threads, wide)))
        if ex.operations is not None:
            click.echo("")
            click.echo("\n".join(operation_lines(ex.operations)))
        printed = output_lines(ex.design_output, "this execution")
        if printed:
            click.echo("\n".join(printed))
        sys.exit(0)
    click.echo("\n".join(violation_lines(v, config, all_steps, wide) + output_lines(ex.design_output,
                                                                                  "this execution")))
    sys.exit(1)
