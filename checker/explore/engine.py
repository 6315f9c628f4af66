"""The explorer: drives a strategy over executions and judges each one.

One execution is judged by, in order: how it ended (a crash, a deadlock, a
proven livelock, or a run past `--max-steps` with no recent commit: a
*suspected* livelock), then its history against the chosen criterion (with
all of serializability, strict serializability and opacity computed for the
report once it fails), then the workload's end-state invariant. The first
violation stops the search; it is shrunk and handed to the report.

Verdicts are cached by the history's *signature*: each thread's attempts (their
reads, writes and outcomes) plus the real-time precedences between attempts.
That is everything the criteria look at, and it does not change when
independent steps are reordered, so equivalent executions are judged once. The
signature is also what "distinct histories" counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from stmcheck.models.history import HistoryError, canonical_value
from stmcheck.models.terms import DEFAULT_CRITERIA, Criterion, Kind

from ..history.criteria import check
from . import gil
from .objects import ObjectError, check_operations, is_object_workload
from .runtime import COMPLETE, CRASH, CUT, DEADLOCK, LIVELOCK, MAX_STEPS, STARVATION, Positions, Run
from .strategies.base import NondeterminismError
from .strategies.graph import no_history
from .strategies.replay import encode, encode_lasso
from .witnesskey import AllCriteriaView, CommittedView, WitnessKey
from ..history.witness import OPACITY, STRICT

ALL_CRITERIA = DEFAULT_CRITERIA
#: The bound a ^C leaves when the explorer stops on it (`Explorer.stop_on_interrupt`).
INTERRUPTED = "interrupted"


@dataclass
class Violation:
    """One counterexample: what is wrong (`kind`, `explanation`, the criteria
    `results` for a history that breaks one), the execution that shows it (`run`,
    its `schedule`) and, once the API has shrunk it, the command that replays it."""

    kind: Kind
    explanation: str
    run: Run
    results: list = field(default_factory=list)   # criteria Results, for history violations
    detail: dict = field(default_factory=dict)
    suspected: bool = False
    schedule: list = field(default_factory=list)
    shrunk_from: tuple | None = None                # (steps, preemptions) before shrinking
    config: dict | None = None                      # {"threads", "txns"} when shrunk to a smaller configuration
    replay: str = ""                                # the `stmcheck replay` command

    @property
    def history(self) -> dict:
        """The execution's transaction history, as a `stmcheck.history/1` document."""
        return self.run.history_doc()

    @property
    def lasso(self) -> tuple | None:
        """(start, end) of the loop of a proven livelock or starvation, else None."""
        if self.suspected or "start" not in self.detail or "end" not in self.detail:
            return None
        return self.detail["start"], self.detail["end"]

    def schedule_text(self) -> str:
        """The schedule as `replay` reads it: `PREFIX (LOOP)*` for a lasso."""
        if self.lasso is not None:
            return encode_lasso(self.run.schedule, *self.lasso)
        return encode(self.schedule)

    def replay_command(self, config) -> str:
        if self.lasso is not None:
            return config.replay_command(self.run.schedule, self.lasso)
        return config.replay_command(self.schedule)


@dataclass
class Outcome:
    executions: int = 0
    steps: int = 0
    histories: int = 0
    exhausted: bool = False
    bounds: list = field(default_factory=list)
    elapsed: float = 0.0
    violations: list = field(default_factory=list)
    cut: int = 0
    signatures: set = field(default_factory=set)
    states: int | None = None          # a state-graph search: distinct states and transitions
    transitions: int | None = None
    store_bytes: int | None = None     # what the graph's store holds, in bytes (`GraphStore.nbytes`)
    horizon: dict | None = None        # cyclic programs, relative stamps: `horizon.verdicts`' answer
    #: a graph search that met every place (where the fold of history views over them was bounded,
    #: what needs no view is decided all the same: deadlock, livelock, crashes): the graph's nodes;
    #: else None (`GraphSearch.places_exhausted` says why that decides)
    places_exhausted: int | None = None
    went_on: bool = False              # the search went on from a saved one (`Explorer.saving`)
    earlier: float = 0.0               # and `elapsed` counts these seconds of the processes before
    saves: int = 0                     # times this process saved it

    def add_runs(self, other: "Outcome") -> None:
        """Count `other`'s runs in (executions, steps, cut, distinct histories): runs made in
        other processes (a cluster's partitions, cluster_graph.py)."""
        self.executions += other.executions
        self.steps += other.steps
        self.cut += other.cut
        self.signatures |= other.signatures
        self.histories = len(self.signatures)


