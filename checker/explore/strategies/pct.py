"""`pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and
Nagarakatte, ASPLOS 2010).

Each execution gives the threads random distinct priorities and picks d-1
random *change points* among the first k steps; the highest-priority enabled
thread always runs, and at the i-th change point the running thread drops to
priority i (below every initial priority). A bug of depth d (d ordering
constraints) is found by one execution with probability at least
1/(n k^(d-1)), independently of how many interleavings there are. k bounds
the steps of an execution: the first execution's length (at least 50; the
paper takes an estimate of the steps).

Each execution draws its priorities and change points from a stream of its own
(the seed and its number, random_walk.stream), and k is fixed by the first: what
execution i does depends on nothing else that ran before it, so a campaign split
across workers (`--cluster`, campaign.py) runs the very executions a run here would.
"""

from __future__ import annotations

from .base import Strategy
from .random_walk import stream

#: k before (and at least) the first execution's length.
MIN_K = 50


def first_k(length: int) -> int:
    """k, from the length of the first execution."""
    return max(MIN_K, length)


class PCT(Strategy):
    name = "pct"
    about = "probabilistic concurrency testing: random priorities, --depth priority changes (--seed)"
    fair = True

    @classmethod
    def from_options(cls, *, seed=0, depth=3, **_):
        return cls(seed, depth)

    def __init__(self, seed: int = 0, depth: int = 3):
        super().__init__()
        if depth < 1:
            raise ValueError("--depth must be at least 1")
        self.seed, self.depth = seed, depth
        self.index = 0               # the number of the next execution
        self.k = MIN_K
        self.prio: dict = {}
        self.changes: dict = {}

    def start(self):
        self.rng = stream("pct", self.seed, self.index)
        self.index += 1
        n = 64  # more than any thread count we run; priorities only need an order
        order = list(range(self.depth, self.depth + n))
        self.rng.shuffle(order)
        self.prio = {t: order[t - 1] for t in range(1, n + 1)}
        points = set()
        while len(points) < min(self.depth - 1, self.k):
            points.add(self.rng.randrange(1, self.k + 1))
        self.changes = {p: i for i, p in enumerate(sorted(points), 1)}
        return True

    def pick(self, run, enabled):
        best = max(enabled, key=lambda t: self.prio[t])
        step = len(run.schedule)
        if step in self.changes:
            self.prio[best] = self.depth - self.changes[step]
            best = max(enabled, key=lambda t: self.prio[t])
        return best

    def finish(self, run):
        if self.index == 1:          # the first execution's length bounds the others' steps
            self.k = first_k(len(run.schedule))

    def describe(self):
        return f"pct (depth {self.depth}, seed {self.seed})"
