"""`lazy-unlocked-commit`: the post's lazy STM (`lazy`) committing without
locking its write set. Broken: lost update, not serializable.

Algorithm: `lazy` (Rigo, "Kill the GIL", 2011) with the locking step of commit
left out: validate the read set, write back, bump the versions. Validation
and write-back are then not atomic with respect to another committer: two
transactions that read the same version of a key can both validate before
either writes back, and both commit, the second overwriting the first
(a counter incremented twice ends at 1).
Expected verdict: serializability violated.
"""

from .lazy import Lazy


class LazyUnlockedCommit(Lazy):
    lock_write_set = False
