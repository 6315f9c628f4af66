"""The simulated shared memory every STM design is written against.

A design never touches real memory or real threads. It asks for *cells* and
*locks* when it is built, and then, in its transaction methods, *yields steps*:
one shared-memory operation each (load, store, compare-and-swap, fetch-and-add;
acquire, try-acquire, release). The scheduler runs exactly one step at a time,
sends its result back into the generator, and may switch threads between any
two steps. That makes every shared access a scheduling point, and nothing else
one: what a design does between two yields (its private bookkeeping) is atomic
and invisible to other threads, exactly as private memory is.

Every step names its object and says whether it writes it. Two steps of
different threads are *dependent* when they touch the same object and one of
them writes; that relation is all partial-order reduction needs, so it is part
of the step, not guessed by the checker.

Blocking: `Lock.acquire()` blocks (the thread is not *enabled*) while another
thread holds the lock, and `wait_any` blocks until one of its conditions holds
(`read_all`, which never blocks, reads several cells at once, as a word that packs them).
A design must wait with these, never with a loop of loads: a spinning thread
would step forever and turn every wait into an endless execution, whereas a
blocked thread simply is not scheduled, and a state where nobody can move is a
deadlock the checker reports with its wait-for cycle.

A loop that goes round within one attempt (try to lock, find an owner, abort
it, wait, try again) makes the attempt's past grow without end, and the
checker, which cannot read a generator's local variables, tells a thread's
states apart by everything its attempt has seen so far. At the head of such a
loop a design may ``yield checkpoint(label, *values)``: not a step (no
scheduling point), a promise that from here on the attempt depends only on
what its transaction body has read and written and on `values` (every local
variable and descriptor field the rest of the attempt uses). The checker then
forgets the rest of the attempt's past, so that the loop's states recur; it
checks the promise where it can (two arrivals with equal values must take the
same next step) and says which checkpoint broke it. A checkpoint at the start
of ``commit`` or ``abort`` pays too (the attempt's past there is mostly its
reads' results, which the read and write sets sum up): attempts that saw
different words but commit, or clean up, alike meet in one state. On TL2,
3 threads, that is 72,146 states instead of 87,810; on DSTM with a
contention manager about half.

Guarded cells. A cell that is only ever touched under one lock (a key's value in a
lock-based design, read and written by the transaction that holds the key's lock) may say so:
``machine.cell(name, value, guarded_by=lock)``. The checker then holds the design to it (a step
on the cell by a thread that does not hold the lock is a usage error that names both; waiting
on such a cell with `wait_any` is refused), and in the state-graph search takes a step on it
together with its thread's step before it: no other thread can see the cell until the lock
changes hands, so the moment in between is no state of its own (checker/explore/runtime.py,
"Guarded steps merged", proves that no verdict changes). On a global lock around three
transfers that is 76 states instead of 244.

Values stored in cells must be hashable (numbers, strings, None, tuples): the
checker snapshots memory to recognise a livelock (a state seen before).
Values that only serve as timestamps (clocks, versions, sequence locks) should
be *stamps* (`Machine.stamps`, models/stamps.py): the checker then forgets how
far they have run, so that retry loops return to states seen before.

The design interface
--------------------

A design is a class built as ``Design(machine, keys, threads)``: ``machine`` is
a `Machine` to allocate cells and locks from, ``keys`` maps each transactional
key the workload uses to its initial value, ``threads`` is the number of
threads (numbered 1..threads). It implements:

``begin(thread)``          -> a transaction descriptor (any object, private)
``read(tx, key)``          -> the value the transaction sees for ``key``
``write(tx, key, value)``  -> None
``commit(tx)``             -> None, or raises `Abort`
``abort(tx)``              -> None: clean up after `Abort` was raised in
                              ``read``, ``write`` or ``commit`` (release locks,
                              undo in-place writes)

Each method is a generator that yields steps and returns its result (a method
that needs no shared step may be a plain function). ``read``, ``write`` and
``commit`` may ``raise Abort(reason)``; the runtime then calls ``abort(tx)``
and retries the transaction as the workload says (a retry is a new attempt,
recorded as a new transaction). Shared state lives only in cells and locks;
per-attempt state lives in the descriptor. State a design keeps per thread
*across* attempts (a back-off counter, say) must be returned by an optional
``local_state(thread)`` method, so that the livelock detector sees it; a
``set_local_state(thread, state)`` method that sets it back lets the state-graph
search start a run in a state another run reached (each thread from its
attempt's BEGIN) instead of replaying the whole schedule (checker/explore/runtime.py,
`Run.snapshot`); without it, a design with ``local_state`` is always replayed.
A design that sets ``symmetric = True`` (a class or instance attribute) may be
searched by symmetry (``explore --symmetry``): it promises to store thread
numbers and compare them for equality only, to make per-thread cells with
``cell(name, value, of_thread=t)``, and never to walk the threads in number
order (models/threadids.py; its thread numbers are then `Tid`s).
Two more optional methods serve programs that do what no history shows
(checker/explore/gil.py, docs/gil.md): ``outside_cell(key)`` returns the cell
holding a key's value, which steps outside transactions load and store
directly; ``become_inevitable(tx)`` (a generator, or None-returning function)
is called before an attempt's first I/O and must leave the attempt unable to
abort, and no other attempt inevitable until its body is done (it may still
abort while it becomes inevitable).
Any other exception is a bug in the design: the checker reports it as a
``crash`` counterexample with the traceback. Breaking the interface itself (a
method that yields anything but a step, ``begin`` returning None, a method
missing or taking other arguments) is a usage error instead (`DesignMisuse`). A design must be deterministic
(no clocks, no `random`, no iteration over unordered sets of objects whose
order can change): exploration replays schedules and expects the same steps.
Where nondeterminism is the point, a model standing for several designs at
once (a contention manager that may decide whatever the real ones decide), it
is the explorer's: ``yield choose(n)`` returns 0 .. n-1, each a transition of
its own, spelt ``THREAD/ALTERNATIVE`` in schedules; the state-graph search,
replays and random walks take choices, DPOR and PCT refuse such a design.

A complete example, one global lock around every transaction::

    from stmcheck.models.machine import Abort  # noqa: F401 (raise it to abort)

    class GlobalLock:
        def __init__(self, machine, keys, threads):
            self.lock = machine.lock("G")
            self.cells = {k: machine.cell(k, v, guarded_by=self.lock) for k, v in keys.items()}

        def begin(self, thread):
            yield self.lock.acquire()      # blocks while another thread holds G
            return thread

        def read(self, tx, key):
            return (yield self.cells[key].load())

        def write(self, tx, key, value):
            yield self.cells[key].store(value)

        def commit(self, tx):
            yield self.lock.release()

        def abort(self, tx):               # never called: nothing here aborts
            yield self.lock.release()

Check it with ``stmcheck explore path/to/file.py:GlobalLock --threads 3``.
"""

