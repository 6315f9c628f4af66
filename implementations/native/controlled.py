"""Controlled mode from Python: step-by-step executions and native exploration.

Two ways in, for two kinds of strategy:

- `NativeExecution`: one execution stepped from Python, one instrumented
  access per `step(t)`, with each thread's pending access (object id,
  read/write, waiting, finished) visible before it runs: what a
  Python-driven strategy such as DPOR needs (dependency = same object, one
  writes). It runs in this process, so a crashing design crashes it: the
  Python runtime should drive it inside `run_isolated`.
- `explore()`: whole executions scheduled in C (random, PCT, replay) in a
  child process, each history handed back as it is produced; a crash of the
  child is an `Execution` with outcome "crash" and the schedule prefix.

Schedules are lists of thread indices, one per step; `format_schedule` writes
them run-length encoded ("0x3,1,2x2" = 0,0,0,1,2,2).
"""

from __future__ import annotations

import mmap
import struct
import time
from dataclasses import dataclass, field

from .events import controlled_history
from .isolate import NativeCrash, run_isolated
from .loader import ffi, load
from .build import NativeUnavailable

OUTCOMES = {0: "done", 1: "deadlock", 2: "step-bound", -1: "diverged"}
STRATEGIES = {"random": 0, "pct": 1, "replay": 2}
EVENT_BYTES = 48


@dataclass
class Access:
    """A thread's next step: the object it touches and how, or that it is finished."""

    obj: int
    kind: str      # "read" or "write" (a read-modify-write counts as a write)
    waits: bool    # an STM_AWAIT: enabled only once its condition holds
    enabled: bool
    finished: bool
    committing: bool  # inside commit(): cutting the run here leaves a commit-pending transaction


@dataclass
class Execution:
    index: int
    outcome: str                 # done, deadlock, step-bound, crash, diverged
    schedule: list = field(default_factory=list)
    steps: int = 0
    events: bytes = b""
    initial: list = field(default_factory=list)
    final: list = field(default_factory=list)
    seed: int = 0
    crash: str | None = None

    def history(self):
        return controlled_history(self.events, self.initial)

    @property
    def schedule_string(self) -> str:
        return format_schedule(self.schedule)


def format_schedule(schedule) -> str:
    out, i = [], 0
    while i < len(schedule):
        j = i
        while j < len(schedule) and schedule[j] == schedule[i]:
            j += 1
        out.append(str(schedule[i]) if j - i == 1 else f"{schedule[i]}x{j - i}")
        i = j
    return ",".join(out)


def parse_schedule(text: str) -> list:
    out = []
    for part in filter(None, text.split(",")):
        thread, _, count = part.partition("x")
        out.extend([int(thread)] * int(count or 1))
    return out


class NativeExecution:
    """One controlled execution of a native design, stepped by the caller."""

    def __init__(self, design="native-tl2", threads=3, accounts=3, txns=2, audit_pct=10, workload_seed=0):
        self.lib, name = load("controlled", design)
        self.threads, self.accounts = threads, accounts
        self._ex = self.lib.stm_exec_new(name.encode(), threads, accounts, txns, audit_pct, workload_seed)
        if self._ex == ffi().NULL:
            raise NativeUnavailable(f"cannot create an execution of {design} with {threads} threads")
        self._acc = ffi().new("stm_access *")
        self.reset()

    def reset(self) -> None:
        self.lib.stm_exec_reset(self._ex)

    def access(self, t: int) -> Access:
        self.lib.stm_exec_access(self._ex, t, self._acc)
        a = self._acc
        return Access(a.obj, "read" if a.kind == 1 else "write", bool(a.waits), bool(a.enabled),
                      bool(a.finished), bool(a.committing))

    def enabled(self) -> list:
        return [t for t in range(self.threads) if self.access(t).enabled]

    def step(self, t: int) -> Access:
        """Run t's pending access and on to its next one; returns that next access."""
        if self.lib.stm_exec_step(self._ex, t) != 0:
            raise ValueError(f"thread {t} is not enabled")
        return self.access(t)

    @property
    def steps(self) -> int:
        return self.lib.stm_exec_steps(self._ex)

    def events(self) -> bytes:
        n = ffi().new("int64_t *")
        ptr = self.lib.stm_exec_events(self._ex, n)
        return bytes(ffi().buffer(ptr, n[0] * EVENT_BYTES)) if n[0] else b""

    def initial(self) -> list:
        out = ffi().new("int64_t[]", self.accounts)
        self.lib.stm_exec_initial(self._ex, out)
        return list(out)

    def final(self) -> list:
        out = ffi().new("int64_t[]", self.accounts)
        self.lib.stm_exec_final(self._ex, out)
        return list(out)

    def history(self):
        return controlled_history(self.events(), self.initial())

    def close(self) -> None:
        if self._ex is not None:
            self.lib.stm_exec_free(self._ex)
            self._ex = None

    def __del__(self):
        self.close()


