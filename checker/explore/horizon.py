"""Starvation-freedom proven where relative stamps keep the graph of cyclic programs from ending.

Why: a relative stamp domain (models/stamps.py: a racy bump may store an old stamp + 1, as in
`gencounter-racy` and `lazy-unlocked-commit`) keeps every difference between its stamps, and
where those differences grow without bound the state graph of cyclic programs
(`starvation.StateGraph`) has no end: on `gencounter-racy` swap a thread's copy of the
counter falls one further behind the other's each round (not exhausted at 1,500,000 states).
A starving cycle shows in part of such a graph; starvation-freedom never does.

What: the *horizon graph*. Its states are those of the cyclic graph with each difference
between neighbouring stamps of a relative domain capped at a horizon H (`stamps.horizon_ranks`):
a state stands for every state whose differences are equal below H and at least H where it
says H ("far"). Its edges are the steps of *every* state it stands for, so it over-approximates
the runs: each run's steps are a path in it. A run that starves a thread forever, fairly,
stays in this finite graph, and the states and steps it takes infinitely often form a
strongly connected part in which every thread enabled somewhere steps and something commits
but the starving thread never does: exactly what `fair_cycles.starving` looks for (Emerson
and Lei's argument). None found in the whole graph: starvation-free, proven. One found may be
an artefact of the merged states: it proves nothing ("unknown"; the cyclic graph itself finds
the real ones, and the matrix asks this graph only where that one ran out).

Why finitely many runs give every edge. Let D be the spread of the offsets a step writes to
memory (stamps counted up by at most `raised` and down by at most `lowered`: D = their sum),
K the largest difference of offsets a step compares (`Domain.compared`), both recorded as the
design runs, and H = max(D, K) + 1.
- A comparison is between two stamps of the state with offsets, u + a against w + b. When a
  far difference lies between u and w, |w - u| >= H > K >= |a - b|: their order decides it;
  otherwise their exact difference does. Every state a node stands for gets the same answers,
  so each takes the same step, its thread the same control flow and the same position (a
  position holds no stamp's value).
- The stamps after the step are the state's, some gone, and new ones, each a stamp of the
  state with an offset written. A difference after it is one before (between the stamps they
  came from) plus some d, |d| <= D. One that spans two far differences is still at least
  2H - D > H: far, in the same order; one that spans none is exact. One that spans a single far
  difference m is m + d: far when m >= H + D, else exactly m + d, in the same order (H > D).
  So the step's successor is decided by the node and, for each far difference, min(m - H, D):
  run the step on each of those *representatives* (the node's stored state with each far
  difference set to H + j, j <= D, in every combination) and every successor is met. A step
  that writes no computed stamp makes no new one (differences only merge, as stamps
  disappear): then any one state the node stands for does (`Domain.made` tells them apart).
- The state's stamps are the memory's, each thread's local state's and the results its
  attempt got so far (`Run.abstract_state`). A representative is the stored snapshot with those
  stamps remapped, in order (`stamps.remap`); its threads are fed their remapped results and
  get the same answers to their past comparisons. A thread that holds in its past a stamp the
  state no longer holds (a checkpoint dropped it) cannot be remapped so: the search says so
  and decides nothing.
D and K are what the design did in this search: it assumes D = K = 1 (a bump by one: H = 2)
and is run again with what it met if the design went further.

How: a work list of (node, thread) transitions, each run from a representative of the node
(`Run(resume=...)`, the snapshot remapped) and going on through new states in the same run
(`_Going`), as the state-graph search does: on gencounter-racy swap (124,419 states at H = 3)
18.5 s instead of 24.0 s with a run per transition.
"""

from __future__ import annotations

from collections import deque
from itertools import product

from ..graphs import topological_order
from .fair_cycles import starving
from .runtime import STOPPED, Positions, Run, Snapshot

HOLDS, UNKNOWN = "holds", "unknown"

#: States of a horizon graph, unless told otherwise.
DEFAULT_STATES = 100_000
_MAX_STEPS = 1 << 40   # a run ends where it meets a state seen before (`_Going`)


