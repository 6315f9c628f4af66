"""Random and PCT campaigns split across a Ray cluster (checker/campaign.py): the same verdict, counts
and first counterexample as the same command run here, on a real local Ray instance (2 workers).

Skipped where Ray is not installed (pip install -e '.[cluster]'; CI installs it)."""

from __future__ import annotations

import pytest

import stmcheck
from stmcheck.checker import api, campaign
from stmcheck.checker.explore.strategies import make_strategy

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]')")

from stmcheck.checker import cluster  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")     # one Ray instance at a time (tests/explore/test_cluster_graph.py)


@pytest.fixture(scope="module")
def local2():
    with cluster.connect("local:2") as r:
        yield r


def _seen(r):
    return (r.executions, r.histories, r.steps, r.bounds, r.exhausted,
            [(v.kind, v.replay, list(v.run.schedule)) for v in r.violations])


@pytest.mark.parametrize("design, workload, strategy, threads, executions", [
    ("tl2-no-read-validation", "transfer", "random", 2, 1500),   # found in chunk 3 of 8
    ("tl2-no-read-validation", "transfer", "pct", 2, 1500),      # found in the first chunk
    ("tl2-borrowed-clock", "write-skew", "pct", 2, 1500),        # found late, past several chunks
    ("tl2", "transfer", "random", 3, 700),                       # clean: every chunk, to the budget
    ("lazy", "write-skew", "pct", 2, 500),                       # livelock: runs past --max-steps
])
def test_a_campaign_on_the_cluster_is_the_campaign_here(local2, design, workload, strategy, threads, executions):
    kw = dict(strategy=strategy, threads=threads, max_executions=executions, time_limit=None, max_steps=300)
    here = stmcheck.explore(design, workload, **kw)
    there = stmcheck.explore(design, workload, cluster="local:2", **kw)
    assert _seen(there) == _seen(here)


def test_the_whole_budget_when_not_stopping_at_the_first_violation(local2):
    kw = dict(strategy="random", max_executions=450, time_limit=None, stop_at_first=False, shrink=False)
    here = stmcheck.explore("tl2-no-read-validation", "transfer", **kw)
    there = stmcheck.explore("tl2-no-read-validation", "transfer", cluster="local:2", **kw)
    assert here.executions == 450 and here.violations and _seen(there) == _seen(here)


@pytest.mark.parametrize("name", ["random", "pct"])
def test_an_execution_depends_only_on_the_seed_and_its_number(name):
    """What the split relies on: a strategy started at execution i runs what one that ran 0..i-1 runs next."""
    setup = api.prepare("tl2", "transfer", threads=3)

    def schedules(strategy, n):
        ex = api.make_explorer(setup, strategy, max_executions=n, stop_at_first=False)
        seen = []
        real = ex.judge
        ex.judge = lambda run, out=None: seen.append(list(run.schedule)) or real(run, out)
        ex.explore()
        return seen, ex.strategy

    whole, first = schedules(make_strategy(name, seed=5), 12)
    late = make_strategy(name, seed=5)
    late.index = 7
    if name == "pct":
        late.k = first.k
    tail, _ = schedules(late, 5)
    assert tail == whole[7:]
    assert len({tuple(s) for s in whole}) > 3          # the executions differ from one another


def test_what_the_cluster_does_not_split_is_a_usage_error():
    with pytest.raises(api.UsageError, match="random and pct"):
        stmcheck.explore("tl2", "transfer", strategy="dpor", cluster="local:2")
    with pytest.raises(api.UsageError, match="budget of executions"):
        stmcheck.explore("tl2", "transfer", strategy="random", max_executions=None, cluster="local:2")
    with pytest.raises(api.UsageError, match="worker count"):
        stmcheck.explore("tl2", "transfer", strategy="random", cluster="local:0")
    assert campaign.STRATEGIES == ("random", "pct")
