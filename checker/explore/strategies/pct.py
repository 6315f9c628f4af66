"""`pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and
Nagarakatte, ASPLOS 2010).

Each execution gives the threads random distinct priorities and picks d-1
random *change points* among the first k steps; the highest-priority enabled
thread always runs, and at the i-th change point the running thread drops to
priority i (below every initial priority). A bug of depth d (d ordering
constraints) is found by one execution with probability at least
1/(n k^(d-1)), independently of how many interleavings there are. k is the
longest execution seen so far (starting from a guess), as the paper suggests.
"""

from __future__ import annotations

import random

from .base import Strategy


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
        self.rng = random.Random(seed)
        self.k = 50
        self.prio: dict = {}
        self.changes: dict = {}

    def start(self):
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
        self.k = max(self.k, len(run.schedule))

    def describe(self):
        return f"pct (depth {self.depth}, seed {self.seed})"
