"""`stmcheck explore NATIVE --strategy random|pct`: the scheduling loop in C.

Why: stepping a C design from Python costs a round trip per step; the
native loop (implementations/native/program.c) draws the schedule, runs the
design and records the history natively, at millions of steps per second.
It runs the same workload (compiled to straight-line programs) with the
Python runtime's scheduling points and rules, so each of its executions is
one the Python runtime would run on the same schedule.

Judging is the explorer's own (`Explorer.judge`: criterion, invariant,
deadlock, livelock), on the execution's history. The child process running
the loop sends only executions whose history signature and final state are
new (the verdict of the others is known). An execution that violates
something is replayed through the adapter in the Python runtime, step for
step, and reported from that replay: the counterexample, its shrinking and
its replay command are exactly those of a Python-driven run. A design or
workload the loop cannot run (not a native design, an object workload, a
transaction that branches on what it read) is explored from Python, as
before; so is every DPOR run. `STMCHECK_NATIVE_LOOP=0` forces Python.

Schedules: C numbers threads from 0 ("0x3,1" = 0,0,0,1), the explorer from
1 ("1*3,2"); `to_explorer` and `from_explorer` are the one conversion.
"""

from __future__ import annotations

import os
import time

from stmcheck.implementations.native.build import NativeUnavailable
from stmcheck.implementations.native.controlled import parse_schedule
from stmcheck.implementations.native.design import NativeDesign
from stmcheck.implementations.native.events import rows
from stmcheck.implementations.native.loader import load
from stmcheck.implementations.native.program import NotStraightLine, compile_workload, run_program
from stmcheck.models.history import HistoryBuilder
from stmcheck.models.terms import Kind

from ..explore.engine import Explorer, Outcome, Violation
from ..explore.objects import is_object_workload
from ..explore.runtime import COMPLETE
from ..explore.strategies.replay import Replay, ScheduleError, decode

NOTE = "; scheduling loop run natively in C"
OPS = ("begin", "read", "write", "commit", "abort")


def to_explorer(schedule) -> list:
    """A native schedule (0-based: bytes, a list, or "0x3,1") as the explorer's list (1-based)."""
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule)
    return [t + 1 for t in schedule]


def from_explorer(schedule) -> list:
    """The explorer's schedule (1-based: a list, or "1*3,2") as a native one (0-based list)."""
    if isinstance(schedule, str):
        schedule = decode(schedule)
    return [t - 1 for t in schedule]


def events_of(raw: bytes, names: list) -> list:
    """A native event buffer of program mode as the runtime's event dicts."""
    flat, out = rows(raw), []
    for i in range(0, len(flat), 6):
        _, key, value, thread, attempt, op = flat[i:i + 6]
        e = {"thread": thread, "txn": f"T{thread}.{attempt}", "op": OPS[op]}
        if op == 1 or op == 2:
            e["key"] = names[key]
            e["value"] = value
        out.append(e)
    return out


class NativeRun:
    """What `Explorer.judge` reads of a complete native execution."""

    outcome = COMPLETE
    detail: dict = {}
    output = ()     # native programs have no steps outside transactions: no output log (gil.py)

    def __init__(self, workload, names, events: bytes, final: list, known_signature=None):
        self.workload = workload
        self.events = events_of(events, names)
        self.final = dict(zip(names, final))
        self.commits = sum(1 for e in self.events if e["op"] == "commit")
        # what Explorer.judge caches verdicts by; the child's key is equivalent to signature(run)
        self.known_signature = known_signature

    def history(self):
        b = HistoryBuilder(initial=self.workload.keys)
        for e in self.events:
            b.add(e)
        return b.finish()


class NativePlan:
    """A native design and workload the C loop can run, with the strategy's settings."""

    def __init__(self, design: str, program, strategy: str, seed: int, depth: int):
        self.design, self.program = design, program
        self.strategy, self.seed, self.depth = strategy, seed, depth
        self.note = NOTE

    def explore(self, explorer) -> Outcome:
        return explore_natively(explorer, self)


def native_plan(explorer, strategy: str, seed: int = 0, depth: int = 3):
    """A `NativePlan` when the C loop can run this exploration, else None (Python steps it).

    ValueError (one line, for the CLI) when the native core cannot be built here.
    """
    design_cls, workload = explorer.design_cls, explorer.workload
    if strategy not in ("random", "pct") or os.environ.get("STMCHECK_NATIVE_LOOP", "1") in ("0", "no", "false"):
        return None
    if type(explorer) is not Explorer or is_object_workload(workload):  # cyclic runs judge differently
        return None
    if not (isinstance(design_cls, type) and issubclass(design_cls, NativeDesign)):
        return None
    try:
        program = compile_workload(workload)
    except NotStraightLine:
        return None
    try:
        load("controlled", design_cls.native)
    except NativeUnavailable as exc:
        raise ValueError(str(exc)) from None
    return NativePlan(design_cls.native, program, strategy, seed, depth)


