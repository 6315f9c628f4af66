"""Do states with equal canonical forms have equal futures? Random runs of a design, and a
continuation run from two prefixes that reach equal forms (tests/explore/test_stamps.py for
Python designs, tests/native/test_native_stamps.py for C ones)."""

from __future__ import annotations

from stmcheck.checker import api
from stmcheck.checker.explore import runtime
from stmcheck.models.workloads import make_workload


class _Follow:
    """Take the threads of `schedule` in turn, then `extra` random ones (recorded), then stop."""

    fair = False

    def __init__(self, schedule, rng=None, extra=0, states=None):
        self.schedule, self.rng, self.extra, self.states, self.i = list(schedule), rng, extra, states, 0

    def pick(self, run, enabled):
        if self.states is not None:
            self.states.append(run.abstract_state())
        if self.i < len(self.schedule):
            t = self.schedule[self.i]
            if t not in enabled:   # the futures parted: this run cannot follow the other's
                return None
        elif self.rng is not None and self.i < len(self.schedule) + self.extra:
            t = enabled[self.rng.randrange(len(enabled))]
            self.schedule.append(t)
        else:
            return None
        self.i += 1
        return t


def _run(design_cls, workload, schedule, positions, rng=None, extra=0, states=None):
    run = runtime.Run(design_cls, make_workload(workload, 2, 3), max_steps=10_000, detect_lassos=False,
                      positions=positions)
    follow = _Follow(schedule, rng, extra, states)
    run.execute(follow)
    return run, follow.schedule


def bisimulation_breaches(ranks, monkeypatch, design="tl2", workload="transfer", runs=60, length=150,
                           follow_up=80) -> int:
    """Random runs; whenever two prefixes reach states with equal forms, one random continuation
    is run from both: the forms must stay equal step by step (equal futures). Returns how many
    pairs broke that."""
    import random

    monkeypatch.setattr(runtime, "STAMP_RANKS", ranks)
    design_cls = api.load_design(design)[0] if isinstance(design, str) else design
    positions = runtime.Positions()
    rng = random.Random(7)
    seen: dict = {}
    pairs = []
    for _ in range(runs):
        states: list = []
        _, schedule = _run(design_cls, workload, [], positions, rng, length, states)
        for depth, state in enumerate(states):
            first = seen.setdefault(state, schedule[:depth])
            if first != schedule[:depth] and len(pairs) < 40:
                pairs.append((first, schedule[:depth]))
    assert len(pairs) >= 10, "too few states met again to test anything"
    breaches = 0
    for a, b in pairs:
        sa: list = []
        _, tail = _run(design_cls, workload, a, positions, rng, follow_up, sa)
        sb: list = []
        _run(design_cls, workload, b + tail[len(a):], positions, None, 0, sb)
        if sa[len(a):] != sb[len(b):]:
            breaches += 1
    return breaches
