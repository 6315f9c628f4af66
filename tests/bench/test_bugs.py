"""Every broken variant is caught in its smallest configuration (the table `BUGS`
in checker/bench/bugs.py, which `stmcheck bench bugs` measures and writes to
reports/bugs.md): by dpor within the executions recorded there, and by random
and pct, with fixed seeds, within the most executions any seed needed there.
"""

import pytest

from stmcheck.checker.bench.bugs import BUGS, SEEDS, VARIANTS, Bug, executions_to_find
from stmcheck.implementations.registry import DESIGNS, expected_kinds


def _where(bug):
    return bug.design, bug.kind, bug.workload, bug.threads, bug.txns


def test_every_shipped_broken_variant_has_a_row():
    rows = {b.design for b in BUGS}
    missing = [d for d in VARIANTS if d in DESIGNS and d not in rows]
    assert not missing, f"run `stmcheck bench bugs` and update BUGS for {missing}"
    for b in BUGS:
        assert len(b.random) == len(b.pct) == SEEDS
        # the bug found is the one the registry expects on that workload
        assert b.kind in expected_kinds(DESIGNS[b.design].expected[b.workload]), b


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.design)
def test_dpor_finds_it(bug):
    n = executions_to_find(*_where(bug), "dpor", budget=bug.dpor)
    assert n is not None and n <= bug.dpor


@pytest.mark.parametrize("strategy", ["random", "pct"])
@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.design)
def test_sampling_strategies_find_it_with_fixed_seeds(bug, strategy):
    runs = getattr(bug, strategy)
    worst = Bug.stats(runs)[1]
    # the two seeds that found it fastest in the table (fixed seeds, and a fast test)
    seeds = sorted((s for s, n in enumerate(runs) if n is not None), key=lambda s: (runs[s], s))[:2]
    assert seeds, f"{strategy} never finds {bug.design}'s bug: the table says so, and the test cannot hold it to it"
    for seed in seeds:
        n = executions_to_find(*_where(bug), strategy, budget=worst, seed=seed)
        assert n is not None and n <= worst, (seed, n, worst)


def test_stats():
    assert Bug.stats((3, None, 5)) == (5, 5, 2)
    assert Bug.stats((None, None, 1))[0] == float("inf")
