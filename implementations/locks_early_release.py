"""`locks-early-release`: a lock per key, released right after each access
instead of at commit. Broken: not two-phase, not serializable.

Algorithm: every read and every write acquires the key's lock, does its one
load or store in place, and releases the lock at once; commit has nothing
left to release. Each access is atomic but the transaction is not: this is
what thread-safe containers give (`list1.pop()` and `list2.append(x)` each
safe) without the post's `acquire_all_locks` around both (Rigo, "Kill the
GIL", 2011). Locking is not two-phase (a lock is released before another is
taken), which Eswaran, Gray, Lorie and Traiger (CACM 1976) show is needed for
serializability: two transfers both read a balance before either writes it
(a lost update). Never deadlocks (one lock at a time) and never aborts.
Expected verdict: serializability violated.
"""

from stmcheck.models.machine import Machine


class LocksEarlyRelease:
    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = {k: machine.lock(f"lock({k})") for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.locks[k]) for k, v in keys.items()}

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.cells[key]

    def begin(self, thread):
        return thread

    def read(self, tx, key):
        yield self.locks[key].acquire()
        value = yield self.cells[key].load()
        yield self.locks[key].release()      # the bug: released before commit
        return value

    def write(self, tx, key, value):
        yield self.locks[key].acquire()
        yield self.cells[key].store(value)
        yield self.locks[key].release()      # the bug: released before commit

    def commit(self, tx):
        return None

    def abort(self, tx):  # nothing aborts
        return None
