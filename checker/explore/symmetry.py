"""Symmetry: threads that run the same program, searched as one.

Why: on tl2 transfer with 3 threads, threads 1 and 3 run the same program; a
state and its image with those two swapped have the same futures, swapped, and
the same verdicts (the criteria and the invariant do not read thread names).
The state-graph search (`GraphSearch(symmetry=True)`) keeps one state of each
such pair, each orbit of the group of thread renamings a workload allows.

The group: the renamings that map each thread to one of its class
(`Workload.thread_class`: equal classes run the same program and the invariant
does not tell them apart), all of them (a product of symmetric groups). A
renaming σ acts on a state by moving thread t's position to σ(t), each cell a
thread owns (`Machine.cell(of_thread=...)`) to the same cell of σ(t), and
renaming every thread number in memory, in what threads saw and in what they
keep (`Tid`, models/threadids.py). The design promises (`symmetric = True`)
that it keeps thread numbers nowhere else and uses them only as names
(`Tid` raises where it would order or compute with them).

Why the quotient decides what the full graph decides. Threads are
deterministic, so for a design that keeps its promise, thread σ(t) steps from
σ(s) to σ(s') when t steps from s to s', emitting the events renamed. Each
node n of the quotient stands for a state r_n a run really stood in (its
parent path reaches it exactly: a run that meets a stored orbit away from its
representative stops there, so walks and parent pointers follow identity edges
only); an edge (n, t) -> (m, π) says thread t steps from r_n to π(r_m). So:
- every reachable state is σ(r_n) for some n and σ (by induction on paths: the
  initial state is its own image under every σ, checked at the start);
- its history view too is a renamed one (views are read over edges, renamed by
  π⁻¹ after each step: `SymmetricView`), so the criterion's verdict at every
  end, the invariant (the workload's classes promise it is symmetric), a
  deadlock (a property of the state) are those of some r_n;
- cycles (livelock, starvation) are decided on the lifted graph
  (`LiftedGraph`): nodes (n, σ) for σ(r_n), edges σ(t) -> (m, σ∘π), which is
  the full graph of states exactly (each state once per renaming that maps
  r_n to it), so fairness, which names threads, is judged as without symmetry.
Counterexamples are real schedules: a path in the quotient is replayed with
the renaming composed along it (`actual`).

Tested against the search without symmetry (tests/explore/test_symmetry.py):
the same verdicts on every symmetric design and broken variant, and the orbit
sizes of the quotient's places adding up to the full graph's places.
"""

from __future__ import annotations

from itertools import permutations, product
from math import factorial, prod

from stmcheck.models.machine import CHOICE_STRIDE, MAX_ALTERNATIVES, DesignMisuse, Machine, picked
from stmcheck.models.threadids import Tid


#: The most renamings a search tries on each new state (all of 6 interchangeable threads).
MAX_RENAMINGS = 720


class SymmetryError(DesignMisuse):
    """A search by symmetry cannot run on this design or workload (says why): the caller's
    mistake, as a design's misuse is (the API makes it a usage error)."""


def refusal(design_cls, workload, design=None, name: str | None = None) -> str | None:
    """Why a search by symmetry cannot run on `design_cls` and `workload`, or None. `design`: the
    design as built for them (`symmetric` may depend on the threads or the manager); without it
    only what the class says is asked (a caller that must not run a user's code)."""
    name = name or design_cls.__name__
    if not getattr(design_cls, "symmetric", False):
        return (f"{name} does not say it can be searched by symmetry (a design sets `symmetric = True` when it "
                "only stores thread numbers and compares them for equality: models/threadids.py)")
    if workload.outside:
        return f"workload {workload.name} logs output by thread number: no search by symmetry"
    classes = [workload.thread_class(t) for t in range(1, workload.threads + 1)]
    if None in classes:
        return (f"workload {workload.name} does not say which threads run the same program "
                "(`Workload.thread_class`): no symmetry to use")
    if len(set(classes)) == len(classes):
        return f"no two of the {len(classes)} threads run the same program on {workload.name}: no symmetry to use"
    if design is not None and not getattr(design, "symmetric", False):
        return (f"{name} does not allow a search by symmetry here (`symmetric`: thread numbers only stored and "
                "compared, per-thread cells made with of_thread; a design may say so for some configurations only)")
    return None


def allowed(design_cls, workload) -> bool:
    """Whether a search by symmetry can run here (`refusal`, on the design built for `workload`)."""
    if refusal(design_cls, workload) is not None:
        return False
    try:
        design = design_cls(Machine(), dict(workload.keys), workload.threads)
    except Exception:
        return False
    return refusal(design_cls, workload, design) is None


