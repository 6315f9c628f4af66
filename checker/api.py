"""The Python API, what `import stmcheck` offers: explore a design (or size its
state graph first), replay one schedule, check a recorded history, check an
operation history.

Why one module: a caller names a design, a program and a strategy by what
they are called on the command line (or hands over the class, the workload,
the strategy object itself) and gets a typed result back; how a design is
loaded, a workload built, a strategy chosen and an explorer assembled is
decided here once. The CLI, the matrix, the benchmarks and the tests all come
through these functions, so they cannot drift apart.

Bad input (an unknown design, workload, strategy or criterion, options that
exclude each other, a schedule that does not parse) raises `UsageError`,
whose message is the one line the CLI prints before exiting with status 2.
"""

from __future__ import annotations

import inspect
import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import SimpleNamespace

from stmcheck.implementations.registry import DESIGNS, DesignError, Entry, load_design, outside_expectation
from stmcheck.models.formats import read_history
from stmcheck.models.txformats import read_transactions
from stmcheck.models.history import History, HistoryError, build_history
from stmcheck.models.machine import DesignMisuse, check_design
from stmcheck.models.opformats import OpHistory, read_ophistory
from stmcheck.models.specs import SPECS
from stmcheck.models.terms import DEFAULT_CRITERIA, HISTORY_CRITERIA, Criterion, Kind
from stmcheck.models.workloads import DEFAULT_WORKLOAD, Workload, make_workload
from stmcheck.models.workloads.objects import make_object_workload

from .explore.config import (
    DEFAULT_MAX_EXECUTIONS,
    DEFAULT_MAX_STEPS,
    DEFAULT_STEP_TIMEOUT,
    DEFAULT_TIME_LIMIT,
    GRAPH_TIME_LIMIT,
    RunConfig,
)
from .explore import horizon, isolation, saving
from .explore.estimate import DEFAULT_BUDGET, Counting, CyclicCounting, Size, size_of
from .explore.engine import INTERRUPTED, CyclicExplorer, Explorer, Outcome, Violation
from .explore.objects import check_operations
from .explore.gil import ReferenceUnknown
from .explore.progress import DEFAULT_STATES as PROGRESS_STATES
from .explore.progress import Progress
from .explore.progress import progress as decide_progress
from .explore.result import Execution, ExploreResult
from .explore.runtime import user_interrupts
from .explore.shrink import shrink_all
from .explore.strategies import Strategy, default_strategy, make_strategy
from .explore.strategies.base import MERGED_STATES
from .explore.strategies.graph import DEFAULT_MAX_STATES, GraphSearch
from .explore.strategies.partition import GatheredGraph, Unplaceable
from .explore.symmetry import refusal as symmetry_refusal
from .explore.strategies.replay import Replay, ScheduleError, decode
from .history.criteria import check as check_criteria
from .linearizability.search import LinResult, check_linearizability as _check_linearizability
from .native.loop import native_plan


class UsageError(ValueError):
    """Bad input from the caller; the message is one line, fit to print as it is."""


@dataclass
class Setup:
    """A configuration made concrete: the design's class (and registry entry, for
    shipped designs) and the workload object its threads run."""

    config: RunConfig
    design_cls: type
    entry: Entry | None
    workload: Workload

    @property
    def about(self) -> str:
        return f"{self.entry.name}: {self.entry.about}" if self.entry else f"user design {self.config.design}"

    @property
    def expected(self):
        """The registry's expectation for this design on this workload (None for user designs,
        object programs and runs with --retries, whose expectations the registry does not state)."""
        c = self.config
        if self.entry is None or c.object or c.retries is not None:
            return None
        if self.workload.outside:
            return outside_expectation(self.entry.name, c.workload)
        return self.entry.expected.get(c.workload)


def design_name(design) -> str:
    """How a design is named in replay commands: its registry name, or FILE.py:Class for a
    class (MODULE:Class for one with no source file, say defined in an interactive session:
    `stmcheck replay` cannot load that, `stmcheck.replay(cls, schedule)` can)."""
    if isinstance(design, str):
        return design
    try:
        path = inspect.getsourcefile(design)
    except (TypeError, OSError):   # OSError: a class defined in `python -c` has no source at all
        path = None
    if path is None or not os.path.isfile(path):
        return f"{design.__module__}:{design.__qualname__}"
    return f"{os.path.relpath(path)}:{design.__qualname__}"


