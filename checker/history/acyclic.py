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
  reason (with no reason, it is forced); when both are, the search takes back
  the latest decision among the two reasons, and only what rests on it, and
  takes its other side, implied by the rest of the reasons (dynamic
  backtracking, Ginsberg 1993: the rest is the remembered reason that side
  keeps while it holds). Jumping back chronologically, as this search first
  did, undid on the untimed 10^4 mix 52,000 edges over 753 conflicts, 97% of
  which did not rest on the decision taken back, and derived them again; on
  the timed 10^5 mix the search took 48 s that way, 4.7 s this way;
- the constraints are read per key, as intervals (`DepGraph.spans`): a hot
  key's pairs, never listed, are found broken by a sort and a binary search.

The loop runs in C (acyclic_core.c, `_NativeSearch`) where a compiler is at
hand, step for step as `_Search` does it (the same walks over the same lists, so
the same order, derived edges and conflicts: tests/history/test_units.py runs
both): on the check benchmark's untimed 10^5 mix the search took 5.5 s in
Python, 0.5 s so (0.13 s of it laying the graph out as arrays), the timed one
2.2 s and 0.3 s. `_Search` stays the reference, and runs where C cannot be built.

Sound: no broken constraint left means the order satisfies every one (the
caller replays it anyway); a conflict with no reason means the forced graph,
with the forced edges this search derived, has a cycle whichever side is
taken: a violation. Complete as dynamic backtracking is (tests/history/
test_units.py checks it against every choice of sides on small graphs). It
needs no closure, so it runs before inference, and on graphs too large for
one. Exponential in the worst case, so bounded by a deadline and a number of
conflicts: past either, the answer is None and inference and z3 decide (or,
past the closure's limit, the answer is inconclusive).
"""

from __future__ import annotations

import os
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from itertools import compress, repeat
from operator import lt

from stmcheck.models import cbuild

MAX_CONFLICTS = 20_000

# How a free choice is made: NEARER takes the side that moves the fewer places in the
# order; FIRST_ORDER the side that keeps x and w as the first order has them. Neither wins
# everywhere. Conflicts (CPU s) on the check benchmark's histories, NEARER / FIRST_ORDER,
# each alone: blind writes 10^4 0 (0.05) / 17,175 (out of time at 40 s), 10^5 0 (1.6) /
# out of time; timed database mix 10^4 13 (0.04) / 3 (0.08), 10^5 3,096 (5.9) / 641 (3.3);
# untimed mix 10^4 1,322 (0.9) / 451 (0.4), 10^5 out of time / 7,020 (13.8); one stale read
# 10^3 (serializability) 383 (0.07) / 0 (0.00). So the search runs NEARER first with a small
# budget of conflicts, then starts again FIRST_ORDER with the rest: a restart with another
# phase, as SAT solvers do.
NEARER, FIRST_ORDER = "nearer", "first order"
PHASES = ((NEARER, 50), (FIRST_ORDER, None))
# A phase with a budget gets one conflict per NODES_PER_CONFLICT nodes of the graph, at least
# MIN_PHASE_CONFLICTS, at most its budget: on small graphs a conflict is a large share of the
# work (the 1,000-transaction history with one stale read, serializability: NEARER spent 51
# conflicts, 10 of its 16 ms, before FIRST_ORDER found the order with none; 14 now). The
# database histories' graphs (10^4 transactions and up) have the whole budget.
NODES_PER_CONFLICT = 100
MIN_PHASE_CONFLICTS = 10

SAT, CYCLE = "sat", "cycle"


class _Fixed:
    """What every phase of one search reads and none changes: the forced edges both ways,
    and the constraints per key and interval, with the keys each node belongs to."""

    def __init__(self, graph):
        n = len(graph.kind)
        self.fout = graph.succ
        self.fin = [[] for _ in range(n)]
        for a, s in enumerate(graph.succ):
            for b in s:
                self.fin[b].append(a)
        # Constraints by key, as intervals (w, b) no x may fall inside: finding the broken ones is
        # then a sort and a binary search per interval, not a look at every pair (a hot key's
        # units pair up in the millions, and are never listed: `DepGraph.spans`).
        self.by_key = _intervals(graph)            # [(key, x nodes, [(w, b, exempt, only)])]
        # per key, the w nodes of its intervals and their b nodes, in order (for `broken`)
        self.ends = [([w for w, _b, _e, _o in intervals], [b for _w, b, _e, _o in intervals])
                     for _key, _xs, intervals in self.by_key]
        keys_of: dict = {}
        for k, (_key, xs, intervals) in enumerate(self.by_key):
            for v in xs:
                keys_of.setdefault(v, set()).add(k)
            for w, b, _exempt, _only in intervals:
                keys_of.setdefault(w, set()).add(k)
                keys_of.setdefault(b, set()).add(k)
        # node -> ids of the keys it is an x, w or b of (() for none)
        self.keys_of = [keys_of.get(v, ()) for v in range(n)]


class _Search:
    def __init__(self, graph, order, phase: str = NEARER, fixed: _Fixed | None = None):
        self.graph = graph
        self.phase = phase
        n = len(graph.kind)
        self.pos = [0] * n
        for i, v in enumerate(order):
            self.pos[v] = i
        self.first = self.pos[:]                   # the first order (FIRST_ORDER decides by it)
        fixed = fixed or _Fixed(graph)
        self.fout, self.fin = fixed.fout, fixed.fin   # forced edges
        self.by_key, self.keys_of, self.ends = fixed.by_key, fixed.keys_of, fixed.ends
        self.derived: dict = {}                    # (a, b) -> (kind, key): forced edges found here
        # Every edge as one successor and one predecessor list per node, so that `against` and
        # `place` walk one list a node: a successor list holds the forced edges, then the
        # derived ones (`nderived` of them), then those that hold under decisions, the order
        # `against` meets them in. The forced edges' lists are shared until a node gets an edge.
        self.out = list(self.fout)
        self.into = list(self.fin)
        self.nderived = [0] * n
        self.why: dict = {}                        # (a, b) -> frozenset of decision levels
        self.levels: dict = {}                     # live decision level -> (constraint, other side)
        self.next_level = 0                        # levels are numbered in the order decided
        self.dependents: dict = {}                 # level -> [(a, b, reason)] edges whose reason holds it
        self.conflicts = 0
        self.dirty = set(range(len(self.by_key)))  # keys whose nodes moved since they were looked at
        self.moved: set = set()                    # nodes moved since then: `broken` adds their keys
        self.by_place: dict = {}                   # key id -> its x nodes as `broken` last sorted them

    # -- the incremental order ------------------------------------------------
    def against(self, a: int, b: int):
        """Would a -> b close a cycle? (the reason: the decision levels behind a path
        b ->* a, None), or (None, what b reaches between the two: for `place`)."""
        pos = self.pos
        ub = pos[a]
        if ub < pos[b]:
            return None, None
        out = self.out
        parent = {b: None}
        stack = [b]
        push, pop = stack.append, stack.pop
        while stack:
            u = pop()
            for v in out[u]:
                p = pos[v]
                if p < ub:
                    if v not in parent:
                        parent[v] = u
                        push(v)
                elif p == ub:                      # v is a (the places are a permutation)
                    parent[a] = u
                    return self._reason(parent, a), None
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
        push, pop = stack.append, stack.pop
        into = self.into
        while stack:
            u = pop()
            for v in into[u]:
                if pos[v] > lb and v not in back:
                    back.add(v)
                    push(v)
        moved = sorted(back, key=pos.__getitem__) + sorted(ahead, key=pos.__getitem__)
        slots = sorted(map(pos.__getitem__, moved))
        for v, p in zip(moved, slots):
            pos[v] = p
        self.moved.update(moved)   # their keys are read once in `broken`: nodes move many times

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
                # after the forced and derived successors, before the decided ones
                self._own(self.out, self.fout, a).insert(len(self.fout[a]) + self.nderived[a], b)
                self.nderived[a] += 1
                self._own(self.into, self.fin, b).append(a)
        elif (a, b) not in self.why and (a, b) not in self.derived and b not in self.fout[a]:
            self.why[(a, b)] = reason
            self._own(self.out, self.fout, a).append(b)
            self._own(self.into, self.fin, b).append(a)
            dependents = self.dependents
            for level in reason:
                dependents.setdefault(level, []).append((a, b, reason))

    def retract(self, level: int) -> None:
        """Take back decision `level` and every edge whose reason holds it, and nothing else:
        the edges of later decisions that do not rest on it stay (dynamic backtracking)."""
        del self.levels[level]
        why, out, into, fout, nderived = self.why, self.out, self.into, self.fout, self.nderived
        for a, b, reason in self.dependents.pop(level, ()):
            if why.get((a, b)) is reason:
                succs = out[a]   # b among the decided edges, after the forced and derived ones
                del succs[succs.index(b, len(fout[a]) + nderived[a])]
                into[b].remove(a)   # any a will do: `place` reads the predecessors as a set
                del why[(a, b)]

    @staticmethod
    def _own(lists: list, forced: list, v: int) -> list:
        """lists[v] (`out` or `into`), copied from the forced edges' before it first changes."""
        edges = lists[v]
        if edges is forced[v]:
            edges = lists[v] = list(edges)
        return edges

    def broken(self) -> list:
        """The constraints the order breaks (x inside w..b), among the keys whose nodes moved,
        key by key in the order they were built (so the same input gives the same search)."""
        pos, ends, by_place = self.pos, self.ends, self.by_place
        end = len(pos)
        found = []
        self.dirty.update(*map(self.keys_of.__getitem__, self.moved))
        self.moved = set()
        for k in sorted(self.dirty):
            key, xs, intervals = self.by_key[k]
            # the x nodes in the order of their places: sorted again from the order they had
            # when last looked at, which few moves disturb (so the sort is mostly one pass)
            placed = by_place.get(k)
            if placed is None:
                placed = by_place[k] = list(xs)
            placed.sort(key=pos.__getitem__)
            at = list(map(pos.__getitem__, placed))
            at.append(end)                           # past every place: at[i] is always there
            # where each interval's x nodes would start in `at` (one bisection each, in one pass
            # over all of them); most intervals hold none (the first x past w is not before b),
            # and only those that hold some are visited, to find where their x nodes stop
            ws, bs = ends[k]
            starts = list(map(bisect_right, repeat(at), map(pos.__getitem__, ws)))
            holds = map(lt, map(at.__getitem__, starts), map(pos.__getitem__, bs))
            for j in compress(range(len(starts)), holds):
                w, b, exempt, only = intervals[j]
                start = starts[j]
                for i in range(start, bisect_left(at, pos[b], start)):
                    x = placed[i]
                    if (x not in exempt) if only is None else (x in only):
                        found.append((x, w, b, key))
        self.dirty = set()
        return found

    # -- the search --------------------------------------------------------------
    def run(self, deadline, max_conflicts: int):
        """SAT (the order `pos` satisfies every constraint), CYCLE (the forced graph now has
        one) or None (out of time or conflicts)."""
        pos = self.pos
        work: deque = deque()
        steps = 0
        while True:
            if not work:
                work.extend(self.broken())
                if not work:
                    return SAT
            steps += 1
            if steps & 255 == 0 and deadline is not None and time.monotonic() > deadline:
                return None
            c = work.popleft()
            x, w, b, key = c
            if not pos[w] < pos[x] < pos[b]:
                continue
            first, second = _sides(c)
            if (pos[b] - pos[x] < pos[x] - pos[w]) if self.phase == NEARER else (self.first[w] < self.first[x]):
                first, second = second, first
            r1, ahead1 = self.against(first[0], first[1])
            r2, ahead2 = self.against(second[0], second[1])
            if r1 is None and r2 is None:     # a free choice: a new decision level
                level = self.next_level
                self.next_level += 1
                self.levels[level] = (c, second)
                self.place(first[0], first[1], ahead1)
                self.link(*first, frozenset((level,)), key)
                continue
            if r1 is None or r2 is None:      # one side is ruled out, the other implied by why
                side, ahead, why = (first, ahead1, r2) if r1 is None else (second, ahead2, r1)
                self.place(side[0], side[1], ahead)
                self.link(*side, why, key)
                continue
            # both sides close a cycle: take back the latest decision behind them (and only
            # what rests on it), whose other side the rest of the reason implies
            conflict, side = r1 | r2, first
            while conflict:
                self.conflicts += 1
                if self.conflicts > max_conflicts:
                    return None
                j = max(conflict)
                decided, side = self.levels[j]
                self.retract(j)
                key = decided[3]
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
            work.append(c)


def _sides(constraint) -> tuple:
    """The two ways to keep w's version from x: (from, to, edge kind)."""
    x, w, b, _key = constraint
    return (x, w, "ww"), (b, x, "rw")


def _intervals(graph) -> list:
    """[(key, x nodes, [(w, b, exempt, only)])]: the graph's constraints per key and interval.
    From `graph.spans` while they are not listed (x ranges over the key's x nodes save
    `exempt`), else from the list `graph.constraints` (x ranges over `only`)."""
    if getattr(graph, "_constraints", None) is None and hasattr(graph, "spans"):
        return [(key, span.xs, [(w, b, exempt, None) for w, b, exempt in span.intervals])
                for key, span in graph.spans.items() if span.intervals]
    by_key: dict = {}
    for x, w, b, key in graph.constraints:
        xs, intervals = by_key.setdefault(key, ({}, {}))
        xs[x] = None
        intervals.setdefault((w, b), {})[x] = None
    return [(key, list(xs), [(w, b, None, set(only)) for (w, b), only in intervals.items()])
            for key, (xs, intervals) in by_key.items()]


# -- the same search in C (acyclic_core.c) ------------------------------------------------

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "acyclic_core.c")
CDEF = """
typedef struct fixed fixed;
typedef struct search search;
fixed *acy_fixed_new(int n, const int32_t *fout_off, const int32_t *fout, int nkeys, const int32_t *xs_off,
                     const int32_t *xs, const int32_t *iv_off, const int32_t *iv_w, const int32_t *iv_b,
                     const int32_t *iv_mode, const int32_t *set_off, const int32_t *set);
void acy_fixed_free(fixed *f);
search *acy_search_new(fixed *f, const int32_t *order, int phase);
int acy_run(search *s, double seconds, long long max_conflicts);
long long acy_conflicts(search *s);
long long acy_levels(search *s);
void acy_pos(search *s, int32_t *out);
long long acy_nderived(search *s);
void acy_derived(search *s, int32_t *a, int32_t *b, int32_t *kind, int32_t *key);
void acy_search_free(search *s);
"""
_C_PHASE = {NEARER: 0, FIRST_ORDER: 1}
_C_SAT, _C_CYCLE, _C_NO_MEMORY = 1, 2, -1
_C_KIND = ("ww", "rw")
_library = cbuild.OnDemand(SOURCE, CDEF, "acycore", "the acyclicity search")


