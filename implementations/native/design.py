"""Native designs behind the Python design interface (`models/machine.py`).

Each class here is a design like any Python one, built as
`Design(machine, keys, threads)`, whose begin/read/write/commit/abort are
generators of machine steps, so that every strategy (DPOR included), the
liveness checks, shrinking, replay and reports work on C code unchanged.

How: a *session* (controlled.c) gives each C thread a coroutine that runs
one design call at a time. Every instrumented access inside the call parks
the coroutine and reports its operation and operands; the adapter yields
the same operation as a machine step on a *mirror* cell (one per C shared
word, with the same initial value), and resumes the coroutine once the
runtime has performed that step. The mirror memory therefore always equals
the C memory: the runtime's dependency analysis, blocking (STM_AWAIT becomes
`wait_any`) and livelock snapshots see the real state, and any disagreement
between what the runtime computed and what C read is reported as a
`MachineError` (it would mean the design touched shared memory outside the
instrumentation layer).

Values are word-sized integers. Words that hold timestamps (a global clock,
versioned locks, a sequence lock) are declared by the class (`stamp_words`),
so that the checker may forget how far they have run (models/stamps.py):
their mirror cells hold stamps, as a Python design's would, and the adapter
translates at the boundary, C's integer to the mirror's value and back
(`_decode`, `encode`). A value C writes to such a word must be one the
thread read in this attempt, the newest of the clock, or at most `gap + 1`
newer (rule 3 of models/stamps.py, checked here since the C code cannot be);
anything else is a `StampMisuse`. The C code must only compare such values,
copy them, and count up from the newest, as the shipped designs do (their
canonical and exact searches are compared by the tests).

Crashes: `stmcheck explore`, `replay` and `--estimate` run a whole search of
a native design in a forked worker (checker/explore/isolation.py, as for a
Python design of the user's), where the C session steps in-process: a
segfault ends the worker, and the parent reports a `crash` counterexample with
the schedule that led there. Elsewhere (the Python API's own explorers, the
matrix) the C session runs by default in a worker process of its own
(worker.py), one request and one reply per step (about 9x slower), so that a
segfault raises `NativeCrash` inside the design call; the runtime reports it
as a `crash` counterexample with the run's schedule, and the search goes on.
`STMCHECK_NATIVE_INPROCESS=1` (or `isolated = False` on a class) runs the C
side in this process: a crash then ends the process.
"""

from __future__ import annotations

import os

from stmcheck.models.machine import Abort, MachineError, wait_any
from stmcheck.models.stamps import Stamp, StampMisuse

from stmcheck.implementations.native.loader import ffi, load  # absolute: also loadable as FILE.py:Class
from stmcheck.implementations.native.isolate import NativeCrash
from stmcheck.implementations.native.worker import IsolatedSession

BEGIN, READ, WRITE, COMMIT, ABORT = range(5)
LOAD, STORE, CAS, FAA, AWAIT = 1, 2, 3, 4, 5
CALLS = ("begin", "read", "write", "commit", "abort")
OPS = (None, "load", "store", "cas", "fetch_add", "await")
#: How a stamp word encodes its stamp: the word is the stamp, or the stamp shifted left by one
#: with a flag bit below it (TL2's versioned lock, NOrec's sequence lock: odd while held).
PLAIN, SHIFTED = "stamp", "stamp<<1|bit"


def encode(value) -> int:
    """A stamp word's mirror value as the C word."""
    if type(value) is Stamp:
        return value.value
    if type(value) is tuple:
        return value[0].value << 1 | value[1]
    return value


class InProcessSession:
    """A native session in this process (same calls as worker.IsolatedSession)."""

    def __init__(self, spec: str, threads: int, initial: list):
        self.lib, name = load("controlled", spec)
        f = ffi()
        self._ex = self.lib.stm_session_new(name.encode(), threads, len(initial), f.new("int64_t[]", initial))
        if self._ex == f.NULL:
            raise ValueError(f"cannot start a session of {spec} with {threads} threads")
        n = self.lib.stm_session_cells(self._ex)
        values = f.new("int64_t[]", max(n, 1))
        self.lib.stm_session_values(self._ex, values, n)
        self.values = list(values[0:n])
        self._pending = f.new("int64_t[4]")
        self._result = f.new("int64_t *")
        self._value = f.new("int64_t *")

    def _answer(self, t, done):
        if done:
            status = self.lib.stm_session_status(self._ex, t, self._value)
            return 1, self._result[0], status, self._value[0], 0, 0, 0, 0
        p = self._pending
        self.lib.stm_session_pending(self._ex, t, p)
        return 0, self._result[0], 0, 0, p[0], p[1], p[2], p[3]

    def call(self, t, call, key=0, value=0):
        self._result[0] = 0
        return self._answer(t, self.lib.stm_session_call(self._ex, t, call, key, value))

    def resume(self, t):
        return self._answer(t, self.lib.stm_session_resume(self._ex, t, self._result))

    def close(self):
        ex, self._ex = self._ex, None
        if ex is not None:
            self.lib.stm_exec_free(ex)