def prepare(design, workload=DEFAULT_WORKLOAD, *, threads: int = 2, txns: int = 1, keys: int | None = None,
            retries: int | None = None, object: str | None = None, max_steps: int = DEFAULT_MAX_STEPS,
            cyclic: bool = False) -> Setup:
    """Load the design and build the program (UsageError for anything unknown or inconsistent).

    `design`: a shipped design's name (`stmcheck list designs`), path/to/file.py:Class, or the
    class itself. `workload`: a workload name (`random:SEED` too) or a `Workload`; with `object`
    set (list, dict, queue, counter, bank), method calls on that transactional object instead."""
    if isinstance(design, str):
        try:
            design_cls, entry = load_design(design)
        except DesignError as exc:
            raise UsageError(str(exc)) from None
    elif isinstance(design, type):
        design_cls, entry = design, None
    else:
        raise UsageError(f"a design is a name, path/to/file.py:Class or a class, not {type(design).__name__}")
    name = design_name(design)
    try:
        check_design(design_cls)
    except DesignMisuse as exc:
        raise UsageError(f"{name}: {exc}") from None
    preflight = getattr(design_cls, "preflight", None)   # a design that needs a build (native) says why it can't
    problem = preflight() if callable(preflight) else None
    if problem:
        raise UsageError(f"{name}: {problem}")
    if object is not None:
        if keys is not None:
            raise UsageError("--keys does not apply to --object (each object has its own keys)")
        try:
            wl = make_object_workload(object, threads, txns, retries)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        config = RunConfig(name, object, threads, txns, None, retries, object, max_steps, cyclic)
    elif isinstance(workload, Workload):
        wl = workload
        config = RunConfig(name, wl.name, wl.threads, getattr(wl, "txns", txns), getattr(wl, "nkeys", None),
                           getattr(wl, "retries", None), None, max_steps, cyclic)
    else:
        try:
            wl = make_workload(workload, threads, txns, keys, retries)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        config = RunConfig(name, workload, threads, txns, keys, retries, None, max_steps, cyclic)
    return Setup(config, design_cls, entry, wl)


@contextmanager
def _misuse_is_usage(name: str):
    """A design that breaks the interface while running (yields a non-step, ...) is a usage error,
    and so is a program whose GIL outcomes cannot all be found (nothing can be judged against a
    part of them); a ^C is the user's, not the design's (`user_interrupts`)."""
    try:
        with user_interrupts():
            yield
    except DesignMisuse as exc:
        raise UsageError(f"{name}: {exc}") from None
    except ReferenceUnknown as exc:
        raise UsageError(f"--criterion gil: {exc}; nothing was judged (try fewer threads)") from None


#: What `explore` judges runs by: a history criterion, or the GIL's outcomes (checker/explore/gil.py).
EXPLORE_CRITERIA = HISTORY_CRITERIA + (Criterion.GIL,)


def _criterion(criterion, allowed=HISTORY_CRITERIA) -> str:
    if criterion not in allowed:
        raise UsageError(f"unknown criterion {str(criterion)!r} (expected one of "
                         f"{', '.join(allowed)})")
    return Criterion(criterion)


def _explore_criterion(setup: Setup, criterion) -> Criterion:
    """The criterion runs of `setup` are judged by (None: opacity, or gil for a program with steps
    outside transactions), refused where it cannot judge them: the GIL
    criterion judges outcomes of runs that end, and only it judges programs with steps outside
    transactions (their histories hold the transactions alone)."""
    wl, name = setup.workload, setup.config.design
    if criterion is None:        # the program's judge: the GIL's where only it can see the program
        criterion = Criterion.GIL if not setup.config.object and wl.outside else Criterion.OPACITY
    criterion = _criterion(criterion, EXPLORE_CRITERIA)
    if criterion == Criterion.GIL:
        if setup.config.object:
            raise UsageError("--criterion gil judges workloads, not --object programs (their judge is "
                             "linearizability)")
        if setup.config.cyclic:
            raise UsageError("--criterion gil judges the outcomes of runs that end; --cyclic runs never end")
    elif wl.outside:
        raise UsageError(f"workload {wl.name} has steps outside transactions, which no history criterion "
                         f"sees: judge it with --criterion gil")
    if wl.outside and not callable(getattr(setup.design_cls, "outside_cell", None)):
        raise UsageError(f"{name}: workload {wl.name} has steps outside transactions, and the design has no "
                         f"`outside_cell(key)` saying which cell holds a key's value for them "
                         f"(models/machine.py)")
    return criterion


