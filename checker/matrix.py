"""The verdict matrix: every design on every workload, nine verdicts per cell.

A cell is one design on one workload with 2 or 3 threads, one transaction
each. Its verdicts (the nine `terms.Property`s) come from these searches:

- *safety and deadlock/livelock, 2 threads*: the state graph
  (`strategies/graph.py`, at most `Budget.graph` states; not stopping at the
  first counterexample), each complete history judged for opacity and, where
  that fails, for strict serializability and serializability too (opacity
  implies strict serializability implies serializability, so one check decides
  all three when it holds); exhausted, it decides every verdict but starvation,
  livelock-freedom included. Where it is not exhausted, DPOR over every
  execution (`Budget` says how far; deadlocks and proven livelocks from the
  runs' ends), the graph's findings added. The graph comes first because it
  ends wherever DPOR does, with at most as many states as DPOR takes steps,
  and ends where DPOR cannot (retry loops have paths without end): DPOR first
  spent 99 s of the 2-thread matrix on 118 cells it could not finish, and 16 s
  on the 159 it did, whose graphs took 7 s;
- *3 threads*: DPOR first, with at most `THREE_PREEMPTIONS` preemptions and a
  budget of executions, which can only find violations; "holds" comes
  from the state graph after it (`Budget.graph`: the same states on every
  workload, so that a cell is decided wherever its graph fits; a cell whose
  graph does not names the states it reached), searched by symmetry where
  threads run the same program and the design allows it (`symmetry.allowed`:
  the same verdicts on a quotient, explore/symmetry.py). A graph whose places
  were all met but whose history views were not (its budget counts both)
  decides deadlock and livelock all the same (`GraphSearch.places_exhausted`);
- *starvation, 2 threads*: the state graph of cyclic programs, whose values
  stay finite (`Workload.cycle`; `checker/explore/starvation.py`, at most
  `Budget.states` states, stopped at its first starving cycle: a graph of
  relative stamps may never end);
- *the GIL question* (docs/gil.md): every complete run of every search above is
  also judged by the GIL criterion (`explore/gil.py`: its output and final
  memory are an outcome of global-lock's), decided as the safety verdicts are;
  obstruction-freedom and survival of a stopped thread are read off the same
  graph of cyclic programs as starvation (`explore/progress.py`, 2 threads;
  with 3 threads, like starvation, unknown). The programs with steps outside
  transactions (`OUTSIDE_WORKLOADS`, 2 threads, designs with `outside_cell`)
  are cells too: judged by the GIL criterion, deadlock and livelock; their
  history, starvation and progress verdicts are n/a (no history criterion
  sees code outside transactions, and their programs do not repeat).

A search whose space is not exhausted is followed by a seeded random
walk (`Budget.probe`) and, with 2 threads, by DPOR with at most `RETRIES`
retries per transaction; what they find counts, what they do not find proves
nothing. A design whose registry entry states its own `search` (DSTM with the
backoff managers, whose livelock lassos lie beyond the default budget; eager
and DSTM, whose 3-thread graphs lie beyond any budget) has its cells run with
those figures (`Budget.for_design`). A 3-thread counterexample proven once and
kept in the registry (`THREE_THREAD_WITNESSES`) is replayed, so that a change
of search order cannot lose it.

Each verdict is "holds" (the search covered everything), "violated" (a
counterexample, with the command that replays it) or "unknown" (bounded).
Everything here is counted, never timed, so a cell's verdicts are the same on
every machine; only `seconds` varies. `differences` compares a cell with the
registry's expectation (`registry.expected_verdicts`).
"""

from __future__ import annotations

import contextvars
import os
import re
import time
from dataclasses import asdict, dataclass, field, replace

from stmcheck.implementations.registry import (CLEAN, DESIGNS, THREE_THREAD_WITNESSES, WITH_THREE_THREADS,
                                                 describe_expected, expectation_at, expected_others,
                                                 expected_verdicts, outside_expectation, progress_expectation,
                                                 stand_in)
from stmcheck.models.terms import OTHER_KINDS, PROPERTY_OF, Criterion, Kind, Property, Verdict
from stmcheck.models.workloads import OUTSIDE_WORKLOADS, WORKLOADS

from . import api
from .explore.config import RunConfig
from .explore.engine import Explorer
from .explore import gil, horizon, isolation, saving, symmetry
from .explore.objects import is_object_workload
from .explore.progress import both_violated, progress_of, recording_graph
from .explore.runtime import COMPLETE, user_interrupts
from .explore.starvation import liveness_of
from .explore.strategies.graph import GraphSearch
from .explore.strategies.replay import Replay, ScheduleError, decode, needed_prefix

VERDICTS = tuple(Property)
#: The matrix's workloads, in column order: the catalogue's, then the programs with steps outside transactions.
MATRIX_WORKLOADS = (*WORKLOADS, *OUTSIDE_WORKLOADS)

THREE_PREEMPTIONS = 2
RETRIES = 1                # the second, finite search of a bounded 2-thread cell (see `_bounded_retries`)
MAX_STEPS = 600            # steps per execution; a longer run without a commit is a suspected livelock
PROBE_MAX_STEPS = 2000     # steps per execution of the random probe (the explorer's default)


