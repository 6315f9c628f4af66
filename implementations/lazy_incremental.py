"""`lazy-incremental`: the post's lazy STM (`lazy`) validating the whole read
set after every read. Opaque.

Algorithm: as `lazy` (Rigo, "Kill the GIL", 2011: versioned reads, redo log,
commit locks the write set in order, validates, writes back, releases), and
each read, after loading a record and its value, re-checks every record read
so far (same version, unlocked): incremental validation, as in DSTM (Herlihy,
Luchangco, Moir and Scherer, PODC 2003) and the "validation" strategies
compared by Spear, Michael and von Praun (2008). Every value a transaction
sees was then current together at the time of its last read, so even a
doomed transaction sees a consistent state (opacity, Guerraoui and Kapalka,
PPoPP 2008), at a cost quadratic in the read set.
"""

from .lazy import Lazy


class LazyIncremental(Lazy):
    validate_every_read = True
