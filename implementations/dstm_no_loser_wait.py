"""`dstm-no-loser-wait`: DSTM with the aggressive manager and without the loser's wait.

DSTM's own progress guarantee is obstruction-freedom: anyone may abort a transaction by
a compare-and-swap on its status, so nobody ever waits for a transaction that has
stopped. `dstm` waits in two places (a loser waits for its winner's attempt to end, and
the managers greedy, passive and timestamp wait), and then a stopped thread can leave
another waiting for ever. This one waits nowhere (aggressive aborts the enemy at once,
the loser retries at once), which gives the guarantee back and the livelock the loser's
wait was there to prevent: two transactions that abort each other for ever.

Verdicts (the registry holds them): opaque; livelock on the contended workloads; both
progress properties hold on write-skew, where its graph of cyclic programs ends
(129,953 states: the matrix spends 150,000 there, the default elsewhere).
"""

from .dstm import DSTM


class DSTMNoLoserWait(DSTM.with_manager("aggressive")):
    loser_waits = False
