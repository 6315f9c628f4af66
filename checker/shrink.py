"""Shrinking counterexamples: fewer preemptions first, then fewer steps.

A counterexample is a schedule. Candidates are made by editing its run-length
blocks (drop a block, shorten it, or stop spelling out the schedule after a
block and let the non-preemptive continuation finish the run), replayed
leniently (a scheduled thread that cannot step is skipped), and kept when the
replay shows the same kind of violation and is smaller in (preemptions, steps).
Each kept candidate is replaced by the schedule its replay actually ran, so
every step of the search starts from a real execution. The result is trimmed
to the prefix the continuation cannot guess (`needed_prefix`) and replayed
strictly once more: what is printed is exactly what `stmcheck replay` runs.
"""

from __future__ import annotations

import time

from .strategies.replay import Replay, needed_prefix, preemptions


def _blocks(schedule):
    out = []
    for t in schedule:
        if out and out[-1][0] == t:
            out[-1][1] += 1
        else:
            out.append([t, 1])
    return out


def _flat(blocks):
    return [t for t, n in blocks for _ in range(n)]


def shrink(explorer, violation, budget_runs: int = 400, budget_seconds: float = 5.0):
    """A smaller violation of the same kind (or the original one)."""
    kind = violation.kind

    def attempt(schedule, strict=False):
        run = explorer.new_run()
        try:
            run.execute(Replay(schedule, strict=strict))
        except Exception:
            return None
        v = explorer.judge(run)
        if v is None or v.kind != kind or v.suspected != violation.suspected:
            return None
        return v

    def size(v):
        return preemptions(v.run), len(v.run.steps)

    best = violation
    orig = size(violation)
    # normalise: the original as a lenient replay of itself (it is the same run)
    runs, deadline = 0, time.monotonic() + budget_seconds
    improved = True
    while improved and runs < budget_runs and time.monotonic() < deadline:
        improved = False
        blocks = _blocks(needed_prefix(best.run))
        cands = []
        for i in range(len(blocks)):
            cands.append(blocks[:i])                                   # stop after block i-1
            cands.append(blocks[:i] + blocks[i + 1:])                  # drop block i
            if blocks[i][1] > 1:
                half = [list(b) for b in blocks]
                half[i][1] //= 2
                cands.append(half)
                less = [list(b) for b in blocks]
                less[i][1] -= 1
                cands.append(less)
        for c in cands:
            if runs >= budget_runs or time.monotonic() >= deadline:
                break
            runs += 1
            v = attempt(_flat(c))
            if v is not None and size(v) < size(best):
                best = v
                improved = True
                break
    final = needed_prefix(best.run)
    check = attempt(final, strict=True)
    if check is None or check.run.schedule != best.run.schedule:
        final = list(best.run.schedule)
        check = attempt(final, strict=True) or best
    check.schedule = final
    check.results = check.results or best.results
    if size(check) != orig:
        check.shrunk_from = orig
    return check
