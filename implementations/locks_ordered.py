"""`locks-ordered`: a lock per key, all of a transaction's locks taken in one
global order (the post's `acquire_all_locks`). Never deadlocks.

Source: Rigo, "Kill the GIL" (PyPy blog, 2011): `acquire_all_locks(...)`,
which "first sorts the locks according to their address"; resource ordering
is Havender's deadlock-prevention rule (IBM Systems Journal, 1968).

The design interface does not tell a design the keys a transaction will touch
before it touches them, so `acquire_all_locks` is approximated by learning
them (ordered acquisition with restart):
- the global order is the order of key names; a transaction keeps every lock
  it takes until commit (strict two-phase locking), writes in place and keeps
  an undo log;
- a key above every lock it holds is locked with a blocking `acquire`; a key
  below one it holds is only tried (`try_acquire`); if that fails the attempt
  aborts: undo, release everything, and remember the keys it needed;
- `begin` first acquires every remembered key, in order: the retry takes all
  its locks at once, in the global order, exactly as `acquire_all_locks` does.
A thread only ever waits for a lock above all the locks it holds, so no
wait-for cycle can form. An attempt aborts only on an out-of-order conflict
and its retry knows more keys, so retries end. Opaque (nobody sees another's
uncommitted writes). The learned keys are forgotten at commit (a transaction
given up under `--retries` leaves them to the thread's next one: harmless,
it only locks more).
"""

from stmcheck.models.machine import Abort, Machine

from .inplace import InPlace


class _Tx:
    __slots__ = ("thread", "held", "undo")

    def __init__(self, thread):
        self.thread = thread
        self.held = []   # keys whose locks this attempt holds
        self.undo = []   # (key, old value), oldest first


class LocksOrdered(InPlace):
    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = {k: machine.lock(f"lock({k})") for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.locks[k]) for k, v in keys.items()}
        self.needed = {t: () for t in range(1, threads + 1)}   # keys learned by aborted attempts

    def local_state(self, thread):
        return self.needed[thread]

    def set_local_state(self, thread, state):
        self.needed[thread] = state

    def begin(self, thread):
        tx = _Tx(thread)
        for key in self.needed[thread]:          # acquire_all_locks, in the global order
            yield self.locks[key].acquire()
            tx.held.append(key)
        return tx

    def _own(self, tx, key):
        if key in tx.held:
            return
        lock = self.locks[key]
        if not tx.held or key > max(tx.held):
            yield lock.acquire()                 # in order: waiting here cannot close a cycle
        elif not (yield lock.try_acquire()):     # out of order: never wait
            self.needed[tx.thread] = tuple(sorted(set(self.needed[tx.thread]) | set(tx.held) | {key}))
            raise Abort(f"{key} is locked and below a lock this transaction holds")
        tx.held.append(key)

    def commit(self, tx):
        yield from self._release(tx)
        self.needed[tx.thread] = ()

    def abort(self, tx):
        yield from self._roll_back(tx)
        yield from self._release(tx)
