"""More broken variants: each caught by DPOR in its smallest
configuration with the verdict its docstring states, and its control clean."""

import pytest

import stmcheck
from stmcheck.implementations.norec_no_revalidation import NOrecNoRevalidation
from stmcheck.implementations.tl2_borrowed_clock import TL2BorrowedClock

from audit_workload import Audit


def explore(design, workload, criterion="opacity", threads=2, txns=1, **kw):
    return stmcheck.explore(design, workload, threads=threads, txns=txns, criterion=criterion, max_executions=5000,
                            time_limit=None, shrink=False, **kw)


def verdicts(v):
    return {r.criterion: r.holds for r in v.results}


def test_borrowed_clock_write_skew_smallest_config():
    out = explore("tl2-borrowed-clock", "write-skew")
    v = out.violations[0]
    assert v.kind == "serializability" and out.executions <= 50
    assert verdicts(v)["serializability"] is False
    events = v.run.events
    writes = {e["thread"]: e["key"] for e in events if e["op"] == "write"}
    assert writes == {1: "x0", 2: "y0"}                                  # disjoint write sets
    assert sum(e["op"] == "commit" for e in events) == 2                 # both withdrew
    # the racers installed one and the same write version, the heart of the bug
    versions = {o.name: v.run.mem[o.index] for o in v.run.machine.objects}
    vx, vy = versions["lock(x0)"], versions["lock(y0)"]
    assert vx == vy and (vx[0].value, vx[1]) == (1, 0)                  # versions are stamps: compare their numbers


class FetchAddClock(TL2BorrowedClock):
    borrow = False


@pytest.mark.parametrize("workload", ["write-skew", "dict-update", "transfer"])
def test_same_shortcut_with_fetch_and_add_is_correct(workload):
    out = explore(FetchAddClock, workload)
    assert out.exhausted and not out.violations


def test_borrowed_clock_is_clean_where_writers_share_a_key():
    """transfer/swap/counter: racing writers lock a common key, so one aborts (registry: clean)."""
    out = explore("tl2-borrowed-clock", "counter")
    assert out.exhausted and not out.violations


def test_norec_no_revalidation_not_opaque_smallest_config():
    out = explore("norec-no-revalidation", "transfer")
    v = out.violations[0]
    assert v.kind == "opacity" and out.executions <= 50
    assert verdicts(v) == {"serializability": True, "strict-serializability": True, "opacity": False}
    zombie = next(e["txn"] for e in v.run.events if e["op"] == "abort")
    seen = [e["value"] for e in v.run.events if e["txn"] == zombie and e["op"] == "read"]
    assert sum(seen) != 20                                               # the zombie saw money appear or vanish


@pytest.mark.parametrize("workload", ["transfer", "swap", "write-skew", "intset", "dict-update"])
def test_norec_no_revalidation_stays_strictly_serializable(workload):
    out = explore("norec-no-revalidation", workload, criterion="strict-serializability")
    assert out.exhausted and not out.violations


class ReadOnlyFastPath(NOrecNoRevalidation):
    """The variant with NOrec's unvalidated read-only commit kept."""

    def commit(self, tx):
        if not tx.writes:
            return
        yield from NOrecNoRevalidation.commit(self, tx)


def test_why_read_only_transactions_validate_at_commit():
    assert not explore("norec-no-revalidation", Audit(2), criterion="serializability").violations
    v = explore(ReadOnlyFastPath, Audit(2)).violations[0]
    assert v.kind == "serializability"                                    # a torn read-only view committed
