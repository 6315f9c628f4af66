"""Shrinking counterexamples: a smaller configuration (fewer threads, fewer
transactions per thread) first, then fewer preemptions, then fewer steps.

A smaller configuration helps most: a 2-thread, 1-transaction counterexample
is read at a glance, a 3 x 2 one rarely is. `shrink_all` re-explores the same
design on each smaller configuration, smallest first, with DPOR and a budget
counted in *executions* (never seconds: the same command and seed must print
the same counterexample on any machine), and keeps the first violation of the
same kind; the result records its configuration in `config`, so the report's
replay command names the threads and transactions it really ran.

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


from stmcheck.models.workloads import make_workload

from .strategies.dpor import DPOR
from .strategies.graph import GraphSearch
from .strategies.replay import Replay, needed_prefix, preemptions

#: Executions DPOR may run on each smaller configuration. The shipped bugs need
#: at most a few dozen on 2 x 1 (reports/explore.md); the budget bounds the cost
#: of configurations that are clean, and keeps the result deterministic.
CONFIG_BUDGET = 1000


def smaller_configs(threads: int, txns: int) -> list:
    """Every (threads, txns) below the given one, fewest transactions in all first."""
    out = [(t, k) for t in range(1, threads + 1) for k in range(1, txns + 1) if (t, k) != (threads, txns)]
    return sorted(out, key=lambda c: (c[0] * c[1], c[0], c[1]))


def shrink_all(explorer, violation, budget: int = CONFIG_BUDGET):
    """`shrink` after looking for the same kind of violation in a smaller configuration.

    The violation returned has `config` = {"threads": t, "txns": k} when it comes
    from a smaller configuration than the one explored (else no `config`)."""
    wl = explorer.workload
    for t, k in smaller_configs(wl.threads, getattr(wl, "txns", 1)):
        try:  # by name, as the replay command will: a workload it cannot rebuild is not shrunk
            small_wl = make_workload(wl.name, t, k, keys=getattr(wl, "nkeys", None),
                                     retries=getattr(wl, "retries", None))
        except Exception:
            return shrink(explorer, violation)
        if type(small_wl) is not type(wl):
            return shrink(explorer, violation)
        # (a design that makes choices, which DPOR does not take: the state graph, as many states)
        search = GraphSearch(max_states=budget * 20) if getattr(explorer.design_cls, "chooses", False) else DPOR()
        sub = type(explorer)(explorer.design_cls, small_wl, search, criterion=explorer.criterion,
                             max_executions=budget, max_steps=explorer.max_steps)
        found = next((v for v in sub.explore().violations
                      if v.kind == violation.kind and v.suspected == violation.suspected), None)
        if found is not None:
            small = shrink(sub, found)
            small.config = {"threads": t, "txns": k}
            small.shrunk_from = (preemptions(violation.run), len(violation.run.steps))
            return small
    return shrink(explorer, violation)


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


def shrink(explorer, violation, budget_runs: int = 400):
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
    runs = 0  # a count, never a clock: the same command must print the same counterexample
    improved = True
    while improved and runs < budget_runs:
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
            if runs >= budget_runs:
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
