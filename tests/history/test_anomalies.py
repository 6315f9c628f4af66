"""Hand-written histories, one or more per anomaly class of the spec.

Each case states the verdict of every criterion, the anomaly class, the
edges of the cycle where the class is a cycle, and the witness order where it
is forced. Every verdict is also cross-checked with the brute-force oracle,
and every witness with the oracle's legality check, so a wrong expectation
written here cannot pass silently either.
"""

from __future__ import annotations

import pytest

import oracle
from dsl import H
from stmcheck.checker.history.criteria import CRITERIA, check
from stmcheck.models.history import build_history

SERIAL, SESSION, STRICT, OPACITY = ("serializability", "session-serializability",
                                    "strict-serializability", "opacity")


def results(doc) -> dict:
    """criterion -> Result, after checking each verdict and witness against the oracle."""
    history = build_history(doc["events"], doc.get("initial"), doc.get("versions"))
    out = {r.criterion: r for r in check(history, CRITERIA)}
    for c, r in out.items():
        expected, _ = oracle.decide(doc, c)
        assert r.holds is expected, f"{c}: checker {r.holds}, oracle {expected}"
        if r.holds:
            assert oracle.check_witness(doc, c, r.order) is None, (c, r.order)
        else:
            assert r.anomaly and r.explanation
    return out


def edges(result) -> set:
    return {(e.src, e.dst, e.kind, e.key) for e in result.cycle or []}


def holds(res, *criteria):
    return all(res[c].holds is True for c in criteria)


def violated(res, *criteria):
    return all(res[c].holds is False for c in criteria)


def mentions_cycle(result):
    """The explanation names every transaction on the cycle."""
    for e in result.cycle:
        assert str(e.src) in result.explanation and str(e.dst) in result.explanation


# --- G0: a cycle of write-write edges (only a versions map can reveal one) ------------

def test_g0_write_cycle():
    doc = H("1:T1 b", "2:T2 b", "1:T1 w x 1", "2:T2 w x 2", "2:T2 w y 2", "1:T1 w y 1",
            "1:T1 c", "2:T2 c", versions={"x": [1, 2], "y": [2, 1]})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G0"
        assert edges(res[c]) == {("T1", "T2", "ww", "x"), ("T2", "T1", "ww", "y")}
        mentions_cycle(res[c])


def test_blind_writes_without_versions_are_no_g0():
    """The same writes with no versions map: any installation order will do."""
    doc = H("1:T1 b", "2:T2 b", "1:T1 w x 1", "2:T2 w x 2", "2:T2 w y 2", "1:T1 w y 1",
            "1:T1 c", "2:T2 c")
    res = results(doc)
    assert holds(res, *CRITERIA)


# --- G1a, G1b: reads of writes that never committed, or were overwritten ---------------

@pytest.mark.parametrize("end", ["a", None], ids=["aborted-writer", "live-writer"])
def test_g1a_aborted_read(end):
    steps = ["1:T1 b", "1:T1 w x 1", "2:T2 b", "2:T2 r x 1"]
    if end:
        steps.append("1:T1 " + end)
    steps.append("2:T2 c")
    res = results(H(*steps, initial={"x": 0}))
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G1a"
        assert "T1" in res[c].explanation and "T2" in res[c].explanation


def test_g1a_by_a_zombie_fails_only_opacity():
    """An aborted reader of an aborted write: only opacity looks at aborted readers."""
    doc = H("1:T1 b", "1:T1 w x 1", "2:T2 b", "2:T2 r x 1", "1:T1 a", "2:T2 a", "3:T3 b",
            "3:T3 r x 0", "3:T3 c", initial={"x": 0})
    res = results(doc)
    assert holds(res, SERIAL, SESSION, STRICT)
    assert res[STRICT].order == ["T3"]
    assert res[OPACITY].holds is False and res[OPACITY].anomaly == "G1a"


