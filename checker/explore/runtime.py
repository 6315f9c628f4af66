"""The runtime: N simulated threads, one shared-memory step at a time.

Each thread is one Python generator (`_thread_main`) that runs its workload's
transactions through the design, retrying aborted attempts as the workload
says. The generator yields the design's steps; the runtime asks a *chooser*
(a strategy) which enabled thread moves next, performs that thread's pending
step on the memory, and sends the result back. Everything a thread does
between two steps is private and happens at once, so an execution is entirely
determined by its schedule (the sequence of chosen threads): replaying a
schedule reproduces the execution, which is how stateless exploration reaches
a state again and how every counterexample is replayed.

Each attempt is framed by two synthetic steps, BEGIN and END, where its begin
and commit/abort events are recorded. They are scheduling points because the
real-time order of transactions matters to strict serializability and opacity
(see `RT` in the machine model).

Fused marks. A chooser that sets `fuses_marks` (the state-graph search) is not
asked at the marks: a thread's BEGIN is taken together with the attempt's first
step when that step can be taken (alone when it blocks), and an attempt's END
at once after its last step. The schedule still names every step, marks
included, so a run reads (and replays, with any chooser) as an execution of the
unfused runtime. Why nothing is lost: (1) every fused execution is an unfused
one; (2) every unfused execution E has a fused one E' with the same steps in
the same order (hence the same memory, results, reads and final state, the
same deadlocks, and the same cycles, since a thread blocked right after its
BEGIN in E can take that BEGIN alone in E'), whose begins are later and ends
earlier: E' orders by real time every pair of transactions E orders, and maybe
more. The criteria only grow stricter with more real-time order (strict
serializability and opacity must respect it; serializability ignores it), so
a violation in E is one in E'. What the marks cost otherwise: states that
differ only in where a BEGIN or END fell among the other threads' steps, and
the history views multiply them (tl2 transfer, 3 threads: 1,148,419 states
with every mark a step, 87,702 fused, measured before the commit and abort
checkpoints). Tested in tests/explore/test_fused_marks.py.

Guarded steps merged. In the same fused runs, a step on a cell guarded by a lock
(`Machine.cell(guarded_by=lock)`) whose thread holds that lock is taken together with the
thread's step before it, and an END right after it with it: it is no scheduling point. Why
nothing is lost. Every step of every run is checked: a guarded cell is touched only by its lock's
holder (`_unguarded`: a usage error), and no thread waits on one (`wait_any` refuses). So while
thread t holds L, no other thread's step reads, writes or waits on a cell L guards, and t's step
m on one commutes with each step another thread takes before t's next step (t alone can release
L): both give the same results and leave the same memory in either order. (1) Every merged
execution is an execution. (2) In any execution E, move each such m left, past the other
threads' steps between it and its thread's step before it. The result E' takes each thread's
steps in the same order with the same results, to the same final memory; it is a merged
execution, and a state of E where no thread has such a step pending is one of E' (in E' each
state is one of E with guarded cells changed and positions advanced by merged steps). Hence:
- the places where no thread has such a step pending are the places of the merged search
  (tests/explore/test_guarded_merge.py enumerates both by brute force), and the ends are the
  same (a thread with such a step pending can take it, so no deadlock has one; the final memory,
  which the invariant reads, is E's);
- E' has E's history with m's events, and an END after m, earlier. The reads see the same
  values and a BEGIN never moves (it is no step on a cell): the real-time order only grows, as
  for fused marks, and a violation of any criterion in E is one in E' (the test compares, over
  every execution, the criteria violated at each end);
- a cycle of E, repeated forever and rearranged so, is a cycle of E' through the same steps and
  commits; a thread enabled in a state of E' is enabled in a state of E's cycle (the two differ
  in guarded cells, which no one waits on, and in merged steps taken, after which the same step
  is pending), so fair cycles stay fair: livelock and starvation are decided alike; so are the
  progress properties (progress.py): with one thread stopped or run alone, the others never
  touch what a merged step of a lock holder changes;
- the first step of an execution that breaks a guard is no merged step, and the state before it,
  rearranged, is one of the merged search with the same lock holders and that step pending: a
  misdeclared guard is found as surely as without merging.
Steps outside transactions (`Outside`, the GIL's programs) touch a key's cell without its lock:
runs with them merge nothing (`_merges`). Measured in the state graph (marks fused, every
violation collected): global-lock transfer, 3 threads, 244 -> 76 states; locks-ordered 793 ->
309; eager (greedy) counter, 3 threads, 1,328,560 -> 790,834 states (63.0 -> 38.8 s CPU), where
a key's cell is read and written under its lock.

Fast-forward. A chooser that replays a known path first (the state-graph search:
`replay_ahead`) has the runtime take that path without asking it, logging None
for the states passed (filled in by running the schedule again if anything reads
the logs, `enabled_log`) and interning the threads' positions once at its end
(`_settle`): the same run, for less (tests/explore/test_fast_forward.py).

Snapshots. A run may also start where another one stood (`Run(resume=snapshot)`, from
`Run.snapshot`): on that run's design object, with its memory, each thread restarted at its
current attempt's BEGIN with the design's `local_state` set back (`set_local_state`) and fed
the results its steps got, so that its generator stands where it stood; `schedule`, the logs
and the step bound then begin there, and `whole` makes such a run one from the initial state
when something reads all of it (strategies/graph.py, "Resumed runs"; tested in
tests/explore/test_resume.py).

What the runtime records, per execution: the history (`stmcheck.history/1`
events, each tied to the step after which it happened), the trace of steps and
their results, the enabled threads and every thread's pending step at each
state (what DPOR's race analysis needs), and the outcome: `complete`,
`deadlock`, `livelock` (a proven fair lasso), `max-steps`, `crash`, `cut`
(an unfair loop, where a fair scheduler would have run someone else), or
`stopped` (the chooser ended it). With `cyclic=True` each thread runs its
program over and over, and a proven fair loop may also end a run as
`starvation` or `progress` (see `liveness.classify`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from types import GeneratorType

from stmcheck.models.history import HistoryBuilder, HistoryError, canonical_value
from stmcheck.models.machine import (
    ACQUIRE,
    BEGIN,
    CHOICE_STRIDE,
    CHOOSE,
    END,
    WAIT,
    Abort,
    Cell,
    Checkpoint,
    DesignMisuse,
    Lock,
    Machine,
    MachineError,
    OP_NAMES,
    Step,
    apply,
    is_enabled,
    picked,
)

from stmcheck.models import stamps
from stmcheck.models.threadids import Tid, relabel
from stmcheck.models.workloads.base import Outside

from .liveness import PROGRESS, STARVATION, LassoDetector, classify, wait_for

_THIS_FILE = os.path.normcase(os.path.abspath(__file__))   # its frames are left out of a design's traceback

_BLOCKING = (ACQUIRE, WAIT)
BEGIN_STEP = Step(BEGIN, None)
END_STEP = Step(END, None, write=True)

COMPLETE, DEADLOCK, LIVELOCK, MAX_STEPS, CRASH, CUT, STOPPED = (
    "complete", "deadlock", "livelock", "max-steps", "crash", "cut", "stopped")


class _Thread:
    __slots__ = ("gen", "pending", "k", "attempts", "tries", "txid", "pos", "stamps", "finished", "body", "lazy",
                 "segment", "seen")

    def __init__(self):
        self.gen = None
        self.pending = None
        self.k = 0
        self.attempts = 0
        self.tries = 0
        self.txid = None
        self.pos = 0                  # the attempt's results so far, interned by `Positions` (0: none)
        self.stamps: list = []        # the stamps among those results, taken out of `pos` (in order)
        self.finished = False
        self.body: list = []          # the attempt's reads and writes, (op, key, value) (a checkpoint reads them)
        self.lazy = None              # what `pos` and `stamps` still lack (`Run._fast_forward`), or None
        #: Where the thread's current attempt (or steps outside transactions) began: (transaction
        #: index, tries and attempts before it, the design's `local_state` then), and the results
        #: of its steps since: what `Run.snapshot` keeps to start the thread there again.
        self.segment = (0, 0, 0, None)
        self.seen: list = []


class Positions:
    """Interned thread positions: each sequence of step results an attempt has seen is one int.

    Why: a position is part of every state key the strategies remember and every
    state the lasso detector records; as a tuple it grows by one result per step and
    each remembered key holds its own copy, so a thread that steps long without
    restarting costs memory quadratic in its steps. Interned, extending a position is
    one dict lookup and a key holds one int; equal sequences get equal ints (the table
    is a trie keyed by (parent, result)), so keys compare exactly as the tuples did.
    One table serves every run whose states are compared (an explorer's runs)."""

    __slots__ = ("ids", "next_step", "back", "_renamed")

    def __init__(self):
        self.ids: dict = {}
        self.next_step: dict = {}  # checkpoint position -> (label, the step taken after it): the audit
        self.back: list = []       # position - 1 -> (parent, result): what `relabel` reads
        self._renamed: dict = {}   # (position, names) -> the position renamed (`relabel`)

    def extend(self, pos: int, result) -> int:
        key = (pos, result)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
            self.back.append(key)
        return found

    def relabel(self, pos: int, names: tuple) -> int:
        """The position whose results are `pos`'s with every thread number renamed by `names`
        (`threadids.relabel`): where a thread renamed by a symmetry stands (explore/symmetry.py)."""
        memo, back = self._renamed, self.back
        chain = []
        while pos and (pos, names) not in memo:
            chain.append(pos)
            pos = back[pos - 1][0]
        out = memo[pos, names] if pos else 0
        for p in reversed(chain):
            out = memo[p, names] = self.extend(out, relabel(back[p - 1][1], names))
        return out

    def checkpoint(self, body: tuple, label: str, values) -> int:
        """The position at a checkpoint: the body's past and the declared values, nothing
        else of the attempt (a first-level entry no sequence of results can produce)."""
        return self.extend(0, (_CHECKPOINT, body, label, values))

    def audit(self, thread: int, pos: int, label: str, step) -> None:
        """Two arrivals of a thread at a checkpoint with the same position must go on with the same step;
        else its values leave out state the attempt uses (`machine.checkpoint`'s promise)."""
        sig = _signature(step)
        seen = self.next_step.setdefault((thread, pos), (label, sig))
        if seen[1] != sig:
            raise DesignMisuse(
                f"checkpoint {label!r} was reached twice with the same values and the same reads and "
                f"writes, and then took two different steps ({_show(seen[1])}, then {_show(sig)}): its "
                f"values leave out something the rest of the attempt uses (a local variable or a "
                f"descriptor field); add it to checkpoint({label!r}, ...)")


class InevitabilityError(Exception):
    """An attempt did what cannot be taken back (I/O) and then aborted, or an inevitable
    attempt aborted, or two were inevitable at once: a violation of kind `inevitability`."""


class _TxView:
    """What a workload's transaction body sees: `read` and `write`, recorded (in the history
    and in the attempt's body, which checkpoints read), and `emit` (I/O inside the batch)."""

    __slots__ = ("run", "design", "tx", "thread", "txid", "body")

    def __init__(self, run, design, tx, thread, txid, body):
        self.run, self.design, self.tx, self.thread, self.txid = run, design, tx, thread, txid
        self.body = body

    def emit(self, value):
        """I/O inside the batch: irrevocable, so the attempt first becomes *inevitable* (the
        design's optional `become_inevitable(tx)`: from then on it must not abort, and no other
        attempt may become inevitable before its body is done) where the design can; one that
        cannot prints anyway, and if it then aborts, the run shows it (`InevitabilityError`)."""
        run = self.run
        if run.output_cell is None:
            raise DesignMisuse("a transaction prints (tx.emit), and its workload does not say so: set "
                               "`io_in_batches = True` on the workload class")
        if not any(op == "inevitable" for op, _k, _v in self.body):
            become = getattr(self.design, "become_inevitable", None)
            if become is not None:
                r = become(self.tx)
                if type(r) is GeneratorType:
                    yield from r
                other = run.inevitable
                if other and other != self.thread:
                    raise InevitabilityError(f"{self.txid} became inevitable while thread {other}'s attempt "
                                             f"{run._th[other].txid}, inevitable, was still running its body: "
                                             f"at most one may be")
                run.inevitable = self.thread
                self.body.append(("inevitable", None, None))
        yield run.output_cell.fetch_add(((self.thread, value),))
        self.body.append(("emit", None, value))

    def read(self, key):
        r = self.design.read(self.tx, key)
        if type(r) is GeneratorType:
            r = yield from r
        self.run.emit(self.thread, self.txid, "read", key, r)
        self.body.append(("read", key, r))
        return r

    def write(self, key, value):
        r = self.design.write(self.tx, key, value)
        if type(r) is GeneratorType:
            yield from r
        self.run.emit(self.thread, self.txid, "write", key, value)
        self.body.append(("write", key, value))


class _OutsideView:
    """What a program item outside transactions (`Outside`) sees: non-transactional `load` and
    `store` of a key (the design's cell for it, `outside_cell`) and `emit`, one step each."""

    __slots__ = ("run", "thread")

    def __init__(self, run, thread):
        self.run, self.thread = run, thread

    def load(self, key):
        return (yield _outside(self.run.outside_cells[key].load()))

    def store(self, key, value):
        yield _outside(self.run.outside_cells[key].store(value))

    def emit(self, value):
        yield self.run.output_cell.fetch_add(((self.thread, value),))


def _outside(step: Step) -> Step:
    """A step outside transactions: on the key's cell whatever lock guards it (the workload's own
    access, not the design's), which is why such runs merge no steps (`Run._merges`)."""
    if step.guard < 0:
        return step
    bare = Step(step.op, step.obj, step.a, step.b, step.write, step.after)
    bare.guard = -1
    return bare


def _irrevocable(body: list, txid: str, reason: str) -> None:
    """An attempt is aborting: raise `InevitabilityError` if it was inevitable or printed."""
    if any(op == "inevitable" for op, _k, _v in body):
        raise InevitabilityError(f"inevitable attempt {txid} aborted ({reason}): an inevitable "
                                 f"transaction must never abort")
    printed = [v for op, _k, v in body if op == "emit"]
    if printed:
        raise InevitabilityError(f"attempt {txid} printed {', '.join(map(repr, printed))} and then aborted "
                                 f"({reason}): the output cannot be taken back (the design has no "
                                 f"become_inevitable, or it let the attempt abort)")


def outside_cells(design, keys) -> dict:
    """key -> the cell where `design` keeps the key's value, for steps outside transactions; a
    `DesignMisuse` when the design does not say (`outside_cell(key)`, models/machine.py)."""
    where = getattr(design, "outside_cell", None)
    if where is None:
        raise DesignMisuse("the workload has steps outside transactions, and the design has no "
                           "`outside_cell(key)` saying which cell holds a key's value for them")
    cells = {k: where(k) for k in keys}
    bad = [k for k, c in cells.items() if type(c) is not Cell]
    if bad:
        raise DesignMisuse(f"`outside_cell({bad[0]!r})` returned {cells[bad[0]]!r}, not a Cell")
    return cells


def _body(body: list) -> tuple:
    """What the transaction body has seen in this attempt, as a checkpoint keeps it: its reads and
    writes in order, values in canonical form (computed at checkpoints only)."""
    return tuple([(op, key, canonical_value(value)) for op, key, value in body])


class Run:
    """One execution. Build it, call `execute(chooser)`, then read its fields."""

    def __init__(self, design_cls, workload, max_steps: int = 2000, detect_lassos: bool = True,
                 cyclic: bool = False, positions: Positions | None = None, resume: "Snapshot | None" = None,
                 horizon: int | None = None, names_threads: bool = False):
        """`resume`: a snapshot (`snapshot`) of a run of the same design, workload and `cyclic`,
        to start in the state it was taken in (on that run's design object) rather than in the
        initial state. `horizon`: `abstract_state` caps the differences of relative stamps at it
        (`stamps.horizon_ranks`: for a horizon graph's search alone, explore/horizon.py).
        `names_threads`: a search by symmetry's run, which gives a design that allows it `Tid`s
        for thread numbers (models/threadids.py; ints otherwise, which cost less to hash)."""
        self.horizon = horizon
        self.workload = workload
        self._design_cls = design_cls
        self.positions = positions if positions is not None else Positions()
        self.cyclic = cyclic          # run each program forever (starvation checking)
        self.threads = workload.threads
        self.max_steps = max_steps
        self.outcome = None
        self.detail: dict = {}
        self._watch = watch = WATCH
        self.output = None            # the output log at the end, ((thread, value), ...)
        self.inevitable = 0           # the thread whose attempt is inevitable now (0: none)
        #: The snapshot this run started from (`_resume`), or None: it started in the initial state.
        #: Its `schedule`, logs and step bound (`max_steps`) then begin there (`whole` makes the
        #: run whole): the bound is on how far one run goes, and a resumed run has not gone there.
        self.resumed = resume
        #: Per cell: (the value it held, its shape, its stamps) or None, for `abstract_state` (set
        #: with the memory); shared with the runs resumed from this one's snapshots (they start
        #: with the same objects in memory).
        self._shapes = None
        #: Tuples met in this run's memory, and in the runs resumed from its snapshots -> (their
        #: shape, their stamps), for `abstract_state` (see `_MAX_MET`).
        self._met = None
        self._watch_base = 0          # the steps before the first one, in the watch's schedule
        if watch is not None:
            watch.start()
        if resume is None:
            self._build()
        else:
            self.machine, self.design, self.outside_cells, self.output_cell, self._shapes, self._met, same = \
                resume.context
            if same is not self.positions:   # (`_resume` sets the snapshot's interned positions back)
                raise ValueError("a run resumed from a snapshot must share the snapshot's run's positions table "
                                 "(Run(positions=...))")
            self.mem = list(resume.mem)
            self.domains = self.machine.domains
            self._parities = [d for d in self.domains if d.parity_of]
            if watch is not None:     # what a worker that dies in this run reports: the whole schedule
                prefix = resume.prefix()
                n = self._watch_base = min(len(prefix), watch.capacity)
                watch.sched[:n] = prefix[:n]
                watch.ints[1] = n
        #: Guarded steps are merged ("Guarded steps merged") unless the program has steps outside
        #: transactions, which touch the cells without their locks.
        self._merges = MERGE_GUARDED and not self.outside_cells
        self.events: list = []        # history events (dicts)
        self.event_steps: list = []   # index of the step after which each event happened (-1: before any)
        self.schedule: list = []      # thread chosen at each step
        self.steps: list = []         # the Step taken at each step
        self.results: list = []       # its result
        self._enabled: list = []      # enabled threads (tuple) at each state (`enabled_log`)
        self._pending: list = []      # every thread's pending Step (tuple, index 0 unused) at each state
        self.commits = 0
        self.last_commit = 0
        self.final = None             # key -> value read by the end-state observer
        self.abort_reasons: dict = {} # txn id -> the design's reason for aborting it
        self._lasso = LassoDetector() if detect_lassos else None
        #: step index -> the starved threads the next choice is kept to there (an unfair loop met
        #: by the lasso detector; a replay still following its schedule steps as written): what a
        #: replay's continuation does there (`needed_prefix`)
        self.restricted: dict = {}
        self._restarted = False
        self._lazy = False            # in `_fast_forward`: positions are interned after it
        self._alt = 0                 # the alternative picked for the choice about to be taken
        self.skipped = False          # a fast-forward left None in the logs (`_fill_logs`)
        self._th = [None] + [_Thread() for _ in range(self.threads)]
        #: (the stamps' ranks, renaming -> its image's ranks): `_numbered`'s last (of the state
        #: `_parts` names: `abstract_state` sets both)
        self._ranked = (None, None)
        #: (steps taken, `_thread_parts` of every thread then, their stamps): `abstract_state`'s
        #: last, which the images of that state rename rather than build again (`_renamed_parts`)
        self._parts = (-1, None, None)
        #: The thread numbers the design is given (to `begin`, and as a lock's holder): `Tid`s in
        #: a search by symmetry where the design allows one (models/threadids.py), else the ints.
        self._tid = (0, *map(Tid, range(1, self.threads + 1))) \
            if names_threads and getattr(self.design, "symmetric", False) else range(self.threads + 1)

    def _build(self) -> None:
        """The machine, the design built on it, and the initial memory."""
        workload, watch = self.workload, self._watch
        self.machine = Machine()
        if watch is not None:
            watch.ints[2], watch.ints[3] = 1, 0
        try:
            self.design = self._design_cls(self.machine, dict(workload.keys), workload.threads)
        except BaseException as exc:  # the design's constructor is the design's code too
            _reraise_if_user_interrupt(exc)
            self.design = None
            self._crash(None, exc)
        if watch is not None:
            watch.ints[2] = 0
        #: Programs with steps outside transactions (`Outside`): the cells they load and store (the
        #: design's, by `outside_cell`) and the output log, a cell of its own: part of the memory,
        #: so of every state, and appended to by one step (a fetch-and-add of a tuple).
        self.outside_cells: dict = {}
        self.output_cell = None
        if workload.outside and self.design is not None:
            self.outside_cells = outside_cells(self.design, workload.keys)
            self.output_cell = self.machine.cell("output", ())
        self.mem = list(self.machine.initial)
        self._shapes = [None] * len(self.mem)
        self._met = {}
        self.domains = self.machine.domains
        self._parities = [d for d in self.domains if d.parity_of]   # (their numbers name threads: `_image_ranks`)
        if self.domains:
            self._start_stamps()

    # -- recording, called from the thread generators ---------------------------------------
    def emit(self, thread, txid, op, key=None, value=None):
        e = {"thread": thread, "txn": txid, "op": op}
        if op == "read" or op == "write":
            e["key"] = key
            e["value"] = value
        self.events.append(e)
        self.event_steps.append(len(self.steps) - 1)

    def _thread_main(self, t: int, at: tuple | None = None):
        """Thread t's program, from its start or, `at` = (transaction index, tries and attempts
        before), from that attempt's BEGIN (`_resume`)."""
        design, workload, th = self.design, self.workload, self._th[t]
        local = getattr(design, "local_state", None)
        start, tries_before = 0, 0
        if at is not None:
            start, tries_before, th.attempts = at
        for k, (_label, body) in self._transactions(t, start):
            th.k = k
            if type(body) is Outside:     # steps outside any transaction: no attempt, no history
                th.pos, th.stamps, th.body, th.txid, th.lazy = 0, [], [], None, None
                th.segment, th.seen = (k, 0, th.attempts, local(t) if local is not None else None), []
                r = body(_OutsideView(self, t))
                if type(r) is GeneratorType:
                    yield from r
                continue
            tries, tries_before = tries_before, 0
            while True:
                th.segment, th.seen = (k, tries, th.attempts, local(t) if local is not None else None), []
                tries += 1
                th.tries = tries
                th.attempts += 1
                th.txid = txid = f"T{t}.{th.attempts}"
                th.pos = 0
                th.stamps = []
                th.lazy = None
                yield BEGIN_STEP
                self.emit(t, txid, "begin")
                th.body = []
                tx = None
                try:
                    r = design.begin(self._tid[t])
                    tx = (yield from r) if type(r) is GeneratorType else r
                    if tx is None:
                        raise DesignMisuse("`begin` returned None, not a transaction descriptor (return the "
                                           "object read, write, commit and abort will be given)")
                    r = body(_TxView(self, design, tx, t, txid, th.body))
                    if type(r) is GeneratorType:
                        yield from r
                    if self.inevitable == t:   # its body is done: another may become inevitable
                        self.inevitable = 0
                    r = design.commit(tx)
                    if type(r) is GeneratorType:
                        yield from r
                    committed = True
                except Abort as exc:
                    committed = False
                    self.abort_reasons[txid] = str(exc)
                    if th.body and self.output_cell is not None:
                        _irrevocable(th.body, txid, str(exc))
                    if tx is not None:
                        r = design.abort(tx)
                        if type(r) is GeneratorType:
                            yield from r
                yield END_STEP
                if self.inevitable == t:
                    self.inevitable = 0
                if committed:
                    self.emit(t, txid, "commit")
                    self.commits += 1
                    self.last_commit = len(self.steps)
                    if self.cyclic:
                        self._restarted = True   # loops may contain commits: record this state too
                    elif self._lasso is not None:
                        self._lasso.clear()
                    break
                self.emit(t, txid, "abort")
                self._restarted = True
                if not workload.retry(tries):
                    break
        th.finished = True

    def _transactions(self, t, start: int = 0):
        """(index, transaction) pairs of thread t from transaction `start`: its program once, or
        forever when cyclic."""
        program = list(enumerate(self.workload.cycle(t) if self.cyclic else self.workload.program(t)))
        while True:
            for k, (label, body) in program[start:]:
                yield k, (label, body)
            start = 0
            if not self.cyclic or not program:
                return

    # -- the scheduler loop -------------------------------------------------------------------
    def execute(self, chooser) -> "Run":
        """Run to an outcome, asking `chooser.pick(run, enabled)` at each state.

        `chooser.fair` (bool): when an unfair loop is found, True restricts the
        next choice to the starved threads; False ends the run as `cut`.
        """
        if self.outcome is not None:  # the design could not even be built
            return self
        if self.resumed is not None:
            self._resume(self.resumed)
        else:
            for t in range(1, self.threads + 1):
                if not self._advance(t, None, start=True):
                    return self
        fair = getattr(chooser, "fair", False)
        fuse = FUSE_MARKS and getattr(chooser, "fuses_marks", False)
        following = getattr(chooser, "following", None)
        lasso = self._lasso
        restrict = None
        if fuse and lasso is None:
            ahead = getattr(chooser, "replay_ahead", None)
            if ahead is not None and not self._fast_forward(*ahead()):
                return self
        th, mem, tids = self._th, self.mem, range(1, self.threads + 1)
        pend = [x.pending if x is not None else None for x in th]   # kept up to date below
        while True:
            # `_log_state` by hand, from `pend`: this loop runs once a step (measured: calling it
            # made tl2 3 x 1 take 43.8 s instead of 32.2 s)
            pending = tuple(pend)
            enabled = []
            choosing = False
            for t in tids:
                s = pend[t]
                if s is not None and (s.op not in _BLOCKING or is_enabled(s, t, mem)):
                    enabled.append(t)
                    if s.op == CHOOSE:
                        choosing = True
            enabled = _with_alternatives(enabled, pend, chooser) if choosing else tuple(enabled)
            self._enabled.append(enabled)
            self._pending.append(pending)
            if not enabled:
                if any(pending[t] is not None for t in range(1, self.threads + 1)):
                    self.outcome = DEADLOCK
                    self.detail = wait_for(self)
                else:
                    self.outcome = COMPLETE
                    self._observe()
                return self
            depth = len(self.steps)
            if lasso is not None and self._restarted:
                # Only a state right after an abort or a checkpoint can start a loop's check: in a
                # loop without commits every thread that steps must restart an attempt or pass a
                # checkpoint (its position would otherwise only grow), so every loop passes
                # through such a state.
                self._restarted = False
                loop = lasso.visit(self, depth)
                if loop is not None:
                    if loop["fair"]:
                        self.outcome = classify(self, loop)
                        self.detail = loop
                        return self
                    if not fair:
                        self.outcome = CUT
                        self.detail = loop
                        return self
                    restrict = loop["starved"]
            if depth >= self.max_steps:
                self.outcome = MAX_STEPS
                self.detail = {"since_commit": depth - self.last_commit}
                return self
            choices = enabled
            if restrict:   # a replay still following its schedule steps as written
                self.restricted[len(self.schedule)] = restrict
                if following is None or not following():
                    choices = restricted_choices(enabled, restrict)
                restrict = None
            t = chooser.pick(self, choices)
            if t is None:
                self.outcome = STOPPED
                return self
            if t > self.threads:   # an alternative of a choice (`machine.choose`)
                t, self._alt = picked(t, self.threads)
            if not (self._fused(t) if fuse else self._take(t, pending[t])):
                return self
            pend[t] = th[t].pending

    def _fast_forward(self, path: list, taken: list) -> bool:
        """Take `path`'s choices (marks fused) while `taken` is shorter than all but its last, each
        appended to `taken`: a replay to a known state, without the chooser, with None for each
        state in the logs (filled in once something reads them: `enabled_log`), and with the
        threads' positions interned once at the end (`_settle`), not at every step (measured on
        dstm+karma swap, 2 threads: that and the logs were a third of the search's time). It
        stops early, leaving the rest to the chooser, at a choice that cannot be taken (which the
        chooser then reports) or at the step bound; False on a crash."""
        th, mem, stop, threads = self._th, self.mem, len(path) - 1, self.threads
        self._lazy = True
        try:
            while len(taken) < stop:
                v = t = path[len(taken)]
                alt = 0
                if v > threads:      # (a choice's pick: no call per step on this path otherwise)
                    t, alt = picked(v, threads)
                s = th[t].pending
                if s is None or (s.op in _BLOCKING and not is_enabled(s, t, mem)) \
                        or len(self.steps) >= self.max_steps or alt and s.op != CHOOSE:
                    return True
                self._alt = alt
                self.skipped = True
                self._log_state()
                taken.append(v)
                if not self._fused(t):
                    return False
            return True
        finally:
            self._lazy = False
            self._settle()

    # -- snapshots: a run started where another one stood ------------------------------------------
    @property
    def resumable(self) -> bool:
        """Whether `snapshot` and `_resume` may stand in for a replay from the start: the design
        keeps no state across attempts but what `local_state` says and `set_local_state` sets
        back (models/machine.py), and does not opt out (`resumable = False`: a native design,
        whose C memory a snapshot does not hold)."""
        d = self.design
        return d is not None and getattr(d, "resumable", True) and \
            (not hasattr(d, "local_state") or hasattr(d, "set_local_state"))

    def snapshot(self) -> "Snapshot":
        """What `_resume` needs to put a later run in the state this one is in: the memory, each
        thread's current attempt from its BEGIN (the design's `local_state` then, and the
        results its steps got since), the run's counters, and the schedule here. Why it is the
        same state: a thread is deterministic in what its steps return, and across attempts it
        keeps only what `local_state` holds (the contract the canonical states already rest on);
        the memory is copied. Tested against replays from the start (tests/explore/test_resume.py)."""
        # A running thread is kept as (k, tries, attempts, local state, results seen, pending op,
        # its objects, position, stamps of its results): `_resume` unpacks it, `Snapshot` reads
        # the fields holding stamps by `_LOCAL`, `_SEEN` and `_OWN`; a finished one as (local state,).
        threads, local = [], getattr(self.design, "local_state", None)
        self._settle()
        for t, x in enumerate(self._th[1:], 1):
            if x.pending is None:     # finished: what it keeps, in case the design reads it later
                threads.append((local(t) if local is not None else None,))
            else:
                k, tries, attempts, kept = x.segment
                threads.append((k, tries, attempts, kept, tuple(x.seen), x.pending.op, x.pending.objs, x.pos,
                                tuple(x.stamps)))
        return Snapshot((self.machine, self.design, self.outside_cells, self.output_cell, self._shapes, self._met,
                         self.positions),
                        tuple(self.mem),
                        tuple([d.newest for d in self.domains]), tuple(threads), self.commits, self.inevitable,
                        (self.resumed, self.schedule, len(self.schedule)))

    def _resume(self, snap: "Snapshot") -> None:
        """Put this run, built on `snap`'s design object, in the state `snap` was taken in (its
        memory is already there): each thread started again at its attempt's BEGIN with the
        design's `local_state` then set back, and given the results its steps got, in order (no
        memory is touched: the design's code runs as it ran). The design object is shared with
        other runs, one after another: what each thread keeps in it across attempts is set back
        here, and anything else the contract keeps out of it (models/machine.py). Raises
        DesignMisuse when a thread goes elsewhere than it went (the design is not deterministic,
        or keeps state it does not declare)."""
        for d, newest in zip(self.domains, snap.newest):
            d.newest = newest
        self.commits = snap.commits
        restore = getattr(self.design, "set_local_state", None)
        self._lazy = True
        try:
            for t, saved in enumerate(snap.threads, 1):
                x = self._th[t]
                if len(saved) == 1:         # finished, with what it keeps in the design
                    x.finished = True
                    if saved[0] is not None:
                        restore(t, saved[0])
                    continue
                k, tries, attempts, local, seen, op, objs, pos, own = saved
                if local is not None:
                    restore(t, local)
                self.inevitable = 0    # (set below: each thread's past is fed alone)
                ok = self._advance(t, None, start=True, at=(k, tries, attempts))
                for r in seen:
                    if not ok:
                        break
                    ok = self._advance(t, r)
                # Its position is the snapshot's: the same results, interned once already (not
                # again result by result: on dstm+polka swap, over 2.3 M results fed in 83,314 runs)
                x.seen, x.pos, x.stamps, x.lazy = list(seen), pos, list(own), None
                if not ok or x.pending is None or x.pending.op != op or x.pending.objs != objs:
                    raise DesignMisuse(f"resuming a run: thread {t} took another step than it took before "
                                       f"({_NOT_AGAIN})")
        finally:
            self._lazy = False
        self.inevitable = snap.inevitable

    def whole(self, chooser=None, room: int = 0) -> None:
        """Make a resumed run (`_resume`) a run from the initial state: `chooser`'s (a path to the
        same state, then the same steps, in at most `room` steps: this run's step bound counted
        from where it began), or else its own schedule run again from the start; every field then
        as that run has it (history, logs, outcome). For the few runs that end (complete,
        deadlock, crash, the step bound), whose history and report read everything."""
        if self.resumed is None:
            return
        full = None
        if chooser is None:
            full = list(self.resumed.prefix()) + self.schedule
            chooser, room = _Again(full), len(full) + (self.outcome != MAX_STEPS)
        again = Run(self._design_cls, self.workload, room, detect_lassos=False, cyclic=self.cyclic,
                    positions=self.positions)
        again.execute(chooser)
        if again.outcome != self.outcome or full is not None and again.schedule != full:
            raise DesignMisuse(f"running a resumed run again from the start reached other states ({_NOT_AGAIN})")
        again.max_steps = self.max_steps
        self.__dict__.update(again.__dict__)

    @property
    def enabled_log(self) -> list:
        """The threads that could step at each state (a tuple per state, in order)."""
        if self.skipped:
            self._fill_logs()
        return self._enabled

    @property
    def pending_log(self) -> list:
        """Every thread's pending Step at each state (a tuple per state, index 0 unused)."""
        if self.skipped:
            self._fill_logs()
        return self._pending

    def enabled_now(self) -> tuple:
        """The threads that can step in the state the run is in (read without filling the logs)."""
        return self._enabled[-1]

    def _fill_logs(self) -> None:
        """Fill in the states a fast-forward passed (None in the logs: `_fast_forward`), once
        something reads the logs (the shrinker and the reports of a counterexample; most runs'
        logs are never read): the schedule run again, step by step, in a run of its own (the
        design is deterministic: the same states)."""
        self.skipped = False
        again = Run(self._design_cls, self.workload, len(self.schedule) + 1, detect_lassos=False,
                    cyclic=self.cyclic, positions=self.positions)   # (fused steps may pass max_steps)
        again.execute(_Again(self.schedule))
        n = len(self._enabled)
        if again.schedule != self.schedule or len(again._enabled) < n:
            raise DesignMisuse("running a schedule again reached other states: the design or workload "
                               "is not deterministic")
        self._enabled[:] = again._enabled[:n]
        self._pending[:] = again._pending[:n]

    def _settle(self) -> None:
        """Intern every thread's position from what `_take` kept aside in a fast-forward: the same
        `pos` and `stamps` as `_take` and `_checkpoints` would have made step by step."""
        positions, domains = self.positions, self.domains
        for x in self._th[1:]:
            lazy = x.lazy
            if lazy is None:
                continue
            x.lazy = None
            pos = x.pos
            for r in lazy:
                if type(r) is _Arrived:
                    pos = self._arrive(x, r.body, r.label, r.values)
                else:
                    pos = positions.extend(pos, stamps.split(r, _SLOTS, x.stamps) if domains else r)
            x.pos = pos

    def _fused(self, t: int) -> bool:
        """Thread t's transition when marks are fused (`fuses_marks`): its pending step, with the
        attempt's first step after a BEGIN when that can be taken now, and an attempt's END at once
        after its last step, each recorded as a step of its own, so that the schedule reads as an
        execution with the marks there; False when the design crashed. Why it is sound is in the
        module's docstring (Fused marks)."""
        x = self._th[t]
        step = x.pending
        if not self._take(t, step):
            return False
        first = x.pending
        if step is BEGIN_STEP and first is not None and first is not END_STEP and first is not BEGIN_STEP \
                and first.op != CHOOSE and is_enabled(first, t, self.mem):
            self._log_state()
            if not self._take(t, first):
                return False
        merge, mem, me = self._merges, self.mem, self._tid[t]
        while True:
            step = x.pending
            if step is END_STEP or (merge and step is not None and step.guard >= 0 and mem[step.guard] == me):
                self._log_state()
                if not self._take(t, step):
                    return False
            else:
                return True

    def _take(self, t: int, step) -> bool:
        """Take thread t's pending `step`: perform it, record it, and run the thread to its next
        step; False when the run ended there (a crash)."""
        if step.guard >= 0 and self.mem[step.guard] != self._tid[t]:
            self._unguarded(t, step)
        if step.op == CHOOSE:      # the pick's alternative (`execute`), in the schedule as picked
            result, self._alt = self._alt, 0
            if not 0 <= result < step.a:
                raise DesignMisuse(f"thread {t}'s choice has {step.a} alternatives, and the schedule picks "
                                   f"alternative {result}")
            self.schedule.append(t + result * CHOICE_STRIDE)
        else:
            try:
                result = apply(step, self._tid[t], self.mem)
            except MachineError as exc:
                self._crash(t, exc, tb=False)
                return False
            self.schedule.append(t)
        self.steps.append(step)
        self.results.append(result)
        x = self._th[t]
        x.seen.append(result)
        if self._lazy:                # a fast-forward: `_settle` interns the position
            if x.lazy is None:
                x.lazy = [result]
            else:
                x.lazy.append(result)
        else:
            x.pos = self.positions.extend(x.pos, stamps.split(result, _SLOTS, x.stamps) if self.domains else result)
        watch = self._watch
        if watch is not None:
            depth = self._watch_base + len(self.steps) - 1
            if depth < watch.capacity:
                watch.sched[depth] = t
                watch.ints[1] = depth + 1
        return self._advance(t, result)

    def _unguarded(self, t: int, step) -> None:
        """Thread t takes a step on a guarded cell without holding the lock that guards it."""
        lock = self.machine.objects[step.guard]
        holder = self.mem[step.guard]
        who = "nobody holds it" if holder == 0 else f"thread {holder} holds it"
        raise DesignMisuse(f"thread {t} takes a {OP_NAMES[step.op]} of {step.obj.name}, a cell guarded by "
                           f"{lock.name} (machine.cell(guarded_by=...)), and {who}: every step on a guarded cell "
                           f"must be taken by the lock's holder")

    def _log_state(self) -> None:
        """Log the state the run is in: every thread's pending step (index 0 unused) and the
        threads that can take theirs; None for both in a fast-forward (`_fill_logs`)."""
        if self._lazy:
            self._pending.append(None)
            self._enabled.append(None)
            return
        th, mem = self._th, self.mem
        pending = (None,) + tuple([x.pending for x in th[1:]])
        enabled = tuple([t for t in range(1, self.threads + 1) if pending[t] is not None
                         and (pending[t].op not in _BLOCKING or is_enabled(pending[t], t, mem))])
        if any(pending[t].op == CHOOSE for t in enabled):
            enabled = _with_alternatives(enabled, pending, None)
        self._pending.append(pending)
        self._enabled.append(enabled)

    def _advance(self, t, value, start=False, at=None) -> bool:
        x = self._th[t]
        watch = self._watch
        if watch is not None:
            watch.ints[2], watch.ints[3] = 1, t
        try:
            if start:
                x.gen = self._thread_main(t, at)
                x.pending = x.gen.send(None)
            else:
                x.pending = x.gen.send(value)
            if type(x.pending) is not Step:
                self._checkpoints(t, x)
        except StopIteration:
            x.pending = None
        except DesignMisuse:
            raise
        except BaseException as exc:  # a bug in the design (or a zombie's crash): a counterexample,
            _reraise_if_user_interrupt(exc)   # sys.exit() and GeneratorExit included
            self._crash(t, exc)
            return False
        finally:
            if watch is not None:
                watch.ints[2] = 0
        return True

    def _checkpoints(self, t: int, x) -> None:
        """The thread yielded something else than a step: checkpoints (`machine.checkpoint`) are
        taken at once (the position restarts from the body's past and the declared values) and
        audited against the step that follows; anything else is a misuse."""
        label = None
        while type(x.pending) is Checkpoint:
            cp = x.pending
            if self._lazy:            # a fast-forward: `_settle` interns it, unaudited
                x.lazy = [_Arrived(tuple(x.body), cp.label, cp.values)]
                x.pending = x.gen.send(None)
                continue
            x.pos = self._arrive(x, x.body, cp.label, cp.values)
            label = cp.label
            self._restarted = True    # a loop within one attempt passes here: the lasso detector looks
            x.pending = x.gen.send(None)
        if type(x.pending) is not Step:
            raise DesignMisuse(not_a_step(x.gen, x.pending))
        if label is not None:
            self.positions.audit(t, x.pos, label, x.pending)

    def _arrive(self, x, body, label: str, values) -> int:
        """Thread x's position at a checkpoint: the body's past and the declared values (their
        stamps are the thread's only stamps from here on)."""
        x.stamps = []
        split = stamps.split(values, _SLOTS, x.stamps) if self.domains else values
        try:
            return self.positions.checkpoint(_body(body), label, split)
        except TypeError:
            raise DesignMisuse(f"checkpoint {label!r}: its values must be hashable (numbers, "
                               f"strings, None, tuples), not {values!r}") from None

    def _crash(self, t, exc, tb=True):
        self.outcome = CRASH
        if type(exc) is InevitabilityError:    # not the design's bug in Python: a broken promise
            self.detail = {"thread": t, "error": str(exc), "traceback": "", "kind": "inevitability"}
            return
        text = f"{type(exc).__name__}: {exc}\n"
        if tb:
            # the design's frames only: the runtime's own frames say nothing about the bug
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if os.path.normcase(f.filename) != _THIS_FILE]
            text = ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
                    + "".join(traceback.format_exception_only(exc)))
        self.detail = {"thread": t, "error": f"{type(exc).__name__}: {exc}", "traceback": text.rstrip("\n")}

    def _observe(self) -> None:
        """Read every key through the design, alone, after everyone finished."""
        if self._watch is not None:
            self._watch.ints[2], self._watch.ints[3] = 1, 1
            try:
                self._observe_alone()
            finally:
                self._watch.ints[2] = 0
        else:
            self._observe_alone()

    def _observe_alone(self) -> None:
        design = self.design
        keys = list(self.workload.keys)
        for _ in range(3):
            tx = None
            try:
                tx = self._solo(design.begin(self._tid[1]))
                final = {k: self._solo(design.read(tx, k)) for k in keys}
                self._solo(design.commit(tx))
                self.final = final
                if self.output_cell is not None:
                    self.output = self.mem[self.output_cell.index]
                return
            except Abort:
                if tx is not None:
                    try:
                        self._solo(design.abort(tx))
                    except BaseException as exc:
                        _reraise_if_user_interrupt(exc)
            except _Blocked as b:
                self.final = {"__blocked__": str(b)}
                return
            except DesignMisuse:
                raise
            except BaseException as exc:
                _reraise_if_user_interrupt(exc)
                self._crash(1, exc)
                return
        self.final = {"__blocked__": "a transaction running alone aborted three times in a row"}

    def _solo(self, r):
        if type(r) is not GeneratorType:
            return r
        value = None
        while True:
            try:
                step = r.send(value)
            except StopIteration as stop:
                return stop.value
            if type(step) is Checkpoint:
                value = None
                continue
            if type(step) is not Step:
                raise DesignMisuse(not_a_step(r, step))
            if not is_enabled(step, 1, self.mem):
                if step.op == ACQUIRE:
                    raise _Blocked(f"after every thread finished, {step.obj.name} is still held by "
                                   f"thread {self.mem[step.obj.index]}")
                raise _Blocked("after every thread finished, a transaction running alone blocks")
            # (a choice: its first alternative; the observer runs alone and only reads)
            value = 0 if step.op == CHOOSE else apply(step, self._tid[1], self.mem)

    def _start_stamps(self) -> None:
        """Initial memory with the stamps `Machine.stamps` handed out replaced by plain copies (the
        handed-out ones are sealed: a design that kept one must not compare it later), and each
        domain's newest stamp set from them."""
        found: list = []
        self.mem = [_unsealed(v, found) for v in self.mem]
        for s in found:
            s.domain.newest = max(s.domain.newest, s.value)

    # -- views used by strategies, liveness and reports --------------------------------------
    def abstract_state(self) -> tuple:
        """(memory, thread positions) as the strategies and the lasso detector compare states:
        exact, except that stamps are in canonical form (models/stamps.py), which every step the
        design may take cannot tell apart from the real values.

        The memory is (each cell's shape, the canonical numbers of its stamps in order, those of
        the newest stamps): the renamed cells (`stamps.rename`) with the numbers kept apart, so
        that equal keys are equal renamed memories. A cell's shape is kept while the cell holds
        the same object (a step changes one cell; runs resumed from a snapshot share its cache):
        on dstm+polka swap's matrix cell, 456,242 states cost 14.4 s renamed whole, 8.9 s this
        way. A tuple met before in any cell is found by its value (`_met`). Measured on
        dstm+polka transfer's matrix graph (225,809 states, CPU of the whole search, two runs
        each), with resumed runs taking their positions from their snapshots (`_resume`) in all
        but the first figure: 25.8-26.0 s before, 24.2 s with the local states kept as they are
        (`_plain`), 23.3-23.8 s with the tuples met too."""
        if not self.domains:
            return tuple(self.mem), self.thread_positions()
        mem, cache, met = self.mem, self._shapes, self._met
        shapes, found = [], []
        for i, v in enumerate(mem):
            tv = type(v)
            if tv is not tuple and tv is not stamps.Stamp and tv is not list and tv is not dict:
                shapes.append(v)
                continue
            kept = cache[i]
            if kept is not None and kept[0] is v:
                shapes.append(kept[1])
                if kept[2]:
                    found += kept[2]
                continue
            try:
                known = met.get(v) if tv is tuple else None
            except TypeError:         # something unhashable inside: shaped here each time it changes
                known, tv = None, None
            if known is None:
                own, mutable = [], []
                shape = stamps.shape(v, _SLOTS, own, mutable)
                if mutable:           # a list or dict may change in place
                    cache[i] = None
                    shapes.append(shape)
                    found += own
                    continue
                known = (shape, own)
                if tv is tuple:       # (hashable: its lookup above did not raise)
                    if len(met) >= _MAX_MET:
                        met.clear()
                    met[v] = known
            cache[i] = (v, *known)
            shapes.append(known[0])
            found += known[1]
        in_memory = len(found)
        # The threads' positions (`thread_positions`), with the stamps of each one's local state and
        # results after the memory's. A local state without stamps (most: parities, karma) is its
        # own renamed form: one walk to see it, none to collect or rename it (on dstm+polka swap the
        # two walks and the renaming were a third of this method).
        parts = self._thread_parts(found)
        self._parts = (len(self.schedule), parts, found)
        return self._numbered(shapes, found, in_memory, parts)

    def _thread_parts(self, found: list) -> list:
        """`_numbered`'s thread parts, thread by thread, each one's stamps appended to `found`
        (kept for this state's images, which rename them: `_renamed_parts`)."""
        local = getattr(self.design, "local_state", None)
        bounded = self.workload.retries is not None  # then the attempt count steers the thread
        th, parts = self._th, []
        for t in range(1, self.threads + 1):
            x = th[t]
            if x.pending is None:    # a finished thread's last results are no part of the state
                parts.append(None)
                continue
            kept, pos, start = local(t) if local is not None else None, x.pos, len(found)
            if kept is not None and not _plain(kept):
                # its shape (its stamps taken out to `found`, numbered with its results' stamps):
                # hashable, so renamed once per renaming (`_relabeled`), like a plain state
                kept = stamps.shape(kept, _SLOTS, found, [])
            found += x.stamps
            parts.append((x, pos, kept, x.tries if bounded else 0, start, len(found)))
        return parts

    def _renamed_parts(self, found: list, order, names: tuple) -> list:
        """The thread parts of this state's image (`image_state`): `abstract_state`'s at this
        state, for the threads in `order`, each one's position and local state's shape renamed by
        `names`, its stamps (the same, in the same order) appended to `found`. Renamed, not built
        again: a search by symmetry asks for every image of each new state, and dstm+aggressive
        counter, 3 threads, spent a quarter of its time shaping the same local states again for
        each renaming."""
        _, base, base_found = self._parts
        relabel_pos, parts = self.positions.relabel, []
        for t in order:
            part = base[t - 1]
            if part is None:
                parts.append(None)
                continue
            x, pos, kept, tries, start, end = part
            at = len(found)
            found += base_found[start:end]
            parts.append((x, relabel_pos(pos, names), _relabeled(kept, names), tries, at, len(found)))
        return parts

    def _numbered(self, shapes: list, found: list, in_memory: int, parts: list, ranks=None) -> tuple:
        """`abstract_state`'s result from the memory's shapes, every stamp in order (`found`: the
        memory's first `in_memory`, then each thread's), and each thread's part (None when it is
        done, else (thread, position, local state's shape, tries, where its stamps (the local state's,
        then its results') begin and end in `found`)):
        the stamps numbered in canonical form (by `ranks` when given: those of the same stamps)."""
        newest = self._newest()
        if ranks is None:
            ranks = self._ranks(found, newest)
        numbers = _numbers(found, ranks)
        # (a parity's newest is what its bits are numbered against: its thread's number, which an
        # image renames, so kept out, where it would sit in the order of the domains)
        return (tuple(shapes), numbers[:in_memory],
                tuple([ranks[d][n] for d, n in newest.items() if not d.parity_of])), \
            _canonical_parts(parts, numbers)

    def _newest(self) -> dict:
        """Each domain's newest stamp written (a relative domain has none)."""
        return {d: d.newest for d in self.domains if not d.relative}

    def _ranks(self, found: list, newest: dict) -> dict:
        """The canonical ranks of this state's stamps (`found`, the newest ones `newest`), kept
        for its images (`_image_ranks`)."""
        ranks = STAMP_RANKS(found, newest) if self.horizon is None else \
            stamps.horizon_ranks(found, newest, self.horizon)
        self._ranked = (ranks, {})
        return ranks

    def _image_ranks(self, names: tuple) -> dict:
        """The ranks of this state's image under the renaming `names`, for its stamps as they are
        (an image moves stamps, never changes them): this state's ranks (those `abstract_state`
        just gave, a third of `image_state`'s time computed again), but a parity's bits name its
        thread (`2 t + bit`, models/stamps.py), which the image renames: thread t's bits are
        numbered as thread names[t]'s (once per renaming: `image_positions`, then `image_state`)."""
        ranks, images = self._ranked
        if not self._parities:
            return ranks
        out = images.get(names)
        if out is None:
            out = images[names] = dict(ranks)
            for d in self._parities:
                shift = 2 * (int(names[d.parity_of]) - d.parity_of)
                out[d] = {v: n + shift for v, n in ranks[d].items()}
        return out

    def image_state(self, names: tuple, cells: list, order: tuple) -> tuple:
        """`abstract_state` of this state with its threads renamed (explore/symmetry.py): new
        cell i holds old cell `cells[i]`'s value, new thread j stands where old thread
        `order[j - 1]` does, and every thread number (`Tid`) in them is renamed by `names`
        (positions too: `Positions.relabel`). Equal to `abstract_state` of the run that the renamed
        schedule reaches, when the design keeps its promise (`symmetric`); off the hot path, so it
        keeps no caches of its own but those of `abstract_state` at this state, which it renames."""
        mem = [relabel(self.mem[c], names) for c in cells]
        if not self.domains:
            return tuple(mem), self.thread_positions(order, names)
        if self._parts[0] != len(self.schedule):
            self.abstract_state()
        shapes, found = [], []
        for v in mem:
            shapes.append(stamps.shape(v, _SLOTS, found, []))
        in_memory = len(found)
        parts = self._renamed_parts(found, order, names)
        return self._numbered(shapes, found, in_memory, parts, self._image_ranks(names))

    def image_positions(self, names: tuple, order: tuple):
        """The thread positions of `image_state(names, ..., order)` without its memory (a search by
        symmetry asks for the memory only of images whose positions are stored), or None where
        they cannot be had alone: the stamps' ranks are not this state's (no `abstract_state` since
        the last step)."""
        if not self.domains:
            return self.thread_positions(order, names)
        if self._parts[0] != len(self.schedule):
            return None
        found: list = []
        parts = self._renamed_parts(found, order, names)
        return _canonical_parts(parts, _numbers(found, self._image_ranks(names)))

    def lasso_states(self) -> dict:
        """The lasso detector's record: abstract state -> the depth it was seen at (since the
        last commit). Part of what a run's future depends on (strategies/statekey.py)."""
        return self._lasso.seen if self._lasso is not None else {}

    def thread_positions(self, order=None, names: tuple | None = None) -> tuple:
        """Each thread's abstract position: its transaction index, what it has seen
        since its attempt began, and any state the design keeps across attempts (for the
        threads in `order`, every thread number renamed by `names`: `image_state`)."""
        local = getattr(self.design, "local_state", None)
        bounded = self.workload.retries is not None  # then the attempt count steers the thread
        out = []
        for t in order or range(1, self.threads + 1):
            x = self._th[t]
            if x.pending is None:
                out.append(None)
                continue
            kept, pos = local(t) if local is not None else None, x.pos
            if names is not None:
                kept, pos = relabel(kept, names), self.positions.relabel(pos, names)
            out.append((x.k, pos, kept, x.tries if bounded else 0))
        return tuple(out)

    def state_stamps(self) -> list:
        """The stamps `abstract_state` numbers: the memory's, then each running thread's local
        state's and its attempt's results' (not on the hot path: for a search that remaps them,
        explore/horizon.py)."""
        found: list = []
        for v in self.mem:
            stamps.collect(v, found)
        local = getattr(self.design, "local_state", None)
        for t, x in enumerate(self._th[1:], 1):
            if x.pending is not None:
                if local is not None:
                    stamps.collect(local(t), found)
                found += x.stamps
        return found

    def attempting(self) -> list:
        """The threads inside a transaction attempt now: begun, not yet ended."""
        return [t for t in range(1, self.threads + 1)
                if self._th[t].txid is not None and self._th[t].pending not in (None, BEGIN_STEP)]

    def history(self):
        """The `stmcheck.history/1` History of this execution (raises HistoryError)."""
        b = HistoryBuilder(initial=self.workload.keys)
        for e in self.events:
            b.add(e)
        return b.finish()

    def history_doc(self) -> dict:
        return {"format": "stmcheck.history/1", "initial": dict(self.workload.keys), "events": list(self.events)}

    def pending_step(self, t: int):
        """Thread t's next step, not yet taken (None once it has finished)."""
        return self._th[t].pending

    def held_locks(self) -> dict:
        """thread -> names of the locks it holds now."""
        out: dict = {}
        for obj in self.machine.objects:
            if isinstance(obj, Lock) and self.mem[obj.index]:
                out.setdefault(self.mem[obj.index], []).append(obj.name)
        return out

    def waits(self, t):
        """What blocked thread t waits for: [(object name, holder or None)]."""
        step = self._th[t].pending
        if step is None:
            return []
        if step.op == ACQUIRE:
            return [(step.obj.name, self.mem[step.obj.index] or None)]
        if step.op == WAIT:
            return [(o.name, (self.mem[o.index] or None) if isinstance(o, Lock) else None) for o, _ in step.obj]
        return []


