"""Does the C code implement the design that was model-checked?

For each of N executions, a random schedule is drawn by running the Python
model (`tl2`, `norec`, ...) under the `random` strategy with seed
`seed * 1000003 + i`; the same schedule is then replayed, thread for thread,
on the native design through its adapter (implementations/native/design.py),
which turns every instrumented C access into one machine step. A C design that
implements its model access for access takes exactly the same steps, so both
runs must record the same history (every begin, read with its value, write,
commit and abort, in the same order), end the same way and leave the same
final state. The first execution where they do not is the counterexample:
its schedule, both histories and the first event that differs.
"""

from __future__ import annotations

from ..explore.runtime import Run
from ..explore.strategies.random_walk import RandomWalk


class Follow:
    """Replays a schedule exactly; stops (and says why) where it does not fit."""

    fair = True

    def __init__(self, schedule):
        self.schedule = schedule
        self.misfit = None

    def pick(self, run, enabled):
        i = len(run.schedule)
        if i >= len(self.schedule):
            self.misfit = f"the model had finished after {i} steps, the native design can still step {list(enabled)}"
            return None
        t = self.schedule[i]
        if t not in enabled:
            self.misfit = (f"at step {i} the model stepped thread {t}; the native design can only step "
                           f"{list(enabled)}")
            return None
        return t


def first_difference(a: list, b: list):
    """Index of the first event where two histories differ, or None."""
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return i
    return None


def compare(native_cls, model_cls, wl, seed: int, max_steps: int):
    """Run one random schedule on both: (None when they agree, else the divergence; steps)."""
    model = Run(model_cls, wl, max_steps).execute(RandomWalk(seed))
    follow = Follow(list(model.schedule))
    native = Run(native_cls, wl, max_steps).execute(follow)
    diff = first_difference(model.events, native.events)
    same_length = len(native.schedule) == len(model.schedule)
    if (diff is None and follow.misfit is None and same_length and native.outcome == model.outcome
            and native.final == model.final):
        return None, len(model.steps)
    if follow.misfit is not None:
        why = follow.misfit
    elif diff is not None:
        why = "the histories differ"
    elif not same_length:
        why = f"the model took {len(model.schedule)} steps, the native design {len(native.schedule)}"
    elif native.outcome != model.outcome:
        why = f"the model's run ended {model.outcome}, the native one {native.outcome}"
    else:
        why = f"the final states differ: model {model.final}, native {native.final}"
    if native.outcome == "crash" and diff is None:
        why += f" (native crash: {native.detail.get('error')})"
    return {"seed": seed, "schedule": list(model.schedule), "why": why, "index": diff,
            "model": model, "native": native}, len(model.steps)