def default_max_steps(threads: int, txns: int) -> int:
    """A step bound generous for a fair run, small enough that a livelock costs little."""
    return max(2000, 200 * threads * txns)


def _worker(design, strategy, executions, threads, accounts, txns, seed, pct_depth, max_steps,
            audit_pct, shared, replay, want_histories):
    ex = NativeExecution(design, threads, accounts, txns, audit_pct, workload_seed=seed)
    lib, f = ex.lib, ffi()
    length = f.cast("int64_t *", f.from_buffer(shared))
    sched = f.cast("uint8_t *", f.from_buffer(shared)) + 8
    code = STRATEGIES[strategy]
    k = 20 * threads * txns  # PCT's expected length, then the longest run seen
    if replay is not None:
        sched[0:len(replay)] = list(replay)
    initial = ex.initial()
    started = time.perf_counter()
    total = 0
    for i in range(executions):
        if replay is not None:
            length[0] = len(replay)
        rc = lib.stm_exec_run(ex._ex, code, seed * 1_000_003 + i, pct_depth, k, max_steps, sched, length)
        steps = lib.stm_exec_steps(ex._ex)
        total += steps
        if rc == 0:
            k = max(k, steps)
        if want_histories:
            yield Execution(i, OUTCOMES.get(rc, str(rc)), bytes(f.buffer(sched, length[0])), steps,
                            ex.events(), initial, ex.final(), seed * 1_000_003 + i)
    if not want_histories:
        yield (total, time.perf_counter() - started)
    ex.close()


def explore(design="native-tl2", strategy="random", executions=100, threads=3, accounts=3, txns=2,
            seed=0, pct_depth=3, max_steps=None, audit_pct=10, replay=None):
    """Yield one `Execution` per execution run natively in a child process.

    Each execution's schedule seed is `seed * 1000003 + index`; the workload
    (every thread's transfers) is drawn from `seed` and is the same in all.
    A crash ends the run with an Execution whose outcome is "crash".
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown native strategy {strategy!r}")
    load("controlled", design)  # build errors surface here, not in the child
    max_steps = max_steps or default_max_steps(threads, txns)
    shared = mmap.mmap(-1, 8 + 2 * max_steps + 64)
    last = -1
    try:
        for item in run_isolated(_worker, design, strategy, executions, threads, accounts, txns, seed,
                                 pct_depth, max_steps, audit_pct, shared, replay, True):
            item.schedule = list(item.schedule)
            last = item.index
            yield item
    except NativeCrash as exc:
        n = struct.unpack_from("q", shared, 0)[0]
        schedule = list(shared[8:8 + n])
        yield Execution(last + 1, "crash", schedule, n, seed=seed * 1_000_003 + last + 1, crash=str(exc))


def loop_rate(design="native-tl2", strategy="random", executions=20000, threads=3, accounts=3, txns=2,
              seed=0, pct_depth=3, max_steps=None, audit_pct=10) -> tuple[int, float]:
    """(steps, seconds) of the native scheduling loop alone (histories recorded, not checked)."""
    max_steps = max_steps or default_max_steps(threads, txns)
    shared = mmap.mmap(-1, 8 + 2 * max_steps + 64)
    for item in run_isolated(_worker, design, strategy, executions, threads, accounts, txns, seed,
                             pct_depth, max_steps, audit_pct, shared, None, False):
        return item
    raise RuntimeError("the native worker returned nothing")