def _name_criterion(setup: Setup, explorer: Explorer) -> None:
    """Write the explorer's criterion into the configuration where a replay would not judge by it
    unasked (gil on a program without steps outside transactions), so its replay commands do."""
    if explorer.criterion == Criterion.GIL and not setup.workload.outside:
        setup.config = replace(setup.config, criterion=Criterion.GIL)


def make_explorer(setup: Setup, strategy="dpor", *, criterion=None, seed: int = 0, depth: int = 3,
                  preemptions: int | None = None, max_states: int | None = None, explorer_cls=None,
                  symmetry: bool = False, **options) -> Explorer:
    """The explorer for `setup`, driving `strategy` (a name from `STRATEGIES`, or a strategy
    object; `max_states` bounds the graph search). `options` go to the explorer as they are
    (max_executions, time_limit, progress, stop_at_first, ...); `explorer_cls` replaces the
    explorer class (the matrix's collects every violation)."""
    if isinstance(strategy, str):
        try:
            strategy = make_strategy(strategy, seed=seed, depth=depth, preemptions=preemptions,
                                     max_states=max_states, symmetry=symmetry)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    cls = explorer_cls or (CyclicExplorer if setup.config.cyclic else Explorer)
    return cls(setup.design_cls, setup.workload, strategy, criterion=_explore_criterion(setup, criterion),
               max_steps=setup.config.max_steps, **options)


def _check_symmetry(setup: Setup, strategy, cluster) -> None:
    """What `symmetry=True` needs that can be told before a run (the rest is checked at the
    search's first state: explore/symmetry.py): a usage error, saying why, otherwise."""
    if cluster is not None:
        raise UsageError("--symmetry is not split across a cluster: run it without --cluster")
    if strategy != GraphSearch.name:
        raise UsageError("--symmetry reduces the state-graph search (--strategy graph)")
    why = symmetry_refusal(setup.design_cls, setup.workload, name=setup.config.design)
    if why is not None:
        raise UsageError(why)


