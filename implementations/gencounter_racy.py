"""`gencounter-racy`: `gencounter` checking and bumping the generation counter
without the lock. Broken: lost update, not serializable.

Algorithm: `gencounter` (Granade's comment on the PyPy "Kill the GIL" post,
2011) with the commit lock left out: load the counter, compare it with the
copy taken at begin, write back, store counter + 1. Check and bump are then
separate steps: two transactions that began at the same generation can both
pass the check before either bumps, and both commit (a counter incremented
twice ends at 1). Expected verdict: serializability violated.
"""

from .gencounter import GenCounter


class GenCounterRacy(GenCounter):
    use_lock = False