#: Fuse BEGIN and END marks into the attempt's steps where the chooser asks (`fuses_marks`); off
#: only to compare with the unfused search in tests.
FUSE_MARKS = True

#: Take a step on a guarded cell together with its thread's step before it, in fused runs (see
#: "Guarded steps merged"); off only to compare with the search that does not, in tests.
MERGE_GUARDED = True

#: How states name stamps: canonically (the default), or `stamps.exact_ranks` to compare the
#: abstraction with the exact search in tests.
STAMP_RANKS = stamps.canonical_ranks

#: Tuples met in memory (`Run._met`: a run's and those of the runs resumed from its snapshots,
#: which share its machine) -> (their shape, their stamps): a cell's value recurs across runs
#: (the states are finite), and finding it there costs a hash and a comparison where
#: `stamps.shape` walks it. Equal values have equal shapes and stamps of equal numbers and
#: domains (memory holds admitted stamps: offset 0, unsealed, so comparing them never raises).
#: Not one table for all runs: each run built from the start has domains of its own, so its
#: values, equal in numbers to another run's, are other keys with the same hashes (a matrix
#: whose table outlived thousands of such runs took twice as long). Bounded: cleared when full.
_MAX_MET = 1 << 16
#: Local states (`local_state`) known to hold no stamp, list or dict (`stamps.plain`). One table
#: for all runs, unlike `_met`: its keys hold no stamps, so they are equal across runs (dstm+polka
#: transfer's graph, three runs each: 22.4-22.9 s with it, 23.1-23.2 s walking every state).
_PLAIN: dict = {}


