"""The explorer's workloads run by the native scheduling loop (program.c).

`compile_workload` turns a workload (models/workloads.py: per thread, a list
of transaction bodies using `tx.read` and `tx.write`) into straight-line
programs, by running each body once on symbolic values: a read gives a
register, a write may store a register plus a constant or a constant. A body
that branches on what it read, or computes anything else, is refused
(`NotStraightLine`): the Python runtime then steps it from Python as before.

`run_program` runs executions of a compiled program in a child process (a
crash is reported, not suffered) and yields `Batch`es: each new execution
(its outcome, schedule, events and final state) and the count of executions
that repeated one already sent (same outcome, events and final state, hence
the same verdict), so that the parent judges each distinct execution once.

Schedules here are C's: 0-based thread indices, one per step.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
import time
from dataclasses import dataclass, field

from .build import NativeUnavailable
from .isolate import NativeCrash, run_isolated
from .loader import ffi, load

P_READ, P_WRITE, P_END = 0, 1, 2
MAX_REGS = 16
STRATEGIES = {"random": 0, "pct": 1, "replay": 2}
OUTCOMES = {0: "complete", 1: "deadlock", 2: "max-steps", 3: "livelock", -1: "diverged"}
FLUSH_EVERY = 512  # repeated executions counted before the child reports anyway (progress, time limit)


class NotStraightLine(ValueError):
    """A workload the native loop cannot run; the text says why."""


@dataclass
class Program:
    names: list          # key names, in the adapter's order (sorted by str): key index -> name
    initial: list        # initial values, same order
    ops: list            # flat quads (kind, key, register, constant)
    starts: list         # thread i's quads are [starts[i], starts[i+1])
    retries: int         # -1: retry forever
    threads: int


class _Sym:
    """A value read by a transaction: register `reg` plus `delta`."""

    __slots__ = ("reg", "delta")

    def __init__(self, reg, delta=0):
        self.reg, self.delta = reg, delta

    def __add__(self, n):
        if type(n) is not int:
            raise NotStraightLine(f"a transaction adds {type(n).__name__} to a value it read")
        return _Sym(self.reg, self.delta + n)

    __radd__ = __add__

    def __sub__(self, n):
        if type(n) is not int:
            raise NotStraightLine(f"a transaction subtracts {type(n).__name__} from a value it read")
        return _Sym(self.reg, self.delta - n)

    def _refuse(self, *_):
        raise NotStraightLine("a transaction computes with or branches on a value it read")

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _refuse
    __index__ = __int__ = __neg__ = __mul__ = __rmul__ = __rsub__ = __format__ = _refuse


class _Tracer:
    """The `tx` a body sees while being compiled."""

    def __init__(self, index):
        self.index, self.ops = index, []

    def _key(self, key):
        if key not in self.index:
            raise NotStraightLine(f"a transaction touches {key!r}, which is not one of the workload's keys")
        return self.index[key]

    def read(self, key):
        reg = sum(1 for op in self.ops if op[0] == P_READ)
        if reg >= MAX_REGS:
            raise NotStraightLine(f"a transaction reads more than {MAX_REGS} values")
        self.ops.append((P_READ, self._key(key), reg, 0))
        return _Sym(reg)
        yield  # a generator, as the runtime's reads are

    def write(self, key, value):
        if isinstance(value, _Sym):
            self.ops.append((P_WRITE, self._key(key), value.reg, value.delta))
        elif type(value) is int and -2 ** 63 <= value < 2 ** 63:
            self.ops.append((P_WRITE, self._key(key), -1, value))
        else:
            raise NotStraightLine(f"a transaction writes {value!r}, not a word-sized integer")
        return
        yield


def compile_workload(workload) -> Program:
    """The workload as straight-line programs (raises NotStraightLine)."""
    names = sorted(workload.keys, key=str)
    initial = [workload.keys[k] for k in names]
    for k, v in zip(names, initial):
        if type(v) is not int or not -2 ** 63 <= v < 2 ** 63:
            raise NotStraightLine(f"key {k!r} starts as {v!r}, not a word-sized integer")
    index = {k: i for i, k in enumerate(names)}
    ops, starts = [], [0]
    for t in range(1, workload.threads + 1):
        for _label, body in workload.program(t):
            tracer = _Tracer(index)
            try:
                gen = body(tracer)
                if gen is not None:
                    for _ in gen:
                        raise NotStraightLine("a transaction yields steps of its own")
            except NotStraightLine:
                raise
            except Exception as exc:
                raise NotStraightLine(f"a transaction cannot run on symbolic values ({type(exc).__name__}: {exc})")
            for op in tracer.ops:
                ops.extend(op)
            ops.extend((P_END, 0, 0, 0))
        starts.append(len(ops) // 4)
    retries = -1 if workload.retries is None else int(workload.retries)
    return Program(names, initial, ops, starts, retries, workload.threads)


@dataclass
class Execution:
    """One execution run natively. Threads in `schedule` are 0-based."""

    index: int
    outcome: str               # complete, deadlock, max-steps, livelock, crash, diverged
    schedule: bytes = b""
    steps: int = 0
    events: bytes = b""
    final: list = field(default_factory=list)
    last_commit: int = 0
    commits: int = 0
    lasso: tuple = (0, 0)
    crash: str | None = None


@dataclass
class Batch:
    repeats: int = 0           # executions identical to one sent before
    repeat_steps: int = 0
    execution: Execution | None = None


def _new(program: Program, design: str):
    lib, name = load("controlled", design)
    f = ffi()
    ex = lib.stm_program_new(name.encode(), program.threads, len(program.names),
                             f.new("int64_t[]", program.initial or [0]), f.new("int64_t[]", program.ops or [0]),
                             len(program.ops) // 4, f.new("int64_t[]", program.starts), program.retries)
    if ex == f.NULL:
        raise NativeUnavailable(f"cannot run {design} with {program.threads} threads natively")
    return lib, ex


def _worker(design, program, strategy, executions, seed, depth, max_steps, shared, replay, key):
    lib, ex = _new(program, design)
    f = ffi()
    length = f.cast("int64_t *", f.from_buffer(shared))
    sched = f.cast("uint8_t *", f.from_buffer(shared)) + 8
    nev = f.new("int64_t *")
    final = f.new("int64_t[]", max(1, len(program.names)))
    info = f.new("int64_t[4]")
    k = 20 * len(program.ops) // 4 or 50  # PCT's expected length, then the longest run seen
    seen = set()
    batch = Batch()
    for i in range(executions):
        if replay is not None:
            sched[0:len(replay)] = list(replay)
            length[0] = len(replay)
        rc = lib.stm_program_run(ex, STRATEGIES[strategy], seed * 1_000_003 + i, depth, k, max_steps, sched, length)
        steps = lib.stm_exec_steps(ex)
        ptr = lib.stm_exec_events(ex, nev)
        events = bytes(f.buffer(ptr, nev[0] * 48)) if nev[0] else b""
        lib.stm_exec_final(ex, final)
        fin = list(final)[:len(program.names)]
        if rc == 0:
            k = max(k, steps)
            if key is None:
                same = hashlib.blake2b(events + struct.pack(f"{len(fin)}q", *fin), digest_size=16).digest()
            else:
                same = key(events, fin)
            if same in seen:
                batch.repeats += 1
                batch.repeat_steps += steps
                if batch.repeats >= FLUSH_EVERY:
                    yield batch
                    batch = Batch()
                continue
            seen.add(same)
        lib.stm_program_info(ex, info)
        batch.execution = Execution(i, OUTCOMES.get(rc, str(rc)), bytes(f.buffer(sched, length[0])), steps,
                                    events, fin, info[0], info[1], (info[2], info[3]))
        yield batch
        batch = Batch()
    if batch.repeats:
        yield batch
    lib.stm_exec_free(ex)


def run_program(design: str, program: Program, strategy: str = "random", executions: int = 100, seed: int = 0,
                depth: int = 3, max_steps: int = 2000, replay=None, key=None):
    """Yield `Batch`es of native executions, computed in a child process.

    Execution i draws its schedule from `seed * 1000003 + i`. `replay` (a list
    of 0-based threads, with strategy "replay") is followed step for step, then
    the run goes on non-preemptively, as the Python replay does. A crash ends
    the run with an execution whose outcome is "crash" and whose schedule is
    the prefix that led to it.

    `key(events, final)` (run in the child) says when two complete
    executions are the same for the caller: only the first is sent. By
    default, the same events and final state.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown native strategy {strategy!r}")
    load("controlled", design)  # build errors surface here, not in the child
    shared = mmap.mmap(-1, 8 + max_steps + (len(replay) if replay else 0) + 64)
    done = 0  # executions accounted for: the crashing one is the next
    try:
        for batch in run_isolated(_worker, design, program, strategy, executions, seed, depth, max_steps,
                                  shared, replay, key):
            done += batch.repeats + (batch.execution is not None)
            yield batch
    except NativeCrash as exc:
        n = struct.unpack_from("q", shared, 0)[0]
        yield Batch(execution=Execution(done, "crash", bytes(shared[8:8 + n]), n, crash=str(exc)))


def loop_rate(design: str, program: Program, strategy: str = "random", executions: int = 20000, seed: int = 0,
              depth: int = 3, max_steps: int = 2000) -> tuple[int, float]:
    """(steps, seconds) of the native loop alone on `program`, in this process: nothing is sent or judged."""
    lib, ex = _new(program, design)
    f = ffi()
    buf = bytearray(8 + max_steps + 64)
    length = f.cast("int64_t *", f.from_buffer(buf))
    sched = f.cast("uint8_t *", f.from_buffer(buf)) + 8
    code, k, total = STRATEGIES[strategy], 20 * len(program.ops) // 4 or 50, 0
    started = time.perf_counter()
    for i in range(executions):
        rc = lib.stm_program_run(ex, code, seed * 1_000_003 + i, depth, k, max_steps, sched, length)
        steps = lib.stm_exec_steps(ex)
        total += steps
        if rc == 0:
            k = max(k, steps)
    seconds = time.perf_counter() - started
    lib.stm_exec_free(ex)
    return total, seconds
