"""`tl2`: Transactional Locking II (Dice, Shalev and Shavit, DISC 2006).

Algorithm, per the paper:
- a global version clock; per key a versioned write lock (here one cell
  holding `(version, owner)`, owner 0 when unlocked) and a value cell;
- begin: sample the clock into the read version `rv`;
- read: if the key is in the write set return the buffered value; else load
  the lock word, load the value, load the lock word again, and abort unless
  both lock words are equal, unlocked and have version <= rv (the post-read
  validation that makes every read consistent with the snapshot at `rv`);
- write: buffer in the write set (lazy versioning: memory is untouched);
- commit: a read-only transaction commits at once. Otherwise lock the write
  set (compare-and-swap on each lock word, in key order; a lock held by
  another aborts, as the paper's bounded spin does when it gives up), take
  `wv` = clock + 1 with fetch-and-add, validate the read set (each lock word
  unlocked or ours, version <= rv, else abort), write back, and release each
  lock with version `wv`.
- abort: release the locks taken so far, restoring their versions; when the
  attempt failed because another transaction held a lock, wait (block) until
  that lock is released before retrying. The paper spins or backs off here;
  in the model a retry that would find the same lock held is a spin, so the
  design blocks instead, as every shipped design must.

Inevitability (before I/O inside a transaction, checker/explore/gil.py): the
attempt takes every key's lock, in key order, waiting for each to be free (a
committer holds locks only while it commits), then validates its reads (it may
still abort here: it is not inevitable yet) and moves `rv` to the clock. From
then on no other transaction can commit, so it reads memory without checks,
cannot abort, and its commit writes back and releases every lock (the written
ones at `wv`). The others run as before: a reader or committer that meets a
lock held aborts and waits for it. One inevitable attempt at a time follows
(it owns every lock). The normal path is unchanged, step for step.

Left out: the `wv == rv + 1` shortcut that skips read-set validation (an
optimisation, not needed for correctness) and bloom filters for the write set.
TL2 is opaque. Subclasses switch parts off to make the broken variants.
"""

from stmcheck.models.machine import Abort, Machine, checkpoint, wait_any


class _Tx:
    __slots__ = ("thread", "rv", "reads", "writes", "locked", "blocked_by", "inevitable")

    def __init__(self, thread, rv):
        self.thread = thread
        self.rv = rv
        self.reads = []      # keys read from memory, in order
        self.writes = {}     # key -> buffered value
        self.locked = []     # (key, version before locking)
        self.blocked_by = None  # the lock word that made this attempt fail
        self.inevitable = False  # owns every lock until its commit (become_inevitable)


class TL2:
    #: Thread numbers only stored and compared for equality: searchable by symmetry
    #: (models/threadids.py).
    symmetric = True
    post_read_validation = True
    clock_gap = 0   # the largest difference of versions the design tests (borrowed clock: 1)

    def __init__(self, machine: Machine, keys: dict, threads: int):
        # The clock and every version copied from it are stamps: only compared, and counted up
        # from the newest, so the checker may forget how far the clock has run (models/stamps.py).
        zero = machine.stamps("clock", gap=self.clock_gap)
        self.clock = machine.cell("clock", zero)
        self.values = {k: machine.cell(k, v) for k, v in keys.items()}
        self.locks = {k: machine.cell(f"lock({k})", (zero, 0)) for k in keys}

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.values[key]

    def begin(self, thread):
        rv = yield self.clock.load()
        return _Tx(thread, rv)

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        if tx.inevitable:             # it owns every lock: nobody else can commit
            return (yield self.values[key].load())
        lock = self.locks[key]
        pre = yield lock.load()
        if pre[1] != 0:
            tx.blocked_by = lock
            raise Abort(f"{key} is locked by thread {pre[1]}")
        if pre[0] > tx.rv:
            raise Abort(f"{key} is newer than the snapshot")
        value = yield self.values[key].load()
        if self._validates_after_read(tx):
            post = yield lock.load()
            if post != pre:
                raise Abort(f"{key} changed while it was read")
        if key not in tx.reads:
            tx.reads.append(key)
        return value

    def _validates_after_read(self, tx) -> bool:
        """Re-check the lock word after loading the value (tl2-no-read-validation and
        tl2-readonly-unchecked are this answer made wrong)."""
        return self.post_read_validation

    def write(self, tx, key, value):
        tx.writes[key] = value

    def become_inevitable(self, tx):
        if tx.inevitable:
            return
        for key in sorted(self.locks):
            if any(k == key for k, _ in tx.locked):
                continue
            lock = self.locks[key]
            while True:
                # the lock may be taken again before our CAS, any number of times
                yield checkpoint("inevitable", key, tx.rv, tuple(tx.locked), tuple(tx.reads),
                                 tuple(sorted(tx.writes.items())))
                word = (yield wait_any((lock, _unlocked)))[0]
                if (yield lock.cas(word, (word[0], tx.thread))):
                    tx.locked.append((key, word[0]))
                    break
        for key in tx.reads:
            version = next(v for k, v in tx.locked if k == key)
            if version > tx.rv:
                raise Abort(f"read set validation failed on {key} (becoming inevitable)")
        tx.rv = yield self.clock.load()
        tx.inevitable = True

    def commit(self, tx):
        if tx.inevitable:             # it owns every lock and its reads are valid: write back
            yield from self._write_back(tx, (yield from self._write_version()))
            return
        if not tx.writes:
            return
        yield checkpoint("commit", tx.rv, tuple(tx.reads), tuple(sorted(tx.writes.items())))
        yield from self._lock_write_set(tx)
        wv = yield from self._write_version()
        yield from self._validate_reads(tx)
        yield from self._write_back(tx, wv)

    # The phases of commit, named so that variants (tl2_borrowed_clock.py) change one.
    def _lock_write_set(self, tx):
        me = tx.thread
        for key in sorted(tx.writes):
            lock = self.locks[key]
            word = yield lock.load()
            if word[1] != 0:
                tx.blocked_by = lock
                raise Abort(f"{key} is locked by thread {word[1]}")
            if not (yield lock.cas(word, (word[0], me))):
                tx.blocked_by = lock
                raise Abort(f"lost the race for the lock of {key}")
            tx.locked.append((key, word[0]))

    def _write_version(self):
        return (yield self.clock.add_fetch(1))

    def _validate_reads(self, tx):
        for key in tx.reads:
            word = yield self.locks[key].load()
            if word[1] not in (0, tx.thread):
                tx.blocked_by = self.locks[key]
                raise Abort(f"{key} is locked by thread {word[1]}")
            if word[0] > tx.rv:
                raise Abort(f"read set validation failed on {key}")

    def _write_back(self, tx, wv):
        """Store the writes, then release the locks, the written keys' at `wv` (an inevitable
        attempt also holds keys it did not write: they keep their version)."""
        for key in sorted(tx.writes):
            yield self.values[key].store(tx.writes[key])
        for key, version in tx.locked:
            yield self.locks[key].store((wv if key in tx.writes else version, 0))
        tx.locked = []

    def abort(self, tx):
        yield checkpoint("abort", tuple(tx.locked), tx.blocked_by.name if tx.blocked_by is not None else None)
        for key, version in tx.locked:
            yield self.locks[key].store((version, 0))
        tx.locked = []
        if tx.blocked_by is not None:
            yield wait_any((tx.blocked_by, _unlocked))


def _unlocked(word):
    return word[1] == 0