def _with_alternatives(enabled: list, pending, chooser) -> tuple:
    """The picks at a state where some thread's step is a choice (`machine.choose`): the threads
    that can step, then each chooser's other alternatives (t + a * CHOICE_STRIDE, a > 0), so that a
    search takes each as a transition of its own. `chooser` None: only the log asks. Fairness
    (livelock, starvation) then counts each alternative as a thread of its own: a loop that
    always picks one alternative where another is enabled is not fair."""
    if chooser is not None and not getattr(chooser, "takes_choices", False):
        raise DesignMisuse(getattr(chooser, "choice_refusal", None) or
                           f"the design makes choices (machine.choose), which the {getattr(chooser, 'name', '?')} "
                           f"strategy does not explore: use --strategy graph (or random, or a replay)")
    if len(pending) > CHOICE_STRIDE:     # (index 0 unused: more than CHOICE_STRIDE - 1 threads)
        raise DesignMisuse(f"a design that makes choices (machine.choose) runs at most {CHOICE_STRIDE - 1} threads")
    out = list(enabled)
    for t in enabled:
        s = pending[t]
        if s.op == CHOOSE:
            out.extend(t + a * CHOICE_STRIDE for a in range(1, s.a))
    return tuple(out)


def restricted_choices(enabled, starved) -> tuple:
    """The choices left where an unfair loop keeps the next one to its starved threads (`execute`)."""
    return tuple(t for t in enabled if t in starved) or enabled


