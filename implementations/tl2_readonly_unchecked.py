"""`tl2-readonly-unchecked`: TL2 whose read-only transactions skip the
post-read check. Broken: a read-only transaction can commit an inconsistent
view (not serializable, hence not strictly serializable).

Algorithm: `tl2` (Dice, Shalev and Shavit, DISC 2006), where a transaction
that has written nothing yet does not reload the lock word after loading a
value ("read-only transactions are validated at commit anyway"), while a
read-only transaction, having nothing to commit, commits at once and is
never validated. A writer can then lock, write back and release between a
reader's check of a lock word and its load of the value: the reader gets a
value newer than its snapshot `rv`.

Design interface note: a design is not told up front whether a transaction
is read-only, so "read-only" here means "has no buffered write yet". What the
bug gives depends on the workload:
- a read-only transaction reading two keys that one commit changes (an audit
  of a transfer: `tests/implementations/test_catalogue.py`) commits having seen one before the
  commit and one after it: serializability fails;
- on transfer every read comes before the first write, so only writers
  meet the bug; commit-time validation aborts them, but as zombies they saw
  an inconsistent state: opacity fails (as `tl2-no-read-validation`);
- swap's unchecked reads (the source list's length and top slot, before its
  first write) are of keys the other thread never writes together: clean;
  counter reads one key: clean.
None of transfer, swap, counter has a read-only transaction, so the issue's
"not strictly serializable" cannot show there; on the audit workload it
shows as the stronger failure (not even serializable).
"""

from .tl2 import TL2


class TL2ReadonlyUnchecked(TL2):
    def _validates_after_read(self, tx):
        return bool(tx.writes)   # the bug: "read-only so far" skips the check