@dataclass(frozen=True)
class Budget:
    """How far each search of a cell may go, in counts (never seconds)."""
    executions: tuple = (2000, 300)       # executions, (2 threads, 3 threads)
    steps: tuple = (60_000, 20_000)       # steps over all executions (livelocking designs run long)
    states: int = 60_000                  # abstract states of the cyclic state graph (starvation)
    graph: tuple = (150_000, 200_000)     # states of the state graph after a bounded DPOR (2, 3 threads)
    probe: tuple = (200, 40_000)          # random-walk probe of a bounded cell: executions, steps in all
    states_on: tuple = ()                 # ((workload, states), ...): the cyclic graph's on those workloads
    graph3_on: tuple = ()                 # ((workload, states), ...): the 3-thread state graph's on those
    horizon: int = 200_000                # states of the horizon graph (starvation, relative stamps)
    horizon_on: tuple = ()                # ((workload, states), ...): where it decides progress too

    def cyclic_states(self, workload: str) -> int:
        """The cyclic state graph's states on `workload` (`states`, unless `states_on` names it)."""
        return dict(self.states_on).get(workload, self.states)

    def horizon_states(self, workload: str) -> tuple:
        """(the horizon graph's states on `workload`, whether the design's entry names the workload:
        there the graph is searched for the progress columns too, not only for starvation)."""
        named = dict(self.horizon_on)
        return named.get(workload, self.horizon), workload in named

    def graph_states(self, threads: int, workload: str) -> int:
        """The state graph's states with `threads` threads on `workload` (`graph`, unless
        `graph3_on` names the workload, with 3 threads)."""
        return self.graph[0] if threads == 2 else dict(self.graph3_on).get(workload, self.graph[1])

    def with_graph3(self, states: int | None) -> "Budget":
        """This budget with `states` for the 3-thread state graph on every workload, the entry's
        own figures included (`matrix --graph3`); itself where `states` is None."""
        return self if states is None else replace(self, graph=(self.graph[0], states), graph3_on=())

    def for_design(self, design: str) -> "Budget":
        """This budget, widened by the registry entry's `search` figures (`Entry.search`)."""
        entry = DESIGNS.get(design)
        return self.widened(entry.search) if entry is not None else self

    def widened(self, search: dict) -> "Budget":
        """Each figure `search` names raised to its value, never lowered ("executions" and
        "steps": the 2-thread DPOR search; "graph": the 2-thread state graph's states; "states":
        the cyclic state graph's (starvation); "probe": (executions, steps)), but for "graph3",
        the 3-thread state graph's states, which replaces the default: a design whose 3-thread
        graphs are far beyond any budget spends less there, one whose graphs end a little past it
        more; and for "states" and "graph3" given per workload ({workload: states}; for "graph3",
        "*": every other workload's), which replace the default on those workloads only, either
        way (a graph that one workload needs larger, or one that past its starving cycle decides
        nothing more); "horizon" ({workload: states}) names the workloads where the horizon graph
        is searched for the progress columns too, with those states. ValueError for anything
        else, so a registry typo cannot pass silently."""
        bad = sorted(set(search) - {"executions", "steps", "graph", "graph3", "states", "probe", "horizon"})
        probe = tuple(search.get("probe", self.probe))
        states = search.get("states", 1)
        on = states if isinstance(states, dict) else {}
        if on.keys() - set(MATRIX_WORKLOADS) or states == {}:
            bad.append("states")
        graph3 = search.get("graph3", {})
        on3 = {k: n for k, n in graph3.items() if k != "*"} if isinstance(graph3, dict) else {}
        rest3 = graph3.get("*", self.graph[1]) if isinstance(graph3, dict) else graph3
        if on3.keys() - set(MATRIX_WORKLOADS) or graph3 == {} and "graph3" in search:
            bad.append("graph3")
        on_h = search.get("horizon", {})
        if not isinstance(on_h, dict) or on_h.keys() - set(MATRIX_WORKLOADS) or on_h == {} and "horizon" in search:
            bad.append("horizon")
            on_h = {}
        counts = (search.get("executions", 1), search.get("steps", 1), search.get("graph", 1),
                  rest3, *on3.values(), *on_h.values(), *(on.values() if on else [states]), *probe)
        if bad or len(probe) != 2 or not all(isinstance(n, int) and n > 0 for n in counts):
            raise ValueError(f"bad search budget {search!r}: give positive counts for executions, steps, "
                             f"graph, graph3 (or graph3 per workload), states (or states per workload), horizon "
                             f"(per workload), probe (executions, steps)")
        return replace(self, executions=(max(self.executions[0], search.get("executions", 0)), self.executions[1]),
                       steps=(max(self.steps[0], search.get("steps", 0)), self.steps[1]),
                       graph=(max(self.graph[0], search.get("graph", 0)), rest3),
                       graph3_on=tuple(sorted({**dict(self.graph3_on), **on3}.items())),
                       horizon_on=tuple(sorted({**dict(self.horizon_on), **on_h}.items())),
                       states=self.states if on else max(self.states, search.get("states", 0)),
                       states_on=tuple(sorted({**dict(self.states_on), **on}.items())),
                       probe=(max(self.probe[0], probe[0]), max(self.probe[1], probe[1])))

    def describe(self) -> dict:
        """The budget as text, one line per search, then one per design with a wider `search`."""
        out = {"two_threads": f"the state graph (at most {self.graph[0]:,} states, which decides every verdict "
                              f"when it is exhausted); when it is not, dpor, every execution, at most "
                              f"{self.executions[0]:,} executions and {self.steps[0]:,} steps in all, {MAX_STEPS} "
                              f"steps each; when neither exhausts the space, "
                              f"{_probe_text(self.probe)}, and dpor with at most {RETRIES} "
                              f"{'retry' if RETRIES == 1 else 'retries'} per transaction (the same dpor budget)",
               "three_threads": f"dpor, at most {THREE_PREEMPTIONS} preemptions, {self.executions[1]:,} executions, "
                                f"{self.steps[1]:,} steps in all, then the state graph (at most {self.graph[1]:,} "
                                f"states, by symmetry where threads run the same program and the design allows "
                                f"it; it decides every verdict but starvation when it is exhausted); when "
                                f"it is not, {_probe_text(self.probe)} (finds violations, proves nothing)",
               "starvation": f"2 threads, cyclic programs, state graph of at most {self.states:,} states (the "
                             f"progress columns are read off the same graph); where it does not end and the "
                             f"design's stamps are relative, the horizon graph (at most {self.horizon:,} "
                             f"states; it over-approximates the runs, so it proves starvation-freedom and "
                             f"the progress columns, never a violation)"}
        for name, entry in DESIGNS.items():
            wide = self.for_design(name)
            if wide != self:
                out[name] = (f"its entry's own search: with 2 threads dpor at most {wide.executions[0]:,} "
                             f"executions and {wide.steps[0]:,} steps in all, the state graph at most "
                             f"{wide.graph[0]:,} states; with 3 threads the state graph at most "
                             f"{wide.graph[1]:,} states; with 2 and 3 threads {_probe_text(wide.probe)}"
                             + (f"; starvation: at most {wide.states:,} states" if wide.states != self.states else "")
                             + "".join(f"; with 3 threads on {', '.join(ws)}: at most {n:,} states"
                                       for n, ws in _by_figure(wide.graph3_on))
                             + "".join(f"; starvation on {', '.join(ws)}: at most {n:,} states"
                                       for n, ws in _by_figure(wide.states_on))
                             + "".join(f"; the horizon graph on {', '.join(ws)}, for the progress columns too: "
                                       f"at most {n:,} states" for n, ws in _by_figure(wide.horizon_on)))
        return out


