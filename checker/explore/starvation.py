"""Starvation and livelock decided on the state graph of cyclic runs.

Stateless search (DPOR) over cyclic programs (`Run(cyclic=True)`) ends each run
at its first repeated state, but the number of paths to that repetition grows
exponentially with the loop's length, so it rarely exhausts. Here the states
themselves are the nodes: a state is the shared memory plus every thread's
abstract position (what `liveness.LassoDetector` compares; equal states have
equal futures because threads are deterministic), found by the state-graph
search (`strategies/graph.py`). Edges carry their thread and whether that
step committed a transaction. The workloads' cyclic programs keep their
values in a finite set (`Workload.cycle`: transfers go there and back,
counters count modulo N), so the graph of a design whose other values are
stamps is finite, and "holds" can be proven.

On the finished graph the questions are exact (`fair_cycles.fair_component`):
- *starvation of thread X*: a reachable cycle, fair (every thread enabled
  somewhere on it steps on it), with a commit on it and no commit of X. Drop X's
  commit edges, split into strongly connected components, and drop from a
  component the states where a thread that never steps inside it is enabled,
  until a component is fair (it then holds a closed walk over all its edges,
  which is such a cycle if one of them commits) or empty (Streett-style
  refinement, as in Emerson and Lei's fair-cycle algorithms).
- *livelock*: the same with every commit edge dropped.
"holds" needs the whole graph within `max_states`; otherwise "unknown". A
design whose memory only grows (a clock not declared as stamps) has an
infinite graph: there the answer is always "unknown", never a guess.
"""

from __future__ import annotations

from .fair_cycles import fair_component, walk
from .fair_cycles import starving as fair_starving
from .runtime import Positions, Run
from .strategies.graph import GraphSearch, no_history
from .strategies.replay import spell

VIOLATED, HOLDS, UNKNOWN = "violated", "holds", "unknown"


class StateGraph:
    """The reachable abstract states of a design on a workload with cyclic programs, built
    by the state-graph search (`strategies/graph.GraphSearch`) over cyclic runs, with no
    history in the state (runs never end, so no history is judged)."""

    def __init__(self, design_cls, workload, max_states: int = 5000, search: GraphSearch | None = None):
        """`search`: the state-graph search that builds it (a `GraphSearch` of `max_states` unless
        given; progress.py gives one that records more of each state)."""
        self.design_cls, self.workload, self.max_states = design_cls, workload, max_states
        self.search = search if search is not None else GraphSearch(max_states=max_states)
        self.search.judge_histories_by(no_history)
        self.enabled, self.out, self.parent_of = self.search.enabled, self.search.out, self.search.parent_of
        self.complete = False
        self.problem = None           # "deadlock"/"crash" met on the way: the graph has a dead end
        self.positions = Positions()  # one table for every run: their states are compared

    @property
    def states(self) -> int:
        return self.search.states

    @property
    def nodes(self) -> int:
        return self.search.nodes

    def schedule(self, node: int) -> list:
        return self.search.schedule(node)

    def lasso(self, entry: int, loop: list) -> dict:
        """{"prefix", "loop"}: the schedules of every step (as `replay` takes them) of the lasso
        that reaches `entry` and goes round `loop` (the graph's choices, marks fused)."""
        choices = self.schedule(entry) + loop
        room = 3 * len(choices) + _MAX_STEPS     # a choice is at most 3 steps: BEGIN, a step, END
        prefix, loop = spell(lambda: self.new_run(room), choices, (len(choices) - len(loop),))
        return {"prefix": list(prefix), "loop": list(loop)}

    def new_run(self, max_steps: int = 0, resume=None) -> Run:
        return Run(self.design_cls, self.workload, max_steps=max_steps or _MAX_STEPS, detect_lassos=False,
                   cyclic=True, positions=self.positions, resume=resume)

    def build(self, stop_at_starvation: bool = False, decided=None) -> "StateGraph":
        """Search the graph to the end or to `max_states`; with `stop_at_starvation`, stop early
        once it holds a starvation cycle (looked for each time the graph has doubled), and
        `decided(graph)` is true if given (the other verdicts read off the graph are decided
        too): the verdict is then decided, and the rest of a graph that may not end would cost
        for nothing."""
        search, look = self.search, 1024
        # What a look shows stays shown (the graph only grows, and a counterexample in part of it
        # is one), so each is looked for until it shows; `decided` first, the cheaper where
        # neither ever shows (lazy-unlocked-commit swap at 200,000 states: 0.79 s against 1.37 s
        # for a starving cycle). The graph stops where it stopped before, for less.
        settled = starved = False
        while search.start():
            if stop_at_starvation and self.states >= look:
                look *= 2
                settled = settled or decided is None or decided(self)
                starved = settled and (starved or starving(self) is not None)
                if starved:
                    search.bounds.add("stopped at a starvation cycle")
                    break
            run = self.new_run(resume=search.resume_from())
            run.execute(search)
            search.finish(run)
            if run.outcome not in ("stopped", "max-steps"):
                self.problem = self.problem or run.outcome
        self.complete = search.exhausted
        return self


#: Steps per run of the cyclic state graph: runs stop at a state seen before, this only
#: bounds how far one run goes on through new ones (`GraphSearch.pick`).
_MAX_STEPS = 400


def liveness(design_cls, workload, max_states: int = 5000, stop_at_starvation: bool = False) -> dict:
    """Starvation and livelock verdicts of a design on a workload, from its state graph
    (`stop_at_starvation`: see `StateGraph.build`; livelock may then stay unknown): `liveness_of`."""
    return liveness_of(StateGraph(design_cls, workload, max_states).build(stop_at_starvation))


def liveness_of(g: StateGraph) -> dict:
    """Starvation and livelock verdicts read off a built graph: {"starvation": verdict,
    "livelock": verdict, "states": n, "complete": bool, and for each violated one a witness
    {"thread"s, "prefix", "loop"} (schedules)}."""
    out = {"states": g.states, "complete": g.complete, "problem": g.problem}
    undecided = UNKNOWN if not g.complete else HOLDS
    live = fair_component(g, lambda t, c: not c)
    if live is not None:
        entry, loop = walk(g, live, lambda t, c: not c)
        out["livelock"] = VIOLATED
        out["livelock_witness"] = g.lasso(entry, loop)
    else:
        out["livelock"] = undecided
    out["starvation"] = undecided
    found = starving(g)
    if found is not None:
        x, comp, keep = found
        entry, loop = walk(g, comp, keep)
        committed = sorted({t for u in comp for t, v, c in g.out(u) if v in comp and c and keep(t, c)})
        out["starvation"] = VIOLATED
        out["starvation_witness"] = {"starving": [x], "committed": committed, **g.lasso(entry, loop)}
    return out


def starving(g: StateGraph):
    """(thread, component, edge filter) of the first thread that starves on a fair cycle of the
    graph built so far, or None (`fair_cycles.starving`; a thread with nothing to do cannot starve)."""
    return fair_starving(g, [x for x in range(1, g.workload.threads + 1) if g.workload.program(x)])