def explore_natively(explorer, plan: NativePlan) -> Outcome:
    """The explorer's loop (budgets, judging, progress) over natively run executions."""
    out, bounds = Outcome(), set()
    start = time.monotonic()
    names = plan.program.names
    batches = run_program(plan.design, plan.program, plan.strategy, explorer.max_executions or 10 ** 12,
                          plan.seed, plan.depth, explorer.max_steps, key=same_verdict)
    try:
        for batch in batches:
            out.executions += batch.repeats
            out.steps += batch.repeat_steps
            ex = batch.execution
            if ex is not None:
                out.executions += 1
                out.steps += ex.steps
                v = _judge(explorer, ex, out, names, bounds)
                if v is not None:
                    out.violations.append(v)
                    break
            if explorer.progress is not None:
                explorer.progress(out)
            if explorer.time_limit is not None and time.monotonic() - start >= explorer.time_limit:
                if not (explorer.max_executions is not None and out.executions >= explorer.max_executions):
                    bounds.add(f"time-limit {explorer.time_limit:g} s")
                    break
        else:
            if explorer.max_executions is not None and out.executions >= explorer.max_executions:
                bounds.add(f"max-executions {explorer.max_executions}")
    finally:
        batches.close()  # stops the child when we stop early
    out.bounds = sorted(bounds)
    out.elapsed = time.monotonic() - start
    return out


def same_verdict(events: bytes, final: list):
    """The child's key for "same verdict": the history's signature, and the final state.

    Run in the child for every execution, on the raw buffer: the same
    information as `explore.engine.signature` (each thread's attempts with
    their reads, writes and outcome; which attempt ended before which began),
    with (thread, attempt) and key indices in place of the names, so two keys
    are equal exactly when the signatures are (tests/native/test_native_explore.py).
    The parent then judges each distinct (signature, final state) once.
    """
    flat = memoryview(events).cast("q").tolist()
    per_thread: dict = {}
    current: dict = {}
    ended: list = []
    ends_before: dict = {}
    for i in range(0, len(flat), 6):
        key, value, thread, attempt, op = flat[i + 1:i + 6]
        if op == 0:
            current[thread] = (attempt, [])
            ends_before[(thread, attempt)] = len(ended)
        elif op <= 2:
            current[thread][1].append((op, key, value))
        else:
            at, ops = current.pop(thread)
            per_thread.setdefault(thread, []).append((at, tuple(ops), op))
            ended.append((thread, at))
    for thread, (at, ops) in current.items():
        per_thread.setdefault(thread, []).append((at, tuple(ops), 0))  # live
    prec = frozenset((ended[j], b) for b, k in ends_before.items() for j in range(k))
    return tuple(sorted((t, tuple(v)) for t, v in per_thread.items())), prec, tuple(final)


def _judge(explorer, ex, out, names, bounds):
    if ex.outcome == "complete":
        sig = ("native",) + same_verdict(ex.events, ex.final)[:2]  # never equal to a Python run's signature
        if explorer.judge(NativeRun(explorer.workload, names, ex.events, ex.final, sig), out) is None:
            return None
    elif ex.outcome == "max-steps" and ex.steps - ex.last_commit < explorer.max_steps // 2:
        bounds.add(f"max-steps {explorer.max_steps}")
        return None
    return replay_in_python(explorer, ex)


def replay_in_python(explorer, ex):
    """The violation of native execution `ex`, from its replay through the adapter in the Python runtime."""
    schedule = to_explorer(ex.schedule)
    run = explorer.new_run()
    try:
        run.execute(Replay(schedule, strict=True))
    except ScheduleError as exc:
        return _disagree(run, ex, f"its schedule does not fit the Python runtime ({exc})")
    v = explorer.judge(run)
    if v is None:
        return _disagree(run, ex, f"the Python runtime finds nothing wrong with it (outcome {run.outcome})")
    v.schedule = schedule
    return v


def _disagree(run, ex, why):
    text = (f"the native scheduling loop and the Python runtime disagree on execution {ex.index} "
            f"(native outcome {ex.outcome}{': ' + ex.crash if ex.crash else ''}): {why}. This is a bug in "
            f"stmcheck's native loop; STMCHECK_NATIVE_LOOP=0 explores from Python instead.")
    if run.outcome is None:
        run.outcome = "crash"
    run.detail = {"thread": None, "error": text, "traceback": ""}
    return Violation(Kind.CRASH, text, run, detail=dict(run.detail))