def native():
    """(ffi, lib) of the C search (acyclic_core.c, built on first use like every C part:
    models/cbuild.py), or None where it cannot be built here (the Python loop then searches)."""
    return _library.get()


def _ints(values) -> array:
    return array("i", values)


class _NativeFixed:
    """`_Fixed` as flat arrays in C: the forced successors in the graph's order, and per key
    (in `_intervals`' order) its x nodes and intervals, each with its set of exempt nodes
    (mode 0) or of the only nodes it holds (mode 1), sorted."""

    def __init__(self, ffi, lib, graph):
        self.ffi, self.lib = ffi, lib
        self.by_key = _intervals(graph)
        fout_off, fout = _ints([0]), _ints(())
        for s in graph.succ:
            fout.extend(s)
            fout_off.append(len(fout))
        xs_off, xs, iv_off = _ints([0]), _ints(()), _ints([0])
        iv_w, iv_b, iv_mode, set_off, sets = _ints(()), _ints(()), _ints(()), _ints([0]), _ints(())
        for _key, kxs, intervals in self.by_key:
            xs.extend(kxs)
            xs_off.append(len(xs))
            for w, b, exempt, only in intervals:
                iv_w.append(w)
                iv_b.append(b)
                iv_mode.append(0 if only is None else 1)
                sets.extend(sorted(exempt if only is None else only))
                set_off.append(len(sets))
            iv_off.append(len(iv_w))
        self.n = len(graph.kind)
        buf = lambda a: ffi.from_buffer("int32_t[]", a)   # noqa: E731
        self.ptr = lib.acy_fixed_new(self.n, buf(fout_off), buf(fout), len(self.by_key), buf(xs_off), buf(xs),
                                     buf(iv_off), buf(iv_w), buf(iv_b), buf(iv_mode), buf(set_off), buf(sets))
        if self.ptr == ffi.NULL:
            raise MemoryError("the acyclicity search's graph does not fit in memory")

    def __del__(self):
        if getattr(self, "ptr", None) is not None and self.ptr != self.ffi.NULL:
            self.lib.acy_fixed_free(self.ptr)
            self.ptr = None


