"""`dstm`, `dstm+MANAGER`: Dynamic STM (Herlihy, Luchangco, Moir and Scherer,
PODC 2003), obstruction-free, with a pluggable contention manager
(implementations/contention.py). Plain `dstm` uses Greedy.

Algorithm: each key's cell holds a *locator* ``(owner, parity, old, new,
readers, version)``; each thread a status word ``(parity, state, aborted-by,
priority)``, state one of active, waiting, committed, aborted. A key's
current value follows from its owner's state: ``new`` if the owner
committed, ``old`` if it aborted; a live owner is a conflict, and the
manager decides: abort it (one compare-and-swap on its status word), abort
self, back off, or wait. Opening a key for writing installs ``(me, parity,
current, value, ())`` with a CAS on the cell (later writes CAS ``new``).
Commit is one CAS of the own status from active to committed: that makes
every ``new`` current at once. Anyone may abort a transaction at any time by
CAS on its status, so in the algorithm nobody waits for a transaction that has
stopped. This model waits in two places (the loser's wait below, and the
waiting of the managers that wait: greedy, passive, timestamp), so here a
thread that stops inside an attempt can leave another waiting for ever:
`stmcheck explore dstm --progress` shows it for every manager (checker/
explore/progress.py). Without them (`dstm-no-loser-wait`: aggressive, and no
loser's wait) obstruction-freedom comes back, and with it the livelock the
loser's wait prevents (below).

Reads are *visible*: a reader adds itself to the locator's ``readers`` (a
CAS), and a writer must resolve a conflict with every live reader before it
installs its locator. Then, as long as a reader is active, nothing it read
can change, so it checks its own status after each read and needs no
read-set validation: if still active, every value it has read is current at
that step, which makes it opaque. Why not DSTM's invisible reads with
validation at every open: explored that way, `dstm+greedy` livelocks (the
older transaction's reads are invalidated by a younger writer that it then
aborts, forever): Greedy's guarantee assumes the manager sees read-write
conflicts, which only visible reads give it.

A loser waits for the winner: a transaction aborted by another waits, after
cleaning up, until the winner's attempt is over (Spear, Dalessandro, Marathe
and Scott, PPoPP 2009, who wait for the winner too). Without it the
explorer found a livelock no lasso can prove: the loser's retry re-registers
as a reader at once, so the winner's install CAS fails, forever, while the
winner's own attempt never restarts. A transaction that gave way
(`passive`) waits for its enemy's status word to change.

Model details: a DSTM locator is a fresh object, so "the owner of this
locator" is unambiguous. Here a locator is a value; to keep states finite (a
proven livelock needs a repeated state) it names the owner's thread and a
parity bit flipped at each begin, not a unique id, and an owner replaces
its locators by plain ones ``(0, 0, v, v, (), version)`` when it commits or aborts,
before it begins again. A finished transaction's reader entries are left for
the next writer to drop (they are ignored: their status is final or their
parity is old). The parity is a thread's attempt bit (`Machine.parities`,
models/stamps.py): tested for equality only, so the checker numbers each
thread's bits against the newest it wrote, and states that differ only in which
bit the threads are at are one. The matrix's search, 2 threads, places before
and after: dstm+aggressive transfer 123,782 -> 46,532, swap 217,696 -> 78,184;
dstm-no-loser-wait transfer 142,547 -> 47,348; dstm+polite transfer 35,779 ->
22,765; with 3 threads by symmetry, dstm counter 143,244 -> 130,071 (a winner
that waits keeps the attempts, and so the bits, in step).

`dstm+any` (contention.AnyManager) lets the explorer pick each decision and stands for
aggressive, polite, karma and polka at once. DSTM publishes karma in the status words, so two
more picks stand for what karma's words make possible: a new round at once (`AGAIN`, an
abort whose compare-and-swap failed because the enemy's word gained karma) and, after each
open, a check that the attempt is alive (karma's compare-and-swap publishing more, which
fails where the attempt was aborted): `_decide`, `_opened`.

Checkpoints: besides the loop heads (`open`, `conflict`), an attempt declares what it goes on
with where it is done with what it loaded, so that paths that differ only there meet in one
state: `enemy` and `opened` (an enemy's status word, then all of them, read and found
finished), `read` and `written` (the locator is installed), `clean` and `cleaned` (whether
each clean-up compare-and-swap swapped is never looked at). The matrix's search, states
before and after: 2 threads, dstm transfer 2,811 -> 2,513, swap 4,751 -> 3,829;
dstm+aggressive transfer 39,230 -> 29,444, swap 68,002 -> 51,098; dstm+karma transfer
59,974 -> 44,140; 3 threads by symmetry, dstm counter 105,213 -> 82,470 (88,318 without
`enemy`, which changes none of the 2-thread counts above). Verdicts unchanged;
tests/explore/test_checkpoints.py steps over them.

ABA: a value can come back where a fresh object cannot. The state-graph
search found it (dstm+aggressive on dict-update, 139,004 states: not
serializable): a writer loaded a locator whose reader entry ``(2, 0)`` was
stale, the reader thread then began twice (parity 0 again) and registered,
which put the very same value back, and the writer's CAS replaced it without
resolving the live reader, who then read the key's old value after the
writer committed. So every locator carries its cell's version, a stamp
(domain "loc(KEY)", gap 1, models/stamps.py) that each successful CAS
counts up by one from the version it replaces (the newest): a CAS built on
an old load fails, as it would on a replaced object. With greedy and
timestamp the priority in a status word is a ticket, a stamp of domain
"tickets" (contention.Priorities, models/stamps.py), so the explorer may
forget how many were drawn; a status word starts with a plain 0 there, which
nothing compares (a committed status is nobody's enemy). Parities, states and
thread numbers are not timestamps and stay as they are.

Symmetry (`symmetric = True`, `explore --symmetry`, models/threadids.py):
thread numbers are stored (owners, readers, who aborted whom) and compared
for equality only; status words are per-thread cells (`of_thread`). A
locator's readers are kept in the order they registered (a thread that
registers again moves to the end), not sorted by thread number: a writer
resolves its enemies in that order, and an order by number would make a
state and its renamed image take different steps. The price is states that
differ only in that order (dstm on transfer, 2 threads, the matrix's
search, before attempt bits: 3,029 states where the sorted tuple gave 2,441); the gain, on counter
with 3 threads, where all three threads are interchangeable: 186,762 places
by symmetry, every one met (115 s with the views folded up to 300,000
states; without symmetry, the readers sorted, the search passed 3,000,000
places in 724 s).

Verdicts with 2 threads, one transaction each (the registry's entries; the
state graph decides them, e.g. dstm on transfer in 2,949 states): greedy
and timestamp are clean on transfer, swap and counter but for starvation;
aggressive, passive, polite, karma and polka livelock on all three (proven
fair lassos). Passive livelocks even on counter, unlike eager+passive:
two readers of the counter each give way to the other's read when upgrading.
With 3 threads greedy and timestamp livelock too, on transfer, swap, counter,
write-skew, random and intset (proven lassos: registry.py's
WITH_THREE_THREADS, with a witness in THREE_THREAD_WITNESSES where the matrix's
graph does not meet it). On transfer, a zombie attempt aborts another's new attempt,
whose re-registration as a reader of the contended locator makes the third thread's
compare-and-swap on it fail, round after round. The algorithm is obstruction-free,
not lock-free; the model is neither (see above).
"""