class _Stop:
    """A chooser that stops the run where it stands (the initial state)."""
    fuses_marks = True

    def pick(self, run, enabled):
        return None


class _Going:
    """The chooser of one run of the search: thread t's transition from node u (the run stands
    in a representative of it), then on through new states as far as they go (the thread that
    just stepped, or the first enabled one; the others' edges queued), stopping at a state
    seen before. Going on from a state that is no representative is sound for the transitions
    that write no computed stamp (their successor is the same from every state a node stands
    for); the graph queues the others' representatives (`_arrived`)."""
    fuses_marks = True

    def __init__(self, graph: "HorizonGraph", u: int, t: int, again: bool):
        self.graph, self.u, self.t = graph, u, t
        self.again = again          # the first transition is itself run from every representative
        self.first, self.made, self.commits = True, 0, 0

    def pick(self, run, enabled):
        g = self.graph
        if self.first:
            self.first = False
            if self.t not in enabled:
                raise AssertionError(f"thread {self.t} cannot step in a representative of a state where it can: "
                                     f"the horizon's abstraction is wrong")
        else:
            v = g._arrived(run, self.u, self.t, self.made, self.commits, self.again)
            self.again = False
            if v is None:
                return None
            t = self.t if self.t in enabled else enabled[0]
            g._queue(v, [x for x in enabled if x != t])
            self.u, self.t = v, t
        self.made, self.commits = g._made(), run.commits
        return self.t