class _NativeSearch:
    """One phase of `_Search`, run in C: the same steps, so the same answer, order, derived
    edges and number of conflicts (tests/history/test_units.py compares the two)."""

    def __init__(self, fixed: _NativeFixed, order, phase: str):
        self.fixed, self.phase = fixed, phase
        self.conflicts = self.next_level = 0
        self.pos: list = []
        self.derived: dict = {}
        self._order = _ints(order)

    def run(self, deadline, max_conflicts: int):
        fx = self.fixed
        ffi, lib = fx.ffi, fx.lib
        s = lib.acy_search_new(fx.ptr, ffi.from_buffer("int32_t[]", self._order), _C_PHASE[self.phase])
        if s == ffi.NULL:
            raise MemoryError("the acyclicity search does not fit in memory")
        try:
            seconds = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            code = lib.acy_run(s, seconds, max_conflicts)
            if code == _C_NO_MEMORY:
                raise MemoryError("the acyclicity search ran out of memory")
            self.conflicts, self.next_level = lib.acy_conflicts(s), lib.acy_levels(s)
            if code == _C_SAT:
                pos = _ints(bytes(4 * fx.n))
                lib.acy_pos(s, ffi.from_buffer("int32_t[]", pos))
                self.pos = pos.tolist()
                return SAT
            if code == _C_CYCLE:
                m = lib.acy_nderived(s)
                a, b, kind, key = (_ints(bytes(4 * m)) for _ in range(4))
                lib.acy_derived(s, *(ffi.from_buffer("int32_t[]", x) for x in (a, b, kind, key)))
                self.derived = {(u, v): (_C_KIND[k], fx.by_key[i][0]) for u, v, k, i in zip(a, b, kind, key)}
                return CYCLE
            return None
        finally:
            lib.acy_search_free(s)


