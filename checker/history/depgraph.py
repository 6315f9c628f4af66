"""The forced dependency graph of a history, and the inference that grows it.

Every edge here holds in *every* order that could witness the criterion, so a
cycle is a proof of violation. Edges come from:

- reads with a single possible writer w (write-read, `wr`);
- real time (`rt`) and a thread's own order (`po`), when the criterion asks;
- the legality of each such read: every other writer X of the key must come
  before w (`ww`) or after every reader of w (`rw`). When reachability in the
  graph already rules one side out, the other becomes an edge (the pruning
  Cobra, OSDI 2020, uses); otherwise it stays a two-way *constraint*.

The constraints of one key are kept whole (`KeySpans`): the intervals no
other writer may fall inside, and the writers, not every pair of them. The
pairs grow with the square of a key's writers: 10^5-transaction database
histories of the check benchmark hold 9.9 M (blind writes; 99,628 intervals)
and 26 M (the mix, whose hot keys have thousands of units; 48,231 intervals),
more than any list may hold. The acyclicity search (acyclic.py) reads the
intervals as they are; only inference and z3, which run on graphs small
enough for a closure, get the pairs listed (`constraints`, bounded by
`CHOICE_LIMIT`).

Two kinds of auxiliary node keep the graph linear in size: a *barrier* after
all readers of one write (so "X after every reader of w" is one edge), and a
*time point* per end event (so real-time order needs no quadratic edge set).
Cycles through them are rendered as plain `rw` and `rt` edges between
transactions.
"""

from __future__ import annotations

import time

from stmcheck.models.history import COMMITTED, History

from ..graphs import topological_order
from .readsources import INIT, ReadIndex
from .witness import Scope

TXN, BARRIER, TIME = 0, 1, 2

# Graphs up to this many nodes keep reachability exact while constraints are
# resolved (an O(nodes) update per new edge); larger ones update once per round.
SEQUENTIAL_LIMIT = 1000
# What inference and z3 may hold: possible (reader, writer) pairs of the reads with several
# possible writers, plus write-order constraints once listed pair by pair. Each costs a few
# dozen bytes here and a z3 term later; values repeated across thousands of writers (a key
# flipping between two values) make this quadratic in the history, so past the limit the
# graph is not built (or its constraints not listed) and that step's answer is inconclusive,
# with memory bounded, never a MemoryError.
CHOICE_LIMIT = 2_000_000


class TooLarge(Exception):
    """The forced graph of this history would need more than `CHOICE_LIMIT` choices."""


class KeySpans:
    """The write-order constraints of one key, kept per interval instead of per pair.

    Each interval (w, b, exempt) says: w's version is read until b, so no node of
    `xs` (the key's writers, or the heads of its units) may fall strictly between w
    and b, save those in `exempt` (w itself; writers that read w's version, which
    have edges of their own). Every pair (x, w, b) is one constraint "x -> w or
    b -> x"; `pairs` lists them, in the order the per-pair lists had.
    """

    __slots__ = ("key", "xs", "intervals")

    def __init__(self, key, xs):
        self.key = key
        self.xs = xs             # list of nodes
        self.intervals = []      # (w, b, exempt: a set of nodes)

    def pairs(self):
        key, xs = self.key, self.xs
        for w, b, exempt in self.intervals:
            for x in xs:
                if x not in exempt:
                    yield (x, w, b, key)

    def size(self) -> int:
        inside = set(self.xs)
        return sum(len(inside) - len(exempt & inside) for _w, _b, exempt in self.intervals)


class Ambiguous:
    """A read with several possible writers: reader node, key, candidates (node ids or INIT)."""

    __slots__ = ("reader", "key", "candidates", "event")

    def __init__(self, reader, key, candidates, event):
        self.reader, self.key, self.candidates, self.event = reader, key, candidates, event


