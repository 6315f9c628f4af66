"""Contention managers: who gives way when two transactions want the same object.

A design that detects a conflict (`eager`, `dstm`) asks its manager
``resolve(me, other, rounds)`` and gets one of

- `ABORT_OTHER`: abort the enemy (the design marks it aborted);
- `ABORT_SELF`: abort the running attempt;
- ``Wait(n)``: back off for n steps (re-checking the conflict), then ask again
  with ``rounds + 1``; ``Wait(None)`` blocks until the enemy finishes (or
  starts waiting, for Greedy) or this transaction is itself aborted.

``me`` and ``other`` are `Party` records: the published priority (karma or
timestamp, see `Priorities`) and whether the transaction is waiting. Backoff is
counted in steps, never in time, so exploration stays deterministic; a backoff
is bounded, so a manager never spins forever. The managers are those of
Scherer and Scott, "Advanced contention management for dynamic software
transactional memory" (PODC 2005), with Greedy from Guerraoui, Herlihy and
Pochon (PODC 2005), as compared by Spear, Dalessandro, Marathe and Scott, "A
comprehensive strategy for contention management in software transactional
memory" (PPoPP 2009).

`any` (`AnyManager`) decides nothing itself: the explorer picks each decision
(`machine.choose`), so that one state graph covers aggressive, polite, karma and
polka at once, whose own 3-thread graphs are out of reach; what holds there holds
for them (the class says why, tests/implementations/test_any_manager.py checks
it run by run).

Everything a manager keeps across the attempts of one transaction (karma, a
kept timestamp) lives in shared cells or in `Priorities.local_state`, which
the designs return from their ``local_state`` hook: the livelock detector sees
it, so a proven lasso stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ABORT_OTHER, ABORT_SELF = "abort-other", "abort-self"


@dataclass(frozen=True)
class Wait:
    """Back off `steps` steps, then ask again; None: block until the conflict clears."""
    steps: int | None = None


@dataclass(frozen=True)
class Party:
    """What one side of a conflict shows the manager."""
    prio: int = 0          # karma (higher wins) or timestamp, a stamp (lower = older wins)
    waiting: bool = False  # blocked in a Wait(None) (published by Greedy only)


class Manager:
    """Base: no priority, never waits visibly. Subclasses define `resolve`."""

    name = "?"
    about = ""
    priority: str | None = None   # "karma" or "timestamp": what `Priorities` publishes
    keeps_timestamp = False       # a retry keeps its first attempt's timestamp (Greedy)
    shows_waiting = False         # a waiter publishes that it waits and may be aborted
    #: The decisions the explorer picks among (`machine.choose`), for a manager that does not
    #: `resolve` by itself (`AnyManager`); None: `resolve` decides.
    alternatives: tuple | None = None
    reads_rounds = True           # `resolve` reads how many rounds it backed off: count them

    def resolve(self, me: Party, other: Party, rounds: int):
        raise NotImplementedError


class Aggressive(Manager):
    """Always abort the enemy (Scherer and Scott 2005; DSTM's default)."""

    name, about = "aggressive", "abort the other transaction at once"

    def resolve(self, me, other, rounds):
        return ABORT_OTHER


class Passive(Manager):
    """Always abort self (Scherer and Scott's "Timid"/passive): the enemy goes on."""

    name, about = "passive", "abort yourself, then wait for the other to finish"

    def resolve(self, me, other, rounds):
        return ABORT_SELF


class Polite(Manager):
    """Exponential backoff, `limit` rounds of 2**round steps, then abort the enemy
    (Scherer and Scott 2005 use 8 rounds of 2**(n+k) ns; the model's bound is small
    so that exhaustive exploration stays cheap: the decisions are the same kind)."""

    name, about = "polite", "back off 1, 2, ... steps a bounded number of rounds, then abort the other"

    def __init__(self, limit: int = 2):
        self.limit = limit

    def resolve(self, me, other, rounds):
        return Wait(2 ** rounds) if rounds < self.limit else ABORT_OTHER


class Karma(Manager):
    """Priority = objects opened, accumulated across the retries of one transaction
    and reset at commit; abort the enemy when my karma plus the rounds I have
    waited on this conflict exceeds its karma, else wait one step (Scherer and
    Scott 2005). Karma saturates at `Priorities.KARMA_CAP` in the model (a real
    counter is bounded by its word): unbounded karma would make every state new,
    so a livelock could never be proven, only suspected."""

    name, about = "karma", "priority = work done (kept across retries); abort the other once karma + waits exceeds its"
    priority = "karma"

    def resolve(self, me, other, rounds):
        return ABORT_OTHER if me.prio + rounds > other.prio else Wait(1)


class Polka(Manager):
    """Karma's priority with Polite's exponential backoff: wait up to (their karma -
    my karma) rounds of 2**round steps, then abort the enemy (Scherer and Scott 2005,
    the best all-round manager of their study)."""

    name, about = "polka", "karma with exponential backoff: wait karma-difference rounds, then abort the other"
    priority = "karma"

    def resolve(self, me, other, rounds):
        return ABORT_OTHER if rounds >= other.prio - me.prio else Wait(2 ** rounds)


class Timestamp(Manager):
    """The older attempt wins: abort a younger enemy, wait for an older one
    (Scherer and Scott 2005). Each attempt takes a fresh timestamp (as a retry is a
    new transaction in DSTM); that is what separates it from Greedy. The paper's
    "possibly defunct" flag guards against preempted enemies, which the model,
    whose scheduler is fair, does not need: the wait blocks until the enemy ends."""

    name, about = "timestamp", "older attempt wins, the younger waits (fresh timestamp each attempt)"
    priority = "timestamp"

    def resolve(self, me, other, rounds):
        return ABORT_OTHER if me.prio < other.prio else Wait(None)


class Greedy(Manager):
    """Guerraoui, Herlihy and Pochon's Greedy (PODC 2005): a transaction keeps the
    timestamp of its first attempt across retries; it aborts an enemy that is
    younger or is itself waiting, and otherwise waits (visibly, so it may be
    aborted while it waits). The oldest transaction never waits and never gets
    aborted, so some transaction always commits: no livelock, no starvation."""

    name, about = "greedy", "older transaction wins and keeps its timestamp across retries; waiters can be aborted"
    priority = "timestamp"
    keeps_timestamp = True
    shows_waiting = True

    def resolve(self, me, other, rounds):
        return ABORT_OTHER if other.waiting or me.prio < other.prio else Wait(None)


class AnyManager(Manager):
    """Whatever aggressive, polite, karma and polka may decide, the explorer picks: abort the
    enemy (`ABORT_OTHER`) or back off no steps and ask again (``Wait(0)``), at every conflict.
    A model that stands for the four at once, to prove what holds for all of them where their
    own state graphs are out of reach (their priorities and back-off counts multiply the states).

    Why it does: map a run of the design with one of the four to a run with this one by
    dropping the steps only managers take (loads and stores of published karma, the re-checks
    of a back-off) and putting the explorer's pick where the manager decided. Each of the four
    decides ABORT_OTHER or ``Wait(n)`` (n re-checks, then the design's check that it is still
    alive, then a new round); dropped, the re-checks leave ``Wait(0)``. The steps dropped
    touch no cell the designs' other steps read (priority cells; loads change nothing), so every
    other step reads and writes what it did: the history, the final memory and the output are
    the same, and so is every blocking step, so a deadlock maps to a deadlock. Hence where this
    manager's graph says serializable, strictly serializable, opaque, deadlock-free or
    GIL-equivalent, each of the four is too. Not so for livelock (a loop that always picks
    ``Wait(0)`` is this model's, not theirs) nor for violations, which need a counterexample of
    the design itself. DSTM publishes karma in its status words, which makes two more outcomes
    possible there (dstm.py, `_decide`); eager keeps it in cells of its own.

    The rounds are not counted (`reads_rounds`): a decision reads none of them, and a round that
    changed nothing then meets its own state again."""

    name, about = "any", ("abort the other or back off, as the explorer picks: stands for aggressive, polite, "
                          "karma and polka at once (graph search only)")
    alternatives = (ABORT_OTHER, Wait(0))
    reads_rounds = False

    def resolve(self, me, other, rounds):
        raise TypeError("the any manager decides nothing itself: the design asks the explorer "
                        "(machine.choose among `alternatives`)")


MANAGERS = {m.name: m for m in (Aggressive, Passive, Polite, Karma, Polka, Timestamp, Greedy, AnyManager)}
#: The managers `AnyManager` stands for (its over-approximation, see there).
STOOD_FOR = ("aggressive", "polite", "karma", "polka")


def round_key(rounds: int, last) -> tuple:
    """What a conflict loop keeps of its rounds and last enemy at its head (its checkpoint): a design
    asks ``resolve(me, other, rounds)`` and starts the rounds again at 0 when the enemy is not
    `last`, so `last` is nothing while the rounds are 0 (the loop goes on alike whoever it was).
    Rounds grow only in backoff (polite, karma, polka); for the other managers this is always
    (0, None): a round that aborted or waited for an enemy meets the states of a first try again
    (eager counter, 3 threads: 174,131 places against 219,049)."""
    return rounds, (last if rounds else None)


def make_manager(name: str) -> Manager:
    """A fresh manager; ValueError naming the known ones for an unknown name."""
    if name not in MANAGERS:
        raise ValueError(f"unknown contention manager {name!r}: expected one of {', '.join(MANAGERS)}")
    return MANAGERS[name]()


DEFAULT_MANAGER = "greedy"


class Managed:
    """A design with a pluggable contention manager (eager, dstm): `manager_name` picks
    it, `self.cm` is built from it by the design."""

    manager_name = DEFAULT_MANAGER
    #: Its manager has the explorer pick its decisions (`AnyManager`): the graph search explores it.
    chooses = False

    @classmethod
    @lru_cache(maxsize=None)
    def with_manager(cls, name: str):
        """This design with contention manager `name` (one class per name; ValueError if unknown)."""
        manager = make_manager(name)
        return type(f"{cls.__name__}[{name}]", (cls,), {"manager_name": name, "__module__": cls.__module__,
                                                         "chooses": manager.alternatives is not None})


class Priorities:
    """The shared side of a manager: one priority cell per thread and a ticket clock.

    Karma: +1 per object opened (capped), kept on abort, reset at commit.
    Timestamp: a ticket (a stamp of domain "tickets") from the clock at each
    begin; Greedy only at the first attempt of a transaction. Only thread t
    writes its cell, so t keeps a private copy; that copy and the "retrying"
    flag are `local_state(t)`.
    A design cannot tell a given-up transaction (workload `--retries`) from one
    that will be retried, so the next transaction then inherits the old ticket.
    With ``cells=False`` the design publishes `mine` itself (DSTM keeps it in
    the status word, saving a step per conflict); `begin`, `opened` and
    `committed` then only update `mine`.
    """

    KARMA_CAP = 4

    def __init__(self, machine, threads: int, manager: Manager, cells: bool = True):
        self.manager = manager
        self.kind = manager.priority
        self.publish = bool(cells and self.kind)
        # Timestamps are stamps (models/stamps.py), domain "tickets", gap 0: they are only
        # ordered (lower = older wins), and each is taken by fetch-and-add from the clock, which
        # holds the newest; the explorer may then forget how many tickets were drawn. The clock
        # starts at 1, a published priority at 0 (never compared: a thread publishes its ticket
        # at begin, before it can be anyone's enemy; DSTM's status words start with a plain 0
        # there, as harmless).
        # Karma is no stamp: it grows by one from a thread's own karma, not from the newest karma
        # of all threads, and is reset to 0 at commit, which rule 3 of stamps rejects. It stays a
        # plain int, kept finite by KARMA_CAP instead.
        zero = machine.stamps("tickets") if self.kind == "timestamp" else 0
        self.cells = {t: machine.cell(f"prio{t}", zero, of_thread=t) for t in range(1, threads + 1)} \
            if self.publish else {}
        self.clock = machine.cell("tickets", zero + 1) if self.kind == "timestamp" else None
        self.mine = {t: 0 for t in range(1, threads + 1)}
        self.retrying = {t: False for t in range(1, threads + 1)}

    def local_state(self, thread):
        return (self.mine[thread], self.retrying[thread])

    def set_local_state(self, thread, state):
        self.mine[thread], self.retrying[thread] = state

    def begin(self, thread):
        if self.kind == "timestamp" and not (self.manager.keeps_timestamp and self.retrying[thread]):
            ticket = yield self.clock.fetch_add(1)
            self.mine[thread] = ticket
            if self.publish:
                yield self.cells[thread].store(ticket)

    def opened(self, thread):
        if self.kind == "karma" and self.mine[thread] < self.KARMA_CAP:
            self.mine[thread] += 1
            if self.publish:
                yield self.cells[thread].store(self.mine[thread])

    def committed(self, thread):
        self.retrying[thread] = False
        if self.kind == "karma" and self.mine[thread]:
            self.mine[thread] = 0
            if self.publish:
                yield self.cells[thread].store(0)

    def aborted(self, thread):
        self.retrying[thread] = True

    def me(self, thread) -> Party:
        return Party(self.mine[thread])

    def other(self, thread, waiting=False):
        """The enemy's Party (one load of its priority cell when the manager uses one)."""
        prio = (yield self.cells[thread].load()) if self.kind else 0
        return Party(prio, waiting)