def signature(run: Run):
    """What the criteria see of a run's history, independent of event order."""
    per_thread: dict = {}
    spans = {}
    cur: dict = {}
    owner: dict = {}
    for i, e in enumerate(run.events):
        op, tid = e["op"], e["txn"]
        if op == "begin":
            cur[tid] = []
            spans[tid] = [i, None]
            owner[tid] = e["thread"]
        elif op == "read" or op == "write":
            cur[tid].append((op[0], e["key"], canonical_value(e["value"])))  # true is not 1
        else:
            spans[tid][1] = i
            per_thread.setdefault(e["thread"], []).append((tid, tuple(cur.pop(tid)), op))
    for tid, ops in cur.items():
        per_thread.setdefault(owner[tid], []).append((tid, tuple(ops), "live"))
    ends = sorted((s[1], t) for t, s in spans.items() if s[1] is not None)
    prec = frozenset((a, b) for end, a in ends for b, s in spans.items() if s[0] > end)
    return tuple(sorted((t, tuple(v)) for t, v in per_thread.items())), prec


class Explorer:
    def __init__(self, design_cls, workload, strategy, criterion: str = OPACITY, max_executions: int | None = None,
                 time_limit: float | None = None, max_steps: int = 2000, progress=None, keep_signatures=False,
                 stop_at_first: bool = True, exact_histories: bool = False, saving=None):
        self.design_cls, self.workload, self.strategy = design_cls, workload, strategy
        self.criterion = criterion
        self.max_executions, self.time_limit, self.max_steps = max_executions, time_limit, max_steps
        self.progress = progress
        self.keep_signatures = keep_signatures
        self.stop_at_first = stop_at_first
        #: A ^C ends the search as a bound (`INTERRUPTED`) and the outcome so far is returned, not
        #: the KeyboardInterrupt (set by `api.explore`, whose caller then prints what was explored).
        self.stop_on_interrupt = False
        #: A graph search's `saving.SaveFile`: the search goes on from it, if it holds one, and
        #: saves itself there between runs (every `every` seconds and when the runs stop).
        self.saving = saving
        # True: every distinct history is judged for every criterion (the matrix reads all three off
        # each violation), so a stateful strategy must not merge histories the chosen one cannot tell apart
        self.exact_histories = exact_histories
        self.verdicts: dict = {}
        #: Explain each violation in terms of its own run (its event numbers); a caller that only
        #: counts violations (the matrix) turns this off to reuse cached verdicts as they are.
        self.explain = True
        self.positions = Positions()     # one table for every run: their states are compared
        self.linearizable: set = set()   # (signature, final state) of object executions judged linearizable
        self.undecided = 0               # object executions whose linearizability check timed out
        self._gil = None                 # the GIL criterion's reference outcomes, once computed
        if getattr(strategy, "finds_cycles", False):
            strategy.judge_histories_by(self.finite_history_view())
            strategy.stop_early = stop_at_first
            strategy.forget_broken = self.kinds_only
            if self.cyclic:      # programs that never end: their threads may starve (graph.py)
                strategy.starvers = tuple(t for t in range(1, workload.threads + 1) if workload.program(t))
        elif hasattr(strategy, "judge_histories_by"):
            view = self.history_view()
            if view is not None:
                strategy.judge_histories_by(view)

    #: Run every thread's program over and over (see `CyclicExplorer`).
    cyclic = False
    #: Record which criteria break, not every way a run can end with each verdict (the matrix):
    #: then the state-graph search forgets the history views of criteria a run broke already
    #: (strategies/views_after.py, `Forgetting`).
    kinds_only = False

    def history_view(self):
        """What a stateful strategy must keep of the history so far to give every continuation the
        verdict it would get here: None (all of it) or, when the only judges that read the history
        are opacity or strict serializability and the invariant, a `WitnessKey` (strategies/witnesskey.py)."""
        if self.exact_histories or self.cyclic or self.criterion not in (OPACITY, STRICT) \
                or is_object_workload(self.workload):
            return None
        return WitnessKey(self.workload.keys, committed_only=self.criterion == STRICT)

    def finite_history_view(self):
        """The history view of a state-graph search (`strategies/graph.py`): like `history_view`,
        but never the whole history (which grows with every retry, so no state would recur):
        where every criterion is judged, the views of all three at once."""
        if is_object_workload(self.workload):
            return None                  # operations span attempts: the whole history
        if self.cyclic or self.criterion == Criterion.GIL:
            return no_history            # runs never end, or only their end states are judged (gil.py)
        if self.criterion == OPACITY and not self.exact_histories:
            return WitnessKey(self.workload.keys, committed_only=False)
        if self.criterion == STRICT and not self.exact_histories:
            return WitnessKey(self.workload.keys, committed_only=True)
        if self.criterion not in (OPACITY, STRICT) and not self.exact_histories:
            return CommittedView(self.workload.keys)
        return AllCriteriaView(self.workload.keys)

    def new_run(self, detect_lassos: bool | None = None, resume=None) -> Run:
        if detect_lassos is None:
            detect_lassos = not getattr(self.strategy, "finds_cycles", False)
        return Run(self.design_cls, self.workload, self.max_steps, detect_lassos=detect_lassos, cyclic=self.cyclic,
                   positions=self.positions, resume=resume, names_threads=getattr(self.strategy, "symmetry", False))

    def explore(self) -> Outcome:
        out = Outcome()
        start = time.monotonic()
        saving = self.saving
        if saving is not None:
            out.went_on = saving.load(self, out)
        before = out.earlier = out.elapsed      # seconds of the processes it went on from (`saving`)
        next_save = time.monotonic() + saving.every if saving is not None else None
        strategy = self.strategy
        resume = getattr(strategy, "resume_from", None)   # a state to start the next run in (graph.py)
        bounds = set()
        interrupted = False
        try:
            while True:
                if self.max_executions is not None and out.executions >= self.max_executions:
                    bounds.add(f"max-executions {self.max_executions}")
                    break
                if self.time_limit is not None and time.monotonic() - start >= self.time_limit:
                    bounds.add(f"time-limit {self.time_limit:g} s")
                    break
                if not strategy.start():
                    break
                run = self.new_run(resume=resume() if resume is not None else None)
                try:
                    run.execute(strategy)
                except NondeterminismError as exc:
                    run.outcome = CRASH
                    run.detail = {"thread": None, "error": str(exc), "traceback": ""}
                strategy.finish(run)
                out.executions += 1
                out.steps += len(run.steps)
                if run.outcome == CUT:
                    out.cut += 1
                v = self.judge(run, out)
                if run.outcome == MAX_STEPS and v is None:
                    bounds.add(f"max-steps {self.max_steps}")
                if v is not None:
                    out.violations.append(v)
                    if self.stop_at_first:
                        break
                if self.progress is not None:
                    out.states = getattr(strategy, "states", None)
                    self.progress(out)
                if next_save is not None and time.monotonic() >= next_save and not out.violations:
                    out.elapsed = before + time.monotonic() - start
                    saving.save(self, out)
                    next_save = time.monotonic() + saving.every
        except KeyboardInterrupt:
            if not self.stop_on_interrupt:
                raise
            interrupted = True      # the user's ^C (a design's own is a crash, inside the run)
            bounds.add(INTERRUPTED)
        if saving is not None and not interrupted and not out.violations:   # the runs stopped between two
            out.elapsed = before + time.monotonic() - start
            saving.save(self, out)
        elsewhere = getattr(strategy, "ran_elsewhere", None)   # runs made in other processes (a cluster)
        if elsewhere is not None:
            out.add_runs(elsewhere)
        conclude = getattr(strategy, "conclude", None)
        runs_bounded = bool(bounds)     # (a bound met by the runs: not every place was met)
        concluded = False
        if conclude is not None and not interrupted and not (out.violations and self.stop_at_first):
            if self.time_limit is not None:      # what the graph search still computes keeps to it
                strategy.deadline = start + self.time_limit
            if self.progress is not None:        # and shows its progress as the runs did

                def tick():
                    out.states = getattr(strategy, "states", None)
                    self.progress(out)
                strategy.tick = tick
            try:
                for run in conclude(self.new_run):   # what only the whole search shows (a graph's cycles)
                    v = self.judge(run, out)
                    if v is not None:
                        out.violations.append(v)
                        if self.stop_at_first:
                            break
                else:
                    concluded = True
            except KeyboardInterrupt:    # a ^C while the views are folded: as one during the runs
                if not self.stop_on_interrupt:
                    raise
                bounds.add(INTERRUPTED)
        out.states = getattr(strategy, "states", None)
        out.transitions = getattr(strategy, "transitions", None)
        store_bytes = getattr(strategy, "store_bytes", None)
        out.store_bytes = store_bytes() if store_bytes is not None else None
        out.exhausted = strategy.exhausted and not bounds and not strategy.bounds and not (
            out.violations and self.stop_at_first)
        places = getattr(strategy, "places_exhausted", None)     # None: not a graph search
        if places is not None and (out.exhausted or (places and concluded and not runs_bounded)):
            out.places_exhausted = strategy.nodes
        if self.undecided:
            bounds.add(f"linearizability undecided (timeout) on {self.undecided} execution(s)")
        out.bounds = sorted(bounds | set(strategy.bounds))
        out.elapsed = before + time.monotonic() - start
        if saving is not None:
            out.saves = saving.saves
        return out

    # -- judging one execution --------------------------------------------------------------------
    def judge(self, run: Run, out: Outcome | None = None):
        o = run.outcome
        if o == CRASH:
            if run.detail.get("kind") == Kind.INEVITABILITY:      # I/O taken back (runtime.py, `emit`)
                return Violation(Kind.INEVITABILITY, run.detail["error"], run, detail=dict(run.detail))
            return Violation(Kind.CRASH, _crash_text(run), run, detail=dict(run.detail))
        if o == DEADLOCK:
            return Violation(Kind.DEADLOCK, _deadlock_text(run), run, detail=dict(run.detail))
        if o == LIVELOCK:
            d = run.detail
            return Violation(Kind.LIVELOCK, f"the run returned to the state it was in at step {d['start']} at step "
                             f"{d['end']} with no commit in between; the loop (threads "
                             f"{', '.join(map(encode, ([t] for t in d['threads'])))}) can repeat forever, and it "
                             f"is fair: every enabled thread steps in it.", run, detail=dict(d))
        if o == STARVATION:
            d = run.detail
            who = ", ".join(map(str, d["starving"]))
            how = "blocked throughout" if d["blocked"] == d["starving"] else "retrying"
            return Violation(Kind.STARVATION, f"starvation of thread {who}: the run returned to the state it was in "
                             f"at step {d['start']} at step {d['end']}; in between thread(s) "
                             f"{', '.join(map(str, d['committed']))} committed and thread {who} did not ({how}). "
                             f"The loop is fair (every enabled thread steps in it) and can repeat forever "
                             f"(programs run cyclically).", run, detail=dict(d))
        if o == MAX_STEPS and run.detail.get("since_commit", 0) >= run.max_steps // 2:
            return Violation(Kind.LIVELOCK, f"SUSPECTED livelock, not proven: {run.detail['since_commit']} steps "
                             f"without a commit and no repeated state within --max-steps {run.max_steps}.",
                             run, detail=dict(run.detail), suspected=True)
        if o != COMPLETE:
            # A prefix (sleep-set blocked, cut at an unfair loop, or past --max-steps) is not judged:
            # a transaction in the middle of its commit may already have published its writes, and
            # a history can only say "committed" once the commit has returned. Its fair
            # continuations are complete runs, explored (or sampled) on their own.
            return None
        try:  # a native run brings its own, computed in the child (native/loop.py, same_verdict)
            sig = getattr(run, "known_signature", None) or signature(run)
            run.known_signature = sig     # whoever reads it again (campaign.py's records) reads this
        except (KeyError, ValueError, TypeError) as exc:  # pragma: no cover - malformed events
            return Violation(Kind.CRASH, f"the design produced an ill-formed history: {exc}", run)
        if out is not None:
            if sig not in out.signatures:
                out.histories += 1
                out.signatures.add(sig)
        if self.criterion == Criterion.GIL:
            return self._judge_outcome(run)
        v = self.verdicts.get(sig, False)
        if v is False:
            v = self._check_history(run)
            self.verdicts[sig] = v
        elif v is not None and self.explain:
            # The cached verdict is another run's: the same history up to the order of independent
            # events, so its explanation cites that run's event numbers. Judge this one again.
            v = self._check_history(run)
        if is_object_workload(self.workload) and not (v is not None and v[0] == Kind.CRASH):
            obj = self._judge_operations(run, sig, v)
            if obj is not None:
                return obj
        if v is not None:
            kind, text, results = v
            return Violation(kind, text, run, results=results)
        if run.final is not None:
            if "__blocked__" in run.final:
                return Violation(Kind.INVARIANT, run.final["__blocked__"], run)
            try:
                problem = self.workload.invariant(run.final, run.commits)
            except Exception as exc:  # values no correct design could leave (None where a number was)
                problem = f"the final state cannot even be evaluated ({type(exc).__name__}: {exc}): {run.final}"
            if problem is not None:
                return Violation(Kind.INVARIANT, f"end-state invariant of {self.workload.name} broken: {problem}", run)
        return None

    def _judge_outcome(self, run: Run):
        """The GIL criterion (gil.py): the run's output and final memory against the reference's
        outcomes (computed on first use, for this explorer's program); the history is not judged."""
        if "__blocked__" in run.final:
            return Violation(Kind.INVARIANT, run.final["__blocked__"], run)
        if self._gil is None:
            self._gil = gil.reference_outcomes(gil.REFERENCE, self.workload)
        found = gil.judge(gil.outcome(run), self._gil)
        if found is None:
            return None
        text, detail = found
        return Violation(Kind.GIL, text, run, detail=detail)

    def _judge_operations(self, run: Run, sig, v):
        """Object workloads: linearizability of the operation history, with the criteria (see objects.py).

        A non-linearizable operation history outranks a criterion's violation (it is what a program
        sees); either way the violation carries both views: the criteria results and the operations.
        """
        key = (sig, tuple(sorted((run.final or {}).items())))
        if key in self.linearizable and v is None:
            return None
        try:
            ov = check_operations(self.workload, run)
        except ObjectError as exc:
            return Violation(Kind.CRASH, f"the operation history cannot be built: {exc}", run)
        if ov.result.holds is False:
            results = v[2] if v is not None else check(run.history(), list(ALL_CRITERIA))
            return Violation(Kind.LINEARIZABILITY, ov.result.explanation, run, results=results,
                             detail={"operations": ov})
        if ov.result.holds is None:
            self.undecided += 1
        else:
            self.linearizable.add(key)
        if v is not None:
            kind, text, results = v
            return Violation(kind, text, run, results=results, detail={"operations": ov})
        return None

    def _check_history(self, run: Run):
        try:
            history = run.history()
        except HistoryError as exc:
            return Kind.CRASH, f"the design produced an ill-formed history: {exc}", []
        first = check(history, [self.criterion])[0]
        if first.holds is not False:
            return None
        results = check(history, list(ALL_CRITERIA))
        if self.criterion not in ALL_CRITERIA:
            results.append(first)
        broken = [r for r in results if r.holds is False]
        kind = broken[0].criterion if broken else self.criterion
        r = next(r for r in results if r.criterion == kind)
        return Kind(kind), r.explanation or "", results


def _crash_text(run: Run) -> str:
    d = run.detail
    who = f"thread {d['thread']}" if d.get("thread") else "the run"
    return f"{who} raised {d['error']}"


def _deadlock_text(run: Run) -> str:
    d = run.detail
    parts = []
    for w in d.get("waits", []):
        holds = ", ".join(w["holds"]) or "nothing"
        by = f"held by thread {w['held_by']}" if w["held_by"] else "(a condition)"
        parts.append(f"thread {w['thread']} holds {holds} and waits for {w['waits_for']}, {by}")
    cycle = d.get("cycle")
    head = ("no thread can move: " if not cycle else
            "wait-for cycle " + " -> ".join(f"thread {t}" for t in cycle + cycle[:1]) + ": ")
    return head + "; ".join(parts) + "."


class CyclicExplorer(Explorer):
    """The explorer over *cyclic* runs: each thread runs its program forever, so a
    run ends only at a loop (livelock, starvation or progress), a deadlock, an
    unfair loop or `max_steps`. This is how starvation is looked for (see
    `liveness.classify`); nothing is judged for safety (no run completes).
    A subclass, not a flag, so that shrinking (which rebuilds `type(explorer)`)
    stays cyclic."""

    cyclic = True

