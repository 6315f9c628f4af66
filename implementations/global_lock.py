"""`global-lock`: one lock around every transaction (the GIL model).

Algorithm: `begin` acquires a single global lock, reads and writes go straight
to memory, `commit` releases the lock. Transactions never overlap, so every
history is serial: opaque, strictly serializable, and nothing ever aborts.
It is the baseline every other design is compared to, and the model of
CPython's GIL as described in the PyPy "kill the GIL" post (Rigo, 2011).
"""

from stmcheck.models.machine import Machine


class GlobalLock:
    #: Thread numbers only stored and compared for equality: searchable by symmetry
    #: (models/threadids.py).
    symmetric = True
    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.lock = machine.lock("G")
        self.cells = {k: machine.cell(k, v, guarded_by=self.lock) for k, v in keys.items()}

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.cells[key]

    def become_inevitable(self, tx):
        """Nothing to do: the one lock is held from begin to commit, and nothing aborts."""
        return None

    def begin(self, thread):
        yield self.lock.acquire()
        return thread

    def read(self, tx, key):
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield self.cells[key].store(value)

    def commit(self, tx):
        yield self.lock.release()

    def abort(self, tx):
        yield self.lock.release()
