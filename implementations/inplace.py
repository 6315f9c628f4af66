"""In-place writes under per-key locks, with an undo log: what the encounter-time
locking designs (`eager-aggressive`, `eager` and its managers, `locks-ordered`)
share. Each decides how a key's lock is taken (`_own`) and whether another
transaction can abort this one (`_alive`); the reads, writes, roll-back and
release are the same.

A subclass keeps `cells` and `locks` (key -> machine cell, lock), and its
attempts have `held` (keys locked, in order) and `undo` ((key, old value),
oldest first).
"""


class InPlace:
    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.cells[key]

    def _alive(self, tx):
        """Raise Abort if another transaction has aborted this attempt (default: none can)."""
        return
        yield  # a generator, like every hook the steps go through

    def _own(self, tx, key):
        """Take `key`'s lock for this attempt (a generator of steps; may raise Abort)."""
        raise NotImplementedError

    def read(self, tx, key):
        yield from self._alive(tx)
        yield from self._own(tx, key)
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield from self._alive(tx)
        yield from self._own(tx, key)
        cell = self.cells[key]
        if all(k != key for k, _ in tx.undo):
            tx.undo.append((key, (yield cell.load())))
        yield cell.store(value)

    def _roll_back(self, tx):
        """Restore the old values, newest write first."""
        for key, old in reversed(tx.undo):
            yield self.cells[key].store(old)
        tx.undo = []

    def _release(self, tx):
        for key in tx.held:
            yield self.locks[key].release()
        tx.held = []
