"""What the two linearizability searches share (the Python reference and the C core).

`linearizability` (the reference search and the whole-history verdict) and
`native` (the C core) both import this module and not each
other, so there is no import cycle: a part of a history, the outcome of
searching it, the two ways a search stops early, and how an operation's
recorded result turns the spec's step into a transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from stmcheck.models.opformats import Operation
from stmcheck.models.specs import UNKNOWN, Spec

REJECT = object()


class Timeout(Exception):
    """The deadline passed before the search reached an answer (args[0]: steps taken)."""


class StepLimit(Exception):
    """The search took more than `max_steps` steps without an answer (args[0]: steps taken)."""


@dataclass
class Part:
    """One independently checkable piece of a history (all of it when unpartitioned)."""

    key: object
    ops: list[Operation]
    init: object
    spec: Spec


@dataclass
class Outcome:
    """The result of searching one part; indices are positions in `Part.ops`."""

    holds: bool | None
    order: list[int] | None = None
    prefix: list[int] | None = None
    blocked: int | None = None
    blocked_state: object = None
    explored: int = 0


def transition(spec: Spec, op: Operation):
    """state -> next state, or REJECT when the spec's result differs from the recorded one."""
    step, name, args = spec.step, op.op, op.args
    if op.ret is None or op.result is UNKNOWN:
        return lambda state: step(state, name, args)[1]
    matches, observed = spec.matches, op.result

    def apply(state):
        result, new = step(state, name, args)
        return new if matches(result, observed) else REJECT
    return apply


def event_list(ops: list[Operation]):
    """Calls and returns sorted by time, a call first at equal times: [(time, kind, op)]."""
    events = []
    for i, o in enumerate(ops):
        events.append((o.call, 0, i))
        if o.ret is not None:
            events.append((o.ret, 1, i))
    events.sort()
    return events
