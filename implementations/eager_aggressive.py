"""`eager-aggressive`: encounter-time locking, undo log, aggressive contention
manager. Livelocks.

Algorithm: every key has a lock, taken (try-acquire) the first time a
transaction reads or writes it, and held to commit (strict two-phase locking,
so it is serializable and opaque). Writes go to memory in place; the old value
goes to an undo log that `abort` replays backwards. Each thread has a status
cell. A transaction that meets a key locked by another does what the
"Aggressive" contention manager of Scherer and Scott (PODC 2005; after Herlihy,
Luchangco, Moir and Scherer's DSTM, PODC 2003) does: it aborts the owner, by
setting the owner's status to aborted, and then waits until the lock is free or
it has itself been aborted. A transaction checks its own status before each
access and at commit. Two transactions that take two keys in opposite orders
abort each other, both retry, take their first keys again, and abort each
other again, forever: a livelock in which both threads keep stepping.

Inevitability (`become_inevitable`) as in `eager`: a global token taken by the
attempt that must not abort and released at its commit; that attempt ignores the
abort marks left in its status (its aborter waits for the lock, which it
releases at commit). The others run as before, step for step.
"""

from stmcheck.models.machine import Abort, FREE, Machine, checkpoint, wait_any

from .inplace import InPlace

ACTIVE, ABORTED = "active", "aborted"


class _Tx:
    __slots__ = ("thread", "held", "undo", "inevitable")

    def __init__(self, thread):
        self.thread = thread
        self.held = []
        self.undo = []   # (key, old value), oldest first
        self.inevitable = False  # holds the token until its commit (become_inevitable)


class EagerAggressive(InPlace):
    #: Thread numbers only stored and compared for equality, status words per thread: searchable
    #: by symmetry (models/threadids.py).
    symmetric = True

    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = {k: machine.lock(f"lock({k})") for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.locks[k]) for k, v in keys.items()}
        self.status = {t: machine.cell(f"status{t}", ACTIVE, of_thread=t) for t in range(1, threads + 1)}
        self.token = machine.lock("inevitable")

    def begin(self, thread):
        yield self.status[thread].store(ACTIVE)
        return _Tx(thread)

    def _alive(self, tx):
        if (yield self.status[tx.thread].load()) == ABORTED and not tx.inevitable:
            raise Abort("aborted by another transaction")

    def become_inevitable(self, tx):
        """Take the token; an attempt aborted while it waits for it aborts (not inevitable yet)."""
        if tx.inevitable:
            return
        while True:
            yield checkpoint("inevitable", tuple(tx.held), tuple(tx.undo))
            yield from self._alive(tx)
            if (yield self.token.try_acquire()):
                tx.inevitable = True
                return
            yield wait_any((self.token, lambda v: v == FREE), (self.status[tx.thread], lambda v: v == ABORTED))

    def _own(self, tx, key):
        if key in tx.held:
            return
        lock = self.locks[key]
        mine = self.status[tx.thread]
        while True:
            # the loop can go round for ever within one attempt (the owner restarts and locks
            # again): what it depends on, so that its states recur (machine.checkpoint)
            yield checkpoint("own", key, tuple(tx.held), tuple(tx.undo))
            if (yield lock.try_acquire()):
                tx.held.append(key)
                return
            owner = yield lock.holder()
            if owner != FREE:
                yield self.status[owner].store(ABORTED)   # aggressive: kill the owner
                if tx.inevitable:                          # it ignores abort marks: only the lock wakes it
                    yield wait_any((lock, lambda v: v == FREE))
                    continue
                free, me = yield wait_any((lock, lambda v: v == FREE), (mine, lambda v: v == ABORTED))
                if me == ABORTED:
                    raise Abort("aborted by another transaction while waiting")

    def commit(self, tx):
        yield from self._alive(tx)
        yield from self._release(tx)
        if tx.inevitable:
            yield self.token.release()

    def abort(self, tx):
        yield from self._roll_back(tx)
        yield from self._release(tx)
