"""`lazy-unlocked-commit`: the post's lazy STM (`lazy`) committing without
locking its write set. Broken: lost update, not serializable.

Algorithm: `lazy` (Rigo, "Kill the GIL", 2011) with the locking step of commit
left out: validate the read set, write back, bump the versions. Validation
and write-back are then not atomic with respect to another committer: two
transactions that read the same version of a key can both validate before
either writes back, and both commit, the second overwriting the first
(a counter incremented twice ends at 1).
Expected verdict: serializability violated.

Versions are *relative* stamps here (models/stamps.py), not stamps as in
`lazy`: the unlocked bump stores "the version it loaded + 1", and a
committer delayed between that load and store can write a version older
than one a later commit already wrote (the version goes back), which stamps,
counted up from the newest only (rule 3), forbid. Relative stamps keep every
difference between versions and forget only how far they all moved
together, so a starvation loop, whose commits move them all up, closes.
"""

from .lazy import Lazy


class LazyUnlockedCommit(Lazy):
    lock_write_set = False
    relative_versions = True   # a stale load + 1 can move a version back (see above)
    become_inevitable = None   # its committers lock nothing: an inevitable attempt could still lose
