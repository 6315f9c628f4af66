"""`tl2-no-commit-validation`: TL2 without read-set validation at commit.
Broken: not serializable.

Algorithm: `tl2` (Dice, Shalev and Shavit, DISC 2006) whose commit locks the
write set, takes its write version and writes back without re-checking the
read set. Every read is still checked against the snapshot `rv` when it is
made, but a transaction whose reads were overwritten by a commit after they
were made still commits: with disjoint write sets this is write skew; on
transfer, swap and counter (whose transactions write what they read) it shows
as a lost update. Same bug as the C `native-tl2-no-commit-validation`.
Expected verdict: serializability violated.
"""

from .tl2 import TL2


class TL2NoCommitValidation(TL2):
    def commit(self, tx):
        tx.reads = []   # the bug: nothing left for commit to validate
        yield from super().commit(tx)