def _by_figure(pairs) -> list:
    """[(figure, [workloads])] from (workload, figure) pairs, each figure once, in figure order."""
    out: dict = {}
    for workload, n in pairs:
        out.setdefault(n, []).append(workload)
    return sorted(out.items())


def _probe_text(probe) -> str:
    return (f"a seeded random walk (seed 0) of at most {probe[0]:,} executions and {probe[1]:,} steps in all, "
            f"{PROBE_MAX_STEPS:,} steps each")


DEFAULT_BUDGET = Budget()
#: A cell's coverage where the graph decided it; " by symmetry" after "state graph" where it was
#: searched so (3 threads, explore/symmetry.py): its states are then the quotient's.
_GRAPH_EXHAUSTED = "exhausted: {:,} states (state graph{})"
_BY_SYMMETRY = " by symmetry"
_PLACES_EXHAUSTED = ", but its {:,} places are: deadlock and livelock decided"
#: `_GRAPH_EXHAUSTED` read back (`graph_ended`).
_GRAPH_ENDED = re.compile(r"exhausted: ([\d,]+) states \(state graph(?:%s)?\)" % re.escape(_BY_SYMMETRY))


def graph_ended(coverage: str) -> int | None:
    """The states where a cell's state graph ended, read back from its coverage
    (`_GRAPH_EXHAUSTED`), or None where the graph did not end."""
    ended = _GRAPH_ENDED.fullmatch(coverage)
    return int(ended.group(1).replace(",", "")) if ended else None
#: The columns a state graph decides once every place is met, however far its history views got.
_BY_PLACES = tuple(PROPERTY_OF[k] for k in GraphSearch.DECIDED_BY_PLACES if k in PROPERTY_OF)
HOLDS, VIOLATED, UNKNOWN, NA = Verdict.HOLDS, Verdict.VIOLATED, Verdict.UNKNOWN, Verdict.NA

_HISTORY_KINDS = (Kind.SERIALIZABILITY, Kind.STRICT_SERIALIZABILITY, Kind.OPACITY)
_LIVENESS_KINDS = (Kind.DEADLOCK, Kind.LIVELOCK, Kind.STARVATION)
#: The verdicts of the graph of cyclic programs (2 threads): never decided by a search of runs that end.
_CYCLIC = (Property.STARVATION_FREE, Property.OBSTRUCTION_FREE, Property.SURVIVES_STOPPED_THREAD)
#: What no search judges on a program with steps outside transactions.
_NOT_OUTSIDE = (Property.SERIALIZABLE, Property.STRICTLY_SERIALIZABLE, Property.OPAQUE) + _CYCLIC


@dataclass
class Cell:
    design: str
    workload: str
    threads: int
    status: str = "ok"                       # ok, n/a (unsupported), error (could not run)
    verdicts: dict = field(default_factory=dict)
    others: list = field(default_factory=list)      # kinds outside the nine: invariant, crash
    executions: int = 0
    coverage: str = ""                      # "exhausted" or the bounds that applied
    states: int | None = None               # size of the cyclic state graph (2 threads)
    witnesses: dict = field(default_factory=dict)   # verdict or kind -> replay command
    note: str = ""
    seconds: float = 0.0
    expected: str | None = None             # the registry's expectation, as matrix.md shows it (None: none)
    lifted: list = field(default_factory=list)      # verdicts that hold by the design's stand-in (`lift`)

    def key(self):
        return self.design, self.workload, self.threads


def supported(design: str, workload: str, threads: int = 2) -> bool:
    """Native designs (slow: one C call per step) run the bank (transfer) workload, and
    any other their registry entry states an expectation for; Python designs run all; a program
    with steps outside transactions runs with 2 threads on designs that say where a key's value is
    (`outside_cell`)."""
    if workload in OUTSIDE_WORKLOADS:
        return threads == 2 and outside_expectation(design, workload) is not None
    if not design.startswith("native-"):
        return True
    entry = DESIGNS.get(design)
    return workload == "transfer" or (entry is not None and workload in entry.expected)