def explore(design, workload=DEFAULT_WORKLOAD, *, threads: int = 2, txns: int = 1, keys: int | None = None,
            retries: int | None = None, object: str | None = None, strategy: str | Strategy | None = None,
            criterion: str | None = None, seed: int = 0, depth: int = 3, preemptions: int | None = None,
            max_executions: int | None | str = "auto", max_states: int | None = None,
            time_limit: float | None | str = "auto",
            max_steps: int = DEFAULT_MAX_STEPS, cyclic: bool = False, stop_at_first: bool = True,
            shrink: bool = True, progress=None, step_timeout: float | None = DEFAULT_STEP_TIMEOUT,
            cluster: str | None = None, symmetry: bool = False, save: str | None = None,
            save_every: float = 600.0) -> ExploreResult:
    """Run `design` on simulated threads, explore the interleavings, judge every execution.

    Each complete execution is judged for `criterion` (opacity, strict-serializability,
    serializability, session-serializability), the workload's end-state invariant
    (linearizability for `object` programs), deadlock and livelock; with `cyclic`, the
    threads repeat their programs and starvation is looked for instead. The search stops
    at the first violation unless `stop_at_first` is False, and at `max_executions` or
    `time_limit` seconds (None: no bound; "auto": 6,000 executions and 50 s, or for the
    graph search no execution bound and 300 s: it stops at `max_states`, 200,000 unless
    given). Each violation is shrunk
    (unless `shrink` is False) and carries its schedule, history, explanation and replay
    command. `strategy`: graph (the default, except with `object`: dpor; see
    `default_strategy`), dpor (exhaustive; `preemptions` bounds it), random or pct (`seed`;
    pct's `depth`), plain, or a strategy object. A ^C ends the search: the result says what was
    explored, with the bound "interrupted" (its counterexamples are not shrunk). Native (C) designs under random or pct run their
    scheduling loop in C. `progress`, if given, is called with the running counts after
    every execution.

    A design that is not a shipped one runs in a forked worker (checker/explore/isolation.py):
    if it ends the process, or stays `step_timeout` seconds inside one of its methods without
    taking a step, that is a `crash` counterexample; what it prints is captured
    (`ExploreResult.design_output`), never mixed with the caller's output.

    `cluster` ("local", "local:N" or a Ray address) runs on a Ray cluster: the graph search in
    partitions, gathered and judged here (checker/cluster_graph.py: the same places and verdicts;
    `ExploreResult.cluster` says how the work was spread), random and pct campaigns split into
    chunks of executions (checker/campaign.py: the same verdicts, counts and first counterexample).

    `save` (a file): the graph search saves itself there every `save_every` seconds and when its
    runs stop, and goes on from the search saved there, if any: one search over several
    processes, with the verdicts of one run straight through (checker/explore/saving.py)."""
    setup = prepare(design, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=object,
                    max_steps=max_steps, cyclic=cyclic)
    if strategy is None:
        strategy = default_strategy(object, setup.design_cls)
    graph = strategy == GraphSearch.name or isinstance(strategy, GraphSearch)
    if max_executions == "auto":
        max_executions = None if graph else DEFAULT_MAX_EXECUTIONS
    if time_limit == "auto":
        time_limit = GRAPH_TIME_LIMIT if graph else DEFAULT_TIME_LIMIT
    gathered = cluster is not None and strategy == GraphSearch.name
    if gathered:    # the graph built in partitions on the cluster, judged here (cluster_graph.py)
        if object is not None:
            raise UsageError("--cluster does not split the graph of object workloads (their states carry "
                             "whole histories): run it without --cluster")
        strategy = GatheredGraph(max_states or DEFAULT_MAX_STATES)
    if symmetry:
        _check_symmetry(setup, strategy, cluster)
    if save is not None and (not graph or cluster is not None):
        raise UsageError("--save saves a state-graph search (--strategy graph) run here, not on a cluster")
    explorer = make_explorer(setup, strategy, criterion=criterion, seed=seed, depth=depth, preemptions=preemptions,
                             max_states=max_states, symmetry=symmetry, max_executions=max_executions,
                             time_limit=time_limit, progress=progress, stop_at_first=stop_at_first,
                             saving=None if save is None else saving.SaveFile(save, save_every))
    explorer.stop_on_interrupt = True    # a ^C returns what was explored so far (coverage: interrupted)
    _name_criterion(setup, explorer)
    name = GraphSearch.name if gathered else strategy if isinstance(strategy, str) else explorer.strategy.name
    plan = None
    if cluster is not None:
        from . import campaign, cluster as clusters, cluster_graph
        if not gathered and (name not in campaign.STRATEGIES or not isinstance(strategy, str)):
            raise UsageError(f"--cluster splits the graph search and random and pct campaigns; "
                             f"--strategy {name} runs here")
        if not gathered and max_executions is None:
            raise UsageError("a campaign on a cluster needs a budget of executions (--max-executions)")
        try:
            clusters.parse(cluster)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        spread = dict(design=design, workload=workload, threads=threads, txns=txns, keys=keys, retries=retries,
                      object=object, max_steps=max_steps, cyclic=cyclic)
    elif isinstance(strategy, str):
        try:
            plan = native_plan(explorer, strategy, seed=seed, depth=depth)  # C designs: the loop runs in C
        except ValueError as exc:  # the native core cannot be built here
            raise UsageError(str(exc)) from None
    config = setup.config

    def search():
        with _misuse_is_usage(config.design):
            if cluster is not None:
                try:
                    if gathered:
                        outcome = cluster_graph.explore(sys.modules[__name__], cluster, spread, explorer, time_limit)
                    else:
                        outcome = campaign.explore(sys.modules[__name__], cluster, spread, explorer, name, seed,
                                                   depth, max_executions, time_limit)
                except Unplaceable as exc:
                    raise UsageError(f"{config.design}: {exc}") from None
                except (clusters.ClusterUnavailable, clusters.ClusterFailure) as exc:
                    raise UsageError(str(exc)) from None
            else:
                try:
                    outcome = plan.explore(explorer) if plan is not None else explorer.explore()
                except saving.SaveError as exc:
                    raise UsageError(str(exc)) from None
            if config.cyclic and name == GraphSearch.name and not outcome.exhausted and not outcome.violations \
                    and INTERRUPTED not in outcome.bounds:   # relative stamps: starvation on the horizon graph
                outcome.horizon = horizon.verdicts(setup.design_cls, setup.workload,
                                                   max_states or DEFAULT_MAX_STATES)
            if shrink and INTERRUPTED not in outcome.bounds:     # interrupted: the user wants out now
                outcome.violations = [shrink_all(explorer, v) for v in outcome.violations]
            for v in outcome.violations:      # not shrunk: the schedule is the run's own
                if not v.schedule:
                    v.schedule = list(v.run.schedule)
        return outcome

    if _isolated(setup) and cluster is None:       # on a cluster, the search runs in its workers
        outcome, output = _search_in_worker(design, setup, explorer, search, step_timeout, progress)
    else:
        with isolation.captured() as output:
            outcome = search()
    for v in outcome.violations:
        v.replay = v.replay_command(config.resized(**v.config) if v.config else config)
    return ExploreResult(
        config=config, strategy=name, strategy_desc=explorer.strategy.describe() + (plan.note if plan else ""),
        criterion=explorer.criterion, executions=outcome.executions, histories=outcome.histories,
        steps=outcome.steps, exhausted=outcome.exhausted, bounds=outcome.bounds, elapsed=outcome.elapsed,
        cut=outcome.cut, violations=outcome.violations, about=setup.about, workload_about=setup.workload.about,
        states=outcome.states, transitions=outcome.transitions, store_bytes=outcome.store_bytes,
        places_exhausted=outcome.places_exhausted, horizon=outcome.horizon,
        cluster=getattr(explorer.strategy, "spread", None) or None,
        keys_used=None if object else setup.workload.options().get("keys"), expected=setup.expected,
        spec=getattr(setup.workload, "spec", None) if object else None, native_loop=plan is not None,
        design_output=output.getvalue() if hasattr(output, "getvalue") else output,
        saved=None if save is None else {"file": str(save), "went_on": outcome.went_on, "saves": outcome.saves})


