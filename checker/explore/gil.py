"""The GIL criterion: is every run of a design one the GIL could have produced?

The question of the PyPy post that started this project: a runtime that runs
each batch of bytecodes as a transaction instead of under the global lock must
behave as the lock did. What a user can tell is the *outcome* of a run: its
output log (the `emit`s of steps outside transactions, in order, with their
threads) and the final memory. A run of design D on a program is correct when
its outcome is one of the outcomes of the same program under `global-lock`
(observational refinement, as Filipovic, O'Hearn, Rinetzky and Yang define
linearizability by it, 2010). Unlike serializability of the batches, this also
judges what happens between them: I/O order, and code that reads and writes
shared keys outside any transaction (privatization, publication).

The reference's outcomes are computed once per program by the state-graph
search over `global-lock` (the outcome is a function of the end state: its
memory holds the output log), with no history in the state. The set must be
complete, or a missing outcome would make a correct run look wrong: a search
that is bounded is an error (`ReferenceUnknown`), never a partial set.
"""

from __future__ import annotations

from stmcheck.implementations.global_lock import GlobalLock

from .runtime import COMPLETE, CRASH, DEADLOCK, Positions, Run
from .strategies.graph import GraphSearch, no_history

#: The design whose runs are the GIL's: one lock around every batch, steps outside batches free.
REFERENCE = GlobalLock
#: States of the reference's graph before its outcomes are called unknowable here.
REFERENCE_STATES = 200_000


class ReferenceUnknown(Exception):
    """The reference design's outcomes could not all be found (a bounded search, or the reference
    itself deadlocked or crashed on the program): nothing can be judged against them."""


def outcome(run: Run) -> tuple:
    """What a user sees of a complete run: (final memory as sorted (key, value) pairs, output log)."""
    return tuple(sorted(run.final.items(), key=repr)), run.output or ()


def reference_outcomes(reference_cls, workload, max_states: int | None = None) -> frozenset:
    """Every outcome of `workload` under `reference_cls` (global-lock), by an exhausted state-graph
    search of at most `max_states` (`REFERENCE_STATES`); `ReferenceUnknown` when the search is
    bounded or a run deadlocks or crashes."""
    max_states = max_states or REFERENCE_STATES
    who = "global-lock" if reference_cls is REFERENCE else reference_cls.__name__
    search = GraphSearch(max_states=max_states)
    search.judge_histories_by(no_history)
    positions = Positions()
    found = set()
    while search.start():
        run = Run(reference_cls, workload, detect_lassos=False, positions=positions, resume=search.resume_from())
        run.execute(search)
        search.finish(run)
        if run.outcome == COMPLETE:
            if run.final is None or "__blocked__" in run.final:
                raise ReferenceUnknown(f"under {who} the final memory cannot be read: "
                                       f"{(run.final or {}).get('__blocked__', 'no final state')}")
            found.add(outcome(run))
        elif run.outcome in (DEADLOCK, CRASH):
            raise ReferenceUnknown(f"the program {'deadlocks' if run.outcome == DEADLOCK else 'crashes'} under {who} "
                                   f"({run.detail.get('error', '') or run.detail.get('cycle', '')})")
    if not search.exhausted:
        raise ReferenceUnknown(f"the outcomes of the program under {who} were not all found "
                               f"within {max_states:,} states ({', '.join(sorted(search.bounds))})")
    return frozenset(found)


def judge(got: tuple, allowed: frozenset) -> tuple | None:
    """None when `got` is an outcome of the reference; else (explanation, detail), the detail with
    the run's outcome and the reference outcome closest to it (fewest keys and output lines apart)."""
    if got in allowed:
        return None
    closest = min(allowed, key=lambda o: (_distance(got, o), repr(o)))
    memory, output = got
    ref_memory, ref_output = closest
    ref = dict(ref_memory)
    differ = [f"{k} = {v!r} (GIL: {ref.get(k)!r})" for k, v in memory if ref.get(k) != v]
    parts = []
    if output != ref_output:
        parts.append(f"printed {_show(output)} where the closest GIL run prints {_show(ref_output)}")
    if differ:
        parts.append("left " + ", ".join(differ))
    text = ("no run of the program under one global lock has this outcome: " + "; ".join(parts)
            + f" ({len(allowed)} GIL outcome{'s' if len(allowed) != 1 else ''} in all)")
    detail = {"outcome": _as_json(got), "closest_gil_outcome": _as_json(closest), "gil_outcomes": len(allowed)}
    return text, detail


def _distance(a: tuple, b: tuple) -> int:
    (ma, oa), (mb, ob) = a, b
    db = dict(mb)
    keys = sum(1 for k, v in ma if db.get(k) != v)
    lines = sum(1 for x, y in zip(oa, ob) if x != y) + abs(len(oa) - len(ob))
    return keys + lines


def _show(output: tuple) -> str:
    return "[" + ", ".join(f"thread {t}: {v!r}" for t, v in output) + "]" if output else "nothing"


def _as_json(o: tuple) -> dict:
    memory, output = o
    return {"memory": dict(memory), "output": [[t, v] for t, v in output]}