def _plain(kept) -> bool:
    """`stamps.plain(kept)`, remembered for the plain ones (most: parities, karma). Only plain ones
    are kept, so a lookup never compares two stamps; an unhashable state is walked each time."""
    try:
        if kept in _PLAIN:
            return True
    except TypeError:
        return stamps.plain(kept)
    if not stamps.plain(kept):
        return False
    if len(_PLAIN) >= _MAX_MET:
        _PLAIN.clear()
    _PLAIN[kept] = True
    return True

_SLOTS: dict = {}   # domain name -> its Slot in interned positions (`stamps.split`)
_CHECKPOINT = type("CheckpointMark", (), {"__repr__": lambda self: "<checkpoint>"})()   # no result equals it


#: Plain local states renamed (`_relabeled`): (state, names) -> the state renamed. A search by
#: symmetry renames every thread's state once per renaming at every new state (dstm+polite
#: counter, 3 threads: 9% of the search walking them again). Bounded like `_PLAIN`.
_RELABELED: dict = {}


def _relabeled(kept, names: tuple):
    """`relabel(kept, names)` for a plain (hashable, stampless) local state, remembered. Keyed as
    `Positions` interns results, by equality: a `Tid` and the plain number equal to it are one
    key, in both tables (a symmetric design keeps thread numbers where it keeps no other numbers)."""
    key = (kept, names)
    try:
        out = _RELABELED.get(key)
    except TypeError:          # plain but unhashable (a set): renamed each time
        return relabel(kept, names)
    if out is None:
        if len(_RELABELED) >= _MAX_MET:
            _RELABELED.clear()
        out = _RELABELED[key] = relabel(kept, names)
    return out