def _isolated(setup: Setup) -> bool:
    """User designs run in a worker, and so do designs that run native code (`native_code`: a crash
    in C must not end stmcheck); shipped Python ones are trusted."""
    return (setup.entry is None or getattr(setup.design_cls, "native_code", False)) and isolation.available()


def _crash(setup: Setup, explorer, died) -> Outcome:
    try:
        return isolation.crash_outcome(explorer, died)
    except isolation.WorkerLost as exc:
        raise UsageError(f"{setup.config.design}: {exc}") from None


def _search_in_worker(design, setup: Setup, explorer, search, step_timeout, progress):
    """`search()` in a worker; (the outcome with its violations rebuilt here, the design's output)."""
    def work(watch):
        explorer.progress = watch.counts       # the parent shows progress from the shared counts
        return isolation.plain(search())

    def shown(executions, histories):      # the shared counts have no state count: a display shows executions
        progress(SimpleNamespace(executions=executions, histories=histories, states=None))

    done = isolation.run(work, setup.config.max_steps, step_timeout, shown if progress is not None else None)
    with isolation.captured():   # running steps the worker ran already: what they print is in its output
        if isinstance(done, isolation.Died):
            return _crash(setup, explorer, done), done.output
        if done.error is not None:
            raise done.error
        plain = done.value
        outcome = Outcome(**{k: v for k, v in plain.items() if k != "violations"})
        outcome.violations = [_rebuilt(design, setup, explorer.criterion, item) for item in plain["violations"]]
    return outcome, done.output


@dataclass
class ProgressResult:
    """`progress`'s answer: the configuration (cyclic), what the design is, the verdicts and
    witnesses (`explore.progress.Progress`), and a replay command for each witness."""

    config: RunConfig
    about: str
    workload_about: str
    progress: Progress
    replays: dict


def progress(design, workload=DEFAULT_WORKLOAD, *, threads: int = 2, txns: int = 1, keys: int | None = None,
             retries: int | None = None, max_states: int = PROGRESS_STATES,
             max_steps: int = DEFAULT_MAX_STEPS) -> ProgressResult:
    """Obstruction-freedom and survival of a stopped thread, decided on the state graph of
    cyclic programs (checker/explore/progress.py; "holds" needs the whole graph within
    `max_states`). The design runs in this process."""
    setup = prepare(design, workload, threads=threads, txns=txns, keys=keys, retries=retries,
                    max_steps=max_steps, cyclic=True)
    if setup.workload.outside:
        raise UsageError(f"--progress runs each thread's program for ever; workload {setup.workload.name} "
                         f"has steps outside transactions, which it does not judge")
    with _misuse_is_usage(setup.config.design), isolation.captured():
        found = decide_progress(setup.design_cls, setup.workload, max_states)
    replays = {k: setup.config.replay_command(w["prefix"] + w["steps"]) for k, w in found.witnesses.items()}
    return ProgressResult(setup.config, setup.about, setup.workload.about, found, replays)


