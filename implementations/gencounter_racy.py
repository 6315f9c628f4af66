"""`gencounter-racy`: `gencounter` checking and bumping the generation counter
without the lock. Broken: lost update, not serializable.

Algorithm: `gencounter` (Granade's comment on the PyPy "Kill the GIL" post,
2011) with the commit lock left out: load the counter, compare it with the
copy taken at begin, write back, store counter + 1. Check and bump are then
separate steps: two transactions that began at the same generation can both
pass the check before either bumps, and both commit (a counter incremented
twice ends at 1). Expected verdict: serializability violated.

The counter is a *relative* stamp here (models/stamps.py), not a stamp as
in `gencounter`: a committer delayed between its check and its store of
"copy + 1" can store a generation older than one a later commit already
stored (the counter goes back), and stamps may only be counted up from the
newest (rule 3). A relative stamp keeps every difference and forgets only
how far all generations moved together.
"""

from .gencounter import GenCounter


class GenCounterRacy(GenCounter):
    use_lock = False
    relative_counter = True   # a stale check + 1 can move the counter back (see above)
    become_inevitable = None  # no lock to hold: an inevitable attempt could still lose its check
