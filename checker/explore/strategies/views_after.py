"""Views after places: the history view folded over the finished graph of places.

Why: a state of the graph search is a *place* (memory and thread positions)
and a history view (what the criterion still needs of the history). On tl2
transfer, 3 threads, 21,319 states stand on 17,040 places (61,921, about four
views a place, before the witness automaton kept attempts in an order of their
own), and building the graph state by state ran the design for every one of
them (a replay from the start and a step), though threads see only the place. Here the runs build the graph of places alone, each edge
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

The loop is in C (foldcore.c) where a compiler is at hand, the Python loop
(`_run_python`) otherwise; they fold state for state alike. Measured on tl2
transfer 3 x 2 by symmetry (834,989 places; 36,172,133 states, 88,486,713
transitions and 1,577,245 views folded): 1,411 s of folding (py-spy, 5
samples a second: 57% looking at the states already at a place, along their
chain and into their views' items; 38% the witness automaton computing new
views, in Python, 6% of the fold the cyclic collector in it), 447 s since the places' states lie side
by side with signatures of their views (foldcore.c's crowds), the automaton
keeps its configurations in order as it builds them (witnesskey.py,
`_order_key`) and the collector is off while folding (below; the fold makes
no reference cycles: tests/explore/test_views_after.py). The whole search
1,877 s then, 846 s now (14,488,164 KB at the peak).

Criteria already broken are forgotten where the explorer records only which
criteria break (the matrix: `Explorer.kinds_only`): once a run that built
the places broke a criterion, its verdict is "violated" whatever else the
fold finds, so the fold keeps no view of it (`Forgetting`), and states that
differ only in what it still needed meet as one. (Other callers want every
way to end judged, below: they fold every view.) On eager-no-undo transfer,
3 threads by symmetry, whose dirty reads break opacity and both
serializabilities in its first runs, the committed transactions kept for
serializability alone made 16,258,477 states on 2,206,206 places in 20
minutes, not the end; forgotten, the fold holds a state a place (2,206,206:
the graph ends, 531 s in all, 872 MB).

What is judged, then: the runs that built the places were judged as they
ended; an end the fold meets with a final memory, a number of commits (the
invariant reads it) and a verdict of the view that no judged run had is
replayed (the path of states and threads to it, `stmcheck replay`'s form) and
the explorer judges that run as any other, with the checker itself. So every
way to end (final memory, commits, criterion held or not) is judged once, as
the search that builds every state judges it at least once.
"""

from __future__ import annotations

import gc
import os
import time
from array import array

from stmcheck.models import cbuild

from ..graphstore import NODE_MASK, _deep_size, _intern, numbered

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "foldcore.c")
CDEF = """
typedef int (*fold_step_fn)(int view, int label);
typedef int (*fold_end_fn)(int state);
typedef struct fold fold;
fold *fold_new(int nplaces, const int32_t *last, const int64_t *edge, const int32_t *label,
               const uint8_t *has_end, int covers_on, int chain_max, long long max_states,
               fold_step_fn step, fold_end_fn end);
int fold_set_form(fold *f, int view, int key, const int32_t *items, int n);
int fold_run(fold *f, int root, long long stop_at);
int fold_step(fold *f, int w, int label);
long long fold_met(fold *f);
long long fold_dropped(fold *f);
long long fold_transitions(fold *f);
int fold_view_of(fold *f, int state);
int fold_place_of(fold *f, int state);
int fold_schedule(fold *f, int state, int *out, int cap);
long long fold_nbytes(fold *f);
void fold_free(fold *f);
"""
DONE, MAX_STATES, PAUSED, STOPPED, ERROR, NO_MEMORY = range(6)
_CHUNK = 0x4000          # states expanded between two looks at the clock
CHAIN_MAX = 8            # a place's states past this many lie side by side in C (foldcore.c's crowds)
_library = cbuild.OnDemand(SOURCE, CDEF, "foldcore", "the fold of views")


def native():
    """(ffi, lib) of the C fold (foldcore.c, built on first use like every C part:
    models/cbuild.py), or None where it cannot be built here (the Python loop then folds)."""
    return _library.get()


