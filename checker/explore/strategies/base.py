"""The interface every strategy implements.

The explorer loops: `if not s.start(): stop`; run one execution, calling
`s.pick(run, enabled)` at each state; then `s.finish(run)`. A strategy that has
covered its whole space sets `exhausted`; one that skipped part of it because
of a bound it enforces (preemptions) records that in `bounds`.
"""

from __future__ import annotations

from stmcheck.models.machine import picked


class Strategy:
    #: The name users give (`--strategy NAME`, `stmcheck.explore(strategy=NAME)`).
    name = "?"
    #: One line for `stmcheck list` and `--help`.
    about = ""
    #: On an unfair loop: True runs a starved thread next, False cuts the run.
    fair = True
    #: Explores designs that make choices (`machine.choose`): picks alternatives among `enabled`.
    takes_choices = False
    #: A search by symmetry (the graph search's option, explore/symmetry.py): its runs give a
    #: design that allows one `Tid`s for thread numbers.
    symmetry = False

    @classmethod
    def from_options(cls, *, seed: int = 0, depth: int = 3, preemptions: int | None = None) -> "Strategy":
        """Build one from the user's options; each strategy takes the ones it uses."""
        return cls()

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


class NondeterminismError(RuntimeError):
    """Replaying a prefix did not reach the same state: the design is not deterministic."""


#: The other reason a schedule of the state-graph search can fail to replay: the search took two
#: states as one because their canonical forms are equal, which only the design's own declarations
#: can make wrong (the checkpoint audit catches a forgotten value only when the very next step
#: differs; tests/explore/test_checkpoints.py plants one that shows later).
MERGED_STATES = ("or two states the state graph took as one differ: a checkpoint's values "
                 "(machine.checkpoint) or the design's local_state leave out something its later steps "
                 "depend on")


class DepthFirst(Strategy):
    """A depth-first search over a stack of nodes (one per state of the current
    execution, each with its `enabled` threads and the thread `chosen`): the
    next execution replays the stack's prefix, then branches."""

    def __init__(self):
        super().__init__()
        self.stack: list = []
        self.first = True

    def start(self):
        if self.first:
            self.first = False
            return True
        return not self.exhausted

    def replay_choice(self, d: int, enabled: tuple):
        """The choice at depth d < len(stack), replayed from the stack."""
        node = self.stack[d]
        if node.enabled != enabled:
            raise NondeterminismError(
                f"replaying the same schedule reached a different state at step {d} (enabled threads "
                f"{list(node.enabled)} before, {list(enabled)} now): the design or workload is not "
                f"deterministic (shared state outside the machine model?)")
        return node.chosen


def non_preemptive(run, enabled: tuple) -> int:
    """Keep running the last thread while it can; else the lowest-numbered one."""
    sched = run.schedule
    if sched:
        last = picked(sched[-1], run.threads)[0]   # (a choice's alternative is picked once: then alternative 0)
        if last in enabled:
            return last
    return enabled[0]