def _numbers(found: list, ranks: dict) -> tuple:
    """The canonical number of each stamp in `found` (by its domain's `ranks`)."""
    one = next(iter(ranks.values())) if len(ranks) == 1 else None   # the common case: one domain
    return tuple([one[s.value] for s in found] if one is not None else [ranks[s.domain][s.value] for s in found])


def _canonical_parts(parts: list, numbers: tuple) -> tuple:
    """The thread positions of `Run._numbered`: each part (`Run._thread_parts`) with its stamps
    numbered (`numbers`: those of its local state's shape, then of its results)."""
    canon = []
    for part in parts:
        if part is None:
            canon.append(None)
            continue
        x, pos, kept, tries, start, end = part
        canon.append((x.k, pos, kept, tries, numbers[start:end]))
    return tuple(canon)


def _signature(step: Step) -> tuple:
    """What the checkpoint audit compares of a step: its operation, objects and plain operands
    (stamps and wait predicates are left out: their values are compared by the state)."""
    ops = tuple(v for v in (step.a, step.b) if not callable(v) and not stamps.has_stamp(v))
    objs = tuple(o.name for o, _ in step.obj) if step.op == WAIT else (step.obj.name if step.obj is not None else "",)
    return step.op, objs, ops


def _show(sig: tuple) -> str:
    op, objs, ops = sig
    return f"{OP_NAMES[op]} {' or '.join(objs)}" + (f" with {ops!r}" if ops else "")


