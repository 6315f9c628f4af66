"""The state graph built in partitions (`explore --cluster`: checker/cluster_graph.py moves the
messages), then gathered in one process to be judged.

Why it splits: a place (memory and thread positions, graph.py) is owned by one partition,
chosen by a hash of its canonical form; a partition expands the places it owns and sends each
successor it does not own to its owner (Stern and Dill's parallel Murphi; DiVinE). Threads
are Python generators, which cannot be sent, so what travels is how to get there: the
successor's digest, the schedule (choices, marks fused) that reached it, its enabled threads.
The owner stores a place the first time it hears of it and queues its edges; taking an edge is
a replay of the place's schedule and one step (as in graph.py), after which the run goes on
for free while it can (on places its partition owns, and through others' it has not sent
before: `PartitionRuns`).

Which hash: of the memory part of the place alone. Steps that change no shared memory (reads,
private bookkeeping, most of an attempt) then stay in their partition and the run goes on;
measured by partitioning tl2 transfer 3 x 1's one-process graph (36,816 edges, 17,040 places):
with a hash of the whole place, 50% of edges cross partitions at 2 workers (75% at 4, 87% at 8);
with the memory's hash 16% (31%, 34%). The price is balance: the largest partition holds 1.04,
1.26 and 1.38 times the mean at 2, 4 and 8 workers (reports/cluster.md), since tl2's memories
take fewer values than its places.

The digest must be the same in every process: positions are interned per process
(`runtime.Positions`), so `DigestPositions` gives each interned position the digest of its
sequence of results, and `canonical` writes values as text the same everywhere (sets sorted,
`True` as `1` since they are equal keys here); a value whose text names its address in memory
cannot be sent, and says so (`Unplaceable`), rather than split one state into two.

Why gathering keeps every verdict: `GatheredGraph` rebuilds the graph of places exactly (the
same places, the same labelled edges, the same steps into ends as the runs met them), numbered
breadth-first from the initial place, and hands it to `GraphSearch.conclude`: the views are
folded over it, livelock and starvation looked for, as after a search in one process. What the
partitions' runs found (a deadlock, a crash, a history or invariant broken at an end) travels as
schedules, replayed and judged here first. So each verdict is the one-process search's; the
counterexample may be another of the same kind (the one-process search meets them in another
order), and replays. Left for this one process: the fold (linear in the states it builds) and
the cycle search (linear in the places and edges): on tl2 3 x 1 about a tenth of the one-process
search's time, on tl2 3 x 2 and 4 x 1 the part that does not end (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
from collections import deque

from ..graphstore import numbered
from ..runtime import COMPLETE, MAX_STEPS, STOPPED, Positions
from .graph import GraphSearch, PathRuns
from .replay import Replay


class Unplaceable(ValueError):
    """A state holds a value with no process-independent form (its text is its address)."""


def canonical(value) -> str:
    """`value` as text, equal in every process for values equal here (the keys of one-process
    states compare with ==, so `True` is `1` and `2.0` is `2`)."""
    out: list = []
    _canon(value, out)
    return "".join(out)


def _canon(x, out: list) -> None:
    t = type(x)
    if t is int or t is bool:
        out.append("%d," % x)
    elif t is str:
        out.append(repr(x) + ",")
    elif x is None:
        out.append("N,")
    elif t is tuple or t is list:
        out.append("(")
        for y in x:
            _canon(y, out)
        out.append("),")
    elif t is float:
        out.append("%d," % x if x.is_integer() else repr(x) + ",")
    elif t is frozenset or t is set:
        out.append("{" + "".join(sorted(canonical(y) for y in x)) + "},")
    elif t is dict:
        out.append("{" + "".join(sorted(canonical(k) + ":" + canonical(v) for k, v in x.items())) + "},")
    else:
        text = repr(x)
        if " at 0x" in text:
            raise Unplaceable(f"a state holds {text}, which has no form that is the same in another process: "
                              f"the graph cannot be split (run it without --cluster)")
        out.append(text + ",")


def _digest(text: bytes) -> bytes:
    return hashlib.blake2b(text, digest_size=16).digest()


class DigestPositions(Positions):
    """Interned positions that also know each one's digest (of its whole sequence of results)."""

    __slots__ = ("digests",)

    def __init__(self):
        super().__init__()
        self.digests = [b""]

    def extend(self, pos: int, result) -> int:
        key = (pos, result)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
            self.digests.append(_digest(self.digests[pos] + canonical(result).encode()))
        return found


