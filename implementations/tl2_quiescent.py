"""`tl2-quiescent`: TL2 with a quiescence fence after every writing commit: privatization-safe.

Why: TL2 writes back after its commit point, and a reader may go on after
another transaction committed a conflicting write (until its next check). A
program that unlinks a node in one transaction and then uses it without one
(privatization) can then have its private accesses overwritten by a committed
transaction's late write-back (the delayed-cleanup problem) or seen by a doomed
one (Spear, Marathe, Dalessandro and Scott, "Privatization techniques for
software transactional memory", 2007): `stmcheck explore tl2 --workload
privatize --criterion gil` shows it.

Algorithm: TL2 (tl2.py), and each thread has a flag "inside an attempt"
(`active{t}`), raised before the attempt samples the clock and lowered when it
has committed or starts to abort. A transaction that wrote waits, after its
write-back, until every other thread it saw inside an attempt has lowered its
flag (a quiescence fence, as in the paper's "transactional fence"). Every
transaction that could still write back, or read, what the committer's
transaction made private began before that commit and is waited for; a
transaction that begins later samples the clock after the commit and sees it.
A thread that lowered and raised its flag again before the committer looked is
waited for too: later than needed, never wrong. No thread waits while it
holds a lock (write-back releases them first), so the fence adds no deadlock.
"""

from stmcheck.models.machine import Machine, wait_any

from .tl2 import TL2


class TL2Quiescent(TL2):
    #: Not searchable by symmetry: a commit looks at the other threads' flags in thread order,
    #: which a renaming of the threads would change.
    symmetric = False

    def __init__(self, machine: Machine, keys: dict, threads: int):
        super().__init__(machine, keys, threads)
        self.active = {t: machine.cell(f"active{t}", False) for t in range(1, threads + 1)}

    def begin(self, thread):
        yield self.active[thread].store(True)
        return (yield from super().begin(thread))

    def commit(self, tx):
        yield from super().commit(tx)
        yield self.active[tx.thread].store(False)
        if tx.writes:
            for other, flag in self.active.items():
                if other != tx.thread and (yield flag.load()):
                    yield wait_any((flag, _lowered))

    def abort(self, tx):
        yield self.active[tx.thread].store(False)   # an aborted TL2 attempt wrote no value
        yield from super().abort(tx)


def _lowered(flag):
    return not flag
