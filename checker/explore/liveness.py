"""Liveness: deadlocks (who waits for whom) and livelocks (proven lassos).

A livelock is only claimed when it is *proven*: the execution came back to an
abstract state it was in before, with no commit in between, so the schedule of
the loop can be repeated forever. The abstract state is the whole shared
memory plus, per thread, its transaction index, the results of every step it
took since its attempt began, and whatever the design declares it keeps across
attempts. Threads are deterministic, so equal positions mean equal futures:
a thread's private state is a function of what it has seen. This is exact,
needs no cooperation from the design beyond `local_state`, and never mistakes
progress for a loop (a commit clears the record).

States are recorded only right after an attempt aborts: in a loop without a
commit every stepping thread must restart an attempt (its position would
otherwise only grow), so every loop passes through such a state, and checking
there costs one snapshot per abort instead of one per step.

A loop is *fair* when every thread enabled somewhere in it takes a step in it.
An unfair loop (one thread retrying while another, which holds what it needs,
is never scheduled) is no bug: any fair scheduler would have run the other
thread. Explorers cut such a run; random schedulers run a starved thread next.

Starvation needs a loop *with* commits, which finite programs cannot have: a
commit moves its thread to its next transaction for good. So it is looked for
in *cyclic* runs (`Run(cyclic=True)`): each thread runs its program over and
over, its position takes the transaction index modulo the program's length,
and commits no longer clear the record (states are then recorded after every
restart, commit or abort: every thread that steps in a loop must restart in
it). A proven fair loop is then classified (`classify`): nobody commits in it
is a *livelock*; some thread commits while a live thread never does (it keeps
retrying, or stays blocked throughout) is *starvation* of that thread; every
live thread commits is *progress* (no bug; the run ends, its continuations are
those of the earlier visit). The definition is exact, as the lasso is: the
loop's schedule repeats forever, fairly, with the starved thread never
committing. It can only be proven where states recur: a design whose shared
memory only grows (a global version clock, a commit counter) or a workload
whose values do (counter, transfer) never repeats a state with commits in
between, and there the verdict stays unknown (bounded by the step budget).
"""

from __future__ import annotations


class LassoDetector:
    """Remembers the states of the current run since the last commit."""

    __slots__ = ("seen",)

    def __init__(self):
        self.seen: dict = {}

    def clear(self) -> None:
        self.seen.clear()

    def visit(self, run, depth: int):
        key = run.abstract_state()
        start = self.seen.get(key)
        if start is None:
            self.seen[key] = depth
            return None
        stepped = set(run.schedule[start:depth])
        enabled = set()
        for e in run.enabled_log[start:depth + 1]:
            enabled.update(e)
        starved = enabled - stepped
        return {"start": start, "end": depth, "fair": not starved,
                "threads": sorted(stepped), "starved": sorted(starved)}


LIVELOCK, STARVATION, PROGRESS = "livelock", "starvation", "progress"


def classify(run, loop: dict) -> str:
    """A fair loop's kind; adds to `loop` who commits in it and who starves.

    `committed`: threads with a commit inside the loop; `starving`: live threads
    without one (`blocked`: those of them that never step in it)."""
    start, end = loop["start"], loop["end"]
    committed = sorted({e["thread"] for e, s in zip(run.events, run.event_steps)
                        if e["op"] == "commit" and start <= s < end})
    live = [t for t, p in enumerate(run.pending_log[end]) if t and p is not None]
    starving = [t for t in live if t not in committed]
    loop.update(committed=committed, starving=starving,
                blocked=[t for t in starving if t not in loop["threads"]])
    if not committed:
        return LIVELOCK
    return STARVATION if starving else PROGRESS


def wait_for(run) -> dict:
    """The wait-for graph of a deadlocked run, and a cycle in it if there is one."""
    held = run.held_locks()
    rows, edges = [], {}
    for t in range(1, run.threads + 1):
        waits = run.waits(t)
        if not waits:
            continue
        for name, holder in waits:
            rows.append({"thread": t, "holds": sorted(held.get(t, [])), "waits_for": name, "held_by": holder})
            if holder is not None and t not in edges:
                edges[t] = holder
    cycle = []
    for start in sorted(edges):
        seen, t = [], start
        while t in edges and t not in seen:
            seen.append(t)
            t = edges[t]
        if t in seen:
            cycle = seen[seen.index(t):]
            break
    return {"waits": rows, "cycle": cycle}