def _unsealed(value, found: list):
    t = type(value)
    if t is stamps.Stamp:
        value = stamps.Stamp(value.value, value.domain)
        found.append(value)
        return value
    if t is tuple:
        return tuple(_unsealed(x, found) for x in value)
    return value


class _Blocked(Exception):
    pass


class _Again:
    """The chooser of `Run._fill_logs`: the steps a schedule names, one by one, then none."""
    fair = True
    takes_choices = True

    def __init__(self, schedule: list):
        self.schedule = schedule

    def pick(self, run, enabled):
        d = len(run.schedule)
        if d >= len(self.schedule) or self.schedule[d] not in enabled:
            return None
        return self.schedule[d]


_LOCAL, _SEEN, _OWN = 3, 4, 8      # where a running thread's snapshot tuple keeps its stamps (`Run.snapshot`)


class Snapshot:
    """A run's state as `Run.snapshot` keeps it for `Run._resume` (see there); `context` is the
    run's (machine, design, outside cells, output cell, kept cell shapes, tuples met, positions
    table), which the resumed run uses as its own (the positions table must be its own already)."""
    __slots__ = ("context", "mem", "newest", "threads", "commits", "inevitable", "at")

    def __init__(self, context, mem, newest, threads, commits, inevitable, at):
        self.context, self.mem, self.newest, self.threads = context, mem, newest, threads
        self.commits, self.inevitable = commits, inevitable
        #: Where it was taken: (the snapshot that run resumed from or None, that run's schedule,
        #: its length then); `prefix` spells the schedule out only when asked (seldom), not at
        #: every snapshot (measured with a snapshot at every state, cyclic dstm+karma swap:
        #: 8.9 s with the bytes made each time, 8.6 s without).
        self.at = at

    def held_stamps(self) -> list:
        """The stamps its threads keep to be started again: their local states and the results
        their attempts got (which `Run.state_stamps` may lack: a checkpoint drops a thread's
        results from its state)."""
        found: list = []
        for saved in self.threads:
            if len(saved) == 1:
                stamps.collect(saved[0], found)
            else:
                stamps.collect(saved[_LOCAL], found)
                stamps.collect(saved[_SEEN], found)
        return found

    def remapped(self, table: dict) -> "Snapshot":
        """This state with each stamp of a domain in `table` ({value: new value}) given its new
        value (`stamps.remap`), in memory and in what its threads keep; with no path from the
        start (`prefix` is empty: such a state may be one no run reached)."""
        def re(v):
            return stamps.remap(v, table)
        threads = tuple([(re(saved[0]),) if len(saved) == 1 else
                         (*saved[:_LOCAL], re(saved[_LOCAL]), tuple([re(r) for r in saved[_SEEN]]),
                          *saved[_SEEN + 1:_OWN], tuple([re(s) for s in saved[_OWN]]))
                         for saved in self.threads])
        return Snapshot(self.context, tuple([re(v) for v in self.mem]), self.newest, threads, self.commits,
                        self.inevitable, (None, [], 0))

    def prefix(self) -> bytes:
        """The schedule from the initial state to this state, one byte a step."""
        parts, at = [], self.at
        while True:
            origin, schedule, n = at
            parts.append(bytes(schedule[:n]))
            if origin is None:
                return b"".join(reversed(parts))
            at = origin.at


