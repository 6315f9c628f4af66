"""Starvation and livelock decided on the state graph of cyclic runs.

Stateless search (DPOR) over cyclic programs (`Run(cyclic=True)`) ends each run
at its first repeated state, but the number of paths to that repetition grows
exponentially with the loop's length, so it rarely exhausts. Here the states
themselves are the nodes: a state is the shared memory plus every thread's
abstract position (what `liveness.LassoDetector` compares; equal states have
equal futures because threads are deterministic), found breadth first by
replaying a schedule to it and one step more for each enabled thread. Edges
carry their thread and whether that step committed a transaction.

On the finished graph the questions are exact (`fair_component`):
- *starvation of thread X*: a reachable cycle, fair (every thread enabled
  somewhere on it steps on it), with a commit on it and no commit of X. Drop X's
  commit edges, split into strongly connected components, and drop from a
  component the states where a thread that never steps inside it is enabled,
  until a component is fair (it then holds a closed walk over all its edges,
  which is such a cycle if one of them commits) or empty (Streett-style
  refinement, as in Emerson and Lei's fair-cycle algorithms).
- *livelock*: the same with every commit edge dropped.
"holds" needs the whole graph within `max_states`; otherwise "unknown". A
design whose memory only grows (a version clock, a counter) has an infinite
graph: there the answer is always "unknown", never a guess.
"""

from __future__ import annotations

from collections import deque

from ..graphs import strongly_connected
from .runtime import Positions, Run

VIOLATED, HOLDS, UNKNOWN = "violated", "holds", "unknown"


class _Stop:
    """Follow a schedule, then stop the run (outcome `stopped`)."""

    fair = False

    def __init__(self, schedule):
        self.schedule, self.i = schedule, 0

    def pick(self, run, enabled):
        if self.i >= len(self.schedule):
            return None
        t = self.schedule[self.i]
        self.i += 1
        return t if t in enabled else None


class StateGraph:
    """The reachable abstract states of a design on a workload with cyclic programs."""

    def __init__(self, design_cls, workload, max_states: int = 5000):
        self.design_cls, self.workload, self.max_states = design_cls, workload, max_states
        self.parent: list = []        # node -> (parent node, thread) on a shortest path, (-1, 0) for the root
        self.enabled: list = []       # node -> enabled threads
        self.edges: list = []         # node -> [(thread, next node, commits)]
        self.complete = False
        self.problem = None           # "deadlock"/"crash" met on the way: the graph has a dead end
        self.positions = Positions()  # one table for every run: their states are compared

    def schedule(self, node: int) -> list:
        out = []
        while node > 0:
            node, t = self.parent[node]
            out.append(t)
        return out[::-1]

    def _reach(self, schedule):
        run = Run(self.design_cls, self.workload, max_steps=len(schedule) + 1, detect_lassos=False, cyclic=True,
                  positions=self.positions)
        run.execute(_Stop(schedule))
        return run

    def build(self) -> "StateGraph":
        index: dict = {}
        run = self._reach([])
        queue = deque([self._add(run, index, -1, 0)])
        while queue:
            node = queue.popleft()
            base = self.schedule(node)
            for t in self.enabled[node]:
                run = self._reach(base + [t])
                if run.outcome not in ("stopped", "deadlock", "max-steps"):
                    self.problem = self.problem or run.outcome
                    continue
                key = _key(run)
                nxt = index.get(key)
                if nxt is None:
                    if len(self.parent) >= self.max_states:
                        return self
                    nxt = self._add(run, index, node, t)
                    queue.append(nxt)
                commits = any(e["op"] == "commit" and s == len(base) for e, s in zip(run.events, run.event_steps))
                self.edges[node].append((t, nxt, commits))
        self.complete = True
        return self

    def _add(self, run, index, parent, t) -> int:
        node = len(self.parent)
        index[_key(run)] = node
        self.parent.append((parent, t))
        enabled = run.enabled_log[-1] if run.enabled_log else ()
        if run.outcome == "deadlock":
            enabled = ()
            self.problem = self.problem or "deadlock"
        self.enabled.append(enabled)
        self.edges.append([])
        return node


def _key(run):
    return run.abstract_state()


