"""An exact search over the write orders the forced graph leaves open.

What the forced graph leaves open, with every value unique, is a set of
two-way constraints (x, w, b): x -> w or b -> x (`DepGraph.constraints`). A
choice of one side each that keeps the graph acyclic is a witness (any
topological order of it); none is a violation. z3 got one integer per node and
a disjunction per constraint, and on an untimed 10^4-transaction database mix
(40,111 constraints after inference) did not answer in 120 s; guessing and
repairing was incomplete and took 5.4 s on the timed one. The problem is a
graph's, so it is searched as one, the way MonoSAT's acyclicity theory serves
Cobra (OSDI 2020):

- one topological order of the graph with every edge decided so far is kept
  up to date (Pearce and Kelly's incremental order: an edge that agrees with
  it costs nothing; one against it reorders only the nodes between its ends),
  and only a constraint that order breaks (x between w and b) is decided;
- a side that would close a cycle is ruled out, and the path it would close
  is the reason; when one side is ruled out the other is implied by that
  reason (with no reason, it is forced); when both are, the search jumps back
  to the latest decision among the two reasons and takes its other side,
  implied by the rest (conflict-directed backjumping).

Sound and complete: no broken constraint left means the order satisfies every
one (the caller replays it anyway); a conflict with no reason means the forced
graph, with the forced edges this search derived, has a cycle whichever side
is taken: a violation. It needs no closure, so it runs before inference (on
the untimed mix: 3 s, where the closure alone took 2 s). Exponential in the
worst case, so bounded by a deadline and a number of conflicts: past either,
the answer is None and inference and z3 decide.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections import deque

MAX_CONFLICTS = 20_000

SAT, CYCLE = "sat", "cycle"


class _Search:
    def __init__(self, graph, order):
        self.graph = graph
        n = len(graph.kind)
        self.pos = [0] * n
        for i, v in enumerate(order):
            self.pos[v] = i
        self.fout = graph.succ                     # forced edges
        self.fin = [[] for _ in range(n)]
        for a, s in enumerate(graph.succ):
            for b in s:
                self.fin[b].append(a)
        self.derived: dict = {}                    # (a, b) -> (kind, key): forced edges found here
        self.gout = [[] for _ in range(n)]         # ... as successor and predecessor lists
        self.gin = [[] for _ in range(n)]
        self.dout = [[] for _ in range(n)]         # edges that hold under decisions
        self.din = [[] for _ in range(n)]
        self.why: dict = {}                        # (a, b) -> frozenset of decision levels
        self.trail: list = []                      # decided and implied edges, in the order added
        self.levels: list = []                     # per level: (trail length before it, constraint, other side)
        # Constraints by key, as intervals (w, b) no x may fall inside: finding the broken ones is
        # then a sort and a binary search per interval, not a look at every pair (a hot key's
        # units pair up in the hundreds of thousands).
        self.by_key: dict = {}                     # key -> (x nodes, intervals, (interval, x) -> id)
        self.keys_of: dict = {}                    # node -> keys it is an x, w or b of
        for i, (x, w, b, key) in enumerate(graph.constraints):
            entry = self.by_key.get(key)
            if entry is None:
                entry = self.by_key[key] = ({}, {}, {})
            xs, intervals, pair = entry
            xs[x] = None
            j = intervals.setdefault((w, b), len(intervals))
            pair[(j, x)] = i
            for v in (x, w, b):
                self.keys_of.setdefault(v, set()).add(key)
        self.dirty = set(self.by_key)              # keys whose nodes moved since they were looked at

    # -- the incremental order ------------------------------------------------
    def against(self, a: int, b: int):
        """Would a -> b close a cycle? (the reason: the decision levels behind a path
        b ->* a, None), or (None, what b reaches between the two: for `place`)."""
        pos = self.pos
        ub = pos[a]
        if ub < pos[b]:
            return None, None
        fout, gout, dout = self.fout, self.gout, self.dout
        parent = {b: None}
        stack = [b]
        while stack:
            u = stack.pop()
            for succs in (fout[u], gout[u], dout[u]):
                for v in succs:
                    if v == a:
                        parent[a] = u
                        return self._reason(parent, a), None
                    if v not in parent and pos[v] < ub:
                        parent[v] = u
                        stack.append(v)
        return None, parent

    def place(self, a: int, b: int, ahead) -> None:
        """Reorder for a new edge a -> b as Pearce and Kelly do: what reaches a (`back`) and
        what b reaches (`ahead`, from `against`), between the two, swap places."""
        if ahead is None:
            return
        pos = self.pos
        lb = pos[b]
        back = {a}
        stack = [a]
        fin, gin, din = self.fin, self.gin, self.din
        while stack:
            u = stack.pop()
            for preds in (fin[u], gin[u], din[u]):
                for v in preds:
                    if v not in back and pos[v] > lb:
                        back.add(v)
                        stack.append(v)
        moved = sorted(back, key=pos.__getitem__) + sorted(ahead, key=pos.__getitem__)
        slots = sorted(pos[v] for v in moved)
        dirty, keys_of = self.dirty, self.keys_of
        for v, p in zip(moved, slots):
            pos[v] = p
            keys = keys_of.get(v)
            if keys:
                dirty |= keys

    def _reason(self, parent: dict, v: int) -> frozenset:
        why, fout, derived = self.why, self.fout, self.derived
        reason = set()
        u = parent[v]
        while u is not None:
            if v not in fout[u] and (u, v) not in derived:
                reason |= why[(u, v)]
            v, u = u, parent[u]
        return frozenset(reason)

    def link(self, a: int, b: int, kind: str, reason: frozenset, key) -> None:
        """Record a -> b (already placed by `place`): forced when `reason` is empty."""
        if not reason:
            if (a, b) not in self.derived and b not in self.fout[a]:
                self.derived[(a, b)] = (kind, key)
                self.gout[a].append(b)
                self.gin[b].append(a)
        elif (a, b) not in self.why and (a, b) not in self.derived and b not in self.fout[a]:
            self.why[(a, b)] = reason
            self.dout[a].append(b)
            self.din[b].append(a)
            self.trail.append((a, b))

    def undo_to(self, size: int) -> None:
        while len(self.trail) > size:
            a, b = self.trail.pop()
            self.dout[a].remove(b)
            self.din[b].remove(a)
            del self.why[(a, b)]

    def broken(self) -> list:
        """The constraints the order breaks (x inside w..b), among the keys whose nodes moved."""
        pos = self.pos
        found = []
        for key in self.dirty:
            xs, intervals, pair = self.by_key[key]
            placed = sorted((pos[x], x) for x in xs)
            at = [p for p, _ in placed]
            for (w, b), j in intervals.items():
                for k in range(bisect_right(at, pos[w]), bisect_left(at, pos[b])):
                    i = pair.get((j, placed[k][1]))
                    if i is not None:
                        found.append(i)
        self.dirty = set()
        return found

    # -- the search --------------------------------------------------------------
    def run(self, deadline, max_conflicts: int):
        """SAT (the order `pos` satisfies every constraint), CYCLE (the forced graph now has
        one) or None (out of time or conflicts)."""
        cons = self.graph.constraints
        pos = self.pos
        work: deque = deque()
        conflicts = steps = 0
        while True:
            if not work:
                work.extend(self.broken())
                if not work:
                    return SAT
            steps += 1
            if steps & 255 == 0 and deadline is not None and time.monotonic() > deadline:
                return None
            i = work.popleft()
            x, w, b, key = cons[i]
            if not pos[w] < pos[x] < pos[b]:
                continue
            first, second = _sides(cons[i])
            if pos[b] - pos[x] < pos[x] - pos[w]:
                first, second = second, first
            r1, ahead1 = self.against(first[0], first[1])
            r2, ahead2 = self.against(second[0], second[1])
            if r1 is None and r2 is None:     # a free choice: a new decision level
                self.levels.append((len(self.trail), i, second))
                self.place(first[0], first[1], ahead1)
                self.link(*first, frozenset((len(self.levels) - 1,)), key)
                continue
            if r1 is None or r2 is None:      # one side is ruled out, the other implied by why
                side, ahead, why = (first, ahead1, r2) if r1 is None else (second, ahead2, r1)
                self.place(side[0], side[1], ahead)
                self.link(*side, why, key)
                continue
            # both sides close a cycle: jump back to the latest decision behind them,
            # whose other side the rest of the reason implies
            conflict, side = r1 | r2, first
            while conflict:
                conflicts += 1
                if conflicts > max_conflicts:
                    return None
                j = max(conflict)
                mark, cid, side = self.levels[j]
                del self.levels[j:]
                self.undo_to(mark)
                key = cons[cid][3]
                rest = conflict - {j}
                r, ahead = self.against(side[0], side[1])
                if r is None:
                    self.place(side[0], side[1], ahead)
                    self.link(*side, rest, key)
                    break
                conflict = rest | r
            else:
                self.link(*side, frozenset(), key)   # forced, and it closes a cycle of forced edges
                return CYCLE
            work.append(i)


def _sides(constraint) -> tuple:
    """The two ways to keep w's version from x: (from, to, edge kind)."""
    x, w, b, _key = constraint
    return (x, w, "ww"), (b, x, "rw")


def search_order(graph, order: list, deadline=None, max_conflicts: int = MAX_CONFLICTS):
    """Decide `graph.constraints` (no ambiguous reads, no `versions` left to z3).

    `order` is a topological order of the forced graph, the first guess.
    Returns (SAT, a topological order satisfying every constraint), (CYCLE, the
    forced edges derived, as (a, b, kind, key): with them the forced graph has a
    cycle), or (None, None) when the budget ran out. The graph is not changed:
    inference, where the closure is affordable, derives the same edges in an
    order that names the cycle better (`DepGraph._resolve_constraints`).
    """
    if deadline is not None and time.monotonic() > deadline:
        return None, None    # no time left: no search is started
    search = _Search(graph, order)
    found = search.run(deadline, max_conflicts)
    if found == CYCLE:
        return CYCLE, [(a, b, kind, key) for (a, b), (kind, key) in search.derived.items()]
    if found is None:
        return None, None
    return SAT, sorted(range(len(search.pos)), key=search.pos.__getitem__)
