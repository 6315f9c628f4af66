"""`lazy`: the STM of the PyPy "Kill the GIL" post (Rigo, 2011): lazy
versioning, commit-time locking, read-set validation at commit. Not opaque.

Algorithm ("we store which objects we read from, which objects we write to,
and what values we write"; committing "might fail if other commits have
occurred in between"):
- per key a value cell and an ownership record `(version, owner)`, owner 0
  when unlocked;
- read: a key in the redo log returns the logged value; else load the record,
  load the value, and remember the record's version (the first time);
- write: into the thread-local redo log; memory is untouched;
- commit: lock the write set in key order (wait until the record is
  unlocked, then compare-and-swap the owner in), validate the read set (each
  record still has the remembered version and is unlocked or ours), write
  back, release each record with version + 1;
- abort: release what is held; after a conflict with a lock holder, wait
  until that record is unlocked before retrying (blocking, not spinning).
Strictly serializable: a committer validates with its whole write set locked.
But nothing checks a read against earlier ones before commit, so a doomed
transaction can see one key before another's commit and a second key after
it (e.g. a transfer seeing the sum of balances off by one) and only learns at
commit that it must abort: opacity (Guerraoui and Kapalka, 2008) fails.
`lazy-incremental` validates on every read and is opaque.

Inevitability (before I/O inside a transaction, checker/explore/gil.py): lock
every record in key order as a commit locks its write set, then validate the
reads (it may still abort here); from then on no other transaction can commit
(committers wait for the records), so the attempt cannot abort, and its commit
writes back and releases every record (the written ones one version up). The
normal path is unchanged. The unlocked variant's committers take no record, so
its inevitability promises nothing: `become_inevitable` is not offered there.

Versions are stamps (models/stamps.py): each key's version counter is its own
domain, "orec(KEY)", with gap 0 (versions are only compared for equality, and
a committer counts one up from the version it locked, which is the newest of
that key since only the lock holder moves it). The explorer may then forget
how often a key was written, so that with cyclic programs (starvation) states
recur: it proves that a thread can starve, its every attempt invalidated by the
other's commits (lazy on random, lazy-incremental on dict-update and random).
The unlocked variant's are relative stamps (`relative_versions`,
lazy_unlocked_commit.py).
"""

from stmcheck.models.machine import Abort, Machine, checkpoint, wait_any


class _Tx:
    __slots__ = ("thread", "reads", "writes", "locked", "blocked_by", "inevitable")

    def __init__(self, thread):
        self.thread = thread
        self.reads = {}      # key -> version seen at the first read, in read order
        self.writes = {}     # the redo log: key -> value
        self.locked = []     # (key, version) of records this attempt owns
        self.blocked_by = None
        self.inevitable = False   # owns every record until its commit (become_inevitable)


def _unlocked(word):
    return word[1] == 0


class Lazy:
    #: Thread numbers only stored and compared for equality: searchable by symmetry
    #: (models/threadids.py).
    symmetric = True
    validate_every_read = False   # lazy-incremental
    lock_write_set = True         # lazy-unlocked-commit
    relative_versions = False     # lazy-unlocked-commit: a racy bump may move a version back

    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.values = {k: machine.cell(k, v) for k, v in keys.items()}
        self.orecs = {k: machine.cell(f"orec({k})", (self._first_version(machine, k), 0)) for k in keys}

    def _first_version(self, machine, key):
        return machine.stamps(f"orec({key})", relative=self.relative_versions)

    def outside_cell(self, key):
        """The cell holding `key`'s value: what a step outside transactions loads and stores."""
        return self.values[key]

    def begin(self, thread):
        return _Tx(thread)

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        word = yield self.orecs[key].load()
        value = yield self.values[key].load()
        tx.reads.setdefault(key, word[0])
        if self.validate_every_read:
            yield from self._validate(tx)
        return value

    def write(self, tx, key, value):
        tx.writes[key] = value

    def _validate(self, tx):
        for key, version in tx.reads.items():
            word = yield self.orecs[key].load()
            if word[1] not in (0, tx.thread):
                tx.blocked_by = self.orecs[key]
                raise Abort(f"{key} is locked by thread {word[1]}")
            if word[0] != version:
                raise Abort(f"{key} was changed by a commit since it was read")

    def _lock(self, tx, keys):
        for key in keys:
            orec = self.orecs[key]
            while True:
                # the record may be locked again before our CAS, any number of times
                yield checkpoint("lock", key, tuple(tx.locked), tuple(tx.reads.items()),
                                 tuple(tx.writes.items()))
                word = (yield wait_any((orec, _unlocked)))[0]
                if (yield orec.cas(word, (word[0], tx.thread))):
                    tx.locked.append((key, word[0]))
                    break

    def become_inevitable(self, tx):
        if not tx.inevitable:
            yield from self._lock(tx, sorted(self.orecs))
            yield from self._validate(tx)
            tx.inevitable = True

    def commit(self, tx):
        if not tx.inevitable:         # an inevitable attempt owns every record, its reads valid
            if self.lock_write_set:
                yield from self._lock(tx, sorted(tx.writes))
            yield from self._validate(tx)
        for key in sorted(tx.writes):
            yield self.values[key].store(tx.writes[key])
        if self.lock_write_set:       # the written records one version up (an inevitable one's others as they were)
            for key, version in tx.locked:
                yield self.orecs[key].store((version + 1 if key in tx.writes else version, 0))
            tx.locked = []
        else:
            for key in sorted(tx.writes):
                version = (yield self.orecs[key].load())[0]
                yield self.orecs[key].store((version + 1, 0))

    def abort(self, tx):
        yield checkpoint("abort", tuple(tx.locked), tx.blocked_by.name if tx.blocked_by is not None else None)
        for key, version in tx.locked:
            yield self.orecs[key].store((version, 0))
        tx.locked = []
        if tx.blocked_by is not None:
            yield wait_any((tx.blocked_by, _unlocked))