class Symmetry:
    """The group of renamings of a run's threads (`perms[0]` is the identity), and its action on
    the run's states."""

    def __init__(self, run):
        design, workload = run.design, run.workload
        why = refusal(type(design), workload, design)
        if why is not None:
            raise SymmetryError(why)
        classes = {}
        for t in range(1, run.threads + 1):
            classes.setdefault(workload.thread_class(t), []).append(t)
        groups = [ts for ts in classes.values() if len(ts) > 1]
        self.classes = [tuple(ts) for ts in classes.values()]
        size = prod(factorial(len(ts)) for ts in groups)
        if size > MAX_RENAMINGS:
            raise SymmetryError(f"{size:,} renamings of the threads: a search by symmetry tries each on every new "
                                f"state, and takes at most {MAX_RENAMINGS} (6 threads running one program)")
        perms = []
        for choice in product(*[permutations(ts) for ts in groups]):
            p = list(range(run.threads + 1))
            for ts, image in zip(groups, choice):
                for a, b in zip(ts, image):
                    p[a] = b
            perms.append(tuple(p))
        perms.sort(key=lambda p: p != tuple(range(run.threads + 1)))   # the identity first
        self.perms = perms
        #: Each renaming as it acts on picks (thread numbers, and a choice's alternatives t + a * 16,
        #: machine.choose: thread t's alternative a is σ(t)'s): what edges and schedules hold.
        self.picks = [tuple(p[t] + a * CHOICE_STRIDE if 0 < t < len(p) else v
                            for v in range(max(len(p), CHOICE_STRIDE * MAX_ALTERNATIVES))
                            for t, a in [picked(v, len(p) - 1)])
                      for p in perms]
        index = {p: i for i, p in enumerate(perms)}
        self.inverse = [index[tuple(p.index(t) for t in range(len(p)))] for p in perms]
        #: compose[i][j] = perms[i] ∘ perms[j] (j first)
        self.compose = [[index[tuple(p[q[t]] for t in range(len(p)))] for q in perms] for p in perms]
        owners = run.machine.owners + [0] * (len(run.mem) - len(run.machine.owners))
        own: dict = {}
        for i, t in enumerate(owners):
            if t:
                own.setdefault(t, []).append(i)
        for ts in groups:
            sizes = {len(own.get(t, ())) for t in ts}
            if len(sizes) > 1:
                raise SymmetryError(f"threads {', '.join(map(str, ts))} own different numbers of cells")
        self._images = []
        for p in perms[1:]:
            names = (0, *[Tid(p[t]) for t in range(1, len(p))])
            cells = list(range(len(owners)))
            for t, mine in own.items():     # new cell (k-th of p(t)) holds old cell (k-th of t)
                for k, i in enumerate(mine):
                    cells[own[p[t]][k]] = i
            order = tuple(p.index(j) for j in range(1, len(p)))
            self._images.append((names, cells, order))

    def __len__(self) -> int:
        return len(self.perms)

    def images(self, run, stored=None):
        """(renaming index, abstract state of its image) for each renaming but the identity; with
        `stored`, only for the images whose thread positions it accepts (`Run.image_positions`):
        an image whose positions were never stored is no stored state, and its memory, most of
        the cost of an image, is not built."""
        for g, image in enumerate(self._images, 1):
            if stored is not None:
                positions = run.image_positions(image[0], image[2])
                if positions is not None and not stored(positions):
                    continue
            yield g, run.image_state(*image)

    def describe(self) -> str:
        kept = [c for c in self.classes if len(c) > 1]
        return "; ".join("threads " + ", ".join(map(str, c)) + " interchangeable" for c in kept) + \
            f" ({len(self.perms)} renamings)"

    def actual(self, graph, choices: list) -> list:
        """The real schedule of a path of choices in the quotient from its initial state (the last
        choice may step into an end, which has no node): each choice renamed by the renamings of
        the edges before it."""
        node, tau, out, compose = 0, 0, [], self.compose
        for i, t in enumerate(choices):
            out.append(self.picks[tau][t])
            if i + 1 < len(choices):      # (a place has one edge per thread: steps are deterministic)
                node, p = next((v, p) for u, v, _, p in graph.out_renamed(node) if u == t)
                tau = compose[tau][p]
        return out


class LiftedGraph:
    """The full state graph as the quotient stands for it: node n·G + g is perms[g](r_n), its edges
    those of n renamed (see the module); for the fair-cycle algorithms (`fair_cycles`), which read
    `nodes`, `out`, `enabled` and `parent_of`, and for the schedules of its nodes."""

    def __init__(self, graph, sym: Symmetry):
        self.graph, self.sym, self.size = graph, sym, len(sym)
        self._last = (-1, None)     # the quotient node whose edges were read last, and they

    @property
    def nodes(self) -> int:
        return self.graph.nodes * self.size

    def out(self, u: int) -> list:
        n, g = divmod(u, self.size)
        p, compose, size = self.sym.picks[g], self.sym.compose[g], self.size
        # the images of one state come one after another (fair_cycles reads every node in
        # order): its edges are read from the store once for all of them
        last, edges = self._last
        if last != n:
            edges = self.graph.out_renamed(n)
            self._last = (n, edges)
        return [(p[t], v * size + compose[q], c) for t, v, c, q in edges]

    def enabled(self, u: int) -> tuple:
        n, g = divmod(u, self.size)
        p = self.sym.picks[g]
        return tuple(sorted(p[t] for t in self.graph.enabled(n)))

    def parent_of(self, u: int) -> tuple:
        n, g = divmod(u, self.size)
        parent, t = self.graph.parent_of(n)    # parent edges are identity edges
        return (-1, 0) if parent < 0 else (parent * self.size + g, self.sym.picks[g][t])

    def schedule(self, u: int) -> list:
        n, g = divmod(u, self.size)
        p = self.sym.picks[g]
        return [p[t] for t in self.graph.schedule(n)]


class SymmetricView:
    """A history view read over a quotient's edges: a label is (events, renaming index); the view
    after it is the inner view's, renamed back by the renaming's inverse (the state the edge
    reaches is π(r_m), and views are kept as of r_m)."""

    def __init__(self, inner, sym: Symmetry):
        self.inner, self.sym = inner, sym
        self.verdicts, self.commits = inner.verdicts, inner.commits
        self.covers = getattr(inner, "covers", None)
        self.cover_form = getattr(inner, "cover_form", None)
        self.forget = getattr(inner, "forget", None)

    def __call__(self, run):
        return self.inner(run)

    def after(self, view, label):
        events, p = label
        view = self.inner.after(view, events)
        return self.inner.relabel(view, self.sym.perms[self.sym.inverse[p]]) if p else view
