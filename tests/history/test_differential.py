"""The checker against the brute-force oracle, on generated histories.

For every generated history and each of the four criteria the checker's
verdict must equal the oracle's; a "holds" must carry a witness that passes
the oracle's own legality check; a "violated" must carry an anomaly name and
a cycle or an explanation, and a cycle must be a real cycle of edges the
history justifies.

Each test runs a fixed number of *distinct* histories (a history already seen
and passed is skipped with `assume`, so hypothesis draws another), with
`derandomize=True` and no example database: every run checks the same
histories. The totals are asserted, so a change to the strategies that
silently stopped generating cannot go unnoticed.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stmcheck.checker.history.criteria import CRITERIA, check
from stmcheck.models.history import build_history

import oracle
from generated_histories import histories

KINDS = {"ww", "wr", "rw", "rt", "po"}


def _settings(n):
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _key(doc) -> str:
    return json.dumps(doc, sort_keys=True)


def history_of(doc):
    return build_history(doc["events"], doc.get("initial"), doc.get("versions"), doc.get("versions_open", ()))


def external_reads(t: oracle.OTxn):
    own = set()
    for kind, key, value in t.ops:
        if kind == "write":
            own.add(key)
        elif key not in own:
            yield key, value


def cycle_problem(parsed: oracle.Parsed, criterion: str, cycle: list) -> str | None:
    """Why `cycle` (edges as JSON dicts) is not a justified dependency cycle, or None."""
    members = {repr(t.id): t for t in parsed.members(criterion)}
    if len(cycle) < 2:
        return "a cycle needs at least two edges"
    for i, e in enumerate(cycle):
        nxt = cycle[(i + 1) % len(cycle)]
        if e["to"] != nxt["from"]:
            return f"edge {i} ends at {e['to']!r} but the next starts at {nxt['from']!r}"
        if e["kind"] not in KINDS:
            return f"unknown edge kind {e['kind']!r}"
        a, b = members.get(repr(e["from"])), members.get(repr(e["to"]))
        if a is None or b is None or a is b:
            return f"edge {i} joins {e['from']!r} and {e['to']!r}: not two transactions {criterion} orders"
        kind, key = e["kind"], e.get("key")
        if kind == "rt":
            if criterion not in (oracle.STRICT, oracle.OPACITY):
                return f"{criterion} has no real-time edges"
            if a.end is None or a.end >= b.begin:
                return f"rt edge {i}: {a.id!r} did not end before {b.id!r} began"
        elif kind == "po":
            if criterion == oracle.SERIAL:
                return f"{criterion} has no program-order edges"
            if a.thread != b.thread or a.begin >= b.begin:
                return f"po edge {i}: not an earlier transaction of the same thread"
            if criterion != oracle.SESSION and (a.end is None or a.end >= b.begin):
                # under real time a thread's order is an rt edge, and must be one
                return f"po edge {i}: {a.id!r} did not end before {b.id!r} began"
        else:
            if key is None:
                return f"{kind} edge {i} has no key"
            key = str(key)
            if kind == "wr":
                wrote = a.final_writes().get(key, _MISSING) if a.committed else _MISSING
                if wrote is _MISSING or not any(k == key and oracle.json_eq(v, wrote)
                                                for k, v in external_reads(b)):
                    return f"wr edge {i}: {b.id!r} read no {key} that committed {a.id!r} wrote"
            elif kind == "ww":
                if not (a.committed and b.committed and key in a.final_writes() and key in b.final_writes()):
                    return f"ww edge {i}: {a.id!r} and {b.id!r} are not both committed writers of {key}"
            elif kind == "rw":
                if not any(k == key for k, _ in external_reads(a)):
                    return f"rw edge {i}: {a.id!r} did not read {key}"
                if not (b.committed and key in b.final_writes()):
                    return f"rw edge {i}: {b.id!r} is not a committed writer of {key}"
    return None


def ww_cycle_problem(cycle: list) -> str | None:
    """Write-write edges follow a version order, one total order per key, so the ww edges
    of one key can never close a cycle by themselves (Adya's dependency graphs)."""
    for key in {str(e.get("key")) for e in cycle if e["kind"] == "ww"}:
        succ: dict = {}
        for e in cycle:
            if e["kind"] == "ww" and str(e.get("key")) == key:
                succ.setdefault(repr(e["from"]), []).append(repr(e["to"]))
        state: dict = {}  # node -> "open" while on the DFS path, "done" after

        def closes_cycle(v) -> bool:
            state[v] = "open"
            for w in succ.get(v, ()):
                if state.get(w) == "open" or (w not in state and closes_cycle(w)):
                    return True
            state[v] = "done"
            return False

        if any(v not in state and closes_cycle(v) for v in list(succ)):
            return f"the ww({key}) edges form a cycle: no version order of {key} has one"
    return None


_MISSING = object()


def expected_class(parsed: oracle.Parsed, criterion: str, cycle: list) -> set | None:
    """The anomaly names the spec allows for this cycle (None: no single answer).

    Real time (an rt edge, or under strict serializability and opacity a thread's own
    order, which is real time there) makes `real-time`; otherwise Adya's class by the
    count of anti-dependencies. A cycle through an aborted or live transaction may also be
    `inconsistent-read`. A session cycle closed by program order has no class of its own.
    """
    kinds = [e["kind"] for e in cycle]
    if "rt" in kinds or ("po" in kinds and criterion != oracle.SESSION):
        base = "real-time"
    elif "po" in kinds:
        return None
    else:
        rw = kinds.count("rw")
        if rw == 0:
            base = "G0" if all(k == "ww" for k in kinds) else "G1c"
        else:
            base = "G-single" if rw == 1 else "G2-item"
    statuses = {repr(t.id): t.status for t in parsed.txns}
    if any(statuses[repr(e["from"])] != "committed" for e in cycle):
        return {"inconsistent-read", base}
    return {base}


def compare(doc, names: bool = False, alone: bool = False) -> None:
    """Assert that the checker agrees with the oracle on `doc`, for all four criteria.

    With `names`, also the class names: the class a cycle's edges make (Adya's,
    or `real-time` with an rt edge), the spec's meaning of the two non-Adya
    classes, and that a cycle's write-write edges fit some version order. With
    `alone`, each criterion is also checked on its own (as `stmcheck check -c
    NAME` does), where no stronger criterion's witness can be reused.
    """
    history = history_of(doc)
    results = check(history, CRITERIA)
    assert [r.criterion for r in results] == list(CRITERIA)
    parsed = oracle.parse(doc)
    shown = json.dumps(doc)
    decided = {c: oracle.decide(parsed, c) for c in CRITERIA}
    verdicts = {c: holds for c, (holds, _) in decided.items()}
    # the oracle against itself: its witnesses pass its own independent replay, and the
    # criteria nest (opacity => strict => session => serializability)
    for c, (holds, order) in decided.items():
        assert (order is not None) == holds
        assert not holds or oracle.check_witness(parsed, c, order) is None
    ladder = [verdicts[c] for c in (oracle.OPACITY, oracle.STRICT, oracle.SESSION, oracle.SERIAL)]
    assert ladder == sorted(ladder), f"oracle verdicts {verdicts} do not nest on {shown}"
    if alone:
        for c in CRITERIA:
            (single,) = check(history_of(doc), [c])
            assert single.holds == verdicts[c], (f"{c} checked alone: checker says {single.holds}, "
                                                 f"oracle says {verdicts[c]} on {shown}")
            if single.holds:
                assert oracle.check_witness(parsed, c, single.order) is None, shown
    for r in results:
        expected = verdicts[r.criterion]
        assert r.holds is not None, f"{r.criterion}: inconclusive without a timeout on {shown}"
        assert r.holds == expected, (f"{r.criterion}: checker says {r.holds}, oracle says {expected} "
                                     f"({r.anomaly}: {r.explanation}) on {shown}")
        out = json.loads(json.dumps(r.to_json()))
        assert out["criterion"] == r.criterion and out["holds"] is expected
        if expected:
            problem = oracle.check_witness(parsed, r.criterion, out["order"])
            assert problem is None, f"{r.criterion}: witness {out['order']} fails: {problem} on {shown}"
        else:
            assert isinstance(out.get("anomaly"), str) and out["anomaly"], shown
            assert out.get("cycle") or out.get("explanation"), shown
            assert isinstance(out.get("explanation"), str) and out["explanation"].strip(), shown
            if out.get("cycle"):
                problem = cycle_problem(parsed, r.criterion, out["cycle"])
                assert problem is None, f"{r.criterion}: bad cycle {out['cycle']}: {problem} on {shown}"
            if out["anomaly"] == "inconsistent-read":
                assert r.criterion == oracle.OPACITY, shown
            if out["anomaly"] == "real-time":
                assert r.criterion in (oracle.STRICT, oracle.OPACITY), shown
            if not names:
                continue
            if out.get("cycle"):
                problem = ww_cycle_problem(out["cycle"])
                assert problem is None, f"{r.criterion}: bad cycle {out['cycle']}: {problem} on {shown}"
                allowed = expected_class(parsed, r.criterion, out["cycle"])
                if allowed is not None:
                    assert out["anomaly"] in allowed, (f"{r.criterion}: cycle {out['cycle']} is "
                                                       f"{allowed}, reported {out['anomaly']} on {shown}")
            # The spec's two non-Adya classes name failures of the stronger criterion only.
            if out["anomaly"] == "inconsistent-read":
                assert verdicts[oracle.STRICT], (
                    f"inconsistent-read is the opacity-only failure, yet strict serializability "
                    f"fails too on {shown}")
            if r.criterion == oracle.STRICT and verdicts[oracle.SERIAL]:
                assert out["anomaly"] == "real-time", (
                    f"serializable but not strictly: only real time closes any cycle, yet the "
                    f"anomaly is {out['anomaly']} on {shown}")
            if out["anomaly"] == "real-time":
                assert verdicts[oracle.SERIAL], (
                    f"{r.criterion}: real-time means only real-time edges close the cycle, yet "
                    f"serializability fails too on {shown}")


def run_distinct(strategy, n: int, names: bool = False, alone: bool = False) -> None:
    """Check `n` distinct generated histories (a repeat of a passed one is skipped)."""
    passed: set = set()

    @_settings(n)
    @given(strategy)
    def one(doc):
        key = _key(doc)
        assume(key not in passed)
        compare(doc, names, alone)
        passed.add(key)

    one()
    assert len(passed) >= n, f"only {len(passed)} distinct histories were checked, expected {n}"


# The profiles below add up to 3,210 distinct histories per run (4,010 with the naming and cycle test).

def test_mixed_histories():
    """Everything at once: any fault level, values unique or repeated, sometimes versions."""
    run_distinct(histories(min_txns=3), 600)


def test_faulty_histories():
    """High fault rates: stale, dirty, intermediate and thin-air reads, broken own writes."""
    run_distinct(histories(min_txns=3, fault_level=3), 400, alone=True)


def test_repeated_values():
    """Values from a small pool: reads with several possible writers, blind writes (z3's ground)."""
    run_distinct(histories(min_txns=3, ambiguous=True), 400)


def test_versions_map():
    """A versions map on every history: true installation orders and shuffled ones."""
    run_distinct(histories(min_txns=2, versions=True), 300)


def test_clean_stm_histories():
    """No injected faults: validating, snapshot and read-committed STMs, zombies included."""
    run_distinct(histories(min_txns=4, fault_level=0), 300)


def test_contended_repeated_values():
    """Many writers of few values on few keys, no aborts: most verdicts need the exact search."""
    run_distinct(histories(min_txns=5, ambiguous=True, pool=2, aborts=False, fault_level=(1, 2),
                           min_threads=3, read_pct=50), 250, alone=True)


def test_zombies():
    """Many aborted and live transactions that never validate: opacity-only failures."""
    run_distinct(histories(min_txns=4, zombies=True), 250)


def test_versions_with_repeated_values():
    """A versions map whose values repeat: which writer holds which slot is itself a choice."""
    run_distinct(histories(min_txns=4, ambiguous=True, pool=2, versions=True, aborts=False,
                           min_threads=3, read_pct=40), 200, alone=True)


@st.composite
def known_beginnings(draw, **shape_args):
    """A history whose versions lists are cut to a beginning, the rest of each key's order
    left open (`versions_open`, as the Elle import knows a list-append key's order only as
    far as its longest read)."""
    doc = draw(histories(versions=True, **shape_args))
    versions = doc.get("versions") or {}
    doc["versions_open"] = sorted(k for k in versions if draw(st.integers(0, 3)))
    for key in doc["versions_open"]:
        versions[key] = versions[key][:draw(st.integers(0, len(versions[key])))]
    return doc


def test_open_versions():
    """Versions known only as a beginning, the later writes in an order to be inferred:
    true orders and shuffled ones, cut anywhere, values unique or repeated."""
    run_distinct(known_beginnings(min_txns=2), 300)
    run_distinct(known_beginnings(min_txns=4, ambiguous=True, pool=2, aborts=False, min_threads=3,
                                  read_pct=40), 150, alone=True)
    run_distinct(known_beginnings(min_txns=3), 100, names=True)


def test_json_values():
    """true, false, null, strings, 1 and 1.0 mixed: true is not 1, 1.0 is 1, "1" is not 1."""
    run_distinct(histories(min_txns=2, ambiguous=True, exotic=True, fault_level=(1, 3)), 200)


def test_large_histories():
    """Seven or eight transactions: the oracle's limit."""
    run_distinct(histories(min_txns=7), 250)


def test_single_thread_and_tiny():
    """Edge shapes: one transaction, one thread (session order = real time)."""
    run_distinct(histories(min_txns=1, max_txns=3, max_threads=1), 60)


def test_anomaly_names_and_cycles():
    """Class names and cycles. A cycle's class is the one its edges make (G0: only ww; G1c:
    ww/wr; G-single: one rw; G2-item: more; `real-time`: an rt edge). The spec's two
    non-Adya classes: `real-time` only when serializability holds, and always when only
    strict serializability fails ("only the real-time edges close the cycle");
    `inconsistent-read` only when strict serializability holds ("the opacity-only
    failure"). And a cycle is a dependency cycle: its write-write edges follow one version
    order per key, so those of one key never close a cycle among themselves. Separate from
    the verdict tests, so that a naming bug cannot hide a wrong verdict."""
    run_distinct(histories(min_txns=3), 400, names=True)
    run_distinct(histories(min_txns=3, fault_level=3), 200, names=True)
    run_distinct(histories(min_txns=4, ambiguous=True, versions=True), 200, names=True)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_oracle_knows_write_skew(criterion):
    """A sanity anchor for the oracle itself: the shipped write-skew example."""
    doc = {"format": "stmcheck.history/1", "initial": {"x": 1, "y": 1}, "events": [
        {"thread": 1, "txn": "T1", "op": "begin"}, {"thread": 2, "txn": "T2", "op": "begin"},
        {"thread": 1, "txn": "T1", "op": "read", "key": "x", "value": 1},
        {"thread": 2, "txn": "T2", "op": "read", "key": "y", "value": 1},
        {"thread": 1, "txn": "T1", "op": "write", "key": "y", "value": 0},
        {"thread": 2, "txn": "T2", "op": "write", "key": "x", "value": 0},
        {"thread": 1, "txn": "T1", "op": "commit"}, {"thread": 2, "txn": "T2", "op": "commit"}]}
    assert oracle.decide(doc, criterion) == (False, None)
    compare(doc)


@_settings(300)
@given(histories(max_txns=5))
def test_oracle_search_equals_plain_enumeration(doc):
    """The oracle's pruned, memoised search against every permutation, each replayed by the
    oracle's separate witness check: the pruning and the memo lose no order."""
    from itertools import permutations
    parsed = oracle.parse(doc)
    for c in CRITERIA:
        ids = [t.id for t in parsed.members(c)]
        plain = any(oracle.check_witness(parsed, c, list(p)) is None for p in permutations(ids))
        assert oracle.decide(parsed, c)[0] == plain, (c, json.dumps(doc))
