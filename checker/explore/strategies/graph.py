"""`graph`: the reachable state graph, each state expanded once, with livelock decided on it.

Why: an execution-based search (DPOR) runs every path to a state again, and a
design with retries has paths without end; it finishes only where every path
does. Here the *states* are what is enumerated. A state is the canonical
abstract state (`Run.abstract_state`: memory and thread positions, stamps in
canonical form, models/stamps.py) together with what the judges still need of
the history so far (`view`, chosen by the explorer: `witnesskey.WitnessKey`
for opacity or strict serializability, `CommittedView` for serializability,
all of them at once where every criterion is judged). Two paths to equal
states have the same futures (threads are deterministic and the canonical
form keeps what designs observe) and the same verdict on every continuation
(what the views promise), so each state is expanded once. Where the graph is
finite (declared stamps, retry loops that return, checkpoints at the head of
loops within one attempt: `machine.checkpoint`) the search ends and says
"holds" with proof: "exhausted: N states, M transitions".

A transition is one thread's step, with its attempt's BEGIN taken beside its
first step and its END beside its last ("Fused marks" in runtime.py, which
says why no verdict changes), and the steps on cells guarded by a lock the thread
holds taken beside the step before them ("Guarded steps merged", the same): paths
here count choices, and a counterexample's
schedule names every step (`replay.spell`), as `stmcheck replay` takes it.

How: a queue of (state, thread) edges, first in first out (packed in ints). Each execution
replays the schedule that reaches a state (`parent` pointers: threads are
Python generators, which cannot be copied, so a state is rebuilt by running
to it), takes one step with the edge's thread, and goes on for as long as it
can take an edge for free, since it already stands in a state: at a new
state it goes on with the thread that just stepped (or the first enabled one)
and queues the edges of the others (measured on tl2 3 x 1: 1.98 M steps
against 2.05 M going on with the first thread; 14.1 s against 15.1 s user, one run each); at a state seen before, it takes one of that state's edges
still waiting in the queue, or walks along edges already in the graph (at
most `_MAX_WALK` steps and `_MAX_WALK_STATES` states looked at, no state keys
computed) to the nearest state that has one. The replay to the state is
a fast-forward (`Run._fast_forward`, asked through `replay_ahead`): no chooser,
no state logs, positions interned once at the end; dstm+karma swap, 2 threads
(115,816 states, 3.70 M steps): 29.9 s before, 21.2-23.3 s after, the same graph.
A run that arrives at a state by a path shorter than its parent
pointers' makes that path the state's (`_shorten`): every later replay to it,
or through it, is shorter. Measured on eager+karma transfer, 2 threads, before marks were fused
(65,525 states, 120,058 transitions): going on from new states only took
54,534 runs, 5.58 M steps (55.4 s); with these, 18,422 runs, 2.09 M steps
(22.7 s, run just before it on the same machine). An execution that ends (complete, deadlock, crash) is judged
by the explorer as any other. Runs do not look for lassos themselves: cycles
are in the graph.

Resumed runs (the default where the design allows it, `Run.resumable`, and the states
hold no history view, which would need the whole history: views after places, or cyclic
runs): a run need not replay its path from the initial state. Every 8th new state a run
meets, it keeps a snapshot (`Run.snapshot`: the memory, and each thread's current attempt
from its BEGIN, that is the design's `local_state` then and the results its steps got);
a later run for a state starts from the snapshot of the nearest state on its parent path
that has one (`Run(resume=...)`: each thread restarted at its attempt's BEGIN and fed its
results, no memory touched, its position the snapshot's, not interned again), then
fast-forwards the rest of the path (at most a few choices). Why it reaches the same
place: a thread is deterministic in what its steps return, keeps across attempts only what
`local_state` holds (the contract the canonical states already rest on), and the parent
path from the snapshot's place is transitions that ran. What differs: a run's step bound
counts from where it began (a resumed run has not gone the whole way), so it goes on
further, and a bounded graph may stop elsewhere; the graph, once exhausted, is the same
(tests/explore/test_resume.py compares every shipped kind of design, cyclic programs,
programs outside transactions and random programs with the
search that always replays). A resumed run that ends (complete, deadlock, crash) is made
whole (`Run.whole`) along the path a replay would have taken, so histories, verdicts and
counterexamples are those of the replay. Measured on dstm+karma swap, 2 threads (83,678
places, 29,745 runs): 21.9 s CPU replaying, 12.8 s resumed, 3.70 M steps taken against
0.38 M (and about 37 fed to threads per run); the card's command (tl2 3 x 1) 2.71 s against
2.30 s user (medians of 3); the whole matrix 18 min wall against 13.
A snapshot every 4 states: 12.7 s; every 16: 14.2 s; at every state with waiting edges (kept
until they are taken): 14.3 s, and cyclic graphs, whose runs seldom start (1,515 runs for
100,000 states on dstm+karma swap), lost about a fifth of their time (8.0 s against 6.3
replaying) to the collector walking the snapshots (6.2 s with it off). Snapshots are a cache,
dropped once the runs are over, and not counted in the bytes a state costs (about 80 bytes a
place on both searches above).

Views after places (the default where the view can be read over stored edges:
`WitnessKey` for opacity and strict serializability, `CommittedView` for
serializability, `AllCriteriaView` for the matrix): the runs build the graph
of *places* (memory and positions) alone, each edge labelled with the history
events its step emitted, and the views are folded over that graph afterwards
without running anything (views_after.py says why that is the same graph).
On tl2 3 x 1: 17,040 places, 9,776 runs and 0.44 M steps where building every
state took 40,695 runs and 1.57 M steps; the card's command 3.5 s against
14.7 s (61,921 states against 62,248: the fold meets views in another order,
and drops a state not expanded yet that a later one at its place covers).
The matrix's tl2 swap cell, 3 threads: 126,910 states on 29,447 places, 6.7 s
CPU (95 s before). (All measured before the witness automaton kept attempts in
an order of their own, `witnesskey._order_key`; since, tl2 3 x 1 has 21,319
states (21,437 before aborted attempts went as blocks, 21,443 before aborted twins were dropped,
`witnesskey._without_twins`), and building every state takes 12,390 runs.) `split=False` builds every state with its view (tests
compare the two); whole histories (object workloads), which no fold reads,
are built that way.

The states are kept by `graphstore.GraphStore`: a state's key is the ids of
its three parts (memory, thread positions, history view), each distinct part
stored once (thread positions as packed numbers of each thread's entry),
packed into one integer in an open-addressing numbering; parents, enabled sets
and edges in flat arrays. On tl2 transfer, 3 threads, that is 95 bytes a state
with the edges' labels and the folded views, all of it counted (`store_bytes`);
the dicts and tuples of the first version held 612.

Covered views: a new state whose memory and positions (its place) are a
stored state's and whose history view covers that state's (the view's
`covers(old, new)`: `WitnessKey.covers`, every configuration of the old one
among the new one's, the same commits) is not stored: the edge goes to the
stored state, marked (`covered`) so that walks do not follow it, and the run
stops there. Sound for every verdict: threads see memory and positions only,
so both states have the same futures; a continuation that breaks the
criterion from the new view breaks it from the old one (acceptance reads each
configuration on its own), and the invariant, deadlock and cycles depend on
the place and the steps alone; a cycle through marked edges repeats places
and commits of real executions, and a lasso's loop replays from any state at
its place. Measured on tl2 3 x 1: 71,706 states without covering, 62,248
with (the card 14.7 s against 16.6 s before, median of 5 paired runs); views
at one place differ mostly by aborted attempts left unplaced, not by
inclusion, so most of the 4.2x that views multiply places by stays.
`cover=False` expands every view (tests compare the two).

Livelock (`conclude`): a reachable cycle without a commit that is fair (every
thread enabled somewhere on it steps on it), found as a fair strongly
connected component over the non-commit edges (`fair_cycles.fair_component`,
Streett-style refinement). A cycle found in part of the graph is a real one:
every edge is a transition that ran. "Livelock-free" holds only when the
whole graph was built. The counterexample is the lasso: the path to the
cycle, then the cycle, replayed with the runtime's lasso detector, which
proves it again (`PREFIX (LOOP)*`).

Starvation, for cyclic programs (`explore --cyclic`: each thread runs its
program forever, no history is judged, so the state is the place alone): a
fair cycle with a commit on it in which some live thread never commits
(`fair_cycles.starving`), looked for after livelock and replayed the same way.
"Starvation-free" holds when the whole graph was built: the workloads' cyclic
programs keep their values finite (`Workload.cycle`), so where the design's
growing values are stamps the graph ends (the matrix's starvation column is
decided on the same graph, starvation.py).

Symmetry (`symmetry=True`, `explore --symmetry`): where threads run the same program and the
design allows it, a state whose image under a renaming of those threads is stored is not
stored again: the edge goes to the stored state with that renaming (`edge_perm`), the run stops
there (it is not in the stored state itself: walks and parent pointers follow identity edges
only, so every stored state is one a run stood in), the views are renamed along edges
(`SymmetricView`), cycles are looked for on the graph the quotient stands for (`LiftedGraph`),
and a counterexample's path is renamed back into a real schedule (symmetry.py proves each).
tl2 transfer, 3 threads: 10,844 states against 21,319; counter: 947 against 5,229.
Most images of a new state are no stored state, and their thread positions say so: the
positions are built first and the memory only where they are stored (`Symmetry.images`), the
same lookups for less (`stmcheck explore dstm+timestamp --workload counter --threads 3
--symmetry --max-states 300000`: 22.6 s against 28.3 s, medians of 3 paired runs).

No partial-order reduction beyond the fused marks: every enabled thread is
expanded at every state (sound for safety and for cycles alike). `max_states`
bounds the graph.
"""