class _Collect(Explorer):
    """An explorer that records every kind of violation it meets and goes on."""

    kinds_only = True

    def __init__(self, *args, step_budget=None, **kw):
        super().__init__(*args, stop_at_first=False, exact_histories=True, **kw)
        self.explain = False                # only kinds and first schedules are kept: cached verdicts do
        self.step_budget = step_budget
        self.over_steps = False
        self.broken: set = set()       # verdicts violated
        self.others: set = set()
        self.suspected = False
        self.first: dict = {}          # verdict/kind -> the first run that showed it
        # the GIL criterion beside the history criteria (a program with steps outside transactions
        # is judged by it alone); gil_known False: the reference's outcomes are out of reach
        # (gil.ReferenceUnknown), so the gil verdict can only be unknown
        self.also_gil = self.criterion != Criterion.GIL and not is_object_workload(self.workload)
        self.gil_known = True

    def judge(self, run, out=None):
        if out is not None and self.step_budget is not None and out.steps >= self.step_budget:
            self.over_steps = True
            self.max_executions = out.executions   # the explorer stops before the next execution
        v = super().judge(run, out)
        if self.also_gil and run.outcome == COMPLETE and self.gil_known:
            self._judge_gil(run)
        if v is None:
            return None
        if v.suspected:
            self.suspected = True
            return None
        names = []
        if v.kind in _HISTORY_KINDS:
            names = [PROPERTY_OF[r.criterion] for r in v.results
                     if r.holds is False and r.criterion in _HISTORY_KINDS]
        elif v.kind in PROPERTY_OF:
            names = [PROPERTY_OF[v.kind]]
        else:
            self.others.add(v.kind)
            names = [v.kind]
        for n in names:
            self._broke(n, run)
        return None   # keep exploring; nothing is kept per execution but the first schedule

    def _broke(self, name, run) -> None:
        self.broken.add(name)
        self.first.setdefault(name, list(run.schedule))

    def _judge_gil(self, run) -> None:
        """The run's outcome against global-lock's (a final state that cannot be read is the
        invariant's finding, not the GIL's)."""
        if run.final is None or "__blocked__" in run.final:
            return
        try:
            v = self._judge_outcome(run)
        except gil.ReferenceUnknown:
            self.gil_known = False
            return
        if v is not None:
            self._broke(Property.GIL, run)


def _config(design, workload, threads, cyclic=False, retries=None) -> RunConfig:
    """The configuration a witness's replay command names (the explorer's default step bound:
    the cell's own, smaller one is a search budget, not part of the program)."""
    return RunConfig(design, workload, threads, 1, retries=retries, cyclic=cyclic)


#: Called with a state graph's running counts (an `Outcome`: states so far) while a cell's graph
#: grows, where the caller runs cells in its own process and asked (`stmcheck matrix`: a 3-thread
#: cell can search for an hour, and a log must show it moving). Counts only: no verdict reads it.
WATCH: contextvars.ContextVar = contextvars.ContextVar("matrix_watch", default=None)


def run_cell(design: str, workload: str, threads: int, budget: Budget | None = None,
             saves: tuple | None = None) -> Cell:
    """Explore one cell (see the module docstring) and return its verdicts. Without a
    budget, the matrix's: the default one widened by the design's (`Budget.for_design`);
    a budget given is used as it is. A ^C is the user's (raised), never the design's crash.
    `saves` (directory, seconds): the 3-thread state graph saves itself there (`_save_file`) every
    so many seconds and when its runs stop, and goes on from there (explore/saving.py)."""
    with user_interrupts():
        try:
            if _runs_native_code(design) and isolation.available():
                return _run_cell_in_worker(design, workload, threads, budget, saves)
            return _run_cell(design, workload, threads, budget, saves)
        except saving.SaveError as exc:     # a saved search of other code, say: the cell says why
            return _error_cell(design, workload, threads, str(exc))


def _runs_native_code(design: str) -> bool:
    """Whether the design's class says it runs C (`native_code`); loading a class builds nothing."""
    entry = DESIGNS.get(design)
    return entry is not None and getattr(entry.load(), "native_code", False)


def _run_cell_in_worker(design: str, workload: str, threads: int, budget: Budget | None, saves=None) -> Cell:
    """A native design's cell in a forked worker (checker/explore/isolation.py), whose C side then
    steps in-process (implementations/native/design.py, `isolated`): about 9x faster than a round
    trip to a C worker per step, and a crash still ends only the worker: the cell says so."""
    done = isolation.run(lambda watch: _run_cell(design, workload, threads, budget, saves), MAX_STEPS, None)
    if isinstance(done, isolation.Died):
        return _error_cell(design, workload, threads, f"the cell's worker process {done.how}")
    if done.error is not None:
        raise done.error
    return done.value


def _save_file(cell: Cell, saves: tuple | None):
    """Where `cell`'s 3-thread state graph saves itself (`saves`: (directory, seconds)), or None:
    one file a cell, named after it; 2-thread cells search for minutes at most."""
    if saves is None or cell.threads != 3:
        return None
    directory, every = saves
    return saving.SaveFile(os.path.join(directory, f"{cell.design}_{cell.workload}_{cell.threads}.saved"), every)


def _error_cell(design: str, workload: str, threads: int, note: str) -> Cell:
    """A cell that could not be run: every verdict unknown, and why."""
    cell = Cell(design, workload, threads)
    cell.status, cell.verdicts, cell.coverage, cell.note = "error", {v: UNKNOWN for v in VERDICTS}, "not run", note
    return cell


