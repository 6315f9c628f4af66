"""`eager-no-undo`: `eager` (Greedy manager) whose abort forgets the undo log.
Broken: an aborted transaction's in-place writes stay in memory.

Bug: abort releases the locks without restoring the old values, so the next
owner of a key reads a value written by a transaction that aborted: Adya's
G1a (aborted read). What the explorer reports first (2 threads, one
transaction each, DPOR), which depends on the workload because histories
record values, not which write a read saw:

- counter: not serializable, anomaly G1a: T1 reads c0 = 1, a value only the
  aborted T2.1 wrote (its retry writes 2). The smallest configuration.
- transfer: serializable but not strictly serializable (anomaly real-time):
  T2's retry writes the very values its aborted attempt left behind, so the
  history can source T1's read from the retry, which began after T1
  committed. Physically it is the same G1a.
- swap: not serializable, anomaly G1c, for the same reason (the retry's
  identical writes make the aborted read look like a read of a later commit).
"""

from .eager import Eager


class EagerNoUndo(Eager):
    undo = False
