"""Views after places: the history view folded over the finished graph of places.

Why: a state of the graph search is a *place* (memory and thread positions)
and a history view (what the criterion still needs of the history). On tl2
transfer, 3 threads, 61,921 states stand on 17,040 places: each place is met
with about four views, and building the graph state by state ran the design
for every one of them (a replay from the start and a step), though threads
see only the place. Here the runs build the graph of places alone, each edge
labelled with the history events its step emitted; the views are then
computed over the stored edges (the view's `after`: `WitnessKey`,
`CommittedView`, `AllCriteriaView`; memoised per view and label), with no run
at all.

Why it is the same search: threads are deterministic and the place keeps what
designs observe, so the step a thread takes from a place, and the events it
emits, are the same whichever view the state has (the label of an edge is a
function of its place and thread). The states this fold reaches are those
the search would build, its edges the same transitions, and a step into an
end (every thread done) reaches an end with the view the run would have
judged: the criterion holds there exactly when the view says so (its
`verdicts`: the witness automaton, read over a whole history, decides as the
checker does, tests/explore/test_witnesskey.py; serializability's view is the
committed transactions, which the checker judges). Covered views
(graph.py) apply here as there. What needs no view (deadlock, crash, cycles,
the runs' own steps) was judged on the places already.

What is judged, then: the runs that built the places were judged as they
ended; an end the fold meets with a final memory, a number of commits (the
invariant reads it) and a verdict of the view that no judged run had is
replayed (the path of states and threads to it, `stmcheck replay`'s form) and
the explorer judges that run as any other, with the checker itself. So every
way to end (final memory, commits, criterion held or not) is judged once, as
the search that builds every state judges it at least once.
"""

from __future__ import annotations

import time
from array import array

from ..graphstore import NODE_MASK, _deep_size, _intern, numbered


class ViewsAfterPlaces:
    """The states (place, view) reachable over a graph of places (`GraphSearch` with
    `product` set), breadth-first; `candidates` are the schedules to replay and judge."""

    def __init__(self, graph, view, cover: bool, max_states: int, stop_at_first: bool, deadline=None):
        self.graph, self.view, self.deadline = graph, view, deadline
        self.covers = getattr(view, "covers", None) if cover else None
        self.max_states, self.stop_at_first = max_states, stop_at_first
        self.place = array("i")       # state -> its place (a node of the graph)
        self.view_of = array("i")     # state -> its view id
        self.parent = array("i")      # state -> the state it was reached from (-1: the first)
        self.thread = bytearray()     # state -> the thread of that step
        self.next_here = array("i")   # state -> the next state at its place (-1: the last)
        self.views: list = []         # view id -> view
        #: state -> 1 once a state met later at its place covers it before it was expanded: it
        #: is then never expanded (covered views, met in the other order)
        self.dead = bytearray()
        self.dropped = 0
        self.transitions = 0
        self.bounded = None           # the bound that stopped the fold, if one did
        self.candidates: list = []    # schedules (choices, marks fused) of ends to judge

    @property
    def states(self) -> int:
        """The states expanded or waiting to be: every one met but those covered before their turn."""
        return len(self.place) - self.dropped

    def run(self) -> "ViewsAfterPlaces":
        g, after, verdicts, commits_of = self.graph, self.view.after, self.view.verdicts, self.view.commits
        store, labels, label_list = g.store, g.edge_label, g.label_list
        last, edge, finals = store.last, store.edge, g.finals
        first = array("i", [-1]) * len(store)      # place -> its first state
        place, view_of, parent, thread, next_here = self.place, self.view_of, self.parent, self.thread, self.next_here
        views, view_ids, covers = self.views, {}, self.covers
        memo: dict = {}                             # (view id, label id) -> view id
        dead = self.dead
        judged = {(fid, commits, ok) for ends in finals.values() for _, _, fid, commits, ok in ends}

        def view_id(v) -> int:
            return numbered(v, v, view_ids, views)

        def step(w: int, label: int) -> int:
            k = (w, label)
            found = memo.get(k)
            if found is None:
                found = memo[k] = view_id(after(views[w], label_list[label]))
            return found

        def add(u: int, w: int, p: int, t: int) -> None:
            dead.append(0)
            next_here.append(first[u])
            first[u] = len(place)
            place.append(u)
            view_of.append(w)
            parent.append(p)
            thread.append(t)

        add(0, view_id(g.root_view), -1, 0)
        i = 0
        while i < len(place):
            if not i & 0x3FFF and self.deadline is not None and time.monotonic() >= self.deadline:
                self.bounded = "time-limit (folding the views)"
                return self
            if dead[i]:
                i += 1
                continue
            u, w = place[i], view_of[i]
            e = last[u]
            while e >= 0:
                x = edge[e]
                w2 = step(w, labels[e])
                e = (x >> 36) - 1
                v = (x >> 9) & NODE_MASK
                self.transitions += 1
                j = first[v]
                while j >= 0:
                    old = view_of[j]
                    if old == w2 or (covers is not None and covers(views[old], views[w2])):
                        break
                    j = next_here[j]
                if j < 0:
                    if len(place) - self.dropped >= self.max_states:
                        self.bounded = f"max-states {self.max_states:,}"
                        return self
                    if covers is not None:       # states here not expanded yet that it covers go
                        j = first[v]
                        while j > i:
                            if not dead[j] and covers(views[w2], views[view_of[j]]):
                                dead[j] = 1
                                self.dropped += 1
                            j = next_here[j]
                    add(v, w2, i, x & 255)
            for t, label, fid, commits, _ in finals.get(u, ()):
                self.transitions += 1
                if label < 0:
                    continue             # a deadlock or crash: judged on its place already
                end = views[step(w, label)]
                what = (fid, commits_of(end), verdicts(end))
                if what not in judged:
                    judged.add(what)
                    self.candidates.append(self.schedule(i) + [t])
                    if not all(what[2]) and self.stop_at_first:
                        return self      # its run, the last candidate, stops the explorer
            i += 1
        return self

    def schedule(self, i: int) -> list:
        """The choices from the initial state to state `i`."""
        out = []
        while i > 0:
            out.append(self.thread[i])
            i = self.parent[i]
        return out[::-1]

    def nbytes(self) -> int:
        """Bytes of the fold's arrays and of its views (everything inside them, as the store
        counts its parts)."""
        arrays = (self.place, self.view_of, self.parent, self.next_here)
        return sum(len(a) * a.itemsize for a in arrays) + len(self.thread) + len(self.dead) + shared_size(self.views)


def shared_size(objects: list) -> int:
    """Bytes of `objects` with every equal piece counted once (`graphstore._intern`), as the
    store counts its parts: the same figure in every process, whichever of two equal objects
    each one holds."""
    shared: dict = {}
    return _deep_size([_intern(o, shared) for o in objects])
