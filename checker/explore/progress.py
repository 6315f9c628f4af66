"""Progress properties decided on the state graph of cyclic programs: obstruction-freedom, and
whether the other threads survive one that stops inside a transaction.

Why: a runtime that replaces the GIL by transactions (docs/gil.md) runs threads that
the operating system may stop at any moment (preempted, paged out, killed). Whether
the others then still get on is a property of the design, not of any one history:
TL2's commit locks, NOrec's sequence lock and every lock-based design make the
others wait for the stopped thread; DSTM's ownership records let them abort it.

Both are read off the graph `starvation.StateGraph` builds (cyclic programs: each
thread repeats its program forever, so every thread is always live, and the graph
is finite where the design's growing values are stamps), with one more fact per
state: which threads are inside an attempt (`Run.attempting`).

- **Obstruction-freedom** (Herlihy, Luchangco and Moir, 2003): from every reachable
  state, each thread run alone commits. The solo run of thread t from a state is the
  path of t's edges (a thread's step is determined by the state); it fails when it
  reaches a state where t cannot step (it waits for another thread), or a state it
  passed already without a commit of t (it goes round for ever).
- **Survives a stopped thread**: from every reachable state where thread s is inside
  an attempt, if s never steps again, the others never reach a state where none of
  them can step (they would wait for s for ever). Over the edges of the threads other
  than s: the states from which such a state is reachable, and among them one where s
  is inside an attempt, is a counterexample.

"holds" needs the whole graph (within `max_states`); a counterexample found in part of
it is a violation all the same.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .starvation import HOLDS, UNKNOWN, VIOLATED, StateGraph
from .strategies.graph import GraphSearch
from .strategies.replay import spelt_run


class _AttemptsRecorded(GraphSearch):
    """The state-graph search, recording for each new state the threads inside an attempt."""

    def __init__(self, max_states: int):
        super().__init__(max_states=max_states)
        self.attempting: list = []      # node -> frozenset of threads inside an attempt
        self.ends: dict = {}            # (node, thread) -> "deadlock" or "crash": an edge into an end

    def finish(self, run) -> None:
        if run.outcome not in ("stopped", "max-steps") and self.node >= 0 and len(self.taken) >= len(self.path):
            self.ends[(self.node, self.edge)] = run.outcome
        super().finish(run)

    def _choose(self, run):
        before = len(self.store)
        t = super()._choose(run)
        if len(self.store) > before:
            self.attempting.append(frozenset(run.attempting()))
        return t


@dataclass
class Progress:
    """The verdicts (holds / violated / unknown) and, for each violation, its witness:
    {"thread", "schedule" (the choices to the state, marks fused), "then": the steps after it
    (the solo run, or the others' steps to where they all wait), "why"}."""

    states: int
    complete: bool
    obstruction_free: str
    survives_stopped_thread: str
    witnesses: dict = field(default_factory=dict)
    note: str = ""
    bounds: list = field(default_factory=list)   # what kept the graph from being searched to its end


#: States of the cyclic graph both properties are decided on, unless told otherwise (the matrix's
#: starvation graph has the same budget).
DEFAULT_STATES = 60_000


def progress(design_cls, workload, max_states: int = DEFAULT_STATES) -> Progress:
    """Both properties of a design on a workload (cyclic programs), on its whole graph."""
    return progress_of(recording_graph(design_cls, workload, max_states).build())


def recording_graph(design_cls, workload, max_states: int) -> StateGraph:
    """The (unbuilt) state graph of cyclic programs that records what `progress_of` reads of each
    state; the starvation search can be run on the same graph (`starvation.liveness_of`), as the
    verdict matrix does, so that one build gives all three verdicts."""
    return StateGraph(design_cls, workload, max_states, search=_AttemptsRecorded(max_states))


def both_violated(g: StateGraph) -> bool:
    """Whether the graph built so far already denies both properties (nothing more to learn)."""
    facts = _facts(g)
    return _alone(g, *facts) is not None and _stopped(g, *facts) is not None


def _facts(g: StateGraph) -> tuple:
    """What both searches read off the graph: (each state's edges by thread, the threads with a
    program, the (state, thread) edges into a deadlock)."""
    edges = [{t: (v, c) for t, v, c in g.out(u)} for u in range(g.nodes)]
    threads = [t for t in range(1, g.workload.threads + 1) if g.workload.program(t)]
    dead = {edge for edge, o in g.search.ends.items() if o == "deadlock"}
    return edges, threads, dead


def progress_of(g: StateGraph) -> Progress:
    """The verdicts on a graph built by `recording_graph` (whole, bounded, or stopped early: a
    counterexample in part of the graph is one all the same; "holds" needs all of it)."""
    # a crash is the design's bug (explore shows it): its edge leads nowhere, so nothing past it
    # can be proven; a deadlock is an end where nobody can step, which both properties deny
    crashed = any(o != "deadlock" for o in g.search.ends.values())
    undecided = HOLDS if g.complete and not crashed else UNKNOWN
    facts = _facts(g)
    out = Progress(g.states, g.complete, undecided, undecided, bounds=sorted(g.search.bounds))
    if crashed:
        out.note = "the design crashed in some run (stmcheck explore --cyclic shows it): nothing is proven past it"
    solo = _alone(g, *facts)
    if solo is not None:
        out.obstruction_free = VIOLATED
        out.witnesses["obstruction-free"] = _spelt(g, solo)
    stopped = _stopped(g, *facts)
    if stopped is not None:
        out.survives_stopped_thread = VIOLATED
        out.witnesses["survives-stopped-thread"] = _spelt(g, stopped)
    return out


def _spelt(g, witness: dict) -> dict:
    """The witness with its choices spelt as the steps `stmcheck replay` takes ("prefix": to the
    state, "steps": what follows) and what the waiting threads wait for there ("waits")."""
    choices = witness["schedule"] + witness["then"]
    room = 3 * len(choices) + 400      # a choice is at most 3 steps: BEGIN, a step, END
    run, (prefix, then) = spelt_run(lambda: g.new_run(room), choices, (len(witness["schedule"]),))
    waiting = [witness["thread"]] if witness.get("alone") else \
        [t for t in range(1, g.workload.threads + 1) if t != witness["thread"]]
    waits = [f"thread {t} waits for " + " or ".join(f"{name} (held by thread {holder})" if holder else name
                                                    for name, holder in run.waits(t))
             for t in waiting if run.waits(t)]
    return {**witness, "prefix": list(prefix), "steps": list(then), "waits": waits}


def _alone(g, edges, threads, dead):
    """The first (state, thread) whose solo run does not commit, as a witness; None if none.
    `dead`: the (state, thread) edges into a deadlock."""
    for t in threads:
        ok: set = set()                     # states from which t alone commits
        for start in range(g.nodes):
            if start in ok:
                continue
            path, on_path, x = [], set(), start
            while True:
                if x in ok:
                    ok.update(path)
                    break
                if x in on_path or t not in g.enabled(x) or t not in edges[x]:
                    into_deadlock = (x, t) in dead
                    if t in g.enabled(x) and t not in edges[x] and not into_deadlock:
                        ok.update(path)     # a crash, or an edge the bounded graph lacks: no verdict here
                        break
                    why = (f"thread {t} run alone goes round for ever without a commit" if x in on_path
                           else f"thread {t} run alone steps into a deadlock" if into_deadlock
                           else f"thread {t} run alone cannot step: it waits for another thread")
                    return {"thread": t, "schedule": g.schedule(start),
                            "then": [t] * (len(path) + (1 if into_deadlock and x not in on_path else 0)),
                            "why": why, "alone": True}
                path.append(x)
                on_path.add(x)
                v, committed = edges[x][t]
                if committed:
                    ok.update(path)
                    break
                x = v
    return None


def _stopped(g, edges, threads, dead):
    """A state where a thread s is inside an attempt from which the others, s never stepping
    again, reach a state where none of them can step (or a deadlock); as a witness, or None."""
    attempting = g.search.attempting
    for s in threads:
        others = [t for t in threads if t != s]
        if not others:
            continue
        stuck = [x for x in range(g.nodes) if not any(t in g.enabled(x) for t in others)]
        toward: dict = {x: None for x in stuck}            # state -> (its next step toward stuck)
        toward[-1] = None                                  # -1: a deadlock, an end of its own
        for u, t in sorted(dead):
            if t != s and u not in toward:
                toward[u] = (t, -1)
        if len(toward) == 1:
            continue
        into: list = [[] for _ in range(g.nodes)]          # the others' edges, reversed
        for u in range(g.nodes):
            for t, (v, _c) in edges[u].items():
                if t != s:
                    into[v].append((u, t))
        queue = deque(x for x in toward if x >= 0)
        while queue:
            v = queue.popleft()
            for u, t in into[v]:
                if u not in toward:
                    toward[u] = (t, v)
                    queue.append(u)
        starts = sorted(u for u in toward if u >= 0 and s in attempting[u])
        if starts:
            x, then = starts[0], []
            while toward[x] is not None:
                t, x = toward[x]
                then.append(t)
            return {"thread": s, "schedule": g.schedule(starts[0]), "then": then,
                    "why": f"thread {s} stops inside an attempt; the others then reach a state where none of "
                           f"them can step: they wait for thread {s} for ever"}
    return None