class NativeDesign:
    """Base class: set `native` to a native design name (or FILE.c:SYMBOL)."""

    native = "native-tl2"
    #: Where the C side runs: True, in a worker process of its own, one request and reply per step
    #: (a crash raises `NativeCrash` in the design call: a counterexample, and the search goes on);
    #: False, in this process. None: in a worker, unless this process is one already, where a
    #: whole search runs (STMCHECK_NATIVE_INPROCESS=1 there; the checker's search workers set it:
    #: a crash ends the worker, and the checker reports it as a counterexample; a user may set it).
    isolated = None
    #: This design runs native code, which can crash the process: the checker runs a whole search
    #: of it in a worker process (checker/explore/isolation.py), whose C side then steps in-process
    #: (tl2, 3 threads: 5.9 s, against 52 s with a request and a reply per step).
    native_code = True

    @classmethod
    def preflight(cls) -> str | None:
        """Why this design cannot run here (one line), or None: asked by the CLI before
        exploring, so that a missing compiler is a usage error, not a crash of every run."""
        from stmcheck.implementations.native.build import NativeUnavailable
        try:
            load("controlled", cls.native)
        except NativeUnavailable as exc:
            return str(exc)
        return None

    def __init__(self, machine, keys, threads):
        order = sorted(keys, key=str)
        self.index = {k: i for i, k in enumerate(order)}
        initial = [keys[k] for k in order]
        for k, v in zip(order, initial):
            if isinstance(v, bool) or not isinstance(v, int) or not -2 ** 63 <= v < 2 ** 63:
                raise ValueError(f"native designs hold word-sized integers; key {k!r} starts as {v!r}")
        self._session = (IsolatedSession if self._isolated() else InProcessSession)(self.native, threads, initial)
        self._kinds = self.stamp_words(len(order))
        self._received: dict = {}         # thread -> stamps C got from stamp words in this attempt
        zero = machine.stamps("clock", gap=self.stamp_gap) if self._kinds else None
        self._domain = zero.domain if zero is not None else None
        self.cells = []
        for i, v in enumerate(self._session.values):
            kind = self._kinds.get(i)
            if kind is not None:
                if v != 0:
                    raise ValueError(f"{self.native}: stamp word {i} starts as {v}, not 0")
                v = zero if kind == PLAIN else (zero, 0)
            self.cells.append(machine.cell(f"w{i}", v))     # C words have no names: w<object id>

    #: Runs are not resumed from snapshots (checker/explore/runtime.py, `Run.snapshot`): the C
    #: session's own memory is not in them.
    resumable = False

    def _isolated(self) -> bool:
        if self.isolated is not None:
            return self.isolated
        return os.environ.get("STMCHECK_NATIVE_INPROCESS", "") not in ("1", "yes", "true")

    #: The clock's largest tested difference (models/stamps.py's `gap`).
    stamp_gap = 0

    @staticmethod
    def stamp_words(nkeys: int) -> dict:
        """{word index: PLAIN or SHIFTED} for the words that hold stamps, in a session of
        `nkeys` keys (the indices follow the design's `stm_cells` calls in its create())."""
        return {}

    def _decode(self, kind, word: int, thread: int):
        """The mirror value of the C word `word` written to a stamp word by `thread` (rule 3)."""
        version, bit = (word, None) if kind == PLAIN else (word >> 1, word & 1)
        d = self._domain
        if version in self._received.get(thread, ()) or version == d.newest:
            stamp = Stamp(version, d)
        elif d.newest < version <= d.newest + d.gap + 1:
            stamp = Stamp(version, d, version - d.newest)
        else:
            raise StampMisuse(f"{self.native}: thread {thread} wrote version {version} to a stamp word, which "
                              f"it did not read in this attempt and which is not the clock's newest "
                              f"({d.newest}) or up to {d.gap + 1} newer: the C code computes stamps the "
                              f"checker cannot follow (see stamp_words)")
        return stamp if bit is None else (stamp, bit)

    def _got(self, thread: int, kind, value) -> int:
        """What a step on a stamp word gave C, remembered as read by `thread`."""
        if kind is not None and value is not None and type(value) is not bool:
            self._received.setdefault(thread, set()).add((value[0] if type(value) is tuple else value).value)
        return encode(value)

    def _call(self, thread, call, key=0, value=0):
        """Run one design call on C thread `thread - 1`, yielding a step per access."""
        s, t = self._session, thread - 1
        try:
            r = s.call(t, call, key, value)
        except NativeCrash as exc:
            raise NativeCrash(exc.signum, f"in {CALLS[call]}() of thread {thread}") from None
        while not r[0]:
            op, obj, a, b = r[4], r[5], r[6], r[7]
            cell, kind = self.cells[obj], self._kinds.get(obj)
            if kind is not None and op in (STORE, CAS):
                a = self._decode(kind, a, thread)
                b = self._decode(kind, b, thread) if op == CAS else b
            if kind == SHIFTED and op == FAA:
                raise MachineError(f"{self.native}: fetch_add on w{obj}, a shifted stamp word")
            if op == LOAD:
                got = yield cell.load()
            elif op == STORE:
                got = yield cell.store(a)
            elif op == CAS:
                got = yield cell.cas(a, b)
            elif op == FAA:
                got = yield cell.fetch_add(a)
            else:
                got = (yield wait_any((cell, lambda v, a=a, b=b: (encode(v) & a) == b)))[0]
            got = self._got(thread, kind, got)
            try:
                r = s.resume(t)
            except NativeCrash as exc:
                raise NativeCrash(exc.signum, f"in {CALLS[call]}() of thread {thread}, at or after its "
                                              f"{OPS[op]} of w{obj}") from None
            if op != STORE and int(got) != r[1]:
                raise MachineError(f"{self.native}: the C access to word {obj} returned {r[1]}, "
                                   f"the machine {got!r}: shared memory touched outside STM_* macros?")
        return r[2], r[3]

    def begin(self, thread):
        self._received.pop(thread, None)      # what C may keep of stamps: this attempt's reads
        yield from self._call(thread, BEGIN)
        return thread

    def read(self, tx, key):
        status, value = yield from self._call(tx, READ, self.index[key])
        if status:
            raise Abort(f"{self.native} read of {key!r}")
        return value

    def write(self, tx, key, value):
        status, _ = yield from self._call(tx, WRITE, self.index[key], value)
        if status:
            raise Abort(f"{self.native} write of {key!r}")

    def commit(self, tx):
        status, _ = yield from self._call(tx, COMMIT)
        if status:
            raise Abort(f"{self.native} commit")

    def abort(self, tx):
        yield from self._call(tx, ABORT)

    def __del__(self):
        session = getattr(self, "_session", None)
        if session is not None:
            self._session = None
            try:
                session.close()
            except Exception:  # at interpreter exit, or the worker is gone: nothing left to free
                pass


def _tl2_stamp_words(nkeys: int) -> dict:
    """tl2.c: the clock heads its own 8-word line; key k's lock word (version << 1 | locked)
    is word 8 + 8k, its value the word after it."""
    return {0: PLAIN, **{8 + 8 * k: SHIFTED for k in range(nkeys)}}


class NativeTL2(NativeDesign):
    native = "native-tl2"
    stamp_words = staticmethod(_tl2_stamp_words)


class NativeNOrec(NativeDesign):
    native = "native-norec"

    @staticmethod
    def stamp_words(nkeys: int) -> dict:
        """norec.c: the sequence lock (even when free, odd while a writer holds it) heads its
        own 8-word line, the values follow."""
        return {0: SHIFTED}


class NativeTL2NoReadValidation(NativeDesign):
    native = "native-tl2-no-read-validation"
    stamp_words = staticmethod(_tl2_stamp_words)


class NativeTL2NoCommitValidation(NativeDesign):
    native = "native-tl2-no-commit-validation"
    stamp_words = staticmethod(_tl2_stamp_words)
