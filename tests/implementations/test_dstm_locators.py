"""DSTM's locators are values, not fresh objects: none may come back to a cell it left (ABA).

The state-graph search found what a value that comes back does (dstm+aggressive on
dict-update: a writer's CAS replaced a locator whose stale reader entry had become a live
reader's again, and the reader then read an overwritten value: not serializable). Every
locator now carries its cell's version (implementations/dstm.py, "ABA"); here, runs of every
DSTM manager on the workloads that read and write several keys check that a cell never holds
again a value it held before.
"""

from __future__ import annotations

import random

import pytest

from stmcheck.checker import api
from stmcheck.checker.explore.runtime import Run


class _RandomRecording:
    """Random choices; after each step, every key cell's value, appended to its history."""

    fair = False

    def __init__(self, rng, cells):
        self.rng, self.cells, self.seen = rng, cells, {i: [] for i in cells}

    def pick(self, run, enabled):
        for i in self.cells:
            values = self.seen[i]
            if not values or values[-1] != run.mem[i]:
                values.append(run.mem[i])
        return enabled[self.rng.randrange(len(enabled))]


@pytest.mark.parametrize("design", ["dstm", "dstm+aggressive", "dstm+karma"])
@pytest.mark.parametrize("workload", ["dict-update", "random"])
def test_a_locator_never_comes_back(design, workload):
    setup = api.prepare(design, workload, threads=2, txns=2)
    rng = random.Random(11)
    for _ in range(150):
        run = Run(setup.design_cls, setup.workload, max_steps=600, detect_lassos=False)
        cells = [o.index for o in run.machine.objects if o.name in setup.workload.keys]
        assert cells, "the workload's keys are the locator cells"
        chooser = _RandomRecording(rng, cells)
        run.execute(chooser)
        for i, values in chooser.seen.items():
            for j, v in enumerate(values):
                assert v not in values[:j], f"{run.machine.objects[i].name} held {v!r} again (ABA)"
