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

Values are word-sized integers. A C crash takes the process with it: run
native designs under `isolate.run_isolated` where a crash must be reported.
"""

from __future__ import annotations

from stmcheck.models.machine import Abort, MachineError, wait_any

from stmcheck.implementations.native.loader import ffi, load  # absolute: also loadable as FILE.py:Class

BEGIN, READ, WRITE, COMMIT, ABORT = range(5)
LOAD, STORE, CAS, FAA, AWAIT = 1, 2, 3, 4, 5


class NativeDesign:
    """Base class: set `native` to a native design name (or FILE.c:SYMBOL)."""

    native = "native-tl2"

    def __init__(self, machine, keys, threads):
        self.lib, name = load("controlled", self.native)
        f = ffi()
        order = sorted(keys, key=str)
        self.index = {k: i for i, k in enumerate(order)}
        initial = [keys[k] for k in order]
        for k, v in zip(order, initial):
            if isinstance(v, bool) or not isinstance(v, int) or not -2 ** 63 <= v < 2 ** 63:
                raise ValueError(f"native designs hold word-sized integers; key {k!r} starts as {v!r}")
        self._ex = self.lib.stm_session_new(name.encode(), threads, len(order), f.new("int64_t[]", initial))
        if self._ex == f.NULL:
            raise ValueError(f"cannot start a session of {self.native} with {threads} threads")
        n = self.lib.stm_session_cells(self._ex)
        values = f.new("int64_t[]", n)
        self.lib.stm_session_values(self._ex, values, n)
        self.cells = [machine.cell(f"w{i}", values[i]) for i in range(n)]  # C words have no names: w<object id>
        self._pending = f.new("int64_t[4]")
        self._result = f.new("int64_t *")

    def _call(self, thread, call, key=0, value=0):
        """Run one design call on C thread `thread - 1`, yielding a step per access."""
        lib, ex, t, pending, result = self.lib, self._ex, thread - 1, self._pending, self._result
        done = lib.stm_session_call(ex, t, call, key, value)
        while not done:
            lib.stm_session_pending(ex, t, pending)
            op, obj, a, b = pending[0], pending[1], pending[2], pending[3]
            cell = self.cells[obj]
            if op == LOAD:
                got = yield cell.load()
            elif op == STORE:
                got = yield cell.store(a)
            elif op == CAS:
                got = yield cell.cas(a, b)
            elif op == FAA:
                got = yield cell.fetch_add(a)
            else:
                got = (yield wait_any((cell, lambda v, a=a, b=b: (v & a) == b)))[0]
            done = lib.stm_session_resume(ex, t, result)
            if op != STORE and int(got) != result[0]:
                raise MachineError(f"{self.native}: the C access to word {obj} returned {result[0]}, "
                                   f"the machine {got!r}: shared memory touched outside STM_* macros?")
        status = lib.stm_session_status(ex, t, result)
        return status, result[0]

    def begin(self, thread):
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
        ex = getattr(self, "_ex", None)
        if ex is not None:
            self._ex = None
            self.lib.stm_exec_free(ex)


class NativeTL2(NativeDesign):
    native = "native-tl2"


class NativeNOrec(NativeDesign):
    native = "native-norec"


class NativeTL2NoReadValidation(NativeDesign):
    native = "native-tl2-no-read-validation"


class NativeTL2NoCommitValidation(NativeDesign):
    native = "native-tl2-no-commit-validation"
