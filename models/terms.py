"""The words verdicts are made of, defined once: criteria, kinds of
counterexample, verdicts, and the nine properties of a verdict-matrix cell.

Why string enums: every one of these names is also a contract (a CLI
argument, a JSON field, a registry expectation, a column in
reports/matrix.json), so each member *is* its string (`Criterion.OPACITY ==
"opacity"`, hashes, formats and serialises as "opacity"), while code that
spells a name wrong fails at import instead of comparing unequal forever.
"""

from __future__ import annotations

from enum import StrEnum


class Criterion(StrEnum):
    """A consistency criterion a history is judged by (docs/formats.md defines each)."""

    SERIALIZABILITY = "serializability"
    SESSION_SERIALIZABILITY = "session-serializability"
    STRICT_SERIALIZABILITY = "strict-serializability"
    OPACITY = "opacity"
    LINEARIZABILITY = "linearizability"
    GIL = "gil"

    @property
    def about(self) -> str:
        return _CRITERION_ABOUT[self]


_CRITERION_ABOUT = {
    Criterion.SERIALIZABILITY: "some serial order of the committed transactions explains every read",
    Criterion.SESSION_SERIALIZABILITY: "serializability whose order keeps each thread's own order",
    Criterion.STRICT_SERIALIZABILITY: "serializability whose order respects real time (commit before begin)",
    Criterion.OPACITY: "strict serializability that holds for aborted transactions' reads too (no zombie sees a "
                       "torn state)",
    Criterion.LINEARIZABILITY: "operations on objects (stmcheck check -c linearizability, explore --object)",
    Criterion.GIL: "the run's output and final memory are those of some run of the same program under one global "
                   "lock (explore only; docs/gil.md)",
}

#: The criteria of transaction histories, weakest first (each implies the ones before it,
#: session serializability aside, which sits between serializability and strict serializability).
HISTORY_CRITERIA = (Criterion.SERIALIZABILITY, Criterion.SESSION_SERIALIZABILITY,
                    Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY)
#: What `stmcheck check` and a counterexample's report judge when not told otherwise.
DEFAULT_CRITERIA = (Criterion.SERIALIZABILITY, Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY)


class Kind(StrEnum):
    """What a counterexample shows: a criterion it breaks, or how its execution went wrong."""

    SERIALIZABILITY = "serializability"
    STRICT_SERIALIZABILITY = "strict-serializability"
    OPACITY = "opacity"
    LINEARIZABILITY = "linearizability"
    GIL = "gil"
    INEVITABILITY = "inevitability"
    INVARIANT = "invariant"
    DEADLOCK = "deadlock"
    LIVELOCK = "livelock"
    STARVATION = "starvation"
    OBSTRUCTION = "obstruction"      # a thread run alone does not commit (checker/explore/progress.py)
    BLOCKING = "blocking"            # a thread stopped inside an attempt leaves the others waiting for ever
    CRASH = "crash"


#: Kinds outside the nine properties of a matrix cell: listed beside them.
OTHER_KINDS = (Kind.INVARIANT, Kind.CRASH, Kind.LINEARIZABILITY, Kind.INEVITABILITY)
#: The kinds of the progress properties (`explore --progress`), judged on the graph of cyclic programs.
PROGRESS_KINDS = (Kind.OBSTRUCTION, Kind.BLOCKING)


class Verdict(StrEnum):
    """The answer about one property: proven, refuted (with a counterexample), or not known
    because a search was bounded; `n/a` where the question does not apply."""

    HOLDS = "holds"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    NA = "n/a"


class Property(StrEnum):
    """The nine properties of a verdict-matrix cell, in the matrix's column order: the history
    criteria, the liveness properties, then the GIL question's three (docs/gil.md)."""

    SERIALIZABLE = "serializable"
    STRICTLY_SERIALIZABLE = "strictly-serializable"
    OPAQUE = "opaque"
    DEADLOCK_FREE = "deadlock-free"
    LIVELOCK_FREE = "livelock-free"
    STARVATION_FREE = "starvation-free"
    GIL = "gil"
    OBSTRUCTION_FREE = "obstruction-free"
    SURVIVES_STOPPED_THREAD = "survives-stopped-thread"


#: The kinds of counterexample that deny each property (a history that is not
#: serializable is not strictly serializable nor opaque either).
DENIED_BY = {
    Property.SERIALIZABLE: frozenset({Kind.SERIALIZABILITY}),
    Property.STRICTLY_SERIALIZABLE: frozenset({Kind.SERIALIZABILITY, Kind.STRICT_SERIALIZABILITY}),
    Property.OPAQUE: frozenset({Kind.SERIALIZABILITY, Kind.STRICT_SERIALIZABILITY, Kind.OPACITY}),
    Property.DEADLOCK_FREE: frozenset({Kind.DEADLOCK}),
    Property.LIVELOCK_FREE: frozenset({Kind.LIVELOCK}),
    Property.STARVATION_FREE: frozenset({Kind.STARVATION}),
    Property.GIL: frozenset({Kind.GIL}),
    Property.OBSTRUCTION_FREE: frozenset({Kind.OBSTRUCTION}),
    Property.SURVIVES_STOPPED_THREAD: frozenset({Kind.BLOCKING}),
}

#: The property a broken criterion or a liveness kind denies directly.
PROPERTY_OF = {
    Kind.SERIALIZABILITY: Property.SERIALIZABLE,
    Kind.STRICT_SERIALIZABILITY: Property.STRICTLY_SERIALIZABLE,
    Kind.OPACITY: Property.OPAQUE,
    Kind.DEADLOCK: Property.DEADLOCK_FREE,
    Kind.LIVELOCK: Property.LIVELOCK_FREE,
    Kind.STARVATION: Property.STARVATION_FREE,
    Kind.GIL: Property.GIL,
    Kind.OBSTRUCTION: Property.OBSTRUCTION_FREE,
    Kind.BLOCKING: Property.SURVIVES_STOPPED_THREAD,
}