from __future__ import annotations

import time
from array import array

from stmcheck.models.terms import Kind

from ..fair_cycles import fair_component, starving, walk
from ..graphstore import NODE_MASK, GraphStore, StoreFull, numbered
from ..witnesskey import event_tuple
from .base import MERGED_STATES, NondeterminismError, Strategy
from .replay import Replay
from .views_after import ViewsAfterPlaces, shared_size
from ..symmetry import LiftedGraph, Symmetry, SymmetricView, SymmetryError

DEFAULT_MAX_STATES = 200_000
_MAX_WALK = 12           # steps a run may walk through known states to an edge not yet taken,
_MAX_WALK_STATES = 24    # and states it may look at on the way (see `_walk`)
_SNAPSHOT_EVERY = 8      # a run keeps a snapshot at every 8th new state it meets ("Resumed runs"),
_MAX_SNAPSHOTS = 250_000  # and the search at most this many (past them, runs resume from older ones)


def no_history(run) -> None:
    """The history view of runs whose histories are not judged: cyclic runs (they never end; a
    view of a history that grows with every commit would keep any state from recurring), and
    searches that read only end states (the GIL's outcomes, gil.py)."""
    return None


class PathRuns(Strategy):
    """Runs that replay a path of choices (`path`, marks fused), then choose (`_choose`) at
    every state past it; the choices made are in `taken`. What this search and one partition of
    it on a cluster (partition.py) share: at the path's last choice, `commits` and `_ev` note
    the commits and events so far, so that the edge taken next knows whether it committed and
    which events it emitted (`_label`)."""

    def replay_ahead(self):
        """The path to replay and the choices taken so far (`Run._fast_forward`)."""
        return self.path, self.taken

    def pick(self, run, enabled):
        taken, path = self.taken, self.path
        d = len(taken)
        if d < len(path):            # replaying the path to the state to expand
            t = path[d]
            if t not in enabled:
                raise NondeterminismError(
                    f"replaying the schedule of a state reached a different state at step {d} (thread {t} "
                    f"cannot step): the design or workload is not deterministic, {MERGED_STATES}")
            if d == len(path) - 1:
                self.commits = run.commits
                self._ev = len(run.events)
            taken.append(t)
            return t
        t = self._choose(run)
        if t is not None:
            taken.append(t)
        return t

    def _label(self, run, perm: int = 0) -> int:
        """The id of the events the run emitted since the edge it just took began (`_ev`), in
        the form `WitnessKey.after` reads; equal ones share an id. A search by symmetry labels
        an edge with its renaming too (`SymmetricView` reads the pair)."""
        label = tuple([event_tuple(e) for e in run.events[self._ev:]])
        if self.symmetry:
            label = (label, perm)
        return numbered(label, label, self.labels, self.label_list)


