"""`eager`, `eager+MANAGER`: encounter-time locking, undo log, a pluggable
contention manager (implementations/contention.py). Plain `eager` uses Greedy.

Algorithm: every key has a lock, taken (try-acquire) the first time a
transaction reads or writes it and held to commit (strict two-phase locking:
serializable and opaque). Writes go to memory in place, the old value to an
undo log that `abort` replays backwards. Each thread has a status cell
(active, waiting, aborted); a transaction checks its own before each access
and at commit. On meeting a key locked by another, it asks the manager:
abort the owner (mark it aborted, then block until the lock is free or it is
itself aborted), abort itself (then, after undoing, block until that lock is
free, so a retry is not a spin), back off n steps re-checking the lock, or
block until the owner lets go (Greedy first publishes that it waits, so it
may be aborted meanwhile).

Verdicts with 2 threads, one transaction each (the registry holds them): every
manager is opaque. aggressive, polite, karma and polka livelock on transfer,
swap and counter: two transactions that take the same keys in opposite
orders (or both the counter) abort each other forever, and a fair schedule
repeats the state exactly (karma saturates, see contention.Karma). Backoff
counted in steps cannot help: a fair but adversarial schedule lets the owner
sit still while its enemy backs off. passive livelocks on transfer and swap
(both give way, both retry) but not on counter: with one key the owner never
meets a conflict, so it commits. timestamp and greedy are clean: the older
transaction always wins. With three threads, timestamp livelocks on transfer
(once the third has committed), write-skew, ww-pathology and the random program
(the 3-thread state graphs, each ended: registry `WITH_THREE_THREADS`, `EAGER_GRAPHS`):
two attempts abort each other at once, each deciding on the other's fresh
ticket while itself already aborted, and both restart younger, round after
round; Greedy, whose ticket survives the abort, does not (its 3-thread graphs
end clean on every workload but dict-update, past 950,000 states in two
minutes). Greedy is the default: the oldest transaction never waits and is
never aborted, so its guarantee covers every workload. Their
tickets are stamps (contention.Priorities, models/stamps.py): the explorer
may forget how many were drawn (timestamp draws one per attempt, so a retry
loop can meet its states again; greedy one per transaction).

`eager+any` (contention.AnyManager) lets the explorer pick each decision, abort the
owner or back off no steps and ask again: its state graph stands for aggressive, polite,
karma and polka at once (their priority cells and back-off re-checks are the only steps it
lacks), so where it holds, their history criteria, deadlock-freedom and gil hold too
(checker/matrix.py, `lift`), though their own 3-thread graphs are out of reach.

Two fixes exploration forced (both were deadlocks with greedy/timestamp):
a winner that aborted an owner and waits for its lock could lose the lock to
the owner's own retry, and then wait forever while the younger retry waited
for it. So a winner publishes the key it claims (`claim` cells), a loser
waits after its abort until the winner no longer claims a key it released,
and a waiter wakes whenever the lock changes hands, not only when it is free.
A third (the matrix found it: timestamp on dict-update): an abort can hit an
attempt that already released everything; the owner's next attempt then takes
the lock unaware, and the winner, waiting for the lock to leave that thread,
waits forever. So the winner also wakes when the owner restarts, and asks again.
A fourth (with three threads, once checkpoints let a loop within one attempt
recur and the lasso close): a third transaction took the lock in the moment
the aborted owner let go, the winner aborted it in turn, and the lock went
back and forth between the two younger ones for ever. So, with three threads
or more, a younger transaction waits out an older one's claim before it tries
a key (`_yield`). A fifth (timestamp, three threads; the 3-thread state graph met
it at 10^6 states on transfer, write-skew, dict-update, ww-pathology and random): a waiter's owner,
aborted by a third thread, let go, restarted younger and took the lock again
before the waiter ran; the waiter, older now, went on waiting for the holder to
change while the owner waited for it. So a waiter also wakes when its owner
draws a new ticket, and asks again (`_block`).

Inevitability (`become_inevitable`, before I/O inside a transaction), as stmgc
does it: one global token, a lock taken (abortably: while waiting for it the
attempt can still be aborted) by the attempt that must not abort, and released
at its commit. An inevitable attempt ignores the abort marks others leave in its
status (the aborter then waits for the lock as for any owner that lets go only
at commit) and asks no manager: it aborts whoever holds a key it needs and waits
for the lock. The others run as before, step for step: only the token's free
lock is new in memory.
"""

