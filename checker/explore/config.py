"""What one exploration runs, as a typed value, and the command that replays it.

Why a value of its own: the same few facts (which design, which program, how
many threads and transactions, the limits that change what an execution is)
name an exploration in the API's result, in every report, in the matrix's
witnesses and in the replay command printed under each counterexample. Built
once, they cannot disagree; `replay_command` is the one place that spells a
configuration as the command line `stmcheck replay` parses.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from stmcheck.models.workloads import DEFAULT_WORKLOAD

from .strategies.replay import encode, encode_lasso

#: The explorer's budgets when none are given (the CLI's defaults too).
DEFAULT_MAX_EXECUTIONS = 6000
DEFAULT_TIME_LIMIT = 50.0
#: The state-graph search's: it ends by itself wherever states recur (tl2, 3 threads: 21,319 states,
#: about 3 s here), so its time bound only guards against a graph without end.
GRAPH_TIME_LIMIT = 300.0
DEFAULT_MAX_STEPS = 2000
#: Seconds a design of the user's may spend inside one of its methods without a step (explore/isolation.py).
DEFAULT_STEP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunConfig:
    """One configuration: `design` as the user named it (a registry name or
    path/to/file.py:Class), the program (`workload`, or with `object` set, method
    calls on that kind of transactional object), its size, and the limits that
    decide what an execution is (`retries`, `max_steps`, `cyclic`)."""

    design: str
    workload: str = DEFAULT_WORKLOAD
    threads: int = 2
    txns: int = 1
    keys: int | None = None
    retries: int | None = None
    object: str | None = None
    max_steps: int = DEFAULT_MAX_STEPS
    cyclic: bool = False
    #: The criterion runs are judged by, where it is not the program's default (gil on a workload
    #: without steps outside transactions), so that a replay judges what the search judged.
    criterion: str | None = None

    @property
    def program(self) -> str:
        """The program's name: the workload, or the object kind."""
        return self.object or self.workload

    def program_flag(self) -> list:
        """`--object KIND` for object workloads, else `--workload NAME`."""
        return ["--object", self.object] if self.object else ["--workload", self.workload]

    def resized(self, threads: int, txns: int) -> "RunConfig":
        return replace(self, threads=threads, txns=txns)

    def replay_command(self, schedule: list, lasso: tuple | None = None) -> str:
        """The `stmcheck replay` command that runs exactly this schedule on this configuration;
        with `lasso` = (start, end), as `PREFIX (LOOP)*`."""
        parts = ["stmcheck", "replay", shlex.quote(self.design), *self.program_flag(),
                 "--threads", str(self.threads), "--txns", str(self.txns)]
        if self.keys is not None:
            parts += ["--keys", str(self.keys)]
        if self.retries is not None:
            parts += ["--retries", str(self.retries)]
        if self.max_steps != DEFAULT_MAX_STEPS:
            parts += ["--max-steps", str(self.max_steps)]
        if self.cyclic:
            parts.append("--cyclic")
        if self.criterion is not None:
            parts += ["--criterion", str(self.criterion)]
        text = encode_lasso(schedule, *lasso) if lasso else (encode(schedule) or "1")
        parts += ["--schedule", shlex.quote(text)]
        return " ".join(parts)