class HorizonGraph:
    """The horizon graph of a design on a workload with cyclic programs (see the module's
    docstring), for `fair_cycles`: `nodes`, `enabled(u)`, `out(u)` ([(thread, next, commits)]),
    `parent_of(u)`."""

    keep = False   # keep every node's snapshot once its transitions are taken (tests read them)

    def __init__(self, design_cls, workload, max_states: int = DEFAULT_STATES, spread: int = 1,
                 compared: int = 1):
        self.design_cls, self.workload, self.max_states = design_cls, workload, max_states
        self.spread, self.compared = spread, compared    # D and K (module docstring)
        self.horizon = max(spread, compared) + 1
        self.positions = Positions()
        self.complete = False
        #: Why the graph proves nothing, or None: a representative could not be made, the design
        #: went past the reach assumed (then searched again), or the budget ran out.
        self.problem: str | None = None
        self.beyond = None        # (D, K) the design went to, past those assumed (searched again)
        self.dead_ends = 0        # edges into a deadlock or a crash (left out: no cycle passes them)
        self.domains: list = []   # the relative domains
        self._ids: dict = {}      # abstract state -> node
        #: node -> (snapshot, domain -> its stamps' values in order, its far differences), kept
        #: until the transitions queued from it are taken
        self._snaps: list = []
        self._enabled: list = []
        self._out: list = []        # node -> its edges (a set until the graph is built)
        self._parent: list = []
        self._pending: list = []    # node -> its queued transitions not yet taken
        self._work: deque = deque()  # (node, thread, from every representative)

    @property
    def nodes(self) -> int:
        return len(self._enabled)

    @property
    def states(self) -> int:
        return len(self._enabled)

    def enabled(self, u: int) -> tuple:
        return self._enabled[u]

    def out(self, u: int) -> list:
        return self._out[u] if u < len(self._out) else []

    def parent_of(self, u: int) -> tuple:
        return self._parent[u]

    def _run(self, resume=None) -> Run:
        return Run(self.design_cls, self.workload, max_steps=_MAX_STEPS, detect_lassos=False, cyclic=True,
                   positions=self.positions, resume=resume, horizon=self.horizon)

    def build(self) -> "HorizonGraph":
        root = self._run()
        root.execute(_Stop())
        if root.outcome != STOPPED:
            self.problem = f"the design could not start ({root.outcome})"
            return self
        self.domains = [d for d in root.domains if d.relative]
        if not self.domains:          # nothing to cap: the graph of cyclic programs is this graph
            return self
        if not root.resumable:
            self.problem = "the design's runs cannot start from snapshots (it is not resumable)"
            return self
        self._queue(self._node(root, -1, 0), root.enabled_now())
        work = self._work
        while work and self.problem is None:
            u, t, every = work.popleft()
            snap, values, far = self._snaps[u]
            for js in product(range(self.spread + 1), repeat=far) if every else (None,):
                run = self._run(self._represent(snap, values, js))
                run.execute(_Going(self, u, t, every))
                if run.outcome != STOPPED:
                    self.dead_ends += 1
            self._pending[u] -= 1
            if not self._pending[u] and not self.keep:
                self._snaps[u] = None       # every edge queued from it taken: its snapshot is needed no more
        self._out = [sorted(edges) for edges in self._out]
        if self.problem is None:
            spread = max([d.raised + d.lowered for d in self.domains], default=0)
            compared = max([d.compared for d in self.domains], default=0)
            if spread > self.spread or compared > self.compared:
                self.beyond = (spread, compared)
                self.problem = (f"the design wrote stamps {spread} apart and compared offsets {compared} apart, past "
                                f"the reach assumed ({self.spread}, {self.compared})")
            else:
                self.complete = True
        return self

    def _made(self) -> int:
        return sum([d.made for d in self.domains])

    def _queue(self, u: int, threads, every: bool = False) -> None:
        """Queue thread t's transition from node u for each of `threads` (`every`: from each of
        u's representatives)."""
        for t in threads:
            self._work.append((u, t, every))
            self._pending[u] += 1

    def _arrived(self, run: Run, u: int, t: int, made: int, commits: int, again: bool):
        """Record the edge by which `run` came from node u (thread t; `made` and `commits` the
        domains' computed stamps and the run's commits before it); the new node it reached, or
        None (a state seen before, or the budget ran out). A transition that wrote a computed
        stamp from a node with far differences is queued to run from every representative,
        unless it is such a run (`again`)."""
        key = self._key(run)
        v = self._ids.get(key)
        new = v is None
        if new:
            v = self._node(run, u, t, key)
        self._out[u].add((t, v, run.commits > commits))
        if not again and self._snaps[u][2] and self._made() != made:   # (u's snapshot is kept: `build`)
            self._queue(u, (t,), every=True)
        if new and len(self._enabled) > self.max_states:
            self.problem = f"more than {self.max_states:,} states"
            return None
        return v if new else None

    def _key(self, run: Run):
        """The state `run` stands in, as this graph's nodes are told apart."""
        return run.abstract_state()

    def _node(self, run: Run, u: int, t: int, key=None) -> int:
        v = len(self._enabled)
        self._ids[self._key(run) if key is None else key] = v
        snap = run.snapshot()
        snap.at = (None, [], 0)     # (its path from the start is never asked: let the runs before it go)
        values = self._values(run, snap)
        far = sum(1 for vs in values.values() for a, b in zip(vs, vs[1:]) if b - a >= self.horizon)
        self._snaps.append((snap, values, far))
        self._enabled.append(run.enabled_now())
        self._parent.append((u, t))
        self._out.append(set())
        self._pending.append(0)
        return v

    def _values(self, run: Run, snap: Snapshot) -> dict:
        """domain -> the distinct values of its stamps in the state (as `Run.abstract_state`
        collects them), in order; sets `problem` when the snapshot holds a stamp the state does
        not (it could not be remapped in order with the others), or a computed one (a thread's
        local state that counts up from a stamp makes a new one without writing it: a step
        `Domain.made` does not see, whose successors one representative may not give)."""
        found = run.state_stamps()
        values = {d: set() for d in self.domains}
        for s in found:
            if s.domain.relative:
                values[s.domain].add(s.value)
        held = snap.held_stamps()
        for s in found + held:
            if s.domain.relative and s.offset:
                self.problem = (f"a thread keeps a computed stamp of {s.domain.name!r} (another + {s.offset}) in its "
                                f"local state: the horizon graph follows new stamps only where they are written to "
                                f"memory (`Domain.made`)")
                return {}
        for s in held:
            if s.domain.relative and s.value not in values[s.domain]:
                self.problem = (f"a thread holds stamp {s.value} of {s.domain.name!r} in its past that the state "
                                f"does not hold (a checkpoint dropped it): its states cannot be represented")
                break
        return {d: sorted(vs) for d, vs in values.items()}

    def _represent(self, snap: Snapshot, values: dict, js) -> Snapshot:
        """`snap` with its relative stamps remapped in order, each difference below the horizon
        kept and each far one set to the horizon + the next of `js` (None: + D, for all)."""
        table, top = {}, self.spread
        js = None if js is None else iter(js)
        for d, vs in values.items():
            if not vs:
                continue
            w = vs[0]
            own = table[d] = {w: w}
            for a, b in zip(vs, vs[1:]):
                g = b - a
                w += g if g < self.horizon else self.horizon + (top if js is None else next(js))
                own[b] = w
        if all(k == v for own in table.values() for k, v in own.items()):
            return snap
        return snap.remapped(table)


