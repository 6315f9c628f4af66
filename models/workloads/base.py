"""The workload interface, and a serial runner for transaction bodies.

A workload fixes, for each thread, a list of transactions (each a generator
function of a transaction handle `tx`, using ``yield from tx.read(key)`` and
``yield from tx.write(key, value)``), the keys with their initial values, and
an end-state invariant checked on the final committed state. Transactions are
deterministic functions of the values they read: the livelock detector relies
on that to recognise a thread's position from what it has seen.

Cyclic runs (`cycle`): each thread repeats a program whose values stay in a
finite set (`finite_cycle`), the round trip of a transfer, a counter modulo N,
so that starvation-freedom can be proven on a finite state graph.

Retry policy: an aborted attempt is retried at once, forever by default
(`retries=None`); with `retries=R` a transaction is given up after R+1
attempts. The policy is part of the workload, not the design, because it is
the program's decision (as `while True: try ... except Abort: continue` is).

Steps outside transactions (`Outside`): a program item may also be code that
runs outside any transaction, as the code between two GIL-held batches does in
a runtime that replaces the GIL by transactions: non-transactional loads and
stores of shared keys, and I/O (`emit(value)`, appended to the run's output
log with its thread). A workload with such items (`outside` is True) is judged
by the GIL criterion only (`--criterion gil`, checker/explore/gil.py), since
its histories hold only the transactions. An item carries no values to the
next: what a later item needs, it reads again (as code resumed after a
released GIL reads shared state again).

`run_serial` runs one body alone on a plain dict: the invariants that say
"what some serial order of the committed transactions leaves" use it, and so
do the tests, as an oracle.
"""

from __future__ import annotations


class Outside:
    """A program item run outside any transaction: `body(io)` is a generator function using
    ``yield from io.load(key)``, ``yield from io.store(key, value)`` (non-transactional: the
    design's cell of the key, its metadata untouched, as a plain access in C would be) and
    ``yield from io.emit(value)`` (I/O: appended to the output log with the thread), each one
    scheduling point."""

    __slots__ = ("body",)

    def __init__(self, body):
        self.body = body

    def __call__(self, io):
        return self.body(io)


class Workload:
    """Base class. Subclasses set `name`, `keys` and build `programs`."""

    name = "?"
    about = ""

    def __init__(self, threads: int, txns: int = 1, keys: int | None = None, retries: int | None = None):
        if threads < 1:
            raise ValueError("--threads must be at least 1")
        if txns < 1:
            raise ValueError("--txns must be at least 1")
        self.threads, self.txns, self.retries = threads, txns, retries
        self.nkeys = keys if keys is not None else self.default_keys
        if self.nkeys < self.min_keys:
            raise ValueError(f"workload {self.name} needs --keys >= {self.min_keys}")
        self.keys: dict = {}
        self.programs: dict = {}  # thread (1-based) -> list of (label, body)
        self.build()

    default_keys = 2
    min_keys = 1

    def build(self) -> None:
        raise NotImplementedError

    def program(self, thread: int) -> list:
        return self.programs[thread]

    #: Whether the values of a cyclic run (`cycle`, repeated forever) stay in a finite set, so
    #: that its state graph can be finite and starvation proven absent, not only found. False
    #: unless a workload says so (every shipped one does; an object workload's values grow).
    finite_cycle = False

    def cycle(self, thread: int) -> list:
        """The transactions thread `thread` repeats forever in a cyclic run (starvation). The
        program itself by default; a workload whose program moves values one way (a counter,
        a transfer) returns one whose values come back (a round trip, counting modulo N), so
        that states recur: a design's state space is then finite, and the searches end."""
        return self.program(thread)

    #: Whether transaction bodies do I/O (``yield from tx.emit(value)``): the attempt then becomes
    #: inevitable first where the design can (`become_inevitable`), as PyPy's STM does before
    #: I/O it cannot postpone; only the GIL criterion judges such programs.
    io_in_batches = False

    @property
    def outside(self) -> bool:
        """Whether the program does what no history shows (I/O, or accesses outside
        transactions, `Outside`), so that only the GIL criterion judges it."""
        return self.io_in_batches or any(type(body) is Outside for prog in self.programs.values()
                                         for _label, body in prog)

    def thread_class(self, thread: int):
        """A value equal for threads that run the same program (and `cycle`), and that the
        invariant does not tell apart, so that a search by symmetry may rename them into each
        other (checker/explore/symmetry.py); None: not said (no symmetry)."""
        return None

    def retry(self, attempts: int) -> bool:
        """Retry after `attempts` failed attempts of one transaction?"""
        return self.retries is None or attempts <= self.retries

    def invariant(self, final: dict, committed: int) -> str | None:
        """None when the final state is right; else what is wrong, in words."""
        return None

    def options(self) -> dict:
        return {"txns": self.txns, "keys": self.nkeys}


class _SerialTx:
    """A transaction handle over a plain dict: reads and writes take effect at once."""

    __slots__ = ("mem",)

    def __init__(self, mem: dict):
        self.mem = mem

    def read(self, key):
        return self.mem[key]
        yield  # a generator, like the runtime's handle (never reached)

    def write(self, key, value):
        self.mem[key] = value
        return
        yield


def run_serial(body, state: dict) -> dict:
    """The state after `body` runs alone on `state` (a new dict; `state` is untouched)."""
    mem = dict(state)
    gen = body(_SerialTx(mem))
    if gen is not None:
        for _ in gen:
            raise RuntimeError("a transaction body yielded a step of its own")
    return mem
