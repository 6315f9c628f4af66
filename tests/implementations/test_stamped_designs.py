"""Designs whose clocks, versions, sequence locks and tickets are stamps (models/stamps.py).

Pinned here: which stamp domains each shipped design declares (so that a port, or an
undone one, is a visible change; the variants whose counters can move back declare
relative ones), and what the port buys: with cyclic programs, a design whose counter grows at
every commit has an infinite state graph with exact values, a finite one with stamps,
on which starvation is then proven (and the proof's loop runs with exact values too).
"""

from __future__ import annotations

import pytest

from stmcheck.checker import api
from stmcheck.checker.explore import runtime
from stmcheck.checker.explore.runtime import Run
from stmcheck.checker.explore.starvation import liveness
from stmcheck.checker.explore.strategies.replay import Replay
from stmcheck.implementations.gencounter_racy import GenCounterRacy
from stmcheck.implementations.lazy_unlocked_commit import LazyUnlockedCommit
from stmcheck.implementations.registry import DESIGNS, expected_kinds, load_design
from stmcheck.models import stamps
from stmcheck.models.machine import Machine, StampMisuse

KEYS = {"x": 0, "y": 0}
TL2 = [("clock", 0)]
SEQ = [("seq", 0)]
ORECS = [("orec(x)", 0), ("orec(y)", 0)]
TICKETS = [("tickets", 0)]
LOCATORS = [("loc(x)", 1), ("loc(y)", 1)]
PARITIES = [("parity(1)", 0), ("parity(2)", 0)]   # each thread's attempt bit (Machine.parities)

#: design -> [(domain, gap)] it declares when built on KEYS; a shipped design not named here declares none.
DOMAINS = {
    "tl2": TL2, "tl2-no-read-validation": TL2, "tl2-no-commit-validation": TL2, "tl2-readonly-unchecked": TL2,
    "tl2-quiescent": TL2,
    "tl2-borrowed-clock": [("clock", 1)],
    "norec": SEQ, "norec-no-revalidation": SEQ,
    "lazy": ORECS, "lazy-incremental": ORECS, "lazy-unlocked-commit": ORECS,
    "gencounter": [("generation", 0)], "gencounter-racy": [("generation", 0)],
    "eager": TICKETS, "eager+timestamp": TICKETS, "eager-no-undo": TICKETS,
    # DSTM: every locator carries its cell's version (gap 1) and its owner's attempt bit; greedy and
    # timestamp draw tickets too
    "dstm": LOCATORS + PARITIES + TICKETS, "dstm+timestamp": LOCATORS + PARITIES + TICKETS,
    **{f"dstm+{m}": LOCATORS + PARITIES for m in ("aggressive", "passive", "polite", "karma", "polka", "any")},
    "dstm-no-loser-wait": LOCATORS + PARITIES,
}


@pytest.mark.parametrize("name", [n for n, e in DESIGNS.items() if not e.module.startswith("native")])
def test_each_design_declares_its_stamp_domains(name):
    cls, _ = load_design(name)
    machine = Machine()
    cls(machine, dict(KEYS), 2)
    assert [(d.name, d.gap) for d in machine.domains] == DOMAINS.get(name, [])
    # relative (any stamp may be counted up) exactly where a racy bump can move a counter back
    assert {d.relative for d in machine.domains} <= {name in RELATIVE}


RELATIVE = ("lazy-unlocked-commit", "gencounter-racy")


class _LazyUnlockedStamped(LazyUnlockedCommit):
    relative_versions = False


class _GenCounterRacyStamped(GenCounterRacy):
    relative_counter = False


@pytest.mark.parametrize("design", [_LazyUnlockedStamped, _GenCounterRacyStamped])
def test_racy_counters_are_no_plain_stamps(design):
    """Why lazy-unlocked-commit and gencounter-racy declare relative stamps: their unlocked bump stores
    "the value loaded + 1", which a delayed committer may write after a later commit moved the
    counter further (the counter goes back). As stamps, that breaks rule 3, and the explorer,
    which checks the rule as the design runs, reaches such a run (2 transactions per thread)."""
    ex = api.make_explorer(api.prepare(design, "counter", threads=2, txns=2), "dpor",
                           criterion="strict-serializability", max_executions=20000, time_limit=120)
    with pytest.raises(StampMisuse, match="newest"):
        ex.explore()


# -- what the port buys: cyclic state graphs that end -------------------------------------------

def _liveness(design, workload, ranks, monkeypatch, states=5000):
    monkeypatch.setattr(runtime, "STAMP_RANKS", ranks)
    setup = api.prepare(design, workload, threads=2)
    return setup, liveness(setup.design_cls, setup.workload, states)


# The registry's starvation cells that stamps decided (here in a graph of 5,000 states; the matrix allows more).
STARVING = [("gencounter", "dict-update"), ("gencounter", "random"), ("lazy", "random"),
            ("lazy-incremental", "dict-update"), ("lazy-incremental", "random"),
            ("lazy-unlocked-commit", "counter"), ("gencounter-racy", "transfer")]   # relative stamps


@pytest.mark.parametrize("design,workload", STARVING)
def test_starvation_is_proven_only_with_stamps(monkeypatch, design, workload):
    """With cyclic programs every commit moves a version or the generation: with exact values
    no state recurs and a graph of 5,000 states cannot decide; with stamps states
    recur, and a thread whose attempts keep losing to the other's commits starves."""
    assert "starvation" in expected_kinds(DESIGNS[design].expected[workload])
    _, exact = _liveness(design, workload, stamps.exact_ranks, monkeypatch)
    assert not exact["complete"] and exact["starvation"] == exact["livelock"] == "unknown"
    setup, live = _liveness(design, workload, stamps.canonical_ranks, monkeypatch)
    assert live["starvation"] == "violated"
    if design == "gencounter":   # the whole graph is finite: someone always commits
        assert live["complete"] and live["livelock"] == "holds"
    w = live["starvation_witness"]
    (x,) = w["starving"]
    assert w["committed"] and x not in w["committed"] and x in w["loop"]
    # The loop is real: a run (which computes with the real values; only the states it
    # compares are canonical) follows it strictly round after round, every thread it names
    # able to step; the other thread commits in every round, x never does.
    rounds = 3
    schedule = w["prefix"] + w["loop"] * rounds
    run = Run(setup.design_cls, setup.workload, len(schedule), cyclic=True, detect_lassos=False)
    run.execute(Replay(schedule, strict=True))
    assert run.schedule == schedule
    commits = [e["thread"] for e, s in zip(run.events, run.event_steps) if e["op"] == "commit" and s >= len(w["prefix"])]
    assert len(commits) >= rounds and x not in commits
    # and the runtime closes that loop as a starvation lasso
    run = Run(setup.design_cls, setup.workload, 5000, cyclic=True)
    run.execute(Replay(w["prefix"] + w["loop"] * 2, strict=True))
    assert run.outcome == "starvation" and run.detail["starving"] == [x]