class DepGraph:
    """Nodes 0..len(txns)-1 are transactions (in `txns` order); aux nodes follow."""

    def __init__(self, history: History, scope: Scope, txns: list, index: ReadIndex, deadline=None):
        self.history, self.scope, self.index = history, scope, index
        self.guess = None   # the checker's first guess of a serial order, as a rank (criteria.py `_guess`)
        # its topological order nearest that guess ([]: none): `infer` drops it, the one step after
        # `build` that adds edges before a witness is sought again (dropping it per edge in
        # `add_edge` was tried: the timed 10^5 mix's builds 0.82-0.87 s against 0.78-0.84 s)
        self.first_order = None
        self.deadline = deadline             # time.monotonic() past which building raises TimeoutError
        self.choices = 0                     # possible (reader, writer) pairs and constraints held
        self.txns = txns
        self.node = {t.index: i for i, t in enumerate(txns)}
        self.kind = [TXN] * len(txns)
        self.succ: list[dict] = [dict() for _ in txns]   # node -> {successor: (kind, key)} of its first edge
        self.parallel: dict = {}             # (a, b) -> [(kind, key)] of further kinds of a -> b
        self.spans: dict = {}                # key -> KeySpans: the constraints as built
        self._constraints = None             # [(X, w, B, key)]: X -> w, or B -> X, once listed
        self.ambiguous: list[Ambiguous] = []
        self.missing = None                  # (txn, key, value, event) of a read with no writer
        self.writers: dict = {}              # key -> [node] committed writers present, in node order
        self._wsets: dict = {}               # key -> the same as a set, once asked for
        self.key_of_barrier: dict = {}

    # -- construction ------------------------------------------------------
    def new_node(self, kind: int) -> int:
        self.kind.append(kind)
        self.succ.append({})
        return len(self.kind) - 1

    def add_edge(self, a: int, b: int, kind: str, key=None) -> bool:
        """Add a -> b; True when the pair was not connected yet. A second kind of edge between
        the same two nodes (a write-read beside a read-write) changes no order, but it may
        make a cycle simpler to name (G-single rather than G2-item), so it is kept too."""
        s = self.succ[a]
        first = s.get(b)
        if first is None:
            s[b] = (kind, key)
            return True
        if first[0] != kind:
            more = self.parallel.setdefault((a, b), [])
            if all(k != kind for k, _ in more):
                more.append((kind, key))
        return False

    def edges_between(self, a: int, b: int) -> list:
        """Every kind of edge a -> b, as (kind, key), the first one added first."""
        return [self.succ[a][b], *self.parallel.get((a, b), ())]

    def build(self) -> "DepGraph":
        index, node = self.index, self.node
        writers = self.writers
        for i, t in enumerate(self.txns):  # only this graph's transactions: windows stay cheap
            if t.status is COMMITTED:
                for key in t.final_writes():
                    ws = writers.get(key)
                    if ws is None:
                        writers[key] = [i]
                    else:
                        ws.append(i)
        groups: dict = {}  # (key, source node or INIT) -> [reader nodes]
        deadline = self.deadline
        for n, t in enumerate(self.txns):
            if deadline is not None and n & 1023 == 1023 and time.monotonic() > deadline:
                raise TimeoutError("building the dependency graph ran out of time")
            me = node[t.index]
            for key, value, event in t.external_reads():
                many = index.count(t, key, value)
                if many > 1:
                    self._spend(many)
                cands = index.candidates(t, key, value)
                if not cands:
                    if self.missing is None:
                        self.missing = (t, key, value, event)
                    continue
                cand_nodes = [c if c is INIT else node.get(c.index) for c in cands]
                if None in cand_nodes:
                    continue  # a possible writer lies outside this (windowed) graph: no constraint
                if len(cands) == 1:
                    groups.setdefault((key, cand_nodes[0]), []).append(me)
                else:
                    self.ambiguous.append(Ambiguous(me, key, cand_nodes, event))
        by_key: dict = {}
        for (key, src), readers in groups.items():
            if src is INIT:
                self._add_source(key, src, readers)
            else:
                by_key.setdefault(key, {})[src] = list(dict.fromkeys(readers))
        for key, sources in by_key.items():
            if not self._add_units(key, sources):
                for src, readers in sources.items():
                    self._add_source(key, src, readers)
        self._add_order_edges()
        self._add_versions()
        return self

    @property
    def constraints(self) -> list:
        """The constraints pair by pair, listed from `spans` at the first use (inference, z3);
        TooLarge past `CHOICE_LIMIT`."""
        if self._constraints is None:
            self._spend(sum(s.size() for s in self.spans.values()), "write-order constraints listed pair by pair")
            self._constraints = [c for s in self.spans.values() for c in s.pairs()]
        return self._constraints

    @constraints.setter
    def constraints(self, value: list) -> None:
        self._constraints = value

    def has_constraints(self) -> bool:
        if self._constraints is not None:
            return bool(self._constraints)
        return any(s.size() for s in self.spans.values())

    def _writer_set(self, key) -> set:
        found = self._wsets.get(key)
        if found is None:
            found = self._wsets[key] = set(self.writers.get(key, ()))
        return found

    def _span(self, key, xs) -> KeySpans:
        span = self.spans.get(key)
        if span is None:
            span = self.spans[key] = KeySpans(key, xs)
        return span

    def _add_source(self, key, src, readers: list) -> None:
        readers = list(dict.fromkeys(readers))
        if src is not INIT:
            for r in readers:
                if r != src:
                    self.add_edge(src, r, "wr", key)
        writers = self.writers.get(key, ())
        reader_set = set(readers)
        exempt = {src}
        # Work in the readers, not the writers (a hot key's thousands of writers, once per
        # version read: 1.1 s of a 10^5 mix with a lost update), in the order a walk over the
        # writers would take: writers are in node order, and the barrier comes at the first
        # writer that neither wrote nor read this version.
        wset = self._writer_set(key)
        reading = sorted(r for r in reader_set if r != src and r in wset)
        first_free = next((x for x in writers if x != src and x not in reader_set), None)
        barrier = None
        for x in reading:
            if barrier is None and first_free is not None and first_free < x:
                barrier = self._barrier(readers, key)
            exempt.add(x)
            for r in readers:
                if r != x:
                    self.add_edge(r, x, "rw", key)
        if barrier is None and first_free is not None:
            barrier = self._barrier(readers, key)
        if barrier is None:
            return
        if src is INIT:
            for x in writers:
                if x not in exempt:
                    self.add_edge(barrier, x, "rw", key)
            return
        if self._constraints is not None:   # after the listing (inference): pair by pair
            self._spend(len(writers))
            self._constraints += [(x, src, barrier, key) for x in writers if x not in exempt]
        else:
            self._span(key, writers).intervals.append((src, barrier, exempt))

    def _add_units(self, key, sources: dict) -> bool:
        """Write combining (Cobra, OSDI 2020): the constraints of `key` between whole units.

        A *unit* is a maximal chain of writers of `key` each of which read the
        previous one's value (a read-modify-write chain). In every legal order
        its versions are adjacent (a writer placed between two links would
        hide the first one's value from the second), so for two units U and V
        the only choices are U wholly before V or V wholly before U, and every
        reader of V's last version before U's first writer. For each unit V
        that anyone reads and every other unit U, one constraint "head(U) ->
        head(V) or end(V) -> head(U)" (end: a barrier after the last version's
        readers, or the last writer if nobody read it): with V's constraint on
        U, it is exactly the per-writer constraints of `_add_source` (see
        docs/formats.md), in units^2 rather than writers x reads (and kept as
        one interval per read unit, `KeySpans`).

        False (nothing added) when the chains are not simple: a version that
        two writers read and overwrote (a lost update: the per-writer edges
        make its cycle) or that a writer read twice; the caller then adds the
        per-writer constraints.
        """
        writers = self.writers.get(key, ())
        wset = set(writers)
        next_of: dict = {}
        seen_next: set = set()
        for src, readers in sources.items():
            rmw = [r for r in readers if r in wset and r != src]
            if len(rmw) > 1 or (rmw and rmw[0] in seen_next):
                return False
            if rmw:
                next_of[src] = rmw[0]
                seen_next.add(rmw[0])
        units = []
        covered = 0
        for h in writers:
            if h in seen_next:
                continue
            unit = [h]
            while unit[-1] in next_of and len(unit) <= len(writers):
                unit.append(next_of[unit[-1]])
            covered += len(unit)
            units.append(unit)
        if covered != len(writers):
            return False   # a cycle of read-modify-writes: the per-writer edges show it
        # edges: who read a version, and who read it before the next link overwrote it
        for src, readers in sources.items():
            nxt = next_of.get(src)
            for r in readers:
                if r != src:
                    self.add_edge(src, r, "wr", key)
                    if nxt is not None and r != nxt:
                        self.add_edge(r, nxt, "rw", key)
        read = []     # (head, end) of the units somebody reads
        for unit in units:
            tail = unit[-1]
            readers = sources.get(tail)
            if readers is not None:
                read.append((unit[0], self._barrier(readers, key)))
            elif len(unit) > 1:
                read.append((unit[0], tail))
        if read:
            span = self._span(key, [u[0] for u in units])
            span.intervals += [(hv, end, {hv}) for hv, end in read]
        return True

    def _spend(self, choices: int, what: str = "possible writer choices (values repeated by many writers)") -> None:
        self.choices += choices
        if self.choices > CHOICE_LIMIT:
            raise TooLarge(f"the exact search would hold more than {CHOICE_LIMIT:,} {what}; "
                           f"no cheap order is a witness")

    def _barrier(self, readers: list, key) -> int:
        if len(readers) == 1:
            return readers[0]
        b = self.new_node(BARRIER)
        self.key_of_barrier[b] = key
        for r in readers:
            self.add_edge(r, b, "rw>", key)
        return b

    def _add_order_edges(self) -> None:
        txns, scope = self.txns, self.scope
        if scope.program_order:
            last: dict = {}
            for i, t in enumerate(txns):  # txns are in begin order
                prev = last.get(t.thread)
                if prev is not None:
                    self.add_edge(prev, i, "po")
                last[t.thread] = i
        if scope.real_time:
            ends = sorted((t.end, i) for i, t in enumerate(txns) if t.end is not None)
            points = []
            for end, i in ends:
                p = self.new_node(TIME)
                self.add_edge(i, p, "rt")
                if points:
                    self.add_edge(points[-1][1], p, "rt")
                points.append((end, p))
            j = 0
            for i, t in enumerate(txns):  # begin order: sweep the end points
                while j < len(points) and points[j][0] < t.begin:
                    j += 1
                if j:
                    self.add_edge(points[j - 1][1], i, "rt")

    def _add_versions(self) -> None:
        """Chain the writers of each key in the order `versions` gives, where values say who is who.

        For a key whose list is only the known beginning of the order (`versions_open`),
        every writer not listed follows the last one listed. A value listed or written
        twice leaves which writer holds which place to z3 (`versions_ambiguous`): in a
        window, a writer of a repeated value may stand for a place another holds.
        """
        self.versions_ambiguous = []
        versions = self.history.versions
        if not versions:
            return
        open_keys = self.history.versions_open
        for key, listed in versions.items():
            nodes = self.writers.get(key, [])
            by_value: dict = {}
            for n in nodes:
                by_value.setdefault(self.txns[n].final_writes()[key], []).append(n)
            if any(len(v) > 1 for v in by_value.values()) or len(set(listed)) != len(listed):
                self.versions_ambiguous.append(key)
                continue
            chain = [by_value[v][0] for v in listed if v in by_value]
            for a, b in zip(chain, chain[1:]):
                self.add_edge(a, b, "ww", key)
            if key in open_keys and chain:
                known = set(listed)
                for v, (n,) in by_value.items():
                    if v not in known:
                        self.add_edge(chain[-1], n, "ww", key)

    # -- reachability and inference ----------------------------------------
    def topo_order(self):
        """Any topological order: (order, None), or (None, the nodes left on or behind a cycle)."""
        return topological_order(self.succ)

    def priority_order(self, rank: dict, extra: dict | None = None):
        """A topological order that takes the lowest-ranked ready transaction first.

        `rank` maps a transaction's history index to its place in a preferred
        order (commit order); auxiliary nodes go as soon as they are ready.
        `extra` adds edges (node -> set of nodes) that hold for this order only.
        Returns (order, None), or (None, the set of nodes left on or behind a cycle).
        Linear up to a log factor: the cheap witness to try before any closure.
        """
        txns, kind = self.txns, self.kind
        priority = [-1 if k != TXN else rank.get(txns[v].index, 0) for v, k in enumerate(kind)]
        order, stuck = topological_order(self.succ, priority, extra)
        return order, (None if stuck is None else set(stuck))

    def against(self, rank: dict) -> float:
        """The share of the forced edges between transactions that go against `rank` (to one
        ranked earlier): how little the order the history was recorded in says of its serial
        order (measured: 0-0.6% on the check benchmark's timed histories but the database mix,
        4.8%, whose intervals overlap by up to 40 places; 17.7% on its mix laid out round-robin)."""
        txns, n = self.txns, len(self.txns)
        places = [rank.get(t.index, 0) for t in txns]
        total = against = 0
        for a in range(n):
            pa = places[a]
            for b in self.succ[a]:
                if b < n:
                    total += 1
                    against += places[b] < pa
        return against / total if total else 0.0

    def midpoint_rank(self, rank: dict, extra: dict | None = None) -> dict | None:
        """{txn index: place}: the transactions in the order of the middle of their earliest and
        latest places in the forced graph with `extra` edges (its longest paths from a source,
        and to a sink), ties by `rank`; None when those edges close a cycle. Where the order the
        history was recorded in says little (`against`), the first guess of a serial order."""
        order, _ = topological_order(self.succ, None, extra)
        if order is None:
            return None
        succ, extra = self.succ, extra or {}
        early = [0] * len(self.kind)
        for v in order:
            d = early[v] + 1
            for b in succ[v]:
                if early[b] < d:
                    early[b] = d
            for b in extra.get(v, ()):
                if early[b] < d:
                    early[b] = d
        late = [0] * len(self.kind)         # the longest path to a sink: the latest place, from the end
        for v in reversed(order):
            m = 0
            for b in succ[v]:
                if late[b] >= m:
                    m = late[b] + 1
            for b in extra.get(v, ()):
                if late[b] >= m:
                    m = late[b] + 1
            late[v] = m
        txns = self.txns
        key = {t.index: (early[v] - late[v], rank.get(t.index, 0)) for v, t in enumerate(txns)}
        return {i: place for place, i in enumerate(sorted(key, key=key.__getitem__))}

    def thread_edges(self) -> dict:
        """node -> {the next transaction of its thread}: program order, as `extra` edges."""
        out: dict = {}
        last: dict = {}
        for i, t in enumerate(self.txns):   # txns are in begin order
            prev = last.get(t.thread)
            if prev is not None:
                out[prev] = {i}
            last[t.thread] = i
        return out

    def closure(self, order: list) -> list:
        """desc[v]: bitset of nodes reachable from v (v included)."""
        desc = [0] * len(self.kind)
        succ = self.succ
        for v in reversed(order):
            bits = 1 << v
            for b in succ[v]:
                bits |= desc[b]
            desc[v] = bits
        return desc

    def infer(self, deadline=None, max_rounds=None):
        """Grow the graph until nothing more is forced.

        Returns (order, None) with an acyclic graph's topological order, or
        (None, cyclic nodes) as soon as a cycle appears.
        """
        rounds = 0
        self.first_order = None   # the edges it adds change the order nearest the guess
        while True:
            rounds += 1
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("inference ran out of time")
            order, cyclic = self.topo_order()
            if cyclic is not None:
                return None, cyclic
            desc = self.closure(order)
            changed = self._resolve_constraints(desc, order) | self._resolve_ambiguous(desc)
            if not changed or (max_rounds is not None and rounds >= max_rounds):
                self.desc = desc
                return order, None

    def _resolve_constraints(self, desc, order) -> bool:
        """Turn constraints with one side ruled out into edges.

        In small graphs each new edge updates reachability at once, so later
        constraints see it: when the history is contradictory, the edge that
        closes the cycle then follows from the first one (the cycle a person
        can read, as in Adya's graphs) rather than two edges each inferred
        from the same contradiction (a write-write cycle on one key).
        """
        changed = False
        keep = []
        update = len(desc) <= SEQUENTIAL_LIMIT
        # Without updates, `desc` is the closure of a graph whose topological order is
        # `order`: u can reach v only if u comes first, a test that costs no big-int work.
        pos = None
        if not update:
            pos = [0] * len(desc)
            for i, v in enumerate(order):
                pos[v] = i

        def reaches(u, v) -> bool:
            return (pos is None or pos[u] < pos[v]) and (desc[u] >> v) & 1 == 1

        for i, c in enumerate(self.constraints):
            x, w, b, key = c
            if reaches(x, w) or reaches(b, x):
                continue  # already satisfied
            if reaches(w, x):
                a, d, kind = b, x, "rw"  # x cannot precede w
            elif reaches(x, b):
                a, d, kind = x, w, "ww"  # x cannot follow w's readers
            else:
                keep.append(c)
                continue
            if self.add_edge(a, d, kind, key):
                changed = True
                if update:
                    if (desc[d] >> a) & 1:
                        self.constraints = keep + self.constraints[i + 1:]  # a cycle: the next round finds it
                        return True
                    reach = desc[d]
                    for u, bits in enumerate(desc):
                        if (bits >> a) & 1:
                            desc[u] = bits | reach
        self.constraints = keep
        return changed

    def _resolve_ambiguous(self, desc) -> bool:
        changed = False
        keep = []
        for a in self.ambiguous:
            r = a.reader
            left = [c for c in a.candidates if c is INIT or not (desc[r] >> c) & 1]
            before = 0   # the other writers of the key forced before the reader
            for x in self.writers.get(a.key, ()):
                if x != r and (desc[x] >> r) & 1:
                    before |= 1 << x
            if before:
                # INIT is impossible when some other writer must precede the reader; a writer c
                # is impossible when another writer lies forced between c and the reader (that
                # one's write would be the later, so the read cannot return c's). Were the only
                # writer ruled out that way, it is kept: its source edge then closes a cycle,
                # which names and explains the violation better than z3 can.
                left = [c for c in left if c is not INIT]
                unshadowed = [c for c in left if not (desc[c] & before & ~(1 << c))]
                if unshadowed or len(left) > 1:
                    left = unshadowed
            if len(left) == 1:
                self._add_source(a.key, left[0], [r])
                changed = True
            elif not left:
                # every candidate is ruled out: the read forces a cycle; keep it for z3's explanation
                keep.append(Ambiguous(r, a.key, [], a.event))
            else:
                a.candidates = left
                keep.append(a)
        self.ambiguous = keep
        return changed

    def undecided(self) -> bool:
        return bool(self.has_constraints() or self.ambiguous or getattr(self, "versions_ambiguous", None))

    def txn_order(self, order: list) -> list:
        return [self.txns[v] for v in order if v < len(self.txns)]
