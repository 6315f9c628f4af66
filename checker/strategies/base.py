"""The interface every strategy implements.

The explorer loops: `if not s.start(): stop`; run one execution, calling
`s.pick(run, enabled)` at each state; then `s.finish(run)`. A strategy that has
covered its whole space sets `exhausted`; one that skipped part of it because
of a bound it enforces (preemptions) records that in `bounds`.
"""

from __future__ import annotations


class Strategy:
    name = "?"
    #: On an unfair loop: True runs a starved thread next, False cuts the run.
    fair = True

    def __init__(self):
        self.exhausted = False
        self.bounds: set = set()

    def start(self) -> bool:
        """Prepare the next execution; False when there is nothing left to explore."""
        return not self.exhausted

    def pick(self, run, enabled: tuple):
        """The thread to step next (one of `enabled`), or None to stop the run."""
        raise NotImplementedError

    def finish(self, run) -> None:
        """Learn from the finished execution."""

    def describe(self) -> str:
        return self.name


def non_preemptive(run, enabled: tuple) -> int:
    """Keep running the last thread while it can; else the lowest-numbered one."""
    sched = run.schedule
    if sched and sched[-1] in enabled:
        return sched[-1]
    return enabled[0]
