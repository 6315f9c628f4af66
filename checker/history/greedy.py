"""A witness built one legal step at a time, for histories whose version order is unknown.

Databases record histories where reads-from is known (unique values) but the
order of the writes is not, and where begin and commit say little about the
serialization order (Cobra's logs carry no clock at all). Commit order then
fails, and the choices left to the graph are quadratic in the writers of a hot
key. Yet a serial order can be built forward, the way a database would run it:
keep the state of every key, and place next a transaction that may go there:

- each of its reads (of a key it had not written) returns the key's current value;
- for each key it writes, no transaction still to be placed reads the value it
  would overwrite (that reader could never be placed any more);
- with program order (session serializability), its thread's previous
  transaction is placed.

A transaction that may not go yet waits on the first condition it fails (a
value of a key, a key's readers, its thread) and is looked at again when that
changes. Read-only transactions go as soon as they may (they never stand in
anyone's way); among writers the lowest `rank` goes first. (Preferring a
writer whose value's readers could all follow at once was measured worse on the
database mix of the check benchmark, and left out.)

Nothing here proves a violation: the choice of the next writer of a key can be
wrong (deciding the order is NP-complete in general), and then the build gets
stuck and returns None; the checker goes on with the graph and z3. An order it
returns is replayed by the caller like any witness, so a "holds" found this way
is as sound as any. Linear in the history up to a log factor, plus the times
a writer is woken and found still blocked.
"""

from __future__ import annotations

from heapq import heappop, heappush

from stmcheck.models.history import COMMITTED, same_value

def greedy_witness(history, txns: list, rank: dict, program_order: bool = False,
                   deadline_passed=None, succ=None) -> list | None:
    """A legal serial order of `txns` (committed Txns, in begin order), or None when stuck.

    `succ`, when given, is a forced graph (`DepGraph.succ`: nodes 0..len(txns)-1 are
    `txns`, auxiliary nodes follow): a transaction also waits for its predecessors there.
    None at once when `deadline_passed()`: with no time left, no search is started.
    """
    if deadline_passed is not None and deadline_passed():
        return None
    n = len(txns)
    indeg = None
    if succ is not None:
        indeg = [0] * len(succ)
        for s in succ:
            for b in s:
                indeg[b] += 1
        aux_ready = [v for v in range(n, len(succ)) if indeg[v] == 0]
    reads = [None] * n      # i -> [(key, value)] external reads
    writes = [None] * n     # i -> {key: value}
    pending: dict = {}      # (key, value) -> readers not yet placed
    readers: dict = {}      # (key, value) -> [i] its readers
    for i, t in enumerate(txns):
        if t.status is not COMMITTED:
            return None
        rs = []
        seen = {}
        for key, value, _ in t.external_reads():
            if key in seen:
                if seen[key] is value or seen[key] == value:
                    continue
                return None   # two different values of one key before writing it: no state fits
            seen[key] = value
            rs.append((key, value))
            kv = (key, value)
            pending[kv] = pending.get(kv, 0) + 1
            readers.setdefault(kv, []).append(i)
        reads[i] = rs
        writes[i] = t.final_writes()
    state = dict(history.initial)
    placed = bytearray(n)
    prev_of = [-1] * n
    if program_order:
        last: dict = {}
        for i, t in enumerate(txns):
            prev_of[i] = last.get(t.thread, -1)
            last[t.thread] = i
    wait_value: dict = {}   # (key, value) -> [i]
    wait_open: dict = {}    # key -> [i]
    wait_txn: dict = {}     # i -> [j] (program order)
    prio = [0] * n
    for i, t in enumerate(txns):
        prio[i] = rank.get(t.index, i) * 4 + (0 if not writes[i] else 2)
    heap = [(prio[i], i) for i in range(n)]
    heap.sort()
    order = []
    steps = 0

    wait_graph: dict = {}   # i -> [i] (forced predecessors left)

    def release(v):
        """v is placed: its successors in the forced graph lose a predecessor (auxiliary
        nodes pass it on at once)."""
        stack = [v]
        while stack:
            u = stack.pop()
            for b in succ[u]:
                indeg[b] -= 1
                if indeg[b] == 0:
                    if b >= n:
                        stack.append(b)
                    else:
                        wake(wait_graph.get(b))

    def blocked(i):
        """None when i may go now, else the waiting list it belongs on."""
        if indeg is not None and indeg[i]:
            return wait_graph.setdefault(i, [])
        p = prev_of[i]
        if p >= 0 and not placed[p]:
            return wait_txn.setdefault(p, [])
        for key, value in reads[i]:
            cur = state.get(key)
            if not same_value(cur, value):
                return wait_value.setdefault((key, value), [])
        for key in writes[i]:
            kv = (key, state.get(key))
            left = pending.get(kv, 0)
            if left and left - (1 if kv in reads[i] else 0):
                return wait_open.setdefault(key, [])
        return None

    def wake(lst):
        if lst:
            for j in lst:
                if not placed[j]:
                    heappush(heap, (prio[j], j))
            lst.clear()

    if indeg is not None:
        for v in aux_ready:
            release(v)
    while len(order) < n:
        if not heap:
            return None
        _, i = heappop(heap)
        if placed[i]:
            continue
        steps += 1
        if deadline_passed is not None and steps & 4095 == 0 and deadline_passed():
            return None
        where = blocked(i)
        if where is not None:
            where.append(i)
            continue
        placed[i] = 1
        order.append(txns[i])
        for kv in reads[i]:
            left = pending[kv] - 1
            pending[kv] = left
            if left <= 1:   # at one, a writer that is itself the last reader may go
                wake(wait_open.get(kv[0]))
        for key, value in writes[i].items():
            state[key] = value
            wake(wait_value.get((key, value)))
            if pending.get((key, value), 0) <= 1:
                wake(wait_open.get(key))
        wake(wait_txn.get(i))
        if indeg is not None:
            release(i)
    return order