class Forgetting:
    """A view with the criteria `broken` forgotten (the view's `forget`: a constant in their place,
    which `after` keeps, `verdicts` rejects, and beside which the commits are still counted).

    Why it is the same verdict: a criterion a judged history broke is violated whatever else the
    fold finds (the explorer reports a criterion broken or not, never how often), so the fold
    need not look for its ends. The other criteria's views, the commits (the invariant reads
    them) and the place (the final memory: the invariant and the GIL read it) are kept as they
    were, so states that meet as one here get the same verdicts on them on every continuation,
    and an end the fold finds new on them is judged as before (`_ends`: the forgotten verdicts
    count as broken on both sides of its comparison)."""

    def __init__(self, inner, broken: tuple):
        self.inner, self.broken = inner, broken
        self.verdicts, self.commits = inner.verdicts, inner.commits
        self.covers = getattr(inner, "covers", None)
        self.cover_form = getattr(inner, "cover_form", None)

    def forgotten(self, view):
        return self.inner.forget(view, self.broken)

    def after(self, view, label):
        return self.inner.forget(self.inner.after(view, label), self.broken)


def broken_by_runs(finals: dict):
    """Which of the view's criteria (`verdicts`' order) some run that built the places broke, or
    None where none did (`GraphSearch.finals`: each step into an end, with the view's verdicts)."""
    broken = None
    for ends in finals.values():
        for _, label, _, _, ok in ends:
            if label >= 0:           # (a deadlock or crash: no history verdicts)
                broken = tuple(ok) if broken is None else tuple(a and b for a, b in zip(broken, ok))
    return None if broken is None or all(broken) else tuple(not a for a in broken)