from __future__ import annotations

from stmcheck.models.machine import Abort, FREE, Machine, checkpoint, choose, read_all, wait_any
from stmcheck.models.threadids import Tid

from .contention import ABORT_OTHER, ABORT_SELF, Managed, Priorities, make_manager, round_key
from .inplace import InPlace

ACTIVE, WAITING, ABORTED = "active", "waiting", "aborted"   # a status; aborted is stored as (ABORTED, by)


class _Tx:
    __slots__ = ("thread", "held", "undo", "blocked_by", "claim", "aborted_by", "inevitable")

    def __init__(self, thread):
        self.thread = thread
        self.held = []
        self.undo = []          # (key, old value), oldest first
        self.blocked_by = None  # the key whose lock an abort-self gave way to
        self.claim = None       # the key whose owner this attempt aborted, until it gets the lock
        self.aborted_by = None  # the thread that aborted this attempt
        self.inevitable = False # holds the token until its commit (become_inevitable)


class Eager(Managed, InPlace):
    undo = True   # eager-no-undo switches the undo log off
    symmetric = True   # (`_yield` reads the claims in one step: see there)

    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = {k: machine.lock(f"lock({k})") for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.locks[k]) for k, v in keys.items()}
        self.status = {t: machine.cell(f"status{t}", ACTIVE, of_thread=t) for t in range(1, threads + 1)}
        self.claims = {t: machine.cell(f"claim{t}", None, of_thread=t) for t in range(1, threads + 1)}
        self.token = machine.lock("inevitable")
        self.cm = make_manager(self.manager_name)
        self.prio = Priorities(machine, threads, self.cm)
        #: A waiter also wakes when its owner draws a new ticket (`_block`): fresh tickets only.
        self.wakes_on_ticket = self.prio.kind == "timestamp" and not self.cm.keeps_timestamp
        # With three threads or more, a key claimed by an older winner is left to it (see `_yield`).
        # (Tids: a claimer chosen is kept in a checkpoint, which a search by symmetry renames)
        self.others = {t: [Tid(u) for u in range(1, threads + 1) if u != t] for t in range(1, threads + 1)} \
            if threads > 2 and self.cm.priority == "timestamp" else None
        #: Each thread's one step of `_yield`: the others' claims, then their tickets (made once).
        self.boards = {t: read_all(*[self.claims[u] for u in us], *[self.prio.cells[u] for u in us])
                       for t, us in self.others.items()} if self.others is not None else None
        #: A lock found free between the try and the question is claimed too (`_own`), where claims
        #: are read (`_yield`); a switch of its own, so that a test can show the lasso without it.
        self.claims_free_lock = self.others is not None

    def local_state(self, thread):
        return self.prio.local_state(thread)

    def set_local_state(self, thread, state):
        self.prio.set_local_state(thread, state)

    def begin(self, thread):
        yield self.status[thread].store(ACTIVE)
        yield from self.prio.begin(thread)
        return _Tx(thread)

    def _alive(self, tx):
        st = yield self.status[tx.thread].load()
        if _aborted(st) and not tx.inevitable:
            tx.aborted_by = st[1]
            raise Abort(f"aborted by thread {st[1]}")

    def become_inevitable(self, tx):
        """Take the token; an attempt aborted while it waits for it aborts (not inevitable yet)."""
        if tx.inevitable:
            return
        mine = self.status[tx.thread]
        while True:
            yield checkpoint("inevitable", tuple(tx.held), tuple(tx.undo), tx.claim,
                             self.prio.local_state(tx.thread))
            yield from self._alive(tx)
            if (yield self.token.try_acquire()):
                tx.inevitable = True
                return
            yield wait_any((self.token, _free), (mine, _aborted))

    def _own(self, tx, key):
        if key in tx.held:
            return
        lock, me = self.locks[key], tx.thread
        mine = self.status[me]
        rounds, last = 0, None
        while True:
            # the loop can go round for ever within one attempt (an owner aborted, restarted and
            # locking again): what it depends on, so that its states recur (machine.checkpoint)
            head = (key, *round_key(rounds, last), tuple(tx.held), tuple(tx.undo), tx.claim)
            yield checkpoint("own", *head)
            if self.others is not None and not tx.inevitable and (yield from self._yield(tx, key, head)):
                continue
            if (yield lock.try_acquire()):
                tx.held.append(key)
                if tx.claim is not None:
                    tx.claim = None
                    yield self.claims[me].store(None)
                yield from self.prio.opened(me)
                return
            owner = yield lock.holder()
            if owner == FREE:
                # let go between our try and our question (its holder was aborted): with three
                # threads the oldest lost this race round after round while the two others,
                # both waiting for it, aborted each other (a proven lasso, eager on transfer);
                # a claim makes the younger ones leave the key to it (`_yield`)
                if self.claims_free_lock and tx.claim != key:
                    tx.claim = key
                    yield self.claims[me].store(key)
                continue
            if owner != last:
                rounds, last = 0, owner
            if tx.inevitable:       # it asks no manager: the owner gives way
                decision = ABORT_OTHER
            else:
                waiting = self.cm.shows_waiting and (yield self.status[owner].load()) == WAITING
                other = yield from self.prio.other(owner, waiting)
                choices = self.cm.alternatives
                decision = self.cm.resolve(self.prio.me(me), other, rounds) if choices is None \
                    else choices[(yield choose(len(choices)))]
            # the owner's priority outlives the decision only where a waiter wakes when it draws a
            # new ticket (`_block`, timestamp): elsewhere it is forgotten with the rest
            ticket = other.prio if self.wakes_on_ticket and not tx.inevitable and decision != ABORT_OTHER \
                else None
            # what the rest of the round uses (`last` is the owner): the owner's status word and
            # the failed try are forgotten (eager+timestamp counter, 3 threads: 187,558 places
            # against 207,811)
            yield checkpoint("conflict", key, rounds, last, tuple(tx.held), tuple(tx.undo), tx.claim, decision, ticket)
            if decision == ABORT_OTHER:
                if tx.claim != key:
                    tx.claim = key
                    yield self.claims[me].store(key)
                yield self.status[owner].store((ABORTED, me))
                # until the owner lets go (someone else may grab the lock first: then ask again),
                # or it has restarted: the abort may have hit an attempt that held nothing, and
                # its next attempt may hold the lock again, unaware (then ask again, too); an
                # inevitable attempt ignores abort marks, so it does not wake for one
                wake = ((lock, lambda v: v != owner), (self.status[owner], _restarted))
                yield wait_any(*wake) if tx.inevitable else wait_any(wake[0], (mine, _aborted), wake[1])
                yield from self._alive(tx)
            elif decision == ABORT_SELF:
                tx.blocked_by = key
                raise Abort(f"{key} is locked by thread {owner}: giving way")
            elif decision.steps is None:
                yield from self._block(tx, lock, owner, ticket)
            else:
                yield from self._backoff(tx, lock, owner, decision.steps)
                if self.cm.reads_rounds:
                    rounds += 1

    def _yield(self, tx, key, head):
        """Wait while an older transaction claims `key` (it aborted the owner and waits for the
        lock); True if it waited. Without this, with three threads, a third transaction took
        the lock in the moment it was free, the winner aborted it and waited again, and the
        lock went back and forth between the two others for ever, the oldest never getting
        it (a livelock the explorer proved once the loop's states could recur). With two
        threads the only claimer is the owner's enemy, whose claim the aborted owner already
        waits out (`abort`), so the extra step is left out there.

        The other threads' claims and tickets are read in one step (`read_all`), as from one
        word holding them all (a board of a few threads' key numbers and tickets),
        and the oldest claimer of `key` older than this attempt is the one waited out. Why not
        one load each, in thread order: a thread between two of them has read thread 1's claim
        and not yet thread 3's, a state that no renaming of threads 1 and 3 maps onto one a run
        can reach, so the design could not be searched by symmetry (models/threadids.py).
        What the step read is forgotten at once (`checkpoint`: the loop head's values, `head`, and
        the claimer chosen): its result lists the threads in number order, which a renaming does
        not follow either."""
        me = tx.thread
        others = self.others[me]
        seen = yield self.boards[me]
        mine, n = self.prio.me(me).prio, len(others)
        older = [(ticket, u) for u, claim, ticket in zip(others, seen[:n], seen[n:])
                 if claim == key and ticket < mine]
        claimer = min(older, key=lambda c: c[0])[1] if older else None
        yield checkpoint("yield", *head, claimer)
        if claimer is None:
            return False
        yield wait_any((self.claims[claimer], lambda v: v != key), (self.status[me], _aborted))
        yield from self._alive(tx)
        return True

    def _block(self, tx, lock, owner, ticket=None):
        """Wait(None): until the lock is free, I am aborted, (Greedy) the owner waits too, or
        (timestamp) the owner began another attempt, with a new ticket. Without the last, with
        three threads, an owner aborted by a third could release the lock, restart younger and
        take it again before the waiter was scheduled: the waiter, older now, went on waiting
        for its holder to change while the new attempt waited for a lock the waiter held (a
        deadlock the 3-thread state graph met at 10^6 states on five workloads, past the matrix's
        budget: stmcheck replay eager+timestamp --workload dict-update --threads 3
        --schedule '2*2,3*6,1*2,2*4,1*5,3,1,2,1,2*8,3*4,1,2,1*5,2,3*17,1*8,2*7,3*18,1*3,2').
        Woken so, it asks its manager again, which now has it abort the younger owner."""
        mine = self.status[tx.thread]
        if self.cm.shows_waiting and not (yield mine.cas(ACTIVE, WAITING)):
            yield from self._alive(tx)
        conds = [(lock, lambda v: v != owner), (mine, _aborted)]
        if self.cm.shows_waiting:
            conds.append((self.status[owner], _waiting))
        if ticket is not None:
            conds.append((self.prio.cells[owner], lambda v: v != ticket))
        yield wait_any(*conds)
        if not self.cm.shows_waiting or not (yield mine.cas(WAITING, ACTIVE)):
            yield from self._alive(tx)

    def _backoff(self, tx, lock, owner, steps):
        """Wait(n): n re-checks of the lock (stopping early when it changes hands)."""
        for _ in range(steps):
            if (yield lock.holder()) != owner:
                break
        yield from self._alive(tx)

    def commit(self, tx):
        # undo and claim too: an abort found by `_alive` runs from here (the undo log's old values
        # need not be among the body's reads: a blind write)
        yield checkpoint("commit", tuple(tx.held), tuple(tx.undo), tx.claim, self.prio.local_state(tx.thread))
        yield from self._alive(tx)
        yield from self._release(tx)
        if tx.inevitable:
            yield self.token.release()
        yield from self.prio.committed(tx.thread)

    def abort(self, tx):
        yield checkpoint("abort", tuple(tx.held), tuple(tx.undo), tx.claim, tx.blocked_by, tx.aborted_by,
                         self.prio.local_state(tx.thread))
        if self.undo:
            yield from self._roll_back(tx)
        else:
            tx.undo = []   # eager-no-undo: the in-place writes stay
        released = tuple(tx.held)
        yield from self._release(tx)
        self.prio.aborted(tx.thread)
        if tx.claim is not None:
            yield self.claims[tx.thread].store(None)
        if tx.blocked_by is not None:
            yield wait_any((self.locks[tx.blocked_by], _free))
        elif tx.aborted_by is not None and released:
            # Let the winner take what it claimed first: a retry that grabbed the lock
            # again before the winner was scheduled would make it abort us forever.
            yield wait_any((self.claims[tx.aborted_by], lambda c: c not in released))


def _free(v):
    return v == FREE


def _aborted(v):
    return type(v) is tuple


def _restarted(v):
    return type(v) is not tuple


def _waiting(v):
    return v == WAITING
