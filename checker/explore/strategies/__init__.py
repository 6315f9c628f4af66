"""Exploration strategies: each picks the next thread to step, one per module.

Every strategy implements the small interface of `base.Strategy` (start an
execution, pick a thread at each state, learn from the finished execution),
as shuttle's schedulers do, so the explorer drives them all the same way.
"""

from __future__ import annotations

STRATEGIES = ("dpor", "random", "pct", "plain")


def make_strategy(name: str, *, seed: int = 0, depth: int = 3, preemptions: int | None = None):
    """Build a strategy by name (ValueError for an unknown one)."""
    if name == "dpor":
        from .dpor_cache import CachedDPOR
        return CachedDPOR(preemptions=preemptions)
    if name == "plain":
        from .dpor import DPOR
        return DPOR(preemptions=preemptions, reduce=False)
    if name == "random":
        from .random_walk import RandomWalk
        return RandomWalk(seed)
    if name == "pct":
        from .pct import PCT
        return PCT(seed, depth)
    raise ValueError(f"unknown strategy {name!r} (expected one of {', '.join(STRATEGIES)})")
