"""`locks-naive`: a lock per key, taken at first access, released at commit.

Algorithm: strict two-phase locking without any ordering discipline. A
transaction acquires (blocking) the lock of each key the first time it reads or
writes it, updates memory in place, and releases all its locks at commit. It
is serializable and opaque (nobody reads a key another live transaction has
touched), but two transactions that take the same keys in opposite orders wait
for each other forever: the deadlock of `d1.update(d2)` racing `d2.update(d1)`
described in the PyPy "kill the GIL" post (Rigo, 2011), and the reason Jython
must lock "very carefully".
"""

from stmcheck.models.machine import Machine


class _Tx:
    __slots__ = ("thread", "held")

    def __init__(self, thread):
        self.thread = thread
        self.held = []


class LocksNaive:
    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = {k: machine.lock(f"lock({k})") for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.locks[k]) for k, v in keys.items()}

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.cells[key]

    def begin(self, thread):
        return _Tx(thread)

    def _own(self, tx, key):
        if key not in tx.held:
            yield self.locks[key].acquire()
            tx.held.append(key)

    def read(self, tx, key):
        yield from self._own(tx, key)
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield from self._own(tx, key)
        yield self.cells[key].store(value)

    def commit(self, tx):
        for key in tx.held:
            yield self.locks[key].release()
        tx.held = []

    def abort(self, tx):  # nothing aborts; kept for the interface
        yield from self.commit(tx)