_NOT_AGAIN = ("the design or workload is not deterministic, or the design keeps state across attempts that its "
              "local_state leaves out")


class _Arrived:
    """A checkpoint a thread passed in a fast-forward (`Run._fast_forward`): the body's past then, its
    label and declared values, for `Run._settle` to intern."""
    __slots__ = ("body", "label", "values")

    def __init__(self, body: tuple, label: str, values):
        self.body, self.label, self.values = body, label, values


_interrupted = False   # set by `user_interrupts`' handler: the user pressed ^C
_interrupted_at = 0.0  # when (time.monotonic)
#: Seconds within which a second SIGINT is the same ^C: a terminal sends it to an isolated worker
#: (isolation.py) and to stmcheck, which passes it on to the worker too.
SAME_INTERRUPT = 2.0

#: In an isolated worker (isolation.py), the memory where every run reports its progress.
WATCH = None


def _reraise_if_user_interrupt(exc: BaseException) -> None:
    """A KeyboardInterrupt is the user's (re-raised) when it came through `user_interrupts`' handler;
    any other, raised by a design, is the design's crash like any exception."""
    if isinstance(exc, KeyboardInterrupt) and _interrupted:
        raise exc


@contextmanager
def user_interrupts():
    """While exploring, tell a ^C from a design's own KeyboardInterrupt: a SIGINT sets a flag
    before it raises. Only in the main thread (where Python delivers signals)."""
    global _interrupted
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        global _interrupted, _interrupted_at
        now = time.monotonic()
        if _interrupted and now - _interrupted_at < SAME_INTERRUPT:
            return                       # the same ^C, received twice
        _interrupted, _interrupted_at = True, now
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted = False