def estimate(design, workload=DEFAULT_WORKLOAD, *, threads: int = 2, txns: int = 1, keys: int | None = None,
             retries: int | None = None, object: str | None = None, criterion: str | None = None,
             max_steps: int = DEFAULT_MAX_STEPS, budget: int = DEFAULT_BUDGET, progress=None,
             step_timeout: float | None = DEFAULT_STEP_TIMEOUT, cyclic: bool = False) -> Size:
    """How big `design`'s state graph is on this program, and how long the graph search
    (`explore(strategy="graph")`) takes here: the search counts it, up to `budget` states,
    keeping no counterexample (checker/explore/estimate.py says why it counts rather than
    samples). `Size.exact`: the graph ended within the budget, so `states` is its size and
    `seconds` the search's time; else both are lower bounds. Options as for `explore` (`cyclic`:
    the graph of cyclic programs, which `explore(cyclic=True)` searches for starvation)."""
    setup = prepare(design, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=object,
                    max_steps=max_steps, cyclic=cyclic)
    explorer = make_explorer(setup, GraphSearch(max_states=budget), criterion=criterion,
                             explorer_cls=CyclicCounting if cyclic else Counting, progress=progress)
    explorer.stop_on_interrupt = True

    def count():
        with _misuse_is_usage(setup.config.design):
            return explorer.explore()

    if _isolated(setup):
        outcome, _ = _search_in_worker(design, setup, explorer, count, step_timeout, progress)
        if outcome.states is None:     # the design ended or stalled the worker: a crash, which explore shows
            raise UsageError(f"{setup.config.design}: the design crashed the worker while its graph was counted "
                             f"(`stmcheck explore` shows the crash)")
    else:
        with isolation.captured():
            outcome = count()
    return size_of(setup.config, explorer.criterion, outcome, budget)


def _rebuilt(design, setup: Setup, criterion, item: dict) -> Violation:
    """A violation found in the worker, run again here from its schedule (the worker came back
    from every step of it, and designs are deterministic)."""
    c = setup.config
    if item["config"]:
        setup = prepare(design, c.workload, threads=item["config"]["threads"], txns=item["config"]["txns"],
                        keys=c.keys, retries=c.retries, object=c.object, max_steps=c.max_steps, cyclic=c.cyclic)
    explorer = make_explorer(setup, Replay(item["schedule"]), criterion=criterion)
    run = explorer.new_run()
    run.execute(Replay(item["schedule"], strict=False))
    v = explorer.judge(run)
    if v is None or v.kind != item["kind"] or v.suspected != item["suspected"]:
        v = Violation(Kind(item["kind"]), "the worker found this counterexample, but running its schedule again "
                      f"here gave another result: the design is not deterministic, {MERGED_STATES}", run)
    v.schedule, v.config, v.shrunk_from = item["schedule"], item["config"], item["shrunk_from"]
    return v


def replay(design, schedule, workload=DEFAULT_WORKLOAD, *, threads: int = 2, txns: int = 1,
           keys: int | None = None, retries: int | None = None, object: str | None = None,
           criterion: str | None = None, max_steps: int = DEFAULT_MAX_STEPS,
           cyclic: bool = False, step_timeout: float | None = DEFAULT_STEP_TIMEOUT) -> Execution:
    """Run exactly one execution of `design` from `schedule` (a string as printed by explore,
    e.g. "1*5,2*3,1", or a list of thread numbers) and judge it as `explore` would. After
    the schedule ends, the run continues non-preemptively (the last thread keeps going
    while it can, else the lowest-numbered one). A design that is not a shipped one is first
    run in a worker, as in `explore`: if it ends the process or stalls, the execution is a
    `crash` shown up to its last step."""
    setup = prepare(design, workload, threads=threads, txns=txns, keys=keys, retries=retries, object=object,
                    max_steps=max_steps, cyclic=cyclic)
    try:
        sched = decode(schedule, limit=max_steps) if isinstance(schedule, str) else list(schedule)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    explorer = make_explorer(setup, Replay(sched), criterion=criterion)
    _name_criterion(setup, explorer)

    def once(watch=None):
        run = explorer.new_run()
        try:
            with _misuse_is_usage(setup.config.design):
                run.execute(Replay(sched, strict=True))
        except ScheduleError as exc:
            raise UsageError(str(exc)) from None
        return run

    if _isolated(setup):
        done = isolation.run(lambda watch: once().outcome, max_steps, step_timeout)
        if isinstance(done, isolation.Died):
            with isolation.captured():
                (v,) = _crash(setup, explorer, done).violations
            v.replay = setup.config.replay_command(sched)
            return Execution(setup.config, explorer.criterion, sched, v.run, v, None, done.output)
        if done.error is not None:
            raise done.error
    with isolation.captured() as output:
        run = once()
    with _misuse_is_usage(setup.config.design):    # the GIL's outcomes may be out of reach
        v = explorer.judge(run)
    if v is not None:
        v.schedule = sched
        v.replay = v.replay_command(setup.config)
    operations = None
    if object is not None and run.outcome == "complete" and (v is None or v.detail.get("operations") is None):
        operations = check_operations(setup.workload, run)
    return Execution(setup.config, explorer.criterion, sched, run, v, operations, output.getvalue())


