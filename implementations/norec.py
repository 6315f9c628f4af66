"""`norec`: NOrec (Dalessandro, Spear and Scott, "NOrec: Streamlining STM by
Abolishing Ownership Records", PPoPP 2010).

Algorithm, per the paper:
- no ownership records: one global sequence lock (odd while a writer is
  writing back), a value-logged read set, a buffered write set;
- begin: wait until the sequence lock is even and take it as the snapshot;
- read: a buffered write is returned as is; else load the value, and while
  the sequence lock differs from the snapshot, revalidate (below) and load
  the value again; log (key, value);
- validate: wait for an even sequence lock `t`, check by value that every
  logged read still holds (abort otherwise), and take `t` as the new
  snapshot if the sequence lock still equals `t` (else start over);
- commit: a read-only transaction commits at once; a writer takes the
  sequence lock by compare-and-swap from its snapshot to snapshot + 1
  (revalidating when someone committed in between), writes back in the
  order of its first writes, and releases it at snapshot + 2;
- abort: nothing is held, nothing to undo.

Access for access the same as the C `native-norec` (implementations/native/
norec.c), so that `stmcheck conform native-norec norec` can compare the two
schedule by schedule. NOrec is opaque.
"""

from stmcheck.models.machine import Abort, Machine, wait_any


class _Tx:
    __slots__ = ("thread", "snapshot", "reads", "writes")

    def __init__(self, thread, snapshot):
        self.thread = thread
        self.snapshot = snapshot
        self.reads = []     # (key, value) in read order (a key may appear twice)
        self.writes = {}    # key -> buffered value, in order of first write


def _even(v):
    return v & 1 == 0


class NOrec:
    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.seq = machine.cell("seq", 0)
        self.values = {k: machine.cell(k, v) for k, v in keys.items()}

    def _quiescent(self):
        return (yield wait_any((self.seq, _even)))[0]

    def begin(self, thread):
        return _Tx(thread, (yield from self._quiescent()))

    def _validate(self, tx):
        while True:
            t = yield from self._quiescent()
            for key, value in tx.reads:
                if (yield self.values[key].load()) != value:
                    raise Abort(f"{key} changed since it was read")
            if (yield self.seq.load()) == t:
                tx.snapshot = t
                return

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        cell = self.values[key]
        value = yield cell.load()
        while (yield self.seq.load()) != tx.snapshot:
            yield from self._validate(tx)
            value = yield cell.load()
        tx.reads.append((key, value))
        return value

    def write(self, tx, key, value):
        tx.writes[key] = value

    def commit(self, tx):
        if not tx.writes:
            return
        while not (yield self.seq.cas(tx.snapshot, tx.snapshot + 1)):
            yield from self._validate(tx)
        for key, value in tx.writes.items():
            yield self.values[key].store(value)
        yield self.seq.store(tx.snapshot + 2)

    def abort(self, tx):
        tx.reads, tx.writes = [], {}
