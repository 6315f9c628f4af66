"""How big a state graph is, and how long its search takes here, before the search: `explore --estimate`.

Why: the state-graph search (strategies/graph.py) ends wherever states recur,
but a larger program can keep it busy for hours (tl2 transfer, 3 threads x 2
transactions: more than 9.3 million states), and one wants to know that
before starting it.

How: the search itself runs, over the same states (the same keys, the same
criterion's history view), up to a budget of states. Executions are judged as
the search judges them, so that the time is the search's, but nothing found
is kept and nothing stops the count (`Counting`). When the graph ends within
the budget, the count is its size and the time the search's time (`Size.exact`);
else both are lower bounds (the search is deterministic: unless a
counterexample stops it first, it passes where the count stopped).

Why not a sampled estimate. Knuth's estimator (D. E. Knuth, "Estimating the
efficiency of backtrack programs", Math. Comp. 29, 1975) and its refinements
(stratified sampling, P. C. Chen, SIAM J. Comput. 21, 1992; sequential
importance sampling over breadth-first layers) size a tree. In a graph each
sampled state must count for 1/k of itself, k being its predecessors in the
layer before, and only where no shorter path reaches it. Neither is local
here: an aborted attempt, a checkpoint or the history view forgets how a
thread got where it is, so that different orders of dependent steps meet in
one state, which no test on one path (independent steps moved to the end,
loop iterations removed) finds; and a layer's error compounds over the
graph's 25 to 150 layers. Measured against full counts (tl2 transfer 3 x 1
and 2 x 2, norec swap and counter 3 x 1, lazy transfer 3 x 1, eager+karma
transfer 2 x 1: 7,729 to 160,477 states, before covered views): layered sampling with those tests was off by 1.2x to 17x and
cost about as much as the search; given exact in-degrees and shortest paths,
which only the whole graph has, it was right on average but one batch still
spread by 17 to 37%; capture-recapture between random executions gave 0.06x to 0.8x (the
states random executions almost never reach are most of the graph); the
tree's size times the rate of states seen again, 10^5x to 10^63x; a fit of
the layer sizes a partial breadth-first count has seen, 0.06x to 10^36x. A
count is exact where it fits, and a true bound where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import RunConfig
from .engine import CyclicExplorer, Explorer

DEFAULT_BUDGET = 20_000


@dataclass(frozen=True)
class Size:
    """What a count of `config`'s state graph (with `criterion`'s history view) found: `states` and
    `transitions` of the whole graph (`exact`), or counted before it stopped (lower bounds,
    `stopped_by` saying why: the budget, `--max-steps`, a ^C), in `runs` executions and `seconds`."""

    config: RunConfig
    criterion: str
    states: int
    transitions: int
    exact: bool
    budget: int
    stopped_by: tuple
    seconds: float
    runs: int

    @property
    def rate(self) -> float:
        """States counted per second."""
        return self.states / self.seconds if self.seconds > 0 else 0.0


class Counting(Explorer):
    """The explorer of a count: it judges every execution as the search does, keeps no violation and
    never stops at one (the graph is counted whole, whatever the search would stop at)."""

    def __init__(self, *args, **options):
        options["stop_at_first"] = False
        super().__init__(*args, **options)
        self.explain = False          # a verdict found before is not explained again

    def judge(self, run, out=None):
        super().judge(run, out)
        return None


class CyclicCounting(Counting, CyclicExplorer):
    """The count of the graph of cyclic programs (`explore --cyclic`)."""


def size_of(config: RunConfig, criterion: str, outcome, budget: int) -> Size:
    """The `Size` a count's outcome (`Counting.explore`) stands for."""
    return Size(config, criterion, outcome.states, outcome.transitions, outcome.exhausted, budget,
                tuple(outcome.bounds), outcome.elapsed, outcome.executions)