from __future__ import annotations

from .misuse import DesignMisuse  # noqa: F401 (part of this module's interface)
from .stamps import Domain, Stamp, StampMisuse, admit

# Operation codes. Small ints: the runtime dispatches on them once per step.
LOAD, STORE, CAS, FAA, ACQUIRE, TRY_ACQUIRE, RELEASE, HOLDER, WAIT = range(9)
# Runtime-internal marks of a transaction attempt's start and end (see RT below).
BEGIN, END = 9, 10
# A choice the explorer makes (`choose`): no object, no memory touched.
CHOOSE = 11

OP_NAMES = ("load", "store", "cas", "fetch_add", "acquire", "try_acquire", "release",
            "holder", "wait", "begin", "end", "choose")

#: A pick of alternative a > 0 of a thread's `choose` step is the number t + a * CHOICE_STRIDE in
#: schedules (alternative 0 is the thread's own number): a design that chooses runs at most
#: CHOICE_STRIDE - 1 threads and offers at most MAX_ALTERNATIVES alternatives, so that a pick
#: stays below 64 (a state's waiting edges are bits of one word), and a pick above the run's
#: thread count is a choice's (a run of more threads makes none).
CHOICE_STRIDE, MAX_ALTERNATIVES = 16, 4


def picked(pick: int, threads: int = CHOICE_STRIDE) -> tuple:
    """(thread, alternative) of a pick in a schedule of a run of `threads` threads (see
    CHOICE_STRIDE; without the count, a pick above CHOICE_STRIDE is taken as a choice's)."""
    return (pick % CHOICE_STRIDE, pick // CHOICE_STRIDE) if pick > max(threads, CHOICE_STRIDE - 1) else (pick, 0)

#: The pseudo-object a BEGIN reads and an END writes. Real-time order between
#: transactions (one ends before another begins) is something the criteria look
#: at, so the scheduler must treat a begin and an end of different threads as
#: dependent, or partial-order reduction would pick one order and miss the other.
RT = -1

FREE = 0  # the value of a lock nobody holds; otherwise the holder's thread number


class Abort(Exception):
    """Raised by a design to abort the running transaction attempt."""


class MachineError(Exception):
    """A design misused the machine (released a lock it does not hold, ...)."""


class Step:
    """One shared-memory operation: the unit of interleaving.

    `obj` is the Cell or Lock touched (for WAIT, a tuple of them); `write`
    says whether it may modify it (CAS and try-acquire count as writes even
    when they fail: the conservative choice keeps the reduction sound).
    """

    __slots__ = ("op", "obj", "a", "b", "write", "objs", "after", "guard")

    def __init__(self, op: int, obj, a=None, b=None, write: bool = False, after: bool = False):
        self.op, self.obj, self.a, self.b, self.write = op, obj, a, b, write
        self.after = after       # CAS and FAA: the result is the cell's value after the step
        #: A cell's step: the index of the lock that guards the cell (`Machine.cell(guarded_by=)`),
        #: which the thread must hold; -1 for every other step.
        self.guard = obj.guard if op <= FAA else -1
        if op == WAIT:
            self.objs = tuple(o.index for o, _ in obj)
        elif op == CHOOSE:
            self.objs = ()
        elif obj is None:
            self.objs = (RT,)
        else:
            self.objs = (obj.index,)

    def objects(self) -> tuple:
        """The indices of the objects this step touches."""
        return self.objs

    def describe(self, result=None) -> str:
        """`load x = 3`, `cas lock(x) (0, 0)->(0, 1) ok`: one line of a timeline."""
        op = self.op
        if op == WAIT:
            if all(p is _always for _, p in self.obj):     # `read_all`
                return "read " + ", ".join(o.name for o, _ in self.obj) + f" = {result!r}"
            return "wait for " + " or ".join(o.name for o, _ in self.obj) + f" = {result!r}"
        if op in (BEGIN, END):
            return OP_NAMES[op]
        if op == CHOOSE:
            return f"choose {result!r} of {self.a}"
        name = ("add_fetch" if op == FAA else "compare_exchange" if op == CAS else OP_NAMES[op]) if self.after \
            else OP_NAMES[op]
        text = f"{name} {self.obj.name}"
        if op == STORE:
            return text + f" := {self.a!r}"
        if op == CAS:
            if self.after:
                return text + f" {self.a!r}->{self.b!r} = {result!r}"
            return text + f" {self.a!r}->{self.b!r} " + ("ok" if result else "failed")
        if op == TRY_ACQUIRE:
            return text + (" ok" if result else " failed")
        if op == FAA:
            return text + f" {self.a!r} = {result!r}"
        if op in (LOAD, HOLDER):
            return text + f" = {result!r}"
        return text


class Checkpoint:
    """`checkpoint(label, *values)`: the attempt's future depends on its body's reads and
    writes and on `values` only (see the module's docstring). Yielded, not a step."""

    __slots__ = ("label", "values")

    def __init__(self, label: str, values: tuple):
        self.label, self.values = str(label), values

    def __repr__(self) -> str:
        return f"checkpoint({self.label!r}, ...)"


def choose(alternatives: int) -> Step:
    """A step whose result, 0 .. alternatives - 1, the explorer picks: each is a transition of
    its own, so that a search covers them all. It touches no object. For models that stand for
    many designs at once (a contention manager that may decide anything the real ones decide:
    implementations/contention.py, `AnyManager`); a design under test must be deterministic.
    Only the state-graph search, replay and random walks explore designs that choose."""
    if not 2 <= alternatives <= MAX_ALTERNATIVES:
        raise DesignMisuse(f"choose({alternatives!r}): a choice has 2 to {MAX_ALTERNATIVES} alternatives")
    return Step(CHOOSE, None, alternatives)


def checkpoint(label: str, *values) -> Checkpoint:
    """Mark a loop head, or the start of commit or abort: the rest of the attempt depends only on
    the body's reads and writes and on `values` (hashable; stamps allowed). Use names, not cells
    or locks, in `values`."""
    return Checkpoint(label, values)


class Cell:
    """A shared word. Methods return steps, to be yielded by the design."""

    __slots__ = ("index", "name", "guard", "_load")

    def __init__(self, index: int, name: str, guard: int = -1):
        self.index, self.name = index, name
        self.guard = guard        # the index of the lock that guards it, or -1 (`Machine.cell`)
        self._load = Step(LOAD, self)

    def load(self) -> Step:
        # One step object per cell serves every load (steps are never changed once made): loads
        # are most of the steps of every design, and making one each time was measurable.
        return self._load

    def store(self, value) -> Step:
        return Step(STORE, self, value, write=True)

    def cas(self, expected, new) -> Step:
        """Compare-and-swap; the step's result is True when it swapped."""
        return Step(CAS, self, expected, new, write=True)

    def compare_exchange(self, expected, new) -> Step:
        """Compare-and-swap whose result is the cell's value after the step: `new` when it
        swapped, else the value it found (C11's atomic_compare_exchange). For stamps, the value
        is then one the design read, free to be stored anywhere (rule 3 of models/stamps.py)."""
        return Step(CAS, self, expected, new, write=True, after=True)

    def fetch_add(self, n=1) -> Step:
        """Add n; the step's result is the value before the addition."""
        return Step(FAA, self, n, write=True)

    def add_fetch(self, n=1) -> Step:
        """Add n; the step's result is the value after it. For a clock of stamps this is how a
        committer takes its write version: the new value is a stamp as read, free to be stored
        anywhere (an old value + 1 is a computed stamp, which only the newest may be)."""
        return Step(FAA, self, n, write=True, after=True)

    def __repr__(self) -> str:
        return f"Cell({self.name})"


class Lock:
    """A mutual-exclusion lock owned by a thread; not reentrant."""

    __slots__ = ("index", "name")

    def __init__(self, index: int, name: str):
        self.index, self.name = index, name

    def acquire(self) -> Step:
        """Blocks (the thread is not enabled) while another thread holds it."""
        return Step(ACQUIRE, self, write=True)

    def try_acquire(self) -> Step:
        """Never blocks; the step's result is True when the lock was taken."""
        return Step(TRY_ACQUIRE, self, write=True)

    def release(self) -> Step:
        return Step(RELEASE, self, write=True)

    def holder(self) -> Step:
        """Reads who holds the lock: a thread number, or 0 when free."""
        return Step(HOLDER, self)

    def __repr__(self) -> str:
        return f"Lock({self.name})"


def wait_any(*conditions) -> Step:
    """Block until one condition holds; then read all the objects at once.

    Each condition is `(cell_or_lock, predicate)`; the step's result is the
    tuple of the objects' current values. This is how a design waits for
    "the lock is free, or I have been aborted" without spinning.
    """
    if not conditions:
        raise ValueError("wait_any needs at least one (object, predicate) condition")
    for obj, _pred in conditions:
        if type(obj) is Cell and obj.guard >= 0:
            raise DesignMisuse(f"wait_any waits on {obj.name}, a cell guarded by a lock (machine.cell("
                               f"guarded_by=...)): only the lock's holder may look at it, and no other "
                               f"thread can change it while the holder waits")
    return Step(WAIT, tuple(conditions))


def _always(value) -> bool:
    return True


def read_all(*objects) -> Step:
    """Read several cells (or locks) in one step; the result is the tuple of their values.

    Never blocks (a `wait_any` whose conditions always hold). It models a word that packs
    them, as a claims board packs a few threads' claims: use it only where a real design
    could keep the values in one word, since it reads them at one moment. Why a design
    would: a thread between two loads of per-thread cells, taken in thread order, is in a state
    no renaming of the threads maps onto a reachable one, so a search by symmetry could not
    take it (implementations/eager.py, `_yield`)."""
    return wait_any(*((o, _always) for o in objects))


class Machine:
    """Allocates the objects of one execution; `initial` is their starting memory."""

    def __init__(self):
        self.objects: list = []
        self.initial: list = []
        self.domains: list = []
        #: object index -> the thread it belongs to (`of_thread`), 0 for shared ones: a search by
        #: symmetry moves a thread's objects with it (models/threadids.py)
        self.owners: list = []

    def stamps(self, name: str, gap: int = 0, relative: bool = False) -> Stamp:
        """A new family of timestamps (a clock and the versions copied from it, one key's version
        counter, a ticket dispenser); returns its first stamp, 0, to put in cells' initial values.

        Declaring them lets the checker forget how far a clock has run, so that retry loops
        come back to states seen before (models/stamps.py has the rules: compare stamps of one
        domain, count up only from the newest; `gap` is the largest difference the design
        tests, as 1 for `wv == rv + 1`). `relative=True`: the design may count up from any stamp
        of the domain (a racy bump that stores an old version + 1); the checker then keeps every
        difference and forgets only an offset common to all."""
        self._unclaimed(str(name))
        domain = Domain(str(name), gap, relative)
        self.domains.append(domain)
        return Stamp(0, domain, sealed=True)

    def parities(self, name: str, threads: int) -> dict:
        """Each thread's attempt bit (a *parity*, models/stamps.py): thread -> its first bit, 0, to put
        in its cells' initial values and keep as its current bit; each attempt takes
        `bit.flipped()`. The design tests bits for equality only, so the checker numbers each
        thread's bits relative to the newest it wrote: states that differ only in which bit a
        thread is at are one state."""
        self._unclaimed(str(name))
        out = {}
        for t in range(1, threads + 1):
            domain = Domain(f"{name}({t})", 0, parity_of=t, family=str(name))
            self.domains.append(domain)
            out[t] = Stamp(0, domain, sealed=True)
        return out

    def _unclaimed(self, name: str) -> None:
        """A state's shapes name stamps by their domain, parities by their family: one name each."""
        if any(name in (d.name, d.slot) for d in self.domains):
            raise StampMisuse(f"two stamp domains (or parity families) are called {name!r}")

    def cell(self, name: str, initial=None, of_thread: int = 0, guarded_by: "Lock | None" = None) -> Cell:
        """A shared cell. `of_thread`: the thread it belongs to (a status word, a published
        priority), which a search by symmetry renames with its thread: thread t's k-th such
        cell stands for thread u's k-th (models/threadids.py). `guarded_by`: a lock of this
        machine that every step on the cell is taken under (see "Guarded cells" above)."""
        guard = -1
        if guarded_by is not None:
            if type(guarded_by) is not Lock or guarded_by.index >= len(self.objects) \
                    or self.objects[guarded_by.index] is not guarded_by:
                raise DesignMisuse(f"cell {name!r}: guarded_by={guarded_by!r} is not a lock of this machine")
            guard = guarded_by.index
        c = Cell(len(self.objects), str(name), guard)
        self.objects.append(c)
        self.initial.append(initial)
        self.owners.append(int(of_thread))
        return c

    def lock(self, name: str, of_thread: int = 0) -> Lock:
        lk = Lock(len(self.objects), str(name))
        self.objects.append(lk)
        self.initial.append(FREE)
        self.owners.append(int(of_thread))
        return lk


def is_enabled(step: Step, thread: int, mem: list) -> bool:
    """Can `thread` take `step` now? Only acquire and wait ever block."""
    op = step.op
    if op == ACQUIRE:
        return mem[step.obj.index] == FREE
    if op == WAIT:
        return any(pred(mem[o.index]) for o, pred in step.obj)
    return True


def apply(step: Step, thread: int, mem: list):
    """Perform an enabled step on `mem`; return the result the design receives."""
    op = step.op
    if op == LOAD:
        return mem[step.obj.index]
    i = -1 if step.obj is None or op == WAIT else step.obj.index
    if op == STORE:
        mem[i] = admit(step.a, step.obj.name)   # (rule 3 of models/stamps.py; the value itself if no stamp)
        return None
    if op == CAS:
        if mem[i] == step.a:
            mem[i] = admit(step.b, step.obj.name)
            return mem[i] if step.after else True
        return mem[i] if step.after else False
    if op == FAA:
        old = mem[i]
        new = old + step.a
        mem[i] = new = admit(new, step.obj.name) if type(new) is Stamp else new
        return new if step.after else old
    if op == ACQUIRE:
        mem[i] = thread
        return None
    if op == TRY_ACQUIRE:
        if mem[i] == FREE:
            mem[i] = thread
            return True
        return False
    if op == RELEASE:
        if mem[i] != thread:
            who = "nobody" if mem[i] == FREE else f"thread {mem[i]}"
            raise MachineError(f"thread {thread} releases {step.obj.name}, which is held by {who}")
        mem[i] = FREE
        return None
    if op == HOLDER:
        return mem[i]
    if op == WAIT:
        return tuple(mem[o.index] for o, _ in step.obj)
    if op == BEGIN or op == END:
        return None
    if op == CHOOSE:
        raise MachineError("a choice's result is the explorer's pick, not the memory's (runtime.Run takes it)")
    raise MachineError(f"unknown step operation {op!r}")


#: The interface, as the arguments each part is called with (after `self`).
INTERFACE = {"__init__": ("machine", "keys", "threads"), "begin": ("thread",), "read": ("tx", "key"),
             "write": ("tx", "key", "value"), "commit": ("tx",), "abort": ("tx",)}


def check_design(cls) -> None:
    """Raise `DesignMisuse` when `cls` lacks a method of the interface or one of them (or its
    constructor) cannot be called with the interface's arguments. Checked once, before any
    run, so that a misspelt signature is one usage error rather than a crash in every run."""
    import inspect

    missing = [m for m in INTERFACE if m != "__init__" and not callable(getattr(cls, m, None))]
    if missing:
        raise DesignMisuse(f"the design lacks {', '.join(missing)} (see the interface in stmcheck.models.machine)")
    for name, args in INTERFACE.items():
        target = cls if name == "__init__" else getattr(cls, name)
        try:
            sig = inspect.signature(target)
        except (TypeError, ValueError):
            continue                       # a builtin or C-level callable: nothing to check
        if name != "__init__" and not isinstance(inspect.getattr_static(cls, name), (staticmethod, classmethod)):
            params = list(sig.parameters.values())
            if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
                sig = sig.replace(parameters=params[1:])   # self
        try:
            sig.bind(*args)
        except TypeError as exc:
            shown = f"{cls.__qualname__}(...)" if name == "__init__" else name
            raise DesignMisuse(f"`{shown}` must take ({', '.join(args)}), but its signature is {sig}: {exc}") \
                from None

