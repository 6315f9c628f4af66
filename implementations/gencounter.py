"""`gencounter`: one global generation counter, remembered at begin, checked
and bumped at commit under one lock. Strictly serializable, not opaque.

Source: Kevin Granade's comment on the PyPy "Kill the GIL" post (2011): "copy
a global generation counter at the start of your transaction, and then
compare your stored copy to the current generation counter at commit time
(after taking a lock), and if no one else has incremented the generation
counter, you do so and complete your operation."

Algorithm: begin loads the counter; reads load memory (or the redo log);
writes go to the redo log; commit acquires the global lock, aborts (after
releasing it) if the counter moved, else writes back, bumps the counter if it
wrote anything, and releases. The bump comes after the write-back: a
transaction that began during a write-back then sees the counter move and
aborts. Any commit between a begin and a commit aborts the later committer,
so committed transactions run as if serially. Reads are never checked before
commit, so a doomed transaction may see half of another's update (not opaque).

Inevitability (I/O inside a transaction): take the commit lock early, check the
counter, and hold the lock to the end of the attempt; nobody can commit meanwhile,
so the attempt cannot fail its check again.

The generation counter is a stamp (models/stamps.py), domain "generation",
gap 0: it is only compared for equality, and a committer bumps it to its own
copy + 1 under the lock, after checking that the copy is still current (so it
counts up from the newest). The explorer may then forget how many commits
there were, so that with cyclic programs (starvation) states recur: it proves
that a thread can starve, its every attempt aborted by the other's commits
(dict-update, random: the registry's expectations). `gencounter-racy`'s is a
relative stamp (see there).
"""

from stmcheck.models.machine import Abort, Machine


class _Tx:
    __slots__ = ("thread", "generation", "writes", "locked")

    def __init__(self, thread, generation):
        self.thread = thread
        self.generation = generation
        self.writes = {}
        self.locked = False


class GenCounter:
    use_lock = True            # gencounter-racy
    relative_counter = False   # gencounter-racy: its bump may move the counter back

    def __init__(self, machine: Machine, keys: dict, threads: int):
        first = machine.stamps("generation", relative=self.relative_counter)
        self.generation = machine.cell("generation", first)
        self.lock = machine.lock("commit")
        self.values = {k: machine.cell(k, v) for k, v in keys.items()}

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.values[key]

    def begin(self, thread):
        return _Tx(thread, (yield self.generation.load()))

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        return (yield self.values[key].load())

    def write(self, tx, key, value):
        tx.writes[key] = value

    def become_inevitable(self, tx):
        """Take the commit lock now and keep it (no other transaction can commit meanwhile), after
        checking that nobody committed since begin (else abort: not inevitable yet)."""
        if not tx.locked:
            yield self.lock.acquire()
            tx.locked = True
            if (yield self.generation.load()) != tx.generation:
                raise Abort("another transaction committed since this one began")

    def commit(self, tx):
        if self.use_lock and not tx.locked:
            yield self.lock.acquire()
            tx.locked = True
        if (yield self.generation.load()) != tx.generation:
            raise Abort("another transaction committed since this one began")
        for key, value in tx.writes.items():
            yield self.values[key].store(value)
        if tx.writes:
            yield self.generation.store(tx.generation + 1)
        if tx.locked:
            yield self.lock.release()
            tx.locked = False

    def abort(self, tx):
        if tx.locked:
            yield self.lock.release()
            tx.locked = False