def fair_component(graph: StateGraph, keep_edge, need=lambda t, c: True) -> list | None:
    """The nodes of a fair, strongly connected set of states (over the edges `keep_edge`
    accepts) with a kept edge that `need` accepts inside, or None."""
    work = [set(range(len(graph.parent)))]
    while work:
        nodes = work.pop()
        for comp in _sccs(graph, nodes, keep_edge):
            inside = [(u, t, v, c) for u in comp for t, v, c in graph.edges[u] if v in comp and keep_edge(t, c)]
            if not inside:
                continue
            stepping = {t for _, t, _, _ in inside}
            bad = {t for u in comp for t in graph.enabled[u]} - stepping
            if not bad:
                if any(need(t, c) for _, t, _, c in inside):
                    return sorted(comp)
                continue   # fair, but without the edge asked for (nor has any part of it)
            rest = {u for u in comp if not set(graph.enabled[u]) & bad}
            if rest:
                work.append(rest)
    return None


def _sccs(graph, nodes, keep_edge):
    """The strongly connected components of the subgraph of `nodes` (networkx, through
    the graph toolkit), in Tarjan's order from the lowest-numbered state, so the
    component `fair_component` settles on, and with it the witness, is always the same."""
    nodes = sorted(nodes)
    keep = set(nodes)
    edges = [(u, v) for u in nodes for t, v, c in graph.edges[u] if v in keep and keep_edge(t, c)]
    return strongly_connected(edges, nodes)


def _walk(graph, comp, keep_edge) -> tuple:
    """(entry node, schedule) of a closed walk in `comp` that takes a commit edge if there
    is one and one kept edge of every thread that steps inside `comp`: a fair loop (the
    threads enabled on it all step inside `comp`, see `fair_component`)."""
    comp = set(comp)
    inside = [(u, t, v, c) for u in sorted(comp) for t, v, c in graph.edges[u] if v in comp and keep_edge(t, c)]
    wanted = [e for e in inside if e[3]][:1]
    for e in inside:
        if e[1] not in {w[1] for w in wanted}:
            wanted.append(e)
    start = wanted[0][0]
    sched, cur = [], start
    for u, t, v, _ in wanted + [(start, None, start, False)]:
        sched += _path(graph, comp, cur, u, keep_edge)
        if t is not None:
            sched.append(t)
        cur = v
    return start, sched


def _path(graph, comp, a, b, keep_edge) -> list:
    if a == b:
        return []
    prev = {a: None}
    queue = deque([a])
    while queue:
        u = queue.popleft()
        for t, v, c in graph.edges[u]:
            if v in comp and v not in prev and keep_edge(t, c):
                prev[v] = (u, t)
                if v == b:
                    out = []
                    while prev[v] is not None:
                        v, t2 = prev[v]
                        out.append(t2)
                    return out[::-1]
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")


def liveness(design_cls, workload, max_states: int = 5000) -> dict:
    """Starvation and livelock verdicts of a design on a workload, from its state graph.

    Returns {"starvation": verdict, "livelock": verdict, "states": n, "complete": bool,
    and for each violated one a witness {"thread"s, "prefix", "loop"} (schedules)}."""
    g = StateGraph(design_cls, workload, max_states).build()
    out = {"states": len(g.parent), "complete": g.complete, "problem": g.problem}
    undecided = UNKNOWN if not g.complete else HOLDS
    live = fair_component(g, lambda t, c: not c)
    if live is not None:
        entry, loop = _walk(g, live, lambda t, c: not c)
        out["livelock"] = VIOLATED
        out["livelock_witness"] = {"prefix": g.schedule(entry), "loop": loop}
    else:
        out["livelock"] = undecided
    out["starvation"] = undecided
    for x in range(1, workload.threads + 1):
        if not workload.program(x):
            continue   # a thread with nothing to do cannot starve
        keep = (lambda x: lambda t, c: not (c and t == x))(x)
        comp = fair_component(g, keep, need=lambda t, c: c)
        if comp is None:
            continue
        entry, loop = _walk(g, comp, keep)
        committed = sorted({t for u in comp for t, v, c in g.edges[u] if v in comp and c and keep(t, c)})
        out["starvation"] = VIOLATED
        out["starvation_witness"] = {"starving": [x], "committed": committed, "prefix": g.schedule(entry),
                                     "loop": loop}
        break
    return out
