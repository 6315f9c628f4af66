"""`norec-no-revalidation`: NOrec that keeps reading after the sequence lock moved. Broken.

Algorithm: `norec` (Dalessandro, Spear and Scott, PPoPP 2010) whose read
loads the value and logs it without comparing the sequence lock with the
snapshot, so it never revalidates (or aborts) in mid-transaction. A writer
can commit between two of a transaction's reads, which then sees one key
before that commit and another after it: a doomed "zombie" runs on a state
that never existed. Commit is NOrec's: a writer's compare-and-swap of the
sequence lock from its snapshot fails when anyone committed since, and then
the value-based validation aborts it if a logged read changed.

Read-only transactions: NOrec commits them at once, which is sound only
because every read revalidated. Without that they would commit torn views
(not even serializable: tests/implementations/test_variants_more.py shows it on write-skew),
so this variant validates a read-only transaction at commit when the sequence
lock moved since its snapshot. That keeps the bug to the one the issue names.

Expected verdict: not opaque (transfer, swap: a zombie sees a torn state),
still strictly serializable (every committed transaction validated its reads
at one point inside its interval); counter is clean (one read per
transaction cannot be torn). Smallest configuration: transfer, 2 threads,
1 transaction each.

The sequence lock is `norec`'s `(stamp, locked)` pair, its stamp a timestamp
the explorer may canonicalise (models/stamps.py); the bug is untouched by it.
"""

from .norec import NOrec, _free


class NOrecNoRevalidation(NOrec):
    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        value = yield self.values[key].load()   # the bug: no check of the sequence lock
        tx.reads.append((key, value))
        return value

    def commit(self, tx):
        if not tx.writes:
            if (yield self.seq.load()) != _free(tx.snapshot):
                yield from self._validate(tx)
            return
        yield from super().commit(tx)
