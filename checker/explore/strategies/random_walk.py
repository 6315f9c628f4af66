"""`random`: at every state, a uniformly random enabled thread.

Cheap and surprisingly effective for shallow bugs; the seed makes every run
reproducible. Never exhausts anything: it stops at a budget.
"""

from __future__ import annotations

import random

from .base import Strategy


class RandomWalk(Strategy):
    name = "random"
    about = "random walk over the enabled threads (--seed)"
    fair = True

    @classmethod
    def from_options(cls, *, seed=0, **_):
        return cls(seed)

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed
        self.rng = random.Random(seed)

    def pick(self, run, enabled):
        return enabled[self.rng.randrange(len(enabled))] if len(enabled) > 1 else enabled[0]

    def describe(self):
        return f"random (seed {self.seed})"