class Placer:
    """Digests of places, the same in every process: (place, memory) for a run's abstract state.
    Memories and thread positions recur across places, so their digests are kept (measured: the
    text of each, written anew, was 7% of a partition's time on tl2 3 x 1)."""

    def __init__(self):
        self.memories: dict = {}
        self.threads: dict = {}

    def __call__(self, memory, positions, digests: list) -> tuple:
        mem = self.memories.get(memory)
        if mem is None:
            mem = self.memories[memory] = _digest(canonical(memory).encode())
        parts = [mem]
        threads = self.threads
        for p in positions:
            if p is None:
                parts.append(b"-")
            else:
                rest = (p[0],) + p[2:]
                d = threads.get(rest)
                if d is None:
                    d = threads[rest] = canonical(rest).encode()
                parts.append(digests[p[1]] + d)
        return _digest(b"|".join(parts)), mem


def owner(memory_digest: bytes, partitions: int) -> int:
    return int.from_bytes(memory_digest[:8], "little") % partitions


class PartitionRuns(PathRuns):
    """One partition's runs: the places it owns, the edges its runs take, the successors it sends
    to their owners (`outbox`, one list per partition: (digest, schedule, enabled threads, the
    thread the sender went on with or 0)). Driven by the explorer's loop (`Explorer.explore`),
    which runs and judges each run; one call makes at most `runs_left` runs (a round).

    Going on through others' places: a run that reaches a place another partition owns, one it
    has not sent before, goes on from it (with the thread the one-process search would take) and
    says so in its message, so that the owner does not queue that edge; without this, every
    crossing ended a run and its owner replayed the whole schedule to take the edge (on tl2 3 x 1
    at 2 workers, 15,727 runs against 11,776 in one partition). A place it sent before (so its
    owner has it) ends the run, as a known place without waiting edges does. Two runs may take
    the same edge (a sender and the owner, which has not heard yet): the same transition twice,
    kept once when the graph is gathered."""

    name = "graph"
    fair = False
    finds_cycles = True
    #: (no `takes_choices`: its packed edges and waiting masks hold thread numbers only)
    choice_refusal = ("the graph search on a cluster (--cluster) takes no choices (machine.choose): "
                      "search here, without --cluster")
    fuses_marks = True

    def __init__(self, part: int, partitions: int, max_states: int):
        super().__init__()
        self.part, self.partitions, self.max_states = part, partitions, max_states
        self.product = None              # the history view folded later (graph.py, "Views after places")
        self.place = Placer()
        self.index: dict = {}            # digest -> node, for the places this partition owns
        self.digest: list = []           # node -> digest
        self.sched: list = []            # node -> the schedule that reaches it (bytes: one thread a choice)
        self.enabled: list = []          # node -> its enabled threads
        self.waits: list = []            # node -> its edges still to take, bit t - 1 for thread t
        self.queue: deque = deque()      # (node, thread)
        self.sent: set = set()           # digests of others' places sent to their owners
        self.edges: list = []            # (digest, thread, next digest, commits, label id)
        self.finals: list = []           # (digest, thread, label id, final memory items, commits, view accepts)
        self.labels: dict = {}
        self.label_list: list = []
        self.outbox: list = [[] for _ in range(partitions)]
        self.runs_left = 0               # runs this round may still make (cluster_graph.ROUND)
        self.full = False                # a new place was refused (max_states): the graph is incomplete
        self.path: list = []
        self.taken: list = []
        self.at = b""                    # the digest of the place the run steps from
        self.edge, self.commits, self._ev = 0, 0, 0

    def judge_histories_by(self, view) -> None:
        """The explorer's view (`Explorer.finite_history_view`): folded over the gathered places
        where it can be (`after`); cyclic runs' (`no_history`) needs nothing; None means whole
        histories in the states (object workloads), which cannot be split."""
        if view is None:
            raise Unplaceable("this workload's states carry whole histories: the graph cannot be split")
        if getattr(view, "after", None) is not None:
            self.product = view

    # -- messages ---------------------------------------------------------------------------------
    def receive(self, messages) -> None:
        for digest, sched, enabled, went in messages:
            node = self.index.get(digest)
            if node is None:
                self._add(digest, sched, enabled, went)
            else:
                if went and self.waits[node] >> (went - 1) & 1:    # the sender took that edge
                    self.waits[node] ^= 1 << (went - 1)
                if len(sched) < len(self.sched[node]):      # a shorter way there: later replays are shorter
                    self.sched[node] = sched

    def take_outbox(self) -> list:
        out, self.outbox = self.outbox, [[] for _ in range(self.partitions)]
        return out

    def _add(self, digest: bytes, sched: bytes, enabled: tuple, first: int):
        """A new place, its edges queued but `first`'s (the thread a run goes on with; 0: none);
        None where the partition is full."""
        if len(self.digest) >= self.max_states:
            self.full = True
            return None
        node = len(self.digest)
        self.index[digest] = node
        self.digest.append(digest)
        self.sched.append(sched)
        self.enabled.append(tuple(enabled))
        mask = 0
        for t in enabled:
            if t != first:
                self.queue.append((node, t))
                mask |= 1 << (t - 1)
        self.waits.append(mask)
        return node

    # -- the runs ---------------------------------------------------------------------------------
    def start(self) -> bool:
        if self.runs_left <= 0:
            return False
        self.runs_left -= 1
        while self.queue:
            node, t = self.queue.popleft()
            if self.waits[node] >> (t - 1) & 1:
                self.waits[node] ^= 1 << (t - 1)
                self.path, self.taken, self.at, self.edge = list(self.sched[node]) + [t], [], self.digest[node], t
                return True
        return False

    def _choose(self, run):
        """At a place past the path: record the edge into it; the thread to go on with, or None
        to end the run (see the class's docstring)."""
        digest, mem = self.place(*run.abstract_state(), run.positions.digests)
        enabled = run.enabled_now()
        label = self._label(run) if self.product is not None else -1
        self.edges.append((self.at, self.edge, digest, run.commits > self.commits, label))
        sched = bytes(self.taken)
        go_on = len(run.schedule) + 1 < run.max_steps // 2     # as graph.py: not past half the step bound
        first = self.edge if self.edge in enabled else enabled[0]     # as graph.py goes on from a new state
        mine = owner(mem, self.partitions)
        if mine != self.part:
            if digest in self.sent:
                return None
            self.sent.add(digest)
            t = first if go_on else 0
            self.outbox[mine].append((digest, sched, enabled, t))
            if not t:
                return None
        else:
            node = self.index.get(digest)
            if node is None:
                node = self._add(digest, sched, enabled, first if go_on else 0)
                if node is None or not go_on:
                    return None
                t = first
            else:
                if len(sched) < len(self.sched[node]):
                    self.sched[node] = sched
                mask = self.waits[node]
                if not mask or not go_on:
                    return None
                t = next(t for t in self.enabled[node] if mask >> (t - 1) & 1)
                self.waits[node] = mask ^ 1 << (t - 1)
        self.at, self.edge, self.commits, self._ev = digest, t, run.commits, len(run.events)
        return t

    def finish(self, run) -> None:
        run.choices = list(self.taken)        # the schedule a violation is replayed from
        if run.outcome == MAX_STEPS:
            self.bounds.add(f"a state deeper than max-steps {run.max_steps} was not expanded")
        elif run.outcome != STOPPED and self.at and len(self.taken) >= len(self.path):
            if run.outcome == COMPLETE and self.product is not None:   # a step into an end, as graph.py's
                ok = self.product.verdicts(self.product(run))
                final = tuple(sorted(run.final.items(), key=repr))
                self.finals.append((self.at, self.edge, self._label(run), final, run.commits, ok))
            else:
                self.finals.append((self.at, self.edge, -1, None, 0, True))

    def gathered(self) -> dict:
        """This partition's share of the graph, by digest, for `GatheredGraph.gather`."""
        d = self.digest
        return {"nodes": [(d[n], self.enabled[n], self.sched[n]) for n in range(len(d))],
                "edges": self.edges, "finals": self.finals, "labels": self.label_list, "full": self.full,
                "bounds": sorted(self.bounds)}