class GraphSearch(PathRuns):
    name = "graph"
    about = ("search of the reachable state graph: exhaustive where states recur, proves livelock "
             "(and starvation, with --cyclic)")
    fair = False
    #: The runtime's own lasso detector is off for these runs (cycles are found on the graph).
    finds_cycles = True
    #: A choice's alternatives (`machine.choose`) are edges of their own: picks t + a * 16.
    takes_choices = True
    #: A transition is a thread's step with its attempt's BEGIN or END beside it (runtime.py,
    #: "Fused marks"): paths and schedules here count choices, not steps.
    fuses_marks = True

    def __init__(self, max_states: int = DEFAULT_MAX_STATES, go_on: bool = True, cover: bool = True,
                 split: bool = True, resume: bool = True, symmetry: bool = False):
        super().__init__()
        self.max_states = max_states
        #: Search by symmetry (symmetry.py): one state of each orbit of the thread renamings the
        #: workload allows; `sym` is the group once the first run has shown the design, and
        #: `edge_perm` the renaming of each stored edge (0: the identity).
        self.symmetry = symmetry
        self.sym = None
        self.edge_perm = bytearray()
        self.go_on = go_on               # False: every run stops at the first state it reaches
        #: Runs start from a snapshot of the state whose edge they take ("Resumed runs"), where
        #: the design and the view allow it (decided at the first state); False: always replay.
        self.resume = resume
        self.snapshots: dict = {}        # node -> `runtime.Snapshot`, at every few new states of a run
        self._since = 0                  # new states the current run met since it took a snapshot
        self._from = None                # the snapshot the next run starts from (`resume_from`)
        self._to: list = []              # and the path to its state (as a replay would take it)
        self.cover = cover               # False: every view a state of its own ("Covered views")
        self.view = None                 # the explorer's history view (`judge_histories_by`)
        self.covers = None               # the view's `covers(old, new)`, where it has one
        self.covered: set = set()        # edges (node << 8 | thread) into a state that covers theirs
        self._use(GraphStore())          # the states: keys, parents, enabled threads, edges
        self.queue = EdgeQueue()         # edges to take, in order: node << 8 | thread; an edge taken
                                         # early (its bit in `waits` cleared) is passed over
        self.transitions = 0
        #: The store reached `max_states`: no run starts, but the queue is kept (the edge that met
        #: the bound back at its head) until `conclude`, so that a saved search can go on with a
        #: larger bound (`reopen`, explore/saving.py) as if it had had it all along.
        self.paused = False
        self.first = True
        self.path: list = []             # the choices replayed: to `node`, then `edge`
        self.taken: list = []            # the choices the current run made
        self.node = -1                   # the node the current run steps from
        self.edge = 0                    # the thread it steps with
        self.commits = 0
        #: Stop at the first counterexample (the explorer says): then look for a livelock each
        #: time the graph has doubled, not only at the end (each look is linear in the graph,
        #: `fair_cycles.fair_component`: all of them together cost about one more).
        self.stop_early = False
        self._next_look = 1024
        self._cycle = None               # (entry, loop) of a livelock (or starvation) found early
        #: Cyclic programs (the explorer says): the threads that may starve, looked for after
        #: livelock (`fair_cycles.starving`); none for programs that end.
        self.starvers: tuple = ()
        #: "Views after places": a view that can be read over stored edges (`after`) is left out
        #: of the states the runs build and folded over the finished graph instead (`product`)
        self.split = split
        #: Fold no view of a criterion a run that built the places broke (the explorer says:
        #: `Explorer.kinds_only`; views_after.py, `Forgetting`)
        self.forget_broken = False
        self.product = None              # that view
        self.root_view = None
        self.labels: dict = {}           # a transition's events -> label id
        self.label_list: list = []       # label id -> ((op, thread, key, value), ...)
        self.edge_label = array("i")     # edge -> its label id (the store's edges, in order)
        self.finals: dict = {}           # node -> [(thread, label id, final id, commits, view accepts)]:
                                         # its steps into an end, as the run that took each met it
                                         # (label -1: a deadlock or crash)
        self.final_list: list = []       # final id -> the run's final memory (dict), each distinct one once
        self._final_ids: dict = {}
        self._ev = 0                     # the run's events before the edge being taken
        self.views_after = None          # what the fold found (`ViewsAfterPlaces`), once it ran
        self.deadline = None             # time.monotonic() past which the fold stops (--time-limit)
        self.tick = None                 # called now and then while the views are folded (progress)

    @classmethod
    def from_options(cls, *, max_states: int | None = None, symmetry: bool = False, **_):
        return cls(max_states=max_states or DEFAULT_MAX_STATES, symmetry=symmetry)

    def judge_histories_by(self, view) -> None:
        self.view = view
        if self.split and getattr(view, "after", None) is not None and not len(self.store):
            self.product = view          # the runs build the graph of places; views come after
            self.covers = None
            return
        if self.symmetry and view is not None and view is not no_history:
            raise SymmetryError("a search by symmetry reads history views over the graph's edges; this "
                                "criterion's view is not read that way (object programs keep whole histories)")
        self.covers = getattr(view, "covers", None) if self.cover else None
        if self.covers is not None and not len(self.store):
            self._use(GraphStore(places=True))

    def _use(self, store: GraphStore) -> None:
        self.store = store
        self.enabled = store.enabled     # enabled(node): the threads that can step there
        self.waits = store.waits         # node -> its edges waiting in the queue, bit t - 1 for thread t

    # -- the search -------------------------------------------------------------------------------
    def schedule(self, node: int) -> list:
        """The choices from the initial state to `node` along parent pointers."""
        return self._path_to(node)[0]

    def out(self, node: int) -> list:
        """`node`'s edges: [(thread, next node, commits)]."""
        return self.store.out(node)

    def parent_of(self, node: int) -> tuple:
        """(parent node, thread); (-1, 0) for the initial state."""
        return self.store.parent(node)

    def store_bytes(self) -> int:
        """What the stored graph costs in bytes (`GraphStore.nbytes`, with the edges' labels and
        the folded views where views come after places)."""
        total = self.store.nbytes() + len(self.edge_perm)    # (a byte an edge: its renaming, by symmetry)
        if self.product is not None:
            total += len(self.edge_label) * self.edge_label.itemsize + shared_size(self.label_list)
        if self.views_after is not None:
            total += self.views_after.nbytes()
        return total

    def resume_from(self):
        """The snapshot the run about to start is to be built on (`Run(resume=...)`), or None: it
        replays `path` from the initial state ("Resumed runs")."""
        return self._from

    def start(self) -> bool:
        self._from = None
        if not self.paused and self._next():
            return True
        self.snapshots.clear()       # the runs are over: what the rest of the search needs is the graph
        return False

    def _next(self) -> bool:
        """Set up the next run (its path, or the snapshot it resumes from); False: none is left."""
        if self.first:
            self.first = False
            self.path, self.node, self.edge, self.taken = [], -1, 0, []
            return True
        if not self.queue:
            self.exhausted = not self.bounds
            return False
        if self.stop_early and self.states >= self._next_look:
            self._next_look *= 2
            self._cycle = self._livelock()
            if self._cycle is not None:
                self.bounds.add("stopped at a livelock before the graph was complete")
                return False
            self._cycle = self._starvation()
            if self._cycle is not None:
                self.bounds.add("stopped at a starvation cycle before the graph was complete")
                return False
        queue, waits = self.queue, self.waits
        while True:
            if not queue:
                self.exhausted = not self.bounds
                return False
            edge = queue.popleft()
            node, t = edge >> 8, edge & 255
            if waits[node] >> (t - 1) & 1:
                break
        waits[node] ^= 1 << (t - 1)
        to, snap, after = self._path_to(node)
        if snap is None:
            self.path = to + [t]
        else:
            self._from, self.path, self._to = snap, to[len(to) - after:] + [t], to[:len(to) - after]
        self.node, self.edge, self.taken, self._since = node, t, [], 0
        return True

    def _path_to(self, node: int) -> tuple:
        """(the choices from the initial state to `node` along parent pointers, the snapshot of
        the nearest state on that path that has one or None, how many of the choices follow it)."""
        out, parent, thread, snapshots = [], self.store.parent_node, self.store.parent_thread, self.snapshots
        snap, after = None, 0
        while node > 0:
            if snap is None and snapshots:
                snap = snapshots.get(node)
                after = len(out)
            out.append(thread[node])
            node = parent[node]
        out.reverse()
        return out, snap, after

    def _choose(self, run):
        """At a state past the path: record it (and the edge that led here), then the thread to go
        on with, or None to end the run."""
        memory, positions = run.abstract_state()
        if self.product is not None:
            view = ()
            if self.root_view is None:     # the first state of all: no event yet
                self.root_view = self.product(run)
        else:
            view = self.view(run) if self.view is not None else _events_key(run)
        store = self.store
        covered = False
        perm = 0                         # the edge's renaming (a search by symmetry)
        try:
            if self.symmetry:
                node, perm = self._orbit(run, memory, positions, view)
                key = store.key(memory, positions, view) if node is None else 0
            else:
                key = store.key(memory, positions, view)
                node = store.find(key)
            if node is None and self.covers is not None:
                node = self._covering(key)
                covered = node is not None
            new = node is None
            if new:
                if len(store) >= self.max_states:
                    return self._pause()
                node = store.add(key, run.enabled_now(), self.node, self.edge)
            if self.node >= 0:
                store.add_edge(self.node, self.edge, node, run.commits > self.commits)
                if self.symmetry:
                    self.edge_perm.append(perm)
                if self.product is not None:
                    self.edge_label.append(self._label(run, perm))
        except StoreFull as exc:
            return self._full(str(exc))
        if self.node >= 0:
            self.transitions += 1
            if covered:
                self.covered.add(self.node << 8 | self.edge)
            elif not new and not perm:
                self._shorten(node, self.node, self.edge)
        if covered or perm:
            return None       # this run is not in `node` (its view, or its thread names, differ)
        # Go on from here (this run is already in the state, so an edge taken now costs no
        # replay): from a new state with its first thread, its other edges queued; from a
        # state seen before with one of its edges still waiting in the queue, if any. Not
        # past half the step bound, where the explorer would stop the run and call it a
        # suspected livelock.
        here = self.enabled(node)
        steps = len(run.schedule)
        go_on = self.go_on and steps + 1 < run.max_steps // 2
        if new:
            if self.edge in here and self.edge != here[0]:   # go on with the thread that just stepped
                here = (self.edge,) + tuple([u for u in here if u != self.edge])
            later = here[1:] if go_on else here
            mask = 0
            for t in later:
                self.queue.append(node << 8 | t)
                mask |= 1 << (t - 1)
            try:
                self.waits[node] = mask
            except (ValueError, OverflowError):     # a thread beyond the bits `waits` has
                if not store.widen_waits(mask):
                    return self._full("the state graph takes at most 64 threads")
                self.waits = store.waits
                self.waits[node] = mask
            self._since += 1
            if self._since >= _SNAPSHOT_EVERY and self.resume:
                if self.resume is True:
                    self.resume = run.resumable and (self.product is not None or self.view is no_history)
                if self.resume and len(self.snapshots) < _MAX_SNAPSHOTS:
                    self.snapshots[node] = run.snapshot()
                    self._since = 0
            t = here[0] if go_on else None
        elif go_on:
            mask = self.waits[node]
            if not mask:
                return self._walk(run, node, min(_MAX_WALK, run.max_steps // 2 - steps - 2))
            t = next(t for t in here if mask >> (t - 1) & 1)
            self.waits[node] = mask ^ 1 << (t - 1)
        else:
            t = None
        if t is None:
            return None
        self.node, self.edge, self.commits = node, t, run.commits
        self._ev = len(run.events)
        return t

    def _orbit(self, run, memory, positions, view) -> tuple:
        """(node, renaming index) of the stored state this one is an image of (node = perms[g](this
        state): this state is perms[inverse[g]](r_node), the edge's renaming), or (None, 0)."""
        store, sym = self.store, self.sym or self._symmetry(run, memory, positions)
        key = store.lookup(memory, positions, view)
        node = store.find(key) if key is not None else None
        if node is not None:
            return node, 0
        for g, (mem, pos) in sym.images(run, store.has_positions):
            key = store.lookup(mem, pos, view)
            if key is not None:
                node = store.find(key)
                if node is not None:
                    return node, sym.inverse[g]
        return None, 0

    def _symmetry(self, run, memory, positions) -> Symmetry:
        """At the first state: the group (`sym`), the view renamed along edges, and the check
        that the initial state is its own image under every renaming (the proof's base case)."""
        sym = self.sym = Symmetry(run)
        if self.product is not None:
            if getattr(self.product, "relabel", None) is None:
                raise SymmetryError("this criterion's history view cannot be renamed: no search by symmetry")
            self.product = SymmetricView(self.product, sym)
        if any(image != (memory, positions) for _, image in sym.images(run)):
            raise SymmetryError("the initial state is not the same under every renaming of interchangeable "
                                "threads (a cell that names one of them?)")
        return sym

    def out_renamed(self, u: int) -> list:
        """`out(u)` with each edge's renaming index: [(thread, next node, commits, renaming)]."""
        return self.store.out(u, self.edge_perm)

    def _covering(self, key: int):
        """A state with `key`'s memory and positions whose view covers `key`'s (`covers`), or None."""
        store = self.store
        view, views = store.view(key), store.views
        for node, old in store.at_place(key):
            if self.covers(views[old], view):
                return node
        return None

    def _full(self, bound: str):
        """The store is full: no more edges are taken; the graph is not complete."""
        self.bounds.add(bound)
        self.queue.clear()
        self.store.clear_waits()
        self.snapshots.clear()
        return None

    def _pause(self):
        """`max_states` met at a new state: the edge that led there goes back to the queue's head,
        waiting again (its run stops here; it is taken first if the search goes on), and no run
        starts (`paused`)."""
        self.bounds.add(self._max_bound())
        self.paused = True
        self.queue.push_front(self.node << 8 | self.edge)
        self.waits[self.node] |= 1 << (self.edge - 1)
        return None

    def _max_bound(self) -> str:
        return f"max-states {self.max_states:,}"

    def reopen(self, max_states: int) -> None:
        """Go on, as a search saved when it paused at its bound, with `max_states` as the bound: a
        larger one lets the runs start again where they stopped."""
        if self.paused and max_states > len(self.store):
            self.bounds.discard(self._max_bound())
            self.paused = False
        self.max_states = max_states

    def _walk(self, run, node: int, limit: int):
        """From `node`, whose edges are all taken, walk along edges already in the graph to the
        nearest state with an edge still waiting and take it: cheaper than a replay from the
        start, when it is near (at most `limit` steps; else the run stops). The walk follows
        transitions that ran, so it reaches that state (threads are deterministic); it is
        replayed as a path (`self.path`), with no state key computed on the way.

        Breadth-first, level by level, reading the packed edge words in place (newest edge
        first), and given up after a few dozen states: most walks find nothing, and a wide one
        costs more than the replay it would save. Measured on tl2 3 x 1 (user seconds, one
        run each): at most 8 steps and no limit on states, 18.4 s (46,077 runs, 1.99 M steps);
        8 steps and 64 states 16.9 s; 12 steps and 24 states 15.2 s (48,092 runs, 2.05 M
        steps); 8 steps and 8 states 15.4 s; no walk at all 16.0 s (54,218 runs)."""
        last, edge, waits, mask, covered = self.store.last, self.store.edge, self.waits, NODE_MASK, self.covered
        perms = self.edge_perm if self.symmetry else None
        prev = {node: None}
        level = [node]
        for _ in range(limit):
            below = []
            for u in level:
                e = last[u]
                while e >= 0:
                    x = edge[e]
                    here_e, e = e, (x >> 36) - 1
                    v = (x >> 9) & mask
                    if v in prev or (covered and u << 8 | (x & 255) in covered) or (perms and perms[here_e]):
                        continue      # a covered (or renamed) edge leads where `v` is, not to `v` itself
                    prev[v] = (u, x & 255)
                    if waits[v]:
                        mask = waits[v]
                        return self._take(run, prev, v, next(w for w in self.enabled(v) if mask >> (w - 1) & 1))
                    below.append(v)
            if not below or len(prev) > _MAX_WALK_STATES:
                return None
            level = below
        return None

    def _take(self, run, prev: dict, target: int, w: int) -> int:
        """Set this run's path to walk (`prev`: breadth-first (parent, thread)) to `target`, then take
        its waiting edge `w`; the first thread to step."""
        self.waits[target] ^= 1 << (w - 1)
        route, v = [w], target
        while prev[v] is not None:
            v, t = prev[v]
            route.append(t)
        route.reverse()
        self.path = self.taken + route
        self.node, self.edge = target, w
        return route[0]

    def _shorten(self, node: int, via: int, t: int) -> None:
        """Make `via`'s edge `t` the parent of `node` when that path to it is shorter: runs that
        go on through states seen before find longer paths than a breadth-first search would, and
        every state is reached by replaying its path (its descendants' paths get shorter too).

        Lengths are the store's `depth`s, each set when its node's parent was: a node whose
        ancestor's path got shorter keeps its old, longer figure. Walking both paths to compare
        them cost 1.83 s of dstm+polka transfer's 29 s matrix cell (171,104 calls; paths of about
        100 choices), this 0.11 s, with the same runs and paths as long within 2% (the mean of
        184,539 states' 100.4 choices against 98.9). The parents stay a tree: a node's figure
        exceeds its parent's, so an ancestor of `via` never has a figure above `via`'s + 1."""
        depth = self.store.depth
        if depth[via] + 1 < depth[node]:
            self.store.set_parent(node, via, t)

    def finish(self, run) -> None:
        if run.resumed is not None and run.outcome != "stopped":
            # A resumed run that ended: judged (and reported) whole, from the initial state along
            # the path a replay would have taken (the same history, verdicts and counterexample as
            # without snapshots); one past the step bound along its own path, which reached it.
            tail = len(run.events) - self._ev
            choices = self._to + self.taken      # (a choice is at most 3 steps: BEGIN, a step, END)
            run.whole(Replay(choices, strict=True, fused=True) if run.outcome != "max-steps" else None,
                      3 * len(choices) + 1)
            self._ev = len(run.events) - tail
        if run.outcome == "max-steps":
            # A run stops at a state seen before, or goes on at most half the step bound: this one
            # could not even reach the state it was to expand (paths got that long), so the graph
            # lacks that state's edges and cannot be called complete, whatever the run is judged.
            self.bounds.add(f"a state deeper than max-steps {run.max_steps} was not expanded")
        elif run.outcome != "stopped" and self.node >= 0 and len(self.taken) >= len(self.path):
            self.transitions += 1    # a step into a final state (complete, deadlock, crash): judged, no node
            if self.product is not None:     # a deadlock or crash needs no view: judged, counted
                ends = self.finals.setdefault(self.node, [])
                if run.outcome == "complete":
                    ok = self.product.verdicts(self.product(run))
                    ends.append((self.edge, self._label(run), self._final_id(run.final), run.commits, ok))
                else:
                    ends.append((self.edge, -1, -1, 0, True))

    def _final_id(self, final) -> int:
        return numbered(tuple(sorted(final.items(), key=repr)), final, self._final_ids, self.final_list)

    # -- what the graph proves --------------------------------------------------------------------
    def conclude(self, new_run):
        """Runs for the explorer to judge, one by one (it stops at the first violation where it
        stops at all): a livelock found while the runs went on (it stopped them: the views are
        not folded for it), the ends the views folded over the graph of places find to judge
        ("Views after places"), then the graph's livelock (at most one: the first fair
        non-progress cycle), each lasso replayed so that the runtime proves it again."""
        self.snapshots.clear()
        if self.paused:                  # (the edges left waiting: see `_pause`)
            self.queue.clear()
            self.store.clear_waits()
        if self._cycle is not None:
            yield self._lasso_run(new_run, self._cycle)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.bounds.add("time-limit (before the views were folded over the places)")
        elif self.product is not None and self.root_view is not None:
            fold = self.views_after = ViewsAfterPlaces(self, self.product, self.cover, self.max_states,
                                                       self.stop_early, self.deadline, tick=self.tick,
                                                       forget=self.forget_broken)
            fold.run()
            self.transitions = fold.transitions
            if fold.bounded is not None:
                self.bounds.add(fold.bounded)
            for schedule in fold.candidates:
                if self.sym is not None:
                    schedule = self.sym.actual(self, schedule)
                run = new_run(detect_lassos=False)
                run.execute(Replay(schedule, strict=True, fused=True))
                yield run
        if self._cycle is None:
            found = self._livelock()
            if found is not None:
                yield self._lasso_run(new_run, found)
            found = self._starvation()
            if found is not None:
                yield self._lasso_run(new_run, found)

    def _lasso_run(self, new_run, found):
        entry, loop = found
        run = new_run(detect_lassos=True)
        run.execute(Replay(self._cycles().schedule(entry) + loop * 2, strict=True, fused=True))
        return run

    def _cycles(self):
        """The graph whose cycles are the runs' cycles: this one, or under symmetry the graph of
        states it stands for (`LiftedGraph`: fairness names threads)."""
        return self if self.sym is None else LiftedGraph(self, self.sym)

    def _livelock(self):
        """(entry node, loop schedule) of a fair cycle without commits, or None."""
        graph = self._cycles()
        comp = fair_component(graph, lambda t, c: not c)
        return None if comp is None else walk(graph, comp, lambda t, c: not c)

    def _starvation(self):
        """(entry node, loop schedule) of a fair cycle with commits in which one of `starvers` never
        commits, or None (always None for programs that end: their commits never loop)."""
        graph = self._cycles()
        found = starving(graph, self.starvers)
        if found is None:
            return None
        _, comp, keep = found
        return walk(graph, comp, keep)

    @property
    def states(self) -> int:
        """Distinct states: (place, view) pairs once the views are folded over the places
        ("Views after places"), the places until then."""
        return self.views_after.states if self.views_after is not None else len(self.store)

    #: What every place met decides, whatever bounded the history views (`places_exhausted`).
    DECIDED_BY_PLACES = (Kind.DEADLOCK, Kind.LIVELOCK, Kind.CRASH)

    @property
    def places_exhausted(self) -> bool:
        """Every place was met, with no bound, by the runs that build the graph of places (views
        after places), whatever bounded the fold of views after them. That decides what needs no
        history view: a deadlock or a crash is a run's end, judged as the run ended, and every
        place's every step ran; livelock (`conclude`) is a fair cycle without a commit in the graph
        of places, judged there with or without the fold (threads see the place alone, so going
        round such a cycle for ever is a run, whatever history views it passes through). The
        criterion and the invariant (which reads the view's commits) are not decided: the
        explorer says which (`Outcome.places_exhausted`)."""
        return self.exhausted and self.product is not None

    @property
    def nodes(self) -> int:
        """The graph's nodes (`fair_cycles`): its places where views come after them, else its states."""
        return len(self.store)

    def describe(self) -> str:
        sym = f"; by symmetry: {self.sym.describe()}" if self.sym is not None else \
            "; by symmetry" if self.symmetry else ""
        return f"graph (reachable states, at most {self.max_states:,}{sym})"


class EdgeQueue:
    """A first-in first-out queue of packed edges in an `array('q')`: 8 bytes an edge where a
    deque of ints costs about 40 (the queue holds millions on tl2 3 x 2). Popped slots are
    dropped in bulk once they are half the array."""

    __slots__ = ("items", "head")

    def __init__(self):
        self.items = array("q")
        self.head = 0

    def append(self, edge: int) -> None:
        self.items.append(edge)

    def popleft(self) -> int:
        items, head = self.items, self.head
        edge = items[head]
        head += 1
        if head >= 4096 and 2 * head >= len(items):
            del items[:head]
            head = 0
        self.head = head
        return edge

    def push_front(self, edge: int) -> None:
        if self.head:
            self.head -= 1
            self.items[self.head] = edge
        else:
            self.items.insert(0, edge)

    def clear(self) -> None:
        self.items = array("q")
        self.head = 0

    def __len__(self) -> int:
        return len(self.items) - self.head


def _events_key(run) -> tuple:
    from ..statekey import history_key
    return history_key(run)
