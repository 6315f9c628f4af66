"""`tl2-no-read-validation`: TL2 without the post-read version check. Broken.

Algorithm: `tl2` (Dice, Shalev and Shavit, DISC 2006) with the second load of
the lock word after reading a value left out. A writer can then lock, write
back and release between a reader's check of the lock word and its load of
the value, so a transaction can see one key before a commit and another key
after it. Commit-time read-set validation still aborts such a transaction, so
committed transactions stay serializable; but the aborted "zombie" has run on
an inconsistent state, which is exactly what opacity (Guerraoui and Kapalka,
PPoPP 2008) forbids and what, in an unmanaged language, crashes programs.
Expected verdict: opacity violated, serializability holds.
"""

from .tl2 import TL2


class TL2NoReadValidation(TL2):
    post_read_validation = False