def test_g1b_intermediate_read():
    doc = H("1:T1 b", "1:T1 w x 1", "2:T2 b", "2:T2 r x 1", "1:T1 w x 2", "1:T1 c", "2:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G1b"
        assert "T1" in res[c].explanation and "T2" in res[c].explanation


def test_final_write_is_no_intermediate_read():
    doc = H("1:T1 b", "1:T1 w x 1", "1:T1 w x 2", "1:T1 c", "2:T2 b", "2:T2 r x 2", "2:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    assert res[STRICT].order == ["T1", "T2"]


# --- G1c: a cycle of write-read (and write-write) edges --------------------------------

def test_g1c_circular_information_flow():
    doc = H("1:T1 b", "2:T2 b", "1:T1 w x 1", "2:T2 w y 1", "1:T1 r y 1", "2:T2 r x 1",
            "1:T1 c", "2:T2 c", initial={"x": 0, "y": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G1c"
        assert edges(res[c]) == {("T1", "T2", "wr", "x"), ("T2", "T1", "wr", "y")}
        mentions_cycle(res[c])


def test_g1c_write_read_against_versions():
    """T2 read T1's x, yet the versions map installs T2's x before T1's."""
    doc = H("1:T1 b", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 r x 1", "2:T2 w x 2", "2:T2 c",
            initial={"x": 0}, versions={"x": [2, 1]})
    res = results(doc)
    assert violated(res, *CRITERIA)
    assert res[SERIAL].anomaly == "G1c"
    assert edges(res[SERIAL]) == {("T1", "T2", "wr", "x"), ("T2", "T1", "ww", "x")}


# --- G-single, G2-item: cycles with one, or more, anti-dependencies --------------------

def test_g_single_read_skew():
    doc = H("2:T2 b", "2:T2 r x 0", "1:T1 b", "1:T1 w x 1", "1:T1 w y 1", "1:T1 c",
            "2:T2 r y 1", "2:T2 c", initial={"x": 0, "y": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G-single"
        assert edges(res[c]) == {("T2", "T1", "rw", "x"), ("T1", "T2", "wr", "y")}
        mentions_cycle(res[c])


def test_g_single_non_repeatable_read():
    """T5 reads x twice and sees T1's version, then T4's: whichever version order x has,
    one anti-dependency (T5 read a version the other writer overwrote) is closed by the
    write-read edge back. Not G0: write-write edges of one key follow one version order
    and never close a cycle by themselves."""
    doc = H("2:T1 b", "2:T1 w x 101", "2:T1 c", "2:T4 b", "1:T5 b", "2:T4 w x 103",
            "1:T5 r x 101", "2:T4 c", "1:T5 r x 103", "1:T5 c")
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G-single", (c, res[c].anomaly, res[c].cycle)
        # with x installed 101 then 103 (as real time has it), or the other way round
        assert edges(res[c]) in ({("T5", "T4", "rw", "x"), ("T4", "T5", "wr", "x")},
                                 {("T5", "T1", "rw", "x"), ("T1", "T5", "wr", "x")}), res[c].cycle


def test_g2_item_write_skew():
    doc = H("1:T1 b", "2:T2 b", "1:T1 r x 1", "1:T1 r y 1", "2:T2 r x 1", "2:T2 r y 1",
            "1:T1 w x 0", "2:T2 w y 0", "1:T1 c", "2:T2 c", initial={"x": 1, "y": 1})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G2-item"
        assert edges(res[c]) == {("T1", "T2", "rw", "y"), ("T2", "T1", "rw", "x")}
        mentions_cycle(res[c])


def test_g2_item_lost_update():
    doc = H("1:T1 b", "2:T2 b", "1:T1 r x 0", "2:T2 r x 0", "1:T1 w x 1", "2:T2 w x 2",
            "1:T1 c", "2:T2 c", initial={"x": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    assert res[SERIAL].anomaly == "G2-item"
    assert edges(res[SERIAL]) == {("T1", "T2", "rw", "x"), ("T2", "T1", "rw", "x")}


def test_lost_update_avoided():
    """The second increment read the first: serializable in exactly one order."""
    doc = H("1:T1 b", "2:T2 b", "1:T1 r x 0", "1:T1 w x 1", "1:T1 c", "2:T2 r x 1",
            "2:T2 w x 2", "2:T2 c", initial={"x": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order == ["T1", "T2"]


# --- internal: an own write not read back ----------------------------------------------

def test_internal_in_a_committed_transaction_breaks_every_criterion():
    res = results(H("1:T1 b", "1:T1 w x 1", "1:T1 r x 2", "1:T1 c", initial={"x": 2}))
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "internal"
        assert "T1" in res[c].explanation


@pytest.mark.parametrize("end", ["a", None], ids=["aborted", "live"])
def test_internal_in_an_aborted_or_live_transaction_breaks_opacity_only(end):
    """The contract (histories.md, section 2): the other criteria say nothing about
    transactions that did not commit, an internal inconsistency of theirs included."""
    steps = ["1:T1 b", "1:T1 w x 1", "1:T1 r x 2"] + (["1:T1 " + end] if end else [])
    res = results(H(*steps, "2:T2 b", "2:T2 r x 2", "2:T2 c", initial={"x": 2}))
    assert violated(res, OPACITY) and res[OPACITY].anomaly == "internal" and "T1" in res[OPACITY].explanation
    assert holds(res, SERIAL, SESSION, STRICT)
    assert all(res[c].order == ["T2"] for c in (SERIAL, SESSION, STRICT))


def test_own_write_read_back():
    doc = H("1:T1 b", "1:T1 r x 0", "1:T1 w x 1", "1:T1 r x 1", "1:T1 w x 2", "1:T1 r x 2",
            "1:T1 c", "2:T2 b", "2:T2 r x 2", "2:T2 c", initial={"x": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    assert res[OPACITY].order == ["T1", "T2"]


# --- real time: a stale read after a completed commit ----------------------------------

def test_real_time_stale_read():
    doc = H("1:T1 b", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 r x 0", "2:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert holds(res, SERIAL, SESSION)
    assert res[SERIAL].order == ["T2", "T1"]
    assert res[SESSION].order == ["T2", "T1"]  # different threads: no program order
    for c in (STRICT, OPACITY):
        assert res[c].holds is False
        assert res[c].anomaly == "real-time"
        assert edges(res[c]) == {("T1", "T2", "rt", None), ("T2", "T1", "rw", "x")}
        mentions_cycle(res[c])


def test_overlapping_stale_read_is_strictly_serializable():
    """The same reads with T2 beginning before T1 commits: no real-time order between them."""
    doc = H("1:T1 b", "1:T1 w x 1", "2:T2 b", "1:T1 c", "2:T2 r x 0", "2:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order == ["T2", "T1"]


def test_real_time_is_end_before_begin_not_commit_order():
    """T2 overlaps T1 and T3 and commits last, yet must come first (it read x=0)."""
    doc = H("2:T2 b", "1:T1 b", "1:T1 w x 1", "1:T1 c", "3:T3 b", "3:T3 r x 1", "3:T3 c",
            "2:T2 r x 0", "2:T2 c", initial={"x": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order == ["T2", "T1", "T3"]


def test_stale_reader_after_blind_writes_is_real_time():
    """Two blind writes of y, then a reader of the second and, after everyone ended, a reader
    of the first: serializable (LATE right after T1), not strictly. Whichever order y's
    versions have, a real-time edge closes a cycle (T3 -rt-> LATE -rw(y)-> T3 if T1's y
    came first, T1 -rt-> T4 -rw(y)-> T1 if T3's did); a ww(y) edge each way is no cycle."""
    doc = H("t2:T1 b", "t2:T1 w y 101", "t1:T3 b", "t1:T3 w y 104", "t2:T1 c", "t1:T3 c",
            "t1:T4 b", "t1:T4 r y 104", "t1:T4 c", "late:LATE b", "late:LATE r y 101", "late:LATE c")
    res = results(doc)
    assert holds(res, SERIAL, SESSION)
    assert res[SERIAL].order in (["T1", "LATE", "T3", "T4"], ["T3", "T4", "T1", "LATE"])
    for c in (STRICT, OPACITY):
        r = res[c]
        assert r.holds is False
        assert r.anomaly == "real-time", (c, r.anomaly, r.cycle)
        assert edges(r) in ({("T3", "LATE", "rt", None), ("LATE", "T3", "rw", "y")},
                            {("T1", "T4", "rt", None), ("T4", "T1", "rw", "y")}), r.cycle
        mentions_cycle(r)


def test_real_time_class_only_when_serializable():
    """T1 read x=2 and wrote x=0 last; the versions map installs 2 (T2), 1 (T3), 0 (T1), so T1
    read a version T3 overwrote before T1's own: a G-single that needs no real time, though the
    three also ran one after another on one thread."""
    doc = H("1:T1 b", "1:T1 r x 2", "1:T1 w x 0", "1:T1 c", "1:T2 b", "1:T2 w x 2", "1:T2 c",
            "1:T3 b", "1:T3 w x 1", "1:T3 c", versions={"x": [2, 1, 0]})
    res = results(doc)
    assert violated(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].anomaly == "G-single", (c, res[c].anomaly, res[c].cycle)
        assert edges(res[c]) == {("T1", "T3", "rw", "x"), ("T3", "T1", "ww", "x")}


def test_inconsistent_read_class_only_when_strictly_serializable():
    """A live transaction and a committed one both read values nobody wrote: the committed
    failure is no opacity-only failure, so opacity must not call it inconsistent-read."""
    doc = H("2:T1 b", "2:T1 r x 1", "1:T4 b", "1:T4 r x 77", "1:T4 c")
    res = results(doc)
    assert violated(res, *CRITERIA)
    assert res[OPACITY].anomaly != "inconsistent-read"
    assert res[OPACITY].anomaly == res[STRICT].anomaly


# --- opacity only: a doomed transaction saw an inconsistent state -----------------------

@pytest.mark.parametrize("end", ["a", None], ids=["aborts", "stays-live"])
def test_inconsistent_read_zombie(end):
    steps = ["1:T1 b", "1:T1 r x 0", "2:T2 b", "2:T2 w x 1", "2:T2 w y 1", "2:T2 c",
             "1:T1 r y 1"] + (["1:T1 " + end] if end else [])
    res = results(H(*steps, initial={"x": 0, "y": 0}))
    assert holds(res, SERIAL, SESSION, STRICT)
    assert res[STRICT].order == ["T2"]
    op = res[OPACITY]
    assert op.holds is False
    assert op.anomaly == "inconsistent-read"
    assert edges(op) == {("T1", "T2", "rw", "x"), ("T2", "T1", "wr", "y")}
    mentions_cycle(op)


def test_zombie_with_a_consistent_snapshot_is_opaque():
    doc = H("1:T1 b", "1:T1 r x 0", "2:T2 b", "2:T2 w x 1", "2:T2 w y 1", "2:T2 c",
            "1:T1 r y 0", "1:T1 w x 5", "1:T1 a", "3:T3 b", "3:T3 r x 1", "3:T3 c",
            initial={"x": 0, "y": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    assert res[OPACITY].order == ["T1", "T2", "T3"]  # T1's write is seen by no one
    assert res[STRICT].order == ["T2", "T3"]


def test_opacity_orders_aborted_transactions_in_real_time():
    """T1 aborted before T2 began, yet read the state after T2: only opacity sees it."""
    doc = H("1:T1 b", "1:T1 r x 1", "1:T1 a", "2:T2 b", "2:T2 w x 1", "2:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert holds(res, SERIAL, SESSION, STRICT)
    assert res[OPACITY].holds is False
    assert res[OPACITY].anomaly in ("real-time", "inconsistent-read")


# --- z3: reads with several possible writers, blind writes with unknown order ----------

@pytest.mark.parametrize("search", [True, False], ids=["search", "z3-only"])
def test_z3_blind_write_order_holds(search, monkeypatch):
    """T7 read x=1 from T3, so T6's blind x=0 goes before T3 or after T7: only a search
    decides (the step-by-step or acyclicity search, or, with them switched off, z3)."""
    if not search:
        monkeypatch.setattr("stmcheck.checker.history.criteria.search_order", lambda *a: (None, None))
        monkeypatch.setattr("stmcheck.checker.history.criteria.greedy_witness", lambda *a: None)
    doc = H("3:3 b", "2:6 b", "1:7 b", "3:3 w x 1", "3:3 c", "1:7 r x 1", "2:6 w x 0", "2:6 c",
            "1:7 c")
    res = results(doc)
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order in ([6, 3, 7], [3, 7, 6])
    if not search:
        assert "z3" in {r.decided_by for r in res.values()}, "this case is meant to exercise the exact search"
    # once T3 ends before T6 begins, real time decides it without a search
    seq = results(H("3:3 b", "3:3 w x 1", "3:3 c", "2:6 b", "1:7 b", "1:7 r x 1", "2:6 w x 0",
                    "2:6 c", "1:7 c"))
    assert holds(seq, *CRITERIA)
    assert seq[STRICT].order == [3, 7, 6]


def test_z3_repeated_value_fuzzy_read_violated():
    """T2 read x=0 (the initial value, so before every writer of x) and then x=1, which both
    T4 and T7 wrote: each candidate writer is ruled out, but only together."""
    doc = H("t3:T2 b", "t3:T2 r x 0", "t1:T4 b", "t3:T2 r x 1", "t1:T4 w x 1", "t1:T4 c",
            "t3:T2 c", "t1:T7 b", "t1:T7 w x 1", "t1:T7 c", initial={"x": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    r = res[SERIAL]
    assert "T2" in r.explanation and "x" in r.explanation
    assert r.decided_by == "z3", "this case is meant to exercise the exact search"


def test_z3_two_writers_of_the_same_value_holds():
    doc = H("3:T3 b", "2:T2 b", "1:T1 b", "1:T1 w x 1", "1:T1 w y 1", "2:T2 w x 1", "2:T2 w y 2",
            "3:T3 r x 1", "3:T3 r y 2", "2:T2 c", "1:T1 c", "3:T3 c", initial={"x": 0, "y": 0})
    res = results(doc)
    assert holds(res, *CRITERIA)
    assert res[SERIAL].order in (["T1", "T2", "T3"], ["T2", "T3", "T1"])


def test_z3_two_writers_of_the_same_value_violated():
    doc = H("3:T3 b", "2:T2 b", "1:T1 b", "1:T1 w x 1", "1:T1 w y 1", "2:T2 w x 1", "2:T2 w y 2",
            "3:T3 r x 1", "3:T3 r y 0", "2:T2 c", "1:T1 c", "3:T3 c", initial={"x": 0, "y": 0})
    res = results(doc)
    assert violated(res, *CRITERIA)
    assert "T3" in res[SERIAL].explanation


# --- versions maps ----------------------------------------------------------------------

BLIND = ["1:T1 b", "2:T2 b", "1:T1 w x 1", "2:T2 w x 2", "1:T1 c", "2:T2 c", "3:T3 b",
         "3:T3 r x 1", "3:T3 c"]


def test_versions_absent_order_inferred():
    res = results(H(*BLIND, initial={"x": 0}))
    assert holds(res, *CRITERIA)
    assert res[STRICT].order == ["T2", "T1", "T3"]


def test_versions_make_a_stale_read():
    res = results(H(*BLIND, initial={"x": 0}, versions={"x": [1, 2]}))
    assert holds(res, SERIAL, SESSION)
    assert res[SERIAL].order == ["T1", "T3", "T2"]
    assert violated(res, STRICT, OPACITY)
    assert res[STRICT].anomaly == "real-time"
    assert ("T2", "T3", "rt", None) in edges(res[STRICT])


def test_versions_agree_with_the_read():
    res = results(H(*BLIND, initial={"x": 0}, versions={"x": [2, 1]}))
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order == ["T2", "T1", "T3"]


def test_versions_with_repeated_values():
    """Two writers of 1 and one of 2, installed 1, 2, 1: T4 (after all) must see 1."""
    steps = ["1:T1 b", "2:T2 b", "3:T3 b", "1:T1 w x 1", "2:T2 w x 1", "3:T3 w x 2", "1:T1 c",
             "2:T2 c", "3:T3 c", "4:T4 b", "4:T4 r x {}", "4:T4 c"]
    good = results(H(*[s.format(1) for s in steps], versions={"x": [1, 2, 1]}))
    assert holds(good, *CRITERIA)
    assert good[STRICT].order[1] == "T3" and good[STRICT].order[3] == "T4"
    stale = results(H(*[s.format(2) for s in steps], versions={"x": [1, 2, 1]}))
    assert holds(stale, SERIAL, SESSION)
    assert stale[SERIAL].order[1:3] == ["T3", "T4"]
    assert violated(stale, STRICT, OPACITY)


def test_versions_only_for_some_keys():
    doc = H(*BLIND, "4:T4 b", "4:T4 w y 1", "4:T4 c", "5:T5 b", "5:T5 w y 2", "5:T5 c",
            "6:T6 b", "6:T6 r y 1", "6:T6 c", initial={"x": 0}, versions={"x": [2, 1]})
    res = results(doc)
    assert holds(res, SERIAL, SESSION)
    assert violated(res, STRICT, OPACITY)  # T5 ended before T6 began, and T4 before T5


# --- session serializability: each thread's own order -----------------------------------

def test_session_same_thread_stale_read():
    """One thread's second transaction does not see its first one's write."""
    doc = H("1:T1 b", "1:T1 w x 1", "1:T1 c", "1:T2 b", "1:T2 r x 0", "1:T2 c",
            initial={"x": 0})
    res = results(doc)
    assert res[SERIAL].holds is True and res[SERIAL].order == ["T2", "T1"]
    assert violated(res, SESSION, STRICT, OPACITY)
    s = res[SESSION]
    assert edges(s) == {("T1", "T2", "po", None), ("T2", "T1", "rw", "x")}
    assert s.anomaly == "G-single"  # one anti-dependency (the spec has no program-order class)
    mentions_cycle(s)
    # under real time the thread's order is real-time order, and serializability holds
    for c in (STRICT, OPACITY):
        assert res[c].anomaly == "real-time", (c, res[c].anomaly, res[c].cycle)


def test_session_order_is_per_thread_not_global():
    """Thread 2 lags behind thread 1 in real time, but keeps its own order."""
    doc = H("1:A1 b", "1:A1 w x 1", "1:A1 c", "2:B1 b", "2:B1 r x 0", "2:B1 w y 1", "2:B1 c",
            "2:B2 b", "2:B2 r y 1", "2:B2 r x 0", "2:B2 c", "1:A2 b", "1:A2 r x 1",
            "1:A2 w x 2", "1:A2 c", initial={"x": 0, "y": 0})
    res = results(doc)
    assert holds(res, SERIAL, SESSION)
    assert res[SESSION].order == ["B1", "B2", "A1", "A2"]
    assert violated(res, STRICT, OPACITY)


def test_session_read_skew_is_g_single():
    """A plain read skew fails session serializability as it fails serializability."""
    doc2 = H("1:A1 b", "1:A1 w x 1", "2:B1 b", "2:B1 r y 0", "2:B1 c", "2:B2 b", "2:B2 r x 0",
             "1:A1 w y 1", "1:A1 c", "2:B2 r y 1", "2:B2 c", initial={"x": 0, "y": 0})
    res2 = results(doc2)
    assert res2[SERIAL].holds is False  # B2 reads x before A1 and y after A1: read skew
    assert res2[SESSION].anomaly == "G-single"
    assert edges(res2[SESSION]) == {("B2", "A1", "rw", "x"), ("A1", "B2", "wr", "y")}


def test_session_cycle_needs_program_order():
    """Serializable only with B2 before B1, which thread 2's order forbids."""
    doc = H("2:B1 b", "1:A1 b", "1:A1 w x 1", "1:A1 c", "2:B1 r x 1", "2:B1 c", "2:B2 b",
            "2:B2 r x 0", "2:B2 c", initial={"x": 0})
    res = results(doc)
    assert res[SERIAL].holds is True and res[SERIAL].order == ["B2", "A1", "B1"]
    s = res[SESSION]
    assert s.holds is False
    kinds = sorted(e.kind for e in s.cycle)
    assert kinds == ["po", "rw", "wr"]
    assert edges(s) == {("B1", "B2", "po", None), ("B2", "A1", "rw", "x"), ("A1", "B1", "wr", "x")}


# --- values: JSON equality, initial values, keys ----------------------------------------

def test_true_is_not_one():
    res = results(H("1:T1 b", "1:T1 r x true", "1:T1 c", initial={"x": 1}))
    assert violated(res, *CRITERIA)
    res = results(H("1:T1 b", "1:T1 w x 1", "1:T1 c", "2:T2 b", "2:T2 r x true", "2:T2 c"))
    assert violated(res, *CRITERIA)
    res = results(H("1:T1 b", "1:T1 w x false", "1:T1 r x 0", "1:T1 c"))
    assert violated(res, *CRITERIA) and res[SERIAL].anomaly == "internal"


def test_one_is_one_point_zero_and_booleans_match():
    res = results(H("1:T1 b", "1:T1 r x 1.0", "1:T1 r y true", "1:T1 c",
                    initial={"x": 1, "y": True}))
    assert holds(res, *CRITERIA)


def test_missing_initial_is_null():
    assert holds(results(H("1:T1 b", "1:T1 r x null", "1:T1 c")), *CRITERIA)
    assert violated(results(H("1:T1 b", "1:T1 r x 0", "1:T1 c")), *CRITERIA)
    assert violated(results(H("1:T1 b", "1:T1 r x null", "1:T1 c", initial={"x": 0})), *CRITERIA)


def test_integer_key_is_the_initial_string_key():
    doc = {"format": "stmcheck.history/1", "initial": {"1": "a"}, "events": [
        {"thread": 1, "txn": 1, "op": "begin"},
        {"thread": 1, "txn": 1, "op": "read", "key": 1, "value": "a"},
        {"thread": 1, "txn": 1, "op": "write", "key": "1", "value": "b"},
        {"thread": 1, "txn": 1, "op": "read", "key": 1, "value": "b"},
        {"thread": 1, "txn": 1, "op": "commit"}]}
    assert holds(results(doc), *CRITERIA)


def test_empty_history_holds():
    res = results(H())
    assert holds(res, *CRITERIA)
    assert all(res[c].order == [] for c in CRITERIA)


def test_only_aborted_and_live():
    """No committed transaction: the committed criteria speak of nothing, opacity of all."""
    res = results(H("1:T1 b", "1:T1 w x 1", "1:T1 a", "2:T2 b", "2:T2 r x 0", initial={"x": 0}))
    assert holds(res, *CRITERIA)
    assert res[SERIAL].order == [] and res[OPACITY].order == ["T1", "T2"]
    res = results(H("1:T1 b", "1:T1 w x 1", "1:T1 a", "2:T2 b", "2:T2 r x 0"))
    assert holds(res, SERIAL, SESSION, STRICT)
    assert res[OPACITY].holds is False  # the live T2 read 0, but x starts as null


def test_txn_ids_1_and_string_1_are_different_transactions():
    doc = {"format": "stmcheck.history/1", "initial": {"x": 0}, "events": [
        {"thread": 1, "txn": 1, "op": "begin"},
        {"thread": 1, "txn": 1, "op": "write", "key": "x", "value": 1},
        {"thread": 1, "txn": 1, "op": "commit"},
        {"thread": "1", "txn": "1", "op": "begin"},
        {"thread": "1", "txn": "1", "op": "read", "key": "x", "value": 1},
        {"thread": "1", "txn": "1", "op": "commit"}]}
    res = results(doc)
    assert holds(res, *CRITERIA)
    for c in CRITERIA:
        assert res[c].order == [1, "1"]