class ViewsAfterPlaces:
    """The states (place, view) reachable over a graph of places (`GraphSearch` with
    `product` set), breadth-first; `candidates` are the schedules to replay and judge.

    Two loops compute it, state for state in the same order: `_run_native`, in C (foldcore.c:
    the views stay in Python, C asks for each distinct (view, label) step once and keeps the
    answer, and tests covers itself on each view's `cover_form`), and `_run_python` where C
    cannot be built here or a view has no cover form (`native=False` chooses it; the tests
    compare the two, tests/explore/test_views_after.py)."""

    def __init__(self, graph, view, cover: bool, max_states: int, stop_at_first: bool, deadline=None,
                 native: bool | None = None, tick=None, chain_max: int = CHAIN_MAX, forget: bool = False):
        broken = broken_by_runs(graph.finals) if forget and getattr(view, "forget", None) is not None else None
        if broken is not None:
            view = Forgetting(view, broken)
        self.broken = broken          # the criteria forgotten (`Forgetting`), or None
        self.graph, self.view, self.deadline = graph, view, deadline
        self.root = view.forgotten(graph.root_view) if broken is not None else graph.root_view
        self.tick = tick              # called every `_CHUNK` states expanded (progress display)
        self.covers = getattr(view, "covers", None) if cover else None
        self.max_states, self.stop_at_first = max_states, stop_at_first
        self.native = native
        if not 1 <= chain_max <= 64:      # (foldcore.c's CHAIN_LIMIT)
            raise ValueError(f"chain_max must be 1 to 64, not {chain_max}")
        self.chain_max = chain_max    # (the C fold's: tests set 1, so that every place crowds at once)
        self.views: list = []         # view id -> view
        self._view_ids: dict = {}
        self.met = 0                  # states met (expanded, waiting, or dropped)
        self.dropped = 0              # states a later one at their place covered before their turn
        self.transitions = 0
        self.bounded = None           # the bound that stopped the fold, if one did
        self.candidates: list = []    # schedules (choices, marks fused) of ends to judge
        self._judged = {(fid, commits, self._forgotten(ok))
                        for ends in graph.finals.values() for _, _, fid, commits, ok in ends}
        self._bytes = 0
        self._new_view = None         # called with each new view's id and view (the C fold's forms)
        self.seconds = 0.0            # how long the fold took

    @property
    def states(self) -> int:
        """The states expanded or waiting to be: every one met but those covered before their turn."""
        return self.met - self.dropped

    def run(self) -> "ViewsAfterPlaces":
        start = time.perf_counter()
        # The cyclic collector off while folding: the fold makes millions of tuples and sets
        # that live on (views, memo tables) and no cycles, and each full collection walks them
        # all; on tl2 transfer 3 x 2 by symmetry it took 6% of the fold (py-spy)
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()
            self.seconds = time.perf_counter() - start

    def _run(self) -> "ViewsAfterPlaces":
        loaded = native() if self.native is not False else None
        if loaded is not None and self.covers is not None and getattr(self.view, "cover_form", None) is None:
            loaded = None            # C tests covers through the view's cover form: none here
        if loaded is None and self.native:
            raise RuntimeError(f"the C fold cannot be used here: {_library.error or 'no cover form'}")
        return self._run_native(*loaded) if loaded is not None else self._run_python()

    def _forgotten(self, ok):
        """Verdicts `ok` (a tuple; True at a deadlock or crash) as the forgetting view gives them."""
        if self.broken is None or ok is True:
            return ok
        return tuple(a and not b for a, b in zip(ok, self.broken))

    def _breaks_more(self, verdicts: tuple) -> bool:
        """Some criterion not forgotten is broken (forgotten ones always read broken)."""
        forgot = self.broken or (False,) * len(verdicts)
        return not all(v or b for v, b in zip(verdicts, forgot))

    def _view_id(self, v) -> int:
        n = len(self.views)
        found = numbered(v, v, self._view_ids, self.views)
        if found == n and self._new_view is not None:
            self._new_view(found, v)
        return found

    def _ends(self, i: int, u: int, w: int, step, schedule) -> bool:
        """Judge state `i`'s steps into an end (it stands at place `u` with view `w`): an end
        with a new (final memory, commits, verdicts) becomes a candidate. True: stop (a
        violation, and the explorer stops at the first)."""
        view = self.view
        for t, label, fid, commits, _ in self.graph.finals.get(u, ()):
            self.transitions += 1
            if label < 0:
                continue             # a deadlock or crash: judged on its place already
            end = self.views[step(w, label)]
            what = (fid, view.commits(end), view.verdicts(end))
            if what not in self._judged:
                self._judged.add(what)
                self.candidates.append(schedule(i) + [t])
                if self.stop_at_first and self._breaks_more(what[2]):
                    return True      # its run, the last candidate, stops the explorer
        return False

    def _run_native(self, ffi, lib) -> "ViewsAfterPlaces":
        g, views, after, label_list = self.graph, self.views, self.view.after, self.graph.label_list
        raised: list = []
        has_end = bytearray(len(g.store))
        for u in g.finals:
            has_end[u] = 1

        def step(w, label):
            return self._view_id(after(views[w], label_list[label]))

        def failed(kind, exc, tb):
            """A callback raised (a view's error, a ^C however early it lands in the callback):
            C gets -1 and stops, and the error is raised again below, never printed and lost."""
            raised.append(exc)

        def native_step(w, label):
            found = lib.fold_step(f, w, label)
            if found < 0:
                raise raised.pop() if raised else MemoryError("the fold of views ran out of memory")
            return found

        def schedule(i):
            out = ffi.new("int[]", 1 << 16)
            n = lib.fold_schedule(f, i, out, 1 << 16)
            if n < 0:
                out = ffi.new("int[]", -n)
                n = lib.fold_schedule(f, i, out, -n)
            return list(out[0:n])

        def end(i):
            return 1 if self._ends(i, lib.fold_place_of(f, i), lib.fold_view_of(f, i), native_step, schedule) else 0

        callbacks = (ffi.callback("fold_step_fn", step, error=-1, onerror=failed),
                     ffi.callback("fold_end_fn", end, error=-1, onerror=failed))
        store = g.store
        buffers = (ffi.from_buffer("int32_t[]", store.last), ffi.from_buffer("int64_t[]", store.edge),
                   ffi.from_buffer("int32_t[]", g.edge_label), ffi.from_buffer("uint8_t[]", has_end))
        f = lib.fold_new(len(store), *buffers, 1 if self.covers is not None else 0, self.chain_max,
                         self.max_states, *callbacks)
        if f == ffi.NULL:
            raise MemoryError("the fold of views ran out of memory")
        if self.covers is not None:
            form, keys, items = self.view.cover_form, {}, {}

            def new_view(i, v):
                key, members = form(v)
                ids = sorted({items.setdefault(x, len(items)) for x in members})
                if not lib.fold_set_form(f, i, keys.setdefault(key, len(keys)), ids, len(ids)):
                    raise MemoryError("the fold of views ran out of memory")
            self._new_view = new_view
        try:
            root, stop_at, status = self._view_id(self.root), 0, DONE
            while True:
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    self.bounded = "time-limit (folding the views)"
                    break
                stop_at += _CHUNK
                status = lib.fold_run(f, root, stop_at)
                if status != PAUSED:
                    break
                if self.tick is not None:
                    self.met, self.dropped = lib.fold_met(f), lib.fold_dropped(f)
                    self.tick()
            if status == ERROR:
                raise raised[0]
            if status == NO_MEMORY:
                self.bounded = "out of memory (folding the views)"
            elif status == MAX_STATES:
                self.bounded = f"max-states {self.max_states:,}"
        finally:                 # what it folded, even when stopped by an error or a ^C
            self.met, self.dropped = lib.fold_met(f), lib.fold_dropped(f)
            self.transitions += lib.fold_transitions(f)
            self._bytes = lib.fold_nbytes(f)
            lib.fold_free(f)
        return self

    def _run_python(self) -> "ViewsAfterPlaces":
        g, after, views, covers = self.graph, self.view.after, self.views, self.covers
        store, labels, label_list, finals = g.store, g.edge_label, g.label_list, g.finals
        last, edge = store.last, store.edge
        first = array("i", [-1]) * len(store)      # place -> its latest state
        place, view_of, parent, next_here = array("i"), array("i"), array("i"), array("i")
        thread, dead = bytearray(), bytearray()     # dead: covered by a later state before its turn
        memo: dict = {}                             # (view id, label id) -> view id

        def step(w: int, label: int) -> int:
            k = (w, label)
            found = memo.get(k)
            if found is None:
                found = memo[k] = self._view_id(after(views[w], label_list[label]))
            return found

        def schedule(i: int) -> list:
            out = []
            while i > 0:
                out.append(thread[i])
                i = parent[i]
            return out[::-1]

        def add(u: int, w: int, p: int, t: int) -> None:
            dead.append(0)
            next_here.append(first[u])
            first[u] = len(place)
            place.append(u)
            view_of.append(w)
            parent.append(p)
            thread.append(t)

        add(0, self._view_id(self.root), -1, 0)
        i = 0
        try:
            while i < len(place):
                if not i & (_CHUNK - 1):
                    if self.deadline is not None and time.monotonic() >= self.deadline:
                        self.bounded = "time-limit (folding the views)"
                        return self
                    if self.tick is not None and i:
                        self.met = len(place)
                        self.tick()
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
                if u in finals and self._ends(i, u, w, step, schedule):
                    return self
                i += 1
            return self
        finally:
            self.met = len(place)
            arrays = (place, view_of, parent, next_here, first)
            self._bytes = sum(len(a) * a.itemsize for a in arrays) + len(thread) + len(dead)

    def nbytes(self) -> int:
        """Bytes of the fold's arrays and of its views (everything inside them, as the store
        counts its parts)."""
        return self._bytes + shared_size(self.views)


def shared_size(objects: list) -> int:
    """Bytes of `objects` with every equal piece counted once (`graphstore._intern`), as the
    store counts its parts: the same figure in every process, whichever of two equal objects
    each one holds."""
    shared: dict = {}
    done: dict = {}
    return _deep_size([_intern(o, shared, True, done) for o in objects])