def search_order(graph, order: list, deadline=None, max_conflicts: int = MAX_CONFLICTS, phases=PHASES,
                 native_search: bool | None = None):
    """Decide the graph's constraints (no ambiguous reads, no `versions` left to z3).

    `order` is a topological order of the forced graph, the first guess.
    Returns (SAT, a topological order satisfying every constraint), (CYCLE, the
    forced edges derived, as (a, b, kind, key): with them the forced graph has a
    cycle), or (None, None) when the budget ran out. `phases`: (how free choices
    are made, conflicts allowed before the next phase starts again; None: the rest
    of `max_conflicts`). The graph is not changed: inference, where the closure is
    affordable, derives the same edges in an order that names the cycle better
    (`DepGraph._resolve_constraints`). `native_search`: None runs the search in C where it
    can be built here (acyclic_core.c), else in Python; True requires C, False Python.
    """
    found = search = fixed = None
    left = max_conflicts
    loaded = native() if native_search is not False and len(graph.kind) else None
    if loaded is None and native_search:
        raise RuntimeError(f"the C acyclicity search cannot be used here: {_library.error}")
    for phase, budget in phases:
        if deadline is not None and time.monotonic() > deadline:
            return None, None    # no time left: no search is started
        allowed = left if budget is None else min(budget, max(MIN_PHASE_CONFLICTS, len(graph.kind) // NODES_PER_CONFLICT), left)
        if loaded is not None:
            fixed = fixed or _NativeFixed(*loaded, graph)
            search = _NativeSearch(fixed, order, phase)
        else:
            fixed = fixed or _Fixed(graph)
            search = _Search(graph, order, phase, fixed)
        found = search.run(deadline, allowed)
        left -= search.conflicts
        if found is not None or left <= 0:
            break
    if found == CYCLE:
        return CYCLE, [(a, b, kind, key) for (a, b), (kind, key) in search.derived.items()]
    if found is None:
        return None, None
    order = [0] * len(search.pos)
    for v, p in enumerate(search.pos):   # the places stay a permutation of 0..n-1 (`place`)
        order[p] = v
    return SAT, order