class GatheredGraph(GraphSearch):
    """The graph of places the partitions built, numbered here breadth-first, judged as a search
    in one process judges its own (`conclude`): no run of its own but the replays of what the
    partitions found and of what the fold and the cycle search find."""

    def __init__(self, max_states: int):
        super().__init__(max_states=max_states)
        self.found: list = []            # schedules of violations the partitions' runs found
        self.ran_elsewhere = None        # the partitions' runs, counted (`Explorer.explore` adds them)
        self.spread: dict = {}           # how the work was spread (cluster_graph.explore says)

    def gather(self, parts: list, root: bytes, root_view) -> None:
        """Build the store from the partitions' shares (`PartitionRuns.gathered`)."""
        self.first = False
        self.root_view = root_view
        enabled, out, ends = {}, {}, {}
        for p in parts:
            labels = p["labels"]
            for digest, en, _ in p["nodes"]:
                enabled[digest] = en
            for u, t, v, c, label in p["edges"]:     # an edge two runs took is one transition
                out.setdefault(u, {})[t] = (v, c, labels[label] if label >= 0 else ())
            for u, t, label, final, commits, ok in p["finals"]:
                ends.setdefault(u, {})[t] = (labels[label] if label >= 0 else None, final, commits, ok)
            if p["full"]:
                self.bounds.add(f"max-states {self.max_states:,} (in one partition)")
            self.bounds.update(p["bounds"])
        store = self.store
        ids = {root: store.add(store.key(root, (), ()), enabled[root], -1, 0)}
        order = [root]
        for u in order:                   # breadth-first: the parents are shortest paths
            i = ids[u]
            edges = out.get(u, {})
            for t in sorted(edges):
                v, c, label = edges[t]
                if v not in enabled:      # its owner was full: the graph is bounded already
                    continue
                j = ids.get(v)
                if j is None:
                    j = ids[v] = store.add(store.key(v, (), ()), enabled[v], i, t)
                    order.append(v)
                store.add_edge(i, t, j, c)
                self.transitions += 1
                if self.product is not None:
                    self.edge_label.append(numbered(label, label, self.labels, self.label_list))
            stops = ends.get(u, {})
            for t in sorted(stops):
                label, final, commits, ok = stops[t]
                self.transitions += 1
                if self.product is None:
                    continue
                if label is None:
                    self.finals.setdefault(i, []).append((t, -1, -1, 0, True))
                else:
                    lid = numbered(label, label, self.labels, self.label_list)
                    fid = numbered(final, dict(final), self._final_ids, self.final_list)
                    self.finals.setdefault(i, []).append((t, lid, fid, commits, ok))

    def start(self) -> bool:
        self.exhausted = not self.bounds
        return False

    def first_cycle(self):
        """"livelock" or "starvation" where the graph gathered so far holds one (`GraphSearch`'s
        fair cycles: every edge a transition that ran, so a cycle in part of the graph is real)."""
        if self._livelock() is not None:
            return "livelock"
        if self._starvation() is not None:
            return "starvation"
        return None

    def conclude(self, new_run):
        """The partitions' violations first (shortest schedule first), replayed to be judged here;
        then what the gathered graph shows (`GraphSearch.conclude`)."""
        for schedule in sorted(self.found, key=lambda s: (len(s), s)):
            run = new_run(detect_lassos=False)
            run.execute(Replay(schedule, strict=True, fused=True))
            yield run
        yield from super().conclude(new_run)

    def describe(self) -> str:
        text = f"graph (reachable states, at most {self.max_states:,} a partition)"
        spread = self.spread
        if spread:
            places = spread["places"]
            mean = sum(places) / len(places)
            text += (f", built on {spread['workers']} worker(s) in {spread['rounds']} rounds: places "
                     f"{'/'.join(f'{p:,}' for p in places)} (largest/mean {max(places) / mean if mean else 1:.2f}), "
                     f"{spread['bytes_sent'] / max(1, sum(places)):.0f} bytes sent a place")
        return text
