"""`norec`: NOrec (Dalessandro, Spear and Scott, "NOrec: Streamlining STM by
Abolishing Ownership Records", PPoPP 2010).

Algorithm, per the paper:
- no ownership records: one global sequence lock, a value-logged read set, a
  buffered write set;
- begin: wait until the sequence lock is free (even, in the paper) and take
  its value as the snapshot;
- read: a buffered write is returned as is; else load the value, and while
  the sequence lock differs from the snapshot, revalidate (below) and load
  the value again; log (key, value);
- validate: wait for a free sequence lock `t`, check by value that every
  logged read still holds (abort otherwise), and take `t` as the new
  snapshot if the sequence lock still equals `t` (else start over);
- commit: a read-only transaction commits at once; a writer takes the
  sequence lock by compare-and-swap from its snapshot to "locked at the
  snapshot" (revalidating when someone committed in between), writes back in
  the order of its first writes, and releases it one step further on;
- abort: nothing is held, nothing to undo.
- become inevitable (before I/O inside a transaction, checker/explore/gil.py): take the
  sequence lock as a writer's commit does, and hold it to the end of the attempt. No
  writer can commit meanwhile, so the inevitable attempt reads memory without
  validating and cannot abort; its commit writes back and releases. (The paper's
  section on inevitability does the same; it costs the others nothing until used.)

The sequence lock: the paper's is one integer, odd while a writer writes back
(snapshot -> snapshot + 1 to lock, -> snapshot + 2 to release). Here it is a
cell holding `(stamp, locked)`, the paper's `2 * stamp + locked`: locking is
`(s, False) -> (s, True)`, releasing stores `(s + 1, False)`. The stamp only
serves as a timestamp (compared for equality, counted up by the lock holder,
who then holds the newest), so it is a stamp of domain "seq" with gap 0
(models/stamps.py), and the explorer may forget how far it has run; parity
is not something stamps can express, hence the pair. The two encodings
correspond value for value, so the algorithm is unchanged.

Access for access the same as the C `native-norec` (implementations/native/
norec.c, whose sequence lock is the paper's integer), so that `stmcheck
conform native-norec norec` can compare the two schedule by schedule (the
histories and final values agree; only the lock word is encoded differently).
NOrec is opaque.
"""

from stmcheck.models.machine import Abort, Machine, checkpoint, wait_any


class _Tx:
    __slots__ = ("thread", "snapshot", "reads", "writes", "inevitable")

    def __init__(self, thread, snapshot):
        self.thread = thread
        self.snapshot = snapshot
        self.reads = []     # (key, value) in read order (a key may appear twice)
        self.writes = {}    # key -> buffered value, in order of first write
        self.inevitable = False   # holds the sequence lock until its commit (become_inevitable)


def _unlocked(word):
    return not word[1]


def _free(stamp):
    """The sequence lock's word when it is free at `stamp` (the paper's even value)."""
    return (stamp, False)


class NOrec:
    #: Thread numbers only stored and compared for equality: searchable by symmetry
    #: (models/threadids.py).
    symmetric = True
    def __init__(self, machine: Machine, keys: dict, threads: int):
        zero = machine.stamps("seq")   # compared for equality only: gap 0
        self.seq = machine.cell("seq", _free(zero))
        self.values = {k: machine.cell(k, v) for k, v in keys.items()}

    def _quiescent(self):
        """Wait until the sequence lock is free; its stamp."""
        return (yield wait_any((self.seq, _unlocked)))[0][0]

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.values[key]

    def begin(self, thread):
        return _Tx(thread, (yield from self._quiescent()))

    def _validate(self, tx):
        while True:
            # writers may commit between every two tries, forever: what each try depends on
            # (machine.checkpoint), so that a reader's states recur
            yield checkpoint("validate", tx.snapshot, tuple(tx.reads), tuple(tx.writes.items()))
            t = yield from self._quiescent()
            for key, value in tx.reads:
                if (yield self.values[key].load()) != value:
                    raise Abort(f"{key} changed since it was read")
            if (yield self.seq.load()) == _free(t):
                tx.snapshot = t
                return

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        if tx.inevitable:             # nobody else can commit: memory is this attempt's snapshot
            return (yield self.values[key].load())
        cell = self.values[key]
        value = yield cell.load()
        while True:
            yield checkpoint("read", key, value, tx.snapshot, tuple(tx.reads), tuple(tx.writes.items()))
            if (yield self.seq.load()) == _free(tx.snapshot):
                break
            yield from self._validate(tx)
            value = yield cell.load()
        tx.reads.append((key, value))
        return value

    def write(self, tx, key, value):
        tx.writes[key] = value

    def _lock(self, tx):
        """Take the sequence lock at the snapshot, revalidating (maybe aborting) while it moves."""
        while True:
            yield checkpoint("commit", tx.snapshot, tuple(tx.reads), tuple(tx.writes.items()))
            if (yield self.seq.cas(_free(tx.snapshot), (tx.snapshot, True))):
                return
            yield from self._validate(tx)

    def become_inevitable(self, tx):
        if not tx.inevitable:
            yield from self._lock(tx)
            tx.inevitable = True

    def commit(self, tx):
        if not tx.writes and not tx.inevitable:
            return
        if not tx.inevitable:
            yield from self._lock(tx)
        for key, value in tx.writes.items():
            yield self.values[key].store(value)
        # the holder's snapshot is the newest stamp (only the holder moves it): + 1 is allowed
        yield self.seq.store(_free(tx.snapshot + 1))

    def abort(self, tx):
        tx.reads, tx.writes = [], {}
