"""The state-graph search on a Ray cluster (checker/cluster_graph.py, explore/strategies/partition.py):
the same places, states, transitions, coverage and verdicts as the search here, on a real local Ray
instance with two workers; a worker killed mid-search fails the run, never "exhausted".

Skipped where Ray is not installed (pip install -e '.[cluster]'; CI installs it)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import stmcheck
from stmcheck.checker.api import UsageError
from stmcheck.checker.explore.strategies.partition import Placer, canonical, owner
from stmcheck.implementations.registry import DESIGNS

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]')")

from stmcheck.checker import cluster  # noqa: E402

#: Ray's tests share one pytest-xdist worker (`--dist loadgroup`, pyproject.toml): spread over both
#: workers, each with a local Ray instance, a cluster search took 10 to 15 times what it takes
#: alone (eager+karma on transfer: 129 s in the suite, 8.7 s alone).
pytestmark = pytest.mark.xdist_group("ray")

#: Their transfer graphs have 134,000 to over 200,000 states: about a minute each way here, past
#: what the suite can spend; each livelocks, so they are searched to their first violation
#: (`test_the_largest_designs_stop_at_the_same_livelock`).
LARGE = {"dstm+aggressive", "dstm+karma", "dstm+polka", "dstm+polite", "dstm-no-loser-wait"}
#: Stand-ins whose decisions the explorer picks (contention.AnyManager): the cluster's partitions
#: take no choices yet, and say so (`test_a_design_that_chooses_is_refused_on_the_cluster`).
CHOOSING = {d for d, e in DESIGNS.items() if getattr(e.load(), "chooses", False)}


@pytest.fixture(scope="module")
def local2():
    with cluster.connect("local:2") as r:
        yield r


def _seen(r):
    return (r.states, r.transitions, r.exhausted, r.bounds, sorted({v.kind.value for v in r.violations}))


def _same(design, workload="transfer", threads=2, **kw):
    kw = dict(threads=threads, shrink=False, stop_at_first=False, **kw)
    here = stmcheck.explore(design, workload, **kw)
    there = stmcheck.explore(design, workload, cluster="local:2", **kw)
    assert _seen(there) == _seen(here)
    for v in there.violations:     # rebuilt here from the workers' schedules or the gathered graph
        assert v.run.schedule and v.replay.startswith("stmcheck replay ")
    return here, there


#: A design of each kind of values the cluster's places carry (digests, `canonical`): plain
#: values, locks, TL2's and lazy's stamps, relative stamps (lazy-unlocked-commit, gencounter-racy),
#: NOrec's sequence lock, eager's tickets and claims, DSTM's attempt bits and thread numbers, the
#: C core's words; the broken ones' counterexamples are rebuilt here from the workers' schedules.
#: (A design of each module, 25 searches, cost the suite 106 s, mostly Ray starting each search's workers.)
ALIKE = ["global-lock", "locks-naive", "locks-ordered", "tl2", "tl2-no-read-validation", "tl2-quiescent", "norec",
         "eager", "lazy", "lazy-unlocked-commit", "gencounter-racy", "dstm", "native-tl2"]


@pytest.mark.parametrize("design", ALIKE)
def test_each_kind_of_design_on_transfer_is_searched_alike_on_the_cluster(local2, design):
    assert design in DESIGNS and design not in LARGE | CHOOSING
    _same(design)


def test_a_manager_with_priorities_is_searched_alike_on_the_cluster(local2):
    """eager+karma: counts of work done in the status, a manager's own values."""
    _same("eager+karma", workload="counter")


def test_a_design_that_chooses_is_refused_on_the_cluster(local2):
    with pytest.raises(UsageError, match="on a cluster"):
        stmcheck.explore("eager+any", "counter", cluster="local:2")


#: Two of them (a manager that aborts the other at once, one with priorities), each on the workload
#: where both searches meet their first lasso soonest (measured: counter 2.9 to 4.0 s here for
#: both, karma 9 s there against 5.4 s on write-skew).
FIRST_LASSO = {"dstm+aggressive": "counter", "dstm+karma": "write-skew"}


@pytest.mark.parametrize("design", sorted(FIRST_LASSO))
def test_the_largest_designs_stop_at_the_same_livelock(local2, design):
    """Both searches look for a livelock as their graphs grow and stop at the first: the same
    verdict, a proven lasso each (the states differ: each stops where it looked). Not on
    transfer, where each livelocks too: their transfer graphs, with DSTM's readers in
    registration order, cost the suite a minute here."""
    kw = dict(threads=2, shrink=False)
    here = stmcheck.explore(design, FIRST_LASSO[design], **kw)
    there = stmcheck.explore(design, FIRST_LASSO[design], cluster="local:2", **kw)
    for r in (here, there):
        assert [v.kind.value for v in r.violations] == ["livelock"] and r.violations[0].lasso is not None
        assert not r.exhausted


def test_three_threads_the_cards_command(local2):
    here, there = _same("tl2", threads=3)
    assert there.exhausted and there.states == here.states > 20_000     # the graph one process builds
    assert "built on 2 worker(s)" in there.strategy_desc


@pytest.mark.parametrize("design, workload, kind", [
    ("norec-no-revalidation", "transfer", "opacity"),    # found at the ends, by the fold of the views
    ("locks-naive", "swap", "deadlock"),                 # found by the workers' own runs
])
def test_three_threads_with_a_violation(local2, design, workload, kind):
    here, there = _same(design, threads=3, workload=workload)
    assert there.exhausted and kind in {v.kind.value for v in there.violations}


def test_cyclic_programs_starvation_on_the_cluster(local2):
    here, there = _same("gencounter", workload="dict-update", cyclic=True)
    assert [v.kind.value for v in there.violations] == ["starvation"]
    assert there.violations[0].lasso is not None


