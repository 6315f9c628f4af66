"""`random`: at every state, a uniformly random enabled thread.

Cheap and surprisingly effective for shallow bugs; the seed makes every run
reproducible. Never exhausts anything: it stops at a budget.

Each execution draws from a stream of its own, named by the seed and the
execution's number (`stream`): what execution i does depends on nothing that
ran before it, so a campaign split across workers (`--cluster`, campaign.py)
runs the very executions a run here would, and finds the same first
counterexample.
"""

from __future__ import annotations

import random

from .base import Strategy


class RandomWalk(Strategy):
    name = "random"
    about = "random walk over the enabled threads (--seed)"
    fair = True
    takes_choices = True

    @classmethod
    def from_options(cls, *, seed=0, **_):
        return cls(seed)

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed
        self.index = 0               # the number of the next execution
        self.rng = stream("random", seed, 0)

    def start(self):
        self.rng = stream("random", self.seed, self.index)
        self.index += 1
        return True

    def pick(self, run, enabled):
        return enabled[self.rng.randrange(len(enabled))] if len(enabled) > 1 else enabled[0]

    def describe(self):
        return f"random (seed {self.seed})"


def stream(kind: str, seed: int, index: int) -> random.Random:
    """The random stream of execution `index` of a `kind` campaign with `seed` (a string seed:
    hashed with SHA-512 by `random`, the same in every process)."""
    return random.Random(f"{kind}:{seed}:{index}")