def horizon_graph(design_cls, workload, max_states: int = DEFAULT_STATES) -> HorizonGraph:
    """The horizon graph, searched again with the design's reach where it went past the one
    assumed (twice at most)."""
    spread, compared = 1, 1
    for _ in range(3):
        g = HorizonGraph(design_cls, workload, max_states, spread, compared).build()
        if g.beyond is None:
            return g
        spread, compared = g.beyond
    return g


def verdicts(design_cls, workload, max_states: int = DEFAULT_STATES) -> dict | None:
    """What the horizon graph of a design on a workload (cyclic programs) proves: {"starvation",
    "obstruction_free", "survives_stopped_thread": each "holds" or "unknown"; "states",
    "horizon", "why" (what kept "starvation" from holding, or None)}. None for a design without
    relative stamps (its horizon graph is its graph of cyclic programs).

    - starvation-free: no thread starves on a fair cycle of the whole graph (module docstring);
    - obstruction-free: from every node, every path of one thread's steps reaches a commit of
      it (the thread is enabled everywhere, and its steps that commit nothing make no cycle):
      then so does its solo run from every reachable state, a path of those steps;
    - survives a stopped thread: in no node are all the other threads unable to step, so
      wherever one stops, the others are never all left waiting.
    Each "holds" only for the whole graph with no step into a deadlock or a crash (a dead end
    of the graph may be a state no run reaches, or one that some run does)."""
    g = horizon_graph(design_cls, workload, max_states)
    if not g.domains and g.problem is None:
        return None
    out = {"states": g.states, "horizon": g.horizon, "starvation": UNKNOWN, "obstruction_free": UNKNOWN,
           "survives_stopped_thread": UNKNOWN, "why": g.problem}
    if g.complete:
        live = [x for x in range(1, workload.threads + 1) if workload.program(x)]
        found = starving(g, live)
        if found is None:
            out["starvation"] = HOLDS
        else:
            out["why"] = (f"thread {found[0]} starves on a fair cycle of the horizon graph, which may be "
                          f"an artefact of the states it merges")
        if not g.dead_ends:
            out["obstruction_free"] = HOLDS if _alone_commits(g, live) else UNKNOWN
            out["survives_stopped_thread"] = HOLDS if _never_all_waiting(g, live) else UNKNOWN
    return out


def _alone_commits(g: HorizonGraph, live) -> bool:
    """Whether every path of one thread's steps, from every node, reaches a commit of it. Not
    progress.py's solo run (`_alone`), which follows a thread's one edge from each state: a node
    here has several per thread (its representatives'), and every one must lead to a commit."""
    for t in live:
        if any(t not in g.enabled(u) for u in range(g.nodes)):
            return False
        succ = [[v for x, v, c in g.out(u) if x == t and not c] for u in range(g.nodes)]
        if topological_order(succ)[1] is not None:     # those steps close a cycle
            return False
    return True


def _never_all_waiting(g: HorizonGraph, live) -> bool:
    """Whether in every node, for each thread, some other one can step: stronger than
    progress.py's `_stopped` (which asks it only where the others can get to with the thread
    stopped inside an attempt), and enough for "holds" without knowing which nodes lie inside one."""
    return all(any(o in g.enabled(u) for o in live if o != s) for s in live for u in range(g.nodes))
