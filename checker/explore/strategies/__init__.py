"""Exploration strategies: each picks the next thread to step, one per module.

Every strategy implements the small interface of `base.Strategy` (start an
execution, pick a thread at each state, learn from the finished execution;
`from_options` builds one from what the user asked for), as shuttle's
schedulers do, so the explorer drives them all the same way.

`STRATEGIES` is the one registry: `--strategy`, `stmcheck list`, `--help`
and `stmcheck.explore(strategy=...)` read it. A new strategy is a module
here and one entry below.
"""

from __future__ import annotations

from .base import Strategy
from .dpor import Plain
from .dpor_cache import CachedDPOR
from .graph import GraphSearch
from .pct import PCT
from .random_walk import RandomWalk

STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (
    CachedDPOR,
    GraphSearch,
    RandomWalk,
    PCT,
    Plain,
)}


def make_strategy(name: str, *, seed: int = 0, depth: int = 3, preemptions: int | None = None,
                  max_states: int | None = None, symmetry: bool = False) -> Strategy:
    """Build a strategy by name (ValueError for an unknown one)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r} (expected one of {', '.join(STRATEGIES)})") from None
    if symmetry and cls is not GraphSearch:
        raise ValueError(f"--symmetry reduces the state-graph search (--strategy graph), not {name}")
    if max_states is not None or symmetry:
        if cls is not GraphSearch:
            raise ValueError(f"--max-states bounds the state-graph search; strategy {name} counts executions "
                             f"(--max-executions)")
        return cls.from_options(max_states=max_states, symmetry=symmetry)
    return cls.from_options(seed=seed, depth=depth, preemptions=preemptions)


def default_strategy(object: str | None = None, design_cls=None) -> str:
    """What `explore` searches with unless told: the state graph, which ends wherever states
    recur and then proves every verdict (starvation too, for cyclic programs); DPOR for object
    programs (histories that span attempts keep whole histories in their states, which never recur),
    but for a design that makes choices (`machine.choose`), which DPOR does not take."""
    return "dpor" if object and not getattr(design_cls, "chooses", False) else GraphSearch.name
