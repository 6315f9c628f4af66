"""Checks of the catalogue designs beyond their registry verdicts.

The registry verdicts (tests/explore/test_explore_verdicts.py) report the first
violated criterion; these tests pin down the rest of the story: which
criteria hold where one fails, and the bugs that need a workload shape
transfer/swap/counter lack.
"""

import pytest

import stmcheck
from stmcheck.models.workloads import make_workload

from audit_workload import Audit


def explore(design, workload, criterion="opacity", txns=1):
    return stmcheck.explore(design, workload, txns=txns, criterion=criterion, max_executions=20000, time_limit=60,
                            shrink=False)


@pytest.mark.parametrize("design", ["lazy", "gencounter"])
@pytest.mark.parametrize("workload", ["transfer", "swap", "counter"])
def test_strictly_serializable_everywhere(design, workload):
    out = explore(design, workload, criterion="strict-serializability")
    assert out.exhausted and not out.violations


@pytest.mark.parametrize("design", ["lazy", "gencounter"])
def test_not_opaque_a_doomed_transaction_sees_a_torn_transfer(design):
    out = explore(design, "transfer")
    v = out.violations[0]
    assert {r.criterion: r.holds for r in v.results} == {
        "serializability": True, "strict-serializability": True, "opacity": False}
    # the transaction that saw the inconsistent state did not commit
    events = v.run.events
    aborted = {e["txn"] for e in events if e["op"] == "abort"}
    assert aborted


@pytest.mark.parametrize("design", ["lazy-unlocked-commit", "gencounter-racy", "locks-early-release",
                                    "tl2-no-commit-validation"])
def test_lost_update_on_counter(design):
    out = explore(design, "counter")
    v = out.violations[0]
    assert v.kind == "serializability"
    writes = [e for e in v.run.events if e["op"] == "write"]
    assert [e["value"] for e in writes] == [1, 1]   # both incremented 0
    assert sum(e["op"] == "commit" for e in v.run.events) == 2


def test_locks_ordered_two_transfers_per_thread_exhaustive():
    """Two transfers per thread (the learned key set is cleared at commit and learned
    again): exhaustively opaque, no deadlock, no livelock. (swap with 2 transactions
    per thread is clean too, but takes ~8 s.)"""
    out = explore("locks-ordered", "transfer", txns=2)
    assert out.exhausted and not out.violations


def test_locks_ordered_out_of_order_attempt_aborts_and_retries_in_order():
    from stmcheck.checker.explore.runtime import Run
    from stmcheck.checker.explore.strategies.replay import Replay, decode
    cls = stmcheck.load_design("locks-ordered")[0]
    # thread 1 locks and reads a0; thread 2 locks and reads a1, then finds a0 (below a1) taken
    run = Run(cls, make_workload("transfer", 2, 1))
    run.execute(Replay(decode("1*3,2*4")))
    assert run.outcome == "complete", run.outcome
    ops = [(e["txn"], e["op"]) for e in run.events if e["op"] in ("commit", "abort")]
    assert ops == [("T2.1", "abort"), ("T1.1", "commit"), ("T2.2", "commit")]
    assert run.abort_reasons["T2.1"].startswith("a0 is locked")


def test_readonly_unchecked_commits_an_inconsistent_read_only_view():
    assert not explore("tl2", Audit(2)).violations                  # TL2 itself is clean here
    v = explore("tl2-readonly-unchecked", Audit(2)).violations[0]
    assert v.kind == "serializability"
    reads = {e["key"]: e["value"] for e in v.run.events if e["thread"] == 2 and e["op"] == "read"}
    assert sum(reads.values()) != 20                                 # the auditor saw money appear or vanish
    assert any(e["thread"] == 2 and e["op"] == "commit" for e in v.run.events)