def check(history, criteria=None, timeout: float | None = None) -> list:
    """Judge a transaction history against each criterion, in the order given: one
    `Result` each (`holds` True with a witness `order`, False with an anomaly, cycle and
    explanation, or None when `timeout` seconds ran out first). `history`: a `History`,
    a path to a history file (stmcheck.history/1, Elle EDN, or a folder of Cobra logs),
    or a stmcheck.history/1 document as a dict. `criteria` None: serializability, strict
    serializability and opacity, or for a history without real time (Cobra's logs)
    serializability and session serializability."""
    if isinstance(history, (str, os.PathLike)):
        history = read_transactions(os.fspath(history))
    elif isinstance(history, dict):
        try:
            history = build_history(history.get("events", []), history.get("initial"), history.get("versions"))
        except HistoryError as exc:
            raise UsageError(str(exc)) from None
    if not isinstance(history, History):
        raise UsageError(f"check() takes a History, a path or a stmcheck.history/1 document, not "
                         f"{type(history).__name__}")
    if criteria is None:
        criteria = DEFAULT_CRITERIA if history.real_time else (Criterion.SERIALIZABILITY,
                                                                Criterion.SESSION_SERIALIZABILITY)
    names = [criteria] if isinstance(criteria, str) else list(criteria)
    for c in names:
        _criterion(c)
        if not history.real_time and c in (Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY):
            raise UsageError(f"{c} needs the real-time order of transactions, which this history "
                             f"({history.source or 'no clock'}) does not record; check serializability or "
                             "session-serializability")
    return check_criteria(history, names, timeout=timeout)


def check_linearizability(history, model: str | None = None, timeout: float | None = None):
    """Decide whether an operation history is linearizable against its sequential
    specification: a `LinResult` (`holds`; a linearization `order`, or the longest
    linearizable `prefix` and the operation that cannot follow it). `history`: an
    `OpHistory` or a path (stmcheck.ophistory/1, Jepsen or EDN logs; `model` names
    the specification where the file does not)."""
    if isinstance(history, (str, os.PathLike)):
        history = read_ophistory(os.fspath(history), model=model)
    if not isinstance(history, OpHistory):
        raise UsageError(f"check_linearizability() takes an OpHistory or a path, not {type(history).__name__}")
    if timeout is None or SPECS.get(history.spec.name) is history.spec:
        return _check_linearizability(history, timeout=timeout)
    # A user's specification runs here, in the search: its `step` looping forever would outlast
    # the budget, which the search checks only between steps. An alarm interrupts it.
    try:
        with _interrupted_after(timeout + 1.0):
            return _check_linearizability(history, timeout=timeout)
    except _Stalled:
        return LinResult(None, explanation=f"the {history.model} specification did not return from a step "
                                           f"within the time budget ({timeout:g} s); no verdict")


class _Stalled(Exception):
    """The alarm of `_interrupted_after` went off."""


@contextmanager
def _interrupted_after(seconds: float):
    """Raise `_Stalled` in this (main) thread after `seconds`; elsewhere, no bound can be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum, frame):
        raise _Stalled()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


__all__ = ["DESIGNS", "Execution", "ExploreResult", "RunConfig", "Setup", "UsageError", "check",
           "check_linearizability", "design_name", "explore", "make_explorer", "prepare", "read_history",
           "read_ophistory", "replay"]