def _run_cell(design: str, workload: str, threads: int, budget: Budget | None, saves=None) -> Cell:
    cell = Cell(design, workload, threads)
    if budget is None:
        budget = DEFAULT_BUDGET.for_design(design)
    if not supported(design, workload, threads):
        cell.status, cell.verdicts, cell.coverage = NA, {v: NA for v in VERDICTS}, NA
        cell.note = ("programs with steps outside transactions run with 2 threads on designs with a plain value "
                     "cell per key (`outside_cell`)" if workload in OUTSIDE_WORKLOADS else
                     "native designs run the transfer (bank) workload and the ones their entry names")
        return cell
    start = time.monotonic()
    i = 0 if threads == 2 else 1
    gex = None         # 2 threads: the state graph's explorer, which searches before DPOR
    try:
        setup = api.prepare(design, workload, threads=threads, max_steps=MAX_STEPS)
        if getattr(setup.design_cls, "chooses", False):
            _choosing(cell, setup, budget, saves)
            cell.seconds = round(cell.seconds + time.monotonic() - start, 2)
            return cell
        if threads == 2:
            ex = gex = api.make_explorer(setup, GraphSearch(max_states=budget.graph[0]), explorer_cls=_Collect,
                                         progress=WATCH.get())
            out = graph_out = ex.explore()
        if gex is None or not out.exhausted:
            ex = api.make_explorer(setup, "dpor", preemptions=None if threads == 2 else THREE_PREEMPTIONS,
                                   explorer_cls=_Collect, max_executions=budget.executions[i],
                                   step_budget=budget.steps[i])
            out = ex.explore()
            if ex.over_steps:
                out.bounds = sorted({b for b in out.bounds if not b.startswith("max-executions")}
                                    | {f"{budget.steps[i]:,} steps"})
    except Exception as exc:  # a design that cannot be built here (no C compiler, say): say so, go on
        cell = _error_cell(design, workload, threads, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
        cell.seconds = round(time.monotonic() - start, 2)
        return cell
    cell.executions = out.executions
    if ex is gex:
        cell.coverage = _GRAPH_EXHAUSTED.format(out.states, "")
    else:
        cell.coverage = "exhausted" if out.exhausted else "bounded: " + ", ".join(out.bounds)
    decided = HOLDS if out.exhausted else UNKNOWN
    for v in VERDICTS:
        cell.verdicts[v] = VIOLATED if v in ex.broken else decided
    if not ex.gil_known and cell.verdicts[Property.GIL] == HOLDS:
        cell.verdicts[Property.GIL] = UNKNOWN
    if ex.suspected and ex is not gex and cell.verdicts["livelock-free"] != VIOLATED:
        cell.verdicts["livelock-free"] = UNKNOWN
        cell.note = "suspected livelock (a run past the step budget without a commit, no repeated state)"
    cell.others = sorted(ex.others)
    for name, sched in sorted(ex.first.items()):
        cell.witnesses[name] = _witness(_config(design, workload, threads), name, ex, sched)
    if ex is not gex and (gex is not None or not out.exhausted):
        out = _graph(cell, ex, out, budget.graph_states(threads, workload), None if gex is None else (gex, graph_out),
                     saves)
    if not out.exhausted:
        _probe(cell, ex, threads, budget.probe)
    if threads == 2 and not out.exhausted:
        _bounded_retries(cell, ex, budget)
    if threads == 3 and (design, workload) in THREE_THREAD_WITNESSES:
        _known_witness(cell, ex, THREE_THREAD_WITNESSES[design, workload])
    for v in _CYCLIC:
        cell.verdicts[v] = UNKNOWN
    if workload in OUTSIDE_WORKLOADS:
        cell.verdicts.update(dict.fromkeys(_NOT_OUTSIDE, NA))
    elif threads == 2:      # native designs too: their stamp words keep cyclic graphs finite
        _cyclic(cell, budget.cyclic_states(workload), *budget.horizon_states(workload))
    cell.seconds = round(cell.seconds + time.monotonic() - start, 2)   # (+ a saved graph's earlier seconds)
    return cell


def _choosing(cell: Cell, setup, budget: Budget, saves=None) -> None:
    """A design whose manager has the explorer pick its decisions (a stand-in for several managers:
    contention.AnyManager): the state graph alone, by symmetry with 3 threads where the design and
    workload allow it; DPOR and the searches bounded by retries take no choices. The cyclic
    columns are n/a: a stand-in answers for its designs' histories, end states and deadlocks
    (`lift`), not for their progress."""
    threads, workload = cell.threads, cell.workload
    symmetric = threads == 3 and symmetry.allowed(setup.design_cls, setup.workload)
    how = _BY_SYMMETRY if symmetric else ""
    ex = api.make_explorer(setup, GraphSearch(max_states=budget.graph_states(threads, workload), symmetry=symmetric),
                           explorer_cls=_Collect, progress=WATCH.get(), saving=_save_file(cell, saves))
    out = ex.explore()
    cell.seconds = out.earlier          # a saved search's seconds in the processes before this one
    cell.executions = out.executions
    for v in VERDICTS:
        cell.verdicts[v] = VIOLATED if v in ex.broken else HOLDS if out.exhausted else UNKNOWN
    if not ex.gil_known and cell.verdicts[Property.GIL] == HOLDS:
        cell.verdicts[Property.GIL] = UNKNOWN
    if out.exhausted:
        cell.coverage = _GRAPH_EXHAUSTED.format(out.states, how)
    else:
        cell.coverage = f"state graph{how}: {out.states:,} states, not exhausted"
        if out.places_exhausted:
            cell.coverage += _PLACES_EXHAUSTED.format(out.places_exhausted)
            for v in _BY_PLACES:
                if cell.verdicts[v] == UNKNOWN:
                    cell.verdicts[v] = HOLDS
    cell.others = sorted(ex.others)
    for name, sched in sorted(ex.first.items()):
        cell.witnesses[name] = _witness(_config(cell.design, workload, threads), name, ex, sched)
    for v in _CYCLIC:
        cell.verdicts[v] = NA


#: What a stand-in's graph (`registry.stand_in`) decides for the designs it stands for when it holds
#: there: their histories, end states, outputs and blocking steps are the stand-in's
#: (contention.AnyManager says why); livelock and the progress columns are not.
LIFTED = (Property.SERIALIZABLE, Property.STRICTLY_SERIALIZABLE, Property.OPAQUE, Property.DEADLOCK_FREE,
          Property.GIL)
_LIFTED_NOTE = "'s graph (contention.AnyManager)"


def lift(cells: list) -> list:
    """`cells` with each verdict a design's own search left unknown set to holds where its
    stand-in's cell (`registry.stand_in`: the same workload and threads, among `cells`) proves it
    (`LIFTED`), the cell's `lifted` naming them and its note saying whose graph. What an earlier
    lift set is set back first, so that the verdicts follow the stand-in's cell as it stands."""
    by = {c.key(): c for c in cells}
    for c in cells:
        for v in c.lifted:
            c.verdicts[v] = UNKNOWN
        c.lifted = []
        c.note = "; ".join(p for p in c.note.split("; ") if p and not p.endswith(_LIFTED_NOTE))
        standing = stand_in(c.design)
        s = by.get((standing, c.workload, c.threads)) if standing else None
        if s is None or c.status != "ok" or s.status != "ok":
            continue
        c.lifted = [v for v in LIFTED if c.verdicts.get(v) == UNKNOWN and s.verdicts.get(v) == HOLDS]
        for v in c.lifted:
            c.verdicts[v] = HOLDS
        if c.lifted:
            c.note = "; ".join(p for p in (c.note, f"{', '.join(c.lifted)} hold by {standing}{_LIFTED_NOTE}") if p)
    return cells


def _graph(cell: Cell, ex, out, max_states: int, searched: tuple | None = None, saves=None):
    """The state graph (`strategies/graph.py`, at most `max_states` states) beside a DPOR search
    `ex` that did not exhaust (3 threads: bounded by preemptions), or that ran because the graph,
    searched first (2 threads; `searched`: its explorer and outcome), did not: what the graph
    found is added to the cell. Where states recur it ends, and then decides every verdict it
    judges, livelock-freedom included (starvation needs cyclic programs: not here). Returns the
    outcome that now stands: the graph's when it was exhausted, else DPOR's."""
    how = ""
    if searched is None:
        setup = api.prepare(cell.design, cell.workload, threads=cell.threads, max_steps=MAX_STEPS)
        # 3 threads: by symmetry where threads run the same program and the design allows it (the
        # same verdicts on a quotient of the graph: explore/symmetry.py)
        symmetric = cell.threads == 3 and symmetry.allowed(setup.design_cls, setup.workload)
        how = _BY_SYMMETRY if symmetric else ""
        gex = api.make_explorer(setup, GraphSearch(max_states=max_states, symmetry=symmetric), explorer_cls=_Collect,
                                progress=WATCH.get(), saving=_save_file(cell, saves))
        gout = gex.explore()
        cell.seconds = gout.earlier     # a saved search's seconds in the processes before this one
    else:
        gex, gout = searched
    _add_findings(cell, gex, ex, _config(cell.design, cell.workload, cell.threads))
    if not gout.exhausted:
        cell.coverage += f"; state graph{how}: {gout.states:,} states, not exhausted"
        if gout.places_exhausted:       # what needs no history view is decided (GraphSearch.places_exhausted)
            cell.coverage += _PLACES_EXHAUSTED.format(gout.places_exhausted)
            for v in _BY_PLACES:
                if cell.verdicts[v] == UNKNOWN:
                    cell.verdicts[v] = HOLDS
            _drop_suspicion(cell)
        return out
    cell.coverage = _GRAPH_EXHAUSTED.format(gout.states, how)
    for v in VERDICTS:
        if cell.verdicts[v] == UNKNOWN and v not in _CYCLIC and (v != Property.GIL or gex.gil_known):
            cell.verdicts[v] = HOLDS
    _drop_suspicion(cell)
    return gout


def _drop_suspicion(cell: Cell) -> None:
    """A suspected livelock (a bounded search's) is moot once the graph decided livelock."""
    cell.note = "; ".join(p for p in cell.note.split("; ") if p and not p.startswith("suspected livelock"))


def _probe(cell: Cell, ex, threads: int, probe: tuple) -> None:
    """A bounded DPOR search goes deep first and may spend its budget before it meets a
    long lasso (karma's priorities make loops of hundreds of steps): a seeded random
    walk (`Budget.probe`: executions, steps in all; up to `PROBE_MAX_STEPS` each)
    samples elsewhere. What it finds is as proven as what DPOR finds; it never proves "holds"."""
    setup = api.prepare(cell.design, cell.workload, threads=threads, max_steps=PROBE_MAX_STEPS)
    pex = api.make_explorer(setup, "random", seed=0, explorer_cls=_Collect, max_executions=probe[0],
                            step_budget=probe[1])
    pex.explore()
    _add_findings(cell, pex, ex, _config(cell.design, cell.workload, threads), "  # found by the random probe")
    if pex.suspected and cell.verdicts["livelock-free"] != VIOLATED and "suspected" not in cell.note:
        cell.note = (cell.note + "; " if cell.note else "") + "suspected livelock (random probe)"


def _add_findings(cell: Cell, extra, ex, config: RunConfig, tag: str = "") -> None:
    """Record what a second search (`extra`) broke that the main one (`ex`) did not,
    each with the command that replays its first counterexample."""
    for name in sorted(extra.broken - ex.broken):
        if name in cell.verdicts:
            cell.verdicts[name] = VIOLATED
        elif name not in cell.others:
            cell.others = sorted(cell.others + [name])
        cell.witnesses[name] = _witness(config, name, extra, extra.first[name]) + tag


def _witness(config: RunConfig, name, ex, sched: list) -> str:
    """The replay command of `ex`'s first counterexample of `name` (its run's schedule, `sched`):
    the prefix a replay needs (`needed_prefix`) of the run `sched` leads to, made as `stmcheck
    replay` makes it, lasso detector on (the graph's own runs have none), so that the detector's
    turns to a starved thread are the replay's (without them eager+any's 2-thread livelocks on
    privatize and print-counter and dstm+aggressive's 3-thread one on counter replayed to clean
    ends)."""
    run = ex.new_run(detect_lassos=True)
    run.execute(Replay(sched, strict=False))
    return _judged(config, name, ex).replay_command(needed_prefix(run))


def _judged(config: RunConfig, name, ex) -> RunConfig:
    """The configuration whose replay judges `name`'s counterexample: a GIL one found beside the
    history criteria is replayed with --criterion gil."""
    return replace(config, criterion=Property.GIL) if name == Property.GIL and ex.also_gil else config


def _known_witness(cell: Cell, ex, schedule: str) -> None:
    """Replay the registry's proof of a 3-thread counterexample (`THREE_THREAD_WITNESSES`): a
    search that is bounded may miss what it met once, and a replay proves it again (the
    runtime's lasso detector, as for any run). A witness the design no longer fits (a design
    changed since) is a note on the cell, its verdict left to the search: never a traceback."""
    setup = api.prepare(cell.design, cell.workload, threads=cell.threads, max_steps=MAX_STEPS)
    rex = api.make_explorer(setup, Replay(decode(schedule)), explorer_cls=_Collect, max_executions=1)
    try:
        rex.explore()
    except ScheduleError as exc:
        cell.note = ((cell.note + "; ") if cell.note else "") + (
            f"the registry's witness (THREE_THREAD_WITNESSES) no longer fits the design: {exc}")
        return
    _add_findings(cell, rex, ex, _config(cell.design, cell.workload, cell.threads),
                  "  # the registry's witness, replayed")


def _bounded_retries(cell: Cell, ex, budget: Budget) -> None:
    """When the search was bounded (livelocking designs run long, and the space of retries
    never ends), search again with at most `RETRIES` retries per transaction: a finite
    space, usually exhausted. Its counterexamples are real (a transaction given up is,
    to the criteria, one whose thread stopped being scheduled), so they count; its
    "holds" is only for that many retries, so it is a note, never a verdict."""
    setup = api.prepare(cell.design, cell.workload, threads=2, retries=RETRIES, max_steps=MAX_STEPS)
    rex = api.make_explorer(setup, "dpor", explorer_cls=_Collect, max_executions=budget.executions[0],
                            step_budget=budget.steps[0])
    rex.also_gil = False     # a transaction given up leaves an outcome no complete GIL run has: not a finding
    rout = rex.explore()
    _add_findings(cell, rex, ex, _config(cell.design, cell.workload, 2, retries=RETRIES))
    held = [v for v in VERDICTS[:4] if v not in rex.broken and cell.verdicts[v] != NA]
    text = (f"with at most {RETRIES} {'retry' if RETRIES == 1 else 'retries'} per transaction: "
            f"{rout.executions:,} executions, "
            + ("exhausted" + (f", {', '.join(held)} hold" if held else "") if rout.exhausted else "bounded"))
    cell.note = (cell.note + "; " if cell.note else "") + text


#: How a cell's note names what the horizon graph proved.
_HORIZON_SAYS = {"starvation": "starvation-free", "obstruction_free": "obstruction-free",
                 "survives_stopped_thread": "survives a stopped thread"}


def _cyclic(cell: Cell, graph_states: int, horizon_states: int, named: bool = False) -> None:
    """Starvation, obstruction-freedom and survival of a stopped thread, from one graph of cyclic
    programs, stopped early once it shows a starving cycle and both progress counterexamples
    (nothing more to learn; "holds" needs all of it). A design that never waits (the racy
    variants) thus spends the whole budget where it starves: a cap on the growth past the
    starving cycle (fourfold, sixteenfold) was tried, and cost verdicts (dstm+karma on
    write-skew: its progress counterexamples lie eight times past) or saved nothing. Where
    that graph does not end and leaves starvation undecided, or the progress columns where the
    design's entry names the workload (`named`: its horizon graph is known to be small), the
    horizon graph (explore/horizon.py, at most `horizon_states`) may prove them, if the design's
    stamps are relative (it over-approximates: "holds" alone is taken from it)."""
    workload = cell.workload
    config = _config(cell.design, workload, 2, cyclic=True)
    setup = api.prepare(cell.design, workload, threads=2)
    g = recording_graph(setup.design_cls, setup.workload, graph_states)
    g.build(stop_at_starvation=True, decided=both_violated)
    live = liveness_of(g)
    cell.states = live["states"]
    progress = progress_of(g)
    verdicts = {"starvation": live["starvation"], "obstruction_free": progress.obstruction_free,
                "survives_stopped_thread": progress.survives_stopped_thread}
    found = None
    if not g.complete and (verdicts["starvation"] == UNKNOWN or named and UNKNOWN in verdicts.values()):
        found = horizon.verdicts(setup.design_cls, setup.workload, horizon_states)  # None: no relative stamps
    if found is not None:
        proven = [k for k, v in verdicts.items() if v == UNKNOWN and found[k] == HOLDS]
        verdicts.update(dict.fromkeys(proven, HOLDS))
        said = ", ".join(_HORIZON_SAYS[k] for k in proven)
        cell.note = (cell.note + "; " if cell.note else "") + (
            f"{said} on the horizon graph ({found['states']:,} states, horizon {found['horizon']})" if proven
            else f"horizon graph: {found['why'] or 'decided nothing'}")
    cell.verdicts[Property.STARVATION_FREE] = Verdict(verdicts["starvation"])
    w = live.get("starvation_witness")
    if w is not None:
        cell.witnesses[Property.STARVATION_FREE] = (
            config.replay_command(w["prefix"] + w["loop"] * 2)
            + f"  # thread {w['starving'][0]} starves: loop of {len(w['loop'])} steps after {len(w['prefix'])}")
    if live["livelock"] == VIOLATED and cell.verdicts["livelock-free"] != VIOLATED:
        cell.note = (cell.note + "; " if cell.note else "") + "livelocks with cyclic programs"
    for prop, verdict in ((Property.OBSTRUCTION_FREE, verdicts["obstruction_free"]),
                          (Property.SURVIVES_STOPPED_THREAD, verdicts["survives_stopped_thread"])):
        cell.verdicts[prop] = Verdict(verdict)
        w = progress.witnesses.get(prop)
        if w is not None:
            cell.witnesses[prop] = config.replay_command(w["prefix"] + w["steps"]) + f"  # {w['why']}"



def differences(cell: Cell) -> list[str]:
    """How the cell differs from the registry's expectation (empty: it matches).

    2 threads: every verdict must be as expected, except that an expected "holds"
    may stay "unknown" (bounded); an expected violation must be found. 3 threads
    (bounded): a violation where "holds" is expected is a difference, and so is a
    violation proven with 3 threads (`WITH_THREE_THREADS`) that is not found again."""
    if cell.status == NA:
        return []
    where = f"{cell.design} on {cell.workload}, {cell.threads} threads"
    value = expectation_at(cell.design, cell.workload, cell.threads)
    if value is None:
        return [f"{where}: no expectation in the registry (found: {summary(cell)})"]
    if cell.status != "ok":
        return [f"{where}: could not run ({cell.note})"]
    want = expected_verdicts(value)
    if cell.workload not in OUTSIDE_WORKLOADS:       # the design's, on every program of transactions
        progress = expected_verdicts(progress_expectation(cell.design) or CLEAN)
        want.update({v: progress[v] for v in (Property.OBSTRUCTION_FREE, Property.SURVIVES_STOPPED_THREAD)})
    proven3 = {PROPERTY_OF[k] for k in WITH_THREE_THREADS.get((cell.design, cell.workload), ())} \
        if cell.threads >= 3 else set()
    # A design that is not serializable may also leave a wrong end state behind a history
    # that looks serializable (values written twice hide the lost update): that is the
    # same bug, seen by the invariant, not a new one.
    allowed = set(expected_others(value)) | ({Kind.INVARIANT} if not want[Property.SERIALIZABLE] else set())
    out = []
    for v in VERDICTS:
        found, holds = cell.verdicts[v], want[v]
        if found == NA:
            continue
        if holds and found == VIOLATED:
            out.append(f"{where}: {v} expected to hold, violated ({describe_expected(value)} expected)")
        elif not holds and found != VIOLATED and (cell.threads == 2 or v in proven3):
            out.append(f"{where}: {v} expected violated, found {found} ({describe_expected(value)} expected)")
    if cell.threads == 2:
        extra = sorted(set(cell.others) - allowed)
        missing = sorted(set(expected_others(value)) - set(cell.others))
        out += [f"{where}: unexpected {k} counterexample" for k in extra]
        out += [f"{where}: expected a {k} counterexample, none found" for k in missing]
    else:
        out += [f"{where}: unexpected {k} counterexample" for k in cell.others if k not in allowed]
    return out


def found_kinds(cell: Cell) -> tuple:
    """The expectation that would describe this cell exactly: its kinds, weakest criterion first (the
    progress columns aside: the design's, `registry.progress_expectation`)."""
    v = cell.verdicts
    kinds = [next(k for k in _HISTORY_KINDS if v.get(PROPERTY_OF[k]) == VIOLATED)] \
        if any(v.get(PROPERTY_OF[k]) == VIOLATED for k in _HISTORY_KINDS) else []
    kinds += [k for k in _LIVENESS_KINDS + (Kind.GIL,) if v.get(PROPERTY_OF[k]) == VIOLATED]
    kinds += [k for k in cell.others if k in OTHER_KINDS]
    return tuple(kinds)


def summary(cell: Cell) -> str:
    return " + ".join(found_kinds(cell)) or "clean"


def expectation(cell: Cell) -> str | None:
    """The registry's expectation for the cell ("clean", "deadlock", "opacity + livelock"), or None."""
    value = expectation_at(cell.design, cell.workload, cell.threads)
    return None if value is None else describe_expected(value)


def to_json(cells, budgets: dict) -> dict:
    """The matrix as JSON. Each cell's `expected` is read from the registry as the matrix
    is written, as matrix.md reads it, so the two files always agree."""
    return {"format": "stmcheck.matrix/1", "verdicts": list(VERDICTS), "budgets": budgets,
            "cells": [asdict(replace(c, expected=expectation(c))) for c in cells]}