def test_the_same_command_gives_the_same_runs_every_time(local2):
    """Rounds read batches fixed by their number, not by timing: the runs, their counts and the
    spread are the same on every run (timings aside)."""
    def seen():
        r = stmcheck.explore("eager", "transfer", cluster="local:2", shrink=False)
        spread = {k: v for k, v in r.cluster.items() if not k.endswith("_seconds")}
        return r.executions, r.steps, r.states, r.transitions, spread
    first = seen()
    assert first[-1]["workers"] == 2 and first[-1]["bytes_sent"] > 0
    assert seen() == first


def test_the_json_report_says_how_the_graph_was_spread(local2):
    from stmcheck.checker.report.explore import as_json
    r = stmcheck.explore("tl2", "transfer", cluster="local:2", shrink=False)
    doc = as_json(r, timings=False)
    assert doc["cluster"]["workers"] == 2 and sum(doc["cluster"]["places"]) > 0
    assert not any(k.endswith("_seconds") for k in doc["cluster"])
    assert "ray_start_seconds" in as_json(r, timings=True)["cluster"]


def test_a_bounded_search_on_the_cluster_never_says_exhausted(local2):
    """A partition that refuses a place (its --max-states) leaves the graph incomplete: bounded,
    the verdict unknown, whatever the gathered part shows."""
    r = stmcheck.explore("tl2", "transfer", threads=3, cluster="local:2", max_states=500, shrink=False)
    assert not r.exhausted and r.verdict.value == "unknown"
    assert any("max-states 500 (in one partition)" in b for b in r.bounds)
    assert max(r.cluster["places"]) <= 500


def test_stopping_at_the_first_violation(local2):
    r = stmcheck.explore("locks-naive", "swap", cluster="local:2", shrink=False)
    assert [v.kind.value for v in r.violations] == ["deadlock"] and not r.exhausted


def test_a_killed_worker_fails_the_run(local2):
    """A partition's places live in its worker's memory: when it dies, the run ends with an error
    naming what happened, never a verdict."""
    import ray._private.state as state        # the actors' process ids (no dashboard runs here)

    def kill_a_partition():
        for _ in range(400):
            pids = [a["Pid"] for a in state.actors().values()
                    if a["ActorClassName"] == "Partition" and a["State"] == "ALIVE" and a["Pid"]]
            if len(pids) == 2:
                time.sleep(0.5)               # into the search (it takes several seconds here)
                os.kill(pids[0], signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_partition)
    killer.start()
    try:
        with pytest.raises(UsageError, match="a worker of the graph search died.*no verdict"):
            stmcheck.explore("dstm+polite", "transfer", cluster="local:2", shrink=False)
    finally:
        killer.join()


def test_object_workloads_are_not_split():
    with pytest.raises(UsageError, match="does not split the graph of object workloads"):
        stmcheck.explore("tl2", object="counter", strategy="graph", cluster="local:2")


def test_digests_do_not_depend_on_the_process_or_the_spelling_of_equal_values():
    assert canonical(frozenset({3, 1, 2})) == canonical(frozenset({2, 3, 1}))
    assert canonical((True, 2.0)) == canonical((1, 2))
    assert canonical((1, "1")) != canonical((1, 1))
    place = Placer()
    a = place((1, 2), ((0, 1, None, 0, ()),), [b"", b"x"])
    b = Placer()((1, 2), ((0, 1, None, 0, ()),), [b"", b"x"])
    assert a == b and owner(a[1], 2) == owner(b[1], 2)
    assert place((1, 2), ((0, 1, None, 0, ()),), [b"", b"y"])[0] != a[0]


def test_a_partition_takes_the_views_it_can_fold_and_refuses_whole_histories():
    from stmcheck.checker.explore.strategies.graph import no_history
    from stmcheck.checker.explore.strategies.partition import PartitionRuns, Unplaceable
    from stmcheck.checker.explore.witnesskey import WitnessKey
    runs = PartitionRuns(0, 2, 100)
    runs.judge_histories_by(no_history)            # cyclic runs: nothing to fold
    assert runs.product is None
    view = WitnessKey({"x": 0}, committed_only=False)
    runs.judge_histories_by(view)
    assert runs.product is view
    with pytest.raises(Unplaceable, match="whole histories"):
        PartitionRuns(0, 2, 100).judge_histories_by(None)    # object workloads' view


def test_a_value_with_no_process_independent_form_is_refused():
    with pytest.raises(ValueError, match="no form that is the same in another process"):
        canonical((object(),))


def test_searches_on_one_connection_reuse_the_partitions_actors(local2):
    """A new actor is a new worker process (Ray and stmcheck imported anew: 1.8 s a search here):
    the partitions are lent from this session's pool and given back, and tasks sent afterwards
    still get every CPU (the idle actors are let go first)."""
    def idle():
        return sorted(a._actor_id.hex() for actors in cluster._IDLE.values() for a in actors)
    first = stmcheck.explore("tl2", "transfer", cluster="local:2", shrink=False)
    lent = idle()
    again = stmcheck.explore("tl2", "transfer", cluster="local:2", shrink=False)
    assert len(lent) == 2 and idle() == lent
    assert (again.states, again.transitions, again.exhausted) == (first.states, first.transitions, first.exhausted)
    def double(x):          # (a local function: Ray's workers get it by value)
        return 2 * x

    done: list = []
    sent = threading.Thread(target=lambda: done.extend(cluster.as_completed(local2, double, [(i,) for i in range(4)])),
                            daemon=True)
    sent.start()
    sent.join(120)
    assert sorted(done) == [(i, 2 * i) for i in range(4)] and idle() == []