_HINTS = {Cell: "did you mean `.load()` (or `.store(v)`, `.cas(old, new)`, `.fetch_add(n)`)?",
          Lock: "did you mean `.acquire()` (or `.try_acquire()`, `.release()`, `.holder()`)?"}


def not_a_step(gen, value) -> str:
    """Why `value`, yielded by the generator `gen` runs, is not a step: which method of the
    design yielded it (the innermost generator of the chain), what it is, and a hint."""
    while getattr(gen, "gi_yieldfrom", None) is not None and type(gen.gi_yieldfrom) is GeneratorType:
        gen = gen.gi_yieldfrom
    code = getattr(gen, "gi_code", None)
    where = f"`{code.co_qualname}`" if code is not None and os.path.normcase(code.co_filename) != _THIS_FILE \
        else "a method"
    if value is None:
        what, hint = "a bare `yield` (None)", "yield a step, e.g. `v = yield cell.load()`"
    elif type(value) is GeneratorType:
        what, hint = "a generator", "did you mean `yield from` (to run a helper that yields steps)?"
    else:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        what = shown if shown.startswith(type(value).__name__) else f"{type(value).__name__} {shown}"
        hint = next((h for cls, h in _HINTS.items() if isinstance(value, cls)),
                    "yield only machine steps: cell.load(), cell.store(v), lock.acquire(), wait_any(...)")
    return f"{where} yielded {what}, not a machine step; {hint}"


__all__ = ["Run", "HistoryError", "COMPLETE", "DEADLOCK", "LIVELOCK", "MAX_STEPS", "CRASH", "CUT", "STOPPED",
           "STARVATION", "PROGRESS"]