from __future__ import annotations

from stmcheck.models.machine import Abort, Machine, checkpoint, choose, wait_any

from .contention import ABORT_OTHER, ABORT_SELF, Managed, Party, Priorities, make_manager, round_key

ACTIVE, WAITING, COMMITTED, ABORTED = "active", "waiting", "committed", "aborted"
AGAIN = "again"   # a new round at once: `_decide`


class _Tx:
    __slots__ = ("thread", "parity", "reads", "owned", "blocked_by")

    def __init__(self, thread, parity):
        self.thread, self.parity = thread, parity
        self.reads = {}         # key -> value read (we are registered as its reader)
        self.owned = {}         # key -> our locator now in the cell
        self.blocked_by = None  # (thread, its status) an abort-self gave way to


class DSTM(Managed):
    loser_waits = True    # dstm-no-loser-wait switches the loser's wait off
    symmetric = True      # thread numbers stored and compared only (see "Symmetry")

    def __init__(self, machine: Machine, keys: dict, threads: int):
        # a locator's last field is the cell's version, a stamp counted up by every CAS (see "ABA")
        # (gap 1: `_swap` tells its CAS succeeded by comparing what the cell holds with version + 1)
        self.cells = {k: machine.cell(k, (0, 0, v, v, (), machine.stamps(f"loc({k})", gap=1)))
                      for k, v in keys.items()}
        # (parity, state, aborted by (thread, parity) or 0, priority: karma, or a ticket stamp)
        # (a parity is an attempt bit, models/stamps.py: see "Model details")
        self.parity = machine.parities("parity", threads)
        self.status = {t: machine.cell(f"status{t}", (self.parity[t], COMMITTED, 0, 0), of_thread=t)
                       for t in range(1, threads + 1)}
        self.cm = make_manager(self.manager_name)
        self.prio = Priorities(machine, threads, self.cm, cells=False)

    def local_state(self, thread):
        return (self.parity[thread], self.prio.local_state(thread))

    def set_local_state(self, thread, state):
        self.parity[thread], prio = state
        self.prio.set_local_state(thread, prio)

    def begin(self, thread):
        p = self.parity[thread] = self.parity[thread].flipped()
        yield from self.prio.begin(thread)
        yield self.status[thread].store((p, ACTIVE, 0, self.prio.mine[thread]))
        return _Tx(thread, p)

    # -- opening a key ----------------------------------------------------------------------
    def _open(self, tx, key, writing):
        """`(locator, current value)` once no other live transaction owns `key` (nor,
        when `writing`, reads it): each such enemy is resolved by the manager."""
        cell, me = self.cells[key], tx.thread
        rounds, last = 0, None
        while True:
            # an enemy aborted or waited for may restart and stand in the way again, within this
            # attempt: what the loop depends on, so that its states recur (machine.checkpoint)
            yield checkpoint("open", key, writing, *round_key(rounds, last), tx.parity, tuple(tx.reads.items()),
                             tuple(tx.owned.items()))
            loc = yield cell.load()
            owner, par, old, new, readers, _version = loc
            enemies = [(owner, par)] if owner not in (0, me) else []
            if writing:
                enemies += [r for r in readers if r[0] != me]
            value, conflict = old, None
            for i, (t, p) in enumerate(enemies):
                st = yield self.status[t].load()
                if st[0] != p or st[1] in (COMMITTED, ABORTED):
                    if t == owner and st[:2] == (p, COMMITTED):
                        value = new
                    if i + 1 < len(enemies):   # (a conflict further on reads the rounds)
                        yield checkpoint("enemy", key, writing, loc, value, i, *round_key(rounds, last), tx.parity,
                                         tuple(tx.reads.items()), tuple(tx.owned.items()))
                    continue      # finished (or moved on: then its entry is stale)
                conflict = (t, p, st)
                break
            if conflict is None:
                # the enemies' words are read and done with: forget them (see "Checkpoints")
                yield checkpoint("opened", key, writing, loc, value, tx.parity, tuple(tx.reads.items()),
                                 tuple(tx.owned.items()))
                return loc, value
            t, p, st = conflict
            if (t, p) != last:
                rounds, last = 0, (t, p)
            other = Party(st[3], st[1] == WAITING)
            decision = self.cm.resolve(self.prio.me(me), other, rounds) if self.cm.alternatives is None \
                else (yield from self._decide())
            # what the rest of the round uses (`last` is the enemy): the locator and the finished
            # enemies' words are forgotten (dstm+timestamp counter, 3 threads by symmetry: 99,690
            # places against 113,247)
            yield checkpoint("conflict", key, writing, rounds, last, tx.parity, tuple(tx.reads.items()),
                             tuple(tx.owned.items()), st, decision)
            if decision == ABORT_OTHER:
                yield self.status[t].cas(st, (p, ABORTED, (me, tx.parity), st[3]))
            elif decision is AGAIN:
                continue
            elif decision == ABORT_SELF:
                tx.blocked_by = (t, st)
                raise Abort(f"{key} is {'owned' if t == owner else 'read'} by thread {t}: giving way")
            elif decision.steps is None:
                yield from self._block(tx, self.status[t], st)
            else:
                for _ in range(decision.steps):
                    if (yield self.status[t].load()) != st:
                        break
                if self.cm.reads_rounds:
                    rounds += 1
                yield from self._alive(tx)

    def _decide(self):
        """The explorer's pick for a manager that stands for several (`contention.AnyManager`):
        its alternatives, and `AGAIN`, a new round at once. Why the last: with karma, an enemy's
        status word changes when it publishes more karma, so a real manager's abort (a
        compare-and-swap of the word read) can fail without anything else changing; the model's
        words hold no karma, and its pick of AGAIN stands for that failed step."""
        choices = self.cm.alternatives + (AGAIN,)
        return choices[(yield choose(len(choices)))]

    def _block(self, tx, enemy, st):
        """Wait(None): until the enemy's status changes or we are aborted."""
        mine, active = self.status[tx.thread], self._mine(tx, ACTIVE)
        waiting = self._mine(tx, WAITING)
        if self.cm.shows_waiting and not (yield mine.cas(active, waiting)):
            raise Abort("aborted by another transaction")
        _, now = yield wait_any((enemy, lambda v: v != st), (mine, _aborted))
        if _aborted(now) or (self.cm.shows_waiting and not (yield mine.cas(waiting, active))):
            raise Abort("aborted by another transaction while waiting")

    def _mine(self, tx, state):
        return (tx.parity, state, 0, self.prio.mine[tx.thread])

    def _opened(self, tx):
        """Karma: publish the new priority (a CAS that fails only if we were aborted). A manager
        that stands for several (`contention.AnyManager`) publishes nothing, and the explorer
        picks whether a check that we are alive stands here (karma's CAS, until its karma is
        capped) or nothing (the others)."""
        if self.cm.alternatives is not None:
            if (yield choose(2)):
                yield from self._alive(tx)
            return
        before = self._mine(tx, ACTIVE)
        yield from self.prio.opened(tx.thread)
        if self._mine(tx, ACTIVE) != before and not (yield self.status[tx.thread].cas(before, self._mine(tx, ACTIVE))):
            raise Abort("aborted by another transaction")

    def _alive(self, tx):
        if (yield self.status[tx.thread].load())[1] == ABORTED:
            raise Abort("aborted by another transaction")

    # -- the interface ----------------------------------------------------------------------
    def read(self, tx, key):
        if key in tx.owned:
            return tx.owned[key][3]
        if key in tx.reads:
            return tx.reads[key]
        me = (tx.thread, tx.parity)
        while True:
            loc, value = yield from self._open(tx, key, writing=False)
            readers = tuple([r for r in loc[4] if r[0] != me[0]]) + (me,)   # in the order they registered
            if loc[0] == 0 or loc[0] == me[0]:
                mine = loc[:4] + (readers, loc[5] + 1)
            else:   # a finished owner: store the plain current value
                mine = (0, 0, value, value, readers, loc[5] + 1)
            if (yield from _swap(self.cells[key], loc, mine)) is not None:
                break
        tx.reads[key] = value
        yield checkpoint("read", tx.parity, self.prio.local_state(tx.thread), tuple(tx.reads.items()),
                         tuple(tx.owned.items()))
        # Still active now means no writer has aborted us, so every key read so far
        # is unchanged: the values returned are current together at this step.
        yield from self._alive(tx)
        yield from self._opened(tx)
        return value

    def write(self, tx, key, value):
        me, cell = tx.thread, self.cells[key]
        if key in tx.owned:
            mine = tx.owned[key]
            new = yield from _swap(cell, mine, mine[:3] + (value, (), mine[5] + 1))
            if new is None:
                raise Abort("our locator was replaced: we were aborted")
            tx.owned[key] = new
            return
        while True:
            loc, current = yield from self._open(tx, key, writing=True)
            new = yield from _swap(cell, loc, (me, tx.parity, current, value, (), loc[5] + 1))
            if new is not None:
                break
        tx.owned[key] = new
        yield checkpoint("written", tx.parity, self.prio.local_state(tx.thread), tuple(tx.reads.items()),
                         tuple(tx.owned.items()))
        yield from self._opened(tx)

    def commit(self, tx):
        yield checkpoint("commit", tx.parity, self.prio.local_state(tx.thread), tuple(tx.owned.items()))
        if not (yield self.status[tx.thread].cas(self._mine(tx, ACTIVE), self._mine(tx, COMMITTED))):
            raise Abort("aborted by another transaction before commit")
        yield from self._clean(tx, committed=True, after=self.prio.local_state(tx.thread))
        yield from self.prio.committed(tx.thread)

    def abort(self, tx):
        yield checkpoint("abort", tx.parity, self.prio.local_state(tx.thread), tuple(tx.owned.items()), tx.blocked_by)
        mine = self.status[tx.thread]
        by = 0
        if not (yield mine.cas(self._mine(tx, ACTIVE), self._mine(tx, ABORTED))):
            by = (yield mine.load())[2]      # someone aborted us (we may have been waiting)
        yield from self._clean(tx, committed=False, after=(self.prio.local_state(tx.thread), tx.blocked_by, by))
        self.prio.aborted(tx.thread)
        if tx.blocked_by is not None:
            t, st = tx.blocked_by
            yield wait_any((self.status[t], lambda v: v != st))
        elif by and self.loser_waits:
            # Wait for the winner to finish before retrying (Spear et al. 2009): a retry
            # that re-registered at once could make the winner's CAS fail forever.
            t, p = by
            yield wait_any((self.status[t], lambda v: v[0] != p or v[1] in (COMMITTED, ABORTED)))

    def _clean(self, tx, committed, after):
        """Replace our locators by plain ones and drop our reader entries (one try
        each: a cell that changed meanwhile was cleaned by someone else). `after`: what the
        caller goes on with, declared at the checkpoints that forget whether each try swapped."""
        owned = tuple(tx.owned.items())
        for i, (key, loc) in enumerate(owned):
            yield checkpoint("clean", committed, tx.parity, owned[i:], after)
            v = loc[3] if committed else loc[2]
            yield self.cells[key].cas(loc, (0, 0, v, v, (), loc[5] + 1))
        yield checkpoint("cleaned", committed, tx.parity, after)
        tx.owned = {}
        tx.reads = {}


def _swap(cell, expected, new):
    """CAS a locator (`new` has `expected`'s version + 1): the locator now in the cell when it
    swapped, its version as read (so that the next CAS may expect it), else None."""
    now = yield cell.compare_exchange(expected, new)
    return now if now == new else None


def _aborted(v):
    return v[1] == ABORTED
