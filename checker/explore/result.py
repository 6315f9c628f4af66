"""What an exploration and a replay give back: `ExploreResult` and `Execution`.

Why typed values rather than the explorer's own counters: a caller (a test, CI,
the CLI's renderers) needs the verdict and, for each counterexample, what
happened, why it is wrong and how to see it again, without knowing how the
search was assembled. Everything here is data; the renderers in
checker/report/ turn it into text and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from stmcheck.models.terms import Verdict

from .config import RunConfig
from .engine import Violation


@dataclass
class ExploreResult:
    """The verdict of one exploration.

    `verdict` is `violated` when a counterexample was found (each in
    `violations`, shrunk, with its schedule, history, explanation and `replay`
    command), `holds` when the search was exhausted without one (every
    execution, up to reordering of independent steps, was judged), and
    `unknown` when a bound stopped it first (`bounds` says which) or the
    strategy samples (random, pct)."""

    config: RunConfig
    strategy: str                    # its name
    strategy_desc: str               # how it ran: its options, "scheduling loop run natively in C"
    criterion: str
    executions: int
    histories: int                   # distinct histories judged
    steps: int
    exhausted: bool
    bounds: list
    elapsed: float
    cut: int                         # executions ended at an unfair loop
    violations: list[Violation]
    about: str = ""                  # the design, one line
    workload_about: str = ""
    keys_used: int | None = None
    expected: object = None          # the registry's expectation for this design on this program, if any
    spec: str | None = None          # object programs: the sequential specification
    native_loop: bool = False
    design_output: str = ""          # what the design printed while it ran (captured, not mixed in)
    states: int | None = None        # a state-graph search: distinct states and transitions
    transitions: int | None = None
    store_bytes: int | None = None   # bytes the state graph's store holds (`graphstore.GraphStore.nbytes`)
    #: the graph search met every place (deadlock, livelock and crashes decided even where the
    #: history views folded over them were bounded): how many; None otherwise (engine.Outcome)
    places_exhausted: int | None = None
    #: a graph built on a cluster: workers, rounds, bytes sent, places per partition, and seconds
    #: (Ray's start and stop, the rounds, each worker busy: cluster_graph.py)
    cluster: dict | None = None
    #: cyclic programs whose graph did not end, on a design with relative stamps: the horizon
    #: graph's answers (`explore/horizon.py` `verdicts`: starvation, and progress), or None
    horizon: dict | None = None
    #: a graph search given a file to save itself in: {"file": its path, "went_on": whether it went
    #: on from a search saved there, "saves": how often this run saved it} (explore/saving.py)
    saved: dict | None = None

    @property
    def verdict(self) -> Verdict:
        if self.violations:
            return Verdict.VIOLATED
        return Verdict.HOLDS if self.exhausted else Verdict.UNKNOWN

    @property
    def coverage(self) -> str:
        """"exhausted", "stopped at the first violation", "bounded: ..." or "sampled"."""
        if self.exhausted:
            return "exhausted"
        if self.violations:
            return "stopped at the first violation"
        if self.bounds:
            return "bounded: " + ", ".join(self.bounds)
        return "sampled"


@dataclass
class Execution:
    """One execution run from a schedule (`stmcheck.replay`): how it ended
    (`outcome`: complete, deadlock, livelock, crash, ...), its steps and history,
    the violation it shows (or None), and for object programs the operation view
    when the violation does not already carry it."""

    config: RunConfig
    criterion: str
    schedule: list
    run: object
    violation: Violation | None
    operations: object = None
    design_output: str = ""          # what the design printed (captured)

    @property
    def outcome(self) -> str:
        return self.run.outcome

    @property
    def steps(self) -> int:
        return len(self.run.steps)

    @property
    def history(self) -> dict:
        """The execution's transaction history, as a `stmcheck.history/1` document."""
        return self.run.history_doc()
