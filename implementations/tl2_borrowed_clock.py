"""`tl2-borrowed-clock`: TL2 with a GV4-style clock and the `wv == rv + 1` shortcut. Broken.

Algorithm: `tl2` (Dice, Shalev and Shavit, DISC 2006), whose commit takes its
write version `wv` the way the paper's GV4 clock does: one compare-and-swap
of the clock from the value it loaded to that value + 1, and when the CAS
fails, no retry: it borrows the value the racing committer installed. Two
committers racing for the clock then share one `wv`. That alone is fine (both
hold their write locks when the clock moves). The bug is keeping the
optimisation that skips read-set validation when `wv == rv + 1`, which is
only valid with a fetch-and-add clock, where it proves that nobody committed
since the transaction began. With a borrowed `wv`, two transactions that
began at the same `rv` and race to commit both see `wv == rv + 1` and both
skip validation.

Expected verdict: write skew, not serializable. It needs disjoint write sets
(on transfer, swap and counter the racers lock a common key, so one aborts
and the variant is clean there): smallest configuration write-skew, 2 threads,
1 transaction each (and dict-update with --keys 1). `borrow = False` gives
the fetch-and-add clock with the same shortcut, which is correct: the tests
use it as the control.
"""

from .tl2 import TL2


class TL2BorrowedClock(TL2):
    borrow = True   # False: fetch-and-add clock (the shortcut is then valid)
    clock_gap = 1   # the shortcut tests wv == rv + 1

    def _write_version(self):
        if not self.borrow:
            return (yield from super()._write_version())
        old = yield self.clock.load()
        # one compare-and-swap: wv is old + 1 when it swapped, else the winner's version it found
        return (yield self.clock.compare_exchange(old, old + 1))

    def commit(self, tx):
        if tx.inevitable:        # it owns every lock: tl2's commit (no race for the clock to lose)
            return (yield from super().commit(tx))
        if not tx.writes:
            return
        yield from self._lock_write_set(tx)
        wv = yield from self._write_version()
        if wv != tx.rv + 1:   # the shortcut: valid only when wv came from fetch-and-add
            yield from self._validate_reads(tx)
        yield from self._write_back(tx, wv)
